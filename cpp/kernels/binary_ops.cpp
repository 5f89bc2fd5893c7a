// Broadcasting arithmetic, part 1: AddN, Add, Sub, Mul and the true and
// truncating divisions. Part 2 (binary_ops_2.cpp) has floor division and
// modulo, Maximum, Minimum, SquaredDifference, Pow and Atan2: two files so
// the template instantiations compile in parallel.
#include "kernels/util/elementwise.h"
#include "kernels/util/elementwise_fns.h"
#include "kernels/tensor_list.h"

#include <limits>
#include <type_traits>

namespace metarun {

Status IntDivFn::check(const Tensor&, const Tensor& b) {
  bool zero = false;
  dispatch(IntTypes{}, b.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = b.data<T>();
    for (int64_t i = 0, n = b.num_elements(); i < n && !zero; ++i) zero = p[i] == T(0);
  });
  return zero ? invalid_argument("Integer division by zero") : Status();
}

namespace {

// Div: C-style truncation for integers (TF 1.x's `Div` on int32 in gradient
// code relies on this), true division for floats.
struct DivFn : IntDivFn {
  static constexpr bool kLanes = true;  // float lanes: true division
  template <class V> static void lanes(const V& a, const V& b, V& out) { out = a / b; }
  template <class T> T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
      return (b == T(-1)) ? T(0 - a) : T(a / b);  // avoids INT_MIN / -1 trapping
    else return T(Compute<T>(a) / Compute<T>(b));
  }
};
// TruncateDiv: integer division (toward zero) for integers, the quotient rounded toward zero for floats.
struct TruncateDivFn : IntDivFn {
  template <class T> T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) return DivFn()(a, b);
    else return T(std::trunc(Compute<T>(a) / Compute<T>(b)));
  }
};
struct DivNoNanFn : CheapFn {
  template <class T> T operator()(T a, T b) const {
    return Compute<T>(b) == Compute<T>(0) ? T(0) : T(Compute<T>(a) / Compute<T>(b));
  }
};
// AddN: inputs of one shape (no broadcasting), summed left to right as TF's
// chunked Eigen sums do.
template <class T>
class AddNKernel : public OpKernel {
 public:
  explicit AddNKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& first = ctx.input(0);
    for (int i = 1; i < ctx.num_inputs(); ++i)
      MR_REQUIRE(ctx.input(i).shape() == first.shape(), "Inputs to operation ", ctx.name(),
                 " of type AddN must have the same size and shape.  Input 0: ", shape_str(first.shape()),
                 " != input ", i, ": ", shape_str(ctx.input(i).shape()));
    if (ctx.num_inputs() == 1) {
      ctx.set_output(0, first);
      return Status();
    }
    Tensor& out = ctx.allocate_output(0, first.shape());
    T* z = out.data<T>();
    const int n = ctx.num_inputs();
    ctx.parallel_for(first.num_elements(), n * kCheapCost, [&](int64_t b, int64_t e) {
      const T* x0 = ctx.input(0).data<T>();
      for (int64_t j = b; j < e; ++j) z[j] = x0[j];
      for (int i = 1; i < n; ++i) {
        const T* x = ctx.input(i).data<T>();
        for (int64_t j = b; j < e; ++j) z[j] = T(Compute<T>(z[j]) + Compute<T>(x[j]));
      }
    });
    return Status();
  }
};

}  // namespace

void register_binary_ops(Registry& r) {
  using AddNTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                             uint32_t, uint64_t, complex64, complex128, Variant>;
  r.add<AddNTypes>("AddN", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    if constexpr (std::is_same_v<decltype(tag), Variant>) return make_variant_add_n_kernel(init);  // lists
    else return new_kernel<AddNKernel<decltype(tag)>>(init);
  });
  using AddTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                            uint32_t, uint64_t, complex64, complex128, std::string>;
  r.add<AddTypes>("Add", binary<AddFn>);
  r.add<NumberTypes>("AddV2", binary<AddFn>);
  r.add<NumberTypes>("Sub", binary<SubFn>);
  r.add<PodTypes>("Mul", binary<MulFn>);
  r.add<NumberTypes>("Div", binary<DivFn>);
  r.add<FloatComplexTypes>("RealDiv", binary<RealDivFn>);
  r.add<FloatComplexTypes>("DivNoNan", binary<DivNoNanFn>);
  r.add<RealTypes>("TruncateDiv", binary<TruncateDivFn>);
}

}  // namespace metarun
