// What the tf.data kernel families share (dataset_ops, dataset_ops_2,
// dataset_readers, dataset_shuffle, iterator_ops): reading a dataset op's
// inputs and attrs, the bases of one-input datasets and of iterators,
// functions with captured inputs, and gathering and stacking a batch.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/dataset.h"

namespace metarun {

using DatasetPtr = std::shared_ptr<const DatasetBase>;

// tf.data.AUTOTUNE, as a parallelism or buffer size.
constexpr int64_t kAutotune = -1;

// ---- op inputs and attrs ----------------------------------------------------------------------

// Input i, a dataset.
inline Status input_dataset(const OpContext& ctx, int i, DatasetPtr* out) { return get_dataset(ctx.input(i), out); }

// Input i, an integer scalar of any width; `what` is the message when it is not a scalar.
inline Status int_input(const OpContext& ctx, int i, const char* what, int64_t* out) {
  return scalar_input(ctx, i, what, out, /*legacy=*/false);
}

inline Status bool_input(const OpContext& ctx, int i, const char* what, bool* out) {
  return scalar_input<bool>(ctx, i, what, out);
}

// Input i, an integer scalar of any width; not a scalar is "<name> must be a
// scalar" (the message of TF's file readers and shuffles).
inline Status scalar_arg(const OpContext& ctx, int i, const char* name, int64_t* out) {
  MR_REQUIRE(ctx.input(i).rank() == 0, name, " must be a scalar");
  return scalar_input(ctx, i, "", out);
}

// Length of a list(type) attr; 0 when the node has none.
inline int list_len(KernelInit& init, const char* attr) {
  std::vector<DType> types;
  if (init.has_attr(attr)) init.get(attr, &types);
  return static_cast<int>(types.size());
}

// ---- functions --------------------------------------------------------------------------------

// A function attr resolved when the kernel is built, plus the captured
// inputs (`other_arguments`) read when the dataset op runs; they follow the
// call's own arguments.
struct CapturedFunc {
  std::shared_ptr<const Function> fn;
  std::vector<Tensor> captured;

  Status call(IterCtx& ctx, std::vector<Tensor> args, std::vector<Tensor>* rets) const {
    if (!captured.empty()) args.insert(args.end(), captured.begin(), captured.end());
    return ctx.call(*fn, args, rets);
  }
};

// `fn` with inputs first .. first + count - 1 of the op as its captured arguments.
inline CapturedFunc capture(const std::shared_ptr<const Function>& fn, const OpContext& ctx, int first, int count) {
  CapturedFunc c;
  c.fn = fn;
  for (int i = 0; i < count; ++i) c.captured.push_back(ctx.input(first + i));
  return c;
}

// ---- datasets and iterators -------------------------------------------------------------------

// An iterator that keeps its dataset (a D) alive.
template <class D>
class DatasetIter : public IteratorBase {
 public:
  explicit DatasetIter(std::shared_ptr<const D> ds) : ds_(std::move(ds)) {}

 protected:
  std::shared_ptr<const D> ds_;
};

// A fresh It(ds) for a dataset without inputs.
template <class It, class D>
Status make_iter(const D* ds, std::unique_ptr<IteratorBase>* out) {
  *out = std::make_unique<It>(std::static_pointer_cast<const D>(ds->self()));
  return Status();
}

// An iterator over its dataset (a D) and one input iterator, `in_`, which it
// resets once that input has ended.
template <class D>
class UnaryIter : public DatasetIter<D> {
 public:
  UnaryIter(std::shared_ptr<const D> ds, std::unique_ptr<IteratorBase> in)
      : DatasetIter<D>(std::move(ds)), in_(std::move(in)) {}

 protected:
  // The next input element into *e; *end at the end of the input (from then
  // on in_ is reset and every call answers end).
  Status next_input(IterCtx& ctx, std::vector<Tensor>* e, bool* end) {
    if (!in_) {
      *end = true;
      return Status();
    }
    MR_RETURN_IF_ERROR(in_->get_next(ctx, e, end));
    if (*end) in_.reset();
    return Status();
  }

  std::unique_ptr<IteratorBase> in_;
};

// A dataset with one input dataset.
class UnaryDataset : public DatasetBase {
 public:
  UnaryDataset(DatasetPtr input, std::vector<DType> dtypes, std::vector<PartialShape> shapes)
      : DatasetBase(std::move(dtypes), std::move(shapes)), input_(std::move(input)) {}
  const DatasetPtr& input() const { return input_; }

