// tf.data in the graph. A dataset is an immutable DatasetBase held by a
// scalar Variant tensor (what every *Dataset op outputs); an iterator is the
// mutable cursor a dataset makes, kept in an iterator resource. Iterators
// stream: each holds only what its stage buffers, never the whole data.
//
// Contract for implementations:
// - A DatasetBase never changes once published in a tensor; input datasets
//   are held by shared_ptr, so an iterator keeps its dataset (and the
//   dataset its inputs) alive.
// - get_next on one iterator is never called concurrently (the iterator
//   resource serializes callers); an iterator may use ctx.pool() itself.
// - get_next returns an element in `out` (one tensor per component) with
//   *end = false, or *end = true and `out` untouched at the end of the
//   sequence; once ended it keeps answering end. An error Status is
//   returned as is (the iterator may be called again after it).
// - The IterCtx is valid only during the call it is passed to: keep no
//   pointer to it (nor to its function caller) past that call.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"
#include "core/tensor.h"
#include "framework/kernel.h"

namespace metarun {

// What a dataset stage needs of the run it serves: the function caller (for
// map/filter/flat_map functions), the intra-op pool, resources and
// cancellation. Copied from the OpContext of the op that drives the
// iterator (IteratorGetNext, MakeIterator...). call() is thread-safe.
class IterCtx {
 public:
  explicit IterCtx(const OpContext& op) : env_(op.env()) {}
  explicit IterCtx(const RunEnv& env) : env_(env) {}

  Status call(const Function& f, const std::vector<Tensor>& args, std::vector<Tensor>* rets) const {
    if (!env_.caller) return internal_error("A dataset function cannot be called here");
    return env_.caller->call(f, args, rets);
  }
  ThreadPool* pool() const { return env_.pool; }
  ResourceMgr* resources() const { return env_.resources; }
  bool cancelled() const { return env_.cancelled && env_.cancelled->load(std::memory_order_relaxed); }
  const RunEnv& env() const { return env_; }

 private:
  RunEnv env_;
};

// Memory a dataset gathers before it yields (a batch's elements, a shuffle
// buffer, an in-memory cache) is bounded, as one tensor's is: past a quarter
// of the machine (the gathering vectors grow by doubling, and the batch built
// from them needs as much again) it is TF's OOM error, not the OOM killer (a huge batch_size or
// buffer_size over an endless input). `add` per element gathered (`count`:
// how many the gathering is for, named in the error), `remove` per element
// let go.
class GatherBudget {
 public:
  Status add(const std::vector<Tensor>& e, int64_t count) {
    bytes_ += cost(e);
    if (bytes_ <= max_allocation_bytes() / 4 || e.empty()) return Status();
    Shape s{count};
    s.insert(s.end(), e[0].shape().begin(), e[0].shape().end());
    return oom_status(e[0].dtype(), s);
  }
  void remove(const std::vector<Tensor>& e) { bytes_ -= std::min(bytes_, cost(e)); }

 private:
  static size_t cost(const std::vector<Tensor>& e) {
    // The element (twice: a growing vector's slack), its heap block, and each
    // tensor's bookkeeping (handle, buffer control block, allocation header).
    size_t n = 2 * sizeof(e) + 64 + e.size() * 160;
    for (const Tensor& t : e) n += t.nbytes();
    return n;
  }
  size_t bytes_ = 0;
};

class IteratorBase {
 public:
  virtual ~IteratorBase() = default;
  virtual Status get_next(IterCtx& ctx, std::vector<Tensor>* out, bool* end) = 0;
};

constexpr int64_t kInfiniteCardinality = -1;
constexpr int64_t kUnknownCardinality = -2;

class DatasetBase : public VariantValue, public std::enable_shared_from_this<DatasetBase> {
 public:
  DatasetBase(std::vector<DType> dtypes, std::vector<PartialShape> shapes)
      : dtypes_(std::move(dtypes)), shapes_(std::move(shapes)) {}

  const std::vector<DType>& output_dtypes() const { return dtypes_; }
  const std::vector<PartialShape>& output_shapes() const { return shapes_; }

  // A fresh iterator at the start of the sequence.
  virtual Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const = 0;
  // Number of elements, or kInfiniteCardinality / kUnknownCardinality.
  virtual int64_t cardinality() const { return kUnknownCardinality; }

  std::string type_name() const override { return "tensorflow::data::WrappedDatasetVariant"; }
  std::shared_ptr<const DatasetBase> self() const { return shared_from_this(); }

 private:
  std::vector<DType> dtypes_;
  std::vector<PartialShape> shapes_;
};

// The dataset a scalar Variant tensor holds.
inline Status get_dataset(const Tensor& t, std::shared_ptr<const DatasetBase>* out) {
  if (t.dtype() != DType::kVariant || t.num_elements() != 1)
    return invalid_argument("Dataset tensor must be a scalar of type DT_VARIANT.");
  const Variant& v = *t.data<Variant>();
  auto ds = std::dynamic_pointer_cast<const DatasetBase>(v.value);
  if (!ds) return invalid_argument("Tensor must be a Dataset object.");
  *out = std::move(ds);
  return Status();
}

// A scalar Variant tensor holding `ds`.
inline Tensor dataset_tensor(std::shared_ptr<DatasetBase> ds) {
  Tensor t(DType::kVariant, {});
  t.data<Variant>()->value = std::move(ds);
  return t;
}

// Base of the kernels that build a dataset: reads the `output_types` and
// `output_shapes` attrs when the op has them; compute() publishes what
// make_dataset builds as output 0.
class DatasetOpKernel : public OpKernel {
 public:
  explicit DatasetOpKernel(KernelInit& init) {
    if (init.has_attr("output_types")) init.get("output_types", &output_types_);
    if (const AttrValue* a = init.find_attr("output_shapes")) output_shapes_ = a->list_shape;
    if (output_shapes_.size() < output_types_.size()) output_shapes_.resize(output_types_.size());
  }
  Status compute(OpContext& ctx) final {
    std::shared_ptr<DatasetBase> ds;
    MR_RETURN_IF_ERROR(make_dataset(ctx, &ds));
    ctx.set_output(0, dataset_tensor(std::move(ds)));
    return Status();
  }

 protected:
  virtual Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) = 0;
  std::vector<DType> output_types_;
  std::vector<PartialShape> output_shapes_;
};

}  // namespace metarun
