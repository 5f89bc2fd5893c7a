// float32 sigmoid and tanh over arrays, through the exp TF's Eigen kernels
// use (eigen_exp.h) instead of libm per element: the fused LSTM/GRU cells
// spend most of their time here. Tanh uses 1 - 2/(e^{2|x|} + 1), and its odd
// Taylor polynomial below |x| = 0.3 where that form would cancel; both stay
// within a few ulp of TF's. `in` may equal `out`.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/util/eigen_exp.h"

namespace metarun {

inline void sigmoid_n(const float* in, float* out, int64_t n) {
  float tmp[256];
  for (int64_t i = 0; i < n; i += 256) {
    const int64_t m = std::min<int64_t>(256, n - i);
    for (int64_t j = 0; j < m; ++j) tmp[j] = -in[i + j];
    eigen_exp_n(tmp, tmp, m);
    for (int64_t j = 0; j < m; ++j) out[i + j] = 1.0f / (1.0f + tmp[j]);
  }
}

inline void tanh_n(const float* in, float* out, int64_t n) {
  float tmp[256];
  for (int64_t i = 0; i < n; i += 256) {
    const int64_t m = std::min<int64_t>(256, n - i);
    for (int64_t j = 0; j < m; ++j) tmp[j] = std::min(2.0f * std::fabs(in[i + j]), 88.0f);
    eigen_exp_n(tmp, tmp, m);
    for (int64_t j = 0; j < m; ++j) {
      const float v = in[i + j];
      const float av = std::fabs(v);
      float t;
      if (av < 0.3f) {
        const float v2 = v * v;
        t = v * (1.0f + v2 * (-1.0f / 3 + v2 * (2.0f / 15 + v2 * (-17.0f / 315 + v2 * (62.0f / 2835 +
            v2 * (-1382.0f / 155925 + v2 * (21844.0f / 6081075)))))));
      } else {
        t = std::copysign(1.0f - 2.0f / (tmp[j] + 1.0f), v);
      }
      out[i + j] = std::isnan(v) ? v : t;
    }
  }
}

}  // namespace metarun
