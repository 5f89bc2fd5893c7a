// tf.train.Example parsing: ParseExampleV2 (what tf.io.parse_example and
// parse_single_example build in TF 2.x; a scalar input parses one example
// without a batch dimension), and the TF1 ops ParseExample and
// ParseSingleExample. Examples are read straight from the protobuf wire
// format (Example.features = 1 -> Features.feature map<string, Feature> = 1;
// Feature: bytes_list = 1, float_list = 2, int64_list = 3, each a repeated
// `value = 1`, numbers packed or not). Dense features (FixedLenFeature, and
// FixedLenSequenceFeature when the shape's first dim is unknown: padded with
// the default) and sparse ones (VarLenFeature: indices, values, shape).
// Ragged features are refused.
#include <cstring>
#include <unordered_map>

#include "framework/registry.h"
#include "kernels/util/example_proto.h"

namespace metarun {
namespace {

using Kind = FeatureKind;
using Values = FeatureValues;

const char* kind_name(Kind k) { return feature_kind_name(k); }
Kind kind_of(DType t) { return feature_kind_of(t); }

// The Feature messages of the requested keys in one serialized Example
// (a key given twice in the map: the last one).
bool find_features(const std::string& ex, const std::unordered_map<std::string, int>& keys,
                   std::vector<std::pair<const char*, size_t>>* found) {
  found->assign(keys.size(), {nullptr, 0});
  Wire w(ex.data(), ex.size());
  while (!w.done()) {
    uint32_t field, wire;
    if (!w.tag(&field, &wire)) return false;
    if (field != 1 || wire != 2) {
      if (!w.skip(wire)) return false;
      continue;
    }
    const char* fs;
    size_t fn;
    if (!w.bytes(&fs, &fn)) return false;
    Wire features(fs, fn);
    while (!features.done()) {
      uint32_t f2, w2;
      if (!features.tag(&f2, &w2)) return false;
      if (f2 != 1 || w2 != 2) {
        if (!features.skip(w2)) return false;
        continue;
      }
      const char* es;
      size_t en;
      if (!features.bytes(&es, &en)) return false;
      Wire entry(es, en);
      std::string key;
      const char* vs = nullptr;
      size_t vn = 0;
      bool has_value = false;
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
          has_value = true;
        } else if (!entry.skip(w3)) {
          return false;
        }
      }
      auto it = keys.find(key);
      if (it != keys.end()) (*found)[it->second] = has_value ? std::make_pair(vs, vn) : std::make_pair("", size_t{0});
    }
  }
  return true;
}

struct DenseSpec {
  std::string key;
  DType dtype;
  PartialShape shape;  // first dim -1: variable length (padded)
  Tensor default_value;
  bool variable() const { return !shape.unknown_rank && !shape.dims.empty() && shape.dims[0] < 0; }
  int64_t stride() const {  // elements per row of a variable-length feature, or in all
    int64_t n = 1;
    for (size_t i = variable() ? 1 : 0; i < shape.dims.size(); ++i) n *= shape.dims[i];
    return n;
  }
};

struct SparseSpec {
  std::string key;
  DType dtype;
};

// What the three ops share: the specs, then parsing a batch.
class ExampleParser {
 public:
  std::vector<DenseSpec> dense;
  std::vector<SparseSpec> sparse;
  bool v1_single = false;  // ParseSingleExample's messages (no "Name:" prefix)

