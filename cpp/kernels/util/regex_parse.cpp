#include "kernels/util/regex_parse.h"

#include <algorithm>

#include "kernels/util/unicode_case.h"
#include "kernels/util/utf8.h"

namespace metarun {
namespace regex_internal {
namespace {

constexpr int32_t kMaxRune = 0x10FFFF;
constexpr int kMaxRepeat = 1000;
using NodePtr = std::unique_ptr<Node>;

NodePtr make(Node::Kind k) {
  NodePtr n(new Node);
  n->kind = k;
  return n;
}

Ranges normalize(Ranges r) {
  std::sort(r.begin(), r.end());
  Ranges out;
  for (const auto& p : r) {
    if (!out.empty() && p.first <= out.back().second + 1) out.back().second = std::max(out.back().second, p.second);
    else out.push_back(p);
  }
  return out;
}

Ranges negate(const Ranges& r) {
  Ranges out;
  int32_t next = 0;
  for (const auto& p : r) {
    if (p.first > next) out.push_back({next, p.first - 1});
    next = p.second + 1;
  }
  if (next <= kMaxRune) out.push_back({next, kMaxRune});
  return out;
}

void add_folded(Ranges* r, int32_t lo, int32_t hi) {
  r->push_back({lo, hi});
  if (hi - lo > 0x3000) return;  // a range that wide already covers its case partners in practice
  for (int32_t c = lo; c <= hi; ++c) {
    for (bool upper : {false, true}) {
      const int32_t o = unicode_case::simple_case(c, upper);
      if (o != c) r->push_back({o, o});
      const int32_t back = unicode_case::simple_case(o, !upper);
      if (back != c && back != o) r->push_back({back, back});
    }
  }
}

class Parser {
 public:
  Parser(const std::vector<int32_t>& p, std::string* error) : p_(p), error_(error) {}

  NodePtr parse(int* groups) {
    NodePtr n = alternation();
    if (ok_ && i_ < p_.size()) fail("unexpected ): " + tail());
    *groups = groups_;
    return ok_ ? std::move(n) : nullptr;
  }

 private:
  struct Flags {
    bool fold = false, multi_line = false, dot_nl = false, ungreedy = false;
  };

  bool more() const { return ok_ && i_ < p_.size(); }
  int32_t peek(size_t k = 0) const { return i_ + k < p_.size() ? p_[i_ + k] : -1; }
  void fail(const std::string& why) {
    if (ok_) *error_ = why;
    ok_ = false;
  }
  std::string tail() const {
    std::string s;
    for (size_t k = i_; k < p_.size(); ++k) utf8::append(&s, p_[k]);
    return s;
  }

  NodePtr alternation() {
    NodePtr first = concat();
    if (peek() != '|') return first;
    NodePtr alt = make(Node::kAlt);
    alt->kids.push_back(std::move(first));
    while (ok_ && peek() == '|') {
      ++i_;
      alt->kids.push_back(concat());
    }
    return alt;
  }

  NodePtr concat() {
    NodePtr cat = make(Node::kConcat);
    while (more() && peek() != '|' && peek() != ')') {
      if (peek() == '(' && peek(1) == '?' && flag_group_only()) continue;
      NodePtr atom_node = atom();
      if (!ok_) break;
      atom_node = quantified(std::move(atom_node));
      cat->kids.push_back(std::move(atom_node));
    }
    return cat;
  }

  // "(?flags)" changes the flags for the rest of the group; true when consumed.
  bool flag_group_only() {
    size_t k = i_ + 2;
    while (k < p_.size() && (p_[k] == 'i' || p_[k] == 'm' || p_[k] == 's' || p_[k] == 'U' || p_[k] == '-')) ++k;
    if (k >= p_.size() || p_[k] != ')') return false;
    if (!apply_flags(i_ + 2, k)) return true;
    i_ = k + 1;
    return true;
  }

  bool apply_flags(size_t b, size_t e) {
    bool neg = false, any = false;
    for (size_t k = b; k < e; ++k) {
      const int32_t c = p_[k];
      if (c == '-') {
        if (neg) return fail("invalid or unsupported Perl syntax: (?-"), false;
        neg = true;
        continue;
      }
      any = true;
      bool& f = c == 'i' ? flags_.fold : c == 'm' ? flags_.multi_line : c == 's' ? flags_.dot_nl : flags_.ungreedy;
      f = !neg;
    }
    if (!any && b == e) return fail("missing argument to repetition operator"), false;
    if (neg && p_[e - 1] == '-') return fail("invalid or unsupported Perl syntax: (?-)"), false;
    return true;
  }

