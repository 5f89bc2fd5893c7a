// Candidate samplers (Uniform, LogUniform, LearnedUnigram, FixedUnigram, All)
// and ComputeAccidentalHits: the ops behind sampled_softmax_loss and nce_loss.
//
// A sampler node draws from TF's exact stream: a Philox generator per node and
// session, seeded from (seed, seed2); each run reserves 2048 32-bit samples
// per sampled candidate (512 blocks) and the next run starts after them, even
// when rejection sampling (unique=True) used more. The integer and float
// conversions are TF's SimplePhilox ones: a 64-bit draw takes the low word
// first, exact uniform integers reject the low remainder of the range.
//
// The learned unigram sampler keeps its counts in the same per-session state
// and adds one for every true class after each run, as TF's kernel does.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "framework/registry.h"
#include "kernels/util/file_access.h"
#include "kernels/util/philox.h"

namespace metarun {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// TF's SimplePhilox over one reserved slice of the node's generator.
class Draws {
 public:
  explicit Draws(Philox gen) : gen_(gen), single_(&gen_) {}
  uint32_t rand32() { return single_(); }
  uint64_t rand64() {
    const uint64_t lo = single_();
    return lo | (uint64_t{single_()} << 32);
  }
  float rand_float() { return uint32_to_unit_float(single_()); }
  double rand_double() {
    const uint32_t x0 = single_();
    return uint64_to_unit_double(x0, single_());
  }
  uint32_t uniform32(uint32_t n) { return exact_uniform(n, [this] { return rand32(); }); }
  uint64_t uniform64(uint64_t n) { return exact_uniform(n, [this] { return rand64(); }); }

 private:
  // Uniform in [0, n): a power of two masks the bits, otherwise draws below
  // (2^bits - 1) % n + 1 are rejected. n == 0 still consumes one draw.
  template <class U, class Next>
  static U exact_uniform(U n, Next next) {
    if (n == 0) return next() * n;
    if ((n & (n - 1)) == 0) return next() & (n - 1);
    const U rem = static_cast<U>(~U{0} % n) + 1;
    U r;
    do r = next();
    while (r < rem);
    return r % n;
  }

  Philox gen_;
  PhiloxSingle single_;
};

class RangeSampler {
 public:
  explicit RangeSampler(int64_t range) : range_(range) {}
  virtual ~RangeSampler() = default;
  int64_t range() const { return range_; }
  virtual int64_t sample(Draws& d) const = 0;
  virtual float probability(int64_t value) const = 0;
  virtual void update(const int64_t*, int64_t) {}
  // Values with a nonzero probability (bounds how many unique samples exist).
  virtual int64_t support() const { return range_; }

 protected:
  int64_t range_;
};

class UniformSampler : public RangeSampler {
 public:
  explicit UniformSampler(int64_t range)
      : RangeSampler(range), inv_range_(static_cast<float>(1.0 / range)) {}
  int64_t sample(Draws& d) const override {
    return static_cast<int64_t>(d.uniform64(static_cast<uint64_t>(range_)));
  }
  float probability(int64_t) const override { return inv_range_; }

 private:
  float inv_range_;
};

// P(k) = log((k + 2) / (k + 1)) / log(range + 1), drawn as exp(u * log(range + 1)) - 1.
class LogUniformSampler : public RangeSampler {
 public:
  explicit LogUniformSampler(int64_t range) : RangeSampler(range), log_range_(std::log1p(static_cast<double>(range))) {}
  int64_t sample(Draws& d) const override {
    const int64_t v = static_cast<int64_t>(std::exp(d.rand_double() * log_range_)) - 1;
    return v % range_;
  }
  float probability(int64_t v) const override {
    return static_cast<float>(std::log((v + 2.0) / (v + 1.0)) / log_range_);
  }

