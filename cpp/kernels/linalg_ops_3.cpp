// The tf.linalg family, third part: least squares (MatrixSolveLs) and the
// decompositions (Qr, Svd, SelfAdjointEig/V2), Cross, with the algorithms TF's CPU
// kernels run through Eigen (kernels/util/linalg.h). Svd runs Eigen's
// JacobiSVD for every size; TF switches to BDCSVD from 16 columns, whose
// singular values agree to rounding but whose vectors may differ in sign.
#include <atomic>
#include <limits>
#include <type_traits>

#include "framework/registry.h"
#include "kernels/util/linalg.h"

namespace metarun {
namespace {

using linalg::Mat;
using linalg::Real;
using linalg::conj;
using linalg::mat;

template <class F>
void for_each_matrix(OpContext& ctx, int64_t batch, int64_t n, F&& f) {
  const double cost = 8.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) + 20.0;
  ctx.parallel_for(batch, cost, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) f(i);
  });
}

Status check_matrix_rank(const Tensor& t) {
  MR_REQUIRE(t.rank() >= 2, "Input tensor 0 must have rank >= 2, got ", t.rank());
  return Status();
}

Shape matrix_batch(const Tensor& t, std::initializer_list<int64_t> dims) {
  Shape s(t.shape().begin(), t.shape().end() - 2);
  s.insert(s.end(), dims);
  return s;
}

// Least squares through the normal equations and Cholesky (TF's fast path):
// (A^H A + l2 I) X = A^H B when rows >= cols, else X = A^H (A A^H + l2 I)^-1 B.
template <class T>
bool solve_ls_fast(const T* a, int64_t m, int64_t n, const T* b, int64_t k, double l2, T* x) {
  using R = Real<T>;
  const bool over = m >= n;
  const int64_t g = over ? n : m;
  std::vector<T> gram(g * g, T(0));
  Mat<T> gm = mat(gram.data(), g, g);
  for (int64_t i = 0; i < g; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      T s(0);
      if (over)
        for (int64_t r = 0; r < m; ++r) s += conj(a[r * n + i]) * a[r * n + j];
      else
        for (int64_t c = 0; c < n; ++c) s += a[i * n + c] * conj(a[j * n + c]);
      gm(i, j) = s;
    }
  if (l2 > 0)
    for (int64_t i = 0; i < g; ++i) gm(i, i) += T(static_cast<R>(l2));
  if (!linalg::llt_in_place(gm)) return false;
  Mat<const T> l{gram.data(), g, g, g};
  std::vector<T> y(g * k, T(0));
  Mat<T> ym = mat(y.data(), g, k);
  if (over) {
    for (int64_t i = 0; i < n; ++i)
      for (int64_t c = 0; c < k; ++c) {
        T s(0);
        for (int64_t r = 0; r < m; ++r) s += conj(a[r * n + i]) * b[r * k + c];
        ym(i, c) = s;
      }
  } else {
    std::copy(b, b + m * k, y.data());
  }
  linalg::triangular_solve(l, true, false, false, ym);
  linalg::triangular_solve(l, true, true, false, ym);
  if (over) return (void)std::copy(y.begin(), y.end(), x), true;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < k; ++c) {
      T s(0);
      for (int64_t r = 0; r < m; ++r) s += conj(a[r * n + i]) * ym(r, c);
      x[i * k + c] = s;
    }
  return true;
}

// The minimum-norm solution through the SVD, for fast=False (where TF
// ignores l2_regularizer): TF's complete orthogonal decomposition gives the
// same solution up to rounding; singular values below min(m,n) eps s_max
// count as zero, the rank threshold of Eigen's column-pivoting QR.
template <class T>
bool solve_ls_min_norm(const T* a, int64_t m, int64_t n, const T* b, int64_t k, T* x) {
  using R = Real<T>;
  const int64_t p = std::min(m, n);
  std::vector<R> s(p);
  std::vector<T> u(m * p), v(n * p);
  if (!linalg::jacobi_svd(a, m, n, s.data(), u.data(), p, v.data(), p)) return false;
  const R cut = p > 0 ? s[0] * static_cast<R>(p) * std::numeric_limits<R>::epsilon() : R(0);
  std::vector<T> t(p * k, T(0));
  for (int64_t i = 0; i < p; ++i) {
    if (!(s[i] > cut)) continue;
    for (int64_t c = 0; c < k; ++c) {
      T acc(0);
      for (int64_t r = 0; r < m; ++r) acc += conj(u[r * p + i]) * b[r * k + c];
      t[i * k + c] = acc / T(s[i]);
    }
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < k; ++c) {
      T acc(0);
      for (int64_t j = 0; j < p; ++j) acc += v[i * p + j] * t[j * k + c];
      x[i * k + c] = acc;
    }
  return true;
}

