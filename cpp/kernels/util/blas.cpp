// The only file that calls cblas_*. OpenBLAS takes 32-bit dims (blasint);
// larger products fall back to the plain loop rather than overflow.
// Measured on the 2-core EPYC this was written on: sgemm peaks near
// 95-100 GFLOP/s per core ([256,784]x[784,512], one thread).
#include "kernels/util/blas.h"

#include <cblas.h>
#include <immintrin.h>

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>
#include <climits>
#include <cstring>
#include <type_traits>

#include "core/cpu_features.h"
#include "core/threadpool.h"

namespace metarun {
namespace {

std::atomic<int> g_cap{0};

std::string& library_path() {
  static std::string* path = new std::string();
  return *path;
}

// The BLAS is opened on first use, not when the module loads: OpenBLAS starts
// its thread pool at load time, which cost ~50 ms of `import metarun`.
// cblas.h supplies only the prototypes. OpenBLAS runs single-threaded
// (parallel_gemm splits products across the session's pool, see blas.h), so it
// is loaded with OPENBLAS_NUM_THREADS=1 and never starts a pool. Without the
// library every product falls back to the plain loops.
struct BlasFns {
  decltype(&scipy_cblas_sgemm) sgemm = nullptr;
  decltype(&scipy_cblas_dgemm) dgemm = nullptr;
  decltype(&scipy_cblas_cgemm) cgemm = nullptr;
  decltype(&scipy_cblas_zgemm) zgemm = nullptr;
  decltype(&scipy_cblas_sgemv) sgemv = nullptr;
  decltype(&scipy_cblas_dgemv) dgemv = nullptr;
  bool ok = false;
};

template <class F>
void load_symbol(void* lib, const char* name, F* out) {
  *out = reinterpret_cast<F>(dlsym(lib, name));
}

const BlasFns& blas() {
  static const BlasFns fns = [] {
    BlasFns f;
    const std::string& path = library_path();
    if (path.empty()) return f;
    const char* old = std::getenv("OPENBLAS_NUM_THREADS");
    std::string saved = old ? old : "";
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (old) setenv("OPENBLAS_NUM_THREADS", saved.c_str(), 1);
    else unsetenv("OPENBLAS_NUM_THREADS");
    if (!lib) return f;
    load_symbol(lib, "scipy_cblas_sgemm", &f.sgemm);
    load_symbol(lib, "scipy_cblas_dgemm", &f.dgemm);
    load_symbol(lib, "scipy_cblas_cgemm", &f.cgemm);
    load_symbol(lib, "scipy_cblas_zgemm", &f.zgemm);
    load_symbol(lib, "scipy_cblas_sgemv", &f.sgemv);
    load_symbol(lib, "scipy_cblas_dgemv", &f.dgemv);
    decltype(&scipy_openblas_set_num_threads) set_threads = nullptr;
    load_symbol(lib, "scipy_openblas_set_num_threads", &set_threads);
    if (set_threads) set_threads(1);
    f.ok = f.sgemm && f.dgemm && f.cgemm && f.zgemm && f.sgemv && f.dgemv;
    return f;
  }();
  return fns;
}

bool fits_blas(const GemmArgs& g) {
  for (int64_t v : {g.m, g.n, g.k, g.lda, g.ldb, g.ldc})
    if (v > INT_MAX) return false;
  return true;
}

template <class T> T conj_if(T v, bool c) {
  if constexpr (is_complex_v<T>) return c ? std::conj(v) : v;
  else return v;
}

template <class T, bool kInt> struct WrapType { using type = T; };
template <class T> struct WrapType<T, true> { using type = std::make_unsigned_t<T>; };

// Plain triple loop; integers wrap on overflow (unsigned arithmetic) as TF's do.
template <class T>
void loop_gemm(const GemmArgs& g, const T* a, const T* b, T* c) {
  using Acc = typename WrapType<T, std::is_integral_v<T>>::type;
  for (int64_t i = 0; i < g.m; ++i) {
    T* crow = c + i * g.ldc;
    if (!g.accumulate) std::fill(crow, crow + g.n, T(0));
    for (int64_t p = 0; p < g.k; ++p) {
      T av = conj_if(g.trans_a ? a[p * g.lda + i] : a[i * g.lda + p], g.conj_a);
      if (av == T(0)) continue;
      if (!g.trans_b && !g.conj_b) {
        const T* brow = b + p * g.ldb;
        for (int64_t j = 0; j < g.n; ++j)
          crow[j] = static_cast<T>(Acc(crow[j]) + Acc(av) * Acc(brow[j]));
      } else {
        for (int64_t j = 0; j < g.n; ++j) {
          T bv = conj_if(g.trans_b ? b[j * g.ldb + p] : b[p * g.ldb + j], g.conj_b);
          crow[j] = static_cast<T>(Acc(crow[j]) + Acc(av) * Acc(bv));
        }
      }
    }
  }
}

CBLAS_TRANSPOSE op(bool trans, bool conj) {
  return trans ? (conj ? CblasConjTrans : CblasTrans) : CblasNoTrans;
}

// Common edge handling; returns true when nothing is left for BLAS to do.
template <class T>
bool trivial(const GemmArgs& g, T* c) {
  if (g.m == 0 || g.n == 0) return true;
  if (g.k == 0) {
    if (!g.accumulate)
      for (int64_t i = 0; i < g.m; ++i) std::fill(c + i * g.ldc, c + i * g.ldc + g.n, T(0));
    return true;
  }
  return false;
}

// Matrix-vector products through gemv: sgemm with M=1 runs at half speed.
template <class T, class Gemv>
bool try_gemv(const GemmArgs& g, const T* a, const T* b, T* c, Gemv gemv) {
  const T beta = g.accumulate ? T(1) : T(0);
  if (g.m == 1) {  // c[1,n] = a[1,k] * op(B)
    int incx = g.trans_a ? static_cast<int>(g.lda) : 1;
    if (g.trans_b) gemv(CblasRowMajor, CblasNoTrans, g.n, g.k, T(1), b, g.ldb, a, incx, beta, c, 1);
    else gemv(CblasRowMajor, CblasTrans, g.k, g.n, T(1), b, g.ldb, a, incx, beta, c, 1);
    return true;
  }
  if (g.n == 1) {  // c[m,1] = op(A) * b[k,1]
    int incx = g.trans_b ? 1 : static_cast<int>(g.ldb);
    int incy = static_cast<int>(g.ldc);
    if (g.trans_a) gemv(CblasRowMajor, CblasTrans, g.k, g.m, T(1), a, g.lda, b, incx, beta, c, incy);
    else gemv(CblasRowMajor, CblasNoTrans, g.m, g.k, T(1), a, g.lda, b, incx, beta, c, incy);
    return true;
  }
  return false;
}

// y[0,n) (+)= x . B for a row-major B [k, n]: the batch-1 dense layer, which
// this OpenBLAS's sgemv runs ~25% slower than numpy's. Four rows of B at a
// time stream contiguously into y, which stays in L1.
__attribute__((target("avx2,fma"))) void vecmat_avx2(const float* x, int64_t incx, const float* b, int64_t ldb,
                                                    int64_t k, int64_t n, float* y, bool accumulate) {
  if (!accumulate) std::fill(y, y + n, 0.0f);
  const int64_t n8 = n & ~int64_t{7};
  int64_t p = 0;
  for (; p + 4 <= k; p += 4) {
    const float* r0 = b + p * ldb;
    const float* r1 = r0 + ldb;
    const float* r2 = r1 + ldb;
    const float* r3 = r2 + ldb;
    const float x0 = x[p * incx], x1 = x[(p + 1) * incx], x2 = x[(p + 2) * incx], x3 = x[(p + 3) * incx];
    const __m256 v0 = _mm256_set1_ps(x0), v1 = _mm256_set1_ps(x1), v2 = _mm256_set1_ps(x2), v3 = _mm256_set1_ps(x3);
    for (int64_t j = 0; j < n8; j += 8) {
      __m256 acc = _mm256_loadu_ps(y + j);
      acc = _mm256_fmadd_ps(v0, _mm256_loadu_ps(r0 + j), acc);
      acc = _mm256_fmadd_ps(v1, _mm256_loadu_ps(r1 + j), acc);
      acc = _mm256_fmadd_ps(v2, _mm256_loadu_ps(r2 + j), acc);
      acc = _mm256_fmadd_ps(v3, _mm256_loadu_ps(r3 + j), acc);
      _mm256_storeu_ps(y + j, acc);
    }
    for (int64_t j = n8; j < n; ++j) y[j] += x0 * r0[j] + x1 * r1[j] + x2 * r2[j] + x3 * r3[j];
  }
  for (; p < k; ++p) {
    const float xv = x[p * incx];
    const float* r = b + p * ldb;
    for (int64_t j = 0; j < n; ++j) y[j] += xv * r[j];
  }
}

}  // namespace

void set_blas_library(const std::string& path) { library_path() = path; }
bool blas_available() { return blas().ok; }

void set_blas_threads(int n) { g_cap.store(std::max(1, n), std::memory_order_relaxed); }
int blas_threads() {
  // hardware_concurrency reads sysfs on every call: ask once.
  static const int kDefault = default_num_threads();
  const int c = g_cap.load(std::memory_order_relaxed);
  return c > 0 ? c : kDefault;
}

void gemm(const GemmArgs& g, const float* a, const float* b, float* c) {
  if (trivial(g, c)) return;
  if (!fits_blas(g)) return loop_gemm(g, a, b, c);
  if (g.m == 1 && !g.trans_b && cpu_has_avx2_fma())
    return vecmat_avx2(a, g.trans_a ? g.lda : 1, b, g.ldb, g.k, g.n, c, g.accumulate);
  const BlasFns& f = blas();
  if (!f.ok) return loop_gemm(g, a, b, c);
  if (try_gemv(g, a, b, c, f.sgemv)) return;
  f.sgemm(CblasRowMajor, op(g.trans_a, false), op(g.trans_b, false), g.m, g.n, g.k, 1.0f,
                    a, g.lda, b, g.ldb, g.accumulate ? 1.0f : 0.0f, c, g.ldc);
}

void gemm(const GemmArgs& g, const double* a, const double* b, double* c) {
  if (trivial(g, c)) return;
  if (!fits_blas(g)) return loop_gemm(g, a, b, c);
  const BlasFns& f = blas();
  if (!f.ok) return loop_gemm(g, a, b, c);
  if (try_gemv(g, a, b, c, f.dgemv)) return;
  f.dgemm(CblasRowMajor, op(g.trans_a, false), op(g.trans_b, false), g.m, g.n, g.k, 1.0,
                    a, g.lda, b, g.ldb, g.accumulate ? 1.0 : 0.0, c, g.ldc);
}

// Conjugation without transposition has no cblas flag; the plain loop does it.
void gemm(const GemmArgs& g, const complex64* a, const complex64* b, complex64* c) {
  if (trivial(g, c)) return;
  if (!fits_blas(g) || (g.conj_a && !g.trans_a) || (g.conj_b && !g.trans_b)) return loop_gemm(g, a, b, c);
  const BlasFns& f = blas();
  if (!f.ok) return loop_gemm(g, a, b, c);
  const complex64 one(1), beta(g.accumulate ? 1.0f : 0.0f);
  f.cgemm(CblasRowMajor, op(g.trans_a, g.conj_a), op(g.trans_b, g.conj_b), g.m, g.n, g.k,
                    &one, a, g.lda, b, g.ldb, &beta, c, g.ldc);
}

void gemm(const GemmArgs& g, const complex128* a, const complex128* b, complex128* c) {
  if (trivial(g, c)) return;
  if (!fits_blas(g) || (g.conj_a && !g.trans_a) || (g.conj_b && !g.trans_b)) return loop_gemm(g, a, b, c);
  const BlasFns& f = blas();
  if (!f.ok) return loop_gemm(g, a, b, c);
  const complex128 one(1), beta(g.accumulate ? 1.0 : 0.0);
  f.zgemm(CblasRowMajor, op(g.trans_a, g.conj_a), op(g.trans_b, g.conj_b), g.m, g.n, g.k,
                    &one, a, g.lda, b, g.ldb, &beta, c, g.ldc);
}

void gemm(const GemmArgs& g, const int16_t* a, const int16_t* b, int16_t* c) {
  if (!trivial(g, c)) loop_gemm(g, a, b, c);
}
void gemm(const GemmArgs& g, const int32_t* a, const int32_t* b, int32_t* c) {
  if (!trivial(g, c)) loop_gemm(g, a, b, c);
}
void gemm(const GemmArgs& g, const int64_t* a, const int64_t* b, int64_t* c) {
  if (!trivial(g, c)) loop_gemm(g, a, b, c);
}

}  // namespace metarun
