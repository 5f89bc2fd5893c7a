/* Checks of the C API that a replayed script cannot make: concurrent runs on one model, when a
 * caller's memory is handed back, output memory, and NULL/invalid arguments. Prints one
 * "ok NAME" or "FAIL NAME: why" line per check; the exit status is the number of failures.
 *   api_test SEED_DIR */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <metarun/c_api.h>

static int failures = 0;
static MR_Model* model;
static char seed_prefix[4096];

static void check(int ok, const char* name, const char* why) {
  if (ok) {
    printf("ok %s\n", name);
  } else {
    printf("FAIL %s: %s\n", name, why);
    ++failures;
  }
}

static MR_Tensor* scalar(float value) {
  MR_Status* s = MR_NewStatus();
  MR_Tensor* t = MR_AllocateTensor(MR_FLOAT, NULL, 0, s);
  if (t != NULL) *(float*)MR_TensorData(t) = value;
  MR_DeleteStatus(s);
  return t;
}

/* v4 for feeds (a, b), or NAN with the status message printed. */
static float seed_run(float a, float b) {
  MR_Status* s = MR_NewStatus();
  MR_Tensor* feeds[2] = {scalar(a), scalar(b)};
  const char* feed_names[2] = {"v1", "v2:0"}; /* "v1" means "v1:0", as in TF's C++ API */
  const char* fetch = "v4";
  MR_Tensor* out = NULL;
  MR_Run(model, feed_names, feeds, 2, &fetch, &out, 1, NULL, 0, s);
  float v = 0.0f / 0.0f;
  if (MR_GetCode(s) == MR_OK) {
    v = *(const float*)MR_TensorData(out);
  } else {
    printf("run failed: %s\n", MR_Message(s));
  }
  MR_DeleteTensor(out);
  MR_DeleteTensor(feeds[0]);
  MR_DeleteTensor(feeds[1]);
  MR_DeleteStatus(s);
  return v;
}

#define THREADS 4
#define RUNS 200
static float expected[RUNS];
static int thread_errors[THREADS];

static void* thread_main(void* arg) {
  int id = (int)(intptr_t)arg;
  for (int i = 0; i < RUNS; ++i) {
    int k = (i + id * 37) % RUNS;
    if (seed_run((float)k, 0.0f) != expected[k]) ++thread_errors[id];
  }
  return NULL;
}

static int deallocated = 0;
static void mark_deallocated(void* data, size_t len, void* arg) {
  (void)len;
  *(int*)arg += 1;
  free(data);
}

static int code_of(void (*call)(MR_Status*)) {
  MR_Status* s = MR_NewStatus();
  call(s);
  int code = (int)MR_GetCode(s);
  MR_DeleteStatus(s);
  return code;
}

