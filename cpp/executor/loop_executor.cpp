// Runs a LoopPlan: a ready queue over (node, frame instance, iteration),
// with TensorFlow's rules for Merge (first live input wins; dead when every
// input is dead or a dead value comes from Enter), dead NextIteration values
// dropped (the loop ended), and Exits that never produced a live value sent
// dead to the parent when their frame finishes.
#include <map>

#include "executor/loop_plan.h"

namespace metarun {

namespace {

struct IterState {
  std::vector<Entry> inputs;
  std::vector<int> pending;     // control inputs (Merge) or all inputs left
  std::vector<int> dead_count;  // Merge: dead data inputs seen
  std::vector<char> live;       // Merge: a live input arrived
  std::vector<char> dead;       // some input (data or control) was dead
  std::vector<char> dead_enter; // Merge: a dead value came from an Enter
  std::vector<char> fired;
  int num_fired = 0;
};

struct FrameInst {
  int sframe = 0;
  FrameInst* parent = nullptr;
  int64_t parent_iter = 0;
  // Live iterations (few: at most parallel_iterations), searched linearly.
  std::vector<std::pair<int64_t, std::unique_ptr<IterState>>> iters;
  std::vector<std::pair<int64_t, std::unique_ptr<IterState>>>::iterator find(int64_t iter) {
    auto it = iters.begin();
    while (it != iters.end() && it->first != iter) ++it;
    return it;
  }
  std::vector<std::pair<int, std::vector<Entry>>> constants;  // constant Enter -> outputs
  std::vector<std::unique_ptr<IterState>> spare;  // finished iterations, reused
  std::vector<char> exit_live;
  std::map<std::pair<int, int64_t>, std::unique_ptr<FrameInst>> children;
};

struct Task {
  int node;
  FrameInst* frame;
  int64_t iter;
  IterState* state;  // stays valid: an iteration ends only after all its nodes fired
};

class LoopRun {
 public:
  LoopRun(const LoopPlan& plan, RunState& run) : plan_(plan), run_(run) {}

  RunResult run(std::vector<Tensor>& feed_values) {
    RunResult result;
    frame_nodes_.assign(plan_.frames.size(), {});
    for (size_t c = 0; c < plan_.nodes.size(); ++c) frame_nodes_[plan_.nodes[c].frame].push_back(static_cast<int>(c));
    results_.assign(plan_.num_fetches, Entry());
    root_.sframe = 0;
    root_.exit_live.assign(plan_.nodes.size(), 0);
    IterState* it0 = iteration(&root_, 0);
    for (int c : frame_nodes_[0])
      if (it0->pending[plan_.nodes[c].local] == 0 && plan_.nodes[c].kind != LoopNode::Kind::kMerge)
        ready_.push_back({c, &root_, 0, it0});
    for (size_t f = 0; f < feed_values.size(); ++f) {
      Entry e;
      e.tensor = std::move(feed_values[f]);
      for (int pos : plan_.feed_fetch_positions[f]) results_[pos] = e;
      for (auto& [consumer, k] : plan_.feed_consumers[f]) deliver(&root_, it0, 0, consumer, k, e, false, false);
    }
    while (head_ < ready_.size()) {
      Task t = ready_[head_++];
      if (head_ == ready_.size()) {
        ready_.clear();
        head_ = 0;
      } else if (head_ >= 1024 && head_ * 2 >= ready_.size()) {
        ready_.erase(ready_.begin(), ready_.begin() + head_);
        head_ = 0;
      }
      if (run_.should_stop()) {
        result.status = run_.stopped_status();
        result.failed_node = plan_.nodes[t.node].item.node->name;
        return result;
      }
      Status st = fire(t);
      if (!st.ok()) {
        result.status = st;
        result.failed_node = run_.failed_node(plan_.nodes[t.node].item);
        return result;
      }
    }
    for (int i = 0; i < plan_.num_fetches; ++i) {
      Entry& e = results_[i];
      if (e.dead || !e.has_value()) {
        result.status = invalid_argument(str_cat("Retval[", i, "] does not have value"));
        return result;
      }
      if (e.ref) {
        result.status = deref(&e);
        if (!result.status.ok()) return result;
      }
      result.outputs.push_back(e.tensor);
    }
    return result;
  }

