// MaxPoolWithArgmax and MaxPoolGradWithArgmax; Dilation2D (grayscale
// morphological dilation) and its two backprops. All NHWC, as TF's CPU
// kernels are.
//
// Ties follow TF's scan order: windows are walked row-major and a later
// element replaces the best only when strictly greater, so the first maximum
// wins and a NaN wins only from the first position. The dilation backprops
// route each gradient to that one position; when no position beats the
// lowest value (all -inf), TF's starting positions take it: the clamped
// window corner for the input, the filter's (0, 0).
//
// Sums wrap for integers and round to T at each step for 16-bit floats,
// as TF's T-typed arithmetic does. TF has no CPU kernel for
// MaxPoolGradGradWithArgmax, so neither does metarun.
#include <algorithm>
#include <limits>
#include <type_traits>

#include "framework/registry.h"
#include "kernels/util/window.h"

namespace metarun {
namespace {

template <class T>
T add_t(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else if constexpr (is_half_v<T>) {
    return T(static_cast<float>(a) + static_cast<float>(b));
  } else {
    return a + b;
  }
}

// TF's starting value for a running maximum: Eigen's lowest finite value
// (so a dilation whose sums are all -inf gives that, not -inf).
template <class T>
T lowest() {
  if constexpr (is_half_v<T>) {
    T t;
    t.bits = std::is_same_v<T, Half> ? 0xFBFF : 0xFF7F;
    return t;
  } else {
    return std::numeric_limits<T>::lowest();
  }
}

Status parse_padding(KernelInit& init, Padding* out) {
  std::string p;
  init.get("padding", &p);
  if (p == "SAME") *out = Padding::kSame;
  else if (p == "VALID") *out = Padding::kValid;
  else return invalid_argument(str_cat("Invalid padding: ", p));
  return Status();
}

// -- MaxPoolWithArgmax ------------------------------------------------------

struct PoolAttrs {
  int64_t ksize[2] = {1, 1};
  int64_t stride[2] = {1, 1};
  Padding padding = Padding::kValid;
  bool include_batch = false;
};

Status read_pool_attrs(KernelInit& init, PoolAttrs* a) {
  std::vector<int64_t> ksize, strides;
  init.get("ksize", &ksize);
  init.get("strides", &strides);
  if (init.has_attr("include_batch_in_index")) init.get("include_batch_in_index", &a->include_batch);
  MR_RETURN_IF_ERROR(parse_padding(init, &a->padding));
  MR_REQUIRE(ksize.size() == 4, "Sliding window ksize field must specify 4 dimensions");
  MR_REQUIRE(strides.size() == 4, "Sliding window stride field must specify 4 dimensions");
  if (ksize[0] != 1 || strides[0] != 1)
    return unimplemented("Pooling is not yet supported on the batch dimension.");
  if (ksize[3] != 1 || strides[3] != 1)
    return unimplemented("MaxPoolWithArgmax pools over height and width only");
  for (int d = 0; d < 2; ++d) {
    MR_REQUIRE(ksize[1 + d] > 0, "Sliding window ksize for dimension ", 1 + d, " was zero.");
    MR_REQUIRE(strides[1 + d] > 0, "Sliding window stride for dimension ", 1 + d, " was zero.");
    a->ksize[d] = ksize[1 + d];
    a->stride[d] = strides[1 + d];
  }
  return Status();
}

struct PoolGeom {
  int64_t n, h, w, c;
  WindowDim rows, cols;
};

Status pool_geom(const Tensor& input, const PoolAttrs& a, PoolGeom* g) {
  MR_REQUIRE(input.rank() == 4, "tensor_in must be 4-dimensional");
  g->n = input.dim(0), g->h = input.dim(1), g->w = input.dim(2), g->c = input.dim(3);
  const int64_t none[2] = {0, 0};
  MR_RETURN_IF_ERROR(window_dim(g->h, a.ksize[0], 1, a.stride[0], a.padding, none, &g->rows));
  return window_dim(g->w, a.ksize[1], 1, a.stride[1], a.padding, none, &g->cols);
}

template <class T>
class MaxPoolWithArgmaxKernel : public OpKernel {
 public:
  explicit MaxPoolWithArgmaxKernel(KernelInit& init) {
    DType targmax = DType::kInt64;
    if (init.has_attr("Targmax")) init.get("Targmax", &targmax);
    argmax32_ = targmax == DType::kInt32;
    Status s = read_pool_attrs(init, &attrs_);
    if (!s.ok()) init.fail(s);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& input = ctx.input(0);
    PoolGeom g;
    MR_RETURN_IF_ERROR(pool_geom(input, attrs_, &g));
    MR_REQUIRE(input.num_elements() > 0, "tensor_in must not be empty");
    const Shape out_shape{g.n, g.rows.out, g.cols.out, g.c};
    Tensor& out = ctx.allocate_output(0, out_shape);
    Tensor& arg = ctx.allocate_output(1, out_shape);
    if (out.num_elements() == 0) return Status();
    const T* in = input.data<T>();
    T* o = out.data<T>();
    int64_t* a64 = argmax32_ ? nullptr : arg.data<int64_t>();
    int32_t* a32 = argmax32_ ? arg.data<int32_t>() : nullptr;
    const int64_t oh = g.rows.out, ow = g.cols.out, c = g.c;
    const double cost = static_cast<double>(ow * c * attrs_.ksize[0] * attrs_.ksize[1]);
    ctx.parallel_for(g.n * oh, cost, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const int64_t b = r / oh, y = r % oh;
        const int64_t y0 = y * attrs_.stride[0] - g.rows.pad_before;
        const int64_t ys = std::max<int64_t>(0, y0), ye = std::min(g.h, y0 + attrs_.ksize[0]);
        for (int64_t x = 0; x < ow; ++x) {
          const int64_t x0 = x * attrs_.stride[1] - g.cols.pad_before;
          const int64_t xs = std::max<int64_t>(0, x0), xe = std::min(g.w, x0 + attrs_.ksize[1]);
          const int64_t at = (r * ow + x) * c;
          for (int64_t ch = 0; ch < c; ++ch) {
            T best = lowest<T>();
            int64_t best_pos = -1;
            for (int64_t iy = ys; iy < ye; ++iy)
              for (int64_t ix = xs; ix < xe; ++ix) {
                const int64_t pos = ((b * g.h + iy) * g.w + ix) * c + ch;
                if (best_pos < 0 || best < in[pos]) best = in[pos], best_pos = pos;
              }
            if (best_pos >= 0 && !attrs_.include_batch) best_pos -= b * g.h * g.w * c;
            o[at + ch] = best;
            if (a64) a64[at + ch] = best_pos;
            else a32[at + ch] = static_cast<int32_t>(best_pos);
          }
        }
      }
    });
    return Status();
  }

