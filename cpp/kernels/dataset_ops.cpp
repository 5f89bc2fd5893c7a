// tf.data dataset kernels: sources (TensorDataset, TensorSliceDataset,
// RangeDataset), function stages (map, filter, flat_map, interleave and
// their parallel twins), batching, repeat/take/skip, zip/concatenate, the
// in-memory cache and the wrappers TF adds that leave values alone (model,
// optimize, options, thread pool...).
//
// Everything streams: an iterator holds only its own stage's buffer. Stages
// that run functions call them through the IterCtx of the get_next that asks
// for an element, so a function always runs as part of the session run that
// consumes its result. "Parallel" stages read a window of input elements and
// run the function on them across the intra-op pool, then hand the results
// out in input order (TF's deterministic order; sloppy/non-deterministic
// requests get it too, which is one of the orders TF may produce).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>

#include "framework/registry.h"
#include "kernels/dataset_util.h"
#include "kernels/util/file_access.h"

namespace metarun {
namespace {

using Element = std::vector<Tensor>;

// ---- element helpers ----------------------------------------------------------------------

// Sets n elements of dst (from at) to element 0 of value.
void fill_elements(const Tensor& value, const Tensor& dst, int64_t at, int64_t n) {
  if (n <= 0) return;
  if (is_object_type(dst.dtype())) {
    for (int64_t i = 0; i < n; ++i) copy_elements(value, 0, dst, at + i, 1);
    return;
  }
  const size_t sz = dtype_size(dst.dtype());
  char* d = static_cast<char*>(dst.raw()) + at * sz;
  std::memcpy(d, value.raw(), sz);
  for (int64_t done = 1; done < n;) {
    const int64_t m = std::min(done, n - done);
    std::memcpy(d + done * sz, d, m * sz);
    done += m;
  }
}

// What a map function's OutOfRange error means: the end of the input when
// the dataset does not promise to keep its cardinality (TF 1.x behaviour),
// else an error of its own.
Status map_out_of_range(const Status& s, bool preserve_cardinality, bool* end) {
  if (s.code() != Code::kOutOfRange) return s;
  if (preserve_cardinality)
    return invalid_argument(str_cat("Function invocation produced OutOfRangeError: ", s.message()));
  *end = true;
  return Status();
}

// ---- TensorDataset / TensorSliceDataset ---------------------------------------------------------

class TensorDatasetImpl : public DatasetBase {
 public:
  TensorDatasetImpl(Element comps, std::vector<DType> dt, std::vector<PartialShape> sh)
      : DatasetBase(std::move(dt), std::move(sh)), comps_(std::move(comps)) {}
  Status make_iterator(IterCtx&, std::unique_ptr<IteratorBase>* out) const override {
    return make_iter<Iter>(this, out);
  }
  int64_t cardinality() const override { return 1; }

 private:
  class Iter : public DatasetIter<TensorDatasetImpl> {
   public:
    using DatasetIter::DatasetIter;
    Status get_next(IterCtx&, Element* out, bool* end) override {
      *end = done_;
      if (!done_) *out = ds_->comps_;
      done_ = true;
      return Status();
    }

   private:
    bool done_ = false;
  };
  Element comps_;
};

class TensorDatasetOp : public DatasetOpKernel {
 public:
  explicit TensorDatasetOp(KernelInit& init) : DatasetOpKernel(init) {
    init.get("Toutput_types", &output_types_);
    if (output_shapes_.size() < output_types_.size()) output_shapes_.resize(output_types_.size());
  }
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    Element comps;
    for (int i = 0; i < ctx.num_inputs(); ++i) comps.push_back(ctx.input(i));
    *out = std::make_shared<TensorDatasetImpl>(std::move(comps), output_types_, output_shapes_);
    return Status();
  }
};

class TensorSliceDatasetImpl : public DatasetBase {
 public:
  TensorSliceDatasetImpl(Element comps, int64_t n, std::vector<DType> dt, std::vector<PartialShape> sh)
      : DatasetBase(std::move(dt), std::move(sh)), comps_(std::move(comps)), n_(n) {
    for (const Tensor& t : comps_) {
      Shape s(t.shape().begin() + 1, t.shape().end());
      slice_sizes_.push_back(num_elements(s));
      slice_shapes_.push_back(std::move(s));
    }
  }
  Status make_iterator(IterCtx&, std::unique_ptr<IteratorBase>* out) const override {
    return make_iter<Iter>(this, out);
  }
  int64_t cardinality() const override { return n_; }

 private:
  class Iter : public DatasetIter<TensorSliceDatasetImpl> {
   public:
    using DatasetIter::DatasetIter;
    Status get_next(IterCtx&, Element* out, bool* end) override {
      if (i_ >= ds_->n_) {
        *end = true;
        return Status();
      }
      *end = false;
      out->clear();
      out->reserve(ds_->comps_.size());
      for (size_t c = 0; c < ds_->comps_.size(); ++c) {
        const Tensor& src = ds_->comps_[c];
        Tensor t(src.dtype(), ds_->slice_shapes_[c]);
        copy_elements(src, i_ * ds_->slice_sizes_[c], t, 0, ds_->slice_sizes_[c]);
        out->push_back(std::move(t));
      }
      ++i_;
      return Status();
    }

   private:
    int64_t i_ = 0;
  };
  Element comps_;
  int64_t n_;
  std::vector<Shape> slice_shapes_;
  std::vector<int64_t> slice_sizes_;
};

class TensorSliceDatasetOp : public DatasetOpKernel {
 public:
  explicit TensorSliceDatasetOp(KernelInit& init) : DatasetOpKernel(init) {
    init.get("Toutput_types", &output_types_);
    if (output_shapes_.size() < output_types_.size()) output_shapes_.resize(output_types_.size());
  }
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    Element comps;
    int64_t n = -1;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor& t = ctx.input(i);
      MR_REQUIRE(t.rank() > 0, "All components must be at least 1-dimensional");
      if (n < 0) n = t.dim(0);
      MR_REQUIRE(t.dim(0) == n, "All components must have the same size in the 0th dimension");
      comps.push_back(t);
    }
    *out = std::make_shared<TensorSliceDatasetImpl>(std::move(comps), std::max<int64_t>(n, 0), output_types_,
                                                    output_shapes_);
    return Status();
  }
};

// ---- RangeDataset -----------------------------------------------------------------------------

Status scalar_of(DType dt, int64_t v, Tensor* out) {
  switch (dt) {
    case DType::kInt64: *out = Tensor::scalar<int64_t>(v); break;
    case DType::kInt32: *out = Tensor::scalar<int32_t>(static_cast<int32_t>(v)); break;
    case DType::kInt16: *out = Tensor::scalar<int16_t>(static_cast<int16_t>(v)); break;
    case DType::kInt8: *out = Tensor::scalar<int8_t>(static_cast<int8_t>(v)); break;
    case DType::kUInt8: *out = Tensor::scalar<uint8_t>(static_cast<uint8_t>(v)); break;
    case DType::kUInt16: *out = Tensor::scalar<uint16_t>(static_cast<uint16_t>(v)); break;
    case DType::kUInt32: *out = Tensor::scalar<uint32_t>(static_cast<uint32_t>(v)); break;
    case DType::kUInt64: *out = Tensor::scalar<uint64_t>(static_cast<uint64_t>(v)); break;
    case DType::kFloat: *out = Tensor::scalar<float>(static_cast<float>(v)); break;
    case DType::kDouble: *out = Tensor::scalar<double>(static_cast<double>(v)); break;
    default: return invalid_argument(str_cat("Unsupported dtype for RangeDataset: ", dtype_name(dt)));
  }
  return Status();
}

class RangeDatasetImpl : public DatasetBase {
 public:
  RangeDatasetImpl(int64_t start, int64_t stop, int64_t step, std::vector<DType> dt, std::vector<PartialShape> sh)
      : DatasetBase(std::move(dt), std::move(sh)), start_(start), stop_(stop), step_(step) {}
  Status make_iterator(IterCtx&, std::unique_ptr<IteratorBase>* out) const override {
    return make_iter<Iter>(this, out);
  }
  int64_t cardinality() const override {
    if (step_ > 0) return stop_ > start_ ? (stop_ - start_ - 1) / step_ + 1 : 0;
    return start_ > stop_ ? (start_ - stop_ - 1) / -step_ + 1 : 0;
  }

