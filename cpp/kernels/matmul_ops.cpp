// MatMul, BatchMatMul (V1, V2, V3) and Einsum. Every product runs in the
// type blas.h's GemmType picks: 16-bit floats and int8 inputs are widened
// once per call, multiplied in float/int32 and rounded back once at the end.
#include <algorithm>
#include <numeric>

#include "kernels/util/blas.h"
#include "framework/registry.h"

namespace metarun {
namespace {

// A tensor's elements as Acc: the tensor's own buffer when its dtype already
// is Acc, else a converted copy held in `storage`.
template <class Acc>
const Acc* as_acc(const Tensor& t, std::vector<Acc>* storage) {
  if (t.dtype() == dtype_of<Acc>) return t.data<Acc>();
  storage->resize(t.num_elements());
  Acc* dst = storage->data();
  const int64_t n = t.num_elements();
  auto widen = [&](auto tag) {
    using S = decltype(tag);
    if constexpr ((std::is_same_v<Acc, float> && is_half_v<S>) ||
                  (std::is_same_v<Acc, int32_t> && sizeof(S) == 1)) {
      const S* src = t.data<S>();
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<Acc>(src[i]);
    }
  };
  dispatch(TypeList<Half, BFloat16, int8_t, uint8_t>{}, t.dtype(), widen);
  return dst;
}

// Runs `batch` GEMMs of [m,k]x[k,n] on Acc; the pool splits the batch loop,
// or the one product when there is a single matrix.
template <class Acc>
void batched_gemm(OpContext& ctx, const GemmArgs& g, int64_t batch, const Acc* a, const Acc* b, Acc* c,
                  const std::vector<int64_t>& a_index, const std::vector<int64_t>& b_index) {
  const int64_t a_size = g.m * g.k, b_size = g.k * g.n, c_size = g.m * g.n;
  if (batch == 1) return parallel_gemm(ctx.pool(), g, a + a_index[0] * a_size, b + b_index[0] * b_size, c);
  const double cost = 0.05 * 2.0 * static_cast<double>(c_size) * static_cast<double>(g.k) + 50.0;
  ctx.parallel_for(batch, cost, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) gemm(g, a + a_index[i] * a_size, b + b_index[i] * b_size, c + i * c_size);
  });
}

// Which matrix of each operand feeds output batch i, for broadcast batch dims
// (TF's MatMulBCast): strides of 0 along dims an operand broadcasts.
Status batch_indices(const Shape& x, const Shape& y, bool broadcast, Shape* out_batch,
                     std::vector<int64_t>* xi, std::vector<int64_t>* yi) {
  Shape xb(x.begin(), x.end() - 2), yb(y.begin(), y.end() - 2);
  if (!broadcast) {
    if (x.size() != y.size())
      return invalid_argument(str_cat("In[0] and In[1] has different ndims: ", shape_str(x), " vs. ", shape_str(y)));
    for (size_t d = 0; d < xb.size(); ++d)
      if (xb[d] != yb[d])
        return invalid_argument(str_cat("In[0].dim(", d, ") and In[1].dim(", d, ") must be the same: ",
                                        shape_str(x), " vs ", shape_str(y)));
  }
  const size_t rank = std::max(xb.size(), yb.size());
  xb.insert(xb.begin(), rank - xb.size(), 1);
  yb.insert(yb.begin(), rank - yb.size(), 1);
  out_batch->assign(rank, 1);
  for (size_t d = 0; d < rank; ++d) {
    if (xb[d] != yb[d] && xb[d] != 1 && yb[d] != 1)
      return invalid_argument(str_cat("In[0] and In[1] must have compatible batch dimensions: ",
                                      shape_str(x), " vs. ", shape_str(y)));
    (*out_batch)[d] = xb[d] == 1 ? yb[d] : xb[d];
  }
  const int64_t total = num_elements(*out_batch);
  xi->assign(total, 0);
  yi->assign(total, 0);
  int64_t xs = 1, ys = 1, os = 1;
  for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
    const int64_t od = (*out_batch)[d];
    if (od == 0) continue;
    for (int64_t i = 0; i < total; ++i) {
      int64_t idx = (i / os) % od;
      if (xb[d] != 1) (*xi)[i] += idx * xs;
      if (yb[d] != 1) (*yi)[i] += idx * ys;
    }
    xs *= xb[d];
    ys *= yb[d];
    os *= od;
  }
  return Status();
}

enum class Form { kMatMul, kBatchV1, kBatchV2 };

// One kernel for MatMul and the BatchMatMuls; Out is the output dtype
// (int32 for V3's int8 inputs), Acc the type the product runs in.
template <class Out>
class MatMulKernel : public OpKernel {
  using Acc = GemmType<Out>;

