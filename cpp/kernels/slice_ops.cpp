// Windows and borders: Slice, StridedSlice, Pad, PadV2, MirrorPad. Each
// reduces to strided views copied by `strided_copy`.
#include <algorithm>
#include <cstring>

#include "kernels/util/data_movement.h"

namespace metarun {
namespace {

// Copies the box `dims` of `in` starting at `begin` with per-dim `step`s.
void copy_box(OpContext& ctx, const Tensor& in, const Shape& dims, const std::vector<int64_t>& begin,
              const std::vector<int64_t>& step, Tensor& out) {
  if (out.num_elements() == 0) return;
  std::vector<int64_t> strides = row_major_strides(in.shape()), src(dims.size());
  int64_t start = 0;
  for (size_t i = 0; i < dims.size(); ++i) {
    start += begin[i] * strides[i];
    src[i] = strides[i] * step[i];
  }
  strided_copy(ctx, in.dtype(), dims, element_ptr(in, start), src, out.raw(), row_major_strides(dims));
}

class SliceKernel : public OpKernel {
 public:
  explicit SliceKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& begin_t = ctx.input(1);
    const Tensor& size_t_ = ctx.input(2);
    const int r = in.rank();
    MR_REQUIRE(begin_t.rank() == 1 && size_t_.rank() == 1 && begin_t.num_elements() == r &&
                   size_t_.num_elements() == r,
               "Expected begin and size arguments to be 1-D tensors of size ", r, ", but got shapes ",
               shape_str(begin_t.shape()), " and ", shape_str(size_t_.shape()), " instead.");
    std::vector<int64_t> begin = index_values(begin_t), size = index_values(size_t_);
    for (int i = 0; i < r; ++i) {
      const int64_t d = in.dim(i), b = begin[i];
      if (size[i] == -1) size[i] = d - b;
      const int64_t s = size[i];
      if (d == 0) {
        MR_REQUIRE(b == 0 && s == 0, "Expected begin[", i, "] == 0 (got ", b, ") and size[", i, "] == 0 (got ", s,
                   ") when input.dim_size(", i, ") == 0");
      } else {
        MR_REQUIRE(b >= 0 && b <= d, "Expected begin[", i, "] in [0, ", d, "], but got ", b);
        MR_REQUIRE(s >= 0 && s <= d - b, "Expected size[", i, "] in [0, ", d - b, "], but got ", s);
      }
    }
    if (size == in.shape()) {
      ctx.set_output(0, in);
      return Status();
    }
    Tensor& out = ctx.allocate_output(0, size);
    copy_box(ctx, in, size, begin, std::vector<int64_t>(r, 1), out);
    return Status();
  }
};

// StridedSlice, following TF's ValidateStridedSliceOp: the sparse spec
// (with ellipsis and new axes) is expanded to one (begin, stride, size) per
// input dim, then new axes are inserted and shrunk dims dropped.
class StridedSliceKernel : public OpKernel {
 public:
  explicit StridedSliceKernel(KernelInit& init) {
    for (auto [name, field] : {std::pair<const char*, int64_t*>{"begin_mask", &begin_mask_},
                               {"end_mask", &end_mask_},
                               {"ellipsis_mask", &ellipsis_mask_},
                               {"new_axis_mask", &new_axis_mask_},
                               {"shrink_axis_mask", &shrink_mask_}})
      if (init.has_attr(name)) init.get(name, field);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor &b_t = ctx.input(1), &e_t = ctx.input(2), &s_t = ctx.input(3);
    MR_REQUIRE(b_t.rank() == 1 && e_t.rank() == 1 && s_t.rank() == 1 &&
                   b_t.num_elements() == e_t.num_elements() && b_t.num_elements() == s_t.num_elements(),
               "Expected begin, end, and strides to be 1D equal size tensors, but got shapes ",
               shape_str(b_t.shape()), ", ", shape_str(e_t.shape()), ", and ", shape_str(s_t.shape()),
               " instead.");
    MR_REQUIRE(b_t.num_elements() <= 32, "StridedSlice supports at most 32 slice dimensions, got ",
               b_t.num_elements());
    Dense dense;
    MR_RETURN_IF_ERROR(expand(in.rank(), index_values(b_t), index_values(e_t), index_values(s_t), &dense));
    Shape proc;
    bool identity = true;
    MR_RETURN_IF_ERROR(canonicalize(in.shape(), &dense, &proc, &identity));
    Shape final_shape;
    for (int g : dense.gather) {
      if (g >= 0) final_shape.push_back(proc[g]);
      else if (g == kNewAxis) final_shape.push_back(1);
    }
    if (identity) {
      ctx.set_output(0, in.reshaped(final_shape));
      return Status();
    }
    Tensor& out = ctx.allocate_output(0, final_shape);
    copy_box(ctx, in, proc, dense.begin, dense.stride, out);
    return Status();
  }

