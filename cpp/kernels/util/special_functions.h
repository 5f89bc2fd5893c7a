// Scalar special functions for float and double, computed the way TF's CPU
// kernels compute them (Eigen's ports of the Cephes library): the same
// series, continued fractions, coefficients, iteration limits and stopping
// tests, in the same precision and operation order, so results agree with
// TF's bit for bit where TF takes the scalar path. Plain a * b + c is used
// where Cephes fuses a multiply-add; TF's x86 builds do not contract them.
//
// Domain errors give NaN, poles +inf, as TF's kernels do; nothing throws.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace metarun {
namespace special {

template <class T> constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();
template <class T> constexpr T kInf = std::numeric_limits<T>::infinity();
// Cephes' MACHEP (half an ulp of 1), BIG and BIGINV as Eigen chose them.
template <class T> constexpr T kMachEp = std::numeric_limits<T>::epsilon() / 2;
template <class T> constexpr T kBig =
    std::is_same_v<T, float> ? T(1) / kMachEp<T> : T(1) / std::numeric_limits<T>::epsilon();
template <class T> constexpr T kBigInv =
    std::is_same_v<T, float> ? kMachEp<T> : std::numeric_limits<T>::epsilon();

// Horner's rule over c[0] (highest degree) .. c[N].
template <int N, class T> T polevl(T x, const T* c) {
  T r = c[0];
  for (int i = 1; i <= N; ++i) r = r * x + c[i];
  return r;
}

// The reentrant lgamma TF links (same values as lgammaf/lgamma).
inline float lgam(float x) { int s; return ::lgammaf_r(x, &s); }
inline double lgam(double x) { int s; return ::lgamma_r(x, &s); }

// TF runs its CPU kernels with denormals flushed to zero (MXCSR's FTZ and
// DAZ bits, set per thread): a denormal input reads as 0 and a denormal
// result, final or intermediate, becomes 0. This sets both for its scope.
class FlushDenormals {
 public:
#if defined(__SSE__)
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFtzDaz); }
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  static constexpr unsigned kFtzDaz = 0x8040;
  unsigned saved_;
#endif
};

// ---- digamma -------------------------------------------------------------

// The asymptotic tail sum_k B_2k / (2k s^2k), for s >= 10.
inline float digamma_tail(float s) {
  static constexpr float kA[] = {-4.16666666666666666667E-3f, 3.96825396825396825397E-3f,
                                 -8.33333333333333333333E-3f, 8.33333333333333333333E-2f};
  if (!(s < 1.0e8f)) return 0.0f;
  const float z = 1.0f / (s * s);
  return z * polevl<3>(z, kA);
}
inline double digamma_tail(double s) {
  static constexpr double kA[] = {8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
                                  -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
                                  8.33333333333333333333E-2};
  if (!(s < 1.0e17)) return 0.0;
  const double z = 1.0 / (s * s);
  return z * polevl<6>(z, kA);
}

// psi(x): reflection for x <= 0 (NaN at the poles, as TF gives), the
// recurrence up to 10, then the asymptotic series.
template <class T> T digamma(T x) {
  const T pi = T(3.14159265358979323846);
  bool reflected = false;
  T cot_term = 0;
  if (x <= T(0)) {
    reflected = true;
    T p = std::floor(x);
    if (p == x) return kNaN<T>;
    T frac = x - p;
    if (frac != T(0.5)) {
      if (frac > T(0.5)) {
        p += T(1);
        frac = x - p;
      }
      cot_term = pi / std::tan(pi * frac);
    }
    x = T(1) - x;
  }
  T s = x, w = 0;
  while (s < T(10)) {
    w += T(1) / s;
    s += T(1);
  }
  T y = std::log(s) - (T(0.5) / s) - digamma_tail(s) - w;
  return reflected ? y - cot_term : y;
}

// ---- ndtri / erfinv ------------------------------------------------------

