// Stateless random ops: the same Philox samples as the stateful ops
// (util/random_fill.h), drawn from a stream fixed by the op's inputs instead
// of a per-node generator, so equal inputs give equal outputs in every run.
//
// V1 ops (StatelessRandomUniform, ..., StatelessMultinomial) take a seed
// tensor [2] (int32 or int64), scrambled into a key and counter as TF does:
// one Philox block at key 0x02461e293ec8f720 and counter (seed0, seed1) gives
// the key (its words 0, 1) and the counter's upper half (words 2, 3); the
// lower half is 0. StatelessRandomGetKeyCounter[Alg] output that key/counter
// pair, so the V2 ops (explicit key [1], counter [2] and alg inputs) fed from
// them draw the V1 numbers.
//
// Algorithms: 1 is Philox; 3 (auto-select) means Philox on CPU; TF's CPU
// kernels implement no other (ThreeFry, 2, fails with "Unsupported
// algorithm id"), and neither do we.
#include <cstdint>

#include "framework/registry.h"
#include "kernels/util/random_fill.h"

namespace metarun {
namespace {

using namespace rng;  // NOLINT: the shared distributions and fills

constexpr int kAlgPhilox = 1;
constexpr int kAlgAutoSelect = 3;

Status check_seed_shape(const Tensor& seed) {
  MR_REQUIRE(seed.rank() == 1 && seed.dim(0) == 2, "seed must have shape [2], not ",
             shape_str(seed.shape()));
  return Status();
}

// TF's GenerateKey: the seed pair scrambled into a Philox key and counter.
Status seed_to_key_counter(const Tensor& seed, uint64_t* key, uint64_t counter[2]) {
  uint64_t s0 = 0, s1 = 0;
  if (seed.dtype() == DType::kInt32) {
    s0 = static_cast<uint64_t>(static_cast<int64_t>(seed.data<int32_t>()[0]));
    s1 = static_cast<uint64_t>(static_cast<int64_t>(seed.data<int32_t>()[1]));
  } else if (seed.dtype() == DType::kInt64) {
    s0 = static_cast<uint64_t>(seed.data<int64_t>()[0]);
    s1 = static_cast<uint64_t>(seed.data<int64_t>()[1]);
  } else {
    return invalid_argument(str_cat("Invalid seed type: ", dtype_name(seed.dtype())));
  }
  const Philox::Block mix = Philox::from_key_counter(0x02461e293ec8f720ull, s0, s1).next();
  *key = mix[0] | (uint64_t{mix[1]} << 32);
  counter[0] = 0;
  counter[1] = mix[2] | (uint64_t{mix[3]} << 32);
  return Status();
}

// The key, counter and alg inputs of a V2 op (at 1, 2, 3), checked as TF
// does. TF asks the counter for at least `alg` elements (1 for Philox, 2 for
// ThreeFry; other ids are refused later) and then reads two for Philox; a
// one-element counter's missing upper half reads as 0 here.
Status read_key_counter_alg(OpContext& ctx, uint64_t* key, uint64_t counter[2], int* alg) {
  const Tensor& alg_t = ctx.input(3);
  MR_REQUIRE(alg_t.rank() == 0, "input 3 (0-based) must have shape [], not ",
             shape_str(alg_t.shape()));
  MR_REQUIRE(alg_t.dtype() == DType::kInt32, "dtype of input 3 (0-based) must be int32, not ",
             dtype_name(alg_t.dtype()));
  *alg = alg_t.data<int32_t>()[0];
  if (*alg == kAlgAutoSelect) *alg = kAlgPhilox;
  const Tensor& key_t = ctx.input(1);
  const Tensor& counter_t = ctx.input(2);
  MR_REQUIRE(key_t.rank() == 1 && key_t.dim(0) == 1, "key must have shape [1], not ",
             shape_str(key_t.shape()), ". (Note that batched keys are not supported yet.)");
  MR_REQUIRE(counter_t.rank() == 1 && counter_t.dim(0) >= *alg,
             "counter must be a vector with length at least ", *alg,
             "; got shape: ", shape_str(counter_t.shape()),
             ". (Note that batched counters are not supported yet.)");
  *key = key_t.data<uint64_t>()[0];
  const int64_t n = counter_t.num_elements();
  counter[0] = n > 0 ? counter_t.data<uint64_t>()[0] : 0;
  counter[1] = n > 1 ? counter_t.data<uint64_t>()[1] : 0;
  return Status();
}

enum class Dist { kUniform, kNormal, kTruncated, kUniformInt, kFullInt };

// Every stateless fill op; kV2 selects the key/counter/alg inputs over the
// seed input. TF's order of checks: V2 reads key/counter/alg before the
// shape; V1 checks the seed's shape after it; both stop at an empty output
// before anything else (the seed's dtype, minval/maxval, the algorithm).
template <class T, Dist kDist, bool kV2>
class StatelessFillKernel : public OpKernel {
 public:
  explicit StatelessFillKernel(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    uint64_t key = 0, counter[2] = {0, 0};
    int alg = kAlgPhilox;
    Shape shape;
    if constexpr (kV2) {
      MR_RETURN_IF_ERROR(read_key_counter_alg(ctx, &key, counter, &alg));
      MR_RETURN_IF_ERROR(shape_from_input(ctx.input(0), &shape));
    } else {
      MR_RETURN_IF_ERROR(shape_from_input(ctx.input(0), &shape));
      MR_RETURN_IF_ERROR(check_seed_shape(ctx.input(1)));
    }
    Tensor out(dtype_of<T>, shape);
    ctx.set_output(0, out);
    const int64_t n = out.num_elements();
    if (n == 0) return Status();
    if constexpr (!kV2) MR_RETURN_IF_ERROR(seed_to_key_counter(ctx.input(1), &key, counter));

    T lo{}, hi{};
    if constexpr (kDist == Dist::kUniformInt) {
      const int at = kV2 ? 4 : 2;
      MR_RETURN_IF_ERROR(scalar_input(ctx, at, "minval must be 0-D, got shape {}", &lo));
      MR_RETURN_IF_ERROR(scalar_input(ctx, at + 1, "maxval must be 0-D, got shape {}", &hi));
      MR_REQUIRE(lo < hi, "Need minval < maxval, got ", lo, " >= ", hi);
    }
    MR_REQUIRE(alg == kAlgPhilox, "Unsupported algorithm id: ", alg);

    const Philox gen = Philox::from_key_counter(key, counter[0], counter[1]);
    T* data = out.data<T>();
    if constexpr (kDist == Dist::kUniform) {
      fill_fixed(ctx, gen, data, n, 10.0, Uniform<T>());
    } else if constexpr (kDist == Dist::kNormal) {
      fill_fixed(ctx, gen, data, n, 60.0, Normal<T>());
    } else if constexpr (kDist == Dist::kTruncated) {
      fill_truncated(ctx, gen, data, n);
    } else if constexpr (kDist == Dist::kUniformInt) {
      using U = std::make_unsigned_t<T>;
      fill_fixed(ctx, gen, data, n, 10.0,
                 UniformInt<T>{lo, static_cast<U>(static_cast<U>(hi) - static_cast<U>(lo))});
    } else {
      fill_fixed(ctx, gen, data, n, 10.0, UniformFullInt<T>());
    }
    return Status();
  }
};

// StatelessMultinomial: the seed's shape and dtype are checked first, then
// the stateful op's sampling runs on the seed's stream.
template <class T>
class StatelessMultinomialKernel : public OpKernel {
 public:
  explicit StatelessMultinomialKernel(KernelInit& init) {
    DType out = DType::kInt64;
    if (init.has_attr("output_dtype")) init.get("output_dtype", &out);
    if (out != DType::kInt32 && out != DType::kInt64)
      init.fail(invalid_argument(str_cat(
          "StatelessMultinomial output_dtype must be int32 or int64, got ", dtype_name(out))));
    out_int32_ = out == DType::kInt32;
  }

