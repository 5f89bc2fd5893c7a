#include "core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace metarun {

int64_t num_elements(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
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

Tensor::Tensor(DType dtype, Shape shape) : dtype_(base_type(dtype)), shape_(std::move(shape)) {
  int64_t n = metarun::num_elements(shape_);
  switch (dtype_) {
    case DType::kString: buf_ = object_buffer<std::string>(n); return;
    case DType::kResource: buf_ = object_buffer<ResourceHandle>(n); return;
    default: break;
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
  if (!p) throw std::bad_alloc();
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
