// Activations (Relu, Relu6, Elu, Selu, LeakyRelu, Softplus, Softsign), BiasAdd
// and LRN. Formulas are TF's CPU functors, evaluated in T with 16-bit floats
// rounded after every operation as Eigen::half does.
#include <cmath>
#include <limits>

#include "kernels/util/eigen_exp.h"
#include "kernels/util/elementwise.h"
#include "kernels/util/elementwise_fns.h"

namespace metarun {
namespace {

// Applies fn elementwise in fixed-size blocks over restrict pointers, so
// GCC's -O2 vectorizer (which skips loops needing a runtime epilogue) and
// branch-free selects keep simple activations at memory speed.
template <class T, class F>
void map_blocks(const T* __restrict x, T* __restrict y, int64_t n, const F& fn) {
  constexpr int64_t kBlock = 16;
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock)
    for (int64_t j = 0; j < kBlock; ++j) y[i + j] = fn(x[i + j]);
  for (; i < n; ++i) y[i] = fn(x[i]);
}

template <class T, class Fn>
class ActivationKernel : public OpKernel {
 public:
  explicit ActivationKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& a = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, a.shape());
    const T* x = a.data<T>();
    T* y = out.data<T>();
    Fn fn;
    ctx.parallel_for(a.num_elements(), Fn::kCost, [&](int64_t b, int64_t e) {
      map_blocks(x + b, y + b, e - b, [&](T v) { return fn(v); });
    });
    return Status();
  }
};

template <class Fn>
auto activation = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<ActivationKernel<decltype(tag), Fn>>(init);
};

template <class T> T sub1(T e) { return T(Compute<T>(e) - Compute<T>(T(1))); }
template <class T> T texp(T v) { return T(eigen_exp(Compute<T>(v))); }

struct EluFn : CostlyFn {
  template <class T> T operator()(T v) const { return Compute<T>(v) < 0 ? sub1(texp(v)) : v; }
};
struct SeluFn : CostlyFn {
  template <class T> T operator()(T v) const {
    const T scale = T(1.0507009873554804934193349852946);
    const T scale_alpha = T(1.7580993408473768599402175208123);
    if (Compute<T>(v) < 0) return T(Compute<T>(scale_alpha) * Compute<T>(sub1(texp(v))));
    return T(Compute<T>(scale) * Compute<T>(v));
  }
};
// softplus(x) = x above -threshold, exp(x) below threshold, log1p(exp(x))
// between; threshold = log(epsilon) + 2, computed in T as TF does.
struct SoftplusFn : CostlyFn {
  template <class T> T operator()(T v) const {
    using C = Compute<T>;
    constexpr int kDigits = std::is_same_v<T, Half> ? 11 : std::is_same_v<T, BFloat16>
                                                               ? 8 : std::numeric_limits<T>::digits;
    static const C threshold = C(T(C(T(std::log(C(std::ldexp(1.0, 1 - kDigits))))) + C(2)));
    const C x = C(v);
    if (x > -threshold) return v;
    const T e = texp(v);
    if (x < threshold) return e;
    return T(std::log1p(C(e)));
  }
};
struct SoftsignFn : CheapFn {
  template <class T> T operator()(T v) const {
    const T den = T(std::fabs(Compute<T>(v)) + Compute<T>(T(1)));
    return T(Compute<T>(v) / Compute<T>(den));
  }
};

template <class T>
class LeakyReluKernel : public OpKernel {
 public:
  explicit LeakyReluKernel(KernelInit& init) {
    float alpha = 0.2f;
    if (init.has_attr("alpha")) init.get("alpha", &alpha);
    alpha_ = T(alpha);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& a = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, a.shape());
    const T* x = a.data<T>();
    T* y = out.data<T>();
    const auto alpha = Compute<T>(alpha_);
    ctx.parallel_for(a.num_elements(), kCheapCost, [&](int64_t b, int64_t e) {
      map_blocks(x + b, y + b, e - b, [&](T t) {
        const auto v = Compute<T>(t);
        return T(v > 0 ? v : v * alpha);
      });
    });
    return Status();
  }

 private:
  T alpha_;
};

template <class T>
void add_rows(const T* __restrict x, const T* __restrict b, T* __restrict y, int64_t n) {
  constexpr int64_t kBlock = 16;
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock)
    for (int64_t j = 0; j < kBlock; ++j) y[i + j] = T(Compute<T>(x[i + j]) + Compute<T>(b[i + j]));
  for (; i < n; ++i) y[i] = T(Compute<T>(x[i]) + Compute<T>(b[i]));
}

