#include "kernels/util/tensor_proto.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

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

}  // namespace

bool tensor_proto_supports(DType t) {
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

void encode_tensor_proto(const Tensor& t, std::string* out, StringsAs strings) {
  out->clear();
  put_varint(out, 1 << 3);
  put_varint(out, static_cast<uint64_t>(t.dtype()));
  std::string shape;
  for (int64_t d : t.shape()) {
    std::string dim;
    if (d != 0) {  // proto3 leaves a zero size out
      put_varint(&dim, 1 << 3);
      put_varint(&dim, static_cast<uint64_t>(d));
    }
    put_bytes(&shape, 2, dim.data(), dim.size());
  }
  put_bytes(out, 2, shape.data(), shape.size());
  const int64_t n = t.num_elements();
  if (t.dtype() == DType::kString && strings == StringsAs::kStringVal) {
    for (int64_t i = 0; i < n; ++i) {
      const std::string& s = t.data<std::string>()[i];
      put_bytes(out, 8, s.data(), s.size());
    }
  } else if (t.dtype() == DType::kString && n > 0) {
    const std::string* s = t.data<std::string>();
    std::string content;
    for (int64_t i = 0; i < n; ++i) put_varint(&content, s[i].size());
    for (int64_t i = 0; i < n; ++i) content += s[i];
    put_bytes(out, 4, content.data(), content.size());
  } else if (n > 0) {
    put_bytes(out, 4, static_cast<const char*>(t.raw()), t.num_elements() * dtype_size(t.dtype()));
  }
}

// TensorShapeProto: dim = 2 {size = 1}; unknown_rank = 3 is skipped.
bool TensorProtoReader::parse_shape(const char* s, size_t n) {
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
      dims_.push_back(size);
    } else if (!shape.skip(wire)) {
      return false;
    }
  }
  return true;
}

// The values of the dtype's own field into words_; the other typed fields
// only need to be well formed, as protobuf asks.
bool TensorProtoReader::decode_typed(const std::vector<TypedField>& typed) {
  uint32_t want = 0;
  Enc enc = Enc::kVarint;
  const bool known = value_field(dtype(), &want, &enc);
  std::vector<uint64_t> ignored;
  for (const TypedField& t : typed) {
    const bool mine = known && t.field == want;
    if (!mine && t.wire != 2) continue;
    const Enc e = mine ? enc
                       : (t.field == 5 || t.field == 9) ? Enc::kFixed32
                       : (t.field == 6 || t.field == 12) ? Enc::kFixed64 : Enc::kVarint;
    std::vector<uint64_t>* out = mine ? &words_ : &ignored;
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

bool TensorProtoReader::parse(const std::string& data) {
  Wire w(data.data(), data.size());
  std::vector<TypedField> typed;  // decoded once the dtype is known
  while (!w.done()) {
    uint32_t field, wire;
    if (!w.tag(&field, &wire)) return false;
    const char* s;
    size_t n;
    uint64_t v;
    uint32_t u;
    if (field == 1 && wire == 0) {
      if (!w.varint(&v)) return false;
      dtype_ = static_cast<int64_t>(v);
    } else if (field == 2 && wire == 2) {
      if (!w.bytes(&s, &n) || !parse_shape(s, n)) return false;
    } else if (field == 4 && wire == 2) {
      if (!w.bytes(&s, &n)) return false;
      content_ = s;
      content_size_ = n;
    } else if (field == 8 && wire == 2) {
      if (!w.bytes(&s, &n)) return false;
      strings_.emplace_back(s, n);
    } else if (field >= 5 && field <= 17 && field != 8 && field != 14 && field != 15) {
      // one occurrence of a typed field: a packed list, or one value
      TypedField t{field, wire, {}};
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
      typed.push_back(std::move(t));
    } else if (!w.skip(wire)) {
      return false;
    }
  }
  return decode_typed(typed);
}

bool TensorProtoReader::split_strings(int64_t n, std::vector<std::string>* out) const {
  const char* p = content_;
  const char* end = content_ + content_size_;
  if (n > end - p) return false;  // every length takes a byte at least
  std::vector<uint32_t> sizes(static_cast<size_t>(n));
  uint64_t total = 0;
  for (uint32_t& size : sizes) {
    // a varint32 as TF's GetVarint32 reads it: at most 5 bytes, kept to 32 bits
    size = 0;
    for (int shift = 0;; shift += 7) {
      if (p >= end || shift > 28) return false;
      const uint8_t byte = static_cast<uint8_t>(*p++);
      size |= static_cast<uint32_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80)) break;
    }
    total += size;
  }
  if (total != static_cast<uint64_t>(end - p)) return false;
  if (out) {
    out->resize(sizes.size());
    for (size_t i = 0; i < sizes.size(); ++i) {
      (*out)[i].assign(p, sizes[i]);
      p += sizes[i];
    }
  }
  return true;
}

