// Sparse kernels, part 1: SparseTensorDenseMatMul, SparseTensorDenseAdd, SparseAdd and its
// gradient, SparseReorder, SparseReshape, SparseDenseCwise{Mul,Div,Add} and
// SparseSparse{Maximum,Minimum}, as TF's CPU kernels compute them. A SparseTensor arrives as
// three inputs (indices [N, rank], values [N], dense shape [rank]); the binary ops on two
// sparse operands merge their rows in the order given, so unsorted inputs give TF's output.
#include <cmath>
#include <complex>
#include <cstring>
#include <vector>

#include "framework/registry.h"
#include "kernels/util/element_copier.h"
#include "kernels/util/sparse.h"

namespace metarun {
namespace {

using sparse::Indices;

// Integer arithmetic wraps as two's complement (TF's int32 matmul and adds do on x86).
template <class T>
T add(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return static_cast<T>(a + b);
  }
}

template <class T>
T mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return static_cast<T>(a * b);
  }
}

template <class T>
T div(T a, T b) {
  if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    using U = std::make_unsigned_t<T>;
    if (b == T(-1)) return static_cast<T>(static_cast<U>(0) - static_cast<U>(a));  // INT_MIN / -1 wraps
    return static_cast<T>(a / b);
  } else {
    return static_cast<T>(a / b);
  }
}

template <class T>
T conj_if(T v, bool c) {
  if constexpr (is_complex_v<T>) return c ? std::conj(v) : v;
  return v;
}

template <class T> struct RealOf { using type = T; };
template <> struct RealOf<complex64> { using type = float; };
template <> struct RealOf<complex128> { using type = double; };

// Half products are summed in float, as TF's SumType does; bfloat16 ones in bfloat16.
template <class T> struct SumOf { using type = T; };
template <> struct SumOf<Half> { using type = float; };

template <class T>
class SparseTensorDenseMatMul : public OpKernel {
 public:
  explicit SparseTensorDenseMatMul(KernelInit& init) {
    init.get("adjoint_a", &adj_a_);
    init.get("adjoint_b", &adj_b_);
  }

  Status compute(OpContext& ctx) override {
    const Tensor &a_ind = ctx.input(0), &a_val = ctx.input(1), &a_shape = ctx.input(2), &b = ctx.input(3);
    MR_REQUIRE(a_ind.rank() == 2, "Tensor 'a_indices' is not a matrix");
    MR_REQUIRE(a_val.rank() == 1, "Tensor 'a_values' is not a vector");
    MR_REQUIRE(a_shape.rank() == 1, "Tensor 'a_shape' is not a vector");
    MR_REQUIRE(a_shape.num_elements() == 2, "Tensor 'a_shape' must have 2 elements");
    MR_REQUIRE(b.rank() == 2, "Tensor 'b' is not a matrix");
    MR_REQUIRE(a_ind.dim(0) == a_val.dim(0), "Number of rows of a_indices does not match number of entries in a_values");
    MR_REQUIRE(a_ind.dim(1) == a_shape.num_elements(),
               "Number of columns of a_indices does not match number of entries in a_shape");
    const std::vector<int64_t> s = sparse::read_vector(a_shape);
    const int64_t out_rows = adj_a_ ? s[1] : s[0], inner = adj_a_ ? s[0] : s[1];
    const int64_t n = adj_b_ ? b.dim(0) : b.dim(1), b_inner = adj_b_ ? b.dim(1) : b.dim(0);
    MR_REQUIRE(inner == b_inner, "Cannot multiply A and B because inner dimension does not match: ", inner, " vs. ",
               b_inner, ".  Did you forget a transpose?  Dimensions of A: [", s[0], ", ", s[1],
               ").  Dimensions of B: ", shape_str(b.shape()));
    MR_REQUIRE(out_rows >= 0, "Dimension ", out_rows, " must be >= 0");
    Tensor& out = ctx.allocate_output(0, {out_rows, n});
    using Sum = typename SumOf<T>::type;
    if (static_cast<uint64_t>(out.num_elements()) > max_allocation_bytes() / sizeof(Sum))
      return oom_status(DType::kFloat, out.shape());
    std::vector<Sum> acc(static_cast<size_t>(out.num_elements()), Sum(0));
    const Indices ind(a_ind);
    const T* av = a_val.data<T>();
    const T* bv = b.data<T>();
    const int m_col = adj_a_ ? 1 : 0, k_col = adj_a_ ? 0 : 1;
    for (int64_t i = 0; i < ind.n; ++i) {
      const int64_t m = ind.at(i, m_col), k = ind.at(i, k_col);
      MR_REQUIRE(k >= 0 && k < inner, "k (", k, ") from index[", i, ",", k_col, "] out of bounds (>=", inner, ")");
      MR_REQUIRE(m >= 0 && m < out_rows, "m (", m, ") from index[", i, ",", m_col, "] out of bounds (>=", out_rows, ")");
      const Sum a = static_cast<Sum>(conj_if(av[i], adj_a_));
      Sum* row = acc.data() + m * n;
      for (int64_t j = 0; j < n; ++j) {
        const Sum x = static_cast<Sum>(adj_b_ ? conj_if(bv[j * b.dim(1) + k], true) : bv[k * n + j]);
        row[j] = add(row[j], mul(a, x));
      }
    }
    T* o = out.data<T>();
    for (size_t e = 0; e < acc.size(); ++e) o[e] = static_cast<T>(acc[e]);
    return Status();
  }

