// FractionalMaxPool, FractionalAvgPool and their gradients, as TF's CPU
// kernels (NHWC, pooling over rows and columns only).
//
// The pooling regions come from TF's random stream: each run seeds a fresh
// Philox generator with (seed, seed2) (or two random words when both are 0,
// so a non-deterministic op differs run to run) and draws the rows'
// sequence, then the columns', each from its own reserved slice. The
// pseudo-random sequence takes one double u from a 1-block slice and puts
// boundaries at ceil(alpha * (i + u)); the random one shuffles the sizes
// {k+1 x (in % out), k x rest} with a Fisher-Yates pass drawing `sample % n`
// from a ceil(out / 4)-block slice. TF draws even when out divides in.
//
// The max keeps the first maximum and skips NaNs (std::max order); the max
// gradient recomputes each window's argmax, where the first element counts
// even when it is NaN. The average sums in T (integers divide as integers);
// its gradient accumulates in double and converts once, as TF does.
#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <random>
#include <vector>

#include "framework/registry.h"
#include "kernels/util/philox.h"

namespace metarun {
namespace {

using FractionalTypes = TypeList<float, double, int32_t, int64_t>;

uint64_t fresh_seed() {
  static std::mutex mu;
  static std::mt19937_64 engine{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  return engine();
}

// Reserves `blocks` Philox blocks from `gen`: the slice starts where the
// generator was, which moves past it (GuardedPhiloxRandom's reservation).
Philox reserve(Philox* gen, uint64_t blocks) {
  Philox slice = *gen;
  gen->skip(blocks);
  return slice;
}

std::vector<int64_t> pseudo_random_sizes(int in, int out, Philox* gen) {
  const double alpha = static_cast<double>(in) / out;
  const int k = in / out;
  const double u_max1 = (k + 2) / alpha - 1;
  const double u_max2 = (in + 1 - k) / alpha - (out - 1);
  Philox slice = reserve(gen, 1);
  PhiloxSingle sample(&slice);
  const uint32_t hi = sample();
  const uint32_t lo = sample();
  const double u = uint64_to_unit_double(hi, lo) * std::min(u_max1, u_max2);
  std::vector<int64_t> cum(out + 1);
  cum[0] = 1;
  cum[out] = in + 1;
  for (int i = 1; i < out; ++i) cum[i] = static_cast<int>(std::ceil(alpha * (i + u)));
  std::vector<int64_t> diff(out);
  for (int i = 0; i < out; ++i) diff[i] = cum[i + 1] - cum[i];
  return diff;
}

std::vector<int64_t> random_sizes(int in, int out, Philox* gen) {
  std::vector<int64_t> diff(out, in / out);
  for (int i = 0; i < in % out; ++i) diff[i] += 1;
  Philox slice = reserve(gen, (static_cast<uint64_t>(out) + 3) / 4);
  PhiloxSingle sample(&slice);
  for (int i = 0; i + 1 < out; ++i) std::swap(diff[i], diff[i + sample() % static_cast<uint32_t>(out - i)]);
  return diff;
}

// The cumulative boundaries [0, ..., in] of `out` regions over `in`.
std::vector<int64_t> pooling_sequence(int in, int out, Philox* gen, bool pseudo_random) {
  std::vector<int64_t> diff = pseudo_random ? pseudo_random_sizes(in, out, gen) : random_sizes(in, out, gen);
  std::vector<int64_t> cum(out + 1, 0);
  for (int i = 1; i <= out; ++i) cum[i] = cum[i - 1] + diff[i - 1];
  return cum;
}

// One output row's or column's input range [start, end], clamped as TF clamps.
struct Range {
  int64_t start, end;
};

Range region(const int64_t* seq, int64_t i, bool overlapping, int64_t size) {
  const int64_t end = overlapping ? seq[i + 1] : seq[i + 1] - 1;
  return {seq[i], std::min(end, size - 1)};
}

template <class T>
class FractionalPoolKernel : public OpKernel {
 public:
  FractionalPoolKernel(KernelInit& init, bool is_max) : is_max_(is_max) {
    init.get("pooling_ratio", &ratio_);
    init.get("pseudo_random", &pseudo_random_);
    init.get("overlapping", &overlapping_);
    init.get("deterministic", &deterministic_);
    init.get("seed", &seed_);
    init.get("seed2", &seed2_);
    if (!init.status().ok()) return;
    const char* what = is_max ? "max" : "average";
    if (ratio_.size() != 4) {
      init.fail(invalid_argument("pooling_ratio field must specify 4 dimensions"));
    } else if (ratio_[0] != 1 || ratio_[3] != 1) {
      init.fail(unimplemented(str_cat("Fractional ", what, " pooling is not yet supported on the batch nor "
                                      "channel dimension.")));
    } else if (std::any_of(ratio_.begin(), ratio_.end(), [](float r) { return !(r >= 1.0f); })) {
      init.fail(invalid_argument("pooling_ratio cannot be smaller than 1"));
    } else if (deterministic_) {
      if (seed_ == 0 && seed2_ == 0) {
        seed_ = static_cast<int64_t>(fresh_seed());
        seed2_ = static_cast<int64_t>(fresh_seed());
      }
    } else if (seed_ != 0 || seed2_ != 0) {
      init.fail(invalid_argument("Both seed and seed2 should be 0 if deterministic is false."));
    }
  }

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    MR_REQUIRE(in.rank() == 4, "tensor_in must be 4-dimensional");
    int64_t is[4], os[4];
    for (int i = 0; i < 4; ++i) {
      is[i] = in.dim(i);
      MR_REQUIRE(is[i] <= std::numeric_limits<int>::max(), "tensor_in dimension ", i, " is too large");
      MR_REQUIRE(is[i] >= ratio_[i], "Pooling ratio is higher than input dimension size for dimension ", i,
                 ". Input dim size: ", is[i], " pooling ratio: ", ratio_[i]);
      os[i] = static_cast<int>(std::floor(static_cast<int>(is[i]) / ratio_[i]));
    }
    uint64_t s = static_cast<uint64_t>(seed_), s2 = static_cast<uint64_t>(seed2_);
    if (s == 0 && s2 == 0) s = fresh_seed(), s2 = fresh_seed();
    Philox gen(s, s2);
    const std::vector<int64_t> rows = pooling_sequence(static_cast<int>(is[1]), static_cast<int>(os[1]), &gen,
                                                       pseudo_random_);
    const std::vector<int64_t> cols = pooling_sequence(static_cast<int>(is[2]), static_cast<int>(os[2]), &gen,
                                                       pseudo_random_);
    Tensor& out = ctx.allocate_output(0, Shape{os[0], os[1], os[2], os[3]});
    Tensor& row_seq = ctx.allocate_output(1, Shape{static_cast<int64_t>(rows.size())});
    Tensor& col_seq = ctx.allocate_output(2, Shape{static_cast<int64_t>(cols.size())});
    std::copy(rows.begin(), rows.end(), row_seq.data<int64_t>());
    std::copy(cols.begin(), cols.end(), col_seq.data<int64_t>());
    pool(in.data<T>(), is, os, rows.data(), cols.data(), out.data<T>());
    return Status();
  }

 private:
  void pool(const T* x, const int64_t* is, const int64_t* os, const int64_t* rows, const int64_t* cols,
            T* y) const {
    const int64_t depth = is[3];
    std::vector<T> count(is_max_ ? 0 : depth);
    for (int64_t b = 0; b < is[0]; ++b)
      for (int64_t r = 0; r < os[1]; ++r) {
        const Range rr = region(rows, r, overlapping_, is[1]);
        for (int64_t c = 0; c < os[2]; ++c) {
          const Range cr = region(cols, c, overlapping_, is[2]);
          T* o = y + ((b * os[1] + r) * os[2] + c) * depth;
          std::fill(o, o + depth, is_max_ ? std::numeric_limits<T>::lowest() : T(0));
          T n = T(0);
          for (int64_t h = rr.start; h <= rr.end; ++h)
            for (int64_t w = cr.start; w <= cr.end; ++w) {
              const T* v = x + ((b * is[1] + h) * is[2] + w) * depth;
              if (is_max_) {
                for (int64_t d = 0; d < depth; ++d) o[d] = std::max(o[d], v[d]);
              } else {
                for (int64_t d = 0; d < depth; ++d) o[d] = add(o[d], v[d]);
                n = add(n, T(1));
              }
            }
          if (!is_max_)
            for (int64_t d = 0; d < depth; ++d) o[d] = divide(o[d], n);
        }
      }
  }

  static T add(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
    } else {
      return a + b;
    }
  }

