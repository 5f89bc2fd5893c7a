// CTCBeamSearchDecoder as TF's CPU kernel, with its default scorer (no
// language model) and the blank as the last class.
//
// The beam is TF's: a prefix tree of entries holding log probabilities
// (total, ending in blank, ending in label) for the previous and current
// step, and a bounded top-N of live leaves. Which of two equal scores stays
// in the beam depends on the top-N's exact moves (an unordered vector, then
// a heap of width + 1 built with the standard heap algorithms, entries
// whose score is reset while inside it), so TopN below makes those moves in
// the same order. Scores are log-softmax: each step subtracts
// max + log(sum(exp(x - max))), the sum taken in class order.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <new>
#include <vector>

#include "framework/registry.h"
#include "kernels/util/ctc.h"
#include "kernels/util/special_functions.h"

namespace metarun {
namespace {

using ctc::kLogZero;
using ctc::log_sum_exp;

template <class T>
struct Prob {
  T total = kLogZero<T>, blank = kLogZero<T>, label = kLogZero<T>;
  void reset() { total = blank = label = kLogZero<T>; }
};

template <class T>
struct Entry {
  Entry* parent;
  int label;
  std::map<int, Entry*> children;
  Prob<T> oldp, newp;
  bool active() const { return newp.total != kLogZero<T>; }

  std::vector<int> labels(bool merge_repeated) const {
    std::vector<int> out;
    int prev = -1;
    for (const Entry* c = this; c->parent != nullptr; c = c->parent) {
      if (!merge_repeated || c->label != prev) out.push_back(c->label);
      prev = c->label;
    }
    std::reverse(out.begin(), out.end());
    return out;
  }
};

template <class T>
struct Greater {
  bool operator()(const Entry<T>* a, const Entry<T>* b) const { return a->newp.total > b->newp.total; }
};

// A bounded "keep the N greatest" set making TF's top-N moves: unordered
// until it is asked for its bottom (then the bottom sits first) or holds
// N + 1 (then a heap whose last slot is scratch).
template <class V, class Cmp>
class TopN {
 public:
  explicit TopN(size_t limit) : limit_(limit) {}
  size_t size() const { return std::min(items_.size(), limit_); }

  void push(V v) {
    if (limit_ == 0) return;
    if (state_ != kHeap) {
      items_.push_back(v);
      if (state_ == kBottomKnown && !cmp_(items_.back(), items_.front())) std::swap(items_.front(), items_.back());
      if (items_.size() == limit_ + 1) {
        std::make_heap(items_.begin(), items_.end(), cmp_);
        std::pop_heap(items_.begin(), items_.end(), cmp_);
        state_ = kHeap;
      }
    } else if (cmp_(v, items_.front())) {
      items_.back() = v;
      std::push_heap(items_.begin(), items_.end(), cmp_);
      std::pop_heap(items_.begin(), items_.end(), cmp_);
    }
  }

  V bottom() {
    if (state_ == kUnordered) {
      size_t min = 0;
      for (size_t i = 1; i < items_.size(); ++i)
        if (cmp_(items_[min], items_[i])) min = i;
      if (min != 0) std::swap(items_[0], items_[min]);
      state_ = kBottomKnown;
    }
    return items_.front();
  }

  // The items, greatest first; leaves the set empty.
  std::vector<V> extract() {
    std::vector<V> out;
    out.swap(items_);
    if (state_ != kHeap) {
      std::sort(out.begin(), out.end(), cmp_);
    } else {
      out.pop_back();
      std::sort_heap(out.begin(), out.end(), cmp_);
    }
    state_ = kUnordered;
    return out;
  }

  // The items in storage order.
  std::vector<V> unsorted() const { return std::vector<V>(items_.begin(), items_.begin() + size()); }

 private:
  enum State { kUnordered, kBottomKnown, kHeap };
  std::vector<V> items_;
  size_t limit_;
  Cmp cmp_;
  State state_ = kUnordered;
};

template <class T>
class BeamSearch {
 public:
  BeamSearch(int num_classes, int beam_width) : classes_(num_classes), width_(beam_width), leaves_(beam_width) {
    Entry<T>* root = add(nullptr, -1);
    root->newp.total = 0;
    root->newp.blank = 0;
    leaves_.push(root);
  }