static void null_model_run(MR_Status* s) { MR_Run(NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, 0, s); }
static void negative_dim(MR_Status* s) {
  int64_t dims[2] = {2, -1};
  MR_Tensor* t = MR_AllocateTensor(MR_FLOAT, dims, 2, s);
  MR_DeleteTensor(t);
}
static void overflowing_dims(MR_Status* s) {
  int64_t dims[3] = {INT64_C(1) << 40, INT64_C(1) << 40, 4};
  MR_Tensor* t = MR_AllocateTensor(MR_FLOAT, dims, 3, s);
  MR_DeleteTensor(t);
}
static void wrong_len(MR_Status* s) {
  int64_t dims[1] = {3};
  static float data[4];
  MR_Tensor* t = MR_NewTensor(MR_FLOAT, dims, 1, data, sizeof data, NULL, NULL, s);
  MR_DeleteTensor(t);
}
static void string_allocate(MR_Status* s) {
  MR_Tensor* t = MR_AllocateTensor(MR_STRING, NULL, 0, s);
  MR_DeleteTensor(t);
}
static void unknown_dtype(MR_Status* s) {
  MR_Tensor* t = MR_AllocateTensor((MR_DataType)99, NULL, 0, s);
  MR_DeleteTensor(t);
}
static void missing_meta(MR_Status* s) { MR_DeleteModel(MR_LoadMetaGraph("/nonexistent/model.meta", NULL, s)); }
static void missing_checkpoint(MR_Status* s) { MR_Restore(model, "/nonexistent/model.ckpt", s); }
static void unknown_feed(MR_Status* s) {
  MR_Tensor* t = scalar(1.0f);
  const char* name = "no_such_tensor:0";
  const char* fetch = "v4:0";
  MR_Tensor* out = NULL;
  MR_Run(model, &name, &t, 1, &fetch, &out, 1, NULL, 0, s);
  MR_DeleteTensor(out);
  MR_DeleteTensor(t);
}
static void wrong_feed_type(MR_Status* s) {
  const char* text = "twelve";
  size_t length = 6;
  MR_Tensor* feeds[2] = {MR_NewStringTensor(NULL, 0, &text, &length, s), scalar(3.3f)};
  const char* names[2] = {"v1:0", "v2:0"};
  const char* fetch = "v4:0";
  MR_Tensor* out = NULL;
  MR_Run(model, names, feeds, 2, &fetch, &out, 1, NULL, 0, s);
  MR_DeleteTensor(out);
  MR_DeleteTensor(feeds[0]);
  MR_DeleteTensor(feeds[1]);
}
static void missing_feed(MR_Status* s) {
  const char* fetch = "v4:0";
  MR_Tensor* out = NULL;
  MR_Run(model, NULL, NULL, 0, &fetch, &out, 1, NULL, 0, s);
  MR_DeleteTensor(out);
}

