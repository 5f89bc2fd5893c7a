// Philox4x32-10 and the sample conversions TensorFlow's stateful random ops
// build on, so that a graph seeded with (seed, seed2) draws TF's exact numbers.
//
// The generator is keyed by `seed` (low word first) and its 128-bit counter
// starts at `seed2 << 64`. Each call returns four uint32 and adds one to the
// counter; `skip(n)` moves the counter as n calls would. Conversions take the
// mantissa bits of a sample, set the exponent of 1.0 and subtract 1, giving a
// value in [0, 1); normals are Box-Muller on pairs of those.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/half.h"

namespace metarun {

class Philox {
 public:
  using Block = std::array<uint32_t, 4>;
  static constexpr int kBlockSize = 4;

  Philox() = default;
  Philox(uint64_t seed, uint64_t seed2) {
    key_ = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
    counter_ = {0, 0, static_cast<uint32_t>(seed2), static_cast<uint32_t>(seed2 >> 32)};
  }

  // A generator at an explicit 64-bit key and 128-bit counter (low word
  // first), the layout of the stateless ops' key/counter tensors.
  static Philox from_key_counter(uint64_t key, uint64_t counter_lo, uint64_t counter_hi) {
    Philox p;
    p.key_ = {static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32)};
    p.counter_ = {static_cast<uint32_t>(counter_lo), static_cast<uint32_t>(counter_lo >> 32),
                  static_cast<uint32_t>(counter_hi), static_cast<uint32_t>(counter_hi >> 32)};
    return p;
  }

  // Moves the counter forward by `n` blocks (a 128-bit add).
  void skip(uint64_t n) {
    uint32_t lo = static_cast<uint32_t>(n);
    uint32_t hi = static_cast<uint32_t>(n >> 32);
    counter_[0] += lo;
    if (counter_[0] < lo) ++hi;
    counter_[1] += hi;
    if (counter_[1] < hi && ++counter_[2] == 0) ++counter_[3];
  }

  Block next() {
    Block out;
    next_blocks<1>(&out);
    return out;
  }

  // N consecutive blocks, as N calls to next() give them; the rounds of the
  // N counters run in lockstep so they overlap in the pipeline.
  template <int N>
  void next_blocks(Block* out) {
    uint32_t c0[N], c1[N], c2[N], c3[N];
    for (int j = 0; j < N; ++j) {
      c0[j] = counter_[0], c1[j] = counter_[1], c2[j] = counter_[2], c3[j] = counter_[3];
      skip(1);
    }
    uint32_t k0 = key_[0], k1 = key_[1];
    for (int round = 0; round < 10; ++round) {
      for (int j = 0; j < N; ++j) {
        uint64_t p0 = uint64_t{0xD2511F53u} * c0[j];
        uint64_t p1 = uint64_t{0xCD9E8D57u} * c2[j];
        c0[j] = static_cast<uint32_t>(p1 >> 32) ^ c1[j] ^ k0;
        c1[j] = static_cast<uint32_t>(p1);
        c2[j] = static_cast<uint32_t>(p0 >> 32) ^ c3[j] ^ k1;
        c3[j] = static_cast<uint32_t>(p0);
      }
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    for (int j = 0; j < N; ++j) out[j] = {c0[j], c1[j], c2[j], c3[j]};
  }

 private:
  Block counter_{};
  std::array<uint32_t, 2> key_{};
};

// Hands out a Philox stream one uint32 at a time, drawing a block when the
// previous one is used up (TF's SingleSampleAdapter).
class PhiloxSingle {
 public:
  explicit PhiloxSingle(Philox* gen) : gen_(gen) {}
  uint32_t operator()() {
    if (used_ == Philox::kBlockSize) {
      block_ = gen_->next();
      used_ = 0;
    }
    return block_[used_++];
  }

 private:
  Philox* gen_;
  Philox::Block block_{};
  int used_ = Philox::kBlockSize;
};

inline float uint32_to_unit_float(uint32_t x) {
  return bits_float((127u << 23) | (x & 0x7fffffu)) - 1.0f;
}

inline double uint64_to_unit_double(uint32_t hi, uint32_t lo) {
  uint64_t bits = (uint64_t{1023} << 52) | (uint64_t{hi & 0xfffffu} << 32) | lo;
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d - 1.0;
}

// Only the low 16 bits of the sample are used, as in TF.
inline Half uint16_to_unit_half(uint32_t x) {
  Half h;
  h.bits = static_cast<uint16_t>((15u << 10) | (x & 0x3ffu));
  return Half(static_cast<float>(h) - 1.0f);
}

inline BFloat16 uint16_to_unit_bfloat16(uint32_t x) {
  BFloat16 b;
  b.bits = static_cast<uint16_t>((127u << 7) | (x & 0x7fu));
  return BFloat16(static_cast<float>(b) - 1.0f);
}

// Box-Muller as TF computes it: the angle is formed in double and rounded to
// float, and logf/sincosf come from the C library, so the results match TF's
// build on the same libm.
inline void box_muller_float(uint32_t x0, uint32_t x1, float* f0, float* f1) {
  float u1 = uint32_to_unit_float(x0);
  if (u1 < 1.0e-7f) u1 = 1.0e-7f;
  const float v1 = static_cast<float>(2.0f * M_PI * uint32_to_unit_float(x1));
  const float r = std::sqrt(-2.0f * std::log(u1));
  ::sincosf(v1, f0, f1);
  *f0 *= r;
  *f1 *= r;
}

inline void box_muller_double(uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3, double* d0,
                              double* d1) {
  double u1 = uint64_to_unit_double(x0, x1);
  if (u1 < 1.0e-7) u1 = 1.0e-7;
  const double v1 = 2 * M_PI * uint64_to_unit_double(x2, x3);
  const double r = std::sqrt(-2.0 * std::log(u1));
  ::sincos(v1, d0, d1);
  *d0 *= r;
  *d1 *= r;
}

}  // namespace metarun
