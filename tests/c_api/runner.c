/* Replays a script of C API calls read from stdin, so tests can drive TF-made cases through the
 * C API and compare what it returns with TensorFlow's values. One command per line:
 *   load META                 MR_LoadMetaGraph (replaces the current model)
 *   loadsm DIR TAG[,TAG..]    MR_LoadSavedModel (replaces the current model)
 *   sig KEY in|out NAME       MR_SignatureTensorName: prints "name TENSOR"
 *   restore CHECKPOINT        MR_Restore
 *   feed NAME DTYPE NDIMS D.. FILE   a feed for the next run, its values in FILE (numeric: raw
 *                             row-major bytes; strings: per element a uint64 length and the bytes)
 *   fetch NAME / target NAME  add a fetch / a target to the next run
 *   run OUTDIR                MR_Run; fetch i is written to OUTDIR/i.bin as feeds are read
 *   save PREFIX STEP          MR_Save (STEP -1: none)
 *   init                      MR_InitializeVariables
 * Each command prints one line: "ok", "name TENSOR", "out I DTYPE NDIMS D.." per fetch then "ok", "saved PATH",
 * or "error CODE MESSAGE" (the script goes on). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <metarun/c_api.h>

#define MAX_ITEMS 64

static MR_Model* model = NULL;
static MR_Status* status = NULL;
static char* feed_names[MAX_ITEMS];
static MR_Tensor* feed_values[MAX_ITEMS];
static int num_feeds = 0;
static char* fetch_names[MAX_ITEMS];
static int num_fetches = 0;
static char* target_names[MAX_ITEMS];
static int num_targets = 0;

static int report(void) {
  if (MR_GetCode(status) == MR_OK) return 1;
  printf("error %d %s\n", (int)MR_GetCode(status), MR_Message(status));
  return 0;
}

static void clear_run(void) {
  for (int i = 0; i < num_feeds; ++i) {
    free(feed_names[i]);
    MR_DeleteTensor(feed_values[i]);
  }
  for (int i = 0; i < num_fetches; ++i) free(fetch_names[i]);
  for (int i = 0; i < num_targets; ++i) free(target_names[i]);
  num_feeds = num_fetches = num_targets = 0;
}

static char* read_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char* data = malloc(n > 0 ? (size_t)n : 1);
  *size = fread(data, 1, (size_t)n, f);
  fclose(f);
  return data;
}

static void free_data(void* data, size_t len, void* arg) {
  (void)len;
  (void)arg;
  free(data);
}

static MR_Tensor* load_feed(char* args) {
  char* save = NULL;
  strtok_r(args, " ", &save); /* the name, already taken */
  int dtype = atoi(strtok_r(NULL, " ", &save));
  int ndims = atoi(strtok_r(NULL, " ", &save));
  int64_t dims[16];
  int64_t count = 1;
  for (int i = 0; i < ndims; ++i) {
    dims[i] = atoll(strtok_r(NULL, " ", &save));
    count *= dims[i];
  }
  size_t size = 0;
  char* data = read_file(strtok_r(NULL, " \n", &save), &size);
  if (data == NULL) {
    printf("error -1 cannot read the feed's file\n");
    return NULL;
  }
  if (dtype != MR_STRING) return MR_NewTensor((MR_DataType)dtype, dims, ndims, data, size, free_data, NULL, status);
  const char** strings = malloc(sizeof(char*) * (count ? count : 1));
  size_t* lengths = malloc(sizeof(size_t) * (count ? count : 1));
  size_t at = 0;
  for (int64_t i = 0; i < count; ++i) {
    uint64_t n;
    memcpy(&n, data + at, 8);
    strings[i] = data + at + 8;
    lengths[i] = (size_t)n;
    at += 8 + n;
  }
  MR_Tensor* t = MR_NewStringTensor(dims, ndims, strings, lengths, status);
  free(strings);
  free(lengths);
  free(data);
  return t;
}

