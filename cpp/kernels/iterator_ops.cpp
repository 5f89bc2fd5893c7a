// tf.data iterators: the iterator resource (a named, typed slot holding the
// current IteratorBase), the ops that create it (IteratorV2/Iterator by
// container and shared_name, AnonymousIterator V1-V3, OneShotIterator), fill
// it (MakeIterator: re-running it restarts the sequence), read it
// (IteratorGetNext, IteratorGetNextSync, IteratorGetNextAsOptional and the
// Optional ops) and pass it around as a string (IteratorToStringHandle,
// IteratorFromStringHandle(V2): the feedable-iterator pattern).
//
// Resources are keyed by "iterator:<container>/<name>" in the session's
// ResourceMgr, so every plan of a session sees the same iterator. A
// shared_name-less IteratorV2 is private to its node (named after it), as a
// kernel instance is private in TF. Anonymous V1/V3 iterators live for the
// run that creates them (TF frees them with their last handle); V2 ones until
// DeleteIterator.
#include <atomic>
#include <mutex>

#include "framework/registry.h"
#include "kernels/dataset_util.h"
#include "kernels/tensor_list.h"

namespace metarun {
namespace {

using Element = std::vector<Tensor>;

constexpr const char* kDevice = "/job:localhost/replica:0/task:0/device:CPU:0";

std::string partial_shape_debug(const PartialShape& s) {
  if (s.unknown_rank) return "<unknown>";
  std::string out = "[";
  for (size_t i = 0; i < s.dims.size(); ++i) {
    if (i) out += ",";
    out += s.dims[i] < 0 ? "?" : std::to_string(s.dims[i]);
  }
  return out + "]";
}

bool shapes_compatible(const PartialShape& a, const PartialShape& b) {
  if (a.unknown_rank || b.unknown_rank) return true;
  if (a.dims.size() != b.dims.size()) return false;
  for (size_t i = 0; i < a.dims.size(); ++i)
    if (a.dims[i] >= 0 && b.dims[i] >= 0 && a.dims[i] != b.dims[i]) return false;
  return true;
}

Status verify_types(const std::vector<DType>& expected, const std::vector<DType>& got) {
  if (expected.size() != got.size())
    return invalid_argument(str_cat("Number of components does not match: expected ", expected.size(),
                                    " types but got ", got.size(), "."));
  for (size_t i = 0; i < expected.size(); ++i)
    if (expected[i] != got[i])
      return invalid_argument(str_cat("Data type mismatch at component ", i, ": expected ", dtype_name(expected[i]),
                                      " but got ", dtype_name(got[i]), "."));
  return Status();
}

Status verify_shapes(const std::vector<PartialShape>& expected, const std::vector<PartialShape>& got) {
  if (expected.size() != got.size())
    return invalid_argument(str_cat("Number of components does not match: expected ", expected.size(),
                                    " shapes but got ", got.size(), "."));
  for (size_t i = 0; i < expected.size(); ++i)
    if (!shapes_compatible(expected[i], got[i]))
      return invalid_argument(str_cat("Incompatible shapes at component ", i, ": expected ",
                                      partial_shape_debug(expected[i]), " but got ", partial_shape_debug(got[i]),
                                      "."));
  return Status();
}

// The element a GetNext returns, checked against the op's declared types and shapes.
Status verify_element(const std::vector<DType>& types, const std::vector<PartialShape>& shapes, const Element& e) {
  if (types.size() != e.size())
    return invalid_argument(str_cat("Number of components does not match: expected ", types.size(),
                                    " types but got ", e.size(), "."));
  for (size_t i = 0; i < e.size(); ++i) {
    if (e[i].dtype() != types[i])
      return invalid_argument(str_cat("Data type mismatch at component ", i, ": expected ", dtype_name(types[i]),
                                      " but got ", dtype_name(e[i].dtype()), "."));
    if (i < shapes.size() && !shapes[i].compatible_with(e[i].shape()))
      return invalid_argument(str_cat("Incompatible shapes at component ", i, ": expected ",
                                      partial_shape_debug(shapes[i]), " but got ", shape_str(e[i].shape()), "."));
  }
  return Status();
}

struct IteratorResource : Resource {
  IteratorResource(std::vector<DType> t, std::vector<PartialShape> s) : dtypes(std::move(t)), shapes(std::move(s)) {}
  const std::vector<DType> dtypes;
  const std::vector<PartialShape> shapes;
  std::mutex mu;  // serializes get_next and (re)initialization
  DatasetPtr dataset;
  std::unique_ptr<IteratorBase> iter;