 private:
  bool adj_a_ = false, adj_b_ = false;
};

template <class T>
class SparseTensorDenseAdd : public OpKernel {
 public:
  explicit SparseTensorDenseAdd(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor &a_ind = ctx.input(0), &a_val = ctx.input(1), &a_shape = ctx.input(2), &b = ctx.input(3);
    MR_REQUIRE(a_ind.rank() == 2, "Input a_indices should be a matrix but received shape: ", shape_str(a_ind.shape()));
    MR_REQUIRE(a_val.rank() == 1 && a_shape.rank() == 1, "Inputs a_values and a_shape should be vectors but received shapes: ",
               shape_str(a_val.shape()), " and ", shape_str(a_shape.shape()));
    MR_REQUIRE(a_ind.dim(0) == a_val.dim(0), "Dimensions ", a_ind.dim(0), " and ", a_val.dim(0), " are not compatible");
    MR_REQUIRE(a_ind.dim(1) == a_shape.dim(0), "Dimensions ", a_ind.dim(1), " and ", a_shape.dim(0),
               " are not compatible");
    const std::vector<int64_t> s = sparse::read_vector(a_shape);
    MR_REQUIRE(static_cast<int64_t>(s.size()) == b.rank(), "Two operands have different ranks; received: ", s.size(),
               " and ", b.rank());
    for (int d = 0; d < b.rank(); ++d)
      MR_REQUIRE(s[d] == b.dim(d), "Dimension ", d, " does not equal (no broadcasting is supported): sparse side ", s[d],
                 " vs dense side ", b.dim(d));
    MR_REQUIRE(b.rank() >= 1 && b.rank() <= 5,
               "Only tensors with ranks between 1 and 5 are currently supported.  Tensor rank: ", b.rank());
    Tensor& out = ctx.allocate_output(0, b.shape());
    out.copy_from(b);
    const Indices ind(a_ind);
    const T* av = a_val.data<T>();
    T* o = out.data<T>();
    for (int64_t i = 0; i < ind.n; ++i) {
      int64_t flat = 0;
      for (int d = 0; d < b.rank(); ++d) {
        const int64_t x = ind.at(i, d);
        MR_REQUIRE(x >= 0 && x < b.dim(d), "Sparse tensor has an invalid index on dimension ", d, ": a_indices(", i, ",",
                   d, ") = ", x, ", dense tensor shape: ", sparse::join(b.shape().data(), b.rank(), " "));
        flat = flat * b.dim(d) + x;
      }
      o[flat] = add(o[flat], av[i]);
    }
    return Status();
  }
};

