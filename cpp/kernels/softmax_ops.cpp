// Softmax and LogSoftmax over the last axis, and the index-picking
// reductions ArgMax, ArgMin and TopKV2.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/util/eigen_exp.h"
#include "kernels/util/reduce_order.h"

namespace metarun {
namespace {

// Row helpers in fixed-size blocks over restrict pointers, which GCC's -O2
// vectorizer handles (it skips loops that need a runtime epilogue).
constexpr int64_t kBlock = 16;

template <class T>
Compute<T> row_max(const T* __restrict x, int64_t n) {
  using C = Compute<T>;
  C lane[kBlock];
  for (int64_t l = 0; l < kBlock; ++l) lane[l] = C(x[0]);
  int64_t j = 0;
  for (; j + kBlock <= n; j += kBlock)
    for (int64_t l = 0; l < kBlock; ++l) lane[l] = lane[l] < C(x[j + l]) ? C(x[j + l]) : lane[l];
  C m = lane[0];
  for (int64_t l = 1; l < kBlock; ++l) m = m < lane[l] ? lane[l] : m;
  for (; j < n; ++j) m = m < C(x[j]) ? C(x[j]) : m;
  return m;
}

template <class T>
void shift(const T* __restrict x, Compute<T> m, T* __restrict y, int64_t n) {
  int64_t j = 0;
  for (; j + kBlock <= n; j += kBlock)
    for (int64_t l = 0; l < kBlock; ++l) y[j + l] = T(Compute<T>(x[j + l]) - m);
  for (; j < n; ++j) y[j] = T(Compute<T>(x[j]) - m);
}

template <class T>
void offset(T* __restrict y, Compute<T> s, int64_t n) {
  int64_t j = 0;
  for (; j + kBlock <= n; j += kBlock)
    for (int64_t l = 0; l < kBlock; ++l) y[j + l] = T(Compute<T>(y[j + l]) - s);
  for (; j < n; ++j) y[j] = T(Compute<T>(y[j]) - s);
}

template <class T>
void scale(T* __restrict y, Compute<T> s, int64_t n) {
  int64_t j = 0;
  for (; j + kBlock <= n; j += kBlock)
    for (int64_t l = 0; l < kBlock; ++l) y[j + l] = T(Compute<T>(y[j + l]) * s);
  for (; j < n; ++j) y[j] = T(Compute<T>(y[j]) * s);
}

// TF's formula: shift by the row max, exponentiate, sum in Eigen's row order,
// then multiply by the reciprocal (Softmax) or subtract the log (LogSoftmax).
template <class T, bool kLog>
class SoftmaxKernel : public OpKernel {
 public:
  explicit SoftmaxKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    MR_REQUIRE(in.rank() >= 1, "logits must have >= 1 dimension, got ", shape_str(in.shape()));
    Tensor& out = ctx.allocate_output(0, in.shape());
    const int64_t n = in.num_elements();
    if (n == 0) return Status();
    const int64_t classes = in.dim(in.rank() - 1);
    const T* x = in.data<T>();
    T* y = out.data<T>();
    using C = Compute<T>;
    ctx.parallel_for(n / classes, double(classes) * 15, [&](int64_t b, int64_t e) {
      std::vector<T> ex(kLog ? classes : 0);
      for (int64_t r = b; r < e; ++r) {
        const T* xr = x + r * classes;
        T* yr = y + r * classes;
        const C m = row_max(xr, classes);
        // Softmax keeps exp(shifted) in the output; LogSoftmax the shift itself.
        T* er = kLog ? ex.data() : yr;
        shift(xr, m, er, classes);
        if (kLog) std::copy(er, er + classes, yr);
        if constexpr (std::is_same_v<T, float>) {
          eigen_exp_n(er, er, classes);
        } else {
          for (int64_t j = 0; j < classes; ++j) er[j] = T(eigen_exp(C(er[j])));
        }
        // The row sum sees the row at its absolute offset in the batch.
        const T sum = reduce_run<SumOp, T>(er, r * classes, classes);
        if (kLog) {
          offset(yr, C(T(std::log(C(sum)))), classes);
        } else {
          scale(yr, C(T(C(1) / C(sum))), classes);
        }
      }
    });
    return Status();
  }
};

// Writes int64 indices into an int16/uint16/int32/int64 tensor (wrapping, as
// TF's cast does).
void store_indices(const std::vector<int64_t>& idx, Tensor* out) {
  const int64_t n = static_cast<int64_t>(idx.size());
  auto store = [&](auto* y) {
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<std::remove_pointer_t<decltype(y)>>(idx[i]);
  };
  switch (out->dtype()) {
    case DType::kInt16: store(out->data<int16_t>()); break;
    case DType::kUInt16: store(out->data<uint16_t>()); break;
    case DType::kInt32: store(out->data<int32_t>()); break;
    default: store(out->data<int64_t>()); break;
  }
}

// ArgMax/ArgMin: the first index of the extreme value; NaN never wins (TF's
// Eigen pair reducer compares with < and >, and starts from index 0).
template <class T, bool kMax>
class ArgKernel : public OpKernel {
 public:
  explicit ArgKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const int rank = in.rank();
    int64_t axis = 0;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "dim must be a scalar, but received tensor of shape: {}", &axis, true));
    MR_REQUIRE(axis >= -rank && axis < rank, "Expected dimension in the range [", -rank, ", ",
               rank, "), but got ", axis);
    if (axis < 0) axis += rank;
    MR_REQUIRE(in.dim(axis) > 0, "Reduction axis ", axis, " is empty in shape ",
               shape_str(in.shape()));
    Shape out_shape;
    for (int d = 0; d < rank; ++d)
      if (d != axis) out_shape.push_back(in.dim(d));
    const int64_t outer = dims_product(in.shape(), 0, axis), inner = dims_product(in.shape(), axis + 1, rank);
    const int64_t len = in.dim(axis);
    Tensor& out = ctx.allocate_output(0, out_shape);
    const T* x = in.data<T>();
    std::vector<int64_t> best(outer * inner);
    ctx.parallel_for(outer * inner, double(len), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        const T* p = x + (o / inner) * len * inner + (o % inner);
        int64_t arg = 0;
        auto best_v = Compute<T>(T(kMax ? std::numeric_limits<Compute<T>>::lowest()
                                        : std::numeric_limits<Compute<T>>::max()));
        for (int64_t k = 0; k < len; ++k) {
          const auto v = Compute<T>(p[k * inner]);
          if (kMax ? v > best_v : v < best_v) {
            best_v = v;
            arg = k;
          }
        }
        best[o] = arg;
      }
    });
    store_indices(best, &out);
    return Status();
  }
};