 private:
  double log_range_;
};

// Counts start at 1 per class; a sample picks a uniform position in the total
// weight and walks a binary sum tree down to the class holding it (TF's
// WeightedPicker, whose tree has a power-of-two number of leaves).
class LearnedUnigramSampler : public RangeSampler {
 public:
  explicit LearnedUnigramSampler(int64_t range) : RangeSampler(range) {
    leaves_ = 1;
    while (leaves_ < range) leaves_ *= 2;
    tree_.assign(static_cast<size_t>(2 * leaves_), 0);
    for (int64_t i = 0; i < range; ++i) tree_[leaves_ + i] = 1;
    for (int64_t i = leaves_ - 1; i >= 1; --i) tree_[i] = tree_[2 * i] + tree_[2 * i + 1];
  }
  int64_t sample(Draws& d) const override {
    int32_t pos = static_cast<int32_t>(d.uniform32(static_cast<uint32_t>(total())));
    int64_t node = 1;
    while (node < leaves_) {
      const int32_t left = tree_[2 * node];
      if (pos < left) {
        node = 2 * node;
      } else {
        node = 2 * node + 1;
        pos -= left;
      }
    }
    return node - leaves_;
  }
  float probability(int64_t v) const override {
    return static_cast<float>(tree_[leaves_ + v]) / static_cast<float>(total());
  }
  // Only as many increments as keep the total within int32, as TF.
  void update(const int64_t* values, int64_t n) override {
    const int64_t count = std::min<int64_t>(n, kInt32Max - total());
    for (int64_t i = 0; i < count; ++i)
      for (int64_t node = leaves_ + values[i]; node >= 1; node /= 2) ++tree_[node];
  }

 private:
  int32_t total() const { return tree_[1]; }
  int64_t leaves_ = 1;
  std::vector<int32_t> tree_;
};

// Fixed weights (each raised to `distortion`), reserved ids first with weight
// 0, only the ids of this shard kept; drawn with Walker's alias method as TF's
// DistributionSampler builds it (proportions in double, stored as float).
class FixedUnigramSampler : public RangeSampler {
 public:
  FixedUnigramSampler(int64_t range, float distortion, int64_t num_reserved, int64_t num_shards, int64_t shard)
      : RangeSampler(range), distortion_(distortion), num_shards_(num_shards), shard_(shard) {
    for (int64_t id = 0; id < num_reserved; ++id)
      if (id % num_shards_ == shard_) weights_.push_back(0.0f);
  }

  Status load_unigrams(const std::vector<float>& unigrams) {
    int64_t id = static_cast<int64_t>(weights_.size());
    for (float w : unigrams) add(id++, w);
    return finish();
  }

  // A csv-like file whose last field on each line is the weight.
  Status load_file(const FileUser& user, const std::string& path) {
    std::string content;
    MR_RETURN_IF_ERROR(read_file(user, path, &content));
    int64_t id = static_cast<int64_t>(weights_.size());
    for (size_t pos = 0; pos < content.size();) {
      // Lines as std::getline splits them: a last line without '\n' counts.
      const size_t nl = std::min(content.find('\n', pos), content.size());
      std::string line = content.substr(pos, nl - pos);
      pos = nl + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (id % num_shards_ == shard_) {
        const size_t comma = line.rfind(',');
        float w = 0;
        if (!parse_float(comma == std::string::npos ? line : line.substr(comma + 1), &w))
          return invalid_argument(str_cat("Wrong vocabulary format at line: ", line));
        add_weight(w);
      }
      ++id;
    }
    return finish();
  }

  int64_t sample(Draws& d) const override {
    const float r = d.rand_float();
    const uint32_t idx = d.uniform32(static_cast<uint32_t>(prob_.size()));
    return r < prob_[idx] ? idx : alias_[idx];
  }
  float probability(int64_t v) const override {
    if (v < 0 || v >= static_cast<int64_t>(weights_.size())) return 0.0f;
    return weights_[v] / total_;
  }
  int64_t support() const override {
    return std::count_if(weights_.begin(), weights_.end(), [](float w) { return w > 0; });
  }

