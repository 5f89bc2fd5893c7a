// Optimizer steps over std::complex<R>, for the Apply* kernels of
// training_ops.cpp: one functor per TF update, each written statement by
// statement as TF's CPU kernel has it, because for complex values the bits
// depend on how Eigen evaluates each statement (see eigen_complex.h):
//  - a statement whose operations all have packet forms runs elements before
//    Lane::packet_end through packets and the rest one at a time; only its
//    square roots and divisions care;
//  - a statement with rsqrt runs one at a time throughout;
//  - TF's sparse Adagrad(V2) on rows of one element is plain scalar code
//    dividing by sqrt (Lane::lone), not multiplying by rsqrt.
#pragma once

#include <complex>

#include "kernels/util/eigen_complex.h"

namespace metarun {

struct OptimizerFlags {
  bool nesterov = false;
  bool update_slots = true;
  bool multiply_linear_by_lr = false;
};

// How TF computes one element of a statement that can use packets.
struct Lane {
  bool packet;  // inside the packet-covered part of the statement
  bool lone;    // a sparse update of one-element rows
};

namespace complex_opt {

namespace ec = eigen_complex;

template <class R>
struct Base {
  using C = std::complex<R>;
  static constexpr int kPacketSize = ec::kPacketSize<R>;
  static C mul(C a, C b) { return ec::mul(a, b); }
  static C div(Lane l, C a, C b) { return l.packet ? ec::div_packet(a, b) : ec::div_scalar(a, b); }
  static C sqrt(Lane l, C a) { return l.packet ? ec::sqrt_packet(a) : ec::sqrt_scalar(a); }
};

template <class R>
struct Adagrad : Base<R> {
  using C = std::complex<R>;
  using B = Base<R>;
  static constexpr int kVars = 2;
  C lr;
  bool update_slots;
  Adagrad(const C* s, const OptimizerFlags& f) : lr(s[0]), update_slots(f.update_slots) {}
  void operator()(Lane l, C& var, C& accum, C g) const {
    if (update_slots) accum = accum + B::mul(g, g);
    if (l.lone)
      var = var - ec::div_scalar(B::mul(lr, g), ec::sqrt_scalar(accum));
    else
      var = var - B::mul(B::mul(g, lr), ec::rsqrt_scalar(accum));
  }
};

template <class R>
struct AdagradV2 : Base<R> {
  using C = std::complex<R>;
  using B = Base<R>;
  static constexpr int kVars = 2;
  C lr, epsilon;
  bool update_slots;
  AdagradV2(const C* s, const OptimizerFlags& f) : lr(s[0]), epsilon(s[1]), update_slots(f.update_slots) {}
  void operator()(Lane l, C& var, C& accum, C g) const {
    if (update_slots) accum = accum + B::mul(g, g);
    var = var - B::div(l, B::mul(g, lr), B::sqrt(l, accum) + epsilon);
  }
};

// Every statement after the first uses rsqrt (or the update it made).
template <class R>
struct Adadelta : Base<R> {
  using C = std::complex<R>;
  using B = Base<R>;
  static constexpr int kVars = 3;
  C lr, rho, one_minus_rho, epsilon;
  Adadelta(const C* s, const OptimizerFlags&) : lr(s[0]), rho(s[1]), one_minus_rho(C(1) - s[1]), epsilon(s[2]) {}
  void operator()(Lane, C& var, C& accum, C& accum_update, C g) const {
    accum = B::mul(accum, rho) + B::mul(B::mul(g, g), one_minus_rho);
    const C update =
        B::mul(B::mul(ec::sqrt_scalar(accum_update + epsilon), ec::rsqrt_scalar(accum + epsilon)), g);
    var = var - B::mul(update, lr);
    accum_update = B::mul(accum_update, rho) + B::mul(B::mul(update, update), one_minus_rho);
  }
};

// alpha is computed once, one value at a time. TF runs Adam as a parallel
// loop whose shards each evaluate the statements on their own slice: when the
// length is not a multiple of the packet size, every shard has a remainder of
// its own, placed by TF's thread count. Here the remainder is the whole
// array's, as TF has it whenever one shard takes the whole array.
template <class R>
struct Adam : Base<R> {
  using C = std::complex<R>;
  using B = Base<R>;
  static constexpr int kVars = 3;
  C alpha, beta1, one_minus_beta1, one_minus_beta2, epsilon;
  bool nesterov;
  Adam(const C* s, const OptimizerFlags& f)
      : alpha(alpha_of(s)), beta1(s[3]), one_minus_beta1(C(1) - s[3]), one_minus_beta2(C(1) - s[4]),
        epsilon(s[5]), nesterov(f.nesterov) {}
  // lr * sqrt(1 - beta2_power) / (1 - beta1_power)
  static C alpha_of(const C* s) {
    ec::FlushDenormals flush;
    return ec::div_scalar(B::mul(s[2], ec::sqrt_scalar(C(1) - s[1])), C(1) - s[0]);
  }
  void operator()(Lane l, C& var, C& m, C& v, C g) const {
    m = m + B::mul(g - m, one_minus_beta1);
    v = v + B::mul(B::mul(g, g) - v, one_minus_beta2);
    const C num = nesterov ? B::mul(B::mul(g, one_minus_beta1) + B::mul(beta1, m), alpha) : B::mul(m, alpha);
    var = var - B::div(l, num, B::sqrt(l, v) + epsilon);
  }
};

template <class R>
struct RMSProp : Base<R> {
  using C = std::complex<R>;
  using B = Base<R>;
  static constexpr int kVars = 3;
  C lr, one_minus_rho, momentum, epsilon;
  RMSProp(const C* s, const OptimizerFlags&)
      : lr(s[0]), one_minus_rho(C(1) - s[1]), momentum(s[2]), epsilon(s[3]) {}
  void operator()(Lane l, C& var, C& ms, C& mom, C g) const {
    ms = ms + B::mul(B::mul(g, g) - ms, one_minus_rho);
    mom = B::mul(mom, momentum) + B::div(l, B::mul(g, lr), B::sqrt(l, ms + epsilon));
    var = var - mom;
  }
};

template <class R>
struct CenteredRMSProp : Base<R> {
  using C = std::complex<R>;
  using B = Base<R>;
  static constexpr int kVars = 4;
  C lr, one_minus_rho, momentum, epsilon;
  CenteredRMSProp(const C* s, const OptimizerFlags&)
      : lr(s[0]), one_minus_rho(C(1) - s[1]), momentum(s[2]), epsilon(s[3]) {}
  void operator()(Lane l, C& var, C& mg, C& ms, C& mom, C g) const {
    ms = ms + B::mul(B::mul(g, g) - ms, one_minus_rho);
    mg = mg + B::mul(g - mg, one_minus_rho);
    const C denom = (ms - B::mul(mg, mg)) + epsilon;
    mom = B::mul(mom, momentum) + B::div(l, B::mul(g, lr), B::sqrt(l, denom));
    var = var - mom;
  }
};

// TF's sparse RMSProp kernels: the older operation order, with rsqrt.
template <class R>
struct SparseRMSProp : Base<R> {
  using C = std::complex<R>;
  using B = Base<R>;
  static constexpr int kVars = 3;
  C lr, rho, one_minus_rho, momentum, epsilon;
  SparseRMSProp(const C* s, const OptimizerFlags&)
      : lr(s[0]), rho(s[1]), one_minus_rho(C(1) - s[1]), momentum(s[2]), epsilon(s[3]) {}
  void operator()(Lane, C& var, C& ms, C& mom, C g) const {
    ms = B::mul(ms, rho) + B::mul(B::mul(g, g), one_minus_rho);
    mom = B::mul(mom, momentum) + B::mul(B::mul(ec::rsqrt_scalar(ms + epsilon), lr), g);
    var = var - mom;
  }
};

template <class R>
struct SparseCenteredRMSProp : Base<R> {
  using C = std::complex<R>;
  using B = Base<R>;
  static constexpr int kVars = 4;
  C lr, rho, one_minus_rho, momentum, epsilon;
  SparseCenteredRMSProp(const C* s, const OptimizerFlags&)
      : lr(s[0]), rho(s[1]), one_minus_rho(C(1) - s[1]), momentum(s[2]), epsilon(s[3]) {}
  void operator()(Lane, C& var, C& mg, C& ms, C& mom, C g) const {
    ms = B::mul(ms, rho) + B::mul(B::mul(g, g), one_minus_rho);
    mg = B::mul(mg, rho) + B::mul(g, one_minus_rho);
    mom = B::mul(mom, momentum) + B::mul(B::mul(ec::rsqrt_scalar(ms + epsilon - B::mul(mg, mg)), lr), g);
    var = var - mom;
  }
};

}  // namespace complex_opt
}  // namespace metarun
