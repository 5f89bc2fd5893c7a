// The summation order of TensorFlow's CPU reductions, so float results match
// TF bit for bit. TF's wheels run Eigen with AVX packets (8 floats, 4 doubles,
// 8 halves, 4 complex64, 2 complex128). Reducing a contiguous run, Eigen keeps
// four packet accumulators, folds them, adds leftover elements to a scalar and
// finishes with a halving fold of the packet ("predux"). Sums of floating
// types above kLeafSize packets split in two at a packet boundary relative to
// the run's absolute start index, recursively (a tree); products do not.
//
// `Op` supplies `static A init()` and `static A apply(A, A)`; `kTree` says
// whether Eigen treats the op as inexact (tree order) for floating A.
#pragma once

#include <cstdint>

#include "kernels/util/elementwise.h"

namespace metarun {

template <class A> constexpr int kLanes = sizeof(A) >= 16 ? 2 : (sizeof(A) == 8 ? 4 : 8);
template <class A> constexpr int64_t kLeafSize =
    std::is_same_v<A, Half> ? 200 : (std::is_same_v<A, BFloat16> ? 128 : 1024);

// Folds the packet lanes in halves, as predux does; 16-bit floats fold in float.
template <class Op, class A>
A fold_lanes(const A* lanes) {
  constexpr int P = kLanes<A>;
  using F = Compute<A>;
  F p[P];
  for (int l = 0; l < P; ++l) p[l] = F(lanes[l]);
  for (int h = P / 2; h >= 1; h /= 2)
    for (int l = 0; l < h; ++l) p[l] = Op::apply(p[l], p[l + h]);
  return A(p[0]);
}

// One leaf: x[0, n) read through `load` (converting the input type to A).
template <class Op, class A, class In>
A reduce_leaf(const In* x, int64_t n) {
  constexpr int P = kLanes<A>;
  A acc[4][P];
  for (auto& a : acc)
    for (int l = 0; l < P; ++l) a[l] = Op::template init<A>();
  int64_t start = 0;
  if (n >= 4 * P) {
    const int64_t n4 = n / (4 * P) * (4 * P);
    for (int64_t j = 0; j < n4; j += 4 * P)
      for (int k = 0; k < 4; ++k)
        for (int l = 0; l < P; ++l) acc[k][l] = Op::apply(acc[k][l], A(x[j + k * P + l]));
    for (int k = 1; k < 4; ++k)
      for (int l = 0; l < P; ++l) acc[0][l] = Op::apply(acc[0][l], acc[k][l]);
    start = n4;
  }
  const int64_t np = n / P * P;
  for (int64_t j = start; j < np; j += P)
    for (int l = 0; l < P; ++l) acc[0][l] = Op::apply(acc[0][l], A(x[j + l]));
  A s = Op::template init<A>();
  for (int64_t j = np > start ? np : start; j < n; ++j) s = Op::apply(s, A(x[j]));
  return Op::apply(s, fold_lanes<Op>(acc[0]));
}

// Reduces x[0, n); `first` is x's absolute index in the tensor Eigen reduces,
// to which it aligns the tree's split points.
template <class Op, class A, class In>
A reduce_run(const In* x, int64_t first, int64_t n) {
  constexpr int64_t P = kLanes<A>;
  if (Op::kTree && is_float_v<A> && n > P * kLeafSize<A>) {
    const int64_t split = P * ((first + (n + 1) / 2 + P - 1) / P);
    const int64_t left = split - first < n ? split - first : n;
    A acc = Op::apply(Op::template init<A>(), reduce_run<Op, A>(x, first, left));
    if (left < n) acc = Op::apply(acc, reduce_run<Op, A>(x + left, split, n - left));
    return acc;
  }
  return reduce_leaf<Op, A>(x, n);
}

struct SumOp {
  static constexpr bool kTree = true;
  template <class A> static A init() { return A(0); }
  template <class A> static A apply(A a, A b) {
    if constexpr (std::is_same_v<A, bool>) return a || b;
    else return A(Compute<A>(a) + Compute<A>(b));
  }
};

}  // namespace metarun
