// Quantization-aware training ops: fake quantization with a nudged range
// (FakeQuantWithMinMaxArgs, ...Vars, ...VarsPerChannel and their *Gradient
// ops, float only as TF registers them) and quantize-then-dequantize
// (QuantizeAndDequantizeV2/V3/V4 and V4Grad, float and double).
//
// TF runs these with denormals flushed to zero (special::FlushDenormals): a
// denormal just below a nudged minimum of 0 is inside the range.
//
// TF's numbers come from a fixed sequence of single-precision steps, each
// rounded: the nudge computes scale and its inverse separately (not as a
// reciprocal), the Args and PerChannel forms multiply by the inverse scale
// where Vars divides by the scale, and the scalar min/max gradients of Vars
// sum in Eigen's reduction order. No step is fused (TF's wheels have no FMA).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/util/elementwise.h"
#include "kernels/util/reduce_order.h"
#include "kernels/util/special_functions.h"

namespace metarun {
namespace {

// ---- fake quantization ----

struct Nudged {
  float min, max, scale, inv_scale;
};

// TF moves [min, max] so that real zero is exactly a quantized value: the
// zero point is rounded (half away from zero) and clamped to [qmin, qmax].
Nudged nudge(float min, float max, int qmin, int qmax) {
  const float qminf = static_cast<float>(qmin), qmaxf = static_cast<float>(qmax);
  Nudged n;
  n.scale = (max - min) / (qmaxf - qminf);
  n.inv_scale = (qmaxf - qminf) / (max - min);
  const float zero_from_min = qminf - min / n.scale;
  float zero_point;
  if (zero_from_min < qminf) zero_point = qminf;
  else if (zero_from_min > qmaxf) zero_point = qmaxf;
  else if (std::isnan(zero_from_min)) zero_point = 0.0f;  // TF's uint16 cast of NaN gives 0 on x86
  else zero_point = std::round(zero_from_min);
  n.min = (qminf - zero_point) * n.scale;
  n.max = (qmaxf - zero_point) * n.scale;
  return n;
}

// std::min/max as Eigen's cwiseMin/cwiseMax: a NaN input stays NaN.
inline float clamp_to(float x, float lo, float hi) { return std::max(std::min(x, hi), lo); }

// One quantize-dequantize step. `divide` picks Vars' form (x / scale) over
// Args' and PerChannel's (x * inv_scale); they differ in the last bit.
void fake_quant_run(const float* in, float* out, int64_t n, int64_t stride, float min, float max, int qmin,
                    int qmax, bool divide) {
  if (min == 0.0f && max == 0.0f) {
    for (int64_t i = 0; i < n; ++i) out[i * stride] = 0.0f;
    return;
  }
  const Nudged nd = nudge(min, max, qmin, qmax);
  const float quant_zero = std::floor(-nd.min * nd.inv_scale + 0.5f);
  for (int64_t i = 0; i < n; ++i) {
    const float shifted = clamp_to(in[i * stride], nd.min, nd.max) - nd.min;
    const float q = divide ? shifted / nd.scale : shifted * nd.inv_scale;
    out[i * stride] = std::floor(q - quant_zero + 0.5f) * nd.scale;
  }
}

Status check_num_bits(KernelInit& init, int* qmin, int* qmax) {
  int num_bits = 8;
  bool narrow_range = false;
  init.get("num_bits", &num_bits);
  init.get("narrow_range", &narrow_range);
  if (num_bits < 2 || num_bits > 16) return invalid_argument("num_bits must be between 2 and 16, inclusive");
  *qmin = narrow_range ? 1 : 0;
  *qmax = (1 << num_bits) - 1;
  return Status();
}

class FakeQuantArgsBase : public OpKernel {
 public:
  explicit FakeQuantArgsBase(KernelInit& init) {
    init.get("min", &min_);
    init.get("max", &max_);
    if (!(min_ < max_)) init.fail(invalid_argument(str_cat("min has to be smaller than max, was: ", min_, " >= ", max_)));
    Status s = check_num_bits(init, &qmin_, &qmax_);
    if (!s.ok()) init.fail(s);
  }

