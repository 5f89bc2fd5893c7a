// Graph functions. Python instantiates each FunctionDef of a graph's library
// once per attr set into a body Graph (its arguments are Placeholders, its
// results edges) and registers it under a unique name in the library the
// graph and all its function bodies share. Kernels that call functions
// (PartitionedCall, While, If, Case, dataset map/filter...) look a Function
// up when their plan is built and call it through their OpContext; the
// executor runs the body as a plan of its own, built once per Function.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "framework/graph.h"

namespace metarun {

struct Function {
  std::string name;                // the instantiated name ("fn[T=float]" or just "fn")
  std::shared_ptr<Graph> body;
  std::vector<Edge> args;          // fed, in argument order
  std::vector<Edge> rets;          // fetched, in result order
  std::vector<int> control_rets;   // nodes that must run (control outputs)
  std::vector<DType> arg_types;
  std::vector<DType> ret_types;

  // The executor's compiled plan, built on first call (opaque here).
  mutable std::once_flag compiled_once;
  mutable std::shared_ptr<const void> compiled;
  mutable Status compile_status;
};

class FunctionLibrary {
 public:
  void add(std::shared_ptr<const Function> f);
  // nullptr when no function of that name was registered.
  std::shared_ptr<const Function> find(const std::string& name) const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const Function>> fns_;
};

// How a kernel calls a function: implemented by the executor for each run
// (a call joins its caller's run: same step, resources, cancellation).
class FunctionCaller {
 public:
  virtual ~FunctionCaller() = default;
  // `args` is taken by value: a caller that moves its tensors in (a loop passing its
  // variables on) lets the body update them in place.
  virtual Status call(const Function& f, std::vector<Tensor> args, std::vector<Tensor>* rets) = 0;
  // For kernels that wait (a dequeue on an empty queue): true once the run
  // was cancelled, passed its deadline or was interrupted (Ctrl-C). Such a
  // kernel waits in short slices and asks between them.
  virtual bool stop_requested() { return false; }
  // Why the run stopped: DeadlineExceeded past its deadline, else `otherwise`.
  virtual Status stop_status(Status otherwise) const { return otherwise; }
};

}  // namespace metarun
