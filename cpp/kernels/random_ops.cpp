// Stateful random ops (RandomUniform, RandomStandardNormal, TruncatedNormal,
// RandomUniformInt, Multinomial, RandomShuffle) drawing TensorFlow's exact
// streams from Philox4x32-10 (see philox.h).
//
// TF keeps one generator per node for the life of the session (stateful
// kernels are shared by every run signature) and each run reserves a slice of
// its stream, so a second run draws the next numbers. The generator lives in
// the session's ResourceMgr under the node name, so every plan of a session
// shares it. Seeds (0, 0) mean "pick random seeds", once per node and session.
//
// The distribution ops reserve 256 Philox blocks per output element. Output
// group g (4 values, 2 for 64-bit types) reads from block g of the slice, or,
// for the rejection-sampled truncated normal, from block g * 256 * group / 4;
// so the numbers never depend on how the work is split across threads.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <random>

#include "kernels/util/philox.h"
#include "framework/registry.h"

namespace metarun {
namespace {

constexpr uint64_t kBlocksPerOutput = 256;

struct GeneratorState : Resource {
  std::mutex mu;
  Philox gen;
};

uint64_t fresh_seed() {
  static std::mutex mu;
  static std::mt19937_64 engine{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  return engine();
}

// Reads `seed`/`seed2` and hands out reserved slices of the node's stream.
class SeededKernel : public OpKernel {
 protected:
  // Keyed by the node itself: a function body's node may share an outer node's name, and
  // each function instantiation keeps a stream of its own, as TF's kernels do.
  explicit SeededKernel(KernelInit& init)
      : key_(str_cat("random_op/", init.name(), "@", reinterpret_cast<uintptr_t>(&init.node()))) {
    if (init.has_attr("seed")) init.get("seed", &seed_);
    if (init.has_attr("seed2")) init.get("seed2", &seed2_);
  }

  // The stream positioned at this run's samples; the node's generator moves
  // `blocks` past it.
  Philox reserve(OpContext& ctx, uint64_t blocks) const {
    static std::mutex create_mu;
    std::shared_ptr<GeneratorState> state;
    {
      std::lock_guard<std::mutex> lock(create_mu);
      state = std::dynamic_pointer_cast<GeneratorState>(ctx.resources().lookup(key_));
      if (!state) {
        state = std::make_shared<GeneratorState>();
        uint64_t s = static_cast<uint64_t>(seed_), s2 = static_cast<uint64_t>(seed2_);
        if (s == 0 && s2 == 0) {
          s = fresh_seed();
          s2 = fresh_seed();
        }
        state->gen = Philox(s, s2);
        ctx.resources().insert(key_, state);
      }
    }
    std::lock_guard<std::mutex> lock(state->mu);
    Philox slice = state->gen;
    state->gen.skip(blocks);
    return slice;
  }

 private:
  std::string key_;
  int64_t seed_ = 0;
  int64_t seed2_ = 0;
};

// TF's MakeShape on the `shape` input, with its messages.
Status shape_from_input(const Tensor& t, Shape* out) {
  MR_REQUIRE(t.rank() == 1 && (t.dtype() == DType::kInt32 || t.dtype() == DType::kInt64),
             "shape must be a vector of {int32,int64}, got shape ", shape_str(t.shape()));
  out->clear();
  int64_t total = 1;
  bool overflow = false;  // as in TF, a zero dim only saves the dims after it
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    int64_t d = index_at(t, i);
    MR_REQUIRE(d >= 0, "Dimension ", d, " must be >= 0");
    out->push_back(d);
    overflow = overflow || __builtin_mul_overflow(total, d, &total);
  }
  MR_REQUIRE(!overflow, "Shape ", shape_str(*out), " would have more than 2**63 - 1 elements");
  return Status();
}

Status check_input_type(OpContext& ctx, int i, DType want) {
  MR_REQUIRE(ctx.input(i).dtype() == want, "Input ", i, " of node ", ctx.name(), " is ",
             dtype_name(ctx.input(i).dtype()), ", expected ", dtype_name(want));
  return Status();
}

// ---- distributions: one Philox block in, one group of values out ----

template <class T> struct Uniform {
  static constexpr int kGroup = 4;
  void operator()(const Philox::Block& b, T* out) const {
    for (int i = 0; i < 4; ++i) {
      if constexpr (std::is_same_v<T, float>) out[i] = uint32_to_unit_float(b[i]);
      else if constexpr (std::is_same_v<T, Half>) out[i] = uint16_to_unit_half(b[i]);
      else out[i] = uint16_to_unit_bfloat16(b[i]);
    }
  }
};
template <> struct Uniform<double> {
  static constexpr int kGroup = 2;
  void operator()(const Philox::Block& b, double* out) const {
    out[0] = uint64_to_unit_double(b[0], b[1]);
    out[1] = uint64_to_unit_double(b[2], b[3]);
  }
};

template <class T> struct Normal {
  static constexpr int kGroup = 4;
  void operator()(const Philox::Block& b, T* out) const {
    for (int i = 0; i < 4; i += 2) {
      float f0, f1;
      box_muller_float(b[i], b[i + 1], &f0, &f1);
      out[i] = T(f0);
      out[i + 1] = T(f1);
    }
  }
};
template <> struct Normal<double> {
  static constexpr int kGroup = 2;
  void operator()(const Philox::Block& b, double* out) const {
    box_muller_double(b[0], b[1], b[2], b[3], &out[0], &out[1]);
  }
};

// Draws normal pairs from a single-sample stream and keeps the values with
// |x| < 2 until the group is full.
template <class T> struct Truncated {
  static constexpr int kGroup = std::is_same_v<T, double> ? 2 : 4;
  void operator()(PhiloxSingle& s, T* out) const {
    int n = 0;
    while (true) {
      T v[2];
      if constexpr (std::is_same_v<T, double>) {
        uint32_t x0 = s(), x1 = s(), x2 = s(), x3 = s();
        box_muller_double(x0, x1, x2, x3, &v[0], &v[1]);
        for (double d : v) {
          if (std::fabs(d) < 2.0) out[n++] = d;
          if (n == kGroup) return;
        }
      } else {
        uint32_t x0 = s(), x1 = s();
        float f[2];
        box_muller_float(x0, x1, &f[0], &f[1]);
        for (float x : f) {
          if (std::fabs(x) < 2.0f) out[n++] = T(x);
          if (n == kGroup) return;
        }
      }
    }
  }
};

// lo + (bits mod range) in unsigned arithmetic, which cannot overflow.
template <class T> struct UniformInt {
  using U = std::make_unsigned_t<T>;
  static constexpr int kGroup = sizeof(T) == 4 ? 4 : 2;
  T lo;
  U range;
  void operator()(const Philox::Block& b, T* out) const {
    for (int i = 0; i < kGroup; ++i) {
      U bits = sizeof(T) == 4 ? U(b[i]) : U(b[2 * i] | (uint64_t{b[2 * i + 1]} << 32));
      out[i] = static_cast<T>(static_cast<U>(lo) + bits % range);
    }
  }
};

template <class T, class Dist>
void fill_fixed(OpContext& ctx, const Philox& base, T* out, int64_t n, double cost, Dist dist) {
  constexpr int kGroup = Dist::kGroup;
  constexpr int kBatch = 8;  // blocks drawn at once
  int64_t groups = (n + kGroup - 1) / kGroup;
  ctx.parallel_for(groups, cost, [&](int64_t begin, int64_t end) {
    Philox gen = base;
    gen.skip(static_cast<uint64_t>(begin));
    Philox::Block blocks[kBatch];
    T buf[kGroup];
    for (int64_t g = begin; g < end; g += kBatch) {
      gen.next_blocks<kBatch>(blocks);
      for (int64_t j = 0; j < kBatch && g + j < end; ++j) {
        dist(blocks[j], buf);
        int64_t off = (g + j) * kGroup;
        std::copy(buf, buf + std::min<int64_t>(kGroup, n - off), out + off);
      }
    }
  });
}

template <class T>
void fill_truncated(OpContext& ctx, const Philox& base, T* out, int64_t n) {
  constexpr int kGroup = Truncated<T>::kGroup;
  constexpr uint64_t kSkipPerGroup = kGroup * kBlocksPerOutput / Philox::kBlockSize;
  int64_t groups = (n + kGroup - 1) / kGroup;
  ctx.parallel_for(groups, 150.0, [&](int64_t begin, int64_t end) {
    T buf[kGroup];
    for (int64_t g = begin; g < end; ++g) {
      Philox gen = base;
      gen.skip(static_cast<uint64_t>(g) * kSkipPerGroup);
      PhiloxSingle single(&gen);
      Truncated<T>()(single, buf);
      int64_t off = g * kGroup;
      std::copy(buf, buf + std::min<int64_t>(kGroup, n - off), out + off);
    }
  });
}

enum class Kind { kUniform, kNormal, kTruncated };

// RandomUniform, RandomStandardNormal, TruncatedNormal.
template <class T, Kind kKind>
class RandomFillKernel : public SeededKernel {
 public:
  explicit RandomFillKernel(KernelInit& init) : SeededKernel(init) {}
  Status compute(OpContext& ctx) override {
    Shape shape;
    MR_RETURN_IF_ERROR(shape_from_input(ctx.input(0), &shape));
    Tensor out(dtype_of<T>, shape);
    int64_t n = out.num_elements();
    Philox gen = reserve(ctx, static_cast<uint64_t>(n) * kBlocksPerOutput);
    T* data = out.data<T>();
    if constexpr (kKind == Kind::kUniform) fill_fixed(ctx, gen, data, n, 10.0, Uniform<T>());
    else if constexpr (kKind == Kind::kNormal) fill_fixed(ctx, gen, data, n, 60.0, Normal<T>());
    else fill_truncated(ctx, gen, data, n);
    ctx.set_output(0, out);
    return Status();
  }
};

template <class T>
class RandomUniformIntKernel : public SeededKernel {
 public:
  explicit RandomUniformIntKernel(KernelInit& init) : SeededKernel(init) {}
  Status compute(OpContext& ctx) override {
    T lo{}, hi{};
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "minval must be 0-D, got shape {}", &lo));
    MR_RETURN_IF_ERROR(scalar_input(ctx, 2, "maxval must be 0-D, got shape {}", &hi));
    Shape shape;
    MR_RETURN_IF_ERROR(shape_from_input(ctx.input(0), &shape));
    Tensor out(dtype_of<T>, shape);
    ctx.set_output(0, out);
    int64_t n = out.num_elements();
    if (n == 0) return Status();  // TF checks minval < maxval only for non-empty outputs
    MR_REQUIRE(lo < hi, "Need minval < maxval, got ", lo, " >= ", hi);
    using U = std::make_unsigned_t<T>;
    UniformInt<T> dist{lo, static_cast<U>(static_cast<U>(hi) - static_cast<U>(lo))};
    Philox gen = reserve(ctx, static_cast<uint64_t>(n) * kBlocksPerOutput);
    fill_fixed(ctx, gen, out.data<T>(), n, 10.0, dist);
    return Status();
  }
};

