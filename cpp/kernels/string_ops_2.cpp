// Element-wise string ops of tf.strings: case, strip, length, Substr,
// StringToNumber, base64 and the two keyed/unkeyed hash buckets, as TF's CPU
// kernels compute them.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/bcast.h"
#include "framework/registry.h"
#include "kernels/util/unicode_case.h"
#include "kernels/util/utf8.h"

namespace metarun {
namespace {

Status read_unit(KernelInit& init, bool* utf8) {
  std::string unit = "BYTE";
  if (init.has_attr("unit")) init.get("unit", &unit);
  if (unit != "BYTE" && unit != "UTF8_CHAR") return invalid_argument(str_cat("Invalid unit: ", unit));
  *utf8 = unit == "UTF8_CHAR";
  return Status();
}

// StringLower / StringUpper: ASCII only when `encoding` is empty (absl's
// AsciiStrToLower), full Unicode case mapping for "utf-8".
class StringCaseKernel : public OpKernel {
 public:
  StringCaseKernel(KernelInit& init, bool upper) : upper_(upper) {
    if (init.has_attr("encoding")) init.get("encoding", &encoding_);
    if (init.status().ok() && !encoding_.empty() && encoding_ != "utf-8")
      init.fail(invalid_argument(str_cat("only utf-8 or '' (no encoding) is supported, received ", encoding_)));
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, in.shape());
    const std::string* s = in.data<std::string>();
    std::string* o = out.data<std::string>();
    for (int64_t i = 0, n = in.num_elements(); i < n; ++i) {
      if (encoding_.empty()) {
        o[i] = s[i];
        for (char& c : o[i]) {
          if (upper_ && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
          if (!upper_ && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        }
      } else {
        o[i] = unicode_case::convert(s[i], upper_);
      }
    }
    return Status();
  }

 private:
  bool upper_;
  std::string encoding_;
};

bool ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

class StringStripKernel : public OpKernel {
 public:
  explicit StringStripKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, in.shape());
    const std::string* s = in.data<std::string>();
    std::string* o = out.data<std::string>();
    for (int64_t i = 0, n = in.num_elements(); i < n; ++i) {
      size_t b = 0, e = s[i].size();
      while (b < e && ascii_space(s[i][b])) ++b;
      while (e > b && ascii_space(s[i][e - 1])) --e;
      o[i] = s[i].substr(b, e - b);
    }
    return Status();
  }
};

class StringLengthKernel : public OpKernel {
 public:
  explicit StringLengthKernel(KernelInit& init) { init.fail(read_unit(init, &utf8_)); }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, in.shape());
    const std::string* s = in.data<std::string>();
    int32_t* o = out.data<int32_t>();
    for (int64_t i = 0, n = in.num_elements(); i < n; ++i)
      o[i] = static_cast<int32_t>(utf8_ ? utf8::char_count(s[i]) : static_cast<int64_t>(s[i].size()));
    return Status();
  }

 private:
  bool utf8_ = false;
};

// ---- Substr ----

int64_t int_at(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kInt32 ? t.data<int32_t>()[i] : t.data<int64_t>()[i];
}

// Byte offset of the `n`th character boundary of s counted from `from`
// (forward), as TF's UTF8_CHAR unit walks: every non-trail byte starts one.
bool forward_chars(const std::string& s, size_t from, int64_t n, size_t* out) {
  size_t p = from;
  while (n > 0 && p < s.size()) {
    ++p;
    while (p < s.size() && utf8::is_trail(static_cast<unsigned char>(s[p]))) ++p;
    --n;
  }
  *out = p;
  return n == 0;
}

bool backward_chars(const std::string& s, size_t from, int64_t n, size_t* out) {
  size_t p = from;
  while (n > 0 && p > 0) {
    --p;
    while (p > 0 && utf8::is_trail(static_cast<unsigned char>(s[p]))) --p;
    --n;
  }
  *out = p;
  return n == 0;
}

// The substring of s at pos/len in `utf8` or byte units; false when pos is out
// of range.
bool substring(const std::string& s, int64_t pos, int64_t len, bool utf8, std::string* out) {
  if (!utf8) {
    const int64_t size = static_cast<int64_t>(s.size());
    if (pos > size || pos < -size) return false;
    if (pos < 0) pos += size;
    const int64_t take = len < 0 ? size - pos : std::min(len, size - pos);
    *out = s.substr(static_cast<size_t>(pos), static_cast<size_t>(take));
    return true;
  }
  // TF's UTF8_CHAR unit: a negative len gives "" after a pos from the start,
  // and is refused (as an out-of-range pos) after a pos from the end.
  size_t begin;
  if (pos >= 0) {
    if (!forward_chars(s, 0, pos, &begin)) return false;
  } else {
    if (!backward_chars(s, s.size(), -pos, &begin)) return false;
  }
  if (len < 0) {
    out->clear();
    return pos >= 0;
  }
  size_t end = s.size();
  forward_chars(s, begin, len, &end);
  *out = s.substr(begin, end - begin);
  return true;
}