  // An empty region divides by zero: TF's integer division would trap, so
  // integers give 0 there; floats give TF's NaN.
  static T divide(T a, T n) {
    if constexpr (std::is_integral_v<T>) {
      if (n == 0) return T(0);
      if (n == -1) return static_cast<T>(-static_cast<std::make_unsigned_t<T>>(a));
    }
    return a / n;
  }

  bool is_max_;
  std::vector<float> ratio_;
  bool pseudo_random_ = false, overlapping_ = false, deterministic_ = false;
  int64_t seed_ = 0, seed2_ = 0;
};

// The pooling sequences a gradient is given: at least `out + 1` boundaries,
// each region inside the input (TF aborts or reads out of bounds otherwise).
Status check_sequence(const Tensor& seq, int64_t out, int64_t in, const char* what) {
  MR_REQUIRE(seq.rank() == 1, what, " must be 1-dimensional");
  MR_REQUIRE(seq.dim(0) > out, what, " must have at least ", out + 1, " elements, got ", seq.dim(0));
  const int64_t* s = seq.data<int64_t>();
  for (int64_t i = 0; i <= out; ++i) MR_REQUIRE(s[i] >= 0 && s[i] <= in, what, "[", i, "] = ", s[i],
                                                " is outside [0, ", in, "]");
  return Status();
}

template <class T>
class FractionalMaxPoolGradKernel : public OpKernel {
 public:
  explicit FractionalMaxPoolGradKernel(KernelInit& init) { init.get("overlapping", &overlapping_); }

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& out = ctx.input(1);
    const Tensor& dy = ctx.input(2);
    MR_REQUIRE(in.rank() == 4, "orig_input should be a tensor of rank 4");
    MR_REQUIRE(in.num_elements() > 0, "orig_input must not be empty");
    MR_REQUIRE(out.rank() == 4, "orig_output should be a tensor of rank 4");
    MR_REQUIRE(out.num_elements() > 0, "orig_output must not be empty");
    MR_REQUIRE(dy.shape() == out.shape(), "out_backprop must have the shape of orig_output");
    MR_REQUIRE(in.dim(0) == out.dim(0) && in.dim(3) == out.dim(3),
               "orig_input and orig_output must agree in batch and depth");
    MR_RETURN_IF_ERROR(check_sequence(ctx.input(3), out.dim(1), in.dim(1), "row_pooling_sequence"));
    MR_RETURN_IF_ERROR(check_sequence(ctx.input(4), out.dim(2), in.dim(2), "col_pooling_sequence"));
    const int64_t* rows = ctx.input(3).data<int64_t>();
    const int64_t* cols = ctx.input(4).data<int64_t>();
    const int64_t n = in.dim(0), ih = in.dim(1), iw = in.dim(2), depth = in.dim(3);
    const int64_t oh = out.dim(1), ow = out.dim(2);
    Tensor& dx = ctx.allocate_output(0, in.shape());
    T* g = dx.data<T>();
    std::fill(g, g + dx.num_elements(), T(0));
    const T* x = in.data<T>();
    const T* d = dy.data<T>();
    std::vector<T> best(depth);
    std::vector<int64_t> arg(depth);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t r = 0; r < oh; ++r) {
        const Range rr = region(rows, r, overlapping_, ih);
        for (int64_t c = 0; c < ow; ++c) {
          const Range cr = region(cols, c, overlapping_, iw);
          std::fill(best.begin(), best.end(), std::numeric_limits<T>::lowest());
          std::fill(arg.begin(), arg.end(), -1);
          for (int64_t h = rr.start; h <= rr.end; ++h)
            for (int64_t w = cr.start; w <= cr.end; ++w) {
              const int64_t at = ((b * ih + h) * iw + w) * depth;
              for (int64_t k = 0; k < depth; ++k)
                if (best[k] < x[at + k] || arg[k] == -1) best[k] = x[at + k], arg[k] = at + k;
            }
          const int64_t o = ((b * oh + r) * ow + c) * depth;
          for (int64_t k = 0; k < depth; ++k) {
            MR_REQUIRE(arg[k] >= 0, "Invalid input backprop index: the pooling region of output (", b, ", ", r,
                       ", ", c, ") is empty");
            g[arg[k]] = add(g[arg[k]], d[o + k]);
          }
        }
      }
    return Status();
  }

 private:
  static T add(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
    } else {
      return a + b;
    }
  }

  bool overlapping_ = false;
};

