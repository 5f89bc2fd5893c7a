// Lookup tables, as TensorFlow's lookup ops: HashTable (initialized once,
// then read-only), MutableHashTable (scalar values), MutableHashTableOfTensors
// (vector values) and MutableDenseHashTable (open addressing with quadratic
// probing over power-of-two bucket arrays, with an empty and a deleted key;
// its export is the bucket arrays themselves, in TF's layout).
//
// Tables are session resources, found by "container/name": the container
// attr (default "localhost") and the shared_name attr, else the node name
// (for use_node_name_sharing, or a table private to its node: kept per
// session, as TF keeps it for the kernel's lifetime). A ref (V1) handle is a
// string vector [container, name]; a V2 handle a DT_RESOURCE scalar.
//
// Also StringToHashBucketFast: Fingerprint64 (FarmHash's farmhashna Hash64)
// of each string modulo the bucket count, which out-of-vocabulary buckets use.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "framework/registry.h"
#include "kernels/util/file_access.h"

namespace metarun {
namespace {

// ---- hashing ----

inline uint64_t load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint32_t load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t rot64(uint64_t v, int s) { return s == 0 ? v : (v >> s) | (v << (64 - s)); }
inline uint64_t shift_mix(uint64_t v) { return v ^ (v >> 47); }

constexpr uint64_t kP0 = 0xc3a5c85c97cb3127ULL;
constexpr uint64_t kP1 = 0xb492b66fbe98f273ULL;
constexpr uint64_t kP2 = 0x9ae16a3b2f90404fULL;

uint64_t mix16(uint64_t u, uint64_t v, uint64_t mul) {
  uint64_t a = (u ^ v) * mul;
  a ^= a >> 47;
  uint64_t b = (v ^ a) * mul;
  b ^= b >> 47;
  return b * mul;
}

struct Pair64 {
  uint64_t first, second;
};

Pair64 weak32(const char* s, uint64_t a, uint64_t b) {
  uint64_t w = load64(s), x = load64(s + 8), y = load64(s + 16), z = load64(s + 24);
  a += w;
  b = rot64(b + a + z, 21);
  uint64_t c = a;
  a += x;
  a += y;
  b += rot64(a, 44);
  return {a + z, b + c};
}

// FarmHash's Fingerprint64 (farmhashna::Hash64), little-endian.
uint64_t fingerprint64(const char* s, size_t len) {
  if (len <= 16) {
    if (len >= 8) {
      uint64_t mul = kP2 + len * 2;
      uint64_t a = load64(s) + kP2;
      uint64_t b = load64(s + len - 8);
      uint64_t c = rot64(b, 37) * mul + a;
      uint64_t d = (rot64(a, 25) + b) * mul;
      return mix16(c, d, mul);
    }
    if (len >= 4) {
      uint64_t mul = kP2 + len * 2;
      uint64_t a = load32(s);
      return mix16(len + (a << 3), load32(s + len - 4), mul);
    }
    if (len > 0) {
      uint8_t a = static_cast<uint8_t>(s[0]), b = static_cast<uint8_t>(s[len >> 1]),
              c = static_cast<uint8_t>(s[len - 1]);
      uint32_t y = static_cast<uint32_t>(a) + (static_cast<uint32_t>(b) << 8);
      uint32_t z = static_cast<uint32_t>(len) + (static_cast<uint32_t>(c) << 2);
      return shift_mix(y * kP2 ^ z * kP0) * kP2;
    }
    return kP2;
  }
  if (len <= 32) {
    uint64_t mul = kP2 + len * 2;
    uint64_t a = load64(s) * kP1, b = load64(s + 8);
    uint64_t c = load64(s + len - 8) * mul, d = load64(s + len - 16) * kP2;
    return mix16(rot64(a + b, 43) + rot64(c, 30) + d, a + rot64(b + kP2, 18) + c, mul);
  }
  if (len <= 64) {
    uint64_t mul = kP2 + len * 2;
    uint64_t a = load64(s) * kP2, b = load64(s + 8);
    uint64_t c = load64(s + len - 8) * mul, d = load64(s + len - 16) * kP2;
    uint64_t y = rot64(a + b, 43) + rot64(c, 30) + d;
    uint64_t z = mix16(y, a + rot64(b + kP2, 18) + c, mul);
    uint64_t e = load64(s + 16) * mul, f = load64(s + 24);
    uint64_t g = (y + load64(s + len - 32)) * mul;
    uint64_t h = (z + load64(s + len - 24)) * mul;
    return mix16(rot64(e + f, 43) + rot64(g, 30) + h, e + rot64(f + a, 18) + g, mul);
  }
  const uint64_t seed = 81;
  uint64_t x = seed, y = seed * kP1 + 113, z = shift_mix(y * kP2 + 113) * kP2;
  Pair64 v{0, 0}, w{0, 0};
  x = x * kP2 + load64(s);
  const char* end = s + ((len - 1) / 64) * 64;
  const char* last64 = end + ((len - 1) & 63) - 63;
  do {
    x = rot64(x + y + v.first + load64(s + 8), 37) * kP1;
    y = rot64(y + v.second + load64(s + 48), 42) * kP1;
    x ^= w.second;
    y += v.first + load64(s + 40);
    z = rot64(z + w.first, 33) * kP1;
    v = weak32(s, v.second * kP1, x + w.first);
    w = weak32(s + 32, z + w.second, y + load64(s + 16));
    std::swap(z, x);
    s += 64;
  } while (s != end);
  uint64_t mul = kP1 + ((z & 0xff) << 1);
  s = last64;
  w.first += ((len - 1) & 63);
  v.first += w.first;
  w.first += v.first;
  x = rot64(x + y + v.first + load64(s + 8), 37) * mul;
  y = rot64(y + v.second + load64(s + 48), 42) * mul;
  x ^= w.second * 9;
  y += v.first * 9 + load64(s + 40);
  z = rot64(z + w.first, 33) * mul;
  v = weak32(s, v.second * mul, x + w.first);
  w = weak32(s + 32, z + w.second, y + load64(s + 16));
  std::swap(z, x);
  return mix16(mix16(v.first, w.first, mul) + shift_mix(y) * kP0 + z, mix16(v.second, w.second, mul) + x, mul);
}

// TF's Hash64 (a MurmurHash2 64-bit variant, seed 0xDECAFCAFFE): how dense
// tables place string keys.
uint64_t tf_hash64(const std::string& str) {
  const char* data = str.data();
  size_t n = str.size();
  const uint64_t m = 0xc6a4a7935bd1e995ULL;
  const int r = 47;
  uint64_t h = 0xDECAFCAFFEULL ^ (n * m);
  while (n >= 8) {
    uint64_t k = load64(data);
    data += 8;
    n -= 8;
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  auto byte = [&](int i) { return static_cast<uint64_t>(static_cast<unsigned char>(data[i])); };
  switch (n) {
    case 7: h ^= byte(6) << 48; [[fallthrough]];
    case 6: h ^= byte(5) << 40; [[fallthrough]];
    case 5: h ^= byte(4) << 32; [[fallthrough]];
    case 4: h ^= byte(3) << 24; [[fallthrough]];
    case 3: h ^= byte(2) << 16; [[fallthrough]];
    case 2: h ^= byte(1) << 8; [[fallthrough]];
    case 1:
      h ^= byte(0);
      h *= m;
      break;
    default: break;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

inline uint64_t hash_scalar(int32_t v) { return static_cast<uint64_t>(static_cast<int64_t>(v)); }
inline uint64_t hash_scalar(int64_t v) { return static_cast<uint64_t>(v); }
inline uint64_t hash_scalar(const std::string& v) { return tf_hash64(v); }
inline uint64_t hash_combine(uint64_t a, uint64_t b) { return a ^ (b + 0x9e3779b97f4a7800ULL + (a << 10) + (a >> 4)); }

// ---- value formatting for TF's messages ----

template <class T>
std::string fmt(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return v;
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? "1" : "0";
  } else if constexpr (std::is_floating_point_v<T>) {
    char buf[64];
    int digits = std::is_same_v<T, float> ? 6 : 15;
    std::snprintf(buf, sizeof(buf), "%.*g", digits, static_cast<double>(v));
    if (static_cast<T>(std::strtod(buf, nullptr)) != v)
      std::snprintf(buf, sizeof(buf), "%.*g", std::is_same_v<T, float> ? 9 : 17, static_cast<double>(v));
    return buf;
  } else {
    return std::to_string(v);
  }
}

Shape shape_minus_suffix_plus(const Shape& s, size_t drop, const Shape& add) {
  Shape out(s.begin(), s.end() - static_cast<std::ptrdiff_t>(std::min(drop, s.size())));
  for (int64_t d : add) out.push_back(d);
  return out;
}

// ---- tables ----

struct LookupTable : Resource {
  DType key_dtype = DType::kInvalid;
  DType value_dtype = DType::kInvalid;
  Shape key_shape;    // of one key: [] except dense tables with vector keys
  Shape value_shape;  // of one value
  std::mutex mu;

  virtual bool initializable() const { return false; }
  virtual bool initialized() const { return true; }
  virtual int64_t size() = 0;
  virtual Status find(const Tensor& keys, const Tensor& dflt, Tensor* out) = 0;
  virtual Status insert(const Tensor& keys, const Tensor& values) = 0;
  virtual Status remove(const Tensor& keys) = 0;
  virtual Status import_values(const Tensor& keys, const Tensor& values) = 0;
  virtual Status export_values(Tensor* keys, Tensor* values) = 0;
  // Initializable tables: insert a batch while initializing, then mark done.
  virtual Status init_insert(const Tensor&, const Tensor&) { return Status(); }
  virtual void mark_initialized() {}

  Status check_types(const Tensor& keys, const Tensor* values) const {
    if (keys.dtype() != key_dtype)
      return invalid_argument(str_cat("Key must be type ", dtype_name(key_dtype), " but got ", dtype_name(keys.dtype())));
    if (values && values->dtype() != value_dtype)
      return invalid_argument(
          str_cat("Value must be type ", dtype_name(value_dtype), " but got ", dtype_name(values->dtype())));
    return Status();
  }
  Status check_key_shape(const Shape& s) const {
    bool ok = s.size() >= key_shape.size();
    for (size_t i = 0; ok && i < key_shape.size(); ++i)
      ok = s[s.size() - key_shape.size() + i] == key_shape[i];
    if (!ok)
      return invalid_argument(str_cat("Input key shape ", shape_str(s), " must end with the table's key shape ",
                                      shape_str(key_shape)));
    return Status();
  }
  virtual Status check_insert(const Tensor& keys, const Tensor& values) const {
    MR_RETURN_IF_ERROR(check_types(keys, &values));
    MR_RETURN_IF_ERROR(check_key_shape(keys.shape()));
    Shape expected = shape_minus_suffix_plus(keys.shape(), key_shape.size(), value_shape);
    if (values.shape() != expected)
      return invalid_argument(
          str_cat("Expected shape ", shape_str(expected), " for value, got ", shape_str(values.shape())));
    return Status();
  }
  virtual Status check_import(const Tensor& keys, const Tensor& values) const { return check_insert(keys, values); }
  Status check_find(const Tensor& keys, const Tensor& dflt) const {
    MR_RETURN_IF_ERROR(check_types(keys, &dflt));
    MR_RETURN_IF_ERROR(check_key_shape(keys.shape()));
    Shape full = shape_minus_suffix_plus(keys.shape(), key_shape.size(), value_shape);
    if (dflt.shape() != value_shape && dflt.shape() != full)
      return invalid_argument(str_cat("Expected shape ", shape_str(value_shape), " or ", shape_str(full),
                                      " for default value, got ", shape_str(dflt.shape())));
    return Status();
  }
};

// HashTable / MutableHashTable / MutableHashTableOfTensors: a hash map from a
// key to a row of `dim` values (1 for scalar tables).
template <class K, class V>
struct MapTable : LookupTable {
  bool init_once = false;  // HashTable
  bool is_init = false;
  int64_t dim = 1;
  std::unordered_map<K, std::vector<V>> map;

  bool initializable() const override { return init_once; }
  bool initialized() const override { return !init_once || is_init; }
  int64_t size() override {
    std::lock_guard<std::mutex> l(mu);
    if (init_once && !is_init) return 0;
    return static_cast<int64_t>(map.size());
  }
  Status find(const Tensor& keys, const Tensor& dflt, Tensor* out) override {
    if (init_once && !is_init) return failed_precondition("Table not initialized.");
    const K* k = keys.data<K>();
    const V* d = dflt.data<V>();
    V* o = out->data<V>();
    int64_t n = keys.num_elements();
    // A default of the output's full shape gives each key its own default (not HashTable's).
    bool per_key = !init_once && dflt.num_elements() == n * dim && dflt.shape() != value_shape;
    std::lock_guard<std::mutex> l(mu);
    for (int64_t i = 0; i < n; ++i) {
      auto it = map.find(k[i]);
      for (int64_t j = 0; j < dim; ++j) {
        if (it != map.end()) o[i * dim + j] = it->second[j];
        else o[i * dim + j] = per_key ? d[i * dim + j] : d[init_once ? 0 : j];
      }
    }
    return Status();
  }
  Status put(const Tensor& keys, const Tensor& values, bool clear) {
    const K* k = keys.data<K>();
    const V* v = values.data<V>();
    int64_t n = keys.num_elements();
    std::lock_guard<std::mutex> l(mu);
    if (clear) map.clear();
    for (int64_t i = 0; i < n; ++i) map[k[i]] = std::vector<V>(v + i * dim, v + (i + 1) * dim);
    return Status();
  }
  Status insert(const Tensor& keys, const Tensor& values) override {
    if (init_once) return unimplemented("Insert not supported by InitializableLookupTable implementations");
    return put(keys, values, false);
  }
  Status remove(const Tensor& keys) override {
    if (init_once) return unimplemented("Remove not supported by InitializableLookupTable implementations");
    const K* k = keys.data<K>();
    std::lock_guard<std::mutex> l(mu);
    for (int64_t i = 0; i < keys.num_elements(); ++i) map.erase(k[i]);
    return Status();
  }
  Status init_insert(const Tensor& keys, const Tensor& values) override {
    const K* k = keys.data<K>();
    const V* v = values.data<V>();
    for (int64_t i = 0; i < keys.num_elements(); ++i) {
      auto res = map.try_emplace(k[i], std::vector<V>{v[i]});
      if (!res.second && !(res.first->second[0] == v[i]))
        return failed_precondition(str_cat("HashTable has different value for same key. Key ", fmt(k[i]), " has ",
                                           fmt<V>(res.first->second[0]), " and trying to add value ", fmt<V>(v[i])));
    }
    return Status();
  }
  void mark_initialized() override { is_init = true; }
  Status import_values(const Tensor& keys, const Tensor& values) override {
    if (init_once) return unimplemented("import handled by initialization");
    return put(keys, values, true);
  }
  Status export_values(Tensor* keys, Tensor* values) override {
    std::lock_guard<std::mutex> l(mu);
    if (init_once && !is_init) return Status(Code::kAborted, "HashTable is not initialized.");
    int64_t n = static_cast<int64_t>(map.size());
    *keys = Tensor(key_dtype, {n});
    Shape vs{n};
    for (int64_t d : value_shape) vs.push_back(d);
    *values = Tensor(value_dtype, vs);
    K* ko = keys->data<K>();
    V* vo = values->data<V>();
    int64_t i = 0;
    for (auto& kv : map) {
      ko[i] = kv.first;
      for (int64_t j = 0; j < dim; ++j) vo[i * dim + j] = kv.second[j];
      ++i;
    }
    return Status();
  }
};

// MutableDenseHashTable: TF's bucket layout, so its export (and therefore
// its checkpoint) holds the same arrays.
template <class K, class V>
struct DenseTable : LookupTable {
  float max_load_factor = 0.8f;
  int64_t num_buckets = 0, num_entries = 0;
  int64_t ksize = 1, vsize = 1;
  Tensor key_buckets, value_buckets;  // [num_buckets, ksize], [num_buckets, vsize]
  std::vector<K> empty_key, deleted_key;
  uint64_t empty_hash = 0, deleted_hash = 0;

  uint64_t hash_row(const K* row) const {
    if (ksize == 1) return hash_scalar(row[0]);
    uint64_t h = 0;
    for (int64_t i = 0; i < ksize; ++i) h = hash_combine(h, hash_scalar(row[i]));
    return h;
  }
  bool eq(const K* a, const K* b) const {
    for (int64_t i = 0; i < ksize; ++i)
      if (!(a[i] == b[i])) return false;
    return true;
  }
  Status allocate(int64_t n) {
    if (n < 4 || (n & (n - 1)) != 0)
      return invalid_argument(str_cat("Number of buckets must be at least 4 and a power of 2, got: ", n));
    num_buckets = n;
    num_entries = 0;
    key_buckets = Tensor(key_dtype, {n, ksize});
    value_buckets = Tensor(value_dtype, {n, vsize});
    K* kb = key_buckets.data<K>();
    V* vb = value_buckets.data<V>();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < ksize; ++j) kb[i * ksize + j] = empty_key[j];
    for (int64_t i = 0; i < n * vsize; ++i) vb[i] = V();
    return Status();
  }
  Status check_special(const K* row, uint64_t h) const {
    if (h == empty_hash && eq(row, empty_key.data()))
      return invalid_argument("Using the empty_key as a table key is not allowed");
    if (h == deleted_hash && eq(row, deleted_key.data()))
      return invalid_argument("Using the deleted_key as a table key is not allowed");
    return Status();
  }
  int64_t batch(const Tensor& keys) const { return keys.rank() == 0 ? 1 : keys.dim(0); }
  Status check_batch_shape(const Tensor& keys) const {
    int64_t b = batch(keys);
    if (keys.num_elements() != b * ksize) {
      Shape expected{b};
      for (int64_t d : key_shape) expected.push_back(d);
      return invalid_argument(str_cat("Expected key shape ", shape_str(expected), " got ", shape_str(keys.shape())));
    }
    return Status();
  }
  int64_t size() override {
    std::lock_guard<std::mutex> l(mu);
    return num_entries;
  }
  Status find(const Tensor& keys, const Tensor& dflt, Tensor* out) override {
    MR_RETURN_IF_ERROR(check_batch_shape(keys));
    int64_t n = batch(keys);
    const K* k = keys.data<K>();
    const V* d = dflt.data<V>();
    V* o = out->data<V>();
    std::lock_guard<std::mutex> l(mu);
    const K* kb = key_buckets.data<K>();
    const V* vb = value_buckets.data<V>();
    const int64_t mask = num_buckets - 1;
    for (int64_t i = 0; i < n; ++i) {
      const K* row = k + i * ksize;
      uint64_t h = hash_row(row);
      MR_RETURN_IF_ERROR(check_special(row, h));
      int64_t b = static_cast<int64_t>(h & static_cast<uint64_t>(mask)), probes = 0;
      while (true) {
        if (eq(kb + b * ksize, row)) {
          for (int64_t j = 0; j < vsize; ++j) o[i * vsize + j] = vb[b * vsize + j];
          break;
        }
        if (eq(kb + b * ksize, empty_key.data())) {
          for (int64_t j = 0; j < vsize; ++j) o[i * vsize + j] = d[j];
          break;
        }
        ++probes;
        b = (b + probes) & mask;
        if (probes >= num_buckets) return internal_error("Internal error in MutableDenseHashTable lookup");
      }
    }
    return Status();
  }
  Status do_insert(const Tensor& keys, const Tensor& values, bool skip_special) {
    int64_t n = batch(keys);
    const K* k = keys.data<K>();
    const V* v = values.data<V>();
    K* kb = key_buckets.data<K>();
    V* vb = value_buckets.data<V>();
    const int64_t mask = num_buckets - 1;
    for (int64_t i = 0; i < n; ++i) {
      const K* row = k + i * ksize;
      uint64_t h = hash_row(row);
      Status s = check_special(row, h);
      if (!s.ok()) {
        if (skip_special) continue;
        return s;
      }
      int64_t b = static_cast<int64_t>(h & static_cast<uint64_t>(mask)), probes = 0;
      while (true) {
        if (eq(kb + b * ksize, row)) {
          for (int64_t j = 0; j < vsize; ++j) vb[b * vsize + j] = v[i * vsize + j];
          break;
        }
        if (eq(kb + b * ksize, empty_key.data()) || eq(kb + b * ksize, deleted_key.data())) {
          ++num_entries;
          for (int64_t j = 0; j < ksize; ++j) kb[b * ksize + j] = row[j];
          for (int64_t j = 0; j < vsize; ++j) vb[b * vsize + j] = v[i * vsize + j];
          break;
        }
        ++probes;
        b = (b + probes) & mask;
        if (probes >= num_buckets) return internal_error("Internal error in MutableDenseHashTable insert");
      }
    }
    return Status();
  }
  Status insert(const Tensor& keys, const Tensor& values) override {
    MR_RETURN_IF_ERROR(check_batch_shape(keys));
    std::lock_guard<std::mutex> l(mu);
    const int64_t pending = num_entries + batch(keys);
    if (pending > num_buckets * max_load_factor) {
      int64_t nb = num_buckets;
      do {
        nb <<= 1;
      } while (pending > nb * max_load_factor);
      Tensor old_k = key_buckets, old_v = value_buckets;
      MR_RETURN_IF_ERROR(allocate(nb));
      MR_RETURN_IF_ERROR(do_insert(old_k, old_v, true));
    }
    return do_insert(keys, values, false);
  }
  Status remove(const Tensor& keys) override {
    if (keys.rank() == 0 || keys.num_elements() != keys.dim(0) * ksize) {
      Shape expected{keys.rank() == 0 ? 0 : keys.dim(0)};
      for (int64_t d : key_shape) expected.push_back(d);
      return invalid_argument(str_cat("Expected key shape ", shape_str(expected), " got ", shape_str(keys.shape())));
    }
    std::lock_guard<std::mutex> l(mu);
    const K* k = keys.data<K>();
    K* kb = key_buckets.data<K>();
    const int64_t mask = num_buckets - 1;
    for (int64_t i = 0; i < keys.dim(0); ++i) {
      const K* row = k + i * ksize;
      uint64_t h = hash_row(row);
      MR_RETURN_IF_ERROR(check_special(row, h));
      int64_t b = static_cast<int64_t>(h & static_cast<uint64_t>(mask)), probes = 0;
      while (true) {
        if (eq(kb + b * ksize, row)) {
          --num_entries;
          for (int64_t j = 0; j < ksize; ++j) kb[b * ksize + j] = deleted_key[j];
          break;
        }
        if (eq(kb + b * ksize, empty_key.data())) break;
        ++probes;
        b = (b + probes) & mask;
        if (probes >= num_buckets) return internal_error("Internal error in MutableDenseHashTable remove");
      }
    }
    return Status();
  }
  Status check_import(const Tensor& keys, const Tensor& values) const override {
    MR_RETURN_IF_ERROR(check_types(keys, &values));
    MR_RETURN_IF_ERROR(check_key_shape(keys.shape()));
    Shape ks = key_shape.empty() ? Shape{1} : key_shape;
    Shape vs = value_shape.empty() ? Shape{1} : value_shape;
    Shape expected = shape_minus_suffix_plus(keys.shape(), ks.size(), vs);
    if (values.shape() != expected)
      return invalid_argument(
          str_cat("Expected shape ", shape_str(expected), " for value, got ", shape_str(values.shape())));
    return Status();
  }
  Status import_values(const Tensor& keys, const Tensor& values) override {
    std::lock_guard<std::mutex> l(mu);
    int64_t n = keys.rank() == 0 ? 1 : keys.dim(0);
    // Own copies: the bucket arrays are updated in place.
    key_buckets = Tensor(key_dtype, {n, ksize});
    key_buckets.copy_from(keys.reshaped({n, ksize}));
    value_buckets = Tensor(value_dtype, {n, vsize});
    value_buckets.copy_from(values.reshaped({n, vsize}));
    num_buckets = n;
    num_entries = 0;
    const K* kb = key_buckets.data<K>();
    for (int64_t i = 0; i < n; ++i)
      if (!eq(kb + i * ksize, empty_key.data()) && !eq(kb + i * ksize, deleted_key.data())) ++num_entries;
    return Status();
  }
  Status export_values(Tensor* keys, Tensor* values) override {
    std::lock_guard<std::mutex> l(mu);
    *keys = key_buckets.deep_copy();
    *values = value_buckets.deep_copy();
    return Status();
  }
};

// ---- kernel helpers ----

enum class Kind { kHash, kMutable, kMutableOfTensors, kDense };

std::mutex g_create_mu;

std::string resource_key(const std::string& container, const std::string& name) {
  return "lookup_table:" + container + "/" + name;
}

Status get_table(OpContext& ctx, std::shared_ptr<LookupTable>* out) {
  const Tensor& h = ctx.input(0);
  std::string container, name;
  if (h.dtype() == DType::kResource && h.num_elements() == 1) {
    container = h.data<ResourceHandle>()->container;
    name = h.data<ResourceHandle>()->name;
  } else if (h.dtype() == DType::kString) {
    if (h.num_elements() != 2)
      return invalid_argument(str_cat("Lookup table handle must be scalar, but had shape: ", shape_str(h.shape())));
    container = h.data<std::string>()[0];
    name = h.data<std::string>()[1];
  } else {
    return invalid_argument(str_cat("Node ", ctx.name(), ": input 0 is not a table handle"));
  }
  *out = std::dynamic_pointer_cast<LookupTable>(ctx.resources().lookup(resource_key(container, name)));
  if (!*out)
    return not_found(str_cat("Resource ", container, "/", name,
                             "/N10tensorflow6lookup15LookupInterfaceE does not exist."));
  return Status();
}


// The key/value dtypes TF registers on CPU for each table kind.
bool combo_registered(Kind kind, DType k, DType v) {
  auto in = [&](std::initializer_list<DType> vs) {
    for (DType d : vs)
      if (d == v) return true;
    return false;
  };
  using D = DType;
  switch (kind) {
    case Kind::kHash:
      if (k == D::kInt32) return in({D::kDouble, D::kFloat, D::kInt32, D::kString});
      if (k == D::kInt64) return in({D::kDouble, D::kFloat, D::kInt32, D::kInt64, D::kString});
      if (k == D::kString) return in({D::kBool, D::kDouble, D::kFloat, D::kInt32, D::kInt64, D::kString});
      return false;
    case Kind::kMutable:
      if (k == D::kInt32) return in({D::kDouble, D::kFloat, D::kInt32});
      if (k == D::kInt64) return in({D::kDouble, D::kFloat, D::kInt32, D::kInt64, D::kString});
      if (k == D::kString) return in({D::kBool, D::kDouble, D::kFloat, D::kInt32, D::kInt64});
      return false;
    case Kind::kMutableOfTensors:
      if (k == D::kInt32) return in({D::kDouble, D::kFloat, D::kInt32});
      if (k == D::kInt64) return in({D::kDouble, D::kFloat, D::kInt32, D::kInt64, D::kString});
      if (k == D::kString) return in({D::kBool, D::kDouble, D::kFloat, D::kInt32, D::kInt64});
      return false;
    case Kind::kDense:
      if (k == D::kInt32) return in({D::kDouble, D::kFloat, D::kInt32});
      if (k == D::kInt64) return in({D::kBool, D::kDouble, D::kFloat, D::kInt32, D::kInt64});
      if (k == D::kString) return in({D::kBool, D::kDouble, D::kFloat, D::kInt32, D::kInt64});
      return false;
  }
  return false;
}

// Only the key/value pairs combo_registered accepts are compiled: the value
// types for each key type, over the hash-map tables (HashTable and the
// MutableHashTables) and over MutableDenseHashTable.
using KeyTypes = TypeList<int32_t, int64_t, std::string>;
template <class K> struct MapValues;
template <> struct MapValues<int32_t> { using type = TypeList<int32_t, float, double, std::string>; };
template <> struct MapValues<int64_t> { using type = TypeList<int32_t, int64_t, float, double, std::string>; };
template <> struct MapValues<std::string> {
  using type = TypeList<bool, int32_t, int64_t, float, double, std::string>;
};
template <class K> struct DenseValues;
template <> struct DenseValues<int32_t> { using type = TypeList<int32_t, float, double>; };
template <> struct DenseValues<int64_t> { using type = TypeList<bool, int32_t, int64_t, float, double>; };
template <> struct DenseValues<std::string> { using type = TypeList<bool, int32_t, int64_t, float, double>; };

// Calls f(K{}, V{}) for the pair (k, v) when `Values` lists it.
template <template <class> class Values, class F>
void dispatch_pair(DType k, DType v, F&& f) {
  dispatch(KeyTypes{}, k, [&](auto kt) {
    dispatch(typename Values<decltype(kt)>::type{}, v, [&](auto vt) { f(kt, vt); });
  });
}

class TableKernel : public OpKernel {
 public:
  TableKernel(KernelInit& init, Kind kind) : kind_(kind) {
    const std::string& op = init.op();
    v2_ = op.size() > 2 && op.compare(op.size() - 2, 2, "V2") == 0;
    if (init.has_attr("container")) init.get("container", &container_);
    if (init.has_attr("shared_name")) init.get("shared_name", &shared_name_);
    if (init.has_attr("use_node_name_sharing")) init.get("use_node_name_sharing", &use_node_name_);
    init.get("key_dtype", &key_dtype_);
    init.get("value_dtype", &value_dtype_);
    if (init.has_attr("value_shape")) init.get("value_shape", &value_shape_);
    if (kind == Kind::kDense) {
      init.get("initial_num_buckets", &initial_buckets_);
      init.get("max_load_factor", &max_load_factor_);
    }
    if (!init.status().ok()) return;
    if (!combo_registered(kind, key_dtype_, value_dtype_))
      init.fail(not_found(str_cat("No registered '", op, "' OpKernel for 'CPU' devices compatible with node ", init.name(),
                                  " (key_dtype=", dtype_name(key_dtype_), ", value_dtype=", dtype_name(value_dtype_),
                                  ")")));
    if (container_.empty()) container_ = "localhost";
    // A table private to its node is kept for the session, under the node's name.
    name_ = !shared_name_.empty() ? shared_name_ : use_node_name_ ? init.name() : "_private_table_/" + init.name();
  }

  Status compute(OpContext& ctx) override {
    std::shared_ptr<LookupTable> table;
    {
      std::lock_guard<std::mutex> l(g_create_mu);
      std::string key = resource_key(container_, name_);
      table = std::dynamic_pointer_cast<LookupTable>(ctx.resources().lookup(key));
      if (!table) {
        MR_RETURN_IF_ERROR(create(ctx, &table));
        ctx.resources().insert(key, table);
      } else if (table->key_dtype != key_dtype_ || table->value_dtype != value_dtype_) {
        return invalid_argument(str_cat("Conflicting key/value dtypes ", dtype_name(key_dtype_), "->",
                                        dtype_name(value_dtype_), " with ", dtype_name(table->key_dtype), "-",
                                        dtype_name(table->value_dtype), " for table ", name_));
      }
    }
    ctx.set_output(0, handle_tensor(container_, name_, v2_, "lookup_table"));
    return Status();
  }

 private:
  Status create(OpContext& ctx, std::shared_ptr<LookupTable>* out) {
    Shape vshape;
    if (kind_ == Kind::kMutableOfTensors || kind_ == Kind::kDense) {
      if (value_shape_.unknown_rank)
        return invalid_argument("value_shape must be known");
      vshape = Shape(value_shape_.dims);
    }
    if (kind_ == Kind::kMutableOfTensors && vshape.size() != 1)
      return invalid_argument(str_cat("Default value must be a vector, got shape ", shape_str(vshape)));
    if (kind_ != Kind::kDense) {
      dispatch_pair<MapValues>(key_dtype_, value_dtype_, [&](auto kt, auto vt) {
        auto t = std::make_shared<MapTable<decltype(kt), decltype(vt)>>();
        t->key_dtype = key_dtype_;
        t->value_dtype = value_dtype_;
        t->value_shape = vshape;
        t->dim = vshape.empty() ? 1 : vshape[0];
        t->init_once = kind_ == Kind::kHash;
        *out = t;
      });
      MR_REQUIRE(*out, "Unsupported table dtypes");
      return Status();
    }
    MR_REQUIRE(max_load_factor_ > 0 && max_load_factor_ < 1, "max_load_factor must be between 0 and 1, got: ",
               fmt(max_load_factor_));
    MR_REQUIRE(vshape.size() <= 1, "Empty value must be a scalar or a vector, got shape ", shape_str(vshape));
    const Tensor& empty = ctx.input(0);
    MR_REQUIRE(empty.rank() <= 1, "Empty key must be a scalar or a vector, got shape ", shape_str(empty.shape()));
    if (ctx.num_inputs() < 2) return invalid_argument("MutableDenseHashTable needs a deleted_key input");
    const Tensor& deleted = ctx.input(1);
    MR_REQUIRE(deleted.shape() == empty.shape(), "Empty and deleted keys must have same shape, got shapes: ",
               shape_str(empty.shape()), " and ", shape_str(deleted.shape()));
    Status st;
    dispatch_pair<DenseValues>(key_dtype_, value_dtype_, [&](auto kt, auto vt) {
      using K = decltype(kt);
      using V = decltype(vt);
      auto t = std::make_shared<DenseTable<K, V>>();
      t->key_dtype = key_dtype_;
      t->value_dtype = value_dtype_;
      t->key_shape = empty.shape();
      t->value_shape = vshape;
      t->max_load_factor = max_load_factor_;
      t->ksize = empty.num_elements();
      t->vsize = num_elements(vshape);
      t->empty_key.assign(empty.data<K>(), empty.data<K>() + t->ksize);
      t->deleted_key.assign(deleted.data<K>(), deleted.data<K>() + t->ksize);
      t->empty_hash = t->hash_row(t->empty_key.data());
      t->deleted_hash = t->hash_row(t->deleted_key.data());
      if (t->empty_hash == t->deleted_hash && t->eq(t->empty_key.data(), t->deleted_key.data())) {
        st = invalid_argument("Empty and deleted keys cannot be equal");
        return;
      }
      st = t->allocate(initial_buckets_);
      *out = t;
    });
    MR_REQUIRE(*out || !st.ok(), "Unsupported table dtypes");
    return st;
  }

  Kind kind_;
  bool v2_ = false;
  std::string container_, shared_name_, name_;
  bool use_node_name_ = false;
  DType key_dtype_ = DType::kInvalid, value_dtype_ = DType::kInvalid;
  PartialShape value_shape_;
  int64_t initial_buckets_ = 131072;
  float max_load_factor_ = 0.8f;
};

template <Kind K>
std::unique_ptr<OpKernel> make_table(KernelInit& init) {
  return new_kernel<TableKernel>(init, K);
}

class FindKernel : public OpKernel {
 public:
  explicit FindKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<LookupTable> t;
    MR_RETURN_IF_ERROR(get_table(ctx, &t));
    const Tensor& keys = ctx.input(1);
    const Tensor& dflt = ctx.input(2);
    MR_RETURN_IF_ERROR(t->check_find(keys, dflt));
    if (!t->initialized()) return failed_precondition("Table not initialized.");
    Tensor& out = ctx.allocate_output(0, shape_minus_suffix_plus(keys.shape(), t->key_shape.size(), t->value_shape));
    return t->find(keys, dflt, &out);
  }
};

class InsertKernel : public OpKernel {
 public:
  explicit InsertKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<LookupTable> t;
    MR_RETURN_IF_ERROR(get_table(ctx, &t));
    if (t->initializable()) return unimplemented("Insert not supported by InitializableLookupTable implementations");
    MR_RETURN_IF_ERROR(t->check_insert(ctx.input(1), ctx.input(2)));
    return t->insert(ctx.input(1), ctx.input(2));
  }
};

class RemoveKernel : public OpKernel {
 public:
  explicit RemoveKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<LookupTable> t;
    MR_RETURN_IF_ERROR(get_table(ctx, &t));
    if (t->initializable()) return unimplemented("Remove not supported by InitializableLookupTable implementations");
    MR_RETURN_IF_ERROR(t->check_types(ctx.input(1), nullptr));
    MR_RETURN_IF_ERROR(t->check_key_shape(ctx.input(1).shape()));
    return t->remove(ctx.input(1));
  }
};

