// Indexing by integer tensors: Gather, GatherV2, ResourceGather, GatherNd,
// ResourceGatherNd, DynamicStitch, DynamicPartition.
//
// These only move elements, so one kernel serves every dtype: plain types are
// copied as bytes (a memcpy per contiguous slice), strings and handles as
// objects (see element_copier.h). Indices are read through a template on the index
// type, chosen per call. Out-of-range indices are InvalidArgument with TF
// CPU's text, checked before anything is written.
#include "kernels/util/element_copier.h"
#include "framework/registry.h"
#include "kernels/util/variable_util.h"

namespace metarun {
namespace {

using GatherIndexTypes = TypeList<int16_t, int32_t, int64_t>;

// Data types the movement kernels accept (TF also has quantized and variant).
using MoveTypes = AllTypes;
using StitchTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t,
                             uint16_t, uint32_t, uint64_t, complex64, complex128, bool, std::string>;

// params viewed as [batch, outer, gather_dim, inner]; indices as [batch, n].
struct GatherDims {
  int64_t batch = 1, outer = 1, gather_dim = 1, inner = 1, n = 1;
};

template <class I>
Status gather_typed(OpContext& ctx, const Tensor& params, const Tensor& indices, const GatherDims& g,
                    const ElementCopier& copier, const Tensor& out) {
  const I* idx = indices.data<I>();
  const int64_t num_idx = g.batch * g.n;
  for (int64_t i = 0; i < num_idx; ++i) {
    if (idx[i] < 0 || idx[i] >= g.gather_dim)
      return invalid_argument(str_cat("indices", index_str(indices.shape(), i), " = ",
                                      static_cast<int64_t>(idx[i]), " is not in [0, ", g.gather_dim, ")"));
  }
  const int64_t rows = g.batch * g.outer * g.n;
  const char* src = static_cast<const char*>(params.raw());
  char* dst = static_cast<char*>(out.raw());
  with_slice_mover(copier, g.inner, [&](auto move, size_t slice_bytes) {
    ctx.parallel_for(rows, copier.cost() * static_cast<double>(g.inner) + 2, [&](int64_t begin, int64_t end) {
      // Row r of the output is (b, o, j); the counters avoid a division per row.
      // Locals, not g's fields: stores through dst could alias them.
      const int64_t n = g.n, outer = g.outer, gather_dim = g.gather_dim;
      int64_t j = begin % n, bo = begin / n;
      int64_t o = bo % outer;
      const I* batch_idx = idx + (bo / outer) * n;
      char* d = dst + begin * slice_bytes;
      const char* s = src + bo * gather_dim * slice_bytes;
      for (int64_t r = begin; r < end; ++r, d += slice_bytes) {
        move(d, s + static_cast<int64_t>(batch_idx[j]) * slice_bytes);
        if (++j == n) {
          j = 0;
          s += gather_dim * slice_bytes;
          if (++o == outer) o = 0, batch_idx += n;
        }
      }
    });
  });
  return Status();
}

// Shared body of Gather, GatherV2 and ResourceGather once axis and batch_dims
// are normalised and checked.
Status gather(OpContext& ctx, const Tensor& params, const Tensor& indices, int axis, int batch_dims,
              const ElementCopier& copier) {
  GatherDims g;
  Shape out_shape;
  g.batch = dims_product(params.shape(), 0, batch_dims);
  g.outer = dims_product(params.shape(), batch_dims, axis);
  g.gather_dim = params.dim(axis);
  g.inner = dims_product(params.shape(), axis + 1, params.rank());
  g.n = dims_product(indices.shape(), batch_dims, indices.rank());
  for (int d = 0; d < axis; ++d) out_shape.push_back(params.dim(d));
  for (int d = batch_dims; d < indices.rank(); ++d) out_shape.push_back(indices.dim(d));
  for (int d = axis + 1; d < params.rank(); ++d) out_shape.push_back(params.dim(d));
  Tensor& out = ctx.allocate_output(0, out_shape);
  if (out.num_elements() == 0) return Status();  // TF checks no indices then either
  Status st;
  if (!dispatch(GatherIndexTypes{}, indices.dtype(), [&](auto tag) {
        st = gather_typed<decltype(tag)>(ctx, params, indices, g, copier, out);
      }))
    return invalid_argument(str_cat("Unsupported indices type ", dtype_name(indices.dtype())));
  return st;
}

Status check_batch_dims(const Tensor& params, const Tensor& indices, int axis, int* batch_dims) {
  if (*batch_dims == 0) return Status();
  MR_REQUIRE(*batch_dims >= -indices.rank() && *batch_dims <= indices.rank(),
             "Expected batch_dims in the range [", -indices.rank(), ", ", indices.rank(), "], but got ",
             *batch_dims);
  if (*batch_dims < 0) *batch_dims += indices.rank();
  MR_REQUIRE(*batch_dims < params.rank(), "batch_dims (", *batch_dims, ") must be less than rank(params) (",
             params.rank(), ").");
  MR_REQUIRE(axis >= *batch_dims, "batch_dims (", *batch_dims, ") must be less than or equal to axis (", axis,
             ").");
  for (int i = 0; i < *batch_dims; ++i)
    MR_REQUIRE(params.dim(i) == indices.dim(i), "params.shape[", i, "]: ", params.dim(i),
               " should be equal to indices.shape[", i, "]: ", indices.dim(i));
  return Status();
}

// Gather (axis 0; validate_indices is ignored: the CPU kernel always checks)
// and GatherV2 (axis input, batch_dims attr).
class GatherKernel : public OpKernel {
 public:
  explicit GatherKernel(KernelInit& init) : copier_(init.input_type(0)), has_axis_(init.num_inputs() > 2) {
    if (init.has_attr("batch_dims")) init.get("batch_dims", &batch_dims_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& params = ctx.input(0);
    const Tensor& indices = ctx.input(1);
    MR_REQUIRE(params.rank() >= 1, "params must be at least 1 dimensional");
    int64_t axis = 0;
    if (has_axis_) {
      MR_RETURN_IF_ERROR(scalar_input(ctx, 2, "axis must be scalar", &axis));
    }
    // TF reports an out-of-range axis in its shape function's words.
    MR_REQUIRE(axis >= -params.rank() && axis < params.rank(), "Shape must be at least rank ",
               axis >= 0 ? axis + 1 : -axis, " but is rank ", params.rank());
    if (axis < 0) axis += params.rank();
    int batch_dims = batch_dims_;
    MR_RETURN_IF_ERROR(check_batch_dims(params, indices, static_cast<int>(axis), &batch_dims));
    return gather(ctx, params, indices, static_cast<int>(axis), batch_dims, copier_);
  }

 private:
  ElementCopier copier_;
  bool has_axis_;
  int batch_dims_ = 0;
};

// ResourceGather: GatherV2 on a resource variable's value along axis batch_dims.
class ResourceGatherKernel : public OpKernel {
 public:
  explicit ResourceGatherKernel(KernelInit& init) {
    init.get("dtype", &dtype_);
    if (init.has_attr("batch_dims")) init.get("batch_dims", &batch_dims_);
    copier_ = ElementCopier(dtype_);
  }
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Var> var;
    const ResourceHandle* h = nullptr;
    MR_RETURN_IF_ERROR(find_var(ctx, &var, &h));
    std::lock_guard<std::mutex> lock(var->mu);
    if (!var->initialized) return missing_var(*h);
    const Tensor& params = var->value;
    const Tensor& indices = ctx.input(1);
    if (params.dtype() != dtype_)
      return invalid_argument(str_cat("Trying to read variable with wrong dtype. Expected ",
                                      dtype_name(params.dtype()), " got ", dtype_name(dtype_)));
    MR_REQUIRE(params.rank() >= 1, "params must be at least 1 dimensional");
    int batch_dims = batch_dims_;
    if (batch_dims < 0) batch_dims += indices.rank();
    MR_REQUIRE(batch_dims >= 0 && batch_dims <= indices.rank(), "Expected batch_dims in the range [",
               -indices.rank(), ", ", indices.rank(), "], but got ", batch_dims_);
    MR_RETURN_IF_ERROR(check_batch_dims(params, indices, batch_dims, &batch_dims));
    return gather(ctx, params, indices, batch_dims, batch_dims, copier_);
  }

