#include "kernels/util/regex.h"

#include <algorithm>

#include "kernels/util/unicode_case.h"
#include "kernels/util/utf8.h"

namespace metarun {
namespace {

using Ranges = std::vector<std::pair<int32_t, int32_t>>;
constexpr int32_t kMaxRune = 0x10FFFF;
constexpr int kMaxRepeat = 1000;
constexpr size_t kMaxProgram = 200000;

enum AssertKind { kBeginLine, kEndLine, kBeginText, kEndText, kWordBoundary, kNotWordBoundary };

struct Node {
  enum Kind { kEmpty, kRanges, kConcat, kAlt, kRepeat, kGroup, kAssert } kind = kEmpty;
  Ranges ranges;
  std::vector<std::unique_ptr<Node>> kids;
  int min = 0, max = 0;  // kRepeat; max -1: unbounded
  bool greedy = true;
  int index = -1;        // kGroup: capture index, -1 for a non-capturing group
  int assert_kind = 0;
};

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

class Compiler {
 public:
  explicit Compiler(std::vector<Regex::Inst>* prog) : prog_(prog) {}

  bool emit(const Node& n) {
    if (prog_->size() > kMaxProgram) return false;
    switch (n.kind) {
      case Node::kEmpty:
        return true;
      case Node::kRanges: {
        Regex::Inst& in = add(Regex::Inst::kRanges);
        in.ranges = n.ranges;
        return true;
      }
      case Node::kAssert:
        add(Regex::Inst::kAssert).x = n.assert_kind;
        return true;
      case Node::kConcat:
        for (const auto& k : n.kids)
          if (!emit(*k)) return false;
        return true;
      case Node::kGroup: {
        if (n.index >= 0) add(Regex::Inst::kSave).x = 2 * n.index;
        if (!emit(*n.kids[0])) return false;
        if (n.index >= 0) add(Regex::Inst::kSave).x = 2 * n.index + 1;
        return true;
      }
      case Node::kAlt: {
        std::vector<size_t> jumps;
        for (size_t k = 0; k < n.kids.size(); ++k) {
          if (k + 1 < n.kids.size()) {
            const size_t split = prog_->size();
            add(Regex::Inst::kSplit);
            (*prog_)[split].x = static_cast<int>(prog_->size());
            if (!emit(*n.kids[k])) return false;
            jumps.push_back(prog_->size());
            add(Regex::Inst::kJmp);
            (*prog_)[split].y = static_cast<int>(prog_->size());
          } else if (!emit(*n.kids[k])) {
            return false;
          }
        }
        for (size_t j : jumps) (*prog_)[j].x = static_cast<int>(prog_->size());
        return true;
      }
      case Node::kRepeat:
        return repeat(n);
    }
    return false;
  }

 private:
  Regex::Inst& add(Regex::Inst::Op op) {
    prog_->emplace_back();
    prog_->back().op = op;
    return prog_->back();
  }

  // A split preferring the next instruction when greedy; its other target
  // is patched by the caller through the returned index.
  size_t split(bool greedy) {
    const size_t at = prog_->size();
    add(Regex::Inst::kSplit);
    return at;
  }
  void patch(size_t at, bool greedy, size_t body, size_t exit) {
    (*prog_)[at].x = static_cast<int>(greedy ? body : exit);
    (*prog_)[at].y = static_cast<int>(greedy ? exit : body);
  }

  bool repeat(const Node& n) {
    const Node& body = *n.kids[0];
    for (int k = 0; k < n.min; ++k)
      if (!emit(body)) return false;
    if (n.max < 0) {  // a loop: L: split(body, exit); body; jmp L
      const size_t loop = split(n.greedy);
      if (!emit(body)) return false;
      add(Regex::Inst::kJmp).x = static_cast<int>(loop);
      patch(loop, n.greedy, loop + 1, prog_->size());
      return true;
    }
    std::vector<size_t> splits;  // x{0,k}: nested optional copies
    for (int k = n.min; k < n.max; ++k) {
      splits.push_back(split(n.greedy));
      if (!emit(body)) return false;
    }
    for (size_t s : splits) patch(s, n.greedy, s + 1, prog_->size());
    return true;
  }

