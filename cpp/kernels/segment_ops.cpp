// Segment reductions (Segment{Sum,Mean,Max,Min,Prod}, UnsortedSegment{Max,
// Min,Prod}), ScatterNd, the set-like ListDiff and UniqueWithCounts, InTopK,
// and two checks on shapes: EnsureShape, VariableShape. The rest of the
// family (MatrixDiagPartV3, MirrorPadGrad, LRNGrad) is in segment_ops_2.cpp.
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "kernels/util/segment.h"
#include "kernels/util/variable_util.h"

namespace metarun {
namespace {

// The output row count, the last id + 1 computed in the ids' type as TF does
// (the largest id wraps to a negative count, which is then refused).
int64_t last_plus_one(int64_t last, DType ids) {
  if (ids == DType::kInt32) return static_cast<int32_t>(static_cast<uint32_t>(last) + 1u);
  return static_cast<int64_t>(static_cast<uint64_t>(last) + 1u);
}

// The runs of equal sorted ids, found and checked the same way for every
// dtype: data rows [start, end) go to output row id.
struct SegmentRun {
  int64_t start, end, id;
};
struct SegmentPlan {
  Shape shape;  // the output's
  int64_t rows = 0, cols = 0;
  std::vector<SegmentRun> runs;
  // TF reduces the segments before a bad id and then fails: this is that
  // failure, after `runs`.
  Status late;
};

Status plan_segments(const Tensor& data, const Tensor& ids, SegmentPlan* p) {
  MR_REQUIRE(data.rank() >= 1, "input must be at least rank 1");
  MR_REQUIRE(ids.rank() == 1, "segment_ids should be a vector.");
  const int64_t n = ids.num_elements();
  MR_REQUIRE(n == data.dim(0), "segment_ids should be the same size as dimension 0 of input.");
  const int64_t rows = n > 0 ? last_plus_one(index_at(ids, n - 1), ids.dtype()) : 0;
  MR_REQUIRE(rows >= 0, "segment ids must be >= 0");
  p->shape = data.shape();
  p->shape[0] = rows;
  p->rows = rows;
  p->cols = dims_product(p->shape, 1, p->shape.size());
  for (int64_t start = 0; start < n;) {
    const int64_t id = index_at(ids, start);
    int64_t end = start + 1;
    while (end < n && index_at(ids, end) == id) ++end;
    if (end < n && !(id < index_at(ids, end))) {
      p->late = invalid_argument("segment ids are not increasing");
      break;
    }
    if (!(id >= 0 && id < rows)) {
      p->late = invalid_argument(str_cat("Segment id ", id, " out of range [0, ", rows,
                                         "), possibly because 'segment_ids' input is not sorted."));
      break;
    }
    p->runs.push_back({start, end, id});
    start = end;
  }
  return Status();
}

// Segment*: sorted ids; output row s reduces the data rows with id s. Rows
// between used ids get `gap` (TF's default value: 1 for Prod, else 0).
template <class T, class Op>
class SegmentKernel : public OpKernel {
 public:
  SegmentKernel(KernelInit&, T init, T gap) : init_(init), gap_(gap) {}

  Status compute(OpContext& ctx) override {
    const Tensor& data = ctx.input(0);
    SegmentPlan p;
    MR_RETURN_IF_ERROR(plan_segments(data, ctx.input(1), &p));
    Tensor& out = ctx.allocate_output(0, p.shape);
    if (data.dim(0) == 0) return Status();
    MR_REQUIRE(p.rows > 0, "segment ids must be >= 0");
    const int64_t cols = p.cols;
    const T* x = data.data<T>();
    T* o = out.data<T>();
    int64_t filled = 0;  // output rows before this are written
    for (const SegmentRun& run : p.runs) {
      const int64_t start = run.start, end = run.end, id = run.id;
      if constexpr (std::is_same_v<Op, SegMean> && std::is_integral_v<T>)  // TF's kernel would trap
        MR_REQUIRE(static_cast<T>(end - start) != 0, "Integer division by zero: segment ", id, " has ", end - start,
                   " rows, 0 as ", dtype_name(dtype_of<T>));
      for (int64_t i = filled * cols; i < id * cols; ++i) o[i] = gap_;
      reduce_rows(x + start * cols, end - start, cols, o + id * cols);
      filled = id + 1;
    }
    return p.late;
  }

