// The dense float32 Adam step (ApplyAdam, ResourceApplyAdam) over a range of
// elements, on AVX-512 or AVX2 where the CPU has them (cpu_features.h).
// Every path does, per element, the scalar kernel's float operations in the
// same order (no FMA: each product and sum is rounded, as TF's Eigen
// expression rounds them), so the results are the same bits on every path.
#pragma once

#include <cstdint>

namespace metarun {

struct AdamF32 {
  float alpha, beta1, one_minus_beta1, one_minus_beta2, epsilon;
  bool nesterov;
};

// For i in [0, n):
//   m = m + (g - m) * one_minus_beta1
//   v = v + (g * g - v) * one_minus_beta2
//   var = var - num / (sqrt(v) + epsilon), num = m * alpha, or with
//   nesterov (g * one_minus_beta1 + beta1 * m) * alpha.
void adam_f32(const AdamF32& p, float* var, float* m, float* v, const float* g, int64_t n);

}  // namespace metarun
