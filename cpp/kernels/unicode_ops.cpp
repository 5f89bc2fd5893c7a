// Unicode ops of tf.strings: UnicodeDecode(WithOffsets), UnicodeEncode,
// UnicodeTranscode and UnicodeScript.
//
// TF does these with ICU converters; metarun knows the three encodings the
// ops document (UTF-8, UTF-16-BE, UTF-32-BE) and fails with Unimplemented on
// any other ICU encoding name. Ill-formed input is one error per maximal
// subpart (ICU's and Unicode's rule), which `errors` turns into a
// replacement character ("replace"), nothing ("ignore") or an
// InvalidArgument ("strict"). Script codes are ICU's UScriptCode numbers,
// from a table of ranges (unicode_script_table.inc).
#include <algorithm>

#include "framework/registry.h"
#include "kernels/util/utf8.h"

namespace metarun {
namespace {

enum class Encoding { kUtf8, kUtf16Be, kUtf32Be };
enum class Errors { kStrict, kReplace, kIgnore };

// Common ICU encoding names (upper case, without '-' and '_'): TF converts
// them, metarun says it does not; other names TF rejects too.
bool known_elsewhere(const std::string& n) {
  static const char* const kNames[] = {"ISO88591", "LATIN1", "USASCII", "ASCII", "UTF16", "UTF16LE", "UTF32",
                                       "UTF32LE", "WINDOWS1252", "CP1252", "SHIFTJIS", "GB18030", "GBK", "BIG5",
                                       "EUCJP", "EUCKR", "KOI8R", "ISO88592", "ISO88595", "ISO88597", "ISO885915",
                                       "UTF7", "CESU8", "SCSU", "BOCU1"};
  for (const char* k : kNames)
    if (n == k) return true;
  return false;
}

Status parse_encoding(const std::string& name, Encoding* out) {
  std::string n;
  for (char c : name)
    if (c != '-' && c != '_') n.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (n == "UTF8") *out = Encoding::kUtf8;
  else if (n == "UTF16BE") *out = Encoding::kUtf16Be;
  else if (n == "UTF32BE") *out = Encoding::kUtf32Be;
  else if (known_elsewhere(n))
    return unimplemented(str_cat("Encoding ", name, " is not supported: metarun converts UTF-8, UTF-16-BE and "
                                 "UTF-32-BE only"));
  else return invalid_argument(str_cat("Could not create converter for input encoding: ", name));
  return Status();
}

Status parse_errors(const std::string& e, Errors* out) {
  if (e == "strict") *out = Errors::kStrict;
  else if (e == "replace") *out = Errors::kReplace;
  else if (e == "ignore") *out = Errors::kIgnore;
  else return invalid_argument(str_cat("errors must be one of 'strict', 'replace' or 'ignore', got ", e));
  return Status();
}

// One code point at s[*i] in `enc`; -1 for an ill-formed unit (skipped).
int32_t next_code_point(Encoding enc, const std::string& s, size_t* i) {
  const size_t n = s.size();
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[k])); };
  switch (enc) {
    case Encoding::kUtf8:
      return utf8::decode(s.data(), n, i);
    case Encoding::kUtf16Be: {
      if (*i + 2 > n) {
        *i = n;
        return -1;
      }
      const uint32_t u = byte(*i) << 8 | byte(*i + 1);
      *i += 2;
      if (u < 0xD800 || u > 0xDFFF) return static_cast<int32_t>(u);
      if (u >= 0xDC00 || *i + 2 > n) return -1;
      const uint32_t v = byte(*i) << 8 | byte(*i + 1);
      if (v < 0xDC00 || v > 0xDFFF) return -1;
      *i += 2;
      return static_cast<int32_t>(0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00));
    }
    case Encoding::kUtf32Be: {
      if (*i + 4 > n) {
        *i = n;
        return -1;
      }
      const uint32_t u = byte(*i) << 24 | byte(*i + 1) << 16 | byte(*i + 2) << 8 | byte(*i + 3);
      *i += 4;
      return utf8::valid_code_point(u) ? static_cast<int32_t>(u) : -1;
    }
  }
  return -1;
}

