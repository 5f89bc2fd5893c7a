// Window geometry shared by the pooling and convolution gradient kernels
// (pool_grad_ops.cpp, conv_grad_ops.cpp): layout-independent (n, h, w, c)
// views and TF's output-size / padding rules.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "framework/registry.h"

namespace metarun {
namespace grad_window {

// Element strides of a 4-D tensor seen as (n, h, w, c).
struct View4 {
  int64_t n = 0, h = 0, w = 0, c = 0;
  int64_t sn = 0, sh = 0, sw = 0, sc = 0;
  int64_t at(int64_t b, int64_t y, int64_t x, int64_t ch) const { return b * sn + y * sh + x * sw + ch * sc; }
};

inline View4 view4(const Shape& s, bool nchw) {
  View4 v;
  if (nchw) {
    v.n = s[0], v.c = s[1], v.h = s[2], v.w = s[3];
    v.sw = 1, v.sh = v.w, v.sc = v.h * v.w, v.sn = v.c * v.h * v.w;
  } else {
    v.n = s[0], v.h = s[1], v.w = s[2], v.c = s[3];
    v.sc = 1, v.sw = v.c, v.sh = v.w * v.c, v.sn = v.h * v.w * v.c;
  }
  return v;
}

inline Shape make_shape4(int64_t n, int64_t h, int64_t w, int64_t c, bool nchw) {
  return nchw ? Shape{n, c, h, w} : Shape{n, h, w, c};
}

// Window geometry attrs shared by the pooling and convolution grads.
struct Window {
  bool nchw = false;
  std::string padding;
  std::vector<int64_t> ksize, strides, dilations{1, 1, 1, 1}, explicit_pads;

  void parse(KernelInit& init, bool with_ksize) {
    std::string fmt = "NHWC";
    if (init.has_attr("data_format")) init.get("data_format", &fmt);
    if (fmt != "NHWC" && fmt != "NCHW") init.fail(invalid_argument(str_cat("Invalid data format: ", fmt)));
    nchw = fmt == "NCHW";
    init.get("padding", &padding);
    if (with_ksize) init.get("ksize", &ksize);
    if (init.has_attr("strides")) init.get("strides", &strides);
    if (init.has_attr("dilations")) init.get("dilations", &dilations);
    if (init.has_attr("explicit_paddings")) init.get("explicit_paddings", &explicit_pads);
    if (padding != "SAME" && padding != "VALID" && padding != "EXPLICIT")
      init.fail(invalid_argument(str_cat("Invalid padding: ", padding)));
  }
  // Index of spatial dim `i` (0 = rows, 1 = cols) in the 4-element attrs.
  int attr_dim(int i) const { return nchw ? 2 + i : 1 + i; }
  int64_t stride(int i) const { return strides[attr_dim(i)]; }
  int64_t dilation(int i) const { return dilations[attr_dim(i)]; }
};

// TF's GetWindowedOutputSize: output size and the padding before.
inline Status windowed_size(const Window& win, int i, int64_t in, int64_t k, int64_t* out, int64_t* pad) {
  const int64_t s = win.stride(i), d = win.dilation(i);
  MR_REQUIRE(s > 0, "Stride must be > 0, but got ", s);
  MR_REQUIRE(d > 0, "Dilation rate must be >= 1, but got ", d);
  const int64_t eff = (k - 1) * d + 1;
  if (win.padding == "VALID") {
    *out = (in - eff + s) / s;
    *pad = 0;
  } else if (win.padding == "SAME") {
    *out = (in + s - 1) / s;
    *pad = std::max<int64_t>(0, (*out - 1) * s + eff - in) / 2;
  } else {
    const int a = win.attr_dim(i);
    MR_REQUIRE(win.explicit_pads.size() == 8, "explicit_paddings attribute must contain 8 values, but got: ",
               win.explicit_pads.size());
    const int64_t before = win.explicit_pads[2 * a], after = win.explicit_pads[2 * a + 1];
    MR_REQUIRE(before >= 0 && after >= 0, "All elements of explicit_paddings must be nonnegative");
    *out = (in + before + after - eff + s) / s;
    *pad = before;
  }
  MR_REQUIRE(*out >= 0, "Computed output size would be negative: ", *out, " [input_size: ", in,
             ", effective_filter_size: ", eff, ", stride: ", s, "]");
  return Status();
}

}  // namespace grad_window
}  // namespace metarun
