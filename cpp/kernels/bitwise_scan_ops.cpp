// Bitwise ops, cumulative scans (Cumsum, Cumprod, CumulativeLogsumexp),
// bucketing and counting (Bucketize, Bincount), and the complex-part ops
// (Complex, Real, Imag, Conj, ComplexAbs).
//
// Scans reproduce TF's float results bit for bit: TF runs Eigen's scan, which
// walks each line along the axis sequentially from an accumulator set to the
// reducer's identity (0, 1, -inf), rounding to T after every step.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/util/elementwise.h"

namespace metarun {
namespace {

// Integer arithmetic that wraps like TF's (two's complement) instead of
// overflowing signed or promoted types, which would be undefined.
template <class T> using Wide = std::conditional_t<sizeof(T) <= 4, uint32_t, uint64_t>;

// ---- bitwise ----

struct BitwiseAndFn : CheapFn {
  template <class T> T operator()(T a, T b) const { return T(a & b); }
};
struct BitwiseOrFn : CheapFn {
  template <class T> T operator()(T a, T b) const { return T(a | b); }
};
struct BitwiseXorFn : CheapFn {
  template <class T> T operator()(T a, T b) const { return T(a ^ b); }
};
// TF clamps the shift amount to [0, bits - 1], so a negative or too large
// shift is defined: `x << 70` on int64 is `x << 63`, `x >> 70` is `x >> 63`.
template <class T> unsigned clamp_shift(T y) {
  constexpr T kMax = T(sizeof(T) * 8 - 1);
  if (y < T(0)) return 0;
  return static_cast<unsigned>(y > kMax ? kMax : y);
}
struct LeftShiftFn : CheapFn {
  // Shifted as unsigned, so bits shifted into or past the sign bit wrap.
  template <class T> T operator()(T x, T y) const {
    using U = std::make_unsigned_t<T>;
    return T(static_cast<U>(Wide<T>(static_cast<U>(x)) << clamp_shift(y)));
  }
};
struct RightShiftFn : CheapFn {
  template <class T> T operator()(T x, T y) const { return T(x >> clamp_shift(y)); }  // arithmetic for signed
};
struct InvertFn : CheapFn {
  template <class T> T operator()(T x) const { return T(~x); }
};
struct PopulationCountFn : CheapFn {
  template <class T> uint8_t operator()(T x) const {
    return static_cast<uint8_t>(__builtin_popcountll(static_cast<std::make_unsigned_t<T>>(x)));
  }
};

// ---- complex parts ----

struct RealFn : CheapFn {
  template <class T> auto operator()(T x) const { return x.real(); }
};
struct ImagFn : CheapFn {
  template <class T> auto operator()(T x) const { return x.imag(); }
};
struct ConjFn : CheapFn {
  template <class T> T operator()(T x) const { return std::conj(x); }
};
struct ComplexFn : CheapFn {
  template <class T> std::complex<T> operator()(T re, T im) const { return {re, im}; }
};
// Complex(real, imag): T is the parts' type, the output its complex type.
auto make_complex = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  using T = decltype(tag);
  return new_kernel<BinaryKernel<T, std::complex<T>, ComplexFn>>(init);
};
struct ComplexAbsFn : CheapFn {
  template <class T> auto operator()(T x) const { return std::abs(x); }  // hypot: no overflow for large parts
};

// A unary kernel whose output type is fixed (uint8) or the complex input's
// real type.
template <class Fn, class Out = void>
auto unary_to = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  using T = decltype(tag);
  using O = std::conditional_t<std::is_void_v<Out>, decltype(Fn{}(T{})), Out>;
  return new_kernel<UnaryKernel<T, O, Fn>>(init);
};

// ---- scans ----

// When both operands are NaN, x86 returns the first operand's, and which one
// is first is up to the compiler; fixtures show TF's binary keeps the
// accumulator's NaN, except for bfloat16 (and Bincount's weights), where the
// element's wins. The choice is made explicit here so it decides the sign bit
// of the NaN as in TF, whatever order this compiler picks.
template <class T> constexpr bool kElementNanWins = std::is_same_v<T, BFloat16>;

template <bool kElementWins, class T> bool pick_nan(T acc, T x, T* out) {
  if (kElementWins && is_nan(x)) *out = x;
  else if (is_nan(acc)) *out = acc;
  else return false;
  return true;
}

