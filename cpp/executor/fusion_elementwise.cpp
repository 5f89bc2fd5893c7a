// Groups of float32 elementwise nodes as one _FusedElementwise node (see
// fusion.h for the contract, kernels/fused_elementwise_ops.cpp for the
// kernel). A group grows from a sink through the inputs of its members: a
// producer joins when every reader of its value is already a member, so only
// the sink's value leaves the group and each member feeds the sink. Such a
// group cannot sit on a path that leaves it and comes back, and it is dead
// exactly when its sink would be, so plans need no other change.
#include <map>
#include <mutex>

#include "executor/fusion.h"
#include "framework/registry.h"

namespace metarun {

namespace {

constexpr size_t kMaxMembers = 64;  // steps per group: the kernel keeps a block buffer per live step

AttrValue type_value(DType t) {
  AttrValue v;
  v.kind = AttrValue::Kind::kType;
  v.type = t;
  return v;
}

AttrValue strings_value(std::vector<std::string> s) {
  AttrValue v;
  v.kind = AttrValue::Kind::kList;
  v.list_s = std::move(s);
  return v;
}

AttrValue ints_value(std::vector<int64_t> i) {
  AttrValue v;
  v.kind = AttrValue::Kind::kList;
  v.list_i = std::move(i);
  return v;
}

// Whether the fused kernel takes `op` with `arity` float operands: asked of
// the kernel itself once per op type, so the pass keeps no list of its own.
bool kernel_fuses(const std::string& op, int arity) {
  static std::mutex mu;
  static std::map<std::pair<std::string, int>, bool> known;
  std::lock_guard<std::mutex> lock(mu);
  auto key = std::make_pair(op, arity);
  auto it = known.find(key);
  if (it != known.end()) return it->second;
  bool ok = false;
  if (arity == 1 || arity == 2) {
    Node n;
    n.name = "trial";
    n.op = "_FusedElementwise";
    n.output_types = {DType::kFloat};
    n.attrs["T"] = type_value(DType::kFloat);
    n.attrs["ops"] = strings_value({op});
    n.attrs["args"] = ints_value({0, arity == 2 ? 1 : -1});
    KernelInit init(n, std::vector<DType>(arity, DType::kFloat));
    std::unique_ptr<OpKernel> kernel;
    ok = Registry::global().find(n.op) && create_kernel(init, &kernel).ok();
  }
  known.emplace(key, ok);
  return ok;
}

class GroupFinder {
 public:
  GroupFinder(const Graph& g, const std::vector<Edge>& feeds, const std::vector<Edge>& fetches,
              const std::vector<int>& targets, const std::vector<char>& needed, const Fusions& fusions)
      : g_(g), needed_(needed), fusions_(fusions) {
    const int n = g.num_nodes();
    readers_.resize(n);
    control_out_.assign(n, 0);
    pinned_.assign(n, 0);
    taken_.assign(n, 0);
    in_group_.assign(n, 0);
    for (const Edge& e : feeds) pinned_[e.node] = 1;
    for (const Edge& e : fetches) pinned_[e.node] = 1;
    for (int t : targets) pinned_[t] = 1;
    for (int id = 0; id < n; ++id) {
      if (!needed[id]) continue;
      const Node& node = at(id);
      for (const Edge& e : node.inputs) readers_[e.node].push_back(id);
      for (int c : node.control_inputs) ++control_out_[c];
    }
  }

  const Node& at(int id) const { return fusions_.node(g_, id); }

  // A needed float32 node of an op the kernel fuses, not already part of a fused chain.
  bool candidate(int id) const {
    if (!needed_[id] || taken_[id]) return false;
    const Node& node = at(id);
    if (&node != &g_.node(id)) return false;
    if (node.output_types.size() != 1 || node.output_types[0] != DType::kFloat) return false;
    auto t = node.attrs.find("T");
    if (t == node.attrs.end() || t->second.kind != AttrValue::Kind::kType || t->second.type != DType::kFloat)
      return false;
    for (const Edge& e : node.inputs)
      if (base_type(at(e.node).output_types[e.index]) != DType::kFloat) return false;
    return kernel_fuses(node.op, static_cast<int>(node.inputs.size()));
  }

  // The members of the group that ends at `sink`, producers before readers.
  std::vector<int> grow(int sink) {
    std::vector<int> members = {sink};
    in_group_[sink] = 1;
    const std::string& device = at(sink).device;
    for (size_t i = 0; i < members.size(); ++i) {
      for (const Edge& e : at(members[i]).inputs) {
        const int p = e.node;
        if (in_group_[p] || members.size() >= kMaxMembers || pinned_[p] || control_out_[p] != 0 ||
            !candidate(p) || at(p).device != device)
          continue;
        bool all_inside = true;
        for (int r : readers_[p]) all_inside &= in_group_[r] != 0;
        if (!all_inside) continue;
        in_group_[p] = 1;
        members.push_back(p);
      }
    }
    for (int m : members) in_group_[m] = 0;
    return in_order(members);
  }

  void take(const std::vector<int>& members) {
    for (int m : members) taken_[m] = 1;
  }

 private:
  // Kahn's order within the group: the sink (read by no member) comes last.
  std::vector<int> in_order(const std::vector<int>& members) const {
    std::map<int, int> pending;
    for (int m : members) pending[m] = 0;
    for (int m : members)
      for (const Edge& e : at(m).inputs)
        if (pending.count(e.node)) ++pending[m];
    std::vector<int> order;
    for (int m : members)
      if (pending[m] == 0) order.push_back(m);
    for (size_t i = 0; i < order.size(); ++i)
      for (int m : members)
        for (const Edge& e : at(m).inputs)
          if (e.node == order[i] && --pending[m] == 0) order.push_back(m);
    return order;
  }

