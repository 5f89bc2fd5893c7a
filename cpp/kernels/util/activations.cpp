#include "kernels/util/activations.h"

#include <cmath>
#include <cstring>

#include "core/cpu_features.h"
#include "kernels/util/eigen_exp.h"

namespace metarun {

// tanh's odd Taylor polynomial in Horner's form, without FMA (the build never
// contracts): tanh_lanes evaluates the very same float operations per lane.
inline float tanh_taylor(float v) {
  const float v2 = v * v;
  return v * (1.0f + v2 * (-1.0f / 3 + v2 * (2.0f / 15 + v2 * (-17.0f / 315 + v2 * (62.0f / 2835 +
         v2 * (-1382.0f / 155925 + v2 * (21844.0f / 6081075)))))));
}

float sigmoid_one(float v) { return 1.0f / (1.0f + eigen_exp(-v)); }

float tanh_one(float v) {
  if (std::isnan(v)) return v;
  const float av = std::fabs(v);
  if (av < 0.3f) return tanh_taylor(v);
  // Beyond 2|x| = 87 the quotient rounds to exactly 1 either way.
  return std::copysign(1.0f - 2.0f / (eigen_exp(std::min(2.0f * av, 87.0f)) + 1.0f), v);
}

namespace {

// Lanes of e^{-x} in the fast range give 1 / (1 + e) directly; a vector with
// a lane beyond it (|x| > 87, NaN: rare) is redone element by element.
template <class F, class I>
__attribute__((always_inline)) inline void sigmoid_lanes(const float* in, float* out, int64_t n) {
  constexpr int N = sizeof(F) / sizeof(float);
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    F v;
    std::memcpy(&v, in + i, sizeof(v));
    F e = -v;
    eigen_exp_fast<F, I>(e);
    const F y = 1.0f / (1.0f + e);
    const F a = v < 0.0f ? -v : v;
    std::memcpy(out + i, &y, sizeof(y));
    if (any_lane<I>(~(a <= 87.0f)))
      for (int l = 0; l < N; ++l) out[i + l] = sigmoid_one(v[l]);
  }
  for (; i < n; ++i) out[i] = sigmoid_one(in[i]);
}

// Both of tanh_one's forms on every lane, then a select: no branch per
// element. 2|x| is capped at 87 (the quotient is 1 beyond it), which keeps
// every lane in eigen_exp's fast range; NaN lanes pass the input through.
template <class F, class I>
__attribute__((always_inline)) inline void tanh_lanes(const float* in, float* out, int64_t n) {
  constexpr int N = sizeof(F) / sizeof(float);
  const I kSign = I{} + static_cast<int32_t>(0x80000000u);
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    F v;
    std::memcpy(&v, in + i, sizeof(v));
    I bits, abs_bits;
    std::memcpy(&bits, &v, sizeof(bits));
    abs_bits = bits & ~kSign;
    F av;
    std::memcpy(&av, &abs_bits, sizeof(av));
    F twice = av * 2.0f;
    twice = twice < 87.0f ? twice : F{} + 87.0f;
    eigen_exp_fast<F, I>(twice);
    const F big = 1.0f - 2.0f / (twice + 1.0f);
    I big_bits;
    std::memcpy(&big_bits, &big, sizeof(big_bits));
    big_bits = (big_bits & ~kSign) | (bits & kSign);
    const F v2 = v * v;
    const F small = v * (1.0f + v2 * (-1.0f / 3 + v2 * (2.0f / 15 + v2 * (-17.0f / 315 + v2 * (62.0f / 2835 +
                    v2 * (-1382.0f / 155925 + v2 * (21844.0f / 6081075)))))));
    I small_bits;
    std::memcpy(&small_bits, &small, sizeof(small_bits));
    I r = av < 0.3f ? small_bits : big_bits;
    r = v != v ? bits : r;
    std::memcpy(out + i, &r, sizeof(r));
  }
  for (; i < n; ++i) out[i] = tanh_one(in[i]);
}

void sigmoid_generic(const float* in, float* out, int64_t n) { sigmoid_lanes<ExpF4, ExpI4>(in, out, n); }
void tanh_generic(const float* in, float* out, int64_t n) { tanh_lanes<ExpF4, ExpI4>(in, out, n); }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// Wider lanes only, no FMA: the same bits as the generic path.
__attribute__((target("avx2"))) void sigmoid_avx2(const float* in, float* out, int64_t n) {
  sigmoid_lanes<ExpF8, ExpI8>(in, out, n);
}
__attribute__((target("avx2"))) void tanh_avx2(const float* in, float* out, int64_t n) {
  tanh_lanes<ExpF8, ExpI8>(in, out, n);
}
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) void sigmoid_avx512(const float* in, float* out,
                                                                                 int64_t n) {
  sigmoid_lanes<ExpF16, ExpI16>(in, out, n);
}
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) void tanh_avx512(const float* in, float* out,
                                                                              int64_t n) {
  tanh_lanes<ExpF16, ExpI16>(in, out, n);
}
#endif

using ArrayFn = void (*)(const float*, float*, int64_t);

template <ArrayFn kGeneric, ArrayFn kAvx2, ArrayFn kAvx512>
ArrayFn pick() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (cpu_has_avx512()) return kAvx512;
  if (cpu_has_avx2_fma()) return kAvx2;
#endif
  return kGeneric;
}

}  // namespace

void sigmoid_n(const float* in, float* out, int64_t n) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const ArrayFn fn = pick<sigmoid_generic, sigmoid_avx2, sigmoid_avx512>();
#else
  static const ArrayFn fn = sigmoid_generic;
#endif
  fn(in, out, n);
}

void tanh_n(const float* in, float* out, int64_t n) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const ArrayFn fn = pick<tanh_generic, tanh_avx2, tanh_avx512>();
#else
  static const ArrayFn fn = tanh_generic;
#endif
  fn(in, out, n);
}

}  // namespace metarun
