#include "core/threadpool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <memory>

#include <sched.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace metarun {

namespace {

std::chrono::nanoseconds spin_limit() {
  static const std::chrono::nanoseconds limit = [] {
    int64_t us = 100;
    if (const char* v = std::getenv("METARUN_POOL_SPIN_US")) us = std::max(0, std::atoi(v));
    return std::chrono::nanoseconds(us * 1000);
  }();
  return limit;
}

// One step of a bounded spin: a few pauses, then the core is offered to any
// other runnable thread. On a quiet machine sched_yield returns at once; on
// a loaded one a spinning thread would otherwise burn the time slice (and
// the fair-share credit) that the threads doing the work need.
inline void spin_step(int i) {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
  if (i % 16 == 0) sched_yield();
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::max(1, num_threads)) {
  for (int i = 1; i < num_threads_; ++i) threads_.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

// True when work arrived (or the pool stops) within the spin limit. The
// clock is read every 16 pauses only.
bool ThreadPool::spin_for_work() {
  const auto limit = spin_limit();
  if (limit.count() <= 0) return false;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 1;; ++i) {
    if (queued_.load(std::memory_order_acquire) > 0 || stop_.load(std::memory_order_relaxed)) return true;
    spin_step(i);
    if (i % 16 == 0 && std::chrono::steady_clock::now() - start > limit) return false;
  }
}

void ThreadPool::worker() {
  for (;;) {
    spin_for_work();
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (queue_.empty() && !stop_.load()) {
        ++sleeping_;
        cv_.wait(lock, [this] { return stop_.load() || !queue_.empty(); });
        --sleeping_;
      }
      if (queue_.empty()) return;  // stopping
      task = std::move(queue_.back());
      queue_.pop_back();
      queued_.store(static_cast<int64_t>(queue_.size()), std::memory_order_release);
    }
    task();
  }
}

void ThreadPool::parallel_for(int64_t n, double cost_per_unit,
                              const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  // Below ~50us of work a hand-off costs more than it saves.
  double total = static_cast<double>(n) * cost_per_unit;
  int64_t chunks = std::min<int64_t>(num_threads_, std::max<int64_t>(1, static_cast<int64_t>(total / 50000.0)));
  chunks = std::min<int64_t>(chunks, n);
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  // Chunks are claimed from a shared counter by the caller and the workers
  // alike: when the other core is busy and a worker is slow to wake, the
  // caller runs that chunk itself instead of waiting for it.
  struct Shared {
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> done{0};
    std::mutex mu;
    std::condition_variable cv;
    std::exception_ptr error;  // the first chunk's exception, rethrown by the caller
  };
  auto shared = std::make_shared<Shared>();
  const int64_t step = (n + chunks - 1) / chunks;
  auto work = [shared, step, n, chunks, &fn] {
    for (;;) {
      int64_t c = shared->next.fetch_add(1);
      if (c >= chunks) return;
      int64_t b = c * step, e = std::min(n, b + step);
      if (b < e) {
        try {
          fn(b, e);
        } catch (...) {
          std::lock_guard<std::mutex> lock(shared->mu);
          if (!shared->error) shared->error = std::current_exception();
        }
      }
      if (shared->done.fetch_add(1) + 1 == chunks) {
        std::lock_guard<std::mutex> lock(shared->mu);
        shared->cv.notify_all();
      }
    }
  };
  // Workers that are still spinning take the tasks without a wake-up; only
  // sleeping ones need the futex call.
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int64_t c = 1; c < chunks; ++c) queue_.push_back(work);
    queued_.store(static_cast<int64_t>(queue_.size()), std::memory_order_release);
    wake = sleeping_ > 0;
  }
  if (wake) cv_.notify_all();
  work();
  // What is left is running on other threads and usually about to finish:
  // spin on it before sleeping.
  const auto limit = spin_limit();
  if (limit.count() > 0 && shared->done.load() != chunks) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 1; shared->done.load() != chunks; ++i) {
      spin_step(i);
      if (i % 16 == 0 && std::chrono::steady_clock::now() - start > limit) break;
    }
  }
  std::unique_lock<std::mutex> lock(shared->mu);
  shared->cv.wait(lock, [&] { return shared->done.load() == chunks; });
  if (shared->error) std::rethrow_exception(shared->error);
}

void ThreadPool::parallel_units(int64_t units, int workers, const std::function<void(int64_t)>& fn) {
  if (units <= 0) return;
  const int64_t w = std::min<int64_t>({static_cast<int64_t>(workers), static_cast<int64_t>(num_threads_), units});
  if (w <= 1) {
    for (int64_t u = 0; u < units; ++u) fn(u);
    return;
  }
  std::atomic<int64_t> next{0};
  parallel_for(w, 1e9, [&](int64_t, int64_t) {
    for (int64_t u = next.fetch_add(1); u < units; u = next.fetch_add(1)) fn(u);
  });
}

void parallel_for(ThreadPool* pool, int64_t n, double cost_per_unit, RangeFn fn) {
  if (pool) pool->parallel_for(n, cost_per_unit, fn);
  else if (n > 0) fn(0, n);
}

int default_num_threads() {
  if (const char* env = std::getenv("METARUN_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

}  // namespace metarun