class SizeKernel : public OpKernel {
 public:
  explicit SizeKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<LookupTable> t;
    MR_RETURN_IF_ERROR(get_table(ctx, &t));
    ctx.set_output(0, Tensor::scalar<int64_t>(t->size()));
    return Status();
  }
};

class ExportKernel : public OpKernel {
 public:
  explicit ExportKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<LookupTable> t;
    MR_RETURN_IF_ERROR(get_table(ctx, &t));
    Tensor k, v;
    MR_RETURN_IF_ERROR(t->export_values(&k, &v));
    ctx.set_output(0, k);
    ctx.set_output(1, v);
    return Status();
  }
};

// The number of entries of an initialized HashTable (size() locks).
int64_t entries(LookupTable* t) { return t->size(); }

Status init_table(LookupTable* t, const std::vector<std::pair<Tensor, Tensor>>& batches, int64_t total) {
  if (t->initialized()) {
    if (total != entries(t)) return failed_precondition("Table was already initialized with different data.");
    return Status();
  }
  std::lock_guard<std::mutex> l(t->mu);
  for (auto& b : batches) MR_RETURN_IF_ERROR(t->init_insert(b.first, b.second));
  t->mark_initialized();
  return Status();
}

class InitializeTableKernel : public OpKernel {
 public:
  explicit InitializeTableKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<LookupTable> t;
    MR_RETURN_IF_ERROR(get_table(ctx, &t));
    if (!t->initializable()) return invalid_argument(str_cat("Table ", ctx.name(), " is not initializable"));
    const Tensor& keys = ctx.input(1);
    const Tensor& values = ctx.input(2);
    if (keys.dtype() != t->key_dtype || values.dtype() != t->value_dtype)
      return invalid_argument(str_cat("Conflicting key/value dtypes ", dtype_name(keys.dtype()), "->",
                                      dtype_name(values.dtype()), " with ", dtype_name(t->key_dtype), "-",
                                      dtype_name(t->value_dtype)));
    MR_REQUIRE(keys.rank() == 1, "Keys must be a vector, but received shape", shape_str(keys.shape()));
    MR_REQUIRE(values.rank() == 1, "Values must be a vector, but received shape", shape_str(values.shape()));
    MR_REQUIRE(keys.num_elements() == values.num_elements(), "Keys and values must have the same size ",
               keys.num_elements(), " vs ", values.num_elements());
    return init_table(t.get(), {{keys, values}}, keys.num_elements());
  }
};

