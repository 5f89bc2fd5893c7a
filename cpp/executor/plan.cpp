#include "executor/plan.h"

#include <algorithm>
#include <deque>
#include <map>
#include <string>

namespace metarun {

namespace {

struct EdgeLess {
  bool operator()(const Edge& a, const Edge& b) const {
    return a.node != b.node ? a.node < b.node : a.index < b.index;
  }
};

// Ops that may wait on another node of the same run: a dequeue on an empty queue
// for an enqueue, a reader for the filename its queue is about to get. A run's
// nodes execute one after another, so these go after every other node that is
// ready: `run([enqueue, dequeue])` then finds its element, as under TF's
// concurrent executor. (A wait on a node that depends on the waiting one would
// block TF's run as well.)
bool may_wait(const Node& node) {
  const std::string& op = node.op;
  return op.compare(0, 12, "QueueDequeue") == 0 || op.compare(0, 10, "ReaderRead") == 0;
}

}  // namespace

Status build_plan(const Graph& g, const std::vector<Edge>& feeds, const std::vector<Edge>& fetches,
                  const std::vector<int>& targets, std::unique_ptr<Plan>* out) {
  const int n = g.num_nodes();
  std::map<Edge, int, EdgeLess> slot_of;  // fed and produced values
  for (size_t i = 0; i < feeds.size(); ++i) {
    MR_RETURN_IF_ERROR(check_edge(g, feeds[i], "feed"));
    slot_of[feeds[i]] = static_cast<int>(i);
  }
  auto fed = [&](const Edge& e) { return slot_of.count(e) && slot_of[e] < static_cast<int>(feeds.size()); };

  // Prune: the nodes the fetches and targets need, stopping at fed values.
  std::vector<char> needed(n, 0);
  std::vector<int> stack;
  for (const Edge& e : fetches) {
    MR_RETURN_IF_ERROR(check_edge(g, e, "fetch"));
    if (!fed(e)) stack.push_back(e.node);
  }
  for (int t : targets) {
    if (t < 0 || t >= n) return invalid_argument("target node does not exist");
    stack.push_back(t);
  }
  while (!stack.empty()) {
    int id = stack.back();
    stack.pop_back();
    if (needed[id]) continue;
    needed[id] = 1;
    const Node& node = g.node(id);
    for (const Edge& e : node.inputs) {
      MR_RETURN_IF_ERROR(check_edge(g, e, node.name));
      if (!fed(e) && !needed[e.node]) stack.push_back(e.node);
    }
    for (int c : node.control_inputs) {
      if (c < 0 || c >= n) return invalid_argument(str_cat("Node '", node.name, "' has a missing control input"));
      if (!needed[c] && !control_met_by_feed(g, c, feeds)) stack.push_back(c);
    }
  }

  Fusions fused;
  if (fusion_enabled()) fused = find_fusions(g, feeds, fetches, targets, &needed);

  if (needs_loop_plan(g, needed)) {
    auto plan = std::make_unique<Plan>();
    plan->num_feeds = static_cast<int>(feeds.size());
    MR_RETURN_IF_ERROR(build_loop_plan(g, feeds, fetches, needed, fused, &plan->loop));
    plan->fused_nodes = fused.release_nodes();
    *out = std::move(plan);
    return Status();
  }

  // Topological order (Kahn), seeded in node order so runs are repeatable.
  std::vector<int> indegree(n, 0);
  std::vector<std::vector<int>> consumers(n);
  for (int id = 0; id < n; ++id) {
    if (!needed[id]) continue;
    const Node& node = fused.node(g, id);
    for (const Edge& e : node.inputs) {
      if (fed(e)) continue;
      ++indegree[id];
      consumers[e.node].push_back(id);
    }
    for (int c : node.control_inputs) {
      if (control_met_by_feed(g, c, feeds)) continue;
      ++indegree[id];
      consumers[c].push_back(id);
    }
  }
  std::deque<int> ready, ready_to_wait;  // the second: may_wait nodes, taken when the first is empty
  auto make_ready = [&](int id) { (may_wait(g.node(id)) ? ready_to_wait : ready).push_back(id); };
  for (int id = 0; id < n; ++id)
    if (needed[id] && indegree[id] == 0) make_ready(id);
  std::vector<int> order;
  while (!ready.empty() || !ready_to_wait.empty()) {
    std::deque<int>& from = ready.empty() ? ready_to_wait : ready;
    int id = from.front();
    from.pop_front();
    order.push_back(id);
    for (int c : consumers[id])
      if (--indegree[c] == 0) make_ready(c);
  }
  int needed_count = static_cast<int>(std::count(needed.begin(), needed.end(), 1));
  if (static_cast<int>(order.size()) != needed_count) {
    for (int id = 0; id < n; ++id)
      if (needed[id] && indegree[id] > 0)
        return invalid_argument(str_cat("The graph has a cycle through node '", g.node(id).name,
                                        "' that is not a while loop"));
  }

  auto plan = std::make_unique<Plan>();
  int next_slot = static_cast<int>(feeds.size());
  auto slot_for = [&](const Edge& e) {
    auto it = slot_of.find(e);
    if (it != slot_of.end()) return it->second;
    slot_of[e] = next_slot;
    return next_slot++;
  };
  std::vector<int> step_of(n, -1);
  for (int id : order) {
    const Node& node = fused.node(g, id);
    PlanStep step;
    MR_RETURN_IF_ERROR(build_node_item(g, id, &step.item, &node));
    MR_RETURN_IF_ERROR(fused.attach_unfused(g, &step.item));
    for (const Edge& e : node.inputs) step.in_slots.push_back(slot_for(e));
    for (int c : node.control_inputs)
      if (!control_met_by_feed(g, c, feeds)) step.control_steps.push_back(step_of[c]);
    if (node.op == "Switch" || node.op == "RefSwitch") plan->tracks_dead = true;
    plan->max_inputs = std::max(plan->max_inputs, step.item.num_inputs);
    plan->max_outputs = std::max(plan->max_outputs, step.item.num_outputs);
    step_of[id] = static_cast<int>(plan->steps.size());
    plan->steps.push_back(std::move(step));
  }
  for (const Edge& e : fetches) plan->fetch_slots.push_back(slot_for(e));
  // Output slots: only values someone in this plan reads, or fetches.
  for (PlanStep& step : plan->steps) {
    step.out_slots.assign(step.item.num_outputs, -1);
    for (int i = 0; i < step.item.num_outputs; ++i) {
      auto it = slot_of.find(Edge{step.item.id, i});
      if (it != slot_of.end() && it->second >= static_cast<int>(feeds.size())) step.out_slots[i] = it->second;
    }
  }
  plan->num_slots = next_slot;
  plan->num_feeds = static_cast<int>(feeds.size());
  plan->fused_nodes = fused.release_nodes();

  // The last reader of a produced value takes it (moves it) instead of
  // sharing it, so the value is freed right after its last use and a kernel
  // may reuse its buffer. Fetches and feeds stay.
  std::vector<char> keep(next_slot, 0);
  for (int slot : plan->fetch_slots) keep[slot] = 1;
  for (size_t i = 0; i < feeds.size(); ++i) keep[i] = 1;
  std::vector<char> taken(next_slot, 0);
  for (size_t s = plan->steps.size(); s-- > 0;) {
    PlanStep& step = plan->steps[s];
    step.move_in.assign(step.in_slots.size(), 0);
    for (size_t i = step.in_slots.size(); i-- > 0;) {
      int slot = step.in_slots[i];
      if (keep[slot] || taken[slot]) continue;
      step.move_in[i] = 1;
      taken[slot] = 1;
    }
  }
  *out = std::move(plan);
  return Status();
}

}  // namespace metarun