 protected:
  float min_ = -6.0f, max_ = 6.0f;
  int qmin_ = 0, qmax_ = 255;
};

class FakeQuantArgsKernel : public FakeQuantArgsBase {
 public:
  using FakeQuantArgsBase::FakeQuantArgsBase;
  Status compute(OpContext& ctx) override {
    special::FlushDenormals flush;
    const Tensor& x = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, x.shape());
    const float* in = x.data<float>();
    float* o = out.data<float>();
    ctx.parallel_for(x.num_elements(), kCheapCost, [&](int64_t b, int64_t e) {
      special::FlushDenormals flush;
      fake_quant_run(in + b, o + b, e - b, 1, min_, max_, qmin_, qmax_, false);
    });
    return Status();
  }
};

// gradient * 1 inside [lo, hi], gradient * 0 outside: a product, as TF
// computes it, so an infinite gradient outside the range gives NaN.
inline float pass_in_range(float g, float x, float lo, float hi) { return g * ((x >= lo && x <= hi) ? 1.0f : 0.0f); }

class FakeQuantArgsGradKernel : public FakeQuantArgsBase {
 public:
  using FakeQuantArgsBase::FakeQuantArgsBase;
  Status compute(OpContext& ctx) override {
    special::FlushDenormals flush;
    const Tensor& g = ctx.input(0);
    const Tensor& x = ctx.input(1);
    MR_REQUIRE(g.shape() == x.shape(), "Inputs to operation ", ctx.name(), " of type ", ctx.node().op,
               " must have the same size and shape.  Input 0: ", shape_str(g.shape()), " != input 1: ",
               shape_str(x.shape()));
    Tensor& out = ctx.allocate_output(0, x.shape());
    const Nudged nd = nudge(min_, max_, qmin_, qmax_);
    const float* pg = g.data<float>();
    const float* px = x.data<float>();
    float* o = out.data<float>();
    ctx.parallel_for(x.num_elements(), kCheapCost, [&](int64_t b, int64_t e) {
      special::FlushDenormals flush;
      for (int64_t i = b; i < e; ++i) o[i] = pass_in_range(pg[i], px[i], nd.min, nd.max);
    });
    return Status();
  }
};

class FakeQuantVarsBase : public OpKernel {
 public:
  explicit FakeQuantVarsBase(KernelInit& init) {
    Status s = check_num_bits(init, &qmin_, &qmax_);
    if (!s.ok()) init.fail(s);
  }

 protected:
  // min and max: rank 0 (Vars) or rank 1 of the input's last dim (PerChannel).
  static Status check_range(const Tensor& t, const char* name, int rank) {
    MR_REQUIRE(t.rank() == rank, "`", name, "` must be rank ", rank, " but is rank ", t.rank());
    return Status();
  }
  int qmin_ = 0, qmax_ = 255;
};

class FakeQuantVarsKernel : public FakeQuantVarsBase {
 public:
  using FakeQuantVarsBase::FakeQuantVarsBase;
  Status compute(OpContext& ctx) override {
    special::FlushDenormals flush;
    const Tensor& x = ctx.input(0);
    MR_RETURN_IF_ERROR(check_range(ctx.input(1), "min", 0));
    MR_RETURN_IF_ERROR(check_range(ctx.input(2), "max", 0));
    const float min = ctx.input(1).scalar_value<float>(), max = ctx.input(2).scalar_value<float>();
    Tensor& out = ctx.allocate_output(0, x.shape());
    const float* in = x.data<float>();
    float* o = out.data<float>();
    ctx.parallel_for(x.num_elements(), kCheapCost, [&](int64_t b, int64_t e) {
      special::FlushDenormals flush;
      fake_quant_run(in + b, o + b, e - b, 1, min, max, qmin_, qmax_, true);
    });
    return Status();
  }
};

// Sums as TF's Eigen reduction adds: when both operands are NaN, x86 keeps
// the first (the running sum's), which decides the NaN's sign; written out so
// the compiler's operand order cannot change it.
struct NanKeepingSum {
  static constexpr bool kTree = true;
  template <class A> static A init() { return A(0); }
  template <class A> static A apply(A a, A b) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
    return a + b;
  }
};