// Checks of the ops with two sparse operands (SparseAdd's wording).
Status check_two_sparse(OpContext& ctx) {
  const Tensor &ai = ctx.input(0), &av = ctx.input(1), &as = ctx.input(2);
  const Tensor &bi = ctx.input(3), &bv = ctx.input(4), &bs = ctx.input(5);
  MR_REQUIRE(ai.rank() == 2 && bi.rank() == 2, "Input indices should be matrices but received shapes: ",
             shape_str(ai.shape()), " and ", shape_str(bi.shape()));
  MR_REQUIRE(av.rank() == 1 && bv.rank() == 1, "Input values should be vectors but received shapes: ",
             shape_str(av.shape()), " and ", shape_str(bv.shape()));
  MR_REQUIRE(ai.dim(0) == av.dim(0) && bi.dim(0) == bv.dim(0), "Expected ", ai.dim(0), " and ", bi.dim(0),
             " non-empty input values, got ", av.dim(0), " and ", bv.dim(0));
  MR_REQUIRE(as.rank() == 1 && bs.rank() == 1, "Input shapes should be a vector but received shapes ",
             shape_str(as.shape()), " and ", shape_str(bs.shape()));
  MR_REQUIRE(ai.dim(1) == bi.dim(1), "Input indices must have the same dimension, got ", ai.dim(1), " and ", bi.dim(1));
  const std::vector<int64_t> a = sparse::read_vector(as), b = sparse::read_vector(bs);
  MR_REQUIRE(a.size() == b.size(), "Operands do not have the same ranks; got shapes: ",
             sparse::join(a.data(), a.size(), " "), " and ", sparse::join(b.data(), b.size(), " "));
  for (size_t d = 0; d < a.size(); ++d)
    MR_REQUIRE(a[d] == b[d], "Operands' shapes do not match: got ", a[d], " and ", b[d], " for dimension ", d);
  MR_REQUIRE(static_cast<int64_t>(a.size()) == ai.dim(1), "Index rank (", ai.dim(1), ") and shape rank (", a.size(),
             ") do not match");
  return Status();
}

// Walks two index matrices as TF's merge does: `fn(i, j)` with j = -1 for a row of a alone,
// i = -1 for a row of b alone, both for equal rows.
template <class F>
void merge_rows(const Indices& a, const Indices& b, F&& fn) {
  int64_t i = 0, j = 0;
  while (i < a.n && j < b.n) {
    const int c = sparse::compare(a.row(i), b.row(j), a.rank);
    if (c < 0) fn(i++, int64_t{-1});
    else if (c > 0) fn(int64_t{-1}, j++);
    else fn(i++, j++);
  }
  for (; i < a.n; ++i) fn(i, int64_t{-1});
  for (; j < b.n; ++j) fn(int64_t{-1}, j);
}

Tensor rows_tensor(const Indices& src_a, const Indices& src_b, const std::vector<std::pair<int64_t, int64_t>>& rows) {
  const int64_t rank = src_a.rank;
  Tensor out(DType::kInt64, {static_cast<int64_t>(rows.size()), rank});
  int64_t* o = out.data<int64_t>();
  for (const auto& [i, j] : rows) {
    const int64_t* r = i >= 0 ? src_a.row(i) : src_b.row(j);
    o = std::copy(r, r + rank, o);
  }
  return out;
}

template <class T>
class SparseAdd : public OpKernel {
 public:
  explicit SparseAdd(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    MR_RETURN_IF_ERROR(check_two_sparse(ctx));
    const Tensor& thresh_t = ctx.input(6);
    MR_REQUIRE(thresh_t.rank() == 0, "The magnitude threshold must be a scalar: got shape ", shape_str(thresh_t.shape()));
    const auto thresh = thresh_t.scalar_value<typename RealOf<T>::type>();
    const Indices a(ctx.input(0)), b(ctx.input(3));
    const T* av = ctx.input(1).data<T>();
    const T* bv = ctx.input(4).data<T>();
    std::vector<std::pair<int64_t, int64_t>> rows;
    std::vector<T> vals;
    merge_rows(a, b, [&](int64_t i, int64_t j) {
      if (i >= 0 && j >= 0) {
        const T s = add(av[i], bv[j]);
        if (!(thresh <= magnitude(s))) return;
        vals.push_back(s);
      } else {
        vals.push_back(i >= 0 ? av[i] : bv[j]);
      }
      rows.emplace_back(i, j);
    });
    ctx.set_output(0, rows_tensor(a, b, rows));
    Tensor& v = ctx.allocate_output(1, {static_cast<int64_t>(vals.size())});
    std::copy(vals.begin(), vals.end(), v.data<T>());
    ctx.set_output(2, ctx.input(2));
    return Status();
  }

