// CTCLoss and CTCGreedyDecoder as TF's CPU kernels. (CTCLossV2 is cuDNN's,
// GPU only in TF, so not here.)
//
// CTCLoss: the blank is the last class. Each batch entry's softmax is
// computed as Eigen computes it in TF's kernel: exp on whole AVX packets by
// Eigen's polynomial and on the tail by libm, then the sum in Eigen's
// two-accumulator packet order; alphas and betas in log space over l' (the
// labels with blanks between and around), the loss -log p(z|x) and the
// gradient softmax - occupancy. An entry of length 0, or (with
// ignore_longer_outputs_than_inputs) with more labels than steps, gets loss
// and gradient 0; an entry no path can reach gets its softmax as gradient.
// Denormals flush to zero, as in TF's kernels.
//
// CTCGreedyDecoder: per step the first maximum; its negated logit adds to
// the score; blanks and (merge_repeated) repeats are dropped.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <new>
#include <limits>
#include <vector>

#include "framework/registry.h"
#include "kernels/util/ctc.h"
#include "kernels/util/eigen_exp.h"
#include "kernels/util/special_functions.h"

namespace metarun {
namespace {

using CtcTypes = TypeList<float, double>;
using ctc::kLogZero;
using ctc::log_sum_exp;

template <class T>
constexpr int kPacket = sizeof(T) == 4 ? 8 : 4;

// y = softmax(x) over n classes, in Eigen's evaluation order (see top).
template <class T>
void eigen_softmax(const T* x, int64_t n, T* y) {
  T m = x[0];
  for (int64_t i = 1; i < n; ++i) m = std::max(m, x[i]);
  constexpr int64_t P = kPacket<T>;
  const int64_t vec_end = n / P * P;
  for (int64_t i = 0; i < n; ++i) y[i] = eigen_exp(T(x[i] - m));
  T s;
  if (vec_end > 0) {
    T acc0[P], acc1[P];
    for (int l = 0; l < P; ++l) acc0[l] = y[l];
    if (vec_end > P) {
      const int64_t end2 = n / (2 * P) * (2 * P);
      for (int l = 0; l < P; ++l) acc1[l] = y[P + l];
      for (int64_t i = 2 * P; i < end2; i += 2 * P)
        for (int l = 0; l < P; ++l) acc0[l] += y[i + l], acc1[l] += y[i + P + l];
      for (int l = 0; l < P; ++l) acc0[l] += acc1[l];
      if (vec_end > end2)
        for (int l = 0; l < P; ++l) acc0[l] += y[end2 + l];
    }
    for (int h = P / 2; h >= 1; h /= 2)
      for (int l = 0; l < h; ++l) acc0[l] += acc0[l + h];
    s = acc0[0];
    for (int64_t i = vec_end; i < n; ++i) s += y[i];
  } else {
    s = y[0];
    for (int64_t i = 1; i < n; ++i) s += y[i];
  }
  for (int64_t i = 0; i < n; ++i) y[i] = y[i] / s;
}

struct LossAttrs {
  bool collapse = false, merge = true, ignore_longer = false;
};

// The label sequences of the batch, grouped from the sparse labels (TF's
// SparseTensor checks: 2 columns, indices in bounds and strictly ordered).
Status group_labels(const Tensor& indices, const Tensor& values, int64_t batch,
                    std::vector<std::vector<int>>* labels) {
  const int64_t n = indices.dim(0);
  MR_REQUIRE(indices.dim(1) == 2, "labels_indices must have 2 columns, got ", indices.dim(1));
  const int64_t* ix = indices.data<int64_t>();
  const int32_t* v = values.data<int32_t>();
  int64_t max_len = 0;
  for (int64_t i = 0; i < n; ++i) max_len = std::max(max_len, ix[2 * i + 1] + 1);
  labels->assign(batch, {});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t b = ix[2 * i], p = ix[2 * i + 1];
    if (b < 0 || b >= batch || p < 0 || p >= max_len)
      return invalid_argument(str_cat("label SparseTensor is not valid: indices[", i, "] = [", b, ",", p,
                                      "] is out of bounds: need 0 <= index < [", batch, ",", max_len, "]"));
    if (i > 0) {
      const int64_t pb = ix[2 * i - 2], pp = ix[2 * i - 1];
      if (b < pb || (b == pb && p <= pp))
        return invalid_argument(str_cat("label SparseTensor is not valid: indices[", i, "] = [", b, ",", p,
                                        "] is ", (b == pb && p == pp) ? "repeated" : "out of order"));
    }
    (*labels)[b].push_back(v[i]);
  }
  return Status();
}

// l' for each entry, with TF's checks in TF's order.
Status label_primes(const LossAttrs& a, const std::vector<std::vector<int>>& labels, const int32_t* seq_len,
                    int num_classes, std::vector<std::vector<int>>* primes) {
  const int blank = num_classes - 1;
  primes->assign(labels.size(), {});
  for (size_t b = 0; b < labels.size(); ++b) {
    const std::vector<int>& label = labels[b];
    MR_REQUIRE(!label.empty(), "Labels length is zero in batch ", b);
    std::vector<int> l;
    bool finished = false;
    for (size_t i = 0; i < label.size(); ++i) {
      if (i > 0 && a.collapse && label[i] == label[i - 1]) continue;
      if (label[i] >= num_classes - 1) {
        finished = true;
      } else {
        MR_REQUIRE(!finished, "Saw a non-null label (index >= num_classes - 1) following a null label, batch: ",
                   b, " num_classes: ", num_classes);
        l.push_back(label[i]);
      }
    }
    for (int li : l) MR_REQUIRE(li >= 0, "All labels must be nonnegative integers, batch: ", b);
    if (!a.ignore_longer && static_cast<int64_t>(label.size()) > seq_len[b])
      return invalid_argument(str_cat("Not enough time for target transition sequence (required: ", label.size(),
                                      ", available: ", seq_len[b], ")", b,
                                      "You can turn this error into a warning by using the flag "
                                      "ignore_longer_outputs_than_inputs"));
    std::vector<int>& lp = (*primes)[b];
    for (int li : l) lp.push_back(blank), lp.push_back(li);
    lp.push_back(blank);
  }
  return Status();
}

// One batch entry: y is [steps][classes] (softmaxed), dy likewise.
template <class T>
T entry_loss(const std::vector<int>& lp, const std::vector<T>& y, int64_t steps, int64_t classes, bool merge,
             int blank, std::vector<T>* dy) {
  const int U = static_cast<int>(lp.size());
  const int Tn = static_cast<int>(steps);
  auto Y = [&](int l, int t) { return y[static_cast<size_t>(t) * classes + l]; };
  std::vector<T> alpha(static_cast<size_t>(U) * Tn, kLogZero<T>), beta(alpha);
  auto A = [&](int u, int t) -> T& { return alpha[static_cast<size_t>(t) * U + u]; };
  auto B = [&](int u, int t) -> T& { return beta[static_cast<size_t>(t) * U + u]; };
  A(0, 0) = std::log(Y(blank, 0));
  A(1, 0) = std::log(Y(U > 1 ? lp[1] : blank, 0));
  for (int t = 1; t < Tn; ++t)
    for (int u = std::max(0, U - 2 * (Tn - t)); u < std::min(U, 2 * (t + 1)); ++u) {
      T sum = kLogZero<T>;
      if (merge || lp[u] == blank) sum = A(u, t - 1);
      if (u > 0) sum = log_sum_exp(sum, A(u - 1, t - 1));
      if (u > 1 && lp[u] != blank && !(merge && lp[u] == lp[u - 2])) sum = log_sum_exp(sum, A(u - 2, t - 1));
      A(u, t) = std::log(Y(lp[u], t)) + sum;
    }
  for (int u = U - 2; u < U; ++u) B(u, Tn - 1) = 0;
  for (int t = Tn - 2; t >= 0; --t)
    for (int u = std::max(0, U - 2 * (Tn - t)); u < std::min(U, 2 * (t + 1)); ++u) {
      if (merge || lp[u] == blank) B(u, t) = log_sum_exp(B(u, t), B(u, t + 1) + std::log(Y(lp[u], t + 1)));
      if (u + 1 < U) B(u, t) = log_sum_exp(B(u, t), B(u + 1, t + 1) + std::log(Y(lp[u + 1], t + 1)));
      if (u + 2 < U && lp[u] != blank && !(merge && lp[u] == lp[u + 2]))
        B(u, t) = log_sum_exp(B(u, t), B(u + 2, t + 1) + std::log(Y(lp[u + 2], t + 1)));
    }
  T log_p = kLogZero<T>;
  for (int u = 0; u < U; ++u) log_p = log_sum_exp(log_p, A(u, 0) + B(u, 0));
  if (log_p == kLogZero<T>) {
    *dy = y;
    return -log_p;
  }
  std::vector<T> occ(classes);
  for (int t = 0; t < Tn; ++t) {
    std::fill(occ.begin(), occ.end(), kLogZero<T>);
    for (int u = 0; u < U; ++u) occ[lp[u]] = log_sum_exp(occ[lp[u]], A(u, t) + B(u, t));
    // TF takes this exp in float whatever T is.
    for (int64_t l = 0; l < classes; ++l)
      (*dy)[t * classes + l] = Y(l, t) - T(expf(static_cast<float>(occ[l] - log_p)));
  }
  return -log_p;
}

template <class T>
class CtcLossKernel : public OpKernel {
 public:
  explicit CtcLossKernel(KernelInit& init) {
    init.get("preprocess_collapse_repeated", &a_.collapse);
    init.get("ctc_merge_repeated", &a_.merge);
    if (init.has_attr("ignore_longer_outputs_than_inputs"))
      init.get("ignore_longer_outputs_than_inputs", &a_.ignore_longer);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& inputs = ctx.input(0);
    const Tensor& indices = ctx.input(1);
    const Tensor& values = ctx.input(2);
    const Tensor& seq_len = ctx.input(3);
    MR_REQUIRE(inputs.rank() == 3, "inputs is not a 3-Tensor");
    MR_REQUIRE(seq_len.rank() == 1, "sequence_length is not a vector");
    MR_REQUIRE(indices.rank() == 2, "labels_indices is not a matrix");
    MR_REQUIRE(values.rank() == 1, "labels_values is not a vector");
    const int64_t max_time = inputs.dim(0), batch = inputs.dim(1), classes = inputs.dim(2);
    MR_REQUIRE(classes <= std::numeric_limits<int>::max(), "num_classes cannot exceed max int");
    MR_REQUIRE(batch == seq_len.dim(0), "len(sequence_length) != batch_size.  len(sequence_length):  ",
               seq_len.dim(0), " batch_size: ", batch);
    MR_REQUIRE(indices.dim(0) == values.dim(0), "labels_indices and labels_values must contain the same number "
               "of rows");
    MR_REQUIRE(batch != 0, "batch_size must not be 0");
    std::vector<std::vector<int>> labels;
    MR_RETURN_IF_ERROR(group_labels(indices, values, batch, &labels));
    const int32_t* len = seq_len.data<int32_t>();
    for (int64_t b = 0; b < batch; ++b) MR_REQUIRE(len[b] <= max_time, "sequence_length(", b, ") <= ", max_time);
    MR_REQUIRE(max_time > 0 && classes > 0, "inputs must not be empty");
    for (int64_t b = 0; b < batch; ++b) MR_REQUIRE(len[b] >= 0, "seq_len(", b, ") < 0");
    std::vector<std::vector<int>> primes;
    MR_RETURN_IF_ERROR(label_primes(a_, labels, len, static_cast<int>(classes), &primes));
    T* loss = ctx.allocate_output(0, seq_len.shape()).data<T>();
    Tensor& grad_t = ctx.allocate_output(1, inputs.shape());
    T* grad = grad_t.data<T>();
    std::fill(grad, grad + grad_t.num_elements(), T(0));
    std::fill(loss, loss + batch, T(0));
    const T* x = inputs.data<T>();
    const int blank = static_cast<int>(classes) - 1;
    const double cost = static_cast<double>(max_time) * classes * 60;
    std::atomic<bool> out_of_memory{false};
    ctx.parallel_for(batch, cost, [&](int64_t lo, int64_t hi) {
      special::FlushDenormals flush;
      // a worker thread must not throw: memory that cannot be had is reported after the loop
      try {
        for (int64_t b = lo; b < hi; ++b) {
          const int64_t steps = len[b];
          if (steps == 0 || (a_.ignore_longer && static_cast<int64_t>(labels[b].size()) > steps)) continue;
          std::vector<T> y(steps * classes), dy(steps * classes, T(0));
          for (int64_t t = 0; t < steps; ++t) eigen_softmax(x + (t * batch + b) * classes, classes, &y[t * classes]);
          loss[b] = entry_loss(primes[b], y, steps, classes, a_.merge, blank, &dy);
          for (int64_t t = 0; t < steps; ++t)
            std::copy(&dy[t * classes], &dy[t * classes] + classes, grad + (t * batch + b) * classes);
        }
      } catch (const std::bad_alloc&) {
        out_of_memory = true;
      }
    });
    if (out_of_memory) throw std::bad_alloc();
    return Status();
  }

