// Constants, placeholders, identities and variables (ref and resource).
//
// Ref variables follow TF's VariableV2: the op outputs the variable itself and
// consumers that do not take a ref read its current value, aliasing its one
// buffer, which Assign* update in place. Resource variables live in the
// session under "container/shared_name"; updates copy the buffer first when a
// reader still holds it, so a value already read never changes.
#include "framework/adoptable.h"
#include "framework/registry.h"
#include "kernels/util/var_update.h"
#include "kernels/util/variable_util.h"

namespace metarun {
namespace {

class ConstKernel : public OpKernel {
 public:
  explicit ConstKernel(KernelInit& init) {
    init.get("value", &value_);
    DType dtype = DType::kInvalid;
    init.get("dtype", &dtype);
    if (init.status().ok() && value_.dtype() != base_type(dtype))
      init.fail(invalid_argument(str_cat("Type mismatch between value (", dtype_name(value_.dtype()),
                                         ") and dtype (", dtype_name(dtype), ")")));
  }
  Status compute(OpContext& ctx) override {
    ctx.set_output(0, value_);
    return Status();
  }

 private:
  Tensor value_;
};

class PlaceholderKernel : public OpKernel {
 public:
  explicit PlaceholderKernel(KernelInit& init) : name_(init.name()) {
    init.get("dtype", &dtype_);
    if (init.has_attr("shape")) init.get("shape", &shape_);
  }
  Status compute(OpContext&) override {
    std::string msg = str_cat("You must feed a value for placeholder tensor '", name_, "' with dtype ",
                              dtype_name(dtype_));
    if (!shape_.unknown_rank) msg += " and shape " + shape_str(shape_.dims);
    return invalid_argument(msg);
  }

 private:
  std::string name_;
  DType dtype_ = DType::kInvalid;
  PartialShape shape_;
};

// Identity and its aliases pass the value through; a ref input is read.
class IdentityKernel : public OpKernel {
 public:
  explicit IdentityKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    for (int i = 0; i < ctx.num_inputs(); ++i) ctx.set_output(i, ctx.input(i));
    return Status();
  }
};

class RefIdentityKernel : public OpKernel {
 public:
  explicit RefIdentityKernel(KernelInit& init) { init.take_ref_input(0); }
  Status compute(OpContext& ctx) override {
    if (ctx.input_ref(0)) ctx.set_output_ref(0, ctx.input_ref(0));
    else ctx.set_output(0, ctx.input(0));
    return Status();
  }
};

class NoOpKernel : public OpKernel {
 public:
  explicit NoOpKernel(KernelInit&) {}
  Status compute(OpContext&) override { return Status(); }
};

// ---- ref variables ----

class VariableKernel : public OpKernel {
 public:
  explicit VariableKernel(KernelInit& init) : name_(init.name()) {
    init.get("dtype", &dtype_);
    init.get("shape", &shape_);
    std::string container, shared_name;
    if (init.has_attr("container")) init.get("container", &container);
    if (init.has_attr("shared_name")) init.get("shared_name", &shared_name);
    key_ = container + "/" + (shared_name.empty() ? name_ : shared_name);
  }
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Var> var = ctx.resources().ref_var(key_, name_);
    {
      std::lock_guard<std::mutex> lock(var->mu);
      var->dtype = dtype_;
      var->declared = shape_;
    }
    ctx.set_output_ref(0, std::move(var));
    return Status();
  }

 private:
  std::string name_, key_;
  DType dtype_ = DType::kInvalid;
  PartialShape shape_;
};

