// ShuffleDataset (V1-V3), ShuffleAndRepeatDataset (V1-V2) and the seed
// generator resources the later versions take, giving TF's exact order.
//
// TF's algorithm, which the order depends on:
// - Each iterator draws its (seed, seed2) from the dataset's seed generator
//   when made, and again each time its shuffle buffer moves to a new epoch
//   (shuffle-and-repeat). A random generator is Philox(seed, seed2) handing
//   out uint32 samples, two per draw; a fixed one (reshuffle_each_iteration
//   false) gives its seeds every time. Seeds (0, 0) mean fresh random seeds,
//   drawn once when the generator is made.
// - V1 ops make a new generator each time they run, so re-running an
//   initializer with fixed seeds replays the same order; V2/V3 ops use the
//   generator behind their handle, or (a dummy handle) one of their own.
// - The buffer holds up to buffer_size elements in slices, one per epoch of
//   the input; an element is drawn only from the oldest slice: the uint32
//   sample modulo the slice's length picks it, and the slice's first element
//   moves into its place. Filling stops once the buffer spans more than 3
//   epochs.
// - buffer_size -2 (UNKNOWN_CARDINALITY) shuffles whole epochs: the buffer
//   grows to hold one, and element indices are taken modulo its current size.
#include <atomic>
#include <deque>
#include <mutex>
#include <random>

#include "kernels/dataset_util.h"
#include "kernels/util/philox.h"
#include "framework/registry.h"

