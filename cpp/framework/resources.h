// Per-session state: ref variables (VariableV2), resource variables
// (VarHandleOp) and other resources kernels create (TensorArrays, stacks).
// A new Session starts with nothing initialized, as in TensorFlow.
//
// A Var's `value` handle is guarded by `mu`. Ref variables are updated in
// place (TF's semantics: a read aliases the buffer, so a consumer ordered
// after an update sees the new value); resource variables copy the buffer
// before an update when a reader still holds it (a read is a value).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <map>
#include <unordered_map>

#include "framework/attrs.h"

namespace metarun {

struct Var {
  explicit Var(std::string n) : name(std::move(n)) {}
  std::mutex mu;
  std::string name;
  bool initialized = false;
  Tensor value;
  DType dtype = DType::kInvalid;  // declared by the creating op, if known
  PartialShape declared;          // ref variables: the VariableV2 shape attr
};

// Anything else a kernel keeps across steps or runs.
struct Resource {
  virtual ~Resource() = default;
};

// The key prefix of resources that live for one run only.
std::string step_resource_prefix(int64_t step_id);

// The handle a resource-creating op outputs: a DT_RESOURCE scalar (V2 ops, with
// `type` for messages) or, for `resource == false`, TF1's string[2] ref handle
// {container, name}.
Tensor handle_tensor(const std::string& container, const std::string& name, bool resource = true,
                     const std::string& type = "");

class ResourceMgr {
 public:
  // The ref variable for a VariableV2 node; created uninitialized on first use.
  std::shared_ptr<Var> ref_var(const std::string& key, const std::string& name);
  // Resource variables: looked up by "container/shared_name".
  std::shared_ptr<Var> lookup_var(const std::string& key);
  std::shared_ptr<Var> get_or_create_var(const std::string& key, const std::string& name);
  bool delete_var(const std::string& key);

  std::shared_ptr<Resource> lookup(const std::string& key);
  void insert(const std::string& key, std::shared_ptr<Resource> r);
  void erase(const std::string& key);
  // Drops every resource whose key starts with `prefix` (a run's step resources).
  void erase_prefix(const std::string& prefix);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Var>> ref_vars_;
  std::unordered_map<std::string, std::shared_ptr<Var>> resource_vars_;
  std::map<std::string, std::shared_ptr<Resource>> others_;
};

}  // namespace metarun
