// FusedBatchNorm, V2 and V3 (x of type T, statistics of type U = float).
// Inference normalises with the given mean and variance in TF's order of
// operations: (x - mean) * (rsqrt(variance + epsilon) * scale) + offset.
// Training uses the batch statistics and reports the unbiased variance in
// batch_variance, blended into the running values by exponential_avg_factor.
#include <algorithm>
#include <cmath>
#include <limits>

#include "framework/registry.h"

namespace metarun {
namespace {

template <class T>
class FusedBatchNormKernel : public OpKernel {
 public:
  explicit FusedBatchNormKernel(KernelInit& init) {
    std::string format = "NHWC";
    if (init.has_attr("epsilon")) init.get("epsilon", &epsilon_);
    if (init.has_attr("is_training")) init.get("is_training", &training_);
    if (init.has_attr("exponential_avg_factor")) init.get("exponential_avg_factor", &avg_factor_);
    if (init.has_attr("data_format")) init.get("data_format", &format);
    if (format != "NHWC" && format != "NCHW")
      init.fail(invalid_argument(str_cat("Invalid data format: ", format)));
    nchw_ = format == "NCHW";
    for (int i = 1; i < init.num_inputs(); ++i)
      if (base_type(init.input_type(i)) != DType::kFloat)
        init.fail(not_found(str_cat("No registered '", init.op(), "' OpKernel for CPU devices compatible with node ",
                                    init.name(), " (U=", dtype_name(init.input_type(i)), ")")));
  }

  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    MR_REQUIRE(x.rank() == 4, "input must be 4-dimensional", shape_str(x.shape()));
    const int64_t depth = x.dim(nchw_ ? 1 : 3);
    const char* names[] = {"x", "scale", "offset", "mean", "variance"};
    for (int i = 1; i < 5; ++i) {
      const Tensor& t = ctx.input(i);
      MR_REQUIRE(t.rank() == 1, names[i], " must be 1-dimensional", shape_str(t.shape()));
      if (i <= 2 || !training_)
        MR_REQUIRE(t.dim(0) == depth, training_ ? "" : "When is_training=false, ", names[i],
                   " must have the same number of elements as the channels of x, got ", t.dim(0), " and ", depth);
    }
    // Layout as [outer, depth, inner]: NHWC has inner 1, NCHW outer = N.
    const int64_t outer = nchw_ ? x.dim(0) : x.dim(0) * x.dim(1) * x.dim(2);
    const int64_t inner = nchw_ ? x.dim(2) * x.dim(3) : 1;
    std::vector<float> mean(depth), var(depth), batch_var(depth);
    const float* in_mean = ctx.input(3).data<float>();
    const float* in_var = ctx.input(4).data<float>();
    if (training_) {
      batch_moments(x.data<T>(), outer, depth, inner, mean.data(), var.data());
    } else {
      std::copy_n(in_mean, depth, mean.data());
      std::copy_n(in_var, depth, var.data());
    }
    normalize(ctx, x, outer, depth, inner, mean.data(), var.data());
    const int64_t count = outer * inner;
    for (int64_t c = 0; c < depth; ++c) batch_var[c] = var[c];
    if (count == 0) {  // TF reports NaN statistics for an empty batch
      for (int64_t c = 0; c < depth; ++c) mean[c] = var[c] = std::numeric_limits<float>::quiet_NaN();
      std::fill(batch_var.begin(), batch_var.end(), 0.0f);
    }
    Tensor& out_mean = ctx.allocate_output(1, {depth});
    Tensor& out_var = ctx.allocate_output(2, {depth});
    float* bm = out_mean.data<float>();
    float* bv = out_var.data<float>();
    for (int64_t c = 0; c < depth; ++c) {
      if (!training_ || count == 0) {
        bm[c] = mean[c];
        bv[c] = var[c];
        continue;
      }
      const float unbiased = var[c] * (static_cast<float>(count) / static_cast<float>(std::max<int64_t>(1, count - 1)));
      const bool blend = avg_factor_ != 1.0f && ctx.input(3).dim(0) == depth && ctx.input(4).dim(0) == depth;
      bm[c] = blend ? (1 - avg_factor_) * in_mean[c] + avg_factor_ * mean[c] : mean[c];
      bv[c] = blend ? (1 - avg_factor_) * in_var[c] + avg_factor_ * unbiased : unbiased;
    }
    Tensor& r1 = ctx.allocate_output(3, {depth});
    Tensor& r2 = ctx.allocate_output(4, {depth});
    std::copy_n(count == 0 ? batch_var.data() : mean.data(), depth, r1.data<float>());
    std::copy_n(batch_var.data(), depth, r2.data<float>());
    if (ctx.num_outputs() > 5) *ctx.allocate_output(5, {}).data<float>() = 0.0f;
    return Status();
  }

 private:
  // Per-channel mean and biased variance, accumulated in double.
  static void batch_moments(const T* x, int64_t outer, int64_t depth, int64_t inner, float* mean, float* var) {
    std::vector<double> sum(depth, 0.0), sq(depth, 0.0);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = 0; c < depth; ++c) {
        const T* p = x + (o * depth + c) * inner;
        double s = 0;
        for (int64_t i = 0; i < inner; ++i) s += static_cast<float>(p[i]);
        sum[c] += s;
      }
    const double count = static_cast<double>(outer * inner);
    for (int64_t c = 0; c < depth; ++c) mean[c] = count > 0 ? static_cast<float>(sum[c] / count) : 0.0f;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = 0; c < depth; ++c) {
        const T* p = x + (o * depth + c) * inner;
        double s = 0;
        for (int64_t i = 0; i < inner; ++i) {
          const double d = static_cast<float>(p[i]) - mean[c];
          s += d * d;
        }
        sq[c] += s;
      }
    for (int64_t c = 0; c < depth; ++c) var[c] = count > 0 ? static_cast<float>(sq[c] / count) : 0.0f;
  }

  void normalize(OpContext& ctx, const Tensor& x, int64_t outer, int64_t depth, int64_t inner,
                 const float* mean, const float* var) const {
    const float* scale = ctx.input(1).data<float>();
    const float* offset = ctx.input(2).data<float>();
    std::vector<float> factor(depth);
    for (int64_t c = 0; c < depth; ++c) factor[c] = (1.0f / std::sqrt(var[c] + epsilon_)) * scale[c];
    Tensor& y = ctx.allocate_output(0, x.shape());
    const T* in = x.data<T>();
    T* out = y.data<T>();
    ctx.parallel_for(outer, static_cast<double>(depth * inner), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o)
        for (int64_t c = 0; c < depth; ++c) {
          const int64_t base = (o * depth + c) * inner;
          const float m = mean[c], f = factor[c], b = offset[c];
          for (int64_t i = 0; i < inner; ++i)
            out[base + i] = static_cast<T>((static_cast<float>(in[base + i]) - m) * f + b);
        }
    });
  }

  float epsilon_ = 1e-4f;
  float avg_factor_ = 1.0f;
  bool training_ = true;
  bool nchw_ = false;
};

auto fused_batch_norm = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<FusedBatchNormKernel<decltype(tag)>>(init);
};

}  // namespace

void register_batchnorm_ops(Registry& r) {
  r.add<TypeList<float>>("FusedBatchNorm", fused_batch_norm);
  r.add<TypeList<float, Half, BFloat16>>("FusedBatchNormV2", fused_batch_norm);
  r.add<TypeList<float, Half, BFloat16>>("FusedBatchNormV3", fused_batch_norm);
}

}  // namespace metarun
