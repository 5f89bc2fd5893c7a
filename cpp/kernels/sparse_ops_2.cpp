// Sparse kernels, part 2: SparseConcat, SparseSlice and its gradient, SparseSoftmax,
// SparseReduce{Sum,Max}[Sparse], SparseFillEmptyRows and its gradient, as TF's CPU kernels.
// Ops that group rows (softmax, reductions, concat) first sort them stably as TF's
// SparseTensor::Reorder does; slice and fill-empty-rows keep the input's order.
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "framework/registry.h"
#include "kernels/util/eigen_exp.h"
#include "kernels/util/element_copier.h"
#include "kernels/util/sparse.h"

namespace metarun {
namespace {

using sparse::Indices;

class SparseConcat : public OpKernel {
 public:
  explicit SparseConcat(KernelInit& init) : copier_(init.input_type(init.num_inputs() / 3)) {
    init.get("concat_dim", &concat_dim_);
  }

  Status compute(OpContext& ctx) override {
    const int n = ctx.num_inputs() / 3;
    for (int k = 0; k < n; ++k)
      MR_REQUIRE(ctx.input(k).rank() == 2, "Input indices should be a matrix but received shape ",
                 shape_str(ctx.input(k).shape()), " at position ", k);
    for (int k = 0; k < n; ++k)
      MR_REQUIRE(ctx.input(n + k).rank() == 1, "Input values should be a vector but received shape ",
                 shape_str(ctx.input(n + k).shape()), " at position ", k);
    for (int k = 0; k < n; ++k)
      MR_REQUIRE(ctx.input(2 * n + k).rank() == 1, "Input shapes should be a vector but received shape ",
                 shape_str(ctx.input(2 * n + k).shape()), " at position ", k);
    std::vector<int64_t> shape = sparse::read_vector(ctx.input(2 * n));
    const int64_t rank = static_cast<int64_t>(shape.size());
    for (int k = 1; k < n; ++k)
      MR_REQUIRE(ctx.input(2 * n + k).dim(0) == rank, "Ranks of all input tensors must match: expected ", rank,
                 " but got ", ctx.input(2 * n + k).dim(0), " at position ", k);
    const int64_t dim = concat_dim_ < 0 ? concat_dim_ + rank : concat_dim_;
    MR_REQUIRE(dim >= 0 && dim < rank, "Concat dimension must be in range [", -rank, ", ", rank, "), got ", concat_dim_);
    std::vector<int64_t> offset(n, 0);
    for (int k = 1; k < n; ++k) {
      const std::vector<int64_t> s = sparse::read_vector(ctx.input(2 * n + k));
      for (int64_t d = 0; d < rank; ++d) {
        if (d == dim) continue;
        MR_REQUIRE(s[d] == shape[d], "Input shapes must match: expected ", shape[d], " for dimension ", d, " but got ",
                   s[d], " at position ", k);
      }
      offset[k] = shape[dim];
      shape[dim] += s[dim];
    }
    Indices all;
    all.rank = rank;
    std::vector<std::pair<int, int64_t>> source;  // (input, row) of each concatenated row
    for (int k = 0; k < n; ++k) {
      const Tensor& ind_t = ctx.input(k);
      MR_RETURN_IF_ERROR(sparse::check_rows(ind_t, ctx.input(n + k)));
      MR_REQUIRE(ind_t.dim(1) == rank, "Index rank (", ind_t.dim(1), ") and shape rank (", rank, ") do not match");
      const Indices ind(ind_t);
      for (int64_t i = 0; i < ind.n; ++i) {
        for (int64_t d = 0; d < rank; ++d) all.v.push_back(ind.at(i, d) + (d == dim ? offset[k] : 0));
        source.emplace_back(k, i);
      }
    }
    all.n = static_cast<int64_t>(source.size());
    const std::vector<int64_t> perm = sparse::sorted_order(all, sparse::row_major(rank));
    Tensor& oi = ctx.allocate_output(0, {all.n, rank});
    Tensor& ov = ctx.allocate_output(1, {all.n});
    int64_t* o = oi.data<int64_t>();
    for (int64_t e = 0; e < all.n; ++e) {
      o = std::copy(all.row(perm[e]), all.row(perm[e]) + rank, o);
      copier_.copy(ctx.input(n + source[perm[e]].first), source[perm[e]].second, ov, e, 1);
    }
    Tensor& os = ctx.allocate_output(2, {rank});
    std::copy(shape.begin(), shape.end(), os.data<int64_t>());
    return Status();
  }

