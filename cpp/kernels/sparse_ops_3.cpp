// Sparse kernels, part 3: SparseSplit (a SparseTensor cut along one dimension into num_split
// pieces, the first dim % num_split one longer, rows kept in input order, as TF's
// SparseTensor::Split) and SparseMatMul (the dense product that TF's tf.sparse_matmul hints
// with a_is_sparse / b_is_sparse; float32 and bfloat16 operands, a float32 result; the hints
// change only how TF schedules the work, so one BLAS product serves all four).
#include <vector>

#include "framework/registry.h"
#include "kernels/util/blas.h"
#include "kernels/util/element_copier.h"
#include "kernels/util/sparse.h"

namespace metarun {
namespace {

using sparse::Indices;

class SparseSplit : public OpKernel {
 public:
  explicit SparseSplit(KernelInit& init) : copier_(init.input_type(2)) { init.get("num_split", &num_split_); }

  Status compute(OpContext& ctx) override {
    const Tensor &dim_t = ctx.input(0), &ind_t = ctx.input(1), &vals = ctx.input(2), &shape_t = ctx.input(3);
    MR_REQUIRE(dim_t.num_elements() == 1, "split_dim must be a scalar, got shape ", shape_str(dim_t.shape()));
    MR_REQUIRE(ind_t.rank() == 2, "Input indices should be a matrix but received shape ", shape_str(ind_t.shape()));
    MR_REQUIRE(vals.rank() == 1, "Input values should be a vector but received shape ", shape_str(vals.shape()));
    MR_REQUIRE(shape_t.rank() == 1, "Input shape should be a vector but received shape ", shape_str(shape_t.shape()));
    const std::vector<int64_t> shape = sparse::read_vector(shape_t);
    const int64_t rank = static_cast<int64_t>(shape.size());
    const int64_t axis_in = index_at(dim_t, 0);
    MR_REQUIRE(axis_in >= -rank && axis_in < rank, "Input axis should be in range [", -rank, ", ", rank, "), got ",
               axis_in);
    const int64_t axis = axis_in < 0 ? axis_in + rank : axis_in;
    MR_REQUIRE(num_split_ >= 1 && num_split_ <= shape[axis], "Input num_split should be between 1 and the splitting "
               "dimension size (", shape[axis], "), got ", num_split_);
    MR_RETURN_IF_ERROR(sparse::check_create(ind_t, vals, shape_t));
    const Indices ind(ind_t);
    for (int64_t i = 0; i < ind.n; ++i)
      for (int64_t d = 0; d < rank; ++d)
        MR_REQUIRE(ind.at(i, d) >= 0 && ind.at(i, d) < shape[d], "Sparse index tuple indices[", i, ", :] = [",
                   sparse::join(ind.row(i), rank, ", "), "] is out of bounds");
    const int64_t size = shape[axis] / num_split_, residual = shape[axis] % num_split_;
    const int64_t long_end = residual * (size + 1);  // the first `residual` pieces have size + 1
    std::vector<std::vector<int64_t>> rows(num_split_);
    std::vector<int64_t> piece(ind.n), offset(ind.n);
    for (int64_t i = 0; i < ind.n; ++i) {
      const int64_t v = ind.at(i, axis);
      piece[i] = v < long_end ? v / (size + 1) : residual + (v - long_end) / size;
      offset[i] = piece[i] < residual ? piece[i] * (size + 1) : long_end + (piece[i] - residual) * size;
      rows[piece[i]].push_back(i);
    }
    for (int p = 0; p < num_split_; ++p) {
      const int64_t m = static_cast<int64_t>(rows[p].size());
      Tensor& oi = ctx.allocate_output(p, {m, rank});
      Tensor& ov = ctx.allocate_output(num_split_ + p, {m});
      int64_t* o = oi.data<int64_t>();
      for (int64_t e = 0; e < m; ++e) {
        const int64_t i = rows[p][e];
        for (int64_t d = 0; d < rank; ++d) *o++ = ind.at(i, d) - (d == axis ? offset[i] : 0);
        copier_.copy(vals, i, ov, e, 1);
      }
      Tensor& os = ctx.allocate_output(2 * num_split_ + p, {rank});
      int64_t* s = os.data<int64_t>();
      for (int64_t d = 0; d < rank; ++d) s[d] = d == axis ? (p < residual ? size + 1 : size) : shape[d];
    }
    return Status();
  }

 private:
  ElementCopier copier_;
  int num_split_ = 1;
};

std::vector<float> as_float(const Tensor& t) {
  std::vector<float> out(static_cast<size_t>(t.num_elements()));
  if (t.dtype() == DType::kBFloat16) {
    const BFloat16* p = t.data<BFloat16>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(p[i]);
  } else {
    std::copy(t.data<float>(), t.data<float>() + out.size(), out.begin());
  }
  return out;
}

class SparseMatMul : public OpKernel {
 public:
  explicit SparseMatMul(KernelInit& init) {
    init.get("transpose_a", &trans_a_);
    init.get("transpose_b", &trans_b_);
  }

  Status compute(OpContext& ctx) override {
    const Tensor &a = ctx.input(0), &b = ctx.input(1);
    MR_REQUIRE(a.rank() == 2, "a is not a matrix");
    MR_REQUIRE(b.rank() == 2, "b is not a matrix");
    const int64_t m = trans_a_ ? a.dim(1) : a.dim(0), k = trans_a_ ? a.dim(0) : a.dim(1);
    const int64_t k2 = trans_b_ ? b.dim(1) : b.dim(0), n = trans_b_ ? b.dim(0) : b.dim(1);
    MR_REQUIRE(k == k2, "Matrix size incompatible: a: ", shape_str(a.shape()), ", b: ", shape_str(b.shape()));
    Tensor& out = ctx.allocate_output(0, {m, n});
    float* o = out.data<float>();
    std::fill(o, o + out.num_elements(), 0.0f);
    if (m == 0 || n == 0 || k == 0) return Status();
    const std::vector<float> fa = as_float(a), fb = as_float(b);
    GemmArgs g;
    g.trans_a = trans_a_;
    g.trans_b = trans_b_;
    g.m = m;
    g.n = n;
    g.k = k;
    g.lda = a.dim(1);
    g.ldb = b.dim(1);
    g.ldc = n;
    gemm(g, fa.data(), fb.data(), o);
    return Status();
  }

 private:
  bool trans_a_ = false, trans_b_ = false;
};

}  // namespace

void register_sparse_ops_3(Registry& r) {
  using MoveTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                             uint32_t, uint64_t, complex64, complex128, bool, std::string>;
  r.add<MoveTypes>("SparseSplit", [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<SparseSplit>(init);
  });
  // Dispatched on Ta; Tb may differ (float32 or bfloat16 each).
  r.add<TypeList<float, BFloat16>>("SparseMatMul", [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<SparseMatMul>(init);
  }, TypeFrom::attr_named("Ta"));
}

}  // namespace metarun
