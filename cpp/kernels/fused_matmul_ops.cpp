// _FusedMatMul: the node the plan-time fusion pass (executor/fusion.h) makes
// of MatMul -> BiasAdd -> activation, with TF's name and attrs. The product
// is split across the pool exactly as MatMul splits it, and each thread adds
// the bias and applies the activation to its block of rows (or columns) right
// after computing it. Every float operation is the separate kernels' own, in
// their order (product, then x + bias, then the activation), so a fused graph
// gives the unfused graph's bits: Relu/Relu6/LeakyRelu are the same compares
// and multiply, Elu the same eigen_exp(x) - 1, Tanh/Sigmoid the very functions
// the Tanh/Sigmoid kernels call (activations.h).
#include <cmath>

#include "framework/registry.h"
#include "kernels/util/activations.h"
#include "kernels/util/blas.h"
#include "kernels/util/eigen_exp.h"

namespace metarun {
namespace {

enum class Act { kNone, kRelu, kRelu6, kElu, kLeakyRelu, kTanh, kSigmoid };

Status parse_fused_ops(const std::vector<std::string>& ops, Act* act) {
  if (ops.empty() || ops[0] != "BiasAdd" || ops.size() > 2)
    return unimplemented(str_cat("_FusedMatMul supports BiasAdd followed by one optional activation, got [",
                                 ops.empty() ? std::string() : ops[0], ops.size() > 1 ? ", ..." : "", "]"));
  *act = Act::kNone;
  if (ops.size() == 1) return Status();
  const std::string& a = ops[1];
  if (a == "Relu") *act = Act::kRelu;
  else if (a == "Relu6") *act = Act::kRelu6;
  else if (a == "Elu") *act = Act::kElu;
  else if (a == "LeakyRelu") *act = Act::kLeakyRelu;
  else if (a == "Tanh") *act = Act::kTanh;
  else if (a == "Sigmoid") *act = Act::kSigmoid;
  else return unimplemented(str_cat("_FusedMatMul: unsupported fused activation ", a));
  return Status();
}

// row[j] = f(row[j] + bias[j]) in fixed blocks of 16, which GCC's -O2
// vectorizer takes (it skips loops that need a runtime remainder).
template <class F>
void add_bias_map(float* __restrict row, const float* __restrict bias, int64_t w, const F& f) {
  constexpr int64_t kBlock = 16;
  int64_t j = 0;
  for (; j + kBlock <= w; j += kBlock)
    for (int64_t t = 0; t < kBlock; ++t) row[j + t] = f(row[j + t] + bias[j + t]);
  for (; j < w; ++j) row[j] = f(row[j] + bias[j]);
}

// y = act(y + bias) over rows [r0, r1) and columns [c0, c1) of a [*, ld] matrix.
void bias_activate(float* y, int64_t ld, const float* bias, int64_t r0, int64_t r1, int64_t c0, int64_t c1, Act act,
                   float alpha) {
  const int64_t w = c1 - c0;
  const float* b = bias + c0;
  for (int64_t r = r0; r < r1; ++r) {
    float* row = y + r * ld + c0;
    switch (act) {
      case Act::kNone: add_bias_map(row, b, w, [](float v) { return v; }); break;
      case Act::kRelu: add_bias_map(row, b, w, [](float v) { return v < 0.0f ? 0.0f : v; }); break;
      case Act::kRelu6:
        add_bias_map(row, b, w, [](float v) {
          v = v < 0.0f ? 0.0f : v;
          return v > 6.0f ? 6.0f : v;
        });
        break;
      case Act::kElu: add_bias_map(row, b, w, [](float v) { return v < 0.0f ? eigen_exp(v) - 1.0f : v; }); break;
      case Act::kLeakyRelu: add_bias_map(row, b, w, [alpha](float v) { return v > 0.0f ? v : v * alpha; }); break;
      case Act::kTanh:
        add_bias_map(row, b, w, [](float v) { return v; });
        tanh_n(row, row, w);
        break;
      case Act::kSigmoid:
        add_bias_map(row, b, w, [](float v) { return v; });
        sigmoid_n(row, row, w);
        break;
    }
  }
}

class FusedMatMulKernel : public OpKernel {
 public:
  explicit FusedMatMulKernel(KernelInit& init) {
    init.get("transpose_a", &trans_a_);
    init.get("transpose_b", &trans_b_);
    int num_args = 0;
    init.get("num_args", &num_args);
    std::vector<std::string> ops;
    init.get("fused_ops", &ops);
    if (init.has_attr("leakyrelu_alpha")) init.get("leakyrelu_alpha", &alpha_);
    if (!init.status().ok()) return;
    if (num_args != 1 || init.num_inputs() != 3) {
      init.fail(unimplemented(str_cat("_FusedMatMul with BiasAdd takes one bias argument, got num_args=", num_args,
                                      " (node ", init.name(), ")")));
      return;
    }
    init.fail(parse_fused_ops(ops, &act_));
  }

  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& y = ctx.input(1);
    const Tensor& bias = ctx.input(2);
    MR_REQUIRE(x.rank() == 2, "In[0] is not a matrix. Instead it has shape ", shape_str(x.shape()));
    MR_REQUIRE(y.rank() == 2, "In[1] is not a matrix. Instead it has shape ", shape_str(y.shape()));
    GemmArgs g;
    g.trans_a = trans_a_;
    g.trans_b = trans_b_;
    g.m = x.dim(trans_a_ ? 1 : 0);
    g.k = x.dim(trans_a_ ? 0 : 1);
    g.n = y.dim(trans_b_ ? 0 : 1);
    MR_REQUIRE(g.k == y.dim(trans_b_ ? 1 : 0), "Matrix size-incompatible: In[0]: ", shape_str(x.shape()),
               ", In[1]: ", shape_str(y.shape()));
    MR_REQUIRE(bias.rank() == 1 && bias.dim(0) == g.n, "Must provide as many biases as the channel size: ",
               shape_str(bias.shape()), " vs. ", g.n);
    g.lda = x.dim(1);
    g.ldb = y.dim(1);
    g.ldc = g.n;
    Tensor& out = ctx.allocate_output(0, Shape{g.m, g.n});
    if (out.num_elements() == 0) return Status();
    float* c = out.data<float>();
    const float* b = bias.data<float>();
    const Act act = act_;
    const float alpha = alpha_;
    parallel_gemm(ctx.pool(), g, x.data<float>(), y.data<float>(), c,
                  [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
                    bias_activate(c, g.ldc, b, r0, r1, c0, c1, act, alpha);
                  });
    return Status();
  }

 private:
  bool trans_a_ = false, trans_b_ = false;
  Act act_ = Act::kNone;
  float alpha_ = 0.2f;
};

}  // namespace

void register_fused_matmul_ops(Registry& r) {
  r.add<TypeList<float>>("_FusedMatMul", [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<FusedMatMulKernel>(init);
  });
}

}  // namespace metarun