 private:
  static auto magnitude(T s) {
    if constexpr (is_complex_v<T>) return std::abs(s);
    else if constexpr (std::is_integral_v<T>) return static_cast<T>(s < 0 ? static_cast<T>(0) - s : s);
    else return static_cast<T>(std::fabs(static_cast<double>(s)));
  }
};

template <class T>
class SparseAddGrad : public OpKernel {
 public:
  explicit SparseAddGrad(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor &grad = ctx.input(0), &ai = ctx.input(1), &bi = ctx.input(2), &si = ctx.input(3);
    MR_REQUIRE(grad.rank() == 1, "Input backprop_val_grad should be a vector but received shape: ",
               shape_str(grad.shape()));
    MR_REQUIRE(ai.rank() == 2 && bi.rank() == 2 && si.rank() == 2,
               "Input indices should be matrices but received shapes: ", shape_str(ai.shape()), " and ",
               shape_str(bi.shape()), " and ", shape_str(si.shape()));
    MR_REQUIRE(ai.dim(1) == bi.dim(1) && bi.dim(1) == si.dim(1),
               "The densified operands should have the same ndims; for A, B, sum got: ", ai.dim(1), bi.dim(1), si.dim(1));
    MR_REQUIRE(grad.dim(0) == si.dim(0), "# elements of backprop_val_grad and # rows of sum_indices should match (#nnz of "
               "sum): got ", grad.dim(0), " and ", si.dim(0));
    const Indices a(ai), b(bi), s(si);
    Tensor& ga = ctx.allocate_output(0, {a.n});
    Tensor& gb = ctx.allocate_output(1, {b.n});
    T* pa = ga.data<T>();
    T* pb = gb.data<T>();
    std::fill(pa, pa + a.n, T(0));
    std::fill(pb, pb + b.n, T(0));
    const T* g = grad.data<T>();
    int64_t k = 0;
    merge_rows(a, b, [&](int64_t i, int64_t j) {
      const int64_t* r = i >= 0 ? a.row(i) : b.row(j);
      if (k >= s.n || sparse::compare(r, s.row(k), s.rank) != 0) return;
      if (i >= 0) pa[i] = g[k];
      if (j >= 0) pb[j] = g[k];
      ++k;
    });
    return Status();
  }
};

class SparseReorder : public OpKernel {
 public:
  explicit SparseReorder(KernelInit& init) : copier_(init.input_type(1)) {}

  Status compute(OpContext& ctx) override {
    const Tensor &ind_t = ctx.input(0), &vals = ctx.input(1), &shape = ctx.input(2);
    MR_RETURN_IF_ERROR(sparse::check_create(ind_t, vals, shape));
    const Indices ind(ind_t);
    const std::vector<int64_t> perm = sparse::sorted_order(ind, sparse::row_major(ind.rank));
    Tensor& oi = ctx.allocate_output(0, ind_t.shape());
    Tensor& ov = ctx.allocate_output(1, vals.shape());
    int64_t* o = oi.data<int64_t>();
    for (int64_t e = 0; e < ind.n; ++e) {
      o = std::copy(ind.row(perm[e]), ind.row(perm[e]) + ind.rank, o);
      copier_.copy(vals, perm[e], ov, e, 1);
    }
    return Status();
  }

 private:
  ElementCopier copier_;
};

