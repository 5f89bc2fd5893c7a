// BatchNormWithGlobalNormalization and its Grad: TF 0.x's batch normalization with given
// mean and variance over the last (depth) dimension of a 4-D NHWC input. TF refuses the ops
// in graphs made after GraphDef version 8, so only old graphs (Inception's of 2015) hold them.
#include <cmath>
#include <vector>

#include "kernels/util/elementwise.h"

namespace metarun {
namespace {

Status check_inputs(const Tensor& x, std::initializer_list<std::pair<const Tensor*, const char*>> vectors) {
  MR_REQUIRE(x.rank() == 4, "input must be 4-dimensional", shape_str(x.shape()));
  for (const auto& [t, name] : vectors)
    MR_REQUIRE(t->rank() == 1, name, " must be 1-dimensional", shape_str(t->shape()));
  return Status();
}

template <class T>
class BatchNormGlobalKernel : public OpKernel {
 public:
  explicit BatchNormGlobalKernel(KernelInit& init) {
    init.get("variance_epsilon", &epsilon_);
    init.get("scale_after_normalization", &scale_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor &m = ctx.input(1), &v = ctx.input(2), &beta = ctx.input(3), &gamma = ctx.input(4);
    MR_RETURN_IF_ERROR(check_inputs(x, {{&m, "mean"}, {&v, "var"}, {&beta, "beta"}, {&gamma, "gamma"}}));
    const int64_t depth = x.dim(3);
    for (const Tensor* t : {&m, &v, &beta, &gamma})
      MR_REQUIRE(t->dim(0) == depth, "Input tensors must have the same depth: ", depth, " vs ", t->dim(0));
    Tensor& out = ctx.allocate_output(0, x.shape());
    using C = Compute<T>;
    // factor = rsqrt(var + epsilon) * gamma, per depth; then (x - mean) * factor + beta.
    std::vector<C> factor(depth);
    for (int64_t c = 0; c < depth; ++c) {
      C f = C(T(C(1) / std::sqrt(C(T(C(v.data<T>()[c]) + C(T(epsilon_)))))));
      if (scale_) f = C(T(f * C(gamma.data<T>()[c])));
      factor[c] = f;
    }
    const T* xs = x.data<T>();
    const T* ms = m.data<T>();
    const T* bs = beta.data<T>();
    T* o = out.data<T>();
    const int64_t rows = depth > 0 ? x.num_elements() / depth : 0;
    ctx.parallel_for(rows, double(depth) * 3, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r)
        for (int64_t c = 0; c < depth; ++c) {
          const C centered = C(T(C(xs[r * depth + c]) - C(ms[c])));
          o[r * depth + c] = T(C(T(centered * factor[c])) + C(bs[c]));
        }
    });
    return Status();
  }

 private:
  float epsilon_ = 0;
  bool scale_ = false;
};

// Outputs dx, dm, dv, db, dg for inputs t, m, v, gamma and the output's gradient.
template <class T>
class BatchNormGlobalGradKernel : public OpKernel {
 public:
  explicit BatchNormGlobalGradKernel(KernelInit& init) {
    init.get("variance_epsilon", &epsilon_);
    init.get("scale_after_normalization", &scale_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor &m = ctx.input(1), &v = ctx.input(2), &gamma = ctx.input(3), &grad = ctx.input(4);
    MR_RETURN_IF_ERROR(check_inputs(x, {{&m, "mean"}, {&v, "var"}, {&gamma, "gamma"}}));
    MR_REQUIRE(grad.rank() == 4, "out_backprop must be 4-dimensional", shape_str(grad.shape()));
    MR_REQUIRE(grad.shape() == x.shape(), "input and backprop must have the same shape: ", shape_str(x.shape()),
               " vs ", shape_str(grad.shape()));
    const int64_t depth = x.dim(3);
    for (const Tensor* t : {&m, &v, &gamma})
      MR_REQUIRE(t->dim(0) == depth, "Input tensors must have the same depth: ", depth, " vs ", t->dim(0));
    Tensor& dx = ctx.allocate_output(0, x.shape());
    Tensor& dm = ctx.allocate_output(1, {depth});
    Tensor& dv = ctx.allocate_output(2, {depth});
    Tensor& db = ctx.allocate_output(3, {depth});
    Tensor& dg = ctx.allocate_output(4, {depth});
    using C = Compute<T>;
    const int64_t rows = depth > 0 ? x.num_elements() / depth : 0;
    const T* xs = x.data<T>();
    const T* gs = grad.data<T>();
    std::vector<C> sum_g(depth, C(0)), sum_gx(depth, C(0));  // sum of grad, of grad * (x - mean)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < depth; ++c) {
        const C g = C(gs[r * depth + c]);
        sum_g[c] += g;
        sum_gx[c] += g * C(T(C(xs[r * depth + c]) - C(m.data<T>()[c])));
      }
    std::vector<C> scale(depth);
    for (int64_t c = 0; c < depth; ++c) {
      const C inv = C(T(C(1) / std::sqrt(C(T(C(v.data<T>()[c]) + C(T(epsilon_)))))));
      const C g = scale_ ? C(gamma.data<T>()[c]) : C(1);
      const C db_c = C(T(sum_g[c]));
      const C s2 = C(T(sum_gx[c]));
      scale[c] = scale_ ? C(T(inv * g)) : inv;
      db.data<T>()[c] = T(db_c);
      dm.data<T>()[c] = T(-db_c * scale[c]);
      dg.data<T>()[c] = scale_ ? T(s2 * inv) : T(0);
      const C cube = C(T(C(T(inv * C(T(inv * inv)))) * C(-0.5f)));  // -1/2 (var + epsilon)^(-3/2)
      dv.data<T>()[c] = T(s2 * (scale_ ? C(T(cube * g)) : cube));
    }
    T* o = dx.data<T>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < depth; ++c) o[r * depth + c] = T(C(gs[r * depth + c]) * scale[c]);
    return Status();
  }

 private:
  float epsilon_ = 0;
  bool scale_ = false;
};

}  // namespace

void register_batchnorm_global_ops(Registry& r) {
  using Types = TypeList<float, double, Half>;
  r.add<Types>("BatchNormWithGlobalNormalization", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<BatchNormGlobalKernel<decltype(tag)>>(init);
  });
  r.add<Types>("BatchNormWithGlobalNormalizationGrad", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<BatchNormGlobalGradKernel<decltype(tag)>>(init);
  });
}

}  // namespace metarun