 private:
  ElementCopier copier_;
  int64_t concat_dim_ = 0;
};

class SparseSlice : public OpKernel {
 public:
  explicit SparseSlice(KernelInit& init) : copier_(init.input_type(1)) {}

  Status compute(OpContext& ctx) override {
    const Tensor &ind_t = ctx.input(0), &vals = ctx.input(1), &shape_t = ctx.input(2);
    const Tensor &start_t = ctx.input(3), &size_t_ = ctx.input(4);
    MR_REQUIRE(ind_t.rank() == 2, "Input indices should be a matrix but received shape ", shape_str(ind_t.shape()));
    MR_REQUIRE(vals.rank() == 1, "Input values should be a vector but received shape ", shape_str(vals.shape()));
    MR_REQUIRE(shape_t.rank() == 1, "Input shape should be a vector but received shape ", shape_str(shape_t.shape()));
    MR_REQUIRE(start_t.rank() == 1, "Input start should be a vector but received shape ", shape_str(start_t.shape()));
    MR_REQUIRE(size_t_.rank() == 1, "Input size should be a vector but received shape ", shape_str(size_t_.shape()));
    const int64_t rank = shape_t.dim(0);
    MR_REQUIRE(start_t.dim(0) == rank, "Expected start to be a vector of length ", rank, " but got length ",
               start_t.dim(0));
    MR_REQUIRE(size_t_.dim(0) == rank, "Expected size to be a vector of length ", rank, " but got length ",
               size_t_.dim(0));
    MR_RETURN_IF_ERROR(sparse::check_create(ind_t, vals, shape_t));
    const std::vector<int64_t> shape = sparse::read_vector(shape_t), start = sparse::read_vector(start_t),
                               size = sparse::read_vector(size_t_);
    std::vector<int64_t> out_shape(rank), end(rank);
    for (int64_t d = 0; d < rank; ++d) {
      MR_REQUIRE(size[d] >= 0, "Expected a non-negative size, got ", size[d]);
      end[d] = start[d] > INT64_MAX - size[d] ? INT64_MAX : start[d] + size[d];
      out_shape[d] = std::max<int64_t>(0, std::min(end[d], shape[d]) - start[d]);
    }
    const Indices ind(ind_t);
    std::vector<int64_t> kept;
    for (int64_t i = 0; i < ind.n; ++i) {
      bool in = true;
      for (int64_t d = 0; in && d < rank; ++d) in = ind.at(i, d) >= start[d] && ind.at(i, d) < end[d];
      if (in) kept.push_back(i);
    }
    const int64_t m = static_cast<int64_t>(kept.size());
    Tensor& oi = ctx.allocate_output(0, {m, rank});
    Tensor& ov = ctx.allocate_output(1, {m});
    int64_t* o = oi.data<int64_t>();
    for (int64_t e = 0; e < m; ++e) {
      for (int64_t d = 0; d < rank; ++d) *o++ = ind.at(kept[e], d) - start[d];
      copier_.copy(vals, kept[e], ov, e, 1);
    }
    Tensor& os = ctx.allocate_output(2, {rank});
    std::copy(out_shape.begin(), out_shape.end(), os.data<int64_t>());
    return Status();
  }