class AssignKernel : public OpKernel {
 public:
  explicit AssignKernel(KernelInit& init) {
    init.take_ref_input(0);
    if (init.has_attr("validate_shape")) init.get("validate_shape", &validate_shape_);
  }
  Status compute(OpContext& ctx) override {
    MR_RETURN_IF_ERROR(need_ref(ctx, 0));
    const std::shared_ptr<Var>& var = ctx.input_ref(0);
    const Tensor& rhs = ctx.input(1);
    {
      std::lock_guard<std::mutex> lock(var->mu);
      if (validate_shape_) {
        bool known = var->initialized || var->declared.fully_defined();
        const Shape& lhs = var->initialized ? var->value.shape() : var->declared.dims;
        if (known && lhs != rhs.shape())
          return invalid_argument(str_cat("Assign requires shapes of both tensors to match. lhs shape= ",
                                          shape_str(lhs), " rhs shape= ", shape_str(rhs.shape())));
      }
      if (var->initialized && var->value.dtype() == rhs.dtype() && var->value.shape() == rhs.shape() &&
          !is_object_type(rhs.dtype())) {
        // TF copies into the existing buffer: reads that alias it see the new
        // value. (Strings get a new buffer: a concurrent reader of a string
        // being rewritten could crash, where a float is merely racy.)
        if (var->value.raw() != rhs.raw()) var->value.copy_from(rhs);
      } else if (!is_object_type(rhs.dtype()) && take_adoptable(rhs)) {
        var->value = rhs;  // a restored value nothing else holds: TF forwards it too
      } else {
        var->value = rhs.deep_copy();
      }
      var->initialized = true;
    }
    ctx.set_output_ref(0, var);
    return Status();
  }

 private:
  bool validate_shape_ = true;
};

template <class T, bool kSub>
Status add_into(const std::string& op, Tensor& value, const Tensor& delta) {
  if (value.shape() != delta.shape())
    return invalid_argument(str_cat(op, " requires shapes of both tensors to match. lhs shape= ",
                                    shape_str(value.shape()), " rhs shape= ", shape_str(delta.shape())));
  T* p = value.data<T>();
  const T* d = delta.data<T>();
  for (int64_t i = 0, n = delta.num_elements(); i < n; ++i) p[i] = kSub ? T(p[i] - d[i]) : T(p[i] + d[i]);
  return Status();
}

template <class T, bool kSub>
class AssignUpdateKernel : public OpKernel {
 public:
  explicit AssignUpdateKernel(KernelInit& init) : op_(init.op()) {
    init.take_ref_input(0);
    if (init.has_attr("use_locking")) init.get("use_locking", &use_locking_);
  }
  Status compute(OpContext& ctx) override {
    LockedVars vars;
    MR_RETURN_IF_ERROR(vars.acquire(ctx, false, 1, DType::kInvalid, use_locking_));
    MR_RETURN_IF_ERROR((add_into<T, kSub>(op_, vars.value(0), ctx.input(1))));
    ctx.set_output_ref(0, vars.var(0));
    return Status();
  }

 private:
  std::string op_;
  bool use_locking_ = false;
};

class IsVariableInitializedKernel : public OpKernel {
 public:
  explicit IsVariableInitializedKernel(KernelInit& init) { init.take_ref_input(0); }
  Status compute(OpContext& ctx) override {
    MR_RETURN_IF_ERROR(need_ref(ctx, 0));
    std::lock_guard<std::mutex> lock(ctx.input_ref(0)->mu);
    ctx.set_output(0, Tensor::scalar<bool>(ctx.input_ref(0)->initialized));
    return Status();
  }
};

// ---- resource variables ----

class VarHandleKernel : public OpKernel {
 public:
  explicit VarHandleKernel(KernelInit& init) {
    std::string container, shared_name;
    if (init.has_attr("container")) init.get("container", &container);
    if (init.has_attr("shared_name")) init.get("shared_name", &shared_name);
    handle_ = Tensor(DType::kResource, {});
    ResourceHandle& h = *handle_.data<ResourceHandle>();
    h.container = container.empty() ? "localhost" : container;
    // An empty shared_name makes the variable private to this node.
    h.name = shared_name.empty() ? init.name() : shared_name;
    h.type = "var";
  }
  Status compute(OpContext& ctx) override {
    ctx.set_output(0, handle_);
    return Status();
  }

 private:
  Tensor handle_;
};

class ReadVariableKernel : public OpKernel {
 public:
  explicit ReadVariableKernel(KernelInit& init) { init.get("dtype", &dtype_); }
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Var> var;
    const ResourceHandle* h = nullptr;
    MR_RETURN_IF_ERROR(find_var(ctx, &var, &h));
    std::lock_guard<std::mutex> lock(var->mu);
    if (!var->initialized) return missing_var(*h);
    if (var->value.dtype() != dtype_)
      return invalid_argument(str_cat("Trying to read variable with wrong dtype. Expected ",
                                      dtype_name(var->value.dtype()), " got ", dtype_name(dtype_)));
    ctx.set_output(0, var->value);
    return Status();
  }

 private:
  DType dtype_ = DType::kInvalid;
};

