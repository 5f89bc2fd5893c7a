// Gradients of the activations and of the normalisation ops that TF's
// gradient functions put into training graphs: ReluGrad and friends, the
// cwise `*Grad` ops of sigmoid/tanh/sqrt/rsqrt/reciprocal, BiasAddGrad and
// FusedBatchNormGrad (V1..V3).
//
// The formulas are TF's own (relu_op_functor.h, cwise_ops_gradients.h); the
// complex forms of the cwise grads use the conjugated output as TF does.
#include <cmath>
#include <type_traits>

#include "kernels/util/elementwise.h"
#include "kernels/util/elementwise_fns.h"

namespace metarun {
namespace {

template <class T> T conj_of(T v) {
  if constexpr (is_complex_v<T>) return std::conj(v);
  else return v;
}

// Functors take (input 0, input 1). Relu-style ops read (gradients, features);
// the cwise grads read (y, dy).
struct GradFn {
  float alpha = 0;  // LeakyReluGrad's attr
};
struct ReluGradFn : GradFn {
  template <class T> T operator()(T g, T f) const { return relu_grad_of(g, f); }
};
struct Relu6GradFn : GradFn {
  template <class T> T operator()(T g, T f) const {
    auto x = Compute<T>(f);
    return (x > 0 && x < 6) ? g : T(0);
  }
};
struct EluGradFn : GradFn {
  template <class T> T operator()(T g, T y) const {
    auto o = Compute<T>(y);
    return o < 0 ? T(Compute<T>(g) * (o + 1)) : g;
  }
};
struct SeluGradFn : GradFn {
  template <class T> T operator()(T g, T y) const {
    using C = Compute<T>;
    const C scale = C(1.0507009873554804934193349852946);
    const C scale_alpha = C(1.7580993408473768599402175208123);
    C o = C(y);
    return o < 0 ? T(C(g) * (o + scale_alpha)) : T(C(g) * scale);
  }
};
struct LeakyReluGradFn : GradFn {
  template <class T> T operator()(T g, T f) const {
    using C = Compute<T>;
    return C(f) > 0 ? g : T(C(g) * C(T(alpha)));
  }
};
struct SoftplusGradFn : GradFn {
  template <class T> T operator()(T g, T f) const {
    using C = Compute<T>;
    return T(C(g) / (std::exp(-C(f)) + C(1)));
  }
};
struct SoftsignGradFn : GradFn {
  template <class T> T operator()(T g, T f) const {
    using C = Compute<T>;
    C d = std::abs(C(f)) + C(1);
    return T(C(g) / (d * d));
  }
};
struct SigmoidGradFn : GradFn {
  template <class T> T operator()(T y, T dy) const {
    using C = Compute<T>;
    C o = C(y);
    return T(C(dy) * o * (C(1) - o));
  }
};
struct TanhGradFn : GradFn {
  template <class T> T operator()(T y, T dy) const {
    using C = Compute<T>;
    C o = C(y);
    return T(C(dy) * (C(1) - o * o));
  }
};
struct RsqrtGradFn : GradFn {
  template <class T> T operator()(T y, T dy) const {
    using C = Compute<T>;
    C o = conj_of(C(y));
    return T(C(-0.5) * (C(dy) * o) * (o * o));
  }
};
struct SqrtGradFn : GradFn {
  template <class T> T operator()(T y, T dy) const {
    using C = Compute<T>;
    return T(C(0.5) * C(dy) / conj_of(C(y)));
  }
};
struct ReciprocalGradFn : GradFn {
  template <class T> T operator()(T y, T dy) const {
    using C = Compute<T>;
    C o = conj_of(C(y));
    return T(-o * o * C(dy));
  }
};

// The typed element loop; everything else in the kernel is type-free, which
// keeps the ~80 (op, dtype) instantiations cheap to compile.
using GradLoop = void (*)(const void* a, const void* b, void* out, int64_t begin, int64_t end, float alpha);

template <class T, class Fn>
void grad_loop(const void* a, const void* b, void* out, int64_t begin, int64_t end, float alpha) {
  Fn fn;
  fn.alpha = alpha;
  const T* x = static_cast<const T*>(a);
  const T* y = static_cast<const T*>(b);
  T* z = static_cast<T*>(out);
  int64_t i = begin;
  if constexpr (std::is_same_v<T, float>) {
    // Fixed blocks of 16 on restrict pointers, which GCC's -O2 vectorizer
    // takes (branch-free selects for ReluGrad); a runtime trip count over
    // possibly aliased pointers stays scalar. Same expression, same bits.
    for (; i + 16 <= end; i += 16) {
      const float* __restrict xs = x + i;
      const float* __restrict ys = y + i;
      float* __restrict zs = z + i;
      for (int j = 0; j < 16; ++j) zs[j] = fn(xs[j], ys[j]);
    }
  }
  for (; i < end; ++i) z[i] = fn(x[i], y[i]);
}

// same_shape: the relu family's ValidateSameShape; otherwise TF's cwise
// check, which compares element counts only.
class ActivationGradKernel : public OpKernel {
 public:
  ActivationGradKernel(KernelInit& init, GradLoop loop, bool same_shape)
      : loop_(loop), same_shape_(same_shape), op_(init.op()) {
    if (init.has_attr("alpha")) init.get("alpha", &alpha_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    if (same_shape_) {
      MR_REQUIRE(a.shape() == b.shape(), "Inputs to operation ", op_, " of type ", op_,
                 " must have the same size and shape.  Input 0: ", shape_str(a.shape()),
                 " != input 1: ", shape_str(b.shape()));
    } else {
      MR_REQUIRE(a.num_elements() == b.num_elements(),
                 "The two arguments to a cwise op must have same number of elements, got ",
                 a.num_elements(), " and ", b.num_elements());
    }
    Tensor& out = ctx.allocate_output(0, a.shape());
    const void* x = a.raw();
    const void* y = b.raw();
    void* z = out.raw();
    ctx.parallel_for(a.num_elements(), kTranscendentalCost,
                     [&](int64_t begin, int64_t end) { loop_(x, y, z, begin, end, alpha_); });
    return Status();
  }

 private:
  GradLoop loop_;
  bool same_shape_;
  float alpha_ = 0.2f;
  std::string op_;
};

template <class Fn>
auto relu_grad = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<ActivationGradKernel>(init, &grad_loop<decltype(tag), Fn>, true);
};
template <class Fn>
auto cwise_grad = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<ActivationGradKernel>(init, &grad_loop<decltype(tag), Fn>, false);
};

// Sums in a wider type so the 16-bit floats do not lose the small terms.
template <class T> using Accum =
    std::conditional_t<is_half_v<T>, float, std::conditional_t<std::is_same_v<T, float>, double, T>>;

bool parse_channels_first(KernelInit& init, bool allow_3d) {
  std::string fmt = "NHWC";
  if (init.has_attr("data_format")) init.get("data_format", &fmt);
  if (fmt == "NHWC" || (allow_3d && fmt == "NDHWC")) return false;
  if (fmt == "NCHW" || (allow_3d && fmt == "NCDHW")) return true;
  init.fail(invalid_argument(str_cat("Invalid data format: ", fmt)));
  return false;
}

// BiasAddGrad: the sum of out_backprop over every dim but the channel dim
// (the last for NHWC, dim 1 for NCHW).
template <class T>
class BiasAddGradKernel : public OpKernel {
 public:
  explicit BiasAddGradKernel(KernelInit& init) { nchw_ = parse_channels_first(init, false); }
  Status compute(OpContext& ctx) override {
    const Tensor& g = ctx.input(0);
    MR_REQUIRE(g.rank() >= 2, "Input tensor must be at least 2D: ", shape_str(g.shape()));
    const int cdim = nchw_ ? 1 : g.rank() - 1;
    const int64_t channels = g.dim(cdim);
    const int64_t outer = dims_product(g.shape(), 0, cdim);
    const int64_t inner = dims_product(g.shape(), cdim + 1, g.rank());
    Tensor& out = ctx.allocate_output(0, {channels});
    const T* src = g.data<T>();
    T* dst = out.data<T>();
    ctx.parallel_for(channels, double(outer * inner), [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        Accum<T> sum = Accum<T>(0);
        for (int64_t o = 0; o < outer; ++o) {
          const T* row = src + (o * channels + c) * inner;
          for (int64_t i = 0; i < inner; ++i) sum += Accum<T>(row[i]);
        }
        dst[c] = T(sum);
      }
    });
    return Status();
  }

