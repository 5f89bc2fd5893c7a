/* The restore half of TensorFlow's import_meta_graph example, in C: load the graph, restore the
 * checkpoint, feed v1 and v2, fetch v4. Prints 59.6. */
#include <stdio.h>

#include <metarun/c_api.h>

static int check(MR_Status* status, const char* what) {
  if (MR_GetCode(status) == MR_OK) return 1;
  fprintf(stderr, "%s failed (code %d): %s\n", what, (int)MR_GetCode(status), MR_Message(status));
  return 0;
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : SEED_DIR;
  char meta[4096], prefix[4096];
  snprintf(meta, sizeof meta, "%s/model_ex1.meta", dir);
  snprintf(prefix, sizeof prefix, "%s/model_ex1", dir);

  MR_Status* status = MR_NewStatus();
  MR_Model* model = MR_LoadMetaGraph(meta, NULL, status);
  if (!check(status, "MR_LoadMetaGraph")) return 1;
  MR_Restore(model, prefix, status);
  if (!check(status, "MR_Restore")) return 1;

  MR_Tensor* v1 = MR_AllocateTensor(MR_FLOAT, NULL, 0, status); /* scalars */
  MR_Tensor* v2 = MR_AllocateTensor(MR_FLOAT, NULL, 0, status);
  if (!check(status, "MR_AllocateTensor")) return 1;
  *(float*)MR_TensorData(v1) = 12.0f;
  *(float*)MR_TensorData(v2) = 3.3f;

  const char* feed_names[] = {"v1:0", "v2:0"};
  MR_Tensor* feeds[] = {v1, v2};
  const char* fetch_names[] = {"v4:0"};
  MR_Tensor* v4 = NULL;
  MR_Run(model, feed_names, feeds, 2, fetch_names, &v4, 1, NULL, 0, status);
  if (!check(status, "MR_Run")) return 1;
  printf("%g\n", *(const float*)MR_TensorData(v4));

  MR_DeleteTensor(v4);
  MR_DeleteTensor(v2);
  MR_DeleteTensor(v1);
  MR_DeleteModel(model);
  MR_DeleteStatus(status);
  return 0;
}