 private:
  class Iter : public DatasetIter<RangeDatasetImpl> {
   public:
    explicit Iter(std::shared_ptr<const RangeDatasetImpl> ds) : DatasetIter(std::move(ds)), next_(ds_->start_) {}
    Status get_next(IterCtx&, Element* out, bool* end) override {
      const int64_t step = ds_->step_;
      if (step > 0 ? next_ >= ds_->stop_ : next_ <= ds_->stop_) {
        *end = true;
        return Status();
      }
      *end = false;
      out->resize(1);
      MR_RETURN_IF_ERROR(scalar_of(ds_->output_dtypes()[0], next_, &(*out)[0]));
      next_ += step;
      return Status();
    }

   private:
    int64_t next_;
  };
  int64_t start_, stop_, step_;
};

class RangeDatasetOp : public DatasetOpKernel {
 public:
  using DatasetOpKernel::DatasetOpKernel;
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    int64_t start, stop, step;
    MR_RETURN_IF_ERROR(int_input(ctx, 0, "start must be a scalar", &start));
    MR_RETURN_IF_ERROR(int_input(ctx, 1, "stop must be a scalar", &stop));
    MR_RETURN_IF_ERROR(int_input(ctx, 2, "step must be a scalar", &step));
    MR_REQUIRE(step != 0, "step must be a non-zero integer.");
    std::vector<DType> dt = output_types_.empty() ? std::vector<DType>{DType::kInt64} : output_types_;
    std::vector<PartialShape> sh(1);
    sh[0].unknown_rank = false;
    *out = std::make_shared<RangeDatasetImpl>(start, stop, step, std::move(dt), std::move(sh));
    return Status();
  }
};

// ---- Map / ParallelMap --------------------------------------------------------------------------

class MapDatasetImpl : public UnaryDataset {
 public:
  MapDatasetImpl(DatasetPtr input, CapturedFunc fn, int64_t parallelism, bool preserve, std::vector<DType> dt,
                 std::vector<PartialShape> sh)
      : UnaryDataset(std::move(input), std::move(dt), std::move(sh)), fn_(std::move(fn)),
        parallelism_(parallelism), preserve_(preserve) {}

  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    auto self = std::static_pointer_cast<const MapDatasetImpl>(this->self());
    std::unique_ptr<IteratorBase> in;
    MR_RETURN_IF_ERROR(input_->make_iterator(ctx, &in));
    int64_t par = parallelism_;
    int threads = ctx.pool() ? ctx.pool()->num_threads() : 1;
    if (par == kAutotune) par = threads;
    if (par > 1 && threads > 1) *out = std::make_unique<ParallelIter>(self, std::move(in), par, threads);
    else *out = std::make_unique<Iter>(self, std::move(in));
    return Status();
  }
  int64_t cardinality() const override { return preserve_ ? input_->cardinality() : kUnknownCardinality; }

 private:
  class Iter : public UnaryIter<MapDatasetImpl> {
   public:
    using UnaryIter::UnaryIter;
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      Element args;
      MR_RETURN_IF_ERROR(next_input(ctx, &args, end));
      if (*end) return Status();
      Status s = ds_->fn_.call(ctx, std::move(args), out);
      if (!s.ok()) {
        MR_RETURN_IF_ERROR(map_out_of_range(s, ds_->preserve_, end));
        in_.reset();
      }
      return Status();
    }
  };

  // Reads a window of input elements, maps them across the pool, and hands
  // the results out in order. An input error takes its element's place.
  class ParallelIter : public UnaryIter<MapDatasetImpl> {
   public:
    ParallelIter(std::shared_ptr<const MapDatasetImpl> ds, std::unique_ptr<IteratorBase> in, int64_t par,
                 int threads)
        : UnaryIter(std::move(ds), std::move(in)),
          window_(std::max<int64_t>(std::min<int64_t>(par, threads) * 16, 64)) {}

    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      if (pos_ == slots_.size()) {
        if (!in_) {
          *end = true;
          return Status();
        }
        fill(ctx);
        if (slots_.empty()) {
          *end = true;
          return Status();
        }
      }
      Slot& slot = slots_[pos_++];
      if (!slot.status.ok()) {
        Status s = std::move(slot.status);
        if (!slot.from_input) {
          *end = false;
          MR_RETURN_IF_ERROR(map_out_of_range(s, ds_->preserve_, end));
          if (*end) {  // the function ended the sequence
            in_.reset();
            slots_.clear();
            pos_ = 0;
          }
          return Status();
        }
        return s;
      }
      *end = false;
      *out = std::move(slot.value);
      return Status();
    }

   private:
    struct Slot {
      Element value;
      Status status;
      bool from_input = false;
    };

    void fill(IterCtx& ctx) {
      slots_.clear();
      pos_ = 0;
      std::vector<Element>& args = args_;
      args.clear();
      while (static_cast<int64_t>(args.size()) < window_) {
        Element e;
        bool end = false;
        Status s = in_->get_next(ctx, &e, &end);
        if (!s.ok()) {
          input_error_ = std::move(s);
          break;
        }
        if (end) {
          in_.reset();
          break;
        }
        args.push_back(std::move(e));
      }
      const int64_t n = static_cast<int64_t>(args.size());
      slots_.resize(n);
      // Calls are timed so the pool is used only when a window's work is
      // worth the hand-off (cheap functions run inline, in order).
      std::atomic<int64_t> spent{0};
      auto run = [&](int64_t b, int64_t e) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int64_t i = b; i < e; ++i) slots_[i].status = ds_->fn_.call(ctx, std::move(args[i]), &slots_[i].value);
        spent += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
      };
      if (n > 1 && ctx.pool()) ctx.pool()->parallel_for(n, cost_ns_, run);
      else run(0, n);
      if (n > 0) cost_ns_ = 0.5 * cost_ns_ + 0.5 * static_cast<double>(spent.load()) / static_cast<double>(n);
      if (!input_error_.ok()) {
        Slot s;
        s.status = std::move(input_error_);
        s.from_input = true;
        input_error_ = Status();
        slots_.push_back(std::move(s));
      }
    }

    int64_t window_;
    double cost_ns_ = 1e5;  // a call's running cost estimate; starts high: the first window runs in parallel
    std::vector<Slot> slots_;
    std::vector<Element> args_;
    size_t pos_ = 0;
    Status input_error_;
  };

  CapturedFunc fn_;
  int64_t parallelism_;
  bool preserve_;
};

// Kernels whose first input is the input dataset followed by the captured
// `other_arguments` of a function attr.
class FunctionDatasetOp : public DatasetOpKernel {
 public:
  FunctionDatasetOp(KernelInit& init, const char* fn_attr)
      : DatasetOpKernel(init), fn_(init.function(fn_attr)), num_captured_(list_len(init, "Targuments")) {}

 protected:
  // The input dataset and the function with its captured arguments.
  Status inputs(OpContext& ctx, DatasetPtr* in, CapturedFunc* fn) const {
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, in));
    *fn = capture(fn_, ctx, 1, num_captured_);
    return Status();
  }
  // Index of the first input after the captured arguments.
  int after_captured() const { return 1 + num_captured_; }

  std::shared_ptr<const Function> fn_;
  int num_captured_ = 0;
};

// A stage whose one parameter is its function (filter, flat_map,
// take_while): an Impl(input, fn, output types, output shapes).
template <class Impl>
class FunctionStageOp : public FunctionDatasetOp {
 public:
  using FunctionDatasetOp::FunctionDatasetOp;
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr in;
    CapturedFunc fn;
    MR_RETURN_IF_ERROR(inputs(ctx, &in, &fn));
    *out = std::make_shared<Impl>(std::move(in), std::move(fn), output_types_, output_shapes_);
    return Status();
  }
};