  // `serialized` holds `n` examples (scalar: one, `batch` false).
  Status parse(OpContext& ctx, const Tensor& serialized, const Tensor* names, int out_base) {
    const bool batch = serialized.rank() > 0;
    const int64_t n = serialized.num_elements();
    const std::string* ex = serialized.data<std::string>();
    std::unordered_map<std::string, int> keys;
    for (size_t i = 0; i < sparse.size(); ++i) keys[sparse[i].key] = static_cast<int>(i);
    for (size_t i = 0; i < dense.size(); ++i) keys[dense[i].key] = static_cast<int>(sparse.size() + i);
    const size_t ns = sparse.size(), nd = dense.size();
    // values[example][feature]
    std::vector<std::vector<Values>> values(n, std::vector<Values>(keys.size()));
    std::vector<std::vector<char>> present(n, std::vector<char>(keys.size(), 0));
    std::vector<std::pair<const char*, size_t>> found;
    for (int64_t e = 0; e < n; ++e) {
      bool ok = find_features(ex[e], keys, &found);
      for (size_t f = 0; ok && f < found.size(); ++f) {
        if (!found[f].first) continue;
        present[e][f] = 1;
        ok = decode_feature(found[f].first, found[f].second, &values[e][f]);
      }
      if (!ok) return invalid_argument(str_cat("Could not parse example input, value: '", ex[e], "'"));
    }
    auto prefix = [&](int64_t e) {
      if (v1_single || !batch) return std::string();  // one example: no name to give
      std::string name = names && names->num_elements() > e ? names->data<std::string>()[e] : "<unknown>";
      return str_cat("Name: ", name, ", ");
    };
    // Type checks, in feature order.
    for (int64_t e = 0; e < n; ++e)
      for (size_t f = 0; f < keys.size(); ++f) {
        const Values& v = values[e][f];
        DType want = f < ns ? sparse[f].dtype : dense[f - ns].dtype;
        if (present[e][f] && v.kind != Kind::kNone && v.kind != kind_of(want)) {
          const std::string& key = f < ns ? sparse[f].key : dense[f - ns].key;
          // TF words a sparse feature's mismatch the other way round
          const std::string mismatch =
              f < ns ? str_cat("Expected type: ", kind_name(kind_of(want)), ", Actual type: ", kind_name(v.kind))
                     : str_cat("Data type: ", kind_name(v.kind), " but expected type: ", kind_name(kind_of(want)));
          if (batch)
            return invalid_argument(str_cat(prefix(e), "Key: ", key, ", Index: ", e, ".  Data types don't match. ",
                                            mismatch));
          return invalid_argument(str_cat("Key: ", key, ".  Data types don't match. ", mismatch));
        }
      }
    // Sparse outputs: indices, values, shapes.
    for (size_t s = 0; s < ns; ++s) {
      int64_t total = 0, max_len = 0;
      for (int64_t e = 0; e < n; ++e) {
        int64_t len = static_cast<int64_t>(values[e][s].size());
        total += len;
        max_len = std::max(max_len, len);
      }
      const int64_t rank = batch ? 2 : 1;
      Tensor& idx = ctx.allocate_output(out_base + static_cast<int>(s), {total, rank});
      Tensor& val = ctx.allocate_output(out_base + static_cast<int>(ns + s), {total});
      Tensor& shp = ctx.allocate_output(out_base + static_cast<int>(2 * ns + s), {rank});
      int64_t* ip = idx.data<int64_t>();
      int64_t k = 0;
      for (int64_t e = 0; e < n; ++e) {
        const Values& v = values[e][s];
        for (size_t i = 0; i < v.size(); ++i, ++k) {
          if (batch) *ip++ = e;
          *ip++ = static_cast<int64_t>(i);
          copy_value(v, i, val, k);
        }
      }
      int64_t* sp = shp.data<int64_t>();
      if (batch) *sp++ = n;
      *sp = max_len;
    }
    // Dense outputs.
    for (size_t d = 0; d < nd; ++d) {
      const DenseSpec& spec = dense[d];
      const size_t f = ns + d;
      const int64_t stride = spec.stride();
      int64_t rows = 0;  // variable length: the longest example's rows
      for (int64_t e = 0; e < n; ++e) {
        const Values& v = values[e][f];
        const int64_t count = static_cast<int64_t>(v.size());
        if (spec.variable()) {
          if (stride > 0 && count % stride != 0)
            return invalid_argument(str_cat(prefix(e), "Key: ", spec.key, ", Index: ", e, ".  Number of ",
                                            kind_name(kind_of(spec.dtype)),
                                            " values is not a multiple of stride length. Saw ", count,
                                            " values but output shape is: ", spec.shape.str()));
          rows = std::max(rows, stride > 0 ? count / stride : 0);
          continue;
        }
        if (!present[e][f] || (v.kind == Kind::kNone && count == 0 && stride != 0)) {
          if (spec.default_value.num_elements() == 0 && stride != 0)
            return invalid_argument(str_cat(prefix(e), "Feature: ", spec.key, " (data type: ",
                                            kind_name(kind_of(spec.dtype)),
                                            ") is required but could not be found."));
          continue;
        }
        if (count != stride) {
          if (!batch && count > stride)
            return invalid_argument(str_cat("Key: ", spec.key, ".  Can't parse serialized Example: Some ",
                                            kind_name(kind_of(spec.dtype)) == std::string("string") ? "bytes"
                                                : kind_name(kind_of(spec.dtype)),
                                            "_list slice was not parsed."));
          return invalid_argument(str_cat(prefix(e), "Key: ", spec.key, ", Index: ", e, ".  Number of ",
                                          kind_name(kind_of(spec.dtype)), " values != expected.  Values size: ",
                                          count, " but output shape: ", spec.shape.str()));
        }
      }
      Shape out_shape;
      if (batch) out_shape.push_back(n);
      if (spec.variable()) out_shape.push_back(rows);
      for (size_t i = spec.variable() ? 1 : 0; i < spec.shape.dims.size(); ++i) out_shape.push_back(spec.shape.dims[i]);
      Tensor& out = ctx.allocate_output(out_base + static_cast<int>(3 * ns + d), out_shape);
      const int64_t per_example = spec.variable() ? rows * stride : stride;
      for (int64_t e = 0; e < n; ++e) {
        const Values& v = values[e][f];
        const int64_t base = e * per_example;
        int64_t filled = 0;
        if (present[e][f]) {
          for (size_t i = 0; i < v.size(); ++i) copy_value(v, i, out, base + static_cast<int64_t>(i));
          filled = static_cast<int64_t>(v.size());
        }
        // The default: the whole value of a missing fixed feature, or the
        // padding of a variable-length one.
        for (int64_t i = filled; i < per_example; ++i) {
          int64_t src = spec.variable() || spec.default_value.num_elements() == 1 ? 0 : i;
          if (spec.default_value.num_elements() == 0) break;
          copy_elements(spec.default_value, src, out, base + i, 1);
        }
      }
    }
    return Status();
  }

