// Looking up the resource variable behind a DT_RESOURCE handle input, with
// TF's error text for a missing or uninitialized variable. Shared by the
// kernels that read variables (ReadVariableOp, ResourceGather...).
#pragma once

#include <memory>

#include "framework/kernel.h"

namespace metarun {

inline std::string handle_key(const ResourceHandle& h) { return h.container + "/" + h.name; }

inline Status handle_of(OpContext& ctx, const ResourceHandle** out) {
  const Tensor& t = ctx.input(0);
  if (t.dtype() != DType::kResource || t.num_elements() != 1)
    return invalid_argument(str_cat("Node ", ctx.name(), " expects a resource handle as input 0"));
  *out = t.data<ResourceHandle>();
  return Status();
}

inline Status missing_var(const ResourceHandle& h) {
  return failed_precondition(str_cat(
      "Could not find variable ", h.name, ". This could mean that the variable has been deleted. ",
      "In TF1, it can also mean the variable is uninitialized. Debug info: container=", h.container,
      ", status error message=Container ", h.container, " does not exist. (Could not find resource: ",
      h.container, "/", h.name, ")"));
}

// Finds the variable of input 0; missing is FailedPrecondition, as in TF.
// The caller locks var->mu and checks `initialized`.
inline Status find_var(OpContext& ctx, std::shared_ptr<Var>* var, const ResourceHandle** handle) {
  MR_RETURN_IF_ERROR(handle_of(ctx, handle));
  *var = ctx.resources().lookup_var(handle_key(**handle));
  if (!*var) return missing_var(**handle);
  return Status();
}

}  // namespace metarun