  NodePtr quantified(NodePtr atom_node) {
    while (more()) {
      const int32_t c = peek();
      int min, max;
      size_t after = i_ + 1;
      if (c == '*') min = 0, max = -1;
      else if (c == '+') min = 1, max = -1;
      else if (c == '?') min = 0, max = 1;
      else if (c == '{' && counted(&min, &max, &after)) {
        if (min > kMaxRepeat || max > kMaxRepeat || (max >= 0 && max < min)) {
          fail("bad repetition operator");
          return nullptr;
        }
      } else {
        break;
      }
      if (atom_node->kind == Node::kRepeat && repeated_) {
        fail("bad repetition operator");
        return nullptr;
      }
      i_ = after;
      bool greedy = true;
      if (peek() == '?') {
        greedy = false;
        ++i_;
      }
      if (flags_.ungreedy) greedy = !greedy;
      NodePtr rep = make(Node::kRepeat);
      rep->min = min;
      rep->max = max;
      rep->greedy = greedy;
      rep->kids.push_back(std::move(atom_node));
      atom_node = std::move(rep);
      repeated_ = true;
    }
    repeated_ = false;
    return atom_node;
  }

  // {n}, {n,}, {n,m}; false (a literal '{') when the text is not one.
  bool counted(int* min, int* max, size_t* after) {
    size_t k = i_ + 1;
    auto number = [&](int* out) {
      const size_t b = k;
      int64_t v = 0;
      while (k < p_.size() && p_[k] >= '0' && p_[k] <= '9') {
        v = std::min<int64_t>(v * 10 + (p_[k] - '0'), 1 << 20);
        ++k;
      }
      *out = static_cast<int>(v);
      return k > b;
    };
    if (!number(min)) return false;
    *max = *min;
    if (k < p_.size() && p_[k] == ',') {
      ++k;
      if (!number(max)) *max = -1;
    }
    if (k >= p_.size() || p_[k] != '}') return false;
    *after = k + 1;
    return true;
  }

  NodePtr literal(int32_t c) {
    NodePtr n = make(Node::kRanges);
    if (flags_.fold) add_folded(&n->ranges, c, c);
    else n->ranges.push_back({c, c});
    n->ranges = normalize(std::move(n->ranges));
    return n;
  }

  NodePtr assertion(int kind) {
    NodePtr n = make(Node::kAssert);
    n->assert_kind = kind;
    return n;
  }

  NodePtr atom() {
    const int32_t c = p_[i_++];
    switch (c) {
      case '(':
        return group();
      case '*': case '+': case '?':
        fail("missing argument to repetition operator: " + std::string(1, static_cast<char>(c)));
        return nullptr;
      case '.': {
        NodePtr n = make(Node::kRanges);
        if (flags_.dot_nl) n->ranges = {{0, kMaxRune}};
        else n->ranges = {{0, '\n' - 1}, {'\n' + 1, kMaxRune}};
        return n;
      }
      case '^':
        return assertion(flags_.multi_line ? kBeginLine : kBeginText);
      case '$':
        return assertion(flags_.multi_line ? kEndLine : kEndText);
      case '[':
        return char_class();
      case '\\':
        return escape_atom();
      default:
        return literal(c);
    }
  }

  NodePtr group() {
    int index = -1;
    const Flags saved = flags_;
    if (peek() == '?') {
      if (peek(1) == 'P' && peek(2) == '<') {
        i_ += 3;
        if (!group_name()) return nullptr;
        index = ++groups_;
      } else if (peek(1) == '<') {
        i_ += 2;
        if (!group_name()) return nullptr;
        index = ++groups_;
      } else {
        size_t k = i_ + 1;
        while (k < p_.size() && (p_[k] == 'i' || p_[k] == 'm' || p_[k] == 's' || p_[k] == 'U' || p_[k] == '-')) ++k;
        if (k >= p_.size() || p_[k] != ':') {
          fail("invalid or unsupported Perl syntax: " + tail());
          return nullptr;
        }
        if (k > i_ + 1 && !apply_flags(i_ + 1, k)) return nullptr;
        i_ = k + 1;
      }
    } else {
      index = ++groups_;
    }
    NodePtr body = alternation();
    flags_ = saved;
    if (!ok_) return nullptr;
    if (peek() != ')') {
      fail("missing ): " + tail());
      return nullptr;
    }
    ++i_;
    NodePtr g = make(Node::kGroup);
    g->index = index;
    g->kids.push_back(std::move(body));
    return g;
  }