class MapDatasetOp : public FunctionDatasetOp {
 public:
  // kind: 0 MapDataset, 1 ParallelMapDataset (int32 num_parallel_calls), 2 V2 (int64)
  MapDatasetOp(KernelInit& init, int kind) : FunctionDatasetOp(init, "f"), kind_(kind) {
    if (init.has_attr("preserve_cardinality")) init.get("preserve_cardinality", &preserve_);
  }
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr in;
    CapturedFunc fn;
    MR_RETURN_IF_ERROR(inputs(ctx, &in, &fn));
    int64_t par = 1;
    if (kind_ != 0) {
      MR_RETURN_IF_ERROR(int_input(ctx, after_captured(), "num_parallel_calls must be a scalar", &par));
      MR_REQUIRE(par > 0 || par == kAutotune, "num_parallel_calls must be greater than zero.");
    }
    *out = std::make_shared<MapDatasetImpl>(std::move(in), std::move(fn), par, preserve_, output_types_,
                                            output_shapes_);
    return Status();
  }

 private:
  int kind_;
  bool preserve_ = false;
};

// ---- Filter -----------------------------------------------------------------------------------

class FilterDatasetImpl : public UnaryDataset {
 public:
  FilterDatasetImpl(DatasetPtr input, CapturedFunc fn, std::vector<DType> dt, std::vector<PartialShape> sh)
      : UnaryDataset(std::move(input), std::move(dt), std::move(sh)), fn_(std::move(fn)) {}
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    return make_unary_iter<Iter, FilterDatasetImpl>(ctx, out);
  }

 private:
  class Iter : public UnaryIter<FilterDatasetImpl> {
   public:
    using UnaryIter::UnaryIter;
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      Element rets;
      for (;;) {
        if (!in_) {
          *end = true;
          return Status();
        }
        if (ctx.cancelled()) return cancelled("Iterator was cancelled");
        MR_RETURN_IF_ERROR(in_->get_next(ctx, out, end));
        if (*end) {
          in_.reset();
          return Status();
        }
        MR_RETURN_IF_ERROR(ds_->fn_.call(ctx, *out, &rets));
        if (rets.size() != 1 || rets[0].dtype() != DType::kBool || rets[0].num_elements() != 1)
          return invalid_argument("Filter predicate `predicate` must return a scalar bool.");
        if (rets[0].scalar_value<bool>()) return Status();
      }
    }
  };
  CapturedFunc fn_;
};

// ---- FlatMap / Interleave ------------------------------------------------------------------------

// Calls `fn` on an input element and makes an iterator over the dataset it returns.
Status iterator_of_element(IterCtx& ctx, const CapturedFunc& fn, Element elem,
                           std::unique_ptr<IteratorBase>* out) {
  Element rets;
  MR_RETURN_IF_ERROR(fn.call(ctx, std::move(elem), &rets));
  if (rets.size() != 1)
    return invalid_argument("The function must return a single scalar of dtype DT_VARIANT (a dataset).");
  DatasetPtr ds;
  MR_RETURN_IF_ERROR(get_dataset(rets[0], &ds));
  return ds->make_iterator(ctx, out);
}

class FlatMapDatasetImpl : public UnaryDataset {
 public:
  FlatMapDatasetImpl(DatasetPtr input, CapturedFunc fn, std::vector<DType> dt, std::vector<PartialShape> sh)
      : UnaryDataset(std::move(input), std::move(dt), std::move(sh)), fn_(std::move(fn)) {}
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    return make_unary_iter<Iter, FlatMapDatasetImpl>(ctx, out);
  }

 private:
  class Iter : public UnaryIter<FlatMapDatasetImpl> {
   public:
    using UnaryIter::UnaryIter;
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      for (;;) {
        if (cur_) {
          MR_RETURN_IF_ERROR(cur_->get_next(ctx, out, end));
          if (!*end) return Status();
          cur_.reset();
        }
        if (!in_) {
          *end = true;
          return Status();
        }
        if (ctx.cancelled()) return cancelled("Iterator was cancelled");
        Element e;
        MR_RETURN_IF_ERROR(in_->get_next(ctx, &e, end));
        if (*end) {
          in_.reset();
          return Status();
        }
        MR_RETURN_IF_ERROR(iterator_of_element(ctx, ds_->fn_, std::move(e), &cur_));
      }
    }

   private:
    std::unique_ptr<IteratorBase> cur_;
  };
  CapturedFunc fn_;
};

// TF's interleave order: a cycle of up to cycle_length open element
// iterators; block_length elements from one, then the next slot. A slot whose
// iterator ends is emptied and refilled from the input when the cycle next
// reaches it.
class InterleaveDatasetImpl : public UnaryDataset {
 public:
  InterleaveDatasetImpl(DatasetPtr input, CapturedFunc fn, int64_t cycle, int64_t block, std::vector<DType> dt,
                        std::vector<PartialShape> sh)
      : UnaryDataset(std::move(input), std::move(dt), std::move(sh)), fn_(std::move(fn)), cycle_(cycle),
        block_(block) {}
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    return make_unary_iter<Iter, InterleaveDatasetImpl>(ctx, out);
  }

 private:
  class Iter : public UnaryIter<InterleaveDatasetImpl> {
   public:
    Iter(std::shared_ptr<const InterleaveDatasetImpl> ds, std::unique_ptr<IteratorBase> in)
        : UnaryIter(std::move(ds), std::move(in)), slots_(ds_->cycle_) {}
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      while (in_ || open_ > 0) {
        if (ctx.cancelled()) return cancelled("Iterator was cancelled");
        auto& slot = slots_[cycle_index_];
        if (slot) {
          MR_RETURN_IF_ERROR(slot->get_next(ctx, out, end));
          if (!*end) {
            if (++block_index_ == ds_->block_) advance();
            return Status();
          }
          slot.reset();
          --open_;
          advance();
        } else if (in_) {
          Element e;
          MR_RETURN_IF_ERROR(in_->get_next(ctx, &e, end));
          if (*end) {
            in_.reset();
            continue;
          }
          MR_RETURN_IF_ERROR(iterator_of_element(ctx, ds_->fn_, std::move(e), &slot));
          ++open_;
        } else {
          advance();
        }
      }
      *end = true;
      return Status();
    }

   private:
    void advance() {
      block_index_ = 0;
      cycle_index_ = (cycle_index_ + 1) % ds_->cycle_;
    }
    std::vector<std::unique_ptr<IteratorBase>> slots_;
    int64_t cycle_index_ = 0, block_index_ = 0, open_ = 0;
  };
  CapturedFunc fn_;
  int64_t cycle_, block_;
};

int default_cycle_length(OpContext& ctx) { return ctx.pool() ? ctx.pool()->num_threads() : 1; }

// kind: 0 InterleaveDataset, 1 ParallelInterleaveDataset / Experimental (sloppy,
// buffer_output_elements, prefetch_input_elements inputs), 2 V2/V3
// (num_parallel_calls), 3 LegacyParallelInterleaveDatasetV2 (buffer, prefetch),
// 4 V4 (buffer, prefetch, num_parallel_calls).
class InterleaveDatasetOp : public FunctionDatasetOp {
 public:
  InterleaveDatasetOp(KernelInit& init, int kind) : FunctionDatasetOp(init, "f"), kind_(kind) {}
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr in;
    CapturedFunc fn;
    MR_RETURN_IF_ERROR(inputs(ctx, &in, &fn));
    int k = after_captured();
    int64_t cycle, block;
    MR_RETURN_IF_ERROR(int_input(ctx, k, "cycle_length must be a scalar", &cycle));
    MR_RETURN_IF_ERROR(int_input(ctx, k + 1, "block_length must be a scalar", &block));
    if (cycle == kAutotune) cycle = default_cycle_length(ctx);
    MR_REQUIRE(cycle > 0, "cycle_length must be greater than zero.");
    MR_REQUIRE(block > 0, "block_length must be greater than zero.");
    if (kind_ == 2 || kind_ == 4) {
      int64_t npc;
      MR_RETURN_IF_ERROR(int_input(ctx, ctx.num_inputs() - 1, "num_parallel_calls must be a scalar", &npc));
      MR_REQUIRE(npc > 0 || npc == kAutotune, "num_parallel_calls must be greater than zero.");
      MR_REQUIRE(npc <= cycle, "num_parallel_calls must less than or equal to cycle_length.");
    }
    if (kind_ == 1 || kind_ == 3) {
      const int at = kind_ == 1 ? k + 3 : k + 2;
      int64_t buffer, prefetch;
      MR_RETURN_IF_ERROR(int_input(ctx, at, "buffer_output_elements must be a scalar", &buffer));
      MR_RETURN_IF_ERROR(int_input(ctx, at + 1, "prefetch_input_elements must be a scalar", &prefetch));
      MR_REQUIRE(buffer > 0, "`buffer_output_elements` must be > 0");
      MR_REQUIRE(prefetch >= 0, "`prefetch_input_elements` must be >= 0");
    }
    *out = std::make_shared<InterleaveDatasetImpl>(std::move(in), std::move(fn), cycle, block, output_types_,
                                                   output_shapes_);
    return Status();
  }

 private:
  int kind_;
};

