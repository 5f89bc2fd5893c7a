// Joining and splitting along one axis: ConcatV2, Concat (TF 0.x/1.x order:
// axis first), Pack, Unpack, Split, SplitV and ConcatOffset. Every one is a
// copy of contiguous blocks: each tensor is viewed as [outer, inner] where
// `outer` is the product of the dims before the axis.
#include <numeric>

#include "kernels/util/data_movement.h"

namespace metarun {
namespace {

int64_t outer_size(const Shape& s, int axis) { return dims_product(s, 0, axis); }

// Copies each part (viewed as [outer, part_inner]) into its column range of
// `whole` ([outer, sum of part_inner]), or back when `split`.
void move_blocks(const OpContext& ctx, DType dtype, int64_t outer, const std::vector<const Tensor*>& parts,
                 const Tensor& whole, bool split) {
  std::vector<int64_t> inner(parts.size()), offset(parts.size());
  int64_t total = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    inner[i] = outer ? parts[i]->num_elements() / outer : 0;
    offset[i] = total;
    total += inner[i];
  }
  if (outer == 0 || total == 0) return;
  ctx.parallel_for(outer, 0.3 * total, [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      for (size_t i = 0; i < parts.size(); ++i) {
        if (!inner[i]) continue;
        void* part = element_ptr(*parts[i], o * inner[i]);
        void* w = element_ptr(whole, o * total + offset[i]);
        if (split) copy_elements(dtype, w, part, inner[i]);
        else copy_elements(dtype, part, w, inner[i]);
      }
    }
  });
}

Status read_axis(const Tensor& t, int64_t* axis) {
  MR_REQUIRE(t.num_elements() == 1 && t.rank() <= 1, "Concat dim tensor should be a scalar integer, but got shape ",
             shape_str(t.shape()));
  MR_REQUIRE(is_integer_type(t.dtype()), "Concat dim tensor must be an integer, got ", dtype_name(t.dtype()));
  *axis = index_at(t, 0);
  return Status();
}

// ConcatV2 (axis is the last input) and Concat (axis is the first).
class ConcatKernel : public OpKernel {
 public:
  explicit ConcatKernel(KernelInit& init) : axis_first_(init.op() == "Concat") {}
  Status compute(OpContext& ctx) override {
    const int n = ctx.num_inputs() - 1, first = axis_first_ ? 1 : 0;
    int64_t axis = 0;
    MR_RETURN_IF_ERROR(read_axis(ctx.input(axis_first_ ? 0 : n), &axis));
    const Tensor& in0 = ctx.input(first);
    const int r = in0.rank();
    MR_REQUIRE(r > 0, "ConcatOp : Can't concatenate scalars (use tf.stack instead)");
    MR_REQUIRE(axis >= -r && axis < r, "ConcatOp : Expected concatenating dimensions in the range [", -r, ", ", r,
               "), but got ", axis);
    const int a = static_cast<int>(axis < 0 ? axis + r : axis);
    Shape out_shape = in0.shape();
    out_shape[a] = 0;
    std::vector<const Tensor*> parts;
    for (int i = 0; i < n; ++i) {
      const Tensor& t = ctx.input(first + i);
      MR_REQUIRE(t.rank() == r, "ConcatOp : Ranks of all input tensors should match: shape[0] = ",
                 shape_str(in0.shape()), " vs. shape[", i, "] = ", shape_str(t.shape()));
      for (int d = 0; d < r; ++d)
        MR_REQUIRE(d == a || t.dim(d) == in0.dim(d), "ConcatOp : Dimension ", d,
                   " in both shapes must be equal: shape[0] = ", shape_str(in0.shape()), " vs. shape[", i,
                   "] = ", shape_str(t.shape()));
      out_shape[a] += t.dim(a);
      parts.push_back(&t);
    }
    if (n == 1) {
      ctx.set_output(0, in0);
      return Status();
    }
    Tensor& out = ctx.allocate_output(0, out_shape);
    move_blocks(ctx, in0.dtype(), outer_size(out_shape, a), parts, out, false);
    return Status();
  }

 private:
  bool axis_first_;
};

