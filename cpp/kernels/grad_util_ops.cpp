// Shape plumbing of gradient graphs: BroadcastGradientArgs (which axes each
// input of a broadcasting op must be summed over) and StridedSliceGrad
// (scatter dy back into zeros of the sliced input's shape).
//
// StridedSliceGrad normalises its slice spec as TF's ValidateStridedSliceOp
// (kernels/util/strided_slice.h, shared with the slice assignments).
#include <cstring>
#include <vector>

#include "framework/registry.h"
#include "kernels/util/strided_slice.h"

namespace metarun {
namespace {

Status read_shape_vector(const Tensor& t, int which, std::vector<int64_t>* out) {
  MR_REQUIRE(t.rank() == 1, "In[", which, "] must be a vector.", shape_str(t.shape()));
  out->resize(t.num_elements());
  for (int64_t i = 0; i < t.num_elements(); ++i) (*out)[i] = index_at(t, i);
  return Status();
}

void write_indices(OpContext& ctx, int k, const std::vector<int64_t>& v) {
  Tensor& out = ctx.allocate_output(k, {static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) {
    if (out.dtype() == DType::kInt64) out.data<int64_t>()[i] = v[i];
    else out.data<int32_t>()[i] = static_cast<int32_t>(v[i]);
  }
}

// Identical shapes reduce nothing, even along size-1 dims (TF's BCast takes a
// fast path there); otherwise a dim of size 1 in an input is reduced for it,
// and a dim where both are 1 is reduced for both.
class BroadcastGradientArgsKernel : public OpKernel {
 public:
  explicit BroadcastGradientArgsKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::vector<int64_t> x, y;
    MR_RETURN_IF_ERROR(read_shape_vector(ctx.input(0), 0, &x));
    MR_RETURN_IF_ERROR(read_shape_vector(ctx.input(1), 1, &y));
    std::vector<int64_t> rx, ry;
    if (x != y) {
      const size_t n = std::max(x.size(), y.size());
      for (size_t i = 0; i < n; ++i) {
        const int64_t xi = i + x.size() >= n ? x[i + x.size() - n] : 1;
        const int64_t yi = i + y.size() >= n ? y[i + y.size() - n] : 1;
        if (xi == 1) rx.push_back(static_cast<int64_t>(i));
        if (yi == 1) ry.push_back(static_cast<int64_t>(i));
        MR_REQUIRE(xi == yi || xi == 1 || yi == 1, "Incompatible shapes: ", shape_str(x), " vs. ",
                   shape_str(y));
      }
    }
    write_indices(ctx, 0, rx);
    write_indices(ctx, 1, ry);
    return Status();
  }
};

auto broadcast_gradient_args = [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<BroadcastGradientArgsKernel>(init);
};

// Copies dy element by element into the positions the slice selected; POD
// elements are copied as bytes, so one kernel serves every dtype.
class StridedSliceGradKernel : public OpKernel {
 public:
  explicit StridedSliceGradKernel(KernelInit& init) : masks_(read_slice_masks(init)) {}
  Status compute(OpContext& ctx) override {
    const Tensor& shape_t = ctx.input(0);
    const Tensor& dy = ctx.input(4);
    MR_REQUIRE(shape_t.rank() == 1, "shape must be 1-D, got ", shape_str(shape_t.shape()));
    Shape shape(shape_t.num_elements());
    for (int64_t i = 0; i < shape_t.num_elements(); ++i) {
      shape[i] = index_at(shape_t, i);
      MR_REQUIRE(shape[i] >= 0, "Dimension ", i, " must be >= 0, got ", shape[i]);
    }
    const Tensor& tb = ctx.input(1);
    const Tensor& te = ctx.input(2);
    const Tensor& ts = ctx.input(3);
    MR_REQUIRE(tb.rank() == 1 && te.rank() == 1 && ts.rank() == 1 &&
                   tb.num_elements() == te.num_elements() && tb.num_elements() == ts.num_elements(),
               "Expected begin, end, and strides to be 1D equal size tensors, but got shapes ",
               shape_str(tb.shape()), ", ", shape_str(te.shape()), ", and ", shape_str(ts.shape()),
               " instead.");
    std::vector<int64_t> begin, end, strides;
    MR_RETURN_IF_ERROR(tensor_to_vector(tb, &begin, "begin"));
    MR_RETURN_IF_ERROR(tensor_to_vector(te, &end, "end"));
    MR_RETURN_IF_ERROR(tensor_to_vector(ts, &strides, "strides"));
    MR_REQUIRE((masks_.ellipsis & (masks_.ellipsis - 1)) == 0,
               "Multiple ellipses in slice spec not allowed");
    DenseSlice slice;
    MR_RETURN_IF_ERROR(normalize_slice(shape, begin, end, strides, masks_, &slice));
    MR_REQUIRE(dy.shape() == slice.final_shape, "shape of dy was ", shape_str(dy.shape()),
               " instead of ", shape_str(slice.final_shape));
    Tensor& out = ctx.allocate_output(0, shape);
    if (out.dtype() == DType::kString) {  // elements are objects, default ""
      const std::string* src = dy.data<std::string>();
      std::string* dst = out.data<std::string>();
      for_each_offset(shape, slice, [&](int64_t k, int64_t offset) { dst[offset] = src[k]; });
    } else {
      const size_t elem = dtype_size(out.dtype());
      char* dst = static_cast<char*>(out.raw());
      const char* src = static_cast<const char*>(dy.raw());
      if (out.num_elements()) std::memset(dst, 0, out.num_elements() * elem);
      for_each_offset(shape, slice, [&](int64_t k, int64_t offset) {
        std::memcpy(dst + offset * elem, src + k * elem, elem);
      });
    }
    return Status();
  }

 private:
  SliceMasks masks_;
};

auto strided_slice_grad = [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<StridedSliceGradKernel>(init);
};

}  // namespace

void register_grad_util_ops(Registry& r) {
  // Typed by the input: graphs from old TF versions carry no T attr.
  r.add<IndexTypes>("BroadcastGradientArgs", broadcast_gradient_args, TypeFrom::input_at(0));
  r.add<TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                  uint32_t, uint64_t, complex64, complex128, bool, std::string>>("StridedSliceGrad",
                                                                                  strided_slice_grad);
}

}  // namespace metarun