 private:
  static void copy_value(const Values& v, size_t i, Tensor& out, int64_t at) {
    switch (v.kind) {
      case Kind::kBytes: out.data<std::string>()[at] = v.bytes[i]; break;
      case Kind::kFloat: out.data<float>()[at] = v.floats[i]; break;
      case Kind::kInt64: out.data<int64_t>()[at] = v.ints[i]; break;
      default: break;
    }
  }
  static void copy_elements(const Tensor& src, int64_t from, Tensor& dst, int64_t to, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
      switch (src.dtype()) {
        case DType::kString: dst.data<std::string>()[to + i] = src.data<std::string>()[from + i]; break;
        case DType::kFloat: dst.data<float>()[to + i] = src.data<float>()[from + i]; break;
        case DType::kInt64: dst.data<int64_t>()[to + i] = src.data<int64_t>()[from + i]; break;
        default: break;
      }
    }
  }
};

Status read_types(KernelInit& init, const char* attr, std::vector<DType>* out) {
  if (init.has_attr(attr)) init.get(attr, out);
  for (DType t : *out)
    if (kind_of(t) == Kind::kNone)
      return invalid_argument(str_cat("Example features are float, int64 or string, not ", dtype_name(t)));
  return Status();
}

void read_shapes(KernelInit& init, std::vector<PartialShape>* out) {
  const AttrValue* v = init.has_attr("dense_shapes") ? init.find_attr("dense_shapes") : nullptr;
  if (v && v->kind == AttrValue::Kind::kList) *out = v->list_shape;
}