class SubstrKernel : public OpKernel {
 public:
  explicit SubstrKernel(KernelInit& init) { init.fail(read_unit(init, &utf8_)); }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& pos = ctx.input(1);
    const Tensor& len = ctx.input(2);
    if (pos.shape() != len.shape())
      return invalid_argument(str_cat("pos and len should have the same shape, got: ", shape_str(pos.shape()),
                                      " vs. ", shape_str(len.shape())));
    const std::string* s = in.data<std::string>();
    if (pos.rank() == 0 || pos.shape() == in.shape()) {
      Tensor& out = ctx.allocate_output(0, in.shape());
      std::string* o = out.data<std::string>();
      const bool scalar = pos.rank() == 0;
      for (int64_t i = 0, n = in.num_elements(); i < n; ++i) {
        const int64_t p = int_at(pos, scalar ? 0 : i), l = int_at(len, scalar ? 0 : i);
        if (!substring(s[i], p, l, utf8_, &o[i])) return out_of_range_pos(p, s[i], i);
      }
      return Status();
    }
    Broadcast bc;
    MR_RETURN_IF_ERROR(Broadcast::make({&in.shape(), &pos.shape()}, &bc));
    const Shape& out_shape = bc.out_shape();
    if (out_shape.size() > 2)
      return unimplemented(str_cat("Substr broadcast not implemented for ", out_shape.size(), " dimensions"));
    Tensor& out = ctx.allocate_output(0, out_shape);
    std::string* o = out.data<std::string>();
    const int64_t rows = out_shape.size() == 2 ? out_shape[0] : 1;
    const int64_t cols = out_shape.empty() ? 1 : out_shape.back();
    auto at = [&](const Shape& shape, int64_t r, int64_t c) {
      const size_t k = shape.size();
      const int64_t rr = k == 2 ? (shape[0] == 1 ? 0 : r) : 0;
      const int64_t cc = k >= 1 ? (shape[k - 1] == 1 ? 0 : c) : 0;
      return k == 2 ? rr * shape[1] + cc : cc;
    };
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        const int64_t si = at(in.shape(), r, c), pi = at(pos.shape(), r, c);
        const int64_t p = int_at(pos, pi), l = int_at(len, pi);
        if (!substring(s[si], p, l, utf8_, &o[r * cols + c])) {
          if (utf8_ || out_shape.size() < 2) return out_of_range_pos(p, s[si], utf8_ ? si : c);
          return invalid_argument(str_cat("pos ", p, " out of range for string b'", s[si], "' at index (", r, ", ",
                                          c, ")"));
        }
      }
    }
    return Status();
  }

 private:
  // TF names the string in byte units only; in UTF8_CHAR units a broadcast
  // names the input's element.
  Status out_of_range_pos(int64_t pos, const std::string& s, int64_t index) const {
    if (utf8_) return invalid_argument(str_cat("pos ", pos, " out of range for string at index ", index));
    return invalid_argument(str_cat("pos ", pos, " out of range for string b'", s, "' at index ", index));
  }

  bool utf8_ = false;
};

// ---- StringToNumber ----

bool parse_int(const std::string& s, int64_t lo, uint64_t hi, int64_t* out_signed, uint64_t* out_unsigned,
               bool is_unsigned) {
  size_t b = 0, e = s.size();
  while (b < e && ascii_space(s[b])) ++b;
  while (e > b && ascii_space(s[e - 1])) --e;
  bool neg = false;
  if (b < e && (s[b] == '+' || s[b] == '-')) neg = s[b++] == '-';
  if (b == e) return false;
  uint64_t v = 0;
  const uint64_t limit = neg ? static_cast<uint64_t>(-(lo + 1)) + 1 : hi;
  for (size_t i = b; i < e; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (limit - d) / 10) return false;
    v = v * 10 + d;
  }
  if (is_unsigned) {
    if (neg) return false;
    *out_unsigned = v;
  } else {
    *out_signed = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  }
  return true;
}

