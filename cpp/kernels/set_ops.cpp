// Set operations over the last dimension of dense or sparse tensors, as TF's
// CPU kernels: DenseToDenseSetOperation, DenseToSparseSetOperation,
// SparseToSparseSetOperation (a-b, b-a, intersection, union; the result as a
// SparseTensor's indices, values and shape) and SetSize.
//
// A "group" is one set: the values sharing all but the last coordinate. A
// dense input has one group per position of its leading dims; a sparse input
// one per run of consecutive entries with the same leading coordinates (so an
// unsorted input that is not validated is read in its own order, as in TF).
// Each result set comes out sorted; the result's last dim is the largest set.
#include <algorithm>

#include "framework/registry.h"
#include "kernels/util/element_copier.h"

namespace metarun {
namespace {

enum class SetOp { kAMinusB, kBMinusA, kIntersection, kUnion };

template <class T>
struct Group {
  std::vector<int64_t> index;  // the leading coordinates
  std::vector<T> values;       // sorted and unique once read
};

template <class T>
void make_set(std::vector<T>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

template <class T>
Status dense_groups(const Tensor& t, Shape* group_shape, std::vector<Group<T>>* out) {
  MR_REQUIRE(t.rank() >= 2, "Shape ", shape_str(t.shape()), " has rank ", t.rank(), " < 2");
  group_shape->assign(t.shape().begin(), t.shape().end() - 1);
  const int64_t n = num_elements(*group_shape), width = t.shape().back();
  const T* v = t.data<T>();
  out->resize(n);
  for (int64_t g = 0; g < n; ++g) {
    Group<T>& grp = (*out)[g];
    grp.index.resize(group_shape->size());
    for (int64_t d = static_cast<int64_t>(group_shape->size()) - 1, r = g; d >= 0; --d) {
      grp.index[d] = r % (*group_shape)[d];
      r /= (*group_shape)[d];
    }
    grp.values.assign(v + g * width, v + (g + 1) * width);
    make_set(&grp.values);
  }
  return Status();
}

// "[0,-1]" (shape_str would print a negative entry as an unknown dim).
std::string tuple_str(const Tensor& indices, int64_t row, int64_t rank) {
  std::string s = "[";
  for (int64_t d = 0; d < rank; ++d) s += (d ? "," : "") + std::to_string(index_at(indices, row * rank + d));
  return s + "]";
}

// TF's sparse tensor checks, then (validate) its IndicesValid: in bounds,
// strictly increasing in row-major order.
Status check_sparse(const Tensor& indices, const Tensor& values, const Tensor& shape, bool validate) {
  MR_REQUIRE(indices.rank() == 2, "indices must be a matrix, but got: ", shape_str(indices.shape()));
  MR_REQUIRE(values.rank() == 1, "values must be a vector, but got: ", shape_str(values.shape()));
  MR_REQUIRE(shape.rank() == 1, "shape must be a vector, but got: ", shape_str(shape.shape()));
  MR_REQUIRE(indices.dim(0) == values.dim(0), "indices and values rows (indexing dimension) must match. (indices = ",
             indices.dim(0), ", values = ", values.dim(0), ")");
  MR_REQUIRE(indices.dim(1) == shape.dim(0), "Order length must be SparseTensor rank.");
  const int64_t rank = shape.dim(0);
  MR_REQUIRE(rank >= 2, "Invalid rank ", rank, ".");
  if (!validate) return Status();
  Shape dims(rank);
  for (int64_t d = 0; d < rank; ++d) dims[d] = index_at(shape, d);
  for (int64_t n = 0; n < indices.dim(0); ++n) {
    bool in_bounds = true, increasing = n == 0, different = n == 0;
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t v = index_at(indices, n * rank + d);
      in_bounds = in_bounds && v >= 0 && v < dims[d];
      if (n > 0 && !different) {
        const int64_t prev = index_at(indices, (n - 1) * rank + d);
        if (v != prev) {
          different = true;
          increasing = v > prev;
        }
      }
    }
    const std::string at = str_cat("indices[", n, "] = ", tuple_str(indices, n, rank));
    MR_REQUIRE(in_bounds, at, " is out of bounds: need 0 <= index < ", shape_str(dims));
    MR_REQUIRE(!different || increasing, at,
               " is out of order. Many sparse ops require sorted indices.\n    Use `tf.sparse.reorder` to create a "
               "correctly ordered copy.\n\n");
    MR_REQUIRE(different, at, " is repeated");
  }
  return Status();
}

template <class T>
Status sparse_groups(const OpContext& ctx, int first, bool validate, Shape* group_shape, std::vector<Group<T>>* out) {
  const Tensor& indices = ctx.input(first);
  const Tensor& values = ctx.input(first + 1);
  const Tensor& shape = ctx.input(first + 2);
  MR_RETURN_IF_ERROR(check_sparse(indices, values, shape, validate));
  const int64_t rank = shape.dim(0);
  group_shape->clear();
  for (int64_t d = 0; d + 1 < rank; ++d) group_shape->push_back(index_at(shape, d));
  const T* v = values.data<T>();
  for (int64_t n = 0; n < indices.dim(0); ++n) {
    std::vector<int64_t> index(rank - 1);
    for (int64_t d = 0; d + 1 < rank; ++d) {
      index[d] = index_at(indices, n * rank + d);
      // Unvalidated indices still must name a group.
      MR_REQUIRE(index[d] >= 0 && index[d] < (*group_shape)[d], "indices[", n, "] = ", tuple_str(indices, n, rank),
                 " is out of bounds: need 0 <= index < ", shape_str(*group_shape));
    }
    if (out->empty() || out->back().index != index) out->push_back(Group<T>{std::move(index), {}});
    out->back().values.push_back(v[n]);
  }
  for (Group<T>& g : *out) make_set(&g.values);
  return Status();
}

template <class T>
class SetOperationKernel : public OpKernel {
 public:
  explicit SetOperationKernel(KernelInit& init) {
    const std::string& op = init.op();
    dense1_ = op.rfind("Dense", 0) == 0;
    dense2_ = op == "DenseToDenseSetOperation";
    init.get("validate_indices", &validate_);
    std::string name;
    init.get("set_operation", &name);
    if (name == "a-b") set_op_ = SetOp::kAMinusB;
    else if (name == "b-a") set_op_ = SetOp::kBMinusA;
    else if (name == "intersection") set_op_ = SetOp::kIntersection;
    else if (name == "union") set_op_ = SetOp::kUnion;
    else init.fail(invalid_argument(str_cat("Invalid set_operation ", name, ".")));
  }

