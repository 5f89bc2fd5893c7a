// The sampling TensorFlow's Philox-based random ops share: the distribution
// transforms, the thread-independent fill of an output from a positioned
// Philox stream, and multinomial sampling. The stateful ops (random_ops.cpp)
// position the stream from the node's seeds; the stateless ones from a key
// and counter derived from a seed tensor.
//
// Output group g (4 values, 2 for 64-bit types) reads from block g of the
// stream, or, for the rejection-sampled truncated normal, from block
// g * kBlocksPerOutput * group / 4; so the numbers never depend on how the
// work is split across threads.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <type_traits>
#include <vector>

#include "framework/kernel.h"
#include "kernels/util/philox.h"

namespace metarun {
namespace rng {

// Philox blocks reserved per output element by the stateful ops, and the
// stride of the truncated normal's per-group streams.
constexpr uint64_t kBlocksPerOutput = 256;

// TF's MakeShape on the `shape` input, with its messages.
inline Status shape_from_input(const Tensor& t, Shape* out) {
  MR_REQUIRE(t.rank() == 1 && (t.dtype() == DType::kInt32 || t.dtype() == DType::kInt64),
             "shape must be a vector of {int32,int64}, got shape ", shape_str(t.shape()));
  out->clear();
  int64_t total = 1;
  bool overflow = false;  // as in TF, a zero dim only saves the dims after it
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    int64_t d = index_at(t, i);
    MR_REQUIRE(d >= 0, "Dimension ", d, " must be >= 0");
    out->push_back(d);
    overflow = overflow || __builtin_mul_overflow(total, d, &total);
  }
  MR_REQUIRE(!overflow, "Shape ", shape_str(*out), " would have more than 2**63 - 1 elements");
  return Status();
}

inline Status check_input_type(OpContext& ctx, int i, DType want) {
  MR_REQUIRE(ctx.input(i).dtype() == want, "Input ", i, " of node ", ctx.name(), " is ",
             dtype_name(ctx.input(i).dtype()), ", expected ", dtype_name(want));
  return Status();
}

// ---- distributions: one Philox block in, one group of values out ----

template <class T> struct Uniform {
  static constexpr int kGroup = 4;
  void operator()(const Philox::Block& b, T* out) const {
    for (int i = 0; i < 4; ++i) {
      if constexpr (std::is_same_v<T, float>) out[i] = uint32_to_unit_float(b[i]);
      else if constexpr (std::is_same_v<T, Half>) out[i] = uint16_to_unit_half(b[i]);
      else out[i] = uint16_to_unit_bfloat16(b[i]);
    }
  }
};
template <> struct Uniform<double> {
  static constexpr int kGroup = 2;
  void operator()(const Philox::Block& b, double* out) const {
    out[0] = uint64_to_unit_double(b[0], b[1]);
    out[1] = uint64_to_unit_double(b[2], b[3]);
  }
};

template <class T> struct Normal {
  static constexpr int kGroup = 4;
  void operator()(const Philox::Block& b, T* out) const {
    for (int i = 0; i < 4; i += 2) {
      float f0, f1;
      box_muller_float(b[i], b[i + 1], &f0, &f1);
      out[i] = T(f0);
      out[i + 1] = T(f1);
    }
  }
};
template <> struct Normal<double> {
  static constexpr int kGroup = 2;
  void operator()(const Philox::Block& b, double* out) const {
    box_muller_double(b[0], b[1], b[2], b[3], &out[0], &out[1]);
  }
};

// Draws normal pairs from a single-sample stream and keeps the values with
// |x| < 2 until the group is full.
template <class T> struct Truncated {
  static constexpr int kGroup = std::is_same_v<T, double> ? 2 : 4;
  void operator()(PhiloxSingle& s, T* out) const {
    int n = 0;
    while (true) {
      T v[2];
      if constexpr (std::is_same_v<T, double>) {
        uint32_t x0 = s(), x1 = s(), x2 = s(), x3 = s();
        box_muller_double(x0, x1, x2, x3, &v[0], &v[1]);
        for (double d : v) {
          if (std::fabs(d) < 2.0) out[n++] = d;
          if (n == kGroup) return;
        }
      } else {
        uint32_t x0 = s(), x1 = s();
        float f[2];
        box_muller_float(x0, x1, &f[0], &f[1]);
        for (float x : f) {
          if (std::fabs(x) < 2.0f) out[n++] = T(x);
          if (n == kGroup) return;
        }
      }
    }
  }
};

// lo + (bits mod range) in unsigned arithmetic, which cannot overflow.
template <class T> struct UniformInt {
  using U = std::make_unsigned_t<T>;
  static constexpr int kGroup = sizeof(T) == 4 ? 4 : 2;
  T lo;
  U range;
  void operator()(const Philox::Block& b, T* out) const {
    for (int i = 0; i < kGroup; ++i) {
      U bits = sizeof(T) == 4 ? U(b[i]) : U(b[2 * i] | (uint64_t{b[2 * i + 1]} << 32));
      out[i] = static_cast<T>(static_cast<U>(lo) + bits % range);
    }
  }
};

// All bits of the sample: a uint32 each for 32-bit types, two (low word first)
// for 64-bit ones.
template <class T> struct UniformFullInt {
  static constexpr int kGroup = sizeof(T) == 4 ? 4 : 2;
  void operator()(const Philox::Block& b, T* out) const {
    for (int i = 0; i < kGroup; ++i) {
      if constexpr (sizeof(T) == 4) out[i] = static_cast<T>(b[i]);
      else out[i] = static_cast<T>(b[2 * i] | (uint64_t{b[2 * i + 1]} << 32));
    }
  }
};

template <class T, class Dist>
void fill_fixed(OpContext& ctx, const Philox& base, T* out, int64_t n, double cost, Dist dist) {
  constexpr int kGroup = Dist::kGroup;
  constexpr int kBatch = 8;  // blocks drawn at once
  int64_t groups = (n + kGroup - 1) / kGroup;
  ctx.parallel_for(groups, cost, [&](int64_t begin, int64_t end) {
    Philox gen = base;
    gen.skip(static_cast<uint64_t>(begin));
    Philox::Block blocks[kBatch];
    T buf[kGroup];
    for (int64_t g = begin; g < end; g += kBatch) {
      gen.next_blocks<kBatch>(blocks);
      for (int64_t j = 0; j < kBatch && g + j < end; ++j) {
        dist(blocks[j], buf);
        int64_t off = (g + j) * kGroup;
        std::copy(buf, buf + std::min<int64_t>(kGroup, n - off), out + off);
      }
    }
  });
}

template <class T>
void fill_truncated(OpContext& ctx, const Philox& base, T* out, int64_t n) {
  constexpr int kGroup = Truncated<T>::kGroup;
  constexpr uint64_t kSkipPerGroup = kGroup * kBlocksPerOutput / Philox::kBlockSize;
  int64_t groups = (n + kGroup - 1) / kGroup;
  ctx.parallel_for(groups, 150.0, [&](int64_t begin, int64_t end) {
    T buf[kGroup];
    for (int64_t g = begin; g < end; ++g) {
      Philox gen = base;
      gen.skip(static_cast<uint64_t>(g) * kSkipPerGroup);
      PhiloxSingle single(&gen);
      Truncated<T>()(single, buf);
      int64_t off = g * kGroup;
      std::copy(buf, buf + std::min<int64_t>(kGroup, n - off), out + off);
    }
  });
}

// Multinomial (and StatelessMultinomial): checks the logits and num_samples
// inputs as TF does, then samples each row. `stream(blocks)` gives the Philox
// stream positioned at the op's samples; a stateful op reserves `blocks`
// blocks of its node's stream there.
//
// Per row, an unnormalised CDF of exp(logit - max) over the finite logits,
// then one uniform double (two uint32) per sample looked up with
// upper_bound. TF runs rows as one continuous stream when the op is not
// sharded (small batches, or one intra-op thread); we always produce that
// stream, starting row b at uint32 number 2 * num_samples * b.
template <class T>
void multinomial_rows(const T* logits, int64_t classes, int64_t num_samples, Philox gen,
                      int64_t begin, int64_t end, bool out_int32, const Tensor& out) {
  uint64_t start = 2 * static_cast<uint64_t>(num_samples) * static_cast<uint64_t>(begin);
  gen.skip(start / Philox::kBlockSize);
  PhiloxSingle single(&gen);
  for (uint64_t i = 0; i < start % Philox::kBlockSize; ++i) single();
  std::vector<double> cdf(classes);
  for (int64_t b = begin; b < end; ++b) {
    const T* row = logits + b * classes;
    // Only finite logits count; with none, the total is 0 whatever the max.
    double max_logit = std::numeric_limits<double>::lowest();
    for (int64_t j = 0; j < classes; ++j) {
      double v = static_cast<double>(row[j]);
      if (std::isfinite(v)) max_logit = std::max(max_logit, v);
    }
    double total = 0;
    for (int64_t j = 0; j < classes; ++j) {
      double v = static_cast<double>(row[j]);
      if (std::isfinite(v)) total += std::exp(v - max_logit);
      cdf[j] = total;
    }
    for (int64_t k = 0; k < num_samples; ++k) {
      uint32_t x0 = single(), x1 = single();
      double to_find = uint64_to_unit_double(x0, x1) * total;
      int64_t idx = std::upper_bound(cdf.begin(), cdf.end(), to_find) - cdf.begin();
      if (out_int32) out.data<int32_t>()[b * num_samples + k] = static_cast<int32_t>(idx);
      else out.data<int64_t>()[b * num_samples + k] = idx;
    }
  }
}

template <class T>
Status multinomial(OpContext& ctx, bool out_int32,
                   const std::function<Philox(uint64_t blocks)>& stream) {
  const Tensor& logits = ctx.input(0);
  MR_REQUIRE(logits.rank() == 2, "logits should be a matrix, got shape ",
             shape_str(logits.shape()));
  MR_RETURN_IF_ERROR(check_input_type(ctx, 0, dtype_of<T>));
  int32_t num_samples32 = 0;
  MR_RETURN_IF_ERROR(
      scalar_input(ctx, 1, "num_samples should be a scalar, got shape {}", &num_samples32));
  const int64_t num_samples = num_samples32;
  MR_REQUIRE(num_samples >= 0, "num_samples should be non-negative, got ", num_samples);
  for (int i = 0; i < 2; ++i)
    MR_REQUIRE(logits.dim(i) <= std::numeric_limits<int>::max(), "logits.shape = ",
               shape_str(logits.shape()), " too large for int");
  const int64_t batch = logits.dim(0), classes = logits.dim(1);
  MR_REQUIRE(classes > 0, "num_classes should be positive, got ", classes);
  Tensor out(out_int32 ? DType::kInt32 : DType::kInt64, {batch, num_samples});
  ctx.set_output(0, out);
  if (out.num_elements() == 0) return Status();
  // TF reserves num_samples rounded up to 4, times 2 (a double per sample).
  uint64_t per_row = static_cast<uint64_t>((num_samples + 3) / 4 * 4 * 2);
  Philox base = stream(static_cast<uint64_t>(batch) * per_row * kBlocksPerOutput);
  double cost = 10.0 * (num_samples * std::log2(static_cast<double>(classes)) + classes);
  ctx.parallel_for(batch, cost, [&](int64_t begin, int64_t end) {
    multinomial_rows(logits.data<T>(), classes, num_samples, base, begin, end, out_int32, out);
  });
  return Status();
}

}  // namespace rng
}  // namespace metarun
