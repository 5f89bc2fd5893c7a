// Session: runs pruned subgraphs of a Graph. A plan is built once per
// (feeds, fetches, targets) signature: prune to what the fetches need, order
// topologically, resolve every edge to an integer slot and bind kernels.
// `run` then only moves tensors between slots and calls kernels, freeing
// each value after its last use. Plans are immutable, so several threads may
// run one session at once.
//
// Concurrent runs on one session: each run has its own values, so runs never
// see each other's intermediate tensors, and a kernel never sees a tensor
// handle torn by another run (variable handles are swapped under the
// variable's lock). Ref variables are shared and updated in place, exactly
// as in TensorFlow: an update with use_locking=true holds the variable's
// lock for its duration; one without may interleave element writes with a
// concurrent update or read of the same variable, as TF's may.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/threadpool.h"
#include "executor/node_exec.h"
#include "executor/profile.h"
#include "framework/graph.h"
#include "framework/resources.h"

namespace metarun {

struct Plan;

class Session {
 public:
  Session(std::shared_ptr<Graph> graph, int num_threads);
  ~Session();

  RunResult run(const std::vector<Edge>& feeds, const std::vector<Tensor>& feed_values,
                const std::vector<Edge>& fetches, const std::vector<int>& targets, const IoPolicy* io = nullptr);
  // The plan for a signature, built (and cached) now, for repeated `execute`.
  Status prepare(const std::vector<Edge>& feeds, const std::vector<Edge>& fetches,
                 const std::vector<int>& targets, std::shared_ptr<const Plan>* plan);
  // Runs a prepared plan; feed_values follow the plan's feed order. A run
  // lasting over `timeout_ms` (> 0) stops with DeadlineExceeded. Under `io`
  // (which must outlive the run) file access and tensor memory follow that
  // policy; null: TF's behaviour.
  RunResult execute(const Plan& plan, const std::vector<Tensor>& feed_values, int64_t timeout_ms = 0,
                    const IoPolicy* io = nullptr);
  // Asks every run in progress to stop at its next node boundary. Runs that
  // start later are not affected.
  void cancel();
  ResourceMgr& resources() { return resources_; }
  OpProfile* profile() { return &profile_; }
  // Asked every few tens of milliseconds during a long run; returning true
  // cancels that run (the Python binding uses it to honour Ctrl-C).
  void set_interrupt_check(std::function<bool()> check) { interrupt_check_ = std::move(check); }
  size_t num_cached_plans();

 private:
  Status get_plan(const std::vector<Edge>& feeds, const std::vector<Edge>& fetches,
                  const std::vector<int>& targets, std::shared_ptr<const Plan>* plan);

  std::shared_ptr<Graph> graph_;
  ResourceMgr resources_;
  std::unique_ptr<ThreadPool> pool_;
  std::mutex plans_mu_;
  std::unordered_map<std::string, std::shared_ptr<const Plan>> plans_;
  std::mutex runs_mu_;
  std::vector<RunState*> runs_;  // runs in progress, for `cancel`
  std::function<bool()> interrupt_check_;
  std::atomic<int64_t> next_step_id_{1};
  OpProfile profile_;
};

}  // namespace metarun