  Status compute(OpContext& ctx) override {
    Shape shape1, shape2;
    std::vector<Group<T>> g1, g2;
    if (dense1_) MR_RETURN_IF_ERROR(dense_groups(ctx.input(0), &shape1, &g1));
    else MR_RETURN_IF_ERROR(sparse_groups(ctx, 0, validate_, &shape1, &g1));
    if (dense2_) MR_RETURN_IF_ERROR(dense_groups(ctx.input(1), &shape2, &g2));
    else MR_RETURN_IF_ERROR(sparse_groups(ctx, dense1_ ? 1 : 3, validate_, &shape2, &g2));
    MR_REQUIRE(shape1 == shape2, "Mismatched shapes ", shape_str(shape1), " vs ", shape_str(shape2));

    // Merge the two group sequences by group index, as TF walks them.
    std::vector<std::pair<const std::vector<int64_t>*, std::vector<T>>> results;
    const std::vector<T> none;
    size_t i = 0, j = 0;
    while (i < g1.size() || j < g2.size()) {
      const bool take1 = i < g1.size() && (j >= g2.size() || g1[i].index <= g2[j].index);
      const bool take2 = j < g2.size() && (i >= g1.size() || g2[j].index <= g1[i].index);
      const std::vector<int64_t>* index = take1 ? &g1[i].index : &g2[j].index;
      std::vector<T> r = combine(take1 ? g1[i].values : none, take2 ? g2[j].values : none);
      if (!r.empty()) results.emplace_back(index, std::move(r));
      i += take1;
      j += take2;
    }
    size_t total = 0, widest = 0;
    for (const auto& r : results) {
      total += r.second.size();
      widest = std::max(widest, r.second.size());
    }
    const int64_t rank = static_cast<int64_t>(shape1.size()) + 1;
    int64_t* ix = ctx.allocate_output(0, {static_cast<int64_t>(total), rank}).data<int64_t>();
    T* vals = ctx.allocate_output(1, {static_cast<int64_t>(total)}).data<T>();
    int64_t* out_shape = ctx.allocate_output(2, {rank}).data<int64_t>();
    std::copy(shape1.begin(), shape1.end(), out_shape);
    out_shape[rank - 1] = static_cast<int64_t>(widest);
    for (const auto& r : results) {
      for (size_t k = 0; k < r.second.size(); ++k) {
        std::copy(r.first->begin(), r.first->end(), ix);
        ix[rank - 1] = static_cast<int64_t>(k);
        ix += rank;
        *vals++ = r.second[k];
      }
    }
    return Status();
  }

 private:
  std::vector<T> combine(const std::vector<T>& a, const std::vector<T>& b) const {
    std::vector<T> r;
    auto out = std::back_inserter(r);
    switch (set_op_) {
      case SetOp::kAMinusB: std::set_difference(a.begin(), a.end(), b.begin(), b.end(), out); break;
      case SetOp::kBMinusA: std::set_difference(b.begin(), b.end(), a.begin(), a.end(), out); break;
      case SetOp::kIntersection: std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), out); break;
      case SetOp::kUnion: std::set_union(a.begin(), a.end(), b.begin(), b.end(), out); break;
    }
    return r;
  }

  bool dense1_ = false, dense2_ = false, validate_ = true;
  SetOp set_op_ = SetOp::kUnion;
};

template <class T>
class SetSizeKernel : public OpKernel {
 public:
  explicit SetSizeKernel(KernelInit& init) { init.get("validate_indices", &validate_); }

  Status compute(OpContext& ctx) override {
    Shape shape;
    std::vector<Group<T>> groups;
    MR_RETURN_IF_ERROR(sparse_groups(ctx, 0, validate_, &shape, &groups));
    Tensor& out = ctx.allocate_output(0, shape);
    int32_t* o = out.data<int32_t>();
    std::fill(o, o + out.num_elements(), 0);
    for (const Group<T>& g : groups) {
      int64_t flat = 0;
      for (size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + g.index[d];
      o[flat] = static_cast<int32_t>(g.values.size());
    }
    return Status();
  }

 private:
  bool validate_ = true;
};

template <template <class> class K>
auto typed = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<decltype(tag)>>(init);
};

using SetTypes = TypeList<int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, std::string>;

}  // namespace

void register_set_ops(Registry& r) {
  r.add<SetTypes>("DenseToDenseSetOperation", typed<SetOperationKernel>);
  r.add<SetTypes>("DenseToSparseSetOperation", typed<SetOperationKernel>);
  r.add<SetTypes>("SparseToSparseSetOperation", typed<SetOperationKernel>);
  r.add<SetTypes>("SetSize", typed<SetSizeKernel>);
}

}  // namespace metarun