// Multinomial: per row, an unnormalised CDF of exp(logit - max) over the
// finite logits, then one uniform double (two uint32) per sample looked up
// with upper_bound. TF runs rows as one continuous stream when the op is not
// sharded (small batches, or one intra-op thread); we always produce that
// stream, starting row b at uint32 number 2 * num_samples * b.
template <class T>
class MultinomialKernel : public SeededKernel {
 public:
  explicit MultinomialKernel(KernelInit& init) : SeededKernel(init) {
    DType out = DType::kInt64;
    if (init.has_attr("output_dtype")) init.get("output_dtype", &out);
    if (out != DType::kInt32 && out != DType::kInt64)
      init.fail(invalid_argument(str_cat("Multinomial output_dtype must be int32 or int64, got ",
                                         dtype_name(out))));
    out_int32_ = out == DType::kInt32;
  }

  Status compute(OpContext& ctx) override {
    const Tensor& logits = ctx.input(0);
    MR_REQUIRE(logits.rank() == 2, "logits should be a matrix, got shape ",
               shape_str(logits.shape()));
    MR_RETURN_IF_ERROR(check_input_type(ctx, 0, dtype_of<T>));
    int32_t num_samples32 = 0;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "num_samples should be a scalar, got shape {}", &num_samples32));
    const int64_t num_samples = num_samples32;
    MR_REQUIRE(num_samples >= 0, "num_samples should be non-negative, got ", num_samples);
    for (int i = 0; i < 2; ++i)
      MR_REQUIRE(logits.dim(i) <= std::numeric_limits<int>::max(), "logits.shape = ",
                 shape_str(logits.shape()), " too large for int");
    const int64_t batch = logits.dim(0), classes = logits.dim(1);
    MR_REQUIRE(classes > 0, "num_classes should be positive, got ", classes);
    Tensor out(out_int32_ ? DType::kInt32 : DType::kInt64, {batch, num_samples});
    ctx.set_output(0, out);
    if (out.num_elements() == 0) return Status();
    // TF reserves num_samples rounded up to 4, times 2 (a double per sample).
    uint64_t per_row = static_cast<uint64_t>((num_samples + 3) / 4 * 4 * 2);
    Philox base = reserve(ctx, static_cast<uint64_t>(batch) * per_row * kBlocksPerOutput);
    double cost = 10.0 * (num_samples * std::log2(static_cast<double>(classes)) + classes);
    ctx.parallel_for(batch, cost, [&](int64_t begin, int64_t end) {
      sample_rows(logits.data<T>(), classes, num_samples, base, begin, end, out);
    });
    return Status();
  }

 private:
  void sample_rows(const T* logits, int64_t classes, int64_t num_samples, Philox gen,
                   int64_t begin, int64_t end, const Tensor& out) const {
    uint64_t start = 2 * static_cast<uint64_t>(num_samples) * static_cast<uint64_t>(begin);
    gen.skip(start / Philox::kBlockSize);
    PhiloxSingle single(&gen);
    for (uint64_t i = 0; i < start % Philox::kBlockSize; ++i) single();
    std::vector<double> cdf(classes);
    for (int64_t b = begin; b < end; ++b) {
      const T* row = logits + b * classes;
      // Only finite logits count; with none, the total is 0 whatever the max.
      double max_logit = std::numeric_limits<double>::lowest();
      for (int64_t j = 0; j < classes; ++j) {
        double v = static_cast<double>(row[j]);
        if (std::isfinite(v)) max_logit = std::max(max_logit, v);
      }
      double total = 0;
      for (int64_t j = 0; j < classes; ++j) {
        double v = static_cast<double>(row[j]);
        if (std::isfinite(v)) total += std::exp(v - max_logit);
        cdf[j] = total;
      }
      for (int64_t k = 0; k < num_samples; ++k) {
        uint32_t x0 = single(), x1 = single();
        double to_find = uint64_to_unit_double(x0, x1) * total;
        int64_t idx = std::upper_bound(cdf.begin(), cdf.end(), to_find) - cdf.begin();
        if (out_int32_) out.data<int32_t>()[b * num_samples + k] = static_cast<int32_t>(idx);
        else out.data<int64_t>()[b * num_samples + k] = idx;
      }
    }
  }

  bool out_int32_ = false;
};

