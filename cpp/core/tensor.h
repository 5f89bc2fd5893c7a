// Tensor: a dtype, a shape and a reference-counted buffer. Copying a Tensor
// shares the buffer; `deep_copy` duplicates it. Buffers may wrap memory owned
// elsewhere (a numpy array, an mmapped file): the deleter releases the owner.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/shape.h"
#include "core/status.h"

namespace metarun {

// The one place dims are multiplied. A shape is valid when every dim is >= 0
// and the product of its nonzero dims fits in int64 (so no partial product a
// kernel takes of a tensor's dims can overflow either).
Status check_shape(const Shape& s);
// The element count of a valid shape; -1 for a shape check_shape rejects.
int64_t num_elements(const Shape& s);
// The product of dims [begin, end) of a valid shape.
int64_t dims_product(const int64_t* dims, size_t begin, size_t end);
inline int64_t dims_product(const Shape& s, size_t begin, size_t end) { return dims_product(s.data(), begin, end); }
inline int64_t dims_product(const std::vector<int64_t>& s, size_t begin, size_t end) {
  return dims_product(s.data(), begin, end);
}
std::string shape_str(const Shape& s);  // "[2,3]", TF's format
// The most bytes one allocation may ask for (the machine's physical memory),
// and TF's OOM status for a tensor that would need more. For code that
// gathers a tensor's parts before building it (a batch).
size_t max_allocation_bytes();
Status oom_status(DType dtype, const Shape& shape);

// Thrown where a Status cannot be returned: by the Tensor constructor for a
// shape that is invalid or too large to allocate. The executor turns it into
// the failing node's error.
class StatusError : public std::exception {
 public:
  explicit StatusError(Status s) : status_(std::move(s)) {}
  const Status& status() const { return status_; }
  const char* what() const noexcept override { return status_.message().c_str(); }

 private:
  Status status_;
};

// A cap on the tensor bytes kernels may hold: buffers allocated while a
// ChargeScope names it are charged to it until they are freed (a variable's
// value stays charged while the variable holds it). An allocation that would
// take `live` past `limit` throws ResourceExhausted naming the node instead.
struct MemoryBudget {
  explicit MemoryBudget(int64_t limit_bytes) : limit(limit_bytes) {}
  const int64_t limit;
  std::atomic<int64_t> live{0};
  std::atomic<int64_t> peak{0};
};

// While alive, Tensor allocations on this thread are charged to `budget`
// and blamed on `node` (the executor opens one around each kernel it runs
// under a budget). Nests; a null budget charges nothing.
class ChargeScope {
 public:
  ChargeScope(const std::shared_ptr<MemoryBudget>* budget, const std::string* node);
  ~ChargeScope();
  ChargeScope(const ChargeScope&) = delete;
  ChargeScope& operator=(const ChargeScope&) = delete;

 private:
  const std::shared_ptr<MemoryBudget>* saved_budget_;
  const std::string* saved_node_;
};

class Buffer {
 public:
  using Deleter = std::function<void(void*)>;
  Buffer(void* data, size_t nbytes, Deleter deleter)
      : data_(data), nbytes_(nbytes), deleter_(std::move(deleter)) {}
  ~Buffer() {
    if (deleter_) deleter_(data_);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  // Memory someone outside the executor may still see or that may be read-only
  // (a numpy array the caller keeps, a mapped file): kernels never write into it.
  bool borrowed() const { return borrowed_; }
  void set_borrowed() { borrowed_ = true; }

 private:
  void* data_;
  size_t nbytes_;
  Deleter deleter_;
  bool borrowed_ = false;
};

class Tensor {
 public:
  Tensor() = default;
  // Allocates an uninitialized (POD) or default-constructed (object) buffer.
  // Throws StatusError: InvalidArgument for an invalid shape, ResourceExhausted
  // (TF's OOM message) when the bytes cannot be had.
  Tensor(DType dtype, Shape shape);
  // A view of `buffer`; throws StatusError unless the shape is valid and its
  // elements fit in the buffer.
  Tensor(DType dtype, Shape shape, std::shared_ptr<Buffer> buffer);

  template <class T>
  static Tensor scalar(T value) {
    Tensor t(dtype_of<T>, {});
    *t.data<T>() = value;
    return t;
  }

  bool valid() const { return buf_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_[i]; }
  int64_t num_elements() const { return metarun::num_elements(shape_); }
  size_t nbytes() const { return buf_ ? buf_->nbytes() : 0; }

  void* raw() const { return buf_ ? buf_->data() : nullptr; }
  template <class T> T* data() const { return static_cast<T*>(raw()); }
  // The one element of a tensor holding exactly one (callers check that:
  // see scalar_input in framework/kernel.h).
  template <class T> T scalar_value() const { return *data<T>(); }

  const std::shared_ptr<Buffer>& buffer() const { return buf_; }
  // Same buffer, new shape with the same number of elements.
  Tensor reshaped(Shape shape) const { return Tensor(dtype_, std::move(shape), buf_); }
  Tensor deep_copy() const;
  // Copies the elements of `src` (same dtype and element count) into this.
  void copy_from(const Tensor& src);

 private:
  static Tensor uncharged(DType dtype, const Shape& shape);
  void allocate(int64_t n);

  DType dtype_ = DType::kInvalid;
  Shape shape_;
  std::shared_ptr<Buffer> buf_;
};

// Reads element i of an integer tensor of any index type as int64.
int64_t index_at(const Tensor& t, int64_t i);
// Reads an int32/int64 vector (or scalar) tensor into a Shape-like vector.
Status tensor_to_vector(const Tensor& t, std::vector<int64_t>* out, const char* what);
Status tensor_to_vector(const Tensor& t, Shape* out, const char* what);

}  // namespace metarun
