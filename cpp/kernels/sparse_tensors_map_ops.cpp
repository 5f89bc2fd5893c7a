// SparseTensorsMap ops: AddSparseToTensorsMap and AddManySparseToTensorsMap
// store SparseTensors in a session resource and output int64 handles to them;
// TakeManySparseFromTensorsMap takes them back out (removing them) and
// stacks them along a new first dimension. tf.train.batch and friends pass
// SparseTensors through their queues this way.
//
// A map is found by "container/name": the container attr ("localhost" when
// empty) and the shared_name attr, else, for the Add ops, the node's own name
// (so tf.train's TakeMany finds it through shared_name = the Add node's name).
// A TakeMany without a shared_name gets a map of its own, "_<n>_<node>", that
// nothing else writes to (TF's private resource naming; the number counts
// process-wide). Each map hands out handles 0, 1, 2... in the order it stores.
//
// TF's quirks kept: TakeMany removes each handle's entry as it reaches it, so
// one unknown handle fails the run after the handles before it were removed;
// the dtype is checked only once all are taken. AddMany stores the batch rows
// that have entries first (in row order) and then an empty SparseTensor for
// each row without, so handles need not increase along the batch.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "framework/registry.h"

namespace metarun {
namespace {

struct StoredSparse {
  Tensor indices;              // int64 [n, rank]
  Tensor values;               // [n]
  std::vector<int64_t> shape;  // rank entries, each >= 0
};

class SparseTensorsMap : public Resource {
 public:
  explicit SparseTensorsMap(std::string name) : name_(std::move(name)) {}

  int64_t add(StoredSparse st) {
    std::lock_guard<std::mutex> l(mu_);
    const int64_t handle = next_++;
    entries_.emplace(handle, std::move(st));
    return handle;
  }

  // The entries of `handles` in order, each removed as it is taken.
  Status take(const int64_t* handles, int64_t n, std::vector<StoredSparse>* out) {
    std::lock_guard<std::mutex> l(mu_);
    out->reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      auto it = entries_.find(handles[i]);
      if (it == entries_.end())
        return invalid_argument(str_cat("Unable to find SparseTensor: ", handles[i], " in map: ", name_));
      out->push_back(std::move(it->second));
      entries_.erase(it);
    }
    return Status();
  }

 private:
  std::mutex mu_;
  const std::string name_;
  int64_t next_ = 0;
  std::unordered_map<int64_t, StoredSparse> entries_;
};

std::mutex g_create_mu;
std::atomic<int64_t> g_private_id{0};

// TF's container names: [A-Za-z0-9.][A-Za-z0-9_.\-/]*
bool valid_container(const std::string& s) {
  auto alnum_dot = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.';
  };
  if (!alnum_dot(s[0])) return false;
  for (char c : s) {
    if (!alnum_dot(c) && c != '_' && c != '-' && c != '/') return false;
  }
  return true;
}

// TF's ContainerInfo: which map a node uses, and its attr errors (reported when the node runs).
class MapAccess {
 public:
  MapAccess(KernelInit& init, bool writing) : node_(init.name()), writing_(writing) {
    if (init.has_attr("container")) init.get("container", &container_);
    if (init.has_attr("shared_name")) init.get("shared_name", &shared_name_);
    if (!container_.empty() && !valid_container(container_))
      attr_error_ = invalid_argument("container contains invalid characters: " + container_);
    else if (!shared_name_.empty() && shared_name_[0] == '_')
      attr_error_ = invalid_argument("shared_name cannot start with '_':" + shared_name_);
    if (container_.empty()) container_ = "localhost";
  }

  Status get(OpContext& ctx, std::shared_ptr<SparseTensorsMap>* out) const {
    MR_RETURN_IF_ERROR(attr_error_);
    const bool is_private = shared_name_.empty() && !writing_;
    // A leading '_' cannot start a shared_name, so private keys meet no shared map.
    const std::string key = str_cat("sparse_tensors_map:", container_, "/",
                                    is_private ? "_private/" + node_ : shared_name_.empty() ? node_ : shared_name_);
    std::lock_guard<std::mutex> l(g_create_mu);
    *out = std::dynamic_pointer_cast<SparseTensorsMap>(ctx.resources().lookup(key));
    if (!*out) {
      std::string name = is_private ? str_cat("_", g_private_id.fetch_add(1), "_", node_)
                                    : shared_name_.empty() ? node_ : shared_name_;
      *out = std::make_shared<SparseTensorsMap>(std::move(name));
      ctx.resources().insert(key, *out);
    }
    return Status();
  }

 private:
  std::string node_, container_, shared_name_;
  bool writing_;
  Status attr_error_;
};

