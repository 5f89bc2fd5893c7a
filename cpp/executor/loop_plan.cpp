#include "executor/loop_plan.h"

#include <deque>
#include <map>


namespace metarun {

namespace {

LoopNode::Kind kind_of(const std::string& op) {
  if (op == "Merge" || op == "RefMerge") return LoopNode::Kind::kMerge;
  if (op == "Enter" || op == "RefEnter") return LoopNode::Kind::kEnter;
  if (op == "Exit" || op == "RefExit") return LoopNode::Kind::kExit;
  if (op == "NextIteration" || op == "RefNextIteration") return LoopNode::Kind::kNextIteration;
  return LoopNode::Kind::kNormal;
}

}  // namespace

bool needs_loop_plan(const Graph& g, const std::vector<char>& needed) {
  for (int i = 0; i < static_cast<int>(needed.size()); ++i) {
    if (!needed[i]) continue;
    LoopNode::Kind k = kind_of(g.node(i).op);
    if (k == LoopNode::Kind::kEnter || k == LoopNode::Kind::kExit || k == LoopNode::Kind::kNextIteration)
      return true;
  }
  return false;
}

bool control_met_by_feed(const Graph& g, int ctrl, const std::vector<Edge>& feeds) {
  const std::string& op = g.node(ctrl).op;
  if (op != "Placeholder" && op != "PlaceholderV2") return false;
  for (const Edge& e : feeds)
    if (e.node == ctrl && e.index == 0) return true;
  return false;
}

Status build_loop_plan(const Graph& g, const std::vector<Edge>& feeds, const std::vector<Edge>& fetches,
                       const std::vector<char>& needed, const Fusions& fused, std::unique_ptr<LoopPlan>* out) {
  auto plan = std::make_unique<LoopPlan>();
  const int n = g.num_nodes();
  std::vector<int> index(n, -1);
  for (int i = 0; i < n; ++i) {
    if (!needed[i]) continue;
    index[i] = static_cast<int>(plan->nodes.size());
    plan->nodes.emplace_back();
    plan->nodes.back().item.id = i;
  }
  auto fed_index = [&](const Edge& e) {
    for (size_t f = 0; f < feeds.size(); ++f)
      if (feeds[f] == e) return static_cast<int>(f);
    return -1;
  };
  plan->feed_consumers.resize(feeds.size());
  plan->feed_fetch_positions.resize(feeds.size());

  // Edges, kernels.
  for (LoopNode& ln : plan->nodes) {
    MR_RETURN_IF_ERROR(build_node_item(g, ln.item.id, &ln.item, &fused.node(g, ln.item.id)));
    MR_RETURN_IF_ERROR(fused.attach_unfused(g, &ln.item));
    const Node& node = *ln.item.node;
    ln.kind = kind_of(node.op);
    ln.outputs.resize(node.output_types.size());
    ln.fetch_positions.resize(node.output_types.size());
    ln.num_data = static_cast<int>(node.inputs.size());
    ln.num_control = 0;
    for (int ctrl : node.control_inputs) ln.num_control += !control_met_by_feed(g, ctrl, feeds);
    if (ln.kind == LoopNode::Kind::kEnter) {
      auto c = node.attrs.find("is_constant");
      ln.constant_enter = c != node.attrs.end() && c->second.b;
    }
  }
  for (size_t c = 0; c < plan->nodes.size(); ++c) {
    const Node& node = *plan->nodes[c].item.node;
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const Edge& e = node.inputs[k];
      int f = fed_index(e);
      if (f >= 0) plan->feed_consumers[f].push_back({static_cast<int>(c), static_cast<int>(k)});
      else plan->nodes[index[e.node]].outputs[e.index].push_back({static_cast<int>(c), static_cast<int>(k)});
    }
    for (int ctrl : node.control_inputs)
      if (!control_met_by_feed(g, ctrl, feeds)) plan->nodes[index[ctrl]].control_outputs.push_back(static_cast<int>(c));
  }
  for (size_t i = 0; i < fetches.size(); ++i) {
    int f = fed_index(fetches[i]);
    if (f >= 0) plan->feed_fetch_positions[f].push_back(static_cast<int>(i));
    else plan->nodes[index[fetches[i].node]].fetch_positions[fetches[i].index].push_back(static_cast<int>(i));
  }
  plan->num_fetches = static_cast<int>(fetches.size());

