// Softmax cross-entropy with its gradient: SoftmaxCrossEntropyWithLogits
// (dense labels, broadcastable to the logits as in TF 2) and
// SparseSoftmaxCrossEntropyWithLogits (int32/int64 class ids).
//
// Both follow TF's xent functor: shift each row by its max, then
//   loss     = sum_j labels_j * (log(sum_exp) - shifted_j)
//   backprop = exp(shifted_j) / sum_exp - labels_j
// which stays finite for large logits.
#include <cmath>
#include <vector>

#include "kernels/util/elementwise.h"

namespace metarun {
namespace {

// Softmax and loss of one row; `label(j)` gives the target probability.
template <class T, class Label>
void xent_row(const T* logits, int64_t logits_step, int64_t classes, Label label, T* loss, T* backprop) {
  using C = Compute<T>;
  C max = C(logits[0]);
  for (int64_t j = 1; j < classes; ++j) max = std::max(max, C(logits[j * logits_step]));
  C sum_exp = C(0);
  for (int64_t j = 0; j < classes; ++j) sum_exp += std::exp(C(logits[j * logits_step]) - max);
  const C log_sum = std::log(sum_exp);
  C total = C(0);
  for (int64_t j = 0; j < classes; ++j) {
    const C shifted = C(logits[j * logits_step]) - max;
    const C l = label(j);
    total += l * (log_sum - shifted);
    backprop[j] = T(std::exp(shifted) / sum_exp - l);
  }
  *loss = T(total);
}

// Broadcasts a (rank <= 2) shape against another, TF's BCast rules.
bool broadcast_2d(const Shape& a, const Shape& b, Shape* out) {
  const size_t n = std::max(a.size(), b.size());
  out->assign(n, 1);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i + a.size() >= n ? a[i + a.size() - n] : 1;
    int64_t db = i + b.size() >= n ? b[i + b.size() - n] : 1;
    if (da != db && da != 1 && db != 1) return false;
    (*out)[i] = da == 1 ? db : da;
  }
  return true;
}

// Element strides of a tensor of shape `s` read at the 2-D output `out`.
void strides_2d(const Shape& s, const Shape& out, int64_t* row, int64_t* col) {
  Shape p(2 - s.size(), 1);
  p.insert(p.end(), s.begin(), s.end());
  *col = (p[1] == 1 && out[1] != 1) ? 0 : 1;
  *row = (p[0] == 1 && out[0] != 1) ? 0 : p[1];
}

template <class T>
class SoftmaxXentKernel : public OpKernel {
 public:
  explicit SoftmaxXentKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& logits = ctx.input(0);
    const Tensor& labels = ctx.input(1);
    Shape shape = logits.shape();
    if (logits.shape() != labels.shape()) {
      MR_REQUIRE(broadcast_2d(logits.shape(), labels.shape(), &shape),
                 "logits and labels must be broadcastable: logits_size=", shape_str(logits.shape()),
                 " labels_size=", shape_str(labels.shape()));
    }
    MR_REQUIRE(shape.size() == 2,
               "logits and labels must be either 2-dimensional, or broadcasted to be 2-dimensional");
    const int64_t batch = shape[0], classes = shape[1];
    int64_t lr, lc, tr, tc;
    strides_2d(logits.shape(), shape, &lr, &lc);
    strides_2d(labels.shape(), shape, &tr, &tc);
    Tensor& loss = ctx.allocate_output(0, {batch});
    Tensor& backprop = ctx.allocate_output(1, shape);
    const T* pl = logits.data<T>();
    const T* pt = labels.data<T>();
    T* ploss = loss.data<T>();
    T* pb = backprop.data<T>();
    if (classes == 0) {
      for (int64_t b = 0; b < batch; ++b) ploss[b] = T(0);
      return Status();
    }
    ctx.parallel_for(batch, double(classes) * 30, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        const T* row_t = pt + b * tr;
        xent_row(pl + b * lr, lc, classes, [&](int64_t j) { return Compute<T>(row_t[j * tc]); },
                 ploss + b, pb + b * classes);
      }
    });
    return Status();
  }
};

template <class T, class Index>
class SparseSoftmaxXentKernel : public OpKernel {
 public:
  explicit SparseSoftmaxXentKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& logits = ctx.input(0);
    const Tensor& labels = ctx.input(1);
    MR_REQUIRE(logits.rank() == 2, "logits must be 2-D, but got shape ", shape_str(logits.shape()));
    MR_REQUIRE(labels.rank() == 1, "labels must be 1-D, but got shape ", shape_str(labels.shape()));
    MR_REQUIRE(logits.dim(0) == labels.dim(0),
               "logits and labels must have the same first dimension, got logits shape ",
               shape_str(logits.shape()), " and labels shape ", shape_str(labels.shape()));
    const int64_t batch = logits.dim(0), classes = logits.dim(1);
    MR_REQUIRE(classes > 0, "Must have at least one class, but got logits shape ",
               shape_str(logits.shape()));
    const Index* pi = labels.data<Index>();
    for (int64_t b = 0; b < batch; ++b) {
      if (pi[b] < 0 || pi[b] >= classes) {
        std::string values;
        for (int64_t k = 0; k < batch; ++k) values += str_cat(k ? " " : "", pi[k]);
        return invalid_argument(str_cat("Received a label value of ", pi[b],
                                        " which is outside the valid range of [0, ", classes,
                                        ").  Label values: ", values));
      }
    }
    Tensor& loss = ctx.allocate_output(0, {batch});
    Tensor& backprop = ctx.allocate_output(1, logits.shape());
    const T* pl = logits.data<T>();
    T* ploss = loss.data<T>();
    T* pb = backprop.data<T>();
    using C = Compute<T>;
    ctx.parallel_for(batch, double(classes) * 30, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        const int64_t target = pi[b];
        xent_row(pl + b * classes, 1, classes, [&](int64_t j) { return C(j == target ? 1 : 0); },
                 ploss + b, pb + b * classes);
      }
    });
    return Status();
  }
};

using XentTypes = TypeList<float, double, Half, BFloat16>;

auto softmax_xent = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<SoftmaxXentKernel<decltype(tag)>>(init);
};
auto sparse_softmax_xent = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  using T = decltype(tag);
  DType index = DType::kInt64;
  if (init.has_attr("Tlabels")) init.get("Tlabels", &index);
  if (index == DType::kInt32) return new_kernel<SparseSoftmaxXentKernel<T, int32_t>>(init);
  if (index == DType::kInt64) return new_kernel<SparseSoftmaxXentKernel<T, int64_t>>(init);
  init.fail(invalid_argument(str_cat("Tlabels must be int32 or int64, got ", dtype_name(index))));
  return nullptr;
};

}  // namespace

void register_xent_ops(Registry& r) {
  r.add<XentTypes>("SoftmaxCrossEntropyWithLogits", softmax_xent);
  r.add<XentTypes>("SparseSoftmaxCrossEntropyWithLogits", sparse_softmax_xent);
}

}  // namespace metarun