 private:
  // A one-row segment is copied (no reduction: -0 and NaN payloads stay).
  void reduce_rows(const T* x, int64_t n, int64_t cols, T* o) const {
    if (n == 1) {
      std::copy(x, x + cols, o);
      return;
    }
    reduce_segment_rows<Op>(x, n, cols, init_, o);
    if constexpr (std::is_same_v<Op, SegMean>)
      for (int64_t c = 0; c < cols; ++c) o[c] = mean_of(o[c], n);
  }
  // Eigen's MeanReducer divides by the count converted to T.
  static T mean_of(T sum, int64_t n) {
    if constexpr (is_complex_v<T>) {
      using R = typename T::value_type;
      return T(sum.real() / R(n), sum.imag() / R(n));
    } else if constexpr (std::is_integral_v<T>) {
      return T(sum / static_cast<T>(n));  // the count wraps in T, as in TF; compute() refused 0
    } else {
      return T(Compute<T>(sum) / Compute<T>(T(n)));
    }
  }

  T init_, gap_;
};

template <class T> T infinity(int sign) {
  if constexpr (is_float_v<T>) return T(sign * INFINITY);
  else return T(0);
}

template <class Op>
auto segment = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  using T = decltype(tag);
  T zero(0), init_value(0);
  if constexpr (std::is_same_v<Op, SegProd>) init_value = T(1);
  // Sorted max/min start from the infinities where T has them (Eigen's reducers),
  // unsorted ones from the finite extremes (TF's initial values).
  if constexpr (std::is_same_v<Op, SegMax>) init_value = is_float_v<T> ? infinity<T>(-1) : lowest_value<T>();
  if constexpr (std::is_same_v<Op, SegMin>) init_value = is_float_v<T> ? infinity<T>(1) : highest_value<T>();
  return new_kernel<SegmentKernel<T, Op>>(init, init_value, std::is_same_v<Op, SegProd> ? T(1) : zero);
};

template <class Op>
auto unsorted = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  using T = decltype(tag);
  T init_value(0);
  if constexpr (std::is_same_v<Op, SegProd>) init_value = T(1);
  if constexpr (std::is_same_v<Op, SegMax>) init_value = lowest_value<T>();
  if constexpr (std::is_same_v<Op, SegMin>) init_value = highest_value<T>();
  return new_kernel<UnsortedSegmentKernel<T, Op>>(init, init_value);
};

Status read_shape(const Tensor& t, Shape* shape) {
  for (int64_t i = 0, n = t.num_elements(); i < n; ++i) {
    const int64_t d = index_at(t, i);
    MR_REQUIRE(d >= 0, "Dimension ", d, " must be >= 0");
    shape->push_back(d);
  }
  if (num_elements(*shape) < 0)
    return invalid_argument(str_cat("Shape ", shape_str(*shape), " would have more than 2**63 - 1 elements"));
  return Status();
}

Status bad_scatter_index(const Tensor& indices, int64_t i, int64_t k, const Shape& shape) {
  std::string joined;
  for (int64_t d = 0; d < k; ++d) joined += (d ? ", " : "") + std::to_string(index_at(indices, i * k + d));
  const Shape outer(indices.shape().begin(), indices.shape().end() - 1);
  return invalid_argument(str_cat("indices", index_str(outer, i), " = [", joined, "] does not index into shape ",
                                  shape_str(shape)));
}

