// AdagradDA updates: ApplyAdagradDA, SparseApplyAdagradDA and their Resource
// twins (float and double, the types TF registers on CPU).
//
// TF writes this optimizer three times, in three precisions, and the results
// differ in the last bit between them, so each is kept here as TF has it:
// - dense: all in T, with the global step cast through float;
// - sparse rows of more than one element: in T, dividing by the step rather
//   than multiplying by it;
// - sparse rows of one element: in double, rounded to T when stored (the
//   squared gradient is not rounded to T before it is accumulated).
// The sparse kernels check each index as they reach it: rows before a bad
// index have been updated when the error is returned, as in TF.
#include <string>
#include <vector>

#include "kernels/util/var_update.h"

namespace metarun {
namespace {

// Inputs after the three variables.
struct Slots {
  int grad, indices, lr, l1, l2, global_step;
};
constexpr Slots kDense{3, -1, 4, 5, 6, 7};
constexpr Slots kSparse{3, 4, 5, 6, 7, 8};

template <class T>
struct Hyper {
  T lr, l1, l2;
  int64_t global_step;
};

// The step goes through float even for double: from 2^24 on it loses bits.
template <class T>
void dense_step(const Hyper<T>& h, T* var, T* ga, T* gga, const T* grad, int64_t begin, int64_t end) {
  const T step = T(static_cast<float>(h.global_step));
  const T step_lr = T(static_cast<float>(h.global_step)) * h.lr;
  for (int64_t i = begin; i < end; ++i) {
    const T g = grad[i];
    ga[i] = ga[i] + g;
    gga[i] = gga[i] + g * g;
    const T denom = h.l2 * step_lr + sqrt_(gga[i]);
    if (h.l1 > T(0))
      var[i] = h.lr * T(-1) * sign_(ga[i]) * max_(abs_(ga[i]) - step * h.l1, T(0)) / denom;
    else
      var[i] = h.lr * ga[i] * T(-1) / denom;
  }
}

template <class T>
void sparse_row(const Hyper<T>& h, T* var, T* ga, T* gga, const T* grad, int64_t inner) {
  const T step = T(h.global_step);
  const T step_lr = step * h.lr;  // TF's round trip through double changes nothing
  for (int64_t j = 0; j < inner; ++j) {
    const T g = grad[j];
    ga[j] = ga[j] + g;
    gga[j] = gga[j] + g * g;
    const T denom = h.l2 + sqrt_(gga[j]) / step_lr;
    if (h.l1 > T(0))
      var[j] = T(-1) * sign_(ga[j]) * max_(abs_(ga[j]) / step - h.l1, T(0)) / denom;
    else
      var[j] = T(-1) * (ga[j] / step) / denom;
  }
}

template <class T>
void sparse_scalar(const Hyper<T>& h, T& var, T& ga, T& gga, T grad) {
  const double lr = h.lr, l1 = h.l1, l2 = h.l2;
  const double step = static_cast<double>(h.global_step);
  const double g = grad;
  ga = T(ga + g);
  gga = T(gga + g * g);
  const double denom = step * l2 * lr + sqrt_(gga);  // the root taken in T
  if (l1 > 0)
    var = T(sign_(-ga) * lr * max_(abs_(ga) - step * l1, 0.0) / denom);
  else
    var = T(-ga * lr / denom);
}

template <class T>
class AdagradDAKernel : public OpKernel {
 public:
  explicit AdagradDAKernel(KernelInit& init)
      : resource_(init.op().rfind("Resource", 0) == 0),
        slots_(init.op().find("Sparse") != std::string::npos ? kSparse : kDense) {
    if (!resource_)
      for (int i = 0; i < 3; ++i) init.take_ref_input(i);
    if (init.has_attr("use_locking")) init.get("use_locking", &use_locking_);
  }

