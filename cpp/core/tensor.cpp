#include "core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unistd.h>
#include <unordered_map>

namespace metarun {

namespace {

// The element count of `s`, or -1 (negative dim) / -2 (overflow).
int64_t checked_count(const Shape& s) {
  int64_t nonzero = 1;
  bool zero = false;
  for (int64_t d : s) {
    if (d < 0) return -1;
    if (d == 0) zero = true;
    else if (__builtin_mul_overflow(nonzero, d, &nonzero)) return -2;
  }
  return zero ? 0 : nonzero;
}

}  // namespace

Status check_shape(const Shape& s) {
  int64_t n = checked_count(s);
  if (n == -1) {
    for (int64_t d : s)
      if (d < 0) return invalid_argument(str_cat("Dimension ", d, " must be >= 0"));
  }
  if (n == -2) return invalid_argument(str_cat("Shape ", shape_str(s), " would have more than 2**63 - 1 elements"));
  return Status();
}

int64_t num_elements(const Shape& s) {
  int64_t n = checked_count(s);
  return n < 0 ? -1 : n;
}

int64_t dims_product(const int64_t* s, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end; ++i)
    if (__builtin_mul_overflow(n, s[i], &n)) return -1;
  return n;
}

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ",";
    out += s[i] < 0 ? std::string("?") : std::to_string(s[i]);
  }
  return out + "]";
}

namespace {

struct SmallBuffer : Buffer {
  static constexpr size_t kBytes = 64;
  explicit SmallBuffer(size_t nbytes) : Buffer(storage, nbytes, nullptr) {}
  alignas(16) char storage[kBytes];
};

template <class T>
std::shared_ptr<Buffer> object_buffer(int64_t n) {
  T* p = new T[n > 0 ? n : 1];
  return std::make_shared<Buffer>(p, n * sizeof(T), [](void* q) { delete[] static_cast<T*>(q); });
}

// Large buffers are kept for reuse instead of going back to the OS: a fresh
// mapping costs a page fault per 4 KiB on first write, which made big
// elementwise outputs twice as slow as the arithmetic. Bounded in total size.
class BufferCache {
 public:
  static BufferCache& get() {
    static BufferCache* cache = new BufferCache();  // never destroyed: buffers may outlive statics
    return *cache;
  }
  void* take(size_t bytes) {
    if (bytes >= kMinBytes) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(bytes);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        held_ -= bytes;
        return p;
      }
    }
    return std::aligned_alloc(64, bytes);
  }
  void give(void* p, size_t bytes) {
    if (bytes >= kMinBytes) {
      std::lock_guard<std::mutex> lock(mu_);
      if (held_ + bytes <= kMaxHeld) {
        free_[bytes].push_back(p);
        held_ += bytes;
        return;
      }
    }
    std::free(p);
  }

 private:
  static constexpr size_t kMinBytes = 256 * 1024;
  static constexpr size_t kMaxHeld = 256u * 1024 * 1024;
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t held_ = 0;
};

}  // namespace

namespace {

// Physical memory: a request beyond it can never be met, and on an
// overcommitting system would only fail later, in the OOM killer.
size_t max_allocation() {
  static const size_t limit = [] {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : SIZE_MAX / 2;
  }();
  return limit;
}

[[noreturn]] void throw_oom(DType dtype, const Shape& shape) {
  throw StatusError(Status(Code::kResourceExhausted,
                           str_cat("OOM when allocating tensor with shape", shape_str(shape), " and type ",
                                   dtype_name(dtype), " on /job:localhost/replica:0/task:0/device:CPU:0 by allocator cpu")));
}

size_t element_size(DType dtype) {
  switch (dtype) {
    case DType::kString: return sizeof(std::string);
    case DType::kResource: return sizeof(ResourceHandle);
    case DType::kVariant: return sizeof(Variant);
    default: return dtype_size(dtype);
  }
}

// The element count of a shape a tensor of `dtype` may have, or throws.
int64_t allocatable_count(DType dtype, const Shape& shape) {
  int64_t n = checked_count(shape);
  if (n < 0) throw StatusError(check_shape(shape));
  size_t bytes;
  if (__builtin_mul_overflow(static_cast<size_t>(n), element_size(dtype), &bytes) || bytes > max_allocation())
    throw_oom(dtype, shape);
  return n;
}

}  // namespace

