#include "executor/node_exec.h"

#include "framework/fusion_decline.h"
#include "framework/registry.h"

namespace metarun {

Status check_edge(const Graph& g, const Edge& e, const std::string& user) {
  if (e.node < 0 || e.node >= g.num_nodes())
    return invalid_argument(str_cat("Node '", user, "' has an input that does not exist"));
  const Node& n = g.node(e.node);
  if (e.index < 0 || e.index >= static_cast<int>(n.output_types.size()))
    return invalid_argument(str_cat("Node '", user, "' reads output ", e.index, " of '", n.name,
                                    "', which has only ", n.output_types.size(), " outputs"));
  return Status();
}

Status build_node_item(const Graph& g, int id, NodeItem* item, const Node* fused) {
  const Node& node = fused ? *fused : g.node(id);
  item->node = &node;
  item->id = id;
  item->num_inputs = static_cast<int>(node.inputs.size());
  item->num_outputs = static_cast<int>(node.output_types.size());
  std::vector<DType> in_types;
  in_types.reserve(node.inputs.size());
  for (const Edge& e : node.inputs) {
    MR_RETURN_IF_ERROR(check_edge(g, e, node.name));
    in_types.push_back(g.node(e.node).output_types[e.index]);
  }
  KernelInit init(node, in_types, g.library().get());
  MR_RETURN_IF_ERROR(create_kernel(init, &item->kernel));
  item->takes_ref.assign(node.inputs.size(), 0);
  for (int r : init.ref_inputs()) {
    if (r >= item->num_inputs) return invalid_argument(str_cat("Node '", node.name, "' is missing input ", r));
    item->takes_ref[r] = 1;
    item->any_takes_ref = true;
  }
  item->accepts_dead = init.accepts_dead();
  return Status();
}

Status deref(Entry* e) {
  Var& var = *e->ref;
  std::lock_guard<std::mutex> lock(var.mu);
  if (!var.initialized) return failed_precondition(str_cat("Attempting to use uninitialized value ", var.name));
  e->tensor = var.value;
  e->ref.reset();
  return Status();
}

Status RunState::process(const NodeItem& item, Entry* in, Entry* out, bool dead) {
  if (dead && !item.accepts_dead) {
    for (int i = 0; i < item.num_outputs; ++i) out[i].dead = true;
    return Status();
  }
  for (int i = 0; i < item.num_inputs; ++i)
    if (in[i].ref && !in[i].dead && !item.takes_ref[i]) MR_RETURN_IF_ERROR(deref(&in[i]));
  Status st = compute(item, in, out);
  if (item.unfused && is_fusion_declined(st)) return run_unfused(*item.unfused, in, out);
  return st;
}

Status RunState::compute(const NodeItem& item, Entry* in, Entry* out) {
  OpContext ctx(*item.node, in, item.num_inputs, out, item.num_outputs, env_);
  // Kernels report errors as a Status; what they cannot return (a shape
  // refused by the Tensor constructor, memory that cannot be had) is thrown
  // and becomes this node's error here.
  try {
    if (env_.io && env_.io->memory) {
      ChargeScope charge(&env_.io->memory, &item.node->name);
      return item.kernel->compute(ctx);
    }
    if (!profile_) return item.kernel->compute(ctx);
    ProfileScope timing(profile_, item.node->op);
    return item.kernel->compute(ctx);
  } catch (const StatusError& e) {
    return e.status();
  } catch (const std::bad_alloc&) {
    return Status(Code::kResourceExhausted, str_cat("OOM when running ", item.node->op, " on /job:localhost/replica:0/task:0/device:CPU:0"));
  } catch (const std::exception& e) {
    return internal_error(str_cat(item.node->op, " failed: ", e.what()));
  }
}

// The group's nodes one by one, as an unfused plan runs them: their kernels,
// their broadcasting, their errors under their own names. The inputs are
// live (the fused node ran) and already dereferenced.
Status RunState::run_unfused(const UnfusedGroup& group, Entry* in, Entry* out) {
  std::vector<Entry> values(group.members.size());
  for (size_t m = 0; m < group.members.size(); ++m) {
    const NodeItem& item = group.members[m];
    std::vector<Entry> args(item.num_inputs);
    Entry result[1];
    for (int k = 0; k < item.num_inputs; ++k) {
      const int a = group.args[m][k];
      args[k] = a >= 0 ? in[a] : values[~a];
    }
    Status st = process(item, args.data(), result, false);
    if (!st.ok()) {
      failed_member_ = item.node->name;
      return st;
    }
    values[m] = std::move(result[0]);
  }
  out[0] = std::move(values.back());
  return Status();
}

}  // namespace metarun