bool parse_int(const std::string& s, int64_t lo, int64_t hi, int64_t* out) {
  const char* p = s.c_str();
  while (*p == ' ' || *p == '\t') ++p;
  if (!*p) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(p, &end, 10);
  if (end == p || errno == ERANGE) return false;
  while (*end == ' ' || *end == '\t') ++end;
  if (*end) return false;
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool parse_double(const std::string& s, double* out) {
  const char* p = s.c_str();
  while (*p == ' ' || *p == '\t') ++p;
  if (!*p) return false;
  char* end = nullptr;
  double v = std::strtod(p, &end);
  if (end == p) return false;
  while (*end == ' ' || *end == '\t') ++end;
  if (*end) return false;
  *out = v;
  return true;
}

class InitializeFromTextFileKernel : public OpKernel {
 public:
  explicit InitializeFromTextFileKernel(KernelInit& init) {
    init.get("key_index", &key_index_);
    init.get("value_index", &value_index_);
    if (init.has_attr("vocab_size")) init.get("vocab_size", &vocab_size_);
    std::string delim = "\t";
    if (init.has_attr("delimiter")) init.get("delimiter", &delim);
    if (init.has_attr("offset")) init.get("offset", &offset_);
    if (delim.size() != 1) init.fail(invalid_argument("delimiter should be only 1 char"));
    else delimiter_ = delim[0];
  }

  Status compute(OpContext& ctx) override {
    std::shared_ptr<LookupTable> t;
    MR_RETURN_IF_ERROR(get_table(ctx, &t));
    if (!t->initializable()) return invalid_argument(str_cat("Table ", ctx.name(), " is not initializable"));
    const Tensor& f = ctx.input(1);
    MR_REQUIRE(f.rank() == 0 && f.dtype() == DType::kString, "filename should be a single string, but got ",
               shape_str(f.shape()));
    const std::string filename = f.scalar_value<std::string>();
    const DType kd = t->key_dtype, vd = t->value_dtype;
    if (key_index_ == kLineNumber && kd != DType::kInt64)
      return invalid_argument(
          str_cat("Key index for line number requires table key dtype of int64, got ", dtype_name(kd)));
    if (key_index_ == kWholeLine && !is_integer_type(kd) && kd != DType::kString)
      return invalid_argument(
          str_cat("Key index for whole line requires string or integer table key, got ", dtype_name(kd)));
    if (value_index_ == kLineNumber && vd != DType::kInt64)
      return invalid_argument(
          str_cat("Value index for line number requires table value dtype of int64, got ", dtype_name(vd)));
    if (value_index_ == kWholeLine && !is_integer_type(vd) && vd != DType::kString)
      return invalid_argument(str_cat(
          "Value index for whole line requires table value dtype of integer or string, got ", dtype_name(vd)));

    std::string content;
    MR_RETURN_IF_ERROR(read_file(FileUser(ctx), filename, &content));

    // Lines as TF's InputBuffer::ReadLine gives them: '\n'-terminated, a
    // trailing '\r' dropped, a last line without newline included.
    std::vector<std::pair<std::string, size_t>> lines;  // line, position after it
    size_t pos = 0;
    while (pos < content.size()) {
      size_t nl = content.find('\n', pos);
      size_t stop = nl == std::string::npos ? content.size() : nl;
      std::string line = content.substr(pos, stop - pos);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      pos = nl == std::string::npos ? content.size() : nl + 1;
      lines.emplace_back(std::move(line), pos);
    }
    int64_t total = vocab_size_ == -1 ? static_cast<int64_t>(lines.size()) : vocab_size_;

    int64_t n = static_cast<int64_t>(lines.size());
    if (vocab_size_ != -1) n = std::min<int64_t>(n, vocab_size_);
    Tensor keys(kd, {n}), values(vd, {n});
    for (int64_t i = 0; i < n; ++i) {
      const std::string& line = lines[i].first;
      if (line.empty())
        return invalid_argument(str_cat("Invalid content in ", filename, ": empty line found at position ",
                                        lines[i].second, "."));
      std::vector<std::string> tokens;
      if (std::max(key_index_, value_index_) >= 0) {
        size_t s = 0;
        while (true) {
          size_t d = line.find(delimiter_, s);
          tokens.push_back(line.substr(s, d == std::string::npos ? std::string::npos : d - s));
          if (d == std::string::npos) break;
          s = d + 1;
        }
        size_t expected = static_cast<size_t>(std::max(key_index_, value_index_) + 1);
        if (tokens.size() < expected)
          return invalid_argument(str_cat("Invalid number of columns in ", filename, " line ", i, " (", line,
                                          ") : expected at least ", expected, " got ", tokens.size()));
      }
      MR_RETURN_IF_ERROR(set_value(line, tokens, key_index_, i, &keys, i));
      MR_RETURN_IF_ERROR(set_value(line, tokens, value_index_, i, &values, i));
    }
    if (vocab_size_ != -1 && static_cast<int64_t>(lines.size()) < vocab_size_)
      return invalid_argument(str_cat("Invalid vocab_size in ", filename, ": expected ", vocab_size_, " but got ",
                                      static_cast<int64_t>(lines.size())));
    if (t->initialized()) return Status();  // TF: a file-initialized table is left as it is
    return init_table(t.get(), {{keys, values}}, total);
  }

 private:
  static constexpr int64_t kLineNumber = -1;
  static constexpr int64_t kWholeLine = -2;

  Status set_value(const std::string& line, const std::vector<std::string>& tokens, int64_t index, int64_t line_no,
                   Tensor* t, int64_t i) const {
    if (index == kLineNumber) {
      t->data<int64_t>()[i] = line_no + offset_;
      return Status();
    }
    const std::string& tok = index == kWholeLine ? line : tokens[index];
    switch (t->dtype()) {
      case DType::kInt32: {
        int64_t v;
        if (!parse_int(tok, INT32_MIN, INT32_MAX, &v))
          return invalid_argument(str_cat("Field ", tok, " in line ", line_no, " is not a valid int32."));
        t->data<int32_t>()[i] = static_cast<int32_t>(v + offset_);
        return Status();
      }
      case DType::kInt64: {
        int64_t v;
        if (!parse_int(tok, INT64_MIN, INT64_MAX, &v))
          return invalid_argument(str_cat("Field ", tok, " in line ", line_no, " is not a valid int64."));
        t->data<int64_t>()[i] = v;
        return Status();
      }
      case DType::kFloat: {
        double v;
        if (!parse_double(tok, &v))
          return invalid_argument(str_cat("Field ", tok, " in line ", line_no, " is not a valid float."));
        t->data<float>()[i] = std::strtof(tok.c_str(), nullptr);
        return Status();
      }
      case DType::kDouble: {
        double v;
        if (!parse_double(tok, &v))
          return invalid_argument(str_cat("Field ", tok, " in line ", line_no, " is not a valid double."));
        t->data<double>()[i] = v;
        return Status();
      }
      case DType::kString: t->data<std::string>()[i] = tok; return Status();
      default: return invalid_argument(str_cat("Data type ", dtype_name(t->dtype()), " not supported."));
    }
  }

  int64_t key_index_ = 0, value_index_ = 0, vocab_size_ = -1, offset_ = 0;
  char delimiter_ = '\t';
};

class ImportKernel : public OpKernel {
 public:
  explicit ImportKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<LookupTable> t;
    MR_RETURN_IF_ERROR(get_table(ctx, &t));
    const Tensor& keys = ctx.input(1);
    const Tensor& values = ctx.input(2);
    MR_RETURN_IF_ERROR(t->check_import(keys, values));
    if (t->initializable()) return init_table(t.get(), {{keys, values}}, keys.num_elements());
    return t->import_values(keys, values);
  }
};

