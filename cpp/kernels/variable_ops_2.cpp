// Assignment to a strided slice of a variable: StridedSliceAssign (ref
// variables, `v[1:3].assign(x)` in TF1) and ResourceStridedSliceAssign.
//
// The slice spec is normalised as StridedSlice's (util/strided_slice.h); the
// value is broadcast to the slice's final shape, and may carry extra leading
// 1s, as TF's BCast allows. An empty slice takes any value: TF checks the
// value only when there is something to write. The two ops differ only in
// how they find the variable and in their errors for one never assigned.
#include <cstring>
#include <string>
#include <vector>

#include "kernels/util/strided_slice.h"
#include "kernels/util/variable_util.h"

namespace metarun {
namespace {

// Flat offsets into `value` for each element of `final_shape` (row-major),
// or an error when value does not broadcast to it.
Status broadcast_offsets(const Shape& value, const Shape& final_shape, std::vector<int64_t>* out) {
  const int fr = static_cast<int>(final_shape.size()), vr = static_cast<int>(value.size());
  bool ok = true;
  for (int i = 0; i < vr - fr; ++i) ok &= value[i] == 1;
  std::vector<int64_t> stride(fr, 0);
  for (int d = fr - 1, vd = vr - 1, s = 1; d >= 0; --d, --vd) {
    const int64_t v = vd >= 0 ? value[vd] : 1;
    ok &= v == final_shape[d] || v == 1;
    stride[d] = v == 1 ? 0 : s;
    s *= static_cast<int>(v);
  }
  if (!ok)
    return invalid_argument(str_cat("Cannot broadcast input shape ", shape_str(value), " into final shape ",
                                    shape_str(final_shape)));
  const int64_t n = num_elements(final_shape);
  out->resize(n);
  std::vector<int64_t> idx(fr, 0);
  int64_t at = 0;
  for (int64_t k = 0; k < n; ++k) {
    (*out)[k] = at;
    for (int d = fr - 1; d >= 0; --d) {
      at += stride[d];
      if (++idx[d] < final_shape[d]) break;
      at -= idx[d] * stride[d];
      idx[d] = 0;
    }
  }
  return Status();
}

class StridedSliceAssignKernel : public OpKernel {
 public:
  explicit StridedSliceAssignKernel(KernelInit& init)
      : resource_(init.op() == "ResourceStridedSliceAssign"), masks_(read_slice_masks(init)) {
    if (!resource_) init.take_ref_input(0);
  }

  Status compute(OpContext& ctx) override {
    std::shared_ptr<Var> var;
    MR_RETURN_IF_ERROR(find(ctx, &var));
    std::lock_guard<std::mutex> lock(var->mu);
    if (!var->initialized) return uninitialized(ctx, *var);
    const Tensor& value = ctx.input(4);
    if (var->value.dtype() != value.dtype())
      return invalid_argument(str_cat("l-value dtype ", dtype_name(var->value.dtype()),
                                      " does not match r-value dtype ", dtype_name(value.dtype())));
    DenseSlice slice;
    MR_RETURN_IF_ERROR(read_spec(ctx, var->value.shape(), &slice));
    if (num_elements(slice.processing) > 0) {
      std::vector<int64_t> from;
      MR_RETURN_IF_ERROR(broadcast_offsets(value.shape(), slice.final_shape, &from));
      // A resource variable's buffer may be shared with a value read earlier,
      // which must not change.
      if (resource_ && var->value.buffer().use_count() > 1) var->value = var->value.deep_copy();
      write(var->value, slice, value, from);
    }
    if (!resource_) ctx.set_output_ref(0, var);
    return Status();
  }

 private:
  Status find(OpContext& ctx, std::shared_ptr<Var>* var) const {
    if (!resource_) {
      MR_RETURN_IF_ERROR(need_ref(ctx, 0));
      *var = ctx.input_ref(0);
      return Status();
    }
    const ResourceHandle* h = nullptr;
    MR_RETURN_IF_ERROR(handle_of(ctx, &h));
    *var = ctx.resources().lookup_var(handle_key(*h));
    if (!*var) return var_not_created(*h);
    return Status();
  }

  // TF looks a resource variable up (NotFound until it is first assigned) but
  // checks a ref variable's value (FailedPrecondition).
  Status uninitialized(OpContext& ctx, const Var& var) const {
    if (!resource_) return failed_precondition(str_cat("Attempting to use uninitialized value ", var.name));
    const ResourceHandle* h = nullptr;
    MR_RETURN_IF_ERROR(handle_of(ctx, &h));
    return var_not_created(*h);
  }

  Status read_spec(OpContext& ctx, const Shape& shape, DenseSlice* slice) const {
    const Tensor &tb = ctx.input(1), &te = ctx.input(2), &ts = ctx.input(3);
    MR_REQUIRE(tb.rank() == 1 && te.rank() == 1 && ts.rank() == 1 && tb.num_elements() == te.num_elements() &&
                   tb.num_elements() == ts.num_elements(),
               "Expected begin, end, and strides to be 1D equal size tensors, but got shapes ", shape_str(tb.shape()),
               ", ", shape_str(te.shape()), ", and ", shape_str(ts.shape()), " instead.");
    MR_REQUIRE((masks_.ellipsis & (masks_.ellipsis - 1)) == 0, "Multiple ellipses in slice spec not allowed");
    std::vector<int64_t> begin, end, strides;
    MR_RETURN_IF_ERROR(tensor_to_vector(tb, &begin, "begin"));
    MR_RETURN_IF_ERROR(tensor_to_vector(te, &end, "end"));
    MR_RETURN_IF_ERROR(tensor_to_vector(ts, &strides, "strides"));
    return normalize_slice(shape, begin, end, strides, masks_, slice);
  }

  // The slice's k-th element (row-major over the final shape, which orders
  // elements as the processing shape does) takes value element from[k].
  static void write(Tensor& lhs, const DenseSlice& slice, const Tensor& value, const std::vector<int64_t>& from) {
    if (lhs.dtype() == DType::kString) {
      std::string* dst = lhs.data<std::string>();
      const std::string* src = value.data<std::string>();
      for_each_offset(lhs.shape(), slice, [&](int64_t k, int64_t offset) { dst[offset] = src[from[k]]; });
      return;
    }
    const size_t elem = dtype_size(lhs.dtype());
    char* dst = static_cast<char*>(lhs.raw());
    const char* src = static_cast<const char*>(value.raw());
    for_each_offset(lhs.shape(), slice, [&](int64_t k, int64_t offset) {
      std::memcpy(dst + offset * elem, src + from[k] * elem, elem);
    });
  }

  bool resource_;
  SliceMasks masks_;
};

auto strided_slice_assign = [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<StridedSliceAssignKernel>(init);
};

using AssignTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                             uint32_t, uint64_t, complex64, complex128, bool, std::string>;

}  // namespace

void register_variable_ops_2(Registry& r) {
  r.add<AssignTypes>("StridedSliceAssign", strided_slice_assign);
  r.add<AssignTypes>("ResourceStridedSliceAssign", strided_slice_assign);
}

}  // namespace metarun
