#include "kernels/util/example_proto.h"

namespace metarun {

const char* feature_kind_name(FeatureKind k) {
  switch (k) {
    case FeatureKind::kBytes: return "string";
    case FeatureKind::kFloat: return "float";
    case FeatureKind::kInt64: return "int64";
    default: return "none";
  }
}

FeatureKind feature_kind_of(DType t) {
  switch (t) {
    case DType::kString: return FeatureKind::kBytes;
    case DType::kFloat: return FeatureKind::kFloat;
    case DType::kInt64: return FeatureKind::kInt64;
    default: return FeatureKind::kNone;
  }
}

bool Wire::skip(uint32_t wire) {
  uint64_t v;
  const char* d;
  size_t n;
  switch (wire) {
    case 0: return varint(&v);
    case 1: return fixed64(&v);
    case 2: return bytes(&d, &n);
    case 5: {
      uint32_t u;
      return fixed32(&u);
    }
    default: return false;
  }
}

namespace {

bool decode_list(const char* d, size_t n, FeatureKind kind, FeatureValues* out) {
  Wire w(d, n);
  while (!w.done()) {
    uint32_t field, wire;
    if (!w.tag(&field, &wire)) return false;
    if (field != 1) {
      if (!w.skip(wire)) return false;
      continue;
    }
    if (kind == FeatureKind::kBytes) {
      const char* s;
      size_t len;
      if (wire != 2 || !w.bytes(&s, &len)) return false;
      out->bytes.emplace_back(s, len);
    } else if (kind == FeatureKind::kFloat) {
      uint32_t bits;
      if (wire == 5) {
        if (!w.fixed32(&bits)) return false;
        float f;
        std::memcpy(&f, &bits, 4);
        out->floats.push_back(f);
      } else if (wire == 2) {
        const char* s;
        size_t len;
        if (!w.bytes(&s, &len) || len % 4 != 0) return false;
        for (size_t i = 0; i < len; i += 4) {
          float f;
          std::memcpy(&f, s + i, 4);
          out->floats.push_back(f);
        }
      } else {
        return false;
      }
    } else {
      uint64_t v;
      if (wire == 0) {
        if (!w.varint(&v)) return false;
        out->ints.push_back(static_cast<int64_t>(v));
      } else if (wire == 2) {
        const char* s;
        size_t len;
        if (!w.bytes(&s, &len)) return false;
        Wire packed(s, len);
        while (!packed.done()) {
          if (!packed.varint(&v)) return false;
          out->ints.push_back(static_cast<int64_t>(v));
        }
      } else {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

bool decode_feature(const char* d, size_t n, FeatureValues* out) {
  Wire w(d, n);
  while (!w.done()) {
    uint32_t field, wire;
    if (!w.tag(&field, &wire)) return false;
    if (field >= 1 && field <= 3 && wire == 2) {
      const char* s;
      size_t len;
      if (!w.bytes(&s, &len)) return false;
      *out = FeatureValues();
      out->kind = field == 1 ? FeatureKind::kBytes : field == 2 ? FeatureKind::kFloat : FeatureKind::kInt64;
      if (!decode_list(s, len, out->kind, out)) return false;
    } else if (!w.skip(wire)) {
      return false;
    }
  }
  return true;
}


}  // namespace metarun