 public:
  MatMulKernel(KernelInit& init, Form form) : form_(form) {
    if (form == Form::kMatMul) {
      init.get("transpose_a", &trans_a_);
      init.get("transpose_b", &trans_b_);
    } else {
      if (init.has_attr("adj_x")) init.get("adj_x", &trans_a_);
      if (init.has_attr("adj_y")) init.get("adj_y", &trans_b_);
      conj_ = is_complex_v<Acc>;  // adjoint: conjugate transpose
    }
  }

  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& y = ctx.input(1);
    Shape out_batch;
    std::vector<int64_t> xi{0}, yi{0};
    if (form_ == Form::kMatMul) {
      MR_REQUIRE(x.rank() == 2, "In[0] is not a matrix. Instead it has shape ", shape_str(x.shape()));
      MR_REQUIRE(y.rank() == 2, "In[1] is not a matrix. Instead it has shape ", shape_str(y.shape()));
    } else {
      MR_REQUIRE(x.rank() >= 2, "In[0] ndims must be >= 2: ", x.rank());
      MR_REQUIRE(y.rank() >= 2, "In[1] ndims must be >= 2: ", y.rank());
      MR_RETURN_IF_ERROR(batch_indices(x.shape(), y.shape(), form_ == Form::kBatchV2, &out_batch, &xi, &yi));
    }
    const int64_t xr = x.dim(x.rank() - 2), xc = x.dim(x.rank() - 1);
    const int64_t yr = y.dim(y.rank() - 2), yc = y.dim(y.rank() - 1);
    GemmArgs g;
    g.trans_a = trans_a_;
    g.trans_b = trans_b_;
    g.conj_a = conj_ && trans_a_;
    g.conj_b = conj_ && trans_b_;
    g.m = trans_a_ ? xc : xr;
    g.k = trans_a_ ? xr : xc;
    g.n = trans_b_ ? yr : yc;
    const int64_t k2 = trans_b_ ? yc : yr;
    MR_REQUIRE(g.k == k2, "Matrix size-incompatible: In[0]: ", shape_str(x.shape()), ", In[1]: ",
               shape_str(y.shape()));
    g.lda = xc;
    g.ldb = yc;
    g.ldc = g.n;
    Shape out_shape = out_batch;
    out_shape.push_back(g.m);
    out_shape.push_back(g.n);
    Tensor& out = ctx.allocate_output(0, out_shape);
    const int64_t batch = num_elements(out_batch);
    if (out.num_elements() == 0) return Status();
    std::vector<Acc> xs, ys, cs;
    const Acc* a = as_acc<Acc>(x, &xs);
    const Acc* b = as_acc<Acc>(y, &ys);
    if constexpr (std::is_same_v<Acc, Out>) {
      batched_gemm(ctx, g, batch, a, b, out.data<Out>(), xi, yi);
    } else {
      cs.resize(out.num_elements());
      batched_gemm(ctx, g, batch, a, b, cs.data(), xi, yi);
      Out* o = out.data<Out>();
      for (size_t i = 0; i < cs.size(); ++i) o[i] = static_cast<Out>(cs[i]);
    }
    return Status();
  }

 private:
  Form form_;
  bool trans_a_ = false, trans_b_ = false, conj_ = false;
};

template <Form F>
auto matmul = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<MatMulKernel<decltype(tag)>>(init, F);
};

// V3 registers Ta == Tb == Tout, plus int8/uint8 inputs with an int32 output.
std::unique_ptr<OpKernel> make_matmul_v3(KernelInit& init, DType ta) {
  DType tb = DType::kInvalid, tout = DType::kInvalid;
  init.get("Tb", &tb);
  init.get("Tout", &tout);
  if (!init.status().ok()) return nullptr;
  const bool int8_in = ta == DType::kInt8 || ta == DType::kUInt8;
  const bool ok = int8_in ? ((tb == DType::kInt8 || tb == DType::kUInt8) && tout == DType::kInt32)
                          : (tb == ta && tout == ta);
  if (!ok) {
    init.fail(not_found(str_cat("No registered 'BatchMatMulV3' OpKernel for CPU devices compatible with node ",
                                init.name(), " (Ta=", dtype_name(ta), ", Tb=", dtype_name(tb),
                                ", Tout=", dtype_name(tout), ")")));
    return nullptr;
  }
  std::unique_ptr<OpKernel> k;
  dispatch(TypeList<float, double, BFloat16, int16_t, int32_t, int64_t, complex64, complex128>{}, tout,
           [&](auto tag) { k = new_kernel<MatMulKernel<decltype(tag)>>(init, Form::kBatchV2); });
  return k;
}

using MatMulTypes = TypeList<float, double, Half, BFloat16, int32_t, int64_t, complex64, complex128>;
using BatchMatMulV2Types = TypeList<float, double, Half, BFloat16, int16_t, int32_t, int64_t, complex64, complex128>;
using BatchMatMulV3Types = TypeList<float, double, BFloat16, int16_t, int32_t, int64_t, complex64, complex128,
                                    int8_t, uint8_t>;

}  // namespace

void register_matmul_ops(Registry& r) {
  r.add<MatMulTypes>("MatMul", matmul<Form::kMatMul>);
  r.add<MatMulTypes>("BatchMatMul", matmul<Form::kBatchV1>);
  r.add<BatchMatMulV2Types>("BatchMatMulV2", matmul<Form::kBatchV2>);
  r.add<BatchMatMulV3Types>(
      "BatchMatMulV3",
      [](auto tag, KernelInit& init) { return make_matmul_v3(init, dtype_of<decltype(tag)>); },
      TypeFrom::attr_named("Ta"));
}

}  // namespace metarun
