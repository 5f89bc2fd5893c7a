// Full Unicode case conversion of UTF-8 text (StringLower/StringUpper with
// encoding "utf-8", which TF does with ICU's root locale). Ill-formed bytes
// become U+FFFD, as ICU's UTF-8 reader makes them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace metarun {
namespace unicode_case {

std::string convert(const std::string& utf8_text, bool upper);

// The simple (one code point) lower or upper case of `cp`; `cp` itself when it
// has none.
int32_t simple_case(int32_t cp, bool upper);

// The code point ranges of a Unicode general category, by its one-letter
// ("L") or two-letter ("Lu") name, or "Any"; false for another name. A
// one-letter group leaves out unassigned code points (Cn), as RE2's does.
bool category_ranges(const std::string& name, std::vector<std::pair<int32_t, int32_t>>* out);

}  // namespace unicode_case
}  // namespace metarun
