// SerializeSparse, SerializeManySparse, DeserializeSparse and
// DeserializeManySparse: a SparseTensor as three parts (indices, values,
// dense_shape), each either the bytes of a TensorProto (out_type string, TF's
// exact bytes) or the part itself boxed in a variant element (out_type
// variant), and back. A serialized batch [..., 3] deserializes to one
// SparseTensor with the batch dims in front and, per element dim, the largest
// size any element has.
//
// The string and variant readers check different things in a different order,
// as TF's two DeserializeSparse kernels do (the string one concatenates and
// then reshapes a [N, ...] tensor, so out-of-range element indices spill into
// the neighbouring batch position; the variant one writes batch coordinates
// directly).
#include <algorithm>
#include <cstring>

#include "framework/registry.h"
#include "kernels/util/tensor_proto.h"

namespace metarun {
namespace {

// A tensor held by a variant element (TF's Variant holding a Tensor).
class TensorBox : public VariantValue {
 public:
  explicit TensorBox(Tensor t) : tensor(std::move(t)) {}
  std::string type_name() const override { return "tensorflow::Tensor"; }
  Tensor tensor;
};

// The element types of values: TF's POD types and strings.
using SerialTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                             uint32_t, uint64_t, complex64, complex128, bool, std::string>;

// Element i of `out` (string or variant) made to hold `part`.
void put_part(const Tensor& part, Tensor& out, int64_t i) {
  if (out.dtype() == DType::kString)
    encode_tensor_proto(part, &out.data<std::string>()[i]);
  else
    out.data<Variant>()[i].value = std::make_shared<TensorBox>(part);
}

Status check_inputs(const Tensor& indices, const Tensor& values, const Tensor& shape) {
  MR_REQUIRE(indices.rank() == 2, "Input indices should be a matrix but received shape ", shape_str(indices.shape()));
  MR_REQUIRE(values.rank() == 1, "Input values should be a vector but received shape ", shape_str(values.shape()));
  MR_REQUIRE(shape.rank() == 1, "Input shape should be a vector but received shape ", shape_str(shape.shape()));
  return Status();
}

// Copies elements [from, from + n) of `src` to [to, to + n) of `dst`.
void copy_values(const Tensor& src, int64_t from, int64_t n, Tensor& dst, int64_t to = 0) {
  if (src.dtype() == DType::kString) {
    std::copy_n(src.data<std::string>() + from, n, dst.data<std::string>() + to);
  } else if (src.dtype() == DType::kVariant) {
    std::copy_n(src.data<Variant>() + from, n, dst.data<Variant>() + to);
  } else {
    const size_t size = dtype_size(src.dtype());
    if (n > 0) std::memcpy(static_cast<char*>(dst.raw()) + to * size, static_cast<const char*>(src.raw()) + from * size,
                           n * size);
  }
}

class SerializeSparseOp : public OpKernel {
 public:
  explicit SerializeSparseOp(KernelInit& init) {}
  Status compute(OpContext& ctx) override {
    const Tensor &indices = ctx.input(0), &values = ctx.input(1), &shape = ctx.input(2);
    MR_RETURN_IF_ERROR(check_inputs(indices, values, shape));
    Tensor& out = ctx.allocate_output(0, {3});
    put_part(indices, out, 0);
    put_part(values, out, 1);
    put_part(shape, out, 2);
    return Status();
  }
};

// TF's SparseTensor::IndicesValid on a row-major order: every index in
// bounds and each row after the one before.
Status indices_valid(const int64_t* ind, int64_t n, const Shape& dims) {
  const int64_t rank = static_cast<int64_t>(dims.size());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t* row = ind + i * rank;
    bool in_bounds = true, different = i == 0, increasing = true;
    for (int64_t d = 0; d < rank; ++d) {
      in_bounds = in_bounds && row[d] >= 0 && row[d] < dims[d];
      if (i > 0 && !different && row[d] != row[d - rank]) {
        different = true;
        increasing = row[d] > row[d - rank];
      }
    }
    if (in_bounds && increasing && different) continue;
    std::string at = str_cat("indices[", i, "] = [");
    for (int64_t d = 0; d < rank; ++d) at += str_cat(row[d], d + 1 < rank ? "," : "]");
    MR_REQUIRE(in_bounds, at, " is out of bounds: need 0 <= index < ", shape_str(dims));
    MR_REQUIRE(increasing, at,
               " is out of order. Many sparse ops require sorted indices.\n    Use `tf.sparse.reorder` to create a "
               "correctly ordered copy.\n\n");
    return invalid_argument(str_cat(at, " is repeated"));
  }
  return Status();
}

// A dense shape from an int64 vector, with TensorShape's checks.
Status shape_from(const int64_t* v, int64_t n, Shape* out) {
  out->assign(v, v + n);
  for (int64_t d : *out) MR_REQUIRE(d >= 0, "Expected shape dimensions to be non-negative, got ", d);
  return check_shape(*out);
}

class SerializeManySparseOp : public OpKernel {
 public:
  explicit SerializeManySparseOp(KernelInit& init) : dtype_(init.input_type(1)) {}
  Status compute(OpContext& ctx) override {
    const Tensor &indices = ctx.input(0), &values = ctx.input(1), &shape = ctx.input(2);
    MR_RETURN_IF_ERROR(check_inputs(indices, values, shape));
    const int64_t rank = shape.num_elements();
    MR_REQUIRE(rank > 1, "Rank of input SparseTensor should be > 1, but saw rank: ", rank);
    Shape dims;
    MR_RETURN_IF_ERROR(shape_from(shape.data<int64_t>(), rank, &dims));
    const int64_t n = indices.dim(0);
    MR_REQUIRE(n == values.dim(0), "indices and values rows (indexing dimension) must match. (indices = ", n,
               ", values = ", values.dim(0), ")");
    MR_REQUIRE(indices.dim(1) == rank, "Order length must be SparseTensor rank.");
    Tensor& out = ctx.allocate_output(0, {dims[0], 3});
    const int64_t* ind = indices.data<int64_t>();
    MR_RETURN_IF_ERROR(indices_valid(ind, n, dims));

    // Rows no index names hold an empty tensor of the element shape.
    Tensor element_shape(DType::kInt64, {rank - 1});
    std::copy(dims.begin() + 1, dims.end(), element_shape.data<int64_t>());
    Tensor blank(out.dtype(), {3});
    put_part(Tensor(DType::kInt64, {0, rank - 1}), blank, 0);
    put_part(Tensor(dtype_, {0}), blank, 1);
    put_part(element_shape, blank, 2);
    for (int64_t b = 0; b < dims[0]; ++b) copy_values(blank, 0, 3, out, 3 * b);

    for (int64_t start = 0, end; start < n; start = end) {  // runs of one batch index (sorted)
      const int64_t b = ind[start * rank];
      for (end = start + 1; end < n && ind[end * rank] == b;) ++end;
      Tensor part_indices(DType::kInt64, {end - start, rank - 1});
      int64_t* dst = part_indices.data<int64_t>();
      for (int64_t i = start; i < end; ++i) dst = std::copy(ind + i * rank + 1, ind + (i + 1) * rank, dst);
      Tensor part_values(dtype_, {end - start});
      copy_values(values, start, end - start, part_values);
      put_part(part_indices, out, 3 * b);
      put_part(part_values, out, 3 * b + 1);
    }
    return Status();
  }

