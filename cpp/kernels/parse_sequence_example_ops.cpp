// tf.train.SequenceExample parsing: ParseSequenceExampleV2 (what
// tf.io.parse_sequence_example and parse_single_sequence_example build; a
// scalar input parses one example without a batch dimension), and the TF1 ops
// ParseSequenceExample (a batch, keys as attrs) and ParseSingleSequenceExample
// (one example, keys as inputs; TF runs it through its older parser, whose
// messages differ). SequenceExample: context = 1 (Features), feature_lists = 2
// (FeatureLists: map<string, FeatureList> feature_list = 1; FeatureList:
// repeated Feature feature = 1, one per time step).
//
// Context features are dense (a fixed shape, with a default or required) or
// sparse (VarLen: indices, values, shape). Feature lists are dense (each step
// one value of the fixed shape; padded with zeros to the batch's longest
// list, with the lengths as outputs) or sparse (indices [example,] step,
// position). Ragged features are refused.
#include <algorithm>
#include <unordered_map>

#include "framework/registry.h"
#include "kernels/util/example_proto.h"

namespace metarun {
namespace {

struct ContextSpec {
  std::string key;
  DType dtype;
  Shape shape;    // dense only
  Tensor deflt;   // dense only; empty: required
};

struct ListSpec {
  std::string key;
  DType dtype;
  Shape shape;    // dense only: the shape of one step
  bool assumed_empty = false;
};

struct ParsedSequence {
  std::vector<FeatureValues> context;   // by context spec (sparse, then dense)
  std::vector<char> context_present;
  std::vector<std::vector<FeatureValues>> lists;  // by list spec (sparse, then dense)
  std::vector<char> list_present;
};

int64_t elements(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// "[?,2]": a feature list's shape with its unknown number of steps.
std::string list_shape_str(const Shape& s) {
  std::string out = "[?";
  for (int64_t d : s) out += "," + std::to_string(d);
  return out + "]";
}

void copy_value(const FeatureValues& v, size_t i, Tensor& out, int64_t at) {
  switch (v.kind) {
    case FeatureKind::kBytes: out.data<std::string>()[at] = v.bytes[i]; break;
    case FeatureKind::kFloat: out.data<float>()[at] = v.floats[i]; break;
    case FeatureKind::kInt64: out.data<int64_t>()[at] = v.ints[i]; break;
    default: break;
  }
}

void copy_default(const Tensor& src, int64_t from, Tensor& dst, int64_t to) {
  switch (src.dtype()) {
    case DType::kString: dst.data<std::string>()[to] = src.data<std::string>()[from]; break;
    case DType::kFloat: dst.data<float>()[to] = src.data<float>()[from]; break;
    case DType::kInt64: dst.data<int64_t>()[to] = src.data<int64_t>()[from]; break;
    default: break;
  }
}

class SequenceParser {
 public:
  std::vector<ContextSpec> context_sparse, context_dense;
  std::vector<ListSpec> list_sparse, list_dense;
  bool legacy = false;  // ParseSingleSequenceExample's messages

  // Outputs from `base`: context sparse indices/values/shapes, context dense,
  // then (after `list_base`) list sparse indices/values/shapes, list dense and,
  // when `lengths`, the dense lists' lengths.
  Status parse(OpContext& ctx, const Tensor& serialized, const std::vector<std::string>& names, int list_base,
               bool lengths) {
    batch_ = serialized.rank() > 0;
    const int64_t n = serialized.num_elements();
    names_ = names;
    index_keys();
    std::vector<ParsedSequence> parsed(n);
    for (int64_t e = 0; e < n; ++e) MR_RETURN_IF_ERROR(parse_one(serialized.data<std::string>()[e], e, &parsed[e]));
    MR_RETURN_IF_ERROR(context_outputs(ctx, parsed));
    return list_outputs(ctx, parsed, list_base, lengths);
  }

 private:
  bool batch_ = false;
  std::vector<std::string> names_;
  std::unordered_map<std::string, int> ckeys_, lkeys_;  // key -> spec index (sparse, then dense)

  std::string name(int64_t e) const {
    return e < static_cast<int64_t>(names_.size()) ? names_[e] : std::string("<unknown>");
  }

  void index_keys() {
    const size_t ncs = context_sparse.size(), nls = list_sparse.size();
    for (size_t i = 0; i < ncs; ++i) ckeys_[context_sparse[i].key] = static_cast<int>(i);
    for (size_t i = 0; i < context_dense.size(); ++i) ckeys_[context_dense[i].key] = static_cast<int>(ncs + i);
    for (size_t i = 0; i < nls; ++i) lkeys_[list_sparse[i].key] = static_cast<int>(i);
    for (size_t i = 0; i < list_dense.size(); ++i) lkeys_[list_dense[i].key] = static_cast<int>(nls + i);
  }

  Status parse_one(const std::string& ex, int64_t e, ParsedSequence* out) {
    const auto& ckeys = ckeys_;
    const auto& lkeys = lkeys_;
    const size_t ncs = context_sparse.size(), nls = list_sparse.size();
    std::vector<std::pair<const char*, size_t>> cfound(ckeys.size(), {nullptr, 0}), lfound(lkeys.size(), {nullptr, 0});
    auto bad = [&]() {
      if (legacy) return invalid_argument(str_cat("Could not parse example input, value: '", ex, "'"));
      return invalid_argument(str_cat("Invalid protocol message input, example id: ", name(e)));
    };
    Wire w(ex.data(), ex.size());
    while (!w.done()) {
      uint32_t field, wire;
      if (!w.tag(&field, &wire)) return bad();
      if ((field != 1 && field != 2) || wire != 2) {
        if (!w.skip(wire)) return bad();
        continue;
      }
      const char* s;
      size_t len;
      if (!w.bytes(&s, &len)) return bad();
      const auto& keys = field == 1 ? ckeys : lkeys;
      auto& found = field == 1 ? cfound : lfound;
      bool ok = for_each_map_entry(s, len, 1, [&](const std::string& key, const char* v, size_t vn) {
        auto it = keys.find(key);
        if (it != keys.end()) found[it->second] = {v, vn};
      });
      if (!ok) return bad();
    }
    out->context.resize(cfound.size());
    out->context_present.assign(cfound.size(), 0);
    for (size_t f = 0; f < cfound.size(); ++f) {
      if (!cfound[f].first) continue;
      out->context_present[f] = 1;
      if (!decode_feature(cfound[f].first, cfound[f].second, &out->context[f])) return bad();
      const ContextSpec& spec = f < ncs ? context_sparse[f] : context_dense[f - ncs];
      FeatureKind kind = out->context[f].kind;
      if (kind != FeatureKind::kNone && kind != feature_kind_of(spec.dtype))
        return invalid_argument(str_cat("Name: ", name(e), ", Context feature: ", spec.key,
                                        ".  Data types don't match. Expected type: ",
                                        feature_kind_name(feature_kind_of(spec.dtype))));
    }
    out->lists.resize(lfound.size());
    out->list_present.assign(lfound.size(), 0);
    for (size_t f = 0; f < lfound.size(); ++f) {
      const ListSpec& spec = f < nls ? list_sparse[f] : list_dense[f - nls];
      if (!lfound[f].first) {
        if (f >= nls && !spec.assumed_empty)
          return invalid_argument(str_cat("Name: ", name(e), ", Feature list '", spec.key,
                                          "' is required but could not be found.  Did you mean to include it in "
                                          "feature_list_dense_missing_assumed_empty or feature_list_dense_defaults?"));
        continue;
      }
      out->list_present[f] = 1;
      Wire list(lfound[f].first, lfound[f].second);
      while (!list.done()) {
        uint32_t field, wire;
        if (!list.tag(&field, &wire)) return bad();
        if (field != 1 || wire != 2) {
          if (!list.skip(wire)) return bad();
          continue;
        }
        const char* s;
        size_t len;
        if (!list.bytes(&s, &len)) return bad();
        out->lists[f].emplace_back();
        if (!decode_feature(s, len, &out->lists[f].back())) return bad();
        FeatureKind kind = out->lists[f].back().kind;
        if (kind != FeatureKind::kNone && kind != feature_kind_of(spec.dtype))
          return invalid_argument(str_cat("Name: ", name(e), ", Feature list: ", spec.key, ", Index: ",
                                          out->lists[f].size() - 1, ".  Data types don't match. Expected type: ",
                                          feature_kind_name(feature_kind_of(spec.dtype))));
      }
    }
    return Status();
  }

  // indices/values/shape of sparse feature `f` whose values per example are `steps(e)`
  // (one list of values for a context feature, one per step for a feature list).
  template <class Steps>
  void sparse_output(OpContext& ctx, int base, int count, int s, int64_t n, Steps steps, bool list) {
    int64_t total = 0, max_steps = 0, max_len = 0;
    for (int64_t e = 0; e < n; ++e) {
      const std::vector<const FeatureValues*> st = steps(e);
      max_steps = std::max(max_steps, static_cast<int64_t>(st.size()));
      for (const FeatureValues* v : st) {
        total += static_cast<int64_t>(v->size());
        max_len = std::max(max_len, static_cast<int64_t>(v->size()));
      }
    }
    const int64_t rank = (batch_ ? 1 : 0) + (list ? 1 : 0) + 1;
    Tensor& idx = ctx.allocate_output(base + s, {total, rank});
    Tensor& val = ctx.allocate_output(base + count + s, {total});
    Tensor& shp = ctx.allocate_output(base + 2 * count + s, {rank});
    int64_t* ip = idx.data<int64_t>();
    int64_t k = 0;
    for (int64_t e = 0; e < n; ++e) {
      const std::vector<const FeatureValues*> st = steps(e);
      for (size_t t = 0; t < st.size(); ++t)
        for (size_t i = 0; i < st[t]->size(); ++i, ++k) {
          if (batch_) *ip++ = e;
          if (list) *ip++ = static_cast<int64_t>(t);
          *ip++ = static_cast<int64_t>(i);
          copy_value(*st[t], i, val, k);
        }
    }
    int64_t* sp = shp.data<int64_t>();
    if (batch_) *sp++ = n;
    if (list) *sp++ = max_steps;
    *sp = max_len;
  }

  Status context_outputs(OpContext& ctx, const std::vector<ParsedSequence>& parsed) {
    const int64_t n = static_cast<int64_t>(parsed.size());
    const int ncs = static_cast<int>(context_sparse.size());
    for (int s = 0; s < ncs; ++s)
      sparse_output(ctx, 0, ncs, s, n, [&](int64_t e) {
        return std::vector<const FeatureValues*>{&parsed[e].context[s]};
      }, false);
    for (size_t d = 0; d < context_dense.size(); ++d) {
      const ContextSpec& spec = context_dense[d];
      const size_t f = ncs + d;
      const int64_t stride = elements(spec.shape);
      const bool has_default = spec.deflt.num_elements() > 0;
      if (!legacy) {
        int64_t max_count = 0;
        for (int64_t e = 0; e < n; ++e) max_count = std::max(max_count, static_cast<int64_t>(parsed[e].context[f].size()));
        if (has_default ? max_count > stride : max_count != stride)
          return invalid_argument(str_cat("Inconsistent max number of elements for feature ", spec.key, ": expected ",
                                          stride, ", but found ", max_count));
      }
      Shape shape;
      if (batch_) shape.push_back(n);
      shape.insert(shape.end(), spec.shape.begin(), spec.shape.end());
      Tensor& out = ctx.allocate_output(3 * ncs + static_cast<int>(d), shape);
      for (int64_t e = 0; e < n; ++e) {
        const FeatureValues& v = parsed[e].context[f];
        if (!parsed[e].context_present[f]) {
          if (!has_default) {
            if (legacy)
              return invalid_argument(str_cat("Name: ", name(e), ", Context feature '", spec.key,
                                              "' is required but could not be found."));
            return invalid_argument(str_cat("Feature: ", spec.key, " (data type: ",
                                            feature_kind_name(feature_kind_of(spec.dtype)),
                                            ") is required but could not be found."));
          }
          for (int64_t i = 0; i < stride; ++i)
            copy_default(spec.deflt, spec.deflt.num_elements() == 1 ? 0 : i, out, e * stride + i);
          continue;
        }
        if (static_cast<int64_t>(v.size()) != stride) {
          if (legacy)
            return invalid_argument(str_cat("Name: ", name(e), ", Key: ", spec.key, ", Index: 0.  Number of ",
                                            feature_kind_name(feature_kind_of(spec.dtype)),
                                            " values != expected.  values size: ", v.size(), " but output shape: ",
                                            shape_str(spec.shape)));
          return invalid_argument(str_cat("Unexpected number of elements in example ", name(e)));
        }
        for (size_t i = 0; i < v.size(); ++i) copy_value(v, i, out, e * stride + static_cast<int64_t>(i));
      }
    }
    return Status();
  }

  Status list_outputs(OpContext& ctx, const std::vector<ParsedSequence>& parsed, int base, bool lengths) {
    const int64_t n = static_cast<int64_t>(parsed.size());
    const int nls = static_cast<int>(list_sparse.size());
    const int nld = static_cast<int>(list_dense.size());
    for (int s = 0; s < nls; ++s)
      sparse_output(ctx, base, nls, s, n, [&](int64_t e) {
        std::vector<const FeatureValues*> out;
        for (const FeatureValues& v : parsed[e].lists[s]) out.push_back(&v);
        return out;
      }, true);
    for (int d = 0; d < nld; ++d) {
      const ListSpec& spec = list_dense[d];
      const size_t f = nls + d;
      const int64_t stride = elements(spec.shape);
      int64_t max_steps = 0;
      for (int64_t e = 0; e < n; ++e) {
        const auto& steps = parsed[e].lists[f];
        int64_t total = 0;
        for (const FeatureValues& v : steps) total += static_cast<int64_t>(v.size());
        if (!legacy && (stride == 0 ? total != 0 : total % stride != 0))
          return invalid_argument(str_cat("Feature list '", spec.key, "' has an unexpected number of values.  Total "
                                          "values size: ", total, " is not consistent with output shape: ",
                                          list_shape_str(spec.shape)));
        max_steps = std::max(max_steps, static_cast<int64_t>(steps.size()));
      }
      Shape shape;
      if (batch_) shape.push_back(n);
      shape.push_back(max_steps);
      shape.insert(shape.end(), spec.shape.begin(), spec.shape.end());
      Tensor& out = ctx.allocate_output(base + 3 * nls + d, shape);
      if (spec.dtype == DType::kFloat) std::fill_n(out.data<float>(), out.num_elements(), 0.0f);
      if (spec.dtype == DType::kInt64) std::fill_n(out.data<int64_t>(), out.num_elements(), int64_t{0});
      Tensor* len_out = nullptr;
      if (lengths) len_out = &ctx.allocate_output(base + 3 * nls + nld + d, batch_ ? Shape{n} : Shape{});
      for (int64_t e = 0; e < n; ++e) {
        const auto& steps = parsed[e].lists[f];
        for (size_t t = 0; t < steps.size(); ++t) {
          const FeatureValues& v = steps[t];
          if (static_cast<int64_t>(v.size()) != stride) {
            if (legacy)
              return invalid_argument(str_cat("Name: ", name(e), ", Key: ", spec.key, ", Index: ", t, ".  Number of ",
                                              feature_kind_name(feature_kind_of(spec.dtype)),
                                              " values != expected.  values size: ", v.size(), " but output shape: ",
                                              shape_str(spec.shape)));
            return invalid_argument(str_cat("Name: ", name(e), ", Key: ", spec.key, ", Index: ", t,
                                            ".  Number of values != expected.  values size: ", v.size(),
                                            " but output shape: ", shape_str(spec.shape)));
          }
          const int64_t at = (e * max_steps + static_cast<int64_t>(t)) * stride;
          for (size_t i = 0; i < v.size(); ++i) copy_value(v, i, out, at + static_cast<int64_t>(i));
        }
        if (len_out) len_out->data<int64_t>()[e] = static_cast<int64_t>(steps.size());
      }
    }
    return Status();
  }
};

Status read_types(KernelInit& init, const char* attr, std::vector<DType>* out) {
  if (init.has_attr(attr)) init.get(attr, out);
  for (DType t : *out)
    if (feature_kind_of(t) == FeatureKind::kNone)
      return invalid_argument(str_cat("SequenceExample features are float, int64 or string, not ", dtype_name(t)));
  return Status();
}

Status read_shapes(KernelInit& init, const char* attr, size_t count, std::vector<Shape>* out) {
  const AttrValue* v = init.has_attr(attr) ? init.find_attr(attr) : nullptr;
  if (v && v->kind == AttrValue::Kind::kList)
    for (const PartialShape& p : v->list_shape) {
      if (!p.fully_defined())
        return invalid_argument(str_cat(attr, " must be fully defined, got ", p.str()));
      out->push_back(p.dims);
    }
  if (out->size() != count)
    return invalid_argument(str_cat(attr, " has ", out->size(), " shapes for ", count, " features"));
  return Status();
}

std::vector<std::string> strings_of(const Tensor& t) {
  std::vector<std::string> out;
  if (t.dtype() != DType::kString) return out;
  for (int64_t i = 0; i < t.num_elements(); ++i) out.push_back(t.data<std::string>()[i]);
  return out;
}

// The attrs every variant has: types and shapes of the four feature groups.
struct SequenceAttrs {
  std::vector<DType> context_sparse_types, context_dense_types, list_sparse_types, list_dense_types;
  std::vector<Shape> context_shapes, list_shapes;

  void read(KernelInit& init) {
    init.fail(read_types(init, "context_sparse_types", &context_sparse_types));
    if (init.status().ok()) init.fail(read_types(init, "Tcontext_dense", &context_dense_types));
    if (init.status().ok()) init.fail(read_types(init, "feature_list_sparse_types", &list_sparse_types));
    if (init.status().ok()) init.fail(read_types(init, "feature_list_dense_types", &list_dense_types));
    if (init.status().ok())
      init.fail(read_shapes(init, "context_dense_shapes", context_dense_types.size(), &context_shapes));
    if (init.status().ok())
      init.fail(read_shapes(init, "feature_list_dense_shapes", list_dense_types.size(), &list_shapes));
  }

  // Fills `p` from the keys; `defaults(i)` is context dense default i.
  template <class Defaults>
  Status fill(SequenceParser* p, const std::vector<std::string>& cs, const std::vector<std::string>& cd,
              const std::vector<std::string>& ls, const std::vector<std::string>& ld,
              const std::vector<bool>& assumed_empty, Defaults defaults) const {
    if (cs.size() != context_sparse_types.size() || cd.size() != context_dense_types.size() ||
        ls.size() != list_sparse_types.size() || ld.size() != list_dense_types.size())
      return invalid_argument("The numbers of keys and of types of a feature group differ");
    for (size_t i = 0; i < cs.size(); ++i) p->context_sparse.push_back({cs[i], context_sparse_types[i], {}, Tensor()});
    for (size_t i = 0; i < cd.size(); ++i) {
      const Tensor& d = defaults(static_cast<int>(i));
      const int64_t stride = elements(context_shapes[i]);
      if (d.dtype() != context_dense_types[i] || (d.num_elements() != 0 && d.num_elements() != stride))
        return invalid_argument(str_cat("Expected context_dense_defaults[", i, "] to be empty or have ", stride,
                                        " elements of ", dtype_name(context_dense_types[i]), ", got shape ",
                                        shape_str(d.shape())));
      p->context_dense.push_back({cd[i], context_dense_types[i], context_shapes[i], d});
    }
    for (size_t i = 0; i < ls.size(); ++i) p->list_sparse.push_back({ls[i], list_sparse_types[i], {}, false});
    for (size_t i = 0; i < ld.size(); ++i)
      p->list_dense.push_back({ld[i], list_dense_types[i], list_shapes[i], i < assumed_empty.size() && assumed_empty[i]});
    return Status();
  }
};

class ParseSequenceExampleV2Op : public OpKernel {
 public:
  explicit ParseSequenceExampleV2Op(KernelInit& init) {
    attrs_.read(init);
    std::vector<DType> ragged;
    for (const char* a : {"context_ragged_value_types", "feature_list_ragged_value_types"}) {
      ragged.clear();
      if (init.has_attr(a)) init.get(a, &ragged);
      if (init.status().ok() && !ragged.empty())
        init.fail(unimplemented("ParseSequenceExampleV2: ragged features are not supported by metarun yet"));
    }
  }
  Status compute(OpContext& ctx) override {
    const Tensor& serialized = ctx.input(0);
    if (serialized.dtype() != DType::kString || serialized.rank() > 1)
      return invalid_argument("Expected serialized to be a scalar or vector, got shape: " +
                              shape_str(serialized.shape()));
    const Tensor& flags = ctx.input(8);
    std::vector<bool> assumed_empty;
    for (int64_t i = 0; i < flags.num_elements() && flags.dtype() == DType::kBool; ++i)
      assumed_empty.push_back(flags.data<bool>()[i]);
    SequenceParser p;
    MR_RETURN_IF_ERROR(attrs_.fill(&p, strings_of(ctx.input(2)), strings_of(ctx.input(3)), strings_of(ctx.input(5)),
                                   strings_of(ctx.input(6)), assumed_empty,
                                   [&](int i) -> const Tensor& { return ctx.input(9 + i); }));
    if (assumed_empty.size() != p.list_dense.size())
      return invalid_argument("feature_list_dense_missing_assumed_empty must have one flag per dense feature list");
    const int nc = static_cast<int>(3 * p.context_sparse.size() + p.context_dense.size());
    return p.parse(ctx, serialized, strings_of(ctx.input(1)), nc, true);
  }

 private:
  SequenceAttrs attrs_;
};

// ParseSequenceExample (TF1): a batch, keys as attrs; the same parser as V2.
class ParseSequenceExampleV1Op : public OpKernel {
 public:
  explicit ParseSequenceExampleV1Op(KernelInit& init) {
    attrs_.read(init);
    init.get("context_sparse_keys", &cs_);
    init.get("context_dense_keys", &cd_);
    init.get("feature_list_sparse_keys", &ls_);
    init.get("feature_list_dense_keys", &ld_);
    init.get("feature_list_dense_missing_assumed_empty", &empty_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& serialized = ctx.input(0);
    if (serialized.dtype() != DType::kString || serialized.rank() != 1)
      return invalid_argument("Expected serialized to be a vector, got shape: " + shape_str(serialized.shape()));
    std::vector<bool> assumed_empty;
    for (const std::string& k : ld_) assumed_empty.push_back(std::find(empty_.begin(), empty_.end(), k) != empty_.end());
    SequenceParser p;
    MR_RETURN_IF_ERROR(attrs_.fill(&p, cs_, cd_, ls_, ld_, assumed_empty,
                                   [&](int i) -> const Tensor& { return ctx.input(2 + i); }));
    const int nc = static_cast<int>(3 * p.context_sparse.size() + p.context_dense.size());
    return p.parse(ctx, serialized, strings_of(ctx.input(1)), nc, true);
  }

 private:
  SequenceAttrs attrs_;
  std::vector<std::string> cs_, cd_, ls_, ld_, empty_;
};

// ParseSingleSequenceExample (TF1): one example, keys as scalar inputs.
class ParseSingleSequenceExampleOp : public OpKernel {
 public:
  explicit ParseSingleSequenceExampleOp(KernelInit& init) { attrs_.read(init); }
  Status compute(OpContext& ctx) override {
    const Tensor& serialized = ctx.input(0);
    if (serialized.dtype() != DType::kString || serialized.rank() != 0)
      return invalid_argument("Expected serialized to be a scalar, got shape: " + shape_str(serialized.shape()));
    const int ncs = static_cast<int>(attrs_.context_sparse_types.size());
    const int ncd = static_cast<int>(attrs_.context_dense_types.size());
    const int nls = static_cast<int>(attrs_.list_sparse_types.size());
    const int nld = static_cast<int>(attrs_.list_dense_types.size());
    auto keys = [&](int first, int count) {
      std::vector<std::string> out;
      for (int i = 0; i < count; ++i) {
        std::vector<std::string> k = strings_of(ctx.input(first + i));
        out.push_back(k.size() == 1 ? k[0] : std::string());
      }
      return out;
    };
    const std::vector<std::string> empty = strings_of(ctx.input(1));
    const std::vector<std::string> ld = keys(2 + ncs + ncd + nls, nld);
    std::vector<bool> assumed_empty;
    for (const std::string& k : ld) assumed_empty.push_back(std::find(empty.begin(), empty.end(), k) != empty.end());
    SequenceParser p;
    p.legacy = true;
    const int first_default = 2 + ncs + ncd + nls + nld;
    MR_RETURN_IF_ERROR(attrs_.fill(&p, keys(2, ncs), keys(2 + ncs, ncd), keys(2 + ncs + ncd, nls), ld,
                                   assumed_empty,
                                   [&](int i) -> const Tensor& { return ctx.input(first_default + i); }));
    // TF names the example by debug_name as it is, empty or not
    return p.parse(ctx, serialized, strings_of(ctx.input(first_default + ncd)), 3 * ncs + ncd, false);
  }

 private:
  SequenceAttrs attrs_;
};

}  // namespace

void register_parse_sequence_example_ops(Registry& r) {
  r.add("ParseSequenceExampleV2", make_kernel<ParseSequenceExampleV2Op>);
  r.add("ParseSequenceExample", make_kernel<ParseSequenceExampleV1Op>);
  r.add("ParseSingleSequenceExample", make_kernel<ParseSingleSequenceExampleOp>);
}

}  // namespace metarun
