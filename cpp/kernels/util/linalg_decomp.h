// The iterative decompositions declared in linalg.h: Eigen's
// SelfAdjointEigenSolver (Householder tridiagonalization, implicit QR steps
// with Wilkinson shifts, selection sort) and JacobiSVD (column-pivoting QR
// preconditioner, two-sided 2x2 Jacobi sweeps to 2 eps, sign fix, sort).
// Included from linalg.h only.
#pragma once

namespace metarun {
namespace linalg {

namespace detail {

// Lower triangle of `m` (n x n) to tridiagonal form in place, A = Q T Q^H:
// Eigen's tridiagonalization_inplace. `h` gets the reflector coefficients.
template <class T>
void tridiagonalize(Mat<T> m, std::vector<T>* h) {
  using R = Real<T>;
  const int64_t n = m.rows;
  h->assign(n > 1 ? n - 1 : 0, T(0));
  std::vector<T> p(n);
  for (int64_t i = 0; i + 1 < n; ++i) {
    const int64_t rs = n - i - 1, o = i + 1;
    T hc;
    R beta;
    make_householder(&m(o, i), rs, m.ld, &hc, &beta);
    m(o, i) = T(1);
    auto v = [&](int64_t r) { return m(o + r, i); };
    auto sym = [&](int64_t r, int64_t c) { return r >= c ? m(o + r, o + c) : conj(m(o + c, o + r)); };
    for (int64_t r = 0; r < rs; ++r) {
      T acc(0);
      for (int64_t c = 0; c < rs; ++c) acc += sym(r, c) * (conj(hc) * v(c));
      p[r] = acc;
    }
    T dot(0);
    for (int64_t r = 0; r < rs; ++r) dot += conj(p[r]) * v(r);
    const T alpha = conj(hc) * R(-0.5) * dot;
    for (int64_t r = 0; r < rs; ++r) p[r] += alpha * v(r);
    for (int64_t r = 0; r < rs; ++r)
      for (int64_t c = 0; c <= r; ++c) m(o + r, o + c) -= v(r) * conj(p[c]) + p[r] * conj(v(c));
    m(o, i) = T(beta);
    (*h)[i] = hc;
  }
}

// One implicit symmetric QR step with a Wilkinson shift on rows
// [start, end] of the tridiagonal (d, e); rotations accumulate into q.
template <class T, class R>
void tridiagonal_qr_step(R* d, R* e, int64_t start, int64_t end, Mat<T>* q) {
  const R td = (d[end - 1] - d[end]) * R(0.5);
  const R ee = e[end - 1];
  R mu = d[end];
  if (td == R(0)) {
    mu -= std::abs(ee);
  } else if (ee != R(0)) {
    const R e2 = ee * ee;
    const R h = std::hypot(td, ee);
    if (e2 == R(0)) mu -= ee / ((td + (td > R(0) ? h : -h)) / ee);
    else mu -= e2 / (td + (td > R(0) ? h : -h));
  }
  R x = d[start] - mu, z = e[start];
  for (int64_t k = start; k < end && z != R(0); ++k) {
    const Rotation<R> rot = make_givens(x, z);
    const R c = rot.c, s = rot.s;
    const R sdk = s * d[k] + c * e[k];
    const R dkp1 = s * e[k] + c * d[k + 1];
    d[k] = c * (c * d[k] - s * e[k]) - s * (c * e[k] - s * d[k + 1]);
    d[k + 1] = s * sdk + c * dkp1;
    e[k] = c * sdk - s * dkp1;
    if (k > start) e[k - 1] = c * e[k - 1] - s * z;
    x = e[k];
    if (k < end - 1) {
      z = -s * e[k + 1];
      e[k + 1] = c * e[k + 1];
    }
    if (q) rotate_columns(*q, k, k + 1, rot);
  }
}

// Eigen's computeFromTridiagonal_impl: deflate, step, then selection-sort
// ascending. False after 30 n steps without convergence.
template <class T, class R>
bool tridiagonal_eig(R* d, R* e, int64_t n, Mat<T>* q) {
  const R zero = std::numeric_limits<R>::min();
  const R precision_inv = R(1) / std::numeric_limits<R>::epsilon();
  int64_t end = n - 1, start = 0, iter = 0;
  while (end > 0) {
    for (int64_t i = start; i < end; ++i) {
      if (std::abs(e[i]) < zero) {
        e[i] = 0;
      } else {
        const R scaled = precision_inv * e[i];
        if (scaled * scaled <= std::abs(d[i]) + std::abs(d[i + 1])) e[i] = 0;
      }
    }
    while (end > 0 && e[end - 1] == R(0)) --end;
    if (end <= 0) break;
    if (++iter > 30 * n) return false;
    start = end - 1;
    while (start > 0 && e[start - 1] != R(0)) --start;
    tridiagonal_qr_step(d, e, start, end, q);
  }
  for (int64_t i = 0; i + 1 < n; ++i) {
    int64_t k = i;
    for (int64_t j = i + 1; j < n; ++j)
      if (d[j] < d[k]) k = j;
    if (k != i) {
      std::swap(d[i], d[k]);
      if (q)
        for (int64_t r = 0; r < n; ++r) std::swap((*q)(r, i), (*q)(r, k));
    }
  }
  return true;
}

// Eigen's ColPivHouseholderQR in place: column transpositions into `perm`
// (perm[j] = original column now at j).
template <class T>
void colpiv_qr(Mat<T> a, std::vector<T>* tau, std::vector<int64_t>* perm) {
  using R = Real<T>;
  const int64_t rows = a.rows, cols = a.cols, size = std::min(rows, cols);
  std::vector<R> upd(cols), direct(cols);
  for (int64_t k = 0; k < cols; ++k) {
    R sq = 0;
    for (int64_t i = 0; i < rows; ++i) sq += abs2(a(i, k));
    direct[k] = upd[k] = std::sqrt(sq);
  }
  const R downdate_threshold = std::sqrt(std::numeric_limits<R>::epsilon());
  tau->assign(size, T(0));
  perm->resize(cols);
  for (int64_t j = 0; j < cols; ++j) (*perm)[j] = j;
  for (int64_t k = 0; k < size; ++k) {
    int64_t big = k;
    for (int64_t j = k + 1; j < cols; ++j)
      if (upd[j] > upd[big]) big = j;
    if (big != k) {
      for (int64_t i = 0; i < rows; ++i) std::swap(a(i, k), a(i, big));
      std::swap(upd[k], upd[big]);
      std::swap(direct[k], direct[big]);
      std::swap((*perm)[k], (*perm)[big]);
    }
    R beta;
    make_householder(&a(k, k), rows - k, a.ld, &(*tau)[k], &beta);
    a(k, k) = T(beta);
    apply_householder_left(a, k, rows - k, k + 1, cols, rows - k > 1 ? &a(k + 1, k) : nullptr, a.ld, (*tau)[k]);
    for (int64_t j = k + 1; j < cols; ++j) {
      if (upd[j] == R(0)) continue;
      R t = abs(a(k, j)) / upd[j];
      t = (R(1) + t) * (R(1) - t);
      if (t < R(0)) t = 0;
      const R ratio = upd[j] / direct[j];
      if (t * (ratio * ratio) <= downdate_threshold) {
        R sq = 0;
        for (int64_t i = k + 1; i < rows; ++i) sq += abs2(a(i, j));
        direct[j] = upd[j] = std::sqrt(sq);
      } else {
        upd[j] *= std::sqrt(t);
      }
    }
  }
}

// Complex Jacobi rotations (Eigen's JacobiRotation<complex>): rows p, q of
// `a` from the left, and columns p, q from the right.
template <class T>
void rotate_rows_c(Mat<T> a, int64_t p, int64_t q, T c, T s) {
  for (int64_t i = 0; i < a.cols; ++i) {
    const T x = a(p, i), y = a(q, i);
    a(p, i) = c * x + conj(s) * y;
    a(q, i) = -s * x + conj(c) * y;
  }
}
template <class T>
void rotate_columns_c(Mat<T> a, int64_t p, int64_t q, T c, T s) {
  for (int64_t i = 0; i < a.rows; ++i) {
    const T x = a(i, p), y = a(i, q);
    a(i, p) = c * x - s * y;
    a(i, q) = conj(s) * x + conj(c) * y;
  }
}

// Eigen's svd_precondition_2x2_block_to_be_real: complex rotations and unit
// scalings that make the 2x2 block (p, q) real. Returns whether it is still
// not diagonal. Real T: nothing to do.
template <class T>
bool precondition_2x2_real(Mat<T> w, Mat<T>* u, Mat<T>* v, int64_t p, int64_t q, Real<T>* max_diag) {
  using R = Real<T>;
  if constexpr (!is_complex_v<T>) {
    return true;
  } else {
    const R zero = std::numeric_limits<R>::min();
    const R precision = std::numeric_limits<R>::epsilon();
    auto scale_row = [&](int64_t r, T z) {
      for (int64_t j = 0; j < w.cols; ++j) w(r, j) *= z;
      if (u)
        for (int64_t i = 0; i < u->rows; ++i) (*u)(i, r) *= std::conj(z);
    };
    const R n = std::sqrt(abs2(w(p, p)) + abs2(w(q, p)));
    if (n == R(0)) {
      w(p, p) = w(q, p) = T(0);
      if (std::abs(w(p, q).imag()) > zero) scale_row(p, T(std::abs(w(p, q))) / w(p, q));
      if (std::abs(w(q, q).imag()) > zero) scale_row(q, T(std::abs(w(q, q))) / w(q, q));
    } else {
      const T c = std::conj(w(p, p)) / n, s = w(q, p) / n;
      rotate_rows_c(w, p, q, c, s);
      if (u) rotate_columns_c(*u, p, q, std::conj(c), -s);
      if (std::abs(w(p, q).imag()) > zero) {
        const T z = T(std::abs(w(p, q))) / w(p, q);
        for (int64_t i = 0; i < w.rows; ++i) w(i, q) *= z;
        if (v)
          for (int64_t i = 0; i < v->rows; ++i) (*v)(i, q) *= z;
      }
      if (std::abs(w(q, q).imag()) > zero) scale_row(q, T(std::abs(w(q, q))) / w(q, q));
    }
    *max_diag = std::max(*max_diag, std::max(std::abs(w(p, p)), std::abs(w(q, q))));
    const R threshold = std::max(zero, precision * *max_diag);
    return std::abs(w(p, q)) > threshold || std::abs(w(q, p)) > threshold;
  }
}

// Eigen's real_2x2_jacobi_svd on rows/columns p, q of `w`.
template <class T, class R = Real<T>>
void real_2x2_jacobi_svd(Mat<T> w, int64_t p, int64_t q, Rotation<R>* left, Rotation<R>* right) {
  R m00 = real(w(p, p)), m01 = real(w(p, q)), m10 = real(w(q, p)), m11 = real(w(q, q));
  Rotation<R> rot1;
  const R t = m00 + m11, d = m10 - m01;
  if (std::abs(d) < std::numeric_limits<R>::min()) {
    rot1 = {R(1), R(0)};
  } else {
    const R u = t / d;
    const R tmp = std::sqrt(R(1) + u * u);
    rot1 = {u / tmp, R(1) / tmp};
  }
  // rot1 from the left on the 2x2 block
  const R n00 = rot1.c * m00 + rot1.s * m10, n01 = rot1.c * m01 + rot1.s * m11;
  const R n11 = -rot1.s * m01 + rot1.c * m11;
  m00 = n00, m01 = n01, m11 = n11;
  // makeJacobi(m00, m01, m11)
  Rotation<R> j;
  const R deno = R(2) * std::abs(m01);
  if (!(deno < std::numeric_limits<R>::min())) {
    const R tau = (m00 - m11) / deno;
    const R wv = std::sqrt(tau * tau + R(1));
    const R tt = tau > R(0) ? R(1) / (tau + wv) : R(1) / (tau - wv);
    const R sign_t = tt > R(0) ? R(1) : R(-1);
    const R nn = R(1) / std::sqrt(tt * tt + R(1));
    j.s = -sign_t * (m01 / std::abs(m01)) * std::abs(tt) * nn;
    j.c = nn;
  }
  *right = j;
  *left = rot1 * j.transpose();
}

}  // namespace detail

template <class T>
bool self_adjoint_eig(const T* a, int64_t n, Real<T>* w, T* v) {
  using R = Real<T>;
  if (n == 0) return true;
  if (n == 1) {
    w[0] = real(a[0]);
    if (v) v[0] = T(1);
    return true;
  }
  std::vector<T> buf(n * n, T(0));
  Mat<T> m = mat(buf.data(), n, n);
  R scale = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      m(i, j) = a[i * n + j];
      scale = std::max(scale, abs(m(i, j)));
      if (std::isnan(abs(m(i, j)))) scale = abs(m(i, j));
    }
  if (scale == R(0)) scale = 1;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) m(i, j) /= scale;
  std::vector<T> h;
  detail::tridiagonalize(m, &h);
  std::vector<R> e(n - 1);
  for (int64_t i = 0; i < n; ++i) w[i] = real(m(i, i));
  for (int64_t i = 0; i + 1 < n; ++i) e[i] = real(m(i + 1, i));
  Mat<T> q = mat(v, n, n);
  if (v) {
    std::vector<T> hc(h.size());
    for (size_t i = 0; i < h.size(); ++i) hc[i] = conj(h[i]);
    householder_q(Mat<const T>{buf.data(), n, n, n}, hc, n - 1, 1, q);
  }
  if (!detail::tridiagonal_eig(w, e.data(), n, v ? &q : nullptr)) return false;
  for (int64_t i = 0; i < n; ++i) w[i] *= scale;
  return true;
}