 private:
  PoolAttrs attrs_;
  bool argmax32_ = false;
};

template <class T>
class MaxPoolGradWithArgmaxKernel : public OpKernel {
 public:
  explicit MaxPoolGradWithArgmaxKernel(KernelInit& init) {
    DType targmax = DType::kInt64;
    if (init.has_attr("Targmax")) init.get("Targmax", &targmax);
    Status s = targmax == DType::kInt64
                   ? read_pool_attrs(init, &attrs_)
                   : invalid_argument(str_cat("No OpKernel was registered to support Op 'MaxPoolGradWithArgmax' "
                                              "with Targmax=", dtype_name(targmax), " (node ", init.name(), ")"));
    if (!s.ok()) init.fail(s);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& input = ctx.input(0);
    const Tensor& grad = ctx.input(1);
    const Tensor& argmax = ctx.input(2);
    PoolGeom g;
    MR_RETURN_IF_ERROR(pool_geom(input, attrs_, &g));
    const Shape out_shape{g.n, g.rows.out, g.cols.out, g.c};
    MR_REQUIRE(grad.shape() == out_shape, "Expected grad shape to be ", shape_str(out_shape), ", but got ",
               shape_str(grad.shape()));
    MR_REQUIRE(argmax.shape() == out_shape, "Expected argmax shape to be ", shape_str(out_shape), ", but got ",
               shape_str(argmax.shape()));
    Tensor& dx = ctx.allocate_output(0, input.shape());
    T* d = dx.data<T>();
    std::fill(d, d + dx.num_elements(), T(0));
    const T* gy = grad.data<T>();
    const int64_t* am = argmax.data<int64_t>();
    const int64_t in_size = g.h * g.w * g.c, out_size = g.rows.out * g.cols.out * g.c;
    for (int64_t b = 0; b < g.n; ++b) {
      const int64_t base = attrs_.include_batch ? 0 : b * in_size;
      for (int64_t i = b * out_size; i < (b + 1) * out_size; ++i) {
        const int64_t idx = base + am[i];
        // TF aborts the process here; an index outside its batch is an error.
        MR_REQUIRE(am[i] >= 0 && idx >= b * in_size && idx < (b + 1) * in_size, "Invalid argmax index ", am[i],
                   " at position ", i, " (batch ", b, " holds ", in_size, " input elements)");
        d[idx] = add_t(d[idx], gy[i]);
      }
    }
    return Status();
  }

