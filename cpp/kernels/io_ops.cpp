// Checkpoint IO ops. They read and write files with the TensorBundle code of
// the host application (the Python layer), so they are host kernels: listed
// here like every other op, run by the registry's host handler.
#include "framework/registry.h"

namespace metarun {

void register_io_ops(Registry& r) {
  for (const char* op : {"RestoreV2", "SaveV2", "MergeV2Checkpoints", "RestoreSlice", "Restore", "SaveSlices", "Save"})
    r.add_host(op);
}

}  // namespace metarun