// The three outputs of the Vars gradients for one run of n values `stride`
// apart: the input's backprop in place, and the sums of the gradients below
// and above the nudged range, added in Eigen's order.
void fake_quant_grad_run(const float* g, const float* x, int64_t n, int64_t stride, float min, float max, int qmin,
                         int qmax, float* dx, float* dmin, float* dmax) {
  if (min == 0.0f && max == 0.0f) {
    for (int64_t i = 0; i < n; ++i) dx[i * stride] = g[i * stride];
    *dmin = *dmax = 0.0f;
    return;
  }
  const Nudged nd = nudge(min, max, qmin, qmax);
  std::vector<float> below(n), above(n);
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i * stride], xi = x[i * stride];
    dx[i * stride] = pass_in_range(gi, xi, nd.min, nd.max);
    below[i] = gi * (xi < nd.min ? 1.0f : 0.0f);
    above[i] = gi * (xi > nd.max ? 1.0f : 0.0f);
  }
  *dmin = n ? reduce_run<NanKeepingSum, float>(below.data(), 0, n) : 0.0f;
  *dmax = n ? reduce_run<NanKeepingSum, float>(above.data(), 0, n) : 0.0f;
}

class FakeQuantVarsGradKernel : public FakeQuantVarsBase {
 public:
  using FakeQuantVarsBase::FakeQuantVarsBase;
  Status compute(OpContext& ctx) override {
    special::FlushDenormals flush;
    const Tensor& g = ctx.input(0);
    const Tensor& x = ctx.input(1);
    MR_REQUIRE(g.shape() == x.shape(), "gradient and input must be the same size");
    MR_RETURN_IF_ERROR(check_range(ctx.input(2), "min", 0));
    MR_RETURN_IF_ERROR(check_range(ctx.input(3), "max", 0));
    const float min = ctx.input(2).scalar_value<float>(), max = ctx.input(3).scalar_value<float>();
    Tensor& dx = ctx.allocate_output(0, x.shape());
    Tensor& dmin = ctx.allocate_output(1, {});
    Tensor& dmax = ctx.allocate_output(2, {});
    fake_quant_grad_run(g.data<float>(), x.data<float>(), x.num_elements(), 1, min, max, qmin_, qmax_,
                        dx.data<float>(), dmin.data<float>(), dmax.data<float>());
    return Status();
  }
};

// PerChannel: the input as [rows, depth], depth its last dim; one range per
// column. TF checks nothing for a rank-0 input (and crashes); this says what
// TF's shape function would.
Status check_per_channel(const Tensor& x, const Tensor& min, const Tensor& max, int64_t* depth) {
  MR_REQUIRE(x.rank() >= 1, "Shape must be at least rank 1 but is rank 0");
  *depth = x.dim(x.rank() - 1);
  MR_REQUIRE(min.rank() == 1, "`min` must be rank 1 but is rank ", min.rank());
  MR_REQUIRE(max.rank() == 1, "`max` must be rank 1 but is rank ", max.rank());
  MR_REQUIRE(min.dim(0) == *depth, "min has incorrect size, expected ", *depth, " was ", min.dim(0));
  MR_REQUIRE(max.dim(0) == *depth, "max has incorrect size, expected ", *depth, " was ", max.dim(0));
  return Status();
}

class FakeQuantPerChannelKernel : public FakeQuantVarsBase {
 public:
  using FakeQuantVarsBase::FakeQuantVarsBase;
  Status compute(OpContext& ctx) override {
    special::FlushDenormals flush;
    const Tensor& x = ctx.input(0);
    int64_t depth = 0;
    MR_RETURN_IF_ERROR(check_per_channel(x, ctx.input(1), ctx.input(2), &depth));
    Tensor& out = ctx.allocate_output(0, x.shape());
    if (x.num_elements() == 0) return Status();
    const int64_t rows = x.num_elements() / depth;
    const float* in = x.data<float>();
    const float* mins = ctx.input(1).data<float>();
    const float* maxs = ctx.input(2).data<float>();
    float* o = out.data<float>();
    ctx.parallel_for(depth, double(rows), [&](int64_t b, int64_t e) {
      special::FlushDenormals flush;
      for (int64_t c = b; c < e; ++c) fake_quant_run(in + c, o + c, rows, depth, mins[c], maxs[c], qmin_, qmax_, false);
    });
    return Status();
  }
};

