// Pooling gradients: MaxPoolGrad(V2) and AvgPoolGrad, and the plan-time
// fusion _MaxPoolGradWithReluGrad (executor/fusion.h): MaxPoolGrad's attrs
// and inputs, then ReluGrad with the pooled input as features, applied to
// each image's input gradient right after it is routed (still in cache)
// instead of in a second pass over the whole tensor. Same element function
// on the same values, so the two nodes' bits; inputs MaxPoolGrad would
// reject make it decline (decline_fusion), and the two nodes run instead.
//
// MaxPoolGrad is NHWC-only, as on TF's CPU; AvgPoolGrad also takes NCHW, as
// TF's default (oneDNN) CPU build does.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "framework/fusion_decline.h"
#include "kernels/util/elementwise.h"
#include "kernels/util/elementwise_fns.h"
#include "kernels/util/grad_window.h"

namespace metarun {
namespace {

using namespace grad_window;

Status check_pool_attrs(const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides, bool nchw) {
  MR_REQUIRE(ksize.size() == 4, "Sliding window ksize field must specify 4 dimensions");
  MR_REQUIRE(strides.size() == 4, "Sliding window stride field must specify 4 dimensions");
  const int b = 0, d = nchw ? 1 : 3;
  MR_REQUIRE(ksize[b] == 1 && strides[b] == 1, "Pooling is not yet supported on the batch dimension.");
  if (ksize[d] != 1 || strides[d] != 1)
    return unimplemented("MaxPoolingGrad is not yet supported on the depth dimension.");
  for (int i = 0; i < 4; ++i) MR_REQUIRE(ksize[i] > 0, "Sliding window ksize must be positive.");
  return Status();
}

Status require_rank4(const Tensor& t, const char* what) {
  MR_REQUIRE(t.rank() == 4, what, " must be 4-dimensional");
  return Status();
}

// Output geometry of a pooling op; checks the incoming gradient's shape.
Status pool_geometry(const Window& win, const View4& in, const Tensor& grad, int64_t out_hw[2],
                     int64_t pad[2]) {
  const int64_t in_hw[2] = {in.h, in.w};
  for (int i = 0; i < 2; ++i)
    MR_RETURN_IF_ERROR(windowed_size(win, i, in_hw[i], win.ksize[win.attr_dim(i)], &out_hw[i], &pad[i]));
  Shape want = make_shape4(in.n, out_hw[0], out_hw[1], in.c, win.nchw);
  MR_REQUIRE(grad.shape() == want, "Expected grad shape to be ", shape_str(want), ", but got ",
             shape_str(grad.shape()));
  return Status();
}

// MaxPoolGrad routes each output gradient to the first maximum of its window
// in row-major scan order (ties go to the earliest; a NaN that comes first
// stays the maximum), recomputed from orig_input as TF's CPU kernel does;
// orig_output only has to be 4-D. Each gradient is added to a zeroed input
// gradient, so a -0 arrives as +0 and overlapping windows sum in output order.
template <class T>
class MaxPoolGradKernel : public OpKernel {
  using C = Compute<T>;

 public:
  explicit MaxPoolGradKernel(KernelInit& init)
      : v2_(init.op() == "MaxPoolGradV2"), relu_(init.op() == "_MaxPoolGradWithReluGrad") {
    win_.parse(init, !v2_);
    if (win_.nchw) init.fail(invalid_argument("Default MaxPoolingGradOp only supports NHWC on device type CPU"));
  }
  Status compute(OpContext& ctx) override {
    Window win = win_;
    int64_t out_hw[2], pad[2];
    Status st = check(ctx, &win, out_hw, pad);
    if (!st.ok()) return relu_ ? decline_fusion() : st;
    const Tensor& x = ctx.input(0);
    const Tensor& grad = ctx.input(2);
    const View4 in = view4(x.shape(), false);
    Tensor& dx = ctx.allocate_output(0, x.shape());
    Geometry g;
    g.kh = win.ksize[1], g.kw = win.ksize[2], g.sh = win.strides[1], g.sw = win.strides[2];
    g.pad_h = pad[0], g.pad_w = pad[1], g.oh = out_hw[0], g.ow = out_hw[1];
    // Windows that never overlap let each input gradient be written once;
    // windows that also tile the input exactly leave nothing to zero first.
    g.disjoint = g.sh >= g.kh && g.sw >= g.kw;
    const bool tiles = g.disjoint && g.sh == g.kh && g.sw == g.kw && g.pad_h == 0 && g.pad_w == 0 &&
                       g.oh * g.kh == in.h && g.ow * g.kw == in.w;
    const T* px = x.data<T>();
    const T* pg = grad.data<T>();
    T* pdx = dx.data<T>();
    ctx.parallel_for(in.n, double(in.sn), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        if (!tiles) std::fill(pdx + b * in.sn, pdx + (b + 1) * in.sn, T(0));
        route_image(g, in, px + b * in.sn, pg + b * g.oh * g.ow * in.c, pdx + b * in.sn);
        if (relu_) relu_grad_image(pdx + b * in.sn, px + b * in.sn, in.sn);
      }
    });
    return Status();
  }