// RandomShuffle permutes the first dimension with Fisher-Yates, one uint32
// per swap (size - 1 of them), as TF does; rows are then moved as bytes (or
// strings), so one kernel serves every dtype.
class RandomShuffleKernel : public SeededKernel {
 public:
  explicit RandomShuffleKernel(KernelInit& init) : SeededKernel(init) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    if (in.num_elements() <= 1 || in.dim(0) <= 1) {
      ctx.set_output(0, in);
      return Status();
    }
    const int64_t size = in.dim(0);
    Philox gen = reserve(ctx, static_cast<uint64_t>(size - 1 + 3) / 4);
    PhiloxSingle single(&gen);
    std::vector<int64_t> perm(size);
    for (int64_t i = 0; i < size; ++i) perm[i] = i;
    for (int64_t i = 0; i + 1 < size; ++i)
      std::swap(perm[i], perm[i + single() % static_cast<uint32_t>(size - i)]);
    Tensor out(in.dtype(), in.shape());
    const int64_t row = in.num_elements() / size;
    if (in.dtype() == DType::kString) {
      const std::string* src = in.data<std::string>();
      std::string* dst = out.data<std::string>();
      for (int64_t i = 0; i < size; ++i)
        std::copy(src + perm[i] * row, src + (perm[i] + 1) * row, dst + i * row);
    } else {
      const size_t row_bytes = static_cast<size_t>(row) * dtype_size(in.dtype());
      const char* src = static_cast<const char*>(in.raw());
      char* dst = static_cast<char*>(out.raw());
      for (int64_t i = 0; i < size; ++i)
        std::memcpy(dst + i * row_bytes, src + perm[i] * row_bytes, row_bytes);
    }
    ctx.set_output(0, out);
    return Status();
  }
};

