// Shape plumbing of gradient graphs: BroadcastGradientArgs (which axes each
// input of a broadcasting op must be summed over) and StridedSliceGrad
// (scatter dy back into zeros of the sliced input's shape).
//
// StridedSliceGrad repeats TF's slice-spec normalisation (ValidateStridedSliceOp)
// here so that it agrees with StridedSlice on every mask combination; the
// forward op lives in another family and keeps its own copy.
#include <cstring>
#include <vector>

#include "framework/registry.h"

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
  return std::make_unique<BroadcastGradientArgsKernel>(init);
};

struct SliceMasks {
  int64_t begin = 0, end = 0, ellipsis = 0, new_axis = 0, shrink = 0;
};

// The normalised slice: per input dim a begin and stride, and the shape
// walked ("processing" shape, shrunk dims kept as 1) and produced.
struct DenseSlice {
  std::vector<int64_t> begin, stride, processing;
  Shape final_shape;
};

constexpr int64_t kNewAxis = -1;
constexpr int64_t kShrinkAxis = -2;

Status normalize_slice(const Shape& input, std::vector<int64_t> begin, std::vector<int64_t> end,
                       std::vector<int64_t> strides, SliceMasks m, DenseSlice* out) {
  int64_t sparse_dims = static_cast<int64_t>(begin.size());
  MR_REQUIRE(sparse_dims <= 32, "Requires 32 or fewer dimensions in the slice spec");
  bool seen_ellipsis = false;
  int64_t new_axis_after_ellipsis = 0;
  for (int64_t i = 0; i < sparse_dims; ++i) {
    if (seen_ellipsis && ((m.new_axis >> i) & 1)) ++new_axis_after_ellipsis;
    if ((m.ellipsis >> i) & 1) seen_ellipsis = true;
  }
  if (!seen_ellipsis) {  // an implicit trailing ellipsis
    m.ellipsis |= int64_t{1} << sparse_dims;
    ++sparse_dims;
    begin.push_back(0);
    end.push_back(0);
    strides.push_back(1);
  }
  const int64_t dims = static_cast<int64_t>(input.size());
  std::vector<int64_t> b(dims, 0), e(dims, 0), s(dims, 1), gather;
  std::vector<bool> bm(dims, false), em(dims, false), shrink(dims, false);
  int64_t full = 0;
  for (int64_t i = 0; i < sparse_dims; ++i) {
    if ((m.ellipsis >> i) & 1) {
      const int64_t next = std::min(dims - (sparse_dims - i) + 1 + new_axis_after_ellipsis, dims);
      for (; full < next; ++full) {
        bm[full] = em[full] = true;
        gather.push_back(full);
      }
    } else if ((m.new_axis >> i) & 1) {
      gather.push_back(kNewAxis);
    } else {
      MR_REQUIRE(full < dims, "Index out of range using input dim ", full, "; input has only ", dims,
                 " dims");
      b[full] = begin[i];
      e[full] = end[i];
      s[full] = strides[i];
      bm[full] = (m.begin >> i) & 1;
      em[full] = (m.end >> i) & 1;
      shrink[full] = (m.shrink >> i) & 1;
      gather.push_back(shrink[full] ? kShrinkAxis : full);
      ++full;
    }
  }
  out->begin.assign(dims, 0);
  out->stride.assign(dims, 1);
  out->processing.assign(dims, 0);
  for (int64_t i = 0; i < dims; ++i) {
    const int64_t dim = input[i], st = s[i];
    MR_REQUIRE(st != 0, "strides[", i, "] must be non-zero");
    int64_t lo, hi;
    if (shrink[i]) {
      MR_REQUIRE(st > 0, "only stride 1 allowed on non-range indexing.");
      const int64_t fwd = b[i] < 0 ? dim + b[i] : b[i];
      MR_REQUIRE(fwd >= 0 && fwd < dim, "slice index ", b[i], " of dimension ", i, " out of bounds.");
      lo = fwd;
      hi = fwd + 1;
    } else {
      auto canonical = [&](int64_t x, bool masked, int c) {
        if (masked) return st > 0 ? (c == 0 ? int64_t{0} : dim) : (c == 0 ? dim - 1 : int64_t{-1});
        const int64_t fwd = x < 0 ? dim + x : x;
        const int64_t low = st > 0 ? 0 : -1, high = st > 0 ? dim : dim - 1;
        return std::max(low, std::min(high, fwd));
      };
      lo = canonical(b[i], bm[i], 0);
      hi = canonical(e[i], em[i], 1);
    }
    const int64_t len = hi - lo;
    int64_t size;
    if (shrink[i]) size = 1;
    else if (len == 0 || ((len < 0) != (st < 0))) size = 0;
    else size = len / st + (len % st != 0 ? 1 : 0);
    out->begin[i] = lo;
    out->stride[i] = st;
    out->processing[i] = size;
  }
  out->final_shape.clear();
  for (int64_t g : gather) {
    if (g >= 0) out->final_shape.push_back(out->processing[g]);
    else if (g == kNewAxis) out->final_shape.push_back(1);
  }
  return Status();
}

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

// Copies dy element by element into the positions the slice selected; POD
// elements are copied as bytes, so one kernel serves every dtype.
class StridedSliceGradKernel : public OpKernel {
 public:
  explicit StridedSliceGradKernel(KernelInit& init) {
    if (init.has_attr("begin_mask")) init.get("begin_mask", &masks_.begin);
    if (init.has_attr("end_mask")) init.get("end_mask", &masks_.end);
    if (init.has_attr("ellipsis_mask")) init.get("ellipsis_mask", &masks_.ellipsis);
    if (init.has_attr("new_axis_mask")) init.get("new_axis_mask", &masks_.new_axis);
    if (init.has_attr("shrink_axis_mask")) init.get("shrink_axis_mask", &masks_.shrink);
  }
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
  return std::make_unique<StridedSliceGradKernel>(init);
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