 protected:
  // A fresh It(this dataset as a D, a fresh iterator of the input).
  template <class It, class D>
  Status make_unary_iter(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const {
    std::unique_ptr<IteratorBase> in;
    MR_RETURN_IF_ERROR(input_->make_iterator(ctx, &in));
    *out = std::make_unique<It>(std::static_pointer_cast<const D>(self()), std::move(in));
    return Status();
  }

  DatasetPtr input_;
};

// The input's elements unchanged (under the dtypes and shapes it is given).
class PassThroughDataset : public UnaryDataset {
 public:
  using UnaryDataset::UnaryDataset;
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    return input_->make_iterator(ctx, out);
  }
  int64_t cardinality() const override { return input_->cardinality(); }
};

// `in` passed through as the output of an op with these output_types and
// output_shapes attrs; an op without them keeps the input's.
inline std::shared_ptr<DatasetBase> pass_through(DatasetPtr in, const std::vector<DType>& types,
                                                 const std::vector<PartialShape>& shapes) {
  std::vector<DType> dt = types.empty() ? in->output_dtypes() : types;
  std::vector<PartialShape> sh = types.empty() ? in->output_shapes() : shapes;
  return std::make_shared<PassThroughDataset>(std::move(in), std::move(dt), std::move(sh));
}

// ---- elements ---------------------------------------------------------------------------------

// Copies n elements of src (from src_at) into dst (at dst_at); same dtype.
inline void copy_elements(const Tensor& src, int64_t src_at, const Tensor& dst, int64_t dst_at, int64_t n) {
  if (n <= 0) return;
  switch (src.dtype()) {
    case DType::kString:
      std::copy_n(src.data<std::string>() + src_at, n, dst.data<std::string>() + dst_at);
      break;
    case DType::kResource:
      std::copy_n(src.data<ResourceHandle>() + src_at, n, dst.data<ResourceHandle>() + dst_at);
      break;
    case DType::kVariant:
      std::copy_n(src.data<Variant>() + src_at, n, dst.data<Variant>() + dst_at);
      break;
    default: {
      const size_t sz = dtype_size(src.dtype());
      std::memcpy(static_cast<char*>(dst.raw()) + dst_at * sz, static_cast<const char*>(src.raw()) + src_at * sz,
                  n * sz);
    }
  }
}

// Reads up to `want` elements of *in into *elems (cleared first). At the end
// of the input *in is reset and fewer come back. What is gathered is bounded
// by a GatherBudget (TF's OOM error past it); on any error *elems is left
// empty. *in must be set.
inline Status gather_elements(IterCtx& ctx, std::unique_ptr<IteratorBase>* in, int64_t want,
                              std::vector<std::vector<Tensor>>* elems) {
  elems->clear();
  if (static_cast<int64_t>(elems->capacity()) < want) elems->reserve(std::min<int64_t>(want, 1 << 16));
  GatherBudget budget;
  while (static_cast<int64_t>(elems->size()) < want) {
    std::vector<Tensor> e;
    bool e_end = false;
    Status s = (*in)->get_next(ctx, &e, &e_end);
    if (s.ok() && e_end) {
      in->reset();
      break;
    }
    if (s.ok()) s = budget.add(e, want);
    if (!s.ok()) {
      elems->clear();
      return s;
    }
    elems->push_back(std::move(e));
  }
  return Status();
}

// Stacks equal-shaped elements (at least one) into [n, ...] tensors, one per
// component (TF's batch_util messages).
inline Status stack_elements(const std::vector<std::vector<Tensor>>& elems, std::vector<Tensor>* out) {
  const int64_t n = static_cast<int64_t>(elems.size());
  const size_t ncomp = elems[0].size();
  out->clear();
  out->reserve(ncomp);
  for (size_t c = 0; c < ncomp; ++c) {
    const Tensor& first = elems[0][c];
    for (int64_t i = 1; i < n; ++i) {
      if (elems[i][c].shape() != first.shape())
        return invalid_argument(str_cat("Cannot batch tensors with different shapes in component ", c,
                                        ". First element had shape ", shape_str(first.shape()), " and element ", i,
                                        " had shape ", shape_str(elems[i][c].shape()), "."));
    }
    Shape s{n};
    s.insert(s.end(), first.shape().begin(), first.shape().end());
    Tensor t(first.dtype(), std::move(s));
    const int64_t m = first.num_elements();
    for (int64_t i = 0; i < n; ++i) copy_elements(elems[i][c], 0, t, i * m, m);
    out->push_back(std::move(t));
  }
  return Status();
}

}  // namespace metarun
