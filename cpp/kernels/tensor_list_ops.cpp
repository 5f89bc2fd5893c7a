// The TensorList ops (see kernels/tensor_list.h), with TF's checks and
// messages, and ZerosLike / AddN of lists.
//
// Every kernel here serves every element dtype TF registers on CPU (the
// plain types, strings, variants): elements move as bytes or as objects.
// An element not set yet reads as zeros when its shape is known, from the
// list, from the op's element_shape input, or from the set elements (which
// must then agree); otherwise reading it is an error.
//
// Changing ops (SetItem, PushBack, PopBack, Resize, ScatterIntoExistingList,
// PushBackBatch, ConcatLists) change the input list in place when nobody
// else holds it (neither the input tensor's buffer nor the list object), as
// TF's forward_input does: a while loop pushing an element per iteration
// then costs O(1) per push. Else they copy the element vector (not the data).
#include "kernels/tensor_list.h"

#include <algorithm>
#include <cstring>

#include "framework/registry.h"

namespace metarun {
namespace {

// ---- shapes ----

PartialShape known_shape(const Shape& s) {
  PartialShape p;
  p.unknown_rank = false;
  p.dims = s.vec();
  return p;
}

bool compatible(const PartialShape& a, const PartialShape& b) {
  if (a.unknown_rank || b.unknown_rank) return true;
  if (a.dims.size() != b.dims.size()) return false;
  for (size_t i = 0; i < a.dims.size(); ++i)
    if (a.dims[i] >= 0 && b.dims[i] >= 0 && a.dims[i] != b.dims[i]) return false;
  return true;
}

bool identical(const PartialShape& a, const PartialShape& b) {
  return a.unknown_rank == b.unknown_rank && (a.unknown_rank || a.dims == b.dims);
}

// TF's PartialTensorShape::MergeWith.
Status merge(const PartialShape& a, const PartialShape& b, PartialShape* out) {
  if (a.unknown_rank) {
    *out = b;
    return Status();
  }
  if (b.unknown_rank) {
    *out = a;
    return Status();
  }
  if (a.dims.size() != b.dims.size())
    return invalid_argument(str_cat("PartialTensorShape: Incompatible ranks during merge: ", a.dims.size(), " vs. ",
                                    b.dims.size()));
  PartialShape r = a;
  for (size_t i = 0; i < a.dims.size(); ++i) {
    if (a.dims[i] >= 0 && b.dims[i] >= 0 && a.dims[i] != b.dims[i])
      return invalid_argument(
          str_cat("PartialTensorShape: Incompatible shapes during merge: ", a.str(), " vs. ", b.str()));
    if (r.dims[i] < 0) r.dims[i] = b.dims[i];
  }
  *out = std::move(r);
  return Status();
}

bool as_shape(const PartialShape& p, Shape* out) {
  if (!p.fully_defined()) return false;
  *out = Shape(p.dims);
  return true;
}

PartialShape drop_first_dim(const PartialShape& p) {
  PartialShape r = p;
  if (!r.unknown_rank && !r.dims.empty()) r.dims.erase(r.dims.begin());
  return r;
}

// TF's TensorShapeFromTensor: -1 (a scalar) is the unknown shape, a vector
// gives the dims (-1 for an unknown one).
Status shape_from_tensor(const Tensor& t, PartialShape* out) {
  if (t.dtype() != DType::kInt32 && t.dtype() != DType::kInt64)
    return invalid_argument(str_cat("Expected an int32 or int64 shape tensor; found ", dtype_name(t.dtype())));
  if (t.rank() == 0) {
    if (index_at(t, 0) == -1) {
      *out = PartialShape();
      return Status();
    }
    return invalid_argument("The only valid scalar shape tensor is the fully unknown shape specified as -1.");
  }
  if (t.rank() != 1) return invalid_argument(str_cat("Shape must be at most rank 1 but is rank ", t.rank()));
  PartialShape p;
  p.unknown_rank = false;
  for (int64_t i = 0, n = t.num_elements(); i < n; ++i) {
    int64_t d = index_at(t, i);
    if (d < -1) return invalid_argument(str_cat("Dimension ", d, " must be >= -1"));
    p.dims.push_back(d);
  }
  *out = std::move(p);
  return Status();
}

// TF's Tensor::DebugString, for the one message that prints a tensor.
std::string tensor_debug(const Tensor& t) {
  std::string values;
  const int64_t n = std::min<int64_t>(t.num_elements(), 3);
  for (int64_t i = 0; i < n; ++i) {
    if (i) values += " ";
    values += is_integer_type(t.dtype()) ? std::to_string(index_at(t, i)) : std::string("?");
  }
  if (t.num_elements() > 3) values += "...";
  return str_cat("Tensor<type: ", dtype_name(t.dtype()), " shape: ", shape_str(t.shape()), " values: ", values, ">");
}

// ---- elements ----

// Copies n elements of dtype `t` from src[src_at..] to dst[dst_at..].
void copy_elements(const Tensor& src, int64_t src_at, const Tensor& dst, int64_t dst_at, int64_t n) {
  if (n <= 0) return;
  switch (base_type(dst.dtype())) {
    case DType::kString: {
      const std::string* s = src.data<std::string>() + src_at;
      std::string* d = dst.data<std::string>() + dst_at;
      std::copy(s, s + n, d);
      return;
    }
    case DType::kVariant: {
      const Variant* s = src.data<Variant>() + src_at;
      Variant* d = dst.data<Variant>() + dst_at;
      std::copy(s, s + n, d);
      return;
    }
    case DType::kResource: {
      const ResourceHandle* s = src.data<ResourceHandle>() + src_at;
      ResourceHandle* d = dst.data<ResourceHandle>() + dst_at;
      std::copy(s, s + n, d);
      return;
    }
    default: {
      const size_t w = dtype_size(dst.dtype());
      std::memcpy(static_cast<char*>(dst.raw()) + dst_at * w, static_cast<const char*>(src.raw()) + src_at * w,
                  n * w);
    }
  }
}

// A tensor of zeros ("" for strings, empty variants).
Tensor zeros(DType t, const Shape& shape) {
  Tensor z(t, shape);
  if (!is_object_type(t) && z.nbytes()) std::memset(z.raw(), 0, z.nbytes());
  return z;
}

// Rows [begin, end) of `t` along dim 0, in a buffer of their own; with
// `drop_dim`, one row without its leading dim.
Tensor rows(const Tensor& t, int64_t begin, int64_t end, bool drop_dim) {
  Shape shape = t.shape();
  const int64_t row = dims_product(shape, 1, shape.size());
  if (drop_dim) shape.erase(shape.begin());
  else shape[0] = end - begin;
  Tensor out(t.dtype(), shape);
  copy_elements(t, begin * row, out, 0, (end - begin) * row);
  return out;
}

// Writes `parts` one after the other into `out` (an unset part: zeros of
// `zero_count` elements).
void concat_into(const std::vector<Tensor>& parts, const std::vector<int64_t>& counts, Tensor* out) {
  int64_t at = 0;
  const bool objects = is_object_type(out->dtype());
  const size_t w = objects ? 0 : dtype_size(out->dtype());
  for (size_t i = 0; i < parts.size(); ++i) {
    const int64_t n = counts[i];
    if (parts[i].valid()) copy_elements(parts[i], 0, *out, at, n);
    else if (!objects && n) std::memset(static_cast<char*>(out->raw()) + at * w, 0, n * w);
    // objects: the output's elements are default-constructed already
    at += n;
  }
}

// ---- lists ----

std::string dt(DType t) { return dtype_name(t); }

Status check_dtype(DType op, const TensorList& l) {
  if (op != l.element_dtype)
    return invalid_argument(
        str_cat("Invalid data types; op elements ", dt(op), " but list elements ", dt(l.element_dtype)));
  return Status();
}

Status element_shape_from_input(const OpContext& ctx, const TensorList& l, int index, PartialShape* out) {
  PartialShape p;
  MR_RETURN_IF_ERROR(shape_from_tensor(ctx.input(index), &p));
  return merge(p, l.element_shape, out);
}

// Merges the shapes of the set elements of `l` (those at `indices`, or all)
// into *shape, unless the list's own element shape is fully defined.
Status infer_from_elements(const TensorList& l, PartialShape* shape) {
  if (l.element_shape.fully_defined()) return Status();
  for (const Tensor& t : l.tensors) {
    if (!t.valid()) continue;
    PartialShape tmp = *shape;
    MR_RETURN_IF_ERROR(merge(tmp, known_shape(t.shape()), shape));
  }
  return Status();
}

// The list of input `in`, to be changed and published as output `out`: the
// input's own object when nobody else holds it (nor the tensor carrying it),
// else a copy of it (sharing the element tensors).
TensorList* forward_or_copy_list(OpContext& ctx, int in, int out, const TensorList& l) {
  const Tensor& t = ctx.input(in);
  const Entry& e = ctx.input_entry(in);
  if (!e.ref && t.buffer().use_count() == 1 && t.data<Variant>()->value.use_count() == 1) {
    ctx.set_output(out, t);
    return const_cast<TensorList*>(&l);
  }
  auto copy = l.copy();
  TensorList* p = copy.get();
  ctx.set_output(out, tensor_list_tensor(std::move(copy)));
  return p;
}

class ListKernel : public OpKernel {
 public:
  explicit ListKernel(KernelInit& init, bool needs_dtype = true) {
    if (needs_dtype) {
      init.get("element_dtype", &element_dtype_);
      if (init.status().ok() && (element_dtype_ == DType::kResource || element_dtype_ == DType::kInvalid ||
                                 is_ref(element_dtype_)))
        init.fail(invalid_argument(str_cat("No kernel for op '", init.op(), "' with element_dtype ",
                                           dtype_name(element_dtype_), " (node ", init.name(), ")")));
    }
  }

