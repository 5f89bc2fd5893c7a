// float32 C = op(A) * op(B) for the dense-layer shapes and their gradients
// (A row-major [m, k] or, transposed, [k, m]; B [k, n] or [n, k]) on
// AVX-512, with op(B) packed once and shared by the pool's threads. OpenBLAS
// runs at the same speed on one core, but split across two each of its calls
// packs its own copy of the operands: that cost ~12% of the CPU time on
// [256,784]x[784,512]. Here the threads first pack disjoint column panels of
// B into one buffer, then each computes its own rows of C from all of it.
// A transposed A is read in place (a tile's rows are then adjacent floats of
// each of A's rows); a transposed B is transposed in 16x16 blocks while
// packing. On the MLP's gradient products (x^T dy, dy W^T) that took ~2-10%
// less CPU per call than OpenBLAS split across two threads.
//
// Rounding: each C element is a sum over blocks of kKc = 256 products; within
// a block the products are accumulated in order with FMA (one rounding per
// step) starting from zero, and each block's sum is then added to C. That is
// neither TF's order (oneDNN/Eigen) nor, in general, OpenBLAS's (x^T dy for
// a batch of 128, k = 128, came out as OpenBLAS's bits, one block of
// in-order FMAs in both); they stay within the usual float32 GEMM error
// (k * eps * sum |a||b|). The transposes change only where operands are
// read, not the order of the sums. Results do not depend on how rows are
// split across threads or grouped into tiles.
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
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

// dst[c * ldd + r] = src[r * lds + c] for a 16x16 block. Four butterfly
// stages; the stage of distance h swaps bit h of the row index with bit h
// of the lane index, so after all four each element has moved to (c, r).
MR_AVX512 void transpose16(const float* src, int64_t lds, float* dst, int64_t ldd) {
  __m512 r[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * lds);
#pragma GCC unroll 4
  for (int h = 8; h >= 1; h /= 2) {
    alignas(64) int32_t lo_idx[16], hi_idx[16];
    for (int l = 0; l < 16; ++l) {
      lo_idx[l] = (l & h) ? 16 + (l - h) : l;
      hi_idx[l] = (l & h) ? 16 + l : l + h;
    }
    const __m512i lo = _mm512_load_si512(lo_idx), hi = _mm512_load_si512(hi_idx);
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) {
      if (i & h) continue;
      const __m512 a = r[i], b = r[i + h];
      r[i] = _mm512_permutex2var_ps(a, lo, b);
      r[i + h] = _mm512_permutex2var_ps(a, hi, b);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) _mm512_storeu_ps(dst + i * ldd, r[i]);
}

// The same panel from a B stored as [n, k] (op(B) = B^T): column j of the
// panel is row n0 + j of B.
MR_AVX512 void pack_panel_transposed(const float* b, int64_t ldb, int64_t k0, int64_t kc, int64_t n0, int64_t nc,
                                     float* dst) {
  int64_t p = 0;
  if (nc == kNr)
    for (; p + 16 <= kc; p += 16)
      for (int64_t j = 0; j < kNr; j += 16) transpose16(b + (n0 + j) * ldb + k0 + p, ldb, dst + p * kNr + j, kNr);
  for (int64_t j = 0; j < nc; ++j) {
    const float* src = b + (n0 + j) * ldb + k0;
    for (int64_t q = p; q < kc; ++q) dst[q * kNr + j] = src[q];
  }
  for (int64_t q = p; q < kc; ++q)
    for (int64_t j = nc; j < kNr; ++j) dst[q * kNr + j] = 0.0f;
}

// C[rows, cols] (+)= op(A)[rows, kc] * panel, for rows <= kMr, cols <= kNr.
// Element (i, p) of op(A) is a[i * lda + p], or a[p * lda + i] when TransA.
template <int R, bool TransA>
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
      const __m512 av = _mm512_set1_ps(TransA ? a[p * lda + i] : a[i * lda + p]);
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
template <bool T>
constexpr TileFn kTilesOf[kMr + 1] = {nullptr,     tile<1, T>,  tile<2, T>,  tile<3, T>,  tile<4, T>,
                                      tile<5, T>,  tile<6, T>,  tile<7, T>,  tile<8, T>,  tile<9, T>,
                                      tile<10, T>, tile<11, T>, tile<12, T>, tile<13, T>, tile<14, T>};

int64_t num_panels(int64_t n) { return (n + kNr - 1) / kNr; }

// Block k0's panels [j0, j1) into `packed` (blocks follow each other; within
// one, panel j starts at j * kc * kNr).
void pack_panels(const GemmArgs& g, const float* b, float* packed, int64_t j0, int64_t j1) {
  const int64_t np = num_panels(g.n);
  for (int64_t k0 = 0; k0 < g.k; k0 += kKc) {
    const int64_t kc = std::min(kKc, g.k - k0);
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t nc = std::min<int64_t>(kNr, g.n - j * kNr);
      float* dst = packed + k0 * np * kNr + j * kc * kNr;
      if (g.trans_b) pack_panel_transposed(b, g.ldb, k0, kc, j * kNr, nc, dst);
      else pack_panel(b, g.ldb, k0, kc, j * kNr, nc, dst);
    }
  }
}

void compute_rows(const GemmArgs& g, const float* a, const float* packed, float* c, int64_t m0, int64_t m1) {
  const int64_t np = num_panels(g.n);
  const TileFn* tiles = g.trans_a ? kTilesOf<true> : kTilesOf<false>;
  const int64_t ntiles = (m1 - m0 + kMr - 1) / kMr;
  for (int64_t k0 = 0; k0 < g.k; k0 += kKc) {
    const int64_t kc = std::min(kKc, g.k - k0);
    const bool add = k0 > 0 || g.accumulate;
    const float* block = packed + k0 * np * kNr;
    for (int64_t j = 0; j < np; ++j) {
      const float* panel = block + j * kc * kNr;
      const int64_t cols = std::min<int64_t>(kNr, g.n - j * kNr);
      // Rows in equal tiles (128 rows: 10 of 12-13, not 9 of 14 and one of
      // 2, whose few accumulators leave the FMA units waiting on loads).
      for (int64_t t = 0; t < ntiles; ++t) {
        const int64_t i = m0 + (m1 - m0) * t / ntiles;
        const int rows = static_cast<int>(m0 + (m1 - m0) * (t + 1) / ntiles - i);
        const float* a_tile = g.trans_a ? a + k0 * g.lda + i : a + i * g.lda + k0;
        tiles[rows](kc, a_tile, g.lda, panel, c + i * g.ldc + j * kNr, g.ldc, cols, add);
      }
    }
  }
}

}  // namespace

bool use_packed_sgemm(const GemmArgs& g) {
  // Below these sizes OpenBLAS was as fast or faster. METARUN_PACKED_SGEMM=
  // notrans (read once) keeps transposed operands on OpenBLAS, for A/B
  // comparisons and debugging.
  // The packed copy of B is capped at 16 MB: it is kept per calling thread.
  static const bool transposes = [] {
    const char* v = std::getenv("METARUN_PACKED_SGEMM");
    return !(v && std::strcmp(v, "notrans") == 0);
  }();
  if ((g.trans_a || g.trans_b) && !transposes) return false;
  return cpu_has_avx512() && !g.conj_a && !g.conj_b && g.m >= 8 && g.n >= 64 && g.k >= 16 &&
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
