// Selection: Select, SelectV2, Where (the one-input form) and ClipByValue.
//
// Select only moves elements, so it is instantiated per element size (and
// once each for strings and handles) rather than per dtype.
#include "core/bcast.h"
#include "kernels/util/element_copier.h"
#include "kernels/util/elementwise.h"

namespace metarun {
namespace {

std::string same_shape_error(const std::string& node, int i, const Tensor& a, const Tensor& b) {
  return str_cat("Inputs to operation ", node, " of type Select must have the same size and shape.  Input 0: ",
                 shape_str(a.shape()), " != input ", i, ": ", shape_str(b.shape()));
}

// Select (TF 1.x): cond is a scalar (picks a whole input), a vector over the
// first dim of non-vector inputs, or the inputs' shape.
template <class S>
class SelectKernel : public OpKernel {
 public:
  explicit SelectKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& cond = ctx.input(0);
    const Tensor& then_t = ctx.input(1);
    const Tensor& else_t = ctx.input(2);
    if (cond.rank() == 0) {
      MR_REQUIRE(then_t.shape() == else_t.shape(), "'then' and 'else' must have the same size.  but received: ",
                 shape_str(then_t.shape()), " vs. ", shape_str(else_t.shape()));
      ctx.set_output(0, *cond.data<bool>() ? then_t : else_t);
      return Status();
    }
    const bool* c = cond.data<bool>();
    const S* x = then_t.data<S>();
    const S* y = else_t.data<S>();
    if (cond.rank() == 1 && then_t.rank() != 1) {
      MR_REQUIRE(then_t.rank() >= 1, "'then' must be at least a vector, but saw shape: ", shape_str(then_t.shape()));
      MR_REQUIRE(then_t.dim(0) == cond.num_elements(), "Number of batches of 'then' must match size of 'cond', but saw: ",
                 then_t.dim(0), " vs. ", cond.num_elements());
      MR_REQUIRE(then_t.shape() == else_t.shape(), "'then' and 'else' must have the same size.  but received: ",
                 shape_str(then_t.shape()), " vs. ", shape_str(else_t.shape()));
      Tensor& out = ctx.allocate_output(0, then_t.shape());
      S* z = out.data<S>();
      const int64_t inner = cond.num_elements() ? then_t.num_elements() / cond.num_elements() : 0;
      for (int64_t b = 0; b < cond.num_elements(); ++b) {
        const S* src = (c[b] ? x : y) + b * inner;
        std::copy(src, src + inner, z + b * inner);
      }
      return Status();
    }
    if (then_t.shape() != cond.shape()) return invalid_argument(same_shape_error(ctx.name(), 1, cond, then_t));
    if (else_t.shape() != cond.shape()) return invalid_argument(same_shape_error(ctx.name(), 2, cond, else_t));
    Tensor& out = ctx.allocate_output(0, cond.shape());
    S* z = out.data<S>();
    ctx.parallel_for(cond.num_elements(), kCheapCost, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) z[i] = c[i] ? x[i] : y[i];
    });
    return Status();
  }
};

// SelectV2: cond, then and else broadcast against each other.
template <class S>
class SelectV2Kernel : public OpKernel {
 public:
  explicit SelectV2Kernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& cond = ctx.input(0);
    const Tensor& then_t = ctx.input(1);
    const Tensor& else_t = ctx.input(2);
    Broadcast bc;
    if (!Broadcast::make({&cond.shape(), &then_t.shape(), &else_t.shape()}, &bc).ok())
      return invalid_argument(str_cat("condition ", shape_str(cond.shape()), ", then ", shape_str(then_t.shape()),
                                      ", and else ", shape_str(else_t.shape()), " must be broadcastable"));
    Tensor& out = ctx.allocate_output(0, bc.out_shape());
    const bool* c = cond.data<bool>();
    const S* x = then_t.data<S>();
    const S* y = else_t.data<S>();
    S* z = out.data<S>();
    bc.for_each_row(ctx.pool(), kCheapCost, [&](int64_t o, const int64_t* off, const int64_t* step, int64_t n) {
      for (int64_t i = 0; i < n; ++i)
        z[o + i] = c[off[0] + i * step[0]] ? x[off[1] + i * step[1]] : y[off[2] + i * step[2]];
    });
    return Status();
  }
};