 private:
  bool nchw_ = false;
};

auto bias_add_grad = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<BiasAddGradKernel<decltype(tag)>>(init);
};

// FusedBatchNormGrad{,V2,V3}: x and y_backprop are T, scale and the reserve
// spaces float. Training uses the batch statistics in reserve_space_1/2
// (mean, biased variance); inference the population ones. Outputs 3 and 4
// are unused placeholders, shaped as TF shapes them: scalars, [0] for V3.
template <class T>
class FusedBatchNormGradKernel : public OpKernel {
 public:
  explicit FusedBatchNormGradKernel(KernelInit& init) : v3_(init.op() == "FusedBatchNormGradV3") {
    if (init.has_attr("epsilon")) init.get("epsilon", &epsilon_);
    if (init.has_attr("is_training")) init.get("is_training", &is_training_);
    channels_first_ = parse_channels_first(init, true);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& dy = ctx.input(0);
    const Tensor& x = ctx.input(1);
    const Tensor& scale = ctx.input(2);
    const Tensor& mean = ctx.input(3);
    const Tensor& var = ctx.input(4);
    const int rank = x.rank();
    MR_REQUIRE(dy.rank() == 4 || dy.rank() == 5, "input must be 4 or 5-dimensional",
               shape_str(dy.shape()));
    MR_REQUIRE(rank == 4 || rank == 5, "input must be 4 or 5-dimensional", shape_str(x.shape()));
    MR_REQUIRE(scale.rank() == 1, "scale must be 1-dimensional", shape_str(scale.shape()));
    MR_REQUIRE(mean.rank() == 1, "saved mean must be 1-dimensional", shape_str(mean.shape()));
    MR_REQUIRE(var.rank() == 1, "saved variance must be 1-dimensional", shape_str(var.shape()));
    MR_REQUIRE(x.shape() == dy.shape(), "x and y_backprop must have same shape, but x has shape ",
               shape_str(x.shape()), " and y_backprop has shape ", shape_str(dy.shape()));
    const int cdim = channels_first_ ? 1 : rank - 1;
    const int64_t c = x.dim(cdim);
    MR_REQUIRE(scale.dim(0) == c, "scale must have the same number of elements as the channels of x, got ",
               scale.dim(0), " and ", c);
    MR_REQUIRE(mean.dim(0) == c, "reserve_space_1 must have the same number of elements as the channels of x, got ",
               mean.dim(0), " and ", c);
    MR_REQUIRE(var.dim(0) == c, "reserve_space_2 must have the same number of elements as the channels of x, got ",
               var.dim(0), " and ", c);
    const int64_t outer = dims_product(x.shape(), 0, cdim);
    const int64_t inner = dims_product(x.shape(), cdim + 1, rank);

    Tensor& dx = ctx.allocate_output(0, x.shape());
    Tensor& dscale = ctx.allocate_output(1, {c});
    Tensor& doffset = ctx.allocate_output(2, {c});
    Shape extra = v3_ ? Shape{0} : Shape{};
    for (int k = 3; k < 5; ++k) {
      Tensor& e = ctx.allocate_output(k, extra);
      if (e.num_elements()) *e.data<float>() = 0.f;
    }
    const T* pdy = dy.data<T>();
    const T* px = x.data<T>();
    T* pdx = dx.data<T>();
    const float* ps = scale.data<float>();
    const float* pm = mean.data<float>();
    const float* pv = var.data<float>();
    float* pds = dscale.data<float>();
    float* pdo = doffset.data<float>();
    const int64_t rest = outer * inner;
    ctx.parallel_for(c, double(rest) * 6, [&](int64_t begin, int64_t end) {
      for (int64_t ch = begin; ch < end; ++ch) {
        auto at = [&](int64_t o, int64_t i) { return (o * c + ch) * inner + i; };
        const double m = pm[ch];
        const double inv = 1.0 / std::sqrt(double(pv[ch]) + double(epsilon_));
        double sum_dy = 0, sum_dy_xc = 0;
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t i = 0; i < inner; ++i) {
            const int64_t k = at(o, i);
            const double g = float(pdy[k]);
            sum_dy += g;
            sum_dy_xc += g * (double(float(px[k])) - m);
          }
        pds[ch] = float(sum_dy_xc * inv);
        pdo[ch] = float(sum_dy);
        const double coef = double(ps[ch]) * inv;
        const double mean_dy = rest ? sum_dy / double(rest) : 0.0;
        const double mean_dy_xc = rest ? sum_dy_xc / double(rest) : 0.0;
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t i = 0; i < inner; ++i) {
            const int64_t k = at(o, i);
            const double g = float(pdy[k]);
            if (!is_training_) {
              pdx[k] = T(float(g * coef));
            } else {
              const double xc = double(float(px[k])) - m;
              pdx[k] = T(float(coef * (g - mean_dy - xc * mean_dy_xc * inv * inv)));
            }
          }
      }
    });
    return Status();
  }

 private:
  bool v3_;
  float epsilon_ = 1e-4f;
  bool is_training_ = true;
  bool channels_first_ = false;
};

