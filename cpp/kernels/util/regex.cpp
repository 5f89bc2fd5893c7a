#include "kernels/util/regex.h"

#include <algorithm>

#include "kernels/util/regex_parse.h"
#include "kernels/util/utf8.h"

namespace metarun {
namespace {

using regex_internal::Node;
using regex_internal::Ranges;
using NodePtr = std::unique_ptr<Node>;
using regex_internal::kBeginLine;
using regex_internal::kBeginText;
using regex_internal::kEndLine;
using regex_internal::kEndText;
using regex_internal::kWordBoundary;

constexpr size_t kMaxProgram = 200000;
constexpr size_t kMaxCaptureSlots = size_t{1} << 25;

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
    if (seen.size() != prog_size) seen.assign(prog_size, 0);
    if (++mark == 0) {
      std::fill(seen.begin(), seen.end(), 0);
      mark = 1;
    }
  }
};

struct Frame {
  int pc;
  int slot;  // >= 0: restore work[slot] to `old` instead of visiting pc
  int64_t old;
};

struct Scratch {
  ThreadList lists[2];
  std::vector<int64_t> work;
  std::vector<Frame> stack;
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
  NodePtr root = regex_internal::parse(cps, error, &num_groups_);
  if (!root) return false;
  prog_.clear();
  Compiler compiler(&prog_);
  // The whole match is group 0.
  prog_.emplace_back();
  prog_.back().op = Inst::kSave;
  prog_.back().x = 0;
  // A search keeps capture slots for up to every instruction at once: bound
  // that product as RE2 bounds its memory (and with its message).
  const size_t slots = 2 * static_cast<size_t>(num_groups_ + 1);
  if (!compiler.emit(*root) || prog_.size() > kMaxProgram || prog_.size() * slots > kMaxCaptureSlots) {
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

bool Regex::run(const std::string& text, size_t start, bool anchor_start, bool anchor_end,
                std::vector<int64_t>* caps) const {
  const size_t ncap = caps ? 2 * static_cast<size_t>(num_groups_ + 1) : 0;
  if (caps) caps->assign(ncap, -1);
  // Per-thread scratch, reused across calls (a kernel searches once per element).
  thread_local Scratch scratch;
  ThreadList* cur = &scratch.lists[0];
  ThreadList* next = &scratch.lists[1];
  cur->reset(prog_.size(), ncap);
  std::vector<int64_t>& work = scratch.work;
  work.assign(ncap, -1);
  std::vector<Frame>& stack = scratch.stack;
  stack.clear();
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
          if (static_cast<size_t>(in.x) < ncap) {
            stack.push_back({0, in.x, work[static_cast<size_t>(in.x)]});
            work[static_cast<size_t>(in.x)] = static_cast<int64_t>(pos);
          }
          stack.push_back({pc + 1, -1, 0});
          break;
        case Inst::kAssert:
          if (assertion_holds(in.x, text, pos)) stack.push_back({pc + 1, -1, 0});
          break;
        case Inst::kRanges:
        case Inst::kMatch: {
          const size_t k = list->pcs.size();
          list->pcs.push_back(pc);
          if (list->caps.size() < (k + 1) * ncap) list->caps.resize((k + 1) * ncap);
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
        if (caps) std::copy(tcaps, tcaps + ncap, caps->begin());
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