namespace detail {

// Optional U/V views: null data when the caller wants no vectors.
template <class T>
struct SvdVectors {
  Mat<T> u, v;
  bool has_u() const { return u.data != nullptr; }
  bool has_v() const { return v.data != nullptr; }
};

// JacobiSVD's step 1: the scaled matrix, square as is or reduced to its
// triangle by the R-SVD step (QR of A, or of A^H when wide); U and V start as
// that QR's Q and column permutation, or as identities.
template <class T>
void svd_reduce(const T* a, int64_t m, int64_t n, Real<T> scale, Mat<T> w, SvdVectors<T> x) {
  auto set_identity = [](Mat<T> y) {
    for (int64_t i = 0; i < y.rows; ++i)
      for (int64_t j = 0; j < y.cols; ++j) y(i, j) = i == j ? T(1) : T(0);
  };
  if (m == n) {
    for (int64_t i = 0; i < m * n; ++i) w.data[i] = a[i] / scale;
    if (x.has_u()) set_identity(x.u);
    if (x.has_v()) set_identity(x.v);
    return;
  }
  const bool tall = m > n;
  const int64_t r = tall ? m : n, c = w.rows;
  std::vector<T> qr(r * c);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const T y = a[i * n + j] / scale;
      if (tall) qr[i * n + j] = y;
      else qr[j * m + i] = conj(y);
    }
  std::vector<T> tau;
  std::vector<int64_t> perm;
  Mat<T> q = mat(qr.data(), r, c);
  colpiv_qr(q, &tau, &perm);
  for (int64_t i = 0; i < c; ++i)
    for (int64_t j = i; j < c; ++j) {
      if (tall) w(i, j) = q(i, j);
      else w(j, i) = conj(q(i, j));
    }
  const bool want_q = tall ? x.has_u() : x.has_v(), want_p = tall ? x.has_v() : x.has_u();
  for (T& t : tau) t = conj(t);  // householderQ() applies the conjugates
  if (want_q) householder_q(Mat<const T>{qr.data(), r, c, c}, tau, c, 0, tall ? x.u : x.v);
  if (want_p) {
    Mat<T> pm = tall ? x.v : x.u;
    for (int64_t i = 0; i < pm.rows * pm.cols; ++i) pm.data[i] = T(0);
    for (int64_t j = 0; j < pm.cols; ++j) pm(perm[j], j) = T(1);
  }
}