std::vector<std::string> string_list(const Tensor& t) {
  std::vector<std::string> out;
  if (t.dtype() != DType::kString) return out;
  for (int64_t i = 0; i < t.num_elements(); ++i) out.push_back(t.data<std::string>()[i]);
  return out;
}

Status check_defaults(const ExampleParser& p) {
  for (const DenseSpec& d : p.dense) {
    if (d.default_value.dtype() != d.dtype)
      return invalid_argument(str_cat("dense_defaults[", d.key, "] must be ", dtype_name(d.dtype)));
    if (d.variable() && d.default_value.num_elements() > 1)
      return invalid_argument(str_cat("For key ", d.key, ", the default of a variable-length feature must be a "
                                      "scalar (the padding)"));
    if (!d.variable() && d.default_value.num_elements() != 0 && d.default_value.num_elements() != d.stride())
      return invalid_argument(str_cat("dense_defaults[", d.key, "] has ", d.default_value.num_elements(),
                                      " elements; shape ", d.shape.str(), " needs ", d.stride()));
  }
  return Status();
}

class ParseExampleV2Op : public OpKernel {
 public:
  explicit ParseExampleV2Op(KernelInit& init) {
    init.get("num_sparse", &num_sparse_);
    if (init.status().ok()) init.fail(read_types(init, "sparse_types", &sparse_types_));
    if (init.status().ok()) init.fail(read_types(init, "Tdense", &dense_types_));
    read_shapes(init, &shapes_);
    std::vector<DType> ragged;
    if (init.has_attr("ragged_value_types")) init.get("ragged_value_types", &ragged);
    if (init.status().ok() && !ragged.empty())
      init.fail(unimplemented("ParseExampleV2: ragged features are not supported by metarun yet"));
    if (init.status().ok() && (static_cast<int>(sparse_types_.size()) != num_sparse_ ||
                               shapes_.size() != dense_types_.size()))
      init.fail(invalid_argument("ParseExampleV2: sparse_types/dense_shapes do not match num_sparse/Tdense"));
  }
  Status compute(OpContext& ctx) override {
    const Tensor& serialized = ctx.input(0);
    if (serialized.dtype() != DType::kString || serialized.rank() > 1)
      return invalid_argument("Expected serialized to be a scalar or vector, got shape: " +
                              shape_str(serialized.shape()));
    ExampleParser p;
    std::vector<std::string> sk = string_list(ctx.input(2)), dk = string_list(ctx.input(3));
    if (static_cast<int>(sk.size()) != num_sparse_ || dk.size() != dense_types_.size())
      return invalid_argument(str_cat("Expected len(sparse_keys) == num_sparse (", num_sparse_,
                                      ") and len(dense_keys) == len(Tdense) (", dense_types_.size(), ")"));
    for (size_t i = 0; i < sk.size(); ++i) p.sparse.push_back({sk[i], sparse_types_[i]});
    for (size_t i = 0; i < dk.size(); ++i) p.dense.push_back({dk[i], dense_types_[i], shapes_[i], ctx.input(5 + static_cast<int>(i))});
    MR_RETURN_IF_ERROR(check_defaults(p));
    const Tensor& names = ctx.input(1);
    return p.parse(ctx, serialized, names.num_elements() ? &names : nullptr, 0);
  }

 private:
  int num_sparse_ = 0;
  std::vector<DType> sparse_types_, dense_types_;
  std::vector<PartialShape> shapes_;
};

