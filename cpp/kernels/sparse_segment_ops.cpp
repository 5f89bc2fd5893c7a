// Sparse segment reductions: SparseSegment{Sum,Mean,SqrtN} (and their
// WithNumSegments forms), which reduce the data rows picked by `indices` into
// the sorted `segment_ids`, and the gradient kernels
// SparseSegment{Sum,Mean,SqrtN}Grad (dense) and ...GradV2 (the rows of the
// unique indices only, with those indices), as TF's CPU kernels compute them.
#include <algorithm>
#include <cmath>
#include <map>

#include "framework/registry.h"
#include "kernels/util/elementwise.h"

namespace metarun {
namespace {

enum class Reduction { kSum, kMean, kSqrtN };

// Half and bfloat16 accumulate in float, as TF does; integers add with
// wrap-around (TF's Eigen sums wrap in T).
template <class T> using Acc = std::conditional_t<is_half_v<T>, float, T>;

template <class A> A add(A a, A b) {
  if constexpr (std::is_integral_v<A>) {
    using U = std::make_unsigned_t<A>;
    return static_cast<A>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}

std::vector<int64_t> read_indices(const Tensor& t) {
  std::vector<int64_t> v(t.num_elements());
  if (t.dtype() == DType::kInt32) std::copy(t.data<int32_t>(), t.data<int32_t>() + v.size(), v.begin());
  else std::copy(t.data<int64_t>(), t.data<int64_t>() + v.size(), v.begin());
  return v;
}

// Checks ValidateSparseSegmentReduction makes, in its order.
Status validate_forward(const OpContext& ctx, bool with_num, int64_t* num) {
  if (with_num) {
    MR_RETURN_IF_ERROR(check_scalar(ctx.input(3), "num_segments should be a scalar, not shape {}"));
    *num = index_at(ctx.input(3), 0);
    MR_REQUIRE(*num >= 0, "segment ids must be >= 0");
  }
  const Tensor& indices = ctx.input(1);
  const Tensor& ids = ctx.input(2);
  MR_REQUIRE(indices.rank() == 1, "indices should be a vector.");
  MR_REQUIRE(ids.rank() == 1, "segment_ids should be a vector.");
  MR_REQUIRE(indices.num_elements() == ids.num_elements(), "segment_ids and indices should have same size.");
  MR_REQUIRE(ctx.input(0).rank() >= 1, "Shape must be at least rank 1");
  return Status();
}

// The forward kernels. TF sums a segment's rows in a fixed order: its first
// n % 8 rows (8 or 9 when that is 0 or 1), scaled, then each further block of
// 8 summed on its own and added; the mean (sqrt n) scales that first part by
// 1/n (1/sqrt n) below 10 rows and divides the whole by n (sqrt n) from 10 on.
// Each row index is checked as the segment reaches it, so a bad index is
// reported only after the segments before it passed their checks.
template <class T>
class SparseSegmentKernel : public OpKernel {
 public:
  SparseSegmentKernel(KernelInit& init, Reduction red, bool with_num) : red_(red), with_num_(with_num) {
    init.get("Tidx", &tidx_);
  }

  Status compute(OpContext& ctx) override {
    int64_t num = -1;
    MR_RETURN_IF_ERROR(validate_forward(ctx, with_num_, &num));
    const Tensor& data = ctx.input(0);
    const Tensor& indices = ctx.input(1);
    const Tensor& ids = ctx.input(2);
    const int64_t n = indices.num_elements();
    const int64_t last = n > 0 ? index_at(ids, n - 1) : 0;
    const int64_t limit = tidx_ == DType::kInt32 ? INT32_MAX : INT64_MAX;
    MR_REQUIRE(last < limit, "Last segment id must be < kintmax, got ", last, " limit ", limit);
    const int64_t last_plus_one = n > 0 ? last + 1 : 0;
    // TF checked num_segments whole; the output takes its low 32 bits.
    int64_t rows = with_num_ ? static_cast<int32_t>(static_cast<uint32_t>(num)) : num;
    if (with_num_) MR_REQUIRE(rows >= last_plus_one, "segment ids must be < num_segments");
    else rows = last_plus_one;
    MR_REQUIRE(rows >= 0, "segment ids must be >= 0");
    Shape shape = data.shape();
    shape[0] = rows;
    Tensor& out = ctx.allocate_output(0, shape);
    T* o = out.data<T>();
    std::fill(o, o + out.num_elements(), T(0));
    if (n == 0) return Status();
    MR_REQUIRE(rows > 0, "segment ids must be >= 0");
    const int64_t cols = dims_product(shape, 1, shape.size());
    const int64_t data_rows = data.dim(0);
    const std::vector<int64_t> seg = read_indices(ids), rows_at = read_indices(indices);
    std::vector<Acc<T>> acc(cols), block(cols);
    std::vector<const T*> src;
    for (int64_t start = 0; start < n;) {
      const int64_t id = seg[start];
      int64_t end = start + 1;
      while (end < n && seg[end] == id) ++end;
      if (end < n) MR_REQUIRE(id < seg[end], "segment ids are not increasing");
      MR_REQUIRE(id >= 0 && id < rows, "Segment id ", id, " out of range [0, ", rows,
                 "), possibly because 'segment_ids' input is not sorted.");
      src.clear();
      for (int64_t k = start; k < end; ++k) {
        const int64_t row = rows_at[k];
        MR_REQUIRE(row >= 0 && row < data_rows, "Bad: indices[", k, "] == ", row, " out of range [0, ", data_rows, ")");
        src.push_back(data.data<T>() + row * cols);
      }
      reduce(src.data(), end - start, cols, acc.data(), block.data());
      for (int64_t c = 0; c < cols; ++c) o[id * cols + c] = T(acc[c]);
      start = end;
    }
    return Status();
  }

 private:
  using A = Acc<T>;

  // Reduces the rows row[0, num) (`cols` elements each) into acc.
  void reduce(const T* const* row, int64_t num, int64_t cols, A* acc, A* block) const {
    if (num == 1) {
      for (int64_t c = 0; c < cols; ++c) acc[c] = A(row[0][c]);
      return;
    }
    int64_t first = num & 7;
    if (first < 2) first += 8;
    const A scale = first_scale(num);
    for (int64_t c = 0; c < cols; ++c) acc[c] = A(row[0][c]);
    for (int64_t k = 1; k < first; ++k)
      for (int64_t c = 0; c < cols; ++c) acc[c] = add(acc[c], A(row[k][c]));
    if constexpr (is_float_v<T>)
      if (red_ != Reduction::kSum)
        for (int64_t c = 0; c < cols; ++c) acc[c] = acc[c] * scale;
    for (int64_t r = first; r < num; r += 8) {
      for (int64_t c = 0; c < cols; ++c) block[c] = A(row[r][c]);
      for (int k = 1; k < 8; ++k)
        for (int64_t c = 0; c < cols; ++c) block[c] = add(block[c], A(row[r + k][c]));
      for (int64_t c = 0; c < cols; ++c) acc[c] = add(acc[c], block[c]);
    }
    if constexpr (is_float_v<T>) {
      if (num >= 10 && red_ != Reduction::kSum) {
        const A d = red_ == Reduction::kMean ? A(num) : A(std::sqrt(static_cast<double>(num)));
        for (int64_t c = 0; c < cols; ++c) acc[c] = acc[c] / d;
      }
    }
  }

  A first_scale(int64_t num) const {
    if constexpr (is_float_v<T>) {
      A m(1);
      if (red_ == Reduction::kMean && num < 10) m = A(num);
      if (red_ == Reduction::kSqrtN && num < 10) m = A(std::sqrt(static_cast<double>(num)));
      return A(1) / m;
    } else {
      return A(1);
    }
  }

  Reduction red_;
  bool with_num_;
  DType tidx_ = DType::kInt32;
};

// The gradients: output row indices[i] gains grad row segment_ids[i], scaled
// by 1/n (1/sqrt n) of that segment's size for mean (sqrt n); half and
// bfloat16 accumulate in float. V1 writes the dense rows [0, output_dim0); V2
// only the rows of the unique indices, in index order, and those indices.
template <class T>
class SparseSegmentGradKernel : public OpKernel {
 public:
  SparseSegmentGradKernel(KernelInit&, Reduction red, bool v2) : red_(red), v2_(v2) {}

  Status compute(OpContext& ctx) override {
    const Tensor& grad = ctx.input(0);
    const Tensor& indices = ctx.input(1);
    const Tensor& ids = ctx.input(2);
    const Tensor& dim0 = ctx.input(3);
    MR_REQUIRE(indices.rank() == 1, "indices should be a vector.");
    MR_REQUIRE(ids.rank() == 1, "segment_ids should be a vector.");
    MR_REQUIRE(dim0.rank() == 0, v2_ ? "dense_output_dim0 should be a scalar." : "output_dim0 should be a scalar.");
    const int64_t n = indices.num_elements();
    MR_REQUIRE(n == ids.num_elements(), "segment_ids and indices should have same size.");
    const int64_t m = dim0.scalar_value<int32_t>();
    MR_REQUIRE(grad.rank() >= 1, "Index must be less than 0, got 0");
    MR_REQUIRE(m >= 0, "Expected a non-negative size, got ", m);
    Shape shape = grad.shape();
    const int64_t cols = dims_product(shape, 1, shape.size());
    if (m == 0 || n == 0) {
      shape[0] = v2_ ? 0 : m;
      Tensor& out = ctx.allocate_output(0, shape);
      std::fill(out.data<T>(), out.data<T>() + out.num_elements(), T(0));
      if (v2_) ctx.allocate_output(1, {0});
      return Status();
    }
    const int64_t segments = grad.dim(0);
    MR_REQUIRE(index_at(ids, n - 1) + 1 <= segments, "Invalid number of segments");
    std::vector<int64_t> rows = read_indices(indices);  // the output row of each i
    const std::vector<int64_t> seg_of = read_indices(ids);
    std::vector<int64_t> order(n);  // the i in the order they accumulate
    for (int64_t i = 0; i < n; ++i) order[i] = i;
    // V2 checks every pair up front; V1 counts the segments first, then
    // checks each pair as it accumulates.
    if (v2_)
      for (int64_t i = 0; i < n; ++i) MR_RETURN_IF_ERROR(check_pair(rows[i], seg_of[i], m, segments));
    std::vector<double> scale;
    if (red_ != Reduction::kSum) MR_RETURN_IF_ERROR(scaling(ids, segments, &scale));
    std::vector<int64_t> unique;
    if (v2_) {
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return rows[a] < rows[b]; });
      for (int64_t i : order)
        if (unique.empty() || unique.back() != rows[i]) unique.push_back(rows[i]);
      for (int64_t i = 0; i < n; ++i)
        rows[i] = std::lower_bound(unique.begin(), unique.end(), rows[i]) - unique.begin();
      shape[0] = static_cast<int64_t>(unique.size());
    } else {
      shape[0] = m;
    }
    Tensor& out = ctx.allocate_output(0, shape);
    std::vector<Acc<T>> acc(out.num_elements(), Acc<T>(0));
    const T* g = grad.data<T>();
    for (int64_t i : order) {
      const int64_t seg = seg_of[i];
      if (!v2_) MR_RETURN_IF_ERROR(check_pair(rows[i], seg, m, segments));
      const Acc<T> s = static_cast<Acc<T>>(red_ == Reduction::kSum ? 1.0 : scale[seg]);
      Acc<T>* dst = acc.data() + rows[i] * cols;
      const T* src = g + seg * cols;
      for (int64_t c = 0; c < cols; ++c) dst[c] = dst[c] + Acc<T>(src[c]) * s;
    }
    T* o = out.data<T>();
    for (int64_t k = 0, e = out.num_elements(); k < e; ++k) o[k] = T(acc[k]);
    if (v2_) {
      Tensor& idx = ctx.allocate_output(1, {static_cast<int64_t>(unique.size())});
      for (size_t k = 0; k < unique.size(); ++k) {
        if (idx.dtype() == DType::kInt32) idx.data<int32_t>()[k] = static_cast<int32_t>(unique[k]);
        else idx.data<int64_t>()[k] = unique[k];
      }
    }
    return Status();
  }