// Decimal or hexadecimal floating point with optional surrounding
// whitespace, "inf", "infinity" and "nan" in any case. Out-of-range values become
// infinities, as TF's double-conversion based parser gives them.
bool parse_float(const std::string& s, double* out) {
  size_t b = 0, e = s.size();
  while (b < e && ascii_space(s[b])) ++b;
  while (e > b && ascii_space(s[e - 1])) --e;
  std::string t = s.substr(b, e - b);
  if (t.empty()) return false;
  size_t k = (t[0] == '+' || t[0] == '-') ? 1 : 0;
  std::string body = t.substr(k);
  for (char& c : body) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const double sign = (k && t[0] == '-') ? -1.0 : 1.0;
  if (body == "inf" || body == "infinity") {
    *out = sign * std::numeric_limits<double>::infinity();
    return true;
  }
  if (body == "nan" || (body.size() >= 5 && body.compare(0, 4, "nan(") == 0 && body.back() == ')' &&
                        std::all_of(body.begin() + 4, body.end() - 1, [](char c) {
                          return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                        }))) {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (body.size() > 1 && body[0] == '0' && body[1] == 'x') {  // hexadecimal, as strtod reads it
    char* end = nullptr;
    const double v = std::strtod(body.c_str(), &end);
    if (end != body.c_str() + body.size() || body.size() == 2) return false;
    *out = sign * v;
    return true;
  }
  // digits [. digits] [e [sign] digits], at least one mantissa digit
  size_t i = 0, digits = 0;
  while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < body.size() && body[i] == 'e') {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  if (i != body.size()) return false;
  *out = sign * std::strtod(body.c_str(), nullptr);
  return true;
}

class StringToNumberKernel : public OpKernel {
 public:
  explicit StringToNumberKernel(KernelInit& init) {
    out_type_ = DType::kFloat;
    if (init.has_attr("out_type")) init.get("out_type", &out_type_);
    if (init.status().ok() && out_type_ != DType::kFloat && out_type_ != DType::kDouble &&
        out_type_ != DType::kInt32 && out_type_ != DType::kInt64 && out_type_ != DType::kUInt32 &&
        out_type_ != DType::kUInt64)
      init.fail(invalid_argument(str_cat("StringToNumber does not support out_type ", dtype_name(out_type_))));
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, in.shape());
    const std::string* s = in.data<std::string>();
    for (int64_t i = 0, n = in.num_elements(); i < n; ++i) {
      bool ok = false;
      int64_t iv = 0;
      uint64_t uv = 0;
      double dv = 0;
      switch (out_type_) {
        case DType::kFloat:
          ok = parse_float(s[i], &dv);
          out.data<float>()[i] = static_cast<float>(dv);
          break;
        case DType::kDouble:
          ok = parse_float(s[i], &dv);
          out.data<double>()[i] = dv;
          break;
        case DType::kInt32:
          ok = parse_int(s[i], std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), &iv, &uv,
                         false);
          out.data<int32_t>()[i] = static_cast<int32_t>(iv);
          break;
        case DType::kInt64:
          ok = parse_int(s[i], std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), &iv, &uv,
                         false);
          out.data<int64_t>()[i] = iv;
          break;
        case DType::kUInt32:
          ok = parse_int(s[i], 0, std::numeric_limits<uint32_t>::max(), &iv, &uv, true);
          out.data<uint32_t>()[i] = static_cast<uint32_t>(uv);
          break;
        default:
          ok = parse_int(s[i], 0, std::numeric_limits<uint64_t>::max(), &iv, &uv, true);
          out.data<uint64_t>()[i] = uv;
          break;
      }
      if (!ok) return invalid_argument(str_cat("StringToNumberOp could not correctly convert string: ", s[i]));
    }
    return Status();
  }

 private:
  DType out_type_;
};

// ---- base64 (web-safe alphabet) ----

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64_encode(const std::string& in, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(in[k])); };
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int k = 18; k >= 0; k -= 6) out.push_back(kBase64[(v >> k) & 63]);
  }
  const size_t rest = in.size() - i;
  if (rest) {
    const uint32_t v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kBase64[(v >> 6) & 63]);
    if (pad) out.append(rest == 2 ? "=" : "==");
  }
  return out;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

bool decode_quad(const char* q, char* out) {
  uint32_t v = 0;
  for (int k = 0; k < 4; ++k) {
    const int d = base64_value(q[k]);
    if (d < 0) return false;
    v = v << 6 | static_cast<uint32_t>(d);
  }
  out[0] = static_cast<char>(v >> 16);
  out[1] = static_cast<char>(v >> 8);
  out[2] = static_cast<char>(v);
  return true;
}

// Padding is optional; a final group of 4 may end in "=" or "==".
Status base64_decode(const std::string& in, std::string* out) {
  out->clear();
  if (in.empty()) return Status();
  const char* p = in.data();
  const char* end = p + in.size();
  out->reserve(in.size() / 4 * 3 + 3);
  char buf[3];
  for (; end - p > 4; p += 4) {
    if (!decode_quad(p, buf)) return invalid_argument("Invalid character found in base64.");
    out->append(buf, 3);
  }
  if (end - p == 4) {
    if (p[2] == '=' && p[3] == '=') end -= 2;
    else if (p[3] == '=') end -= 1;
  }
  const int64_t rest = end - p;
  if (rest == 1) return invalid_argument("Base64 string length cannot be 1 modulo 4.");
  char tail[4] = {'A', 'A', 'A', 'A'};
  std::memcpy(tail, p, static_cast<size_t>(rest));
  if (!decode_quad(tail, buf)) return invalid_argument("Invalid character found in base64.");
  out->append(buf, static_cast<size_t>(rest > 0 ? rest - 1 : 0));
  return Status();
}

