// Dtype-blind element copying for the shape and data-movement kernels
// (shape_ops, slice_ops, concat_ops). These ops only move elements, so they
// are compiled once per element width (1, 2, 4, 8, 16 bytes) plus the object
// types, not once per dtype. Strides and offsets count elements, not bytes.
#pragma once

#include <cstdint>
#include <vector>

#include "framework/registry.h"

namespace metarun {

// Copies the view `dims` of `src` (element strides `src_strides`, may be 0 or
// negative) into the view of `dst` with `dst_strides`. `src`/`dst` point at
// the view's first element. Contiguous inner blocks move with memcpy; a
// transposing copy is blocked for the cache. Splits work across the pool.
void strided_copy(const OpContext& ctx, DType dtype, Shape dims, const void* src,
                  std::vector<int64_t> src_strides, void* dst, std::vector<int64_t> dst_strides);

// Row-major element strides of `shape`.
std::vector<int64_t> row_major_strides(const Shape& shape);

// Pointer to element `index` of `t`'s buffer (any dtype).
void* element_ptr(const Tensor& t, int64_t index);

// Copies `n` contiguous elements.
void copy_elements(DType dtype, const void* src, void* dst, int64_t n);

// The elements of an int32/int64 tensor (any rank) as int64.
std::vector<int64_t> index_values(const Tensor& t);

// Checks that `shape`'s element count fits in int64 (TF's TensorShape limit).
Status check_shape_size(const Shape& shape);

// The dtypes TF registers for its dtype-agnostic CPU data-movement kernels:
// every plain type plus string.
using ShapeOpTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t,
                              uint8_t, uint16_t, uint32_t, uint64_t, complex64, complex128, bool,
                              std::string>;

// Registration helper for `r.add<List>(op, dtype_blind<K>())`: K is built
// from the KernelInit alone, whatever dtype of List the node has.
template <class K>
auto dtype_blind() {
  return [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> { return new_kernel<K>(init); };
}

}  // namespace metarun