class FakeQuantPerChannelGradKernel : public FakeQuantVarsBase {
 public:
  using FakeQuantVarsBase::FakeQuantVarsBase;
  Status compute(OpContext& ctx) override {
    special::FlushDenormals flush;
    const Tensor& g = ctx.input(0);
    const Tensor& x = ctx.input(1);
    MR_REQUIRE(g.shape() == x.shape(), "gradient and input must be the same size");
    int64_t depth = 0;
    MR_RETURN_IF_ERROR(check_per_channel(x, ctx.input(2), ctx.input(3), &depth));
    Tensor& dx = ctx.allocate_output(0, x.shape());
    Tensor& dmin = ctx.allocate_output(1, {depth});
    Tensor& dmax = ctx.allocate_output(2, {depth});
    const int64_t rows = depth ? x.num_elements() / depth : 0;
    const float* pg = g.data<float>();
    const float* px = x.data<float>();
    const float* mins = ctx.input(2).data<float>();
    const float* maxs = ctx.input(3).data<float>();
    float* pdx = dx.data<float>();
    float* pmin = dmin.data<float>();
    float* pmax = dmax.data<float>();
    ctx.parallel_for(depth, double(rows) * 3, [&](int64_t b, int64_t e) {
      special::FlushDenormals flush;
      for (int64_t c = b; c < e; ++c)
        fake_quant_grad_run(pg + c, px + c, rows, depth, mins[c], maxs[c], qmin_, qmax_, pdx + c, pmin + c, pmax + c);
    });
    return Status();
  }
};

// ---- quantize and dequantize ----

enum class RoundMode { kHalfToEven, kHalfUp };

// The range a `num_bits` integer covers, and the scale that maps [min, max]
// into it keeping 0 fixed: the side that needs the smaller scale decides it,
// and the other end of the range moves to match (TF's ComputeQuantizationRange).
template <class T>
struct QuantRange {
  T min, max, scale, inv_scale;
};

template <class T>
QuantRange<T> quant_range(bool signed_input, int num_bits, bool narrow_range, T min, T max) {
  const int64_t half = int64_t(1) << (num_bits - 1);
  const int64_t min_q = signed_input ? (narrow_range ? -half + 1 : -half) : 0;
  const int64_t max_q = signed_input ? half - 1 : (int64_t(1) << num_bits) - 1;
  const T tmin_q = static_cast<T>(min_q), tmax_q = static_cast<T>(max_q);
  const T from_min = tmin_q * min > T(0) ? tmin_q / min : std::numeric_limits<T>::max();
  const T from_max = tmax_q * max > T(0) ? tmax_q / max : std::numeric_limits<T>::max();
  QuantRange<T> r{min, max, T(0), T(0)};
  if (from_min < from_max) {
    r.scale = from_min;
    r.inv_scale = min / tmin_q;
    r.max = tmax_q * r.inv_scale;
  } else {
    r.scale = from_max;
    r.inv_scale = max / tmax_q;
    r.min = tmin_q * r.inv_scale;
  }
  return r;
}

template <class T>
inline T round_as(T v, RoundMode mode) {
  return mode == RoundMode::kHalfToEven ? std::nearbyint(v) : std::floor(v + T(0.5));
}

// Quantizes `n` values `stride` apart. The range comes from the values
// themselves unless given; a given range is also a clamp.
template <class T>
void qdq_run(const T* in, T* out, int64_t n, int64_t stride, bool signed_input, int num_bits, bool narrow_range,
             RoundMode mode, bool range_given, T min, T max) {
  if (!range_given) {
    min = std::numeric_limits<T>::infinity();
    max = -std::numeric_limits<T>::infinity();
    for (int64_t i = 0; i < n; ++i) {
      const T v = in[i * stride];
      min = std::min(v, min);
      max = std::max(v, max);
    }
  }
  const QuantRange<T> r = quant_range(signed_input, num_bits, narrow_range, min, max);
  for (int64_t i = 0; i < n; ++i) {
    T v = in[i * stride];
    if (range_given) v = std::max(std::min(v, r.max), r.min);
    out[i * stride] = round_as(v * r.scale, mode) * r.inv_scale;
  }
}

// The input as [outer, depth, inner] around `axis` (depth 1 and everything
// in inner for axis -1).
struct AxisView {
  int64_t outer = 1, depth = 1, inner = 1;
};
AxisView axis_view(const Shape& s, int axis) {
  AxisView v;
  if (axis == -1) {
    v.inner = num_elements(s);
    return v;
  }
  v.outer = dims_product(s, 0, axis);
  v.depth = s[axis];
  v.inner = dims_product(s, axis + 1, s.size());
  return v;
}

