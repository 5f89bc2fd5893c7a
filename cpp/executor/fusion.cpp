#include "executor/fusion.h"

#include <cstdlib>
#include <cstring>
#include <set>

#include "framework/registry.h"

namespace metarun {

bool fusion_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("METARUN_FUSION");
    return !(v && std::strcmp(v, "0") == 0);
  }();
  return on;
}

bool elementwise_fusion_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("METARUN_FUSION");
    return fusion_enabled() && !(v && std::strcmp(v, "matmul") == 0);
  }();
  return on;
}

std::vector<std::unique_ptr<Node>> Fusions::release_nodes() {
  std::vector<std::unique_ptr<Node>> out;
  for (FusedGroup& grp : groups_) out.push_back(std::move(grp.node));
  return out;
}

namespace {

DType type_attr(const Node& n, const char* name) {
  auto it = n.attrs.find(name);
  return it != n.attrs.end() && it->second.kind == AttrValue::Kind::kType ? it->second.type : DType::kInvalid;
}

bool bool_attr(const Node& n, const char* name) {
  auto it = n.attrs.find(name);
  return it != n.attrs.end() && it->second.kind == AttrValue::Kind::kBool && it->second.b;
}

// Who reads each needed node's outputs within the plan.
struct Uses {
  std::vector<std::vector<std::pair<int, int>>> data;  // per node: (consumer, input index)
  std::vector<int> control;                            // per node: control edges out
  std::vector<char> pinned;                            // fetched, fed or a target: seen outside the chain
};

Uses find_uses(const Graph& g, const std::vector<char>& needed, const std::vector<Edge>& feeds,
               const std::vector<Edge>& fetches, const std::vector<int>& targets) {
  const int n = g.num_nodes();
  Uses u;
  u.data.resize(n);
  u.control.assign(n, 0);
  u.pinned.assign(n, 0);
  for (const Edge& e : feeds) u.pinned[e.node] = 1;
  for (const Edge& e : fetches) u.pinned[e.node] = 1;
  for (int t : targets) u.pinned[t] = 1;
  for (int id = 0; id < n; ++id) {
    if (!needed[id]) continue;
    const Node& node = g.node(id);
    for (size_t k = 0; k < node.inputs.size(); ++k) u.data[node.inputs[k].node].push_back({id, static_cast<int>(k)});
    for (int c : node.control_inputs) ++u.control[c];
  }
  return u;
}

// The shape an edge's value has in every run, as far as the graph fixes it:
// a Const's value, or a variable's declared shape, through reads (Identity,
// Enter, ReadVariableOp). Unknown when any value on the way may be fed.
PartialShape static_shape(const Graph& g, Edge e, const Uses& uses, int depth = 0) {
  PartialShape unknown;
  if (depth > 8 || uses.pinned[e.node]) return unknown;
  const Node& n = g.node(e.node);
  const std::string& op = n.op;
  if (op == "Identity" || op == "RefIdentity" || op == "Enter" || op == "RefEnter" || op == "Snapshot" ||
      op == "ReadVariableOp") {
    return n.inputs.empty() ? unknown : static_shape(g, n.inputs[0], uses, depth + 1);
  }
  if (op == "Const") {
    auto it = n.attrs.find("value");
    if (it == n.attrs.end() || it->second.kind != AttrValue::Kind::kTensor) return unknown;
    PartialShape s;
    s.unknown_rank = false;
    s.dims.assign(it->second.tensor.shape().begin(), it->second.tensor.shape().end());
    return s;
  }
  if (op == "VariableV2" || op == "Variable" || op == "VarHandleOp") {
    auto it = n.attrs.find("shape");
    if (it != n.attrs.end() && it->second.kind == AttrValue::Kind::kShape) return it->second.shape;
  }
  return unknown;
}

// The only reader of node `id`'s output 0, which must read it as input
// `want_input` (or any input when -1), or -1.
int sole_reader(const Graph& g, int id, const Uses& uses) {
  if (uses.pinned[id] || uses.control[id] != 0 || uses.data[id].size() != 1) return -1;
  if (g.node(id).output_types.size() != 1) return -1;
  return uses.data[id][0].first;
}

bool is_activation(const std::string& op, bool conv) {
  if (op == "Relu" || op == "Relu6" || op == "Elu" || op == "LeakyRelu") return true;
  return !conv && (op == "Tanh" || op == "Sigmoid");
}

struct Chain {
  std::vector<int> members;
  Edge bias;
  std::string activation;
  float alpha = 0.2f;
};

// The bias step after `head` (whose output has `channels` columns when > 0):
// BiasAdd on it, or Add/AddV2 of it and a [channels] vector.
bool match_bias(const Graph& g, int head, int64_t channels, DType t, const Uses& uses, int* step, Edge* bias) {
  const int r = sole_reader(g, head, uses);
  if (r < 0) return false;
  const Node& n = g.node(r);
  if (type_attr(n, "T") != t || !n.control_inputs.empty() || n.inputs.size() != 2 ||
      n.device != g.node(head).device)
    return false;
  if (n.op == "BiasAdd" || n.op == "BiasAddV1") {
    if (n.inputs[0].node != head) return false;
    *bias = n.inputs[1];
  } else if (n.op == "AddV2" || n.op == "Add") {
    // a + b == b + a in IEEE arithmetic, so either operand order fuses.
    const int side = n.inputs[0].node == head ? 1 : 0;
    if (n.inputs[1 - side].node != head || n.inputs[side].node == head) return false;
    PartialShape s = static_shape(g, n.inputs[side], uses);
    if (channels <= 0 || !s.fully_defined() || s.dims.size() != 1 || s.dims[0] != channels) return false;
    *bias = n.inputs[side];
  } else {
    return false;
  }
  *step = r;
  return true;
}

// The optional activation after the bias step `prev`.
void match_activation(const Graph& g, Chain* chain, DType t, bool conv, const Uses& uses) {
  const int prev = chain->members.back();
  const int r = sole_reader(g, prev, uses);
  if (r < 0) return;
  const Node& n = g.node(r);
  if (!is_activation(n.op, conv) || type_attr(n, "T") != t || !n.control_inputs.empty() || n.inputs.size() != 1 ||
      n.device != g.node(prev).device)
    return;
  chain->activation = n.op;
  if (n.op == "LeakyRelu") {
    auto it = n.attrs.find("alpha");
    if (it != n.attrs.end() && it->second.kind == AttrValue::Kind::kFloat) chain->alpha = static_cast<float>(it->second.f);
  }
  chain->members.push_back(r);
}

// Columns of a MatMul's / channels of an NHWC Conv2D's output, when the
// graph fixes them; else -1.
int64_t static_channels(const Graph& g, const Node& head, const Uses& uses) {
  PartialShape w = static_shape(g, head.inputs[1], uses);
  if (w.unknown_rank) return -1;
  if (head.op == "MatMul") {
    if (w.dims.size() != 2) return -1;
    return bool_attr(head, "transpose_b") ? w.dims[0] : w.dims[1];
  }
  return w.dims.size() == 4 ? w.dims[3] : -1;
}

AttrValue attr_of_type(DType t) {
  AttrValue v;
  v.kind = AttrValue::Kind::kType;
  v.type = t;
  return v;
}

std::unique_ptr<Node> fused_node(const Graph& g, const Chain& chain, DType t) {
  const Node& head = g.node(chain.members.front());
  const Node& last = g.node(chain.members.back());
  auto node = std::make_unique<Node>();
  node->name = last.name;
  node->device = last.device;
  node->inputs = {head.inputs[0], head.inputs[1], chain.bias};
  node->control_inputs = head.control_inputs;
  node->output_types = last.output_types;
  if (head.op == "MatMul") {
    node->op = "_FusedMatMul";
    for (const char* a : {"transpose_a", "transpose_b"}) {
      AttrValue v;
      v.kind = AttrValue::Kind::kBool;
      v.b = bool_attr(head, a);
      node->attrs[a] = v;
    }
  } else {
    node->op = "_FusedConv2D";
    node->attrs = head.attrs;
    AttrValue targs;
    targs.kind = AttrValue::Kind::kList;
    targs.list_type = {t};
    node->attrs["TArgs"] = targs;
    AttrValue host;
    host.kind = AttrValue::Kind::kInt;
    node->attrs["num_host_args"] = host;
  }
  node->attrs["T"] = attr_of_type(t);
  AttrValue ops;
  ops.kind = AttrValue::Kind::kList;
  ops.list_s = {"BiasAdd"};
  if (!chain.activation.empty()) ops.list_s.push_back(chain.activation);
  node->attrs["fused_ops"] = ops;
  AttrValue num_args;
  num_args.kind = AttrValue::Kind::kInt;
  num_args.i = 1;
  node->attrs["num_args"] = num_args;
  AttrValue eps;
  eps.kind = AttrValue::Kind::kFloat;
  eps.f = 0.0001f;  // TF's default; only batch-norm fusions read it
  node->attrs["epsilon"] = eps;
  AttrValue alpha;
  alpha.kind = AttrValue::Kind::kFloat;
  alpha.f = chain.alpha;
  node->attrs["leakyrelu_alpha"] = alpha;
  return node;
}

// Whether the registry has a kernel that accepts `node` (dtype and attrs).
bool kernel_accepts(const Graph& g, const Node& node) {
  if (!Registry::global().find(node.op)) return false;
  std::vector<DType> in_types;
  for (const Edge& e : node.inputs) in_types.push_back(g.node(e.node).output_types[e.index]);
  KernelInit init(node, in_types, g.library().get());
  std::unique_ptr<OpKernel> kernel;
  return create_kernel(init, &kernel).ok();
}

// The ReluGrad that is the only reader of MaxPoolGrad `id`'s gradient and
// takes the pooled input as its features, or -1.
int relu_grad_of_pool_grad(const Graph& g, int id, const Uses& uses) {
  const Node& pool = g.node(id);
  if (pool.op != "MaxPoolGrad" || pool.inputs.size() != 3 || type_attr(pool, "T") != DType::kFloat) return -1;
  const int r = sole_reader(g, id, uses);
  if (r < 0) return -1;
  const Node& n = g.node(r);
  if (n.op != "ReluGrad" || n.inputs.size() != 2 || type_attr(n, "T") != DType::kFloat ||
      !n.control_inputs.empty() || n.device != pool.device)
    return -1;
  if (!(n.inputs[0] == Edge{id, 0}) || !(n.inputs[1] == pool.inputs[0])) return -1;
  return r;
}

std::unique_ptr<Node> pool_relu_grad_node(const Graph& g, int pool_id, int relu_id) {
  const Node& pool = g.node(pool_id);
  const Node& relu = g.node(relu_id);
  auto node = std::make_unique<Node>();
  node->name = relu.name;
  node->op = "_MaxPoolGradWithReluGrad";
  node->device = relu.device;
  node->inputs = pool.inputs;
  node->control_inputs = pool.control_inputs;
  node->output_types = relu.output_types;
  node->attrs = pool.attrs;
  return node;
}

}  // namespace