 private:
  static Status check_pair(int64_t row, int64_t seg, int64_t m, int64_t segments) {
    MR_REQUIRE(row >= 0 && row < m, "Index ", row, " out of range [0, ", m, ").");
    MR_REQUIRE(seg >= 0 && seg < segments, "Segment id ", seg, " out of range [0, ", segments, ").");
    return Status();
  }
  // 1/n or 1/sqrt(n) per segment (n counted at least 1), computed in double.
  Status scaling(const Tensor& ids, int64_t segments, std::vector<double>* scale) const {
    scale->assign(segments, 0.0);
    for (int64_t i = 0, n = ids.num_elements(); i < n; ++i) {
      const int64_t seg = index_at(ids, i);
      MR_REQUIRE(seg >= 0 && seg < segments, "Segment id ", seg, " out of range [0, ", segments, ").");
      (*scale)[seg] += 1;
    }
    for (double& s : *scale)
      s = red_ == Reduction::kMean ? 1.0 / std::max(s, 1.0) : 1.0 / std::sqrt(std::max(s, 1.0));
    return Status();
  }

  Reduction red_;
  bool v2_;
};

template <Reduction R, bool kWithNum>
auto forward = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<SparseSegmentKernel<decltype(tag)>>(init, R, kWithNum);
};
template <Reduction R, bool kV2>
auto gradient = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<SparseSegmentGradKernel<decltype(tag)>>(init, R, kV2);
};

}  // namespace