template <class T>
void qdq_per_channel(OpContext& ctx, const Tensor& x, Tensor& out, const AxisView& v, bool signed_input,
                     int num_bits, bool narrow_range, RoundMode mode, bool range_given, const T* mins,
                     const T* maxs) {
  const T* in = x.data<T>();
  T* o = out.data<T>();
  ctx.parallel_for(v.depth, double(v.outer * v.inner) * 2, [&](int64_t b, int64_t e) {
      special::FlushDenormals flush;
    for (int64_t c = b; c < e; ++c) {
      // Gather the channel so one strided run covers it.
      std::vector<T> chan(v.outer * v.inner), res(v.outer * v.inner);
      for (int64_t p = 0; p < v.outer; ++p)
        std::copy_n(in + (p * v.depth + c) * v.inner, v.inner, chan.data() + p * v.inner);
      qdq_run(chan.data(), res.data(), int64_t(chan.size()), 1, signed_input, num_bits, narrow_range, mode,
              range_given, range_given ? mins[c] : T(0), range_given ? maxs[c] : T(0));
      for (int64_t p = 0; p < v.outer; ++p)
        std::copy_n(res.data() + p * v.inner, v.inner, o + (p * v.depth + c) * v.inner);
    }
  });
}

bool scalar(const Tensor& t) { return t.rank() == 0; }

// QuantizeAndDequantizeV2 and V4 (one kernel in TF too).
template <class T>
class QdqV2Kernel : public OpKernel {
 public:
  explicit QdqV2Kernel(KernelInit& init) {
    init.get("signed_input", &signed_input_);
    init.get("axis", &axis_);
    init.get("num_bits", &num_bits_);
    init.get("range_given", &range_given_);
    init.get("narrow_range", &narrow_range_);
    if (!(num_bits_ > 0 && num_bits_ < (signed_input_ ? 62 : 63)))
      init.fail(invalid_argument(
          str_cat("num_bits is out of range: ", num_bits_, " with signed_input_ ", signed_input_ ? 1 : 0)));
    std::string mode = "HALF_TO_EVEN";
    init.get("round_mode", &mode);
    if (mode != "HALF_UP" && mode != "HALF_TO_EVEN")
      init.fail(invalid_argument("Round mode string must be 'HALF_UP' or 'HALF_TO_EVEN', is '" + mode + "'"));
    mode_ = mode == "HALF_UP" ? RoundMode::kHalfUp : RoundMode::kHalfToEven;
  }

  Status compute(OpContext& ctx) override {
    special::FlushDenormals flush;
    const Tensor& x = ctx.input(0);
    MR_REQUIRE(axis_ >= -1, "Axis must be at least -1. Found ", axis_);
    MR_REQUIRE(axis_ == -1 || axis_ < x.rank(), "Shape must be at least rank ", axis_ + 1, " but is rank ",
               x.rank());
    const Tensor& min = ctx.input(1);
    const Tensor& max = ctx.input(2);
    T lo = T(0), hi = T(0);
    if (range_given_) {
      // TF 2.21 asks for scalars before it looks at the axis, so a given
      // per-channel range always fails, with the rank-1 message.
      MR_REQUIRE(scalar(min), "input_min must be a scalar.");
      MR_REQUIRE(scalar(max), "input_max must be a scalar.");
      MR_REQUIRE(axis_ == -1, "Shape must be rank 1 for input_min_tensor when the axis is specified");
      lo = min.scalar_value<T>();
      hi = max.scalar_value<T>();
      MR_REQUIRE(lo <= hi, "Invalid range: input_min ", lo, " > input_max ", hi);
    }
    Tensor& out = ctx.allocate_output(0, x.shape());
    const AxisView v = axis_view(x.shape(), axis_);
    if (axis_ == -1) {
      qdq_run(x.data<T>(), out.data<T>(), v.inner, 1, signed_input_, num_bits_, narrow_range_, mode_, range_given_,
              lo, hi);
    } else {
      qdq_per_channel<T>(ctx, x, out, v, signed_input_, num_bits_, narrow_range_, mode_, false, nullptr, nullptr);
    }
    return Status();
  }

