// Shape queries and layout ops: Shape, Size, Rank, Reshape, Squeeze,
// ExpandDims, Transpose, Tile, the reverses, BroadcastTo and the small int ops
// BroadcastArgs and InvertPermutation. Ops that only relabel dims share the
// input buffer; the others move elements through `strided_copy`.
#include <algorithm>
#include <limits>

#include "kernels/util/data_movement.h"

namespace metarun {
namespace {

// Writes `values` into output `i` as a vector of the node's int32/int64 type.
Status write_vector(OpContext& ctx, int i, const Shape& values, bool scalar = false) {
  Tensor& out = ctx.allocate_output(i, scalar ? Shape{} : Shape{static_cast<int64_t>(values.size())});
  if (out.dtype() == DType::kInt32) {
    for (size_t k = 0; k < values.size(); ++k) {
      if (values[k] > std::numeric_limits<int32_t>::max())
        return invalid_argument(str_cat("Value ", values[k], " at index ", k,
                                        " does not fit in int32; use out_type int64"));
      out.data<int32_t>()[k] = static_cast<int32_t>(values[k]);
    }
  } else {
    std::copy(values.begin(), values.end(), out.data<int64_t>());
  }
  return Status();
}

class ShapeKernel : public OpKernel {
 public:
  explicit ShapeKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    for (int i = 0; i < ctx.num_inputs(); ++i) MR_RETURN_IF_ERROR(write_vector(ctx, i, ctx.input(i).shape()));
    return Status();
  }
};

class SizeKernel : public OpKernel {
 public:
  explicit SizeKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    return write_vector(ctx, 0, {ctx.input(0).num_elements()}, true);
  }
};

class RankKernel : public OpKernel {
 public:
  explicit RankKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override { return write_vector(ctx, 0, {ctx.input(0).rank()}, true); }
};

class ReshapeKernel : public OpKernel {
 public:
  explicit ReshapeKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& sizes = ctx.input(1);
    MR_REQUIRE(sizes.rank() <= 1, "sizes input must be 1-D, not ", shape_str(sizes.shape()));
    Shape shape = index_values(sizes);
    MR_RETURN_IF_ERROR(check_shape_size(shape));  // before any product of the requested dims
    int64_t product = 1, unknown = -1;
    bool has_zero = false;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == -1) {
        MR_REQUIRE(unknown == -1, "Only one input size may be -1, not both ", unknown, " and ", d);
        unknown = static_cast<int64_t>(d);
      } else {
        MR_REQUIRE(shape[d] >= 0, "Size ", d, " must be non-negative, not ", shape[d]);
        if (shape[d] == 0) has_zero = true;
        else product *= shape[d];
      }
    }
    if (unknown != -1) {
      // Zero dims of the input only count when the request has none, so
      // [0,3] -> [0,-1] still infers 3 (TF's rule).
      int64_t elems = 1;
      bool input_zero = false;
      for (int64_t d : in.shape()) {
        if (d > 0 || !has_zero) elems *= d;
        else input_zero = true;
      }
      int64_t missing = elems / product;
      MR_REQUIRE(input_zero || missing * product == elems, "Input to reshape is a tensor with ", elems,
                 " values, but the requested shape requires a multiple of ", product);
      shape[unknown] = missing;
    }
    MR_REQUIRE(num_elements(shape) == in.num_elements(), "Input to reshape is a tensor with ",
               in.num_elements(), " values, but the requested shape has ", num_elements(shape));
    ctx.set_output(0, in.reshaped(shape));
    return Status();
  }
};

class SqueezeKernel : public OpKernel {
 public:
  explicit SqueezeKernel(KernelInit& init) {
    if (init.has_attr("squeeze_dims")) init.get("squeeze_dims", &dims_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const int r = in.rank();
    std::vector<bool> drop(r, false);
    for (int64_t d : dims_) {
      MR_REQUIRE(d >= -r && d < r, "Tried to squeeze dim index ", d, " for tensor with ", r, " dimensions.");
      int64_t a = d < 0 ? d + r : d;
      MR_REQUIRE(in.dim(a) == 1, "Can not squeeze dim[", a, "], expected a dimension of 1, got ", in.dim(a));
      drop[a] = true;
    }
    Shape shape;
    for (int i = 0; i < r; ++i)
      if (!(dims_.empty() ? in.dim(i) == 1 : drop[i])) shape.push_back(in.dim(i));
    ctx.set_output(0, in.reshaped(shape));
    return Status();
  }

 private:
  std::vector<int64_t> dims_;
};

class ExpandDimsKernel : public OpKernel {
 public:
  explicit ExpandDimsKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    int64_t d = 0;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "'dim' must be a tensor with a single value", &d, true));
    const int64_t r = in.rank();
    MR_REQUIRE(d >= -1 - r && d <= r, "Tried to expand dim index ", d, " for tensor with ", r, " dimensions.");
    Shape shape = in.shape();
    shape.insert(shape.begin() + (d < 0 ? d + r + 1 : d), 1);
    ctx.set_output(0, in.reshaped(shape));
    return Status();
  }
};