class PackKernel : public OpKernel {
 public:
  explicit PackKernel(KernelInit& init) {
    if (init.has_attr("axis")) init.get("axis", &axis_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in0 = ctx.input(0);
    const int r = in0.rank() + 1;
    MR_REQUIRE(axis_ >= -r && axis_ < r, "axis = ", axis_, " not in [", -r, ", ", r, ")");
    const int a = static_cast<int>(axis_ < 0 ? axis_ + r : axis_);
    std::vector<const Tensor*> parts;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor& t = ctx.input(i);
      MR_REQUIRE(t.shape() == in0.shape(), "Shapes of all inputs must match: values[0].shape = ",
                 shape_str(in0.shape()), " != values[", i, "].shape = ", shape_str(t.shape()));
      parts.push_back(&t);
    }
    Shape out_shape = in0.shape();
    out_shape.insert(out_shape.begin() + a, ctx.num_inputs());
    Tensor& out = ctx.allocate_output(0, out_shape);
    move_blocks(ctx, in0.dtype(), outer_size(out_shape, a), parts, out, false);
    return Status();
  }

 private:
  int64_t axis_ = 0;
};

class UnpackKernel : public OpKernel {
 public:
  explicit UnpackKernel(KernelInit& init) {
    if (init.has_attr("axis")) init.get("axis", &axis_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const int r = in.rank(), num = ctx.num_outputs();
    MR_REQUIRE(axis_ >= -r && axis_ < r, "axis = ", axis_, " not in [", -r, ", ", r, ")");
    const int a = static_cast<int>(axis_ < 0 ? axis_ + r : axis_);
    MR_REQUIRE(in.dim(a) == num, "Input shape axis ", a, " must equal ", num, ", got shape ", shape_str(in.shape()));
    Shape part_shape = in.shape();
    part_shape.erase(part_shape.begin() + a);
    std::vector<const Tensor*> parts;
    for (int i = 0; i < num; ++i) parts.push_back(&ctx.allocate_output(i, part_shape));
    move_blocks(ctx, in.dtype(), outer_size(in.shape(), a), parts, in, true);
    return Status();
  }

 private:
  int64_t axis_ = 0;
};

// Allocates outputs with `sizes` along axis `a` of `in` and fills them.
void split_into(OpContext& ctx, const Tensor& in, int a, const std::vector<int64_t>& sizes) {
  std::vector<const Tensor*> parts;
  for (size_t i = 0; i < sizes.size(); ++i) {
    Shape s = in.shape();
    s[a] = sizes[i];
    parts.push_back(&ctx.allocate_output(static_cast<int>(i), s));
  }
  move_blocks(ctx, in.dtype(), outer_size(in.shape(), a), parts, in, true);
}

Status split_axis(const Tensor& axis_t, const Tensor& in, int* a) {
  MR_REQUIRE(axis_t.num_elements() == 1, "split_dim must be a scalar, got shape ", shape_str(axis_t.shape()));
  const int64_t axis = index_at(axis_t, 0), r = in.rank();
  MR_REQUIRE(axis >= -r && axis < r, "-input rank(-", r, ") <= split_dim < input rank (", r, "), but got ", axis);
  *a = static_cast<int>(axis < 0 ? axis + r : axis);
  return Status();
}

class SplitKernel : public OpKernel {
 public:
  explicit SplitKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(1);
    const int num = ctx.num_outputs();
    int a = 0;
    MR_RETURN_IF_ERROR(split_axis(ctx.input(0), in, &a));
    MR_REQUIRE(num > 0 && in.dim(a) % num == 0,
               "Number of ways to split should evenly divide the split dimension, but got split_dim ", a,
               " (size = ", in.dim(a), ") and num_split ", num);
    if (num == 1) {
      ctx.set_output(0, in);
      return Status();
    }
    split_into(ctx, in, a, std::vector<int64_t>(num, in.dim(a) / num));
    return Status();
  }
};