auto fused_batch_norm_grad = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<FusedBatchNormGradKernel<decltype(tag)>>(init);
};

using ActivationTypes = FloatTypes;
using CwiseGradTypes = FloatComplexTypes;

}  // namespace

void register_nn_grad_ops(Registry& r) {
  r.add<RealTypes>("ReluGrad", relu_grad<ReluGradFn>);
  r.add<RealTypes>("Relu6Grad", relu_grad<Relu6GradFn>);
  r.add<ActivationTypes>("EluGrad", relu_grad<EluGradFn>);
  r.add<ActivationTypes>("SeluGrad", relu_grad<SeluGradFn>);
  r.add<ActivationTypes>("LeakyReluGrad", relu_grad<LeakyReluGradFn>);
  r.add<ActivationTypes>("SoftplusGrad", relu_grad<SoftplusGradFn>);
  r.add<ActivationTypes>("SoftsignGrad", relu_grad<SoftsignGradFn>);
  r.add<CwiseGradTypes>("SigmoidGrad", cwise_grad<SigmoidGradFn>);
  r.add<CwiseGradTypes>("TanhGrad", cwise_grad<TanhGradFn>);
  r.add<CwiseGradTypes>("RsqrtGrad", cwise_grad<RsqrtGradFn>);
  r.add<CwiseGradTypes>("SqrtGrad", cwise_grad<SqrtGradFn>);
  r.add<CwiseGradTypes>("ReciprocalGrad", cwise_grad<ReciprocalGradFn>);
  r.add<CwiseGradTypes>("InvGrad", cwise_grad<ReciprocalGradFn>);
  r.add<NumberTypes>("BiasAddGrad", bias_add_grad);
  r.add<TypeList<float>>("FusedBatchNormGrad", fused_batch_norm_grad);
  r.add<TypeList<float, Half, BFloat16>>("FusedBatchNormGradV2", fused_batch_norm_grad);
  r.add<TypeList<float, Half, BFloat16>>("FusedBatchNormGradV3", fused_batch_norm_grad);
}

}  // namespace metarun
