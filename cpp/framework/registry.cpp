#include "framework/registry.h"

#include <limits>

namespace metarun {

Registry& Registry::global() {
  static Registry* r = new Registry();  // never destroyed: kernels may outlive statics
  return *r;
}

namespace {

class HostKernel : public OpKernel {
 public:
  explicit HostKernel(KernelInit& init) : op_(init.op()) {
    const HostHandler& h = Registry::global().host_handler();
    if (h.prepare) prepared_ = h.prepare(init.node());
  }
  Status compute(OpContext& ctx) override {
    const HostHandler& h = Registry::global().host_handler();
    if (!h.run)
      return unimplemented(str_cat("Op ", op_, " (node ", ctx.name(),
                                   ") runs on the host, and this program installed no host handler"));
    return h.run(ctx, prepared_.get());
  }

 private:
  std::string op_;
  std::shared_ptr<void> prepared_;
};

}  // namespace

void Registry::add_host(const std::string& op) {
  add_def({op, {}, make_kernel<HostKernel>, KernelKind::kHost});
}

void Registry::set_host_handler(HostHandler handler) { host_ = std::move(handler); }

void Registry::add(const std::string& op, KernelFactory make) { add_def({op, {}, std::move(make)}); }

void Registry::add_typed(const std::string& op, std::vector<DType> dtypes, TypeFrom from,
                         TypedFactory make, const void* state) {
  add_def({op, dtypes, [make, state, from = std::move(from), op](KernelInit& init) {
             DType t = resolve_type(init, from);
             std::unique_ptr<OpKernel> out;
             if (!init.status().ok()) return out;
             if (!make(state, t, init, &out))
               init.fail(invalid_argument(str_cat("No kernel for op '", op, "' with dtype ",
                                                  dtype_name(t), " (node ", init.name(), ")")));
             return out;
           }});
}

void Registry::add_def(KernelDef def) {
  std::string op = def.op;
  defs_[op] = std::move(def);
}

const KernelDef* Registry::find(const std::string& op) const {
  auto it = defs_.find(op);
  return it == defs_.end() ? nullptr : &it->second;
}

DType Registry::resolve_type(KernelInit& init, const TypeFrom& from) {
  if (from.attr == "#out") {
    if (from.input < init.num_outputs()) return base_type(init.output_type(from.input));
  } else if (!from.attr.empty()) {
    DType t = DType::kInvalid;
    init.get(from.attr, &t);
    return t;
  } else if (from.input < init.num_inputs()) {
    return base_type(init.input_type(from.input));
  }
  init.fail(invalid_argument(str_cat("Node ", init.name(), " has too few inputs or outputs")));
  return DType::kInvalid;
}

Status create_kernel(KernelInit& init, std::unique_ptr<OpKernel>* out) {
  const KernelDef* def = Registry::global().find(init.op());
  if (!def)
    return unimplemented(str_cat("metarun has no kernel for op type '", init.op(),
                                 "' (needed by node '", init.name(), "')"));
  // A constructor that builds tensors from attrs may meet a shape the
  // Tensor constructor refuses, or memory that cannot be had.
  try {
    *out = def->factory(init);
  } catch (const StatusError& e) {
    return Status(e.status().code(), str_cat(e.status().message(), " (node ", init.name(), ")"));
  } catch (const std::bad_alloc&) {
    return Status(Code::kResourceExhausted, str_cat("OOM while building the kernel of node ", init.name()));
  }
  if (!init.status().ok()) return init.status();
  if (!*out) return internal_error(str_cat("kernel factory for ", init.op(), " returned nothing"));
  return Status();
}

// ---- KernelInit attr readers ----

const AttrValue* KernelInit::find_attr(const std::string& name) const {
  auto it = node_.attrs.find(name);
  return it == node_.attrs.end() ? nullptr : &it->second;
}

namespace {

const AttrValue* need(KernelInit& init, const std::string& name, AttrValue::Kind kind,
                      const char* kind_name) {
  const AttrValue* v = init.find_attr(name);
  if (!v) {
    init.fail(invalid_argument(str_cat("NodeDef missing attr '", name, "' from node ", init.name(),
                                       " (op ", init.op(), ")")));
    return nullptr;
  }
  // An empty list arrives as kNone; accept it for list attrs.
  if (v->kind != kind && !(kind == AttrValue::Kind::kList && v->kind == AttrValue::Kind::kNone)) {
    init.fail(invalid_argument(str_cat("Attr '", name, "' of node ", init.name(),
                                       " is not of type ", kind_name)));
    return nullptr;
  }
  return v;
}

}  // namespace

using K = AttrValue::Kind;
void KernelInit::get(const std::string& n, int64_t* out) {
  if (auto* v = need(*this, n, K::kInt, "int")) *out = v->i;
}
void KernelInit::get(const std::string& n, int* out) {
  auto* v = need(*this, n, K::kInt, "int");
  if (!v) return;
  if (v->i < std::numeric_limits<int>::min() || v->i > std::numeric_limits<int>::max())
    fail(invalid_argument(str_cat("Attr ", n, " has value ", v->i, " out of range for an int32")));
  else *out = static_cast<int>(v->i);
}
void KernelInit::get(const std::string& n, float* out) {
  if (auto* v = need(*this, n, K::kFloat, "float")) *out = static_cast<float>(v->f);
}
void KernelInit::get(const std::string& n, bool* out) {
  if (auto* v = need(*this, n, K::kBool, "bool")) *out = v->b;
}
void KernelInit::get(const std::string& n, std::string* out) {
  if (auto* v = need(*this, n, K::kString, "string")) *out = v->s;
}
void KernelInit::get(const std::string& n, DType* out) {
  if (auto* v = need(*this, n, K::kType, "type")) *out = v->type;
}
void KernelInit::get(const std::string& n, PartialShape* out) {
  if (auto* v = need(*this, n, K::kShape, "shape")) *out = v->shape;
}
void KernelInit::get(const std::string& n, Tensor* out) {
  if (auto* v = need(*this, n, K::kTensor, "tensor")) *out = v->tensor;
}
void KernelInit::get(const std::string& n, std::vector<int64_t>* out) {
  if (auto* v = need(*this, n, K::kList, "list(int)")) *out = v->list_i;
}
void KernelInit::get(const std::string& n, std::vector<int>* out) {
  auto* v = need(*this, n, K::kList, "list(int)");
  if (!v) return;
  for (int64_t i : v->list_i)
    if (i < std::numeric_limits<int>::min() || i > std::numeric_limits<int>::max())
      return fail(invalid_argument(str_cat("Attr ", n, " has value ", i, " out of range for an int32")));
  out->assign(v->list_i.begin(), v->list_i.end());
}
void KernelInit::get(const std::string& n, std::vector<float>* out) {
  if (auto* v = need(*this, n, K::kList, "list(float)")) out->assign(v->list_f.begin(), v->list_f.end());
}
void KernelInit::get(const std::string& n, std::vector<std::string>* out) {
  if (auto* v = need(*this, n, K::kList, "list(string)")) *out = v->list_s;
}
void KernelInit::get(const std::string& n, std::vector<DType>* out) {
  if (auto* v = need(*this, n, K::kList, "list(type)")) *out = v->list_type;
}

}  // namespace metarun