 private:
  static constexpr int kNewAxis = -2, kShrink = -1;
  // One entry per input dim; `gather` lists the output dims: a processing
  // dim (>= 0), a new axis or a shrunk dim.
  struct Dense {
    std::vector<int64_t> begin, end, stride;
    std::vector<bool> begin_masked, end_masked, shrink;
    std::vector<int> gather;
  };

  static bool bit(int64_t mask, int i) { return i < 63 && ((mask >> i) & 1); }

  Status expand(int r, const std::vector<int64_t>& sb, const std::vector<int64_t>& se,
                const std::vector<int64_t>& ss, Dense* d) const {
    const int sparse_n = static_cast<int>(sb.size());
    for (int i = 0; i < sparse_n; ++i) MR_REQUIRE(ss[i] != 0, "strides[", i, "] must be non-zero");
    MR_REQUIRE((ellipsis_mask_ & (ellipsis_mask_ - 1)) == 0, "Multiple ellipses in slice spec not allowed");
    d->begin.assign(r, 0), d->end.assign(r, 0), d->stride.assign(r, 1);
    d->begin_masked.assign(r, false), d->end_masked.assign(r, false), d->shrink.assign(r, false);
    bool ellipsis_seen = false;
    int after_ellipsis_new = 0;
    for (int i = 0; i < sparse_n; ++i) {
      if (ellipsis_seen && bit(new_axis_mask_, i)) ++after_ellipsis_new;
      if (bit(ellipsis_mask_, i)) ellipsis_seen = true;
    }
    // No ellipsis in the spec: an implicit one at its end.
    int64_t ellipsis = ellipsis_mask_ & ((int64_t{1} << sparse_n) - 1);
    int spec_n = sparse_n;
    if (!ellipsis_seen) ellipsis |= int64_t{1} << spec_n++;
    int full = 0;
    for (int i = 0; i < spec_n; ++i) {
      if (bit(ellipsis, i)) {
        for (int next = std::min(r - (spec_n - i) + 1 + after_ellipsis_new, r); full < next; ++full) {
          d->begin_masked[full] = d->end_masked[full] = true;
          d->gather.push_back(full);
        }
      } else if (bit(new_axis_mask_, i)) {
        d->gather.push_back(kNewAxis);
      } else {
        MR_REQUIRE(full < r, "Index out of range using input dim ", full, "; input has only ", r, " dims");
        d->begin[full] = sb[i], d->end[full] = se[i], d->stride[full] = ss[i];
        d->begin_masked[full] = bit(begin_mask_, i);
        d->end_masked[full] = bit(end_mask_, i);
        d->shrink[full] = bit(shrink_mask_, i);
        d->gather.push_back(d->shrink[full] ? kShrink : full);
        ++full;
      }
    }
    return Status();
  }

