// Array ops on whole tensors: TensorScatter{Update,Add,Sub,Max,Min} and
// ScatterNdNonAliasingAdd (a copy of the input with scattered slices), Roll,
// LowerBound / UpperBound (tf.searchsorted), UnravelIndex, Bitcast,
// Inplace{Update,Add,Sub}, Angle, NthElement, GuaranteeConst, Empty and Timestamp.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/util/element_copier.h"
#include "kernels/util/elementwise.h"

namespace metarun {
namespace {

struct UpdateOp {
  template <class T> static void apply(T& p, const T& u) { p = u; }
};
struct AddOp {
  template <class T> static void apply(T& p, const T& u) {
    if constexpr (std::is_same_v<T, bool>) p = p || u;
    else p = T(Compute<T>(p) + Compute<T>(u));
  }
};
struct SubOp {
  template <class T> static void apply(T& p, const T& u) { p = T(Compute<T>(p) - Compute<T>(u)); }
};
struct MaxOp {
  template <class T> static void apply(T& p, const T& u) {
    if (Compute<T>(p) < Compute<T>(u)) p = u;
  }
};
struct MinOp {
  template <class T> static void apply(T& p, const T& u) {
    if (Compute<T>(u) < Compute<T>(p)) p = u;
  }
};

// Offsets of the slices the rows of `indices` pick in `shape` (k = the last dim of indices),
// or TF's error naming the first row that does not index into it.
Status slice_offsets(const Tensor& indices, const Shape& shape, int64_t k, int64_t slice, std::vector<int64_t>* out) {
  const int64_t n = k > 0 ? indices.num_elements() / k : 0;
  out->resize(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (int64_t d = 0; d < k; ++d) {
      const int64_t v = index_at(indices, i * k + d);
      if (v < 0 || v >= shape[d]) {
        std::string joined;
        for (int64_t e = 0; e < k; ++e) joined += (e ? ", " : "") + std::to_string(index_at(indices, i * k + e));
        const Shape outer(indices.shape().begin(), indices.shape().end() - 1);
        return invalid_argument(str_cat("indices", index_str(outer, i), " = [", joined,
                                        "] does not index into shape ", shape_str(shape)));
      }
      off = off * shape[d] + v;
    }
    (*out)[i] = off * slice;
  }
  return Status();
}

// The offsets of the slices a non-empty `indices` picks in `shape`, each
// `slice` long.
Status scatter_offsets(const Tensor& indices, const Shape& shape, std::vector<int64_t>* at, int64_t* slice) {
  const int64_t k = indices.rank() > 1 ? indices.shape().back() : (indices.rank() == 1 ? indices.dim(0) : 1);
  MR_REQUIRE(k >= 1 && k <= 7, "Only indices.shape[-1] values between 1 and 7 are currently supported.  ",
             "Requested rank: ", k);
  *slice = dims_product(shape, k, shape.size());
  return slice_offsets(indices, shape, k, *slice, at);
}

// TensorScatter*'s checks and ScatterNdNonAliasingAdd's, the same for every dtype.
bool valid_empty(int64_t inputs, int64_t indices, int64_t updates) {
  if (indices == 0 && updates == 0) return true;
  return inputs != 0 && indices != 0 && updates != 0;
}

Status check_tensor_scatter(const Tensor& input, const Tensor& indices, const Tensor& updates) {
  const Shape& shape = input.shape();
  MR_REQUIRE(indices.rank() >= 1, "Indices shape must have rank at least one. Found:", shape_str(indices.shape()));
  MR_REQUIRE(updates.rank() >= 1, "Updates shape must have rank at least one. Found:", shape_str(updates.shape()));
  MR_REQUIRE(valid_empty(input.num_elements(), indices.num_elements(), updates.num_elements()),
             "Indices and updates specified for empty output shape");
  const int outer = indices.rank() - 1;
  for (int i = 0; i < outer; ++i)
    MR_REQUIRE(i < updates.rank() && indices.dim(i) == updates.dim(i),
               "Outer dimensions of indices and update must match. Indices shape: ", shape_str(indices.shape()),
               ", updates shape:", shape_str(updates.shape()));
  const int64_t ix = indices.dim(outer);
  MR_REQUIRE(updates.rank() - outer == static_cast<int64_t>(shape.size()) - ix,
             "Inner dimensions of output shape must match inner dimensions of updates shape. Output: ",
             shape_str(shape), " updates: ", shape_str(updates.shape()));
  for (int i = 0; i + outer < updates.rank(); ++i)
    MR_REQUIRE(updates.dim(i + outer) == shape[ix + i], "The inner ", shape.size() - ix,
               " dimensions of output.shape=", shape_str(shape), " must match the inner ", updates.rank() - outer,
               " dimensions of updates.shape=", shape_str(updates.shape()));
  return Status();
}

Status check_non_aliasing(const Tensor& input, const Tensor& indices, const Tensor& updates) {
  const Shape& shape = input.shape();
  const int64_t params_rank = static_cast<int64_t>(shape.size());
  const int64_t slice_dim = indices.rank() > 1 ? indices.shape().back() : 1;
  const int64_t batch_dim = indices.rank() > 1 ? indices.rank() - 1 : 1;
  const auto suffix = [&] {
    return invalid_argument(str_cat("Dimensions [", slice_dim, ",", params_rank, ") of input[shape=",
                                    shape_str(shape), "] must match dimensions [", slice_dim, ",", updates.rank(),
                                    ") of updates[shape=", shape_str(updates.shape()), "]"));
  };
  // A scalar `indices` has no dimension 0 to compare: TF reads past its shape there; refuse it plainly.
  MR_REQUIRE(indices.rank() >= 1, "Indices shape must have rank at least one. Found:", shape_str(indices.shape()));
  if (updates.rank() < batch_dim)
    return invalid_argument(str_cat("Dimensions [0,", batch_dim, ") of indices[shape=", shape_str(indices.shape()),
                                    "] must match dimensions [0,", batch_dim, ") of updates[shape=",
                                    shape_str(updates.shape()), "]"));
  if (params_rank < slice_dim + (updates.rank() - batch_dim)) return suffix();
  if (updates.rank() != batch_dim + params_rank - slice_dim) return suffix();
  for (int64_t d = 0; d < batch_dim; ++d)
    if (updates.dim(d) != indices.dim(d))
      return invalid_argument(str_cat("Dimensions [0,", batch_dim, ") of indices[shape=", shape_str(indices.shape()),
                                      "] = ", indices.dim(d), " must match dimensions [0,", batch_dim,
                                      ") of updates[shape=", shape_str(updates.shape()), "] = ", updates.dim(d)));
  for (int64_t d = 0; d < updates.rank() - batch_dim; ++d)
    if (updates.dim(d + batch_dim) != shape[d + slice_dim]) return suffix();
  MR_REQUIRE(valid_empty(input.num_elements(), indices.num_elements(), updates.num_elements()),
             "Indices and updates specified for empty output.  indices shape: ", shape_str(indices.shape()));
  return Status();
}

// tensor (input 0) with updates (input 2) combined into the slices indices (input 1) names.
// `tensor_scatter` picks TF's TensorScatter* checks; else ScatterNdNonAliasingAdd's.
template <class T, class Op>
class TensorScatterKernel : public OpKernel {
 public:
  explicit TensorScatterKernel(KernelInit& init) : tensor_scatter_(init.op().rfind("TensorScatter", 0) == 0) {}

