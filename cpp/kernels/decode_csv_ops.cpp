// DecodeCSV: each record (a string of any shape's tensor) split into fields
// and converted to the dtype of its column's default, as TF's CSV reader
// does: RFC 4180 quotes when use_quote_delim (a field starting with '"' ends
// at '"' before the delimiter or the end, "" inside is one quote), line
// breaks skipped between fields, a trailing delimiter adding an empty field;
// an empty field or one equal to na_value takes the default (none: the field
// is required). select_cols keeps only those columns.
//
// Also registers the parsing family's host ops, run by the Python layer:
// DecodeCompressed (zlib, which the C++ build may lack), DecodeJSONExample
// (protobuf's JSON mapping), DecodeProtoV2 and EncodeProto (protobuf's
// descriptors).
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "framework/registry.h"

namespace metarun {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string trimmed(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// A decimal integer with optional sign and surrounding spaces, in [lo, hi].
bool parse_int(const std::string& field, int64_t lo, int64_t hi, int64_t* out) {
  const std::string s = trimmed(field);
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (i == s.size()) return false;
  uint64_t v = 0;
  const uint64_t limit = neg ? static_cast<uint64_t>(-(lo + 1)) + 1 : static_cast<uint64_t>(hi);
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (limit - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

// A decimal float ("inf", "nan" and exponents too; no hex), surrounding spaces allowed;
// out-of-range values round to infinity or zero as TF's converter gives them.
template <class T>
bool parse_float(const std::string& field, T* out) {
  const std::string s = trimmed(field);
  if (s.empty() || s.find_first_of("xX") != std::string::npos) return false;
  char* end = nullptr;
  errno = 0;
  T v;
  if constexpr (std::is_same_v<T, float>) v = std::strtof(s.c_str(), &end);
  else v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return false;
  *out = v;
  return true;
}

class DecodeCSVOp : public OpKernel {
 public:
  explicit DecodeCSVOp(KernelInit& init) {
    init.get("OUT_TYPE", &types_);
    std::string delim = ",";
    if (init.has_attr("field_delim")) init.get("field_delim", &delim);
    if (init.has_attr("use_quote_delim")) init.get("use_quote_delim", &quote_);
    if (init.has_attr("na_value")) init.get("na_value", &na_);
    if (init.has_attr("select_cols")) init.get("select_cols", &select_);
    if (!init.status().ok()) return;
    if (delim.size() != 1) {
      init.fail(invalid_argument("field_delim should be only 1 char"));
      return;
    }
    delim_ = delim[0];
    for (size_t i = 1; i < select_.size(); ++i)
      if (select_[i - 1] >= select_[i]) init.fail(invalid_argument("select_cols is not strictly increasing."));
    if (!select_.empty() && select_[0] < 0) init.fail(invalid_argument("select_cols contains negative values."));
    if (!select_.empty() && select_.size() != types_.size())
      init.fail(invalid_argument("select_cols should match output size"));
    for (DType t : types_)
      if (t != DType::kFloat && t != DType::kDouble && t != DType::kInt32 && t != DType::kInt64 &&
          t != DType::kString)
        init.fail(invalid_argument(str_cat("DecodeCSV does not decode ", dtype_name(t))));
  }

  Status compute(OpContext& ctx) override {
    const Tensor& records = ctx.input(0);
    if (records.dtype() != DType::kString) return invalid_argument("DecodeCSV: records must be strings");
    const int n_out = static_cast<int>(types_.size());
    for (int f = 0; f < n_out; ++f) {
      const Tensor& d = ctx.input(1 + f);
      if (d.rank() > 1 || d.num_elements() > 1)
        return invalid_argument(str_cat("There should only be 1 default per field but field ", f, " has ",
                                        d.num_elements()));
    }
    const int64_t n = records.num_elements();
    std::vector<Tensor*> outs;
    for (int f = 0; f < n_out; ++f) outs.push_back(&ctx.allocate_output(f, records.shape()));
    std::vector<std::string> fields;
    for (int64_t r = 0; r < n; ++r) {
      fields.clear();
      MR_RETURN_IF_ERROR(split(records.data<std::string>()[r], &fields));
      if (static_cast<int>(fields.size()) != n_out)
        return invalid_argument(str_cat("Expect ", n_out, " fields but have ", fields.size(), " in record ", r));
      for (int f = 0; f < n_out; ++f) MR_RETURN_IF_ERROR(convert(ctx, fields[f], f, r, *outs[f]));
    }
    return Status();
  }

 private:
  std::vector<DType> types_;
  char delim_ = ',';
  bool quote_ = true;
  std::string na_;
  std::vector<int64_t> select_;

  bool selected(size_t column, size_t next) const {
    return select_.empty() || (next < select_.size() && select_[next] == static_cast<int64_t>(column));
  }

  Status split(const std::string& in, std::vector<std::string>* out) const {
    if (in.empty()) return Status();
    size_t i = 0, column = 0;
    while (i < in.size()) {
      if (in[i] == '\n' || in[i] == '\r') {
        ++i;
        continue;
      }
      const bool keep = selected(column, out->size());
      std::string field;
      if (quote_ && in[i] == '"') {
        ++i;
        // ends at a quote before the delimiter or the end; "" is an escaped quote
        while (i + 1 < in.size() && !(in[i] == '"' && in[i + 1] == delim_)) {
          if (in[i] == '"') {
            if (in[i + 1] != '"')
              return invalid_argument("Quote inside a string has to be escaped by another quote");
            if (keep) field += '"';
            i += 2;
          } else {
            if (keep) field += in[i];
            ++i;
          }
        }
        if (i >= in.size() || in[i] != '"' || (i + 1 < in.size() && in[i + 1] != delim_))
          return invalid_argument("Quoted field has to end with quote followed by delim or end");
        i += 2;
      } else {
        while (i < in.size() && in[i] != delim_) {
          if ((quote_ && in[i] == '"') || in[i] == '\n' || in[i] == '\r')
            return invalid_argument("Unquoted fields cannot have quotes/CRLFs inside");
          if (keep) field += in[i];
          ++i;
        }
        ++i;
      }
      ++column;
      if (keep) {
        out->push_back(std::move(field));
        if (!select_.empty() && out->size() == select_.size()) return Status();
      }
    }
    if (in.back() == delim_ && selected(column, out->size())) out->emplace_back();
    return Status();
  }

  Status convert(OpContext& ctx, const std::string& field, int f, int64_t r, Tensor& out) const {
    const Tensor& deflt = ctx.input(1 + f);
    if (field.empty() || field == na_) {
      if (deflt.num_elements() == 0)
        return invalid_argument(str_cat("Field ", f, " is required but missing in record ", r, "!"));
      switch (types_[f]) {
        case DType::kInt32: out.data<int32_t>()[r] = deflt.data<int32_t>()[0]; break;
        case DType::kInt64: out.data<int64_t>()[r] = deflt.data<int64_t>()[0]; break;
        case DType::kFloat: out.data<float>()[r] = deflt.data<float>()[0]; break;
        case DType::kDouble: out.data<double>()[r] = deflt.data<double>()[0]; break;
        default: out.data<std::string>()[r] = deflt.data<std::string>()[0]; break;
      }
      return Status();
    }
    auto invalid = [&](const char* type) {
      return invalid_argument(str_cat("Field ", f, " in record ", r, " is not a valid ", type, ": ", field));
    };
    int64_t v;
    switch (types_[f]) {
      case DType::kInt32:
        if (!parse_int(field, INT32_MIN, INT32_MAX, &v)) return invalid("int32");
        out.data<int32_t>()[r] = static_cast<int32_t>(v);
        break;
      case DType::kInt64:
        if (!parse_int(field, INT64_MIN, INT64_MAX, &v)) return invalid("int64");
        out.data<int64_t>()[r] = v;
        break;
      case DType::kFloat:
        if (!parse_float(field, &out.data<float>()[r])) return invalid("float");
        break;
      case DType::kDouble:
        if (!parse_float(field, &out.data<double>()[r])) return invalid("double");
        break;
      default:
        out.data<std::string>()[r] = field;
        break;
    }
    return Status();
  }
};

}  // namespace

void register_decode_csv_ops(Registry& r) {
  r.add("DecodeCSV", make_kernel<DecodeCSVOp>);
  for (const char* op : {"DecodeCompressed", "DecodeJSONExample", "DecodeProtoV2", "EncodeProto"}) r.add_host(op);
}

}  // namespace metarun
