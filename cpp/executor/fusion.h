// Plan-time fusion, as TF's Grappler remapper does on CPU: MatMul -> bias
// add -> optional activation becomes one `_FusedMatMul` node, and Conv2D ->
// bias add -> optional activation one `_FusedConv2D` node when a kernel for
// it is registered. The fused kernel applies the epilogue to each block of
// the product while it is still in cache, and a plan runs one node and keeps
// one value instead of three.
//
// A chain fuses only when nothing else can see its middle values: each is
// read by the next node alone, is neither fed nor fetched, and no control
// edge enters or leaves a middle node; all nodes share a device and a dtype
// the fused kernel takes (a trial kernel is built). A bias given by Add/AddV2
// fuses only when the graph fixes its shape to [channels] (a Const, or a
// variable's declared shape). The fused node carries TF's op name and attrs
// (T, transpose_a/b or the conv attrs, fused_ops, num_args, epsilon,
// leakyrelu_alpha) and the name of the chain's last node, whose output it
// replaces: errors and METARUN_PROFILE rows name it as TF's do (TF names the
// fused node after the last node too).
//
// METARUN_FUSION=0 (read once) turns the pass off.
#pragma once

#include <memory>
#include <vector>

#include "framework/graph.h"

namespace metarun {

bool fusion_enabled();

struct FusedGroup {
  std::unique_ptr<Node> node;  // the synthetic node; plans own it
  std::vector<int> members;    // graph ids in chain order; the last keeps its id in the plan
};

class Fusions {
 public:
  // The node a plan runs for graph id `id`: the fused node for a chain's last
  // member, else the graph's own.
  const Node& node(const Graph& g, int id) const {
    return id < static_cast<int>(fused_at_.size()) && fused_at_[id] >= 0 ? *groups_[fused_at_[id]].node : g.node(id);
  }
  // Hands the synthetic nodes over to the plan that runs them.
  std::vector<std::unique_ptr<Node>> release_nodes();
  size_t size() const { return groups_.size(); }

 private:
  friend Fusions find_fusions(const Graph&, const std::vector<Edge>&, const std::vector<Edge>&,
                              const std::vector<int>&, std::vector<char>*);
  std::vector<FusedGroup> groups_;
  std::vector<int> fused_at_;  // per graph id: its group when it is a chain's last member, else -1
};

// Finds the chains among the `needed` nodes of a plan with these feeds,
// fetches and targets, and clears `needed` for the members a fused node
// replaces (all but each chain's last).
Fusions find_fusions(const Graph& g, const std::vector<Edge>& feeds, const std::vector<Edge>& fetches,
                     const std::vector<int>& targets, std::vector<char>* needed);

}  // namespace metarun