Status check_input_ranks(const Tensor& ind, const Tensor& vals, const Tensor& shape) {
  MR_REQUIRE(ind.dtype() == DType::kInt64 && shape.dtype() == DType::kInt64,
             "sparse_indices and sparse_shape must be int64");
  MR_REQUIRE(ind.rank() == 2, "Input indices should be a matrix but received shape ", shape_str(ind.shape()));
  MR_REQUIRE(vals.rank() == 1, "Input values should be a vector but received shape ", shape_str(vals.shape()));
  MR_REQUIRE(shape.rank() == 1, "Input shape should be a vector but received shape ", shape_str(shape.shape()));
  return Status();
}

// TF's limit on a TensorShape's rank.
constexpr int64_t kMaxDims = 254;

// TF's MultiplyWithoutOverflow: -1 when the unsigned product overflows, else
// the product cast to int64 (negative past 2**63 - 1).
int64_t multiply_checked(int64_t x, int64_t y) {
  const uint64_t ux = static_cast<uint64_t>(x), uy = static_cast<uint64_t>(y), uxy = ux * uy;
  if (((ux | uy) >> 32) != 0 && ux != 0 && uxy / ux != uy) return -1;
  return static_cast<int64_t>(uxy);
}

// AddSparseToTensorsMap's shape, as TF's TensorShapeUtils::MakeShape words its errors.
Status make_shape(const std::vector<int64_t>& dims) {
  MR_REQUIRE(static_cast<int64_t>(dims.size()) <= kMaxDims, "Too many dimensions");
  int64_t n = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    MR_REQUIRE(dims[i] >= 0, "Dimension ", dims[i], " must be >= 0");
    n = multiply_checked(n, dims[i]);
    MR_REQUIRE(n >= 0, "Shape ", shape_str(Shape(dims.begin(), dims.end())),
               " would have more than 2**63 - 1 elements");
  }
  return Status();
}

// AddManySparseToTensorsMap's shape, as TF's TensorShape::BuildTensorShape words its
// errors: when every dim is small, negatives are reported before anything else;
// otherwise dim by dim, with the product's overflow.
Status build_shape(const std::vector<int64_t>& dims) {
  constexpr int64_t kMaxSmall = 0xd744;  // TF's bound below which 4 dims cannot overflow
  bool large = false;
  for (int64_t d : dims) large = large || d > kMaxSmall;
  if (!large) {
    for (int64_t d : dims) MR_REQUIRE(d >= 0, "Expected shape dimensions to be non-negative, got ", d);
  }
  int64_t n = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    MR_REQUIRE(dims[i] >= 0, "Expected a non-negative size, got ", dims[i]);
    MR_REQUIRE(static_cast<int64_t>(i) < kMaxDims, "Too many dimensions in tensor");
    const int64_t next = multiply_checked(n, dims[i]);
    MR_REQUIRE(next >= 0, "Encountered overflow when multiplying ", n, " with ", dims[i], ", result: ", next);
    n = next;
  }
  return Status();
}

std::string row_str(const int64_t* ind, int64_t row, int64_t rank) {
  std::string s = "[";
  for (int64_t d = 0; d < rank; ++d) s += (d ? "," : "") + std::to_string(ind[row * rank + d]);
  return s + "]";
}

// TF's SparseTensor::IndicesValid: in bounds, then strictly increasing in row-major order.
Status indices_valid(const Tensor& indices, const std::vector<int64_t>& shape) {
  const int64_t n = indices.dim(0), rank = indices.dim(1);
  const int64_t* ind = indices.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t* row = ind + i * rank;
    bool in_bounds = true;
    for (int64_t d = 0; d < rank; ++d) in_bounds = in_bounds && row[d] >= 0 && row[d] < shape[d];
    MR_REQUIRE(in_bounds, "indices[", i, "] = ", row_str(ind, i, rank),
               " is out of bounds: need 0 <= index < ", shape_str(Shape(shape.begin(), shape.end())));
    if (i == 0) continue;
    int cmp = 0;
    for (int64_t d = 0; d < rank && cmp == 0; ++d) cmp = row[d] < row[d - rank] ? -1 : row[d] > row[d - rank] ? 1 : 0;
    MR_REQUIRE(cmp >= 0, "indices[", i, "] = ", row_str(ind, i, rank),
               " is out of order. Many sparse ops require sorted indices.\n    Use `tf.sparse.reorder` to create a "
               "correctly ordered copy.\n\n");
    MR_REQUIRE(cmp > 0, "indices[", i, "] = ", row_str(ind, i, rank), " is repeated");
  }
  return Status();
}

