// The graph as the executor sees it: nodes with integer edges. Python builds
// it from the imported GraphDef; it only ever grows (new ops appended after
// import), so plans built earlier stay valid.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "framework/attrs.h"

namespace metarun {

struct Edge {
  int node = -1;
  int index = 0;
  bool operator==(const Edge& o) const { return node == o.node && index == o.index; }
};

struct Node {
  std::string name;
  std::string op;
  std::string device;
  std::vector<Edge> inputs;
  std::vector<int> control_inputs;
  AttrMap attrs;
  std::vector<DType> output_types;  // ref outputs carry the +100 ref dtype
};

class FunctionLibrary;

class Graph {
 public:
  Graph();
  // The function library this graph's call nodes resolve against; function
  // bodies share their outer graph's.
  const std::shared_ptr<FunctionLibrary>& library() const { return library_; }
  void set_library(std::shared_ptr<FunctionLibrary> lib) { library_ = std::move(lib); }
  // Appends a node; its edges may point at nodes added later (loops, forward
  // references), which `plan` resolves.
  int add_node(Node node);
  // A snapshot of node `i`; nodes never change once added.
  const Node& node(int i) const;
  int num_nodes() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::shared_ptr<FunctionLibrary> library_;
};

}  // namespace metarun
