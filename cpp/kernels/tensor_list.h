// TensorList: the value a DT_VARIANT scalar holds for TF's TensorList ops
// (the accumulators of v2 while loops and their gradients). A list has an
// element dtype, an element shape that may be partly or wholly unknown, an
// optional bound on its length, and its elements; an invalid Tensor is an
// element not set yet (TensorListReserve makes those).
//
// Sharing: copying a Variant shares the list. A kernel that changes a list
// changes it in place only when nobody else can see it (see
// forward_or_copy_list in tensor_list_ops.cpp); else it works on a copy of
// the element vector (the element tensors themselves are shared, never
// written).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/kernel.h"

namespace metarun {

class TensorList : public VariantValue {
 public:
  static constexpr const char* kTypeName = "tensorflow::TensorList";
  std::string type_name() const override { return kTypeName; }
  std::string debug_string() const override { return "TensorList"; }

  // A list with the same dtype, shape, bound and (shared) element tensors.
  std::shared_ptr<TensorList> copy() const { return std::make_shared<TensorList>(*this); }

  DType element_dtype = DType::kInvalid;
  PartialShape element_shape;  // unknown rank by default
  int64_t max_num_elements = -1;  // -1: unbounded
  std::vector<Tensor> tensors;  // !valid(): not set yet
};

// The list a scalar variant tensor holds (TF's messages for anything else).
Status get_tensor_list(const Tensor& t, const TensorList** out);
// A scalar variant tensor holding `list`.
Tensor tensor_list_tensor(std::shared_ptr<TensorList> list);

// TF's element-wise helpers for lists, as its variant registry gives them to
// ZerosLike and AddN: zeros of each element's dtype and shape (unset
// elements stay unset), and the element-wise sum of two lists (an unset
// element takes the other list's).
Status tensor_list_zeros_like(const TensorList& x, std::shared_ptr<TensorList>* out);
Status tensor_list_add(const TensorList& a, const TensorList& b, std::shared_ptr<TensorList>* out);
// Zeros of `x`'s dtype and shape (a list's zeros for a variant holding one),
// and the element-wise sum of two tensors: what variants holding tensors
// (Optionals) use for their own ZerosLike/AddN.
Status zeros_like_value(const Tensor& x, Tensor* out);
Status add_values(const Tensor& a, const Tensor& b, Tensor* out);

// ZerosLike and AddN of DT_VARIANT tensors (registered with the other dtypes'
// kernels of those ops).
std::unique_ptr<OpKernel> make_variant_zeros_like_kernel(KernelInit& init);
std::unique_ptr<OpKernel> make_variant_add_n_kernel(KernelInit& init);

}  // namespace metarun