 private:
  bool signed_input_ = true, range_given_ = false, narrow_range_ = false;
  int axis_ = -1, num_bits_ = 8;
  RoundMode mode_ = RoundMode::kHalfToEven;
};

template <class T>
class QdqV3Kernel : public OpKernel {
 public:
  explicit QdqV3Kernel(KernelInit& init) {
    init.get("signed_input", &signed_input_);
    init.get("range_given", &range_given_);
    init.get("narrow_range", &narrow_range_);
    init.get("axis", &axis_);
  }

  Status compute(OpContext& ctx) override {
    special::FlushDenormals flush;
    const Tensor& x = ctx.input(0);
    const int rank = x.rank();
    MR_REQUIRE(-rank <= axis_ && axis_ < rank, "Axis requested is larger than input dimensions. Axis: ", axis_,
               " Input Dimensions: ", rank);
    // TF indexes the shape with an axis below -1 (and crashes).
    MR_REQUIRE(axis_ >= -1, "Axis must be at least -1. Found ", axis_);
    const Tensor& bits = ctx.input(3);
    MR_REQUIRE(scalar(bits), "Invalid shape. The `num_bits` tensor should be a scalar. Got dimensions: ", bits.rank());
    const int num_bits = bits.scalar_value<int32_t>();
    MR_REQUIRE(num_bits > 0 && num_bits < (signed_input_ ? 62 : 63), "num_bits is out of range: ", num_bits,
               " with `signed_input_` ", signed_input_ ? 1 : 0);
    const Tensor& min = ctx.input(1);
    const Tensor& max = ctx.input(2);
    const AxisView v = axis_view(x.shape(), axis_);
    T lo = T(0), hi = T(0);
    if (range_given_ && axis_ == -1) {
      // TF reads one element whatever the shape (and crashes on another count).
      MR_REQUIRE(min.num_elements() == 1, "input_min must be a scalar.");
      MR_REQUIRE(max.num_elements() == 1, "input_max must be a scalar.");
      lo = min.data<T>()[0];
      hi = max.data<T>()[0];
      MR_REQUIRE(lo <= hi, "Invalid range: input_min ", lo, " > input_max ", hi);
    } else if (range_given_) {
      MR_REQUIRE(min.rank() == 1, "Shape must be rank 1 for input_min_tensor when the axis is specified");
      MR_REQUIRE(max.rank() == 1, "Shape must be rank 1 for input_max_tensor when the axis is specified");
      MR_REQUIRE(min.dim(0) == v.depth, "input_min_tensor has incorrect size, was ", min.dim(0), " expected ",
                 v.depth, " to match dim ", axis_, " of the input ", shape_str(min.shape()));
      MR_REQUIRE(max.dim(0) == v.depth, "input_max_tensor has incorrect size, was ", max.dim(0), " expected ",
                 v.depth, " to match dim ", axis_, " of the input ", shape_str(max.shape()));
    }
    Tensor& out = ctx.allocate_output(0, x.shape());
    if (axis_ == -1) {
      qdq_run(x.data<T>(), out.data<T>(), v.inner, 1, signed_input_, num_bits, narrow_range_, RoundMode::kHalfToEven,
              range_given_, lo, hi);
    } else {
      qdq_per_channel<T>(ctx, x, out, v, signed_input_, num_bits, narrow_range_, RoundMode::kHalfToEven,
                         range_given_, range_given_ ? min.data<T>() : nullptr, range_given_ ? max.data<T>() : nullptr);
    }
    return Status();
  }

 private:
  bool signed_input_ = true, range_given_ = true, narrow_range_ = false;
  int axis_ = -1;
};

// Straight-through inside [min, max] (per channel along `axis`), zero
// outside; the range itself gets zero gradients.
template <class T>
class QdqV4GradKernel : public OpKernel {
 public:
  explicit QdqV4GradKernel(KernelInit& init) { init.get("axis", &axis_); }