// Inverse of the standard normal CDF: a rational function of p - 1/2 in the
// centre, of 1/sqrt(-2 log p) in the tails (two ranges).
template <class T> T ndtri(T a) {
  static constexpr T kP0[] = {T(-5.99633501014107895267e1), T(9.80010754185999661536e1), T(-5.66762857469070293439e1),
                              T(1.39312609387279679503e1), T(-1.23916583867381258016e0)};
  static constexpr T kQ0[] = {T(1.0), T(1.95448858338141759834e0), T(4.67627912898881538453e0),
                              T(8.63602421390890590575e1), T(-2.25462687854119370527e2), T(2.00260212380060660359e2),
                              T(-8.20372256168333339912e1), T(1.59056225126211695515e1), T(-1.18331621121330003142e0)};
  static constexpr T kP1[] = {T(4.05544892305962419923e0), T(3.15251094599893866154e1), T(5.71628192246421288162e1),
                              T(4.40805073893200834700e1), T(1.46849561928858024014e1), T(2.18663306850790267539e0),
                              T(-1.40256079171354495875e-1), T(-3.50424626827848203418e-2), T(-8.57456785154685413611e-4)};
  static constexpr T kQ1[] = {T(1.0), T(1.57799883256466749731e1), T(4.53907635128879210584e1),
                              T(4.13172038254672030440e1), T(1.50425385692907503408e1), T(2.50464946208309415979e0),
                              T(-1.42182922854787788574e-1), T(-3.80806407691578277194e-2), T(-9.33259480895457427372e-4)};
  static constexpr T kP2[] = {T(3.23774891776946035970e0), T(6.91522889068984211695e0), T(3.93881025292474443415e0),
                              T(1.33303460815807542389e0), T(2.01485389549179081538e-1), T(1.23716634817820021358e-2),
                              T(3.01581553508235416007e-4), T(2.65806974686737550832e-6), T(6.23974539184983293730e-9)};
  static constexpr T kQ2[] = {T(1.0), T(6.02427039364742014255e0), T(3.67983563856160859403e0),
                              T(1.37702099489081330271e0), T(2.16236993594496635890e-1), T(1.34204006088543189037e-2),
                              T(3.28014464682127739104e-4), T(2.89247864745380683936e-6), T(6.79019408009981274425e-9)};
  const T exp_neg_two = T(0.13533528323661269189);
  if (a == T(0)) return -kInf<T>;
  if (a == T(1)) return kInf<T>;
  const bool lower = a <= T(1) - exp_neg_two;
  const T b = lower ? a : T(1) - a;
  if (exp_neg_two < b) {
    const T c = b - T(0.5), c2 = c * c;
    const T r = c * (c2 * (polevl<4>(c2, kP0) / polevl<8>(c2, kQ0))) + c;
    return r * T(2.50662827463100050242e0);
  }
  const T x = std::sqrt(T(-2) * std::log(b));
  const T x0 = x - std::log(x) / x;
  const T z = T(1) / x;
  const T x1 = z * (x < T(8) ? polevl<8>(z, kP1) / polevl<8>(z, kQ1) : polevl<8>(z, kP2) / polevl<8>(z, kQ2));
  const T r = x0 - x1;
  return lower ? -r : r;
}

template <class T> T erfinv(T x) { return ndtri(T(0.5) * x + T(0.5)) * T(0.70710678118654752440); }

// ---- incomplete gamma ----------------------------------------------------

// x^a e^-x / Gamma(a), or 0 when it underflows.
template <class T> T igamma_prefactor(T a, T x) {
  const T log_ax = a * std::log(x) - x - lgam(a);
  if (log_ax < -std::log(std::numeric_limits<T>::max()) || std::isnan(log_ax)) return T(0);
  return std::exp(log_ax);
}

// The derivative modes give d/da P(a, x) (IgammaGradA); kValue the value.
enum class IgammaMode { kValue, kDerivative };

// Iteration caps: values get 2000, derivatives 200 (float) or 500 (double).
template <class T, IgammaMode kMode> constexpr int kIgammaIterations =
    kMode == IgammaMode::kValue ? 2000 : std::is_same_v<T, float> ? 200 : 500;

