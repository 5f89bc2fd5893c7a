// Tensor creation and rearrangement: Fill, ZerosLike, OnesLike, Range,
// LinSpace, OneHot, Unique, UnsortedSegmentSum.
#include <cmath>
#include <limits>
#include <unordered_map>

#include "kernels/tensor_list.h"
#include "kernels/util/element_copier.h"
#include "kernels/util/elementwise.h"

namespace metarun {
namespace {

// Legacy graphs pass some scalars as shape-[1] vectors; TF still accepts them.
bool legacy_scalar(const Tensor& t) { return t.rank() == 0 || (t.rank() == 1 && t.dim(0) == 1); }

// Fill: dims is int32 or int64 (the `index_type` attr is missing in old
// graphs, so the input's own dtype decides).
class FillKernel : public OpKernel {
 public:
  explicit FillKernel(KernelInit& init) : copier_(init.output_type(0)) {}
  Status compute(OpContext& ctx) override {
    const Tensor& dims = ctx.input(0);
    const Tensor& value = ctx.input(1);
    MR_REQUIRE(dims.rank() <= 1, "dims must represent a vector, got shape ", shape_str(dims.shape()));
    MR_REQUIRE(legacy_scalar(value), "value must represent a scalar, got shape ", shape_str(value.shape()));
    Shape shape;
    MR_RETURN_IF_ERROR(tensor_to_vector(dims, &shape, "dims"));
    for (int64_t d : shape) MR_REQUIRE(d >= 0, "Dimension ", d, " must be >= 0");
    Tensor& out = ctx.allocate_output(0, shape);
    copier_.fill(value, out, 0, out.num_elements());
    return Status();
  }

 private:
  ElementCopier copier_;
};

class ZerosLikeKernel : public OpKernel {
 public:
  explicit ZerosLikeKernel(KernelInit& init) : copier_(init.input_type(0)) {}
  Status compute(OpContext& ctx) override {
    Tensor& out = ctx.allocate_output(0, ctx.input(0).shape());
    copier_.zero(out, 0, out.num_elements());
    return Status();
  }

 private:
  ElementCopier copier_;
};

template <class T>
class OnesLikeKernel : public OpKernel {
 public:
  explicit OnesLikeKernel(KernelInit& init) : copier_(dtype_of<T>) {}
  Status compute(OpContext& ctx) override {
    Tensor& out = ctx.allocate_output(0, ctx.input(0).shape());
    copier_.fill(Tensor::scalar<T>(T(1)), out, 0, out.num_elements());
    return Status();
  }

 private:
  ElementCopier copier_;
};

template <class T>
class RangeKernel : public OpKernel {
 public:
  explicit RangeKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    T start_v{}, limit_v{}, delta_v{};
    MR_RETURN_IF_ERROR(scalar_input(ctx, 0, "start must be a scalar, not shape {}", &start_v, true));
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "limit must be a scalar, not shape {}", &limit_v, true));
    MR_RETURN_IF_ERROR(scalar_input(ctx, 2, "delta must be a scalar, not shape {}", &delta_v, true));
    using C = Compute<T>;
    const C start = C(start_v), limit = C(limit_v), delta = C(delta_v);
    MR_REQUIRE(delta != C(0), "Requires delta != 0: ", delta);
    if (delta > C(0)) MR_REQUIRE(start <= limit, "Requires start <= limit when delta > 0: ", start, "/", limit);
    else MR_REQUIRE(start >= limit, "Requires start >= limit when delta < 0: ", start, "/", limit);
    double size_d;
    if constexpr (std::is_integral_v<T>)
      size_d = std::ceil(std::fabs((static_cast<double>(limit) - static_cast<double>(start)) /
                                   static_cast<double>(delta)));
    else size_d = std::ceil(std::fabs(static_cast<double>(C(T(C(T(limit - start)) / delta)))));
    MR_REQUIRE(size_d <= static_cast<double>(std::numeric_limits<int64_t>::max()),
               "Requires ((limit - start) / delta) <= ", std::numeric_limits<int64_t>::max());
    int64_t size = static_cast<int64_t>(size_d);
    if constexpr (std::is_integral_v<T>) {  // exact count, no rounding through double
      const T s = T(start), l = T(limit), d = T(delta);
      const uint64_t span = s <= l ? uint64_t(l) - uint64_t(s) : uint64_t(s) - uint64_t(l);
      const uint64_t step = d > 0 ? uint64_t(d) : uint64_t(0) - uint64_t(d);
      size = static_cast<int64_t>(span / step + (span % step != 0));
    }
    Tensor& out = ctx.allocate_output(0, {size});
    T* o = out.data<T>();
    // TF computes start + i * delta in T (no running sum), rounding each op.
    for (int64_t i = 0; i < size; ++i) o[i] = T(C(T(C(T(i)) * delta)) + start);
    return Status();
  }
};