namespace metarun {
namespace {

constexpr int64_t kMaxEpochsInBuffer = 3;

uint64_t fresh_seed() {
  static std::mutex mu;
  static std::mt19937_64 engine{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  return engine();
}

// ---- seed generators ----------------------------------------------------------------------

class SeedGenerator : public Resource {
 public:
  // Seeds (0, 0) become fresh random seeds here, once.
  SeedGenerator(int64_t seed, int64_t seed2) : seed_(seed), seed2_(seed2) {
    if (seed_ == 0 && seed2_ == 0) {
      seed_ = static_cast<int64_t>(fresh_seed());
      seed2_ = static_cast<int64_t>(fresh_seed());
    }
  }
  virtual void generate(int64_t* seed, int64_t* seed2) = 0;

 protected:
  int64_t seed_, seed2_;
};

class FixedSeedGenerator : public SeedGenerator {
 public:
  using SeedGenerator::SeedGenerator;
  void generate(int64_t* seed, int64_t* seed2) override {
    *seed = seed_;
    *seed2 = seed2_;
  }
};

class RandomSeedGenerator : public SeedGenerator {
 public:
  RandomSeedGenerator(int64_t seed, int64_t seed2)
      : SeedGenerator(seed, seed2), philox_(static_cast<uint64_t>(seed_), static_cast<uint64_t>(seed2_)),
        samples_(&philox_) {}
  void generate(int64_t* seed, int64_t* seed2) override {
    std::lock_guard<std::mutex> lock(mu_);
    *seed = samples_();
    *seed2 = samples_();
  }

 private:
  std::mutex mu_;
  Philox philox_;
  PhiloxSingle samples_;
};

std::shared_ptr<SeedGenerator> make_generator(int64_t seed, int64_t seed2, bool reshuffle) {
  if (reshuffle) return std::make_shared<RandomSeedGenerator>(seed, seed2);
  return std::make_shared<FixedSeedGenerator>(seed, seed2);
}

std::string generator_key(const ResourceHandle& h) {
  return h.container.empty() ? h.name : h.container + "/" + h.name;
}

Tensor generator_handle(const std::string& container, const std::string& name) {
  return handle_tensor(container, name, true, "seed_generator");
}

// The generator behind a handle input, or none (a dummy handle).
Status lookup_generator(const OpContext& ctx, int i, std::shared_ptr<SeedGenerator>* out) {
  const Tensor& t = ctx.input(i);
  MR_REQUIRE(t.dtype() == DType::kResource && t.num_elements() == 1, "seed_generator must be a resource handle");
  *out = std::dynamic_pointer_cast<SeedGenerator>(ctx.resources().lookup(generator_key(*t.data<ResourceHandle>())));
  return Status();
}

// Marks an anonymous generator's deleter; DeleteSeedGenerator drops the generator.
struct SeedGeneratorDeleter : VariantValue {
  std::string type_name() const override { return "tensorflow::data::SeedGeneratorManager::Deleter"; }
};

// Anonymous generators live for the run that makes them (TF's graph mode
// drops them with their deleter at the end of the run); datasets made in that
// run keep theirs.
class AnonymousSeedGeneratorOp : public OpKernel {
 public:
  AnonymousSeedGeneratorOp(KernelInit& init, bool has_reshuffle) : has_reshuffle_(has_reshuffle) {}
  Status compute(OpContext& ctx) override {
    int64_t seed, seed2;
    MR_RETURN_IF_ERROR(scalar_arg(ctx, 0, "seed", &seed));
    MR_RETURN_IF_ERROR(scalar_arg(ctx, 1, "seed2", &seed2));
    bool reshuffle = true;
    if (has_reshuffle_) {
      MR_REQUIRE(ctx.input(2).rank() == 0, "reshuffle must be a scalar");
      MR_RETURN_IF_ERROR(scalar_input(ctx, 2, "", &reshuffle));
    }
    static std::atomic<int64_t> counter{0};
    std::string name = str_cat(step_resource_prefix(ctx.step_id()), "seed_generator/", counter++);
    ctx.resources().insert(name, make_generator(seed, seed2, reshuffle));
    ctx.set_output(0, generator_handle("", name));
    Tensor d(DType::kVariant, {});
    d.data<Variant>()->value = std::make_shared<SeedGeneratorDeleter>();
    ctx.set_output(1, std::move(d));
    return Status();
  }

 private:
  bool has_reshuffle_;
};

class DeleteSeedGeneratorOp : public OpKernel {
 public:
  explicit DeleteSeedGeneratorOp(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& t = ctx.input(0);
    MR_REQUIRE(t.dtype() == DType::kResource && t.num_elements() == 1, "handle must be a resource handle");
    ctx.resources().erase(generator_key(*t.data<ResourceHandle>()));
    return Status();
  }
};

// A handle to no generator: the shuffle op then makes its own.
class DummySeedGeneratorOp : public OpKernel {
 public:
  explicit DummySeedGeneratorOp(KernelInit& init) : name_("dummy_seed_generator/" + init.name()) {}
  Status compute(OpContext& ctx) override {
    ctx.set_output(0, generator_handle("localhost", name_));
    return Status();
  }

 private:
  std::string name_;
};

// ---- the shuffle buffer -------------------------------------------------------------------

using Element = std::vector<Tensor>;

// Elements by position (positions count every element added, from 0). With
// a fixed buffer size the live positions are one run [first, first + n) and
// TF's ring indices (position % size) never collide, so a deque of the live
// elements gives the same order in memory bounded by what is buffered. The
// growing buffer of shuffle-all is TF's vector, indices and all, as its
// indices shift when it grows.
class ShuffleBuffer {
 public:
  explicit ShuffleBuffer(bool grows) : grows_(grows) {}

  // The element at position `pos` of the oldest slice (whose first position is
  // `start`); the element at `start` moves into its place.
  Element take(int64_t pos, int64_t start) {
    if (grows_) {
      const int64_t n = static_cast<int64_t>(vec_.size());
      Element& slot = vec_[pos % n];
      Element out = std::move(slot);
      std::swap(slot, vec_[start % n]);
      return out;
    }
    Element out = std::move(ring_[pos - first_]);
    if (pos != start) ring_[pos - first_] = std::move(ring_[start - first_]);
    ring_.pop_front();
    ++first_;
    return out;
  }

  void add(int64_t pos, int64_t num_elements, Element e) {
    if (!grows_) {
      ring_.push_back(std::move(e));
    } else if (num_elements == static_cast<int64_t>(vec_.size())) {
      vec_.push_back(std::move(e));
    } else {
      vec_[pos % vec_.size()] = std::move(e);
    }
  }

  int64_t grown_size() const { return static_cast<int64_t>(vec_.size()); }

 private:
  bool grows_;
  std::deque<Element> ring_;
  int64_t first_ = 0;
  std::vector<Element> vec_;
};

class ShuffleDataset : public DatasetBase {
 public:
  ShuffleDataset(DatasetPtr input, int64_t buffer_size, int64_t count,
                 std::shared_ptr<SeedGenerator> generator)
      : DatasetBase(input->output_dtypes(), input->output_shapes()),
        input_(std::move(input)),
        buffer_size_(buffer_size),
        count_(count),
        generator_(std::move(generator)) {}

  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override;

  int64_t cardinality() const override {
    const int64_t n = input_->cardinality();
    if (count_ == -1 || n == kInfiniteCardinality) return kInfiniteCardinality;
    if (n == kUnknownCardinality) return kUnknownCardinality;
    return n * count_;
  }

  const DatasetPtr input_;
  const int64_t buffer_size_;  // or kUnknownCardinality: shuffle whole epochs
  const int64_t count_;        // epochs of the input (-1: endless)
  const std::shared_ptr<SeedGenerator> generator_;
};

class ShuffleIterator : public DatasetIter<ShuffleDataset> {
 public:
  explicit ShuffleIterator(std::shared_ptr<const ShuffleDataset> ds)
      : DatasetIter(std::move(ds)), shuffle_all_(ds_->buffer_size_ == kUnknownCardinality), buffer_(shuffle_all_) {
    reseed();
  }

  Status get_next(IterCtx& ctx, std::vector<Tensor>* out, bool* end) override {
    MR_RETURN_IF_ERROR(fill(ctx));
    if (num_elements_ == 0) {
      *end = true;
      return Status();
    }
    while (slices_.front().start == slices_.front().end) {
      slices_.pop_front();
      reseed();  // a new epoch is shuffled with new seeds
    }
    Slice& s = slices_.front();
    const int64_t offset = static_cast<int64_t>(samples_()) % (s.end - s.start);
    *out = buffer_.take(s.start + offset, s.start);
    budget_.remove(*out);
    ++s.start;
    --num_elements_;
    *end = false;
    return Status();
  }

 private:
  struct Slice {
    int64_t start, end;
    bool input_ended;
  };

  void reseed() {
    int64_t seed, seed2;
    ds_->generator_->generate(&seed, &seed2);
    philox_ = Philox(static_cast<uint64_t>(seed), static_cast<uint64_t>(seed2));
    samples_ = PhiloxSingle(&philox_);
  }

  int64_t capacity() const { return shuffle_all_ ? buffer_.grown_size() : ds_->buffer_size_; }

  // The first slice that still holds elements has seen the end of its epoch.
  bool serving_slice_complete() const {
    for (const Slice& s : slices_)
      if (s.start != s.end) return s.input_ended;
    return false;
  }

  bool should_fill() const {
    if (!input_ && ds_->count_ != -1 && epoch_ >= ds_->count_) return false;
    if (static_cast<int64_t>(slices_.size()) > kMaxEpochsInBuffer && num_elements_ > 0) return false;
    if (shuffle_all_ && (slices_.empty() || !serving_slice_complete())) return true;
    return num_elements_ < capacity();
  }

  Status fill(IterCtx& ctx) {
    while (should_fill()) {
      if (ctx.cancelled()) return cancelled("Iterator was cancelled");
      if (!input_) {
        const int64_t n = slices_.empty() ? 0 : slices_.back().end;
        slices_.push_back({n, n, false});
        MR_RETURN_IF_ERROR(ds_->input_->make_iterator(ctx, &input_));
        ++epoch_;
      }
      Element element;
      bool input_end = false;
      MR_RETURN_IF_ERROR(input_->get_next(ctx, &element, &input_end));
      if (!input_end) {
        data_produced_ = true;
        MR_RETURN_IF_ERROR(budget_.add(element, capacity()));
        buffer_.add(slices_.back().end, num_elements_, std::move(element));
        ++num_elements_;
        ++slices_.back().end;
        continue;
      }
      slices_.back().input_ended = true;
      input_.reset();
      // An endless repeat of an empty input ends instead of looping forever.
      if (!data_produced_ && ds_->count_ == -1) return Status();
    }
    return Status();
  }

  const bool shuffle_all_;
  ShuffleBuffer buffer_;
  GatherBudget budget_;  // what the buffer holds
  std::deque<Slice> slices_;
  std::unique_ptr<IteratorBase> input_;
  int64_t epoch_ = 0;
  int64_t num_elements_ = 0;
  bool data_produced_ = false;
  Philox philox_;
  PhiloxSingle samples_{&philox_};
};

Status ShuffleDataset::make_iterator(IterCtx&, std::unique_ptr<IteratorBase>* out) const {
  out->reset(new ShuffleIterator(std::static_pointer_cast<const ShuffleDataset>(self())));
  return Status();
}

// ---- the ops ---------------------------------------------------------------------------------

enum class SeedSource { kSeeds, kHandle, kSeedsOrHandle };

// Inputs: input_dataset, buffer_size, then per version seed, seed2, [count],
// [seed_generator].
class ShuffleDatasetOp : public DatasetOpKernel {
 public:
  ShuffleDatasetOp(KernelInit& init, SeedSource source, bool repeat)
      : DatasetOpKernel(init), source_(source), repeat_(repeat) {
    if (init.has_attr("reshuffle_each_iteration")) init.get("reshuffle_each_iteration", &reshuffle_);
  }

 protected:
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr input;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &input));
    int64_t buffer_size;
    MR_RETURN_IF_ERROR(scalar_arg(ctx, 1, "buffer_size", &buffer_size));
    MR_REQUIRE(buffer_size > 0 || buffer_size == kUnknownCardinality,
               "buffer_size must be greater than zero or UNKNOWN_CARDINALITY");
    int64_t seed = 0, seed2 = 0, count = 1;
    std::shared_ptr<SeedGenerator> generator;
    if (source_ == SeedSource::kHandle) {
      // V2 without a generator behind its handle: random seeds, reshuffling.
      MR_RETURN_IF_ERROR(lookup_generator(ctx, 2, &generator));
      if (!generator) generator = make_generator(0, 0, true);
    } else {
      MR_RETURN_IF_ERROR(scalar_arg(ctx, 2, "seed", &seed));
      MR_RETURN_IF_ERROR(scalar_arg(ctx, 3, "seed2", &seed2));
      int next = 4;
      if (repeat_) {
        MR_RETURN_IF_ERROR(scalar_arg(ctx, next++, "count", &count));
        MR_REQUIRE(count > 0 || count == -1, "count must be greater than zero or equal to -1.");
      }
      if (source_ == SeedSource::kSeedsOrHandle) MR_RETURN_IF_ERROR(lookup_generator(ctx, next, &generator));
      if (!generator) generator = make_generator(seed, seed2, reshuffle_);
    }
    *out = std::make_shared<ShuffleDataset>(std::move(input), buffer_size, count, std::move(generator));
    return Status();
  }

