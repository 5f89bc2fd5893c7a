// RegexReplace and StaticRegexReplace with RE2's replacement rules (the
// engine: kernels/util/regex.h): `\0`..`\9` in the rewrite insert a group,
// `\\` a backslash; a global replace skips an empty match that touches the
// previous match, copying one character instead, as RE2::GlobalReplace does.
#include <algorithm>

#include "framework/registry.h"
#include "kernels/util/regex.h"
#include "kernels/util/utf8.h"

namespace metarun {
namespace {

// The highest group number a rewrite names (RE2's MaxSubmatch).
int max_submatch(const std::string& rewrite) {
  int most = 0;
  for (size_t i = 0; i + 1 < rewrite.size(); ++i) {
    if (rewrite[i] != '\\') continue;
    const char c = rewrite[++i];
    if (c >= '0' && c <= '9') most = std::max(most, c - '0');
  }
  return most;
}

// Appends the rewrite for one match; false at a backslash followed by
// neither a digit nor a backslash (RE2 stops there, keeping what it wrote).
bool append_rewrite(const std::string& text, const std::string& rewrite, const std::vector<int64_t>& caps,
                    std::string* out) {
  for (size_t i = 0; i < rewrite.size(); ++i) {
    const char c = rewrite[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i >= rewrite.size()) return false;
    const char d = rewrite[i];
    if (d == '\\') {
      out->push_back('\\');
      continue;
    }
    if (d < '0' || d > '9') return false;
    const size_t g = static_cast<size_t>(d - '0');
    if (caps[2 * g] >= 0)
      out->append(text, static_cast<size_t>(caps[2 * g]), static_cast<size_t>(caps[2 * g + 1] - caps[2 * g]));
  }
  return true;
}

// RE2::Replace / GlobalReplace: a rewrite naming a group the pattern lacks
// changes nothing; a bad escape ends that match's rewrite (a single replace
// then changes nothing).
std::string replace(const Regex& re, const std::string& s, const std::string& rewrite, bool global) {
  std::vector<int64_t> caps;
  std::string out;
  if (max_submatch(rewrite) > re.num_groups()) return s;
  if (!global) {
    if (!re.search(s, 0, false, false, &caps)) return s;
    out.append(s, 0, static_cast<size_t>(caps[0]));
    if (!append_rewrite(s, rewrite, caps, &out)) return s;
    out.append(s, static_cast<size_t>(caps[1]), std::string::npos);
    return out;
  }
  const size_t n = s.size();
  size_t p = 0;
  int64_t last_end = -1;
  int64_t count = 0;
  while (p <= n) {
    if (!re.search(s, p, false, false, &caps)) break;
    const size_t begin = static_cast<size_t>(caps[0]), end = static_cast<size_t>(caps[1]);
    if (p < begin) out.append(s, p, begin - p);
    if (begin == end && static_cast<int64_t>(begin) == last_end) {
      if (p >= n) break;
      size_t next = p;
      if (utf8::decode(s.data(), n, &next) < 0) next = p + 1;
      out.append(s, p, next - p);
      p = next;
      continue;
    }
    append_rewrite(s, rewrite, caps, &out);
    p = end;
    last_end = static_cast<int64_t>(end);
    ++count;
  }
  if (count == 0) return s;
  if (p < n) out.append(s, p, n - p);
  return out;
}

Status replace_all(OpContext& ctx, const Regex& re, const std::string& rewrite, bool global) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.allocate_output(0, in.shape());
  for (int64_t i = 0, n = in.num_elements(); i < n; ++i)
    out.data<std::string>()[i] = replace(re, in.data<std::string>()[i], rewrite, global);
  return Status();
}

class StaticRegexReplaceKernel : public OpKernel {
 public:
  explicit StaticRegexReplaceKernel(KernelInit& init) {
    std::string pattern;
    init.get("pattern", &pattern);
    init.get("rewrite", &rewrite_);
    if (init.has_attr("replace_global")) init.get("replace_global", &global_);
    if (!init.status().ok()) return;
    init.fail(compile_regex(pattern, &re_));
  }
  Status compute(OpContext& ctx) override { return replace_all(ctx, re_, rewrite_, global_); }

 private:
  Regex re_;
  std::string rewrite_;
  bool global_ = true;
};

class RegexReplaceKernel : public OpKernel {
 public:
  explicit RegexReplaceKernel(KernelInit& init) {
    if (init.has_attr("replace_global")) init.get("replace_global", &global_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& pattern = ctx.input(1);
    const Tensor& rewrite = ctx.input(2);
    if (pattern.rank() != 0)
      return invalid_argument(str_cat("Pattern must be scalar, but received ", shape_str(pattern.shape())));
    if (rewrite.rank() != 0)
      return invalid_argument(str_cat("Rewrite must be scalar, but received ", shape_str(rewrite.shape())));
    Regex re;
    MR_RETURN_IF_ERROR(compile_regex(pattern.data<std::string>()[0], &re));
    return replace_all(ctx, re, rewrite.data<std::string>()[0], global_);
  }

 private:
  bool global_ = true;
};

}  // namespace

void register_regex_ops(Registry& r) {
  r.add("StaticRegexReplace", make_kernel<StaticRegexReplaceKernel>);
  r.add("RegexReplace", make_kernel<RegexReplaceKernel>);
}

}  // namespace metarun
