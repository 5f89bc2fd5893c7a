#include "executor/executor.h"

#include <pthread.h>

#include <algorithm>
#include <cstdint>

#include "executor/plan.h"

namespace metarun {

Session::Session(std::shared_ptr<Graph> graph, int num_threads)
    : graph_(std::move(graph)),
      pool_(std::make_unique<ThreadPool>(num_threads > 0 ? num_threads : default_num_threads())) {}

Session::~Session() {
  if (profiling_enabled()) profile_.print();
}

size_t Session::num_cached_plans() {
  std::lock_guard<std::mutex> lock(plans_mu_);
  return plans_.size();
}

Status Session::get_plan(const std::vector<Edge>& feeds, const std::vector<Edge>& fetches,
                         const std::vector<int>& targets, std::shared_ptr<const Plan>* plan) {
  std::string key;
  key.reserve(8 * (feeds.size() + fetches.size() + targets.size()) + 3);
  auto put = [&key](int v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); };
  for (const Edge& e : feeds) put(e.node), put(e.index);
  key.push_back('|');
  for (const Edge& e : fetches) put(e.node), put(e.index);
  key.push_back('|');
  for (int t : targets) put(t);
  {
    std::lock_guard<std::mutex> lock(plans_mu_);
    auto it = plans_.find(key);
    if (it != plans_.end()) {
      *plan = it->second;
      return Status();
    }
  }
  std::unique_ptr<Plan> built;
  MR_RETURN_IF_ERROR(build_plan(*graph_, feeds, fetches, targets, &built));
  std::shared_ptr<const Plan> shared(std::move(built));
  std::lock_guard<std::mutex> lock(plans_mu_);
  plans_.emplace(key, shared);
  *plan = std::move(shared);
  return Status();
}


Status Session::prepare(const std::vector<Edge>& feeds, const std::vector<Edge>& fetches,
                        const std::vector<int>& targets, std::shared_ptr<const Plan>* plan) {
  return get_plan(feeds, fetches, targets, plan);
}

RunResult Session::run(const std::vector<Edge>& feeds, const std::vector<Tensor>& feed_values,
                       const std::vector<Edge>& fetches, const std::vector<int>& targets, const IoPolicy* io) {
  std::shared_ptr<const Plan> plan;
  Status st = get_plan(feeds, fetches, targets, &plan);
  if (!st.ok()) {
    RunResult result;
    result.status = st;
    return result;
  }
  return execute(*plan, feed_values, 0, io);
}

namespace {

// Registers a run for `cancel` and drops its step resources however it ends.
class ActiveRun {
 public:
  ActiveRun(std::mutex* mu, std::vector<RunState*>* runs, RunState* run, ResourceMgr* resources,
            int64_t step_id)
      : mu_(mu), runs_(runs), run_(run), resources_(resources), step_id_(step_id) {
    std::lock_guard<std::mutex> lock(*mu_);
    runs_->push_back(run_);
  }
  ~ActiveRun() {
    {
      std::lock_guard<std::mutex> lock(*mu_);
      auto it = std::find(runs_->begin(), runs_->end(), run_);
      *it = runs_->back();
      runs_->pop_back();
    }
    resources_->erase_prefix(step_resource_prefix(step_id_));
  }

 private:
  std::mutex* mu_;
  std::vector<RunState*>* runs_;
  RunState* run_;
  ResourceMgr* resources_;
  int64_t step_id_;
};

}  // namespace

void Session::cancel() {
  std::lock_guard<std::mutex> lock(runs_mu_);
  for (RunState* run : runs_) run->cancel();
}

RunResult Session::execute(const Plan& plan, const std::vector<Tensor>& feed_values, int64_t timeout_ms,
                           const IoPolicy* io) {
  if (static_cast<int>(feed_values.size()) != plan.num_feeds) {
    RunResult result;
    result.status = invalid_argument(str_cat("Expected ", plan.num_feeds, " feed values, got ", feed_values.size()));
    return result;
  }
  const int64_t step_id = next_step_id_.fetch_add(1);
  RunState run(&resources_, pool_.get(), step_id, &profile_, interrupt_check_ ? &interrupt_check_ : nullptr);
  if (timeout_ms > 0) run.set_deadline(RunState::now_ns() + timeout_ms * 1'000'000);
  run.set_io_policy(io);
  ActiveRun active(&runs_mu_, &runs_, &run, &resources_, step_id);
  if (plan.loop) return run_loop_plan(*plan.loop, run, feed_values);
  return run_plain(plan, run, feed_values);
}

// ---- function calls ----

namespace {

// Bytes of this thread's stack below the current frame (its lowest address
// is read once per thread).
size_t stack_left() {
  thread_local const uintptr_t low = [] {
    uintptr_t lowest = 0;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      void* addr = nullptr;
      size_t size = 0;
      if (pthread_attr_getstack(&attr, &addr, &size) == 0) lowest = reinterpret_cast<uintptr_t>(addr);
      pthread_attr_destroy(&attr);
    }
    return lowest;
  }();
  char here;
  const uintptr_t sp = reinterpret_cast<uintptr_t>(&here);
  return low && sp > low ? sp - low : SIZE_MAX;
}

// A nested call needs at most this much stack (several times what one level
// takes, sanitizer builds included).
constexpr size_t kCallStackReserve = 1 << 20;

Status compiled_plan(const Function& f, const Plan** out) {
  std::call_once(f.compiled_once, [&f] {
    std::unique_ptr<Plan> built;
    f.compile_status = build_plan(*f.body, f.args, f.rets, f.control_rets, &built);
    if (f.compile_status.ok()) f.compiled = std::shared_ptr<const Plan>(std::move(built));
  });
  if (!f.compile_status.ok()) return f.compile_status;
  *out = static_cast<const Plan*>(f.compiled.get());
  return Status();
}

}  // namespace

Status RunState::call(const Function& f, std::vector<Tensor> args, std::vector<Tensor>* rets) {
  const Plan* plan = nullptr;
  MR_RETURN_IF_ERROR(compiled_plan(f, &plan));
  if (args.size() != f.args.size())
    return invalid_argument(str_cat("Function ", f.name, " takes ", f.args.size(), " arguments, got ", args.size()));
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].dtype() != f.arg_types[i])
      return invalid_argument(str_cat("Argument ", i, " of function ", f.name, " must be ",
                                      dtype_name(f.arg_types[i]), ", got ", dtype_name(args[i].dtype())));
  if (depth_ >= kMaxCallDepth || stack_left() < kCallStackReserve)
    return Status(Code::kResourceExhausted, str_cat("Function calls nest too deep (", depth_, " levels, at most ",
                                                    kMaxCallDepth, " and the thread's stack) calling ", f.name,
                                                    ": a recursion without a base case?"));
  RunState child(this);
  RunResult r = plan->loop ? run_loop_plan(*plan->loop, child, std::move(args)) : run_plain(*plan, child, std::move(args));
  if (!r.status.ok()) {
    // The innermost failing node names the place; outer calls add nothing.
    if (r.failed_node.empty() || r.status.message().find("(in function ") != std::string::npos) return r.status;
    return Status(r.status.code(), str_cat(r.status.message(), "\n\t [[{{node ", r.failed_node, "}}]] (in function ", f.name, ")"));
  }
  *rets = std::move(r.outputs);
  return Status();
}

}  // namespace metarun