  void step(const T* x) {
    const int blank = classes_ - 1;
    T max = x[0];
    for (int j = 1; j < classes_; ++j) max = std::max(max, x[j]);
    T sum = T(0);
    for (int j = 0; j < classes_; ++j) sum += std::exp(x[j] - max);
    const T norm = max + std::log(sum);
    std::vector<Entry<T>*> branches = leaves_.extract();
    for (Entry<T>* b : branches) b->oldp = b->newp;
    for (Entry<T>* b : branches) {
      if (b->parent != nullptr) {
        if (b->parent->active()) {
          const T prev = b->label == b->parent->label ? b->parent->oldp.blank : b->parent->oldp.total;
          b->newp.label = log_sum_exp(b->newp.label, prev);
        }
        b->newp.label += x[b->label] - norm;
      }
      b->newp.blank = b->oldp.total + x[blank] - norm;
      b->newp.total = log_sum_exp(b->newp.blank, b->newp.label);
      leaves_.push(b);
    }
    auto candidate = [this](const Prob<T>& p) {
      return p.total > kLogZero<T> &&
             (leaves_.size() < static_cast<size_t>(width_) || p.total > leaves_.bottom()->newp.total);
    };
    for (Entry<T>* b : branches) {
      if (!candidate(b->oldp)) continue;
      for (int label = 0; label < classes_ - 1; ++label) {
        Entry<T>& c = child(b, label);
        if (c.active()) continue;
        c.newp.blank = kLogZero<T>;
        const T prev = c.label == b->label ? b->oldp.blank : b->oldp.total;
        c.newp.label = x[label] - norm + prev;
        c.newp.total = c.newp.label;
        if (candidate(c.newp)) {
          if (leaves_.size() == static_cast<size_t>(width_)) leaves_.bottom()->newp.reset();
          leaves_.push(&c);
        } else {
          c.oldp.reset();
          c.newp.reset();
        }
      }
    }
  }

  Status top_paths(int n, bool merge_repeated, std::vector<std::vector<int>>* paths, std::vector<T>* scores) {
    MR_REQUIRE(n <= width_, "requested more paths than the beam width.");
    MR_REQUIRE(static_cast<size_t>(n) <= leaves_.size(), "Less leaves in the beam search than requested.");
    TopN<Entry<T>*, Greater<T>> top(n);
    for (Entry<T>* e : leaves_.unsorted()) top.push(e);
    std::vector<Entry<T>*> best = top.extract();
    for (int i = 0; i < n; ++i) {
      paths->push_back(best[i]->labels(merge_repeated));
      scores->push_back(best[i]->newp.total);
    }
    return Status();
  }

 private:
  Entry<T>* add(Entry<T>* parent, int label) {
    // Each step adds at most width * (classes - 1) entries; a huge beam_width
    // would grow the tree without bound, so it ends as an OOM error instead.
    if (entries_.size() >= kMaxEntries) throw std::bad_alloc();
    entries_.push_back(std::make_unique<Entry<T>>(Entry<T>{parent, label, {}, {}, {}}));
    return entries_.back().get();
  }

  Entry<T>& child(Entry<T>* b, int label) {
    auto it = b->children.find(label);
    if (it == b->children.end()) it = b->children.emplace(label, add(b, label)).first;
    return *it->second;
  }

  static constexpr size_t kMaxEntries = size_t{1} << 24;
  int classes_;
  int width_;
  TopN<Entry<T>*, Greater<T>> leaves_;
  std::vector<std::unique_ptr<Entry<T>>> entries_;
};

template <class T>
class CtcBeamSearchDecoderKernel : public OpKernel {
 public:
  explicit CtcBeamSearchDecoderKernel(KernelInit& init) {
    init.get("merge_repeated", &merge_);
    init.get("beam_width", &beam_width_);
    init.get("top_paths", &top_paths_);
    if (init.status().ok() && (beam_width_ < 1 || top_paths_ < 1))
      init.fail(invalid_argument("beam_width and top_paths must be at least 1"));
  }

  Status compute(OpContext& ctx) override {
    const Tensor& inputs = ctx.input(0);
    const Tensor& seq_len = ctx.input(1);
    MR_RETURN_IF_ERROR(ctc::check_decoder_inputs(inputs, seq_len));
    const int64_t batch = inputs.dim(1), classes = inputs.dim(2);
    MR_REQUIRE(classes <= std::numeric_limits<int>::max(), "num_classes cannot exceed max int");
    const int top = static_cast<int>(top_paths_);
    T* log_prob = ctx.allocate_output(3 * top, Shape{batch, top}).data<T>();
    const T* x = inputs.data<T>();
    const int32_t* len = seq_len.data<int32_t>();
    std::vector<std::vector<std::vector<int>>> paths(batch);
    special::FlushDenormals flush;
    for (int64_t b = 0; b < batch; ++b) {
      BeamSearch<T> beam(static_cast<int>(classes), static_cast<int>(beam_width_));
      for (int64_t t = 0; t < len[b]; ++t) beam.step(x + (t * batch + b) * classes);
      std::vector<T> scores;
      MR_RETURN_IF_ERROR(beam.top_paths(top, merge_, &paths[b], &scores));
      std::copy(scores.begin(), scores.end(), log_prob + b * top);
    }
    ctc::store_paths(ctx, paths, top);
    return Status();
  }

 private:
  bool merge_ = true;
  int64_t beam_width_ = 1, top_paths_ = 1;
};

}  // namespace

void register_ctc_beam_ops(Registry& r) {
  r.add<TypeList<float, double>>("CTCBeamSearchDecoder", [](auto tag, KernelInit& init) {
    return make_kernel<CtcBeamSearchDecoderKernel<decltype(tag)>>(init);
  });
}

}  // namespace metarun