class AddSparseToTensorsMap : public OpKernel {
 public:
  explicit AddSparseToTensorsMap(KernelInit& init) : map_(init, true) {}

  Status compute(OpContext& ctx) override {
    std::shared_ptr<SparseTensorsMap> map;
    MR_RETURN_IF_ERROR(map_.get(ctx, &map));
    const Tensor &ind = ctx.input(0), &vals = ctx.input(1), &shape_t = ctx.input(2);
    MR_RETURN_IF_ERROR(check_input_ranks(ind, vals, shape_t));
    std::vector<int64_t> shape(shape_t.data<int64_t>(), shape_t.data<int64_t>() + shape_t.num_elements());
    MR_RETURN_IF_ERROR(make_shape(shape));
    MR_REQUIRE(ind.dim(0) == vals.dim(0), "indices and values rows (indexing dimension) must match. (indices = ",
               ind.dim(0), ", values = ", vals.dim(0), ")");
    MR_REQUIRE(ind.dim(1) == static_cast<int64_t>(shape.size()), "Order length must be SparseTensor rank.");
    // Copies: an input may be a fed array its owner changes after the run, or a variable's buffer.
    StoredSparse st{ind.deep_copy(), vals.deep_copy(), std::move(shape)};
    ctx.set_output(0, Tensor::scalar<int64_t>(map->add(std::move(st))));
    return Status();
  }

 private:
  MapAccess map_;
};

// Bytes a stored entry costs beyond its tensors (the map node, shape, handles), for the
// bound on how many empty rows one AddMany may store.
constexpr uint64_t kEntryBytes = 160;

// Copies values src[src_at, src_at + n) to dst[dst_at, ...): the one part of
// the two batch kernels that depends on the dtype.
using CopyValues = void (*)(const Tensor& src, int64_t src_at, Tensor& dst, int64_t dst_at, int64_t n);
template <class T>
void copy_values(const Tensor& src, int64_t src_at, Tensor& dst, int64_t dst_at, int64_t n) {
  std::copy(src.data<T>() + src_at, src.data<T>() + src_at + n, dst.data<T>() + dst_at);
}

class AddManySparseToTensorsMap : public OpKernel {
 public:
  AddManySparseToTensorsMap(KernelInit& init, DType dtype, CopyValues copy)
      : map_(init, true), dtype_(dtype), copy_(copy) {}

  Status compute(OpContext& ctx) override {
    std::shared_ptr<SparseTensorsMap> map;
    MR_RETURN_IF_ERROR(map_.get(ctx, &map));
    const Tensor &ind = ctx.input(0), &vals = ctx.input(1), &shape_t = ctx.input(2);
    MR_RETURN_IF_ERROR(check_input_ranks(ind, vals, shape_t));
    MR_REQUIRE(vals.dim(0) == ind.dim(0), "Number of values must match first dimension of indices. Got ",
               vals.dim(0), " values, indices shape: ", shape_str(ind.shape()));
    MR_REQUIRE(shape_t.dim(0) == ind.dim(1), "Number of dimensions must match second dimension of indices. Got ",
               shape_t.dim(0), " dimensions, indices shape: ", shape_str(ind.shape()));
    const int64_t rank = shape_t.dim(0);
    MR_REQUIRE(rank > 1, "Rank of input SparseTensor should be > 1, but saw rank: ", rank);
    const std::vector<int64_t> shape(shape_t.data<int64_t>(), shape_t.data<int64_t>() + rank);
    MR_RETURN_IF_ERROR(build_shape(shape));
    const int64_t batch = shape[0];
    if (static_cast<uint64_t>(batch) > max_allocation_bytes() / kEntryBytes)
      return oom_status(DType::kInt64, {batch});
    Tensor handles(DType::kInt64, {batch});
    MR_RETURN_IF_ERROR(indices_valid(ind, shape));

    const std::vector<int64_t> row_shape(shape.begin() + 1, shape.end());
    const int64_t n = ind.dim(0);
    const int64_t* in = ind.data<int64_t>();
    int64_t* out = handles.data<int64_t>();
    std::vector<bool> seen(static_cast<size_t>(batch), false);
    // Valid indices are sorted, so each batch row's entries are one run.
    for (int64_t begin = 0, end; begin < n; begin = end) {
      const int64_t b = in[begin * rank];
      for (end = begin + 1; end < n && in[end * rank] == b;) ++end;
      StoredSparse st{Tensor(DType::kInt64, {end - begin, rank - 1}), Tensor(dtype_, {end - begin}), row_shape};
      int64_t* oi = st.indices.data<int64_t>();
      for (int64_t i = begin; i < end; ++i)
        for (int64_t d = 1; d < rank; ++d) *oi++ = in[i * rank + d];
      copy_(vals, begin, st.values, 0, end - begin);
      seen[b] = true;
      out[b] = map->add(std::move(st));
    }
    const StoredSparse empty{Tensor(DType::kInt64, {0, rank - 1}), Tensor(dtype_, {0}), row_shape};
    for (int64_t b = 0; b < batch; ++b) {
      if (!seen[b]) out[b] = map->add(empty);
    }
    ctx.set_output(0, std::move(handles));
    return Status();
  }