template <class T>
class MatrixSolveLsKernel : public OpKernel {
 public:
  explicit MatrixSolveLsKernel(KernelInit& init) {
    if (init.has_attr("fast")) init.get("fast", &fast_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& rhs = ctx.input(1);
    const Tensor& l2t = ctx.input(2);
    MR_REQUIRE(l2t.rank() == 0, "l2_regularizer must be scalar, got shape ", shape_str(l2t.shape()));
    const double l2 = *l2t.data<double>();
    MR_REQUIRE(a.rank() >= 2, "Input tensor 0 must have rank >= 2, got ", a.rank());
    MR_REQUIRE(rhs.rank() == a.rank(), "All input tensors must have the same rank.");
    for (int d = 0; d < a.rank() - 2; ++d)
      MR_REQUIRE(a.dim(d) == rhs.dim(d), "All input tensors must have the same outer dimensions.");
    const int64_t m = a.dim(a.rank() - 2), n = a.dim(a.rank() - 1), k = rhs.dim(rhs.rank() - 1);
    MR_REQUIRE(rhs.dim(rhs.rank() - 2) == m, "Input matrix and rhs are incompatible.");
    Tensor& out = ctx.allocate_output(0, matrix_batch(a, {n, k}));
    if (out.num_elements() == 0) return Status();
    T* o = out.data<T>();
    std::fill(o, o + out.num_elements(), T(0));
    if (m == 0 || k == 0) return Status();
    const int64_t batch = out.num_elements() / (n * k);
    const T* x = a.data<T>();
    const T* y = rhs.data<T>();
    std::atomic<bool> failed{false};
    for_each_matrix(ctx, batch, std::max(m, n), [&](int64_t b) {
      const bool ok = fast_ ? solve_ls_fast(x + b * m * n, m, n, y + b * m * k, k, l2, o + b * n * k)
                            : solve_ls_min_norm(x + b * m * n, m, n, y + b * m * k, k, o + b * n * k);
      if (!ok) failed = true;
    });
    MR_REQUIRE(!failed,
               "Input matrix was rank deficient or ill-conditioned. Try setting fast=False or provide a larger "
               "l2_regularizer > 0.");
    return Status();
  }

 private:
  bool fast_ = true;
};

// Half matrices are factored in float and rounded once, as MatrixInverse.
template <class T>
class QrKernel : public OpKernel {
  using C = std::conditional_t<is_half_v<T>, float, T>;

