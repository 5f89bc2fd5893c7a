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
// MaxPoolGrad whose gradient only a ReluGrad reads, with the pooled input as
// its features (conv -> relu -> max_pool in a training graph), becomes
// `_MaxPoolGradWithReluGrad`: the ReluGrad is applied to each image's input
// gradient while it is in cache, by ReluGrad's own element function; inputs
// MaxPoolGrad would reject make the kernel decline, and the two nodes run.
//
// Then groups of float32 elementwise nodes (fusion_elementwise.cpp) become
// one `_FusedElementwise` node each: a sink and the nodes whose values only
// the group reads (neither fetched nor fed, no control edge out), on the
// sink's device; the fused node carries the sink's name and id, takes every
// member's control inputs, and runs the members' own kernels when a run's
// shapes do not fit its program (NodeItem::unfused), so errors name the
// member TF's would.
//
// METARUN_FUSION=0 (read once) turns the pass off; METARUN_FUSION=matmul
// keeps the MatMul/Conv2D chains and leaves elementwise nodes apart.
#pragma once

#include <memory>
#include <vector>

#include "executor/node_exec.h"
#include "framework/graph.h"

namespace metarun {

bool fusion_enabled();
bool elementwise_fusion_enabled();

struct FusedGroup {
  std::unique_ptr<Node> node;  // the synthetic node; plans own it
  std::vector<int> members;    // graph ids in chain order; the last keeps its id in the plan
  // The fused kernel may decline a run (decline_fusion); the members, in an
  // order that can run, then run one by one.
  bool declines = false;
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
  // Gives a fused elementwise node's item its members' own items, for runs
  // whose shapes its kernel turns down. Call before release_nodes().
  Status attach_unfused(const Graph& g, NodeItem* item) const;

 private:
  friend Fusions find_fusions(const Graph&, const std::vector<Edge>&, const std::vector<Edge>&,
                              const std::vector<int>&, std::vector<char>*);
  friend void add_elementwise_groups(const Graph&, const std::vector<Edge>&, const std::vector<Edge>&,
                                     const std::vector<int>&, std::vector<char>*, Fusions*);
  std::vector<FusedGroup> groups_;
  std::vector<int> fused_at_;  // per graph id: its group when it is a chain's last member, else -1
};

// Finds the chains among the `needed` nodes of a plan with these feeds,
// fetches and targets, and clears `needed` for the members a fused node
// replaces (all but each chain's last).
Fusions find_fusions(const Graph& g, const std::vector<Edge>& feeds, const std::vector<Edge>& fetches,
                     const std::vector<int>& targets, std::vector<char>* needed);

// The elementwise half of find_fusions: runs after the MatMul/Conv2D chains
// are in `fusions`, on the nodes they leave.
void add_elementwise_groups(const Graph& g, const std::vector<Edge>& feeds, const std::vector<Edge>& fetches,
                            const std::vector<int>& targets, std::vector<char>* needed, Fusions* fusions);

}  // namespace metarun