 private:
  DType dtype_;
};

// One serialized SparseTensor's parts, read and checked.
struct Parts {
  Tensor indices, values, shape;
};

// Element i's three strings as TF's string DeserializeSparse reads them.
Status read_string_parts(const std::string* s, int64_t i, DType dtype, Parts* p) {
  Tensor* dst[3] = {&p->indices, &p->values, &p->shape};
  for (int k = 0; k < 3; ++k) {
    TensorProtoReader proto;
    MR_REQUIRE(proto.parse(s[k]), "Could not parse serialized proto");
    MR_REQUIRE(proto.valid(), "Could not construct tensor from proto");
    *dst[k] = proto.tensor();
    if (k == 0) {
      MR_REQUIRE(p->indices.rank() == 2, "Expected serialized_sparse[", i,
                 ", 0] to represent an index matrix but received shape ", shape_str(p->indices.shape()));
    } else if (k == 1) {
      MR_REQUIRE(p->values.rank() == 1, "Expected serialized_sparse[", i,
                 ", 1] to represent a values vector but received shape ", shape_str(p->values.shape()));
      MR_REQUIRE(p->values.dtype() == dtype, "Requested SparseTensor of type ", dtype_name(dtype), " but SparseTensor[",
                 i, "].values.dtype() == ", dtype_name(p->values.dtype()));
      MR_REQUIRE(p->indices.dim(0) == p->values.dim(0), "Expected row counts of SparseTensor[", i,
                 "].indices and SparseTensor[", i, "].values to match but they do not: ", p->indices.dim(0), " vs. ",
                 p->values.dim(0));
    } else {
      // TF's message names [i, 1] here
      MR_REQUIRE(p->shape.rank() == 1, "Expected serialized_sparse[", i, ", 1] to be a shape vector but its shape is ",
                 shape_str(p->shape.shape()));
      MR_REQUIRE(p->indices.dim(1) == p->shape.dim(0), "Expected column counts of SparseTensor[", i,
                 "].indices to match size of SparseTensor[", i, "].shape but they do not: ", p->indices.dim(1), " vs. ",
                 p->shape.dim(0));
    }
  }
  // an index matrix of another dtype (a hand-made proto) is no SparseTensor
  MR_REQUIRE(p->indices.dtype() == DType::kInt64 && p->shape.dtype() == DType::kInt64,
             "Could not construct tensor from proto");
  return Status();
}

const Tensor* boxed(const Variant& v) {
  const TensorBox* box = v.get<TensorBox>();
  return box ? &box->tensor : nullptr;
}

// The shape part (and the values' count) of element i, as TF's variant
// DeserializeSparse checks them before the rest.
Status read_variant_shape(const Variant* v, int64_t i, const Tensor** shape, int64_t* nnz) {
  *shape = boxed(v[2]);
  MR_REQUIRE(*shape, "Could not get a tensor from serialized_sparse[", i, ", 2]");
  MR_REQUIRE((*shape)->dtype() == DType::kInt64, "Expected serialized_sparse[", i,
             ", 2] to be a vector of DT_INT64 but received dtype ", dtype_name((*shape)->dtype()));
  MR_REQUIRE((*shape)->rank() == 1, "Expected serialized_sparse[", i, ", 2] to be a shape vector but its shape is ",
             shape_str((*shape)->shape()));
  const Tensor* values = boxed(v[1]);
  MR_REQUIRE(values, "Could not get a tensor from serialized_sparse[", i, ", 1]");
  *nnz = values->num_elements();
  return Status();
}

Status read_variant_entries(const Variant* v, int64_t i, int64_t rank, DType dtype, const Tensor** indices,
                            const Tensor** values) {
  *indices = boxed(v[0]);
  MR_REQUIRE(*indices, "Could not get a tensor from serialized_sparse[", i, ", 0]");
  MR_REQUIRE((*indices)->dtype() == DType::kInt64, "Expected serialized_sparse[", i,
             ", 0] to be a matrix of DT_INT64 but received dtype ", dtype_name((*indices)->dtype()));
  MR_REQUIRE((*indices)->rank() == 2, "Expected serialized_sparse[", i,
             ", 0] to represent an index matrix but received shape ", shape_str((*indices)->shape()));
  MR_REQUIRE((*indices)->dim(1) == rank, "Expected column counts of SparseTensor[", i,
             "].indices to match size of SparseTensor[", i, "].shape but they do not: ", (*indices)->dim(1), " vs. ",
             rank);
  *values = boxed(v[1]);
  MR_REQUIRE(*values, "Could not get a tensor from serialized_sparse[", i, ", 1]");
  MR_REQUIRE((*values)->rank() == 1, "Expected serialized_sparse[", i,
             ", 1] to represent a values vector but received shape ", shape_str((*values)->shape()));
  MR_REQUIRE((*values)->dtype() == dtype, "Requested SparseTensor of type ", dtype_name(dtype), " but SparseTensor[", i,
             "].values.dtype() == ", dtype_name((*values)->dtype()));
  MR_REQUIRE((*indices)->dim(0) == (*values)->dim(0), "Expected row counts of SparseTensor[", i,
             "].indices and SparseTensor[", i, "].values to match but they do not: ", (*indices)->dim(0), " vs. ",
             (*values)->dim(0));
  return Status();
}

class DeserializeSparseOp : public OpKernel {
 public:
  explicit DeserializeSparseOp(KernelInit& init) : variant_(base_type(init.input_type(0)) == DType::kVariant) {
    init.get("dtype", &dtype_);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const int ndims = in.rank();
    MR_REQUIRE(ndims > 0, "Serialized sparse should have non-zero rank ", shape_str(in.shape()));
    MR_REQUIRE(in.dim(ndims - 1) == 3, "Serialized sparse should have 3 as the last dimension ",
               shape_str(in.shape()));
    const int64_t count = in.num_elements() / 3;
    if (variant_) return from_variants(ctx, in, count);
    MR_REQUIRE(count > 0, "Serialized sparse should have at least 1 serialized tensor, but has a zero dimension ",
               shape_str(in.shape()));
    const std::string* s = in.data<std::string>();
    if (ndims == 1) {
      Parts p;
      MR_RETURN_IF_ERROR(read_string_parts(s, 0, dtype_, &p));
      ctx.set_output(0, p.indices);
      ctx.set_output(1, p.values);
      ctx.set_output(2, p.shape);
      return Status();
    }
    return from_strings(ctx, in, s, count);
  }

