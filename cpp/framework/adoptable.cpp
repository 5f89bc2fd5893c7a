#include "framework/adoptable.h"

#include <mutex>
#include <unordered_set>

namespace metarun {
namespace {

// Few buffers are marked at a time (one restore's outputs, until assigned).
struct Marks {
  std::mutex mu;
  std::unordered_set<const Buffer*> set;
};

Marks& marks() {
  static Marks* m = new Marks();  // never destroyed: deleters may run at exit
  return *m;
}

}  // namespace

void mark_adoptable(const Buffer* buffer) {
  Marks& m = marks();
  std::lock_guard<std::mutex> lock(m.mu);
  m.set.insert(buffer);
}

void unmark_adoptable(const Buffer* buffer) {
  Marks& m = marks();
  std::lock_guard<std::mutex> lock(m.mu);
  m.set.erase(buffer);
}

bool take_adoptable(const Tensor& t) {
  if (!t.valid() || t.buffer().use_count() != 1) return false;
  Marks& m = marks();
  std::lock_guard<std::mutex> lock(m.mu);
  return m.set.erase(t.buffer().get()) == 1;
}

}  // namespace metarun