class SparseReshape : public OpKernel {
 public:
  explicit SparseReshape(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor &ind_t = ctx.input(0), &shape_t = ctx.input(1), &new_t = ctx.input(2);
    MR_REQUIRE(ind_t.rank() == 2, "Input must be a matrix.");
    MR_REQUIRE(shape_t.rank() == 1, "Input shape must be a vector.");
    MR_REQUIRE(new_t.rank() == 1, "Target shape should be a vector but received shape ", shape_str(new_t.shape()));
    MR_REQUIRE(ind_t.dim(1) == shape_t.dim(0), "Input tensor rank must match input shape length.");
    const std::vector<int64_t> in = sparse::read_vector(shape_t);
    std::vector<int64_t> out = sparse::read_vector(new_t);
    int64_t dense = 1, product = 1, unknown = -1;
    for (int64_t d : in) {
      MR_REQUIRE(d >= 0, "Input shape dimensions must be non-negative, got ", shape_str(Shape(in)));
      dense = mul_checked(dense, d);
    }
    MR_REQUIRE(dense >= 0, "Input shape ", shape_str(Shape(in)), " has too many elements");
    for (size_t d = 0; d < out.size(); ++d) {
      if (out[d] == -1) {
        MR_REQUIRE(unknown == -1, "only one output dimension may be -1, not both ", unknown, " and ", d);
        unknown = static_cast<int64_t>(d);
      } else {
        MR_REQUIRE(out[d] >= 0, "size ", d, " must be non-negative, not ", out[d]);
        product = mul_checked(product, out[d]);
      }
    }
    MR_REQUIRE(product >= 0, "Target shape ", shape_str(Shape(out)), " has too many elements");
    if (unknown != -1) {
      MR_REQUIRE(product > 0, "reshape cannot infer the missing input size for an empty tensor unless all specified "
                              "input sizes are non-zero");
      out[unknown] = 1;
      MR_REQUIRE(dense % product == 0, "Input to reshape is a SparseTensor with ", dense,
                 " dense values, but the requested shape requires a multiple of ", product,
                 ". input_shape=", shape_str(Shape(in)), " output_shape=", shape_str(Shape(out)));
      out[unknown] = dense / product;
      product = dense;
    }
    MR_REQUIRE(product == dense, "Input to reshape is a tensor with ", dense, " dense values, but the requested shape has ",
               product, ". input_shape=", shape_str(Shape(in)), " output_shape=", shape_str(Shape(out)));
    const Indices ind(ind_t);
    const int64_t out_rank = static_cast<int64_t>(out.size());
    Tensor& oi = ctx.allocate_output(0, {ind.n, out_rank});
    int64_t* o = oi.data<int64_t>();
    for (int64_t i = 0; i < ind.n; ++i) {
      int64_t flat = 0;
      for (int64_t d = 0; d < ind.rank; ++d) flat = flat * in[d] + ind.at(i, d);
      for (int64_t d = out_rank - 1; d >= 0; --d) {
        o[i * out_rank + d] = out[d] ? flat % out[d] : 0;
        flat = out[d] ? flat / out[d] : 0;
      }
    }
    Tensor& os = ctx.allocate_output(1, {out_rank});
    std::copy(out.begin(), out.end(), os.data<int64_t>());
    return Status();
  }

 private:
  // -1 once the product overflows (and stays so).
  static int64_t mul_checked(int64_t a, int64_t b) {
    int64_t r;
    return a < 0 || __builtin_mul_overflow(a, b, &r) ? -1 : r;
  }
};

enum class CwiseOp { kMul, kDiv, kAdd };

// SparseDenseCwise*'s checks, the same for every dtype; `shape` is the sparse operand's.
Status check_sparse_dense(const OpContext& ctx, std::vector<int64_t>* shape) {
  const Tensor &ind_t = ctx.input(0), &vals = ctx.input(1), &shape_t = ctx.input(2), &dense = ctx.input(3);
  MR_REQUIRE(ind_t.rank() == 2, "Input sp_indices should be a matrix but received shape: ", shape_str(ind_t.shape()));
  MR_REQUIRE(vals.rank() == 1 && shape_t.rank() == 1, "Inputs sp_values and sp_shape should be vectors but received "
             "shapes: ", shape_str(vals.shape()), " and ", shape_str(shape_t.shape()));
  MR_REQUIRE(vals.dim(0) == ind_t.dim(0), "The first dimension of values and indices should match. (", vals.dim(0),
             " vs. ", ind_t.dim(0), ")");
  *shape = sparse::read_vector(shape_t);
  const std::vector<int64_t>& s = *shape;
  const int rank = static_cast<int>(s.size());
  bool ok = dense.rank() <= rank;
  for (int d = 0; ok && d < dense.rank(); ++d) {
    const int64_t dd = dense.dim(dense.rank() - 1 - d), sd = s[rank - 1 - d];
    ok = dd == sd || dd == 1;
  }
  MR_REQUIRE(ok, "SparseDenseBinaryOpShared broadcasts dense to sparse only; got incompatible shapes: ",
             shape_str(Shape(s)), " vs. ", shape_str(dense.shape()));
  MR_REQUIRE(ind_t.dim(1) == rank, "Index rank (", ind_t.dim(1), ") and shape rank (", rank, ") do not match");
  return Status();
}