// ParseExample (TF1): keys are scalar string inputs.
class ParseExampleV1Op : public OpKernel {
 public:
  explicit ParseExampleV1Op(KernelInit& init) {
    init.get("Nsparse", &num_sparse_);
    init.get("Ndense", &num_dense_);
    if (init.status().ok()) init.fail(read_types(init, "sparse_types", &sparse_types_));
    if (init.status().ok()) init.fail(read_types(init, "Tdense", &dense_types_));
    read_shapes(init, &shapes_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& serialized = ctx.input(0);
    if (serialized.dtype() != DType::kString || serialized.rank() != 1)
      return invalid_argument("Expected serialized to be a vector, got shape: " + shape_str(serialized.shape()));
    ExampleParser p;
    const int first_sparse = 2, first_dense = 2 + num_sparse_, first_default = 2 + num_sparse_ + num_dense_;
    for (int i = 0; i < num_sparse_; ++i) {
      std::vector<std::string> k = string_list(ctx.input(first_sparse + i));
      if (k.size() != 1) return invalid_argument("Expected sparse_keys[" + std::to_string(i) + "] to be a scalar");
      p.sparse.push_back({k[0], sparse_types_[i]});
    }
    for (int i = 0; i < num_dense_; ++i) {
      std::vector<std::string> k = string_list(ctx.input(first_dense + i));
      if (k.size() != 1) return invalid_argument("Expected dense_keys[" + std::to_string(i) + "] to be a scalar");
      p.dense.push_back({k[0], dense_types_[i], shapes_[i], ctx.input(first_default + i)});
    }
    MR_RETURN_IF_ERROR(check_defaults(p));
    const Tensor& names = ctx.input(1);
    return p.parse(ctx, serialized, names.num_elements() ? &names : nullptr, 0);
  }

 private:
  int num_sparse_ = 0, num_dense_ = 0;
  std::vector<DType> sparse_types_, dense_types_;
  std::vector<PartialShape> shapes_;
};

// ParseSingleExample (TF1): one example, keys as attrs.
class ParseSingleExampleOp : public OpKernel {
 public:
  explicit ParseSingleExampleOp(KernelInit& init) {
    init.get("num_sparse", &num_sparse_);
    init.get("sparse_keys", &sparse_keys_);
    init.get("dense_keys", &dense_keys_);
    if (init.status().ok()) init.fail(read_types(init, "sparse_types", &sparse_types_));
    if (init.status().ok()) init.fail(read_types(init, "Tdense", &dense_types_));
    read_shapes(init, &shapes_);
    if (init.status().ok() && (sparse_keys_.size() != sparse_types_.size() || dense_keys_.size() != dense_types_.size() ||
                               shapes_.size() != dense_types_.size()))
      init.fail(invalid_argument("ParseSingleExample: keys, types and shapes do not match"));
  }
  Status compute(OpContext& ctx) override {
    const Tensor& serialized = ctx.input(0);
    if (serialized.dtype() != DType::kString || serialized.rank() != 0)
      return invalid_argument("Expected serialized to be a scalar, got shape: " + shape_str(serialized.shape()));
    ExampleParser p;
    p.v1_single = true;
    for (size_t i = 0; i < sparse_keys_.size(); ++i) p.sparse.push_back({sparse_keys_[i], sparse_types_[i]});
    for (size_t i = 0; i < dense_keys_.size(); ++i)
      p.dense.push_back({dense_keys_[i], dense_types_[i], shapes_[i], ctx.input(1 + static_cast<int>(i))});
    MR_RETURN_IF_ERROR(check_defaults(p));
    return p.parse(ctx, serialized, nullptr, 0);
  }

 private:
  int num_sparse_ = 0;
  std::vector<std::string> sparse_keys_, dense_keys_;
  std::vector<DType> sparse_types_, dense_types_;
  std::vector<PartialShape> shapes_;
};

}  // namespace

void register_parse_example_ops(Registry& r) {
  r.add("ParseExampleV2", make_kernel<ParseExampleV2Op>);
  r.add("ParseExample", make_kernel<ParseExampleV1Op>);
  r.add("ParseSingleExample", make_kernel<ParseSingleExampleOp>);
}

}  // namespace metarun