using RandomFloatTypes = TypeList<Half, BFloat16, float, double>;
using ShuffleTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t,
                              uint8_t, uint16_t, uint32_t, uint64_t, complex64, complex128, bool,
                              std::string>;

// Factories: one kernel class per op, templated on the element type.
template <Kind kKind>
auto fill_factory() {
  return [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return std::make_unique<RandomFillKernel<decltype(tag), kKind>>(init);
  };
}
auto uniform_int_factory = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return std::make_unique<RandomUniformIntKernel<decltype(tag)>>(init);
};
auto multinomial_factory = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return std::make_unique<MultinomialKernel<decltype(tag)>>(init);
};
auto shuffle_factory = [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return std::make_unique<RandomShuffleKernel>(init);
};

}  // namespace

void register_random_ops(Registry& r) {
  const TypeFrom dtype = TypeFrom::attr_named("dtype");
  r.add<RandomFloatTypes>("RandomUniform", fill_factory<Kind::kUniform>(), dtype);
  r.add<RandomFloatTypes>("RandomStandardNormal", fill_factory<Kind::kNormal>(), dtype);
  r.add<RandomFloatTypes>("TruncatedNormal", fill_factory<Kind::kTruncated>(), dtype);
  r.add<IndexTypes>("RandomUniformInt", uniform_int_factory, TypeFrom::attr_named("Tout"));
  r.add<RandomFloatTypes>("Multinomial", multinomial_factory);
  r.add<ShuffleTypes>("RandomShuffle", shuffle_factory);
}

}  // namespace metarun