  // Turns each dense dim into an in-range begin and an element count.
  static Status canonicalize(const Shape& in, Dense* d, Shape* proc, bool* identity) {
    const int r = static_cast<int>(in.size());
    proc->resize(r);
    for (int i = 0; i < r; ++i) {
      const int64_t dim = in[i], stride = d->stride[i];
      const int64_t lo = stride > 0 ? 0 : -1, hi = stride > 0 ? dim : dim - 1;
      auto canonical = [&](int64_t x, bool masked, bool is_end) {
        if (masked) return (stride > 0) != is_end ? lo : hi;
        return std::clamp(x < 0 ? dim + x : x, lo, hi);
      };
      int64_t b, e;
      if (d->shrink[i]) {
        b = d->begin[i] < 0 ? dim + d->begin[i] : d->begin[i];
        e = b + 1;
        MR_REQUIRE(b >= 0 && b < dim, "slice index ", b, " of dimension ", i, " out of bounds.");
        MR_REQUIRE(stride > 0, "only stride 1 allowed on non-range indexing.");
      } else {
        b = canonical(d->begin[i], d->begin_masked[i], false);
        e = canonical(d->end[i], d->end_masked[i], true);
      }
      const int64_t len = e - b;
      (*proc)[i] = (len == 0 || (len < 0) != (stride < 0)) ? 0 : len / stride + (len % stride != 0 ? 1 : 0);
      d->begin[i] = b;
      *identity &= stride == 1 && b == 0 && e == dim;
    }
    return Status();
  }

  int64_t begin_mask_ = 0, end_mask_ = 0, ellipsis_mask_ = 0, new_axis_mask_ = 0, shrink_mask_ = 0;
};

// Reads a [rank, 2] paddings tensor.
Status read_paddings(const Tensor& in, const Tensor& p, std::vector<int64_t>* before, std::vector<int64_t>* after) {
  MR_REQUIRE(p.rank() == 2 && p.dim(1) == 2, "paddings must be a matrix with 2 columns: ", shape_str(p.shape()));
  MR_REQUIRE(p.dim(0) == in.rank(), "The first dimension of paddings must be the rank of inputs",
             shape_str(p.shape()), " ", shape_str(in.shape()));
  for (int i = 0; i < in.rank(); ++i) {
    before->push_back(index_at(p, 2 * i));
    after->push_back(index_at(p, 2 * i + 1));
  }
  return Status();
}

// Allocates the padded output and copies `in` into its interior.
Tensor& pad_interior(OpContext& ctx, const Tensor& in, const std::vector<int64_t>& before,
                     const std::vector<int64_t>& after) {
  Shape out_shape = in.shape();
  for (int i = 0; i < in.rank(); ++i) out_shape[i] += before[i] + after[i];
  Tensor& out = ctx.allocate_output(0, out_shape);
  if (in.num_elements() == 0) return out;
  std::vector<int64_t> strides = row_major_strides(out_shape);
  int64_t start = 0;
  for (int i = 0; i < in.rank(); ++i) start += before[i] * strides[i];
  strided_copy(ctx, in.dtype(), in.shape(), in.raw(), row_major_strides(in.shape()), element_ptr(out, start),
               strides);
  return out;
}

// The border around the interior, as slabs: slab (d, side) spans the whole
// output on dims before d and only the interior on dims after d, so the slabs
// partition the border and slab d may read what slabs < d wrote.
template <class F>
void for_each_border_slab(const Tensor& out, const Shape& in_shape, const std::vector<int64_t>& before,
                          const std::vector<int64_t>& after, F&& f) {
  const int r = out.rank();
  const std::vector<int64_t> strides = row_major_strides(out.shape());
  for (int d = 0; d < r; ++d) {
    Shape box(r);
    int64_t base = 0;
    for (int j = 0; j < r; ++j) {
      box[j] = j < d ? out.dim(j) : in_shape[j];
      if (j > d) base += before[j] * strides[j];
    }
    box[d] = before[d];
    if (before[d] > 0) f(d, box, base, false);
    box[d] = after[d];
    if (after[d] > 0) f(d, box, base + (before[d] + in_shape[d]) * strides[d], true);
  }
}

// Pad (zeros) and PadV2 (a scalar constant_values input).
class PadKernel : public OpKernel {
 public:
  explicit PadKernel(KernelInit& init) : v2_(init.op() == "PadV2") {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    std::vector<int64_t> before, after;
    MR_RETURN_IF_ERROR(read_paddings(in, ctx.input(1), &before, &after));
    Shape out_shape = in.shape();
    for (int i = 0; i < in.rank(); ++i) {
      MR_REQUIRE(before[i] >= 0 && after[i] >= 0, "Paddings must be non-negative: ", before[i], " ", after[i]);
      MR_REQUIRE(!__builtin_add_overflow(out_shape[i], before[i], &out_shape[i]) &&
                     !__builtin_add_overflow(out_shape[i], after[i], &out_shape[i]),
                 "Paddings too large: ", before[i], " ", after[i]);
    }
    MR_RETURN_IF_ERROR(check_shape_size(out_shape));
    Tensor zero;
    const void* fill = nullptr;
    if (v2_) {
      const Tensor& c = ctx.input(2);
      MR_REQUIRE(c.rank() == 0, "constant_values must be a scalar. Found: ", shape_str(c.shape()));
      fill = c.raw();
    } else if (!is_object_type(in.dtype())) {
      zero = Tensor(in.dtype(), {});
      std::memset(zero.raw(), 0, dtype_size(in.dtype()));
      fill = zero.raw();
    }
    if (std::all_of(before.begin(), before.end(), [](int64_t v) { return v == 0; }) &&
        std::all_of(after.begin(), after.end(), [](int64_t v) { return v == 0; })) {
      ctx.set_output(0, in);
      return Status();
    }
    Tensor& out = pad_interior(ctx, in, before, after);
    if (!fill) return Status();  // strings start out empty
    const std::vector<int64_t> zero_strides(in.rank(), 0), strides = row_major_strides(out.shape());
    for_each_border_slab(out, in.shape(), before, after, [&](int, const Shape& box, int64_t at, bool) {
      strided_copy(ctx, out.dtype(), box, fill, zero_strides, element_ptr(out, at), strides);
    });
    return Status();
  }

