// exp as TensorFlow's CPU kernels compute it on packets: Eigen's Cephes-style
// range reduction and polynomial (pexp_float / pexp_double), evaluated without
// FMA as TF's AVX wheels do. It differs from libm's exp in the last bit for
// some inputs; written as plain scalar code so loops over it vectorize.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/cpu_features.h"

namespace metarun {

inline float eigen_exp(float in) {
  if (std::isnan(in)) return in;
  const float x = std::min(in, 88.723f);
  const float m = std::floor(x * 1.44269504088896341f + 0.5f);
  float r = m * -0.693359375f + x;
  r = m * 2.12194440e-4f + r;
  const float r2 = r * r;
  float p_even = r2 * 1.37449637986719608306884765625e-3f + 4.166965186595916748046875e-2f;
  const float p_odd = r2 * 8.36894474923610687255859375e-3f + 0.16666518151760101318359375f;
  p_even = r2 * p_even + 0.49999988079071044921875f;
  const float p_low = r + 1.0f;
  float y = r * p_odd + p_even;
  y = r2 * y + p_low;
  if (std::fabs(in) <= 87.0f) {
    const int e = static_cast<int>(m) + 127;
    const uint32_t bits = static_cast<uint32_t>(e) << 23;
    float scale;
    std::memcpy(&scale, &bits, 4);
    return std::max(y * scale, in);
  }
  if (in < -104.0f) return 0.0f;
  return std::max(std::ldexp(y, static_cast<int>(m)), in);
}

inline double eigen_exp(double in) {
  if (std::isnan(in)) return in;
  const double x0 = std::min(in, 709.784);
  const double fx = std::floor(1.4426950408889634073599 * x0 + 0.5);
  double x = x0 - fx * 0.693145751953125;
  x = x - fx * 1.42860682030941723212e-6;
  const double x2 = x * x;
  double px = 1.26177193074810590878e-4;
  px = px * x2 + 3.02994407707441961300e-2;
  px = px * x2 + 9.99999999999999999910e-1;
  px = px * x;
  double qx = 3.00198505138664455042e-6;
  qx = qx * x2 + 2.52448340349684104192e-3;
  qx = qx * x2 + 2.27265548208155028766e-1;
  qx = qx * x2 + 2.00000000000000000009e0;
  x = px / (qx - px);
  x = 2.0 * x + 1.0;
  if (in < -745.519) return 0.0;
  return std::max(std::ldexp(x, static_cast<int>(fx)), in);
}

// eigen_exp on N lanes with GCC/Clang vector extensions, the same
// operations in the same order as the scalar code: exact where |in| <= 87
// (the caller redoes other lanes, NaN included, in scalar code).
typedef float ExpF4 __attribute__((vector_size(16)));
typedef int32_t ExpI4 __attribute__((vector_size(16)));
typedef float ExpF8 __attribute__((vector_size(32)));
typedef int32_t ExpI8 __attribute__((vector_size(32)));
typedef float ExpF16 __attribute__((vector_size(64)));
typedef int32_t ExpI16 __attribute__((vector_size(64)));

// v = eigen_exp(v), lanes passed by reference (by value GCC warns of ABI
// changes between targets).
template <class F, class I>
__attribute__((always_inline)) inline void eigen_exp_fast(F& v) {
  const F x = v < 88.723f ? v : F{} + 88.723f;
  const F t = x * 1.44269504088896341f + 0.5f;
  F m = __builtin_convertvector(__builtin_convertvector(t, I), F);
  m = m > t ? m - 1.0f : m;  // floor, exact for |t| < 2^31
  F r = m * -0.693359375f + x;
  r = m * 2.12194440e-4f + r;
  const F r2 = r * r;
  F p_even = r2 * 1.37449637986719608306884765625e-3f + 4.166965186595916748046875e-2f;
  const F p_odd = r2 * 8.36894474923610687255859375e-3f + 0.16666518151760101318359375f;
  p_even = r2 * p_even + 0.49999988079071044921875f;
  const F p_low = r + 1.0f;
  F y = r * p_odd + p_even;
  y = r2 * y + p_low;
  const I e = (__builtin_convertvector(m, I) + 127) << 23;
  F scale;
  std::memcpy(&scale, &e, sizeof(scale));
  y = y * scale;
  v = y < v ? v : y;
}

// True when any lane of a comparison mask is set.
template <class I>
__attribute__((always_inline)) inline bool any_lane(const I& mask) {
  constexpr int kWords = sizeof(I) / 8;
  uint64_t words[kWords];
  std::memcpy(words, &mask, sizeof(words));
  uint64_t any = 0;
  for (int l = 0; l < kWords; ++l) any |= words[l];
  return any != 0;
}

template <class F, class I>
__attribute__((always_inline)) inline void eigen_exp_lanes(const float* in, float* out, int64_t n) {
  constexpr int N = sizeof(F) / sizeof(float);
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    F v;
    std::memcpy(&v, in + i, sizeof(v));
    F y = v;
    eigen_exp_fast<F, I>(y);
    const F a = v < 0.0f ? -v : v;
    std::memcpy(out + i, &y, sizeof(y));
    if (any_lane<I>(~(a <= 87.0f)))  // also set for NaN
      for (int l = 0; l < N; ++l) out[i + l] = eigen_exp(v[l]);
  }
  for (; i < n; ++i) out[i] = eigen_exp(in[i]);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// Wider lanes only, no FMA: the same bits as the generic path.
__attribute__((target("avx2"))) inline void eigen_exp_avx2(const float* in, float* out, int64_t n) {
  eigen_exp_lanes<ExpF8, ExpI8>(in, out, n);
}
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) inline void eigen_exp_avx512(const float* in,
                                                                                          float* out, int64_t n) {
  eigen_exp_lanes<ExpF16, ExpI16>(in, out, n);
}
#endif

// out[i] = eigen_exp(in[i]); `in` may equal `out`.
inline void eigen_exp_n(const float* in, float* out, int64_t n) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (cpu_has_avx512()) return eigen_exp_avx512(in, out, n);
  if (cpu_has_avx2_fma()) return eigen_exp_avx2(in, out, n);
#endif
  eigen_exp_lanes<ExpF4, ExpI4>(in, out, n);
}

}  // namespace metarun