  Status set_from(IterCtx& ctx, const DatasetPtr& ds) {
    MR_RETURN_IF_ERROR(verify_types(dtypes, ds->output_dtypes()));
    MR_RETURN_IF_ERROR(verify_shapes(shapes, ds->output_shapes()));
    std::lock_guard<std::mutex> lock(mu);
    std::unique_ptr<IteratorBase> it;
    MR_RETURN_IF_ERROR(ds->make_iterator(ctx, &it));
    iter = std::move(it);
    dataset = ds;
    return Status();
  }
};

std::string resource_key(const ResourceHandle& h) {
  return h.container.empty() ? h.name : "iterator:" + h.container + "/" + h.name;
}

Tensor iterator_handle(const std::string& container, const std::string& name) {
  return handle_tensor(container, name, true, "iterator");
}

std::mutex& create_mu() {
  static std::mutex mu;
  return mu;
}

Status lookup_iterator(ResourceMgr& mgr, const ResourceHandle& h, std::shared_ptr<IteratorResource>* out) {
  *out = std::dynamic_pointer_cast<IteratorResource>(mgr.lookup(resource_key(h)));
  if (!*out)
    return not_found(str_cat("Resource ", h.container, "/", h.name,
                             "/N10tensorflow4data16IteratorResourceE does not exist."));
  return Status();
}

Status iterator_input(OpContext& ctx, int i, std::shared_ptr<IteratorResource>* out) {
  const Tensor& t = ctx.input(i);
  if (t.dtype() != DType::kResource || t.num_elements() != 1)
    return invalid_argument(str_cat("Node ", ctx.name(), ": input ", i, " must be an iterator resource handle"));
  return lookup_iterator(ctx.resources(), *t.data<ResourceHandle>(), out);
}

struct TypedAttrs {
  std::vector<DType> types;
  std::vector<PartialShape> shapes;
  void read(KernelInit& init) {
    if (init.has_attr("output_types")) init.get("output_types", &types);
    if (const AttrValue* a = init.find_attr("output_shapes")) shapes = a->list_shape;
  }
};

// ---- handle ops ---------------------------------------------------------------------------------

class IteratorHandleOp : public OpKernel {
 public:
  explicit IteratorHandleOp(KernelInit& init) {
    attrs_.read(init);
    std::string container, shared_name;
    if (init.has_attr("container")) init.get("container", &container);
    if (init.has_attr("shared_name")) init.get("shared_name", &shared_name);
    container_ = container.empty() ? "localhost" : container;
    name_ = shared_name.empty() ? "_" + init.name() : shared_name;
    handle_ = iterator_handle(container_, name_);
  }
  Status compute(OpContext& ctx) override {
    const std::string key = resource_key(*handle_.data<ResourceHandle>());
    std::shared_ptr<IteratorResource> res;
    {
      std::lock_guard<std::mutex> lock(create_mu());
      res = std::dynamic_pointer_cast<IteratorResource>(ctx.resources().lookup(key));
      if (!res) {
        res = std::make_shared<IteratorResource>(attrs_.types, attrs_.shapes);
        ctx.resources().insert(key, res);
      }
    }
    MR_RETURN_IF_ERROR(verify_types(attrs_.types, res->dtypes));
    MR_RETURN_IF_ERROR(verify_shapes(attrs_.shapes, res->shapes));
    ctx.set_output(0, handle_);
    return Status();
  }

