// Unary math and predicates.
#include "kernels/util/eigen_exp.h"
#include "kernels/util/elementwise.h"

#include <limits>
#include <type_traits>

namespace metarun {
namespace {


// ---- unary ----
#define MR_UNARY(NAME, BASE, EXPR)                          \
  struct NAME : BASE {                                      \
    template <class T> T operator()(T v) const {            \
      auto x = Compute<T>(v);                               \
      (void)x;                                              \
      return T(EXPR);                                       \
    }                                                       \
  };
MR_UNARY(NegFn, CheapFn, -x)
MR_UNARY(SquareFn, CheapFn, x * x)
MR_UNARY(ReciprocalFn, CheapFn, decltype(x)(1) / x)
MR_UNARY(SqrtFn, CostlyFn, std::sqrt(x))
MR_UNARY(RsqrtFn, CostlyFn, decltype(x)(1) / std::sqrt(x))
MR_UNARY(ExpFn, CostlyFn, std::exp(x))
MR_UNARY(Expm1Fn, CostlyFn, std::expm1(x))
MR_UNARY(LogFn, CostlyFn, std::log(x))
MR_UNARY(Log1pFn, CostlyFn, std::log1p(x))
MR_UNARY(SinFn, CostlyFn, std::sin(x))
MR_UNARY(CosFn, CostlyFn, std::cos(x))
MR_UNARY(TanFn, CostlyFn, std::tan(x))
MR_UNARY(AsinFn, CostlyFn, std::asin(x))
MR_UNARY(AcosFn, CostlyFn, std::acos(x))
MR_UNARY(AtanFn, CostlyFn, std::atan(x))
MR_UNARY(SinhFn, CostlyFn, std::sinh(x))
MR_UNARY(CoshFn, CostlyFn, std::cosh(x))
MR_UNARY(TanhFn, CostlyFn, std::tanh(x))
MR_UNARY(SigmoidFn, CostlyFn, decltype(x)(1) / (decltype(x)(1) + std::exp(-x)))
MR_UNARY(ErfFn, CostlyFn, std::erf(x))
MR_UNARY(ErfcFn, CostlyFn, std::erfc(x))
MR_UNARY(FloorFn, CheapFn, std::floor(x))
MR_UNARY(CeilFn, CheapFn, std::ceil(x))
MR_UNARY(RintFn, CheapFn, std::nearbyint(x))  // round half to even (default FP mode)
MR_UNARY(LgammaFn, CostlyFn, std::lgamma(x))
#undef MR_UNARY

struct AbsFn : CheapFn {
  template <class T> T operator()(T v) const {
    if constexpr (std::is_unsigned_v<T>) return v;
    else if constexpr (std::is_integral_v<T>) return v < 0 ? T(0 - v) : v;
    else return T(std::fabs(Compute<T>(v)));
  }
};
struct ComplexAbsFn : CheapFn {
  template <class T> auto operator()(T v) const { return std::abs(v); }
};
struct SignFn : CheapFn {
  template <class T> T operator()(T v) const {
    auto x = Compute<T>(v);
    if (is_nan(v)) return v;
    return T(x > 0 ? 1 : (x < 0 ? -1 : 0));
  }
};
// Round: half to even for floats (TF's Round), identity for integers.
struct RoundFn : CheapFn {
  template <class T> T operator()(T v) const {
    if constexpr (std::is_integral_v<T>) return v;
    else return T(std::nearbyint(Compute<T>(v)));
  }
};
struct IsNanFn : CheapFn {
  template <class T> bool operator()(T v) const { return std::isnan(static_cast<float>(Compute<T>(v))); }
};
struct IsInfFn : CheapFn {
  template <class T> bool operator()(T v) const { return std::isinf(Compute<T>(v)); }
};
struct IsFiniteFn : CheapFn {
  template <class T> bool operator()(T v) const { return std::isfinite(Compute<T>(v)); }
};


// float32 Tanh and Sigmoid through the vectorized exp TF's kernels use
// (eigen_exp.h) instead of libm per element: LSTM cells spend most of their
// time here. Tanh uses 1 - 2/(e^{2|x|} + 1), and its odd Taylor polynomial
// below |x| = 0.3 where that form would cancel; both stay within a few ulp.
template <bool kTanh>
class FastFloatKernel : public OpKernel {
 public:
  explicit FastFloatKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& a = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, a.shape());
    const float* x = a.data<float>();
    float* z = out.data<float>();
    ctx.parallel_for(a.num_elements(), kCheapCost * 4, [&](int64_t b, int64_t e) {
      float tmp[256];
      for (int64_t i = b; i < e; i += 256) {
        const int64_t n = std::min<int64_t>(256, e - i);
        for (int64_t j = 0; j < n; ++j) {
          const float v = x[i + j];
          tmp[j] = kTanh ? std::min(2.0f * std::fabs(v), 88.0f) : -v;
        }
        eigen_exp_n(tmp, tmp, n);
        for (int64_t j = 0; j < n; ++j) {
          const float v = x[i + j];
          if (kTanh) {
            const float av = std::fabs(v);
            float t;
            if (av < 0.3f) {
              const float v2 = v * v;
              t = v * (1.0f + v2 * (-1.0f / 3 + v2 * (2.0f / 15 + v2 * (-17.0f / 315 + v2 * (62.0f / 2835 +
                  v2 * (-1382.0f / 155925 + v2 * (21844.0f / 6081075)))))));
            } else {
              t = std::copysign(1.0f - 2.0f / (tmp[j] + 1.0f), v);
            }
            z[i + j] = std::isnan(v) ? v : t;
          } else {
            z[i + j] = 1.0f / (1.0f + tmp[j]);
          }
        }
      }
    });
    return Status();
  }
};