template <class T>
class LinSpaceKernel : public OpKernel {
 public:
  explicit LinSpaceKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    T start{}, stop{};
    int64_t num = 0;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 0, "start must be a scalar, not shape {}", &start));
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "stop must be a scalar, not shape {}", &stop));
    MR_RETURN_IF_ERROR(scalar_input(ctx, 2, "num must be a scalar, not shape {}", &num));
    MR_REQUIRE(num > 0, "Requires num > 0: ", num);
    Tensor& out = ctx.allocate_output(0, {num});
    T* o = out.data<T>();
    if (num == 1) {
      o[0] = start;
      return Status();
    }
    const T step = (stop - start) / T(num - 1);
    for (int64_t i = 0; i < num - 1; ++i) o[i] = start + step * T(i);
    o[num - 1] = stop;
    return Status();
  }
};

// OneHot: indices of any TI; out-of-range indices (negative too) give an
// all-off row, as in TF.
class OneHotKernel : public OpKernel {
 public:
  explicit OneHotKernel(KernelInit& init) : copier_(init.output_type(0)) { init.get("axis", &axis_); }
  Status compute(OpContext& ctx) override {
    const Tensor& indices = ctx.input(0);
    const Tensor& on = ctx.input(2);
    const Tensor& off = ctx.input(3);
    const int out_rank = indices.rank() + 1;
    MR_REQUIRE(axis_ == -1 || (axis_ >= 0 && axis_ < out_rank), "Expected axis to be -1 or between [0, ",
               out_rank, ").  But received: ", axis_);
    int64_t depth = 0;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "depth must be a scalar, but got: {}", &depth));
    MR_REQUIRE(on.rank() == 0, "on_value must be a scalar, but got: ", shape_str(on.shape()));
    MR_REQUIRE(off.rank() == 0, "off_value must be a scalar, but got: ", shape_str(off.shape()));
    MR_REQUIRE(depth >= 0, "depth must be non-negative, got: ", depth);
    const int axis = axis_ == -1 ? indices.rank() : axis_;
    Shape shape = indices.shape();
    shape.insert(shape.begin() + axis, depth);
    Tensor& out = ctx.allocate_output(0, shape);
    copier_.fill(off, out, 0, out.num_elements());
    const int64_t suffix = dims_product(indices.shape(), axis, indices.rank());
    for (int64_t i = 0, n = indices.num_elements(); i < n; ++i) {
      const int64_t v = index_at(indices, i);
      if (v < 0 || v >= depth) continue;
      const int64_t prefix = i / suffix, s = i % suffix;
      copier_.copy(on, 0, out, (prefix * depth + v) * suffix + s, 1);
    }
    return Status();
  }

 private:
  ElementCopier copier_;
  int axis_ = -1;
};

// Unique hashes a key per element: integers and bool as int64, floats as
// double (so -0 == 0, and every NaN is distinct, as TF's hash map has it),
// strings as themselves. y is then gathered from the first occurrences.
template <class T> auto unique_key(const T& v) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, double>) return v;
  else if constexpr (is_float_v<T>) return static_cast<double>(static_cast<float>(v));
  else return static_cast<int64_t>(v);
}

struct KeyHash {
  size_t operator()(double v) const { return std::hash<double>()(v == 0 ? 0.0 : v); }
  size_t operator()(int64_t v) const { return std::hash<int64_t>()(v); }
  size_t operator()(const std::string& v) const { return std::hash<std::string>()(v); }
};