  Status compute(OpContext& ctx) override {
    const Tensor& input = ctx.input(0);
    const Tensor& indices = ctx.input(1);
    const Tensor& updates = ctx.input(2);
    const Shape& shape = input.shape();
    MR_RETURN_IF_ERROR(tensor_scatter_ ? check_tensor_scatter(input, indices, updates)
                                       : check_non_aliasing(input, indices, updates));
    Tensor& out = ctx.forward_or_allocate_output(0, 0, shape);  // updated in place when nothing else holds it
    const T* in = input.data<T>();
    T* o = out.data<T>();
    if (o != in) std::copy(in, in + out.num_elements(), o);
    if (indices.num_elements() == 0) return Status();
    std::vector<int64_t> at;
    int64_t slice = 0;
    MR_RETURN_IF_ERROR(scatter_offsets(indices, shape, &at, &slice));
    const T* u = updates.data<T>();
    for (size_t i = 0; i < at.size(); ++i)
      for (int64_t j = 0; j < slice; ++j) Op::apply(o[at[i] + j], u[i * slice + j]);
    return Status();
  }

 private:
  bool tensor_scatter_;
};

// An update only moves elements: it runs on Storage<T> (element_copier.h),
// compiled once per element size instead of once per dtype.
template <class Op, class T>
using ElementsOf = std::conditional_t<std::is_same_v<Op, UpdateOp>, Storage<T>, T>;

template <class Op>
auto tensor_scatter = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<TensorScatterKernel<ElementsOf<Op, decltype(tag)>, Op>>(init);
};

// Roll: elements shifted along each axis (shifts on one axis add up), wrapping around.
template <class T>
class RollKernel : public OpKernel {
 public:
  explicit RollKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& shift = ctx.input(1);
    const Tensor& axis = ctx.input(2);
    MR_REQUIRE(in.rank() >= 1, "input must be 1-D or higher");
    MR_REQUIRE(shift.rank() <= 1, "shift must be a scalar or a 1-D vector. Found: ", shape_str(shift.shape()));
    MR_REQUIRE(axis.rank() <= 1, "axis must be a scalar or a 1-D vector. Found: ", shape_str(axis.shape()));
    MR_REQUIRE(shift.shape() == axis.shape(), "shift and axis must have the same size");
    const int rank = in.rank();
    std::vector<int64_t> total(rank, 0);
    for (int64_t i = 0, n = shift.num_elements(); i < n; ++i) {
      int64_t a = index_at(axis, i);
      const int64_t given = a;
      if (a < 0) a += rank;
      MR_REQUIRE(a >= 0 && a < rank, "axis ", given, " is out of range");
      total[a] += index_at(shift, i);
    }
    Tensor& out = ctx.allocate_output(0, in.shape());
    const int64_t n = in.num_elements();
    if (n == 0) return Status();
    std::vector<int64_t> stride(rank, 1), off(rank);
    for (int d = rank - 1; d > 0; --d) stride[d - 1] = stride[d] * in.dim(d);
    for (int d = 0; d < rank; ++d) {
      const int64_t size = in.dim(d);
      off[d] = ((total[d] % size) + size) % size;
    }
    const T* x = in.data<T>();
    T* y = out.data<T>();
    std::vector<int64_t> pos(rank, 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t dst = 0;
      for (int d = 0; d < rank; ++d) {
        int64_t p = pos[d] + off[d];
        if (p >= in.dim(d)) p -= in.dim(d);
        dst += p * stride[d];
      }
      y[dst] = x[i];
      for (int d = rank - 1; d >= 0; --d) {
        if (++pos[d] < in.dim(d)) break;
        pos[d] = 0;
      }
    }
    return Status();
  }
};

