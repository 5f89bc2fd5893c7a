// UTF-8 helpers shared by the string, unicode and regex kernels.
//
// Decoding follows Unicode's "maximal subpart" rule (what ICU's converters and
// TF do): an ill-formed sequence is consumed up to the first byte that cannot
// continue it, and counts as one error. Surrogates and values past U+10FFFF
// are ill-formed.
#pragma once

#include <cstdint>
#include <string>

namespace metarun {
namespace utf8 {

inline bool is_trail(unsigned char c) { return (c & 0xC0) == 0x80; }

// Decodes one code point at s[*i] (i < n), advancing *i. Returns the code
// point, or -1 for an ill-formed sequence (then *i is past its maximal subpart).
inline int32_t decode(const char* s, size_t n, size_t* i) {
  const unsigned char c = static_cast<unsigned char>(s[*i]);
  ++*i;
  if (c < 0x80) return c;
  int need;
  int32_t cp;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    cp = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    cp = c & 0x07;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
  } else {
    return -1;
  }
  for (int k = 0; k < need; ++k) {
    if (*i >= n) return -1;
    const unsigned char t = static_cast<unsigned char>(s[*i]);
    if (k == 0 ? (t < lo || t > hi) : !is_trail(t)) return -1;
    cp = (cp << 6) | (t & 0x3F);
    ++*i;
  }
  return cp;
}

inline bool valid_code_point(int64_t cp) { return cp >= 0 && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF); }

// Appends `cp` (a valid code point) as UTF-8.
inline void append(std::string* out, int32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Characters as TF's UTF8_CHAR unit counts them: bytes that are not trail bytes
// (a count that ignores whether the sequences are well formed).
inline int64_t char_count(const std::string& s) {
  int64_t n = 0;
  for (unsigned char c : s) n += !is_trail(c);
  return n;
}

}  // namespace utf8
}  // namespace metarun
