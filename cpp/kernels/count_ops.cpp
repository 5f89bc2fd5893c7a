// Counting ops as TF's CPU kernels: DenseBincount and SparseBincount (counts,
// or weight sums, per value below `size`; one row per batch row for 2-D
// input; `binary_output` marks presence) and HistogramFixedWidth. Bincount
// itself is in bitwise_scan_ops.cpp.
#include <algorithm>
#include <cmath>

#include "framework/registry.h"

namespace metarun {
namespace {

// Reads the `size` input (dtype Tidx) as TF checks it.
Status read_size(const Tensor& t, int64_t* size) {
  MR_REQUIRE(t.rank() == 0, "Shape must be rank 0 but is rank ", t.rank());
  *size = index_at(t, 0);
  MR_REQUIRE(*size >= 0, "size (", *size, ") must be non-negative");
  return Status();
}

// Adds value `v`'s weight (1 without weights) into `bins`; values >= size are
// dropped.
template <class T>
void count(T* bins, int64_t v, int64_t size, const T* w, int64_t i, bool binary) {
  if (v < 0 || v >= size) return;
  if (binary) bins[v] = T(1);
  else bins[v] = bins[v] + (w ? w[i] : T(1));
}

template <class T>
class DenseBincountKernel : public OpKernel {
 public:
  explicit DenseBincountKernel(KernelInit& init) { init.get("binary_output", &binary_); }

  Status compute(OpContext& ctx) override {
    const Tensor& input = ctx.input(0);
    const Tensor& weights = ctx.input(2);
    int64_t size = 0;
    MR_RETURN_IF_ERROR(read_size(ctx.input(1), &size));
    MR_REQUIRE(weights.shape() == input.shape() || weights.num_elements() == 0,
               "`weights` must be the same shape as `arr` or a length-0 `Tensor`, in which case it acts as all "
               "weights equal to 1. Received ", shape_str(weights.shape()));
    MR_REQUIRE(input.rank() <= 2, "Shape must be at most rank 2 but is rank ", input.rank());
    const int64_t n = input.num_elements();
    for (int64_t i = 0; i < n; ++i) MR_REQUIRE(index_at(input, i) >= 0, "Input arr must be non-negative!");
    const int64_t rows = input.rank() == 2 ? input.dim(0) : 1;
    const int64_t cols = input.rank() == 2 ? input.dim(1) : n;
    Tensor& out = ctx.allocate_output(0, input.rank() == 2 ? Shape{rows, size} : Shape{size});
    T* o = out.data<T>();
    std::fill(o, o + out.num_elements(), T(0));
    const T* w = weights.num_elements() ? weights.data<T>() : nullptr;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        count(o + r * size, index_at(input, r * cols + c), size, w, r * cols + c, binary_);
    return Status();
  }

 private:
  bool binary_ = false;
};

template <class T>
class SparseBincountKernel : public OpKernel {
 public:
  explicit SparseBincountKernel(KernelInit& init) { init.get("binary_output", &binary_); }

  Status compute(OpContext& ctx) override {
    const Tensor& indices = ctx.input(0);
    const Tensor& values = ctx.input(1);
    const Tensor& shape = ctx.input(2);
    const Tensor& weights = ctx.input(4);
    int64_t size = 0;
    MR_RETURN_IF_ERROR(read_size(ctx.input(3), &size));
    MR_RETURN_IF_ERROR(check_sparse(indices, values, shape));
    const int64_t n = values.num_elements();
    // TF reads a weight per value without checking there is one.
    MR_REQUIRE(weights.num_elements() == 0 || weights.num_elements() == n, "Weights (", weights.num_elements(),
               " elements) must be empty or match the ", n, " values");
    const T* w = weights.num_elements() ? weights.data<T>() : nullptr;
    if (shape.num_elements() == 1) {
      for (int64_t i = 0; i < n; ++i) MR_REQUIRE(index_at(values, i) >= 0, "Input arr must be non-negative!");
      Tensor& out = ctx.allocate_output(0, {size});
      T* o = out.data<T>();
      std::fill(o, o + size, T(0));
      for (int64_t i = 0; i < n; ++i) count(o, index_at(values, i), size, w, i, binary_);
      return Status();
    }
    const int64_t rows = index_at(shape, 0), rank = shape.num_elements();
    Tensor& out = ctx.allocate_output(0, {rows, size});
    T* o = out.data<T>();
    std::fill(o, o + out.num_elements(), T(0));
    for (int64_t i = 0; i < n; ++i)  // negative values are skipped here, as in TF
      count(o + index_at(indices, i * rank) * size, index_at(values, i), size, w, i, binary_);
    return Status();
  }