// Transpose and ConjugateTranspose (which also conjugates complex values).
class TransposeKernel : public OpKernel {
 public:
  explicit TransposeKernel(KernelInit& init) : conjugate_(init.op() == "ConjugateTranspose") {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& perm_t = ctx.input(1);
    MR_REQUIRE(perm_t.rank() == 1, "perm must be rank 1, got shape ", shape_str(perm_t.shape()));
    const int r = in.rank();
    MR_REQUIRE(perm_t.num_elements() == r, "transpose expects a vector of size ", r,
               ". But input(1) is a vector of size ", perm_t.num_elements());
    std::vector<int64_t> perm = index_values(perm_t);
    std::vector<bool> seen(r, false);
    for (int64_t p : perm) {
      MR_REQUIRE(p >= 0 && p < r, p, " is out of range [0 .. ", r, ")");
      seen[p] = true;
    }
    for (int i = 0; i < r; ++i) {
      if (!seen[i]) {
        std::string all;
        for (int j = 0; j < r; ++j) all += (j ? "," : "") + std::to_string(perm[j]);
        return invalid_argument(str_cat(i, " is missing from {", all, "}."));
      }
    }
    bool identity = true;
    for (int i = 0; i < r; ++i) identity &= perm[i] == i;
    bool complex = in.dtype() == DType::kComplex64 || in.dtype() == DType::kComplex128;
    if (identity && !(conjugate_ && complex)) {
      ctx.set_output(0, in);
      return Status();
    }
    Shape out_shape(r);
    std::vector<int64_t> in_strides = row_major_strides(in.shape()), src_strides(r);
    for (int i = 0; i < r; ++i) {
      out_shape[i] = in.dim(perm[i]);
      src_strides[i] = in_strides[perm[i]];
    }
    Tensor& out = ctx.allocate_output(0, out_shape);
    strided_copy(ctx, in.dtype(), out_shape, in.raw(), src_strides, out.raw(), row_major_strides(out_shape));
    if (conjugate_ && complex) {
      if (in.dtype() == DType::kComplex64) conj_all(out.data<complex64>(), out.num_elements());
      else conj_all(out.data<complex128>(), out.num_elements());
    }
    return Status();
  }

 private:
  template <class C>
  static void conj_all(C* p, int64_t n) {
    for (int64_t i = 0; i < n; ++i) p[i] = std::conj(p[i]);
  }
  bool conjugate_;
};

// Tile is a broadcast of the input viewed as [1,d0,1,d1,...] to [m0,d0,m1,d1,...].
class TileKernel : public OpKernel {
 public:
  explicit TileKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& mult_t = ctx.input(1);
    const int r = in.rank();
    MR_REQUIRE(mult_t.rank() == 1 && mult_t.num_elements() == r,
               "Expected multiples argument to be a vector of length ", r, " but got length ",
               mult_t.rank() == 1 ? mult_t.dim(0) : mult_t.num_elements());
    std::vector<int64_t> mult = index_values(mult_t);
    Shape out_shape(r), view;
    std::vector<int64_t> src;
    std::vector<int64_t> in_strides = row_major_strides(in.shape());
    for (int i = 0; i < r; ++i) {
      MR_REQUIRE(mult[i] >= 0, "Expected multiples[", i, "] >= 0, but got ", mult[i]);
      MR_RETURN_IF_ERROR(check_shape_size({in.dim(i), mult[i]}));
      out_shape[i] = in.dim(i) * mult[i];
      view.push_back(mult[i]);
      view.push_back(in.dim(i));
      src.push_back(0);
      src.push_back(in_strides[i]);
    }
    MR_RETURN_IF_ERROR(check_shape_size(out_shape));
    Tensor& out = ctx.allocate_output(0, out_shape);
    if (out.num_elements() == 0) return Status();
    strided_copy(ctx, in.dtype(), view, in.raw(), src, out.raw(), row_major_strides(view));
    return Status();
  }
};

// Copies `in` with the dims marked in `rev` reversed.
void reverse_into(OpContext& ctx, const Tensor& in, const std::vector<bool>& rev, Tensor& out) {
  if (in.num_elements() == 0) return;
  std::vector<int64_t> strides = row_major_strides(in.shape());
  int64_t start = 0;
  for (int i = 0; i < in.rank(); ++i) {
    if (!rev[i]) continue;
    start += (in.dim(i) - 1) * strides[i];
    strides[i] = -strides[i];
  }
  strided_copy(ctx, in.dtype(), in.shape(), element_ptr(in, start), strides, out.raw(),
               row_major_strides(in.shape()));
}