 private:
  PoolAttrs attrs_;
};

// -- Dilation2D ---------------------------------------------------------------

struct DilationAttrs {
  int64_t stride[2] = {1, 1};
  int64_t rate[2] = {1, 1};
  Padding padding = Padding::kValid;
};

Status read_dilation_attrs(KernelInit& init, DilationAttrs* a) {
  std::vector<int64_t> strides, rates;
  init.get("strides", &strides);
  init.get("rates", &rates);
  MR_RETURN_IF_ERROR(parse_padding(init, &a->padding));
  MR_REQUIRE(strides.size() == 4, "Sliding window stride field must specify 4 dimensions");
  if (strides[0] != 1 || strides[3] != 1)
    return unimplemented("Current implementation does not yet support strides in the batch and depth dimensions.");
  MR_REQUIRE(rates.size() == 4, "Input stride (atrous rate) field must specify 4 dimensions");
  if (rates[0] != 1 || rates[3] != 1)
    return unimplemented("Current implementation does not yet support rates in the batch and depth dimensions.");
  for (int d = 0; d < 2; ++d) a->stride[d] = strides[1 + d], a->rate[d] = rates[1 + d];
  return Status();
}

struct DilationGeom {
  int64_t n, h, w, c, fh, fw;
  WindowDim rows, cols;
};

Status dilation_geom(const Tensor& input, const Tensor& filter, const DilationAttrs& a, DilationGeom* g) {
  MR_REQUIRE(input.rank() == 4, "input must be 4-dimensional", shape_str(input.shape()));
  MR_REQUIRE(filter.rank() == 3, "filter must be 3-dimensional: ", shape_str(filter.shape()));
  g->n = input.dim(0), g->h = input.dim(1), g->w = input.dim(2), g->c = input.dim(3);
  g->fh = filter.dim(0), g->fw = filter.dim(1);
  MR_REQUIRE(g->c == filter.dim(2), "input and filter must have the same depth: ", g->c, " vs ", filter.dim(2));
  // TF checks the strides only: a rate of 0 stacks every filter tap on one
  // input element, and any rate keeps the taps bounds-checked below.
  for (int d = 0; d < 2; ++d) MR_REQUIRE(a.stride[d] > 0, "Stride must be > 0, but got ", a.stride[d]);
  const int64_t none[2] = {0, 0};
  MR_RETURN_IF_ERROR(window_dim(g->h, g->fh, a.rate[0], a.stride[0], a.padding, none, &g->rows));
  return window_dim(g->w, g->fw, a.rate[1], a.stride[1], a.padding, none, &g->cols);
}

// The best input + filter sum over one output position's window, and where
// it was found (input row/col, filter row/col), starting from TF's defaults.
template <class T>
struct Best {
  T val = lowest<T>();
  int64_t iy, ix, fy = 0, fx = 0;
};