  std::vector<Regex::Inst>* prog_;
};

bool word_char(int32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool in_ranges(const Ranges& r, int32_t c) {
  auto it = std::upper_bound(r.begin(), r.end(), c, [](int32_t v, const std::pair<int32_t, int32_t>& p) {
    return v < p.first;
  });
  return it != r.begin() && c <= (it - 1)->second;
}

bool assertion_holds(int kind, const std::string& t, size_t pos) {
  const size_t n = t.size();
  switch (kind) {
    case kBeginText: return pos == 0;
    case kEndText: return pos == n;
    case kBeginLine: return pos == 0 || t[pos - 1] == '\n';
    case kEndLine: return pos == n || t[pos] == '\n';
    default: {
      const bool before = pos > 0 && word_char(static_cast<unsigned char>(t[pos - 1]));
      const bool after = pos < n && word_char(static_cast<unsigned char>(t[pos]));
      return (before != after) == (kind == kWordBoundary);
    }
  }
}

// The threads of one step: program counters in priority order, each with its
// capture slots in one flat buffer.
struct ThreadList {
  std::vector<int> pcs;
  std::vector<int64_t> caps;
  std::vector<uint32_t> seen;  // seen[pc] == mark: pc already added this step
  uint32_t mark = 1;
  void reset(size_t prog_size, size_t ncap) {
    pcs.clear();
    caps.resize(prog_size * ncap);
    if (seen.size() != prog_size) seen.assign(prog_size, 0);
    if (++mark == 0) {
      std::fill(seen.begin(), seen.end(), 0);
      mark = 1;
    }
  }
};

}  // namespace

Status compile_regex(const std::string& pattern, Regex* re) {
  std::string error;
  if (re->compile(pattern, &error)) return Status();
  if (Regex::unsupported(error)) return unimplemented(str_cat("Pattern ", pattern, " is not supported: ", error));
  return invalid_argument(str_cat("Invalid pattern: ", pattern, ", error: ", error));
}

bool Regex::compile(const std::string& pattern, std::string* error) {
  std::vector<int32_t> cps;
  for (size_t i = 0; i < pattern.size();) {
    const int32_t c = utf8::decode(pattern.data(), pattern.size(), &i);
    if (c < 0) {
      *error = "invalid UTF-8";
      return false;
    }
    cps.push_back(c);
  }
  Parser parser(cps, error);
  NodePtr root = parser.parse(&num_groups_);
  if (!root) return false;
  prog_.clear();
  Compiler compiler(&prog_);
  // The whole match is group 0.
  prog_.emplace_back();
  prog_.back().op = Inst::kSave;
  prog_.back().x = 0;
  if (!compiler.emit(*root) || prog_.size() > kMaxProgram) {
    *error = "pattern too large - compile failed";
    return false;
  }
  prog_.emplace_back();
  prog_.back().op = Inst::kSave;
  prog_.back().x = 1;
  prog_.emplace_back();
  prog_.back().op = Inst::kMatch;
  start_ = 0;
  return true;
}

bool Regex::search(const std::string& text, size_t start, bool anchor_start, bool anchor_end,
                   std::vector<int64_t>* caps) const {
  const size_t ncap = 2 * static_cast<size_t>(num_groups_ + 1);
  caps->assign(ncap, -1);
  ThreadList lists[2];
  ThreadList* cur = &lists[0];
  ThreadList* next = &lists[1];
  cur->reset(prog_.size(), ncap);
  std::vector<int64_t> work(ncap);
  struct Frame {
    int pc;
    int slot;  // >= 0: restore work[slot] to `old` instead of visiting pc
    int64_t old;
  };
  std::vector<Frame> stack;
  bool matched = false;

  // Follows empty transitions from pc at `pos`, adding the threads that wait
  // for a character (or the match) to `list` in priority order.
  auto add_thread = [&](ThreadList* list, int pc0, size_t pos) {
    stack.push_back({pc0, -1, 0});
    while (!stack.empty()) {
      const Frame f = stack.back();
      stack.pop_back();
      if (f.slot >= 0) {
        work[static_cast<size_t>(f.slot)] = f.old;
        continue;
      }
      const int pc = f.pc;
      if (list->seen[static_cast<size_t>(pc)] == list->mark) continue;
      list->seen[static_cast<size_t>(pc)] = list->mark;
      const Inst& in = prog_[static_cast<size_t>(pc)];
      switch (in.op) {
        case Inst::kJmp:
          stack.push_back({in.x, -1, 0});
          break;
        case Inst::kSplit:
          stack.push_back({in.y, -1, 0});
          stack.push_back({in.x, -1, 0});
          break;
        case Inst::kSave:
          stack.push_back({0, in.x, work[static_cast<size_t>(in.x)]});
          work[static_cast<size_t>(in.x)] = static_cast<int64_t>(pos);
          stack.push_back({pc + 1, -1, 0});
          break;
        case Inst::kAssert:
          if (assertion_holds(in.x, text, pos)) stack.push_back({pc + 1, -1, 0});
          break;
        case Inst::kRanges:
        case Inst::kMatch: {
          const size_t k = list->pcs.size();
          list->pcs.push_back(pc);
          std::copy(work.begin(), work.end(), list->caps.begin() + static_cast<std::ptrdiff_t>(k * ncap));
          break;
        }
      }
    }
  };

  size_t pos = start;
  while (true) {
    if (!matched && (!anchor_start || pos == start)) {
      std::fill(work.begin(), work.end(), -1);
      add_thread(cur, start_, pos);
    }
    if (cur->pcs.empty()) {
      if (matched || anchor_start || pos >= text.size()) break;
      size_t skip = pos;  // nothing alive here: try the next start position
      if (utf8::decode(text.data(), text.size(), &skip) < 0) skip = pos + 1;
      pos = skip;
      cur->reset(prog_.size(), ncap);
      continue;
    }
    int32_t c = -1;
    size_t next_pos = pos;
    if (pos < text.size()) {
      c = utf8::decode(text.data(), text.size(), &next_pos);
      if (c < 0) next_pos = pos + 1;  // an ill-formed byte: matched by nothing
    }
    next->reset(prog_.size(), ncap);
    for (size_t k = 0; k < cur->pcs.size(); ++k) {
      const Inst& in = prog_[static_cast<size_t>(cur->pcs[k])];
      const int64_t* tcaps = cur->caps.data() + k * ncap;
      if (in.op == Inst::kMatch) {
        if (anchor_end && pos != text.size()) continue;
        std::copy(tcaps, tcaps + ncap, caps->begin());
        matched = true;
        break;  // lower-priority threads lose to this match
      }
      if (pos < text.size() && c >= 0 && in_ranges(in.ranges, c)) {
        std::copy(tcaps, tcaps + ncap, work.begin());
        add_thread(next, cur->pcs[k] + 1, next_pos);
      }
    }
    std::swap(cur, next);
    if (pos >= text.size()) break;
    pos = next_pos;
  }
  return matched;
}

}  // namespace metarun