// BiasAdd adds a vector along the channel dim: the last one for NHWC, dim 1
// for NCHW (rank >= 3; for rank 2 that is still the last dim).
template <class T>
class BiasAddKernel : public OpKernel {
 public:
  explicit BiasAddKernel(KernelInit& init) {
    if (!init.has_attr("data_format")) return;  // BiasAddV1, or an old graph
    std::string format;
    init.get("data_format", &format);
    if (format == "NCHW") nchw_ = true;
    else if (format != "NHWC")
      init.fail(invalid_argument(str_cat("Invalid data format: ", format)));
  }
  Status compute(OpContext& ctx) override {
    const Tensor& v = ctx.input(0);
    const Tensor& b = ctx.input(1);
    MR_REQUIRE(v.rank() >= 2, "Input tensor must be at least 2D: ", shape_str(v.shape()));
    MR_REQUIRE(b.rank() == 1, "Biases must be 1D: ", shape_str(b.shape()));
    const int channel_dim = nchw_ && v.rank() >= 3 ? 1 : v.rank() - 1;
    const int64_t channels = v.dim(channel_dim);
    MR_REQUIRE(b.dim(0) == channels, "Must provide as many biases as the ",
               channel_dim == v.rank() - 1 ? "last" : "channel",
               " dimension of the input tensor: ", shape_str(b.shape()), " vs. ",
               shape_str(v.shape()));
    Tensor& out = ctx.allocate_output(0, v.shape());
    const int64_t n = v.num_elements();
    if (n == 0) return Status();
    // Elements sharing one bias value in a run.
    const int64_t inner = dims_product(v.shape(), channel_dim + 1, v.rank());
    const T* x = v.data<T>();
    const T* bias = b.data<T>();
    T* y = out.data<T>();
    const int64_t runs = n / inner;
    ctx.parallel_for(runs, double(inner), [&](int64_t rb, int64_t re) {
      if (inner == 1) {
        for (int64_t r = rb; r < re;) {  // whole rows of `channels`, vectorizable
          const int64_t c0 = r % channels;
          const int64_t m = std::min(channels - c0, re - r);
          add_rows(x + r, bias + c0, y + r, m);
          r += m;
        }
        return;
      }
      for (int64_t r = rb; r < re; ++r) {
        const auto bv = Compute<T>(bias[r % channels]);
        map_blocks(x + r * inner, y + r * inner, inner, [&](T v) { return T(Compute<T>(v) + bv); });
      }
    });
    return Status();
  }

 private:
  bool nchw_ = false;
};

// Local response normalisation across depth, NHWC:
// out = in * (bias + alpha * sum(in^2 over [d - r, d + r]))^-beta.
template <class T>
class LrnKernel : public OpKernel {
 public:
  explicit LrnKernel(KernelInit& init) {
    if (init.has_attr("depth_radius")) init.get("depth_radius", &radius_);
    if (init.has_attr("bias")) init.get("bias", &bias_);
    if (init.has_attr("alpha")) init.get("alpha", &alpha_);
    if (init.has_attr("beta")) init.get("beta", &beta_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    MR_REQUIRE(in.rank() == 4, "in must be 4-dimensional");
    MR_REQUIRE(in.num_elements() <= std::numeric_limits<int>::max(), "argument to LRN too large");
    Tensor& out = ctx.allocate_output(0, in.shape());
    const int64_t depth = in.dim(3);
    if (in.num_elements() == 0) return Status();
    const int64_t rows = in.num_elements() / depth;
    const T* x = in.data<T>();
    T* y = out.data<T>();
    ctx.parallel_for(rows, double(depth) * 20, [&](int64_t b, int64_t e) {
      std::vector<float> sq(depth);
      for (int64_t r = b; r < e; ++r) {
        const T* xr = x + r * depth;
        for (int64_t d = 0; d < depth; ++d) sq[d] = float(xr[d]) * float(xr[d]);
        for (int64_t d = 0; d < depth; ++d) {
          const int64_t lo = std::max<int64_t>(0, d - radius_);
          const int64_t hi = std::min<int64_t>(depth - 1, d + radius_);
          float s = 0;
          for (int64_t k = lo; k <= hi; ++k) s += sq[k];
          const float t = s * alpha_ + bias_;
          float scale;
          if (beta_ == 1.0f) scale = 1.0f / t;
          else if (beta_ == 0.5f) scale = 1.0f / std::sqrt(t);
          else scale = std::exp(std::log(t) * -beta_);
          y[r * depth + d] = T(float(xr[d]) * scale);
        }
      }
    });
    return Status();
  }

 private:
  int64_t radius_ = 5;
  float bias_ = 1.0f, alpha_ = 1.0f, beta_ = 0.5f;
};

template <template <class> class K>
auto typed = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<decltype(tag)>>(init);
};

}  // namespace

void register_nn_ops(Registry& r) {
  r.add<RealTypes>("Relu", activation<ReluFn>);
  r.add<RealTypes>("Relu6", activation<Relu6Fn>);
  r.add<FloatTypes>("Elu", activation<EluFn>);
  r.add<FloatTypes>("Selu", activation<SeluFn>);
  r.add<FloatTypes>("Softplus", activation<SoftplusFn>);
  r.add<FloatTypes>("Softsign", activation<SoftsignFn>);
  r.add<FloatTypes>("LeakyRelu", typed<LeakyReluKernel>);
  r.add<NumberTypes>("BiasAdd", typed<BiasAddKernel>);
  r.add<NumberTypes>("BiasAddV1", typed<BiasAddKernel>);
  r.add<TypeList<float, Half>>("LRN", typed<LrnKernel>);
}

}  // namespace metarun