template <class T>
class UniqueKernel : public OpKernel {
 public:
  explicit UniqueKernel(KernelInit& init) : copier_(dtype_of<T>), idx_type_(init.output_type(1)) {}
  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    MR_REQUIRE(x.rank() == 1, "unique expects a 1D vector.");
    const T* p = x.data<T>();
    const int64_t n = x.num_elements();
    using Key = decltype(unique_key(*p));
    std::unordered_map<Key, int64_t, KeyHash> seen;
    std::vector<int64_t> first, idx(n);
    for (int64_t i = 0; i < n; ++i) {
      auto it = seen.emplace(unique_key(p[i]), static_cast<int64_t>(first.size()));
      if (it.second) first.push_back(i);
      idx[i] = it.first->second;
    }
    Tensor& y = ctx.allocate_output(0, {static_cast<int64_t>(first.size())});
    for (size_t j = 0; j < first.size(); ++j) copier_.copy(x, first[j], y, j, 1);
    Tensor& out_idx = ctx.allocate_output(1, {n});
    for (int64_t i = 0; i < n; ++i) {
      if (idx_type_ == DType::kInt32) out_idx.data<int32_t>()[i] = static_cast<int32_t>(idx[i]);
      else out_idx.data<int64_t>()[i] = idx[i];
    }
    return Status();
  }

 private:
  ElementCopier copier_;
  DType idx_type_;
};

// UnsortedSegmentSum: negative segment ids are dropped, too-large ones are an
// error; sums run in data order in T (half types round after every add).
template <class T>
class UnsortedSegmentSumKernel : public OpKernel {
 public:
  explicit UnsortedSegmentSumKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& data = ctx.input(0);
    const Tensor& ids = ctx.input(1);
    int64_t num = 0;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 2, "num_segments should be a scalar, not shape {}", &num));
    MR_REQUIRE(num >= 0, "Input num_segments == ", num, " must not be negative.");
    MR_REQUIRE(data.rank() >= ids.rank() && std::equal(ids.shape().begin(), ids.shape().end(), data.shape().begin()),
               "data.shape = ", shape_str(data.shape()), " does not start with segment_ids.shape = ",
               shape_str(ids.shape()));
    Shape shape{num};
    shape.insert(shape.end(), data.shape().begin() + ids.rank(), data.shape().end());
    Tensor& out = ctx.allocate_output(0, shape);
    const int64_t row = num_elements(Shape(shape.begin() + 1, shape.end()));
    T* o = out.data<T>();
    for (int64_t i = 0, m = out.num_elements(); i < m; ++i) o[i] = T(0);
    if (data.num_elements() == 0) return Status();  // TF checks no ids then either
    const T* d = data.data<T>();
    for (int64_t i = 0, n = ids.num_elements(); i < n; ++i) {
      const int64_t s = index_at(ids, i);
      if (s < 0) continue;
      MR_REQUIRE(s < num, "segment_ids", index_str(ids.shape(), i), " = ", s, " is out of range [0, ", num, ")");
      T* dst = o + s * row;
      const T* src = d + i * row;
      for (int64_t j = 0; j < row; ++j) dst[j] = T(Compute<T>(dst[j]) + Compute<T>(src[j]));
    }
    return Status();
  }
};

template <template <class> class K>
auto typed = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<decltype(tag)>>(init);
};
template <class K>
auto untyped = [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> { return new_kernel<K>(init); };

using ZerosLikeTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t,
                                uint16_t, uint32_t, uint64_t, complex64, complex128, bool, std::string, Variant>;
using UniqueTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t,
                             uint16_t, uint32_t, uint64_t, bool, std::string>;
using RangeTypes = TypeList<float, double, Half, BFloat16, int32_t, int64_t>;

}  // namespace

void register_fill_ops(Registry& r) {
  r.add<AllTypes>("Fill", untyped<FillKernel>);
  r.add<ZerosLikeTypes>("ZerosLike", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    if constexpr (std::is_same_v<decltype(tag), Variant>) return make_variant_zeros_like_kernel(init);  // lists
    else return new_kernel<ZerosLikeKernel>(init);
  });
  r.add<PodTypes>("OnesLike", typed<OnesLikeKernel>);
  r.add<RangeTypes>("Range", typed<RangeKernel>, TypeFrom::attr_named("Tidx"));
  r.add<TypeList<float, double>>("LinSpace", typed<LinSpaceKernel>);
  r.add<AllTypes>("OneHot", untyped<OneHotKernel>);
  r.add<UniqueTypes>("Unique", typed<UniqueKernel>);
  r.add<NumberTypes>("UnsortedSegmentSum", typed<UnsortedSegmentSumKernel>);
}

}  // namespace metarun