  bool group_name() {
    const size_t b = i_;
    while (i_ < p_.size() && p_[i_] != '>') {
      const int32_t c = p_[i_];
      if (!(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) break;
      ++i_;
    }
    if (i_ >= p_.size() || p_[i_] != '>' || i_ == b) {
      fail("invalid named capture group");
      return false;
    }
    ++i_;
    return true;
  }

  // A Perl class letter (d, s, w and their capitals) as ranges.
  static bool perl_class(int32_t c, Ranges* r) {
    Ranges base;
    switch (c) {
      case 'd': case 'D': base = {{'0', '9'}}; break;
      case 's': case 'S': base = {{'\t', '\n'}, {'\f', '\r'}, {' ', ' '}}; break;
      case 'w': case 'W': base = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}; break;
      default: return false;
    }
    if (c >= 'A' && c <= 'Z') base = negate(base);
    r->insert(r->end(), base.begin(), base.end());
    return true;
  }

  // \pL, \p{Lu}, \p{^L}, \PL (after the backslash): a general category.
  bool unicode_class(Ranges* r) {
    const bool negated_p = p_[i_] == 'P';
    ++i_;
    std::string name;
    if (peek() == '{') {
      ++i_;
      while (i_ < p_.size() && p_[i_] != '}' && name.size() < 64) utf8::append(&name, p_[i_++]);
      if (peek() != '}') return fail("invalid character class range: \\p{" + name), false;
      ++i_;
    } else if (i_ < p_.size()) {
      utf8::append(&name, p_[i_++]);
    } else {
      return fail("invalid character class range: \\p"), false;
    }
    bool neg = negated_p;
    if (!name.empty() && name[0] == '^') {
      neg = !neg;
      name.erase(0, 1);
    }
    Ranges cls;
    if (!unicode_case::category_ranges(name, &cls))
      return fail("unsupported Unicode class \\p{" + name + "} (metarun knows general categories only)"), false;
    if (flags_.fold) {
      Ranges folded;
      for (const auto& p : cls) add_folded(&folded, p.first, p.second);
      cls = normalize(std::move(folded));
    }
    if (neg) cls = negate(cls);
    r->insert(r->end(), cls.begin(), cls.end());
    return true;
  }

  NodePtr escape_atom() {
    if (i_ >= p_.size()) {
      fail("trailing \\");
      return nullptr;
    }
    const int32_t c = p_[i_];
    NodePtr n = make(Node::kRanges);
    if (c == 'p' || c == 'P') {
      if (!unicode_class(&n->ranges)) return nullptr;
      n->ranges = normalize(std::move(n->ranges));
      return n;
    }
    switch (c) {
      case 'A': ++i_; return assertion(kBeginText);
      case 'z': ++i_; return assertion(kEndText);
      case 'b': ++i_; return assertion(kWordBoundary);
      case 'B': ++i_; return assertion(kNotWordBoundary);
      case 'Q': {
        ++i_;
        NodePtr cat = make(Node::kConcat);
        while (i_ < p_.size() && !(p_[i_] == '\\' && peek(1) == 'E')) {
          if (p_[i_] == '\\' && peek(1) == '\\') ++i_;
          cat->kids.push_back(literal(p_[i_++]));
        }
        if (i_ < p_.size()) i_ += 2;
        return cat;
      }
      default:
        break;
    }
    if (perl_class(c, &n->ranges)) {
      ++i_;
      n->ranges = normalize(std::move(n->ranges));
      return n;
    }
    int32_t lit;
    if (!escape_char(&lit)) return nullptr;
    return literal(lit);
  }

  // A character escape (after the backslash): sets *out.
  bool escape_char(int32_t* out) {
    const int32_t c = p_[i_++];
    switch (c) {
      case 'a': *out = 7; return true;
      case 'f': *out = '\f'; return true;
      case 't': *out = '\t'; return true;
      case 'n': *out = '\n'; return true;
      case 'r': *out = '\r'; return true;
      case 'v': *out = '\v'; return true;
      case 'x': return hex_escape(out);
      default: break;
    }
    if (c >= '1' && c <= '7' && !(peek() >= '0' && peek() <= '7')) {
      fail("invalid escape sequence: \\" + std::string(1, static_cast<char>(c)));
      return false;
    }
    if (c >= '0' && c <= '7') {
      int32_t v = c - '0';
      for (int k = 0; k < 2 && peek() >= '0' && peek() <= '7'; ++k) v = v * 8 + (p_[i_++] - '0');
      *out = v;
      return true;
    }
    if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')) {
      *out = c;
      return true;
    }
    std::string esc = "\\";
    utf8::append(&esc, c);
    fail("invalid escape sequence: " + esc);
    return false;
  }

