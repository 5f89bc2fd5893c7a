// Elementwise kernel templates shared by the math families: a functor per
// op, applied over broadcast rows. Output type Out may differ from T
// (comparisons give bool).
#pragma once

#include <cmath>
#include <cstring>
#include <type_traits>

#include "core/bcast.h"
#include "core/cpu_features.h"
#include "framework/registry.h"

namespace metarun {

// Rough per-element cost (ns) that decides when to split work across threads.
constexpr double kCheapCost = 1.0;
constexpr double kTranscendentalCost = 10.0;

// float32 rows on SIMD lanes, for functors with kLanes and a
// `lanes(a, b, out)` on GCC vectors of float (by reference: GCC warns of ABI
// changes for vectors passed by value): one IEEE operation per element, the
// scalar operator()'s, so the SSE2,
// AVX2 and AVX-512 paths give the scalar loop's bits. GCC at -O2 leaves the
// scalar loop unvectorised because the output may alias an input. An input
// that does not step is one value repeated.
typedef float LaneF4 __attribute__((vector_size(16)));
typedef float LaneF8 __attribute__((vector_size(32)));
typedef float LaneF16 __attribute__((vector_size(64)));

template <class V, class Fn>
__attribute__((always_inline)) inline void lane_row(const float* x, bool x_steps, const float* y, bool y_steps,
                                                    float* z, int64_t n) {
  constexpr int N = sizeof(V) / sizeof(float);
  const Fn fn;
  int64_t i = 0;
  // A non-stepping operand is splatted lane by lane: `V{} + v` would turn a
  // -0.0 into +0.0 (0 + -0 = +0), and Mul/Minimum/Add by a scalar -0.0 would
  // lose TF's sign.
  V a, b, c;
  for (int l = 0; l < N; ++l) {
    a[l] = *x;
    b[l] = *y;
  }
  for (; i + N <= n; i += N) {
    if (x_steps) std::memcpy(&a, x + i, sizeof(V));
    if (y_steps) std::memcpy(&b, y + i, sizeof(V));
    Fn::lanes(a, b, c);
    std::memcpy(z + i, &c, sizeof(V));
  }
  for (; i < n; ++i) z[i] = fn(x[x_steps ? i : 0], y[y_steps ? i : 0]);
}

template <class Fn>
void lane_row_sse(const float* x, bool xs, const float* y, bool ys, float* z, int64_t n) {
  lane_row<LaneF4, Fn>(x, xs, y, ys, z, n);
}
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
template <class Fn>
__attribute__((target("avx2"))) void lane_row_avx2(const float* x, bool xs, const float* y, bool ys, float* z,
                                                   int64_t n) {
  lane_row<LaneF8, Fn>(x, xs, y, ys, z, n);
}
template <class Fn>
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) void lane_row_avx512(
    const float* x, bool xs, const float* y, bool ys, float* z, int64_t n) {
  lane_row<LaneF16, Fn>(x, xs, y, ys, z, n);
}
#endif

template <class Fn>
void float_lane_row(const float* x, bool xs, const float* y, bool ys, float* z, int64_t n) {
  using RowFn = void (*)(const float*, bool, const float*, bool, float*, int64_t);
  static const RowFn row = [] {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (cpu_has_avx512()) return static_cast<RowFn>(lane_row_avx512<Fn>);
    if (cpu_has_avx2_fma()) return static_cast<RowFn>(lane_row_avx2<Fn>);
#endif
    return static_cast<RowFn>(lane_row_sse<Fn>);
  }();
  row(x, xs, y, ys, z, n);
}

// What a binary elementwise kernel needs beyond its row loop: `row` computes
// z[i] = fn(x[i], y[i]) for i < n, where an input that does not step is one
// value repeated.
struct BinaryOps {
  void (*row)(const void* x, bool x_steps, const void* y, bool y_steps, void* z, int64_t n);
  // The same for one row of a broadcast, `args` a BinaryArgs: one call per row.
  Broadcast::RowFn broadcast_row;
  Status (*check)(const Tensor& a, const Tensor& b);
  double cost;         // per element
  size_t in_bytes;     // per input element
  size_t out_bytes;    // per output element
  bool forward;        // the output may take over an input's buffer (same dtype)
};

struct BinaryArgs {
  const void* x;
  const void* y;
  void* z;
};

// The part of every binary elementwise kernel that does not depend on its
// types, compiled once (elementwise.cpp): shapes and broadcasting, the output
// (forwarded when nothing else holds an input), the thread split. Only the row
// loop is compiled per op and dtype.
Status binary_compute(OpContext& ctx, const BinaryOps& ops);