 private:
  // TF's path: each element's indices prefixed with its flat position i,
  // concatenated into [count, max dims...], then reshaped to [batch dims...,
  // max dims...] as a sparse reshape maps indices (through flat positions).
  Status from_strings(OpContext& ctx, const Tensor& in, const std::string* s, int64_t count) {
    std::vector<Parts> parts(count);
    Shape max_dims;
    int64_t nnz = 0;
    for (int64_t i = 0; i < count; ++i) {
      MR_RETURN_IF_ERROR(read_string_parts(s + 3 * i, i, dtype_, &parts[i]));
      const Tensor& shape = parts[i].shape;
      Shape dims;
      // TF builds a TensorShape of [1, dims...] here (and aborts on a negative dim)
      MR_RETURN_IF_ERROR(shape_from(shape.data<int64_t>(), shape.dim(0), &dims));
      if (i == 0) {
        max_dims = dims;
      } else {
        MR_REQUIRE(dims.size() == max_dims.size(),
                   "Inconsistent shape across SparseTensors: rank prior to SparseTensor[", i, "] was: ",
                   max_dims.size(), " but rank of SparseTensor[", i, "] is: ", dims.size());
        for (size_t d = 0; d < dims.size(); ++d) max_dims[d] = std::max(max_dims[d], dims[d]);
      }
      nnz += parts[i].indices.dim(0);
    }
    const int64_t rank = static_cast<int64_t>(max_dims.size());
    Shape concat_shape{count};
    concat_shape.insert(concat_shape.end(), max_dims.begin(), max_dims.end());
    Shape out_shape(in.shape().begin(), in.shape().end() - 1);
    out_shape.insert(out_shape.end(), max_dims.begin(), max_dims.end());
    MR_RETURN_IF_ERROR(check_shape(concat_shape));
    Tensor values(dtype_, {nnz});
    Tensor& indices = ctx.allocate_output(0, {nnz, static_cast<int64_t>(out_shape.size())});
    int64_t* dst = indices.data<int64_t>();
    int64_t row = 0;
    const bool identity = out_shape == concat_shape;
    if (!identity && nnz > 0) {
      const int64_t dense = num_elements(concat_shape);
      const int64_t product = num_elements(out_shape);
      MR_REQUIRE(dense > 0 && product > 0, "Input tensor has ", nnz, " non zero elements but input shape (",
                 shape_str(concat_shape), ") or output shape (", shape_str(out_shape), ") is empty");
    }
    std::vector<uint64_t> in_strides(rank + 1, 1), out_strides(out_shape.size(), 1);
    for (int64_t d = rank - 1; d >= 0; --d) in_strides[d] = in_strides[d + 1] * concat_shape[d + 1];
    for (int64_t d = static_cast<int64_t>(out_shape.size()) - 2; d >= 0; --d)
      out_strides[d] = out_strides[d + 1] * out_shape[d + 1];
    for (int64_t i = 0; i < count; ++i) {
      const Tensor& ind = parts[i].indices;
      const int64_t n = ind.dim(0);
      const int64_t* src = ind.data<int64_t>();
      for (int64_t e = 0; e < n; ++e, src += rank) {
        if (identity) {
          *dst++ = i;
          dst = std::copy(src, src + rank, dst);
          continue;
        }
        // the flat position in [count, max dims...], in TF's wrapping int64 arithmetic
        uint64_t flat = static_cast<uint64_t>(i) * in_strides[0];
        for (int64_t d = 0; d < rank; ++d) flat += static_cast<uint64_t>(src[d]) * in_strides[d + 1];
        int64_t id = static_cast<int64_t>(flat);
        for (uint64_t stride : out_strides) {
          *dst++ = id / static_cast<int64_t>(stride);
          id %= static_cast<int64_t>(stride);
        }
      }
      copy_values(parts[i].values, 0, n, values, row);
      row += n;
    }
    ctx.set_output(1, values);
    Tensor& shape = ctx.allocate_output(2, {static_cast<int64_t>(out_shape.size())});
    std::copy(out_shape.begin(), out_shape.end(), shape.data<int64_t>());
    return Status();
  }