template <class T> bool nonzero(const T& v) {
  if constexpr (is_half_v<T>) return static_cast<float>(v) != 0.0f;
  else if constexpr (is_complex_v<T>) return v != T(0);
  else return v != T(0);
}

// Where: int64 coordinates [N, rank] of the true / nonzero elements, row-major.
template <class T>
class WhereKernel : public OpKernel {
 public:
  explicit WhereKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    if constexpr (std::is_same_v<T, Half>) {
      return unimplemented("No WhereOp available for float16/half type on CPU; dying in CPU WhereOp to avoid "
                           "silently creating costly copies from device.");
    }
    // TF instantiates ranks 1 to 8 only.
    MR_REQUIRE(in.rank() >= 1 && in.rank() <= 8, "WhereOp : Unhandled input dimensions: ", in.rank());
    const T* p = in.data<T>();
    const int64_t n = in.num_elements();
    int64_t count = 0;
    for (int64_t i = 0; i < n; ++i) count += nonzero(p[i]);
    const int rank = in.rank();
    Tensor& out = ctx.allocate_output(0, {count, rank});
    int64_t* o = out.data<int64_t>();
    std::vector<int64_t> pos(rank, 0);
    for (int64_t i = 0; i < n; ++i) {
      if (nonzero(p[i])) {
        std::copy(pos.begin(), pos.end(), o);
        o += rank;
      }
      for (int d = rank - 1; d >= 0; --d) {  // advance the row-major coordinate
        if (++pos[d] < in.dim(d)) break;
        pos[d] = 0;
      }
    }
    return Status();
  }
};

// std::min / std::max argument order, so NaN in t propagates as in Eigen.
template <class T> T clip_one(T v, T lo, T hi) {
  if constexpr (is_complex_v<T>) {
    // Eigen clips complex numbers part by part (its packet min/max act on lanes).
    return T(clip_one(v.real(), lo.real(), hi.real()), clip_one(v.imag(), lo.imag(), hi.imag()));
  } else {
    auto x = Compute<T>(v);
    if (Compute<T>(hi) < x) x = Compute<T>(hi);
    if (x < Compute<T>(lo)) x = Compute<T>(lo);
    return T(x);
  }
}

template <class T>
class ClipByValueKernel : public OpKernel {
 public:
  explicit ClipByValueKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& t = ctx.input(0);
    const Tensor& lo = ctx.input(1);
    const Tensor& hi = ctx.input(2);
    auto fits = [&](const Tensor& b) { return b.rank() == 0 || b.shape() == t.shape(); };
    MR_REQUIRE(fits(lo) && fits(hi),
               "clip_value_min and clip_value_max must be either of the same shape as input, or a scalar. ",
               "input shape: ", shape_str(t.shape()), "clip_value_min shape: ", shape_str(lo.shape()),
               "clip_value_max shape: ", shape_str(hi.shape()));
    Tensor& out = ctx.allocate_output(0, t.shape());
    const T* x = t.data<T>();
    const T* l = lo.data<T>();
    const T* h = hi.data<T>();
    const int64_t ls = lo.rank() ? 1 : 0, hs = hi.rank() ? 1 : 0;
    T* z = out.data<T>();
    ctx.parallel_for(t.num_elements(), kCheapCost, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) z[i] = clip_one(x[i], l[i * ls], h[i * hs]);
    });
    return Status();
  }
};

template <template <class> class K>
auto by_storage = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<Storage<decltype(tag)>>>(init);
};
template <template <class> class K>
auto typed = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<decltype(tag)>>(init);
};

using ClipTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                           complex64, complex128>;

}  // namespace

void register_select_ops(Registry& r) {
  r.add<AllTypes>("Select", by_storage<SelectKernel>);
  r.add<AllTypes>("SelectV2", by_storage<SelectV2Kernel>);
  r.add<PodTypes>("Where", typed<WhereKernel>);
  r.add<ClipTypes>("ClipByValue", typed<ClipByValueKernel>);
}

}  // namespace metarun
