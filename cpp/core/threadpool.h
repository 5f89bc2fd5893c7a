// A small fixed pool for intra-op parallelism. `parallel_for` splits [0, n)
// into contiguous chunks; the caller's thread takes a chunk too, so a pool of
// size 1 runs everything inline with no synchronisation.
//
// Hand-off: a worker that has just finished a task spins (with `pause`) for
// a short while before it sleeps, so kernels called back to back (a
// recurrent loop's per-step products) reach it without a futex wake-up.
// METARUN_POOL_SPIN_US (read once, default 100; 0 = sleep at once) bounds
// the spin.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace metarun {

class ThreadPool {
 public:
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }
  // Runs fn(begin, end) over chunks of [0, n); `cost_per_unit` (rough ns per
  // element) decides how many chunks are worth the hand-off. At most
  // num_threads() chunks; their boundaries depend on n and the cost only.
  // A chunk no thread has started yet is run by the caller, so a worker that
  // wakes late costs nothing but its share of the speed-up.
  void parallel_for(int64_t n, double cost_per_unit,
                    const std::function<void(int64_t, int64_t)>& fn);

  // Runs fn(u) for every u in [0, units) on up to `workers` threads (the
  // caller's included), each unit claimed in turn by whichever thread is
  // free: a late or descheduled thread just claims fewer units. What a unit
  // computes must not depend on the thread that runs it.
  void parallel_units(int64_t units, int workers, const std::function<void(int64_t)>& fn);

 private:
  void worker();
  bool spin_for_work();
  int num_threads_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> queue_;
  std::atomic<int64_t> queued_{0};  // queue_.size(), read by spinning workers without mu_
  int sleeping_ = 0;                // workers waiting on cv_ (guarded by mu_)
  std::atomic<bool> stop_{false};
};

// A reference to a callable fn(begin, end), without a copy of it: what
// OpContext::parallel_for hands on, so a kernel's loop body is compiled once,
// in one small call thunk, rather than in a std::function and again inline.
class RangeFn {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::remove_cv_t<F>, RangeFn>>>
  RangeFn(F& fn) : fn_(&fn), call_(&call<F>) {}
  void operator()(int64_t begin, int64_t end) const { call_(fn_, begin, end); }

 private:
  template <class F>
  static void call(const void* fn, int64_t begin, int64_t end) {
    (*static_cast<F*>(const_cast<void*>(fn)))(begin, end);
  }
  const void* fn_;
  void (*call_)(const void*, int64_t, int64_t);
};

// pool->parallel_for(n, cost_per_unit, fn), or fn(0, n) without a pool.
void parallel_for(ThreadPool* pool, int64_t n, double cost_per_unit, RangeFn fn);

// Default intra-op thread count: METARUN_NUM_THREADS, else the core count.
int default_num_threads();

}  // namespace metarun
