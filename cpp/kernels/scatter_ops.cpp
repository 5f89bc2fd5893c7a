// Scatter updates into variables: Scatter{Add,Sub,Mul,Div,Update,Max,Min}
// and ScatterNd{Update,Add,Sub,Max,Min} on ref variables (the op outputs the
// variable) and their Resource twins.
// Rows of the variable (its first dimension) named by `indices` are combined
// with the matching slices of `updates`, in index order: repeated indices
// accumulate, and for Update the last one wins, as in TF's CPU kernels.
#include "kernels/util/var_update.h"

namespace metarun {
namespace {

struct AssignOp {
  template <class T> static void apply(T& p, const T& u) { p = u; }
};
struct AddOp {
  template <class T> static void apply(T& p, const T& u) { p = T(p + u); }
};
struct SubOp {
  template <class T> static void apply(T& p, const T& u) { p = T(p - u); }
};
struct MulOp {
  template <class T> static void apply(T& p, const T& u) { p = T(p * u); }
};
struct DivOp {
  template <class T> static void apply(T& p, const T& u) { p = T(p / u); }
};
// Eigen's cwiseMax/Min: the update wins only when strictly greater/less.
struct MaxOp {
  template <class T> static void apply(T& p, const T& u) {
    if (p < u) p = u;
  }
};
struct MinOp {
  template <class T> static void apply(T& p, const T& u) {
    if (u < p) p = u;
  }
};

// The part of every Scatter kernel that is the same for all dtypes (the
// variable's locking and the checks of shapes and indices), compiled once
// rather than per (dtype, op) class.
class ScatterBase : public OpKernel {
 protected:
  explicit ScatterBase(KernelInit& init) : resource_(init.op().rfind("Resource", 0) == 0) {
    if (!resource_) init.take_ref_input(0);
    if (init.has_attr("use_locking")) init.get("use_locking", &use_locking_);
  }
  Status lock(OpContext& ctx, DType dtype, LockedVars* vars) const {
    return vars->acquire(ctx, resource_, 1, dtype, use_locking_);
  }
  void finish(OpContext& ctx, const LockedVars& vars) const {
    if (!resource_) ctx.set_output_ref(0, vars.var(0));
  }

 private:
  bool resource_;
  bool use_locking_ = true;
};

// Scatter{Add,...}: the rows of params that `idx` picks, `inner` elements each.
struct RowPlan {
  std::vector<int64_t> idx;
  int64_t inner = 0;
  bool scalar_update = false;
};

Status plan_rows(const Tensor& params, const Tensor& indices, const Tensor& updates, RowPlan* plan) {
  plan->scalar_update = updates.rank() == 0;
  Shape want = indices.shape();
  if (params.rank() > 0) want.insert(want.end(), params.shape().begin() + 1, params.shape().end());
  MR_REQUIRE(params.rank() > 0 && (plan->scalar_update || updates.shape() == want),
             "Must have updates.shape = indices.shape + params.shape[1:] or updates.shape = [], got ",
             "updates.shape ", shape_str(updates.shape()), ", indices.shape ", shape_str(indices.shape()),
             ", params.shape ", shape_str(params.shape()));
  std::vector<int64_t>& idx = plan->idx;
  MR_RETURN_IF_ERROR(read_indices(indices, &idx));
  const int64_t rows = params.dim(0);
  for (size_t i = 0; i < idx.size(); ++i)
    MR_REQUIRE(idx[i] >= 0 && idx[i] < rows, "indices[", i, "] = ", idx[i], " is not in [0, ", rows, ")");
  plan->inner = rows > 0 ? params.num_elements() / rows : 0;
  return Status();
}

template <class T, class Op>
class ScatterKernel : public ScatterBase {
 public:
  explicit ScatterKernel(KernelInit& init) : ScatterBase(init) {}