size_t max_allocation_bytes() { return max_allocation(); }

Status oom_status(DType dtype, const Shape& shape) {
  try {
    throw_oom(base_type(dtype), shape);
  } catch (const StatusError& e) {
    return e.status();
  }
}

Tensor::Tensor(DType dtype, Shape shape, std::shared_ptr<Buffer> buffer)
    : dtype_(base_type(dtype)), shape_(std::move(shape)), buf_(std::move(buffer)) {
  int64_t n = checked_count(shape_);
  if (n < 0) throw StatusError(check_shape(shape_));
  if (buf_ && static_cast<uint64_t>(n) > buf_->nbytes() / std::max<size_t>(1, element_size(dtype_)))
    throw StatusError(internal_error(str_cat("A tensor of shape ", shape_str(shape_), " and type ", dtype_name(dtype_),
                                             " does not fit its buffer of ", buf_->nbytes(), " bytes")));
}

namespace {
thread_local const std::shared_ptr<MemoryBudget>* t_budget = nullptr;
thread_local const std::string* t_node = nullptr;
// ChargeScopes open with a budget in any thread: while 0, allocations skip the
// thread-local lookup (a call into the TLS resolver in a shared library).
std::atomic<int> g_charging{0};

bool charging() { return g_charging.load(std::memory_order_relaxed) != 0 && t_budget != nullptr; }

// Charges `bytes` to the scope's budget, or throws when they do not fit.
void charge(DType dtype, const Shape& shape, int64_t bytes) {
  MemoryBudget& b = **t_budget;
  int64_t live = b.live.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  if (live > b.limit) {
    b.live.fetch_sub(bytes, std::memory_order_relaxed);
    throw StatusError(Status(Code::kResourceExhausted,
                             str_cat("OOM when allocating tensor with shape", shape_str(shape), " and type ",
                                     dtype_name(dtype), " for node '", t_node ? *t_node : std::string("?"), "': ",
                                     bytes, " bytes more would hold ", live, " bytes of tensors, past the budget of ",
                                     b.limit, " bytes")));
  }
  int64_t peak = b.peak.load(std::memory_order_relaxed);
  while (live > peak && !b.peak.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}

// `inner`, with its bytes given back to the budget when it is freed.
std::shared_ptr<Buffer> charged(std::shared_ptr<Buffer> inner, int64_t bytes) {
  void* data = inner->data();
  size_t nbytes = inner->nbytes();
  return std::make_shared<Buffer>(data, nbytes, [inner = std::move(inner), budget = *t_budget, bytes](void*) mutable {
    inner.reset();
    budget->live.fetch_sub(bytes, std::memory_order_relaxed);
  });
}
}  // namespace

ChargeScope::ChargeScope(const std::shared_ptr<MemoryBudget>* budget, const std::string* node)
    : saved_budget_(t_budget), saved_node_(t_node) {
  t_budget = budget && *budget ? budget : nullptr;
  t_node = node;
  g_charging.fetch_add(1, std::memory_order_relaxed);
}

ChargeScope::~ChargeScope() {
  t_budget = saved_budget_;
  t_node = saved_node_;
  g_charging.fetch_sub(1, std::memory_order_relaxed);
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(base_type(dtype)), shape_(std::move(shape)) {
  if (charging()) {
    // The budget speaks first: its message has the figures the user set.
    int64_t n = checked_count(shape_);
    if (n < 0) throw StatusError(check_shape(shape_));
    int64_t bytes;
    if (__builtin_mul_overflow(n, static_cast<int64_t>(element_size(dtype_)), &bytes)) throw_oom(dtype_, shape_);
    charge(dtype_, shape_, bytes);
    try {
      Tensor plain = uncharged(dtype_, shape_);
      buf_ = charged(plain.buf_, bytes);
    } catch (...) {
      (*t_budget)->live.fetch_sub(bytes, std::memory_order_relaxed);
      throw;
    }
    return;
  }
  allocate(allocatable_count(dtype_, shape_));
}

Tensor Tensor::uncharged(DType dtype, const Shape& shape) {
  const std::shared_ptr<MemoryBudget>* saved = t_budget;
  t_budget = nullptr;
  try {
    Tensor t(dtype, shape);
    t_budget = saved;
    return t;
  } catch (...) {
    t_budget = saved;
    throw;
  }
}

void Tensor::allocate(int64_t n) {
  try {
    switch (dtype_) {
      case DType::kString: buf_ = object_buffer<std::string>(n); return;
      case DType::kResource: buf_ = object_buffer<ResourceHandle>(n); return;
      case DType::kVariant: buf_ = object_buffer<Variant>(n); return;
      default: break;
    }
  } catch (const std::bad_alloc&) {
    throw_oom(dtype_, shape_);
  }
  size_t nbytes = static_cast<size_t>(n) * dtype_size(dtype_);
  if (nbytes <= SmallBuffer::kBytes) {
    // Scalars and tiny tensors: one allocation for the buffer and its bytes.
    buf_ = std::make_shared<SmallBuffer>(nbytes);
    return;
  }
  // 64-byte alignment suits SIMD loads and BLAS; aligned_alloc needs a multiple.
  size_t alloc = nbytes ? (nbytes + 63) / 64 * 64 : 64;
  void* p = BufferCache::get().take(alloc);
  if (!p) throw_oom(dtype_, shape_);
  buf_ = std::make_shared<Buffer>(p, nbytes, [alloc](void* q) { BufferCache::get().give(q, alloc); });
}

void Tensor::copy_from(const Tensor& src) {
  if (dtype_ == DType::kString) {
    auto* d = data<std::string>();
    const auto* s = src.data<std::string>();
    for (int64_t i = 0, n = num_elements(); i < n; ++i) d[i] = s[i];
  } else if (dtype_ == DType::kResource) {
    auto* d = data<ResourceHandle>();
    const auto* s = src.data<ResourceHandle>();
    for (int64_t i = 0, n = num_elements(); i < n; ++i) d[i] = s[i];
  } else if (dtype_ == DType::kVariant) {
    auto* d = data<Variant>();
    const auto* s = src.data<Variant>();
    for (int64_t i = 0, n = num_elements(); i < n; ++i) d[i] = s[i];
  } else if (nbytes()) {
    std::memcpy(raw(), src.raw(), nbytes());
  }
}

Tensor Tensor::deep_copy() const {
  Tensor out(dtype_, shape_);
  out.copy_from(*this);
  return out;
}

int64_t index_at(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kInt32: return t.data<int32_t>()[i];
    case DType::kInt64: return t.data<int64_t>()[i];
    case DType::kInt16: return t.data<int16_t>()[i];
    case DType::kInt8: return t.data<int8_t>()[i];
    case DType::kUInt8: return t.data<uint8_t>()[i];
    case DType::kUInt16: return t.data<uint16_t>()[i];
    case DType::kUInt32: return t.data<uint32_t>()[i];
    case DType::kUInt64: return static_cast<int64_t>(t.data<uint64_t>()[i]);
    default: return 0;
  }
}

template <class V>
Status read_index_vector(const Tensor& t, V* out, const char* what) {
  if (t.dtype() != DType::kInt32 && t.dtype() != DType::kInt64)
    return invalid_argument(str_cat(what, " must be int32 or int64, got ", dtype_name(t.dtype())));
  if (t.rank() > 1)
    return invalid_argument(str_cat(what, " must be a vector, got shape ", shape_str(t.shape())));
  out->resize(t.num_elements());
  for (int64_t i = 0; i < t.num_elements(); ++i) (*out)[i] = index_at(t, i);
  return Status();
}

Status tensor_to_vector(const Tensor& t, std::vector<int64_t>* out, const char* what) {
  return read_index_vector(t, out, what);
}
Status tensor_to_vector(const Tensor& t, Shape* out, const char* what) { return read_index_vector(t, out, what); }

}  // namespace metarun