namespace metarun {

RunResult run_plain(const Plan& plan, RunState& run, std::vector<Tensor> feed_values) {
  RunResult result;
  std::vector<Entry> values(plan.num_slots);
  for (size_t i = 0; i < feed_values.size(); ++i) values[i].tensor = std::move(feed_values[i]);
  std::vector<Entry> scratch(plan.max_inputs + plan.max_outputs);
  Entry* in = scratch.data();
  Entry* out = in + plan.max_inputs;
  std::vector<char> step_dead(plan.tracks_dead ? plan.steps.size() : 0, 0);
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const PlanStep& step = plan.steps[s];
    const NodeItem& item = step.item;
    if (run.should_stop()) {
      result.status = run.stopped_status();
      result.failed_node = item.node->name;
      return result;
    }
    bool dead = false;
    for (int i = 0; i < item.num_inputs; ++i) {
      Entry& src = values[step.in_slots[i]];
      if (step.move_in[i]) in[i] = std::move(src);
      else in[i] = src;
    }
    if (plan.tracks_dead) {
      for (int i = 0; i < item.num_inputs; ++i) dead |= in[i].dead;
      for (int c : step.control_steps) dead |= step_dead[c] != 0;
      step_dead[s] = dead && !item.accepts_dead;
    }
    Status st = run.process(item, in, out, dead);
    if (!st.ok()) {
      result.status = std::move(st);
      result.failed_node = run.failed_node(item);
      return result;
    }
    for (int i = 0; i < item.num_inputs; ++i) in[i].clear();
    for (int o = 0; o < item.num_outputs; ++o) {
      if (step.out_slots[o] >= 0) values[step.out_slots[o]] = std::move(out[o]);
      out[o].clear();
    }
  }
  for (size_t i = 0; i < plan.fetch_slots.size(); ++i) {
    Entry& e = values[plan.fetch_slots[i]];
    if (e.dead) {
      result.status = invalid_argument(str_cat("Retval[", i, "] does not have value"));
      return result;
    }
    if (e.ref) {
      std::string name = e.ref->name;
      result.status = deref(&e);
      if (!result.status.ok()) {
        result.failed_node = name;
        return result;
      }
    }
    result.outputs.push_back(e.tensor);
  }
  return result;
}

}  // namespace metarun