 private:
  // MaxPoolGrad's checks of its attrs and inputs, in TF's order.
  Status check(OpContext& ctx, Window* win_out, int64_t out_hw[2], int64_t pad[2]) {
    const Tensor& x = ctx.input(0);
    const Tensor& grad = ctx.input(2);
    Window& win = *win_out;
    if (v2_) {
      MR_RETURN_IF_ERROR(tensor_to_vector(ctx.input(3), &win.ksize, "ksize"));
      MR_RETURN_IF_ERROR(tensor_to_vector(ctx.input(4), &win.strides, "strides"));
    }
    MR_RETURN_IF_ERROR(check_pool_attrs(win.ksize, win.strides, false));
    MR_RETURN_IF_ERROR(require_rank4(x, "tensor_in"));
    MR_RETURN_IF_ERROR(require_rank4(ctx.input(1), "tensor_out"));
    MR_RETURN_IF_ERROR(require_rank4(grad, "out_backprop"));
    const View4 in = view4(x.shape(), false);
    return pool_geometry(win, in, grad, out_hw, pad);
  }

  // ReluGrad(dx, x) in place over one image, in fixed blocks of 16 that
  // GCC's -O2 vectorizer takes (a select per element).
  static void relu_grad_image(T* __restrict dx, const T* __restrict x, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
      for (int j = 0; j < 16; ++j) dx[i + j] = relu_grad_of(dx[i + j], x[i + j]);
    for (; i < n; ++i) dx[i] = relu_grad_of(dx[i], x[i]);
  }

  struct Geometry {
    int64_t kh, kw, sh, sw, pad_h, pad_w, oh, ow;
    bool disjoint;
  };
  // A window's clipped extent and the strides of its rows and columns.
  struct Span {
    int64_t rows, cols, row_stride, col_stride;
  };

  static void route_image(const Geometry& g, const View4& in, const T* x, const T* grad, T* dx) {
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const int64_t h0 = std::max<int64_t>(oh * g.sh - g.pad_h, 0);
      const int64_t h1 = std::min(oh * g.sh - g.pad_h + g.kh, in.h);
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t w0 = std::max<int64_t>(ow * g.sw - g.pad_w, 0);
        const int64_t w1 = std::min(ow * g.sw - g.pad_w + g.kw, in.w);
        if (h0 >= h1 || w0 >= w1) continue;
        const Span s{h1 - h0, w1 - w0, in.sh, in.sw};
        const int64_t off = h0 * in.sh + w0 * in.sw;
        const T* gw = grad + (oh * g.ow + ow) * in.c;
        int64_t c = 0;
        if constexpr (std::is_same_v<T, float>) {
          for (; c + kLanes <= in.c; c += kLanes) route_lanes(s, x + off + c, gw + c, dx + off + c, g.disjoint);
        }
        for (; c < in.c; ++c) route_channel(s, x + off + c, gw[c], dx + off + c, g.disjoint);
      }
    }
  }

  // One channel of one window: the scan index of its first maximum, then
  // the gradient to that position (int32 indices: a window of 2^31 input
  // pixels would not fit in memory).
  static void route_channel(const Span& s, const T* x, T grad, T* dx, bool disjoint) {
    C best = C(x[0]);
    int32_t first = 0, t = 0;
    for (int64_t h = 0; h < s.rows; ++h)
      for (int64_t w = 0; w < s.cols; ++w, ++t) {
        const C v = C(x[h * s.row_stride + w * s.col_stride]);
        const bool above = best < v;
        best = above ? v : best;
        first = above ? t : first;
      }
    t = 0;
    for (int64_t h = 0; h < s.rows; ++h)
      for (int64_t w = 0; w < s.cols; ++w, ++t) {
        T& d = dx[h * s.row_stride + w * s.col_stride];
        if (disjoint) d = first == t ? T(C(0) + C(grad)) : T(0);
        else if (first == t) d = T(C(d) + C(grad));
      }
  }

  // The same for kLanes float channels at once, branch-free: a scan index
  // per lane, and adding +0 where a window does not route (exact: the
  // zeroed input gradient never holds -0).
  static constexpr int kLanes = 4;  // one SSE register, the x86-64 baseline
  typedef float VF __attribute__((vector_size(kLanes * sizeof(float))));
  typedef int32_t VI __attribute__((vector_size(kLanes * sizeof(int32_t))));
  static void route_lanes(const Span& s, const float* x, const float* grad, float* dx, bool disjoint) {
    VF best = load(x);
    VI first = {}, t = {};
    for (int64_t h = 0; h < s.rows; ++h)
      for (int64_t w = 0; w < s.cols; ++w, t += 1) {
        const VF v = load(x + h * s.row_stride + w * s.col_stride);
        const VI above = best < v;
        best = VF((VI(v) & above) | (VI(best) & ~above));
        first = (t & above) | (first & ~above);
      }
    const VF zero = {};
    const VI g = VI(load(grad) + zero);
    t = VI{};
    for (int64_t h = 0; h < s.rows; ++h)
      for (int64_t w = 0; w < s.cols; ++w, t += 1) {
        float* d = dx + h * s.row_stride + w * s.col_stride;
        const VF routed = VF(g & (first == t));
        store(d, disjoint ? routed : load(d) + routed);
      }
  }
  static VF load(const float* p) {
    VF v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }
  static void store(float* p, VF v) { std::memcpy(p, &v, sizeof(v)); }

  bool v2_, relu_;
  Window win_;
};