 private:
  IterState* iteration(FrameInst* f, int64_t iter) {
    auto found = f->find(iter);
    if (found != f->iters.end()) return found->second.get();
    const StaticFrame& sf = plan_.frames[f->sframe];
    std::unique_ptr<IterState> st;
    size_t n = sf.num_nodes;
    if (!f->spare.empty()) {
      st = std::move(f->spare.back());
      f->spare.pop_back();
      for (Entry& e : st->inputs) e.clear();
    } else {
      st = std::make_unique<IterState>();
      st->inputs.resize(sf.num_inputs);
      st->pending.resize(n);
    }
    st->dead_count.assign(n, 0);
    st->live.assign(n, 0);
    st->dead.assign(n, 0);
    st->dead_enter.assign(n, 0);
    st->fired.assign(n, 0);
    st->num_fired = 0;
    for (int c : frame_nodes_[f->sframe]) {
      const LoopNode& ln = plan_.nodes[c];
      st->pending[ln.local] = ln.kind == LoopNode::Kind::kMerge ? ln.num_control : ln.num_data + ln.num_control;
    }
    IterState* raw = st.get();
    f->iters.emplace_back(iter, std::move(st));
    for (auto& [enter, outs] : f->constants) send_outputs_to(f, iter, raw, enter, outs, true);
    return raw;
  }

  FrameInst* child(FrameInst* f, int64_t iter, int sframe) {
    auto key = std::make_pair(sframe, iter);
    auto found = f->children.find(key);
    if (found != f->children.end()) return found->second.get();
    auto c = std::make_unique<FrameInst>();
    c->sframe = sframe;
    c->parent = f;
    c->parent_iter = iter;
    c->exit_live.assign(plan_.nodes.size(), 0);
    FrameInst* raw = c.get();
    f->children.emplace(key, std::move(c));
    return raw;
  }

  // With `take`, the consumer takes `e` over (moves it) instead of copying it.
  void deliver(FrameInst* f, IterState* st, int64_t iter, int consumer, int k, Entry& e, bool control,
               bool from_enter, bool take = false) {
    const LoopNode& cn = plan_.nodes[consumer];
    const int l = cn.local;
    if (st->fired[l]) return;
    bool ready;
    if (cn.kind == LoopNode::Kind::kMerge) {
      if (control) {
        st->pending[l]--;
        if (e.dead) st->dead[l] = 1;
      } else if (!e.dead) {
        if (!st->live[l]) {
          st->live[l] = 1;
          store(&st->inputs[cn.input_base + k], e, take);
        }
      } else {
        st->dead_count[l]++;
        if (from_enter) st->dead_enter[l] = 1;
      }
      bool all_dead = st->dead_count[l] == cn.num_data || st->dead_enter[l];
      ready = st->pending[l] == 0 && (st->live[l] || all_dead);
    } else {
      if (control) {
        if (e.dead) st->dead[l] = 1;
      } else {
        if (e.dead) st->dead[l] = 1;
        store(&st->inputs[cn.input_base + k], e, take);
      }
      ready = --st->pending[l] == 0;
    }
    if (ready) {
      st->fired[l] = 1;
      ready_.push_back({consumer, f, iter, st});
    }
  }

  static void store(Entry* slot, Entry& e, bool take) {
    if (take) *slot = std::move(e);
    else *slot = e;
  }

  // Sends a node's outputs to their consumers in (f, iter).
  void send_outputs_to(FrameInst* f, int64_t iter, int c, std::vector<Entry>& outs, bool from_enter) {
    send_outputs_to(f, iter, iteration(f, iter), c, outs, from_enter);
  }
  // With `may_move`, the last consumer of each output takes it over.
  void send_outputs_to(FrameInst* f, int64_t iter, IterState* st, int c, std::vector<Entry>& outs,
                       bool from_enter, bool may_move = false) {
    const LoopNode& ln = plan_.nodes[c];
    bool node_dead = true;
    for (const Entry& e : outs) node_dead &= e.dead;
    if (outs.empty()) node_dead = false;
    for (size_t o = 0; o < ln.outputs.size(); ++o) {
      const auto& consumers = ln.outputs[o];
      for (size_t j = 0; j < consumers.size(); ++j) {
        bool take = may_move && j + 1 == consumers.size();
        deliver(f, st, iter, consumers[j].first, consumers[j].second, outs[o], false, from_enter, take);
      }
    }
    Entry ctrl;
    ctrl.dead = node_dead;
    for (int consumer : ln.control_outputs) deliver(f, st, iter, consumer, 0, ctrl, true, from_enter);
  }