int main(int argc, char** argv) {
  if (argc != 2) return 100;
  char meta[4096];
  snprintf(meta, sizeof meta, "%s/model_ex1.meta", argv[1]);
  snprintf(seed_prefix, sizeof seed_prefix, "%s/model_ex1", argv[1]);
  MR_Status* s = MR_NewStatus();
  model = MR_LoadMetaGraph(meta, NULL, s);
  if (model == NULL) {
    printf("FAIL load: %s\n", MR_Message(s));
    return 1;
  }
  MR_Restore(model, seed_prefix, s);
  check(MR_GetCode(s) == MR_OK, "restore", MR_Message(s));

  const float reference = seed_run(12.0f, 3.3f);
  check(reference == 59.6f, "seed", "v4 is not 59.6");

  /* Concurrent runs on one model give what one thread gets. */
  for (int k = 0; k < RUNS; ++k) expected[k] = seed_run((float)k, 0.0f);
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; ++i) pthread_create(&threads[i], NULL, thread_main, (void*)(intptr_t)i);
  for (int i = 0; i < THREADS; ++i) pthread_join(threads[i], NULL);
  int thread_failures = 0;
  for (int i = 0; i < THREADS; ++i) thread_failures += thread_errors[i];
  check(thread_failures == 0, "threads", "a concurrent run differed from the single-threaded one");
  int consistent = 1;
  for (int k = 0; k < RUNS; ++k) consistent &= seed_run((float)k, 0.0f) == expected[k];
  check(consistent, "threads_after", "runs after the threads differ");

  /* The caller's memory: used without a copy, handed back once, after MR_DeleteTensor. */
  float* data = malloc(sizeof(float));
  *data = 12.0f;
  MR_Tensor* v1 = MR_NewTensor(MR_FLOAT, NULL, 0, data, sizeof(float), mark_deallocated, &deallocated, s);
  check(v1 != NULL && MR_TensorData(v1) == data, "new_tensor_no_copy", "MR_TensorData is not the caller's memory");
  MR_Tensor* v2 = scalar(3.3f);
  MR_Tensor* feeds[2] = {v1, v2};
  const char* names[2] = {"v1:0", "v2:0"};
  const char* fetch = "v4:0";
  MR_Tensor* out = NULL;
  MR_Run(model, names, feeds, 2, &fetch, &out, 1, NULL, 0, s);
  check(MR_GetCode(s) == MR_OK && out != NULL, "run_external", MR_Message(s));
  check(deallocated == 0, "not_deallocated_early", "the deallocator ran while the tensor was alive");
  MR_DeleteTensor(v1);
  check(deallocated == 1, "deallocated_once", "the deallocator did not run exactly once after MR_DeleteTensor");
  MR_DeleteTensor(v2);

  /* Outputs: the run's buffer, stable, with the shape and type the graph gives. */
  check(out != NULL && MR_TensorData(out) == MR_TensorData(out) && MR_TensorByteSize(out) == 4 &&
            MR_NumDims(out) == 0 && MR_TensorType(out) == MR_FLOAT && MR_TensorElementCount(out) == 1 &&
            MR_TensorString(out, 0, NULL) == NULL && MR_Dim(out, 0) == -1,
        "output", "an output's type, shape or memory is wrong");
  MR_DeleteTensor(out);

  check(MR_TensorType(NULL) == 0 && MR_NumDims(NULL) == -1 && MR_Dim(NULL, 0) == -1 &&
            MR_TensorElementCount(NULL) == -1 && MR_TensorData(NULL) == NULL && MR_TensorByteSize(NULL) == 0 &&
            MR_TensorString(NULL, 0, NULL) == NULL,
        "null_tensor_accessors", "an accessor does not take NULL");
  MR_DeleteTensor(NULL);
  MR_DeleteModel(NULL);

  /* Bad arguments: TensorFlow's codes, and the model still runs afterwards. */
  struct {
    const char* name;
    void (*call)(MR_Status*);
    int code;
  } errors[] = {
      {"null_model", null_model_run, MR_INVALID_ARGUMENT},
      {"negative_dim", negative_dim, MR_INVALID_ARGUMENT},
      {"overflowing_dims", overflowing_dims, MR_INVALID_ARGUMENT},
      {"wrong_len", wrong_len, MR_INVALID_ARGUMENT},
      {"string_allocate", string_allocate, MR_INVALID_ARGUMENT},
      {"unknown_dtype", unknown_dtype, MR_INVALID_ARGUMENT},
      {"missing_meta", missing_meta, MR_NOT_FOUND},
      {"missing_checkpoint", missing_checkpoint, MR_NOT_FOUND},
      {"unknown_feed", unknown_feed, MR_INVALID_ARGUMENT},
      {"wrong_feed_type", wrong_feed_type, MR_INVALID_ARGUMENT},
      {"missing_feed", missing_feed, MR_INVALID_ARGUMENT},
  };
  for (size_t i = 0; i < sizeof errors / sizeof errors[0]; ++i) {
    int code = code_of(errors[i].call);
    char why[128];
    snprintf(why, sizeof why, "code %d, expected %d", code, errors[i].code);
    check(code == errors[i].code, errors[i].name, why);
    check(seed_run(12.0f, 3.3f) == reference, "runs_after_error", "the model does not run as before after an error");
  }
  /* Options: runs (and so restores) may read only the directories allowed. */
  MR_ModelOptions* options = MR_NewModelOptions();
  MR_ModelOptionsAllowRead(options, "/nonexistent-dir");
  MR_Model* confined = MR_LoadMetaGraph(meta, options, s);
  MR_Restore(confined, seed_prefix, s);
  check(MR_GetCode(s) == MR_PERMISSION_DENIED, "confined_restore", MR_Message(s));
  MR_DeleteModel(confined);
  MR_ModelOptionsAllowRead(options, argv[1]);
  MR_ModelOptionsSetNumThreads(options, 1);
  confined = MR_LoadMetaGraph(meta, options, s);
  MR_Restore(confined, seed_prefix, s);
  check(MR_GetCode(s) == MR_OK, "allowed_restore", MR_Message(s));
  MR_DeleteModel(confined);
  MR_DeleteModelOptions(options);

  MR_DeleteModel(model);
  MR_DeleteStatus(s);
  return failures;
}