// ---- Batch / PaddedBatch -------------------------------------------------------------------------

// Batches of batch_ input elements (the last one smaller unless drop_), each
// built into one element by make_batch.
class BatchingDataset : public UnaryDataset {
 public:
  BatchingDataset(DatasetPtr input, int64_t batch, bool drop, std::vector<DType> dt, std::vector<PartialShape> sh)
      : UnaryDataset(std::move(input), std::move(dt), std::move(sh)), batch_(batch), drop_(drop) {}
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    return make_unary_iter<Iter, BatchingDataset>(ctx, out);
  }
  int64_t cardinality() const override {
    int64_t n = input_->cardinality();
    if (n < 0) return n;
    return drop_ ? n / batch_ : (n + batch_ - 1) / batch_;
  }

 protected:
  virtual Status make_batch(const std::vector<Element>& elems, Element* out) const = 0;

 private:
  class Iter : public UnaryIter<BatchingDataset> {
   public:
    using UnaryIter::UnaryIter;
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      if (!in_) {
        *end = true;
        return Status();
      }
      MR_RETURN_IF_ERROR(gather_elements(ctx, &in_, ds_->batch_, &elems_));
      const int64_t n = static_cast<int64_t>(elems_.size());
      if (n == 0 || (n < ds_->batch_ && ds_->drop_)) {
        elems_.clear();
        *end = true;
        return Status();
      }
      *end = false;
      Status s = ds_->make_batch(elems_, out);
      elems_.clear();
      return s;
    }

   private:
    std::vector<Element> elems_;
  };

  int64_t batch_;
  bool drop_;
};

class BatchDatasetImpl : public BatchingDataset {
 public:
  using BatchingDataset::BatchingDataset;

 private:
  Status make_batch(const std::vector<Element>& elems, Element* out) const override {
    return stack_elements(elems, out);
  }
};

class BatchDatasetOp : public DatasetOpKernel {
 public:
  BatchDatasetOp(KernelInit& init, bool v2) : DatasetOpKernel(init), v2_(v2) {}
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr in;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &in));
    int64_t batch;
    bool drop = false;
    MR_RETURN_IF_ERROR(int_input(ctx, 1, "batch_size must be a scalar", &batch));
    MR_REQUIRE(batch > 0, "Batch size must be greater than zero.");
    if (v2_) MR_RETURN_IF_ERROR(bool_input(ctx, 2, "drop_remainder must be a scalar", &drop));
    *out = std::make_shared<BatchDatasetImpl>(std::move(in), batch, drop, output_types_, output_shapes_);
    return Status();
  }

 private:
  bool v2_;
};

class PaddedBatchDatasetImpl : public BatchingDataset {
 public:
  PaddedBatchDatasetImpl(DatasetPtr input, int64_t batch, bool drop, std::vector<std::vector<int64_t>> padded,
                         Element pad_values, std::vector<DType> dt, std::vector<PartialShape> sh)
      : BatchingDataset(std::move(input), batch, drop, std::move(dt), std::move(sh)), padded_(std::move(padded)),
        pad_values_(std::move(pad_values)) {}

 private:
  // Pads each component to the batch's shape (its padded_shapes, or the
  // largest element dims) with its padding value, then stacks.
  Status make_batch(const std::vector<Element>& elems, Element* out) const override {
    const int64_t n = static_cast<int64_t>(elems.size());
    out->clear();
    for (size_t c = 0; c < padded_.size(); ++c) {
      const std::vector<int64_t>& ps = padded_[c];
      const size_t rank = ps.size();
      // The batch's padded shape: given dims, or the largest element dim.
      Shape elem_shape(rank, 0);
      for (size_t d = 0; d < rank; ++d) elem_shape[d] = ps[d] >= 0 ? ps[d] : 0;
      for (int64_t i = 0; i < n; ++i) {
        const Tensor& t = elems[i][c];
        if (static_cast<size_t>(t.rank()) != rank)
          return invalid_argument(str_cat("The padded shape ", shape_str(Shape(ps)),
                                          " is not compatible with the corresponding input component shape ",
                                          shape_str(t.shape()), "."));
        for (size_t d = 0; d < rank; ++d) {
          if (ps[d] < 0) elem_shape[d] = std::max(elem_shape[d], t.dim(static_cast<int>(d)));
          else if (t.dim(static_cast<int>(d)) > ps[d])
            return Status(Code::kDataLoss, "Attempted to pad to a smaller size than the input element.");
        }
      }
      Shape s;
      s.push_back(n);
      for (int64_t d : elem_shape) s.push_back(d);
      Tensor t(elems[0][c].dtype(), std::move(s));
      const int64_t per = num_elements(elem_shape);
      const Tensor& pad = pad_values_[c];
      if (pad.dtype() != t.dtype())
        return invalid_argument(str_cat("Mismatched type between padding value ", c, " and input dataset's component ",
                                        c, ": ", dtype_name(pad.dtype()), " vs. ", dtype_name(t.dtype())));
      for (int64_t i = 0; i < n; ++i) {
        const Tensor& e = elems[i][c];
        const int64_t base = i * per;
        if (e.shape() == elem_shape) {
          copy_elements(e, 0, t, base, per);
          continue;
        }
        fill_elements(pad, t, base, per);
        if (rank == 0 || e.num_elements() == 0) {
          if (rank == 0) copy_elements(e, 0, t, base, 1);
          continue;
        }
        // Copy rows of the last dim; outer index walks the element's shape.
        const int64_t row = e.dim(static_cast<int>(rank) - 1);
        const int64_t rows = e.num_elements() / row;
        std::vector<int64_t> idx(rank > 1 ? rank - 1 : 0, 0);
        for (int64_t r = 0; r < rows; ++r) {
          int64_t off = 0;
          for (size_t d = 0; d + 1 < rank; ++d) off = off * elem_shape[d] + idx[d];
          off = off * elem_shape[rank - 1];
          copy_elements(e, r * row, t, base + off, row);
          for (int d = static_cast<int>(rank) - 2; d >= 0; --d) {
            if (++idx[d] < e.dim(d)) break;
            idx[d] = 0;
          }
        }
      }
      out->push_back(std::move(t));
    }
    return Status();
  }

  std::vector<std::vector<int64_t>> padded_;
  Element pad_values_;
};

class PaddedBatchDatasetOp : public DatasetOpKernel {
 public:
  PaddedBatchDatasetOp(KernelInit& init, bool v2) : DatasetOpKernel(init), v2_(v2) {
    init.get("Toutput_types", &output_types_);
    init.get("N", &n_);
    if (output_shapes_.size() < output_types_.size()) output_shapes_.resize(output_types_.size());
  }
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr in;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &in));
    int64_t batch;
    MR_RETURN_IF_ERROR(int_input(ctx, 1, "batch_size must be a scalar", &batch));
    MR_REQUIRE(batch > 0, "Batch size must be greater than zero.");
    MR_REQUIRE(static_cast<size_t>(n_) == in->output_dtypes().size(),
               "Number of padded shapes (", n_, ") must match the number of components in the input dataset's "
               "elements (", in->output_dtypes().size(), ")");
    std::vector<std::vector<int64_t>> padded(n_);
    for (int i = 0; i < n_; ++i) {
      const Tensor& t = ctx.input(2 + i);
      MR_REQUIRE(t.rank() == 1, "All padded shapes must be vectors, but component ", i, " was a tensor of shape ",
                 shape_str(t.shape()));
      MR_RETURN_IF_ERROR(tensor_to_vector(t, &padded[i], "padded_shapes"));
    }
    Element pads;
    for (int i = 0; i < n_; ++i) {
      const Tensor& t = ctx.input(2 + n_ + i);
      MR_REQUIRE(t.rank() == 0, "All padding values must be scalars, but component ", i, " was a tensor of shape ",
                 shape_str(t.shape()));
      pads.push_back(t);
    }
    bool drop = false;
    if (v2_) MR_RETURN_IF_ERROR(bool_input(ctx, 2 + 2 * n_, "drop_remainder must be a scalar", &drop));
    *out = std::make_shared<PaddedBatchDatasetImpl>(std::move(in), batch, drop, std::move(padded), std::move(pads),
                                                    output_types_, output_shapes_);
    return Status();
  }

 private:
  bool v2_;
  int n_ = 0;
};