 private:
  ElementCopier copier_;
};

template <class T>
class SparseSliceGrad : public OpKernel {
 public:
  explicit SparseSliceGrad(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor &grad = ctx.input(0), &in_t = ctx.input(1), &start_t = ctx.input(2), &out_t = ctx.input(3);
    MR_REQUIRE(in_t.rank() == 2 && out_t.rank() == 2, "Input and output indices should be matrices but received "
               "shapes: ", shape_str(in_t.shape()), " and ", shape_str(out_t.shape()));
    MR_REQUIRE(grad.rank() == 1, "Input backprop_val_grad should be a vector but received shape: ",
               shape_str(grad.shape()));
    MR_REQUIRE(grad.dim(0) == out_t.dim(0), "# elements of backprop_val_grad and # rows of output_indices should match "
               "(#nnz of sum): got ", grad.dim(0), " and ", out_t.dim(0));
    MR_REQUIRE(in_t.dim(1) == out_t.dim(1), "The input and output should have the same ndims: got: ", in_t.dim(1),
               " and ", out_t.dim(1));
    MR_REQUIRE(start_t.rank() == 1 && start_t.dim(0) == in_t.dim(1), "Expected input_start to be a vector of length ",
               in_t.dim(1), " but got length ", start_t.rank() == 1 ? start_t.dim(0) : start_t.num_elements());
    const Indices in(in_t), out(out_t);
    const std::vector<int64_t> start = sparse::read_vector(start_t);
    Tensor& g = ctx.allocate_output(0, {in.n});
    T* pg = g.data<T>();
    const T* src = grad.data<T>();
    int64_t j = 0;
    for (int64_t i = 0; i < in.n; ++i) {
      pg[i] = T(0);
      if (j >= out.n) continue;
      bool same = true;
      for (int64_t d = 0; same && d < in.rank; ++d) same = in.at(i, d) - start[d] == out.at(j, d);
      if (same) pg[i] = src[j++];
    }
    if (j != out.n)
      return internal_error(str_cat("Elements of backprop_val_grad aren't all propagated. Num elements:", out.n,
                                    ", used: ", j));
    return Status();
  }
};

struct SumStep {
  template <class T> static T step(T acc, T x) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(acc) + static_cast<U>(x));
  }
};

// exp of a group's element `e` of `n` as Eigen evaluates it in TF's AVX build: whole packets
// (8 floats, 4 doubles) through Eigen's polynomial, the remainder through libm.
template <class T>
T exp_of(T x, int64_t e, int64_t n) {
  if constexpr (std::is_same_v<T, double>) {
    return e < n / 4 * 4 ? eigen_exp(x) : std::exp(x);
  } else if constexpr (std::is_same_v<T, float>) {
    return e < n / 8 * 8 ? eigen_exp(x) : std::exp(x);
  } else {
    return static_cast<T>(eigen_exp(static_cast<float>(x)));
  }
}

// Eigen's full sum of n contiguous values as TF's AVX build vectorizes it: four packet
// accumulators over blocks of four packets (8 floats, halves or bfloat16s; 4 doubles or
// complex64s; 2 complex128s), added in order, then the remaining whole packets, then its lanes
// halved repeatedly (lane q plus lane q + width/2), and the scalar remainder's own sum plus that.
// Half and bfloat16 packets add in float and round per add. Integers wrap, so order cannot show.
template <class T> constexpr int kPacket = std::is_same_v<T, double> || std::is_same_v<T, complex64> ? 4
                                           : std::is_same_v<T, complex128> ? 2 : 8;
template <class T> struct LaneOf { using type = T; };
template <> struct LaneOf<Half> { using type = float; };
template <> struct LaneOf<BFloat16> { using type = float; };

template <class T>
T eigen_sum(const T* v, int64_t n) {
  if constexpr (std::is_integral_v<T>) {
    T acc = T(0);
    for (int64_t j = 0; j < n; ++j) acc = SumStep::step(acc, v[j]);
    return acc;
  } else {
    constexpr int P = kPacket<T>;
    using Lane = typename LaneOf<T>::type;
    const int64_t vec = n / P * P, unrolled = n / (4 * P) * (4 * P);
    T pa[4][P];
    for (auto& a : pa)
      for (int q = 0; q < P; ++q) a[q] = T(0);
    auto add_packet = [](T* a, const T* x) {
      for (int q = 0; q < P; ++q) a[q] = static_cast<T>(static_cast<Lane>(a[q]) + static_cast<Lane>(x[q]));
    };
    for (int64_t j = 0; j < unrolled; j += 4 * P)
      for (int k = 0; k < 4; ++k) add_packet(pa[k], v + j + k * P);
    for (int k = 1; k < 4; ++k) add_packet(pa[0], pa[k]);
    for (int64_t j = unrolled; j < vec; j += P) add_packet(pa[0], v + j);
    T acc = T(0);
    for (int64_t j = vec; j < n; ++j) acc = static_cast<T>(acc + v[j]);
    if (vec == 0) return acc;
    Lane lanes[P];
    for (int q = 0; q < P; ++q) lanes[q] = static_cast<Lane>(pa[0][q]);
    for (int w = P / 2; w >= 1; w /= 2)
      for (int q = 0; q < w; ++q) lanes[q] = lanes[q] + lanes[q + w];
    return static_cast<T>(acc + static_cast<T>(lanes[0]));
  }
}