  Status compute(OpContext& ctx) override {
    LockedVars vars;
    MR_RETURN_IF_ERROR(vars.acquire(ctx, resource_, 3, dtype_of<T>, use_locking_));
    const Shape& shape = vars.value(0).shape();
    for (int i = 1; i < 3; ++i)
      MR_REQUIRE(vars.value(i).shape() == shape, "var and accum do not have the same shape", shape_str(shape), " ",
                 shape_str(vars.value(i).shape()));
    const Tensor& grad = ctx.input(slots_.grad);
    if (slots_.indices < 0) {
      MR_REQUIRE(grad.shape() == shape, "var and grad do not have the same shape", shape_str(shape), " ",
                 shape_str(grad.shape()));
    } else {
      MR_REQUIRE(!shape.empty(), "var must be at least 1 dimensional");
      MR_REQUIRE(ctx.input(slots_.indices).rank() == 1, "indices must be one-dimensional");
    }
    Hyper<T> h;
    MR_RETURN_IF_ERROR(read_hyper(ctx, &h));
    T* p[3];
    for (int i = 0; i < 3; ++i) p[i] = vars.value(i).data<T>();
    if (slots_.indices < 0) {
      const T* g = grad.data<T>();
      ctx.parallel_for(grad.num_elements(), 12.0,
                       [&](int64_t b, int64_t e) { dense_step(h, p[0], p[1], p[2], g, b, e); });
    } else {
      MR_RETURN_IF_ERROR(sparse_update(h, p, shape, grad, ctx.input(slots_.indices)));
    }
    if (!resource_) ctx.set_output_ref(0, vars.var(0));
    return Status();
  }

 private:
  // TF's legacy-scalar allowance (shape [1]) is off for kernels: all four must be 0-d.
  Status read_hyper(OpContext& ctx, Hyper<T>* h) const {
    MR_RETURN_IF_ERROR(scalar_input(ctx, slots_.lr, "lr is not a scalar: {}", &h->lr));
    MR_RETURN_IF_ERROR(scalar_input(ctx, slots_.l1, "l1 regularization strength is not a scalar: {}", &h->l1));
    MR_RETURN_IF_ERROR(scalar_input(ctx, slots_.l2, "l2 regularization strength is not a scalar: {}", &h->l2));
    return scalar_input(ctx, slots_.global_step, "global_step is not a scalar: {}", &h->global_step);
  }

  Status sparse_update(const Hyper<T>& h, T* const* p, const Shape& shape, const Tensor& grad,
                       const Tensor& indices) const {
    // TF reads grad's dimensions without checking its rank (its shape
    // function rejects a mismatch when the graph is built); here it is an error.
    MR_REQUIRE(grad.rank() == static_cast<int>(shape.size()), "var and grad must have the same rank: ",
               shape_str(shape), " vs. ", shape_str(grad.shape()));
    int64_t inner = 1;
    for (size_t d = 1; d < shape.size(); ++d) {
      MR_REQUIRE(grad.dim(d) == shape[d], "var and grad must match in dimension ", d);
      inner *= shape[d];
    }
    const int64_t n = indices.dim(0);
    MR_REQUIRE(grad.dim(0) == n, "grad must be the same size as indices in the first dimension.");
    MR_REQUIRE(inner > 0, "Inner dimension should be greater than zero.");
    std::vector<int64_t> idx;
    MR_RETURN_IF_ERROR(read_indices(indices, &idx));
    const T* g = grad.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      MR_REQUIRE(idx[i] >= 0 && idx[i] < shape[0], "Index ", idx[i], " at offset ", i, " in indices is out of range");
      const int64_t at = idx[i] * inner;
      if (inner > 1)
        sparse_row(h, p[0] + at, p[1] + at, p[2] + at, g + i * inner, inner);
      else
        sparse_scalar(h, p[0][at], p[1][at], p[2][at], g[i]);
    }
    return Status();
  }

  bool resource_;
  Slots slots_;
  bool use_locking_ = false;
};

using FloatDoubleTypes = TypeList<float, double>;

auto adagrad_da() {
  return [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<AdagradDAKernel<decltype(tag)>>(init);
  };
}

}  // namespace

void register_training_ops_2(Registry& r) {
  r.add<FloatDoubleTypes>("ApplyAdagradDA", adagrad_da());
  r.add<FloatDoubleTypes>("ResourceApplyAdagradDA", adagrad_da());
  r.add<FloatDoubleTypes>("SparseApplyAdagradDA", adagrad_da());
  r.add<FloatDoubleTypes>("ResourceSparseApplyAdagradDA", adagrad_da());
}

}  // namespace metarun