// The strides of the dense operand broadcast to the sparse shape `s` (0 along
// its size-1 dims): sparse index (x0, x1, ...) pairs with dense element
// sum(xd * stride[d]).
std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& s, const Tensor& dense) {
  const int rank = static_cast<int>(s.size());
  std::vector<int64_t> stride(rank, 0);
  int64_t st = 1;
  for (int d = 0; d < dense.rank(); ++d) {
    const int sd = rank - 1 - d;
    const int64_t dd = dense.dim(dense.rank() - 1 - d);
    stride[sd] = dd == 1 ? 0 : st;
    st *= dd;
  }
  return stride;
}

template <class T, CwiseOp kOp>
class SparseDenseCwise : public OpKernel {
 public:
  explicit SparseDenseCwise(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor &vals = ctx.input(1), &dense = ctx.input(3);
    std::vector<int64_t> shape;
    MR_RETURN_IF_ERROR(check_sparse_dense(ctx, &shape));
    const T* dv = dense.data<T>();
    if constexpr (kOp == CwiseOp::kDiv) {
      for (int64_t e = 0; e < dense.num_elements(); ++e)
        MR_REQUIRE(!(dv[e] == T(0)), "SparseDenseCwiseDiv cannot divide by zero,but input dense tensor contains zero ");
    }
    const std::vector<int64_t> stride = broadcast_strides(shape, dense);
    const int rank = static_cast<int>(shape.size());
    const Indices ind(ctx.input(0));
    const T* sv = vals.data<T>();
    Tensor& out = ctx.allocate_output(0, {ind.n});
    T* o = out.data<T>();
    for (int64_t i = 0; i < ind.n; ++i) {
      int64_t at = 0;
      for (int d = 0; d < rank; ++d) {
        const int64_t x = ind.at(i, d);
        MR_REQUIRE(x >= 0 && x < shape[d], "Provided indices are out-of-bounds w.r.t. dense side with broadcasted shape");
        at += x * stride[d];
      }
      if constexpr (kOp == CwiseOp::kMul) o[i] = mul(sv[i], dv[at]);
      else if constexpr (kOp == CwiseOp::kDiv) o[i] = div(sv[i], dv[at]);
      else o[i] = add(sv[i], dv[at]);
    }
    return Status();
  }
};

// TF's maximum/minimum propagate NaN and keep the first operand on a tie.
template <class T>
bool is_nan(T x) {
  return !(x == x);
}

