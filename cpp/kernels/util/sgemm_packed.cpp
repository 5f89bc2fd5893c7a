// float32 C = op(A) * op(B) on AVX-512 for every shape with m >= 1 (A
// row-major [m, k] or, transposed, [k, m]; B [k, n] or [n, k]), three ways:
// - many rows (the dense layers' batches and their gradients): op(B) packed
//   once into one buffer shared by the pool's threads (each packs its share
//   of the panels), then each computes its own rows from all of it.
//   OpenBLAS split across two threads packs one copy per call: that cost
//   ~12% of the CPU time on [256,784]x[784,512].
// - 8..64 rows (a recurrent cell's per-step product, the CNN's dense layer):
//   split by column panels, each packed by the thread that claims it into
//   its own L1-sized buffer. The row split leaves one or two tiles per
//   thread there and waits between packing and computing.
// - fewer than 8 rows of a B stored [k, n] (batch 1): B is read in place,
//   each element once, split by columns. That product is memory-bound, and
//   two cores stream B about twice as fast as one.
// A transposed A is read in place (a tile's rows are then adjacent floats of
// each of A's rows); a transposed B is transposed in 16x16 blocks while
// packing.
//
// Rounding: each C element is a sum over blocks of kKc = 256 products; within
// a block the products are accumulated in order with FMA (one rounding per
// step) starting from zero, and each block's sum is then added to C. That is
// neither TF's order (oneDNN/Eigen) nor, in general, OpenBLAS's (x^T dy for
// a batch of 128, k = 128, came out as OpenBLAS's bits, one block of
// in-order FMAs in both); they stay within the usual float32 GEMM error
// (k * eps * sum |a||b|). All three paths sum in this order, and the
// transposes change only where operands are read, so an element of C does
// not depend on the path, on how many rows the product has, nor on how rows
// or columns are split across threads or grouped into tiles.
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

// The few-row kernel: C[R, cols] (+)= op(A)[R, kc] * B[kc, cols] with B
// read in place (row-major, row stride ldb), cols <= 16 * V. Its sums are
// the packed tile's exactly (in-order FMA from zero, then added to C), so a
// row's result does not depend on how many rows the product has.
template <int R, int V, bool TransA>
MR_AVX512 void direct_tile(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                           int64_t ldc, int64_t cols, bool add) {
  __mmask16 mask[V];
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) {
    const int64_t left = cols - 16 * v;
    mask[v] = left >= 16 ? 0xFFFF : left <= 0 ? 0 : static_cast<__mmask16>((1u << left) - 1);
  }
  __m512 acc[R][V];
#pragma GCC unroll 32
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[i][v] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    __m512 bv[V];
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) bv[v] = _mm512_maskz_loadu_ps(mask[v], b + p * ldb + 16 * v);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const __m512 av = _mm512_set1_ps(TransA ? a[p * lda + i] : a[i * lda + p]);
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
    float* row = c + i * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      __m512 r = acc[i][v];
      if (add) r = _mm512_add_ps(_mm512_maskz_loadu_ps(mask[v], row + 16 * v), r);
      _mm512_mask_storeu_ps(row + 16 * v, mask[v], r);
    }
  }
}

constexpr int64_t kSmallM = 8;  // fewer rows than this: the few-row kernel, B unpacked

// Columns per few-row unit: 8 vectors for up to 3 rows, 4 beyond (at most
// 28 accumulators).
constexpr int direct_vectors(int64_t rows) { return rows <= 3 ? 8 : 4; }

using DirectFn = void (*)(int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t, int64_t, bool);

template <int R, bool T>
DirectFn direct_with_vectors(int v) {
  if constexpr (direct_vectors(R) == 8) {
    switch (v) {
      case 5: return direct_tile<R, 5, T>;
      case 6: return direct_tile<R, 6, T>;
      case 7: return direct_tile<R, 7, T>;
      case 8: return direct_tile<R, 8, T>;
    }
  }
  switch (v) {
    case 1: return direct_tile<R, 1, T>;
    case 2: return direct_tile<R, 2, T>;
    case 3: return direct_tile<R, 3, T>;
    default: return direct_tile<R, 4, T>;
  }
}

