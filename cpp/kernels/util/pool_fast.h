// Float32 max and average pooling over NHWC rows, vectorised across channels
// (AVX-512, AVX2 or SSE, chosen once through cpu_features.h). Each output
// element is the scalar loop's expression in the same order: max as
// `v > acc ? v : acc` from the lowest float (x86's maxps), the average as
// the in-order sum of the covered elements divided by their count. So every
// SIMD level gives pooling_ops.cpp's generic loop's bits.
#pragma once

#include <cstdint>

namespace metarun {

struct PoolGeom {
  int64_t n = 0, h = 0, w = 0, c = 0;  // input, NHWC
  int64_t kh = 1, kw = 1, sh = 1, sw = 1;
  int64_t oh = 0, ow = 0, pad_t = 0, pad_l = 0;
};

// Output rows [r0, r1) (row = image * oh + y) of `out`, [n, oh, ow, c].
void max_pool_rows(const PoolGeom& g, const float* in, float* out, int64_t r0, int64_t r1);
void avg_pool_rows(const PoolGeom& g, const float* in, float* out, int64_t r0, int64_t r1);

}  // namespace metarun
