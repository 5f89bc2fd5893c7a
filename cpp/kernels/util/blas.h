// The one adapter over the BLAS (OpenBLAS from scipy-openblas32). All
// matrices are row-major; `lda`/`ldb`/`ldc` are row strides in elements.
// OpenBLAS itself always runs one thread: its threads spin while waiting,
// and two of them on a mid-size product ran 10-100x slower whenever another
// process held a core. `parallel_gemm` splits a product across the session's
// pool instead, whose threads sleep, so a busy core delays one part only.
#pragma once

#include <string>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <type_traits>

#include "core/dtype.h"
#include "core/threadpool.h"

namespace metarun {

// Caps how many parts parallel_gemm splits a product into (default: the
// core count); the pool's own size (the session's intra-op setting) caps too.
// Where the BLAS shared library is; set once by the Python package at import.
void set_blas_library(const std::string& path);
bool blas_available();
void set_blas_threads(int n);
int blas_threads();

// C[m,n] = op(A)[m,k] * op(B)[k,n] (+ C when `accumulate`). op(X) is X or its
// transpose; `conj_*` conjugates complex operands (adjoint = trans + conj).
struct GemmArgs {
  bool trans_a = false, trans_b = false;
  bool conj_a = false, conj_b = false;
  int64_t m = 0, n = 0, k = 0;
  int64_t lda = 0, ldb = 0, ldc = 0;
  bool accumulate = false;
};

// float/double/complex go to OpenBLAS (gemv for matrix-vector shapes);
// integer types use a plain loop with wrapping arithmetic, as TF's Eigen does.
void gemm(const GemmArgs& g, const float* a, const float* b, float* c);
void gemm(const GemmArgs& g, const double* a, const double* b, double* c);
void gemm(const GemmArgs& g, const complex64* a, const complex64* b, complex64* c);
void gemm(const GemmArgs& g, const complex128* a, const complex128* b, complex128* c);
void gemm(const GemmArgs& g, const int16_t* a, const int16_t* b, int16_t* c);
void gemm(const GemmArgs& g, const int32_t* a, const int32_t* b, int32_t* c);
void gemm(const GemmArgs& g, const int64_t* a, const int64_t* b, int64_t* c);

// Float products on metarun's own AVX-512 kernels (sgemm_packed.cpp), for
// every transpose; false, having done nothing, for products they do not
// take (no AVX-512, conjugates, shapes OpenBLAS runs as fast). `parts` caps
// how many of the pool's threads it uses; the kernels choose how many the
// size is worth. `epilogue` as for parallel_gemm.
bool own_sgemm(ThreadPool* pool, int parts, const GemmArgs& g, const float* a, const float* b, float* c,
               const std::function<void(int64_t, int64_t, int64_t, int64_t)>& epilogue);

struct NoEpilogue {
  void operator()(int64_t, int64_t, int64_t, int64_t) const {}
};

// One gemm split into row or column blocks across `pool`. After each block
// of C is computed, `epilogue(row_lo, row_hi, col_lo, col_hi)` runs on it on
// the same thread, while the block is still in cache (the fused kernels'
// bias and activation). MatMul and _FusedMatMul share this split, so a fused
// product has the unfused one's bits.
template <class T, class Epilogue = NoEpilogue>
void parallel_gemm(ThreadPool* pool, const GemmArgs& g, const T* a, const T* b, T* c,
                   const Epilogue& epilogue = Epilogue()) {
  const double flops = 2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  const int parts = pool ? std::min(pool->num_threads(), blas_threads()) : 1;
  if constexpr (std::is_same_v<T, float>) {
    if (g.m > 0 && g.n > 0 && g.k > 0 && own_sgemm(pool, parts, g, a, b, c, epilogue)) return;
  }
  if (parts <= 1 || flops < 4e6) {
    gemm(g, a, b, c);
    return epilogue(int64_t{0}, g.m, int64_t{0}, g.n);
  }
  // Split the side whose operand is larger, so neither thread packs all of it.
  const bool by_rows = g.m >= g.n;
  const int64_t units = by_rows ? g.m : g.n;
  // ~20 GFLOP/s per core: the pool's cost model wants ns per unit.
  const double ns_per_unit = flops / static_cast<double>(units) * 0.05;
  pool->parallel_for(units, ns_per_unit, [&](int64_t lo, int64_t hi) {
    GemmArgs p = g;
    if (by_rows) {
      p.m = hi - lo;
      gemm(p, g.trans_a ? a + lo : a + lo * g.lda, b, c + lo * g.ldc);
      epilogue(lo, hi, int64_t{0}, g.n);
    } else {
      p.n = hi - lo;
      gemm(p, a, g.trans_b ? b + lo * g.ldb : b + lo, c + lo);
      epilogue(int64_t{0}, g.m, lo, hi);
    }
  });
}

// The type a GEMM on T runs in: 16-bit floats are widened to float.
template <class T> using GemmType = std::conditional_t<is_half_v<T>, float, T>;

}  // namespace metarun
