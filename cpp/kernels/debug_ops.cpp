// Debugging ops: CheckNumerics, Assert, Print, PrintV2, StringFormat.
//
// Tensors are summarized as TF's Tensor::SummarizeValue does: the v1 layout
// ("[1 2 3...]", nested rows run together) for Assert and Print, the v2
// numpy-like layout ("[1 2 ... 9]", rows on new lines) for StringFormat.
// Numbers print like TF's StrCat: floats with 6 significant digits (9 if that
// does not round-trip), doubles with 15 (else 17).
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "kernels/util/elementwise.h"
#include "kernels/util/file_access.h"

namespace metarun {
namespace {

std::string float_str(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  if (std::strtof(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string double_str(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// absl::Utf8SafeCEscape: C escapes for control and quote characters; bytes
// >= 0x80 pass through.
std::string c_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\"': out += "\\\""; break;
      case '\'': out += "\\'"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\%03o", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

// One element as text, or false for dtypes TF prints as "?".
bool element_str(const Tensor& t, int64_t i, bool v2, std::string* out) {
  switch (t.dtype()) {
    case DType::kFloat: *out = float_str(t.data<float>()[i]); return true;
    case DType::kHalf: *out = float_str(static_cast<float>(t.data<Half>()[i])); return true;
    case DType::kBFloat16: *out = float_str(static_cast<float>(t.data<BFloat16>()[i])); return true;
    case DType::kDouble: *out = double_str(t.data<double>()[i]); return true;
    case DType::kBool: *out = t.data<bool>()[i] ? "1" : "0"; return true;
    case DType::kString: {
      std::string s = c_escape(t.data<std::string>()[i]);
      *out = v2 ? "\"" + s + "\"" : s;
      return true;
    }
    case DType::kUInt64: *out = std::to_string(t.data<uint64_t>()[i]); return true;
    case DType::kInt8: case DType::kInt16: case DType::kInt32: case DType::kInt64:
    case DType::kUInt8: case DType::kUInt16: case DType::kUInt32:
      *out = std::to_string(index_at(t, i));
      return true;
    default: return false;
  }
}

std::string elem(const Tensor& t, int64_t i, bool v2) {
  std::string s;
  element_str(t, i, v2, &s);
  return s;
}

// v1: the first `limit` elements in row-major order, brackets per row.
void print_dim_v1(const Tensor& t, int dim, int64_t limit, int64_t* at, std::string* out) {
  if (*at >= limit) return;
  const int64_t count = t.dim(dim);
  if (dim == t.rank() - 1) {
    for (int64_t i = 0; i < count; ++i) {
      if (*at >= limit) {
        if (dim != 0) *out += "...";
        return;
      }
      if (i > 0) *out += " ";
      *out += elem(t, (*at)++, false);
    }
    return;
  }
  for (int64_t i = 0; i < count; ++i) {
    bool opened = false;
    if (*at < limit) {
      *out += "[";
      opened = true;
    }
    print_dim_v1(t, dim + 1, limit, at, out);
    if (*at < limit || opened) *out += "]";
  }
}

void dim_spacing(int dim, int rank, std::string* out) {
  if (dim == rank - 1) {
    *out += " ";
    return;
  }
  out->append(rank - dim - 1, '\n');
  out->append(dim + 1, ' ');
}

// v2: `ends` elements at each end of every dim, "..." between.
void print_dim_v2(const Tensor& t, int dim, int64_t ends, int64_t at, std::string* out) {
  if (dim == t.rank()) {
    *out += elem(t, at, true);
    return;
  }
  *out += "[";
  const int64_t count = t.dim(dim);
  const int64_t start_of_end = std::max(ends, count - ends);
  const int64_t per = dims_product(t.shape(), dim + 1, t.rank());
  for (int64_t i = 0; i < ends && i < count; ++i) {
    if (i > 0) dim_spacing(dim, t.rank(), out);
    print_dim_v2(t, dim + 1, ends, at + per * i, out);
  }
  if (count > 2 * ends) {
    dim_spacing(dim, t.rank(), out);
    *out += "...";
  }
  for (int64_t i = start_of_end; i < count; ++i) {
    dim_spacing(dim, t.rank(), out);
    print_dim_v2(t, dim + 1, ends, at + per * i, out);
  }
  *out += "]";
}

// TF's Tensor::SummarizeValue(max_entries, print_v2).
std::string summarize(const Tensor& t, int64_t max_entries, bool v2) {
  const int64_t n = t.num_elements();
  if (max_entries < 0) max_entries = n;
  const int64_t limit = std::min(max_entries, n);
  std::string out, probe;
  if (n > 0 && !element_str(t, 0, v2, &probe)) {
    if (v2 && t.rank() > 0) out += "[";
    for (int64_t i = 0; i < limit; ++i) out += i ? " ?" : "?";
    if (max_entries < n) out += "...";
    if (v2 && t.rank() > 0) out += "]";
    return out;
  }
  if (t.rank() == 0 || n == 0 || !v2) {
    if (t.rank() == 0) {
      for (int64_t i = 0; i < limit; ++i) out += (i ? " " : "") + elem(t, i, v2);
    } else {
      int64_t at = 0;
      print_dim_v1(t, 0, limit, &at, &out);
    }
    if (n > limit) out += "...";
    if (v2 && n == 0 && t.rank() > 0) out = "[]";
    return out;
  }
  print_dim_v2(t, 0, limit, 0, &out);
  return out;
}

class CheckNumericsKernel : public OpKernel {
 public:
  explicit CheckNumericsKernel(KernelInit& init) { init.get("message", &message_); }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    bool nan = false, inf = false;
    dispatch(FloatTypes{}, in.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* p = in.data<T>();
      for (int64_t i = 0, n = in.num_elements(); i < n; ++i) {
        const double v = static_cast<double>(Compute<T>(p[i]));
        nan |= std::isnan(v);
        inf |= std::isinf(v);
      }
    });
    if (nan || inf)
      return invalid_argument(str_cat(message_, " : Tensor had ", inf && nan ? "Inf and NaN" : inf ? "Inf" : "NaN",
                                      " values"));
    ctx.set_output(0, in);
    return Status();
  }

 private:
  std::string message_;
};

class AssertKernel : public OpKernel {
 public:
  explicit AssertKernel(KernelInit& init) {
    if (init.has_attr("summarize")) init.get("summarize", &summarize_);
  }
  Status compute(OpContext& ctx) override {
    bool cond = false;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 0, "In[0] should be a scalar: {}", &cond));
    if (cond) return Status();
    std::string msg = "assertion failed: ";
    for (int i = 1; i < ctx.num_inputs(); ++i) {
      msg += "[" + summarize(ctx.input(i), summarize_, false) + "]";
      if (i < ctx.num_inputs() - 1) msg += " ";
    }
    return invalid_argument(msg);
  }

 private:
  int64_t summarize_ = 3;
};

class PrintKernel : public OpKernel {
 public:
  explicit PrintKernel(KernelInit& init) {
    if (init.has_attr("message")) init.get("message", &message_);
    if (init.has_attr("first_n")) init.get("first_n", &first_n_);
    if (init.has_attr("summarize")) init.get("summarize", &summarize_);
  }
  Status compute(OpContext& ctx) override {
    ctx.set_output(0, ctx.input(0));
    if (first_n_ >= 0) {
      std::lock_guard<std::mutex> lock(mu_);
      if (calls_ >= first_n_) return Status();
      ++calls_;
    }
    std::string msg = message_;
    for (int i = 1; i < ctx.num_inputs(); ++i) msg += "[" + summarize(ctx.input(i), summarize_, false) + "]";
    std::cerr << msg << std::endl;
    return Status();
  }