  const Graph& g_;
  const std::vector<char>& needed_;
  const Fusions& fusions_;
  std::vector<std::vector<int>> readers_;  // per node: the needed nodes reading it (once per edge)
  std::vector<int> control_out_;
  std::vector<char> pinned_;  // fed, fetched or a target
  std::vector<char> taken_;
  std::vector<char> in_group_;
};

// The _FusedElementwise node for `members` (in order, the sink last).
std::unique_ptr<Node> fused_node(const GroupFinder& f, const std::vector<int>& members) {
  const Node& sink = f.at(members.back());
  auto node = std::make_unique<Node>();
  node->name = sink.name;
  node->op = "_FusedElementwise";
  node->device = sink.device;
  node->output_types = {DType::kFloat};
  std::map<int, int> position;
  for (size_t j = 0; j < members.size(); ++j) position[members[j]] = static_cast<int>(j);
  // Operands: (member?, index), numbered once the inputs are counted.
  std::vector<std::string> ops;
  std::vector<std::pair<bool, int>> operands;
  for (int m : members) {
    const Node& member = f.at(m);
    ops.push_back(member.op);
    for (size_t k = 0; k < 2; ++k) {
      if (k >= member.inputs.size()) {
        operands.push_back({false, -1});
        continue;
      }
      const Edge& e = member.inputs[k];
      auto p = position.find(e.node);
      if (p != position.end()) {
        operands.push_back({true, p->second});
        continue;
      }
      size_t i = 0;
      while (i < node->inputs.size() && !(node->inputs[i] == e)) ++i;
      if (i == node->inputs.size()) node->inputs.push_back(e);
      operands.push_back({false, static_cast<int>(i)});
    }
    for (int c : member.control_inputs) {
      bool seen = false;
      for (int have : node->control_inputs) seen |= have == c;
      if (!seen) node->control_inputs.push_back(c);
    }
  }
  const int64_t num_inputs = static_cast<int64_t>(node->inputs.size());
  std::vector<int64_t> args;
  for (const auto& [member, index] : operands) args.push_back(member ? num_inputs + index : index);
  node->attrs["T"] = type_value(DType::kFloat);
  node->attrs["ops"] = strings_value(std::move(ops));
  node->attrs["args"] = ints_value(std::move(args));
  return node;
}

}  // namespace

void add_elementwise_groups(const Graph& g, const std::vector<Edge>& feeds, const std::vector<Edge>& fetches,
                            const std::vector<int>& targets, std::vector<char>* needed, Fusions* fusions) {
  GroupFinder finder(g, feeds, fetches, targets, *needed, *fusions);
  const int n = g.num_nodes();
  // Readers before producers (graphs list nodes mostly in that order), so a
  // group starts at its sink.
  for (int id = n - 1; id >= 0; --id) {
    if (!finder.candidate(id)) continue;
    std::vector<int> members = finder.grow(id);
    if (members.size() < 2 || members.back() != id) continue;
    std::unique_ptr<Node> node = fused_node(finder, members);
    std::vector<DType> in_types;
    for (const Edge& e : node->inputs) in_types.push_back(finder.at(e.node).output_types[e.index]);
    KernelInit init(*node, in_types, g.library().get());
    std::unique_ptr<OpKernel> kernel;
    if (!create_kernel(init, &kernel).ok()) continue;
    finder.take(members);
    if (fusions->fused_at_.empty()) fusions->fused_at_.assign(n, -1);
    for (size_t i = 0; i + 1 < members.size(); ++i) (*needed)[members[i]] = 0;
    fusions->fused_at_[id] = static_cast<int>(fusions->groups_.size());
    FusedGroup grp;
    grp.node = std::move(node);
    grp.members = std::move(members);
    grp.declines = true;
    fusions->groups_.push_back(std::move(grp));
  }
}

Status Fusions::attach_unfused(const Graph& g, NodeItem* item) const {
  const int id = item->id;
  if (id >= static_cast<int>(fused_at_.size()) || fused_at_[id] < 0) return Status();
  const FusedGroup& grp = groups_[fused_at_[id]];
  if (!grp.declines) return Status();
  auto group = std::make_shared<UnfusedGroup>();
  group->members.resize(grp.members.size());
  for (size_t j = 0; j < grp.members.size(); ++j) {
    const int m = grp.members[j];
    MR_RETURN_IF_ERROR(build_node_item(g, m, &group->members[j]));
    std::vector<int> args;
    for (const Edge& e : g.node(m).inputs) {
      int a = 0;
      size_t p = 0;
      while (p < j && grp.members[p] != e.node) ++p;
      if (p < j) {
        a = ~static_cast<int>(p);
      } else {
        while (a < static_cast<int>(grp.node->inputs.size()) && !(grp.node->inputs[a] == e)) ++a;
        if (a == static_cast<int>(grp.node->inputs.size()))
          return internal_error(str_cat("fused node '", grp.node->name, "' lost an input of '", g.node(m).name, "'"));
      }
      args.push_back(a);
    }
    group->args.push_back(std::move(args));
  }
  item->unfused = std::move(group);
  return Status();
}

}  // namespace metarun