// ScatterNd's output shape, and the checks before it is allocated; the same
// for every dtype.
Status plan_scatter_nd_shape(const Tensor& indices, const Tensor& updates, const Tensor& shape_in, Shape* shape) {
  MR_REQUIRE(indices.rank() >= 1, "Indices shape must have rank at least one. Found:", shape_str(indices.shape()));
  MR_REQUIRE(updates.rank() >= 1, "Updates shape must have rank at least one. Found:", shape_str(updates.shape()));
  MR_RETURN_IF_ERROR(read_shape(shape_in, shape));
  const int64_t n_idx = indices.num_elements(), n_upd = updates.num_elements();
  MR_REQUIRE((n_idx == 0 && n_upd == 0) || (shape_in.num_elements() != 0 && n_idx != 0 && n_upd != 0),
             "Indices and updates specified for empty output shape");
  const int outer = indices.rank() - 1;
  const Shape& is = indices.shape();
  const Shape& us = updates.shape();
  for (int i = 0; i < outer; ++i)
    MR_REQUIRE(i < updates.rank() && is[i] == us[i], "Dimensions [0,", outer, ") of indices[shape=", shape_str(is),
               "] must match dimensions [0,", outer, ") of updates[shape=", shape_str(us), "]");
  const int64_t k = is[outer];
  const auto slice_mismatch = [&] {
    return invalid_argument(str_cat("Dimensions [", k, ",", shape->size(), ") of input[shape=", shape_str(*shape),
                                    "] must match dimensions [", outer, ",", updates.rank(), ") of updates[shape=",
                                    shape_str(us), "]"));
  };
  if (updates.rank() - outer != static_cast<int64_t>(shape->size()) - k) return slice_mismatch();
  for (int i = 0; i + outer < updates.rank(); ++i)
    if (us[i + outer] != (*shape)[k + i]) return slice_mismatch();
  MR_REQUIRE(shape_in.rank() == 1, "Shape must be a vector");
  return Status();
}

// Where each updates slice goes in the (allocated, non-empty) output: slice
// i is out[at[i], at[i] + slice).
Status plan_scatter_nd_slices(const Tensor& indices, const Shape& shape, std::vector<int64_t>* at,
                              int64_t* slice) {
  const int64_t k = indices.shape().back();
  MR_REQUIRE(num_elements(shape) > 0, "Indices and updates specified for empty output.  indices shape: ",
             shape_str(indices.shape()));
  MR_REQUIRE(k >= 1 && k <= 7, "Only indices.shape[-1] values between 1 and 7 are currently supported.  ",
             "Requested rank: ", k);
  *slice = dims_product(shape, k, shape.size());
  const int64_t n = indices.num_elements() / k;
  at->resize(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    bool ok = true;
    for (int64_t d = 0; d < k; ++d) {
      const int64_t v = index_at(indices, i * k + d);
      ok = ok && v >= 0 && v < shape[d];
      if (ok) off = off * shape[d] + v;
    }
    if (!ok) return bad_scatter_index(indices, i, k, shape);
    (*at)[i] = off * *slice;
  }
  return Status();
}

// ScatterNd: zeros of `shape`, then each updates slice added at its index
// (TF adds duplicates: strings concatenate, bools OR).
template <class T>
class ScatterNdKernel : public OpKernel {
 public:
  explicit ScatterNdKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& indices = ctx.input(0);
    const Tensor& updates = ctx.input(1);
    Shape shape;
    MR_RETURN_IF_ERROR(plan_scatter_nd_shape(indices, updates, ctx.input(2), &shape));
    Tensor& out = ctx.allocate_output(0, shape);
    T* o = out.data<T>();
    for (int64_t i = 0, m = out.num_elements(); i < m; ++i) o[i] = T();
    if (indices.num_elements() == 0 && updates.num_elements() == 0) return Status();
    std::vector<int64_t> at;
    int64_t slice = 0;
    MR_RETURN_IF_ERROR(plan_scatter_nd_slices(indices, shape, &at, &slice));
    const T* u = updates.data<T>();
    for (int64_t i = 0, n = static_cast<int64_t>(at.size()); i < n; ++i)
      for (int64_t j = 0; j < slice; ++j) add(o[at[i] + j], u[i * slice + j]);
    return Status();
  }

 private:
  static void add(T& o, const T& u) {
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool> || is_complex_v<T>) o = o + u;
    else o = T(Compute<T>(o) + Compute<T>(u));
  }
};

