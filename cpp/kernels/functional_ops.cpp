// Functional control flow: calls of graph functions (PartitionedCall and
// direct calls of a library function, which the Python layer hands over as
// PartitionedCall), and the control flow v2 ops TF 1.15+/2.x graphs carry:
// While/StatelessWhile, If/StatelessIf, Case/StatelessCase. Each runs its
// functions as nested runs of the caller's run (see framework/function.h).
#include "framework/registry.h"

namespace metarun {
namespace {

std::vector<Tensor> input_tensors(const OpContext& ctx, int begin) {
  std::vector<Tensor> out;
  out.reserve(ctx.num_inputs() - begin);
  for (int i = begin; i < ctx.num_inputs(); ++i) out.push_back(ctx.input(i));
  return out;
}

Status set_outputs(OpContext& ctx, std::vector<Tensor>& rets, const std::string& fn) {
  if (static_cast<int>(rets.size()) != ctx.num_outputs())
    return invalid_argument(str_cat("Function ", fn, " returned ", rets.size(), " values; node ", ctx.name(),
                                    " has ", ctx.num_outputs(), " outputs"));
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    DType want = base_type(ctx.node().output_types[i]);
    if (rets[i].dtype() != want)
      return invalid_argument(str_cat("Function ", fn, " returned ", dtype_name(rets[i].dtype()), " for output ", i,
                                      " of node ", ctx.name(), ", which is ", dtype_name(want)));
    ctx.set_output(i, std::move(rets[i]));
  }
  return Status();
}

// TF's truth value of a predicate tensor: a scalar is its value (non-empty
// for strings); any other shape is true when it has elements.
Status to_bool(const Tensor& t, bool* out) {
  if (t.rank() != 0) {
    *out = t.num_elements() > 0;
    return Status();
  }
  switch (t.dtype()) {
    case DType::kBool: *out = t.scalar_value<bool>(); return Status();
    case DType::kString: *out = !t.scalar_value<std::string>().empty(); return Status();
    case DType::kFloat: *out = t.scalar_value<float>() != 0; return Status();
    case DType::kDouble: *out = t.scalar_value<double>() != 0; return Status();
    case DType::kHalf: *out = static_cast<float>(t.scalar_value<Half>()) != 0; return Status();
    case DType::kBFloat16: *out = static_cast<float>(t.scalar_value<BFloat16>()) != 0; return Status();
    default:
      if (is_integer_type(t.dtype())) {
        *out = index_at(t, 0) != 0;
        return Status();
      }
      return invalid_argument(str_cat("Cannot convert a tensor of type ", dtype_name(t.dtype()), " to a bool"));
  }
}

class CallKernel : public OpKernel {
 public:
  explicit CallKernel(KernelInit& init) : f_(init.function("f")) {}
  Status compute(OpContext& ctx) override {
    std::vector<Tensor> rets;
    MR_RETURN_IF_ERROR(ctx.call_function(*f_, input_tensors(ctx, 0), &rets));
    return set_outputs(ctx, rets, f_->name);
  }

 private:
  std::shared_ptr<const Function> f_;
};

class WhileKernel : public OpKernel {
 public:
  explicit WhileKernel(KernelInit& init) : cond_(init.function("cond")), body_(init.function("body")) {}
  Status compute(OpContext& ctx) override {
    std::vector<Tensor> vars = input_tensors(ctx, 0), pred, next;
    std::vector<DType> types;
    for (const Tensor& t : vars) types.push_back(t.dtype());
    for (;;) {
      if (ctx.cancelled()) return cancelled("Run cancelled");
      MR_RETURN_IF_ERROR(ctx.call_function(*cond_, vars, &pred));
      if (pred.size() != 1)
        return invalid_argument(str_cat("The cond function of ", ctx.name(), " must return one value, got ",
                                        pred.size()));
      bool go = false;
      MR_RETURN_IF_ERROR(to_bool(pred[0], &go));
      pred.clear();
      if (!go) break;
      // Moved in: the body may update a loop variable (a TensorList) in place.
      MR_RETURN_IF_ERROR(ctx.call_function(*body_, std::move(vars), &next));
      if (next.size() != types.size())
        return invalid_argument(str_cat("The body function of ", ctx.name(), " returned ", next.size(),
                                        " values for ", types.size(), " loop variables"));
      for (size_t i = 0; i < types.size(); ++i)
        if (next[i].dtype() != types[i])
          return invalid_argument(str_cat("Loop variable ", i, " of ", ctx.name(), " changed type from ",
                                          dtype_name(types[i]), " to ", dtype_name(next[i].dtype())));
      vars = std::move(next);
      next.clear();
    }
    return set_outputs(ctx, vars, body_->name);
  }

 private:
  std::shared_ptr<const Function> cond_, body_;
};

class IfKernel : public OpKernel {
 public:
  explicit IfKernel(KernelInit& init)
      : then_(init.function("then_branch")), else_(init.function("else_branch")) {}
  Status compute(OpContext& ctx) override {
    bool pred = false;
    MR_RETURN_IF_ERROR(to_bool(ctx.input(0), &pred));
    const Function& f = pred ? *then_ : *else_;
    std::vector<Tensor> rets;
    MR_RETURN_IF_ERROR(ctx.call_function(f, input_tensors(ctx, 1), &rets));
    return set_outputs(ctx, rets, f.name);
  }

 private:
  std::shared_ptr<const Function> then_, else_;
};

class CaseKernel : public OpKernel {
 public:
  explicit CaseKernel(KernelInit& init) {
    std::vector<std::string> names;
    init.get("branches", &names);
    for (const std::string& n : names) branches_.push_back(init.function_named(n));
    if (init.status().ok() && branches_.empty())
      init.fail(invalid_argument(str_cat("Case node ", init.name(), " has no branches")));
  }
  Status compute(OpContext& ctx) override {
    int32_t index = 0;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 0, "branch_index must be a scalar, got shape {}", &index));
    // Out of range: the last branch, the default.
    if (index < 0 || index >= static_cast<int32_t>(branches_.size())) index = static_cast<int32_t>(branches_.size()) - 1;
    const Function& f = *branches_[index];
    std::vector<Tensor> rets;
    MR_RETURN_IF_ERROR(ctx.call_function(f, input_tensors(ctx, 1), &rets));
    return set_outputs(ctx, rets, f.name);
  }

 private:
  std::vector<std::shared_ptr<const Function>> branches_;
};

}  // namespace

void register_functional_ops(Registry& r) {
  r.add("PartitionedCall", make_kernel<CallKernel>);
  r.add("StatefulPartitionedCall", make_kernel<CallKernel>);
  r.add("While", make_kernel<WhileKernel>);
  r.add("StatelessWhile", make_kernel<WhileKernel>);
  r.add("If", make_kernel<IfKernel>);
  r.add("StatelessIf", make_kernel<IfKernel>);
  r.add("Case", make_kernel<CaseKernel>);
  r.add("StatelessCase", make_kernel<CaseKernel>);
}

}  // namespace metarun