class AssignVariableKernel : public OpKernel {
 public:
  explicit AssignVariableKernel(KernelInit& init) {
    init.get("dtype", &dtype_);
    if (init.has_attr("validate_shape")) init.get("validate_shape", &validate_shape_);
  }
  Status compute(OpContext& ctx) override {
    const ResourceHandle* h = nullptr;
    MR_RETURN_IF_ERROR(handle_of(ctx, &h));
    const Tensor& value = ctx.input(1);
    if (value.dtype() != dtype_)
      return invalid_argument(str_cat("Trying to assign variable with wrong dtype. Expected ",
                                      dtype_name(dtype_), " got ", dtype_name(value.dtype())));
    std::shared_ptr<Var> var = ctx.resources().get_or_create_var(handle_key(*h), h->name);
    std::lock_guard<std::mutex> lock(var->mu);
    if (var->initialized && var->value.dtype() != dtype_)
      return invalid_argument(str_cat("Trying to assign variable with wrong dtype. Expected ",
                                      dtype_name(var->value.dtype()), " got ", dtype_name(dtype_)));
    if (validate_shape_ && var->initialized && var->value.shape() != value.shape())
      return invalid_argument(str_cat("Trying to assign to variable with tensor with wrong shape. Expected ",
                                      shape_str(var->value.shape()), " got ", shape_str(value.shape())));
    var->value = value.deep_copy();
    var->initialized = true;
    return Status();
  }

 private:
  DType dtype_ = DType::kInvalid;
  bool validate_shape_ = false;
};

template <class T, bool kSub>
class AssignUpdateVariableKernel : public OpKernel {
 public:
  explicit AssignUpdateVariableKernel(KernelInit& init) : op_(init.op()) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Var> var;
    const ResourceHandle* h = nullptr;
    MR_RETURN_IF_ERROR(find_var(ctx, &var, &h));
    std::lock_guard<std::mutex> lock(var->mu);
    if (!var->initialized) return missing_var(*h);
    if (var->value.dtype() != ctx.input(1).dtype())
      return invalid_argument(str_cat("Trying to update variable with wrong dtype. Expected ",
                                      dtype_name(var->value.dtype()), " got ", dtype_name(ctx.input(1).dtype())));
    // A resource variable's earlier reads are values: copy before writing.
    if (var->value.buffer().use_count() > 1) var->value = var->value.deep_copy();
    return add_into<T, kSub>(op_, var->value, ctx.input(1));
  }

 private:
  std::string op_;
};

class VarIsInitializedKernel : public OpKernel {
 public:
  explicit VarIsInitializedKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const ResourceHandle* h = nullptr;
    MR_RETURN_IF_ERROR(handle_of(ctx, &h));
    std::shared_ptr<Var> var = ctx.resources().lookup_var(handle_key(*h));
    bool init = false;
    if (var) {
      std::lock_guard<std::mutex> lock(var->mu);
      init = var->initialized;
    }
    ctx.set_output(0, Tensor::scalar<bool>(init));
    return Status();
  }
};

class DestroyResourceKernel : public OpKernel {
 public:
  explicit DestroyResourceKernel(KernelInit& init) {
    if (init.has_attr("ignore_lookup_error")) init.get("ignore_lookup_error", &ignore_missing_);
  }
  Status compute(OpContext& ctx) override {
    const ResourceHandle* h = nullptr;
    MR_RETURN_IF_ERROR(handle_of(ctx, &h));
    if (!ctx.resources().delete_var(handle_key(*h)) && !ignore_missing_)
      return not_found(str_cat("Resource ", handle_key(*h), " does not exist."));
    return Status();
  }

 private:
  bool ignore_missing_ = true;
};