// TF's GetBroadcastSize: the input span an output position averaged over.
// The clip at the far edge compares against the full window, as TF does.
void broadcast_span(int64_t index, int64_t in_size, int64_t k, int64_t stride, int64_t pad, int64_t* start,
                    int64_t* size) {
  *start = index * stride;
  *size = k;
  if (*start < pad) {
    *size = k + *start - pad;
    *start = 0;
  } else {
    *start -= pad;
  }
  if (*start + k > in_size) *size = std::min(in_size - *start, k);
}

template <class T>
class AvgPoolGradKernel : public OpKernel {
 public:
  explicit AvgPoolGradKernel(KernelInit& init) { win_.parse(init, true); }
  Status compute(OpContext& ctx) override {
    const Tensor& shape_t = ctx.input(0);
    const Tensor& grad = ctx.input(1);
    MR_REQUIRE(shape_t.rank() == 1 && shape_t.num_elements() == 4,
               "orig_input_shape must be 1-dimensional and 4 elements");
    MR_RETURN_IF_ERROR(require_rank4(grad, "out_backprop"));
    MR_RETURN_IF_ERROR(check_pool_attrs(win_.ksize, win_.strides, win_.nchw));
    Shape shape(4);
    for (int i = 0; i < 4; ++i) {
      shape[i] = index_at(shape_t, i);
      MR_REQUIRE(shape[i] >= 0, "orig_input_shape must be non-negative, got ", shape_str(shape));
    }
    const View4 in = view4(shape, win_.nchw);
    int64_t out_hw[2], pad[2];
    MR_RETURN_IF_ERROR(pool_geometry(win_, in, grad, out_hw, pad));
    const View4 g = view4(grad.shape(), win_.nchw);
    Tensor& dx = ctx.allocate_output(0, shape);
    const T* pg = grad.data<T>();
    T* pdx = dx.data<T>();
    const int a0 = win_.attr_dim(0), a1 = win_.attr_dim(1);
    const int64_t kh = win_.ksize[a0], kw = win_.ksize[a1];
    const int64_t sh = win_.strides[a0], sw = win_.strides[a1];
    using C = Compute<T>;
    ctx.parallel_for(in.n, double(out_hw[0] * out_hw[1] * kh * kw * in.c), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        std::fill(pdx + b * in.sn, pdx + (b + 1) * in.sn, T(0));
        for (int64_t oh = 0; oh < out_hw[0]; ++oh) {
          int64_t hs, hn;
          broadcast_span(oh, in.h, kh, sh, pad[0], &hs, &hn);
          for (int64_t ow = 0; ow < out_hw[1]; ++ow) {
            int64_t ws, wn;
            broadcast_span(ow, in.w, kw, sw, pad[1], &ws, &wn);
            if (hn <= 0 || wn <= 0) continue;
            const C coeff = C(T(C(1) / C(hn * wn)));
            for (int64_t h = hs; h < hs + hn; ++h)
              for (int64_t w = ws; w < ws + wn; ++w)
                for (int64_t c = 0; c < in.c; ++c) {
                  T& d = pdx[in.at(b, h, w, c)];
                  d = T(C(d) + C(T(C(pg[g.at(b, oh, ow, c)]) * coeff)));
                }
          }
        }
      }
    });
    return Status();
  }

 private:
  Window win_;
};

auto max_pool_grad = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<MaxPoolGradKernel<decltype(tag)>>(init);
};
auto avg_pool_grad = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<AvgPoolGradKernel<decltype(tag)>>(init);
};

}  // namespace

void register_pool_grad_ops(Registry& r) {
  r.add<RealTypes>("MaxPoolGrad", max_pool_grad);
  r.add<RealTypes>("MaxPoolGradV2", max_pool_grad);
  r.add<TypeList<float>>("_MaxPoolGradWithReluGrad", max_pool_grad);
  r.add<FloatTypes>("AvgPoolGrad", avg_pool_grad);
}
}  // namespace metarun