 public:
  explicit QrKernel(KernelInit& init) {
    if (init.has_attr("full_matrices")) init.get("full_matrices", &full_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    MR_RETURN_IF_ERROR(check_matrix_rank(in));
    const int64_t m = in.dim(in.rank() - 2), n = in.dim(in.rank() - 1), p = std::min(m, n);
    const int64_t qc = full_ ? m : p;
    Tensor& q = ctx.allocate_output(0, matrix_batch(in, {m, qc}));
    Tensor& r = ctx.allocate_output(1, matrix_batch(in, {qc, n}));
    const int64_t batch = dims_product(in.shape(), 0, in.rank() - 2);
    if (batch == 0) return Status();
    const T* x = in.data<T>();
    T* qo = q.data<T>();
    T* ro = r.data<T>();
    for_each_matrix(ctx, batch, std::max(m, n), [&](int64_t b) {
      std::vector<C> buf(x + b * m * n, x + (b + 1) * m * n), qm(m * qc);
      std::vector<C> tau;
      linalg::householder_qr(mat(buf.data(), m, n), &tau);
      // Eigen's householderQ() applies the conjugated coefficients.
      for (C& t : tau) t = conj(t);
      linalg::householder_q(Mat<const C>{buf.data(), m, n, n}, tau, p, 0, mat(qm.data(), m, qc));
      std::copy(qm.begin(), qm.end(), qo + b * m * qc);
      T* rb = ro + b * qc * n;
      for (int64_t i = 0; i < qc; ++i)
        for (int64_t j = 0; j < n; ++j) rb[i * n + j] = j >= i ? T(buf[i * n + j]) : T(0.0f);
    });
    return Status();
  }

 private:
  bool full_ = false;
};

template <class T>
class SvdKernel : public OpKernel {
 public:
  explicit SvdKernel(KernelInit& init) {
    if (init.has_attr("compute_uv")) init.get("compute_uv", &uv_);
    if (init.has_attr("full_matrices")) init.get("full_matrices", &full_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    MR_RETURN_IF_ERROR(check_matrix_rank(in));
    const int64_t m = in.dim(in.rank() - 2), n = in.dim(in.rank() - 1), p = std::min(m, n);
    const int64_t uc = full_ ? m : p, vc = full_ ? n : p;
    Tensor& s = ctx.allocate_output(0, matrix_batch(in, {p}));
    // Without compute_uv TF leaves u and v as unfilled scalars.
    Tensor& u = ctx.allocate_output(1, uv_ ? matrix_batch(in, {m, uc}) : Shape{});
    Tensor& v = ctx.allocate_output(2, uv_ ? matrix_batch(in, {n, vc}) : Shape{});
    if (!uv_) {
      *u.data<T>() = T(0);
      *v.data<T>() = T(0);
    }
    const int64_t batch = dims_product(in.shape(), 0, in.rank() - 2);
    const T* x = in.data<T>();
    T* so = s.data<T>();
    T* uo = uv_ ? u.data<T>() : nullptr;
    T* vo = uv_ ? v.data<T>() : nullptr;
    for_each_matrix(ctx, batch, std::max(m, n), [&](int64_t b) {
      T* ub = uo ? uo + b * m * uc : nullptr;
      T* vb = vo ? vo + b * n * vc : nullptr;
      if (p == 0) {
        if (ub) std::fill(ub, ub + m * uc, T(0));
        if (vb) std::fill(vb, vb + n * vc, T(0));
        for (int64_t i = 0; ub && i < std::min(m, uc); ++i) ub[i * uc + i] = T(1);
        for (int64_t i = 0; vb && i < std::min(n, vc); ++i) vb[i * vc + i] = T(1);
        return;
      }
      std::vector<Real<T>> sv(p);
      if (!linalg::jacobi_svd(x + b * m * n, m, n, sv.data(), ub, uc, vb, vc)) {
        // TF fills with numeric_limits<T>::quiet_NaN(): 0 for std::complex.
        const T nan = std::numeric_limits<T>::quiet_NaN();
        std::fill(so + b * p, so + (b + 1) * p, nan);
        if (ub) std::fill(ub, ub + m * uc, nan);
        if (vb) std::fill(vb, vb + n * vc, nan);
        return;
      }
      for (int64_t i = 0; i < p; ++i) so[b * p + i] = T(sv[i]);
    });
    return Status();
  }

 private:
  bool uv_ = true, full_ = false;
};

template <class T>
class SelfAdjointEigKernel : public OpKernel {
 public:
  explicit SelfAdjointEigKernel(KernelInit& init) {
    if (init.has_attr("compute_v")) init.get("compute_v", &compute_v_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    MR_RETURN_IF_ERROR(check_matrix_rank(in));
    const int64_t n = in.dim(in.rank() - 1);
    MR_REQUIRE(in.dim(in.rank() - 2) == n, "Input matrix must be square.");
    Tensor& e = ctx.allocate_output(0, matrix_batch(in, {n}));
    // Without compute_v TF leaves v an unfilled scalar.
    Tensor& v = ctx.allocate_output(1, compute_v_ ? matrix_batch(in, {n, n}) : Shape{});
    if (!compute_v_) *v.data<T>() = T(0);
    const int64_t batch = dims_product(in.shape(), 0, in.rank() - 2);
    const T* x = in.data<T>();
    T* eo = e.data<T>();
    T* vo = compute_v_ ? v.data<T>() : nullptr;
    std::atomic<bool> failed{false};
    for_each_matrix(ctx, batch, n, [&](int64_t b) {
      std::vector<Real<T>> w(n);
      if (!linalg::self_adjoint_eig(x + b * n * n, n, w.data(), vo ? vo + b * n * n : nullptr))
        return (void)(failed = true);
      for (int64_t i = 0; i < n; ++i) eo[b * n + i] = T(w[i]);
    });
    MR_REQUIRE(!failed, "Self-adjoint eigen decomposition was not successful. The input might not be valid.");
    return Status();
  }

 private:
  bool compute_v_ = true;
};

// SelfAdjointEig and BatchSelfAdjointEig (graphs before version 11): one
// [..., n+1, n] output, the eigenvalues in row 0 and the eigenvectors (as
// columns, like SelfAdjointEigV2's v) in rows 1..n.
template <class T>
class SelfAdjointEigV1Kernel : public OpKernel {
 public:
  explicit SelfAdjointEigV1Kernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    MR_RETURN_IF_ERROR(check_matrix_rank(in));
    const int64_t n = in.dim(in.rank() - 1);
    MR_REQUIRE(in.dim(in.rank() - 2) == n, "Input matrix must be square.");
    Tensor& out = ctx.allocate_output(0, matrix_batch(in, {n + 1, n}));
    const int64_t batch = dims_product(in.shape(), 0, in.rank() - 2);
    const T* x = in.data<T>();
    T* o = out.data<T>();
    std::atomic<bool> failed{false};
    for_each_matrix(ctx, batch, n, [&](int64_t b) {
      T* ob = o + b * (n + 1) * n;
      if (!linalg::self_adjoint_eig(x + b * n * n, n, ob, ob + n)) failed = true;
    });
    MR_REQUIRE(!failed, "Self-adjoint eigen decomposition was not successful. The input might not be valid.");
    return Status();
  }
};

// Cross: a x b over the last axis. Integers wrap like TF's; signed ones are
// computed unsigned so the wrap is defined. Half and bfloat16 round after each
// product and after the difference, as Eigen's half arithmetic does.
template <class T>
T cross_term(T a1, T b2, T a2, T b1) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a1) * static_cast<U>(b2)) -
                          static_cast<U>(static_cast<U>(a2) * static_cast<U>(b1)));
  } else if constexpr (std::is_floating_point_v<T>) {
    return a1 * b2 - a2 * b1;
  } else {
    const T p = T(float(a1) * float(b2)), q = T(float(a2) * float(b1));
    return T(float(p) - float(q));
  }
}