// ReverseV2 (a list of axes) and the TF 0.x Reverse (one bool per dim).
class ReverseKernel : public OpKernel {
 public:
  explicit ReverseKernel(KernelInit& init) : bool_dims_(init.op() == "Reverse") {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& axis_t = ctx.input(1);
    MR_REQUIRE(axis_t.rank() == 1, "'dims' must be 1-dimension, not ", axis_t.rank());
    const int r = in.rank();
    std::vector<bool> rev(r, false);
    if (bool_dims_) {
      MR_REQUIRE(axis_t.num_elements() == r, "'dims' must have the same number of values as 'input' has dimensions. "
                 "'input' has ", r, "'dims' has ", axis_t.num_elements(), " values");
      if (r > 8) return unimplemented("reverse is not implemented for tensors of rank > 8.");
      for (int i = 0; i < r; ++i) rev[i] = axis_t.data<bool>()[i];
    } else {
      std::vector<int64_t> axes = index_values(axis_t);
      for (size_t k = 0; k < axes.size(); ++k) {
        int64_t a = axes[k];
        MR_REQUIRE(a >= -r && a < r, "'axis'[", k, "] = ", a, " is out of valid range [0, ", r - 1);
        if (a < 0) a += r;
        MR_REQUIRE(!rev[a], "axis ", a, " specified more than once.");
        rev[a] = true;
      }
    }
    reverse_into(ctx, in, rev, ctx.allocate_output(0, in.shape()));
    return Status();
  }

 private:
  bool bool_dims_;
};

// Reverses the first seq_lengths[b] entries along seq_dim of each batch entry b.
class ReverseSequenceKernel : public OpKernel {
 public:
  explicit ReverseSequenceKernel(KernelInit& init) {
    init.get("seq_dim", &seq_dim_);
    if (init.has_attr("batch_dim")) init.get("batch_dim", &batch_dim_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& lens_t = ctx.input(1);
    MR_REQUIRE(lens_t.rank() == 1, "seq_lengths must be 1-dim, not ", lens_t.rank());
    MR_REQUIRE(seq_dim_ >= 0, "Invalid seq_dim ", seq_dim_);
    MR_REQUIRE(batch_dim_ >= 0, "Invalid batch_dim ", batch_dim_);
    MR_REQUIRE(batch_dim_ != seq_dim_, "batch_dim == seq_dim == ", seq_dim_);
    MR_REQUIRE(seq_dim_ < in.rank(), "seq_dim must be < input rank ( ", seq_dim_, " vs. ", in.rank(), ")");
    MR_REQUIRE(batch_dim_ < in.rank(), "batch_dim must be < input rank ( ", batch_dim_, " vs. ", in.rank(), ")");
    const int sd = static_cast<int>(seq_dim_), bd = static_cast<int>(batch_dim_);
    MR_REQUIRE(lens_t.num_elements() == in.dim(bd), "Length of seq_lengths != input.dims(", bd, "), (",
               lens_t.num_elements(), " vs. ", in.dim(bd), ")");
    std::vector<int64_t> lens = index_values(lens_t);
    for (size_t b = 0; b < lens.size(); ++b) {
      MR_REQUIRE(lens[b] >= 0, "seq_lens(", b, ") < 0");
      MR_REQUIRE(lens[b] <= in.dim(sd), "seq_lens(", b, ") > input.dims(", sd, ")");
    }
    Tensor& out = ctx.allocate_output(0, in.shape());
    if (in.num_elements() == 0) return Status();
    copy_elements(in.dtype(), in.raw(), out.raw(), in.num_elements());
    const std::vector<int64_t> strides = row_major_strides(in.shape());
    std::vector<int64_t> src = strides;
    src[sd] = -strides[sd];
    Shape box = in.shape();
    box[bd] = 1;
    for (size_t b = 0; b < lens.size(); ++b) {
      if (lens[b] < 2) continue;
      box[sd] = lens[b];
      const int64_t at = static_cast<int64_t>(b) * strides[bd];
      strided_copy(ctx, in.dtype(), box, element_ptr(in, at + (lens[b] - 1) * strides[sd]), src,
                   element_ptr(out, at), strides);
    }
    return Status();
  }

 private:
  int64_t seq_dim_ = 0, batch_dim_ = 0;
};

class BroadcastToKernel : public OpKernel {
 public:
  explicit BroadcastToKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& shape_t = ctx.input(1);
    MR_REQUIRE(shape_t.rank() <= 1, "Shape must be rank 1 but is rank ", shape_t.rank());
    Shape out_shape = index_values(shape_t);
    for (int64_t d : out_shape) MR_REQUIRE(d >= 0, "Dimension ", d, " must be >= 0");
    MR_RETURN_IF_ERROR(check_shape_size(out_shape));
    const int r = static_cast<int>(out_shape.size()), lead = r - in.rank();
    MR_REQUIRE(lead >= 0, "Rank of input (", in.rank(), ") must be no greater than rank of output shape (",
               r, ").");
    if (out_shape == in.shape()) {
      ctx.set_output(0, in);
      return Status();
    }
    std::vector<int64_t> in_strides = row_major_strides(in.shape()), src(r, 0);
    for (int i = 0; i < in.rank(); ++i) {
      int64_t d = in.dim(i), o = out_shape[lead + i];
      MR_REQUIRE(d == o || d == 1, "Incompatible shapes: ", shape_str(in.shape()), " vs. ", shape_str(out_shape));
      if (d == o) src[lead + i] = in_strides[i];
    }
    Tensor& out = ctx.allocate_output(0, out_shape);
    if (out.num_elements() == 0) return Status();
    strided_copy(ctx, in.dtype(), out_shape, in.raw(), src, out.raw(), row_major_strides(out_shape));
    return Status();
  }
};

