// Complex arithmetic that rounds as TensorFlow's CPU kernels do.
//
// TF evaluates its element-wise expressions with Eigen, which runs most of an
// array through SIMD packets (AVX in TF's x86 builds: 4 complex64 or 2
// complex128 per packet) and the last size % packet elements one at a time.
// The two paths use different algorithms for complex square root and
// division, so an element's bits depend on which path computed it:
//
//  - packet division scales the divisor by max(|c|, |d|), multiplies by the
//    scaled conjugate, then divides by the scaled squared norm and by the
//    scale; one-at-a-time division is Smith's method;
//  - packet sqrt takes rho = sqrt((|x| + |z|) / 2) and y / rho / 2 and picks
//    by the sign of x (x == 0 counts as positive); one-at-a-time sqrt returns
//    (w, +-w) for x == 0 and divides y by 2w;
//  - complex rsqrt has no packet form, so any expression using it runs one at
//    a time everywhere.
// |z| is max * sqrt(1 + (min / max)^2) on both paths. Multiplication, addition
// and subtraction round the same on both paths.
//
// TF also runs its kernels with denormals flushed to zero; callers wrap the
// arithmetic in FlushDenormals.
#pragma once

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <xmmintrin.h>

namespace metarun {
namespace eigen_complex {

// Elements per AVX packet of std::complex<R>.
template <class R>
constexpr int kPacketSize = 32 / static_cast<int>(2 * sizeof(R));

// MXCSR's flush-to-zero and denormals-are-zero bits set for this object's
// lifetime, on this thread.
class FlushDenormals {
 public:
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040u); }
  ~FlushDenormals() { _mm_setcsr(saved_); }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  unsigned saved_;
};

template <class R>
std::complex<R> mul(std::complex<R> p, std::complex<R> q) {
  const R a = p.real(), b = p.imag(), c = q.real(), d = q.imag();
  return {a * c - b * d, a * d + b * c};
}

// |x + iy| as both of Eigen's paths compute it from |x| and |y|: the larger
// times sqrt(1 + (smaller / larger)^2).
template <class R>
R norm_of(R ax, R ay) {
  const R hi = std::max(ax, ay), lo = std::min(ax, ay);
  if (lo == R(0)) return hi;
  const R r = lo / hi;
  return hi * std::sqrt(R(1) + r * r);
}

// The one-at-a-time path's hypot: infinite if either part is, NaN if either is.
template <class R>
R hypot_checked(R x, R y) {
  if (std::isinf(x) || std::isinf(y)) return std::numeric_limits<R>::infinity();
  if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<R>::quiet_NaN();
  return norm_of(std::fabs(x), std::fabs(y));
}

// ---- the packet path ----

template <class R>
std::complex<R> div_packet(std::complex<R> p, std::complex<R> q) {
  const R a = p.real(), b = p.imag();
  const R scale = std::max(std::fabs(q.real()), std::fabs(q.imag()));
  const R c = q.real() / scale, d = q.imag() / scale;
  const R denom_re = c * c + d * d, denom_im = d * d + c * c;
  const R re = a * c - b * -d, im = a * -d + b * c;
  return {re / denom_re / scale, im / denom_im / scale};
}

template <class R>
std::complex<R> sqrt_packet(std::complex<R> z) {
  constexpr R kInf = std::numeric_limits<R>::infinity();
  const R x = z.real(), y = z.imag();
  const R ax = std::fabs(x), ay = std::fabs(y);
  const R hi = std::max(ax, ay);
  const R rho = std::sqrt(R(0.5) * (ax + norm_of(ax, ay)));
  const R eta = hi == R(0) ? R(0) : R(0.5) * (y / rho);
  R re, im;
  if (x < R(0)) {
    re = std::fabs(eta);
    im = std::copysign(rho, y);
  } else {
    re = rho;
    im = eta;
  }
  // Each NaN part stays NaN on its own (the packet ORs a NaN lane to all ones).
  if (ay == kInf) return {kInf, y};
  if (ax == kInf) return x < R(0) ? std::complex<R>(ay * R(0), kInf) : std::complex<R>(kInf, ay * R(0));
  return {re, im};
}

// ---- the one-at-a-time path ----

template <class R>
std::complex<R> sqrt_scalar(std::complex<R> z) {
  const R x = z.real(), y = z.imag();
  const R w = std::sqrt(R(0.5) * (std::fabs(x) + hypot_checked(x, y)));
  if (std::isinf(y)) return {std::numeric_limits<R>::infinity(), y};
  if (x == R(0)) return {w, y < R(0) ? -w : w};
  if (x > R(0)) return {w, y / (R(2) * w)};
  return {std::fabs(y) / (R(2) * w), y < R(0) ? -w : w};
}

template <class R>
std::complex<R> rsqrt_scalar(std::complex<R> z) {
  constexpr R kInf = std::numeric_limits<R>::infinity();
  const R x = z.real(), y = z.imag();
  const R abs_z = hypot_checked(x, y);
  const R w = std::sqrt(R(0.5) * (std::fabs(x) + abs_z));
  const R woz = w / abs_z;
  if (abs_z == R(0)) return {kInf, std::numeric_limits<R>::quiet_NaN()};
  if (std::isinf(x) || std::isinf(y)) return {R(0), R(0)};
  if (x == R(0)) return {woz, y < R(0) ? woz : -woz};
  if (x > R(0)) return {woz, -y / (R(2) * w * abs_z)};
  return {std::fabs(y) / (R(2) * w * abs_z), y < R(0) ? woz : -woz};
}

// Smith's division, then C99's recovery of infinities and zeros when the
// result is NaN + NaN i (what TF's CPU build does one element at a time;
// checked against it near both ends of the exponent range).
template <class R>
std::complex<R> div_scalar(std::complex<R> p, std::complex<R> q) {
  R a = p.real(), b = p.imag(), c = q.real(), d = q.imag();
  R x, y;
  if (std::fabs(c) < std::fabs(d)) {
    const R ratio = c / d, denom = c * ratio + d;
    x = (a * ratio + b) / denom;
    y = (b * ratio - a) / denom;
  } else {
    const R ratio = d / c, denom = d * ratio + c;
    x = (b * ratio + a) / denom;
    y = (b - a * ratio) / denom;
  }
  if (std::isnan(x) && std::isnan(y)) {
    constexpr R kInf = std::numeric_limits<R>::infinity();
    if (c == R(0) && d == R(0) && (!std::isnan(a) || !std::isnan(b))) {
      x = std::copysign(kInf, c) * a;
      y = std::copysign(kInf, c) * b;
    } else if ((std::isinf(a) || std::isinf(b)) && std::isfinite(c) && std::isfinite(d)) {
      a = std::copysign(std::isinf(a) ? R(1) : R(0), a);
      b = std::copysign(std::isinf(b) ? R(1) : R(0), b);
      x = kInf * (a * c + b * d);
      y = kInf * (b * c - a * d);
    } else if ((std::isinf(c) || std::isinf(d)) && std::isfinite(a) && std::isfinite(b)) {
      c = std::copysign(std::isinf(c) ? R(1) : R(0), c);
      d = std::copysign(std::isinf(d) ? R(1) : R(0), d);
      x = R(0) * (a * c + b * d);
      y = R(0) * (b * c - a * d);
    }
  }
  return {x, y};
}

}  // namespace eigen_complex
}  // namespace metarun