// Stable row-major groups of rows agreeing on the dims in `key` (after sorting by `order`).
template <class F>
void for_each_group(const Indices& ind, const std::vector<int64_t>& perm, const std::vector<int64_t>& key, F&& fn) {
  int64_t begin = 0;
  while (begin < ind.n) {
    int64_t end = begin + 1;
    while (end < ind.n) {
      bool same = true;
      for (int64_t d : key) same = same && ind.at(perm[end], d) == ind.at(perm[begin], d);
      if (!same) break;
      ++end;
    }
    fn(begin, end);
    begin = end;
  }
}

template <class T>
class SparseSoftmax : public OpKernel {
 public:
  explicit SparseSoftmax(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor &ind_t = ctx.input(0), &vals = ctx.input(1), &shape_t = ctx.input(2);
    MR_REQUIRE(ind_t.rank() == 2, "Input sp_indices should be a matrix but received shape: ", shape_str(ind_t.shape()));
    MR_REQUIRE(vals.rank() == 1 && shape_t.rank() == 1, "Inputs sp_values and sp_shape should be vectors but received "
               "shapes: ", shape_str(vals.shape()), " and ", shape_str(shape_t.shape()));
    const std::vector<int64_t> shape = sparse::read_vector(shape_t);
    MR_REQUIRE(shape.size() >= 2, "Input should have rank >= 2, but received shape: ",
               sparse::join(shape.data(), shape.size(), " "));
    MR_RETURN_IF_ERROR(sparse::check_rows(ind_t, vals));
    MR_REQUIRE(ind_t.dim(1) == static_cast<int64_t>(shape.size()), "Index rank (", ind_t.dim(1), ") and shape rank (",
               shape.size(), ") do not match");
    const Indices ind(ind_t);
    const std::vector<int64_t> perm = sparse::sorted_order(ind, sparse::row_major(ind.rank));
    std::vector<int64_t> key = sparse::row_major(ind.rank - 1);
    const T* v = vals.data<T>();
    Tensor& out = ctx.allocate_output(0, {ind.n});
    T* o = out.data<T>();
    for_each_group(ind, perm, key, [&](int64_t begin, int64_t end) {
      T mx = v[perm[begin]];
      for (int64_t e = begin + 1; e < end; ++e) mx = mx < v[perm[e]] ? v[perm[e]] : mx;
      for (int64_t e = begin; e < end; ++e) o[e] = exp_of(static_cast<T>(v[perm[e]] - mx), e - begin, end - begin);
      const T sum = eigen_sum(o + begin, end - begin);
      const T inverse = static_cast<T>(T(1) / sum);  // TF scales by the sum's inverse
      for (int64_t e = begin; e < end; ++e) o[e] = static_cast<T>(o[e] * inverse);
    });
    return Status();
  }
};

struct SumReduce {
  template <class T> static T run(const T* v, int64_t n) { return eigen_sum(v, n); }
  template <class T> static T step(T acc, T x) {
    if constexpr (std::is_integral_v<T>) {
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(static_cast<U>(acc) + static_cast<U>(x));
    } else {
      return static_cast<T>(acc + x);
    }
  }
};

