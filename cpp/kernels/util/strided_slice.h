// TF's strided-slice spec (begin/end/strides and the five masks), normalised
// against a shape as TF's ValidateStridedSliceOp does, and a walk over the
// elements it selects. Shared by StridedSliceGrad and the strided-slice
// assignments (StridedSliceAssign, ResourceStridedSliceAssign).
#pragma once

#include <cstdint>
#include <vector>

#include "framework/registry.h"

namespace metarun {

struct SliceMasks {
  int64_t begin = 0, end = 0, ellipsis = 0, new_axis = 0, shrink = 0;
};

// The normalised slice: per input dim a begin and stride, and the shape
// walked ("processing" shape, shrunk dims kept as 1) and produced.
struct DenseSlice {
  std::vector<int64_t> begin, stride, processing;
  Shape final_shape;
};

// Reads the five mask attrs a strided-slice op carries (absent ones are 0).
SliceMasks read_slice_masks(KernelInit& init);

// Expands the sparse spec against `input` (ellipsis, new axes, shrunk dims)
// and checks it: InvalidArgument with TF's text for a zero stride, an index
// of a shrunk dim out of bounds, a spec longer than the rank.
Status normalize_slice(const Shape& input, std::vector<int64_t> begin, std::vector<int64_t> end,
                       std::vector<int64_t> strides, SliceMasks m, DenseSlice* out);

// Calls fn(k, offset) for the k-th element of the slice and its flat offset
// in a tensor of `shape`, walking the processing shape like an odometer.
template <class F>
void for_each_offset(const Shape& shape, const DenseSlice& slice, F&& fn) {
  const int dims = static_cast<int>(shape.size());
  const int64_t count = num_elements(slice.processing);
  if (count == 0) return;
  std::vector<int64_t> out_stride(dims, 1), idx(dims, 0);
  for (int d = dims - 2; d >= 0; --d) out_stride[d] = out_stride[d + 1] * shape[d + 1];
  int64_t offset = 0;
  for (int d = 0; d < dims; ++d) offset += slice.begin[d] * out_stride[d];
  for (int64_t k = 0; k < count; ++k) {
    fn(k, offset);
    for (int d = dims - 1; d >= 0; --d) {
      offset += slice.stride[d] * out_stride[d];
      if (++idx[d] < slice.processing[d]) break;
      offset -= idx[d] * slice.stride[d] * out_stride[d];
      idx[d] = 0;
    }
  }
}

}  // namespace metarun
