// Segment reductions as TF's CPU kernels compute them, so results match bit
// for bit: the reducers (with TF's NaN and signed-zero behaviour), the
// accumulation order of sorted segments, and the unsorted kernel (one
// template for UnsortedSegment{Sum,Max,Min,Prod}). Also the hashing keys the
// set-like kernels (ListDiff, UniqueWithCounts) share.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "framework/registry.h"
#include "kernels/util/element_copier.h"
#include "kernels/util/reduce_order.h"

namespace metarun {

void register_segment_ops_2(Registry& r);

// Reducers: `apply(acc, x)` folds x into acc as Eigen's scalar code does,
// `packet(acc, x)` as its AVX code does; they differ for max and min only.
// Scalar max/min keep x unless acc strictly beats it (a NaN x replaces acc,
// a later x replaces a NaN acc); AVX max/min keep acc unless x strictly beats
// it (a NaN x is dropped).
// Of two NaN operands x86 returns the first (the accumulator), whichever
// order a compiler gives the instruction: so the NaN's sign and payload are
// TF's whatever our build does.
template <class T> bool is_nan_value(const T& v) {
  if constexpr (is_float_v<T>) return Compute<T>(v) != Compute<T>(v);
  else return false;
}

struct SegSum {
  static constexpr bool kStateful = false;
  template <class T> static T packet(T a, T x) { return apply(a, x); }
  template <class T> static T apply(T a, T x) {
    if constexpr (std::is_same_v<T, bool>) return a || x;
    else if (is_nan_value(a)) return a;
    else return T(Compute<T>(a) + Compute<T>(x));
  }
};
struct SegProd {
  static constexpr bool kStateful = false;
  template <class T> static T packet(T a, T x) { return apply(a, x); }
  template <class T> static T apply(T a, T x) {
    if constexpr (is_complex_v<T>)  // Eigen's packet formula, no NaN recovery
      return T(a.real() * x.real() - a.imag() * x.imag(), a.real() * x.imag() + a.imag() * x.real());
    else if (is_nan_value(a)) return a;
    else return T(Compute<T>(a) * Compute<T>(x));
  }
};
struct SegMax {
  static constexpr bool kStateful = false;
  template <class T> static T apply(T a, T x) { return x < a ? a : x; }
  template <class T> static T packet(T a, T x) { return a < x ? x : a; }
};
struct SegMin {
  static constexpr bool kStateful = false;
  template <class T> static T apply(T a, T x) { return a < x ? a : x; }
  template <class T> static T packet(T a, T x) { return x < a ? x : a; }
};
// Mean sums like SegSum and divides by the count at the end; Eigen treats it
// as stateful, so it never takes the four-accumulator path.
struct SegMean : SegSum {
  static constexpr bool kStateful = true;
};

// Eigen's NumTraits<T>::lowest() and highest(): finite, unlike the infinities.
template <class T> T highest_value() {
  if constexpr (std::is_same_v<T, Half>) return T(65504.0f);
  else if constexpr (std::is_same_v<T, BFloat16>) return T(3.3895313892515355e38f);
  else return std::numeric_limits<T>::max();
}
template <class T> T lowest_value() {
  if constexpr (is_half_v<T>) return T(-float(highest_value<T>()));
  else return std::numeric_limits<T>::lowest();
}

// Reduces rows x[0, n) (n >= 2, `cols` elements each) into o[0, cols), as
// Eigen's reduction over the outer dimension does: columns inside a whole
// packet use the packet op and, from 16 rows on (unless the reducer is
// stateful), four accumulators taking every fourth row, folded in order
// before the leftover rows; the other columns run in row order. `init` is
// the reducer's identity. Rows are walked outermost, for locality.
template <class Op, class T>
void reduce_segment_rows(const T* x, int64_t n, int64_t cols, T init, T* o) {
  const int64_t packed = cols / kLanes<T> * kLanes<T>;
  for (int64_t c = 0; c < cols; ++c) o[c] = init;
  int64_t r = 0;
  if (packed > 0 && !Op::kStateful && n >= 16) {
    std::vector<T> acc(3 * packed, init);  // accumulators 1..3; o holds accumulator 0
    for (const int64_t n4 = n / 4 * 4; r < n4; r += 4) {
      for (int64_t c = 0; c < packed; ++c) o[c] = Op::packet(o[c], x[r * cols + c]);
      for (int k = 1; k < 4; ++k)
        for (int64_t c = 0; c < packed; ++c)
          acc[(k - 1) * packed + c] = Op::packet(acc[(k - 1) * packed + c], x[(r + k) * cols + c]);
    }
    for (int k = 1; k < 4; ++k)
      for (int64_t c = 0; c < packed; ++c) o[c] = Op::packet(o[c], acc[(k - 1) * packed + c]);
  }
  for (int64_t i = r; i < n; ++i)
    for (int64_t c = 0; c < packed; ++c) o[c] = Op::packet(o[c], x[i * cols + c]);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = packed; c < cols; ++c) o[c] = Op::apply(o[c], x[i * cols + c]);
}