 protected:
  DType element_dtype_ = DType::kInvalid;
};

// ---- creating lists ----

class EmptyTensorListKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status compute(OpContext& ctx) override {
    const Tensor& max_t = ctx.input(1);
    MR_REQUIRE(max_t.rank() == 0, "max_num_elements expected to be a scalar but got shape: ",
               shape_str(max_t.shape()));
    auto l = std::make_shared<TensorList>();
    l->element_dtype = element_dtype_;
    l->max_num_elements = index_at(max_t, 0);
    MR_RETURN_IF_ERROR(shape_from_tensor(ctx.input(0), &l->element_shape));
    ctx.set_output(0, tensor_list_tensor(std::move(l)));
    return Status();
  }
};

class TensorListReserveKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status compute(OpContext& ctx) override {
    PartialShape shape;
    MR_RETURN_IF_ERROR(shape_from_tensor(ctx.input(0), &shape));
    const Tensor& n_t = ctx.input(1);
    MR_REQUIRE(n_t.rank() == 0, "The num_elements to reserve must be a tensor size 1, but got ",
               shape_str(n_t.shape()));
    const int64_t n = index_at(n_t, 0);
    MR_REQUIRE(n >= 0, "The num_elements to reserve must be a non negative number, but got ", n);
    auto l = std::make_shared<TensorList>();
    l->element_shape = std::move(shape);
    l->element_dtype = element_dtype_;
    l->tensors.resize(n);
    ctx.set_output(0, tensor_list_tensor(std::move(l)));
    return Status();
  }
};

class TensorListFromTensorKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status compute(OpContext& ctx) override {
    MR_REQUIRE(ctx.input(1).rank() < 2, "TensorListFromTensor: element_shape must be at most rank 1 but has the shape of ",
               shape_str(ctx.input(1).shape()));
    PartialShape shape;
    MR_RETURN_IF_ERROR(shape_from_tensor(ctx.input(1), &shape));
    const Tensor& t = ctx.input(0);
    MR_REQUIRE(t.rank() >= 1, "Tensor must be at least a vector, but saw shape: ", shape_str(t.shape()));
    Shape elem(t.shape().begin() + 1, t.shape().end());
    MR_REQUIRE(compatible(shape, known_shape(elem)), "Specified a list with shape ", shape.str(),
               " from a tensor with shape ", shape_str(elem));
    auto l = std::make_shared<TensorList>();
    l->element_dtype = t.dtype();
    l->element_shape = std::move(shape);
    const int64_t n = t.dim(0);
    l->tensors.reserve(n);
    for (int64_t i = 0; i < n; ++i) l->tensors.push_back(rows(t, i, i + 1, true));
    ctx.set_output(0, tensor_list_tensor(std::move(l)));
    return Status();
  }
};

class TensorListSplitKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status compute(OpContext& ctx) override {
    PartialShape shape;
    MR_RETURN_IF_ERROR(shape_from_tensor(ctx.input(1), &shape));
    MR_REQUIRE(shape.unknown_rank || !shape.dims.empty(),
               "TensorListSplit requires element_shape to be at least of rank 1, but saw: ", shape.str());
    const Tensor& t = ctx.input(0);
    MR_REQUIRE(t.rank() >= 1, "Tensor must be at least a vector, but saw shape: ", shape_str(t.shape()));
    Shape rest(t.shape().begin() + 1, t.shape().end());
    PartialShape shape_rest = drop_first_dim(shape);
    MR_REQUIRE(compatible(shape_rest, known_shape(rest)), "tensor shape ", shape_str(t.shape()),
               " is not compatible with element_shape ", shape.str());
    const Tensor& lengths = ctx.input(2);
    MR_REQUIRE(lengths.rank() == 1, "Expected lengths to be a vector, received shape: ", shape_str(lengths.shape()));
    auto l = std::make_shared<TensorList>();
    l->element_dtype = t.dtype();
    l->element_shape = shape;
    int64_t start = 0, end = 0;
    const int64_t rows_total = t.dim(0);
    for (int64_t i = 0; i < lengths.num_elements(); ++i) {
      const int64_t length = index_at(lengths, i);
      MR_REQUIRE(length >= 0, "Invalid value in lengths: ", length);
      end = start + length;
      MR_REQUIRE(end <= rows_total, "Attempting to slice [", start, ", ", end, "] from tensor with length ",
                 rows_total);
      l->tensors.push_back(rows(t, start, end, false));
      start = end;
    }
    MR_REQUIRE(end == rows_total, "Unused values in tensor. Length of tensor: ", rows_total, " Values used: ", end);
    ctx.set_output(0, tensor_list_tensor(std::move(l)));
    return Status();
  }
};

// TensorListScatter (element_shape) and V2 (element_shape, num_elements).
class TensorListScatterKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status compute(OpContext& ctx) override {
    const Tensor& indices = ctx.input(1);
    MR_REQUIRE(ctx.input(2).rank() < 2, "TensorListScatter: element_shape must be at most rank 1 but has the shape of ",
               shape_str(ctx.input(2).shape()));
    PartialShape shape;
    MR_RETURN_IF_ERROR(shape_from_tensor(ctx.input(2), &shape));
    int64_t num_elements = -1;
    if (ctx.num_inputs() >= 4) {
      MR_REQUIRE(ctx.input(3).rank() == 0, "num_elements must be a scalar");
      num_elements = index_at(ctx.input(3), 0);
    }
    MR_REQUIRE(num_elements >= -1, "TensorListScatter expects num_elements >= -1, found: ", num_elements);
    const Tensor& t = ctx.input(0);
    MR_REQUIRE(t.rank() >= 1, "Tensor must be at least a vector, but saw shape: ", shape_str(t.shape()));
    Shape elem(t.shape().begin() + 1, t.shape().end());
    MR_REQUIRE(compatible(shape, known_shape(elem)), "Specified a list with shape ", shape.str(),
               " from a tensor with shape ", shape_str(elem));
    MR_REQUIRE(indices.num_elements() == t.dim(0), "Invalid number of rows in input tensor. Expected: ",
               indices.num_elements(), " Actual: ", t.dim(0));
    int64_t highest = -1;
    for (int64_t k = 0; k < indices.num_elements(); ++k) {
      const int64_t i = index_at(indices, k);
      MR_REQUIRE(i >= 0, "Indices in TensorListScatter must all be non-negative.");
      MR_REQUIRE(num_elements == -1 || i < num_elements, "TensorListScatter: Trying to scatter at index ", i,
                 " in list with size ", num_elements);
      highest = std::max(highest, i);
    }
    auto l = std::make_shared<TensorList>();
    l->element_dtype = t.dtype();
    l->element_shape = std::move(shape);
    l->tensors.resize(std::max(highest + 1, num_elements));
    for (int64_t k = 0; k < indices.num_elements(); ++k) l->tensors[index_at(indices, k)] = rows(t, k, k + 1, true);
    ctx.set_output(0, tensor_list_tensor(std::move(l)));
    return Status();
  }
};

// ---- reading lists ----

class TensorListLengthKernel : public ListKernel {
 public:
  explicit TensorListLengthKernel(KernelInit& init) : ListKernel(init, false) {}
  Status compute(OpContext& ctx) override {
    const TensorList* l;
    MR_RETURN_IF_ERROR(get_tensor_list(ctx.input(0), &l));
    ctx.set_output(0, Tensor::scalar<int32_t>(static_cast<int32_t>(l->tensors.size())));
    return Status();
  }
};

class TensorListElementShapeKernel : public ListKernel {
 public:
  explicit TensorListElementShapeKernel(KernelInit& init) : ListKernel(init, false) {}
  Status compute(OpContext& ctx) override {
    const TensorList* l;
    MR_RETURN_IF_ERROR(get_tensor_list(ctx.input(0), &l));
    const PartialShape& s = l->element_shape;
    Tensor& out = ctx.allocate_output(0, s.unknown_rank ? Shape{} : Shape{static_cast<int64_t>(s.dims.size())});
    const bool i32 = out.dtype() == DType::kInt32;
    if (s.unknown_rank) {
      if (i32) *out.data<int32_t>() = -1;
      else *out.data<int64_t>() = -1;
    } else {
      for (size_t i = 0; i < s.dims.size(); ++i) {
        if (i32) out.data<int32_t>()[i] = static_cast<int32_t>(s.dims[i]);
        else out.data<int64_t>()[i] = s.dims[i];
      }
    }
    return Status();
  }
};