// ---- MapAndBatch: a parallel map under a batch ------------------------------------------------------

class MapAndBatchDatasetOp : public FunctionDatasetOp {
 public:
  explicit MapAndBatchDatasetOp(KernelInit& init) : FunctionDatasetOp(init, "f") {
    if (init.has_attr("preserve_cardinality")) init.get("preserve_cardinality", &preserve_);
  }
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr in;
    CapturedFunc fn;
    MR_RETURN_IF_ERROR(inputs(ctx, &in, &fn));
    const int k = after_captured();
    int64_t batch, npc;
    bool drop;
    MR_RETURN_IF_ERROR(int_input(ctx, k, "batch_size must be a scalar", &batch));
    MR_RETURN_IF_ERROR(int_input(ctx, k + 1, "num_parallel_calls must be a scalar", &npc));
    MR_RETURN_IF_ERROR(bool_input(ctx, k + 2, "drop_remainder must be a scalar", &drop));
    MR_REQUIRE(batch > 0, "batch_size must be greater than zero.");
    MR_REQUIRE(npc > 0 || npc == kAutotune, "num_parallel_calls must be greater than zero.");
    std::vector<PartialShape> elem_shapes(fn_->ret_types.size());
    auto mapped = std::make_shared<MapDatasetImpl>(std::move(in), std::move(fn), npc, preserve_, fn_->ret_types,
                                                   std::move(elem_shapes));
    *out = std::make_shared<BatchDatasetImpl>(std::move(mapped), batch, drop, output_types_, output_shapes_);
    return Status();
  }

 private:
  bool preserve_ = false;
};

// ---- Repeat / Take / Skip -------------------------------------------------------------------------

class RepeatDatasetImpl : public UnaryDataset {
 public:
  RepeatDatasetImpl(DatasetPtr input, int64_t count, std::vector<DType> dt, std::vector<PartialShape> sh)
      : UnaryDataset(std::move(input), std::move(dt), std::move(sh)), count_(count) {}
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    std::unique_ptr<IteratorBase> in;
    if (count_ != 0) MR_RETURN_IF_ERROR(input_->make_iterator(ctx, &in));
    *out = std::make_unique<Iter>(std::static_pointer_cast<const RepeatDatasetImpl>(self()), std::move(in));
    return Status();
  }
  int64_t cardinality() const override {
    int64_t n = input_->cardinality();
    if (count_ == 0 || n == 0) return 0;
    if (count_ < 0) return n == kUnknownCardinality ? n : kInfiniteCardinality;
    if (n < 0) return n;
    return n * count_;
  }

 private:
  class Iter : public UnaryIter<RepeatDatasetImpl> {
   public:
    using UnaryIter::UnaryIter;
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      const int64_t count = ds_->count_;
      while (in_) {
        MR_RETURN_IF_ERROR(in_->get_next(ctx, out, end));
        if (!*end) {
          fresh_ = false;
          return Status();
        }
        // An epoch ended. An infinite repeat of an empty input ends too.
        if (count < 0 && fresh_) {
          in_.reset();
          break;
        }
        in_.reset();
        ++epoch_;
        if (count < 0 || epoch_ < count) {
          if (ctx.cancelled()) return cancelled("Iterator was cancelled");
          MR_RETURN_IF_ERROR(ds_->input_->make_iterator(ctx, &in_));
          fresh_ = true;
        }
      }
      *end = true;
      return Status();
    }

   private:
    int64_t epoch_ = 0;
    bool fresh_ = true;
  };
  int64_t count_;
};

class TakeDatasetImpl : public UnaryDataset {
 public:
  TakeDatasetImpl(DatasetPtr input, int64_t count, std::vector<DType> dt, std::vector<PartialShape> sh)
      : UnaryDataset(std::move(input), std::move(dt), std::move(sh)), count_(count) {}
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    std::unique_ptr<IteratorBase> in;
    if (count_ != 0) MR_RETURN_IF_ERROR(input_->make_iterator(ctx, &in));
    *out = std::make_unique<Iter>(std::static_pointer_cast<const TakeDatasetImpl>(self()), std::move(in));
    return Status();
  }
  int64_t cardinality() const override {
    int64_t n = input_->cardinality();
    if (count_ < 0) return n;
    if (n == kUnknownCardinality) return n;
    if (n == kInfiniteCardinality) return count_;
    return std::min(n, count_);
  }

 private:
  class Iter : public UnaryIter<TakeDatasetImpl> {
   public:
    using UnaryIter::UnaryIter;
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      if (!in_ || (ds_->count_ >= 0 && taken_ >= ds_->count_)) {
        in_.reset();
        *end = true;
        return Status();
      }
      MR_RETURN_IF_ERROR(in_->get_next(ctx, out, end));
      if (*end) in_.reset();
      else ++taken_;
      return Status();
    }

   private:
    int64_t taken_ = 0;
  };
  int64_t count_;
};

class SkipDatasetImpl : public UnaryDataset {
 public:
  SkipDatasetImpl(DatasetPtr input, int64_t count, std::vector<DType> dt, std::vector<PartialShape> sh)
      : UnaryDataset(std::move(input), std::move(dt), std::move(sh)), count_(count) {}
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    return make_unary_iter<Iter, SkipDatasetImpl>(ctx, out);
  }
  int64_t cardinality() const override {
    int64_t n = input_->cardinality();
    if (n < 0) return n;
    if (count_ < 0) return 0;
    return std::max<int64_t>(0, n - count_);
  }

 private:
  class Iter : public UnaryIter<SkipDatasetImpl> {
   public:
    using UnaryIter::UnaryIter;
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      if (!in_) {
        *end = true;
        return Status();
      }
      while (ds_->count_ < 0 || skipped_ < ds_->count_) {
        if (ctx.cancelled()) return cancelled("Iterator was cancelled");
        MR_RETURN_IF_ERROR(in_->get_next(ctx, out, end));
        if (*end) {
          in_.reset();
          return Status();
        }
        ++skipped_;
      }
      MR_RETURN_IF_ERROR(in_->get_next(ctx, out, end));
      if (*end) in_.reset();
      return Status();
    }

   private:
    int64_t skipped_ = 0;
  };
  int64_t count_;
};

// Ops of an input dataset and one int64 scalar (Repeat, Take, Skip and
// AssertCardinality): a D(input, value, output types, output shapes).
template <class D>
class CountDatasetOp : public DatasetOpKernel {
 public:
  // `what`: the message when the count input is not a scalar.
  explicit CountDatasetOp(KernelInit& init, const char* what = "count must be a scalar")
      : DatasetOpKernel(init), what_(what) {}
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr in;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &in));
    int64_t count;
    MR_RETURN_IF_ERROR(int_input(ctx, 1, what_, &count));
    *out = std::make_shared<D>(std::move(in), count, output_types_, output_shapes_);
    return Status();
  }

 private:
  const char* what_;
};

// ---- Zip / Concatenate ------------------------------------------------------------------------------