void register_sparse_segment_ops(Registry& r) {
  r.add<RealTypes>("SparseSegmentSum", forward<Reduction::kSum, false>);
  r.add<FloatTypes>("SparseSegmentMean", forward<Reduction::kMean, false>);
  r.add<FloatTypes>("SparseSegmentSqrtN", forward<Reduction::kSqrtN, false>);
  r.add<RealTypes>("SparseSegmentSumWithNumSegments", forward<Reduction::kSum, true>);
  r.add<FloatTypes>("SparseSegmentMeanWithNumSegments", forward<Reduction::kMean, true>);
  r.add<FloatTypes>("SparseSegmentSqrtNWithNumSegments", forward<Reduction::kSqrtN, true>);
  r.add<FloatTypes>("SparseSegmentSumGrad", gradient<Reduction::kSum, false>);
  r.add<FloatTypes>("SparseSegmentMeanGrad", gradient<Reduction::kMean, false>);
  r.add<FloatTypes>("SparseSegmentSqrtNGrad", gradient<Reduction::kSqrtN, false>);
  r.add<FloatTypes>("SparseSegmentSumGradV2", gradient<Reduction::kSum, true>);
  r.add<FloatTypes>("SparseSegmentMeanGradV2", gradient<Reduction::kMean, true>);
  r.add<FloatTypes>("SparseSegmentSqrtNGradV2", gradient<Reduction::kSqrtN, true>);
}

}  // namespace metarun