 private:
  DType dtype_ = DType::kInvalid;
  int batch_dims_ = 0;
  ElementCopier copier_;
};

template <class I>
Status gather_nd_typed(OpContext& ctx, const Tensor& params, const Tensor& indices, int64_t n, bool ignore_bad,
                       const ElementCopier& copier, const Tensor& out) {
  const int k = static_cast<int>(indices.dim(indices.rank() - 1));
  const int64_t slice = dims_product(params.shape(), k, params.rank());
  std::vector<int64_t> strides(k);
  for (int64_t d = k - 1, s = slice; d >= 0; --d) {
    strides[d] = s;
    s *= params.dim(d);
  }
  std::vector<int64_t> offsets(n);
  const I* idx = indices.data<I>();
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    bool bad = false;
    for (int d = 0; d < k; ++d) {
      const int64_t v = idx[i * k + d];
      if (v < 0 || v >= params.dim(d)) bad = true;
      off += v * strides[d];
    }
    if (bad && !ignore_bad) {
      std::string tuple;
      for (int d = 0; d < k; ++d) tuple += str_cat(d ? ", " : "", static_cast<int64_t>(idx[i * k + d]));
      Shape outer(indices.shape().begin(), indices.shape().end() - 1);
      return invalid_argument(str_cat("indices", index_str(outer, i), " = [", tuple,
                                      "] does not index into param shape ", shape_str(params.shape()),
                                      ", node name: ", ctx.name()));
    }
    offsets[i] = bad ? -1 : off;
  }
  const char* src = static_cast<const char*>(params.raw());
  char* dst = static_cast<char*>(out.raw());
  with_slice_mover(copier, slice, [&](auto move, size_t slice_bytes) {
    const size_t stride = copier.stride();
    ctx.parallel_for(n, copier.cost() * static_cast<double>(slice) + 2, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if (offsets[i] < 0) copier.zero(out, i * slice, slice);
        else move(dst + i * slice_bytes, src + offsets[i] * stride);
      }
    });
  });
  return Status();
}

