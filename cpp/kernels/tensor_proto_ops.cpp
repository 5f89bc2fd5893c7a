// SerializeTensor and ParseTensor: a tensor as the bytes of a TensorProto
// (dtype = 1, tensor_shape = 2 {dim = 2 {size = 1}}, tensor_content = 4 for
// numbers and bools, one string_val = 8 per element of a string tensor),
// written field for field as TF writes it, so the bytes are TF's; and back,
// from TF's own encoding or from the typed value fields other writers use
// (float_val = 5 ... uint64_val = 17; fewer values than elements repeat the
// last, none gives zeros, more are cut, as TF's Tensor::FromProto does).
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "framework/registry.h"
#include "kernels/util/example_proto.h"

namespace metarun {
namespace {

void put_varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void put_bytes(std::string* out, uint32_t field, const char* data, size_t n) {
  put_varint(out, (field << 3) | 2);
  put_varint(out, n);
  out->append(data, n);
}

bool serializable(DType t) {
  switch (t) {
    case DType::kFloat: case DType::kDouble: case DType::kInt32: case DType::kUInt8: case DType::kInt16:
    case DType::kInt8: case DType::kString: case DType::kComplex64: case DType::kInt64: case DType::kBool:
    case DType::kBFloat16: case DType::kUInt16: case DType::kComplex128: case DType::kHalf: case DType::kUInt32:
    case DType::kUInt64: case DType::kQInt8: case DType::kQUInt8: case DType::kQInt32: case DType::kQInt16:
    case DType::kQUInt16:
      return true;
    default:
      return false;
  }
}

class SerializeTensorOp : public OpKernel {
 public:
  explicit SerializeTensorOp(KernelInit& init) {}
  Status compute(OpContext& ctx) override {
    const Tensor& t = ctx.input(0);
    if (!serializable(t.dtype()))
      return unimplemented(str_cat("SerializeTensor of a ", dtype_name(t.dtype()), " tensor is not supported"));
    std::string out;
    put_varint(&out, 1 << 3);
    put_varint(&out, static_cast<uint64_t>(t.dtype()));
    std::string shape;
    for (int64_t d : t.shape()) {
      std::string dim;
      if (d != 0) {
        put_varint(&dim, 1 << 3);
        put_varint(&dim, static_cast<uint64_t>(d));
      }
      put_bytes(&shape, 2, dim.data(), dim.size());
    }
    put_bytes(&out, 2, shape.data(), shape.size());
    if (t.dtype() == DType::kString) {
      for (int64_t i = 0; i < t.num_elements(); ++i) {
        const std::string& s = t.data<std::string>()[i];
        put_bytes(&out, 8, s.data(), s.size());
      }
    } else if (t.num_elements() > 0) {
      put_bytes(&out, 4, static_cast<const char*>(t.raw()), t.num_elements() * dtype_size(t.dtype()));
    }
    ctx.allocate_output(0, {}).data<std::string>()[0] = std::move(out);
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

// The fields of a TensorProto that ParseTensor reads.
struct ProtoFields {
  int64_t dtype = 0;
  std::vector<int64_t> dims;
  bool unknown_rank = false;
  const char* content = nullptr;
  size_t content_size = 0;
  std::vector<uint64_t> words;        // the typed field of the dtype: varints and fixed values as bits
  std::vector<std::string> strings;   // string_val
};

// The typed field that holds `t`'s values, and its wire encoding.
enum class Enc { kVarint, kFixed32, kFixed64 };
bool value_field(DType t, uint32_t* field, Enc* enc) {
  switch (t) {
    case DType::kFloat: *field = 5; *enc = Enc::kFixed32; return true;
    case DType::kDouble: *field = 6; *enc = Enc::kFixed64; return true;
    case DType::kInt32: case DType::kUInt8: case DType::kInt16: case DType::kInt8: case DType::kUInt16:
    case DType::kQInt8: case DType::kQUInt8: case DType::kQInt32: case DType::kQInt16: case DType::kQUInt16:
      *field = 7; *enc = Enc::kVarint; return true;
    case DType::kComplex64: *field = 9; *enc = Enc::kFixed32; return true;
    case DType::kInt64: *field = 10; *enc = Enc::kVarint; return true;
    case DType::kBool: *field = 11; *enc = Enc::kVarint; return true;
    case DType::kComplex128: *field = 12; *enc = Enc::kFixed64; return true;
    case DType::kHalf: case DType::kBFloat16: *field = 13; *enc = Enc::kVarint; return true;
    case DType::kUInt32: *field = 16; *enc = Enc::kVarint; return true;
    case DType::kUInt64: *field = 17; *enc = Enc::kVarint; return true;
    default: return false;
  }
}

bool read_scalar(Wire& w, uint32_t wire, Enc enc, std::vector<uint64_t>* out) {
  uint64_t v = 0;
  if (enc == Enc::kVarint && wire == 0) {
    if (!w.varint(&v)) return false;
  } else if (enc == Enc::kFixed32 && wire == 5) {
    uint32_t u;
    if (!w.fixed32(&u)) return false;
    v = u;
  } else if (enc == Enc::kFixed64 && wire == 1) {
    if (!w.fixed64(&v)) return false;
  } else {
    return false;
  }
  out->push_back(v);
  return true;
}

// TensorShapeProto: dim = 2 {size = 1}, unknown_rank = 3.
bool parse_shape(const char* s, size_t n, ProtoFields* p) {
  Wire shape(s, n);
  while (!shape.done()) {
    uint32_t field, wire;
    if (!shape.tag(&field, &wire)) return false;
    uint64_t v;
    if (field == 2 && wire == 2) {
      const char* ds;
      size_t dn;
      if (!shape.bytes(&ds, &dn)) return false;
      Wire dim(ds, dn);
      int64_t size = 0;
      while (!dim.done()) {
        uint32_t f2, w2;
        if (!dim.tag(&f2, &w2)) return false;
        if (f2 == 1 && w2 == 0) {
          if (!dim.varint(&v)) return false;
          size = static_cast<int64_t>(v);
        } else if (!dim.skip(w2)) {
          return false;
        }
      }
      p->dims.push_back(size);
    } else if (field == 3 && wire == 0) {
      if (!shape.varint(&v)) return false;
      p->unknown_rank = v != 0;
    } else if (!shape.skip(wire)) {
      return false;
    }
  }
  return true;
}

// One occurrence of a typed value field: its wire type and payload (a packed
// list, or one value's bytes).
struct TypedField {
  uint32_t field, wire;
  std::string payload;
};

bool read_typed(Wire& w, uint32_t field, uint32_t wire, std::vector<TypedField>* out) {
  TypedField t{field, wire, {}};
  const char* s;
  size_t n;
  uint64_t v;
  uint32_t u;
  if (wire == 2) {
    if (!w.bytes(&s, &n)) return false;
    t.payload.assign(s, n);
  } else if (wire == 0) {
    if (!w.varint(&v)) return false;
    put_varint(&t.payload, v);
  } else if (wire == 5) {
    if (!w.fixed32(&u)) return false;
    t.payload.assign(reinterpret_cast<const char*>(&u), 4);
  } else if (wire == 1) {
    if (!w.fixed64(&v)) return false;
    t.payload.assign(reinterpret_cast<const char*>(&v), 8);
  } else {
    return false;
  }
  out->push_back(std::move(t));
  return true;
}

// The values of the dtype's own field into p->words; the other typed fields
// only need to be well formed, as protobuf asks.
bool decode_typed(const std::vector<TypedField>& typed, ProtoFields* p) {
  uint32_t want = 0;
  Enc enc = Enc::kVarint;
  const bool known = value_field(static_cast<DType>(p->dtype), &want, &enc);
  std::vector<uint64_t> ignored;
  for (const TypedField& t : typed) {
    const bool mine = known && t.field == want;
    if (!mine && t.wire != 2) continue;
    const Enc e = mine ? enc
                       : (t.field == 5 || t.field == 9) ? Enc::kFixed32
                       : (t.field == 6 || t.field == 12) ? Enc::kFixed64 : Enc::kVarint;
    std::vector<uint64_t>* out = mine ? &p->words : &ignored;
    Wire pw(t.payload.data(), t.payload.size());
    if (t.wire == 2) {
      const uint32_t elem_wire = e == Enc::kFixed32 ? 5 : e == Enc::kFixed64 ? 1 : 0;
      while (!pw.done())
        if (!read_scalar(pw, elem_wire, e, out)) return false;
    } else if (!read_scalar(pw, t.wire, e, out)) {
      return false;
    }
  }
  return true;
}

// Reads every field as protobuf does: unknown fields are skipped (but must be
// well formed); false for bytes that are no message.
bool parse_proto(const std::string& data, ProtoFields* p) {
  Wire w(data.data(), data.size());
  std::vector<TypedField> typed;  // decoded once the dtype is known
  while (!w.done()) {
    uint32_t field, wire;
    if (!w.tag(&field, &wire)) return false;
    const char* s;
    size_t n;
    uint64_t v;
    if (field == 1 && wire == 0) {
      if (!w.varint(&v)) return false;
      p->dtype = static_cast<int64_t>(v);
    } else if (field == 2 && wire == 2) {
      if (!w.bytes(&s, &n) || !parse_shape(s, n, p)) return false;
    } else if (field == 4 && wire == 2) {
      if (!w.bytes(&s, &n)) return false;
      p->content = s;
      p->content_size = n;
    } else if (field == 8 && wire == 2) {
      if (!w.bytes(&s, &n)) return false;
      p->strings.emplace_back(s, n);
    } else if (field >= 5 && field <= 17 && field != 8 && field != 14 && field != 15) {
      if (!read_typed(w, field, wire, &typed)) return false;
    } else if (!w.skip(wire)) {
      return false;
    }
  }
  return decode_typed(typed, p);
}

template <class T>
void fill_words(const std::vector<uint64_t>& words, int64_t per, T* out, int64_t n) {
  // `per` words make one element (2 for complex)
  const int64_t have = static_cast<int64_t>(words.size()) / per;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t src = have == 0 ? -1 : std::min(i, have - 1);
    for (int64_t k = 0; k < per; ++k) {
      uint64_t w = src < 0 ? 0 : words[src * per + k];
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, complex64>) {
        uint32_t bits = static_cast<uint32_t>(w);
        std::memcpy(reinterpret_cast<char*>(out + i) + 4 * k, &bits, 4);
      } else if constexpr (std::is_same_v<T, double> || std::is_same_v<T, complex128>) {
        std::memcpy(reinterpret_cast<char*>(out + i) + 8 * k, &w, 8);
      } else if constexpr (std::is_same_v<T, bool>) {
        out[i] = w != 0;
      } else {
        out[i] = static_cast<T>(w);
      }
    }
  }
}

Status fill_from_values(const ProtoFields& p, Tensor& out) {
  const int64_t n = out.num_elements();
  switch (out.dtype()) {
    case DType::kFloat: fill_words(p.words, 1, out.data<float>(), n); break;
    case DType::kDouble: fill_words(p.words, 1, out.data<double>(), n); break;
    case DType::kComplex64: fill_words(p.words, 2, out.data<complex64>(), n); break;
    case DType::kComplex128: fill_words(p.words, 2, out.data<complex128>(), n); break;
    case DType::kBool: fill_words(p.words, 1, out.data<bool>(), n); break;
    case DType::kInt32: case DType::kQInt32: fill_words(p.words, 1, out.data<int32_t>(), n); break;
    case DType::kUInt32: fill_words(p.words, 1, out.data<uint32_t>(), n); break;
    case DType::kInt64: fill_words(p.words, 1, out.data<int64_t>(), n); break;
    case DType::kUInt64: fill_words(p.words, 1, out.data<uint64_t>(), n); break;
    case DType::kInt16: case DType::kQInt16: fill_words(p.words, 1, out.data<int16_t>(), n); break;
    case DType::kUInt16: case DType::kQUInt16: case DType::kHalf: case DType::kBFloat16:
      fill_words(p.words, 1, static_cast<uint16_t*>(out.raw()), n);
      break;
    case DType::kInt8: case DType::kQInt8: fill_words(p.words, 1, out.data<int8_t>(), n); break;
    case DType::kUInt8: case DType::kQUInt8: fill_words(p.words, 1, out.data<uint8_t>(), n); break;
    case DType::kString: {
      const int64_t have = static_cast<int64_t>(p.strings.size());
      for (int64_t i = 0; i < n; ++i)
        out.data<std::string>()[i] = have == 0 ? std::string() : p.strings[std::min(i, have - 1)];
      break;
    }
    default: return invalid_argument("unsupported dtype");
  }
  return Status();
}

class ParseTensorOp : public OpKernel {
 public:
  explicit ParseTensorOp(KernelInit& init) { init.get("out_type", &out_type_); }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    if (in.dtype() != DType::kString || in.rank() != 0)
      return invalid_argument("Expected `serialized` to be a scalar, got shape: " + shape_str(in.shape()));
    const std::string& data = in.data<std::string>()[0];
    ProtoFields p;
    if (!parse_proto(data, &p))
      return invalid_argument("Could not parse `serialized` as TensorProto, base64: " + base64(data));
    const DType t = static_cast<DType>(p.dtype);
    // TF's message ends in the proto's debug string, which it does not print
    const Status cannot = invalid_argument("Cannot parse tensor from proto: ");
    if (p.dtype <= 0 || p.dtype > static_cast<int64_t>(DType::kUInt64) || !serializable(t) || p.unknown_rank)
      return cannot;
    Shape shape(p.dims.begin(), p.dims.end());
    if (!check_shape(shape).ok()) return cannot;
    const int64_t count = num_elements(shape);
    if (p.content && p.content_size > 0 && t != DType::kString &&
        (p.content_size % dtype_size(t) != 0 || p.content_size / dtype_size(t) != static_cast<size_t>(count)))
      return cannot;
    if (t != out_type_)
      return invalid_argument(str_cat("Type mismatch between parsed tensor (", dtype_name(t), ") and dtype (",
                                      dtype_name(out_type_), ")"));
    Tensor& out = ctx.allocate_output(0, shape);
    if (p.content && p.content_size > 0 && t != DType::kString) {
      std::memcpy(out.raw(), p.content, p.content_size);
      return Status();
    }
    return fill_from_values(p, out);
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
