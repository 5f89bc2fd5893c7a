#include "kernels/util/var_update.h"

namespace metarun {
namespace {

Status lookup_resource(OpContext& ctx, int i, std::shared_ptr<Var>* out) {
  const Tensor& t = ctx.input(i);
  if (t.dtype() != DType::kResource || t.num_elements() != 1)
    return invalid_argument(str_cat("Node ", ctx.name(), " expects a resource handle as input ", i));
  const ResourceHandle& h = *t.data<ResourceHandle>();
  *out = ctx.resources().lookup_var(h.container + "/" + h.name);
  if (*out) return Status();
  // TF1 reports a resource variable that was never assigned as missing.
  return failed_precondition(str_cat(
      "Could not find variable ", h.name, ". This could mean that the variable has been deleted. ",
      "In TF1, it can also mean the variable is uninitialized. Debug info: container=", h.container,
      ", status error message=Resource ", h.container, "/", h.name, " does not exist."));
}

}  // namespace

Status LockedVars::acquire(OpContext& ctx, bool resource, int n, DType dtype, bool use_locking) {
  vars_.assign(n, nullptr);
  for (int i = 0; i < n; ++i) {
    if (resource) {
      MR_RETURN_IF_ERROR(lookup_resource(ctx, i, &vars_[i]));
    } else {
      vars_[i] = ctx.input_ref(i);
      if (!vars_[i])
        return invalid_argument(str_cat("Input ", i, " of node ", ctx.name(), " was passed ",
                                        dtype_name(ctx.input(i).dtype()), " incompatible with expected ",
                                        dtype_name(ref_type(ctx.input(i).dtype()))));
    }
  }
  // Lock each distinct variable once, in address order, so two ops sharing
  // variables can never deadlock.
  std::vector<Var*> order;
  for (auto& v : vars_) order.push_back(v.get());
  std::sort(order.begin(), order.end());
  order.erase(std::unique(order.begin(), order.end()), order.end());
  locks_.clear();
  for (Var* v : order) locks_.emplace_back(v->mu);
  for (int i = 0; i < n; ++i) {
    Var& v = *vars_[i];
    if (!v.initialized) {
      if (resource) {
        return failed_precondition(str_cat("Could not find variable ", v.name,
                                           ". This could mean that the variable has been deleted. ",
                                           "In TF1, it can also mean the variable is uninitialized."));
      }
      return failed_precondition(str_cat("Attempting to use uninitialized value ", v.name));
    }
    if (dtype != DType::kInvalid && v.value.dtype() != dtype)
      return invalid_argument(str_cat("Trying to access variable ", v.name, " of dtype ",
                                      dtype_name(v.value.dtype()), " as ", dtype_name(dtype)));
  }
  if (resource)
    for (Var* v : order)
      if (v->value.buffer().use_count() > 1) v->value = v->value.deep_copy();
  values_.resize(n);
  for (int i = 0; i < n; ++i) values_[i] = vars_[i]->value;
  if (!resource && !use_locking) locks_.clear();
  return Status();
}

Status read_indices(const Tensor& t, std::vector<int64_t>* out) {
  if (t.dtype() != DType::kInt32 && t.dtype() != DType::kInt64)
    return invalid_argument(str_cat("indices must be int32 or int64, got ", dtype_name(t.dtype())));
  out->resize(t.num_elements());
  for (int64_t i = 0; i < t.num_elements(); ++i) (*out)[i] = index_at(t, i);
  return Status();
}

}  // namespace metarun