bool TensorProtoReader::valid() const {
  const DType t = dtype();
  // unknown_rank is not looked at: FromProto takes the dims there are (none: a scalar)
  if (dtype_ <= 0 || dtype_ > static_cast<int64_t>(DType::kUInt64) || !tensor_proto_supports(t)) return false;
  const Shape s = shape();
  if (!check_shape(s).ok()) return false;
  const int64_t count = num_elements(s);
  if (count == 0 || !content_ || content_size_ == 0) return true;
  if (t == DType::kString) return split_strings(count, nullptr);
  return content_size_ % dtype_size(t) == 0 && content_size_ / dtype_size(t) == static_cast<size_t>(count);
}

Tensor TensorProtoReader::tensor() const {
  Tensor out(dtype(), shape());
  const int64_t n = out.num_elements();
  if (n > 0 && content_ && content_size_ > 0) {
    if (out.dtype() != DType::kString) {
      std::memcpy(out.raw(), content_, content_size_);
    } else {
      std::vector<std::string> strings;
      split_strings(n, &strings);
      std::move(strings.begin(), strings.end(), out.data<std::string>());
    }
    return out;
  }
  switch (out.dtype()) {
    case DType::kFloat: fill_words(words_, 1, out.data<float>(), n); break;
    case DType::kDouble: fill_words(words_, 1, out.data<double>(), n); break;
    case DType::kComplex64: fill_words(words_, 2, out.data<complex64>(), n); break;
    case DType::kComplex128: fill_words(words_, 2, out.data<complex128>(), n); break;
    case DType::kBool: fill_words(words_, 1, out.data<bool>(), n); break;
    case DType::kInt32: case DType::kQInt32: fill_words(words_, 1, out.data<int32_t>(), n); break;
    case DType::kUInt32: fill_words(words_, 1, out.data<uint32_t>(), n); break;
    case DType::kInt64: fill_words(words_, 1, out.data<int64_t>(), n); break;
    case DType::kUInt64: fill_words(words_, 1, out.data<uint64_t>(), n); break;
    case DType::kInt16: case DType::kQInt16: fill_words(words_, 1, out.data<int16_t>(), n); break;
    case DType::kUInt16: case DType::kQUInt16: case DType::kHalf: case DType::kBFloat16:
      fill_words(words_, 1, static_cast<uint16_t*>(out.raw()), n);
      break;
    case DType::kInt8: case DType::kQInt8: fill_words(words_, 1, out.data<int8_t>(), n); break;
    case DType::kUInt8: case DType::kQUInt8: fill_words(words_, 1, out.data<uint8_t>(), n); break;
    case DType::kString: {
      const int64_t have = static_cast<int64_t>(strings_.size());
      for (int64_t i = 0; i < n; ++i)
        out.data<std::string>()[i] = have == 0 ? std::string() : strings_[std::min(i, have - 1)];
      break;
    }
    default: break;  // valid() admits no other dtype
  }
  return out;
}

}  // namespace metarun