class TensorListStackKernel : public ListKernel {
 public:
  explicit TensorListStackKernel(KernelInit& init) : ListKernel(init) {
    if (init.has_attr("num_elements")) init.get("num_elements", &num_elements_);
  }
  Status compute(OpContext& ctx) override {
    const TensorList* l;
    MR_RETURN_IF_ERROR(get_tensor_list(ctx.input(0), &l));
    MR_RETURN_IF_ERROR(check_dtype(element_dtype_, *l));
    const int64_t n = static_cast<int64_t>(l->tensors.size());
    if (num_elements_ != -1)
      MR_REQUIRE(n == num_elements_, "Operation expected a list with ", num_elements_,
                 " elements but got a list with ", n, " elements.");
    PartialShape partial;
    MR_RETURN_IF_ERROR(element_shape_from_input(ctx, *l, 1, &partial));
    MR_REQUIRE(partial.fully_defined() || n > 0,
               "Tried to stack elements of an empty list with non-fully-defined element_shape: ", partial.str());
    MR_RETURN_IF_ERROR(infer_from_elements(*l, &partial));
    Shape elem;
    MR_REQUIRE(as_shape(partial, &elem),
               "Tried to stack list which only contains uninitialized tensors and has a non-fully-defined "
               "element_shape: ",
               partial.str());
    Shape out_shape = elem;
    out_shape.insert(out_shape.begin(), n);
    Tensor& out = ctx.allocate_output(0, out_shape);
    if (out.num_elements() == 0) return Status();
    const int64_t each = num_elements(elem);
    concat_into(l->tensors, std::vector<int64_t>(n, each), &out);
    return Status();
  }

 private:
  int64_t num_elements_ = -1;
};

class TensorListGatherKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status compute(OpContext& ctx) override {
    const TensorList* l;
    MR_RETURN_IF_ERROR(get_tensor_list(ctx.input(0), &l));
    MR_RETURN_IF_ERROR(check_dtype(element_dtype_, *l));
    const Tensor& indices = ctx.input(1);
    const int64_t n = indices.num_elements();
    const int64_t size = static_cast<int64_t>(l->tensors.size());
    PartialShape partial;
    MR_RETURN_IF_ERROR(element_shape_from_input(ctx, *l, 2, &partial));
    MR_REQUIRE(partial.fully_defined() || n > 0,
               "Tried to gather 0-elements from a list with non-fully-defined shape: ", partial.str());
    if (!l->element_shape.fully_defined()) {
      for (int64_t k = 0; k < n; ++k) {
        const int64_t i = index_at(indices, k);
        MR_REQUIRE(0 <= i && i < size, "Trying to gather element ", i, " in a list with ", size, " elements.");
        const Tensor& t = l->tensors[i];
        if (t.valid()) {
          PartialShape tmp = partial;
          MR_RETURN_IF_ERROR(merge(tmp, known_shape(t.shape()), &partial));
        }
      }
    }
    Shape elem;
    MR_REQUIRE(as_shape(partial, &elem),
               "Tried to gather uninitialized tensors from a list with non-fully-defined element_shape: ",
               partial.str());
    Shape out_shape = elem;
    out_shape.insert(out_shape.begin(), n);
    Tensor& out = ctx.allocate_output(0, out_shape);
    if (out.num_elements() == 0) return Status();
    std::vector<Tensor> parts;
    parts.reserve(n);
    for (int64_t k = 0; k < n; ++k) {
      const int64_t i = index_at(indices, k);
      MR_REQUIRE(0 <= i && i < size, "Index ", i, " out o range; list only has ", size, " elements.");
      parts.push_back(l->tensors[i]);
    }
    concat_into(parts, std::vector<int64_t>(n, num_elements(elem)), &out);
    return Status();
  }
};

class TensorListGetItemKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status compute(OpContext& ctx) override {
    const TensorList* l;
    MR_RETURN_IF_ERROR(get_tensor_list(ctx.input(0), &l));
    MR_RETURN_IF_ERROR(check_dtype(element_dtype_, *l));
    int64_t index;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "index must be a scalar, got shape {}", &index, true));
    const int64_t size = static_cast<int64_t>(l->tensors.size());
    MR_REQUIRE(index >= 0 && index < size, "Trying to access element ", index, " in a list with ", size,
               " elements.");
    const Tensor& t = l->tensors[index];
    if (t.valid()) {
      ctx.set_output(0, t);
      return Status();
    }
    PartialShape partial;
    MR_RETURN_IF_ERROR(element_shape_from_input(ctx, *l, 2, &partial));
    if (!partial.fully_defined()) {
      for (const Tensor& e : l->tensors) {
        if (!e.valid()) continue;
        PartialShape tmp = partial;
        MR_RETURN_IF_ERROR(merge(tmp, known_shape(e.shape()), &partial));
      }
    }
    Shape elem;
    MR_REQUIRE(as_shape(partial, &elem), "Trying to read an uninitialized tensor but element_shape is not fully "
               "defined: ", partial.str(), " and no list element is set.");
    ctx.set_output(0, zeros(element_dtype_, elem));
    return Status();
  }
};

class TensorListPopBackKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status compute(OpContext& ctx) override {
    const TensorList* l;
    MR_RETURN_IF_ERROR(get_tensor_list(ctx.input(0), &l));
    MR_RETURN_IF_ERROR(check_dtype(element_dtype_, *l));
    MR_REQUIRE(!l->tensors.empty(), "Trying to pop from an empty list.");
    const Tensor& t = l->tensors.back();
    if (t.valid()) {
      ctx.set_output(1, t);
    } else {
      PartialShape partial;
      MR_RETURN_IF_ERROR(element_shape_from_input(ctx, *l, 1, &partial));
      Shape elem;
      MR_REQUIRE(as_shape(partial, &elem), "Trying to read an uninitialized tensor but element_shape is not fully "
                 "defined.", partial.str());
      ctx.set_output(1, zeros(element_dtype_, elem));
    }
    TensorList* out = forward_or_copy_list(ctx, 0, 0, *l);
    out->tensors.pop_back();
    return Status();
  }
};