 private:
  MapAccess map_;
  DType dtype_;
  CopyValues copy_;
};

class TakeManySparseFromTensorsMap : public OpKernel {
 public:
  TakeManySparseFromTensorsMap(KernelInit& init, DType dtype, CopyValues copy)
      : map_(init, false), dtype_(dtype), copy_(copy) {}

  Status compute(OpContext& ctx) override {
    std::shared_ptr<SparseTensorsMap> map;
    MR_RETURN_IF_ERROR(map_.get(ctx, &map));
    const Tensor& handles = ctx.input(0);
    MR_REQUIRE(handles.dtype() == DType::kInt64, "sparse_handles must be int64");
    MR_REQUIRE(handles.rank() == 1, "sparse_handles should be a vector but received shape ",
               shape_str(handles.shape()));
    const int64_t count = handles.dim(0);
    MR_REQUIRE(count > 0, "Must have at least 1 serialized SparseTensor, but input matrix has 0 rows");
    std::vector<StoredSparse> parts;
    MR_RETURN_IF_ERROR(map->take(handles.data<int64_t>(), count, &parts));

    int64_t entries = 0;
    for (int64_t i = 0; i < count; ++i) {
      const StoredSparse& st = parts[i];
      MR_REQUIRE(st.values.dtype() == dtype_, "Requested SparseTensor of type ", dtype_name(dtype_),
                 " but SparseTensor[", i, "].values.dtype() == ", dtype_name(st.values.dtype()));
      entries += st.indices.dim(0);
    }
    const int64_t rank = static_cast<int64_t>(parts[0].shape.size()) + 1;
    for (int64_t i = 0; i < count; ++i) {
      const int64_t r = static_cast<int64_t>(parts[i].shape.size()) + 1;
      MR_REQUIRE(r == rank, "Inconsistent rank across SparseTensors: rank prior to SparseTensor[", i, "] was: ", rank,
                 " but rank of SparseTensor[", i, "] is: ", r);
    }
    // The stacked shape: the count, then each dim's largest size.
    Tensor& out_shape = ctx.allocate_output(2, {rank});
    int64_t* os = out_shape.data<int64_t>();
    os[0] = count;
    for (int64_t d = 1; d < rank; ++d) {
      os[d] = 0;
      for (const StoredSparse& st : parts) os[d] = std::max(os[d], st.shape[d - 1]);
    }
    Tensor& out_ind = ctx.allocate_output(0, {entries, rank});
    Tensor& out_vals = ctx.allocate_output(1, {entries});
    int64_t* oi = out_ind.data<int64_t>();
    int64_t at = 0;
    for (int64_t i = 0; i < count; ++i) {
      const StoredSparse& st = parts[i];
      const int64_t n = st.indices.dim(0);
      const int64_t* in = st.indices.data<int64_t>();
      for (int64_t e = 0; e < n; ++e) {
        *oi++ = i;
        for (int64_t d = 0; d + 1 < rank; ++d) *oi++ = in[e * (rank - 1) + d];
      }
      copy_(st.values, 0, out_vals, at, n);
      at += n;
    }
    return Status();
  }

 private:
  MapAccess map_;
  DType dtype_;
  CopyValues copy_;
};

}  // namespace

void register_sparse_tensors_map_ops(Registry& r) {
  // TF's TF_CALL_ALL_TYPES.
  using MapTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                            uint32_t, uint64_t, complex64, complex128, bool, std::string, ResourceHandle, Variant>;
  // TF registers it for every dtype: it only keeps the tensors.
  r.add("AddSparseToTensorsMap", make_kernel<AddSparseToTensorsMap>);
  r.add<MapTypes>("AddManySparseToTensorsMap", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    using T = decltype(tag);
    return new_kernel<AddManySparseToTensorsMap>(init, dtype_of<T>, copy_values<T>);
  });
  r.add<MapTypes>("TakeManySparseFromTensorsMap", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    using T = decltype(tag);
    return new_kernel<TakeManySparseFromTensorsMap>(init, dtype_of<T>, copy_values<T>);
  }, TypeFrom::attr_named("dtype"));
}

}  // namespace metarun