 private:
  bool v2_;
};

class MirrorPadKernel : public OpKernel {
 public:
  explicit MirrorPadKernel(KernelInit& init) {
    std::string mode;
    init.get("mode", &mode);
    if (mode != "REFLECT" && mode != "SYMMETRIC")
      init.fail(invalid_argument(str_cat("mode must be either REFLECT or SYMMETRIC, got ", mode)));
    reflect_ = mode == "REFLECT";
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    std::vector<int64_t> before, after;
    MR_RETURN_IF_ERROR(read_paddings(in, ctx.input(1), &before, &after));
    const int r = in.rank();
    const int64_t shift = reflect_ ? 0 : 1;
    for (int i = 0; i < r; ++i) {
      MR_REQUIRE(before[i] >= 0 && after[i] >= 0, "paddings must be non-negative: ", before[i], " ", after[i]);
      if (reflect_)
        MR_REQUIRE(before[i] < in.dim(i) && after[i] < in.dim(i), "paddings must be less than the dimension size: ",
                   before[i], ", ", after[i], " not less than ", in.dim(i));
      else
        MR_REQUIRE(before[i] <= in.dim(i) && after[i] <= in.dim(i),
                   "paddings must be no greater than the dimension size: ", before[i], ", ", after[i],
                   " greater than ", in.dim(i));
    }
    Tensor& out = pad_interior(ctx, in, before, after);
    if (out.num_elements() == 0) return Status();
    const std::vector<int64_t> strides = row_major_strides(out.shape());
    for_each_border_slab(out, in.shape(), before, after, [&](int d, const Shape& box, int64_t at, bool right) {
      // The mirror image runs backwards along d: left pad cell p reads
      // interior cell 2l - p (REFLECT) or 2l - 1 - p (SYMMETRIC).
      std::vector<int64_t> src = strides;
      src[d] = -strides[d];
      const int64_t l = before[d], n = in.dim(d), row = at - (right ? (l + n) * strides[d] : 0);
      const int64_t from = right ? l + n - 2 + shift : 2 * l - shift;
      strided_copy(ctx, out.dtype(), box, element_ptr(out, row + from * strides[d]), src, element_ptr(out, at),
                   strides);
    });
    return Status();
  }

 private:
  bool reflect_ = true;
};

}  // namespace

void register_slice_ops(Registry& r) {
  r.add<ShapeOpTypes>("Slice", dtype_blind<SliceKernel>());
  r.add<ShapeOpTypes>("StridedSlice", dtype_blind<StridedSliceKernel>());
  r.add<ShapeOpTypes>("Pad", dtype_blind<PadKernel>());
  r.add<ShapeOpTypes>("PadV2", dtype_blind<PadKernel>());
  r.add<ShapeOpTypes>("MirrorPad", dtype_blind<MirrorPadKernel>());
}

}  // namespace metarun