  Status compute(OpContext& ctx) override {
    MR_RETURN_IF_ERROR(check_seed_shape(ctx.input(2)));
    uint64_t key = 0, counter[2] = {0, 0};
    MR_RETURN_IF_ERROR(seed_to_key_counter(ctx.input(2), &key, counter));
    const Philox gen = Philox::from_key_counter(key, counter[0], counter[1]);
    return multinomial<T>(ctx, out_int32_, [&](uint64_t) { return gen; });
  }

 private:
  bool out_int32_ = false;
};

// StatelessRandomGetKeyCounter[Alg]: the V1 scrambling as tensors, key [1]
// and counter [2] (uint64), and with the Alg form the algorithm (Philox).
template <bool kWithAlg>
class GetKeyCounterKernel : public OpKernel {
 public:
  explicit GetKeyCounterKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    MR_RETURN_IF_ERROR(check_seed_shape(ctx.input(0)));
    Tensor key(DType::kUInt64, {1});
    Tensor counter(DType::kUInt64, {2});
    MR_RETURN_IF_ERROR(seed_to_key_counter(ctx.input(0), key.data<uint64_t>(),
                                           counter.data<uint64_t>()));
    ctx.set_output(0, key);
    ctx.set_output(1, counter);
    if constexpr (kWithAlg) ctx.set_output(2, Tensor::scalar<int32_t>(kAlgPhilox));
    return Status();
  }
};

class GetAlgKernel : public OpKernel {
 public:
  explicit GetAlgKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    ctx.set_output(0, Tensor::scalar<int32_t>(kAlgPhilox));
    return Status();
  }
};

