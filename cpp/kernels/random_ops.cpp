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
// The distribution ops reserve 256 Philox blocks per output element; the
// sampling itself (util/random_fill.h) is shared with the stateless ops.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <random>

#include "kernels/util/random_fill.h"
#include "framework/registry.h"

namespace metarun {
namespace {

using namespace rng;  // NOLINT: the shared distributions and fills

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

// Multinomial: the sampling is rng::multinomial, on a reserved slice of the
// node's stream.
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
    return rng::multinomial<T>(ctx, out_int32_,
                               [&](uint64_t blocks) { return reserve(ctx, blocks); });
  }

 private:
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
    return new_kernel<RandomFillKernel<decltype(tag), kKind>>(init);
  };
}
auto uniform_int_factory = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<RandomUniformIntKernel<decltype(tag)>>(init);
};
auto multinomial_factory = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<MultinomialKernel<decltype(tag)>>(init);
};
auto shuffle_factory = [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<RandomShuffleKernel>(init);
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
