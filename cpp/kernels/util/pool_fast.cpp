#include "kernels/util/pool_fast.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/cpu_features.h"

namespace metarun {
namespace {

namespace generic {
constexpr int kW = 4;
#include "kernels/util/pool_fast_body.inc"
}  // namespace generic

#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
constexpr int kW = 8;
#include "kernels/util/pool_fast_body.inc"
}  // namespace avx2
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma")
namespace avx512 {
constexpr int kW = 16;
#include "kernels/util/pool_fast_body.inc"
}  // namespace avx512
#pragma GCC pop_options
#endif

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