// Q(a, x) by Legendre's continued fraction (x > 1, x > a), or its a-derivative.
template <class T, IgammaMode kMode = IgammaMode::kValue> T igammac_fraction(T a, T x) {
  if (std::isinf(x)) return T(0);
  const T ax = igamma_prefactor(a, x);
  if (ax == T(0)) return T(0);
  T y = T(1) - a, z = x + y + T(1), c = 0;
  T pkm2 = 1, qkm2 = x, pkm1 = x + T(1), qkm1 = z * x;
  T ans = pkm1 / qkm1;
  T dpkm2 = 0, dqkm2 = 0, dpkm1 = 0, dqkm1 = -x;
  T dans = (dpkm1 - ans * dqkm1) / qkm1;
  for (int i = 0; i < kIgammaIterations<T, kMode>; ++i) {
    c += T(1);
    y += T(1);
    z += T(2);
    const T yc = y * c;
    const T pk = pkm1 * z - pkm2 * yc;
    const T qk = qkm1 * z - qkm2 * yc;
    const T dpk = dpkm1 * z - pkm1 - dpkm2 * yc + pkm2 * c;
    const T dqk = dqkm1 * z - qkm1 - dqkm2 * yc + qkm2 * c;
    if (qk != T(0)) {
      const T prev = ans, dprev = dans;
      ans = pk / qk;
      dans = (dpk - ans * dqk) / qk;
      if (kMode == IgammaMode::kValue ? std::fabs(prev - ans) <= kMachEp<T> * std::fabs(ans)
                                      : std::fabs(dans - dprev) <= kMachEp<T>)
        break;
    }
    pkm2 = pkm1; pkm1 = pk; qkm2 = qkm1; qkm1 = qk;
    dpkm2 = dpkm1; dpkm1 = dpk; dqkm2 = dqkm1; dqkm1 = dqk;
    if (std::fabs(pk) > kBig<T>) {
      pkm2 *= kBigInv<T>; pkm1 *= kBigInv<T>; qkm2 *= kBigInv<T>; qkm1 *= kBigInv<T>;
      dpkm2 *= kBigInv<T>; dpkm1 *= kBigInv<T>; dqkm2 *= kBigInv<T>; dqkm1 *= kBigInv<T>;
    }
  }
  if (kMode == IgammaMode::kValue) return ans * ax;
  const T dax = ax * (std::log(x) - digamma(a));
  return ans * dax + dans * ax;
}

// P(a, x) by its power series (x <= 1 or x <= a), or its a-derivative.
template <class T, IgammaMode kMode = IgammaMode::kValue> T igamma_series(T a, T x) {
  T ax = igamma_prefactor(a, x);
  if (ax == T(0)) return T(0);
  ax /= a;
  T r = a, c = 1, ans = 1, dc = 0, dans = 0;
  for (int i = 0; i < kIgammaIterations<T, kMode>; ++i) {
    r += T(1);
    const T term = x / r;
    const T dterm = -x / (r * r);
    dc = term * dc + dterm * c;
    dans += dc;
    c *= term;
    ans += c;
    if (kMode == IgammaMode::kValue ? c <= kMachEp<T> * ans : std::fabs(dc) <= kMachEp<T> * std::fabs(dans)) break;
  }
  if (kMode == IgammaMode::kValue) return ans * ax;
  const T dax = ax * (std::log(x) - digamma(a + T(1)));
  return ans * dax + dans * ax;
}

// Regularized lower incomplete gamma P(a, x).
template <class T> T igamma(T a, T x) {
  if (x == T(0)) return T(0);
  if (x < T(0) || a <= T(0) || std::isnan(a) || std::isnan(x)) return kNaN<T>;
  if (x > T(1) && x > a) return T(1) - igammac_fraction(a, x);
  return igamma_series(a, x);
}

// Regularized upper incomplete gamma Q(a, x).
template <class T> T igammac(T a, T x) {
  if (x < T(0) || a <= T(0) || std::isnan(a) || std::isnan(x)) return kNaN<T>;
  if (x < T(1) || x < a) return T(1) - igamma_series(a, x);
  return igammac_fraction(a, x);
}

// d/da P(a, x).
template <class T> T igamma_grad_a(T a, T x) {
  if (x == T(0)) return T(0);
  if (x < T(0) || a <= T(0) || std::isnan(a) || std::isnan(x)) return kNaN<T>;
  if (x > T(1) && x > a) return -igammac_fraction<T, IgammaMode::kDerivative>(a, x);
  return igamma_series<T, IgammaMode::kDerivative>(a, x);
}

// ---- Hurwitz zeta and polygamma ------------------------------------------