// The kernel for `rows` (< kSmallM) rows and `v` vectors of columns (at most
// direct_vectors(rows): narrow products load no masked-off vectors).
template <bool T>
DirectFn direct_fn(int64_t rows, int v) {
  switch (rows) {
    case 1: return direct_with_vectors<1, T>(v);
    case 2: return direct_with_vectors<2, T>(v);
    case 3: return direct_with_vectors<3, T>(v);
    case 4: return direct_with_vectors<4, T>(v);
    case 5: return direct_with_vectors<5, T>(v);
    case 6: return direct_with_vectors<6, T>(v);
    default: return direct_with_vectors<7, T>(v);
  }
}

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

// Rows [m0, m1) of C against one packed panel block (columns j * kNr...).
// Rows go in equal tiles (128 rows: 10 of 12-13, not 9 of 14 and one of 2,
// whose few accumulators leave the FMA units waiting on loads).
void panel_rows(const GemmArgs& g, const float* a, const float* panel, float* c, int64_t m0, int64_t m1,
                int64_t k0, int64_t kc, int64_t j) {
  const TileFn* tiles = g.trans_a ? kTilesOf<true> : kTilesOf<false>;
  const int64_t ntiles = (m1 - m0 + kMr - 1) / kMr;
  const int64_t cols = std::min<int64_t>(kNr, g.n - j * kNr);
  const bool add = k0 > 0 || g.accumulate;
  for (int64_t t = 0; t < ntiles; ++t) {
    const int64_t i = m0 + (m1 - m0) * t / ntiles;
    const int rows = static_cast<int>(m0 + (m1 - m0) * (t + 1) / ntiles - i);
    const float* a_tile = g.trans_a ? a + k0 * g.lda + i : a + i * g.lda + k0;
    tiles[rows](kc, a_tile, g.lda, panel, c + i * g.ldc + j * kNr, g.ldc, cols, add);
  }
}

void compute_rows(const GemmArgs& g, const float* a, const float* packed, float* c, int64_t m0, int64_t m1) {
  const int64_t np = num_panels(g.n);
  for (int64_t k0 = 0; k0 < g.k; k0 += kKc) {
    const int64_t kc = std::min(kKc, g.k - k0);
    const float* block = packed + k0 * np * kNr;
    for (int64_t j = 0; j < np; ++j) panel_rows(g, a, block + j * kc * kNr, c, m0, m1, k0, kc, j);
  }
}

using Epilogue = std::function<void(int64_t, int64_t, int64_t, int64_t)>;

