// Special functions (inverse hyperbolics, digamma and relatives, incomplete
// gamma and beta, ndtri/erfinv) and the safe products and quotients (Xlogy,
// Xdivy, Xlog1py, MulNoNan), plus NextAfter and ApproximateEqual. The math
// itself lives in util/special_functions.h.
#include <cmath>
#include <type_traits>

#include "kernels/util/elementwise.h"
#include "kernels/util/special_functions.h"

namespace metarun {
namespace {

// ---- unary ----
// 16-bit floats compute in float and round once, as Eigen's half overloads do.
#define MR_SPECIAL_UNARY(NAME, REAL_EXPR, COMPLEX_EXPR)     \
  struct NAME : CostlyFn {                                  \
    template <class T> T operator()(T v) const {            \
      if constexpr (is_complex_v<T>) {                      \
        return COMPLEX_EXPR;                                \
      } else {                                              \
        const auto x = Compute<T>(v);                       \
        return T(REAL_EXPR);                                \
      }                                                     \
    }                                                       \
  };
MR_SPECIAL_UNARY(AcoshFn, std::acosh(x), std::acosh(v))
MR_SPECIAL_UNARY(AsinhFn, std::asinh(x), std::asinh(v))
MR_SPECIAL_UNARY(AtanhFn, std::atanh(x), std::atanh(v))
MR_SPECIAL_UNARY(DigammaFn, special::digamma(x), v)
MR_SPECIAL_UNARY(ErfinvFn, special::erfinv(x), v)
MR_SPECIAL_UNARY(NdtriFn, special::ndtri(x), v)
#undef MR_SPECIAL_UNARY

// ---- binary special functions (float and double only) ----
struct IgammaFn : CostlyFn {
  template <class T> T operator()(T a, T x) const { return special::igamma(a, x); }
};
struct IgammacFn : CostlyFn {
  template <class T> T operator()(T a, T x) const { return special::igammac(a, x); }
};
struct IgammaGradAFn : CostlyFn {
  template <class T> T operator()(T a, T x) const { return special::igamma_grad_a(a, x); }
};
struct PolygammaFn : CostlyFn {
  template <class T> T operator()(T n, T x) const { return special::polygamma(n, x); }
};
struct ZetaFn : CostlyFn {
  template <class T> T operator()(T x, T q) const { return special::zeta(x, q); }
};
struct NextAfterFn : CheapFn {
  template <class T> T operator()(T a, T b) const { return std::nextafter(a, b); }
};

// ---- safe arithmetic ----
// x == 0 gives x itself (so -0 stays -0), as TF's vectorized path does for
// all but a tensor's last few elements; its scalar tail gives +0.
template <class T> bool is_zero(T v) {
  if constexpr (is_complex_v<T>) return v == T(0);
  else return Compute<T>(v) == 0;
}

// log1p for complex, which std lacks: log(1 + x) rescaled by x / ((1 + x) - 1)
// to keep the low bits of a small x.
template <class C> C complex_log1p(C x) {
  const C x1p = C(1) + x;
  const C l = std::log(x1p);
  if (x1p == C(1) || x1p == l) return x;
  return x * (l / (x1p - C(1)));
}

template <class T, class F> T times_log(T x, T y, F log_fn) {
  if (is_zero(x)) return x;
  if constexpr (is_complex_v<T>) {
    return x * log_fn(y);
  } else {
    const T l = T(log_fn(Compute<T>(y)));  // rounded to T before the product, as TF does
    return T(Compute<T>(x) * Compute<T>(l));
  }
}

struct XlogyFn : CostlyFn {
  template <class T> T operator()(T x, T y) const {
    return times_log(x, y, [](auto v) { return std::log(v); });
  }
};
struct Xlog1pyFn : CostlyFn {
  template <class T> T operator()(T x, T y) const {
    if constexpr (is_complex_v<T>) return times_log(x, y, [](T v) { return complex_log1p(v); });
    else return times_log(x, y, [](auto v) { return std::log1p(v); });
  }
};
struct XdivyFn : CheapFn {
  template <class T> T operator()(T x, T y) const {
    if (is_zero(x)) return x;
    return T(Compute<T>(x) / Compute<T>(y));
  }
};
struct MulNoNanFn : CheapFn {
  template <class T> T operator()(T x, T y) const {
    if (is_zero(y)) return T(0);
    return T(Compute<T>(x) * Compute<T>(y));
  }
};

// ---- ApproximateEqual: |x - y| < tolerance, on equal shapes only ----
template <class T>
class ApproximateEqualKernel : public OpKernel {
 public:
  // A graph that omits `tolerance` gets the op's default, 1e-5.
  explicit ApproximateEqualKernel(KernelInit& init) {
    if (init.has_attr("tolerance")) init.get("tolerance", &tolerance_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& y = ctx.input(1);
    MR_REQUIRE(x.shape() == y.shape(), "x and y must be of the same shape. x shape: ", shape_str(x.shape()),
               ". y shape: ", shape_str(y.shape()));
    Tensor& out = ctx.allocate_output(0, x.shape());
    const T* px = x.data<T>();
    const T* py = y.data<T>();
    bool* pz = out.data<bool>();
    const T tol = T(tolerance_);
    ctx.parallel_for(x.num_elements(), kCheapCost, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) pz[i] = std::fabs(px[i] - py[i]) < tol;
    });
    return Status();
  }