// Eigen's max reducer: starts from the lowest value and keeps the accumulator when a value
// does not compare greater, so NaN values are skipped.
struct MaxReduce {
  template <class T> static T init() {
    if constexpr (std::is_same_v<T, Half>) return Half(-65504.0f);
    else if constexpr (std::is_same_v<T, BFloat16>) { BFloat16 b; b.bits = 0xff7f; return b; }
    else return std::numeric_limits<T>::lowest();
  }
  template <class T> static T step(T acc, T x) { return acc < x ? x : acc; }
  template <class T> static T run(const T* v, int64_t n) {
    T acc = init<T>();
    for (int64_t j = 0; j < n; ++j) acc = step(acc, v[j]);
    return acc;
  }
};

// SparseReduce{Sum,Max}(Sparse)'s checks and groups, the same for every
// dtype: the values perm[begin, end) of each group reduce to one output, at
// the kept coordinates of row `row`.
struct SparseReducePlan {
  std::vector<int64_t> shape, kept, perm;
  std::vector<bool> reduced;
  Shape out_shape;
  Indices ind;
  struct Group {
    int64_t begin, end, row;
  };
  std::vector<Group> groups;
};

Status plan_sparse_reduce(const OpContext& ctx, bool keep_dims, SparseReducePlan* p) {
  const Tensor &ind_t = ctx.input(0), &vals = ctx.input(1), &shape_t = ctx.input(2), &axes_t = ctx.input(3);
  MR_REQUIRE(ind_t.rank() == 2, "Expected input_indices to be a matrix; got shape: ", shape_str(ind_t.shape()));
  MR_REQUIRE(vals.rank() == 1, "Expected input_values to be a vector; got shape: ", shape_str(vals.shape()));
  MR_REQUIRE(shape_t.rank() == 1, "Expected input_shape to be a vector; got shape: ", shape_str(shape_t.shape()));
  MR_REQUIRE(axes_t.rank() <= 1, "Expected reduction_axes to be a scalar or a vector; got shape: ",
             shape_str(axes_t.shape()));
  MR_RETURN_IF_ERROR(sparse::check_rows(ind_t, vals));
  p->shape = sparse::read_vector(shape_t);
  const std::vector<int64_t>& shape = p->shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  MR_REQUIRE(ind_t.dim(1) == rank, "Index rank (", ind_t.dim(1), ") and shape rank (", rank, ") do not match");
  std::set<int64_t> reduced;
  for (int64_t a : sparse::read_vector(axes_t)) {
    MR_REQUIRE(a >= -rank && a < rank, "Invalid reduction dimension ", a, ", for input with ", rank, " dimensions.");
    reduced.insert(a < 0 ? a + rank : a);
  }
  std::vector<int64_t> order;
  for (int64_t d = 0; d < rank; ++d)
    if (!reduced.count(d)) p->kept.push_back(d);
  order = p->kept;
  order.insert(order.end(), reduced.begin(), reduced.end());
  p->ind = Indices(ind_t);
  const Indices& ind = p->ind;
  for (int64_t i = 0; i < ind.n; ++i)
    for (int64_t d = 0; d < rank; ++d)
      MR_REQUIRE(ind.at(i, d) >= 0 && ind.at(i, d) < shape[d], "Invalid index: indices[", i, ", :] = [",
                 sparse::join(ind.row(i), rank, ", "), "] is out of bounds for shape ", shape_str(Shape(shape)));
  p->perm = sparse::sorted_order(ind, order);
  p->reduced.resize(rank);
  for (int64_t d = 0; d < rank; ++d) {
    p->reduced[d] = reduced.count(d) != 0;
    if (!p->reduced[d]) p->out_shape.push_back(shape[d]);
    else if (keep_dims) p->out_shape.push_back(1);
  }
  for_each_group(ind, p->perm, p->kept,
                 [&](int64_t begin, int64_t end) { p->groups.push_back({begin, end, p->perm[begin]}); });
  return Status();
}

template <class T, class Reduce, bool kSparseOut>
class SparseReduce : public OpKernel {
 public:
  explicit SparseReduce(KernelInit& init) { init.get("keep_dims", &keep_dims_); }

  Status compute(OpContext& ctx) override {
    SparseReducePlan p;
    MR_RETURN_IF_ERROR(plan_sparse_reduce(ctx, keep_dims_, &p));
    const T* v = ctx.input(1).data<T>();
    std::vector<T> results;
    std::vector<T> group;
    for (const SparseReducePlan::Group& g : p.groups) {
      group.clear();
      for (int64_t e = g.begin; e < g.end; ++e) group.push_back(v[p.perm[e]]);
      results.push_back(Reduce::run(group.data(), g.end - g.begin));
    }
    write(ctx, p, results);
    return Status();
  }