 private:
  // TF's sparse_utils::ValidateSparseTensor (indices in bounds; order unchecked).
  static Status check_sparse(const Tensor& indices, const Tensor& values, const Tensor& shape) {
    MR_REQUIRE(indices.rank() == 2, "Sparse indices must be rank 2 but is rank ", indices.rank());
    MR_REQUIRE(values.rank() == 1, "Sparse values must be rank 1 but is rank ", values.rank());
    MR_REQUIRE(shape.rank() == 1, "Sparse shape must be rank 1 but is rank ", shape.rank());
    MR_REQUIRE(indices.dim(0) == values.dim(0), "Number of elements in indices (", indices.dim(0), ") and values (",
               values.dim(0), ") do not match");
    MR_REQUIRE(indices.dim(1) == shape.dim(0), "Index rank (", indices.dim(1), ") and shape rank (", shape.dim(0),
               ") do not match");
    const int64_t rank = shape.dim(0);
    for (int64_t i = 0; i < indices.dim(0); ++i) {
      bool ok = true;
      std::string tuple;
      for (int64_t d = 0; d < rank; ++d) {
        const int64_t v = index_at(indices, i * rank + d);
        ok = ok && v >= 0 && v < index_at(shape, d);
        tuple += (d ? ", " : "") + std::to_string(v);
      }
      MR_REQUIRE(ok, "Sparse index tuple indices[", i, ", :] = [", tuple, "] is out of bounds");
    }
    return Status();
  }

  bool binary_ = false;
};

// Bin of x: max(x, lo) - lo, over the step (hi - lo) / nbins in double,
// capped at the last bin, truncated. NaN is refused (TF's check).
template <class T>
class HistogramFixedWidthKernel : public OpKernel {
 public:
  explicit HistogramFixedWidthKernel(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor& values = ctx.input(0);
    const Tensor& range = ctx.input(1);
    const Tensor& nbins_t = ctx.input(2);
    MR_REQUIRE(range.rank() == 1, "value_range should be a vector.");
    MR_REQUIRE(range.num_elements() == 2, "value_range should be a vector of 2 elements.");
    MR_REQUIRE(nbins_t.rank() == 0, "nbins should be a scalar.");
    const int64_t nbins = nbins_t.scalar_value<int32_t>();
    MR_REQUIRE(nbins > 0, "nbins should be a positive number, but got '", nbins, "'");
    const T lo = range.data<T>()[0], hi = range.data<T>()[1];
    MR_REQUIRE(lo < hi, "value_range should satisfy value_range[0] < value_range[1], but got '[", lo, ", ", hi, "]'");
    const T* x = values.data<T>();
    const int64_t n = values.num_elements();
    if constexpr (std::is_floating_point_v<T>)
      for (int64_t i = 0; i < n; ++i) MR_REQUIRE(!std::isnan(x[i]), "Histogram values must not contain NaN");
    Tensor& out = ctx.allocate_output(0, {nbins});
    const bool ok = out.dtype() == DType::kInt32 ? fill_bins(x, n, lo, hi, nbins, out.data<int32_t>())
                                                  : fill_bins(x, n, lo, hi, nbins, out.data<int64_t>());
    MR_REQUIRE(ok, "value_range [", lo, ", ", hi, "] leaves a value without a bin");
    return Status();
  }

 private:
  // TF subtracts in double, so nothing overflows or rounds in T.
  static double minus(T a, T b) { return static_cast<double>(a) - static_cast<double>(b); }
  // False when a value has no bin: an infinite range end makes the position
  // inf / inf (TF's process crashes there).
  template <class C>
  static bool fill_bins(const T* x, int64_t n, T lo, T hi, int64_t nbins, C* bins) {
    std::fill(bins, bins + nbins, C(0));
    const double step = minus(hi, lo) / static_cast<double>(nbins);
    const double last = static_cast<double>(nbins - 1);
    for (int64_t i = 0; i < n; ++i) {
      const double at = minus(std::max(x[i], lo), lo) / step;
      if (!(at >= 0)) return false;
      ++bins[static_cast<int32_t>(std::min(at, last))];
    }
    return true;
  }
};

template <template <class> class K>
auto typed = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<decltype(tag)>>(init);
};

using CountTypes = TypeList<int32_t, int64_t, float, double>;

}  // namespace

void register_count_ops(Registry& r) {
  r.add<CountTypes>("DenseBincount", typed<DenseBincountKernel>);
  r.add<CountTypes>("SparseBincount", typed<SparseBincountKernel>);
  r.add<CountTypes>("HistogramFixedWidth", typed<HistogramFixedWidthKernel>);
}

}  // namespace metarun
