// Looking up the resource variable behind a DT_RESOURCE handle input, with
// TF's error text for a missing or uninitialized variable. Shared by the
// kernels that read variables (ReadVariableOp, ResourceGather...).
#pragma once

#include <memory>

#include "framework/kernel.h"

namespace metarun {

inline std::string handle_key(const ResourceHandle& h) { return h.container + "/" + h.name; }

inline Status handle_of(OpContext& ctx, const ResourceHandle** out, int input = 0) {
  const Tensor& t = ctx.input(input);
  if (t.dtype() != DType::kResource || t.num_elements() != 1)
    return invalid_argument(str_cat("Node ", ctx.name(), " expects a resource handle as input ", input));
  *out = t.data<ResourceHandle>();
  return Status();
}

// A ref input (Assign's `ref`) must carry the variable itself.
inline Status need_ref(OpContext& ctx, int i) {
  if (ctx.input_ref(i)) return Status();
  return invalid_argument(str_cat("Input ", i, " of node ", ctx.name(), " was passed ",
                                  dtype_name(ctx.input(i).dtype()), " incompatible with expected ",
                                  dtype_name(ref_type(ctx.input(i).dtype()))));
}

inline Status missing_var(const ResourceHandle& h) {
  return failed_precondition(str_cat(
      "Could not find variable ", h.name, ". This could mean that the variable has been deleted. ",
      "In TF1, it can also mean the variable is uninitialized. Debug info: container=", h.container,
      ", status error message=Container ", h.container, " does not exist. (Could not find resource: ",
      h.container, "/", h.name, ")"));
}

// What TF's resource lookup says of a variable never assigned (NotFound), as
// ops that look the variable up without TF1's friendlier text report it.
inline Status var_not_created(const ResourceHandle& h) {
  return not_found(str_cat("Container ", h.container, " does not exist. (Could not find resource: ", h.container,
                           "/", h.name, ")"));
}

// Finds the variable of input `input`; missing is FailedPrecondition, as in
// TF. The caller locks var->mu and checks `initialized`.
inline Status find_var(OpContext& ctx, std::shared_ptr<Var>* var, const ResourceHandle** handle, int input = 0) {
  MR_RETURN_IF_ERROR(handle_of(ctx, handle, input));
  *var = ctx.resources().lookup_var(handle_key(**handle));
  if (!*var) return missing_var(**handle);
  return Status();
}

}  // namespace metarun
