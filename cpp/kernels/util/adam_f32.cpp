#include "kernels/util/adam_f32.h"

#include <immintrin.h>

#include <cmath>

#include "core/cpu_features.h"

namespace metarun {
namespace {

// One element; also the tail of the SIMD loops. sqrt and division are
// correctly rounded in scalar and vector form alike, so lanes agree with it.
// (The AVX-512 loop takes sqrt in its zero-masked form with every lane set:
// GCC 12 warns about the plain intrinsic's uninitialised passthrough.)
inline void step(const AdamF32& p, float& var, float& m, float& v, float g) {
  m = m + (g - m) * p.one_minus_beta1;
  v = v + (g * g - v) * p.one_minus_beta2;
  const float num = p.nesterov ? (g * p.one_minus_beta1 + p.beta1 * m) * p.alpha : m * p.alpha;
  var = var - num / (std::sqrt(v) + p.epsilon);
}

void adam_generic(const AdamF32& p, float* var, float* m, float* v, const float* g, int64_t n) {
  for (int64_t i = 0; i < n; ++i) step(p, var[i], m[i], v[i], g[i]);
}

__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma"))) void adam_avx512(const AdamF32& p, float* var,
                                                                                     float* m, float* v,
                                                                                     const float* g, int64_t n) {
  const __m512 b1c = _mm512_set1_ps(p.one_minus_beta1), b2c = _mm512_set1_ps(p.one_minus_beta2);
  const __m512 b1 = _mm512_set1_ps(p.beta1), alpha = _mm512_set1_ps(p.alpha), eps = _mm512_set1_ps(p.epsilon);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 gi = _mm512_loadu_ps(g + i);
    __m512 mi = _mm512_loadu_ps(m + i), vi = _mm512_loadu_ps(v + i);
    mi = _mm512_add_ps(mi, _mm512_mul_ps(_mm512_sub_ps(gi, mi), b1c));
    vi = _mm512_add_ps(vi, _mm512_mul_ps(_mm512_sub_ps(_mm512_mul_ps(gi, gi), vi), b2c));
    const __m512 num = p.nesterov
                           ? _mm512_mul_ps(_mm512_add_ps(_mm512_mul_ps(gi, b1c), _mm512_mul_ps(b1, mi)), alpha)
                           : _mm512_mul_ps(mi, alpha);
    const __m512 upd = _mm512_div_ps(num, _mm512_add_ps(_mm512_maskz_sqrt_ps(0xFFFF, vi), eps));
    _mm512_storeu_ps(m + i, mi);
    _mm512_storeu_ps(v + i, vi);
    _mm512_storeu_ps(var + i, _mm512_sub_ps(_mm512_loadu_ps(var + i), upd));
  }
  for (; i < n; ++i) step(p, var[i], m[i], v[i], g[i]);
}

__attribute__((target("avx2,fma"))) void adam_avx2(const AdamF32& p, float* var, float* m, float* v, const float* g,
                                                   int64_t n) {
  const __m256 b1c = _mm256_set1_ps(p.one_minus_beta1), b2c = _mm256_set1_ps(p.one_minus_beta2);
  const __m256 b1 = _mm256_set1_ps(p.beta1), alpha = _mm256_set1_ps(p.alpha), eps = _mm256_set1_ps(p.epsilon);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gi = _mm256_loadu_ps(g + i);
    __m256 mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
    mi = _mm256_add_ps(mi, _mm256_mul_ps(_mm256_sub_ps(gi, mi), b1c));
    vi = _mm256_add_ps(vi, _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(gi, gi), vi), b2c));
    const __m256 num = p.nesterov
                           ? _mm256_mul_ps(_mm256_add_ps(_mm256_mul_ps(gi, b1c), _mm256_mul_ps(b1, mi)), alpha)
                           : _mm256_mul_ps(mi, alpha);
    const __m256 upd = _mm256_div_ps(num, _mm256_add_ps(_mm256_sqrt_ps(vi), eps));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    _mm256_storeu_ps(var + i, _mm256_sub_ps(_mm256_loadu_ps(var + i), upd));
  }
  for (; i < n; ++i) step(p, var[i], m[i], v[i], g[i]);
}

}  // namespace

void adam_f32(const AdamF32& p, float* var, float* m, float* v, const float* g, int64_t n) {
  // One variable passed as two of var, m, v: the scalar loop's order of
  // reads and writes within an element decides the result; keep it.
  if (var == m || var == v || m == v) return adam_generic(p, var, m, v, g, n);
  if (cpu_has_avx512()) return adam_avx512(p, var, m, v, g, n);
  if (cpu_has_avx2_fma()) return adam_avx2(p, var, m, v, g, n);
  adam_generic(p, var, m, v, g, n);
}

}  // namespace metarun
