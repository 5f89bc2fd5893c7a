// Cast between every pair of plain dtypes, with x86 conversion semantics
// for out-of-range float -> int (what TF's CPU kernels produce there). The
// kernels for each group of source types are compiled in their own file
// (cast_ops.cpp, cast_ops_2.cpp) to split the template instantiations.
#pragma once

#include <cmath>
#include <limits>
#include <memory>

#include "framework/registry.h"

namespace metarun {

template <class To, class From>
To convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<To, bool>) {
    if constexpr (is_complex_v<From>) return v != From(0);
    else return static_cast<float>(v) != 0.0f || static_cast<double>(v) != 0.0;
  } else if constexpr (is_complex_v<To>) {
    if constexpr (is_complex_v<From>) return To(v.real(), v.imag());
    else return To(static_cast<typename To::value_type>(static_cast<double>(v)), 0);
  } else if constexpr (is_complex_v<From>) {
    return convert<To>(v.real());
  } else if constexpr (std::is_integral_v<To> && (std::is_floating_point_v<From> || is_half_v<From>)) {
    // cvttsd2si semantics: NaN and out-of-range give the "integer indefinite"
    // value, which narrower types then truncate.
    double d = static_cast<double>(static_cast<std::conditional_t<is_half_v<From>, float, From>>(v));
    constexpr double kTwo63 = 9223372036854775808.0;
    if constexpr (std::is_same_v<To, uint64_t>) {
      // [2**63, 2**64) converts exactly; below, through int64 (negatives wrap).
      if (d >= kTwo63 && d < 2 * kTwo63) return static_cast<To>(d);
    }
    if constexpr (sizeof(To) == 8 || std::is_same_v<To, uint32_t>) {
      // Through int64: uint32 keeps the low 32 bits, so [2**31, 2**32) is exact,
      // and beyond int64 (or NaN) the indefinite value's low bits are 0. (TF's
      // vectorized loop gives 2**31 there instead; its scalar loop, used for
      // short tensors and tails, gives these values.)
      if (!(d >= -kTwo63 && d < kTwo63)) return static_cast<To>(std::numeric_limits<int64_t>::min());
      return static_cast<To>(static_cast<int64_t>(d));
    } else {
      if (!(d >= -2147483648.0 && d < 2147483648.0))
        return static_cast<To>(std::numeric_limits<int32_t>::min());
      return static_cast<To>(static_cast<int32_t>(d));
    }
  } else if constexpr (is_half_v<To>) {
    return To(static_cast<float>(v));
  } else if constexpr (is_half_v<From>) {
    return static_cast<To>(static_cast<float>(v));
  } else {
    return static_cast<To>(v);
  }
}

template <class From, class To>
class CastKernel : public OpKernel {
 public:
  explicit CastKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    if constexpr (std::is_same_v<From, To>) {
      ctx.set_output(0, in);
      return Status();
    }
    Tensor& out = ctx.allocate_output(0, in.shape());
    const From* x = in.data<From>();
    To* y = out.data<To>();
    auto body = [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) y[i] = convert<To>(x[i]);
    };
    ctx.parallel_for(in.num_elements(), 1.0, body);
    return Status();
  }
};

// The source types compiled in cast_ops_2.cpp.
using CastFloatSources = FloatTypes;

// Builds the Cast kernel for a source type in CastFloatSources; null otherwise.
std::unique_ptr<OpKernel> make_cast_from_float(DType src, DType dst, KernelInit& init);

// Builds the Cast kernel From -> dst, or null when dst is not a plain type.
template <class From>
std::unique_ptr<OpKernel> make_cast_from(DType dst, KernelInit& init) {
  std::unique_ptr<OpKernel> out;
  dispatch(PodTypes{}, dst, [&](auto to) { out = new_kernel<CastKernel<From, decltype(to)>>(init); });
  return out;
}

}  // namespace metarun