  Status compute(OpContext& ctx) override {
    special::FlushDenormals flush;
    const Tensor& g = ctx.input(0);
    const Tensor& x = ctx.input(1);
    const Tensor& min = ctx.input(2);
    const Tensor& max = ctx.input(3);
    MR_REQUIRE(axis_ >= -1, "Axis must be at least -1. Found ", axis_);
    MR_REQUIRE(axis_ == -1 || axis_ < x.rank(), "Axis should be -1 or 0 or a positive value less than ", x.rank(),
               "but given axis value was ", axis_);
    MR_REQUIRE(g.shape() == x.shape(), "gradient and input must be the same size");
    MR_REQUIRE(min.rank() <= 1, "Input min tensor must have dimension 0 or 1. Received ", min.rank(), ".");
    MR_REQUIRE(max.rank() <= 1, "Input max tensor must have dimension 0 or 1. Received ", max.rank(), ".");
    const AxisView v = axis_view(x.shape(), axis_);
    if (axis_ != -1) {
      MR_REQUIRE(min.rank() == 1, "Shape must be rank 1 for input_min_tensor when the axis is specified");
      MR_REQUIRE(max.rank() == 1, "Shape must be rank 1 for input_max_tensor when the axis is specified");
      MR_REQUIRE(min.dim(0) == v.depth, "min has incorrect size, expected ", v.depth, " was ", min.dim(0));
      MR_REQUIRE(max.dim(0) == v.depth, "max has incorrect size, expected ", v.depth, " was ", max.dim(0));
    } else {
      MR_REQUIRE(scalar(min), "input_min must be a scalar if axis is unspecified");
      MR_REQUIRE(scalar(max), "input_max must be a scalar if axis is unspecified");
    }
    Tensor& dx = ctx.allocate_output(0, x.shape());
    Tensor& dmin = ctx.allocate_output(1, min.shape());
    Tensor& dmax = ctx.allocate_output(2, max.shape());
    std::fill_n(dmin.data<T>(), dmin.num_elements(), T(0));
    std::fill_n(dmax.data<T>(), dmax.num_elements(), T(0));
    const T* pg = g.data<T>();
    const T* px = x.data<T>();
    const T* mins = min.data<T>();
    const T* maxs = max.data<T>();
    T* o = dx.data<T>();
    const int64_t block = v.depth * v.inner;
    ctx.parallel_for(x.num_elements(), kCheapCost, [&](int64_t b, int64_t e) {
      special::FlushDenormals flush;
      for (int64_t i = b; i < e; ++i) {
        const int64_t c = axis_ == -1 ? 0 : (i % block) / v.inner;
        const bool in = px[i] >= mins[c] && px[i] <= maxs[c];
        o[i] = pg[i] * (in ? T(1) : T(0));
      }
    });
    return Status();
  }

 private:
  int axis_ = -1;
};

template <class K>
auto fixed = [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> { return new_kernel<K>(init); };

template <template <class> class K>
auto typed = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<decltype(tag)>>(init);
};

using FloatOnly = TypeList<float>;
using QdqTypes = TypeList<float, double>;

}  // namespace

void register_fake_quant_ops(Registry& r) {
  const TypeFrom in0 = TypeFrom::input_at(0);
  r.add<FloatOnly>("FakeQuantWithMinMaxArgs", fixed<FakeQuantArgsKernel>, in0);
  r.add<FloatOnly>("FakeQuantWithMinMaxArgsGradient", fixed<FakeQuantArgsGradKernel>, in0);
  r.add<FloatOnly>("FakeQuantWithMinMaxVars", fixed<FakeQuantVarsKernel>, in0);
  r.add<FloatOnly>("FakeQuantWithMinMaxVarsGradient", fixed<FakeQuantVarsGradKernel>, in0);
  r.add<FloatOnly>("FakeQuantWithMinMaxVarsPerChannel", fixed<FakeQuantPerChannelKernel>, in0);
  r.add<FloatOnly>("FakeQuantWithMinMaxVarsPerChannelGradient", fixed<FakeQuantPerChannelGradKernel>, in0);
  r.add<QdqTypes>("QuantizeAndDequantizeV2", typed<QdqV2Kernel>);
  r.add<QdqTypes>("QuantizeAndDequantizeV3", typed<QdqV3Kernel>);
  r.add<QdqTypes>("QuantizeAndDequantizeV4", typed<QdqV2Kernel>);
  r.add<QdqTypes>("QuantizeAndDequantizeV4Grad", typed<QdqV4GradKernel>);
}

}  // namespace metarun