static void write_output(const char* dir, int index, const MR_Tensor* t) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%d.bin", dir, index);
  FILE* f = fopen(path, "wb");
  if (MR_TensorType(t) == MR_STRING) {
    for (int64_t i = 0; i < MR_TensorElementCount(t); ++i) {
      size_t n = 0;
      const char* s = MR_TensorString(t, i, &n);
      uint64_t n64 = n;
      fwrite(&n64, 8, 1, f);
      fwrite(s, 1, n, f);
    }
  } else {
    fwrite(MR_TensorData(t), 1, MR_TensorByteSize(t), f);
  }
  fclose(f);
  printf("out %d %d %d", index, (int)MR_TensorType(t), MR_NumDims(t));
  for (int d = 0; d < MR_NumDims(t); ++d) printf(" %lld", (long long)MR_Dim(t, d));
  printf("\n");
}

int main(void) {
  status = MR_NewStatus();
  char line[8192];
  while (fgets(line, sizeof line, stdin) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    char* arg = strchr(line, ' ');
    if (arg != NULL) *arg++ = '\0';
    if (strcmp(line, "load") == 0) {
      MR_DeleteModel(model);
      model = MR_LoadMetaGraph(arg, NULL, status);
      if (report()) printf("ok\n");
    } else if (strcmp(line, "loadsm") == 0) {
      char* save = NULL;
      char* dir = strtok_r(arg, " ", &save);
      const char* tags[16];
      int num_tags = 0;
      for (char* t = strtok_r(NULL, ",", &save); t != NULL && num_tags < 16; t = strtok_r(NULL, ",", &save)) {
        tags[num_tags++] = t;
      }
      MR_DeleteModel(model);
      model = MR_LoadSavedModel(dir, tags, num_tags, NULL, status);
      if (report()) printf("ok\n");
    } else if (strcmp(line, "sig") == 0) {
      char key[1024], direction[8], name[1024];
      sscanf(arg, "%1023s %7s %1023s", key, direction, name);
      char* tensor = MR_SignatureTensorName(model, key, name, strcmp(direction, "out") == 0, status);
      if (report()) printf("name %s\n", tensor);
      MR_Free(tensor);
    } else if (strcmp(line, "restore") == 0) {
      MR_Restore(model, arg, status);
      if (report()) printf("ok\n");
    } else if (strcmp(line, "feed") == 0) {
      char name[4096];
      sscanf(arg, "%4095s", name);
      MR_Tensor* t = load_feed(arg);
      if (t == NULL) {
        report();
        continue;
      }
      feed_names[num_feeds] = strdup(name);
      feed_values[num_feeds++] = t;
      printf("ok\n");
    } else if (strcmp(line, "fetch") == 0) {
      fetch_names[num_fetches++] = strdup(arg);
      printf("ok\n");
    } else if (strcmp(line, "target") == 0) {
      target_names[num_targets++] = strdup(arg);
      printf("ok\n");
    } else if (strcmp(line, "run") == 0) {
      MR_Tensor* outputs[MAX_ITEMS];
      MR_Run(model, (const char* const*)feed_names, feed_values, num_feeds, (const char* const*)fetch_names, outputs,
             num_fetches, (const char* const*)target_names, num_targets, status);
      if (report()) {
        for (int i = 0; i < num_fetches; ++i) {
          write_output(arg, i, outputs[i]);
          MR_DeleteTensor(outputs[i]);
        }
        printf("ok\n");
      }
      clear_run();
    } else if (strcmp(line, "save") == 0) {
      char prefix[4096];
      long long step = -1;
      sscanf(arg, "%4095s %lld", prefix, &step);
      char* written = MR_Save(model, prefix, step, status);
      if (report()) printf("saved %s\n", written);
      MR_Free(written);
    } else if (strcmp(line, "init") == 0) {
      MR_InitializeVariables(model, status);
      if (report()) printf("ok\n");
    } else {
      printf("error -1 unknown command %s\n", line);
    }
    fflush(stdout);
  }
  clear_run();
  MR_DeleteModel(model);
  MR_DeleteStatus(status);
  return 0;
}