// TopKV2 along the last dim: values sorted descending, ties by lower index.
template <class T>
class TopKKernel : public OpKernel {
 public:
  explicit TopKKernel(KernelInit& init) {
    if (init.has_attr("sorted")) init.get("sorted", &sorted_);
    index_type_ = init.num_outputs() > 1 ? base_type(init.output_type(1)) : DType::kInt32;
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    int64_t k = 0;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "k must be scalar, got shape {}", &k));
    MR_REQUIRE(k >= 0, "Need k >= 0, got ", k);
    MR_REQUIRE(in.rank() >= 1, "input must be >= 1-D, got shape ", shape_str(in.shape()));
    const int64_t cols = in.dim(in.rank() - 1);
    MR_REQUIRE(cols >= k, "input must have at least k columns. Had ", cols, ", needed ", k);
    Shape out_shape = in.shape();
    out_shape.back() = k;
    Tensor& values = ctx.allocate_output(0, out_shape);
    Tensor& indices = ctx.allocate_output(1, out_shape);
    if (values.num_elements() == 0) return Status();
    const int64_t rows = in.num_elements() / cols;
    const T* x = in.data<T>();
    T* v = values.data<T>();
    ctx.parallel_for(rows, double(cols) * 4, [&](int64_t b, int64_t e) {
      std::vector<int64_t> idx(cols);
      for (int64_t r = b; r < e; ++r) {
        const T* xr = x + r * cols;
        std::iota(idx.begin(), idx.end(), int64_t{0});
        auto greater = [&](int64_t a, int64_t c) {
          const auto va = Compute<T>(xr[a]), vc = Compute<T>(xr[c]);
          return va > vc || (!(vc > va) && a < c);
        };
        if (k == 1) {
          std::swap(idx[0], *std::min_element(idx.begin(), idx.end(), greater));
        } else {
          std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), greater);
        }
        for (int64_t j = 0; j < k; ++j) {
          v[r * k + j] = xr[idx[j]];
          set_index(indices, r * k + j, idx[j]);
        }
      }
    });
    return Status();
  }

 private:
  void set_index(Tensor& t, int64_t i, int64_t value) const {
    switch (index_type_) {
      case DType::kInt16: t.data<int16_t>()[i] = static_cast<int16_t>(value); break;
      case DType::kInt64: t.data<int64_t>()[i] = value; break;
      default: t.data<int32_t>()[i] = static_cast<int32_t>(value); break;
    }
  }
  bool sorted_ = true;
  DType index_type_;
};

template <bool kLog>
auto softmax = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<SoftmaxKernel<decltype(tag), kLog>>(init);
};
template <bool kMax>
auto arg = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<ArgKernel<decltype(tag), kMax>>(init);
};
using ArgTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t,
                          uint8_t, uint16_t, uint32_t, uint64_t, bool>;

}  // namespace

void register_softmax_ops(Registry& r) {
  r.add<FloatTypes>("Softmax", softmax<false>);
  r.add<FloatTypes>("LogSoftmax", softmax<true>);
  r.add<ArgTypes>("ArgMax", arg<true>);
  r.add<ArgTypes>("ArgMin", arg<false>);
  r.add<RealTypes>("TopKV2", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<TopKKernel<decltype(tag)>>(init);
  });
}

}  // namespace metarun
