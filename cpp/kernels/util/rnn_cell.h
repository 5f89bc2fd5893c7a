// Shared pieces of the fused recurrent cells (LSTMBlockCell, BlockLSTM,
// GRUBlockCell and their gradients): float views of 16-bit tensors, the
// rounding TF's Eigen::half arithmetic does after every operation, and one
// product through the BLAS that tolerates empty sizes.
#pragma once

#include <cstring>
#include <vector>

#include "framework/registry.h"
#include "kernels/util/blas.h"

namespace metarun {

// x rounded to T and back: Eigen::half rounds the result of every operation.
template <class T>
inline float rd(float x) {
  if constexpr (is_half_v<T>) return static_cast<float>(T(x));
  else return x;
}

// A tensor's elements as float: its own buffer for float, else a copy in `buf`.
template <class T>
const float* float_view(const Tensor& t, std::vector<float>& buf) {
  if constexpr (std::is_same_v<T, float>) {
    return t.data<float>();
  } else {
    const int64_t n = t.num_elements();
    buf.resize(n);
    const T* src = t.data<T>();
    for (int64_t i = 0; i < n; ++i) buf[i] = static_cast<float>(src[i]);
    return buf.data();
  }
}

// Where a kernel writes an output as float: the tensor itself for float, else
// `buf`, copied into the tensor (rounded) by store_output.
template <class T>
float* float_output(Tensor& t, std::vector<float>& buf) {
  if constexpr (std::is_same_v<T, float>) {
    return t.data<float>();
  } else {
    buf.assign(t.num_elements(), 0.0f);
    return buf.data();
  }
}

template <class T>
void store_output(Tensor& t, const std::vector<float>& buf) {
  if constexpr (!std::is_same_v<T, float>) {
    T* dst = t.data<T>();
    for (int64_t i = 0; i < t.num_elements(); ++i) dst[i] = T(buf[i]);
  }
}

// c[m,n] = op(a) * op(b) (+ c when `accumulate`), row-major with row strides
// lda/ldb/ldc; an empty inner size gives zeros.
inline void rnn_gemm(OpContext& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                     int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate = false) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate)
      for (int64_t r = 0; r < m; ++r) std::memset(c + r * ldc, 0, sizeof(float) * n);
    return;
  }
  GemmArgs g;
  g.trans_a = trans_a;
  g.trans_b = trans_b;
  g.m = m;
  g.n = n;
  g.k = k;
  g.lda = lda;
  g.ldb = ldb;
  g.ldc = ldc;
  g.accumulate = accumulate;
  parallel_gemm(ctx.pool(), g, a, b, c);
}

}  // namespace metarun