// TensorListConcat (element_shape attr) and TensorListConcatV2
// (element_shape and leading_dims inputs).
class TensorListConcatKernel : public ListKernel {
 public:
  explicit TensorListConcatKernel(KernelInit& init) : ListKernel(init) {
    if (init.has_attr("element_shape")) init.get("element_shape", &element_shape_);
  }
  Status compute(OpContext& ctx) override {
    PartialShape rest;  // element_shape without its first dim
    if (!element_shape_.unknown_rank) {
      MR_REQUIRE(!element_shape_.dims.empty(), "element_shape must not be empty");
      rest = drop_first_dim(element_shape_);
    }
    const TensorList* l;
    MR_RETURN_IF_ERROR(get_tensor_list(ctx.input(0), &l));
    MR_RETURN_IF_ERROR(check_dtype(element_dtype_, *l));
    const bool v2 = ctx.num_inputs() > 1;
    int64_t first_dim = -1;
    if (v2) {
      PartialShape shape;
      MR_RETURN_IF_ERROR(element_shape_from_input(ctx, *l, 1, &shape));
      MR_REQUIRE(shape.unknown_rank || !shape.dims.empty(),
                 "Concat requires elements to be at least vectors, found scalars instead.");
      first_dim = shape.unknown_rank ? -1 : shape.dims[0];
      rest = drop_first_dim(shape);
    }
    const int64_t size = static_cast<int64_t>(l->tensors.size());
    MR_REQUIRE(size > 0 || rest.fully_defined(),
               "All except the first dimension must be fully defined when concating an empty tensor list. "
               "element_shape: ", rest.str());
    if (!l->element_shape.fully_defined()) {
      bool check_dim = first_dim == -1;
      int64_t inferred = first_dim;
      for (int64_t i = 0; i < size; ++i) {
        const Tensor& t = l->tensors[i];
        if (!t.valid()) continue;
        MR_REQUIRE(t.rank() >= 1, "Concat saw a scalar shape at index ", i, " but requires at least vectors.");
        PartialShape tmp = rest;
        MR_RETURN_IF_ERROR(merge(tmp, known_shape(Shape(t.shape().begin() + 1, t.shape().end())), &rest));
        MR_REQUIRE(first_dim == -1 || first_dim == t.dim(0),
                   "First entry of element_shape input does not match the first dim of list element at index: ", i,
                   " Expected: ", first_dim, " Actual: ", t.dim(0));
        if (check_dim) {
          if (inferred == -1) {
            inferred = t.dim(0);
          } else if (inferred != t.dim(0)) {
            inferred = -1;
            check_dim = false;
          }
        }
      }
      first_dim = inferred;
    }
    Shape out_shape;
    MR_REQUIRE(as_shape(rest, &out_shape),
               "Trying to concat list with only uninitialized tensors but element_shape_except_first_dim is not "
               "fully defined: ", rest.str());
    Tensor& lengths = ctx.allocate_output(1, {size});
    int64_t* len = lengths.data<int64_t>();
    int64_t leading = 0;
    const Tensor* leading_dims = ctx.num_inputs() > 2 ? &ctx.input(2) : nullptr;
    for (int64_t i = 0; i < size; ++i) {
      int64_t d;
      if (l->tensors[i].valid()) {
        d = l->tensors[i].dim(0);
      } else if ((!leading_dims || i >= leading_dims->num_elements()) && first_dim != -1) {
        d = first_dim;
      } else {
        MR_REQUIRE(leading_dims != nullptr,
                   "Concating lists with uninitialized tensors is not supported in this version of "
                   "TensorListConcat. Consider updating your GraphDef to run the newer version.");
        MR_REQUIRE(i < leading_dims->num_elements(), "List contains uninitialized tensor at index ", i,
                   " but leading_dims has only ", leading_dims->num_elements(), " elements.");
        d = index_at(*leading_dims, i);
      }
      leading += d;
      len[i] = d;
    }
    const int64_t row = num_elements(out_shape);
    out_shape.insert(out_shape.begin(), leading);
    MR_RETURN_IF_ERROR(check_shape(out_shape));
    Tensor& out = ctx.allocate_output(0, out_shape);
    if (out.num_elements() == 0) return Status();
    std::vector<int64_t> counts(size);
    for (int64_t i = 0; i < size; ++i) counts[i] = len[i] * row;
    concat_into(l->tensors, counts, &out);
    return Status();
  }

 private:
  PartialShape element_shape_;
};

// ---- changing lists ----

class TensorListPushBackKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status compute(OpContext& ctx) override {
    const Tensor& input = ctx.input(1);
    MR_REQUIRE(element_dtype_ == input.dtype(), "Invalid data types; list elements ", dt(element_dtype_),
               " but tried to append ", dt(input.dtype()));
    const TensorList* l;
    MR_RETURN_IF_ERROR(get_tensor_list(ctx.input(0), &l));
    MR_REQUIRE(compatible(l->element_shape, known_shape(input.shape())),
               "Tried to append a tensor with incompatible shape to a list. Op element shape: ",
               shape_str(input.shape()), " list shape: ", l->element_shape.str());
    MR_RETURN_IF_ERROR(check_dtype(element_dtype_, *l));
    if (l->max_num_elements != -1)
      MR_REQUIRE(static_cast<int64_t>(l->tensors.size()) < l->max_num_elements,
                 "Tried to push item into a full list list size: ", l->tensors.size(),
                 " max_num_elements: ", l->max_num_elements);
    TensorList* out = forward_or_copy_list(ctx, 0, 0, *l);
    out->tensors.push_back(input);
    return Status();
  }
};

class TensorListPushBackBatchKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status compute(OpContext& ctx) override {
    const Tensor& input = ctx.input(1);
    MR_REQUIRE(element_dtype_ == input.dtype(), "Invalid data types; list elements ", dt(element_dtype_),
               " but tried to append ", dt(input.dtype()));
    MR_REQUIRE(input.rank() >= 1, "Expected tensor to be at least a vector, but saw shape: ",
               shape_str(input.shape()));
    const Tensor& tls = ctx.input(0);
    MR_REQUIRE(tls.dtype() == DType::kVariant, "Expected input_handles dtype to be Variant, but saw: ",
               dt(tls.dtype()));
    MR_REQUIRE(tls.rank() == 1, "Expected input_handles to be a vector, but saw shape: ", shape_str(tls.shape()));
    const int64_t batch = tls.num_elements();
    MR_REQUIRE(input.dim(0) == batch, "Expected tensor.shape[0] == input_handles.size, but saw ", input.dim(0),
               " vs. ", batch);
    Shape elem(input.shape().begin() + 1, input.shape().end());
    const Variant* in = tls.data<Variant>();
    bool alias = !ctx.input_entry(0).ref && tls.buffer().use_count() == 1;
    for (int64_t b = 0; b < batch; ++b) {
      const TensorList* l = in[b].get<TensorList>();
      MR_REQUIRE(l != nullptr, "Input handle at index ", b, " is not a list. Saw: '",
                 in[b].value ? in[b].value->debug_string() : std::string(), "'");
      MR_REQUIRE(compatible(l->element_shape, known_shape(elem)),
                 "Tried to append a tensor with incompatible shape to a list at index ", b,
                 ". Op element shape: ", shape_str(elem), " list shape: ", l->element_shape.str());
      MR_REQUIRE(element_dtype_ == l->element_dtype, "Invalid data type at index ", b, "; op elements ",
                 dt(element_dtype_), " but list elements ", dt(l->element_dtype));
      if (in[b].value.use_count() != 1) alias = false;
    }
    Tensor out = alias ? tls : Tensor(DType::kVariant, {batch});
    Variant* o = out.data<Variant>();
    for (int64_t b = 0; b < batch; ++b) {
      if (!alias) o[b].value = in[b].get<TensorList>()->copy();
      o[b].get<TensorList>()->tensors.push_back(rows(input, b, b + 1, true));
    }
    ctx.set_output(0, out);
    return Status();
  }
};