template <class T, class Out, class Fn>
class BinaryKernel : public OpKernel {
 public:
  explicit BinaryKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    static constexpr BinaryOps kOps = {&row,       &broadcast_row, &Fn::check, Fn::kCost,
                                       sizeof(T), sizeof(Out),    std::is_same_v<T, Out>};
    return binary_compute(ctx, kOps);
  }

 private:
  static void broadcast_row(const void* args, int64_t o, const int64_t* off, const int64_t* step, int64_t n) {
    const auto& a = *static_cast<const BinaryArgs*>(args);
    row(static_cast<const T*>(a.x) + off[0], step[0] != 0, static_cast<const T*>(a.y) + off[1], step[1] != 0,
        static_cast<Out*>(a.z) + o, n);
  }
  static void row(const void* xp, bool x_steps, const void* yp, bool y_steps, void* zp, int64_t n) {
    const T* x = static_cast<const T*>(xp);
    const T* y = static_cast<const T*>(yp);
    Out* z = static_cast<Out*>(zp);
    const Fn fn;
    if constexpr (std::is_same_v<T, float> && std::is_same_v<Out, float> && Fn::kLanes) {
      if (n >= 16) return float_lane_row<Fn>(x, x_steps, y, y_steps, z, n);
    }
    if (x_steps && y_steps) {
      for (int64_t i = 0; i < n; ++i) z[i] = fn(x[i], y[i]);
    } else if (x_steps) {
      const T yv = *y;
      for (int64_t i = 0; i < n; ++i) z[i] = fn(x[i], yv);
    } else if (y_steps) {
      const T xv = *x;
      for (int64_t i = 0; i < n; ++i) z[i] = fn(xv, y[i]);
    } else {
      const Out v = fn(*x, *y);
      for (int64_t i = 0; i < n; ++i) z[i] = v;
    }
  }
};

template <class T, class Out, class Fn>
class UnaryKernel : public OpKernel {
 public:
  explicit UnaryKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& a = ctx.input(0);
    // The output may take over the input's buffer when nothing else holds it
    // (TF forwards it too): no allocation, and the values stay in cache.
    Tensor& out = std::is_same_v<T, Out> ? ctx.forward_or_allocate_output(0, 0, a.shape())
                                         : ctx.allocate_output(0, a.shape());
    const T* x = a.data<T>();
    Out* z = out.data<Out>();
    Fn fn;
    auto body = [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) z[i] = fn(x[i]);
    };
    ctx.parallel_for(a.num_elements(), Fn::kCost, body);
    return Status();
  }
};

// Functor base: cheap by default, no input validation, scalar only.
struct CheapFn {
  static constexpr double kCost = kCheapCost;
  static constexpr bool kLanes = false;
  static Status check(const Tensor&, const Tensor&) { return Status(); }
};
struct CostlyFn : CheapFn {
  static constexpr double kCost = kTranscendentalCost;
};

// Integer division by zero would trap; TF reports it as InvalidArgument.
struct IntDivFn : CheapFn {
  static Status check(const Tensor&, const Tensor& b);
};

template <class Fn>
auto binary = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  using T = decltype(tag);
  return new_kernel<BinaryKernel<T, T, Fn>>(init);
};
template <class Fn>
auto compare = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<BinaryKernel<decltype(tag), bool, Fn>>(init);
};
template <class Fn>
auto unary = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  using T = decltype(tag);
  return new_kernel<UnaryKernel<T, T, Fn>>(init);
};
template <class Fn>
auto predicate = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<UnaryKernel<decltype(tag), bool, Fn>>(init);
};

// NaN test that is false for integer types.
template <class T> bool is_nan(T v) {
  if constexpr (is_float_v<T>) return std::isnan(static_cast<double>(static_cast<float>(v)));
  else return false;
}

using SignedNumberTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t,
                                   complex64, complex128>;
using FloatComplexTypes = TypeList<float, double, Half, BFloat16, complex64, complex128>;
using SignedRealTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t>;
using ComparableTypes = RealTypes;
using EqualityTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t,
                               uint8_t, uint16_t, uint32_t, uint64_t, complex64, complex128, bool>;


// Math on T that is exact for native types and goes through float for the
// 16-bit floats (rounding back to T after each op, as TF does).
template <class T> using Compute = std::conditional_t<is_half_v<T>, float, T>;

}  // namespace metarun
