// SerializeTensor and ParseTensor: a tensor as the bytes of a TensorProto
// (the codec is kernels/util/tensor_proto.h, which writes TF's bytes and reads
// TF's own encoding or the typed value fields other writers use).
#include "framework/registry.h"
#include "kernels/util/tensor_proto.h"

namespace metarun {
namespace {

class SerializeTensorOp : public OpKernel {
 public:
  explicit SerializeTensorOp(KernelInit& init) {}
  Status compute(OpContext& ctx) override {
    const Tensor& t = ctx.input(0);
    if (!tensor_proto_supports(t.dtype()))
      return unimplemented(str_cat("SerializeTensor of a ", dtype_name(t.dtype()), " tensor is not supported"));
    // TF writes strings field by field here (AsProtoField), other dtypes as content
    encode_tensor_proto(t, &ctx.allocate_output(0, {}).data<std::string>()[0], StringsAs::kStringVal);
    return Status();
  }
};

std::string base64(const std::string& in) {
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kChars[(v >> s) & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {kChars[v >> 18], kChars[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {kChars[v >> 18], kChars[(v >> 12) & 63], kChars[(v >> 6) & 63], '='};
  }
  return out;
}

class ParseTensorOp : public OpKernel {
 public:
  explicit ParseTensorOp(KernelInit& init) { init.get("out_type", &out_type_); }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    if (in.dtype() != DType::kString || in.rank() != 0)
      return invalid_argument("Expected `serialized` to be a scalar, got shape: " + shape_str(in.shape()));
    const std::string& data = in.data<std::string>()[0];
    TensorProtoReader proto;
    if (!proto.parse(data))
      return invalid_argument("Could not parse `serialized` as TensorProto, base64: " + base64(data));
    // TF's message ends in the proto's debug string, which it does not print
    if (!proto.valid()) return invalid_argument("Cannot parse tensor from proto: ");
    if (proto.dtype() != out_type_)
      return invalid_argument(str_cat("Type mismatch between parsed tensor (", dtype_name(proto.dtype()),
                                      ") and dtype (", dtype_name(out_type_), ")"));
    ctx.set_output(0, proto.tensor());
    return Status();
  }

 private:
  DType out_type_ = DType::kInvalid;
};

}  // namespace

void register_tensor_proto_ops(Registry& r) {
  r.add("SerializeTensor", make_kernel<SerializeTensorOp>);
  r.add("ParseTensor", make_kernel<ParseTensorOp>);
}

}  // namespace metarun
