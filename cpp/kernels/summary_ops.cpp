// Summary ops: they serialize Summary protos (PNG images, WAV audio, histograms),
// work the host application's proto and encoding code does, so they are host
// kernels, run by the registry's host handler like the checkpoint IO ops.
#include "framework/registry.h"

namespace metarun {

void register_summary_ops(Registry& r) {
  for (const char* op : {"ScalarSummary", "HistogramSummary", "ImageSummary", "AudioSummary", "AudioSummaryV2",
                         "TensorSummary", "TensorSummaryV2", "MergeSummary"})
    r.add_host(op);
}

}  // namespace metarun