struct SumScan {
  template <class T> static T init() { return T(0); }
  template <class T> static T apply(T acc, T x) {
    T nan;
    if constexpr (std::is_integral_v<T>) return T(Wide<T>(acc) + Wide<T>(x));
    else if (is_float_v<T> && pick_nan<kElementNanWins<T>>(acc, x, &nan)) return nan;
    else return T(Compute<T>(acc) + Compute<T>(x));
  }
};
struct ProdScan {
  template <class T> static T init() { return T(1); }
  template <class T> static T apply(T acc, T x) {
    T nan;
    if constexpr (std::is_integral_v<T>) return T(Wide<T>(acc) * Wide<T>(x));
    else if (is_float_v<T> && pick_nan<kElementNanWins<T>>(acc, x, &nan)) return nan;
    else return T(Compute<T>(acc) * Compute<T>(x));
  }
};
// TF's LogSumExp step: with mi = std::min(acc, x), ma = std::max(acc, x),
// log1p(exp(mi - ma)) + ma, each op rounded to T; ma itself when ma is -inf
// (so -inf + -inf stays -inf rather than NaN). std::min/max keep `acc` when
// x is NaN, so TF skips a NaN x by adding log(2) to the sum so far.
struct LogSumExpScan {
  template <class T> static T init() { return T(-std::numeric_limits<float>::infinity()); }
  template <class T> static T apply(T acc, T x) {
    const T mi = std::min(acc, x, [](T a, T b) { return Compute<T>(a) < Compute<T>(b); });
    const T ma = std::max(acc, x, [](T a, T b) { return Compute<T>(a) < Compute<T>(b); });
    const T diff = T(Compute<T>(mi) - Compute<T>(ma));
    const T e = T(std::exp(Compute<T>(diff)));
    const T l = T(std::log1p(Compute<T>(e)));
    const T sum = T(Compute<T>(l) + Compute<T>(ma));
    return Compute<T>(ma) == -std::numeric_limits<Compute<T>>::infinity() ? ma : sum;  // below lowest()
  }
};

// Lanes scanned together: a block of neighbouring lines along the inner dim
// is walked row by row, which reads memory in order and leaves each line's
// own step order (the part that decides the rounding) untouched.
constexpr int64_t kLaneBlock = 256;

template <class T, class Op>
class ScanKernel : public OpKernel {
 public:
  explicit ScanKernel(KernelInit& init) {
    init.get("exclusive", &exclusive_);
    init.get("reverse", &reverse_);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    int64_t axis = 0;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "ScanOp: axis must be a scalar, not {}", &axis));
    const int rank = x.rank();
    if (axis < 0) axis += rank;
    MR_REQUIRE(axis >= 0 && axis < rank, "ScanOp: Expected scan axis in the range [", -rank, ", ", rank,
               "), but got ", axis);
    Tensor& out = ctx.allocate_output(0, x.shape());
    if (x.num_elements() == 0) return Status();
    const int64_t outer = dims_product(x.shape(), 0, axis);
    const int64_t len = x.dim(static_cast<int>(axis));
    const int64_t inner = dims_product(x.shape(), axis + 1, x.shape().size());
    const int64_t blocks = (inner + kLaneBlock - 1) / kLaneBlock;
    const T* in = x.data<T>();
    T* o = out.data<T>();
    ctx.parallel_for(outer * blocks, double(len) * std::min(inner, kLaneBlock), [&](int64_t b, int64_t e) {
      for (int64_t u = b; u < e; ++u) {
        const int64_t j0 = (u % blocks) * kLaneBlock;
        const int64_t base = (u / blocks) * len * inner + j0;
        scan_lanes(in + base, o + base, len, inner, std::min(kLaneBlock, inner - j0));
      }
    });
    return Status();
  }

 private:
  // Scans `lanes` neighbouring lines of `len` elements, `stride` apart.
  void scan_lanes(const T* in, T* out, int64_t len, int64_t stride, int64_t lanes) const {
    T acc[kLaneBlock];
    std::fill(acc, acc + lanes, Op::template init<T>());
    for (int64_t step = 0; step < len; ++step) {
      const int64_t k = reverse_ ? len - 1 - step : step;
      const T* row = in + k * stride;
      T* dst = out + k * stride;
      if (exclusive_) {
        for (int64_t j = 0; j < lanes; ++j) {
          dst[j] = acc[j];
          acc[j] = Op::apply(acc[j], row[j]);
        }
      } else {
        for (int64_t j = 0; j < lanes; ++j) dst[j] = acc[j] = Op::apply(acc[j], row[j]);
      }
    }
  }

  bool exclusive_ = false;
  bool reverse_ = false;
};