template <class T>
class FractionalAvgPoolGradKernel : public OpKernel {
 public:
  explicit FractionalAvgPoolGradKernel(KernelInit& init) { init.get("overlapping", &overlapping_); }

  Status compute(OpContext& ctx) override {
    const Tensor& shape_t = ctx.input(0);
    const Tensor& dy = ctx.input(1);
    MR_REQUIRE(shape_t.rank() == 1 && shape_t.num_elements() == 4,
               "original input tensor shape must be1-dimensional and 4 elements");
    MR_REQUIRE(dy.rank() == 4, "out_backprop must be 4-dimensional");
    const int64_t* is = shape_t.data<int64_t>();
    for (int i = 0; i < 4; ++i) MR_REQUIRE(is[i] >= 0, "Dimension ", i, " of orig_input_tensor_shape is negative");
    const int64_t n = dy.dim(0), oh = dy.dim(1), ow = dy.dim(2), depth = dy.dim(3);
    MR_REQUIRE(is[0] == n && is[3] == depth, "orig_input_tensor_shape and out_backprop must agree in batch and "
               "depth");
    MR_RETURN_IF_ERROR(check_sequence(ctx.input(2), oh, is[1], "row_pooling_sequence"));
    MR_RETURN_IF_ERROR(check_sequence(ctx.input(3), ow, is[2], "col_pooling_sequence"));
    const int64_t* rows = ctx.input(2).data<int64_t>();
    const int64_t* cols = ctx.input(3).data<int64_t>();
    const int64_t ih = is[1], iw = is[2];
    std::vector<double> acc(static_cast<size_t>(n * ih * iw * depth), 0.0);
    const T* d = dy.data<T>();
    for (int64_t b = 0; b < n; ++b)
      for (int64_t r = 0; r < oh; ++r) {
        const Range rr = region(rows, r, overlapping_, ih);
        for (int64_t c = 0; c < ow; ++c) {
          const Range cr = region(cols, c, overlapping_, iw);
          const int64_t cells = (rr.end - rr.start + 1) * (cr.end - cr.start + 1);
          const int64_t o = ((b * oh + r) * ow + c) * depth;
          for (int64_t h = rr.start; h <= rr.end; ++h)
            for (int64_t w = cr.start; w <= cr.end; ++w) {
              const int64_t at = ((b * ih + h) * iw + w) * depth;
              for (int64_t k = 0; k < depth; ++k) acc[at + k] += static_cast<double>(d[o + k]) / cells;
            }
        }
      }
    Tensor& dx = ctx.allocate_output(0, Shape{is[0], is[1], is[2], is[3]});
    T* g = dx.data<T>();
    for (size_t i = 0; i < acc.size(); ++i) g[i] = to_t(acc[i]);
    return Status();
  }

