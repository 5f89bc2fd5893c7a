// Broadcasting comparisons and logical ops, giving bool.
#include "kernels/util/elementwise.h"

#include <limits>
#include <string>
#include <type_traits>

namespace metarun {
namespace {


// By reference, so strings are not copied per element.
struct EqualFn : CheapFn {
  template <class T> bool operator()(const T& a, const T& b) const {
    if constexpr (std::is_same_v<T, std::string>) return a == b;
    else return Compute<T>(a) == Compute<T>(b);
  }
};
struct NotEqualFn : CheapFn {
  template <class T> bool operator()(const T& a, const T& b) const { return !EqualFn()(a, b); }
};
struct LessFn : CheapFn {
  template <class T> bool operator()(T a, T b) const { return Compute<T>(a) < Compute<T>(b); }
};
struct LessEqualFn : CheapFn {
  template <class T> bool operator()(T a, T b) const { return Compute<T>(a) <= Compute<T>(b); }
};
struct GreaterFn : CheapFn {
  template <class T> bool operator()(T a, T b) const { return Compute<T>(a) > Compute<T>(b); }
};
struct GreaterEqualFn : CheapFn {
  template <class T> bool operator()(T a, T b) const { return Compute<T>(a) >= Compute<T>(b); }
};
struct LogicalNotFn : CheapFn {
  bool operator()(bool v) const { return !v; }
};
struct LogicalAndFn : CheapFn {
  bool operator()(bool a, bool b) const { return a && b; }
};
struct LogicalOrFn : CheapFn {
  bool operator()(bool a, bool b) const { return a || b; }
};


}  // namespace

void register_compare_ops(Registry& r) {
  using Types = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                         uint32_t, uint64_t, complex64, complex128, bool, std::string>;
  r.add<Types>("Equal", compare<EqualFn>);
  r.add<Types>("NotEqual", compare<NotEqualFn>);
  r.add<ComparableTypes>("Less", compare<LessFn>);
  r.add<ComparableTypes>("LessEqual", compare<LessEqualFn>);
  r.add<ComparableTypes>("Greater", compare<GreaterFn>);
  r.add<ComparableTypes>("GreaterEqual", compare<GreaterEqualFn>);
  r.add("LogicalAnd", [](KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<BinaryKernel<bool, bool, LogicalAndFn>>(init);
  });
  r.add("LogicalOr", [](KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<BinaryKernel<bool, bool, LogicalOrFn>>(init);
  });
  r.add("LogicalNot", [](KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<UnaryKernel<bool, bool, LogicalNotFn>>(init);
  });
}

}  // namespace metarun
