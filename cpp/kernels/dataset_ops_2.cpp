// More tf.data kernels: RewriteDataset (a pass-through: metarun performs
// none of the tf.data service rewrites it asks for), UnbatchDataset,
// ParallelBatchDataset (BatchDatasetV2's elements in input order),
// ShardDataset, GeneratorDataset (from_generator's init/next/finalize
// functions), the reducing stages ReduceDataset and DatasetToSingleElement,
// ScanDataset and TakeWhileDataset; and the two non-dataset ops Dataset.list_files
// builds: MatchingFiles (TF's glob: fnmatch per path level, sorted results)
// and ReduceJoin.
//
// As everywhere in tf.data here, stages stream and call their functions
// through the IterCtx of the get_next that asks for an element.
#include <fnmatch.h>

#include <algorithm>
#include <cstring>

#include "framework/registry.h"
#include "kernels/dataset_util.h"
#include "kernels/util/file_access.h"

namespace metarun {
namespace {

using Element = std::vector<Tensor>;

constexpr int64_t kShardHint = -1;

// Reads up to n elements of `in`, dropping them: *skipped says how many.
Status skip_elements(IteratorBase* in, IterCtx& ctx, int64_t n, bool* end, int64_t* skipped) {
  *end = false;
  *skipped = 0;
  while (*skipped < n) {
    Element e;
    MR_RETURN_IF_ERROR(in->get_next(ctx, &e, end));
    if (*end) return Status();
    ++*skipped;
  }
  return Status();
}

// ---- RewriteDataset ---------------------------------------------------------------------------

class RewriteDatasetOp : public DatasetOpKernel {
 public:
  using DatasetOpKernel::DatasetOpKernel;
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr in;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &in));
    const Tensor& name = ctx.input(1);
    MR_REQUIRE(name.dtype() == DType::kString && name.rank() == 0, "rewrite_name must be a scalar");
    *out = pass_through(std::move(in), output_types_, output_shapes_);
    return Status();
  }
};

// ---- UnbatchDataset ---------------------------------------------------------------------------

class UnbatchDatasetImpl : public UnaryDataset {
 public:
  UnbatchDatasetImpl(DatasetPtr input, std::vector<DType> dt, std::vector<PartialShape> sh)
      : UnaryDataset(std::move(input), std::move(dt), std::move(sh)) {
    for (const PartialShape& s : input_->output_shapes()) {
      if (!s.unknown_rank && !s.dims.empty() && s.dims[0] >= 0 && batch_ < 0) batch_ = s.dims[0];
    }
  }
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    return make_unary_iter<Iter, UnbatchDatasetImpl>(ctx, out);
  }
  int64_t cardinality() const override {
    const int64_t n = input_->cardinality();
    if (n < 0) return n;
    return batch_ > 0 ? n * batch_ : kUnknownCardinality;
  }

 private:
  class Iter : public UnaryIter<UnbatchDatasetImpl> {
   public:
    using UnaryIter::UnaryIter;
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      while (in_) {
        if (index_ < size_) {
          out->clear();
          for (size_t c = 0; c < batch_.size(); ++c) {
            const Tensor& t = batch_[c];
            Tensor row(t.dtype(), Shape(t.shape().begin() + 1, t.shape().end()));
            const int64_t m = row.num_elements();
            copy_elements(t, index_ * m, row, 0, m);
            out->push_back(std::move(row));
          }
          ++index_;
          *end = false;
          return Status();
        }
        index_ = size_ = 0;
        batch_.clear();
        bool in_end = false;
        MR_RETURN_IF_ERROR(in_->get_next(ctx, &batch_, &in_end));
        if (in_end) break;
        for (size_t c = 0; c < batch_.size(); ++c) {
          if (batch_[c].rank() == 0) {
            batch_.clear();
            return invalid_argument("Input element must have a non-scalar value in each component.");
          }
          if (batch_[c].dim(0) != batch_[0].dim(0)) {
            const int64_t first = batch_[0].dim(0), other = batch_[c].dim(0);
            batch_.clear();
            return invalid_argument(str_cat("Input element must have the same batch size in each component. "
                                            "Component 0 had size ", first, " but component ", c, " had size, ",
                                            other, "."));
          }
        }
        size_ = batch_.empty() ? 0 : batch_[0].dim(0);
      }
      in_.reset();
      batch_.clear();
      *end = true;
      return Status();
    }

   private:
    Element batch_;
    int64_t index_ = 0, size_ = 0;
  };
  int64_t batch_ = -1;  // the input's static batch size, when known
};