  // TF's variant path: no reshape; batch coordinates written directly, the
  // element shapes neither checked for sign nor multiplied.
  Status from_variants(OpContext& ctx, const Tensor& in, int64_t count) {
    const Variant* v = in.data<Variant>();
    const int stack = in.rank() - 1;
    const Tensor* shape;
    int64_t nnz;
    if (stack == 0) {
      const Tensor *indices, *values;
      MR_RETURN_IF_ERROR(read_variant_shape(v, 0, &shape, &nnz));
      MR_RETURN_IF_ERROR(read_variant_entries(v, 0, shape->num_elements(), dtype_, &indices, &values));
      ctx.set_output(0, *indices);
      ctx.set_output(1, *values);
      ctx.set_output(2, *shape);
      return Status();
    }
    MR_REQUIRE(count > 0, "Serialized sparse should have at least 1 serialized tensor, but has a zero dimension ",
               shape_str(in.shape()));
    MR_RETURN_IF_ERROR(read_variant_shape(v, 0, &shape, &nnz));
    const int64_t rank = shape->num_elements();
    std::vector<int64_t> out_shape(in.shape().begin(), in.shape().end() - 1);
    out_shape.insert(out_shape.end(), shape->data<int64_t>(), shape->data<int64_t>() + rank);
    for (int64_t i = 1; i < count; ++i) {
      int64_t more;
      MR_RETURN_IF_ERROR(read_variant_shape(v + 3 * i, i, &shape, &more));
      nnz += more;
      MR_REQUIRE(shape->num_elements() == rank,
                 "Inconsistent shape across SparseTensors: rank prior to SparseTensor[", i, "] was: ", rank,
                 " but rank of SparseTensor[", i, "] is: ", shape->num_elements());
      for (int64_t d = 0; d < rank; ++d)
        out_shape[stack + d] = std::max(out_shape[stack + d], shape->data<int64_t>()[d]);
    }
    const int64_t out_rank = stack + rank;
    Tensor& indices = ctx.allocate_output(0, {nnz, out_rank});
    Tensor& values = ctx.allocate_output(1, {nnz});
    int64_t* dst = indices.data<int64_t>();
    int64_t row = 0;
    std::vector<int64_t> position(stack);
    for (int64_t i = 0; i < count; ++i) {
      const Tensor *ind, *val;
      MR_RETURN_IF_ERROR(read_variant_entries(v + 3 * i, i, rank, dtype_, &ind, &val));
      const int64_t n = val->num_elements();
      for (int64_t d = stack - 1, rest = i; d >= 0; --d) {
        position[d] = rest % in.dim(d);
        rest /= in.dim(d);
      }
      const int64_t* src = ind->data<int64_t>();
      for (int64_t e = 0; e < n; ++e, src += rank) {
        dst = std::copy(position.begin(), position.end(), dst);
        dst = std::copy(src, src + rank, dst);
      }
      copy_values(*val, 0, n, values, row);
      row += n;
    }
    Tensor& out = ctx.allocate_output(2, {out_rank});
    std::copy(out_shape.begin(), out_shape.end(), out.data<int64_t>());
    return Status();
  }

  DType dtype_ = DType::kInvalid;
  bool variant_;
};

template <class Op>
auto typed() {
  return [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> { return new_kernel<Op>(init); };
}

}  // namespace

void register_sparse_serialize_ops(Registry& r) {
  r.add<SerialTypes>("SerializeSparse", typed<SerializeSparseOp>());
  r.add<SerialTypes>("SerializeManySparse", typed<SerializeManySparseOp>());
  r.add<SerialTypes>("DeserializeSparse", typed<DeserializeSparseOp>(), TypeFrom::attr_named("dtype"));
  r.add<SerialTypes>("DeserializeManySparse", typed<DeserializeSparseOp>(), TypeFrom::attr_named("dtype"));
}

}  // namespace metarun
