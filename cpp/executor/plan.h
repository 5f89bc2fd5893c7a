// Plans: what a signature compiles to, and the plain scheduler that runs a
// plan without loops in one fixed topological order. Private to the executor.
#pragma once

#include <memory>
#include <vector>

#include "executor/loop_plan.h"
#include "executor/node_exec.h"

namespace metarun {

struct PlanStep {
  NodeItem item;
  std::vector<int> in_slots;
  std::vector<char> move_in;       // per input: this step is the slot's last reader
  std::vector<int> out_slots;      // -1: output not used by this plan
  std::vector<int> control_steps;  // steps whose deadness this step inherits
};

struct Plan {
  std::vector<PlanStep> steps;
  int num_slots = 0;
  int num_feeds = 0;
  int max_inputs = 0;
  int max_outputs = 0;
  bool tracks_dead = false;  // a Switch is in the plan: deadness must be followed
  std::vector<int> fetch_slots;
  std::unique_ptr<LoopPlan> loop;  // set instead of steps when the subgraph has while loops
  std::vector<std::unique_ptr<Node>> fused_nodes;  // what fused steps' items point at (fusion.h)
};

// Builds the plan for one signature. Feeds occupy slots 0..feeds-1.
Status build_plan(const Graph& graph, const std::vector<Edge>& feeds, const std::vector<Edge>& fetches,
                  const std::vector<int>& targets, std::unique_ptr<Plan>* out);

// The plain scheduler: runs the steps in order.
// Feeds are taken by value and moved into the run (see FunctionCaller::call).
RunResult run_plain(const Plan& plan, RunState& run, std::vector<Tensor> feed_values);

}  // namespace metarun