// JacobiSVD's step 2: 2x2 sweeps until every off-diagonal pair is below
// 2 eps of the largest diagonal entry.
template <class T>
void svd_sweeps(Mat<T> w, SvdVectors<T> x) {
  using R = Real<T>;
  const R precision = R(2) * std::numeric_limits<R>::epsilon();
  const R zero = std::numeric_limits<R>::min();
  R max_diag = 0;
  for (int64_t i = 0; i < w.rows; ++i) max_diag = std::max(max_diag, abs(w(i, i)));
  for (bool finished = false; !finished;) {
    finished = true;
    for (int64_t p = 1; p < w.rows; ++p) {
      for (int64_t q = 0; q < p; ++q) {
        const R threshold = std::max(zero, precision * max_diag);
        if (!(abs(w(p, q)) > threshold || abs(w(q, p)) > threshold)) continue;
        finished = false;
        if (!precondition_2x2_real(w, x.has_u() ? &x.u : nullptr, x.has_v() ? &x.v : nullptr, p, q, &max_diag))
          continue;
        Rotation<R> left, right;
        real_2x2_jacobi_svd(w, p, q, &left, &right);
        rotate_rows(w, p, q, left);
        if (x.has_u()) rotate_columns(x.u, p, q, left.transpose());
        rotate_columns(w, p, q, right);
        if (x.has_v()) rotate_columns(x.v, p, q, right);
        max_diag = std::max(max_diag, std::max(abs(w(p, p)), abs(w(q, q))));
      }
    }
  }
}

