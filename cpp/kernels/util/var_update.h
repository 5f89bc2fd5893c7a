// Shared by the kernels that update variables in place (the Apply* optimizer
// ops and the Scatter* ops): access to ref or resource variables, and scalar
// arithmetic that rounds like TensorFlow's CPU kernels.
//
// Ref variables are updated in place, as in TF: reads alias the buffer, so a
// consumer ordered after the update sees it. Resource variables copy their
// buffer first when another holder (a value read earlier) shares it, so a
// value read from a resource variable never changes.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <vector>

#include "framework/registry.h"

namespace metarun {

// The variables at inputs [0, n) of an update op. Ref ops receive the
// variables themselves (the kernel must call `init.take_ref_input(i)` for
// each); resource ops receive handles.
class LockedVars {
 public:
  // Finds the variables, checks they hold initialized values of `dtype`
  // (kInvalid: any) and makes resource variables' buffers safe to modify.
  // With `use_locking` (always for resource variables) the variables stay
  // locked until this object goes away; without it, ref variables are
  // unlocked once their buffers are known and the update runs unlocked, as
  // TF's does (concurrent unlocked updates may interleave element writes).
  Status acquire(OpContext& ctx, bool resource, int n, DType dtype, bool use_locking = true);
  // The variable's value: its own buffer, written in place.
  Tensor& value(int i) { return values_[i]; }
  const std::shared_ptr<Var>& var(int i) const { return vars_[i]; }

 private:
  std::vector<std::shared_ptr<Var>> vars_;
  std::vector<Tensor> values_;
  std::vector<std::unique_lock<std::mutex>> locks_;
};

// Reads the elements of an int32/int64 index tensor of any rank.
Status read_indices(const Tensor& t, std::vector<int64_t>* out);

// ---- arithmetic in T ----
// Eigen::half and bfloat16 round back to 16 bits after every operation;
// `Rounded<H>` does the same, so formulas written once over a compute type C
// give TF's numbers for float, double and the 16-bit types alike.
template <class H>
struct Rounded {
  H h;
  Rounded() = default;
  explicit Rounded(float f) : h(f) {}
  float f() const { return static_cast<float>(h); }
};
template <class H> Rounded<H> operator+(Rounded<H> a, Rounded<H> b) { return Rounded<H>(a.f() + b.f()); }
template <class H> Rounded<H> operator-(Rounded<H> a, Rounded<H> b) { return Rounded<H>(a.f() - b.f()); }
template <class H> Rounded<H> operator*(Rounded<H> a, Rounded<H> b) { return Rounded<H>(a.f() * b.f()); }
template <class H> Rounded<H> operator/(Rounded<H> a, Rounded<H> b) { return Rounded<H>(a.f() / b.f()); }
template <class H> Rounded<H> operator-(Rounded<H> a) { return Rounded<H>(-a.f()); }
template <class H> bool operator<(Rounded<H> a, Rounded<H> b) { return a.f() < b.f(); }
template <class H> bool operator>(Rounded<H> a, Rounded<H> b) { return a.f() > b.f(); }
template <class H> bool operator==(Rounded<H> a, Rounded<H> b) { return a.f() == b.f(); }
template <class H> Rounded<H> sqrt_(Rounded<H> a) { return Rounded<H>(std::sqrt(a.f())); }
template <class H> Rounded<H> rsqrt_(Rounded<H> a) { return Rounded<H>(1.0f) / sqrt_(a); }
template <class H> Rounded<H> exp_(Rounded<H> a) { return Rounded<H>(std::exp(a.f())); }
template <class H> Rounded<H> pow_(Rounded<H> a, Rounded<H> b) { return Rounded<H>(std::pow(a.f(), b.f())); }
template <class H> Rounded<H> abs_(Rounded<H> a) { return Rounded<H>(std::fabs(a.f())); }

template <class T> T sqrt_(T a) { return std::sqrt(a); }
template <class T> T rsqrt_(T a) { return T(1) / std::sqrt(a); }
template <class T> T exp_(T a) { return std::exp(a); }
template <class T> T pow_(T a, T b) { return std::pow(a, b); }
template <class T> T abs_(T a) { return std::fabs(a); }
// Eigen's sign: -1, 0 or 1.
template <class C> C sign_(C a) { return a == C(0) ? C(0) : (a < C(0) ? C(-1) : C(1)); }
// Eigen's cwiseMax/Min keep the first operand unless the second is strictly greater/less.
template <class C> C max_(C a, C b) { return a < b ? b : a; }
template <class C> C min_(C a, C b) { return b < a ? b : a; }

template <class T> struct ComputeTypeOf { using type = T; };
template <> struct ComputeTypeOf<Half> { using type = Rounded<Half>; };
template <> struct ComputeTypeOf<BFloat16> { using type = Rounded<BFloat16>; };
// Rounded<H> has H's layout, so a buffer of T is worked on as a buffer of C.
template <class T> using ComputeType = typename ComputeTypeOf<T>::type;

}  // namespace metarun