// LowerBound / UpperBound: per row, where each value would go in the sorted row.
template <class T, bool kUpper>
class SearchSortedKernel : public OpKernel {
 public:
  explicit SearchSortedKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& sorted = ctx.input(0);
    const Tensor& values = ctx.input(1);
    MR_REQUIRE(sorted.rank() == 2, "Shape must be rank 2 but is rank ", sorted.rank(), " for `sorted_inputs` argument");
    MR_REQUIRE(values.rank() == 2, "Shape must be rank 2 but is rank ", values.rank(), " for `values` argument");
    MR_REQUIRE(sorted.dim(0) == values.dim(0), "Leading dim_size of both tensors must match.");
    Tensor& out = ctx.allocate_output(0, values.shape());
    const int64_t rows = values.dim(0), m = values.dim(1), n = sorted.dim(1);
    const T* s = sorted.data<T>();
    const T* v = values.data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = s + r * n;
      for (int64_t j = 0; j < m; ++j) {
        const auto value = Compute<T>(v[r * m + j]);
        int64_t lo = 0, hi = n;
        while (lo < hi) {  // first position whose element is > value (upper) or >= value (lower)
          const int64_t mid = lo + (hi - lo) / 2;
          const auto e = Compute<T>(row[mid]);
          const bool go_right = kUpper ? !(value < e) : (e < value);
          if (go_right) lo = mid + 1;
          else hi = mid;
        }
        if (out.dtype() == DType::kInt32) out.data<int32_t>()[r * m + j] = static_cast<int32_t>(lo);
        else out.data<int64_t>()[r * m + j] = lo;
      }
    }
    return Status();
  }
};

