// Checkpoint IO ops, and the ops that call a Python function (tf.py_func). They
// read and write files with the TensorBundle code of the host application (the
// Python layer), or call into it, so they are host kernels: listed here like
// every other op, run by the registry's host handler.
#include "framework/registry.h"

namespace metarun {

void register_io_ops(Registry& r) {
  for (const char* op : {"RestoreV2", "SaveV2", "MergeV2Checkpoints", "RestoreSlice", "Restore", "SaveSlices", "Save"})
    r.add_host(op);
  for (const char* op : {"PyFunc", "PyFuncStateless"}) r.add_host(op);
}

}  // namespace metarun
