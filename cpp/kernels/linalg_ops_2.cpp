// The tf.linalg family, second half: the square-matrix ops built on LU and
// Cholesky (MatrixInverse, MatrixDeterminant, LogMatrixDeterminant,
// MatrixSolve, MatrixTriangularSolve, MatrixSolveLs, Cholesky) and the
// decompositions (Qr, Svd, SelfAdjointEigV2). Each matrix of a batch is
// independent; the pool splits the batch. Checks and messages are TF's
// LinearAlgebraOp's ("Input tensor 0 must have rank >= 2, got 1").
#include <atomic>
#include <limits>

#include "framework/registry.h"
#include "kernels/util/linalg.h"

namespace metarun {
namespace {

using linalg::Mat;
using linalg::Real;
using linalg::mat;

// Runs f(i) for each of `batch` matrices of order n (cost ~ n^3 flops).
template <class F>
void for_each_matrix(OpContext& ctx, int64_t batch, int64_t n, F&& f) {
  const double cost = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) + 20.0;
  ctx.parallel_for(batch, cost, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) f(i);
  });
}

Status check_matrix_rank(const Tensor& t, int index) {
  MR_REQUIRE(t.rank() >= 2, "Input tensor ", index, " must have rank >= 2, got ", t.rank());
  return Status();
}

// A batch of square matrices: [..., n, n].
Status check_square(const Tensor& t, int64_t* n, int64_t* batch) {
  MR_RETURN_IF_ERROR(check_matrix_rank(t, 0));
  *n = t.dim(t.rank() - 1);
  MR_REQUIRE(t.dim(t.rank() - 2) == *n, "Input matrix must be square.");
  *batch = dims_product(t.shape(), 0, t.rank() - 2);
  return Status();
}

// Two inputs of one batch shape, as LinearAlgebraOp requires of MatrixSolve
// and MatrixSolveLs.
Status check_same_batch(const Tensor& a, const Tensor& b) {
  MR_RETURN_IF_ERROR(check_matrix_rank(a, 0));
  MR_REQUIRE(b.rank() == a.rank(), "All input tensors must have the same rank.");
  for (int d = 0; d < a.rank() - 2; ++d)
    MR_REQUIRE(a.dim(d) == b.dim(d), "All input tensors must have the same outer dimensions.");
  return Status();
}

Shape batch_shape(const Tensor& t) { return Shape(t.shape().begin(), t.shape().end() - 2); }
Shape with_dims(Shape s, std::initializer_list<int64_t> dims) {
  s.insert(s.end(), dims);
  return s;
}

template <class T>
class CholeskyKernel : public OpKernel {
 public:
  explicit CholeskyKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    int64_t n, batch;
    MR_RETURN_IF_ERROR(check_square(ctx.input(0), &n, &batch));
    Tensor& out = ctx.allocate_output(0, ctx.input(0).shape());
    if (out.num_elements() == 0) return Status();
    const T* x = ctx.input(0).data<T>();
    T* o = out.data<T>();
    for_each_matrix(ctx, batch, n, [&](int64_t b) {
      Mat<T> m = mat(o + b * n * n, n, n);
      std::copy(x + b * n * n, x + (b + 1) * n * n, m.data);
      // TF 2.21 does not fail on a matrix that is not positive definite:
      // it fills the lower triangle with numeric_limits<T>::quiet_NaN(),
      // which is 0 for std::complex.
      if (!linalg::llt_in_place(m))
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j <= i; ++j) m(i, j) = std::numeric_limits<T>::quiet_NaN();
    });
    return Status();
  }
};

// Half matrices are inverted in float and rounded once (TF's Eigen rounds
// each half operation; results agree to a few half ulps).
template <class T>
class MatrixInverseKernel : public OpKernel {
  using C = std::conditional_t<is_half_v<T>, float, T>;

 public:
  explicit MatrixInverseKernel(KernelInit& init) {
    if (init.has_attr("adjoint")) init.get("adjoint", &adjoint_);
  }
  Status compute(OpContext& ctx) override {
    int64_t n, batch;
    MR_RETURN_IF_ERROR(check_square(ctx.input(0), &n, &batch));
    Tensor& out = ctx.allocate_output(0, ctx.input(0).shape());
    if (out.num_elements() == 0) return Status();
    const T* x = ctx.input(0).data<T>();
    T* o = out.data<T>();
    std::atomic<bool> singular{false};
    for_each_matrix(ctx, batch, n, [&](int64_t b) {
      std::vector<C> in(x + b * n * n, x + (b + 1) * n * n), lu(n * n), inv(n * n, C(0));
      linalg::copy_matrix(in.data(), n, n, adjoint_, lu.data());
      std::vector<int64_t> tr;
      linalg::lu_in_place(mat(lu.data(), n, n), &tr);
      if (!(linalg::min_abs_pivot(mat(lu.data(), n, n)) > Real<C>(0))) return (void)(singular = true);
      for (int64_t i = 0; i < n; ++i) inv[i * n + i] = C(1);
      linalg::lu_solve(mat(lu.data(), n, n), tr, mat(inv.data(), n, n));
      std::copy(inv.begin(), inv.end(), o + b * n * n);
    });
    MR_REQUIRE(!singular, "Input is not invertible.");
    return Status();
  }