 private:
  TypedAttrs attrs_;
  std::string container_, name_;
  Tensor handle_;
};

// Marks an AnonymousIteratorV2's deleter; DeleteIterator frees the iterator.
struct IteratorDeleter : VariantValue {
  std::string type_name() const override { return "tensorflow::data::IteratorResource::Deleter"; }
};

class AnonymousIteratorOp : public OpKernel {
 public:
  AnonymousIteratorOp(KernelInit& init, int version) : version_(version) { attrs_.read(init); }
  Status compute(OpContext& ctx) override {
    static std::atomic<int64_t> counter{0};
    const int64_t id = counter++;
    Tensor h;
    if (version_ == 2) h = iterator_handle("localhost", str_cat("_AnonymousIterator", id));
    else h = iterator_handle("", str_cat(step_resource_prefix(ctx.step_id()), "anonymous_iterator/", id));
    ctx.resources().insert(resource_key(*h.data<ResourceHandle>()),
                           std::make_shared<IteratorResource>(attrs_.types, attrs_.shapes));
    ctx.set_output(0, std::move(h));
    if (version_ == 2) {
      Tensor d(DType::kVariant, {});
      d.data<Variant>()->value = std::make_shared<IteratorDeleter>();
      ctx.set_output(1, std::move(d));
    }
    return Status();
  }

 private:
  TypedAttrs attrs_;
  int version_;
};

class DeleteIteratorOp : public OpKernel {
 public:
  explicit DeleteIteratorOp(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<IteratorResource> res;
    MR_RETURN_IF_ERROR(iterator_input(ctx, 0, &res));
    ctx.resources().erase(resource_key(*ctx.input(0).data<ResourceHandle>()));
    return Status();
  }
};

class MakeIteratorOp : public OpKernel {
 public:
  explicit MakeIteratorOp(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    DatasetPtr ds;
    MR_RETURN_IF_ERROR(input_dataset(ctx, 0, &ds));
    std::shared_ptr<IteratorResource> res;
    MR_RETURN_IF_ERROR(iterator_input(ctx, 1, &res));
    IterCtx ictx(ctx);
    return res->set_from(ictx, ds);
  }
};

// The one-shot iterator's state: built by the first run of its node (any
// plan's), shared by all later ones, its failure sticky as in TF.
struct OneShotState : Resource {
  std::mutex mu;
  bool done = false;
  Status status;
};

class OneShotIteratorOp : public OpKernel {
 public:
  explicit OneShotIteratorOp(KernelInit& init) {
    attrs_.read(init);
    std::string container, shared_name;
    if (init.has_attr("container")) init.get("container", &container);
    if (init.has_attr("shared_name")) init.get("shared_name", &shared_name);
    if (!shared_name.empty())
      init.fail(invalid_argument("OneShotIteratorOp does not currently support the 'shared_name' attr."));
    factory_ = init.function("dataset_factory");
    container_ = container.empty() ? "localhost" : container;
    handle_ = iterator_handle(container_, "_" + init.name());
    state_key_ = "oneshot:" + container_ + "/" + init.name();
  }
  Status compute(OpContext& ctx) override {
    std::shared_ptr<OneShotState> st;
    {
      std::lock_guard<std::mutex> lock(create_mu());
      st = std::dynamic_pointer_cast<OneShotState>(ctx.resources().lookup(state_key_));
      if (!st) {
        st = std::make_shared<OneShotState>();
        ctx.resources().insert(state_key_, st);
      }
    }
    std::lock_guard<std::mutex> lock(st->mu);
    if (!st->done) {
      st->status = init(ctx);
      st->done = true;
    }
    MR_RETURN_IF_ERROR(st->status);
    ctx.set_output(0, handle_);
    return Status();
  }

 private:
  Status init(OpContext& ctx) {
    Element rets;
    MR_RETURN_IF_ERROR(ctx.call_function(*factory_, {}, &rets));
    if (rets.size() != 1 || rets[0].dtype() != DType::kVariant || rets[0].rank() != 0)
      return invalid_argument("The `dataset_factory` function must return a single scalar of dtype DT_VARIANT.");
    DatasetPtr ds;
    MR_RETURN_IF_ERROR(get_dataset(rets[0], &ds));
    auto res = std::make_shared<IteratorResource>(attrs_.types, attrs_.shapes);
    IterCtx ictx(ctx);
    MR_RETURN_IF_ERROR(res->set_from(ictx, ds));
    ctx.resources().insert(resource_key(*handle_.data<ResourceHandle>()), res);
    return Status();
  }