 private:
  // double -> integer conversions outside the range are undefined in C++;
  // they saturate here (TF's x86 conversion gives the type's minimum).
  static T to_t(double v) {
    if constexpr (std::is_integral_v<T>) {
      if (!(v > static_cast<double>(std::numeric_limits<T>::min()) &&
            v < static_cast<double>(std::numeric_limits<T>::max())))
        return std::numeric_limits<T>::min();
    }
    return static_cast<T>(v);
  }

  bool overlapping_ = false;
};

}  // namespace

void register_fractional_pool_ops(Registry& r) {
  r.add<FractionalTypes>("FractionalMaxPool", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<FractionalPoolKernel<decltype(tag)>>(init, true);
  });
  r.add<FractionalTypes>("FractionalAvgPool", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<FractionalPoolKernel<decltype(tag)>>(init, false);
  });
  r.add<FractionalTypes>("FractionalMaxPoolGrad", [](auto tag, KernelInit& init) {
    return make_kernel<FractionalMaxPoolGradKernel<decltype(tag)>>(init);
  });
  r.add<FractionalTypes>("FractionalAvgPoolGrad", [](auto tag, KernelInit& init) {
    return make_kernel<FractionalAvgPoolGradKernel<decltype(tag)>>(init);
  });
}

}  // namespace metarun
