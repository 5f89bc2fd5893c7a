// SparseToDense: a dense tensor of `default_value` with the given `sparse_values`
// written at `sparse_indices` (the op remove_accidental_hits builds in
// sampled_softmax_loss). Indices may be int32 or int64 (read through index_at).
#include <string>
#include <vector>

#include "framework/registry.h"

namespace metarun {
namespace {

template <class T>
class SparseToDenseKernel : public OpKernel {
 public:
  explicit SparseToDenseKernel(KernelInit& init) {
    if (init.has_attr("validate_indices")) init.get("validate_indices", &validate_);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& indices = ctx.input(0);
    const Tensor& shape_t = ctx.input(1);
    const Tensor& values = ctx.input(2);
    const Tensor& fill = ctx.input(3);
    MR_REQUIRE(indices.rank() <= 2, "sparse_indices should be a scalar, vector, or matrix, got shape ",
               shape_str(indices.shape()));
    const int64_t num_elems = indices.rank() > 0 ? indices.dim(0) : 1;
    const int64_t num_dims = indices.rank() > 1 ? indices.dim(1) : 1;
    MR_REQUIRE(shape_t.rank() == 1, "output_shape must be rank 1, got shape ", shape_str(shape_t.shape()));
    MR_REQUIRE(shape_t.num_elements() == num_dims, "output_shape has incorrect number of elements: ",
               shape_t.num_elements(), " should be: ", num_dims);
    MR_REQUIRE(values.rank() == 0 || (values.rank() == 1 && values.num_elements() == num_elems),
               "sparse_values has incorrect shape ", shape_str(values.shape()), ", should be [] or [", num_elems,
               "]");
    MR_REQUIRE(fill.rank() == 0, "default_value should be a scalar.");
    Shape out_shape;
    MR_RETURN_IF_ERROR(tensor_to_vector(shape_t, &out_shape, "output_shape"));
    for (int64_t d : out_shape) MR_REQUIRE(d >= 0, "Dimension ", d, " must be >= 0");
    Tensor out(values.dtype(), out_shape);
    T* dst = out.data<T>();
    const T& fill_value = fill.data<T>()[0];
    const int64_t n = out.num_elements();
    for (int64_t i = 0; i < n; ++i) dst[i] = fill_value;

    std::vector<int64_t> prev(num_dims, -1), cur(num_dims);
    const T* src = values.data<T>();
    for (int64_t e = 0; e < num_elems; ++e) {
      int64_t flat = 0;
      bool in_bounds = true;
      for (int64_t d = 0; d < num_dims; ++d) {
        cur[d] = index_at(indices, e * num_dims + d);
        in_bounds = in_bounds && cur[d] >= 0 && cur[d] < out_shape[d];
        flat = flat * out_shape[d] + cur[d];
      }
      if (validate_) MR_RETURN_IF_ERROR(check_order(e, prev, cur, out_shape, in_bounds));
      MR_REQUIRE(in_bounds, "Indices are not valid (out of bounds).  Shape: ", shape_str(out_shape));
      dst[flat] = src[values.rank() == 0 ? 0 : e];
      prev = cur;
    }
    ctx.set_output(0, out);
    return Status();
  }

 private:
  // TF's SparseTensor::IndicesValid: each index in bounds and after the previous one.
  static Status check_order(int64_t e, const std::vector<int64_t>& prev, const std::vector<int64_t>& cur,
                            const Shape& shape, bool in_bounds) {
    std::string index = "[";
    for (size_t d = 0; d < cur.size(); ++d) index += (d ? "," : "") + std::to_string(cur[d]);
    index += "]";
    MR_REQUIRE(in_bounds, "indices[", e, "] = ", index, " is out of bounds: need 0 <= index < ", shape_str(shape));
    if (e == 0) return Status();
    MR_REQUIRE(cur != prev, "indices[", e, "] = ", index, " is repeated");
    MR_REQUIRE(prev < cur, "indices[", e, "] = ", index, " is out of order. Many sparse ops require sorted indices.\n",
               "    Use `tf.sparse.reorder` to create a correctly ordered copy.\n\n");
    return Status();
  }

  bool validate_ = true;
};

}  // namespace

void register_sparse_to_dense_ops(Registry& r) {
  using Types = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                         uint32_t, uint64_t, bool, complex64, complex128, std::string>;
  r.add<Types>("SparseToDense", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<SparseToDenseKernel<decltype(tag)>>(init);
  });
}

}  // namespace metarun