class UnbatchDatasetOp : public DatasetOpKernel {
 public:
  using DatasetOpKernel::DatasetOpKernel;
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr in;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &in));
    *out = std::make_shared<UnbatchDatasetImpl>(std::move(in), output_types_, output_shapes_);
    return Status();
  }
};

// ---- ParallelBatchDataset ----------------------------------------------------------------------

class ParallelBatchDatasetImpl : public UnaryDataset {
 public:
  ParallelBatchDatasetImpl(DatasetPtr input, int64_t batch, bool drop, std::vector<DType> dt,
                           std::vector<PartialShape> sh)
      : UnaryDataset(std::move(input), std::move(dt), std::move(sh)), batch_(batch), drop_(drop) {}
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    return make_unary_iter<Iter, ParallelBatchDatasetImpl>(ctx, out);
  }
  int64_t cardinality() const override {
    const int64_t n = input_->cardinality();
    if (n < 0) return n;
    return n / batch_ + (n % batch_ == 0 || drop_ ? 0 : 1);
  }

 private:
  // Batches are built in input order, one at a time: the deterministic
  // order TF gives (and one of the orders a non-deterministic request allows).
  class Iter : public UnaryIter<ParallelBatchDatasetImpl> {
   public:
    using UnaryIter::UnaryIter;
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      *end = true;
      if (!in_) return Status();
      std::vector<Element> elems;
      MR_RETURN_IF_ERROR(gather_elements(ctx, &in_, ds_->batch_, &elems));
      const int64_t n = static_cast<int64_t>(elems.size());
      if (n == 0 || (ds_->drop_ && n < ds_->batch_)) return Status();
      *end = false;
      return stack_elements(elems, out);
    }
  };
  int64_t batch_;
  bool drop_;
};

class ParallelBatchDatasetOp : public DatasetOpKernel {
 public:
  using DatasetOpKernel::DatasetOpKernel;
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr in;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &in));
    int64_t batch, npc;
    bool drop;
    MR_RETURN_IF_ERROR(int_input(ctx, 1, "batch_size must be a scalar", &batch));
    MR_REQUIRE(batch > 0, "Batch size must be greater than zero.");
    MR_RETURN_IF_ERROR(int_input(ctx, 2, "num_parallel_calls must be a scalar", &npc));
    MR_RETURN_IF_ERROR(bool_input(ctx, 3, "drop_remainder must be a scalar", &drop));
    *out = std::make_shared<ParallelBatchDatasetImpl>(std::move(in), batch, drop, output_types_, output_shapes_);
    return Status();
  }
};

// ---- ShardDataset -----------------------------------------------------------------------------

const char kFileShardHelp[] =
    "If you are using datasets with distribution strategy, consider setting the auto sharding policy to either "
    "DATA or OFF using the `experimental_distribute.auto_shard_policy` option of `tf.data.Options()`. Or, split "
    "your input files into a larger number of small files such that number of files is greater than number of "
    "shards/workers.";

class ShardDatasetImpl : public UnaryDataset {
 public:
  ShardDatasetImpl(DatasetPtr input, int64_t shards, int64_t index, bool require_non_empty, std::vector<DType> dt,
                   std::vector<PartialShape> sh)
      : UnaryDataset(std::move(input), std::move(dt), std::move(sh)), shards_(shards), index_(index),
        require_non_empty_(require_non_empty) {}
  Status make_iterator(IterCtx& ctx, std::unique_ptr<IteratorBase>* out) const override {
    if (shards_ == kShardHint)
      return failed_precondition(
          "`tf.data.Dataset.shard(SHARD_HINT, ...)` can only be used in "
          "`tf.distribute.Strategy.experimental_distribute_dataset()` with "
          "`tf.data.experimental.AutoShardPolicy.HINT` policy, or tf.data service with "
          "`tf.data.experimental.service.ShardingPolicy.HINT` processing mode.");
    return make_unary_iter<Iter, ShardDatasetImpl>(ctx, out);
  }
  int64_t cardinality() const override {
    const int64_t n = input_->cardinality();
    if (n < 0) return n;
    return n / shards_ + (index_ < n % shards_ ? 1 : 0);
  }