  Status compute(OpContext& ctx) override {
    LockedVars vars;
    MR_RETURN_IF_ERROR(lock(ctx, dtype_of<T>, &vars));
    const Tensor& updates = ctx.input(2);
    RowPlan plan;
    MR_RETURN_IF_ERROR(plan_rows(vars.value(0), ctx.input(1), updates, &plan));
    const std::vector<int64_t>& idx = plan.idx;
    if constexpr (std::is_integral_v<T> && std::is_same_v<Op, DivOp>) {
      const T* u = updates.data<T>();
      for (int64_t i = 0, n = idx.empty() ? 0 : updates.num_elements(); i < n; ++i)
        MR_REQUIRE(u[i] != T(0), "Integer division by zero");  // TF's kernel would trap
    }
    const int64_t inner = plan.inner;
    T* p = vars.value(0).data<T>();
    const T* u = updates.data<T>();
    for (size_t i = 0; i < idx.size(); ++i) {
      T* row = p + idx[i] * inner;
      if (plan.scalar_update) {
        for (int64_t j = 0; j < inner; ++j) Op::apply(row[j], *u);
      } else {
        const T* src = u + i * inner;
        for (int64_t j = 0; j < inner; ++j) Op::apply(row[j], src[j]);
      }
    }
    finish(ctx, vars);
    return Status();
  }
};

// Slice `i` of `shape`'s outer dims as TF prints it: "[0,1]".
std::string slice_str(const Shape& outer, int64_t i) {
  std::vector<int64_t> pos(outer.size());
  for (size_t d = outer.size(); d-- > 0;) {
    pos[d] = outer[d] ? i % outer[d] : 0;
    i = outer[d] ? i / outer[d] : 0;
  }
  return shape_str(pos);
}

// ScatterNd{Update,Add,Sub}: each row of `indices` (its last dimension, K
// long) picks one slice params[i0, ..., iK-1, ...] combined with the matching
// slice of `updates`. Slice i is params[offsets[i], offsets[i] + slice).
struct SlicePlan {
  std::vector<int64_t> offsets;
  int64_t slice = 1;
};

Status plan_slices(const Tensor& params, const Tensor& indices, const Tensor& updates, SlicePlan* plan) {
  const Shape& ps = params.shape();
  MR_REQUIRE(indices.rank() >= 1, "Indices shape must have rank at least one. Found:",
             shape_str(indices.shape()));
  const int k = static_cast<int>(indices.shape().back());
  MR_REQUIRE(k <= params.rank(), "Index innermost dimension length must be <= params rank; saw: ", k, " vs. ",
             params.rank());
  Shape outer(indices.shape().begin(), indices.shape().end() - 1);
  Shape want = outer;
  want.insert(want.end(), ps.begin() + k, ps.end());
  MR_REQUIRE(updates.shape() == want, "updates must have shape indices.shape[:-1] + params.shape[K:] = ",
             shape_str(want), ", got updates.shape ", shape_str(updates.shape()), ", indices.shape ",
             shape_str(indices.shape()), ", params.shape ", shape_str(ps));
  std::vector<int64_t> idx;
  MR_RETURN_IF_ERROR(read_indices(indices, &idx));
  const int64_t n = num_elements(outer);
  int64_t slice = 1;
  for (size_t d = k; d < ps.size(); ++d) slice *= ps[d];
  plan->offsets.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    bool ok = true;
    for (int d = 0; d < k; ++d) {
      int64_t v = idx[i * k + d];
      ok = ok && v >= 0 && v < ps[d];
      off = off * ps[d] + v;
    }
    if (!ok) {
      std::vector<int64_t> bad(idx.begin() + i * k, idx.begin() + (i + 1) * k);
      std::string joined = shape_str(bad);
      return invalid_argument(str_cat("indices", slice_str(outer, i), " = ", joined,
                                      " does not index into shape ", shape_str(ps)));
    }
    plan->offsets[i] = off * slice;
  }
  plan->slice = slice;
  return Status();
}

template <class T, class Op>
class ScatterNdKernel : public ScatterBase {
 public:
  explicit ScatterNdKernel(KernelInit& init) : ScatterBase(init) {}

  Status compute(OpContext& ctx) override {
    LockedVars vars;
    MR_RETURN_IF_ERROR(lock(ctx, dtype_of<T>, &vars));
    const Tensor& updates = ctx.input(2);
    SlicePlan plan;
    MR_RETURN_IF_ERROR(plan_slices(vars.value(0), ctx.input(1), updates, &plan));
    T* p = vars.value(0).data<T>();
    const T* u = updates.data<T>();
    const int64_t n = static_cast<int64_t>(plan.offsets.size()), slice = plan.slice;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < slice; ++j) Op::apply(p[plan.offsets[i] + j], u[i * slice + j]);
    finish(ctx, vars);
    return Status();
  }
};

template <class Op>
auto scatter_nd = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<ScatterNdKernel<decltype(tag), Op>>(init);
};

template <class Op>
auto scatter = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<ScatterKernel<decltype(tag), Op>>(init);
};

// ScatterUpdate also moves strings and bools.
using UpdateTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t,
                             uint16_t, uint32_t, uint64_t, complex64, complex128, bool, std::string>;

// Registers the ref op (dtype attr "T") and its Resource twin.
template <class List, class Make>
void add_pair(Registry& r, const std::string& op, Make make, const char* resource_attr = "dtype") {
  r.add<List>(op, make);
  r.add<List>("Resource" + op, make, TypeFrom::attr_named(resource_attr));
}

}  // namespace

void register_scatter_ops(Registry& r) {
  add_pair<NumberTypes>(r, "ScatterAdd", scatter<AddOp>);
  add_pair<NumberTypes>(r, "ScatterSub", scatter<SubOp>);
  add_pair<NumberTypes>(r, "ScatterMul", scatter<MulOp>);
  add_pair<NumberTypes>(r, "ScatterDiv", scatter<DivOp>);
  add_pair<RealTypes>(r, "ScatterMax", scatter<MaxOp>);
  add_pair<RealTypes>(r, "ScatterMin", scatter<MinOp>);
  add_pair<UpdateTypes>(r, "ScatterUpdate", scatter<AssignOp>);
  add_pair<UpdateTypes>(r, "ScatterNdUpdate", scatter_nd<AssignOp>, "T");
  add_pair<PodTypes>(r, "ScatterNdAdd", scatter_nd<AddOp>, "T");
  add_pair<PodTypes>(r, "ScatterNdSub", scatter_nd<SubOp>, "T");
  add_pair<RealTypes>(r, "ScatterNdMax", scatter_nd<MaxOp>, "T");
  add_pair<RealTypes>(r, "ScatterNdMin", scatter_nd<MinOp>, "T");
}

}  // namespace metarun