class TensorListSetItemKernel : public ListKernel {
 public:
  explicit TensorListSetItemKernel(KernelInit& init) : ListKernel(init) {
    if (init.has_attr("resize_if_index_out_of_bounds")) init.get("resize_if_index_out_of_bounds", &resize_);
  }
  Status compute(OpContext& ctx) override {
    const TensorList* l;
    MR_RETURN_IF_ERROR(get_tensor_list(ctx.input(0), &l));
    MR_RETURN_IF_ERROR(check_dtype(element_dtype_, *l));
    MR_REQUIRE(ctx.input(1).rank() == 0, "Expected argument 1 to be a scalar. Received",
               tensor_debug(ctx.input(1)));
    const Tensor& value = ctx.input(2);
    MR_REQUIRE(value.dtype() == element_dtype_, "Invalid data types; op elements ", dt(element_dtype_),
               " but tried to set an item of ", dt(value.dtype()));
    MR_REQUIRE(compatible(l->element_shape, known_shape(value.shape())),
               "Tried to set a tensor with incompatible shape at a list index. Item element shape: ",
               shape_str(value.shape()), " list shape: ", l->element_shape.str());
    const int64_t index = index_at(ctx.input(1), 0);
    const int64_t size = static_cast<int64_t>(l->tensors.size());
    // (TF reads a negative index as out of range, and with resizing does not check it.)
    MR_REQUIRE(index >= 0 && (resize_ || index < size), "Trying to modify element ", index, " in a list with ",
               size, " elements.");
    TensorList* out = forward_or_copy_list(ctx, 0, 0, *l);
    if (index >= size) out->tensors.resize(index + 1);
    out->tensors[index] = value;
    return Status();
  }

 private:
  bool resize_ = false;
};

class TensorListResizeKernel : public ListKernel {
 public:
  explicit TensorListResizeKernel(KernelInit& init) : ListKernel(init, false) {}
  Status compute(OpContext& ctx) override {
    const TensorList* l;
    MR_RETURN_IF_ERROR(get_tensor_list(ctx.input(0), &l));
    MR_REQUIRE(ctx.input(1).rank() == 0, "size must be a scalar");
    const int64_t size = index_at(ctx.input(1), 0);
    MR_REQUIRE(size >= 0, "TensorListSlice expects size to be non-negative. Got: ", size);
    TensorList* out = forward_or_copy_list(ctx, 0, 0, *l);
    out->tensors.resize(size);
    return Status();
  }
};

class TensorListScatterIntoExistingListKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status compute(OpContext& ctx) override {
    const TensorList* l;
    MR_RETURN_IF_ERROR(get_tensor_list(ctx.input(0), &l));
    const Tensor& t = ctx.input(1);
    const Tensor& indices = ctx.input(2);
    MR_REQUIRE(t.dtype() == l->element_dtype, "Invalid data types; input tensor type: ", dt(t.dtype()),
               " list element_type: ", dt(l->element_dtype));
    MR_REQUIRE(t.rank() >= 1, "Tensor must be at least a vector, but saw shape: ", shape_str(t.shape()));
    MR_REQUIRE(indices.rank() == 1, "Expected indices to be a vector, but received shape: ",
               shape_str(indices.shape()));
    MR_REQUIRE(indices.num_elements() == t.dim(0), "Expected len(indices) == tensor.shape[0], but saw: ",
               indices.num_elements(), " vs. ", t.dim(0));
    int64_t max_index = -1;
    for (int64_t k = 0; k < indices.num_elements(); ++k) {
      const int64_t i = index_at(indices, k);
      // (TF does not check; a negative index is out of range.)
      MR_REQUIRE(i >= 0, "Indices in TensorListScatterIntoExistingList must all be non-negative.");
      max_index = std::max(max_index, i);
    }
    TensorList* out = forward_or_copy_list(ctx, 0, 0, *l);
    if (max_index + 1 > static_cast<int64_t>(out->tensors.size())) out->tensors.resize(max_index + 1);
    for (int64_t k = 0; k < indices.num_elements(); ++k) out->tensors[index_at(indices, k)] = rows(t, k, k + 1, true);
    return Status();
  }
};

class TensorListConcatListsKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status compute(OpContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    MR_REQUIRE(a.dtype() == DType::kVariant && b.dtype() == DType::kVariant, "TensorListConcatLists takes variant "
               "tensors, got ", dt(a.dtype()), " and ", dt(b.dtype()));
    MR_REQUIRE(a.shape() == b.shape(), "Incompatible input TensorList tensor shapes: ", shape_str(a.shape()),
               " vs. ", shape_str(b.shape()));
    const int64_t n = a.num_elements();
    const Variant* va = a.data<Variant>();
    const Variant* vb = b.data<Variant>();
    bool alias = !ctx.input_entry(0).ref && a.buffer().use_count() == 1;
    for (int64_t i = 0; alias && i < n; ++i)
      if (!va[i].get<TensorList>() || va[i].value.use_count() != 1) alias = false;
    Tensor out = alias ? a : Tensor(DType::kVariant, a.shape());
    Variant* vo = out.data<Variant>();
    for (int64_t i = 0; i < n; ++i) {
      const TensorList* la = va[i].get<TensorList>();
      const TensorList* lb = vb[i].get<TensorList>();
      auto saw = [](const Variant& v) { return v.value ? v.value->debug_string() : std::string(); };
      MR_REQUIRE(la != nullptr, "input_a is not a TensorList at index ", i, ".  Saw: '", saw(va[i]), "'");
      MR_REQUIRE(lb != nullptr, "input_b is not a TensorList at index ", i, ".  Saw: '", saw(vb[i]), "'");
      MR_REQUIRE(la->element_dtype == element_dtype_, "input_a[", i, "].dtype != element_dtype.  Saw: ",
                 dt(la->element_dtype), " vs. ", dt(element_dtype_));
      MR_REQUIRE(lb->element_dtype == element_dtype_, "input_b[", i, "].dtype != element_dtype.  Saw: ",
                 dt(lb->element_dtype), " vs. ", dt(element_dtype_));
      MR_REQUIRE(identical(la->element_shape, lb->element_shape),
                 "input_a and input_b TensorList element shapes are not identical at index ", i, ".  Saw ",
                 la->element_shape.str(), " vs. ", lb->element_shape.str());
      TensorList* o;
      if (alias) {
        o = vo[i].get<TensorList>();
      } else {
        auto c = la->copy();
        o = c.get();
        vo[i].value = std::move(c);
      }
      // (lb may be o itself when both inputs carry the same list: copy first.)
      std::vector<Tensor> tail = lb->tensors;
      o->tensors.insert(o->tensors.end(), tail.begin(), tail.end());
    }
    ctx.set_output(0, out);
    return Status();
  }
};

// ---- ZerosLike and AddN of variants ----

Status zeros_like_tensor(const Tensor& x, Tensor* out);
Status add_tensors(const Tensor& a, const Tensor& b, Tensor* out);

Status variant_zeros_like(const Variant& v, Variant* out) {
  const TensorList* l = v.get<TensorList>();
  Status hook_status;
  if (!l && v.value && v.value->zeros_like(&out->value, &hook_status)) return hook_status;
  if (!l)
    return internal_error(str_cat("No unary variant unary_op function found for op ZEROS_LIKE_VARIANT_UNARY_OP "
                                  "Variant type_name: ",
                                  v.value ? v.value->type_name() : std::string(), " for device type: CPU"));
  std::shared_ptr<TensorList> z;
  MR_RETURN_IF_ERROR(tensor_list_zeros_like(*l, &z));
  out->value = std::move(z);
  return Status();
}

Status variant_add(const Variant& a, const Variant& b, Variant* out) {
  const TensorList* la = a.get<TensorList>();
  const TensorList* lb = b.get<TensorList>();
  std::string ta = a.value ? a.value->type_name() : std::string();
  std::string tb = b.value ? b.value->type_name() : std::string();
  if (ta != tb)
    return internal_error(str_cat("BinaryOpVariants: Variants a and b have different type names: '", ta, "' vs. '",
                                  tb, "'"));
  Status hook_status;
  if ((!la || !lb) && a.value && b.value && a.value->add(*b.value, &out->value, &hook_status)) return hook_status;
  if (!la || !lb)
    return internal_error(str_cat("No unary variant binary_op function found for op ADD_VARIANT_BINARY_OP "
                                  "Variant type_name: ", ta, " for device type: CPU"));
  std::shared_ptr<TensorList> sum;
  MR_RETURN_IF_ERROR(tensor_list_add(*la, *lb, &sum));
  out->value = std::move(sum);
  return Status();
}

Status zeros_like_tensor(const Tensor& x, Tensor* out) {
  if (!x.valid()) {
    *out = Tensor();
    return Status();
  }
  const DType t = x.dtype();
  if (t == DType::kVariant) {
    *out = Tensor(t, x.shape());
    return variant_zeros_like(*x.data<Variant>(), out->data<Variant>());
  }
  if (is_object_type(t))
    return invalid_argument(str_cat("Trying to compute zeros_like for unsupported dtype ", dt(t)));
  *out = zeros(t, x.shape());
  return Status();
}

Status add_tensors(const Tensor& a, const Tensor& b, Tensor* out) {
  if (!a.valid()) {
    *out = b;
    return Status();
  }
  if (!b.valid()) {
    *out = a;
    return Status();
  }
  if (a.dtype() != b.dtype())
    return invalid_argument(str_cat("Trying to add two tensors with incompatible element types. One is ",
                                    dt(a.dtype()), " and the other is ", dt(b.dtype())));
  if (a.shape() != b.shape())
    return invalid_argument(str_cat("Trying to add two tensors with incompatible element shapes. One is ",
                                    shape_str(a.shape()), " and the other is ", shape_str(b.shape())));
  *out = Tensor(a.dtype(), a.shape());
  if (a.dtype() == DType::kVariant)
    return variant_add(*a.data<Variant>(), *b.data<Variant>(), out->data<Variant>());
  bool ok = dispatch(NumberTypes{}, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = a.data<T>();
    const T* y = b.data<T>();
    T* z = out->data<T>();
    for (int64_t i = 0, n = a.num_elements(); i < n; ++i) {
      if constexpr (is_half_v<T>) z[i] = T(static_cast<float>(x[i]) + static_cast<float>(y[i]));
      else z[i] = T(x[i] + y[i]);
    }
  });
  // TF prints the DataType enum's number here.
  if (!ok) return invalid_argument(str_cat("Trying to add unsupported dtype ", static_cast<int>(a.dtype())));
  return Status();
}

class VariantZerosLikeKernel : public OpKernel {
 public:
  explicit VariantZerosLikeKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    MR_REQUIRE(x.dtype() == DType::kVariant, "ZerosLike expected a variant tensor, got ", dt(x.dtype()));
    MR_REQUIRE(x.rank() == 0, "ZerosLike non-scalar Tensor with dtype=DT_VARIANT is not supported.");
    Tensor out(DType::kVariant, {});
    MR_RETURN_IF_ERROR(variant_zeros_like(*x.data<Variant>(), out.data<Variant>()));
    ctx.set_output(0, out);
    return Status();
  }
};