  TypedAttrs attrs_;
  std::shared_ptr<const Function> factory_;
  std::string container_, state_key_;
  Tensor handle_;
};

// ---- reading --------------------------------------------------------------------------------------

Status get_next(OpContext& ctx, IteratorResource& res, Element* out, bool* end) {
  std::lock_guard<std::mutex> lock(res.mu);
  if (!res.iter)
    return failed_precondition(
        "GetNext() failed because the iterator has not been initialized. Ensure that you have run the "
        "initializer operation for this iterator before getting the next element.");
  IterCtx ictx(ctx);
  return res.iter->get_next(ictx, out, end);
}

class IteratorGetNextOp : public OpKernel {
 public:
  explicit IteratorGetNextOp(KernelInit& init) { attrs_.read(init); }
  Status compute(OpContext& ctx) override {
    std::shared_ptr<IteratorResource> res;
    MR_RETURN_IF_ERROR(iterator_input(ctx, 0, &res));
    Element e;
    bool end = false;
    MR_RETURN_IF_ERROR(get_next(ctx, *res, &e, &end));
    if (end) return out_of_range("End of sequence");
    MR_RETURN_IF_ERROR(verify_element(attrs_.types, attrs_.shapes, e));
    for (size_t i = 0; i < e.size(); ++i) ctx.set_output(static_cast<int>(i), std::move(e[i]));
    return Status();
  }

 private:
  TypedAttrs attrs_;
};

struct OptionalValue : VariantValue {
  bool has_value = false;
  Element values;
  std::string type_name() const override { return "tensorflow::data::OptionalVariant"; }
  // TF's gradient helpers for optionals: zeros of the value (none stays none),
  // and the component-wise sum of two optionals that agree on having a value.
  bool zeros_like(std::shared_ptr<VariantValue>* out, Status* status) const override {
    auto z = std::make_shared<OptionalValue>();
    z->has_value = has_value;
    for (const Tensor& t : values) {
      Tensor zt;
      *status = zeros_like_value(t, &zt);
      if (!status->ok()) return true;
      z->values.push_back(std::move(zt));
    }
    *out = std::move(z);
    return true;
  }
  bool add(const VariantValue& other, std::shared_ptr<VariantValue>* out, Status* status) const override {
    const auto* o = dynamic_cast<const OptionalValue*>(&other);
    if (!o) return false;
    if (has_value != o->has_value) {
      *status = invalid_argument("Cannot add optionals because one has a value and the other doesn't.");
      return true;
    }
    auto sum = std::make_shared<OptionalValue>();
    sum->has_value = has_value;
    if (values.size() != o->values.size()) {
      *status = invalid_argument("Cannot add optionals with different numbers of components.");
      return true;
    }
    for (size_t i = 0; i < values.size(); ++i) {
      Tensor s;
      *status = add_values(values[i], o->values[i], &s);
      if (!status->ok()) return true;
      sum->values.push_back(std::move(s));
    }
    *out = std::move(sum);
    return true;
  }
};

Tensor optional_tensor(std::shared_ptr<OptionalValue> v) {
  Tensor t(DType::kVariant, {});
  t.data<Variant>()->value = std::move(v);
  return t;
}

Status optional_input(OpContext& ctx, const OptionalValue** out) {
  const Tensor& t = ctx.input(0);
  if (t.dtype() != DType::kVariant || t.rank() != 0)
    return invalid_argument("Input tensor must be a scalar of dtype DT_VARIANT.");
  *out = t.data<Variant>()->get<OptionalValue>();
  if (!*out) return invalid_argument("Input tensor must be an optional.");
  return Status();
}

class IteratorGetNextAsOptionalOp : public OpKernel {
 public:
  explicit IteratorGetNextAsOptionalOp(KernelInit& init) { attrs_.read(init); }
  Status compute(OpContext& ctx) override {
    std::shared_ptr<IteratorResource> res;
    MR_RETURN_IF_ERROR(iterator_input(ctx, 0, &res));
    auto opt = std::make_shared<OptionalValue>();
    bool end = false;
    MR_RETURN_IF_ERROR(get_next(ctx, *res, &opt->values, &end));
    if (!end) {
      for (size_t i = 0; i < opt->values.size() && i < attrs_.types.size(); ++i) {
        const Tensor& t = opt->values[i];
        if (t.dtype() != attrs_.types[i])
          return invalid_argument(str_cat("The given optional does not match the expected type for component ", i,
                                          ". Expected: ", dtype_name(attrs_.types[i]),
                                          ". Actual: ", dtype_name(t.dtype()), "."));
        if (i < attrs_.shapes.size() && !attrs_.shapes[i].compatible_with(t.shape()))
          return invalid_argument(str_cat("The given optional does not match the expected shape for component ", i,
                                          ". Expected: ", partial_shape_debug(attrs_.shapes[i]),
                                          ". Actual: ", shape_str(t.shape()), "."));
      }
      opt->has_value = true;
    } else {
      opt->values.clear();
    }
    ctx.set_output(0, optional_tensor(std::move(opt)));
    return Status();
  }

