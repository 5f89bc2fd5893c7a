// String ops, mostly what the Saver's filename logic uses.
#include <cstdio>

#include "core/bcast.h"
#include "framework/registry.h"
#include "kernels/util/regex.h"

namespace metarun {
namespace {

class StringJoinKernel : public OpKernel {
 public:
  explicit StringJoinKernel(KernelInit& init) {
    if (init.has_attr("separator")) init.get("separator", &separator_);
  }
  Status compute(OpContext& ctx) override {
    // Inputs are scalars or tensors of one common shape; scalars repeat.
    Shape shape;
    bool have_shape = false;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor& t = ctx.input(i);
      if (t.rank() == 0) continue;
      if (have_shape && t.shape() != shape)
        return invalid_argument(str_cat("Input shapes do not match: ", shape_str(shape), " vs. ",
                                        shape_str(t.shape())));
      shape = t.shape();
      have_shape = true;
    }
    Tensor& out = ctx.allocate_output(0, shape);
    std::string* o = out.data<std::string>();
    for (int64_t j = 0, n = out.num_elements(); j < n; ++j) {
      std::string s;
      for (int i = 0; i < ctx.num_inputs(); ++i) {
        const Tensor& t = ctx.input(i);
        if (i) s += separator_;
        s += t.data<std::string>()[t.rank() == 0 ? 0 : j];
      }
      o[j] = std::move(s);
    }
    return Status();
  }

 private:
  std::string separator_;
};

std::string sharded_name(const std::string& base, const char* shard, int64_t num_shards) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "-%s-of-%05lld", shard, static_cast<long long>(num_shards));
  return base + buf;
}

class ShardedFilenameKernel : public OpKernel {
 public:
  explicit ShardedFilenameKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::string base;
    int64_t shard_index = 0, num_shards = 0;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 0, "ShardedFilename expects scalar inputs", &base, true));
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "ShardedFilename expects scalar inputs", &shard_index, true));
    MR_RETURN_IF_ERROR(scalar_input(ctx, 2, "ShardedFilename expects scalar inputs", &num_shards, true));
    char shard[32];
    std::snprintf(shard, sizeof shard, "%05lld", static_cast<long long>(shard_index));
    ctx.allocate_output(0, {}).data<std::string>()[0] = sharded_name(base, shard, num_shards);
    return Status();
  }
};

class ShardedFilespecKernel : public OpKernel {
 public:
  explicit ShardedFilespecKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::string base;
    int64_t num_shards = 0;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 0, "ShardedFilespec expects scalar inputs", &base, true));
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "ShardedFilespec expects scalar inputs", &num_shards, true));
    ctx.allocate_output(0, {}).data<std::string>()[0] = sharded_name(base, "?????", num_shards);
    return Status();
  }
};

// The regex ops use RE2's syntax and semantics (kernels/util/regex.h).

class StaticRegexFullMatchKernel : public OpKernel {
 public:
  explicit StaticRegexFullMatchKernel(KernelInit& init) {
    std::string pattern;
    init.get("pattern", &pattern);
    if (init.status().ok()) init.fail(compile_regex(pattern, &re_));
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, in.shape());
    for (int64_t i = 0; i < in.num_elements(); ++i) out.data<bool>()[i] = re_.full_match(in.data<std::string>()[i]);
    return Status();
  }

 private:
  Regex re_;
};

class RegexFullMatchKernel : public OpKernel {
 public:
  explicit RegexFullMatchKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& pattern_t = ctx.input(1);
    if (pattern_t.rank() != 0)
      return invalid_argument(str_cat("Pattern must be scalar, but received ", shape_str(pattern_t.shape())));
    const std::string& pattern = pattern_t.data<std::string>()[0];
    Regex re;
    MR_RETURN_IF_ERROR(compile_regex(pattern, &re));
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, in.shape());
    for (int64_t i = 0; i < in.num_elements(); ++i) out.data<bool>()[i] = re.full_match(in.data<std::string>()[i]);
    return Status();
  }
};

// AsString: TF formats floats with %g-style precision unless told otherwise.
template <class T>
class AsStringKernel : public OpKernel {
 public:
  explicit AsStringKernel(KernelInit& init) {
    int64_t precision = -1, width = -1;
    bool scientific = false, shortest = false;
    std::string fill;
    if (init.has_attr("precision")) init.get("precision", &precision);
    if (init.has_attr("width")) init.get("width", &width);
    if (init.has_attr("scientific")) init.get("scientific", &scientific);
    if (init.has_attr("shortest")) init.get("shortest", &shortest);
    if (init.has_attr("fill")) init.get("fill", &fill);
    if (fill.size() > 1) init.fail(invalid_argument("Fill string must be one or fewer characters"));
    if (scientific && shortest) init.fail(invalid_argument("Cannot select both scientific and shortest notation"));
    std::string flags = "%";
    if (fill == "0") flags += "0";
    else if (fill == "-") flags += "-";
    else if (fill == " ") flags += " ";
    else if (fill == "+") flags += "+";
    if (width > -1) flags += std::to_string(width);
    if constexpr (is_float_v<T> || is_complex_v<T>) {
      if (precision > -1) flags += "." + std::to_string(precision);
      flags += scientific ? "e" : (shortest ? "g" : "f");
    } else if constexpr (std::is_same_v<T, bool>) {
      flags += "s";
    } else if constexpr (std::is_unsigned_v<T>) {
      flags += "llu";
    } else {
      flags += "lld";
    }
    if constexpr (is_complex_v<T>) format_ = "(" + flags + "," + flags + ")";
    else format_ = flags;
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, in.shape());
    const T* x = in.data<T>();
    std::string* o = out.data<std::string>();
    char buf[512];
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      if constexpr (is_complex_v<T>) {
        std::snprintf(buf, sizeof buf, format_.c_str(), static_cast<double>(x[i].real()),
                      static_cast<double>(x[i].imag()));
      } else if constexpr (is_float_v<T>) {
        std::snprintf(buf, sizeof buf, format_.c_str(), static_cast<double>(static_cast<float>(x[i])));
      } else if constexpr (std::is_same_v<T, bool>) {
        std::snprintf(buf, sizeof buf, format_.c_str(), x[i] ? "true" : "false");
      } else if constexpr (std::is_unsigned_v<T>) {
        std::snprintf(buf, sizeof buf, format_.c_str(), static_cast<unsigned long long>(x[i]));
      } else {
        std::snprintf(buf, sizeof buf, format_.c_str(), static_cast<long long>(x[i]));
      }
      o[i] = buf;
    }
    return Status();
  }

 private:
  std::string format_;
};

auto as_string = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<AsStringKernel<decltype(tag)>>(init);
};

}  // namespace

void register_string_ops(Registry& r) {
  r.add("StringJoin", make_kernel<StringJoinKernel>);
  r.add("ShardedFilename", make_kernel<ShardedFilenameKernel>);
  r.add("ShardedFilespec", make_kernel<ShardedFilespecKernel>);
  r.add("StaticRegexFullMatch", make_kernel<StaticRegexFullMatchKernel>);
  r.add("RegexFullMatch", make_kernel<RegexFullMatchKernel>);
  r.add<TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                 uint32_t, uint64_t, complex64, complex128, bool>>("AsString", as_string);
}

}  // namespace metarun