Fusions find_fusions(const Graph& g, const std::vector<Edge>& feeds, const std::vector<Edge>& fetches,
                     const std::vector<int>& targets, std::vector<char>* needed) {
  Fusions out;
  const int n = g.num_nodes();
  const bool conv_kernel = Registry::global().find("_FusedConv2D") != nullptr;
  Uses uses = find_uses(g, *needed, feeds, fetches, targets);
  std::vector<char> taken(n, 0);
  for (int id = 0; id < n; ++id) {
    if (!(*needed)[id] || taken[id]) continue;
    const Node& head = g.node(id);
    const bool conv = head.op == "Conv2D";
    if (!(head.op == "MatMul" || (conv && conv_kernel)) || head.inputs.size() != 2) continue;
    if (conv) {
      auto f = head.attrs.find("data_format");
      if (f != head.attrs.end() && f->second.s != "NHWC") continue;
    }
    const DType t = type_attr(head, "T");
    Chain chain;
    chain.members.push_back(id);
    int bias_step = -1;
    if (!match_bias(g, id, static_channels(g, head, uses), t, uses, &bias_step, &chain.bias)) continue;
    chain.members.push_back(bias_step);
    match_activation(g, &chain, t, conv, uses);
    bool ok = true;
    // No member in two chains, and the bias not a value the chain itself makes.
    for (int m : chain.members) ok &= !taken[m] && chain.bias.node != m;
    if (!ok) continue;
    std::unique_ptr<Node> node = fused_node(g, chain, t);
    if (!kernel_accepts(g, *node)) {
      // A kernel may take fewer activations than the pass knows: try the bias alone.
      if (chain.activation.empty()) continue;
      chain.members.pop_back();
      chain.activation.clear();
      node = fused_node(g, chain, t);
      if (!kernel_accepts(g, *node)) continue;
    }
    if (out.fused_at_.empty()) out.fused_at_.assign(n, -1);
    for (size_t i = 0; i < chain.members.size(); ++i) {
      taken[chain.members[i]] = 1;
      if (i + 1 < chain.members.size()) (*needed)[chain.members[i]] = 0;
    }
    out.fused_at_[chain.members.back()] = static_cast<int>(out.groups_.size());
    FusedGroup grp;
    grp.node = std::move(node);
    grp.members = std::move(chain.members);
    out.groups_.push_back(std::move(grp));
  }
  for (int id = 0; id < n; ++id) {
    if (!(*needed)[id] || taken[id]) continue;
    const int r = relu_grad_of_pool_grad(g, id, uses);
    if (r < 0 || taken[r]) continue;
    std::unique_ptr<Node> node = pool_relu_grad_node(g, id, r);
    if (!kernel_accepts(g, *node)) continue;
    if (out.fused_at_.empty()) out.fused_at_.assign(n, -1);
    taken[id] = taken[r] = 1;
    (*needed)[id] = 0;
    out.fused_at_[r] = static_cast<int>(out.groups_.size());
    FusedGroup grp;
    grp.node = std::move(node);
    grp.members = {id, r};
    grp.declines = true;
    out.groups_.push_back(std::move(grp));
  }
  if (elementwise_fusion_enabled()) add_elementwise_groups(g, feeds, fetches, targets, needed, &out);
  return out;
}

}  // namespace metarun