  // Static frames: spread from the nodes with no in-plan inputs.
  plan->frames.push_back(StaticFrame());
  std::map<std::string, int> frame_ids;
  std::deque<int> work;
  for (size_t c = 0; c < plan->nodes.size(); ++c) {
    const Node& node = *plan->nodes[c].item.node;
    bool has_source = false;
    for (int ctrl : node.control_inputs) has_source |= !control_met_by_feed(g, ctrl, feeds);
    for (const Edge& e : node.inputs) has_source |= fed_index(e) < 0;
    if (!has_source) {
      plan->nodes[c].frame = 0;
      work.push_back(static_cast<int>(c));
    }
  }
  for (size_t f = 0; f < feeds.size(); ++f)
    for (auto& [consumer, k] : plan->feed_consumers[f])
      if (plan->nodes[consumer].frame < 0) {
        plan->nodes[consumer].frame = 0;
        work.push_back(consumer);
      }
  while (!work.empty()) {
    int c = work.front();
    work.pop_front();
    LoopNode& ln = plan->nodes[c];
    int out_frame = ln.frame;
    if (ln.kind == LoopNode::Kind::kEnter) {
      const AttrValue* name = ln.item.node->attrs.count("frame_name") ? &ln.item.node->attrs.at("frame_name") : nullptr;
      std::string key = std::to_string(ln.frame) + "/" + (name ? name->s : std::string());
      auto it = frame_ids.find(key);
      if (it == frame_ids.end()) {
        StaticFrame sf;
        sf.name = name ? name->s : "";
        sf.parent = ln.frame;
        plan->frames.push_back(sf);
        it = frame_ids.emplace(key, static_cast<int>(plan->frames.size()) - 1).first;
      }
      ln.child_frame = out_frame = it->second;
    } else if (ln.kind == LoopNode::Kind::kExit) {
      out_frame = plan->frames[ln.frame].parent;
      if (out_frame < 0)
        return invalid_argument(str_cat("Exit node '", ln.item.node->name, "' is not inside a loop"));
    }
    auto visit = [&](int consumer) {
      LoopNode& cn = plan->nodes[consumer];
      if (cn.frame < 0) {
        cn.frame = out_frame;
        work.push_back(consumer);
      } else if (cn.frame != out_frame && !(ln.kind == LoopNode::Kind::kNextIteration)) {
        return invalid_argument(str_cat("Node '", cn.item.node->name, "' mixes values of two loop frames"));
      }
      return Status();
    };
    for (auto& outs : ln.outputs)
      for (auto& [consumer, k] : outs) MR_RETURN_IF_ERROR(visit(consumer));
    for (int consumer : ln.control_outputs) MR_RETURN_IF_ERROR(visit(consumer));
  }
  for (size_t c = 0; c < plan->nodes.size(); ++c) {
    LoopNode& ln = plan->nodes[c];
    if (ln.frame < 0)
      return invalid_argument(str_cat("Node '", ln.item.node->name, "' cannot be placed in a loop frame"));
    // In the root frame a NextIteration would start iterations that nothing
    // ever ends.
    if (ln.kind == LoopNode::Kind::kNextIteration && ln.frame == 0)
      return invalid_argument(str_cat("NextIteration node '", ln.item.node->name, "' is not inside a loop"));
    StaticFrame& sf = plan->frames[ln.frame];
    ln.input_base = sf.num_inputs;
    ln.local = sf.num_nodes;
    sf.num_inputs += ln.num_data;
    sf.num_nodes += 1;
    if (ln.kind == LoopNode::Kind::kExit) sf.exits.push_back(static_cast<int>(c));
  }
  for (auto& outs : plan->feed_consumers)
    for (auto& [consumer, k] : outs)
      if (plan->nodes[consumer].frame != 0)
        return invalid_argument(str_cat("Cannot feed a tensor consumed inside a while loop (node '",
                                        plan->nodes[consumer].item.node->name, "')"));
  for (size_t i = 0; i < fetches.size(); ++i)
    if (fed_index(fetches[i]) < 0 && plan->nodes[index[fetches[i].node]].frame != 0 &&
        !(plan->nodes[index[fetches[i].node]].kind == LoopNode::Kind::kExit &&
          plan->frames[plan->nodes[index[fetches[i].node]].frame].parent == 0))
      return invalid_argument(str_cat("Cannot fetch a tensor inside a while loop: ",
                                      g.node(fetches[i].node).name, ":", fetches[i].index));
  *out = std::move(plan);
  return Status();
}

}  // namespace metarun
