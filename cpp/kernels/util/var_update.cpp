#include "kernels/util/var_update.h"

#include "kernels/util/variable_util.h"

namespace metarun {

Status LockedVars::acquire(OpContext& ctx, bool resource, int n, DType dtype, bool use_locking) {
  vars_.assign(n, nullptr);
  std::vector<const ResourceHandle*> handles(resource ? n : 0);
  for (int i = 0; i < n; ++i) {
    if (resource) {
      MR_RETURN_IF_ERROR(find_var(ctx, &vars_[i], &handles[i], i));
    } else {
      MR_RETURN_IF_ERROR(need_ref(ctx, i));
      vars_[i] = ctx.input_ref(i);
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
      if (resource) return missing_var(*handles[i]);
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