 private:
  std::string message_;
  int64_t first_n_ = -1, summarize_ = 3, calls_ = 0;
  std::mutex mu_;
};

class PrintV2Kernel : public OpKernel {
 public:
  explicit PrintV2Kernel(KernelInit& init) {
    if (init.has_attr("output_stream")) init.get("output_stream", &stream_);
    if (init.has_attr("end")) init.get("end", &end_);
    bool known = stream_ == "stdout" || stream_ == "stderr" || stream_.rfind("log(", 0) == 0 ||
                 stream_.rfind("file://", 0) == 0;
    if (!known)
      init.fail(invalid_argument(str_cat(
          "Unknown output stream: ", stream_,
          ", Valid streams are: stdout, stderr, log(info), log(warning), log(error), file://<filename>")));
  }
  Status compute(OpContext& ctx) override {
    std::string msg;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 0, "Input is expected to be scalar, but got {}", &msg));
    msg += end_;
    if (stream_ == "stdout") {
      std::cout << msg << std::flush;
    } else if (stream_.rfind("file://", 0) == 0) {
      return append_file(FileUser(ctx), stream_.substr(7), msg);
    } else {
      std::cerr << msg << std::flush;
    }
    return Status();
  }

 private:
  std::string stream_ = "stderr", end_ = "\n";
};

class StringFormatKernel : public OpKernel {
 public:
  explicit StringFormatKernel(KernelInit& init) {
    std::string tmpl = "%s", placeholder = "%s";
    if (init.has_attr("template")) init.get("template", &tmpl);
    if (init.has_attr("placeholder")) init.get("placeholder", &placeholder);
    if (init.has_attr("summarize")) init.get("summarize", &summarize_);
    for (size_t at = 0;;) {
      size_t hit = placeholder.empty() ? std::string::npos : tmpl.find(placeholder, at);
      pieces_.push_back(tmpl.substr(at, hit == std::string::npos ? std::string::npos : hit - at));
      if (hit == std::string::npos) break;
      at = hit + placeholder.size();
    }
    if (static_cast<int>(pieces_.size()) - 1 != init.num_inputs())
      init.fail(invalid_argument(str_cat("num placeholders in template and num inputs must match: ",
                                         pieces_.size() - 1, " vs. ", init.num_inputs())));
  }
  Status compute(OpContext& ctx) override {
    std::string out = pieces_[0];
    for (int i = 0; i < ctx.num_inputs(); ++i) out += summarize(ctx.input(i), summarize_, true) + pieces_[i + 1];
    ctx.allocate_output(0, {}).data<std::string>()[0] = std::move(out);
    return Status();
  }

 private:
  std::vector<std::string> pieces_;
  int64_t summarize_ = 3;
};

}  // namespace

void register_debug_ops(Registry& r) {
  r.add<FloatTypes>("CheckNumerics", [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<CheckNumericsKernel>(init);
  });
  r.add("Assert", make_kernel<AssertKernel>);
  r.add("Print", make_kernel<PrintKernel>);
  r.add("PrintV2", make_kernel<PrintV2Kernel>);
  r.add("StringFormat", make_kernel<StringFormatKernel>);
}

}  // namespace metarun