// Row split: op(B) packed once into one buffer (each part packs its share of
// the panels), then each part computes its rows from all of it. Two
// barriers, but each thread reads only its rows of A: for many rows.
void rows_sgemm(ThreadPool* pool, int parts, const GemmArgs& g, const float* a, const float* b, float* c,
                const Epilogue& epilogue) {
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

// Column split: each unit is one panel of kNr columns, which the thread that
// claims it packs block by block into its own 32 KB buffer (it stays in L1)
// and multiplies by all rows. One hand-off and no barrier, and units are
// claimed as threads come free: for few rows, where the row split leaves
// one or two tiles per thread and a wait between packing and computing.
void columns_sgemm(ThreadPool* pool, int parts, const GemmArgs& g, const float* a, const float* b, float* c,
                   const Epilogue& epilogue) {
  const auto unit = [&](int64_t j) {
    thread_local std::vector<float> buffer(kKc * kNr);
    float* panel = buffer.data();
    const int64_t nc = std::min<int64_t>(kNr, g.n - j * kNr);
    for (int64_t k0 = 0; k0 < g.k; k0 += kKc) {
      const int64_t kc = std::min(kKc, g.k - k0);
      if (g.trans_b) pack_panel_transposed(b, g.ldb, k0, kc, j * kNr, nc, panel);
      else pack_panel(b, g.ldb, k0, kc, j * kNr, nc, panel);
      panel_rows(g, a, panel, c, 0, g.m, k0, kc, j);
    }
    epilogue(0, g.m, j * kNr, j * kNr + nc);
  };
  const int64_t np = num_panels(g.n);
  if (!pool || parts <= 1) {
    for (int64_t j = 0; j < np; ++j) unit(j);
  } else {
    pool->parallel_units(np, parts, unit);
  }
}

// Fewer than kSmallM rows of a B stored [k, n]: nothing is packed (each
// element of B is used once per row block), B streams from cache or memory,
// so the product is memory-bound and two cores split the columns.
void few_rows_sgemm(ThreadPool* pool, int parts, const GemmArgs& g, const float* a, const float* b, float* c,
                    const Epilogue& epilogue) {
  const int v = static_cast<int>(std::min<int64_t>(direct_vectors(g.m), (g.n + 15) / 16));
  const DirectFn fn = g.trans_a ? direct_fn<true>(g.m, v) : direct_fn<false>(g.m, v);
  const int64_t width = 16 * v;
  const auto unit = [&](int64_t u) {
    const int64_t j0 = u * width, cols = std::min(width, g.n - j0);
    for (int64_t k0 = 0; k0 < g.k; k0 += kKc) {
      const int64_t kc = std::min(kKc, g.k - k0);
      const float* a_block = g.trans_a ? a + k0 * g.lda : a + k0;
      fn(kc, a_block, g.lda, b + k0 * g.ldb + j0, g.ldb, c + j0, g.ldc, cols, k0 > 0 || g.accumulate);
    }
    epilogue(0, g.m, j0, j0 + cols);
  };
  const int64_t units = (g.n + width - 1) / width;
  if (!pool || parts <= 1) {
    for (int64_t u = 0; u < units; ++u) unit(u);
  } else {
    pool->parallel_units(units, parts, unit);
  }
}

// Which of the paths above a product takes. METARUN_PACKED_SGEMM (read
// once): "notrans" keeps products with a transposed operand on OpenBLAS;
// "rows" keeps the row split for every size and few-row products on
// OpenBLAS (the paths before the column split), for A/B comparisons and
// debugging.
enum class Mode { kAll, kNoTrans, kRows };

Mode mode() {
  static const Mode m = [] {
    const char* v = std::getenv("METARUN_PACKED_SGEMM");
    if (v && std::strcmp(v, "notrans") == 0) return Mode::kNoTrans;
    if (v && std::strcmp(v, "rows") == 0) return Mode::kRows;
    return Mode::kAll;
  }();
  return m;
}

}  // namespace

bool own_sgemm(ThreadPool* pool, int parts, const GemmArgs& g, const float* a, const float* b, float* c,
               const Epilogue& epilogue) {
  if (!cpu_has_avx512() || g.conj_a || g.conj_b) return false;
  const Mode md = mode();
  if ((g.trans_a || g.trans_b) && md == Mode::kNoTrans) return false;
  const double flops = 2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  // Thread counts and the row/column choice by measurement on the 2-core
  // EPYC (sgemm_packed.cpp's commit messages have the numbers).
  constexpr double kFewSplit = 4e5, kColSplit = 1e6;
  constexpr int64_t kColMaxM = 64;
  if (md != Mode::kRows && g.m < kSmallM) {
    if (!g.trans_b) few_rows_sgemm(pool, flops < kFewSplit ? 1 : parts, g, a, b, c, epilogue);
    else columns_sgemm(pool, flops < kColSplit ? 1 : parts, g, a, b, c, epilogue);
    return true;
  }
  // Below these sizes OpenBLAS was as fast or faster.
  if (g.m < kSmallM || g.n < 64 || g.k < 16 ||
      static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k) < 2e5)
    return false;
  if (md != Mode::kRows && g.m <= kColMaxM) {
    columns_sgemm(pool, flops < kColSplit ? 1 : parts, g, a, b, c, epilogue);
    return true;
  }
  // The packed copy of B is capped at 16 MB: it is kept per calling thread.
  if (g.k * num_panels(g.n) * kNr > (int64_t{1} << 22)) return false;
  rows_sgemm(pool, flops < 4e6 ? 1 : parts, g, a, b, c, epilogue);
  return true;
}

}  // namespace metarun