void append_code_point(Encoding enc, int32_t cp, std::string* out) {
  if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
  switch (enc) {
    case Encoding::kUtf8:
      utf8::append(out, cp);
      return;
    case Encoding::kUtf16Be:
      if (cp >= 0x10000) {
        const int32_t v = cp - 0x10000;
        const int32_t hi = 0xD800 + (v >> 10), lo = 0xDC00 + (v & 0x3FF);
        out->push_back(static_cast<char>(hi >> 8));
        out->push_back(static_cast<char>(hi & 0xFF));
        out->push_back(static_cast<char>(lo >> 8));
        out->push_back(static_cast<char>(lo & 0xFF));
      } else {
        out->push_back(static_cast<char>(cp >> 8));
        out->push_back(static_cast<char>(cp & 0xFF));
      }
      return;
    case Encoding::kUtf32Be:
      for (int k = 24; k >= 0; k -= 8) out->push_back(static_cast<char>((cp >> k) & 0xFF));
      return;
  }
}

// replace_control_characters replaces C0 controls only (TF's check).
// TF takes any code point up to U+10FFFF (a surrogate included: written, it
// becomes U+FFFD, as ICU writes an unpaired surrogate).
Status check_replacement(int64_t cp) {
  if (cp < 0 || cp > 0x10FFFF) return invalid_argument("replacement_char out of unicode codepoint range");
  return Status();
}

bool control_char(int32_t cp) { return cp < 0x20; }

// The decoding options UnicodeDecode(WithOffsets) and UnicodeTranscode share.
struct DecodeOptions {
  Encoding encoding = Encoding::kUtf8;
  Errors errors = Errors::kReplace;
  int64_t replacement = 0xFFFD;
  bool replace_control = false;

  void read(KernelInit& init) {
    std::string enc, err = "replace";
    init.get("input_encoding", &enc);
    if (init.has_attr("errors")) init.get("errors", &err);
    if (init.has_attr("replacement_char")) init.get("replacement_char", &replacement);
    if (init.has_attr("replace_control_characters")) init.get("replace_control_characters", &replace_control);
    if (!init.status().ok()) return;
    init.fail(parse_encoding(enc, &encoding));
    init.fail(parse_errors(err, &errors));
    init.fail(check_replacement(replacement));
  }

  // Calls fn(code point, byte offset) for each character of s.
  template <class F>
  Status decode(const std::string& s, F&& fn) const {
    for (size_t i = 0; i < s.size();) {
      const size_t start = i;
      int32_t cp = next_code_point(encoding, s, &i);
      if (cp < 0) {
        if (errors == Errors::kStrict) return invalid_argument("Invalid formatting on input string");
        if (errors == Errors::kIgnore) continue;
        cp = static_cast<int32_t>(replacement);
      } else if (replace_control && control_char(cp)) {  // dropped under "ignore", else replaced
        if (errors == Errors::kIgnore) continue;
        cp = static_cast<int32_t>(replacement);
      }
      fn(cp, static_cast<int64_t>(start));
    }
    return Status();
  }
};

void set_split(Tensor& t, int64_t i, int64_t v) {
  if (t.dtype() == DType::kInt32) t.data<int32_t>()[i] = static_cast<int32_t>(v);
  else t.data<int64_t>()[i] = v;
}

int64_t split_at(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kInt32 ? t.data<int32_t>()[i] : t.data<int64_t>()[i];
}

class UnicodeDecodeKernel : public OpKernel {
 public:
  UnicodeDecodeKernel(KernelInit& init, bool offsets) : offsets_(offsets) { options_.read(init); }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const int64_t n = in.num_elements();
    std::vector<int32_t> chars;
    std::vector<int64_t> starts, splits{0};
    for (int64_t i = 0; i < n; ++i) {
      MR_RETURN_IF_ERROR(options_.decode(in.data<std::string>()[i], [&](int32_t cp, int64_t at) {
        chars.push_back(cp);
        starts.push_back(at);
      }));
      splits.push_back(static_cast<int64_t>(chars.size()));
    }
    Tensor& row_splits = ctx.allocate_output(0, {n + 1});
    for (int64_t i = 0; i <= n; ++i) set_split(row_splits, i, splits[static_cast<size_t>(i)]);
    const int64_t total = static_cast<int64_t>(chars.size());
    Tensor& values = ctx.allocate_output(1, {total});
    std::copy(chars.begin(), chars.end(), values.data<int32_t>());
    if (offsets_) std::copy(starts.begin(), starts.end(), ctx.allocate_output(2, {total}).data<int64_t>());
    return Status();
  }

 private:
  bool offsets_;
  DecodeOptions options_;
};

