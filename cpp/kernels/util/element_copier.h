// Type-agnostic element copies for data-movement kernels (gather, stitch,
// partition): plain types move as bytes, strings and handles as objects. One
// kernel then serves every dtype without a template per type.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "core/tensor.h"

namespace metarun {

// The type that moves a T: an unsigned integer (or a pair of them) of T's
// size for plain-old-data dtypes, strings and handles as themselves. A kernel
// that only moves elements runs on Storage<T> and is compiled once per
// element size instead of once per dtype; it copies T's bits unchanged, and
// Storage<T>() is all-zero bits like T() of every POD dtype.
struct Bytes16 {
  uint64_t lo = 0, hi = 0;
};
template <class T> struct StorageOf {
  using type = std::conditional_t<sizeof(T) == 1, uint8_t,
               std::conditional_t<sizeof(T) == 2, uint16_t,
               std::conditional_t<sizeof(T) == 4, uint32_t,
               std::conditional_t<sizeof(T) == 8, uint64_t, Bytes16>>>>;
  static_assert(std::is_trivially_copyable_v<T> && sizeof(type) == sizeof(T), "T does not move as its bytes");
};
template <> struct StorageOf<std::string> { using type = std::string; };
template <> struct StorageOf<ResourceHandle> { using type = ResourceHandle; };
template <class T> using Storage = typename StorageOf<T>::type;

class ElementCopier {
 public:
  explicit ElementCopier(DType t = DType::kInvalid)
      : type_(base_type(t)), size_(is_object_type(t) ? 0 : dtype_size(t)) {}

  // Copies n elements from element offset `src_at` of `src` to `dst_at` of `dst`.
  void copy(const Tensor& src, int64_t src_at, const Tensor& dst, int64_t dst_at, int64_t n) const {
    if (n <= 0) return;
    if (type_ == DType::kString) {
      const std::string* s = src.data<std::string>() + src_at;
      std::string* d = dst.data<std::string>() + dst_at;
      for (int64_t i = 0; i < n; ++i) d[i] = s[i];
    } else if (type_ == DType::kResource) {
      const ResourceHandle* s = src.data<ResourceHandle>() + src_at;
      ResourceHandle* d = dst.data<ResourceHandle>() + dst_at;
      for (int64_t i = 0; i < n; ++i) d[i] = s[i];
    } else {
      std::memcpy(static_cast<char*>(dst.raw()) + dst_at * size_,
                  static_cast<const char*>(src.raw()) + src_at * size_, n * size_);
    }
  }
  // Sets n elements of `dst` from `dst_at` to the zero value ("" for strings).
  void zero(const Tensor& dst, int64_t dst_at, int64_t n) const {
    if (n <= 0) return;
    if (type_ == DType::kString) {
      std::string* d = dst.data<std::string>() + dst_at;
      for (int64_t i = 0; i < n; ++i) d[i].clear();
    } else if (type_ == DType::kResource) {
      ResourceHandle* d = dst.data<ResourceHandle>() + dst_at;
      for (int64_t i = 0; i < n; ++i) d[i] = ResourceHandle();
    } else {
      std::memset(static_cast<char*>(dst.raw()) + dst_at * size_, 0, n * size_);
    }
  }
  // Sets n elements of `dst` from `dst_at` to element 0 of `value`.
  void fill(const Tensor& value, const Tensor& dst, int64_t dst_at, int64_t n) const {
    if (n <= 0) return;
    if (size_ == 0) {
      for (int64_t i = 0; i < n; ++i) copy(value, 0, dst, dst_at + i, 1);
      return;
    }
    char* d = static_cast<char*>(dst.raw()) + dst_at * size_;
    std::memcpy(d, value.raw(), size_);
    for (int64_t done = 1; done < n;) {  // doubling copies: log(n) memcpy calls
      const int64_t m = std::min(done, n - done);
      std::memcpy(d + done * size_, d, m * size_);
      done += m;
    }
  }
  // Rough cost in ns of copying one element, for parallel_for.
  double cost() const { return size_ ? 0.25 * static_cast<double>(size_) / 4 : 20.0; }
  DType type() const { return type_; }
  // Bytes between consecutive elements in a buffer.
  size_t stride() const {
    return type_ == DType::kString ? sizeof(std::string) : type_ == DType::kResource ? sizeof(ResourceHandle) : size_;
  }

 private:
  DType type_;
  size_t size_;
};

// Slice movers for hot gather loops: `move(dst, src)` copies one slice whose
// size is fixed for the whole call. Small plain slices get a fixed-size
// memcpy the compiler turns into one load and store.
template <size_t N> struct FixedMove {
  void operator()(char* d, const char* s) const { std::memcpy(d, s, N); }
};
struct BytesMove {
  size_t n;
  void operator()(char* d, const char* s) const { std::memcpy(d, s, n); }
};
template <class T> struct ObjectMove {
  int64_t n;
  void operator()(char* d, const char* s) const {
    std::copy_n(reinterpret_cast<const T*>(s), n, reinterpret_cast<T*>(d));
  }
};

// Calls f(move, slice_bytes) with the mover for slices of `slice` elements.
template <class F>
void with_slice_mover(const ElementCopier& c, int64_t slice, F&& f) {
  const size_t bytes = static_cast<size_t>(slice) * c.stride();
  switch (c.type()) {
    case DType::kString: return f(ObjectMove<std::string>{slice}, bytes);
    case DType::kResource: return f(ObjectMove<ResourceHandle>{slice}, bytes);
    default: break;
  }
  switch (bytes) {
    case 1: return f(FixedMove<1>{}, bytes);
    case 2: return f(FixedMove<2>{}, bytes);
    case 4: return f(FixedMove<4>{}, bytes);
    case 8: return f(FixedMove<8>{}, bytes);
    case 16: return f(FixedMove<16>{}, bytes);
    default: return f(BytesMove{bytes}, bytes);
  }
}

// TF's SliceDebugString: flat position `i` in `shape` as "[1,0]"; "" for a scalar.
inline std::string index_str(const Shape& shape, int64_t i) {
  if (shape.empty()) return "";
  std::vector<int64_t> pos(shape.size());
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    int64_t n = shape[d] > 0 ? shape[d] : 1;
    pos[d] = i % n;
    i /= n;
  }
  return shape_str(pos);
}

}  // namespace metarun
