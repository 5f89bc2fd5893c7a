// Pieces the CTC kernels share: TF's log-space addition, the checks every
// decoder makes of its inputs, and the sparse (indices, values, shape)
// outputs a decoder writes per path.
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include "framework/kernel.h"

namespace metarun {
namespace ctc {

template <class T>
constexpr T kLogZero = -std::numeric_limits<T>::infinity();

// log(exp(a) + exp(b)), the larger term factored out; an exact -inf on
// either side returns the other unchanged. TF takes the correction term
// log1p(exp(-|a - b|)) in float whatever T is, so doubles carry float
// rounding there.
template <class T>
T log_sum_exp(T a, T b) {
  if (a == kLogZero<T>) return b;
  if (b == kLogZero<T>) return a;
  return a > b ? a + log1pf(expf(static_cast<float>(b - a))) : b + log1pf(expf(static_cast<float>(a - b)));
}

// The decoders' input checks, in TF's order; also checks sequence_length's
// values, which TF reads unchecked below zero (no steps are taken then).
inline Status check_decoder_inputs(const Tensor& inputs, const Tensor& seq_len) {
  MR_REQUIRE(inputs.rank() == 3, "inputs is not a 3-Tensor");
  MR_REQUIRE(inputs.num_elements() > 0, "inputs must not be empty");
  MR_REQUIRE(seq_len.rank() == 1, "sequence_length is not a vector");
  const int64_t max_time = inputs.dim(0), batch = inputs.dim(1);
  if (seq_len.dim(0) != batch)
    return failed_precondition(str_cat("len(sequence_length) != batch_size.  len(sequence_length):  ",
                                       seq_len.dim(0), " batch_size: ", batch));
  const int32_t* len = seq_len.data<int32_t>();
  for (int64_t b = 0; b < batch; ++b)
    if (!(len[b] <= max_time)) return failed_precondition(str_cat("sequence_length(", b, ") <= ", max_time));
  return Status();
}

// paths[b][p] is path p of batch entry b; output p of each of the three
// lists gets that path's sparse form: indices [n, 2] of (b, t), values [n],
// shape [batch, longest].
inline void store_paths(OpContext& ctx, const std::vector<std::vector<std::vector<int>>>& paths, int top_paths) {
  const int64_t batch = static_cast<int64_t>(paths.size());
  for (int p = 0; p < top_paths; ++p) {
    int64_t total = 0, longest = 0;
    for (const auto& b : paths) {
      total += static_cast<int64_t>(b[p].size());
      longest = std::max<int64_t>(longest, static_cast<int64_t>(b[p].size()));
    }
    int64_t* ix = ctx.allocate_output(p, Shape{total, 2}).data<int64_t>();
    int64_t* vals = ctx.allocate_output(top_paths + p, Shape{total}).data<int64_t>();
    int64_t* shape = ctx.allocate_output(2 * top_paths + p, Shape{2}).data<int64_t>();
    int64_t at = 0;
    for (int64_t b = 0; b < batch; ++b)
      for (size_t t = 0; t < paths[b][p].size(); ++t, ++at) {
        ix[2 * at] = b;
        ix[2 * at + 1] = static_cast<int64_t>(t);
        vals[at] = paths[b][p][t];
      }
    shape[0] = batch;
    shape[1] = longest;
  }
}

}  // namespace ctc
}  // namespace metarun