// UnravelIndex: flat indices into coordinates of `dims` (output [len(dims)] or [len(dims), N]).
template <class T>
class UnravelIndexKernel : public OpKernel {
 public:
  explicit UnravelIndexKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& indices = ctx.input(0);
    const Tensor& dims = ctx.input(1);
    MR_REQUIRE(dims.rank() == 1, "The indices can only be 1-D, got \"", shape_str(dims.shape()), "\"");
    MR_REQUIRE(indices.rank() <= 1, "The indices can only be scalar or vector, got \"", shape_str(indices.shape()),
               "\"");
    const T* d = dims.data<T>();
    const int64_t nd = dims.num_elements();
    T prod = 1;
    for (int64_t i = 0; i < nd; ++i) {
      MR_REQUIRE(d[i] != 0, "Input dims cannot contain a dim of zero, but dims contains zero at index ", i);
      prod = T(prod * d[i]);
    }
    const T* x = indices.data<T>();
    const int64_t n = indices.num_elements();
    for (int64_t i = 0; i < n; ++i) MR_REQUIRE(x[i] < prod, "index is out of bound as with dims");
    Shape out_shape{nd};
    if (indices.rank() == 1) out_shape.push_back(n);
    Tensor& out = ctx.allocate_output(0, out_shape);
    T* o = out.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      T rest = x[i];
      for (int64_t k = nd - 1; k >= 0; --k) {
        o[k * n + i] = T(rest % d[k]);
        rest = T(rest / d[k]);
      }
    }
    return Status();
  }
};

// Bitcast: the same bytes as another dtype; the last dimension absorbs a size change.
class BitcastKernel : public OpKernel {
 public:
  explicit BitcastKernel(KernelInit& init) : out_(base_type(init.output_type(0))) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const int64_t in_size = dtype_size(in.dtype()), out_size = dtype_size(out_);
    Shape shape = in.shape();
    if (in_size < out_size) {  // TF's message names the two dtypes by their enum numbers
      MR_REQUIRE(!shape.empty() && shape.back() * in_size == out_size, "Cannot bitcast from ",
                 static_cast<int>(in.dtype()), " to ", static_cast<int>(out_));
      shape.pop_back();
    } else if (in_size > out_size) {
      shape.push_back(in_size / out_size);
    }
    Tensor out(out_, shape, in.buffer());
    ctx.set_output(0, out);
    return Status();
  }

 private:
  DType out_;
};

// Inplace*'s checks, the same for every dtype.
Status check_inplace(const Tensor& x, const Tensor& i, const Tensor& v) {
  MR_REQUIRE(i.rank() == 1, "i must be a vector. ", shape_str(i.shape()));
  MR_REQUIRE(x.rank() == v.rank(), "x and v shape doesn't match (ranks differ): ", shape_str(x.shape()), " vs. ",
             shape_str(v.shape()));
  for (int d = 1; d < x.rank(); ++d)
    MR_REQUIRE(x.dim(d) == v.dim(d), "x and v shape doesn't match at index ", d, " : ", shape_str(x.shape()),
               " vs. ", shape_str(v.shape()));
  MR_REQUIRE(i.dim(0) == v.dim(0), "i and x shape doesn't match at index 0: ", shape_str(i.shape()), " vs. ",
             shape_str(v.shape()));
  return Status();
}

