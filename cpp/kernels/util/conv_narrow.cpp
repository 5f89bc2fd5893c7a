// The direct convolution for few output channels (conv_fast.h), one row
// loop compiled per SIMD level and chosen once through cpu_features.h.
#include <algorithm>
#include <cstring>

#include "core/cpu_features.h"
#include "kernels/util/conv_fast.h"

namespace metarun {
namespace {

namespace generic {
#include "kernels/util/conv_narrow_body.inc"
}  // namespace generic

#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
#include "kernels/util/conv_narrow_body.inc"
}  // namespace avx2
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma")
namespace avx512 {
#include "kernels/util/conv_narrow_body.inc"
}  // namespace avx512
#pragma GCC pop_options
#endif

using RowFn = void (*)(const ConvGeom&, const float*, const float*, int64_t, float*);

RowFn row_function() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpu_has_avx512()) return avx512::narrow_row;
  if (cpu_has_avx2_fma()) return avx2::narrow_row;
#endif
  return generic::narrow_row;
}

}  // namespace

// Undilated, stride 1 (the geometry of a stride-1 Conv2DBackpropInput), and
// few outputs over enough input channels to fill the 16-wide accumulator.
bool narrow_conv_suits(const ConvGeom& g) {
  return g.o <= 2 && g.c >= 16 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1;
}

void narrow_conv(ThreadPool* pool, const ConvGeom& g, const float* in, const float* filter_ohwi, float* out) {
  static const RowFn row_fn = row_function();
  const int64_t row_len = g.ow * g.o, rows = g.n * g.oh;
  // Units of rows worth ~20 us each (~0.1 ns per multiply-add in vectors).
  const double row_cost = 0.1 * static_cast<double>(row_len * g.kh * g.kw * g.c);
  const int64_t per_unit = std::max<int64_t>(1, static_cast<int64_t>(20000.0 / std::max(1.0, row_cost)));
  const int64_t units = (rows + per_unit - 1) / per_unit;
  parallel_units(pool, units, row_cost * static_cast<double>(per_unit), [&](int64_t, int64_t u) {
    for (int64_t r = u * per_unit; r < std::min(rows, (u + 1) * per_unit); ++r)
      row_fn(g, in, filter_ohwi, r, out + r * row_len);
  });
}

}  // namespace metarun