 private:
  class Iter : public UnaryIter<ShardDatasetImpl> {
   public:
    using UnaryIter::UnaryIter;
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      *end = true;
      if (!in_) return Status();
      const int64_t shards = ds_->shards_;
      int64_t to_skip = (ds_->index_ - next_) % shards;
      if (to_skip < 0) to_skip += shards;
      int64_t skipped = 0;
      MR_RETURN_IF_ERROR(skip_elements(in_.get(), ctx, to_skip, end, &skipped));
      next_ += skipped;
      if (*end) {
        in_.reset();
        return Status();
      }
      Element e;
      MR_RETURN_IF_ERROR(in_->get_next(ctx, &e, end));
      if (*end) {
        in_.reset();
        return Status();
      }
      ++next_;
      if (ds_->require_non_empty_ && next_ < shards) {
        // Only an auto-shard rewrite sets require_non_empty: the input is then
        // one element per file, and each shard must get at least one.
        bool skip_end = false;
        Status s = skip_elements(in_.get(), ctx, shards - next_, &skip_end, &skipped);
        if (skip_end || s.code() == Code::kOutOfRange) {
          *end = false;
          return invalid_argument(str_cat("Could not apply FILE based sharding: the dataset only has ", next_,
                                          " file(s), which is not enough for the required ", shards,
                                          " shards/workers. ", kFileShardHelp));
        }
        MR_RETURN_IF_ERROR(s);
        next_ = shards;
      }
      *out = std::move(e);
      *end = false;
      return Status();
    }

   private:
    int64_t next_ = 0;  // the input position
  };
  int64_t shards_, index_;
  bool require_non_empty_;
};

class ShardDatasetOp : public DatasetOpKernel {
 public:
  explicit ShardDatasetOp(KernelInit& init) : DatasetOpKernel(init) {
    if (init.has_attr("require_non_empty")) init.get("require_non_empty", &require_non_empty_);
  }
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    DatasetPtr in;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &in));
    int64_t shards, index;
    MR_RETURN_IF_ERROR(int_input(ctx, 1, "num_shards must be a scalar", &shards));
    MR_REQUIRE(shards > 0 || shards == kShardHint, "Number of shards must be greater than zero (currently "
               "num_shards = ", shards, ").");
    MR_RETURN_IF_ERROR(int_input(ctx, 2, "index must be a scalar", &index));
    MR_REQUIRE((index >= 0 && index < shards) || shards == kShardHint, "Index must be between 0 and ", shards - 1,
               " (currently index = ", index, ").");
    *out = std::make_shared<ShardDatasetImpl>(std::move(in), shards, index, require_non_empty_, output_types_,
                                              output_shapes_);
    return Status();
  }

 private:
  bool require_non_empty_ = false;
};

// ---- GeneratorDataset -------------------------------------------------------------------------

// init_func(init args) makes the state; next_func(state) yields each element
// until it fails with OutOfRange, which ends the sequence after
// finalize_func(state) has run. The state is made by the first get_next.
// (TF also finalizes an iterator dropped before its end; here an iterator
// has no run to call functions in when it is dropped, so only the end of
// the sequence finalizes.)
class GeneratorDatasetImpl : public DatasetBase {
 public:
  GeneratorDatasetImpl(CapturedFunc init, CapturedFunc next, CapturedFunc finalize, std::vector<DType> dt,
                       std::vector<PartialShape> sh)
      : DatasetBase(std::move(dt), std::move(sh)), init_(std::move(init)), next_(std::move(next)),
        finalize_(std::move(finalize)) {}
  Status make_iterator(IterCtx&, std::unique_ptr<IteratorBase>* out) const override {
    *out = std::make_unique<Iter>(std::static_pointer_cast<const GeneratorDatasetImpl>(self()));
    return Status();
  }

 private:
  class Iter : public IteratorBase {
   public:
    explicit Iter(std::shared_ptr<const GeneratorDatasetImpl> ds) : ds_(std::move(ds)) {}
    Status get_next(IterCtx& ctx, Element* out, bool* end) override {
      if (!initialized_) {
        MR_RETURN_IF_ERROR(ds_->init_.call(ctx, {}, &state_));
        initialized_ = true;
      }
      *end = true;
      if (finalized_) return Status();
      Element rets;
      Status s = ds_->next_.call(ctx, state_, &rets);
      if (s.ok()) {
        *end = false;
        *out = std::move(rets);
        return Status();
      }
      if (s.code() != Code::kOutOfRange) {
        *end = false;
        return s;
      }
      Element ignored;
      MR_RETURN_IF_ERROR(ds_->finalize_.call(ctx, state_, &ignored));
      finalized_ = true;
      return Status();
    }

