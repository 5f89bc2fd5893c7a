// Dense linear algebra on one row-major matrix at a time, as the linalg
// kernels need it: the algorithms TF's CPU kernels run through Eigen
// (partial-pivot LU, left-looking LLT, Householder QR and tridiagonalization,
// the implicit symmetric QR iteration, two-sided Jacobi SVD), written out so
// that pivots, Householder signs and eigen/singular vector signs come out as
// Eigen's do. Rounding may differ from Eigen's vectorized loops by an ulp or
// so per operation. Every function works on T in {float, double, complex64,
// complex128} unless it says "real".
#pragma once

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/dtype.h"

namespace metarun {

class Registry;
// The rest of the linalg family (linalg_ops_2.cpp: LU, Cholesky and
// triangular solves; linalg_ops_3.cpp: least squares, QR, SVD, eigen),
// called from register_linalg_ops and register_linalg_ops_2.
void register_linalg_ops_2(Registry& r);
void register_linalg_ops_3(Registry& r);

namespace linalg {

template <class T> struct RealOf { using type = T; };
template <class R> struct RealOf<std::complex<R>> { using type = R; };
template <class T> using Real = typename RealOf<T>::type;

template <class T> T conj(T x) {
  if constexpr (is_complex_v<T>) return std::conj(x);
  else return x;
}
template <class T> Real<T> real(T x) {
  if constexpr (is_complex_v<T>) return x.real();
  else return x;
}
template <class T> Real<T> imag(T x) {
  if constexpr (is_complex_v<T>) return x.imag();
  else return Real<T>(0);
}
template <class T> Real<T> abs2(T x) {
  if constexpr (is_complex_v<T>) return x.real() * x.real() + x.imag() * x.imag();
  else return x * x;
}
template <class T> Real<T> abs(T x) { return std::abs(x); }

// A matrix view: `rows` x `cols` elements, row stride `ld`.
template <class T>
struct Mat {
  T* data;
  int64_t rows, cols, ld;
  T& operator()(int64_t i, int64_t j) const { return data[i * ld + j]; }
};
template <class T> Mat<T> mat(T* data, int64_t rows, int64_t cols) { return {data, rows, cols, cols}; }

// Copies `src` (r x c, row stride c) into `dst`, transposed and conjugated
// when `adjoint`.
template <class T>
void copy_matrix(const T* src, int64_t r, int64_t c, bool adjoint, T* dst) {
  if (!adjoint) return (void)std::copy(src, src + r * c, dst);
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) dst[j * r + i] = conj(src[i * c + j]);
}

// ---- LU with partial pivoting (Eigen's PartialPivLU) ---------------------

// In place: a = P^-1 L U with unit-lower L. `transpositions[k]` is the row
// swapped with row k at step k; returns the number of actual swaps. A zero
// pivot column is skipped (no division), as Eigen does.
template <class T>
int64_t lu_in_place(Mat<T> a, std::vector<int64_t>* transpositions) {
  const int64_t n = a.rows;
  transpositions->assign(n, 0);
  int64_t swaps = 0;
  for (int64_t k = 0; k < n; ++k) {
    int64_t piv = k;
    Real<T> best = abs(a(k, k));
    for (int64_t i = k + 1; i < n; ++i) {
      const Real<T> s = abs(a(i, k));
      if (s > best) best = s, piv = i;
    }
    (*transpositions)[k] = piv;
    if (best != Real<T>(0)) {
      if (piv != k) {
        for (int64_t j = 0; j < n; ++j) std::swap(a(k, j), a(piv, j));
        ++swaps;
      }
      const T p = a(k, k);
      for (int64_t i = k + 1; i < n; ++i) a(i, k) /= p;
    }
    for (int64_t i = k + 1; i < n; ++i) {
      const T l = a(i, k);
      for (int64_t j = k + 1; j < n; ++j) a(i, j) -= l * a(k, j);
    }
  }
  return swaps;
}

// Smallest |u_ii| of an LU factorization (TF's invertibility test).
template <class T>
Real<T> min_abs_pivot(Mat<T> lu) {
  Real<T> m = std::numeric_limits<Real<T>>::infinity();
  for (int64_t i = 0; i < lu.rows; ++i) m = std::min(m, abs(lu(i, i)));
  return m;
}

// Triangular solve op(A) X = B in place on B (n x k). `lower`/`unit` describe
// the triangle of A read; `adjoint` solves with A^H (reading that same
// triangle). Non-unit diagonals multiply by the reciprocal, as Eigen's
// blocked solver does.
template <class T>
void triangular_solve(Mat<const T> a, bool lower, bool adjoint, bool unit, Mat<T> b) {
  const int64_t n = a.rows, k = b.cols;
  auto at = [&](int64_t i, int64_t j) { return adjoint ? conj(a(j, i)) : a(i, j); };
  const bool forward = lower != adjoint;  // op(A) is lower triangular
  for (int64_t s = 0; s < n; ++s) {
    const int64_t i = forward ? s : n - 1 - s;
    const T inv = unit ? T(1) : T(1) / at(i, i);
    for (int64_t c = 0; c < k; ++c) b(i, c) *= inv;
    if (forward) {
      for (int64_t r = i + 1; r < n; ++r) {
        const T l = at(r, i);
        for (int64_t c = 0; c < k; ++c) b(r, c) -= l * b(i, c);
      }
    } else {
      for (int64_t r = 0; r < i; ++r) {
        const T l = at(r, i);
        for (int64_t c = 0; c < k; ++c) b(r, c) -= l * b(i, c);
      }
    }
  }
}

// Solves A X = B in place on B from lu_in_place's result.
template <class T>
void lu_solve(Mat<T> lu, const std::vector<int64_t>& transpositions, Mat<T> b) {
  for (int64_t k = 0; k < lu.rows; ++k)
    if (transpositions[k] != k)
      for (int64_t c = 0; c < b.cols; ++c) std::swap(b(k, c), b(transpositions[k], c));
  Mat<const T> c{lu.data, lu.rows, lu.cols, lu.ld};
  triangular_solve(c, true, false, true, b);
  triangular_solve(c, false, false, false, b);
}

// ---- Cholesky (Eigen's unblocked LLT on the lower triangle) --------------

// In place on the lower triangle; the strict upper triangle is zeroed.
// Returns false at the first non-positive pivot (the factor is then partial).
template <class T>
bool llt_in_place(Mat<T> a) {
  const int64_t n = a.rows;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) a(i, j) = T(0);
  for (int64_t k = 0; k < n; ++k) {
    Real<T> x = real(a(k, k));
    for (int64_t j = 0; j < k; ++j) x -= abs2(a(k, j));
    if (x <= Real<T>(0)) return false;
    x = std::sqrt(x);
    a(k, k) = T(x);
    for (int64_t i = k + 1; i < n; ++i) {
      T s = a(i, k);
      for (int64_t j = 0; j < k; ++j) s -= a(i, j) * conj(a(k, j));
      a(i, k) = s / x;
    }
  }
  return true;
}