// Writes `v` into element i of an int32 or int64 tensor.
void put_index(Tensor& t, int64_t i, int64_t v) {
  if (t.dtype() == DType::kInt32) t.data<int32_t>()[i] = static_cast<int32_t>(v);
  else t.data<int64_t>()[i] = v;
}

template <class T>
class ListDiffKernel : public OpKernel {
 public:
  explicit ListDiffKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& y = ctx.input(1);
    MR_REQUIRE(x.rank() == 1, "x should be a 1D vector.");
    MR_REQUIRE(y.rank() == 1, "y should be a 1D vector.");
    const T* xp = x.data<T>();
    const T* yp = y.data<T>();
    using Key = decltype(set_key(*xp));
    std::unordered_set<Key, SetKeyHash> drop;
    for (int64_t i = 0; i < y.num_elements(); ++i) drop.insert(set_key(yp[i]));
    std::vector<int64_t> keep;
    for (int64_t i = 0; i < x.num_elements(); ++i)
      if (!drop.count(set_key(xp[i]))) keep.push_back(i);
    const int64_t m = static_cast<int64_t>(keep.size());
    Tensor& out = ctx.allocate_output(0, {m});
    Tensor& idx = ctx.allocate_output(1, {m});
    for (int64_t j = 0; j < m; ++j) {
      out.data<T>()[j] = xp[keep[j]];
      put_index(idx, j, keep[j]);
    }
    return Status();
  }
};

template <class T>
class UniqueWithCountsKernel : public OpKernel {
 public:
  explicit UniqueWithCountsKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    MR_REQUIRE(x.rank() == 1, "unique expects a 1D vector.");
    const T* p = x.data<T>();
    const int64_t n = x.num_elements();
    using Key = decltype(set_key(*p));
    std::unordered_map<Key, int64_t, SetKeyHash> seen;
    std::vector<int64_t> first, count;
    Tensor& idx = ctx.allocate_output(1, {n});
    for (int64_t i = 0; i < n; ++i) {
      auto it = seen.emplace(set_key(p[i]), static_cast<int64_t>(first.size()));
      if (it.second) {
        first.push_back(i);
        count.push_back(0);
      }
      ++count[it.first->second];
      put_index(idx, i, it.first->second);
    }
    const int64_t m = static_cast<int64_t>(first.size());
    Tensor& y = ctx.allocate_output(0, {m});
    Tensor& counts = ctx.allocate_output(2, {m});
    for (int64_t j = 0; j < m; ++j) {
      y.data<T>()[j] = p[first[j]];
      put_index(counts, j, count[j]);
    }
    return Status();
  }
};

// InTopK(V2): the target is in the top k when fewer than k classes score
// strictly higher; a row with any non-finite score, or a target out of
// range, is false (TF's "cannot say").
class InTopKKernel : public OpKernel {
 public:
  explicit InTopKKernel(KernelInit& init) : v2_(init.op() == "InTopKV2") {
    if (!v2_) init.get("k", &k_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& pred = ctx.input(0);
    const Tensor& targets = ctx.input(1);
    int64_t k = k_;
    if (v2_) {
      const Tensor& kt = ctx.input(2);
      MR_REQUIRE(kt.rank() == 0, "k must be 0-D, got shape ", shape_str(kt.shape()));
      k = index_at(kt, 0);
    }
    MR_REQUIRE(pred.rank() == 2, "predictions must be 2-dimensional");
    MR_REQUIRE(targets.rank() == 1, "targets must be 1-dimensional");
    MR_REQUIRE(pred.dim(0) == targets.dim(0), "First dimension of predictions ", pred.dim(0),
               " must match length of targets ", targets.dim(0));
    const int64_t batch = pred.dim(0), classes = pred.dim(1);
    Tensor& out = ctx.allocate_output(0, {batch});
    const float* p = pred.data<float>();
    for (int64_t b = 0; b < batch; ++b) {
      const float* row = p + b * classes;
      const int64_t t = index_at(targets, b);
      bool ok = t >= 0 && t < classes && std::isfinite(row[t]);
      int64_t better = 0;
      for (int64_t c = 0; ok && c < classes; ++c) {
        if (!std::isfinite(row[c])) ok = false;
        else if (row[c] > row[t]) ++better;
      }
      out.data<bool>()[b] = ok && better < k;
    }
    return Status();
  }

 private:
  bool v2_;
  int64_t k_ = 0;
};

// EnsureShape passes its input through when the shape fits. TF names the
// input tensor in its error; a kernel here knows only its own node.
class EnsureShapeKernel : public OpKernel {
 public:
  explicit EnsureShapeKernel(KernelInit& init) { init.get("shape", &expected_); }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    MR_REQUIRE(expected_.compatible_with(in.shape()), "Shape of tensor ", ctx.name(), " input ",
               shape_str(in.shape()), " is not compatible with expected shape ", expected_.str(), ".");
    ctx.set_output(0, in);
    return Status();
  }