class StringToHashBucketFastKernel : public OpKernel {
 public:
  explicit StringToHashBucketFastKernel(KernelInit& init) {
    init.get("num_buckets", &num_buckets_);
    if (init.status().ok() && num_buckets_ < 1)
      init.fail(invalid_argument(str_cat("Value for attr 'num_buckets' of ", num_buckets_,
                                         " must be at least minimum 1")));
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, in.shape());
    const std::string* s = in.data<std::string>();
    int64_t* o = out.data<int64_t>();
    const uint64_t nb = static_cast<uint64_t>(num_buckets_);
    for (int64_t i = 0; i < in.num_elements(); ++i)
      o[i] = static_cast<int64_t>(fingerprint64(s[i].data(), s[i].size()) % nb);
    return Status();
  }

 private:
  int64_t num_buckets_ = 1;
};

}  // namespace

void register_lookup_ops(Registry& r) {
  for (std::string v : {"", "V2"}) {
    r.add("HashTable" + v, make_table<Kind::kHash>);
    r.add("MutableHashTable" + v, make_table<Kind::kMutable>);
    r.add("MutableHashTableOfTensors" + v, make_table<Kind::kMutableOfTensors>);
    r.add("LookupTableFind" + v, make_kernel<FindKernel>);
    r.add("LookupTableInsert" + v, make_kernel<InsertKernel>);
    r.add("LookupTableSize" + v, make_kernel<SizeKernel>);
    r.add("LookupTableExport" + v, make_kernel<ExportKernel>);
    r.add("LookupTableImport" + v, make_kernel<ImportKernel>);
    r.add("InitializeTable" + v, make_kernel<InitializeTableKernel>);
    r.add("InitializeTableFromTextFile" + v, make_kernel<InitializeFromTextFileKernel>);
  }
  r.add("MutableDenseHashTableV2", make_table<Kind::kDense>);
  r.add("LookupTableRemoveV2", make_kernel<RemoveKernel>);
  r.add("StringToHashBucketFast", make_kernel<StringToHashBucketFastKernel>);
}

}  // namespace metarun
