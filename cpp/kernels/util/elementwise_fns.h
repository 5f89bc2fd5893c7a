// Per-element functors of the elementwise ops that both their own kernels
// (unary_ops.cpp, binary_ops*.cpp, nn_ops.cpp, nn_grad_ops.cpp) and the
// fused kernels (fused_elementwise_ops.cpp, pool_grad_ops.cpp) apply: one definition per op, so a
// fused group computes each element exactly as the separate kernels do.
// Formulas are TF's CPU functors, with 16-bit floats rounded after every
// operation (Compute<T>).
#pragma once

#include <cmath>
#include <complex>
#include <string>
#include <type_traits>

#include "kernels/util/elementwise.h"

namespace metarun {

// ---- unary ----
struct NegFn : CheapFn {
  template <class T> T operator()(T v) const { return T(-Compute<T>(v)); }
};
struct ReciprocalFn : CheapFn {
  template <class T> T operator()(T v) const {
    auto x = Compute<T>(v);
    return T(decltype(x)(1) / x);
  }
};
struct SqrtFn : CostlyFn {
  template <class T> T operator()(T v) const { return T(std::sqrt(Compute<T>(v))); }
};
struct RsqrtFn : CostlyFn {
  template <class T> T operator()(T v) const {
    auto x = Compute<T>(v);
    return T(decltype(x)(1) / std::sqrt(x));
  }
};
struct ExpFn : CostlyFn {
  template <class T> T operator()(T v) const { return T(std::exp(Compute<T>(v))); }
};

// Unsigned squares wrap; widen first so 16-bit ones do not overflow a promoted int.
struct SquareFn : CheapFn {
  template <class T> T operator()(T v) const {
    if constexpr (std::is_unsigned_v<T>) return T(static_cast<uint64_t>(v) * static_cast<uint64_t>(v));
    else return T(Compute<T>(v) * Compute<T>(v));
  }
};

// Eigen's complex log: log|z| (from std::abs) and the angle, not the C library's clog.
template <class T> T eigen_complex_log(const T& z) { return T(std::log(std::abs(z)), std::atan2(z.imag(), z.real())); }

struct LogFn : CostlyFn {
  template <class T> T operator()(T v) const {
    if constexpr (is_complex_v<T>) return eigen_complex_log(v);
    else return T(std::log(Compute<T>(v)));
  }
};

struct AbsFn : CheapFn {
  template <class T> T operator()(T v) const {
    if constexpr (std::is_unsigned_v<T>) return v;
    else if constexpr (std::is_integral_v<T>) return v < 0 ? T(0 - v) : v;
    else return T(std::fabs(Compute<T>(v)));
  }
};

// NaN passes through both, as with TF's cwiseMax/cwiseMin.
struct ReluFn : CheapFn {
  template <class T> T operator()(T v) const {
    const auto x = Compute<T>(v);
    return T(x < Compute<T>(0) ? Compute<T>(0) : x);
  }
};
struct Relu6Fn : CheapFn {
  template <class T> T operator()(T v) const {
    auto x = Compute<T>(v);
    x = x < Compute<T>(0) ? Compute<T>(0) : x;
    return T(x > Compute<T>(6) ? Compute<T>(6) : x);
  }
};

// ---- binary ----
struct AddFn : CheapFn {
  static constexpr bool kLanes = true;
  template <class V> static void lanes(const V& a, const V& b, V& out) { out = a + b; }
  template <class T> T operator()(const T& a, const T& b) const {
    if constexpr (std::is_same_v<T, std::string>) return a + b;  // Add concatenates strings
    else return T(Compute<T>(a) + Compute<T>(b));
  }
};
struct SubFn : CheapFn {
  static constexpr bool kLanes = true;
  template <class V> static void lanes(const V& a, const V& b, V& out) { out = a - b; }
  template <class T> T operator()(T a, T b) const { return T(Compute<T>(a) - Compute<T>(b)); }
};
struct MulFn : CheapFn {
  static constexpr bool kLanes = true;
  template <class V> static void lanes(const V& a, const V& b, V& out) { out = a * b; }
  template <class T> T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a && b;
    else return T(Compute<T>(a) * Compute<T>(b));
  }
};
struct RealDivFn : CheapFn {
  static constexpr bool kLanes = true;
  template <class V> static void lanes(const V& a, const V& b, V& out) { out = a / b; }
  template <class T> T operator()(T a, T b) const { return T(Compute<T>(a) / Compute<T>(b)); }
};
struct MaximumFn : CheapFn {
  static constexpr bool kLanes = true;  // a NaN on either side wins, the first one first
  template <class V> static void lanes(const V& a, const V& b, V& out) {
    out = a < b ? b : a;
    out = b != b ? b : out;
    out = a != a ? a : out;
  }
  template <class T> T operator()(T a, T b) const {
    if (is_nan(a)) return a;
    if (is_nan(b)) return b;
    return Compute<T>(a) < Compute<T>(b) ? b : a;
  }
};
struct MinimumFn : CheapFn {
  static constexpr bool kLanes = true;
  template <class V> static void lanes(const V& a, const V& b, V& out) {
    out = b < a ? b : a;
    out = b != b ? b : out;
    out = a != a ? a : out;
  }
  template <class T> T operator()(T a, T b) const {
    if (is_nan(a)) return a;
    if (is_nan(b)) return b;
    return Compute<T>(b) < Compute<T>(a) ? b : a;
  }
};
struct SquaredDifferenceFn : CheapFn {
  template <class T> T operator()(T a, T b) const {
    auto d = Compute<T>(a) - Compute<T>(b);
    if constexpr (is_complex_v<T>) return d * std::conj(d);
    else return T(d * d);
  }
};

// ---- gradients ----
// ReluGrad's element function, (gradient, feature): the gradient where the
// feature is positive, else 0. Also applied by _MaxPoolGradWithReluGrad
// (pool_grad_ops.cpp) to the input gradient it routes.
template <class T> T relu_grad_of(T g, T f) { return Compute<T>(f) > 0 ? g : T(0); }

}  // namespace metarun