 private:
  void write(OpContext& ctx, const SparseReducePlan& p, const std::vector<T>& results) const {
    const int64_t rank = static_cast<int64_t>(p.shape.size());
    if constexpr (kSparseOut) {
      const int64_t g = static_cast<int64_t>(results.size()), out_rank = static_cast<int64_t>(p.out_shape.size());
      Tensor& oi = ctx.allocate_output(0, {g, out_rank});
      int64_t* o = oi.data<int64_t>();
      for (int64_t k = 0; k < g; ++k)
        for (int64_t d = 0; d < rank; ++d) {
          if (!p.reduced[d]) *o++ = p.ind.at(p.groups[k].row, d);
          else if (keep_dims_) *o++ = 0;
        }
      Tensor& ov = ctx.allocate_output(1, {g});
      std::copy(results.begin(), results.end(), ov.data<T>());
      Tensor& os = ctx.allocate_output(2, {out_rank});
      std::copy(p.out_shape.data(), p.out_shape.data() + out_rank, os.data<int64_t>());
    } else {
      Tensor& out = ctx.allocate_output(0, p.out_shape);
      T* o = out.data<T>();
      std::fill(o, o + out.num_elements(), T(0));
      for (size_t k = 0; k < results.size(); ++k) {
        int64_t flat = 0;
        for (int64_t d : p.kept) flat = flat * p.shape[d] + p.ind.at(p.groups[k].row, d);
        o[flat] = results[k];
      }
    }
  }

  bool keep_dims_ = false;
};

class SparseFillEmptyRows : public OpKernel {
 public:
  explicit SparseFillEmptyRows(KernelInit& init) : copier_(init.input_type(1)) {}

  Status compute(OpContext& ctx) override {
    const Tensor &ind_t = ctx.input(0), &vals = ctx.input(1), &shape_t = ctx.input(2), &dv = ctx.input(3);
    MR_REQUIRE(ind_t.rank() == 2, "indices must be a matrix, saw: ", shape_str(ind_t.shape()));
    MR_REQUIRE(vals.rank() == 1, "values must be a vector, saw: ", shape_str(vals.shape()));
    MR_REQUIRE(shape_t.rank() == 1, "dense_shape must be a vector, saw: ", shape_str(shape_t.shape()));
    MR_REQUIRE(dv.rank() == 0, "default_value must be a scalar, saw: ", shape_str(dv.shape()));
    MR_REQUIRE(ind_t.dim(0) == vals.dim(0), "The length of `values` (", vals.dim(0),
               ") must match the first dimension of `indices` (", ind_t.dim(0), ").");
    MR_REQUIRE(shape_t.dim(0) == ind_t.dim(1), "The length of `dense_shape` (", shape_t.dim(0),
               ") must match the second dimension of `indices` (", ind_t.dim(1), ").");
    MR_REQUIRE(shape_t.dim(0) > 0, "Dense shape cannot be empty.");
    const std::vector<int64_t> shape = sparse::read_vector(shape_t);
    const int64_t rows = shape[0];
    MR_REQUIRE(rows >= 0, "Dense shape has a negative first dimension: ", rows);
    // Two int64 counters per row besides the outputs: a row count too large to hold is TF's OOM.
    if (static_cast<uint64_t>(rows) > max_allocation_bytes() / (2 * sizeof(int64_t)))
      return oom_status(DType::kInt64, {rows});
    Tensor& empty = ctx.allocate_output(2, {rows});
    const Indices ind(ind_t);
    std::vector<int64_t> count(static_cast<size_t>(rows), 0);
    for (int64_t i = 0; i < ind.n; ++i) {
      const int64_t r = ind.at(i, 0);
      MR_REQUIRE(r >= 0 && r < rows, "indices(", i, ", 0) is invalid: ", r, " >= ", rows);
      ++count[r];
    }
    std::vector<int64_t> offset(static_cast<size_t>(rows) + 1, 0);
    for (int64_t r = 0; r < rows; ++r) offset[r + 1] = offset[r] + std::max<int64_t>(count[r], 1);
    const int64_t total = offset[rows];
    Tensor& oi = ctx.allocate_output(0, {total, ind.rank});
    Tensor& ov = ctx.allocate_output(1, {total});
    Tensor& rim = ctx.allocate_output(3, {ind.n});
    int64_t* o = oi.data<int64_t>();
    bool* pe = empty.data<bool>();
    for (int64_t r = 0; r < rows; ++r) {
      pe[r] = count[r] == 0;
      if (count[r]) continue;
      int64_t* row = o + offset[r] * ind.rank;
      std::fill(row, row + ind.rank, 0);
      row[0] = r;
      copier_.fill(dv, ov, offset[r], 1);
    }
    std::vector<int64_t> next(offset.begin(), offset.end() - 1);
    int64_t* pr = rim.data<int64_t>();
    for (int64_t i = 0; i < ind.n; ++i) {
      const int64_t at = next[ind.at(i, 0)]++;
      std::copy(ind.row(i), ind.row(i) + ind.rank, o + at * ind.rank);
      copier_.copy(vals, i, ov, at, 1);
      pr[i] = at;
    }
    return Status();
  }

