// The parser of the regex engine (regex.h): RE2 syntax to a tree of nodes,
// which regex.cpp compiles to its program. Internal to the engine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace metarun {
namespace regex_internal {

using Ranges = std::vector<std::pair<int32_t, int32_t>>;

enum AssertKind { kBeginLine, kEndLine, kBeginText, kEndText, kWordBoundary, kNotWordBoundary };

struct Node {
  enum Kind { kEmpty, kRanges, kConcat, kAlt, kRepeat, kGroup, kAssert } kind = kEmpty;
  Ranges ranges;  // kRanges: sorted, disjoint code point ranges
  std::vector<std::unique_ptr<Node>> kids;
  int min = 0, max = 0;  // kRepeat; max -1: unbounded
  bool greedy = true;
  int index = -1;        // kGroup: capture index, -1 for a non-capturing group
  int assert_kind = 0;
};

// Parses `pattern` (code points); null with *error set when it is not valid
// RE2 syntax or uses syntax the engine lacks (the reason then starts with
// "unsupported"). *groups gets the number of capturing groups.
std::unique_ptr<Node> parse(const std::vector<int32_t>& pattern, std::string* error, int* groups);

}  // namespace regex_internal
}  // namespace metarun