 private:
  SeedSource source_;
  bool repeat_;
  bool reshuffle_ = true;
};

template <class... A>
KernelFactory shuffle_op(A... args) {
  return [=](KernelInit& init) -> std::unique_ptr<OpKernel> { return new_kernel<ShuffleDatasetOp>(init, args...); };
}

}  // namespace

void register_dataset_shuffle_ops(Registry& r) {
  r.add("ShuffleDataset", shuffle_op(SeedSource::kSeeds, false));
  r.add("ShuffleDatasetV2", shuffle_op(SeedSource::kHandle, false));
  r.add("ShuffleDatasetV3", shuffle_op(SeedSource::kSeedsOrHandle, false));
  r.add("ShuffleAndRepeatDataset", shuffle_op(SeedSource::kSeeds, true));
  r.add("ShuffleAndRepeatDatasetV2", shuffle_op(SeedSource::kSeedsOrHandle, true));
  r.add("AnonymousSeedGenerator", [](KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<AnonymousSeedGeneratorOp>(init, true);
  });
  r.add("AnonymousRandomSeedGenerator", [](KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<AnonymousSeedGeneratorOp>(init, false);
  });
  r.add("DummySeedGenerator", make_kernel<DummySeedGeneratorOp>);
  r.add("DeleteSeedGenerator", make_kernel<DeleteSeedGeneratorOp>);
  r.add("DeleteRandomSeedGenerator", make_kernel<DeleteSeedGeneratorOp>);
}

}  // namespace metarun
