// The kernel contract. A kernel object is built once per plan from a
// KernelInit (attrs, input and output dtypes), where it validates attrs and
// chooses its typed implementation; `compute` then runs once per step and
// touches only tensors. Kernels and executors both build on this header;
// it knows nothing of either.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "framework/attrs.h"
#include "core/threadpool.h"
#include "framework/attrs.h"
#include "framework/function.h"
#include "framework/graph.h"
#include "framework/io_policy.h"
#include "framework/resources.h"

namespace metarun {

class KernelInit {
 public:
  KernelInit(const Node& node, std::vector<DType> input_types, const FunctionLibrary* library = nullptr)
      : node_(node), input_types_(std::move(input_types)), library_(library) {}

  const Node& node() const { return node_; }
  const std::string& name() const { return node_.name; }
  const std::string& op() const { return node_.op; }
  int num_inputs() const { return static_cast<int>(input_types_.size()); }
  int num_outputs() const { return static_cast<int>(node_.output_types.size()); }
  DType input_type(int i) const { return input_types_[i]; }
  DType output_type(int i) const { return node_.output_types[i]; }

  bool has_attr(const std::string& name) const { return node_.attrs.count(name) > 0; }
  const AttrValue* find_attr(const std::string& name) const;
  // Typed attr readers: a missing attr (or one of the wrong kind) records an
  // error naming it and leaves `*out` unchanged.
  void get(const std::string& name, int64_t* out);
  void get(const std::string& name, int* out);
  void get(const std::string& name, float* out);
  void get(const std::string& name, bool* out);
  void get(const std::string& name, std::string* out);
  void get(const std::string& name, DType* out);
  void get(const std::string& name, PartialShape* out);
  void get(const std::string& name, Tensor* out);
  void get(const std::string& name, std::vector<int64_t>* out);
  void get(const std::string& name, std::vector<int>* out);
  void get(const std::string& name, std::vector<float>* out);
  void get(const std::string& name, std::vector<std::string>* out);
  void get(const std::string& name, std::vector<DType>* out);

  // The function a func-valued attr names (fails the kernel when it names
  // none or no such function was instantiated).
  std::shared_ptr<const Function> function(const std::string& attr_name);
  // A function by its instantiated name (list-of-func attrs: Case branches).
  std::shared_ptr<const Function> function_named(const std::string& fn_name);

  // Inputs the kernel takes by reference (Assign's `ref`): the executor hands
  // these over as the variable itself instead of its value.
  void take_ref_input(int i) { ref_inputs_.push_back(i); }
  // Inputs the kernel reads even when dead (Merge) or uninitialized.
  void set_accepts_dead_inputs() { accepts_dead_ = true; }

  void fail(Status s) {
    if (status_.ok()) status_ = std::move(s);
  }
  const Status& status() const { return status_; }
  const std::vector<int>& ref_inputs() const { return ref_inputs_; }
  bool accepts_dead() const { return accepts_dead_; }

 private:
  const Node& node_;
  std::vector<DType> input_types_;
  const FunctionLibrary* library_;
  std::vector<int> ref_inputs_;
  bool accepts_dead_ = false;
  Status status_;
};

// A value flowing along an edge: a tensor, or (for ref outputs) the variable
// itself. `dead` marks the untaken side of a Switch.
struct Entry {
  Tensor tensor;
  std::shared_ptr<Var> ref;
  bool dead = false;
  bool has_value() const { return tensor.valid() || ref != nullptr; }
  void clear() {
    tensor = Tensor();
    ref.reset();
    dead = false;
  }
};

// What a kernel sees of the run it is part of.
struct RunEnv {
  ResourceMgr* resources = nullptr;
  ThreadPool* pool = nullptr;
  const std::atomic<bool>* cancelled = nullptr;
  int64_t step_id = 0;  // identifies the run: per-run resources are keyed by it
  FunctionCaller* caller = nullptr;  // runs functions as part of this run
  const IoPolicy* io = nullptr;      // null: every path allowed, no memory budget
};

class OpContext {
 public:
  OpContext(const Node& node, Entry* inputs, int num_inputs, Entry* outputs, int num_outputs, const RunEnv& env)
      : node_(node), inputs_(inputs), outputs_(outputs), num_inputs_(num_inputs), num_outputs_(num_outputs),
        env_(env) {}

  const Node& node() const { return node_; }
  const std::string& name() const { return node_.name; }
  int num_inputs() const { return num_inputs_; }
  int num_outputs() const { return num_outputs_; }
  const Tensor& input(int i) const { return inputs_[i].tensor; }
  const Entry& input_entry(int i) const { return inputs_[i]; }
  // The variable behind a ref input (see KernelInit::take_ref_input).
  const std::shared_ptr<Var>& input_ref(int i) const { return inputs_[i].ref; }