// UnsortedSegment*'s checks and output shape [num, data.shape[ids.rank:]],
// the same for every dtype.
inline Status plan_unsorted_segments(const OpContext& ctx, Shape* shape) {
  const Tensor& data = ctx.input(0);
  const Tensor& ids = ctx.input(1);
  MR_RETURN_IF_ERROR(check_scalar(ctx.input(2), "num_segments should be a scalar, not shape {}"));
  MR_REQUIRE(data.rank() >= ids.rank() && std::equal(ids.shape().begin(), ids.shape().end(), data.shape().begin()),
             "data.shape = ", shape_str(data.shape()), " does not start with segment_ids.shape = ",
             shape_str(ids.shape()));
  int64_t num = 0;
  MR_RETURN_IF_ERROR(scalar_input(ctx, 2, "num_segments should be a scalar, not shape {}", &num));
  MR_REQUIRE(num >= 0, "Input num_segments == ", num, " must not be negative.");
  *shape = Shape{num};
  shape->insert(shape->end(), data.shape().begin() + ids.rank(), data.shape().end());
  return Status();
}

// Every id below `num` (negative ids are dropped).
inline Status check_unsorted_segment_ids(const Tensor& ids, int64_t num) {
  for (int64_t i = 0, n = ids.num_elements(); i < n; ++i) {
    const int64_t s = index_at(ids, i);
    MR_REQUIRE(s < num, "segment_ids", index_str(ids.shape(), i), " = ", s, " is out of range [0, ", num, ")");
  }
  return Status();
}

// The rows of `data` (flattened to [ids.size, row]) summed into an output of
// `num` rows, in data order; negative ids are dropped. TF's UnsortedSegment*
// CPU functor.
template <class T, class Op>
class UnsortedSegmentKernel : public OpKernel {
 public:
  UnsortedSegmentKernel(KernelInit&, T init) : init_(init) {}
  Status compute(OpContext& ctx) override {
    const Tensor& data = ctx.input(0);
    const Tensor& ids = ctx.input(1);
    Shape shape;
    MR_RETURN_IF_ERROR(plan_unsorted_segments(ctx, &shape));
    Tensor& out = ctx.allocate_output(0, shape);
    const int64_t row = dims_product(shape, 1, shape.size());
    T* o = out.data<T>();
    for (int64_t i = 0, m = out.num_elements(); i < m; ++i) o[i] = init_;
    if (data.num_elements() == 0) return Status();  // TF checks no ids then either
    MR_RETURN_IF_ERROR(check_unsorted_segment_ids(ids, shape[0]));
    const T* d = data.data<T>();
    for (int64_t i = 0, n = ids.num_elements(); i < n; ++i) {
      const int64_t s = index_at(ids, i);
      if (s < 0) continue;
      T* dst = o + s * row;
      const T* src = d + i * row;
      for (int64_t j = 0; j < row; ++j) dst[j] = Op::apply(dst[j], src[j]);
    }
    return Status();
  }

 private:
  T init_;
};

// Hash keys for the set-like kernels: integers and bool as int64, floats as
// double (so -0 == 0, and no NaN equals another, as in TF's hash sets),
// strings as themselves.
template <class T> auto set_key(const T& v) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, double>) return v;
  else if constexpr (is_float_v<T>) return static_cast<double>(static_cast<float>(v));
  else return static_cast<int64_t>(v);
}

struct SetKeyHash {
  size_t operator()(double v) const { return std::hash<double>()(v == 0 ? 0.0 : v); }
  size_t operator()(int64_t v) const { return std::hash<int64_t>()(v); }
  size_t operator()(const std::string& v) const { return std::hash<std::string>()(v); }
};

}  // namespace metarun