// ---- Householder reflections (Eigen's makeHouseholder) ------------------

// For x = v[0..n) (stride `inc`): H x = beta e0 with H = I - tau w w^H,
// w = [1; essential]; essential overwrites v[1..n).
template <class T>
void make_householder(T* v, int64_t n, int64_t inc, T* tau, Real<T>* beta) {
  using R = Real<T>;
  R tail_sq = 0;
  for (int64_t i = 1; i < n; ++i) tail_sq += abs2(v[i * inc]);
  const T c0 = v[0];
  const R tol = std::numeric_limits<R>::min();
  if (tail_sq <= tol && abs2(imag(c0)) <= tol) {
    *tau = T(0);
    *beta = real(c0);
    for (int64_t i = 1; i < n; ++i) v[i * inc] = T(0);
    return;
  }
  R b = std::sqrt(abs2(c0) + tail_sq);
  if (real(c0) >= R(0)) b = -b;
  const T d = c0 - T(b);
  for (int64_t i = 1; i < n; ++i) v[i * inc] /= d;
  *tau = conj((T(b) - c0) / T(b));
  *beta = b;
}

// Applies H = I - tau w w^H (w = [1; ess], ess with stride `inc`) from the
// left to rows [r0, r0 + len) and columns [c0, c1) of `a`.
template <class T>
void apply_householder_left(Mat<T> a, int64_t r0, int64_t len, int64_t c0, int64_t c1, const T* ess,
                            int64_t inc, T tau) {
  if (len == 1) {
    for (int64_t j = c0; j < c1; ++j) a(r0, j) *= T(1) - tau;
    return;
  }
  if (tau == T(0)) return;
  // Eigen's order: tmp = ess^H bottom + row0; row0 -= tau tmp;
  // bottom -= (tau ess) tmp.
  for (int64_t j = c0; j < c1; ++j) {
    T t(0);
    for (int64_t i = 1; i < len; ++i) t += conj(ess[(i - 1) * inc]) * a(r0 + i, j);
    t += a(r0, j);
    a(r0, j) -= tau * t;
    for (int64_t i = 1; i < len; ++i) a(r0 + i, j) -= (tau * ess[(i - 1) * inc]) * t;
  }
}