class SplitVKernel : public OpKernel {
 public:
  explicit SplitVKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& sizes_t = ctx.input(1);
    const int num = ctx.num_outputs();
    MR_REQUIRE(sizes_t.rank() == 1 && sizes_t.num_elements() == num,
               "size of the split_tensor must be 1-D and have the same elements as outputs got ", sizes_t.rank(),
               " -D and ", sizes_t.num_elements(), " elements");
    int a = 0;
    MR_RETURN_IF_ERROR(split_axis(ctx.input(2), in, &a));
    std::vector<int64_t> sizes(num);
    for (int i = 0; i < num; ++i) sizes[i] = index_at(sizes_t, i);
    const int64_t dim = in.dim(a);
    if (num == 1) {
      MR_REQUIRE(sizes[0] == dim || sizes[0] == -1,
                 "If there is only one output, it must have the same size as the input. Input size: ", dim,
                 " output size: ", sizes[0]);
      ctx.set_output(0, in);
      return Status();
    }
    int neg = -1;
    int64_t known = 0;
    for (int i = 0; i < num; ++i) {
      if (sizes[i] == -1) {
        MR_REQUIRE(neg == -1, "There can only be one -1 in the input.");
        neg = i;
      } else {
        known += sizes[i];
      }
    }
    MR_REQUIRE((neg == -1 && known == dim) || (neg >= 0 && known <= dim),
               "Determined shape must either match input shape along split_dim exactly if fully specified, or be "
               "less than the size of the input along split_dim if not fully specified.  Got: ",
               known);
    if (neg >= 0) sizes[neg] = dim - known;
    for (int i = 0; i < num; ++i)
      MR_REQUIRE(sizes[i] >= 0, "Split size at index ", i, " must be >= 0. Got: ", sizes[i]);
    split_into(ctx, in, a, sizes);
    return Status();
  }
};

class ConcatOffsetKernel : public OpKernel {
 public:
  explicit ConcatOffsetKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    int64_t axis = 0;
    MR_RETURN_IF_ERROR(read_axis(ctx.input(0), &axis));
    const int n = ctx.num_inputs() - 1;
    const Tensor& s0 = ctx.input(1);
    MR_REQUIRE(s0.rank() == 1, "input 0 should be a vector, got shape ", shape_str(s0.shape()));
    const int64_t r = s0.num_elements();
    MR_REQUIRE(axis >= -r && axis < r, "Concat dim is out of range: ", axis, " vs. ", r);
    const int64_t a = axis < 0 ? axis + r : axis;
    auto dims_str = [](const Tensor& t) {
      std::string s = "[";
      for (int64_t k = 0; k < t.num_elements(); ++k) s += (k ? " " : "") + std::to_string(index_at(t, k));
      return s + "]";
    };
    int64_t offset = 0;
    for (int i = 0; i < n; ++i) {
      const Tensor& s = ctx.input(1 + i);
      MR_REQUIRE(s.rank() == 1 && s.num_elements() == r, "input ", i, " should contain ", r, " elements, but got ",
                 s.num_elements());
      for (int64_t d = 0; d < r; ++d)
        MR_REQUIRE(d == a || index_at(s, d) == index_at(s0, d), "All dimensions except ", a,
                   " must match. Input ", i, " has shape ", dims_str(s), " and doesn't match input 0 with shape ",
                   dims_str(s0));
      Tensor& out = ctx.allocate_output(i, {r});
      for (int64_t d = 0; d < r; ++d) {
        int64_t v = d == a ? offset : 0;
        if (out.dtype() == DType::kInt32) out.data<int32_t>()[d] = static_cast<int32_t>(v);
        else out.data<int64_t>()[d] = v;
      }
      offset += index_at(s, a);
    }
    return Status();
  }
};

}  // namespace

void register_concat_ops(Registry& r) {
  r.add<ShapeOpTypes>("ConcatV2", dtype_blind<ConcatKernel>());
  r.add<ShapeOpTypes>("Concat", dtype_blind<ConcatKernel>());
  // Pack takes resource handles too, as TF's (QueueBase.from_list stacks queue handles).
  r.add<AllTypes>("Pack", dtype_blind<PackKernel>());
  r.add<ShapeOpTypes>("Unpack", dtype_blind<UnpackKernel>());
  r.add<ShapeOpTypes>("Split", dtype_blind<SplitKernel>());
  r.add<ShapeOpTypes>("SplitV", dtype_blind<SplitVKernel>());
  // Graphs older than the shape_type attr omit it: the output dtype decides.
  r.add<IndexTypes>("ConcatOffset", dtype_blind<ConcatOffsetKernel>(), TypeFrom::output_at(0));
}

}  // namespace metarun