// Shared body of GatherNd and ResourceGatherNd.
Status gather_nd(OpContext& ctx, const Tensor& params, const Tensor& indices, bool ignore_bad,
                 const ElementCopier& copier) {
  MR_REQUIRE(params.rank() >= 1, "params must be at least a vector");
  MR_REQUIRE(indices.rank() >= 1, "indices must be at least a vector");
  const int64_t k = indices.dim(indices.rank() - 1);
  MR_REQUIRE(k <= params.rank(), "index innermost dimension length must be <= params rank; saw: ", k, " vs. ",
             params.rank());
  Shape out_shape(indices.shape().begin(), indices.shape().end() - 1);
  const int64_t n = num_elements(out_shape);
  for (int d = static_cast<int>(k); d < params.rank(); ++d) out_shape.push_back(params.dim(d));
  MR_REQUIRE(n == 0 || params.num_elements() > 0,
             "Requested more than 0 entries, but params is empty.  Params shape: ", shape_str(params.shape()));
  Tensor& out = ctx.allocate_output(0, out_shape);
  if (n == 0) return Status();
  Status st;
  if (!dispatch(GatherIndexTypes{}, indices.dtype(), [&](auto tag) {
        st = gather_nd_typed<decltype(tag)>(ctx, params, indices, n, ignore_bad, copier, out);
      }))
    return invalid_argument(str_cat("Unsupported indices type ", dtype_name(indices.dtype())));
  return st;
}

