// Broadcasting comparisons and logical ops, giving bool.
#include "kernels/util/elementwise.h"

#include <limits>
#include <type_traits>

namespace metarun {
namespace {


struct EqualFn : CheapFn {
  template <class T> bool operator()(T a, T b) const { return Compute<T>(a) == Compute<T>(b); }
};
struct NotEqualFn : CheapFn {
  template <class T> bool operator()(T a, T b) const { return Compute<T>(a) != Compute<T>(b); }
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
  r.add<EqualityTypes>("Equal", compare<EqualFn>);
  r.add<EqualityTypes>("NotEqual", compare<NotEqualFn>);
  r.add<ComparableTypes>("Less", compare<LessFn>);
  r.add<ComparableTypes>("LessEqual", compare<LessEqualFn>);
  r.add<ComparableTypes>("Greater", compare<GreaterFn>);
  r.add<ComparableTypes>("GreaterEqual", compare<GreaterEqualFn>);
  r.add("LogicalAnd", [](KernelInit& init) -> std::unique_ptr<OpKernel> {
    return std::make_unique<BinaryKernel<bool, bool, LogicalAndFn>>(init);
  });
  r.add("LogicalOr", [](KernelInit& init) -> std::unique_ptr<OpKernel> {
    return std::make_unique<BinaryKernel<bool, bool, LogicalOrFn>>(init);
  });
  r.add("LogicalNot", [](KernelInit& init) -> std::unique_ptr<OpKernel> {
    return std::make_unique<UnaryKernel<bool, bool, LogicalNotFn>>(init);
  });
}

}  // namespace metarun