   private:
    std::shared_ptr<const GeneratorDatasetImpl> ds_;
    bool initialized_ = false, finalized_ = false;
    Element state_;
  };
  CapturedFunc init_, next_, finalize_;
};

class GeneratorDatasetOp : public DatasetOpKernel {
 public:
  explicit GeneratorDatasetOp(KernelInit& init) : DatasetOpKernel(init) {
    init_fn_ = init.function("init_func");
    next_fn_ = init.function("next_func");
    finalize_fn_ = init.function("finalize_func");
    n_init_ = list_len(init, "Tinit_func_args");
    n_next_ = list_len(init, "Tnext_func_args");
    n_finalize_ = list_len(init, "Tfinalize_func_args");
  }
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    CapturedFunc init = capture(init_fn_, ctx, 0, n_init_);
    CapturedFunc next = capture(next_fn_, ctx, n_init_, n_next_);
    CapturedFunc finalize = capture(finalize_fn_, ctx, n_init_ + n_next_, n_finalize_);
    *out = std::make_shared<GeneratorDatasetImpl>(std::move(init), std::move(next), std::move(finalize),
                                                  output_types_, output_shapes_);
    return Status();
  }

 private:
  std::shared_ptr<const Function> init_fn_, next_fn_, finalize_fn_;
  int n_init_ = 0, n_next_ = 0, n_finalize_ = 0;
};

// ---- MatchingFiles ----------------------------------------------------------------------------

// tsl::io path helpers, for local paths.
std::string dirname(const std::string& p) {
  const size_t pos = p.rfind('/');
  if (pos == std::string::npos) return "";
  if (pos == 0) return "/";
  return p.substr(0, pos);
}

std::string join_path(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  if (a.back() == '/') return b[0] == '/' ? a + b.substr(1) : a + b;
  return b[0] == '/' ? a + b : a + "/" + b;
}

const char kGlobChars[] = "*?[\\";

bool is_glob(const std::string& s) { return s.find_first_of(kGlobChars) != std::string::npos; }

// TF's GetMatchingPaths on the local file system: the pattern's path
// prefixes are matched level by level (fnmatch with FNM_PATHNAME) from the
// last prefix without glob characters; a pattern without any names the path
// itself when it exists. Unreadable or missing directories match nothing.
// Under an IoPolicy the pattern's base directory, each directory listed and
// each path stat'ed or matched must be readable: a link in an allowed
// directory to a file or directory outside it is denied, not followed.
Status matching_paths(const FileUser& user, const std::string& pattern, std::vector<std::string>* out) {
  if (pattern.empty()) return Status();
  MR_RETURN_IF_ERROR(user.check(FileAccess::kRead, glob_base(pattern)));
  std::string patched = pattern;
  if (dirname(pattern.substr(0, pattern.find_first_of(kGlobChars))).empty()) patched = join_path(".", pattern);
  std::string dir = patched;
  if (pattern.back() == '/') dir = dirname(dir);
  std::vector<std::string> dirs;
  while (!dir.empty()) {
    dirs.push_back(dir);
    std::string up = dirname(dir);
    if (up == dir) break;
    dir = up;
  }
  std::reverse(dirs.begin(), dirs.end());
  size_t first_glob = 0;
  while (first_glob < dirs.size() && !is_glob(dirs[first_glob])) ++first_glob;
  if (first_glob == dirs.size()) {
    bool exists = false;
    MR_RETURN_IF_ERROR(path_exists(user, pattern, &exists));
    if (exists) out->push_back(pattern);
    return Status();
  }
  std::vector<std::pair<std::string, size_t>> level{{dirs[first_glob - 1], first_glob - 1}};
  while (!level.empty()) {
    std::vector<std::pair<std::string, size_t>> next_level;
    for (const auto& [parent, at] : level) {
      const size_t index = at + 1;
      std::vector<std::string> children;
      MR_RETURN_IF_ERROR(list_directory(user, parent, &children));
      for (const std::string& child : children) {
        const std::string path = join_path(parent, child);
        if (::fnmatch(dirs[index].c_str(), path.c_str(), FNM_PATHNAME) != 0) continue;
        if (index == dirs.size() - 1) {
          MR_RETURN_IF_ERROR(user.check(FileAccess::kRead, path));
          out->push_back(path);
        } else {
          bool dir = false;
          MR_RETURN_IF_ERROR(is_directory(user, path, &dir));
          if (dir) next_level.emplace_back(path, index);
        }
      }
    }
    level = std::move(next_level);
  }
  return Status();
}