template <class Fn, bool kTanh>
auto fast_float = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  using T = decltype(tag);
  if constexpr (std::is_same_v<T, float>) return std::make_unique<FastFloatKernel<kTanh>>(init);
  else return std::make_unique<UnaryKernel<T, T, Fn>>(init);
};

}  // namespace

void register_unary_ops(Registry& r) {
  r.add<SignedNumberTypes>("Neg", unary<NegFn>);
  r.add<SignedRealTypes>("Abs", unary<AbsFn>);
  r.add<SignedNumberTypes>("Square", unary<SquareFn>);
  r.add<SignedRealTypes>("Sign", unary<SignFn>);
  r.add<FloatComplexTypes>("Reciprocal", unary<ReciprocalFn>);
  r.add<FloatComplexTypes>("Inv", unary<ReciprocalFn>);
  r.add<FloatComplexTypes>("Sqrt", unary<SqrtFn>);
  r.add<FloatComplexTypes>("Rsqrt", unary<RsqrtFn>);
  r.add<FloatComplexTypes>("Exp", unary<ExpFn>);
  r.add<FloatTypes>("Expm1", unary<Expm1Fn>);
  r.add<FloatComplexTypes>("Log", unary<LogFn>);
  r.add<FloatTypes>("Log1p", unary<Log1pFn>);
  r.add<FloatComplexTypes>("Sin", unary<SinFn>);
  r.add<FloatComplexTypes>("Cos", unary<CosFn>);
  r.add<FloatTypes>("Tan", unary<TanFn>);
  r.add<FloatTypes>("Asin", unary<AsinFn>);
  r.add<FloatTypes>("Acos", unary<AcosFn>);
  r.add<FloatTypes>("Atan", unary<AtanFn>);
  r.add<FloatTypes>("Sinh", unary<SinhFn>);
  r.add<FloatTypes>("Cosh", unary<CoshFn>);
  r.add<FloatComplexTypes>("Tanh", fast_float<TanhFn, true>);
  r.add<FloatComplexTypes>("Sigmoid", fast_float<SigmoidFn, false>);
  r.add<FloatTypes>("Erf", unary<ErfFn>);
  r.add<FloatTypes>("Erfc", unary<ErfcFn>);
  r.add<FloatTypes>("Lgamma", unary<LgammaFn>);
  r.add<FloatTypes>("Floor", unary<FloorFn>);
  r.add<FloatTypes>("Ceil", unary<CeilFn>);
  r.add<FloatTypes>("Rint", unary<RintFn>);
  r.add<SignedRealTypes>("Round", unary<RoundFn>);
  r.add<FloatTypes>("IsNan", predicate<IsNanFn>);
  r.add<FloatTypes>("IsInf", predicate<IsInfFn>);
  r.add<FloatTypes>("IsFinite", predicate<IsFiniteFn>);
}

}  // namespace metarun