 private:
  LossAttrs a_;
};

template <class T>
class CtcGreedyDecoderKernel : public OpKernel {
 public:
  explicit CtcGreedyDecoderKernel(KernelInit& init) {
    init.get("merge_repeated", &merge_);
    if (init.has_attr("blank_index")) init.get("blank_index", &blank_index_);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& inputs = ctx.input(0);
    const Tensor& seq_len = ctx.input(1);
    MR_RETURN_IF_ERROR(ctc::check_decoder_inputs(inputs, seq_len));
    const int64_t batch = inputs.dim(1), classes = inputs.dim(2);
    MR_REQUIRE(classes <= std::numeric_limits<int>::max(), "num_classes cannot exceed max int");
    T* log_prob = ctx.allocate_output(3, Shape{batch, 1}).data<T>();
    std::fill(log_prob, log_prob + batch, T(0));
    const int64_t blank = blank_index_ < 0 ? classes + blank_index_ : blank_index_;
    MR_REQUIRE(blank >= 0 && blank < classes, "blank_index expected to be between ", -classes, " and ",
               classes - 1, " but was ", blank_index_);
    const T* x = inputs.data<T>();
    const int32_t* len = seq_len.data<int32_t>();
    std::vector<std::vector<std::vector<int>>> paths(batch, std::vector<std::vector<int>>(1));
    special::FlushDenormals flush;
    for (int64_t b = 0; b < batch; ++b) {
      int prev = -1;
      for (int64_t t = 0; t < len[b]; ++t) {
        const T* row = x + (t * batch + b) * classes;
        int best = 0;
        for (int64_t c = 1; c < classes; ++c)
          if (row[c] > row[best]) best = static_cast<int>(c);
        log_prob[b] += -row[best];
        if (best != blank && !(merge_ && best == prev)) paths[b][0].push_back(best);
        prev = best;
      }
    }
    ctc::store_paths(ctx, paths, 1);
    return Status();
  }

 private:
  bool merge_ = true;
  int64_t blank_index_ = -1;
};

}  // namespace

void register_ctc_ops(Registry& r) {
  r.add<CtcTypes>("CTCLoss", [](auto tag, KernelInit& init) { return make_kernel<CtcLossKernel<decltype(tag)>>(init); });
  r.add<CtcTypes>("CTCGreedyDecoder", [](auto tag, KernelInit& init) {
    return make_kernel<CtcGreedyDecoderKernel<decltype(tag)>>(init);
  });
}

}  // namespace metarun