 private:
  PartialShape expected_;
};

class VariableShapeKernel : public OpKernel {
 public:
  explicit VariableShapeKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const ResourceHandle* h = nullptr;
    MR_RETURN_IF_ERROR(handle_of(ctx, &h));
    std::shared_ptr<Var> var = ctx.resources().lookup_var(handle_key(*h));
    Shape shape;
    bool found = false;
    if (var) {
      std::lock_guard<std::mutex> lock(var->mu);
      found = var->initialized;
      if (found) shape = var->value.shape();
    }
    if (!found)  // TF creates the variable on its first assignment
      return not_found(str_cat("Container ", h->container, " does not exist. (Could not find resource: ",
                               h->container, "/", h->name, ")"));
    Tensor& out = ctx.allocate_output(0, {static_cast<int64_t>(shape.size())});
    for (size_t i = 0; i < shape.size(); ++i) {
      if (out.dtype() == DType::kInt32)
        MR_REQUIRE(shape[i] <= std::numeric_limits<int32_t>::max(), "Shape would have more than 2**31 - 1 elements");
      put_index(out, i, shape[i]);
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

using ScatterNdTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                                uint32_t, uint64_t, complex64, complex128, bool, std::string>;
using ListDiffTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                               uint32_t, uint64_t, std::string>;
using UniqueTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                             uint32_t, uint64_t, bool, std::string>;

}  // namespace

void register_segment_ops(Registry& r) {
  r.add<NumberTypes>("SegmentSum", segment<SegSum>);
  r.add<NumberTypes>("SegmentMean", segment<SegMean>);
  r.add<NumberTypes>("SegmentProd", segment<SegProd>);
  r.add<RealTypes>("SegmentMax", segment<SegMax>);
  r.add<RealTypes>("SegmentMin", segment<SegMin>);
  r.add<RealTypes>("UnsortedSegmentMax", unsorted<SegMax>);
  r.add<RealTypes>("UnsortedSegmentMin", unsorted<SegMin>);
  r.add<NumberTypes>("UnsortedSegmentProd", unsorted<SegProd>);
  r.add<ScatterNdTypes>("ScatterNd", typed<ScatterNdKernel>);
  r.add<ListDiffTypes>("ListDiff", typed<ListDiffKernel>);
  r.add<UniqueTypes>("UniqueWithCounts", typed<UniqueWithCountsKernel>);
  r.add<IndexTypes>("InTopK", untyped<InTopKKernel>);
  r.add<IndexTypes>("InTopKV2", untyped<InTopKKernel>);
  r.add<AllTypes>("EnsureShape", untyped<EnsureShapeKernel>);
  r.add<IndexTypes>("VariableShape", untyped<VariableShapeKernel>, TypeFrom::attr_named("out_type"));
  register_segment_ops_2(r);
}

}  // namespace metarun