namespace metarun {

Status check_scalar(const Tensor& t, const char* msg, bool legacy) {
  if (t.rank() == 0 || (legacy && t.num_elements() == 1)) return Status();
  std::string m = msg;
  size_t at = m.find("{}");
  if (at != std::string::npos) m.replace(at, 2, shape_str(t.shape()));
  return invalid_argument(m);
}

Status scalar_input(const OpContext& ctx, int i, const char* msg, int64_t* out, bool legacy) {
  const Tensor& t = ctx.input(i);
  MR_RETURN_IF_ERROR(check_scalar(t, msg, legacy));
  if (!is_integer_type(t.dtype()))
    return invalid_argument(str_cat("Input ", i, " of ", ctx.name(), " must be an integer, got ", dtype_name(t.dtype())));
  *out = index_at(t, 0);
  return Status();
}

}  // namespace metarun

namespace metarun {

std::shared_ptr<const Function> KernelInit::function(const std::string& attr_name) {
  const AttrValue* v = need(*this, attr_name, AttrValue::Kind::kFunc, "func");
  return v ? function_named(v->s) : nullptr;
}

std::shared_ptr<const Function> KernelInit::function_named(const std::string& fn_name) {
  std::shared_ptr<const Function> f = library_ ? library_->find(fn_name) : nullptr;
  if (!f) fail(not_found(str_cat("Function ", fn_name, " is not defined (node ", name(), ", op ", op(), ")")));
  return f;
}

}  // namespace metarun