template <class Op>
auto scan = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<ScanKernel<decltype(tag), Op>>(init);
};

// ---- Bucketize ----

// The boundaries stay float, as TF keeps them: an int64 or int32 value is
// compared after converting it to float, a double after widening the boundary.
template <class T>
class BucketizeKernel : public OpKernel {
 public:
  explicit BucketizeKernel(KernelInit& init) {
    init.get("boundaries", &boundaries_);
    if (!std::is_sorted(boundaries_.begin(), boundaries_.end()))
      init.fail(invalid_argument("Expected sorted boundaries"));
  }

  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, x.shape());
    const T* in = x.data<T>();
    int32_t* o = out.data<int32_t>();
    ctx.parallel_for(x.num_elements(), 20.0, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        auto it = std::upper_bound(boundaries_.begin(), boundaries_.end(), in[i],
                                   [](T v, float bound) { return v < bound; });
        o[i] = static_cast<int32_t>(it - boundaries_.begin());
      }
    });
    return Status();
  }

 private:
  std::vector<float> boundaries_;
};

// ---- Bincount ----

// Weights are added in input order, from zero, as TF does when the input is
// small enough to be counted on one thread; TF splits a large input across
// its worker threads and sums their partial bins, so there float weights may
// round differently from run to run. The output is allocated through the
// checked allocator: a `size` too large for memory is ResourceExhausted.
template <class T>
class BincountKernel : public OpKernel {
 public:
  explicit BincountKernel(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor& arr = ctx.input(0);
    const Tensor& size_tensor = ctx.input(1);
    const Tensor& weights = ctx.input(2);
    MR_REQUIRE(size_tensor.rank() == 0, "Shape must be rank 0 but is rank ", size_tensor.rank());
    const int32_t size = size_tensor.scalar_value<int32_t>();
    MR_REQUIRE(size >= 0, "size (", size, ") must be non-negative");
    Tensor& out = ctx.allocate_output(0, {size});
    const int32_t* a = arr.data<int32_t>();
    const int64_t n = arr.num_elements();
    MR_REQUIRE(std::all_of(a, a + n, [](int32_t v) { return v >= 0; }), "Input arr must be non-negative!");
    const int64_t nw = weights.num_elements();
    MR_REQUIRE(nw == 0 || nw == n, "Input indices and weights must have the same size.");
    T* o = out.data<T>();
    std::fill(o, o + size, T(0));
    const T* w = weights.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      if (a[i] >= size) continue;
      T& bin = o[a[i]];
      const T v = nw ? w[i] : T(1);
      if constexpr (std::is_integral_v<T>) bin = SumScan::apply(bin, v);
      else if (!pick_nan<true>(bin, v, &bin)) bin += v;
    }
    return Status();
  }
};

template <template <class> class K>
auto typed = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<decltype(tag)>>(init);
};

using BucketizeTypes = TypeList<int32_t, int64_t, float, double>;

}  // namespace

void register_bitwise_scan_ops(Registry& r) {
  r.add<IntTypes>("BitwiseAnd", binary<BitwiseAndFn>);
  r.add<IntTypes>("BitwiseOr", binary<BitwiseOrFn>);
  r.add<IntTypes>("BitwiseXor", binary<BitwiseXorFn>);
  r.add<IntTypes>("LeftShift", binary<LeftShiftFn>);
  r.add<IntTypes>("RightShift", binary<RightShiftFn>);
  r.add<IntTypes>("Invert", unary<InvertFn>);
  r.add<IntTypes>("PopulationCount", unary_to<PopulationCountFn, uint8_t>);
  r.add<NumberTypes>("Cumsum", scan<SumScan>);
  r.add<NumberTypes>("Cumprod", scan<ProdScan>);
  r.add<FloatTypes>("CumulativeLogsumexp", scan<LogSumExpScan>);
  r.add<BucketizeTypes>("Bucketize", typed<BucketizeKernel>);
  r.add<BucketizeTypes>("Bincount", typed<BincountKernel>);
  r.add<ComplexTypes>("Real", unary_to<RealFn>);
  r.add<ComplexTypes>("Imag", unary_to<ImagFn>);
  r.add<ComplexTypes>("Conj", unary<ConjFn>);
  r.add<ComplexTypes>("ComplexAbs", unary_to<ComplexAbsFn>);
  r.add<TypeList<float, double>>("Complex", make_complex);
}

}  // namespace metarun