// zeta(x, q) = sum_k (k + q)^-x: direct terms until k + q > 9, then the
// Euler-Maclaurin tail with Bernoulli numbers.
template <class T> T zeta(T x, T q) {
  static constexpr T kA[] = {T(12.0), T(-720.0), T(30240.0), T(-1209600.0), T(47900160.0),
                             T(-1.8924375803183791606e9), T(7.47242496e10), T(-2.950130727918164224e12),
                             T(1.1646782814350067249e14), T(-4.5979787224074726105e15),
                             T(1.8152105401943546773e17), T(-7.1661652561756670113e18)};
  if (x == T(1)) return kInf<T>;
  if (x < T(1)) return kNaN<T>;
  if (q <= T(0)) {
    if (q == std::floor(q)) return std::nearbyint(T(0.5) * x) == T(0.5) * x ? kInf<T> : kNaN<T>;
    if (x != std::floor(x)) return kNaN<T>;  // q^-x is not real
  }
  T s = std::pow(q, -x), a = q, b = 0;
  // float stops after 9 terms; double also keeps going until a > 9.
  for (int i = 0; i < 9 || (std::is_same_v<T, double> && a <= T(9));) {
    ++i;
    a += T(1);
    b = std::pow(a, -x);
    s += b;
    if (std::fabs(b / s) < kMachEp<T>) return s;
  }
  if (b == T(0)) return s;
  const T w = a;
  s += b * w / (x - T(1));
  s -= T(0.5) * b;
  T f = 1, k = 0;
  for (int i = 0; i < 12; ++i) {
    f *= x + k;
    b /= w;
    T t = f * b / kA[i];
    s = s + t;
    if (std::fabs(t / s) < kMachEp<T>) break;
    k += T(1);
    f *= x + k;
    b /= w;
    k += T(1);
  }
  return s;
}

// psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for integer n >= 1.
template <class T> T polygamma(T n, T x) {
  if (std::floor(n) != n || n < T(0)) return kNaN<T>;
  if (n == T(0)) return digamma(x);
  const T n1 = n + T(1);
  const T factorial = std::exp(lgam(n1));
  return std::pow(T(-1), n1) * factorial * zeta(n1, x);
}

// ---- regularized incomplete beta -----------------------------------------

// Cephes' two continued fractions for I_x(a, b) (incbcf when `first`, else
// incbd), with Eigen's iteration limits and tolerances.
template <class T> T incbeta_fraction(T a, T b, T x, bool first) {
  constexpr bool kFloat = std::is_same_v<T, float>;
  constexpr int kIters = kFloat ? 100 : 300;
  const T thresh = kFloat ? kMachEp<T> : T(3) * kMachEp<T>;
  T k1 = a, k2, k3 = a, k4 = a + T(1), k5 = 1, k6, k7 = a + T(1), k8 = a + T(2), step;
  if (first) {
    k2 = a + b;
    k6 = b - T(1);
    step = 1;
  } else {
    k2 = b - T(1);
    k6 = a + b;
    step = -1;
    x = x / (T(1) - x);
  }
  T pkm2 = 0, qkm2 = 1, pkm1 = 1, qkm1 = 1, ans = 1;
  for (int n = 0; n < kIters; ++n) {
    T xk = -(x * k1 * k2) / (k3 * k4);
    T pk = pkm1 + pkm2 * xk, qk = qkm1 + qkm2 * xk;
    pkm2 = pkm1; pkm1 = pk; qkm2 = qkm1; qkm1 = qk;
    xk = (x * k5 * k6) / (k7 * k8);
    pk = pkm1 + pkm2 * xk;
    qk = qkm1 + qkm2 * xk;
    pkm2 = pkm1; pkm1 = pk; qkm2 = qkm1; qkm1 = qk;
    if (qk != T(0)) {
      const T r = pk / qk;
      if (std::fabs(ans - r) < std::fabs(r) * thresh) return r;
      ans = r;
    }
    k1 += T(1); k2 += step; k3 += T(2); k4 += T(2);
    k5 += T(1); k6 -= step; k7 += T(2); k8 += T(2);
    if (std::fabs(qk) + std::fabs(pk) > kBig<T>) {
      pkm2 *= kBigInv<T>; pkm1 *= kBigInv<T>; qkm2 *= kBigInv<T>; qkm1 *= kBigInv<T>;
    }
    if (std::fabs(qk) < kBigInv<T> || std::fabs(pk) < kBigInv<T>) {
      pkm2 *= kBig<T>; pkm1 *= kBig<T>; qkm2 *= kBig<T>; qkm1 *= kBig<T>;
    }
  }
  return ans;
}