// Householder QR in place (Eigen's HouseholderQR): R in the upper triangle,
// the essential parts below the diagonal, the coefficients in `tau`.
template <class T>
void householder_qr(Mat<T> a, std::vector<T>* tau) {
  const int64_t m = a.rows, n = a.cols, size = std::min(m, n);
  tau->assign(size, T(0));
  for (int64_t k = 0; k < size; ++k) {
    Real<T> beta;
    make_householder(&a(k, k), m - k, a.ld, &(*tau)[k], &beta);
    a(k, k) = T(beta);
    apply_householder_left(a, k, m - k, k + 1, n, m - k > 1 ? &a(k + 1, k) : nullptr, a.ld, (*tau)[k]);
  }
}

// Q's first q.cols columns from householder_qr's reflectors (of a m x *
// matrix with `count` reflectors), into q (m x q.cols).
template <class T>
void householder_q(Mat<const T> qr, const std::vector<T>& tau, int64_t count, int64_t shift, Mat<T> q) {
  for (int64_t i = 0; i < q.rows; ++i)
    for (int64_t j = 0; j < q.cols; ++j) q(i, j) = i == j ? T(1) : T(0);
  for (int64_t k = count - 1; k >= 0; --k) {
    const int64_t r0 = k + shift, len = q.rows - r0;
    apply_householder_left(q, r0, len, 0, q.cols, len > 1 ? &qr(r0 + 1, k) : nullptr, qr.ld, tau[k]);
  }
}

// ---- Givens / Jacobi rotations (Eigen's JacobiRotation), real ------------

template <class R>
struct Rotation {
  R c = 1, s = 0;
  Rotation transpose() const { return {c, -s}; }
  Rotation operator*(const Rotation& o) const { return {c * o.c - s * o.s, c * o.s + s * o.c}; }
};

template <class R>
Rotation<R> make_givens(R p, R q) {
  Rotation<R> g;
  if (q == R(0)) {
    g.c = p < R(0) ? R(-1) : R(1);
    g.s = 0;
  } else if (p == R(0)) {
    g.c = 0;
    g.s = q < R(0) ? R(1) : R(-1);
  } else if (std::abs(p) > std::abs(q)) {
    const R t = q / p;
    R u = std::sqrt(R(1) + t * t);
    if (p < R(0)) u = -u;
    g.c = R(1) / u;
    g.s = -t * g.c;
  } else {
    const R t = p / q;
    R u = std::sqrt(R(1) + t * t);
    if (q < R(0)) u = -u;
    g.s = -R(1) / u;
    g.c = -t * g.s;
  }
  return g;
}

// Columns p and q of `a` times the rotation (Eigen's applyOnTheRight).
template <class T, class R>
void rotate_columns(Mat<T> a, int64_t p, int64_t q, Rotation<R> j) {
  for (int64_t i = 0; i < a.rows; ++i) {
    const T x = a(i, p), y = a(i, q);
    a(i, p) = j.c * x - j.s * y;
    a(i, q) = j.s * x + j.c * y;
  }
}
// Rows p and q of `a` (Eigen's applyOnTheLeft).
template <class T, class R>
void rotate_rows(Mat<T> a, int64_t p, int64_t q, Rotation<R> j) {
  for (int64_t i = 0; i < a.cols; ++i) {
    const T x = a(p, i), y = a(q, i);
    a(p, i) = j.c * x + j.s * y;
    a(q, i) = -j.s * x + j.c * y;
  }
}

// ---- Self-adjoint eigensolver (Eigen's SelfAdjointEigenSolver) -----------

// Eigenvalues ascending into `w` (n), eigenvectors as columns of `v` when
// given. Reads the lower triangle of `a`. Returns false when the QR
// iteration does not converge (NaN input).
template <class T>
bool self_adjoint_eig(const T* a, int64_t n, Real<T>* w, T* v);

// ---- SVD (Eigen's JacobiSVD with a column-pivoting QR preconditioner) ----

// Singular values descending into `s` (min(m,n)); U (m x ucols) and V
// (n x vcols) when given, ucols/vcols being min(m,n) (thin) or m/n (full).
// Returns false for non-finite input.
template <class T>
bool jacobi_svd(const T* a, int64_t m, int64_t n, Real<T>* s, T* u, int64_t ucols, T* v, int64_t vcols);

}  // namespace linalg
}  // namespace metarun

#include "kernels/util/linalg_decomp.h"