// TF's AddNVariant: a pairwise tree of sums, in its order.
class VariantAddNKernel : public OpKernel {
 public:
  explicit VariantAddNKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const int num = ctx.num_inputs();
    for (int i = 0; i < num; ++i)
      MR_REQUIRE(ctx.input(i).dtype() == DType::kVariant, "AddN expected variant inputs, input ", i, " is ",
                 dt(ctx.input(i).dtype()));
    if (num == 1) {
      ctx.set_output(0, ctx.input(0));
      return Status();
    }
    for (int i = 0; i < num; ++i)
      MR_REQUIRE(ctx.input(i).rank() == 0, "AddN of non-scalar Tensor with dtype=DT_VARIANT is not supported; inputs[",
                 i, " has shape: ", shape_str(ctx.input(i).shape()), ".");
    std::vector<Variant> temp(num);
    std::vector<bool> filled(num, false);
    auto add_to = [&](int lhs, int rhs) -> Status {
      Variant a = filled[lhs] ? temp[lhs] : *ctx.input(lhs).data<Variant>();
      const Variant& b = filled[rhs] ? temp[rhs] : *ctx.input(rhs).data<Variant>();
      Variant c;
      MR_RETURN_IF_ERROR(variant_add(a, b, &c));
      temp[lhs] = std::move(c);
      filled[lhs] = true;
      return Status();
    };
    int skip = 1, n = num;
    while (skip < n) {
      int i = skip;
      while (i < n) {
        MR_RETURN_IF_ERROR(add_to(i - skip, i));
        temp[i] = Variant();
        i += 2 * skip;
      }
      if (i == n) {
        MR_RETURN_IF_ERROR(add_to(0, i - skip));
        temp[i - skip] = Variant();
        n -= skip;
      }
      skip *= 2;
    }
    Tensor out(DType::kVariant, {});
    *out.data<Variant>() = std::move(temp[0]);
    ctx.set_output(0, out);
    return Status();
  }
};

template <class K>
std::unique_ptr<OpKernel> make(KernelInit& init) {
  return new_kernel<K>(init);
}

}  // namespace

Status zeros_like_value(const Tensor& x, Tensor* out) { return zeros_like_tensor(x, out); }
Status add_values(const Tensor& a, const Tensor& b, Tensor* out) { return add_tensors(a, b, out); }

Status get_tensor_list(const Tensor& t, const TensorList** out) {
  if (t.rank() != 0) return invalid_argument(str_cat("Input list must be a scalar saw: ", shape_str(t.shape())));
  const Variant* v = t.dtype() == DType::kVariant ? t.data<Variant>() : nullptr;
  const TensorList* l = v ? v->get<TensorList>() : nullptr;
  if (!l)
    return invalid_argument(str_cat("Input handle is not a list. Saw: '",
                                    v && v->value ? v->value->debug_string() : std::string(), "'"));
  *out = l;
  return Status();
}

Tensor tensor_list_tensor(std::shared_ptr<TensorList> list) {
  Tensor t(DType::kVariant, {});
  t.data<Variant>()->value = std::move(list);
  return t;
}

Status tensor_list_zeros_like(const TensorList& x, std::shared_ptr<TensorList>* out) {
  auto y = std::make_shared<TensorList>();
  y->element_dtype = x.element_dtype;
  y->element_shape = x.element_shape;
  y->tensors.reserve(x.tensors.size());
  for (const Tensor& t : x.tensors) {
    Tensor z;
    MR_RETURN_IF_ERROR(zeros_like_tensor(t, &z));
    y->tensors.push_back(std::move(z));
  }
  *out = std::move(y);
  return Status();
}

Status tensor_list_add(const TensorList& a, const TensorList& b, std::shared_ptr<TensorList>* out) {
  if (a.element_dtype != b.element_dtype)
    return invalid_argument(str_cat("Trying to add two lists of tensors of different dtypes. One is ",
                                    dt(a.element_dtype), " and the other is ", dt(b.element_dtype)));
  auto r = std::make_shared<TensorList>();
  r->element_dtype = a.element_dtype;
  if (!compatible(a.element_shape, b.element_shape))
    return invalid_argument(str_cat("Trying to add two lists of tensors with incompatible element shapes. One is ",
                                    a.element_shape.str(), " and the other is ", b.element_shape.str()));
  MR_RETURN_IF_ERROR(merge(a.element_shape, b.element_shape, &r->element_shape));
  if (a.tensors.size() != b.tensors.size())
    return invalid_argument(str_cat("Trying to add two lists of tensors with different lengths. One is ",
                                    a.tensors.size(), " and the other is ", b.tensors.size()));
  r->tensors.reserve(a.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    Tensor s;
    MR_RETURN_IF_ERROR(add_tensors(a.tensors[i], b.tensors[i], &s));
    r->tensors.push_back(std::move(s));
  }
  *out = std::move(r);
  return Status();
}

std::unique_ptr<OpKernel> make_variant_zeros_like_kernel(KernelInit& init) {
  return new_kernel<VariantZerosLikeKernel>(init);
}

std::unique_ptr<OpKernel> make_variant_add_n_kernel(KernelInit& init) {
  return new_kernel<VariantAddNKernel>(init);
}

void register_tensor_list_ops(Registry& r) {
  r.add("EmptyTensorList", make<EmptyTensorListKernel>);
  r.add("TensorListReserve", make<TensorListReserveKernel>);
  r.add("TensorListFromTensor", make<TensorListFromTensorKernel>);
  r.add("TensorListSplit", make<TensorListSplitKernel>);
  r.add("TensorListScatter", make<TensorListScatterKernel>);
  r.add("TensorListScatterV2", make<TensorListScatterKernel>);
  r.add("TensorListLength", make<TensorListLengthKernel>);
  r.add("TensorListElementShape", make<TensorListElementShapeKernel>);
  r.add("TensorListStack", make<TensorListStackKernel>);
  r.add("TensorListGather", make<TensorListGatherKernel>);
  r.add("TensorListGetItem", make<TensorListGetItemKernel>);
  r.add("TensorListPopBack", make<TensorListPopBackKernel>);
  r.add("TensorListConcat", make<TensorListConcatKernel>);
  r.add("TensorListConcatV2", make<TensorListConcatKernel>);
  r.add("TensorListPushBack", make<TensorListPushBackKernel>);
  r.add("TensorListPushBackBatch", make<TensorListPushBackBatchKernel>);
  r.add("TensorListSetItem", make<TensorListSetItemKernel>);
  r.add("TensorListResize", make<TensorListResizeKernel>);
  r.add("TensorListScatterIntoExistingList", make<TensorListScatterIntoExistingListKernel>);
  r.add("TensorListConcatLists", make<TensorListConcatListsKernel>);
}

}  // namespace metarun
