// The direct convolution for small input depth (conv_fast.h), one row loop
// compiled per SIMD level and chosen once through cpu_features.h.
#include <algorithm>
#include <atomic>
#include <cstring>

#include "core/cpu_features.h"
#include "kernels/util/conv_fast.h"

namespace metarun {
namespace {

#define METARUN_SIMD_BODY "kernels/util/conv_direct_body.inc"
#include "kernels/util/simd_levels.inc"

using RowFn = void (*)(const ConvGeom&, const float*, const float*, int64_t, float*, const ConvEpilogue*);

RowFn row_function() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpu_has_avx512()) return avx512::conv_row;
  if (cpu_has_avx2_fma()) return avx2::conv_row;
#endif
  return generic::conv_row;
}

}  // namespace

int64_t parallel_workers(ThreadPool* pool, int64_t units) {
  return pool ? std::max<int64_t>(1, std::min<int64_t>(pool->num_threads(), units)) : 1;
}

void parallel_units(ThreadPool* pool, int64_t units, double cost_per_unit,
                    const std::function<void(int64_t worker, int64_t unit)>& fn) {
  const int64_t workers = parallel_workers(pool, units);
  if (workers <= 1) {
    for (int64_t u = 0; u < units; ++u) fn(0, u);
    return;
  }
  // One index per worker: parallel_for hands each chunk its own [lo, hi),
  // and lo names the worker (one chunk of all when the work is small).
  std::atomic<int64_t> next{0};
  pool->parallel_for(workers, cost_per_unit * static_cast<double>(units) / static_cast<double>(workers),
                     [&](int64_t lo, int64_t) {
                       for (int64_t u = next.fetch_add(1); u < units; u = next.fetch_add(1)) fn(lo, u);
                     });
}

// Beyond a few input channels im2col's K is large enough for the GEMM to
// run near peak, and the direct loop's broadcasts per product lose.
bool direct_conv_suits(const ConvGeom& g) { return g.c <= 4 && g.o >= 8; }

void direct_conv(ThreadPool* pool, const ConvGeom& g, const float* in, const float* filter, float* out,
                 const ConvEpilogue* epilogue) {
  static const RowFn row_fn = row_function();
  const int64_t row_len = g.ow * g.o, rows = g.n * g.oh;
  // Units of rows worth ~20 us each (~2 ns per multiply-add).
  const double row_cost = 0.5 * static_cast<double>(row_len * g.kh * g.kw * g.c);
  const int64_t per_unit = std::max<int64_t>(1, static_cast<int64_t>(20000.0 / std::max(1.0, row_cost)));
  const int64_t units = (rows + per_unit - 1) / per_unit;
  const ConvEpilogue* in_registers = epilogue && epilogue->bias ? epilogue : nullptr;
  parallel_units(pool, units, row_cost * static_cast<double>(per_unit), [&](int64_t, int64_t u) {
    for (int64_t r = u * per_unit; r < std::min(rows, (u + 1) * per_unit); ++r) {
      row_fn(g, in, filter, r, out + r * row_len, in_registers);
      if (epilogue && !in_registers) epilogue->rows(out + r * row_len, g.ow);
    }
  });
}

}  // namespace metarun