class GatherNdKernel : public OpKernel {
 public:
  explicit GatherNdKernel(KernelInit& init) : copier_(init.input_type(0)) {
    std::string policy;
    if (init.has_attr("bad_indices_policy")) init.get("bad_indices_policy", &policy);
    if (policy == "IGNORE") ignore_bad_ = true;
    else if (!policy.empty() && policy != "DEFAULT" && policy != "ERROR")
      init.fail(invalid_argument(str_cat("Unknown bad indices handling attribute: ", policy)));
  }
  Status compute(OpContext& ctx) override {
    return gather_nd(ctx, ctx.input(0), ctx.input(1), ignore_bad_, copier_);
  }

 private:
  ElementCopier copier_;
  bool ignore_bad_ = false;
};

// ResourceGatherNd: GatherNd on a resource variable's value, read under its lock.
class ResourceGatherNdKernel : public OpKernel {
 public:
  explicit ResourceGatherNdKernel(KernelInit& init) {
    init.get("dtype", &dtype_);
    copier_ = ElementCopier(dtype_);
  }
  Status compute(OpContext& ctx) override {
    const ResourceHandle* h = nullptr;
    MR_RETURN_IF_ERROR(handle_of(ctx, &h));
    std::shared_ptr<Var> var = ctx.resources().lookup_var(handle_key(*h));
    if (!var) return var_not_created(*h);
    std::lock_guard<std::mutex> lock(var->mu);
    if (!var->initialized) return var_not_created(*h);
    if (var->value.dtype() != dtype_)
      return invalid_argument(str_cat("Trying to read variable with wrong dtype. Expected ",
                                      dtype_name(var->value.dtype()), " got ", dtype_name(dtype_)));
    return gather_nd(ctx, var->value, ctx.input(1), false, copier_);
  }

 private:
  DType dtype_ = DType::kInvalid;
  ElementCopier copier_;
};

bool starts_with(const Shape& s, const Shape& prefix) {
  return s.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), s.begin());
}

// DynamicStitch and ParallelDynamicStitch: inputs are N int32 indices then N
// data tensors. Later indices win; rows no index names stay zero.
class DynamicStitchKernel : public OpKernel {
 public:
  explicit DynamicStitchKernel(KernelInit& init) : copier_(init.output_type(0)) {
    n_ = init.num_inputs() / 2;
  }
  Status compute(OpContext& ctx) override {
    for (int i = 0; i < n_; ++i)
      MR_REQUIRE(ctx.input(i).dtype() == DType::kInt32, "indices[", i, "] must be int32");
    const Tensor& idx0 = ctx.input(0);
    const Tensor& data0 = ctx.input(n_);
    MR_REQUIRE(starts_with(data0.shape(), idx0.shape()), "data[0].shape = ", shape_str(data0.shape()),
               " does not start with indices[0].shape = ", shape_str(idx0.shape()));
    const Shape row_shape(data0.shape().begin() + idx0.rank(), data0.shape().end());
    int64_t max_index = -1;
    for (int i = 0; i < n_; ++i) {
      const Tensor& idx = ctx.input(i);
      const Tensor& data = ctx.input(n_ + i);
      MR_REQUIRE(starts_with(data.shape(), idx.shape()), "data[", i, "].shape = ", shape_str(data.shape()),
                 " does not start with indices[", i, "].shape = ", shape_str(idx.shape()));
      const Shape rest(data.shape().begin() + idx.rank(), data.shape().end());
      MR_REQUIRE(rest == row_shape, "Need data[0].shape[", idx0.rank(), ":] = data[", i, "].shape[", idx.rank(),
                 ":], got data[0].shape = ", shape_str(data0.shape()), ", data[", i, "].shape = ",
                 shape_str(data.shape()), ", indices[0].shape = ", shape_str(idx0.shape()), ", indices[", i,
                 "].shape = ", shape_str(idx.shape()));
      const int32_t* p = idx.data<int32_t>();
      for (int64_t j = 0, m = idx.num_elements(); j < m; ++j) max_index = std::max<int64_t>(max_index, p[j]);
    }
    Shape out_shape{max_index + 1};
    out_shape.insert(out_shape.end(), row_shape.begin(), row_shape.end());
    Tensor& out = ctx.allocate_output(0, out_shape);
    const int64_t row = num_elements(row_shape);
    copier_.zero(out, 0, out.num_elements());
    for (int i = 0; i < n_; ++i) {
      const Tensor& idx = ctx.input(i);
      const int32_t* p = idx.data<int32_t>();
      for (int64_t j = 0, m = idx.num_elements(); j < m; ++j) {
        MR_REQUIRE(p[j] >= 0 && p[j] <= max_index, "indices[", j, "] is out of range");
        copier_.copy(ctx.input(n_ + i), j * row, out, p[j] * row, row);
      }
    }
    return Status();
  }