 private:
  float tolerance_ = 1e-5f;
};

// ---- Betainc: a, b, x of one shape, any of them possibly a scalar ----
template <class T>
class BetaincKernel : public OpKernel {
 public:
  explicit BetaincKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    static const char* const kNames[] = {"a", "b", "x"};
    const Tensor* in[3] = {&ctx.input(0), &ctx.input(1), &ctx.input(2)};
    for (int i = 0; i < 3; ++i) {
      for (int j = i + 1; j < 3; ++j) {
        if (in[i]->rank() == 0 || in[j]->rank() == 0) continue;
        MR_REQUIRE(in[i]->shape() == in[j]->shape(), "Shapes of ", kNames[i], " and ", kNames[j],
                   " are inconsistent: ", shape_str(in[i]->shape()), " vs. ", shape_str(in[j]->shape()));
      }
    }
    const Tensor* shaped = in[0];
    for (const Tensor* t : in)
      if (t->rank() > 0) shaped = t;
    Tensor& out = ctx.allocate_output(0, shaped->shape());
    const T* a = in[0]->data<T>();
    const T* b = in[1]->data<T>();
    const T* x = in[2]->data<T>();
    const int64_t sa = in[0]->rank() > 0, sb = in[1]->rank() > 0, sx = in[2]->rank() > 0;
    T* z = out.data<T>();
    ctx.parallel_for(out.num_elements(), kTranscendentalCost * 10, [&](int64_t lo, int64_t hi) {
      special::FlushDenormals flush;
      for (int64_t i = lo; i < hi; ++i) z[i] = special::betainc(a[i * sa], b[i * sb], x[i * sx]);
    });
    return Status();
  }
};

// Fn evaluated with denormals flushed, as in TF (see FlushDenormals).
template <class Fn>
struct Flushed : Fn {
  template <class... Args> auto operator()(Args... args) const {
    special::FlushDenormals flush;
    return Fn::operator()(args...);
  }
};

template <template <class> class K>
auto make_typed = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<decltype(tag)>>(init);
};

using RealFloatTypes = TypeList<float, double>;
using DigammaTypes = TypeList<float, double, Half>;

}  // namespace

void register_special_math_ops(Registry& r) {
  r.add<FloatComplexTypes>("Acosh", unary<Flushed<AcoshFn>>);
  r.add<FloatComplexTypes>("Asinh", unary<Flushed<AsinhFn>>);
  r.add<FloatComplexTypes>("Atanh", unary<Flushed<AtanhFn>>);
  r.add<DigammaTypes>("Digamma", unary<Flushed<DigammaFn>>);
  r.add<RealFloatTypes>("Erfinv", unary<Flushed<ErfinvFn>>);
  r.add<RealFloatTypes>("Ndtri", unary<Flushed<NdtriFn>>);
  r.add<RealFloatTypes>("Igamma", binary<Flushed<IgammaFn>>);
  r.add<RealFloatTypes>("Igammac", binary<Flushed<IgammacFn>>);
  r.add<RealFloatTypes>("IgammaGradA", binary<Flushed<IgammaGradAFn>>);
  r.add<RealFloatTypes>("Polygamma", binary<Flushed<PolygammaFn>>);
  r.add<RealFloatTypes>("Zeta", binary<Flushed<ZetaFn>>);
  r.add<RealFloatTypes>("Betainc", make_typed<BetaincKernel>);
  r.add<FloatComplexTypes>("Xlogy", binary<Flushed<XlogyFn>>);
  r.add<FloatComplexTypes>("Xdivy", binary<Flushed<XdivyFn>>);
  r.add<FloatComplexTypes>("Xlog1py", binary<Flushed<Xlog1pyFn>>);
  r.add<FloatComplexTypes>("MulNoNan", binary<Flushed<MulNoNanFn>>);
  r.add<RealFloatTypes>("NextAfter", binary<NextAfterFn>);
  r.add<RealFloatTypes>("ApproximateEqual", make_typed<ApproximateEqualKernel>);
}

}  // namespace metarun