  void set_output(int i, Tensor t) { outputs_[i].tensor = std::move(t); }
  void set_output_ref(int i, std::shared_ptr<Var> v) { outputs_[i].ref = std::move(v); }
  void set_output_dead(int i) { outputs_[i].dead = true; }
  // Allocates output i with the node's declared dtype.
  Tensor& allocate_output(int i, Shape shape) {
    outputs_[i].tensor = Tensor(base_type(node_.output_types[i]), std::move(shape));
    return outputs_[i].tensor;
  }
  // Output i with `shape`, reusing the buffer of input `in` when nothing else
  // holds it and it has the same dtype and size (TF's forward_input); else a
  // new buffer. Never reuses a variable's, a constant's or a fed buffer:
  // those always have another holder; nor memory borrowed from the host
  // (a host kernel's array its caller may keep, a read-only mapped view).
  Tensor& forward_or_allocate_output(int in, int i, const Shape& shape) {
    Entry& e = inputs_[in];
    DType dt = base_type(node_.output_types[i]);
    if (!e.ref && e.tensor.dtype() == dt && !is_object_type(dt) && e.tensor.buffer().use_count() == 1 &&
        !e.tensor.buffer()->borrowed() &&
        e.tensor.num_elements() == num_elements(shape)) {
      outputs_[i].tensor = Tensor(dt, shape, e.tensor.buffer());
      return outputs_[i].tensor;
    }
    return allocate_output(i, shape);
  }

  ResourceMgr& resources() const { return *env_.resources; }
  // Identifies the current run: resources created for one run (TensorArrays,
  // stacks) are keyed by it and dropped when the run ends.
  int64_t step_id() const { return env_.step_id; }
  ThreadPool* pool() const { return env_.pool; }
  const RunEnv& env() const { return env_; }
  // Runs `f` as part of this run.
  Status call_function(const Function& f, std::vector<Tensor> args, std::vector<Tensor>* rets) const {
    if (!env_.caller) return internal_error(str_cat("Node '", node_.name, "' cannot call functions here"));
    return env_.caller->call(f, std::move(args), rets);
  }
  // Before touching a file: OK unless the run's IoPolicy forbids it (see
  // framework/io_policy.h); the error names this node.
  Status check_read(const std::string& path) const {
    return env_.io ? check_file_access(env_, node_.name, node_.op, FileAccess::kRead, path) : Status();
  }
  Status check_write(const std::string& path) const {
    return env_.io ? check_file_access(env_, node_.name, node_.op, FileAccess::kWrite, path) : Status();
  }
  bool cancelled() const { return env_.cancelled && env_.cancelled->load(std::memory_order_relaxed); }
  // For a kernel that blocks: asked between short timed waits; true once the
  // run should end (cancelled, past its deadline, Ctrl-C).
  bool should_stop() const { return env_.caller ? env_.caller->stop_requested() : cancelled(); }
  // The status to return after should_stop(): the run's deadline error, else `otherwise`.
  Status stop_status(Status otherwise) const {
    return env_.caller ? env_.caller->stop_status(std::move(otherwise)) : otherwise;
  }
  // Runs fn(begin, end) over [0, n), split across the intra-op pool when
  // `cost_per_unit` (ns per element) makes that worthwhile.
  template <class F>
  void parallel_for(int64_t n, double cost_per_unit, F&& fn) const {
    metarun::parallel_for(env_.pool, n, cost_per_unit, RangeFn(fn));
  }

 private:
  const Node& node_;
  Entry* inputs_;
  Entry* outputs_;
  int num_inputs_;
  int num_outputs_;
  const RunEnv& env_;
};

// Scalar inputs: the one place kernels read them, so none reads past an
// empty tensor or at the wrong width. TF takes a 0-d tensor, or where `legacy`
// any tensor of one element. `msg` is TF's error for another shape; a "{}" in
// it is replaced by that shape.
Status check_scalar(const Tensor& t, const char* msg, bool legacy = false);
// Any integer dtype, widened to int64.
Status scalar_input(const OpContext& ctx, int i, const char* msg, int64_t* out, bool legacy = false);
// Exactly dtype T.
template <class T>
Status scalar_input(const OpContext& ctx, int i, const char* msg, T* out, bool legacy = false) {
  const Tensor& t = ctx.input(i);
  MR_RETURN_IF_ERROR(check_scalar(t, msg, legacy));
  if (t.dtype() != dtype_of<T>)
    return invalid_argument(str_cat("Input ", i, " of ", ctx.name(), " must be ", dtype_name(dtype_of<T>), ", got ",
                                    dtype_name(t.dtype())));
  *out = t.scalar_value<T>();
  return Status();
}

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  virtual Status compute(OpContext& ctx) = 0;
};

// A new kernel of class K, owned as an OpKernel. Factories use this rather than
// std::make_unique<K>, which instantiates unique_ptr<K> and the tuple inside it for every
// kernel class: with about 2,600 classes (op x dtype), that and a std::function per op in the
// registry were a sixth of the core's compile time.
template <class K, class... Args>
std::unique_ptr<OpKernel> new_kernel(Args&&... args) {
  return std::unique_ptr<OpKernel>(new K(std::forward<Args>(args)...));
}

}  // namespace metarun