 private:
  bool adjoint_ = false;
};

// log|det| and the sign (a unit complex number for complex T) through LU, as
// TF's SLogDet: a non-finite log makes the sign 0 and the log +-inf.
template <class T>
void slogdet(const T* x, int64_t n, T* sign, Real<T>* log_abs) {
  using R = Real<T>;
  // The permutation's sign multiplies last: a singular matrix with an odd
  // number of row swaps has sign -0, as TF's.
  T perm(1), unit(1);
  R sum = 0;
  if (n > 0) {
    std::vector<T> lu(x, x + n * n);
    std::vector<int64_t> tr;
    if (linalg::lu_in_place(mat(lu.data(), n, n), &tr) % 2) perm = T(-1);
    for (int64_t i = 0; i < n; ++i) {
      const T d = lu[i * n + i];
      const R a = linalg::abs(d);
      sum += std::log(a);
      unit *= d / T(a);
    }
  }
  if (!std::isfinite(sum)) {
    unit = T(0);
    sum = sum > R(0) ? std::numeric_limits<R>::infinity() : -std::numeric_limits<R>::infinity();
  }
  *sign = perm * unit;
  *log_abs = sum;
}

template <class T>
class DeterminantKernel : public OpKernel {
 public:
  DeterminantKernel(KernelInit&, bool log) : log_(log) {}
  Status compute(OpContext& ctx) override {
    int64_t n, batch;
    MR_RETURN_IF_ERROR(check_square(ctx.input(0), &n, &batch));
    const Shape shape = batch_shape(ctx.input(0));
    Tensor& o0 = ctx.allocate_output(0, shape);
    T* sign = o0.data<T>();
    T* second = log_ ? ctx.allocate_output(1, shape).data<T>() : nullptr;
    const T* x = ctx.input(0).data<T>();
    for_each_matrix(ctx, batch, n, [&](int64_t b) {
      T s;
      Real<T> log_abs;
      slogdet(x + b * n * n, n, &s, &log_abs);
      if (log_) {
        sign[b] = s;
        second[b] = T(log_abs);
      } else {
        sign[b] = s * T(std::exp(log_abs));
      }
    });
    return Status();
  }

 private:
  bool log_;
};

template <class T>
class MatrixSolveKernel : public OpKernel {
 public:
  explicit MatrixSolveKernel(KernelInit& init) {
    if (init.has_attr("adjoint")) init.get("adjoint", &adjoint_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& rhs = ctx.input(1);
    MR_RETURN_IF_ERROR(check_same_batch(a, rhs));
    const int64_t n = a.dim(a.rank() - 1), k = rhs.dim(rhs.rank() - 1);
    MR_REQUIRE(a.dim(a.rank() - 2) == n, "First input (lhs) must be a square matrix.");
    MR_REQUIRE(rhs.dim(rhs.rank() - 2) == n, "Input matrix and rhs are incompatible.");
    Tensor& out = ctx.allocate_output(0, rhs.shape());
    if (out.num_elements() == 0) return Status();
    const int64_t batch = dims_product(a.shape(), 0, a.rank() - 2);
    const T* x = a.data<T>();
    const T* y = rhs.data<T>();
    T* o = out.data<T>();
    std::atomic<bool> singular{false};
    for_each_matrix(ctx, batch, n, [&](int64_t b) {
      std::vector<T> lu(n * n);
      linalg::copy_matrix(x + b * n * n, n, n, adjoint_, lu.data());
      std::vector<int64_t> tr;
      linalg::lu_in_place(mat(lu.data(), n, n), &tr);
      if (!(linalg::min_abs_pivot(mat(lu.data(), n, n)) > Real<T>(0))) return (void)(singular = true);
      std::copy(y + b * n * k, y + (b + 1) * n * k, o + b * n * k);
      linalg::lu_solve(mat(lu.data(), n, n), tr, mat(o + b * n * k, n, k));
    });
    MR_REQUIRE(!singular, "Input matrix is not invertible.");
    return Status();
  }

 private:
  bool adjoint_ = false;
};

// Which matrix of each operand feeds output batch i, for broadcast batch dims
// (TF's MatMulBCast).
Status broadcast_batches(const Tensor& x, const Tensor& y, Shape* out, std::vector<int64_t>* xi,
                         std::vector<int64_t>* yi) {
  Shape xb = batch_shape(x), yb = batch_shape(y);
  const size_t rank = std::max(xb.size(), yb.size());
  xb.insert(xb.begin(), rank - xb.size(), 1);
  yb.insert(yb.begin(), rank - yb.size(), 1);
  out->assign(rank, 1);
  for (size_t d = 0; d < rank; ++d) {
    MR_REQUIRE(xb[d] == yb[d] || xb[d] == 1 || yb[d] == 1, "In[0] and In[1] must have compatible batch dimensions: ",
               shape_str(x.shape()), " vs. ", shape_str(y.shape()));
    (*out)[d] = xb[d] == 1 ? yb[d] : xb[d];
  }
  const int64_t total = num_elements(*out);
  xi->assign(total, 0);
  yi->assign(total, 0);
  int64_t xs = 1, ys = 1, os = 1;
  for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
    const int64_t od = (*out)[d];
    if (od == 0) continue;
    for (int64_t i = 0; i < total; ++i) {
      const int64_t idx = (i / os) % od;
      if (xb[d] != 1) (*xi)[i] += idx * xs;
      if (yb[d] != 1) (*yi)[i] += idx * ys;
    }
    xs *= xb[d], ys *= yb[d], os *= od;
  }
  return Status();
}