 private:
  // TF's safe_strtof: surrounding whitespace allowed, nothing else.
  static bool parse_float(std::string s, float* out) {
    const auto b = s.find_first_not_of(" \t\n\v\f\r");
    if (b == std::string::npos) return false;
    s = s.substr(b, s.find_last_not_of(" \t\n\v\f\r") - b + 1);
    char* end = nullptr;
    const float v = std::strtof(s.c_str(), &end);
    if (end != s.c_str() + s.size()) return false;
    *out = v;
    return true;
  }
  void add(int64_t id, float w) {
    if (id % num_shards_ == shard_) add_weight(w);
  }
  void add_weight(float w) {
    w = std::pow(w, distortion_);
    total_ += w;
    weights_.push_back(w);
  }
  Status finish() {
    if (range_ != static_cast<int64_t>(weights_.size()))
      return invalid_argument(str_cat("range is ", range_, " must be equal to weights size  ", weights_.size()));
    build_alias();
    return Status();
  }
  void build_alias() {
    const int64_t n = static_cast<int64_t>(weights_.size());
    prob_.assign(n, 0.0f);
    alias_.assign(n, -1);
    std::vector<double> pr(n);
    double sum = 0;
    for (float w : weights_) sum += w;
    std::vector<int64_t> high, low;
    for (int64_t i = 0; i < n; ++i) {
      pr[i] = static_cast<float>(weights_[i] * static_cast<float>(n)) / sum;
      (pr[i] < 1.0 ? low : high).push_back(i);
    }
    while (!high.empty() && !low.empty()) {
      const int64_t l = low.back(), h = high.back();
      low.pop_back();
      high.pop_back();
      alias_[l] = h;
      pr[h] -= 1.0 - pr[l];
      (pr[h] < 1.0 ? low : high).push_back(h);
    }
    for (int64_t i = 0; i < n; ++i) prob_[i] = static_cast<float>(pr[i]);
    // Rounding leaves a few near-1 entries unpaired: they keep themselves.
    for (const auto* left : {&high, &low})
      for (int64_t i : *left) prob_[i] = 1.0f, alias_[i] = i;
  }