class UnicodeEncodeKernel : public OpKernel {
 public:
  explicit UnicodeEncodeKernel(KernelInit& init) {
    std::string enc, err = "replace";
    init.get("output_encoding", &enc);
    if (init.has_attr("errors")) init.get("errors", &err);
    if (init.has_attr("replacement_char")) init.get("replacement_char", &replacement_);
    if (!init.status().ok()) return;
    init.fail(parse_encoding(enc, &encoding_));
    init.fail(parse_errors(err, &errors_));
    init.fail(check_replacement(replacement_));
  }
  Status compute(OpContext& ctx) override {
    const Tensor& values = ctx.input(0);
    const Tensor& splits = ctx.input(1);
    if (values.rank() != 1)
      return invalid_argument(str_cat("input_values must be a vector, got shape: ", shape_str(values.shape())));
    if (splits.rank() != 1)
      return invalid_argument(str_cat("input_splits must be a vector, got shape: ", shape_str(splits.shape())));
    const int64_t num_splits = splits.num_elements();
    if (num_splits == 0)
      return invalid_argument(str_cat("Input_splits should contain elements, but given input_values has ", num_splits,
                                      " elements"));
    const int64_t n = values.num_elements();
    if (split_at(splits, 0) != 0) return invalid_argument("First value in input_splits must be zero.");
    for (int64_t i = 1; i < num_splits; ++i)
      if (split_at(splits, i) < split_at(splits, i - 1))
        return invalid_argument("Values in input_splits must be equal or in ascending order.");
    if (split_at(splits, num_splits - 1) != n)
      return invalid_argument("Last value in input_splits must be equal to length of input_tensor.");
    Tensor& out = ctx.allocate_output(0, {num_splits - 1});
    const int32_t* cps = values.data<int32_t>();
    for (int64_t r = 0; r + 1 < num_splits; ++r) {
      std::string s;
      for (int64_t k = split_at(splits, r); k < split_at(splits, r + 1); ++k) {
        int64_t cp = cps[k];
        if (!utf8::valid_code_point(cp)) {
          if (errors_ == Errors::kStrict)
            return invalid_argument("Code point is out of range for Unicode, or is a surrogate.");
          if (errors_ == Errors::kIgnore) continue;
          cp = replacement_;
        }
        append_code_point(encoding_, static_cast<int32_t>(cp), &s);
      }
      out.data<std::string>()[r] = std::move(s);
    }
    return Status();
  }

 private:
  Encoding encoding_ = Encoding::kUtf8;
  Errors errors_ = Errors::kReplace;
  int64_t replacement_ = 0xFFFD;
};

class UnicodeTranscodeKernel : public OpKernel {
 public:
  explicit UnicodeTranscodeKernel(KernelInit& init) {
    options_.read(init);
    std::string enc;
    init.get("output_encoding", &enc);
    if (init.status().ok()) init.fail(parse_encoding(enc, &output_));
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, in.shape());
    for (int64_t i = 0, n = in.num_elements(); i < n; ++i) {
      std::string s;
      MR_RETURN_IF_ERROR(options_.decode(in.data<std::string>()[i],
                                         [&](int32_t cp, int64_t) { append_code_point(output_, cp, &s); }));
      out.data<std::string>()[i] = std::move(s);
    }
    return Status();
  }

 private:
  DecodeOptions options_;
  Encoding output_ = Encoding::kUtf8;
};

struct ScriptRange {
  int32_t first;
  int32_t script;
};

#include "kernels/util/unicode_script_table.inc"

int32_t script_of(int32_t cp) {
  if (cp < 0 || cp > 0x10FFFF) return -1;
  const ScriptRange* end = kScriptRanges + sizeof(kScriptRanges) / sizeof(kScriptRanges[0]);
  const ScriptRange* it =
      std::upper_bound(kScriptRanges, end, cp, [](int32_t c, const ScriptRange& r) { return c < r.first; });
  return it == kScriptRanges ? -1 : (it - 1)->script;
}

class UnicodeScriptKernel : public OpKernel {
 public:
  explicit UnicodeScriptKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, in.shape());
    for (int64_t i = 0, n = in.num_elements(); i < n; ++i) out.data<int32_t>()[i] = script_of(in.data<int32_t>()[i]);
    return Status();
  }
};

template <bool kOffsets>
std::unique_ptr<OpKernel> make_decode(KernelInit& init) {
  return new_kernel<UnicodeDecodeKernel>(init, kOffsets);
}

}  // namespace

void register_unicode_ops(Registry& r) {
  r.add("UnicodeDecode", make_decode<false>);
  r.add("UnicodeDecodeWithOffsets", make_decode<true>);
  r.add("UnicodeEncode", make_kernel<UnicodeEncodeKernel>);
  r.add("UnicodeTranscode", make_kernel<UnicodeTranscodeKernel>);
  r.add("UnicodeScript", make_kernel<UnicodeScriptKernel>);
}

}  // namespace metarun
