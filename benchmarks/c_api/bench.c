/* Times MR_Run on one model: bench META FEED_NAME FETCH_NAME ROUNDS ROUND_SECONDS DIM...
 * The feed is float32 of shape DIM... filled with a fixed pattern; variables are initialized
 * (MR_InitializeVariables). Prints the seconds from the first call to a loaded model, then one
 * line per round: the per-call seconds of that round. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <metarun/c_api.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void check(MR_Status* s, const char* what) {
  if (MR_GetCode(s) != MR_OK) {
    fprintf(stderr, "%s: %s\n", what, MR_Message(s));
    exit(1);
  }
}

int main(int argc, char** argv) {
  if (argc < 6) return 2;
  int rounds = atoi(argv[4]);
  double round_seconds = atof(argv[5]);
  int ndims = argc - 6;
  int64_t dims[8];
  for (int i = 0; i < ndims && i < 8; ++i) dims[i] = atoll(argv[6 + i]);
  MR_Status* s = MR_NewStatus();
  double t0 = now();
  MR_Model* model = MR_LoadMetaGraph(argv[1], NULL, s);
  check(s, "load");
  MR_InitializeVariables(model, s);
  check(s, "init");
  printf("load %.6f\n", now() - t0);
  MR_Tensor* x = MR_AllocateTensor(MR_FLOAT, dims, ndims, s);
  check(s, "allocate");
  float* data = MR_TensorData(x);
  for (int64_t i = 0; i < MR_TensorElementCount(x); ++i) data[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
  const char* feed = argv[2];
  const char* fetch = argv[3];
  long calls = 0;
  double start = now();
  while (calls < 2 || now() - start < 0.5) { /* warm up; size a round */
    MR_Tensor* out = NULL;
    MR_Run(model, &feed, &x, 1, &fetch, &out, 1, NULL, 0, s);
    check(s, "run");
    MR_DeleteTensor(out);
    ++calls;
  }
  long per_round = (long)(round_seconds / ((now() - start) / (double)calls)) + 1;
  for (int r = 0; r < rounds; ++r) {
    double t = now();
    for (long i = 0; i < per_round; ++i) {
      MR_Tensor* out = NULL;
      MR_Run(model, &feed, &x, 1, &fetch, &out, 1, NULL, 0, s);
      MR_DeleteTensor(out);
    }
    printf("round %.9f\n", (now() - t) / (double)per_round);
  }
  MR_DeleteTensor(x);
  MR_DeleteModel(model);
  MR_DeleteStatus(s);
  return 0;
}
