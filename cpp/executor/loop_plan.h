// Plans for subgraphs with TF1 while loops (Enter / Exit / NextIteration).
// Such graphs have cycles, so instead of a fixed order the executor runs a
// ready queue over (node, frame, iteration) as TensorFlow's does: every node
// belongs to a static frame (the root or one loop), Enter moves values into
// a child frame, Exit back to the parent, NextIteration to the next
// iteration. Private to the executor.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "executor/fusion.h"
#include "executor/node_exec.h"

namespace metarun {

struct LoopNode {
  enum class Kind { kNormal, kMerge, kEnter, kExit, kNextIteration };
  NodeItem item;
  Kind kind = Kind::kNormal;
  bool constant_enter = false;
  int frame = -1;        // the static frame the node runs in
  int child_frame = -1;  // Enter: the frame its outputs go to
  int num_data = 0;
  int num_control = 0;
  int input_base = 0;  // offset of this node's inputs in its frame's input array
  int local = 0;       // index among its frame's nodes (per-iteration counters)
  std::vector<std::vector<std::pair<int, int>>> outputs;  // per output: (consumer, input)
  std::vector<int> control_outputs;
  std::vector<std::vector<int>> fetch_positions;  // per output: result indices
};

struct StaticFrame {
  std::string name;
  int parent = -1;
  int num_nodes = 0;
  int num_inputs = 0;
  std::vector<int> exits;  // Exit nodes running in this frame
};

struct LoopPlan {
  std::vector<LoopNode> nodes;
  std::vector<StaticFrame> frames;  // frames[0] is the root
  std::vector<std::vector<std::pair<int, int>>> feed_consumers;
  std::vector<std::vector<int>> feed_fetch_positions;
  int num_fetches = 0;
};

bool needs_loop_plan(const Graph& g, const std::vector<char>& needed);
// The frame/iteration scheduler.
RunResult run_loop_plan(const LoopPlan& plan, RunState& run, std::vector<Tensor> feed_values);

// Whether control input `ctrl` is met by a feed: as in TF, a fed Placeholder is not run and its
// outgoing control edges start from the fed value instead.
bool control_met_by_feed(const Graph& g, int ctrl, const std::vector<Edge>& feeds);

// `fused` says which node runs for each needed graph id (fusion.h).
Status build_loop_plan(const Graph& g, const std::vector<Edge>& feeds, const std::vector<Edge>& fetches,
                       const std::vector<char>& needed, const Fusions& fused, std::unique_ptr<LoopPlan>* out);

}  // namespace metarun