template <class T>
class CrossKernel : public OpKernel {
 public:
  explicit CrossKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    MR_REQUIRE(a.shape() == b.shape(), "Both inputs must be of same shape: ", shape_str(a.shape()), " vs. ",
               shape_str(b.shape()));
    MR_REQUIRE(a.rank() >= 1, "Input must be at least 1D", shape_str(a.shape()));
    if (a.dim(a.rank() - 1) != 3)
      return failed_precondition("Cross-products are only defined for 3-element vectors.");
    Tensor& out = ctx.allocate_output(0, a.shape());
    const T* x = a.data<T>();
    const T* y = b.data<T>();
    T* z = out.data<T>();
    const int64_t n = a.num_elements() / 3;
    for (int64_t i = 0; i < n; ++i, x += 3, y += 3, z += 3) {
      const T r0 = cross_term(x[1], y[2], x[2], y[1]);
      const T r1 = cross_term(x[2], y[0], x[0], y[2]);
      const T r2 = cross_term(x[0], y[1], x[1], y[0]);
      z[0] = r0, z[1] = r1, z[2] = r2;
    }
    return Status();
  }
};

}  // namespace

void register_linalg_ops_3(Registry& r) {
  using LinalgTypes = TypeList<float, double, complex64, complex128>;
  using LinalgHalfTypes = TypeList<float, double, complex64, complex128, Half>;  // TF adds half here
  using RealLinalgTypes = TypeList<float, double>;  // the Batch* names (graphs before version 13)
  auto solve_ls = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<MatrixSolveLsKernel<decltype(tag)>>(init);
  };
  r.add<LinalgTypes>("MatrixSolveLs", solve_ls);
  r.add<RealLinalgTypes>("BatchMatrixSolveLs", solve_ls);
  r.add<LinalgHalfTypes>("Qr", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<QrKernel<decltype(tag)>>(init);
  });
  auto svd = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<SvdKernel<decltype(tag)>>(init);
  };
  r.add<LinalgTypes>("Svd", svd);
  r.add<LinalgTypes>("BatchSvd", svd);
  auto eig = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<SelfAdjointEigKernel<decltype(tag)>>(init);
  };
  r.add<LinalgTypes>("SelfAdjointEigV2", eig);
  r.add<RealLinalgTypes>("BatchSelfAdjointEigV2", eig);
  auto eig_v1 = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<SelfAdjointEigV1Kernel<decltype(tag)>>(init);
  };
  r.add<RealLinalgTypes>("SelfAdjointEig", eig_v1);
  r.add<RealLinalgTypes>("BatchSelfAdjointEig", eig_v1);
  using CrossTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                              uint32_t, uint64_t>;
  r.add<CrossTypes>("Cross", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<CrossKernel<decltype(tag)>>(init);
  });
}

}  // namespace metarun