// CountUpTo / ResourceCountUpTo (TF's limit_epochs counter): the variable's
// scalar goes up by one and the op outputs the value before the increment;
// once it has reached `limit` the op fails with OutOfRange and leaves it.
template <class T>
Status count_up(Tensor& value, int64_t limit, Tensor* before) {
  if (value.shape().size() != 0)
    return invalid_argument(str_cat("Not a scalar tensor: ", shape_str(value.shape())));
  T* v = value.data<T>();
  if (*v >= limit) return out_of_range(str_cat("Reached limit of ", limit));
  *before = Tensor::scalar<T>(*v);
  ++*v;
  return Status();
}

template <class T>
class CountUpToKernel : public OpKernel {
 public:
  explicit CountUpToKernel(KernelInit& init) {
    init.take_ref_input(0);
    init.get("limit", &limit_);
  }
  Status compute(OpContext& ctx) override {
    LockedVars vars;
    MR_RETURN_IF_ERROR(vars.acquire(ctx, false, 1, dtype_of<T>, true));
    Tensor before;
    MR_RETURN_IF_ERROR(count_up<T>(vars.value(0), limit_, &before));
    ctx.set_output(0, before);
    return Status();
  }

 private:
  int64_t limit_ = 0;
};

template <class T>
class ResourceCountUpToKernel : public OpKernel {
 public:
  explicit ResourceCountUpToKernel(KernelInit& init) { init.get("limit", &limit_); }
  Status compute(OpContext& ctx) override {
    LockedVars vars;
    MR_RETURN_IF_ERROR(vars.acquire(ctx, true, 1, dtype_of<T>, true));
    Tensor before;
    MR_RETURN_IF_ERROR(count_up<T>(vars.value(0), limit_, &before));
    ctx.set_output(0, before);
    return Status();
  }

 private:
  int64_t limit_ = 0;
};

template <bool kSub>
auto assign_update = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<AssignUpdateKernel<decltype(tag), kSub>>(init);
};
template <bool kSub>
auto assign_update_variable = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<AssignUpdateVariableKernel<decltype(tag), kSub>>(init);
};

auto count_up_to = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<CountUpToKernel<decltype(tag)>>(init);
};
auto resource_count_up_to = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<ResourceCountUpToKernel<decltype(tag)>>(init);
};

}  // namespace

void register_state_ops(Registry& r) {
  r.add("Const", make_kernel<ConstKernel>);
  r.add("Placeholder", make_kernel<PlaceholderKernel>);
  r.add("PlaceholderV2", make_kernel<PlaceholderKernel>);
  r.add("PlaceholderWithDefault", make_kernel<IdentityKernel>);
  r.add("Identity", make_kernel<IdentityKernel>);
  r.add("IdentityN", make_kernel<IdentityKernel>);
  r.add("StopGradient", make_kernel<IdentityKernel>);
  r.add("PreventGradient", make_kernel<IdentityKernel>);
  r.add("Snapshot", make_kernel<IdentityKernel>);
  r.add("RefIdentity", make_kernel<RefIdentityKernel>);
  r.add("NoOp", make_kernel<NoOpKernel>);
  r.add("VariableV2", make_kernel<VariableKernel>);
  r.add("Variable", make_kernel<VariableKernel>);
  r.add("Assign", make_kernel<AssignKernel>);
  r.add<NumberTypes>("AssignAdd", assign_update<false>);
  r.add<NumberTypes>("AssignSub", assign_update<true>);
  r.add("IsVariableInitialized", make_kernel<IsVariableInitializedKernel>);
  r.add<IndexTypes>("CountUpTo", count_up_to);
  r.add<IndexTypes>("ResourceCountUpTo", resource_count_up_to);
  r.add("VarHandleOp", make_kernel<VarHandleKernel>);
  r.add("ReadVariableOp", make_kernel<ReadVariableKernel>);
  r.add("AssignVariableOp", make_kernel<AssignVariableKernel>);
  r.add<NumberTypes>("AssignAddVariableOp", assign_update_variable<false>, TypeFrom::attr_named("dtype"));
  r.add<NumberTypes>("AssignSubVariableOp", assign_update_variable<true>, TypeFrom::attr_named("dtype"));
  r.add("VarIsInitializedOp", make_kernel<VarIsInitializedKernel>);
  r.add("DestroyResourceOp", make_kernel<DestroyResourceKernel>);
  r.add("DisableCopyOnRead", make_kernel<NoOpKernel>);
}

}  // namespace metarun