class ZipDatasetImpl : public DatasetBase {
 public:
  ZipDatasetImpl(std::vector<DatasetPtr> inputs, std::vector<DType> dt, std::vector<PartialShape> sh)
      : DatasetBase(std::move(dt), std::move(sh)), inputs_(std::move(inputs)) {}
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    std::vector<std::unique_ptr<IteratorBase>> its(inputs_.size());
    for (size_t i = 0; i < inputs_.size(); ++i) MR_RETURN_IF_ERROR(inputs_[i]->make_iterator(ctx, &its[i]));
    *out = std::make_unique<Iter>(std::static_pointer_cast<const ZipDatasetImpl>(self()), std::move(its));
    return Status();
  }
  int64_t cardinality() const override {
    int64_t best = kInfiniteCardinality;
    for (const auto& d : inputs_) {
      int64_t n = d->cardinality();
      if (n == kUnknownCardinality) return n;
      if (n >= 0) best = best < 0 ? n : std::min(best, n);
    }
    return best;
  }

 private:
  class Iter : public DatasetIter<ZipDatasetImpl> {
   public:
    Iter(std::shared_ptr<const ZipDatasetImpl> ds, std::vector<std::unique_ptr<IteratorBase>> its)
        : DatasetIter(std::move(ds)), its_(std::move(its)) {}
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      if (its_.empty()) {
        *end = true;
        return Status();
      }
      out->clear();
      Element part;
      for (auto& it : its_) {
        MR_RETURN_IF_ERROR(it->get_next(ctx, &part, end));
        if (*end) {
          its_.clear();
          out->clear();
          return Status();
        }
        for (Tensor& t : part) out->push_back(std::move(t));
      }
      return Status();
    }

   private:
    std::vector<std::unique_ptr<IteratorBase>> its_;
  };
  std::vector<DatasetPtr> inputs_;
};

class ZipDatasetOp : public DatasetOpKernel {
 public:
  using DatasetOpKernel::DatasetOpKernel;
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    std::vector<DatasetPtr> ins(ctx.num_inputs());
    for (int i = 0; i < ctx.num_inputs(); ++i) MR_RETURN_IF_ERROR(input_dataset(ctx, i, &ins[i]));
    *out = std::make_shared<ZipDatasetImpl>(std::move(ins), output_types_, output_shapes_);
    return Status();
  }
};

class ConcatenateDatasetImpl : public DatasetBase {
 public:
  ConcatenateDatasetImpl(DatasetPtr a, DatasetPtr b, std::vector<DType> dt, std::vector<PartialShape> sh)
      : DatasetBase(std::move(dt), std::move(sh)), a_(std::move(a)), b_(std::move(b)) {}
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    std::unique_ptr<IteratorBase> in;
    MR_RETURN_IF_ERROR(a_->make_iterator(ctx, &in));
    *out = std::make_unique<Iter>(std::static_pointer_cast<const ConcatenateDatasetImpl>(self()), std::move(in));
    return Status();
  }
  int64_t cardinality() const override {
    int64_t n = a_->cardinality(), m = b_->cardinality();
    if (n == kInfiniteCardinality || m == kInfiniteCardinality) return kInfiniteCardinality;
    if (n < 0 || m < 0) return kUnknownCardinality;
    return n + m;
  }

 private:
  class Iter : public UnaryIter<ConcatenateDatasetImpl> {
   public:
    using UnaryIter::UnaryIter;
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      while (in_) {
        MR_RETURN_IF_ERROR(in_->get_next(ctx, out, end));
        if (!*end) return Status();
        in_.reset();
        if (first_) {
          first_ = false;
          MR_RETURN_IF_ERROR(ds_->b_->make_iterator(ctx, &in_));
        }
      }
      *end = true;
      return Status();
    }

   private:
    bool first_ = true;
  };
  DatasetPtr a_, b_;
};

class ConcatenateDatasetOp : public DatasetOpKernel {
 public:
  using DatasetOpKernel::DatasetOpKernel;
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr a, b;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &a));
    MR_RETURN_IF_ERROR(input_dataset(ctx, 1, &b));
    if (a->output_dtypes() != b->output_dtypes())
      return invalid_argument("input dataset and dataset to concatenate have different types.");
    *out = std::make_shared<ConcatenateDatasetImpl>(std::move(a), std::move(b), output_types_, output_shapes_);
    return Status();
  }
};

// ---- Cache (in memory) ----------------------------------------------------------------------------

// The first iterator that runs to the end fills the cache; later iterators
// replay it. An iterator dropped before the end leaves nothing behind, and
// iterators made while one is filling read the input themselves.
//
// Given a filename, TF writes the cache to "<filename>.index",
// "<filename>.data-*" and temporary files named after it, and later reads
// it back. The elements stay in memory here, but a run's IoPolicy is asked
// as if they were not: an iterator that would write needs those paths
// writable, one that would replay needs the index readable.
class CacheDatasetImpl : public UnaryDataset {
 public:
  CacheDatasetImpl(const OpContext& ctx, std::string filename, DatasetPtr input, std::vector<DType> dtypes,
                   std::vector<PartialShape> shapes)
      : UnaryDataset(std::move(input), std::move(dtypes), std::move(shapes)),
        filename_(std::move(filename)),
        node_(ctx.name()),
        op_(ctx.node().op) {}

  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    auto self = std::static_pointer_cast<const CacheDatasetImpl>(this->self());
    bool complete;
    {
      std::lock_guard<std::mutex> lock(mu_);
      complete = complete_;
    }
    MR_RETURN_IF_ERROR(check_files(ctx, complete));
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (complete_) {
        *out = std::make_unique<ReadIter>(self, cache_);
        return Status();
      }
    }
    std::unique_ptr<IteratorBase> in;
    MR_RETURN_IF_ERROR(input_->make_iterator(ctx, &in));
    bool write;
    {
      std::lock_guard<std::mutex> lock(mu_);
      write = !writing_;
      writing_ = true;
    }
    if (write) *out = std::make_unique<WriteIter>(self, std::move(in));
    else *out = std::move(in);
    return Status();
  }
  int64_t cardinality() const override { return input_->cardinality(); }

 private:
  using Cache = std::shared_ptr<const std::vector<Element>>;

  class ReadIter : public DatasetIter<CacheDatasetImpl> {
   public:
    ReadIter(std::shared_ptr<const CacheDatasetImpl> ds, Cache cache)
        : DatasetIter(std::move(ds)), cache_(std::move(cache)) {}
    Status get_next(IterCtx&, Element* out, bool* end) override {
      *end = i_ >= cache_->size();
      if (!*end) *out = (*cache_)[i_++];
      return Status();
    }

   private:
    Cache cache_;
    size_t i_ = 0;
  };

  class WriteIter : public UnaryIter<CacheDatasetImpl> {
   public:
    WriteIter(std::shared_ptr<const CacheDatasetImpl> ds, std::unique_ptr<IteratorBase> in)
        : UnaryIter(std::move(ds), std::move(in)), buf_(std::make_shared<std::vector<Element>>()) {}
    ~WriteIter() override {
      if (in_) {
        std::lock_guard<std::mutex> lock(ds_->mu_);
        ds_->writing_ = false;
      }
    }
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      if (!in_) {
        *end = true;
        return Status();
      }
      MR_RETURN_IF_ERROR(in_->get_next(ctx, out, end));
      if (!*end) {
        MR_RETURN_IF_ERROR(budget_.add(*out, static_cast<int64_t>(buf_->size()) + 1));
        buf_->push_back(*out);
        return Status();
      }
      in_.reset();
      std::lock_guard<std::mutex> lock(ds_->mu_);
      ds_->cache_ = std::move(buf_);
      ds_->complete_ = true;
      ds_->writing_ = false;
      return Status();
    }

   private:
    std::shared_ptr<std::vector<Element>> buf_;
    GatherBudget budget_;  // what the cache holds so far
  };

  Status check_files(IterCtx& ctx, bool replay) const {
    if (filename_.empty() || !ctx.env().io) return Status();
    const FileUser user(ctx.env(), node_, op_);
    if (replay) return user.check(FileAccess::kRead, filename_ + ".index");
    for (const char* suffix : {"", ".index", ".data-00000-of-00001", ".lockfile"})
      MR_RETURN_IF_ERROR(user.check(FileAccess::kWrite, filename_ + suffix));
    return Status();
  }

  const std::string filename_, node_, op_;
  mutable std::mutex mu_;
  mutable bool complete_ = false;
  mutable bool writing_ = false;
  mutable Cache cache_;
};

