// A regular-expression engine for the regex string ops, with RE2's syntax
// and matching rules (TF's regex ops use RE2): leftmost-first matches, no
// backreferences, UTF-8 text matched by code point, time linear in the text
// (a Pike VM: no recursion over the input, so no input can exhaust the stack).
//
// Supported syntax (RE2's): literals and escapes (\a \f \t \n \r \v \xHH
// \x{H...} octal \123, escaped punctuation, \Q...\E), `.`, classes [...] with
// ranges, negation, \d \s \w and their negations, [:alpha:]-style POSIX
// classes; anchors ^ $ \A \z \b \B; groups (...), (?:...), (?P<name>...),
// (?<name>...); flags (?imsU) and (?imsU:...); quantifiers * + ? {n} {n,}
// {n,m} and their lazy forms, Unicode general categories (\pL, \p{Lu},
// \PN, \p{^L}; from Python's Unicode 14 data, RE2 may have a newer one).
// Not supported: script classes (\p{Greek}), \C, and case folding beyond
// simple one-to-one mappings; a pattern using them fails to compile with a
// reason starting "unsupported". Ill-formed UTF-8 bytes in the text match
// nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace metarun {

class Regex {
 public:
  // Compiles `pattern`; on failure returns false and sets *error to why.
  bool compile(const std::string& pattern, std::string* error);
  // Whether a compile error is RE2 syntax this engine lacks (not a bad pattern).
  static bool unsupported(const std::string& error) { return error.rfind("unsupported", 0) == 0; }
  int num_groups() const { return num_groups_; }

  // The leftmost-first match in text[start...] (assertions see the whole
  // text). `caps` gets 2 * (num_groups() + 1) byte offsets, -1 where a group
  // did not take part. `anchor_start`: the match must begin at `start`;
  // `anchor_end`: it must end at the end of the text.
  bool search(const std::string& text, size_t start, bool anchor_start, bool anchor_end,
              std::vector<int64_t>* caps) const {
    return run(text, start, anchor_start, anchor_end, caps);
  }

  bool full_match(const std::string& text) const { return run(text, 0, true, true, nullptr); }

  struct Inst;

 private:
  // search(), tracking no groups when `caps` is null.
  bool run(const std::string& text, size_t start, bool anchor_start, bool anchor_end,
           std::vector<int64_t>* caps) const;

  std::vector<Inst> prog_;
  int start_ = 0;
  int num_groups_ = 0;
};

// Compiles `pattern` for a kernel: TF's InvalidArgument "Invalid pattern: ..."
// for a bad pattern, Unimplemented for RE2 syntax this engine lacks.
Status compile_regex(const std::string& pattern, Regex* re);

struct Regex::Inst {
  enum Op { kRanges, kSplit, kJmp, kSave, kMatch, kAssert } op;
  int x = 0, y = 0;                       // targets (kSplit: x preferred), kSave slot, kAssert kind
  std::vector<std::pair<int32_t, int32_t>> ranges;  // kRanges: sorted, disjoint code point ranges
};

}  // namespace metarun
