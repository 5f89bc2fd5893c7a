#include "kernels/util/pool_fast.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/cpu_features.h"

namespace metarun {
namespace {

#define METARUN_SIMD_BODY "kernels/util/pool_fast_body.inc"
#include "kernels/util/simd_levels.inc"

using RowsFn = void (*)(const PoolGeom&, const float*, float*, int64_t, int64_t);

struct RowsFns {
  RowsFn max, avg;
};

RowsFns pick() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpu_has_avx512()) return {avx512::max_rows, avx512::avg_rows};
  if (cpu_has_avx2_fma()) return {avx2::max_rows, avx2::avg_rows};
#endif
  return {generic::max_rows, generic::avg_rows};
}

const RowsFns& fns() {
  static const RowsFns f = pick();
  return f;
}

}  // namespace

void max_pool_rows(const PoolGeom& g, const float* in, float* out, int64_t r0, int64_t r1) {
  fns().max(g, in, out, r0, r1);
}
void avg_pool_rows(const PoolGeom& g, const float* in, float* out, int64_t r0, int64_t r1) {
  fns().avg(g, in, out, r0, r1);
}

}  // namespace metarun
