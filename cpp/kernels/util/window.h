// Sliding-window geometry shared by convolution and pooling: the spatial
// attrs (strides, dilations, padding, data_format) and TF's output-size rule
// (GetWindowedOutputSize). Spatial kernels compute in NHWC; NCHW tensors are
// transposed on the way in and out.
#pragma once

#include <string>
#include <vector>

#include "framework/kernel.h"

namespace metarun {

enum class Padding { kSame, kValid, kExplicit };

// Attrs of a 2-D window op, in NHWC order whatever the data_format.
struct Window2D {
  bool nchw = false;
  Padding padding = Padding::kValid;
  int64_t stride[2] = {1, 1};
  int64_t dilation[2] = {1, 1};
  int64_t explicit_pad[2][2] = {{0, 0}, {0, 0}};  // [dim][before, after]
};

// Output extent and leading padding of one spatial dim.
struct WindowDim {
  int64_t out = 0;
  int64_t pad_before = 0;
};

// Reads data_format, padding, explicit_paddings (and, when `strides_attr`,
// strides and dilations) from `init`, with TF's checks; missing optional
// attrs (dilations, explicit_paddings in old graphs) take their defaults.
void read_window_attrs(KernelInit& init, const char* op_kind, bool strides_attr, Window2D* w);
// Validates a 4-element strides (or ksize) list and stores its spatial part.
Status spatial_pair(const std::vector<int64_t>& v, bool nchw, const char* what, int64_t out[2]);
Status window_dim(int64_t in, int64_t filter, int64_t dilation, int64_t stride, Padding padding,
                  const int64_t explicit_pad[2], WindowDim* out);

// Layout changes between [n, c, hw] and [n, hw, c] (hw = H*W), converting
// element types on the way (S -> D).
template <class S, class D>
void nchw_to_nhwc(const S* in, int64_t n, int64_t c, int64_t hw, D* out) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      const S* src = in + (b * c + ch) * hw;
      D* dst = out + b * hw * c + ch;
      for (int64_t i = 0; i < hw; ++i) dst[i * c] = static_cast<D>(src[i]);
    }
}
template <class S, class D>
void nhwc_to_nchw(const S* in, int64_t n, int64_t c, int64_t hw, D* out) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      const S* src = in + b * hw * c + ch;
      D* dst = out + (b * c + ch) * hw;
      for (int64_t i = 0; i < hw; ++i) dst[i] = static_cast<D>(src[i * c]);
    }
}

// A tensor of T as an NHWC buffer of D: the tensor's own memory when it is
// NHWC already and of type D, else a converted (and transposed) copy in `buf`.
template <class T, class D>
const D* nhwc_view(const Tensor& t, bool nchw, std::vector<D>* buf) {
  const T* src = t.data<T>();
  if constexpr (std::is_same_v<T, D>) {
    if (!nchw) return src;
  }
  const int64_t n = t.num_elements();
  buf->resize(n);
  if (nchw) {
    nchw_to_nhwc(src, t.dim(0), t.dim(1), t.dim(2) * t.dim(3), buf->data());
  } else {
    for (int64_t i = 0; i < n; ++i) (*buf)[i] = static_cast<D>(src[i]);
  }
  return buf->data();
}

// The NHWC buffer a kernel writes its result into: the output tensor itself
// when possible, else `buf`; `finish_nhwc` then moves `buf` into the output.
template <class T, class S>
S* nhwc_target(Tensor& out, bool nchw, std::vector<S>* buf) {
  if constexpr (std::is_same_v<T, S>) {
    if (!nchw) return out.data<T>();
  }
  buf->assign(out.num_elements(), S(0));
  return buf->data();
}
template <class T, class S>
void finish_nhwc(const std::vector<S>& buf, bool nchw, Tensor& out) {
  T* dst = out.data<T>();
  if (nchw) {
    nhwc_to_nchw(buf.data(), out.dim(0), out.dim(1), out.dim(2) * out.dim(3), dst);
  } else if (!std::is_same_v<T, S> || !buf.empty()) {
    for (size_t i = 0; i < buf.size(); ++i) dst[i] = static_cast<T>(buf[i]);
  }
}

}  // namespace metarun
