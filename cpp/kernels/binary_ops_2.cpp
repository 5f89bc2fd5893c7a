// Broadcasting arithmetic, part 2 (see binary_ops.cpp): floor division and
// modulo, Maximum, Minimum, SquaredDifference, Pow, Atan2.
#include <limits>
#include <type_traits>

#include "kernels/util/elementwise.h"
#include "kernels/util/elementwise_fns.h"

namespace metarun {
namespace {

struct FloorDivFn : IntDivFn {
  template <class T> T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return T(0 - a);
        T q = a / b;
        return ((a % b) != 0 && ((a < 0) != (b < 0))) ? T(q - 1) : q;
      } else {
        return a / b;
      }
    } else {
      return T(std::floor(Compute<T>(a) / Compute<T>(b)));
    }
  }
};
struct FloorModFn : IntDivFn {
  template <class T> T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return T(0);
        T r = a % b;
        return (r != 0 && ((r < 0) != (b < 0))) ? T(r + b) : r;
      } else {
        return a % b;
      }
    } else {
      auto x = Compute<T>(a), y = Compute<T>(b);
      auto r = std::fmod(x, y);
      if (r != 0 && ((r < 0) != (y < 0))) r += y;
      return T(r);
    }
  }
};
struct TruncateModFn : IntDivFn {
  template <class T> T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return T(0);
      }
      return T(a % b);
    } else {
      return T(std::fmod(Compute<T>(a), Compute<T>(b)));
    }
  }
};
struct PowFn : CostlyFn {
  static Status check(const Tensor&, const Tensor& b) {
    bool negative = false;
    dispatch(IntTypes{}, b.dtype(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_signed_v<T>) {
        const T* p = b.data<T>();
        for (int64_t i = 0, n = b.num_elements(); i < n && !negative; ++i) negative = p[i] < 0;
      }
    });
    return negative ? invalid_argument("Integers to negative integer powers are not allowed") : Status();
  }
  template <class T> T operator()(T a, T b) const {
    if constexpr (is_complex_v<T>) {
      return std::pow(a, b);
    } else if constexpr (std::is_integral_v<T>) {
      T result = 1, base = a;
      for (auto e = b; e > 0; e /= 2) {  // wraps on overflow, like TF's integer pow
        if (e & 1) result = T(result * base);
        base = T(base * base);
      }
      return result;
    } else {
      return T(std::pow(Compute<T>(a), Compute<T>(b)));
    }
  }
};
struct Atan2Fn : CostlyFn {
  template <class T> T operator()(T a, T b) const { return T(std::atan2(Compute<T>(a), Compute<T>(b))); }
};

}  // namespace

void register_binary_ops_2(Registry& r) {
  r.add<RealTypes>("FloorDiv", binary<FloorDivFn>);
  r.add<RealTypes>("FloorMod", binary<FloorModFn>);
  r.add<RealTypes>("Mod", binary<FloorModFn>);
  r.add<RealTypes>("TruncateMod", binary<TruncateModFn>);
  r.add<RealTypes>("Maximum", binary<MaximumFn>);
  r.add<RealTypes>("Minimum", binary<MinimumFn>);
  r.add<NumberTypes>("SquaredDifference", binary<SquaredDifferenceFn>);
  r.add<TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, complex64, complex128>>(
      "Pow", binary<PowFn>);
  r.add<FloatTypes>("Atan2", binary<Atan2Fn>);
}

}  // namespace metarun
