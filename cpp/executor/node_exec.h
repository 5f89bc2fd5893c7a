// The one node-processing routine both schedulers share (the plain one for
// graphs without loops, the frame/iteration one for TF1 while loops), and
// what a plan decides once per node. Private to the executor.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "executor/profile.h"
#include "framework/kernel.h"

namespace metarun {

struct RunResult {
  Status status;
  std::string failed_node;  // the node whose kernel failed, if any
  std::vector<Tensor> outputs;
};

struct UnfusedGroup;

// A node as a plan runs it: everything derivable from the graph is decided
// here, when the plan is built.
struct NodeItem {
  const Node* node = nullptr;
  int id = -1;  // graph index
  std::unique_ptr<OpKernel> kernel;
  int num_inputs = 0;
  int num_outputs = 0;
  std::vector<char> takes_ref;  // per input: hand the variable over, not its value
  bool any_takes_ref = false;
  bool accepts_dead = false;  // runs with dead inputs (Merge, ControlTrigger)
  // A fused node whose kernel may decline a run (decline_fusion): its own
  // nodes, run instead (fusion.h).
  std::shared_ptr<const UnfusedGroup> unfused;
};

// The nodes a _FusedElementwise node stands for, in an order that runs each
// after its operands; the last one's output is the fused node's.
struct UnfusedGroup {
  std::vector<NodeItem> members;
  std::vector<std::vector<int>> args;  // per member, per input: fused input k as k, member j as ~j
};

// Fails unless `e` names an existing output; `user` names the reader.
Status check_edge(const Graph& g, const Edge& e, const std::string& user);

// Resolves the node's kernel and input handling. `node` stands in for graph
// node `id` when given (a fused node, see fusion.h); it must outlive the item.
Status build_node_item(const Graph& g, int id, NodeItem* item, const Node* node = nullptr);

// One run's state shared by the scheduler and the kernels it calls.
class RunState : public FunctionCaller {
 public:
  RunState(ResourceMgr* resources, ThreadPool* pool, int64_t step_id, OpProfile* profile,
           const std::function<bool()>* interrupted)
      : profile_(profiling_enabled() ? profile : nullptr), interrupted_(interrupted), root_(this),
        last_check_(now_ns()) {
    env_.resources = resources;
    env_.pool = pool;
    env_.cancelled = &cancelled_;
    env_.step_id = step_id;
    env_.caller = this;
  }
  // A function call's run: part of `parent`'s (same step, resources and
  // cancellation; interrupts are polled through the outermost run).
  explicit RunState(RunState* parent)
      : profile_(parent->profile_), interrupted_(nullptr), root_(parent->root_), depth_(parent->depth_ + 1) {
    env_ = parent->env_;
    env_.caller = this;
  }
  // How deep function calls may nest (a recursive function without a base
  // case must fail, not overflow the stack).
  static constexpr int kMaxCallDepth = 1000;
  int depth() const { return depth_; }
  const RunEnv& env() const { return env_; }
  void cancel() { root_->cancelled_.store(true, std::memory_order_relaxed); }

  // Runs one node: `in` holds its inputs (dead ones marked), `out` receives
  // its outputs. A node with a dead input (or control input: `dead`) does not
  // run unless it accepts dead inputs; its outputs are then all dead.
  Status process(const NodeItem& item, Entry* in, Entry* out, bool dead);

  // Called by schedulers between nodes: true once the run was cancelled or
  // interrupted (Ctrl-C). Cheap: the interrupt hook is asked at most every
  // few tens of milliseconds, and only in runs that last that long.
  bool should_stop() {
    RunState* r = root_;
    uint32_t polls = r->polls_.load(std::memory_order_relaxed) + 1;
    r->polls_.store(polls, std::memory_order_relaxed);
    if ((polls & 255) != 0) return false;
    return poll_stop();
  }

  // Unthrottled (for kernels waiting in slices): cancellation and deadline
  // are checked each call, the interrupt hook at most every 50 ms.
  bool stop_requested() override { return poll_stop(); }
  Status stop_status(Status otherwise) const override {
    if (root_->timed_out_.load(std::memory_order_relaxed))
      return Status(Code::kDeadlineExceeded, "Timed out waiting for notification");
    return otherwise;
  }
  // The run's status once a scheduler saw should_stop().
  Status stopped_status() const { return stop_status(cancelled("Run cancelled")); }
  // Runs past `deadline_ns` (steady clock) stop with DeadlineExceeded.
  void set_deadline(int64_t deadline_ns) { root_->deadline_ns_ = deadline_ns; }
  void set_io_policy(const IoPolicy* io) { env_.io = io; }

  bool poll_stop() {
    RunState* r = root_;
    if (r->cancelled_.load(std::memory_order_relaxed)) return true;
    if (r->deadline_ns_ && now_ns() > r->deadline_ns_) {
      r->timed_out_.store(true, std::memory_order_relaxed);
      cancel();
      return true;
    }
    if (r->interrupted_ && *r->interrupted_) {
      int64_t now = now_ns();
      int64_t last = r->last_check_.load(std::memory_order_relaxed);
      if (now - last > 50'000'000 && r->last_check_.compare_exchange_strong(last, now)) {
        if ((*r->interrupted_)()) cancel();
      }
    }
    return r->cancelled_.load(std::memory_order_relaxed);
  }

  static int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }

  // The node a failure of `item` is reported at: a member of a fused group
  // that failed while run on its own, else the item's node.
  std::string failed_node(const NodeItem& item) {
    std::string name = failed_member_.empty() ? item.node->name : std::move(failed_member_);
    failed_member_.clear();
    return name;
  }

  // FunctionCaller: runs `f`'s body as a nested run.
  Status call(const Function& f, std::vector<Tensor> args, std::vector<Tensor>* rets) override;

 private:
  RunEnv env_;
  std::atomic<bool> cancelled_{false};
  OpProfile* profile_;
  const std::function<bool()>* interrupted_;
  RunState* root_;
  int depth_ = 0;
  std::atomic<int64_t> last_check_{0};  // steady_clock ns of the last interrupt check
  std::atomic<uint32_t> polls_{0};
  int64_t deadline_ns_ = 0;  // 0: none
  std::atomic<bool> timed_out_{false};
  std::string failed_member_;

  Status compute(const NodeItem& item, Entry* in, Entry* out);
  Status run_unfused(const UnfusedGroup& group, Entry* in, Entry* out);
};

// Reads a ref entry's variable into a tensor that aliases its buffer.
Status deref(Entry* e);

}  // namespace metarun
