// The protobuf wire format of tf.train.Example and tf.train.SequenceExample,
// read without a protobuf library: a bounded reader (`Wire`) that never reads
// past its buffer, and the decoding of one Feature message (bytes_list = 1,
// float_list = 2, int64_list = 3, each a repeated `value = 1`, numbers packed
// or not). Every failure is a `false` return; callers word TF's message.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace metarun {

enum class FeatureKind { kNone, kBytes, kFloat, kInt64 };

// "string", "float", "int64" (TF's names of the three kinds), "none".
const char* feature_kind_name(FeatureKind k);
// The kind a dtype parses from (kNone for dtypes no feature holds).
FeatureKind feature_kind_of(DType t);

// A bounded reader of protobuf wire format.
class Wire {
 public:
  Wire(const char* p, size_t n) : p_(reinterpret_cast<const uint8_t*>(p)), end_(p_ + n) {}
  bool done() const { return p_ >= end_; }
  bool varint(uint64_t* v) {
    uint64_t out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return false;
      uint8_t b = *p_++;
      out |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) {
        *v = out;
        return true;
      }
    }
    return false;
  }
  bool tag(uint32_t* field, uint32_t* wire) {
    uint64_t t;
    if (!varint(&t) || t > UINT32_MAX) return false;
    *field = static_cast<uint32_t>(t >> 3);
    *wire = static_cast<uint32_t>(t & 7);
    return *field != 0;
  }
  // A length-delimited payload.
  bool bytes(const char** data, size_t* n) {
    uint64_t len;
    if (!varint(&len) || len > static_cast<uint64_t>(end_ - p_)) return false;
    *data = reinterpret_cast<const char*>(p_);
    *n = static_cast<size_t>(len);
    p_ += len;
    return true;
  }
  bool fixed32(uint32_t* v) {
    if (end_ - p_ < 4) return false;
    std::memcpy(v, p_, 4);
    p_ += 4;
    return true;
  }
  bool fixed64(uint64_t* v) {
    if (end_ - p_ < 8) return false;
    std::memcpy(v, p_, 8);
    p_ += 8;
    return true;
  }
  bool skip(uint32_t wire);

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// One feature's values, decoded from its Feature message.
struct FeatureValues {
  FeatureKind kind = FeatureKind::kNone;
  std::vector<std::string> bytes;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  size_t size() const {
    return kind == FeatureKind::kBytes ? bytes.size() : kind == FeatureKind::kFloat ? floats.size() : ints.size();
  }
};

// Decodes a Feature message (the last kind set wins, as proto oneofs do).
bool decode_feature(const char* d, size_t n, FeatureValues* out);

// Calls `fn(key, value, value_len)` for each entry of a map<string, message>
// field `field` in the message `d[0, n)` (Features.feature, FeatureLists.feature_list).
template <class Fn>
bool for_each_map_entry(const char* d, size_t n, uint32_t field, Fn&& fn) {
  Wire w(d, n);
  while (!w.done()) {
    uint32_t f, wt;
    if (!w.tag(&f, &wt)) return false;
    if (f != field || wt != 2) {
      if (!w.skip(wt)) return false;
      continue;
    }
    const char* es;
    size_t en;
    if (!w.bytes(&es, &en)) return false;
    Wire entry(es, en);
    std::string key;
    const char* vs = "";
    size_t vn = 0;
    while (!entry.done()) {
      uint32_t f3, w3;
      if (!entry.tag(&f3, &w3)) return false;
      const char* s;
      size_t len;
      if (f3 == 1 && w3 == 2) {
        if (!entry.bytes(&s, &len)) return false;
        key.assign(s, len);
      } else if (f3 == 2 && w3 == 2) {
        if (!entry.bytes(&vs, &vn)) return false;
      } else if (!entry.skip(w3)) {
        return false;
      }
    }
    fn(key, vs, vn);
  }
  return true;
}

}  // namespace metarun
