// Bessel functions (I0, I1, J0, J1, Y0, Y1, K0, K1 and the exponentially scaled I0e, I1e, K0e,
// K1e) and the exponential integral Ei, for float16/32/64 (Expint: float32/64). Values come from
// the C++ library's special functions in double precision, rounded to the dtype; the scaled forms
// switch to their asymptotic series where exp would overflow. TF computes with Cephes' polynomials:
// the two agree to rounding. Edge values (0, negative, infinite, NaN inputs) are TF's.
#include <cmath>
#include <limits>

#include "kernels/util/elementwise.h"

namespace metarun {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;

// sum_k s^k a_k(nu) / x^k with a_k(nu) = prod_{j<=k} (4 nu^2 - (2j - 1)^2) / (k! 8^k): the
// asymptotic series of I (s = -1) and K (s = +1) after their exp(+-x) / sqrt(...) factor.
double asymptotic(double nu, double x, double s) {
  double term = 1.0, sum = 1.0;
  for (int k = 1; k <= 12; ++k) {
    term *= (4 * nu * nu - (2.0 * k - 1) * (2.0 * k - 1)) / (k * 8.0 * x) * s;
    sum += term;
  }
  return sum;
}

// I_nu(x) e^-x for x >= 0.
double scaled_i(double nu, double x) {
  if (x > 600) return asymptotic(nu, x, -1) / std::sqrt(2 * kPi * x);
  return std::exp(-x) * std::cyl_bessel_i(nu, x);
}
// K_nu(x) e^x for x > 0.
double scaled_k(double nu, double x) {
  if (x > 600) return asymptotic(nu, x, 1) * std::sqrt(kPi / (2 * x));
  return std::exp(x) * std::cyl_bessel_k(nu, x);
}

// TF computes I0 and I1 as exp(|x|) times the scaled function, in the dtype: they are infinite
// where that exp overflows (|x| > log of the dtype's largest value), not only where I does.
template <class T> double log_max() { return std::log(static_cast<double>(std::numeric_limits<float>::max())); }
template <> double log_max<double>() { return 709.782712893384; }
template <> double log_max<Half>() { return 11.0903548889591; }  // log(65504)

template <class T> double i0(double x) {
  if (std::isnan(x) || std::isinf(x)) return kNaN;
  const double a = std::fabs(x);
  return a > log_max<T>() ? kInf : std::cyl_bessel_i(0.0, a);
}
template <class T> double i1(double x) {
  if (std::isnan(x) || std::isinf(x)) return kNaN;
  const double a = std::fabs(x);
  if (a == 0) return 0.0;  // +0 for -0 too, as TF
  const double v = a > log_max<T>() ? kInf : std::cyl_bessel_i(1.0, a);
  return x < 0 ? -v : v;
}
double i0e(double x) {
  if (std::isnan(x)) return x;
  if (std::isinf(x)) return 0.0;
  return scaled_i(0.0, std::fabs(x));
}
double i1e(double x) {
  if (std::isnan(x)) return x;
  if (std::isinf(x)) return x > 0 ? 0.0 : -0.0;
  if (x == 0) return 0.0;
  const double v = scaled_i(1.0, std::fabs(x));
  return x < 0 ? -v : v;
}
double j0(double x) {
  if (std::isnan(x) || std::isinf(x)) return kNaN;
  return std::cyl_bessel_j(0.0, std::fabs(x));
}
double j1(double x) {
  if (std::isnan(x) || std::isinf(x)) return kNaN;
  if (x == 0) return x;
  const double v = std::cyl_bessel_j(1.0, std::fabs(x));
  return x < 0 ? -v : v;
}
double y_nu(double nu, double x) {
  if (std::isnan(x) || x == kInf) return kNaN;
  if (x <= 0) return -kInf;
  return std::cyl_neumann(nu, x);
}
double k_nu(double nu, double x) {
  if (std::isnan(x)) return x;
  if (x <= 0) return kInf;
  if (x > 745) return 0.0;
  return std::cyl_bessel_k(nu, x);
}
double k_nu_e(double nu, double x) {
  if (std::isnan(x)) return x;
  if (x <= 0) return kInf;
  if (std::isinf(x)) return 0.0;
  return scaled_k(nu, x);
}
double ei(double x) {
  if (std::isnan(x) || x < 0 || std::isinf(x)) return kNaN;
  if (x == 0) return -kInf;
  return x > 717 ? kInf : std::expint(x);
}

double y0(double x) { return y_nu(0.0, x); }
// TF's single-precision Y1 gives NaN at zero (its double precision one -infinity).
template <class T> struct Y1 {
  static double fn(double x) { return x == 0 && !std::is_same_v<T, double> ? kNaN : y_nu(1.0, x); }
};
double k0(double x) { return k_nu(0.0, x); }
double k1(double x) { return k_nu(1.0, x); }
double k0e(double x) { return k_nu_e(0.0, x); }
double k1e(double x) { return k_nu_e(1.0, x); }

// In double precision; the 16-bit inputs through float.
template <double (*F)(double)>
struct Special : CostlyFn {
  template <class T> T operator()(T v) const {
    if constexpr (std::is_same_v<T, double>) return F(v);
    else return T(F(static_cast<double>(static_cast<float>(v))));
  }
};
// The same for a function that depends on the dtype.
template <template <class> class F>
struct SpecialT : CostlyFn {
  template <class T> T operator()(T v) const {
    if constexpr (std::is_same_v<T, double>) return F<T>::fn(v);
    else return T(F<T>::fn(static_cast<double>(static_cast<float>(v))));
  }
};
template <class T> struct I0 { static double fn(double x) { return i0<T>(x); } };
template <class T> struct I1 { static double fn(double x) { return i1<T>(x); } };

}  // namespace

void register_bessel_ops(Registry& r) {
  using Types = TypeList<float, double, Half>;
  r.add<Types>("BesselI0", unary<SpecialT<I0>>);
  r.add<Types>("BesselI1", unary<SpecialT<I1>>);
  r.add<Types>("BesselI0e", unary<Special<i0e>>);
  r.add<Types>("BesselI1e", unary<Special<i1e>>);
  r.add<Types>("BesselJ0", unary<Special<j0>>);
  r.add<Types>("BesselJ1", unary<Special<j1>>);
  r.add<Types>("BesselY0", unary<Special<y0>>);
  r.add<Types>("BesselY1", unary<SpecialT<Y1>>);
  r.add<Types>("BesselK0", unary<Special<k0>>);
  r.add<Types>("BesselK1", unary<Special<k1>>);
  r.add<Types>("BesselK0e", unary<Special<k0e>>);
  r.add<Types>("BesselK1e", unary<Special<k1e>>);
  r.add<TypeList<float, double>>("Expint", unary<Special<ei>>);
}

}  // namespace metarun