 private:
  ElementCopier copier_;
};

template <class T>
class SparseFillEmptyRowsGrad : public OpKernel {
 public:
  explicit SparseFillEmptyRowsGrad(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor &rim = ctx.input(0), &grad = ctx.input(1);
    MR_REQUIRE(rim.rank() == 1, "reverse_index_map must be a vector, saw: ", shape_str(rim.shape()));
    MR_REQUIRE(grad.rank() == 1, "grad_values must be a vector, saw: ", shape_str(grad.shape()));
    const int64_t n = rim.dim(0), m = grad.dim(0);
    Tensor& dv = ctx.allocate_output(0, {n});
    Tensor& dd = ctx.allocate_output(1, {});
    const T* g = grad.data<T>();
    T* pv = dv.data<T>();
    std::vector<bool> used(static_cast<size_t>(m), false);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t k = index_at(rim, i);
      MR_REQUIRE(k >= 0 && k < m, "Elements in reverse index must be in [0, ", m, ") but got ", k);
      pv[i] = g[k];
      used[k] = true;
    }
    T sum = T(0);
    for (int64_t k = 0; k < m; ++k)
      if (!used[k]) sum = SumReduce::step(sum, g[k]);
    *dd.data<T>() = sum;
    return Status();
  }
};

template <template <class> class K>
auto make() {
  return [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<K<decltype(tag)>>(init);
  };
}

template <class Reduce, bool kSparseOut>
auto make_reduce() {
  return [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<SparseReduce<decltype(tag), Reduce, kSparseOut>>(init);
  };
}

template <class K>
auto untyped() {
  return [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> { return new_kernel<K>(init); };
}

}  // namespace

void register_sparse_ops_2(Registry& r) {
  using MoveTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                             uint32_t, uint64_t, complex64, complex128, bool, std::string>;
  r.add<MoveTypes>("SparseConcat", untyped<SparseConcat>());
  r.add<MoveTypes>("SparseSlice", untyped<SparseSlice>());
  r.add<NumberTypes>("SparseSliceGrad", make<SparseSliceGrad>());
  r.add<TypeList<float, double, Half>>("SparseSoftmax", make<SparseSoftmax>());
  r.add<NumberTypes>("SparseReduceSum", make_reduce<SumReduce, false>());
  r.add<NumberTypes>("SparseReduceSumSparse", make_reduce<SumReduce, true>());
  r.add<RealTypes>("SparseReduceMax", make_reduce<MaxReduce, false>());
  r.add<RealTypes>("SparseReduceMaxSparse", make_reduce<MaxReduce, true>());
  r.add<MoveTypes>("SparseFillEmptyRows", untyped<SparseFillEmptyRows>());
  r.add<NumberTypes>("SparseFillEmptyRowsGrad", make<SparseFillEmptyRowsGrad>());
}

}  // namespace metarun
