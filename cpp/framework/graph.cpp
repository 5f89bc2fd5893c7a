#include "framework/graph.h"
#include "framework/function.h"

namespace metarun {

Graph::Graph() : library_(std::make_shared<FunctionLibrary>()) {}

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

namespace metarun {

void FunctionLibrary::add(std::shared_ptr<const Function> f) {
  std::lock_guard<std::mutex> lock(mu_);
  fns_[f->name] = std::move(f);
}

std::shared_ptr<const Function> FunctionLibrary::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = fns_.find(name);
  return it == fns_.end() ? nullptr : it->second;
}

}  // namespace metarun
