#include "kernels/util/window.h"

#include <algorithm>

namespace metarun {

Status spatial_pair(const std::vector<int64_t>& v, bool nchw, const char* what, int64_t out[2]) {
  if (v.size() != 4)
    return invalid_argument(str_cat("Sliding window ", what, " field must specify 4 dimensions"));
  const int64_t batch = v[0], depth = nchw ? v[1] : v[3];
  out[0] = nchw ? v[2] : v[1];
  out[1] = nchw ? v[3] : v[2];
  if (batch != 1 || depth != 1)
    return invalid_argument(str_cat("Current implementation does not yet support ", what,
                                    " in the batch and depth dimensions."));
  if (out[0] <= 0 || out[1] <= 0)
    return invalid_argument(str_cat("Sliding window ", what, " must be positive, got ", shape_str(v)));
  return Status();
}

void read_window_attrs(KernelInit& init, const char* op_kind, bool strides_attr, Window2D* w) {
  std::string format = "NHWC", padding;
  if (init.has_attr("data_format")) init.get("data_format", &format);
  init.get("padding", &padding);
  if (!init.status().ok()) return;
  if (format != "NHWC" && format != "NCHW")
    return init.fail(invalid_argument(str_cat("Invalid data format: ", format)));
  w->nchw = format == "NCHW";
  if (padding == "SAME") w->padding = Padding::kSame;
  else if (padding == "VALID") w->padding = Padding::kValid;
  else if (padding == "EXPLICIT") w->padding = Padding::kExplicit;
  else return init.fail(invalid_argument(str_cat("Invalid padding: ", padding)));
  if (strides_attr) {
    std::vector<int64_t> strides, dilations{1, 1, 1, 1};
    init.get("strides", &strides);
    if (init.has_attr("dilations")) init.get("dilations", &dilations);
    if (!init.status().ok()) return;
    Status s = spatial_pair(strides, w->nchw, "strides", w->stride);
    if (s.ok()) s = spatial_pair(dilations, w->nchw, "dilations", w->dilation);
    if (!s.ok()) return init.fail(s);
  }
  std::vector<int64_t> pads;
  if (init.has_attr("explicit_paddings")) init.get("explicit_paddings", &pads);
  if (w->padding != Padding::kExplicit) {
    if (!pads.empty())
      init.fail(invalid_argument(str_cat(op_kind, ": explicit_paddings attribute must be empty unless padding "
                                         "is EXPLICIT")));
    return;
  }
  if (pads.size() != 8)
    return init.fail(invalid_argument(str_cat("explicit_paddings attribute must contain 8 values, but got: ",
                                              pads.size())));
  for (int64_t p : pads)
    if (p < 0) return init.fail(invalid_argument(str_cat("All elements of explicit_paddings must be nonnegative")));
  const int h = w->nchw ? 2 : 1, c = w->nchw ? 1 : 3;
  if (pads[0] || pads[1] || pads[2 * c] || pads[2 * c + 1])
    return init.fail(invalid_argument("Nonzero explicit padding in the batch or depth dimensions is not supported"));
  for (int d = 0; d < 2; ++d) {
    w->explicit_pad[d][0] = pads[2 * (h + d)];
    w->explicit_pad[d][1] = pads[2 * (h + d) + 1];
  }
}

Status window_dim(int64_t in, int64_t filter, int64_t dilation, int64_t stride, Padding padding,
                  const int64_t explicit_pad[2], WindowDim* out) {
  const int64_t eff = (filter - 1) * dilation + 1;
  switch (padding) {
    case Padding::kValid:
      out->out = (in - eff + stride) / stride;
      out->pad_before = 0;
      break;
    case Padding::kSame: {
      out->out = (in + stride - 1) / stride;
      const int64_t needed = std::max<int64_t>(0, (out->out - 1) * stride + eff - in);
      out->pad_before = needed / 2;
      break;
    }
    case Padding::kExplicit:
      out->out = (in + explicit_pad[0] + explicit_pad[1] - eff + stride) / stride;
      out->pad_before = explicit_pad[0];
      break;
  }
  if (out->out < 0)
    return invalid_argument(str_cat("Computed output size would be negative: ", out->out,
                                    " [input_size: ", in, ", effective_filter_size: ", eff,
                                    ", stride: ", stride, "]"));
  return Status();
}

}  // namespace metarun