Status check_inplace_rows(const Tensor& i, int64_t rows) {
  for (int64_t r = 0, n = i.num_elements(); r < n; ++r) {
    const int64_t given = index_at(i, r);
    MR_REQUIRE(rows > 0 && given >= 0, "i[", r, "] = ", given, " is not in [0, ", rows, ")");
  }
  return Status();
}

// Inplace{Update,Add,Sub}: rows i of x (taken modulo its row count, as TF does) combined with v.
template <class T, class Op>
class InplaceKernel : public OpKernel {
 public:
  explicit InplaceKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    if constexpr (std::is_same_v<T, bool> && !std::is_same_v<Op, UpdateOp>) {
      return invalid_argument("Unsupported data type: bool");  // TF registers bool and refuses it when run
    }
    const Tensor& x = ctx.input(0);
    const Tensor& i = ctx.input(1);
    const Tensor& v = ctx.input(2);
    MR_RETURN_IF_ERROR(check_inplace(x, i, v));
    Tensor& out = ctx.forward_or_allocate_output(0, 0, x.shape());
    const T* xs = x.data<T>();
    T* o = out.data<T>();
    if (o != xs) std::copy(xs, xs + x.num_elements(), o);
    if (i.num_elements() == 0) return Status();
    const int64_t rows = x.dim(0);
    const int64_t inner = rows > 0 ? x.num_elements() / rows : 0;
    MR_RETURN_IF_ERROR(check_inplace_rows(i, rows));
    const T* vs = v.data<T>();
    for (int64_t r = 0, n = i.num_elements(); r < n; ++r) {
      const int64_t given = index_at(i, r);
      T* row = o + (given % rows) * inner;
      for (int64_t j = 0; j < inner; ++j) Op::apply(row[j], vs[r * inner + j]);
    }
    return Status();
  }
};

template <class Op>
auto inplace = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<InplaceKernel<ElementsOf<Op, decltype(tag)>, Op>>(init);
};

// Angle: the argument of a complex number, atan2(imag, real).
template <class C>
class AngleKernel : public OpKernel {
 public:
  explicit AngleKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    using R = typename C::value_type;
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, in.shape());
    const C* x = in.data<C>();
    R* y = out.data<R>();
    for (int64_t i = 0, n = in.num_elements(); i < n; ++i) y[i] = std::atan2(x[i].imag(), x[i].real());
    return Status();
  }
};

