// float32 C = A * B for the dense-layer shapes (A row-major [m, k], B
// row-major [k, n]) on AVX-512, with B packed once and shared by the pool's
// threads. OpenBLAS runs at the same speed on one core, but split across two
// each of its calls packs its own copy of the operands: that cost ~12% of the
// CPU time on [256,784]x[784,512]. Here the threads first pack disjoint
// column panels of B into one buffer, then each computes its own rows of C
// from all of it.
//
// Rounding: each C element is a sum over blocks of kKc = 256 products; within
// a block the products are accumulated in order with FMA (one rounding per
// step) starting from zero, and each block's sum is then added to C. That is
// neither OpenBLAS's order nor TF's (oneDNN/Eigen); the results stay within
// the usual float32 GEMM error (k * eps * sum |a||b|). They do not depend on
// how rows are split across threads.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/util/blas.h"

namespace metarun {
namespace {

constexpr int kNr = 32;   // columns per panel: two zmm registers
constexpr int kMr = 14;   // rows per tile: 28 accumulators of the 32 zmm registers
constexpr int64_t kKc = 256;  // k per block: a 32 KB panel stays in L1 across a thread's tiles

#define MR_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))

// Panel j of block [k0, k0 + kc): kc rows of kNr floats, zero past column n.
MR_AVX512 void pack_panel(const float* b, int64_t ldb, int64_t k0, int64_t kc, int64_t n0, int64_t nc, float* dst) {
  for (int64_t p = 0; p < kc; ++p) {
    const float* src = b + (k0 + p) * ldb + n0;
    float* d = dst + p * kNr;
    if (nc == kNr) {
      _mm512_storeu_ps(d, _mm512_loadu_ps(src));
      _mm512_storeu_ps(d + 16, _mm512_loadu_ps(src + 16));
    } else {
      for (int64_t j = 0; j < nc; ++j) d[j] = src[j];
      for (int64_t j = nc; j < kNr; ++j) d[j] = 0.0f;
    }
  }
}

// C[rows, cols] (+)= A[rows, kc] * panel, for rows <= kMr, cols <= kNr.
template <int R>
MR_AVX512 void tile(int64_t kc, const float* a, int64_t lda, const float* panel, float* c, int64_t ldc, int64_t cols,
                    bool add) {
  __m512 acc[R][2];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_loadu_ps(panel + p * kNr);
    const __m512 b1 = _mm512_loadu_ps(panel + p * kNr + 16);
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      const __m512 av = _mm512_set1_ps(a[i * lda + p]);
      acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
  }
  const __mmask16 m0 = cols >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : static_cast<__mmask16>((1u << (cols - 16)) - 1);
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) {
    float* row = c + i * ldc;
    if (add) {
      acc[i][0] = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, row), acc[i][0]);
      acc[i][1] = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, row + 16), acc[i][1]);
    }
    _mm512_mask_storeu_ps(row, m0, acc[i][0]);
    _mm512_mask_storeu_ps(row + 16, m1, acc[i][1]);
  }
}

using TileFn = void (*)(int64_t, const float*, int64_t, const float*, float*, int64_t, int64_t, bool);
constexpr TileFn kTiles[kMr + 1] = {nullptr,  tile<1>,  tile<2>,  tile<3>,  tile<4>,  tile<5>,  tile<6>, tile<7>,
                                    tile<8>,  tile<9>,  tile<10>, tile<11>, tile<12>, tile<13>, tile<14>};

int64_t num_panels(int64_t n) { return (n + kNr - 1) / kNr; }

// Block k0's panels [j0, j1) into `packed` (blocks follow each other; within
// one, panel j starts at j * kc * kNr).
void pack_panels(const GemmArgs& g, const float* b, float* packed, int64_t j0, int64_t j1) {
  const int64_t np = num_panels(g.n);
  for (int64_t k0 = 0; k0 < g.k; k0 += kKc) {
    const int64_t kc = std::min(kKc, g.k - k0);
    for (int64_t j = j0; j < j1; ++j)
      pack_panel(b, g.ldb, k0, kc, j * kNr, std::min<int64_t>(kNr, g.n - j * kNr), packed + k0 * np * kNr + j * kc * kNr);
  }
}

void compute_rows(const GemmArgs& g, const float* a, const float* packed, float* c, int64_t m0, int64_t m1) {
  const int64_t np = num_panels(g.n);
  for (int64_t k0 = 0; k0 < g.k; k0 += kKc) {
    const int64_t kc = std::min(kKc, g.k - k0);
    const bool add = k0 > 0 || g.accumulate;
    const float* block = packed + k0 * np * kNr;
    for (int64_t j = 0; j < np; ++j) {
      const float* panel = block + j * kc * kNr;
      const int64_t cols = std::min<int64_t>(kNr, g.n - j * kNr);
      for (int64_t i = m0; i < m1; i += kMr) {
        const int rows = static_cast<int>(std::min<int64_t>(kMr, m1 - i));
        kTiles[rows](kc, a + i * g.lda + k0, g.lda, panel, c + i * g.ldc + j * kNr, g.ldc, cols, add);
      }
    }
  }
}

}  // namespace

bool use_packed_sgemm(const GemmArgs& g) {
  // Below these sizes (or with a transposed operand, which would need a
  // gathering pack) OpenBLAS was as fast or faster.
  // The packed copy of B is capped at 16 MB: it is kept per calling thread.
  return cpu_has_avx512() && !g.trans_a && !g.trans_b && g.m >= 8 && g.n >= 64 && g.k >= 16 &&
         static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k) >= 2e5 &&
         g.k * num_panels(g.n) * kNr <= (int64_t{1} << 22);
}

void packed_sgemm(ThreadPool* pool, int parts, const GemmArgs& g, const float* a, const float* b, float* c,
                  const std::function<void(int64_t, int64_t, int64_t, int64_t)>& epilogue) {
  // One buffer per calling thread, kept between calls (a fresh 1.6 MB buffer
  // per call would fault in its pages each time).
  thread_local std::vector<float> buffer;
  const int64_t np = num_panels(g.n);
  const size_t size = static_cast<size_t>(g.k * np * kNr);
  if (buffer.size() < size) buffer.resize(size);
  float* packed = buffer.data();
  parts = static_cast<int>(std::min<int64_t>(parts, (g.m + kMr - 1) / kMr));
  if (!pool || parts <= 1) {
    pack_panels(g, b, packed, 0, np);
    compute_rows(g, a, packed, c, 0, g.m);
    return epilogue(0, g.m, 0, g.n);
  }
  // Each part packs its share of the panels, then computes its rows (tiles
  // of kMr rows, so a split adds no partial tiles).
  pool->parallel_for(parts, 1e9, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) pack_panels(g, b, packed, np * p / parts, np * (p + 1) / parts);
  });
  const int64_t tiles = (g.m + kMr - 1) / kMr;
  pool->parallel_for(parts, 1e9, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      const int64_t m0 = std::min(g.m, tiles * p / parts * kMr), m1 = std::min(g.m, tiles * (p + 1) / parts * kMr);
      if (m0 >= m1) continue;
      compute_rows(g, a, packed, c, m0, m1);
      epilogue(m0, m1, 0, g.n);
    }
  });
}

}  // namespace metarun
