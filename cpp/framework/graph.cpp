#include "framework/graph.h"

namespace metarun {

int Graph::add_node(Node node) {
  std::lock_guard<std::mutex> lock(mu_);
  nodes_.push_back(std::make_unique<Node>(std::move(node)));
  return static_cast<int>(nodes_.size()) - 1;
}

const Node& Graph::node(int i) const {
  std::lock_guard<std::mutex> lock(mu_);
  return *nodes_[i];
}

int Graph::num_nodes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(nodes_.size());
}

}  // namespace metarun