class CacheDatasetOp : public DatasetOpKernel {
 public:
  using DatasetOpKernel::DatasetOpKernel;
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr in;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &in));
    const Tensor& fname = ctx.input(1);
    MR_REQUIRE(fname.dtype() == DType::kString && fname.num_elements() == 1, "filename must be a scalar");
    // A file cache keeps its elements in memory here (same values, no file).
    *out = std::make_shared<CacheDatasetImpl>(ctx, *fname.data<std::string>(), std::move(in), output_types_,
                                              output_shapes_);
    return Status();
  }
};

// DummyMemoryCache: the handle CacheDatasetV2 takes; the cache itself lives
// in the dataset (a fresh one per dataset op run, as TF's dummy resource gives).
class DummyResourceOp : public OpKernel {
 public:
  explicit DummyResourceOp(KernelInit& init) : name_(init.name()) {}
  Status compute(OpContext& ctx) override {
    Tensor h(DType::kResource, {});
    h.data<ResourceHandle>()->container = "localhost";
    h.data<ResourceHandle>()->name = "dummy/" + name_;
    h.data<ResourceHandle>()->type = "memory_cache";
    ctx.set_output(0, std::move(h));
    return Status();
  }

 private:
  std::string name_;
};

// ---- Pass-through wrappers ------------------------------------------------------------------------

// Model, Optimize, Options, thread-pool and Prefetch wrappers: the input's
// elements unchanged. (Prefetch produces on demand: a background producer
// could not call the pipeline's functions outside the consuming run.)
class PassThroughDatasetOp : public DatasetOpKernel {
 public:
  using DatasetOpKernel::DatasetOpKernel;
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr in;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &in));
    *out = pass_through(std::move(in), output_types_, output_shapes_);
    return Status();
  }
};

class PrefetchDatasetOp : public PassThroughDatasetOp {
 public:
  using PassThroughDatasetOp::PassThroughDatasetOp;
  Status compute_checks(OpContext& ctx) {
    int64_t n;
    MR_RETURN_IF_ERROR(int_input(ctx, 1, "buffer_size must be a scalar", &n));
    MR_REQUIRE(n >= 0 || n == kAutotune, "buffer_size must be >= 0 or set buffer_size to be ", kAutotune,
               " for auto-tuning");
    return Status();
  }
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    MR_RETURN_IF_ERROR(compute_checks(ctx));
    return PassThroughDatasetOp::make_dataset(ctx, out);
  }
};

class AssertCardinalityDatasetImpl : public UnaryDataset {
 public:
  AssertCardinalityDatasetImpl(DatasetPtr input, int64_t n, std::vector<DType> dt, std::vector<PartialShape> sh)
      : UnaryDataset(std::move(input), std::move(dt), std::move(sh)), n_(n) {}
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    return make_unary_iter<Iter, AssertCardinalityDatasetImpl>(ctx, out);
  }
  int64_t cardinality() const override { return n_; }

 private:
  static std::string elements(int64_t n) { return n == 1 ? "1 element" : str_cat(n, " elements"); }
  class Iter : public UnaryIter<AssertCardinalityDatasetImpl> {
   public:
    using UnaryIter::UnaryIter;
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      MR_RETURN_IF_ERROR(in_->get_next(ctx, out, end));
      const int64_t want = ds_->n_;
      if (!*end) ++seen_;
      if (*end && want != kInfiniteCardinality && seen_ < want)
        return failed_precondition(str_cat("Input dataset was expected to contain ", elements(want),
                                           " but contained only ", elements(seen_), "."));
      if (want >= 0 && seen_ > want)
        return failed_precondition(str_cat("Input dataset was expected to contain ", elements(want),
                                           " but contained at least ", elements(seen_), "."));
      return Status();
    }

   private:
    int64_t seen_ = 0;
  };
  int64_t n_;
};

class DatasetCardinalityOp : public OpKernel {
 public:
  explicit DatasetCardinalityOp(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    DatasetPtr in;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &in));
    ctx.set_output(0, Tensor::scalar<int64_t>(in->cardinality()));
    return Status();
  }
};

// ---- TakeWhile / Scan / Reduce ------------------------------------------------------------

class TakeWhileDatasetImpl : public UnaryDataset {
 public:
  TakeWhileDatasetImpl(DatasetPtr input, CapturedFunc fn, std::vector<DType> dt, std::vector<PartialShape> sh)
      : UnaryDataset(std::move(input), std::move(dt), std::move(sh)), fn_(std::move(fn)) {}
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    return make_unary_iter<Iter, TakeWhileDatasetImpl>(ctx, out);
  }

 private:
  class Iter : public UnaryIter<TakeWhileDatasetImpl> {
   public:
    using UnaryIter::UnaryIter;
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      MR_RETURN_IF_ERROR(next_input(ctx, out, end));
      if (*end) return Status();
      Element rets;
      MR_RETURN_IF_ERROR(ds_->fn_.call(ctx, *out, &rets));
      if (rets.size() != 1 || rets[0].dtype() != DType::kBool || rets[0].num_elements() != 1)
        return invalid_argument("`predicate` must returns a scalar bool tensor.");
      if (!rets[0].scalar_value<bool>()) {
        in_.reset();
        out->clear();
        *end = true;
      }
      return Status();
    }
  };
  CapturedFunc fn_;
};

// Functions of (state..., element..., captured...): ScanDataset's returns the
// next state then the output element; ReduceDataset's the next state.
class StateFunctionOp {
 protected:
  void init_state(KernelInit& init) {
    fn_ = init.function("f");
    num_state_ = list_len(init, "Tstate");
    num_captured_ = list_len(init, "Targuments");
  }
  void read_state(OpContext& ctx, Element* state, CapturedFunc* fn) const {
    state->clear();
    for (int i = 0; i < num_state_; ++i) state->push_back(ctx.input(1 + i));
    *fn = capture(fn_, ctx, 1 + num_state_, num_captured_);
  }
  std::shared_ptr<const Function> fn_;
  int num_state_ = 0, num_captured_ = 0;
};

Status check_new_state(const Element& init, const Element& next) {
  for (size_t i = 0; i < init.size(); ++i)
    if (next[i].dtype() != init[i].dtype())
      return invalid_argument(str_cat("Element type for the new state must match the initial state. Expected ",
                                      dtype_name(init[i].dtype()), "; got ", dtype_name(next[i].dtype()), "."));
  return Status();
}

class ScanDatasetImpl : public UnaryDataset {
 public:
  ScanDatasetImpl(DatasetPtr input, CapturedFunc fn, Element state, bool preserve, std::vector<DType> dt,
                  std::vector<PartialShape> sh)
      : UnaryDataset(std::move(input), std::move(dt), std::move(sh)), fn_(std::move(fn)), state_(std::move(state)),
        preserve_(preserve) {}
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    return make_unary_iter<Iter, ScanDatasetImpl>(ctx, out);
  }
  int64_t cardinality() const override { return preserve_ ? input_->cardinality() : kUnknownCardinality; }

 private:
  class Iter : public UnaryIter<ScanDatasetImpl> {
   public:
    Iter(std::shared_ptr<const ScanDatasetImpl> ds, std::unique_ptr<IteratorBase> in)
        : UnaryIter(std::move(ds), std::move(in)), state_(ds_->state_) {}
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      Element elem;
      MR_RETURN_IF_ERROR(next_input(ctx, &elem, end));
      if (*end) return Status();
      Element args = state_;
      for (Tensor& t : elem) args.push_back(std::move(t));
      Element rets;
      Status s = ds_->fn_.call(ctx, std::move(args), &rets);
      if (!s.ok()) {
        MR_RETURN_IF_ERROR(map_out_of_range(s, ds_->preserve_, end));
        in_.reset();
        return Status();
      }
      const size_t ns = state_.size();
      if (rets.size() < ns) return invalid_argument("The scan function returned too few values.");
      MR_RETURN_IF_ERROR(check_new_state(state_, rets));
      for (size_t i = 0; i < ns; ++i) state_[i] = std::move(rets[i]);
      out->assign(std::make_move_iterator(rets.begin() + ns), std::make_move_iterator(rets.end()));
      return Status();
    }

   private:
    Element state_;
  };
  CapturedFunc fn_;
  Element state_;
  bool preserve_;
};