using RandomFloatTypes = TypeList<Half, BFloat16, float, double>;
using FullIntTypes = TypeList<int32_t, int64_t, uint32_t, uint64_t>;

template <Dist kDist, bool kV2>
auto fill_factory() {
  return [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<StatelessFillKernel<decltype(tag), kDist, kV2>>(init);
  };
}
auto multinomial_factory = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<StatelessMultinomialKernel<decltype(tag)>>(init);
};

}  // namespace

void register_stateless_random_ops(Registry& r) {
  const TypeFrom dtype = TypeFrom::attr_named("dtype");
  r.add<RandomFloatTypes>("StatelessRandomUniform", fill_factory<Dist::kUniform, false>(), dtype);
  r.add<RandomFloatTypes>("StatelessRandomNormal", fill_factory<Dist::kNormal, false>(), dtype);
  r.add<RandomFloatTypes>("StatelessTruncatedNormal", fill_factory<Dist::kTruncated, false>(), dtype);
  r.add<IndexTypes>("StatelessRandomUniformInt", fill_factory<Dist::kUniformInt, false>(), dtype);
  r.add<FullIntTypes>("StatelessRandomUniformFullInt", fill_factory<Dist::kFullInt, false>(),
                      dtype);
  r.add<RandomFloatTypes>("StatelessRandomUniformV2", fill_factory<Dist::kUniform, true>(), dtype);
  r.add<RandomFloatTypes>("StatelessRandomNormalV2", fill_factory<Dist::kNormal, true>(), dtype);
  r.add<RandomFloatTypes>("StatelessTruncatedNormalV2", fill_factory<Dist::kTruncated, true>(), dtype);
  r.add<IndexTypes>("StatelessRandomUniformIntV2", fill_factory<Dist::kUniformInt, true>(), dtype);
  r.add<FullIntTypes>("StatelessRandomUniformFullIntV2", fill_factory<Dist::kFullInt, true>(),
                      dtype);
  r.add<RandomFloatTypes>("StatelessMultinomial", multinomial_factory);
  r.add("StatelessRandomGetKeyCounter", make_kernel<GetKeyCounterKernel<false>>);
  r.add("StatelessRandomGetKeyCounterAlg", make_kernel<GetKeyCounterKernel<true>>);
  r.add("StatelessRandomGetAlg", make_kernel<GetAlgKernel>);
}

}  // namespace metarun