// NthElement: the n-th smallest (or largest, reversed) value of each last-dimension row.
template <class T>
class NthElementKernel : public OpKernel {
 public:
  explicit NthElementKernel(KernelInit& init) {
    if (init.has_attr("reverse")) init.get("reverse", &reverse_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& n_t = ctx.input(1);
    MR_REQUIRE(n_t.rank() == 0, "N must be scalar but is rank ", n_t.rank());
    const int64_t n = index_at(n_t, 0);
    MR_REQUIRE(n >= 0, "n must be non-negative but is ", n);
    MR_REQUIRE(in.rank() >= 1, "Input must be at least rank 1 but is rank ", in.rank());
    const int64_t cols = in.dim(in.rank() - 1);
    MR_REQUIRE(cols > n, "Input must have last dimension > n = ", n);
    Shape out_shape(in.shape().begin(), in.shape().end() - 1);
    Tensor& out = ctx.allocate_output(0, out_shape);
    const int64_t rows = out.num_elements();
    const T* x = in.data<T>();
    T* y = out.data<T>();
    std::vector<T> row(cols);
    const int64_t at = reverse_ ? cols - 1 - n : n;
    for (int64_t r = 0; r < rows; ++r) {
      std::copy(x + r * cols, x + (r + 1) * cols, row.begin());
      std::nth_element(row.begin(), row.begin() + at, row.end(),
                       [](const T& a, const T& b) { return Compute<T>(a) < Compute<T>(b); });
      y[r] = row[at];
    }
    return Status();
  }

 private:
  bool reverse_ = false;
};

// Empty: a tensor of `shape`; TF leaves it uninitialized unless `init`, metarun always zeroes it.
class EmptyKernel : public OpKernel {
 public:
  explicit EmptyKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& shape_t = ctx.input(0);
    MR_REQUIRE(shape_t.rank() == 1, "shape must be a vector of int32, got shape ", shape_str(shape_t.shape()));
    Shape shape;
    for (int64_t i = 0; i < shape_t.num_elements(); ++i) {
      const int64_t d = index_at(shape_t, i);
      MR_REQUIRE(d >= 0, "Dimension ", d, " must be >= 0");
      shape.push_back(d);
    }
    MR_REQUIRE(num_elements(shape) >= 0, "Shape ", shape_str(shape), " would have more than 2**63 - 1 elements");
    Tensor& out = ctx.allocate_output(0, shape);
    if (!is_object_type(out.dtype()) && out.nbytes() > 0) std::memset(out.raw(), 0, out.nbytes());
    return Status();
  }
};

// Timestamp: seconds since the epoch, as a double.
class TimestampKernel : public OpKernel {
 public:
  explicit TimestampKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    ctx.allocate_output(0, {}).data<double>()[0] = std::chrono::duration<double>(now).count();
    return Status();
  }
};

class IdentityKernel : public OpKernel {
 public:
  explicit IdentityKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    ctx.set_output(0, ctx.input(0));
    return Status();
  }
};

using MoveTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                           uint32_t, uint64_t, complex64, complex128, bool, std::string>;

}  // namespace

void register_array_ops_3(Registry& r) {
  r.add<MoveTypes>("TensorScatterUpdate", tensor_scatter<UpdateOp>);
  r.add<NumberTypes>("TensorScatterAdd", tensor_scatter<AddOp>);
  r.add<NumberTypes>("TensorScatterSub", tensor_scatter<SubOp>);
  r.add<RealTypes>("TensorScatterMax", tensor_scatter<MaxOp>);
  r.add<RealTypes>("TensorScatterMin", tensor_scatter<MinOp>);
  r.add<PodTypes>("ScatterNdNonAliasingAdd", tensor_scatter<AddOp>);
  r.add<MoveTypes>("Roll", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<RollKernel<Storage<decltype(tag)>>>(init);  // only moves elements
  });
  r.add<RealTypes>("LowerBound", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<SearchSortedKernel<decltype(tag), false>>(init);
  });
  r.add<RealTypes>("UpperBound", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<SearchSortedKernel<decltype(tag), true>>(init);
  });
  r.add<IndexTypes>("UnravelIndex", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<UnravelIndexKernel<decltype(tag)>>(init);
  }, TypeFrom::attr_named("Tidx"));
  r.add("Bitcast", [](KernelInit& init) -> std::unique_ptr<OpKernel> { return new_kernel<BitcastKernel>(init); });
  r.add<PodTypes>("InplaceUpdate", inplace<UpdateOp>);
  r.add<PodTypes>("InplaceAdd", inplace<AddOp>);
  r.add<PodTypes>("InplaceSub", inplace<SubOp>);
  r.add<ComplexTypes>("Angle", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<AngleKernel<decltype(tag)>>(init);
  });
  r.add<RealTypes>("NthElement", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<NthElementKernel<decltype(tag)>>(init);
  });
  r.add("GuaranteeConst", [](KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<IdentityKernel>(init);
  });
  r.add("Timestamp", [](KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<TimestampKernel>(init);
  });
  r.add<MoveTypes>("Empty", [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<EmptyKernel>(init);
  }, TypeFrom::attr_named("dtype"));
}

}  // namespace metarun