  Status fire(const Task& t) {
    const LoopNode& ln = plan_.nodes[t.node];
    IterState* st = t.state;
    std::vector<Entry>& in = in_;
    std::vector<Entry>& out = out_;
    if (in.size() < static_cast<size_t>(ln.num_data)) in.resize(ln.num_data);
    for (int k = 0; k < ln.num_data; ++k) in[k] = std::move(st->inputs[ln.input_base + k]);
    out.resize(ln.outputs.size());
    for (Entry& e : out) e.clear();
    const int l = ln.local;
    if (ln.kind == LoopNode::Kind::kMerge) {
      // A Merge is dead when no live data input arrived or a control input was dead.
      if (!st->live[l] || st->dead[l]) {
        for (Entry& e : out) e.dead = true;
      } else {
        MR_RETURN_IF_ERROR(run_.process(ln.item, in.data(), out.data(), false));
      }
    } else {
      MR_RETURN_IF_ERROR(run_.process(ln.item, in.data(), out.data(), st->dead[l] != 0));
    }
    for (int k = 0; k < ln.num_data; ++k) in[k].clear();
    if (ln.kind != LoopNode::Kind::kExit) record_fetches(t.frame, t.node, out);
    route(t, ln, out);
    st->num_fired++;
    maybe_finish_iteration(t.frame, t.iter);
    return Status();
  }

  void record_fetches(FrameInst* f, int c, const std::vector<Entry>& out) {
    if (f != &root_) return;
    for (size_t o = 0; o < out.size(); ++o)
      for (int pos : plan_.nodes[c].fetch_positions[o]) results_[pos] = out[o];
  }

  void route(const Task& t, const LoopNode& ln, std::vector<Entry>& out) {
    switch (ln.kind) {
      case LoopNode::Kind::kEnter: {
        FrameInst* c = child(t.frame, t.iter, ln.child_frame);
        if (ln.constant_enter) {
          c->constants.push_back({t.node, out});
          std::vector<int64_t> iters;
          for (auto& kv : c->iters) iters.push_back(kv.first);
          if (iters.empty()) iteration(c, 0);  // delivers the constants
          else
            for (int64_t i : iters) send_outputs_to(c, i, t.node, out, true);
        } else {
          send_outputs_to(c, 0, t.node, out, true);
        }
        break;
      }
      case LoopNode::Kind::kExit: {
        if (out.empty() || out[0].dead) break;  // sent dead when the frame ends, if never live
        t.frame->exit_live[t.node] = 1;
        record_fetches(t.frame->parent, t.node, out);
        send_outputs_to(t.frame->parent, t.frame->parent_iter, t.node, out, false);
        break;
      }
      case LoopNode::Kind::kNextIteration:
        if (!out.empty() && !out[0].dead)
          send_outputs_to(t.frame, t.iter + 1, iteration(t.frame, t.iter + 1), t.node, out, false, true);
        break;
      default:
        send_outputs_to(t.frame, t.iter, t.state, t.node, out, false, true);
    }
  }

  void maybe_finish_iteration(FrameInst* f, int64_t iter) {
    if (f == &root_) return;
    auto found = f->find(iter);
    if (found == f->iters.end() || found->second->num_fired < plan_.frames[f->sframe].num_nodes) return;
    f->spare.push_back(std::move(found->second));
    if (found + 1 != f->iters.end()) *found = std::move(f->iters.back());
    f->iters.pop_back();
    if (!f->iters.empty() || !f->children.empty()) return;
    finish_frame(f);
  }

  void finish_frame(FrameInst* f) {
    FrameInst* parent = f->parent;
    int64_t piter = f->parent_iter;
    std::vector<int> dead_exits;
    for (int e : plan_.frames[f->sframe].exits)
      if (!f->exit_live[e]) dead_exits.push_back(e);
    parent->children.erase(std::make_pair(f->sframe, piter));  // deletes f
    for (int e : dead_exits) {
      std::vector<Entry> outs(plan_.nodes[e].outputs.size());
      for (Entry& o : outs) o.dead = true;
      record_fetches(parent, e, outs);
      send_outputs_to(parent, piter, e, outs, false);
    }
    if (parent != &root_ && parent->iters.empty() && parent->children.empty()) finish_frame(parent);
  }

  const LoopPlan& plan_;
  RunState& run_;
  FrameInst root_;
  std::vector<std::vector<int>> frame_nodes_;  // plan nodes per static frame
  std::vector<Entry> in_, out_;                 // scratch for `fire`
  std::vector<Task> ready_;  // a FIFO: tasks from head_ on are pending
  size_t head_ = 0;
  std::vector<Entry> results_;
};

}  // namespace

RunResult run_loop_plan(const LoopPlan& plan, RunState& run, std::vector<Tensor> feed_values) {
  LoopRun loop(plan, run);
  return loop.run(feed_values);
}

}  // namespace metarun