 private:
  TypedAttrs attrs_;
};

class OptionalFromValueOp : public OpKernel {
 public:
  explicit OptionalFromValueOp(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    auto opt = std::make_shared<OptionalValue>();
    opt->has_value = true;
    for (int i = 0; i < ctx.num_inputs(); ++i) opt->values.push_back(ctx.input(i));
    ctx.set_output(0, optional_tensor(std::move(opt)));
    return Status();
  }
};

class OptionalNoneOp : public OpKernel {
 public:
  explicit OptionalNoneOp(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    ctx.set_output(0, optional_tensor(std::make_shared<OptionalValue>()));
    return Status();
  }
};

class OptionalHasValueOp : public OpKernel {
 public:
  explicit OptionalHasValueOp(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const OptionalValue* opt = nullptr;
    MR_RETURN_IF_ERROR(optional_input(ctx, &opt));
    ctx.set_output(0, Tensor::scalar<bool>(opt->has_value));
    return Status();
  }
};

class OptionalGetValueOp : public OpKernel {
 public:
  explicit OptionalGetValueOp(KernelInit& init) { attrs_.read(init); }
  Status compute(OpContext& ctx) override {
    const OptionalValue* opt = nullptr;
    MR_RETURN_IF_ERROR(optional_input(ctx, &opt));
    if (!opt->has_value) return invalid_argument("The optional does not have a value.");
    if (opt->values.size() != attrs_.types.size())
      return invalid_argument(str_cat("The expected number of components (", attrs_.types.size(),
                                      ") does not match the optional's number of components (", opt->values.size(),
                                      ")."));
    for (size_t i = 0; i < opt->values.size(); ++i) {
      if (opt->values[i].dtype() != attrs_.types[i])
        return invalid_argument(str_cat("The given optional does not match the expected type for component ", i,
                                        ". Expected: ", dtype_name(attrs_.types[i]),
                                        ". Actual: ", dtype_name(opt->values[i].dtype()), "."));
      ctx.set_output(static_cast<int>(i), opt->values[i]);
    }
    return Status();
  }