  bool hex_escape(int32_t* out) {
    auto hex = [](int32_t h) {
      if (h >= '0' && h <= '9') return h - '0';
      if (h >= 'a' && h <= 'f') return h - 'a' + 10;
      if (h >= 'A' && h <= 'F') return h - 'A' + 10;
      return -1;
    };
    int64_t v = 0;
    if (peek() == '{') {
      ++i_;
      int digits = 0;
      while (i_ < p_.size() && hex(p_[i_]) >= 0) {
        v = v * 16 + hex(p_[i_++]);
        if (v > kMaxRune) break;
        ++digits;
      }
      if (peek() != '}' || digits == 0 || v > kMaxRune) return fail("invalid escape sequence: \\x"), false;
      ++i_;
    } else {
      if (hex(peek()) < 0 || hex(peek(1)) < 0) return fail("invalid escape sequence: \\x"), false;
      v = hex(p_[i_]) * 16 + hex(p_[i_ + 1]);
      i_ += 2;
    }
    *out = static_cast<int32_t>(v);
    return true;
  }

  bool posix_class(Ranges* r) {
    static const struct {
      const char* name;
      Ranges ranges;
    } kClasses[] = {
        {"alnum", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}}},
        {"alpha", {{'A', 'Z'}, {'a', 'z'}}},
        {"ascii", {{0, 0x7F}}},
        {"blank", {{'\t', '\t'}, {' ', ' '}}},
        {"cntrl", {{0, 0x1F}, {0x7F, 0x7F}}},
        {"digit", {{'0', '9'}}},
        {"graph", {{'!', '~'}}},
        {"lower", {{'a', 'z'}}},
        {"print", {{' ', '~'}}},
        {"punct", {{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}}},
        {"space", {{'\t', '\r'}, {' ', ' '}}},
        {"upper", {{'A', 'Z'}}},
        {"word", {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}},
        {"xdigit", {{'0', '9'}, {'A', 'F'}, {'a', 'f'}}},
    };
    size_t k = i_ + 2;
    bool neg = false;
    if (k < p_.size() && p_[k] == '^') neg = true, ++k;
    std::string name;
    while (k < p_.size() && p_[k] != ':' && name.size() < 8) name.push_back(static_cast<char>(p_[k++]));
    if (k + 1 >= p_.size() || p_[k] != ':' || p_[k + 1] != ']') return false;
    for (const auto& cls : kClasses) {
      if (name != cls.name) continue;
      const Ranges add = neg ? negate(cls.ranges) : cls.ranges;
      r->insert(r->end(), add.begin(), add.end());
      i_ = k + 2;
      return true;
    }
    fail("invalid character class range: [:" + name + ":]");
    return true;
  }

  NodePtr char_class() {
    NodePtr n = make(Node::kRanges);
    bool neg = false;
    if (peek() == '^') neg = true, ++i_;
    Ranges r;
    bool first = true;
    while (ok_) {
      if (i_ >= p_.size()) {
        fail("missing ]: " + tail());
        return nullptr;
      }
      if (p_[i_] == ']' && !first) {
        ++i_;
        break;
      }
      first = false;
      if (p_[i_] == '[' && peek(1) == ':' && posix_class(&r)) continue;
      int32_t lo;
      if (!class_char(&r, &lo)) continue;
      int32_t hi = lo;
      if (peek() == '-' && peek(1) != ']' && peek(1) != -1) {
        ++i_;
        Ranges ignored;
        if (!class_char(&ignored, &hi)) {
          fail("invalid character class range");
          return nullptr;
        }
        if (hi < lo) {
          fail("invalid character class range");
          return nullptr;
        }
      }
      if (flags_.fold) add_folded(&r, lo, hi);
      else r.push_back({lo, hi});
    }
    if (!ok_) return nullptr;
    r = normalize(std::move(r));
    n->ranges = neg ? negate(r) : r;
    return n;
  }

  // One class member: a character (true, *c set) or a Perl class added to *r.
  bool class_char(Ranges* r, int32_t* c) {
    if (p_[i_] != '\\') {
      *c = p_[i_++];
      return true;
    }
    ++i_;
    if (i_ >= p_.size()) {
      fail("trailing \\");
      return false;
    }
    if (perl_class(p_[i_], r)) {
      ++i_;
      return false;
    }
    if (p_[i_] == 'p' || p_[i_] == 'P') {
      unicode_class(r);
      return false;
    }
    return escape_char(c);
  }

  const std::vector<int32_t>& p_;
  std::string* error_;
  size_t i_ = 0;
  int groups_ = 0;
  bool ok_ = true;
  bool repeated_ = false;
  Flags flags_;
};

}  // namespace

std::unique_ptr<Node> parse(const std::vector<int32_t>& pattern, std::string* error, int* groups) {
  Parser parser(pattern, error);
  return parser.parse(groups);
}

}  // namespace regex_internal
}  // namespace metarun