class MatchingFilesOp : public OpKernel {
 public:
  explicit MatchingFilesOp(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& p = ctx.input(0);
    MR_REQUIRE(p.rank() <= 1, "Input patterns tensor must be scalar or vector, but had shape: ", shape_str(p.shape()));
    std::vector<std::string> files;
    const FileUser user(ctx);
    for (int64_t i = 0; i < p.num_elements(); ++i)
      MR_RETURN_IF_ERROR(matching_paths(user, p.data<std::string>()[i], &files));
    std::sort(files.begin(), files.end());
    Tensor& out = ctx.allocate_output(0, {static_cast<int64_t>(files.size())});
    std::move(files.begin(), files.end(), out.data<std::string>());
    return Status();
  }
};

// ---- ReduceJoin -------------------------------------------------------------------------------

// Joins the strings along the reduced dims; the first listed reduction dim
// varies fastest within each joined string (TF's order).
class ReduceJoinOp : public OpKernel {
 public:
  explicit ReduceJoinOp(KernelInit& init) {
    init.get("keep_dims", &keep_dims_);
    init.get("separator", &separator_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& idx = ctx.input(1);
    const int rank = in.rank();
    std::vector<int64_t> axes;
    MR_RETURN_IF_ERROR(tensor_to_vector(idx, &axes, "reduction_indices"));
    std::vector<bool> reduced(rank, false);
    std::vector<int> red;  // outermost (slowest) first
    for (int64_t a : axes) {
      if (a < -rank || a >= rank)
        return out_of_range(str_cat("Invalid reduction dimension ", a, " for input with ", rank, " dimension(s)"));
      const int d = static_cast<int>(a < 0 ? a + rank : a);
      MR_REQUIRE(!reduced[d], "Duplicate reduction dimension ", a);
      reduced[d] = true;
      red.insert(red.begin(), d);
    }
    std::vector<int> kept;
    Shape out_shape;
    for (int d = 0; d < rank; ++d) {
      if (!reduced[d]) {
        kept.push_back(d);
        out_shape.push_back(in.dim(d));
      } else if (keep_dims_) {
        out_shape.push_back(1);
      }
    }
    std::vector<int64_t> strides(rank, 1);
    for (int d = rank - 2; d >= 0; --d) strides[d] = strides[d + 1] * in.dim(d + 1);
    auto full_index = [&](int64_t i, const std::vector<int>& dims) {
      int64_t r = 0;
      for (int k = static_cast<int>(dims.size()) - 1; k >= 0; --k) {
        const int64_t n = in.dim(dims[k]);
        r += strides[dims[k]] * (i % n);
        i /= n;
      }
      return r;
    };
    int64_t per = 1;
    for (int d : red) per *= in.dim(d);
    Tensor& out = ctx.allocate_output(0, out_shape);
    const std::string* src = in.data<std::string>();
    std::string* dst = out.data<std::string>();
    for (int64_t o = 0; o < out.num_elements(); ++o) {
      const int64_t base = full_index(o, kept);
      std::string s;
      for (int64_t r = 0; r < per; ++r) {
        if (r) s += separator_;
        s += src[base + full_index(r, red)];
      }
      dst[o] = std::move(s);
    }
    return Status();
  }

 private:
  bool keep_dims_ = false;
  std::string separator_;
};

}  // namespace

void register_dataset_ops_2(Registry& r) {
  r.add("RewriteDataset", make_kernel<RewriteDatasetOp>);
  r.add("UnbatchDataset", make_kernel<UnbatchDatasetOp>);
  r.add("ExperimentalUnbatchDataset", make_kernel<UnbatchDatasetOp>);
  r.add("ParallelBatchDataset", make_kernel<ParallelBatchDatasetOp>);
  r.add("ShardDataset", make_kernel<ShardDatasetOp>);
  r.add("GeneratorDataset", make_kernel<GeneratorDatasetOp>);
  r.add("MatchingFiles", make_kernel<MatchingFilesOp>);
  r.add("ReduceJoin", make_kernel<ReduceJoinOp>);
  r.add_host("EagerPyFunc");
}

}  // namespace metarun
