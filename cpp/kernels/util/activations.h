// float32 sigmoid and tanh over arrays, through the exp TF's Eigen kernels
// use (eigen_exp.h) instead of libm per element: the Sigmoid and Tanh kernels
// and the fused LSTM/GRU cells spend most of their time here. Tanh uses
// 1 - 2/(e^{2|x|} + 1), and its odd Taylor polynomial below |x| = 0.3 where
// that form would cancel; both stay within a few ulp of TF's. The SSE2, AVX2
// and AVX-512 paths (cpu_features.h) give the same bits. `in` may equal `out`.
#pragma once

#include <cstdint>

namespace metarun {

void sigmoid_n(const float* in, float* out, int64_t n);
void tanh_n(const float* in, float* out, int64_t n);

// One element, as the array functions compute it.
float sigmoid_one(float v);
float tanh_one(float v);

}  // namespace metarun