// JacobiSVD's steps 3 and 4: non-negative singular values (signs or phases
// moved into U), scaled back, sorted descending until the first zero.
template <class T>
void svd_finish(Mat<T> w, Real<T> scale, Real<T>* s, SvdVectors<T> x) {
  using R = Real<T>;
  const int64_t size = w.rows;
  for (int64_t i = 0; i < size; ++i) {
    const T d = w(i, i);
    if (is_complex_v<T> && std::abs(imag(d)) > std::numeric_limits<R>::min()) {
      s[i] = abs(d);
      if (x.has_u())
        for (int64_t r = 0; r < x.u.rows; ++r) x.u(r, i) *= d / T(s[i]);
    } else {
      const R re = real(d);
      s[i] = std::abs(re);
      if (x.has_u() && re < R(0))
        for (int64_t r = 0; r < x.u.rows; ++r) x.u(r, i) = -x.u(r, i);
    }
  }
  for (int64_t i = 0; i < size; ++i) s[i] *= scale;
  for (int64_t i = 0; i < size; ++i) {
    int64_t pos = i;
    for (int64_t j = i + 1; j < size; ++j)
      if (s[j] > s[pos]) pos = j;
    if (s[pos] == R(0)) break;
    if (pos == i) continue;
    std::swap(s[i], s[pos]);
    if (x.has_u())
      for (int64_t r = 0; r < x.u.rows; ++r) std::swap(x.u(r, i), x.u(r, pos));
    if (x.has_v())
      for (int64_t r = 0; r < x.v.rows; ++r) std::swap(x.v(r, i), x.v(r, pos));
  }
}

}  // namespace detail

template <class T>
bool jacobi_svd(const T* a, int64_t m, int64_t n, Real<T>* s, T* u, int64_t ucols, T* v, int64_t vcols) {
  using R = Real<T>;
  const int64_t size = std::min(m, n);
  R scale = 0;
  for (int64_t i = 0; i < m * n; ++i) {
    const R x = abs(a[i]);
    if (!std::isfinite(x)) return false;
    scale = std::max(scale, x);
  }
  if (scale == R(0)) scale = 1;
  std::vector<T> work(size * size, T(0));
  Mat<T> w = mat(work.data(), size, size);
  const detail::SvdVectors<T> x{mat(u, m, ucols), mat(v, n, vcols)};
  detail::svd_reduce(a, m, n, scale, w, x);
  detail::svd_sweeps(w, x);
  detail::svd_finish(w, scale, s, x);
  return true;
}

}  // namespace linalg
}  // namespace metarun