template <class T>
Best<T> dilation_best(const T* in, const T* f, const DilationGeom& g, const DilationAttrs& a, int64_t b, int64_t y,
                      int64_t x, int64_t ch) {
  const int64_t y0 = y * a.stride[0] - g.rows.pad_before, x0 = x * a.stride[1] - g.cols.pad_before;
  Best<T> best;
  best.iy = std::max<int64_t>(0, y0);
  best.ix = std::max<int64_t>(0, x0);
  for (int64_t fy = 0; fy < g.fh; ++fy) {
    const int64_t iy = y0 + fy * a.rate[0];
    if (iy < 0 || iy >= g.h) continue;
    for (int64_t fx = 0; fx < g.fw; ++fx) {
      const int64_t ix = x0 + fx * a.rate[1];
      if (ix < 0 || ix >= g.w) continue;
      const T v = add_t(in[((b * g.h + iy) * g.w + ix) * g.c + ch], f[(fy * g.fw + fx) * g.c + ch]);
      if (v > best.val) best = {v, iy, ix, fy, fx};
    }
  }
  return best;
}

enum class DilationPart { kForward, kInput, kFilter };

template <class T, DilationPart P>
class DilationKernel : public OpKernel {
 public:
  explicit DilationKernel(KernelInit& init) {
    Status s = read_dilation_attrs(init, &attrs_);
    if (!s.ok()) init.fail(s);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& input = ctx.input(0);
    const Tensor& filter = ctx.input(1);
    DilationGeom g;
    MR_RETURN_IF_ERROR(dilation_geom(input, filter, attrs_, &g));
    const Shape out_shape{g.n, g.rows.out, g.cols.out, g.c};
    const T* in = input.data<T>();
    const T* f = filter.data<T>();
    const int64_t oh = g.rows.out, ow = g.cols.out;
    if constexpr (P == DilationPart::kForward) {
      Tensor& out = ctx.allocate_output(0, out_shape);
      T* o = out.data<T>();
      const double cost = static_cast<double>(ow * g.c * g.fh * g.fw);
      ctx.parallel_for(g.n * oh, cost, [&](int64_t lo, int64_t hi) {
        for (int64_t r = lo; r < hi; ++r)
          for (int64_t x = 0; x < ow; ++x)
            for (int64_t ch = 0; ch < g.c; ++ch)
              o[(r * ow + x) * g.c + ch] = dilation_best(in, f, g, attrs_, r / oh, r % oh, x, ch).val;
      });
      return Status();
    } else {
      const Tensor& dy = ctx.input(2);
      MR_REQUIRE(dy.shape() == out_shape, "out_backprop has incompatible size: ", shape_str(dy.shape()),
                 " vs the output's ", shape_str(out_shape));
      const Tensor& like = P == DilationPart::kInput ? input : filter;
      Tensor& dx = ctx.allocate_output(0, like.shape());
      T* d = dx.data<T>();
      std::fill(d, d + dx.num_elements(), T(0));
      const T* gy = dy.data<T>();
      // Serial, in TF's order, so 16-bit float sums round the same way.
      for (int64_t r = 0; r < g.n * oh; ++r)
        for (int64_t x = 0; x < ow; ++x)
          for (int64_t ch = 0; ch < g.c; ++ch) {
            const int64_t b = r / oh;
            const Best<T> best = dilation_best(in, f, g, attrs_, b, r % oh, x, ch);
            const int64_t at = P == DilationPart::kInput ? ((b * g.h + best.iy) * g.w + best.ix) * g.c + ch
                                                         : (best.fy * g.fw + best.fx) * g.c + ch;
            d[at] = add_t(d[at], gy[(r * ow + x) * g.c + ch]);
          }
      return Status();
    }
  }

 private:
  DilationAttrs attrs_;
};

template <template <class> class K>
auto typed = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<decltype(tag)>>(init);
};

template <DilationPart P>
auto dilation = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<DilationKernel<decltype(tag), P>>(init);
};

}  // namespace

void register_argmax_dilation_ops(Registry& r) {
  r.add<RealTypes>("MaxPoolWithArgmax", typed<MaxPoolWithArgmaxKernel>);
  r.add<RealTypes>("MaxPoolGradWithArgmax", typed<MaxPoolGradWithArgmaxKernel>);
  r.add<RealTypes>("Dilation2D", dilation<DilationPart::kForward>);
  r.add<RealTypes>("Dilation2DBackpropInput", dilation<DilationPart::kInput>);
  r.add<RealTypes>("Dilation2DBackpropFilter", dilation<DilationPart::kFilter>);
}

}  // namespace metarun