// float (Cephes' incbetf): power series for small b x / a.
inline float incbeta_series(float a, float b, float x) {
  float y = a * std::log(x) + (b - 1.0f) * std::log1p(-x) - std::log(a);
  y -= lgam(a) + lgam(b);
  y += lgam(a + b);
  const float t = x / (1.0f - x);
  float s = 0.0f, u = 1.0f;
  do {
    b -= 1.0f;
    if (b == 0.0f) break;
    a += 1.0f;
    u *= t * b / a;
    s += u;
  } while (std::fabs(u) > kMachEp<float>);
  return std::exp(y) * (1.0f + s);
}

// float, a > 1: pick the series or a continued fraction.
inline float incbeta_large_a(float aa, float bb, float xx) {
  const bool flip = xx > aa / (aa + bb);
  const float a = flip ? bb : aa, b = flip ? aa : bb;
  const float x = flip ? 1.0f - xx : xx;
  float t = flip ? xx : 1.0f - xx;
  if (b > 10.0f && std::fabs(b * x / a) < 0.3f) {
    t = incbeta_series(a, b, x);
    return flip ? 1.0f - t : t;
  }
  float ans = x * (a + b - 2.0f) / (a - 1.0f);
  if (ans < 1.0f) {
    ans = incbeta_fraction(a, b, x, true);
    t = b * std::log(t);
  } else {
    ans = incbeta_fraction(a, b, x, false);
    t = (b - 1.0f) * std::log(t);
  }
  t += a * std::log(x) + lgam(a + b) - lgam(a) - lgam(b);
  t += std::log(ans / a);
  t = std::exp(t);
  return flip ? 1.0f - t : t;
}

// double (Cephes' incbet): power series for b x <= 1, x <= 0.95.
inline double incbeta_series(double a, double b, double x) {
  const double ai = 1.0 / a;
  double u = (1.0 - b) * x;
  double v = u / (a + 1.0);
  const double t1 = v;
  double t = u, n = 2.0, s = 0.0;
  const double z = kMachEp<double> * ai;
  while (std::fabs(v) > z) {
    u = (n - b) * x / n;
    t *= u;
    v = t / (a + n);
    s += v;
    n += 1.0;
  }
  s += t1;
  s += ai;
  u = a * std::log(x);
  t = lgam(a + b) - lgam(a) - lgam(b) + u + std::log(s);
  return std::exp(t);
}

// Domain: a, b > 0 and 0 <= x <= 1 (a NaN x goes through to the expansions).
template <class T> bool betainc_trivial(T a, T b, T x, T* out) {
  if (a <= T(0) || b <= T(0)) *out = kNaN<T>;
  else if (x == T(0)) *out = T(0);
  else if (x == T(1)) *out = T(1);
  else if (x < T(0) || x > T(1)) *out = kNaN<T>;
  else return false;
  return true;
}

// Regularized incomplete beta I_x(a, b).
inline float betainc(float a, float b, float x) {
  float out;
  if (betainc_trivial(a, b, x, &out)) return out;
  if (a > 1.0f) return incbeta_large_a(a, b, x);
  // I_x(a, b) from I_x(a + 1, b) for small a.
  const float ans = incbeta_large_a(a + 1.0f, b, x);
  const float t = a * std::log(x) + b * std::log1p(-x) + lgam(a + b) - lgam(a + 1.0f) - lgam(b);
  return ans + std::exp(t);
}

inline double betainc(double aa, double bb, double xx) {
  double out;
  if (betainc_trivial(aa, bb, xx, &out)) return out;
  if (bb * xx <= 1.0 && xx <= 0.95) return incbeta_series(aa, bb, xx);
  const double w0 = 1.0 - xx;
  const bool flip = xx > aa / (aa + bb);
  const double a = flip ? bb : aa, b = flip ? aa : bb;
  const double x = flip ? w0 : xx, xc = flip ? xx : w0;
  auto complement = [](double t) { return t <= kMachEp<double> ? 1.0 - kMachEp<double> : 1.0 - t; };
  if (flip && b * x <= 1.0 && x <= 0.95) return complement(incbeta_series(a, b, x));
  const double w = x * (a + b - 2.0) - (a - 1.0) < 0.0 ? incbeta_fraction(a, b, x, true)
                                                     : incbeta_fraction(a, b, x, false) / xc;
  double y = a * std::log(x);
  const double t = b * std::log(xc);
  y += t + lgam(a + b) - lgam(a) - lgam(b);
  y += std::log(w / a);
  const double r = std::exp(y);
  return flip ? complement(r) : r;
}

}  // namespace special
}  // namespace metarun