class BroadcastArgsKernel : public OpKernel {
 public:
  explicit BroadcastArgsKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    for (int i = 0; i < 2; ++i)
      MR_REQUIRE(ctx.input(i).rank() == 1, "In[", i, "] must be a vector.", shape_str(ctx.input(i).shape()));
    Shape a = index_values(ctx.input(0)), b = index_values(ctx.input(1));
    size_t r = std::max(a.size(), b.size());
    std::vector<int64_t> out(r);
    for (size_t i = 0; i < r; ++i) {
      int64_t x = i < r - a.size() ? 1 : a[i - (r - a.size())];
      int64_t y = i < r - b.size() ? 1 : b[i - (r - b.size())];
      MR_REQUIRE(x == y || x == 1 || y == 1, "Incompatible shapes: ", shape_str(a), " vs. ", shape_str(b));
      out[i] = x == 1 ? y : x;
    }
    return write_vector(ctx, 0, out);
  }
};

class InvertPermutationKernel : public OpKernel {
 public:
  explicit InvertPermutationKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    MR_REQUIRE(x.rank() == 1, "invert_permutation expects a 1D vector.");
    std::vector<int64_t> perm = index_values(x), inv(perm.size(), -1);
    const int64_t n = static_cast<int64_t>(perm.size());
    for (int64_t i = 0; i < n; ++i) {
      MR_REQUIRE(perm[i] >= 0 && perm[i] < n, perm[i], " is not between 0 and ", n);
      MR_REQUIRE(inv[perm[i]] == -1, perm[i], " is duplicated in the input.");
      inv[perm[i]] = i;
    }
    return write_vector(ctx, 0, inv);
  }
};

template <class K>
auto any_type() {
  return [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> { return new_kernel<K>(init); };
}

}  // namespace

void register_shape_ops(Registry& r) {
  // Shape queries read only the shape: any dtype, as in TF (a TensorList's
  // gradient asks for the shape of the lists a loop pushed).
  using QueryTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                              uint32_t, uint64_t, complex64, complex128, bool, std::string, ResourceHandle, Variant>;
  r.add<QueryTypes>("Shape", dtype_blind<ShapeKernel>());
  r.add<QueryTypes>("ShapeN", dtype_blind<ShapeKernel>());
  r.add<QueryTypes>("Size", dtype_blind<SizeKernel>());
  r.add<QueryTypes>("Rank", dtype_blind<RankKernel>());
  r.add<ShapeOpTypes>("Reshape", dtype_blind<ReshapeKernel>());
  r.add<ShapeOpTypes>("Squeeze", dtype_blind<SqueezeKernel>());
  r.add<ShapeOpTypes>("ExpandDims", dtype_blind<ExpandDimsKernel>());
  r.add<ShapeOpTypes>("Transpose", dtype_blind<TransposeKernel>());
  r.add<ShapeOpTypes>("ConjugateTranspose", dtype_blind<TransposeKernel>());
  r.add<TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint32_t,
                 uint64_t, complex64, complex128, bool, std::string>>("Tile", dtype_blind<TileKernel>());
  r.add<ShapeOpTypes>("ReverseV2", dtype_blind<ReverseKernel>());
  r.add<ShapeOpTypes>("Reverse", dtype_blind<ReverseKernel>());
  r.add<ShapeOpTypes>("ReverseSequence", dtype_blind<ReverseSequenceKernel>());
  r.add<ShapeOpTypes>("BroadcastTo", dtype_blind<BroadcastToKernel>());
  r.add<IndexTypes>("BroadcastArgs", dtype_blind<BroadcastArgsKernel>());
  r.add<IndexTypes>("InvertPermutation", dtype_blind<InvertPermutationKernel>());
}

}  // namespace metarun
