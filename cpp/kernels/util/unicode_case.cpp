#include "kernels/util/unicode_case.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/util/utf8.h"

namespace metarun {
namespace unicode_case {
namespace {

struct CaseMapping {
  uint32_t cp;
  uint32_t to[3];
};

struct CategoryRun {
  int32_t first;
  int32_t category;
};

#include "kernels/util/unicode_case_table.inc"

template <size_t N>
const CaseMapping* find(const CaseMapping (&table)[N], uint32_t cp) {
  const CaseMapping* it =
      std::lower_bound(table, table + N, cp, [](const CaseMapping& m, uint32_t c) { return m.cp < c; });
  return it != table + N && it->cp == cp ? it : nullptr;
}

bool cased(int32_t cp) {
  return cp >= 0 && (find(kLowerTable, static_cast<uint32_t>(cp)) || find(kUpperTable, static_cast<uint32_t>(cp)));
}

// A common subset of Unicode's Case_Ignorable characters (apostrophes, dots,
// combining marks), enough for the final-sigma context.
bool case_ignorable(int32_t cp) {
  return cp == '\'' || cp == '.' || cp == ':' || cp == 0xAD || cp == 0xB7 || cp == 0x2019 ||
         (cp >= 0x300 && cp <= 0x36F);
}

// U+03A3 lowercases to final sigma when a cased letter precedes it and none
// follows (case-ignorable characters skipped both ways).
bool final_sigma(const std::vector<int32_t>& cps, size_t i) {
  size_t j = i;
  bool before = false;
  while (j-- > 0) {
    if (case_ignorable(cps[j])) continue;
    before = cased(cps[j]);
    break;
  }
  if (!before) return false;
  for (size_t k = i + 1; k < cps.size(); ++k) {
    if (case_ignorable(cps[k])) continue;
    return !cased(cps[k]);
  }
  return true;
}

}  // namespace

bool category_ranges(const std::string& name, std::vector<std::pair<int32_t, int32_t>>* out) {
  if (name == "Any") {
    out->push_back({0, 0x10FFFF});
    return true;
  }
  if (name.empty() || name.size() > 2) return false;
  constexpr size_t kRuns = sizeof(kCategoryRuns) / sizeof(kCategoryRuns[0]);
  bool known = false;
  for (const char* cat : kCategoryNames)
    known = known || (name.size() == 1 ? cat[0] == name[0] : name == cat);
  if (!known) return false;
  for (size_t i = 0; i < kRuns; ++i) {
    const std::string cat = kCategoryNames[kCategoryRuns[i].category];
    const bool take = name.size() == 1 ? (cat[0] == name[0] && cat != "Cn") : cat == name;
    if (!take) continue;
    const int32_t last = i + 1 < kRuns ? kCategoryRuns[i + 1].first - 1 : 0x10FFFF;
    if (!out->empty() && out->back().second + 1 == kCategoryRuns[i].first) out->back().second = last;
    else out->push_back({kCategoryRuns[i].first, last});
  }
  return true;
}

int32_t simple_case(int32_t cp, bool upper) {
  if (cp < 0) return cp;
  const CaseMapping* m = upper ? find(kUpperTable, static_cast<uint32_t>(cp)) : find(kLowerTable, static_cast<uint32_t>(cp));
  return m && m->to[1] == 0 ? static_cast<int32_t>(m->to[0]) : cp;
}

std::string convert(const std::string& s, bool upper) {
  std::vector<int32_t> cps;
  cps.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const int32_t cp = utf8::decode(s.data(), s.size(), &i);
    cps.push_back(cp < 0 ? 0xFFFD : cp);
  }
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < cps.size(); ++i) {
    const uint32_t cp = static_cast<uint32_t>(cps[i]);
    if (!upper && cp == 0x3A3 && final_sigma(cps, i)) {
      utf8::append(&out, 0x3C2);
      continue;
    }
    const CaseMapping* m = upper ? find(kUpperTable, cp) : find(kLowerTable, cp);
    if (!m) {
      utf8::append(&out, static_cast<int32_t>(cp));
      continue;
    }
    for (uint32_t t : m->to)
      if (t) utf8::append(&out, static_cast<int32_t>(t));
  }
  return out;
}

}  // namespace unicode_case
}  // namespace metarun