 private:
  ElementCopier copier_;
  int n_ = 0;
};

class DynamicPartitionKernel : public OpKernel {
 public:
  explicit DynamicPartitionKernel(KernelInit& init) : copier_(init.input_type(0)) {
    init.get("num_partitions", &num_partitions_);
    if (num_partitions_ < 1)
      init.fail(invalid_argument(str_cat("Value for attr 'num_partitions' of ", num_partitions_,
                                         " must be at least minimum 1")));
  }
  Status compute(OpContext& ctx) override {
    const Tensor& data = ctx.input(0);
    const Tensor& parts = ctx.input(1);
    MR_REQUIRE(parts.dtype() == DType::kInt32, "partitions must be int32");
    MR_REQUIRE(starts_with(data.shape(), parts.shape()),
               "data.shape must start with partitions.shape, got data.shape = ", shape_str(data.shape()),
               ", partitions.shape = ", shape_str(parts.shape()));
    const int32_t* p = parts.data<int32_t>();
    const int64_t n = parts.num_elements();
    std::vector<int64_t> counts(num_partitions_, 0);
    for (int64_t i = 0; i < n; ++i) {
      MR_REQUIRE(p[i] >= 0 && p[i] < num_partitions_, "partitions", index_str(parts.shape(), i), " = ", p[i],
                 " is not in [0, ", num_partitions_, ")");
      ++counts[p[i]];
    }
    const Shape row_shape(data.shape().begin() + parts.rank(), data.shape().end());
    const int64_t row = num_elements(row_shape);
    std::vector<Tensor*> outs(num_partitions_);
    for (int k = 0; k < num_partitions_; ++k) {
      Shape s{counts[k]};
      s.insert(s.end(), row_shape.begin(), row_shape.end());
      outs[k] = &ctx.allocate_output(k, s);
      counts[k] = 0;
    }
    for (int64_t i = 0; i < n; ++i) copier_.copy(data, i * row, *outs[p[i]], counts[p[i]]++ * row, row);
    return Status();
  }

 private:
  ElementCopier copier_;
  int num_partitions_ = 1;
};

template <class K>
auto mover = [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> { return new_kernel<K>(init); };

}  // namespace

void register_gather_ops(Registry& r) {
  r.add<MoveTypes>("Gather", mover<GatherKernel>, TypeFrom::attr_named("Tparams"));
  r.add<MoveTypes>("GatherV2", mover<GatherKernel>, TypeFrom::attr_named("Tparams"));
  r.add<MoveTypes>("ResourceGather", mover<ResourceGatherKernel>, TypeFrom::attr_named("dtype"));
  r.add<MoveTypes>("GatherNd", mover<GatherNdKernel>, TypeFrom::attr_named("Tparams"));
  r.add<MoveTypes>("ResourceGatherNd", mover<ResourceGatherNdKernel>, TypeFrom::attr_named("dtype"));
  r.add<StitchTypes>("DynamicStitch", mover<DynamicStitchKernel>);
  r.add<StitchTypes>("ParallelDynamicStitch", mover<DynamicStitchKernel>);
  r.add<MoveTypes>("DynamicPartition", mover<DynamicPartitionKernel>);
}

}  // namespace metarun