template <class T>
class TriangularSolveKernel : public OpKernel {
 public:
  explicit TriangularSolveKernel(KernelInit& init) {
    if (init.has_attr("lower")) init.get("lower", &lower_);
    if (init.has_attr("adjoint")) init.get("adjoint", &adjoint_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& rhs = ctx.input(1);
    MR_REQUIRE(a.rank() >= 2, "In[0] ndims must be >= 2: ", a.rank());
    MR_REQUIRE(rhs.rank() >= 2, "In[1] ndims must be >= 2: ", rhs.rank());
    Shape out_batch;
    std::vector<int64_t> ai, bi;
    MR_RETURN_IF_ERROR(broadcast_batches(a, rhs, &out_batch, &ai, &bi));
    const int64_t rows = a.dim(a.rank() - 2), n = a.dim(a.rank() - 1);
    const int64_t rhs_rows = rhs.dim(rhs.rank() - 2), k = rhs.dim(rhs.rank() - 1);
    MR_REQUIRE(rows == n, "In[0] matrices in the last dimensions must be square (", n, " =/= ", rows, ")");
    MR_REQUIRE(n == rhs_rows, "In[0] mismatch In[1] shape: ", n, " vs. ", rhs_rows, ": ", shape_str(a.shape()), " ",
               shape_str(rhs.shape()), " ", lower_, " ", adjoint_);
    Tensor& out = ctx.allocate_output(0, with_dims(out_batch, {n, k}));
    if (out.num_elements() == 0) return Status();
    const T* x = a.data<T>();
    const T* y = rhs.data<T>();
    T* o = out.data<T>();
    for_each_matrix(ctx, static_cast<int64_t>(ai.size()), n, [&](int64_t b) {
      std::copy(y + bi[b] * n * k, y + (bi[b] + 1) * n * k, o + b * n * k);
      linalg::triangular_solve(Mat<const T>{x + ai[b] * n * n, n, n, n}, lower_, adjoint_, false,
                               mat(o + b * n * k, n, k));
    });
    return Status();
  }

 private:
  bool lower_ = true, adjoint_ = false;
};

}  // namespace

void register_linalg_ops_2(Registry& r) {
  using LinalgTypes = TypeList<float, double, complex64, complex128>;
  using LinalgHalfTypes = TypeList<float, double, complex64, complex128, Half>;  // TF adds half here
  // The Batch* names are what graphs before GraphDef version 13 call these ops.
  using RealLinalgTypes = TypeList<float, double>;
  auto cholesky = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<CholeskyKernel<decltype(tag)>>(init);
  };
  r.add<LinalgTypes>("Cholesky", cholesky);
  r.add<RealLinalgTypes>("BatchCholesky", cholesky);
  auto inverse = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<MatrixInverseKernel<decltype(tag)>>(init);
  };
  r.add<LinalgHalfTypes>("MatrixInverse", inverse);
  r.add<RealLinalgTypes>("BatchMatrixInverse", inverse);
  auto det = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<DeterminantKernel<decltype(tag)>>(init, false);
  };
  r.add<LinalgTypes>("MatrixDeterminant", det);
  r.add<LinalgTypes>("BatchMatrixDeterminant", det);
  r.add<LinalgTypes>("LogMatrixDeterminant", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<DeterminantKernel<decltype(tag)>>(init, true);
  });
  auto solve = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<MatrixSolveKernel<decltype(tag)>>(init);
  };
  r.add<LinalgTypes>("MatrixSolve", solve);
  r.add<RealLinalgTypes>("BatchMatrixSolve", solve);
  auto tri_solve = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<TriangularSolveKernel<decltype(tag)>>(init);
  };
  r.add<LinalgTypes>("MatrixTriangularSolve", tri_solve);
  r.add<RealLinalgTypes>("BatchMatrixTriangularSolve", tri_solve);
  register_linalg_ops_3(r);
}

}  // namespace metarun
