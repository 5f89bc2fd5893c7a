#include "core/threadpool.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>

namespace metarun {

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::max(1, num_threads)) {
  for (int i = 1; i < num_threads_; ++i) threads_.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::worker() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_ && queue_.empty()) return;
      task = std::move(queue_.back());
      queue_.pop_back();
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
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int64_t c = 1; c < chunks; ++c) queue_.push_back(work);
  }
  cv_.notify_all();
  work();
  std::unique_lock<std::mutex> lock(shared->mu);
  shared->cv.wait(lock, [&] { return shared->done.load() == chunks; });
  if (shared->error) std::rethrow_exception(shared->error);
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