// SparseSparse{Maximum,Minimum}'s checks and the rows of the result (a's
// row or -1, b's row or -1), the same for every dtype.
Status plan_sparse_min_max(const OpContext& ctx, Indices* a, Indices* b,
                           std::vector<std::pair<int64_t, int64_t>>* rows) {
  const Tensor &ai = ctx.input(0), &av = ctx.input(1), &as = ctx.input(2);
  const Tensor &bi = ctx.input(3), &bv = ctx.input(4), &bs = ctx.input(5);
  MR_REQUIRE(ai.rank() == 2 && bi.rank() == 2, "Inputs a_indices and b_indices should be matrices but received "
             "shapes: ", shape_str(ai.shape()), ", ", shape_str(bi.shape()));
  MR_REQUIRE(as.rank() == 1 && bs.rank() == 1, "Input shapes should be a vector but received shapes ",
             shape_str(as.shape()), " and ", shape_str(bs.shape()));
  const std::vector<int64_t> sa = sparse::read_vector(as), sb = sparse::read_vector(bs);
  MR_REQUIRE(sa.size() == sb.size(), "Operands do not have the same ranks; got shapes: ",
             sparse::join(sa.data(), sa.size(), " "), " and ", sparse::join(sb.data(), sb.size(), " "));
  for (size_t d = 0; d < sa.size(); ++d)
    MR_REQUIRE(sa[d] == sb[d], "Operands' shapes do not match: got ", sa[d], " and ", sb[d], " for dimension ", d);
  MR_RETURN_IF_ERROR(sparse::check_create(ai, av, as));
  MR_RETURN_IF_ERROR(sparse::check_create(bi, bv, bs));
  *a = Indices(ai);
  *b = Indices(bi);
  for (const Indices* x : {a, b}) {
    for (int64_t i = 0; i < x->n; ++i) {
      for (int64_t d = 0; d < x->rank; ++d) {
        MR_REQUIRE(x->at(i, d) >= 0 && x->at(i, d) < sa[d], "Sparse index tuple indices[", i, ", :] = [",
                   sparse::join(x->row(i), x->rank, ", "), "] is out of bounds");
      }
    }
  }
  merge_rows(*a, *b, [&](int64_t i, int64_t j) { rows->emplace_back(i, j); });
  return Status();
}

template <class T, bool kMax>
class SparseSparseMinOrMax : public OpKernel {
 public:
  explicit SparseSparseMinOrMax(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    Indices a, b;
    std::vector<std::pair<int64_t, int64_t>> rows;
    MR_RETURN_IF_ERROR(plan_sparse_min_max(ctx, &a, &b, &rows));
    const T* pa = ctx.input(1).data<T>();
    const T* pb = ctx.input(4).data<T>();
    std::vector<T> vals;
    vals.reserve(rows.size());
    for (const auto& [i, j] : rows) vals.push_back(pick(i >= 0 ? pa[i] : T(0), j >= 0 ? pb[j] : T(0)));
    ctx.set_output(0, rows_tensor(a, b, rows));
    Tensor& v = ctx.allocate_output(1, {static_cast<int64_t>(vals.size())});
    std::copy(vals.begin(), vals.end(), v.data<T>());
    return Status();
  }

 private:
  static T pick(T x, T y) {
    if (is_nan(x)) return x;
    if (is_nan(y)) return y;
    if constexpr (kMax) return x < y ? y : x;
    return y < x ? y : x;
  }
};

template <template <class> class K>
auto make() {
  return [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<K<decltype(tag)>>(init);
  };
}

template <CwiseOp kOp>
auto make_cwise() {
  return [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<SparseDenseCwise<decltype(tag), kOp>>(init);
  };
}

template <bool kMax>
auto make_min_max() {
  return [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<SparseSparseMinOrMax<decltype(tag), kMax>>(init);
  };
}

}  // namespace

void register_sparse_ops(Registry& r) {
  using MatMulTypes = TypeList<float, double, Half, BFloat16, int32_t, complex64, complex128>;
  using AddTypes = TypeList<float, double, int8_t, int16_t, int32_t, int64_t, complex64, complex128>;
  using MoveTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                             uint32_t, uint64_t, complex64, complex128, bool, std::string>;
  r.add<MatMulTypes>("SparseTensorDenseMatMul", make<SparseTensorDenseMatMul>());
  r.add<NumberTypes>("SparseTensorDenseAdd", make<SparseTensorDenseAdd>());
  r.add<AddTypes>("SparseAdd", make<SparseAdd>());
  r.add<AddTypes>("SparseAddGrad", make<SparseAddGrad>());
  r.add<MoveTypes>("SparseReorder", [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<SparseReorder>(init);
  });
  r.add("SparseReshape", make_kernel<SparseReshape>);
  r.add<RealTypes>("SparseDenseCwiseMul", make_cwise<CwiseOp::kMul>());
  r.add<RealTypes>("SparseDenseCwiseDiv", make_cwise<CwiseOp::kDiv>());
  r.add<RealTypes>("SparseDenseCwiseAdd", make_cwise<CwiseOp::kAdd>());
  r.add<RealTypes>("SparseSparseMaximum", make_min_max<true>());
  r.add<RealTypes>("SparseSparseMinimum", make_min_max<false>());
}

}  // namespace metarun