  float distortion_;
  int64_t num_shards_, shard_;
  std::vector<float> weights_;
  float total_ = 0;
  std::vector<float> prob_;
  std::vector<int64_t> alias_;
};

// The expected count of a value of probability p in a batch: p * batch
// without rejection, else 1 - (1 - p)^tries (in float, as TF).
float expected_count(float p, int64_t batch, int64_t tries) {
  if (tries == batch) return p * static_cast<float>(batch);
  return -std::expm1(static_cast<float>(tries) * std::log1p(-p));
}

struct SamplerState : Resource {
  std::mutex mu;
  Philox gen;
  std::unique_ptr<RangeSampler> sampler;
};

uint64_t fresh_seed() {
  static std::mutex mu;
  static std::mt19937_64 engine{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  return engine();
}

enum class Kind { kUniform, kLogUniform, kLearnedUnigram, kFixedUnigram, kAll };

class CandidateSamplerKernel : public OpKernel {
 public:
  CandidateSamplerKernel(KernelInit& init, Kind kind)
      : kind_(kind), key_(str_cat("candidate_sampler/", init.name(), "@", reinterpret_cast<uintptr_t>(&init.node()))) {
    init.get("num_sampled", &num_sampled_);
    init.get("num_true", &num_true_);
    init.get("unique", &unique_);
    if (init.has_attr("seed")) init.get("seed", &seed_);
    if (init.has_attr("seed2")) init.get("seed2", &seed2_);
    if (kind_ == Kind::kAll) {
      range_ = num_sampled_;
    } else {
      init.get("range_max", &range_);
    }
    if (kind_ != Kind::kAll && range_ <= 0)
      init.fail(invalid_argument("range_max must be positive"));
    else if (kind_ == Kind::kLearnedUnigram && range_ >= kInt32Max)
      init.fail(invalid_argument(
          str_cat("range_max must be less than ", kInt32Max, " for unigram samplers, got ", range_)));
    else if (kind_ == Kind::kFixedUnigram)
      init_fixed(init);
  }

  Status compute(OpContext& ctx) override {
    // The vocab file is TF's kernel-construction step: before the inputs are
    // looked at. Every run under an IoPolicy must be allowed to read it, also
    // after an earlier run loaded it.
    if (!vocab_file_.empty()) MR_RETURN_IF_ERROR(ctx.check_read(vocab_file_));
    std::shared_ptr<SamplerState> state;
    MR_RETURN_IF_ERROR(get_state(ctx, &state));
    const Tensor& classes = ctx.input(0);
    MR_REQUIRE(classes.rank() == 2, "true_classes must be a matrix");
    MR_REQUIRE(classes.dim(1) == num_true_, "true_classes must have num_true columns, expected: ", classes.dim(1),
               " was: ", num_true_);
    std::lock_guard<std::mutex> lock(state->mu);
    RangeSampler& sampler = *state->sampler;
    if (unique_) MR_REQUIRE(num_sampled_ <= sampler.range(), "Sampler's range is too small.");
    const int64_t n_true = classes.num_elements();
    const int64_t* true_ids = classes.data<int64_t>();
    for (int64_t i = 0; i < n_true; ++i)
      MR_REQUIRE(true_ids[i] >= 0 && true_ids[i] < sampler.range(), "`true_candidate` out of range [0, ",
                 sampler.range(), "), received ", true_ids[i]);
    // TF would loop forever (or abort) when fewer values than asked can ever be drawn.
    if (unique_ && kind_ == Kind::kFixedUnigram)
      MR_REQUIRE(num_sampled_ <= sampler.support(), "Sampler's range is too small.");

    Tensor sampled(DType::kInt64, Shape{num_sampled_});
    Tensor true_expected(DType::kFloat, Shape{classes.dim(0), num_true_});
    Tensor sampled_expected(DType::kFloat, Shape{num_sampled_});
    int64_t* out = sampled.data<int64_t>();
    float* out_expected = sampled_expected.data<float>();
    float* out_true = true_expected.data<float>();

    Draws draws(state->gen);
    state->gen.skip(static_cast<uint64_t>(2048 * num_sampled_ + 3) / 4);
    if (kind_ == Kind::kAll) {
      for (int64_t i = 0; i < num_sampled_; ++i) out[i] = i, out_expected[i] = 1.0f;
      std::fill(out_true, out_true + n_true, 1.0f);
    } else {
      int64_t tries = num_sampled_;
      if (unique_) {
        std::unordered_set<int64_t> used;
        used.reserve(static_cast<size_t>(num_sampled_));
        int64_t picked = 0;
        tries = 0;
        while (picked < num_sampled_) {
          MR_REQUIRE(++tries < kInt32Max, "Candidate sampler made too many tries for unique samples");
          const int64_t v = sampler.sample(draws);
          if (used.insert(v).second) out[picked++] = v;
        }
      } else {
        for (int64_t i = 0; i < num_sampled_; ++i) out[i] = sampler.sample(draws);
      }
      for (int64_t i = 0; i < num_sampled_; ++i)
        out_expected[i] = expected_count(sampler.probability(out[i]), num_sampled_, tries);
      for (int64_t i = 0; i < n_true; ++i)
        out_true[i] = expected_count(sampler.probability(true_ids[i]), num_sampled_, tries);
    }
    sampler.update(true_ids, n_true);
    ctx.set_output(0, sampled);
    ctx.set_output(1, true_expected);
    ctx.set_output(2, sampled_expected);
    return Status();
  }

 private:
  void init_fixed(KernelInit& init) {
    std::string vocab_file;
    std::vector<float> unigrams;
    init.get("vocab_file", &vocab_file);
    init.get("unigrams", &unigrams);
    if (vocab_file.empty() && unigrams.empty())
      return init.fail(invalid_argument("Must provide either vocab_file or unigrams."));
    if (!vocab_file.empty() && !unigrams.empty())
      return init.fail(invalid_argument("Must only provide one of vocab_file and unigrams."));
    init.get("distortion", &distortion_);
    init.get("num_reserved_ids", &num_reserved_ids_);
    init.get("num_shards", &num_shards_);
    init.get("shard", &shard_);
    if (num_shards_ < 1 || shard_ < 0 || shard_ >= num_shards_)
      return init.fail(invalid_argument(str_cat("shard must be in [0, num_shards), got shard ", shard_,
                                                " of ", num_shards_)));
    vocab_file_ = vocab_file;
    unigrams_ = unigrams;
    // Built here once to report bad unigrams when the kernel is made, as TF
    // does. A vocab file is read at the first run instead, where the run's
    // IoPolicy is known (a kernel is made before any run, outside it).
    if (!vocab_file_.empty()) return;
    std::unique_ptr<RangeSampler> probe;
    Status s = make_sampler(nullptr, &probe);
    if (!s.ok()) init.fail(s);
  }

  // `user` reads the vocab file (null only when there is none).
  Status make_sampler(const FileUser* user, std::unique_ptr<RangeSampler>* out) const {
    switch (kind_) {
      case Kind::kUniform: *out = std::make_unique<UniformSampler>(range_); break;
      case Kind::kLogUniform: *out = std::make_unique<LogUniformSampler>(range_); break;
      case Kind::kLearnedUnigram: *out = std::make_unique<LearnedUnigramSampler>(range_); break;
      case Kind::kAll: *out = std::make_unique<UniformSampler>(range_); break;
      case Kind::kFixedUnigram: {
        auto s = std::make_unique<FixedUnigramSampler>(range_, distortion_, num_reserved_ids_, num_shards_, shard_);
        MR_RETURN_IF_ERROR(vocab_file_.empty() ? s->load_unigrams(unigrams_) : s->load_file(*user, vocab_file_));
        *out = std::move(s);
        break;
      }
    }
    return Status();
  }

  // The node's generator and sampler for this session, made on first use.
  Status get_state(OpContext& ctx, std::shared_ptr<SamplerState>* out) {
    const FileUser user(ctx);
    static std::mutex create_mu;
    std::lock_guard<std::mutex> lock(create_mu);
    auto state = std::dynamic_pointer_cast<SamplerState>(ctx.resources().lookup(key_));
    if (!state) {
      state = std::make_shared<SamplerState>();
      uint64_t s = static_cast<uint64_t>(seed_), s2 = static_cast<uint64_t>(seed2_);
      if (s == 0 && s2 == 0) s = fresh_seed(), s2 = fresh_seed();
      state->gen = Philox(s, s2);
      try {
        MR_RETURN_IF_ERROR(make_sampler(&user, &state->sampler));
      } catch (const std::bad_alloc&) {
        return Status(Code::kResourceExhausted, str_cat("OOM making a sampler of range ", range_));
      }
      ctx.resources().insert(key_, state);
    }
    *out = state;
    return Status();
  }

  Kind kind_;
  std::string key_;
  int64_t num_sampled_ = 0, num_true_ = 0, range_ = 0;
  bool unique_ = false;
  int64_t seed_ = 0, seed2_ = 0;
  std::string vocab_file_;
  std::vector<float> unigrams_;
  float distortion_ = 1.0f;
  int64_t num_reserved_ids_ = 0, num_shards_ = 1, shard_ = 0;
};

template <Kind kKind>
std::unique_ptr<OpKernel> make_sampler_kernel(KernelInit& init) {
  return new_kernel<CandidateSamplerKernel>(init, kKind);
}

// For each true class found among the sampled ones: its row, the position of
// the sampled copy (the last one when a value was sampled twice) and -FLT_MAX.
class ComputeAccidentalHitsKernel : public OpKernel {
 public:
  explicit ComputeAccidentalHitsKernel(KernelInit& init) { init.get("num_true", &num_true_); }
  Status compute(OpContext& ctx) override {
    const Tensor& classes = ctx.input(0);
    const Tensor& sampled = ctx.input(1);
    MR_REQUIRE(classes.rank() == 2 && classes.dim(1) == num_true_,
               "true_candidates must be a batch_size * num_true matrix");
    MR_REQUIRE(sampled.rank() == 1,
               "sampled_candidates must be a vector, which is typically an output from CandidateSampler");
    std::unordered_map<int64_t, int64_t> position;
    const int64_t* s = sampled.data<int64_t>();
    for (int64_t i = 0; i < sampled.dim(0); ++i) position[s[i]] = i;
    std::vector<int32_t> rows;
    std::vector<int64_t> ids;
    const int64_t* t = classes.data<int64_t>();
    for (int64_t i = 0; i < classes.dim(0); ++i)
      for (int64_t j = 0; j < num_true_; ++j) {
        auto it = position.find(t[i * num_true_ + j]);
        if (it == position.end()) continue;
        rows.push_back(static_cast<int32_t>(i));
        ids.push_back(it->second);
      }
    const int64_t n = static_cast<int64_t>(rows.size());
    Tensor out_rows(DType::kInt32, Shape{n}), out_ids(DType::kInt64, Shape{n}), out_w(DType::kFloat, Shape{n});
    std::copy(rows.begin(), rows.end(), out_rows.data<int32_t>());
    std::copy(ids.begin(), ids.end(), out_ids.data<int64_t>());
    std::fill(out_w.data<float>(), out_w.data<float>() + n, -std::numeric_limits<float>::max());
    ctx.set_output(0, out_rows);
    ctx.set_output(1, out_ids);
    ctx.set_output(2, out_w);
    return Status();
  }

 private:
  int64_t num_true_ = 1;
};

}  // namespace

void register_candidate_sampler_ops(Registry& r) {
  r.add("UniformCandidateSampler", make_sampler_kernel<Kind::kUniform>);
  r.add("LogUniformCandidateSampler", make_sampler_kernel<Kind::kLogUniform>);
  r.add("LearnedUnigramCandidateSampler", make_sampler_kernel<Kind::kLearnedUnigram>);
  r.add("FixedUnigramCandidateSampler", make_sampler_kernel<Kind::kFixedUnigram>);
  r.add("AllCandidateSampler", make_sampler_kernel<Kind::kAll>);
  r.add("ComputeAccidentalHits", make_kernel<ComputeAccidentalHitsKernel>);
}

}  // namespace metarun
