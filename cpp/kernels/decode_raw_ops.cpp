// DecodeRaw (and DecodePaddedRaw, below): each string of `bytes` reinterpreted as a vector of out_type
// (the raw-record decoding of tf.data pipelines over TFRecord and
// fixed-length files). All strings must have one size, a multiple of the
// element size; a big-endian request swaps the bytes of each element (of each
// half of a complex element), as TF does.
#include <algorithm>
#include <cstring>

#include "framework/registry.h"

namespace metarun {
namespace {

bool decodable(DType t) {
  switch (t) {
    case DType::kHalf: case DType::kFloat: case DType::kDouble: case DType::kInt32: case DType::kUInt16:
    case DType::kUInt8: case DType::kInt16: case DType::kInt8: case DType::kInt64: case DType::kComplex64:
    case DType::kComplex128: case DType::kBool: case DType::kBFloat16:
      return true;
    default:
      return false;
  }
}

class DecodeRawOp : public OpKernel {
 public:
  explicit DecodeRawOp(KernelInit& init) {
    init.get("out_type", &out_type_);
    bool little = true;
    if (init.has_attr("little_endian")) init.get("little_endian", &little);
    swap_ = !little;  // the host is little-endian
    if (init.status().ok() && !decodable(out_type_))
      init.fail(invalid_argument(str_cat("DecodeRaw does not support out_type ", dtype_name(out_type_))));
  }

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    if (in.dtype() != DType::kString) return invalid_argument("DecodeRaw: bytes must be a string tensor");
    const std::string* s = in.data<std::string>();
    const int64_t n = in.num_elements();
    int64_t size = -1;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t len = static_cast<int64_t>(s[i].size());
      if (size == -1) size = len;
      else if (len != size)
        return invalid_argument(str_cat("DecodeRaw requires input strings to all be the same size, but element ", i,
                                        " has size ", size, " != ", len));
    }
    Shape shape = in.shape();
    if (size <= 0) {
      shape.push_back(0);
      ctx.allocate_output(0, std::move(shape));
      return Status();
    }
    const int64_t esize = static_cast<int64_t>(dtype_size(out_type_));
    if (size % esize != 0)
      return invalid_argument(str_cat("Input to DecodeRaw has length ", size, " that is not a multiple of ", esize,
                                      ", the size of ", dtype_name(out_type_)));
    shape.push_back(size / esize);
    Tensor& out = ctx.allocate_output(0, std::move(shape));
    char* dst = static_cast<char*>(out.raw());
    if (!swap_ || esize == 1) {
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * size, s[i].data(), size);
      return Status();
    }
    const bool complex = out_type_ == DType::kComplex64 || out_type_ == DType::kComplex128;
    const int64_t unit = complex ? esize / 2 : esize;
    for (int64_t i = 0; i < n; ++i) {
      const char* p = s[i].data();
      char* q = dst + i * size;
      for (int64_t b = 0; b < size; b += unit) std::reverse_copy(p + b, p + b + unit, q + b);
    }
    return Status();
  }

 private:
  DType out_type_ = DType::kInvalid;
  bool swap_ = false;
};

// DecodePaddedRaw: each string's first fixed_length bytes (zero-padded when
// shorter) as a vector of out_type. TF's CPU build has it for the integer
// types, float, double and bfloat16, not half.
class DecodePaddedRawOp : public OpKernel {
 public:
  explicit DecodePaddedRawOp(KernelInit& init) {
    init.get("out_type", &out_type_);
    bool little = true;
    if (init.has_attr("little_endian")) init.get("little_endian", &little);
    swap_ = !little;
    if (init.status().ok() && (!decodable(out_type_) || out_type_ == DType::kHalf || out_type_ == DType::kBool ||
                               out_type_ == DType::kComplex64 || out_type_ == DType::kComplex128))
      init.fail(invalid_argument(str_cat("DecodePaddedRaw does not support out_type ", dtype_name(out_type_))));
  }

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& len = ctx.input(1);
    if (in.dtype() != DType::kString) return invalid_argument("DecodePaddedRaw: input_bytes must be strings");
    if (len.dtype() != DType::kInt32 || len.num_elements() != 1)
      return invalid_argument("DecodePaddedRaw: fixed_length must be an int32 scalar");
    const int64_t fixed = len.data<int32_t>()[0];
    const int64_t esize = static_cast<int64_t>(dtype_size(out_type_));
    if (fixed <= 0) return invalid_argument(str_cat("fixed_length (", fixed, ") must be greater than zero."));
    if (fixed % esize != 0)
      return invalid_argument(str_cat("fixed_length (", fixed, ") must be a multiple of the size of out_type (",
                                      esize, ")"));
    Shape shape = in.shape();
    shape.push_back(fixed / esize);
    Tensor& out = ctx.allocate_output(0, std::move(shape));
    char* dst = static_cast<char*>(out.raw());
    const std::string* s = in.data<std::string>();
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      char* q = dst + i * fixed;
      const int64_t n = std::min<int64_t>(fixed, static_cast<int64_t>(s[i].size()));
      std::memcpy(q, s[i].data(), n);
      std::memset(q + n, 0, fixed - n);
      if (swap_ && esize > 1)
        for (int64_t b = 0; b < fixed; b += esize) std::reverse(q + b, q + b + esize);
    }
    return Status();
  }

 private:
  DType out_type_ = DType::kInvalid;
  bool swap_ = false;
};

}  // namespace

void register_decode_raw_ops(Registry& r) {
  r.add("DecodeRaw", make_kernel<DecodeRawOp>);
  r.add("DecodePaddedRaw", make_kernel<DecodePaddedRawOp>);
}

}  // namespace metarun
