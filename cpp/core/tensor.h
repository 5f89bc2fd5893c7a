// Tensor: a dtype, a shape and a reference-counted buffer. Copying a Tensor
// shares the buffer; `deep_copy` duplicates it. Buffers may wrap memory owned
// elsewhere (a numpy array, an mmapped file): the deleter releases the owner.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/shape.h"

namespace metarun {

int64_t num_elements(const Shape& s);
std::string shape_str(const Shape& s);  // "[2,3]", TF's format

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

 private:
  void* data_;
  size_t nbytes_;
  Deleter deleter_;
};

class Tensor {
 public:
  Tensor() = default;
  // Allocates an uninitialized (POD) or default-constructed (object) buffer.
  Tensor(DType dtype, Shape shape);
  Tensor(DType dtype, Shape shape, std::shared_ptr<Buffer> buffer)
      : dtype_(base_type(dtype)), shape_(std::move(shape)), buf_(std::move(buffer)) {}

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
  template <class T> T scalar_value() const { return *data<T>(); }

  const std::shared_ptr<Buffer>& buffer() const { return buf_; }
  // Same buffer, new shape with the same number of elements.
  Tensor reshaped(Shape shape) const { return Tensor(dtype_, std::move(shape), buf_); }
  Tensor deep_copy() const;
  // Copies the elements of `src` (same dtype and element count) into this.
  void copy_from(const Tensor& src);

 private:
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