 private:
  TypedAttrs attrs_;
};

// ---- string handles: a serialized ResourceHandleProto ------------------------------------------------

void put_varint(std::string* s, uint64_t v) {
  while (v >= 0x80) {
    s->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  s->push_back(static_cast<char>(v));
}

void put_field(std::string* s, int field, const std::string& v) {
  if (v.empty()) return;
  put_varint(s, (static_cast<uint64_t>(field) << 3) | 2);
  put_varint(s, v.size());
  s->append(v);
}

bool get_varint(const std::string& s, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= s.size()) return false;
    const uint8_t b = static_cast<uint8_t>(s[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

bool parse_handle(const std::string& s, ResourceHandle* h, std::string* device) {
  size_t pos = 0;
  while (pos < s.size()) {
    uint64_t tag, v;
    if (!get_varint(s, &pos, &tag)) return false;
    const int field = static_cast<int>(tag >> 3), wire = static_cast<int>(tag & 7);
    if (wire == 0) {
      if (!get_varint(s, &pos, &v)) return false;
    } else if (wire == 2) {
      if (!get_varint(s, &pos, &v) || v > s.size() - pos) return false;
      std::string str = s.substr(pos, v);
      pos += v;
      if (field == 1) *device = std::move(str);
      else if (field == 2) h->container = std::move(str);
      else if (field == 3) h->name = std::move(str);
    } else if (wire == 1) {
      if (s.size() - pos < 8) return false;
      pos += 8;
    } else if (wire == 5) {
      if (s.size() - pos < 4) return false;
      pos += 4;
    } else {
      return false;
    }
  }
  return !h->name.empty();
}

class IteratorToStringHandleOp : public OpKernel {
 public:
  explicit IteratorToStringHandleOp(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& t = ctx.input(0);
    MR_REQUIRE(t.dtype() == DType::kResource && t.rank() == 0, "resource_handle must be a scalar");
    std::shared_ptr<IteratorResource> res;
    MR_RETURN_IF_ERROR(iterator_input(ctx, 0, &res));
    const ResourceHandle& h = *t.data<ResourceHandle>();
    std::string s;
    put_field(&s, 1, kDevice);
    put_field(&s, 2, h.container);
    put_field(&s, 3, h.name);
    put_field(&s, 5, "N10tensorflow4data16IteratorResourceE");
    Tensor out(DType::kString, {});
    *out.data<std::string>() = std::move(s);
    ctx.set_output(0, std::move(out));
    return Status();
  }
};

class IteratorFromStringHandleOp : public OpKernel {
 public:
  explicit IteratorFromStringHandleOp(KernelInit& init) {
    attrs_.read(init);
    if (!attrs_.types.empty() && !attrs_.shapes.empty() && attrs_.types.size() != attrs_.shapes.size())
      init.fail(invalid_argument("If both 'output_types' and 'output_shapes' are set, they must have the same length."));
  }
  Status compute(OpContext& ctx) override {
    const Tensor& t = ctx.input(0);
    MR_REQUIRE(t.dtype() == DType::kString && t.rank() == 0, "string_handle must be a scalar");
    ResourceHandle h;
    std::string device;
    if (!parse_handle(*t.data<std::string>(), &h, &device))
      return invalid_argument("Could not parse string_handle as a valid ResourceHandle");
    if (device != kDevice)
      return invalid_argument(str_cat("Attempted create an iterator on device \"", kDevice,
                                      "\" from handle defined on device \"", device, "\""));
    h.type = "iterator";
    std::shared_ptr<IteratorResource> res;
    MR_RETURN_IF_ERROR(lookup_iterator(ctx.resources(), h, &res));
    if (!attrs_.types.empty()) MR_RETURN_IF_ERROR(verify_types(attrs_.types, res->dtypes));
    if (!attrs_.shapes.empty()) MR_RETURN_IF_ERROR(verify_shapes(attrs_.shapes, res->shapes));
    Tensor out(DType::kResource, {});
    *out.data<ResourceHandle>() = std::move(h);
    ctx.set_output(0, std::move(out));
    return Status();
  }

 private:
  TypedAttrs attrs_;
};

template <class K, class... A>
KernelFactory with_args(A... a) {
  return [=](KernelInit& init) -> std::unique_ptr<OpKernel> { return new_kernel<K>(init, a...); };
}

}  // namespace

void register_iterator_ops(Registry& r) {
  r.add("IteratorV2", make_kernel<IteratorHandleOp>);
  r.add("Iterator", make_kernel<IteratorHandleOp>);
  r.add("AnonymousIterator", with_args<AnonymousIteratorOp>(1));
  r.add("AnonymousIteratorV2", with_args<AnonymousIteratorOp>(2));
  r.add("AnonymousIteratorV3", with_args<AnonymousIteratorOp>(3));
  r.add("DeleteIterator", make_kernel<DeleteIteratorOp>);
  r.add("MakeIterator", make_kernel<MakeIteratorOp>);
  r.add("OneShotIterator", make_kernel<OneShotIteratorOp>);
  r.add("IteratorGetNext", make_kernel<IteratorGetNextOp>);
  r.add("IteratorGetNextSync", make_kernel<IteratorGetNextOp>);
  r.add("IteratorGetNextAsOptional", make_kernel<IteratorGetNextAsOptionalOp>);
  r.add("OptionalFromValue", make_kernel<OptionalFromValueOp>);
  r.add("OptionalNone", make_kernel<OptionalNoneOp>);
  r.add("OptionalHasValue", make_kernel<OptionalHasValueOp>);
  r.add("OptionalGetValue", make_kernel<OptionalGetValueOp>);
  r.add("IteratorToStringHandle", make_kernel<IteratorToStringHandleOp>);
  r.add("IteratorFromStringHandle", make_kernel<IteratorFromStringHandleOp>);
  r.add("IteratorFromStringHandleV2", make_kernel<IteratorFromStringHandleOp>);
}

}  // namespace metarun