class EncodeBase64Kernel : public OpKernel {
 public:
  explicit EncodeBase64Kernel(KernelInit& init) {
    if (init.has_attr("pad")) init.get("pad", &pad_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, in.shape());
    for (int64_t i = 0, n = in.num_elements(); i < n; ++i)
      out.data<std::string>()[i] = base64_encode(in.data<std::string>()[i], pad_);
    return Status();
  }

 private:
  bool pad_ = false;
};

class DecodeBase64Kernel : public OpKernel {
 public:
  explicit DecodeBase64Kernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, in.shape());
    for (int64_t i = 0, n = in.num_elements(); i < n; ++i)
      MR_RETURN_IF_ERROR(base64_decode(in.data<std::string>()[i], &out.data<std::string>()[i]));
    return Status();
  }
};

// ---- hash buckets ----

uint64_t load_le64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// TF's own Hash64 (a MurmurHash64A variant, seed 0xDECAFCAFFE), used by
// StringToHashBucket.
uint64_t tf_hash64(const std::string& s) {
  constexpr uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0xDECAFCAFFEULL ^ (n * m);
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t k = load_le64(p);
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  if (n) {
    for (size_t k = n; k-- > 0;) h ^= static_cast<uint64_t>(static_cast<unsigned char>(p[k])) << (8 * k);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

// SipHash-2-4 keyed by (k0, k1), StringToHashBucketStrong's hash.
uint64_t siphash24(uint64_t k0, uint64_t k1, const std::string& s) {
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
  uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
  auto round = [&] {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  };
  const size_t n = s.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t m = load_le64(s.data() + i);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  uint64_t last = static_cast<uint64_t>(n & 0xff) << 56;
  for (size_t k = 0; i + k < n; ++k) last |= static_cast<uint64_t>(static_cast<unsigned char>(s[i + k])) << (8 * k);
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xff;
  for (int k = 0; k < 4; ++k) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

class HashBucketKernel : public OpKernel {
 public:
  HashBucketKernel(KernelInit& init, bool strong) : strong_(strong) {
    init.get("num_buckets", &num_buckets_);
    if (init.status().ok() && num_buckets_ < 1)
      init.fail(invalid_argument(str_cat("Value for attr 'num_buckets' of ", num_buckets_,
                                         " must be at least minimum 1")));
    if (strong_) {
      init.get("key", &key_);
      if (init.status().ok() && key_.size() != 2) init.fail(invalid_argument("Key must have 2 elements"));
    }
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, in.shape());
    const std::string* s = in.data<std::string>();
    int64_t* o = out.data<int64_t>();
    const uint64_t nb = static_cast<uint64_t>(num_buckets_);
    for (int64_t i = 0, n = in.num_elements(); i < n; ++i) {
      const uint64_t h = strong_ ? siphash24(static_cast<uint64_t>(key_[0]), static_cast<uint64_t>(key_[1]), s[i])
                                 : tf_hash64(s[i]);
      o[i] = static_cast<int64_t>(h % nb);
    }
    return Status();
  }

 private:
  bool strong_;
  int64_t num_buckets_ = 1;
  std::vector<int64_t> key_;
};

template <bool kUpper>
std::unique_ptr<OpKernel> make_case(KernelInit& init) {
  return new_kernel<StringCaseKernel>(init, kUpper);
}

template <bool kStrong>
std::unique_ptr<OpKernel> make_hash(KernelInit& init) {
  return new_kernel<HashBucketKernel>(init, kStrong);
}

}  // namespace

void register_string_ops_2(Registry& r) {
  r.add("StringLower", make_case<false>);
  r.add("StringUpper", make_case<true>);
  r.add("StringStrip", make_kernel<StringStripKernel>);
  r.add("StringLength", make_kernel<StringLengthKernel>);
  r.add("Substr", make_kernel<SubstrKernel>);
  r.add("StringToNumber", make_kernel<StringToNumberKernel>);
  r.add("EncodeBase64", make_kernel<EncodeBase64Kernel>);
  r.add("DecodeBase64", make_kernel<DecodeBase64Kernel>);
  r.add("StringToHashBucket", make_hash<false>);
  r.add("StringToHashBucketStrong", make_hash<true>);
}

}  // namespace metarun