class ScanDatasetOp : public DatasetOpKernel, StateFunctionOp {
 public:
  explicit ScanDatasetOp(KernelInit& init) : DatasetOpKernel(init) {
    init_state(init);
    if (init.has_attr("preserve_cardinality")) init.get("preserve_cardinality", &preserve_);
  }
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr in;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &in));
    Element state;
    CapturedFunc fn;
    read_state(ctx, &state, &fn);
    *out = std::make_shared<ScanDatasetImpl>(std::move(in), std::move(fn), std::move(state), preserve_,
                                             output_types_, output_shapes_);
    return Status();
  }

 private:
  bool preserve_ = false;
};

// ReduceDataset: folds the whole dataset into the state in one op run.
class ReduceDatasetOp : public OpKernel, StateFunctionOp {
 public:
  explicit ReduceDatasetOp(KernelInit& init) { init_state(init); }
  Status compute(OpContext& ctx) override {
    DatasetPtr in;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &in));
    Element state;
    CapturedFunc fn;
    read_state(ctx, &state, &fn);
    IterCtx ictx(ctx);
    std::unique_ptr<IteratorBase> it;
    MR_RETURN_IF_ERROR(in->make_iterator(ictx, &it));
    Element elem, rets;
    for (;;) {
      if (ctx.cancelled()) return cancelled("Iterator was cancelled");
      bool end = false;
      elem.clear();
      MR_RETURN_IF_ERROR(it->get_next(ictx, &elem, &end));
      if (end) break;
      Element args = state;
      for (Tensor& t : elem) args.push_back(std::move(t));
      MR_RETURN_IF_ERROR(fn.call(ictx, std::move(args), &rets));
      if (rets.size() != state.size())
        return invalid_argument(str_cat("The reduce function returned ", rets.size(), " values; expected ",
                                        state.size(), "."));
      MR_RETURN_IF_ERROR(check_new_state(state, rets));
      state.swap(rets);
    }
    for (size_t i = 0; i < state.size(); ++i) ctx.set_output(static_cast<int>(i), std::move(state[i]));
    return Status();
  }
};

class DatasetToSingleElementOp : public OpKernel {
 public:
  explicit DatasetToSingleElementOp(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    DatasetPtr in;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &in));
    IterCtx ictx(ctx);
    std::unique_ptr<IteratorBase> it;
    MR_RETURN_IF_ERROR(in->make_iterator(ictx, &it));
    Element e, more;
    bool end = false;
    MR_RETURN_IF_ERROR(it->get_next(ictx, &e, &end));
    if (end) return invalid_argument("Dataset was empty.");
    if (static_cast<int>(e.size()) != ctx.num_outputs())
      return invalid_argument(str_cat("Number of components does not match: expected ", ctx.num_outputs(),
                                      " types but got ", e.size(), "."));
    for (size_t i = 0; i < e.size(); ++i) {
      const DType want = ctx.node().output_types[i];
      if (e[i].dtype() != want)
        return invalid_argument(str_cat("Data type mismatch at component ", i, ": expected ", dtype_name(want),
                                        " but got ", dtype_name(e[i].dtype()), "."));
    }
    MR_RETURN_IF_ERROR(it->get_next(ictx, &more, &end));
    if (!end) return invalid_argument("Dataset had more than one element.");
    for (size_t i = 0; i < e.size(); ++i) ctx.set_output(static_cast<int>(i), std::move(e[i]));
    return Status();
  }
};

template <class K, class... A>
KernelFactory with_args(A... a) {
  return [=](KernelInit& init) -> std::unique_ptr<OpKernel> { return new_kernel<K>(init, a...); };
}

}  // namespace

void register_dataset_ops(Registry& r) {
  r.add("TensorDataset", make_kernel<TensorDatasetOp>);
  r.add("TensorSliceDataset", make_kernel<TensorSliceDatasetOp>);
  r.add("RangeDataset", make_kernel<RangeDatasetOp>);
  r.add("MapDataset", with_args<MapDatasetOp>(0));
  r.add("ParallelMapDataset", with_args<MapDatasetOp>(1));
  r.add("ParallelMapDatasetV2", with_args<MapDatasetOp>(2));
  r.add("FilterDataset", with_args<FunctionStageOp<FilterDatasetImpl>>("predicate"));
  r.add("FlatMapDataset", with_args<FunctionStageOp<FlatMapDatasetImpl>>("f"));
  r.add("InterleaveDataset", with_args<InterleaveDatasetOp>(0));
  r.add("ParallelInterleaveDataset", with_args<InterleaveDatasetOp>(1));
  r.add("ExperimentalParallelInterleaveDataset", with_args<InterleaveDatasetOp>(1));
  r.add("LegacyParallelInterleaveDatasetV2", with_args<InterleaveDatasetOp>(3));
  r.add("ParallelInterleaveDatasetV2", with_args<InterleaveDatasetOp>(2));
  r.add("ParallelInterleaveDatasetV3", with_args<InterleaveDatasetOp>(2));
  r.add("ParallelInterleaveDatasetV4", with_args<InterleaveDatasetOp>(4));
  r.add("BatchDataset", with_args<BatchDatasetOp>(false));
  r.add("BatchDatasetV2", with_args<BatchDatasetOp>(true));
  r.add("PaddedBatchDataset", with_args<PaddedBatchDatasetOp>(false));
  r.add("PaddedBatchDatasetV2", with_args<PaddedBatchDatasetOp>(true));
  r.add("MapAndBatchDataset", make_kernel<MapAndBatchDatasetOp>);
  r.add("ExperimentalMapAndBatchDataset", make_kernel<MapAndBatchDatasetOp>);
  r.add("RepeatDataset", make_kernel<CountDatasetOp<RepeatDatasetImpl>>);
  r.add("TakeDataset", make_kernel<CountDatasetOp<TakeDatasetImpl>>);
  r.add("SkipDataset", make_kernel<CountDatasetOp<SkipDatasetImpl>>);
  r.add("ZipDataset", make_kernel<ZipDatasetOp>);
  r.add("ConcatenateDataset", make_kernel<ConcatenateDatasetOp>);
  r.add("CacheDataset", make_kernel<CacheDatasetOp>);
  r.add("CacheDatasetV2", make_kernel<CacheDatasetOp>);
  r.add("DummyMemoryCache", make_kernel<DummyResourceOp>);
  r.add("PrefetchDataset", make_kernel<PrefetchDatasetOp>);
  for (const char* op : {"ModelDataset", "OptimizeDataset", "OptimizeDatasetV2", "MaxIntraOpParallelismDataset",
                         "ExperimentalMaxIntraOpParallelismDataset", "PrivateThreadPoolDataset",
                         "ExperimentalPrivateThreadPoolDataset", "OptionsDataset", "AssertNextDataset",
                         "ExperimentalAssertNextDataset", "NonSerializableDataset",
                         "ExperimentalNonSerializableDataset"})
    r.add(op, make_kernel<PassThroughDatasetOp>);
  r.add("AssertCardinalityDataset",
        with_args<CountDatasetOp<AssertCardinalityDatasetImpl>>("cardinality must be a scalar"));
  r.add("TakeWhileDataset", with_args<FunctionStageOp<TakeWhileDatasetImpl>>("predicate"));
  r.add("ExperimentalTakeWhileDataset", with_args<FunctionStageOp<TakeWhileDatasetImpl>>("predicate"));
  r.add("ScanDataset", make_kernel<ScanDatasetOp>);
  r.add("ExperimentalScanDataset", make_kernel<ScanDatasetOp>);
  r.add("ReduceDataset", make_kernel<ReduceDatasetOp>);
  r.add("DatasetToSingleElement", make_kernel<DatasetToSingleElementOp>);
  r.add("DatasetCardinality", make_kernel<DatasetCardinalityOp>);
}

}  // namespace metarun
