// A tensor as the bytes of a TensorProto (tensor.proto: dtype = 1,
// tensor_shape = 2 {dim = 2 {size = 1}}, tensor_content = 4, the typed value
// fields float_val = 5 ... uint64_val = 17, string_val = 8), without a
// protobuf library: written as TF's AsProtoTensorContent + SerializeAsString
// writes it (so the bytes are TF's), and read back as TF's
// ParseProtoUnlimited + Tensor::FromProto read it. Used by SerializeTensor /
// ParseTensor and by the sparse serialization ops.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace metarun {

// The dtypes a TensorProto carries here: numbers, bool, string, quantized.
bool tensor_proto_supports(DType t);

// How strings are written: TF's AsProtoTensorContent packs them into the
// tensor_content (every length as a varint, then all the bytes);
// SerializeTensor writes one string_val per element instead.
enum class StringsAs { kContent, kStringVal };

// TF's bytes for `t`: dtype, shape, then one tensor_content of the raw
// elements (numbers, bools; strings as `strings` says); an empty tensor
// writes no content. `t`'s dtype must be supported.
void encode_tensor_proto(const Tensor& t, std::string* out, StringsAs strings = StringsAs::kContent);

// A TensorProto read from bytes, in two steps as TF fails in two ways: bytes
// that are no message at all, and a message that holds no valid tensor.
// Points into the bytes given to `parse`, which must outlive it.
class TensorProtoReader {
 public:
  // False for bytes protobuf would refuse to parse. Unknown fields are skipped
  // (they must still be well formed).
  bool parse(const std::string& data);
  // After a successful parse: whether Tensor::FromProto would accept it (a
  // supported dtype, a valid shape, content of the shape's size; content is
  // not looked at for an empty tensor).
  bool valid() const;
  DType dtype() const { return static_cast<DType>(dtype_); }
  Shape shape() const { return Shape(dims_.begin(), dims_.end()); }
  // The tensor of a valid proto: its content, else its typed values (fewer
  // than elements repeat the last, none gives zeros, more are cut, as TF's
  // FromProto does). Throws StatusError (OOM) as the Tensor constructor does.
  Tensor tensor() const;

 private:
  struct TypedField {
    uint32_t field, wire;
    std::string payload;
  };
  bool parse_shape(const char* s, size_t n);
  bool decode_typed(const std::vector<TypedField>& typed);
  // A string tensor's content split into its n elements (false unless the
  // lengths account for every byte).
  bool split_strings(int64_t n, std::vector<std::string>* out) const;

  int64_t dtype_ = 0;
  std::vector<int64_t> dims_;
  const char* content_ = nullptr;
  size_t content_size_ = 0;
  std::vector<uint64_t> words_;        // the dtype's typed field: varints and fixed values as bits
  std::vector<std::string> strings_;   // string_val
};

}  // namespace metarun
