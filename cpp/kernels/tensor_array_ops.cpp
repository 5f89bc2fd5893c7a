// TensorArray (V3, and the V2 names of older graphs) and stack ops. Both are
// per-run resources: created by their op in a run, dropped when it ends.
// A V3 handle is a DT_RESOURCE scalar; a V2 handle is a string vector
// [container, name]; kernels accept either.
//
// Elements follow TF's rules: each is written once (gradient arrays add
// repeated writes) and may not be written after it was read; an element that
// was never written reads as zeros when its shape is known: from the array's
// element shape (given, or with identical_element_shapes taken from the first
// write) or, in a gradient array, from the forward array's element.
#include <atomic>
#include <cstring>

#include "kernels/util/element_copier.h"
#include "framework/registry.h"

namespace metarun {
namespace {

struct TensorArray : Resource {
  struct Element {
    Tensor tensor;  // invalid: not written yet, or only a shape (reads as zeros)
    Shape shape;
    bool written = false;
    bool read = false;
    bool cleared = false;
    bool local_copy = false;  // `tensor` is an aggregate this array owns
  };
  std::mutex mu;
  std::string name;
  DType dtype = DType::kInvalid;
  PartialShape element_shape;
  bool identical_element_shapes = false;
  bool dynamic_size = false;
  bool clear_after_read = true;
  bool is_grad = false;  // gradient arrays add repeated writes to one index
  std::vector<Element> elements;
};

struct Stack : Resource {
  std::mutex mu;
  DType dtype = DType::kInvalid;
  int64_t max_size = -1;
  std::vector<Tensor> items;
};

std::string new_key(OpContext& ctx, const char* kind) {
  static std::atomic<int64_t> counter{0};
  return step_resource_prefix(ctx.step_id()) + kind + "/" + ctx.name() + "/" + std::to_string(counter++);
}

Tensor make_handle(const std::string& key, bool v3) { return handle_tensor("_step", key, v3); }

template <class R>
Status lookup(OpContext& ctx, int input, std::shared_ptr<R>* out) {
  const Tensor& h = ctx.input(input);
  std::string key;
  if (h.dtype() == DType::kResource && h.num_elements() == 1) key = h.data<ResourceHandle>()->name;
  else if (h.dtype() == DType::kString && h.num_elements() == 2) key = h.data<std::string>()[1];
  else return invalid_argument(str_cat("Node ", ctx.name(), ": input ", input, " is not a handle"));
  *out = std::dynamic_pointer_cast<R>(ctx.resources().lookup(key));
  if (!*out) return not_found(str_cat("Resource ", key, " does not exist (it lives for one run only)"));
  return Status();
}

Tensor flow_out() { return Tensor::scalar<float>(0.0f); }

class TensorArrayKernel : public OpKernel {
 public:
  explicit TensorArrayKernel(KernelInit& init) : v3_(init.op() == "TensorArrayV3") {
    init.get("dtype", &dtype_);
    if (init.has_attr("element_shape")) init.get("element_shape", &element_shape_);
    if (init.has_attr("dynamic_size")) init.get("dynamic_size", &dynamic_size_);
    if (init.has_attr("clear_after_read")) init.get("clear_after_read", &clear_after_read_);
    if (init.has_attr("identical_element_shapes")) init.get("identical_element_shapes", &identical_element_shapes_);
  }
  Status compute(OpContext& ctx) override {
    int64_t size;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 0, "TensorArray size must be scalar, but had shape: {}", &size, true));
    MR_REQUIRE(size >= 0, "Size should be >= 0.");
    auto ta = std::make_shared<TensorArray>();
    ta->name = ctx.name();
    ta->dtype = dtype_;
    ta->element_shape = element_shape_;
    ta->identical_element_shapes = identical_element_shapes_;
    ta->dynamic_size = dynamic_size_;
    ta->clear_after_read = clear_after_read_;
    ta->elements.resize(size);
    std::string key = new_key(ctx, "ta");
    ctx.resources().insert(key, ta);
    ctx.set_output(0, make_handle(key, v3_));
    if (ctx.num_outputs() > 1) ctx.set_output(1, flow_out());
    return Status();
  }

 private:
  bool v3_;
  DType dtype_ = DType::kInvalid;
  PartialShape element_shape_;
  bool dynamic_size_ = false;
  bool clear_after_read_ = true;
  bool identical_element_shapes_ = false;
};

Status add_into(const Tensor& a, const Tensor& b, Tensor* out) {
  *out = Tensor(a.dtype(), a.shape());
  bool ok = dispatch(NumberTypes{}, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = a.data<T>();
    const T* y = b.data<T>();
    T* z = out->data<T>();
    for (int64_t i = 0, n = a.num_elements(); i < n; ++i) z[i] = T(x[i] + y[i]);
  });
  if (!ok) return invalid_argument(str_cat("TensorArray cannot aggregate writes of dtype ", dtype_name(a.dtype())));
  return Status();
}

Status write_element(TensorArray* ta, int64_t index, const Tensor& value) {
  const std::string& name = ta->name;
  if (index < 0 || (!ta->dynamic_size && index >= static_cast<int64_t>(ta->elements.size())))
    return invalid_argument(str_cat("TensorArray ", name, ": Tried to write to index ", index,
                                    " but array is not resizeable and size is: ", ta->elements.size()));
  if (index >= static_cast<int64_t>(ta->elements.size())) ta->elements.resize(index + 1);
  TensorArray::Element& t = ta->elements[index];
  if (value.dtype() != ta->dtype)
    return invalid_argument(str_cat("TensorArray ", name, ": Could not write to TensorArray index ", index,
                                    " because the value dtype is ", dtype_name(value.dtype()),
                                    " but TensorArray dtype is ", dtype_name(ta->dtype), "."));
  if (!ta->element_shape.compatible_with(value.shape()))
    return invalid_argument(str_cat("TensorArray ", name, ": Could not write to TensorArray index ", index,
                                    " because the value shape is ", shape_str(value.shape()),
                                    " which is incompatible with the TensorArray's inferred element shape: ",
                                    ta->element_shape.str(), " (consider setting infer_shape=False)."));
  if (ta->identical_element_shapes && !ta->element_shape.fully_defined()) {
    ta->element_shape.unknown_rank = false;
    ta->element_shape.dims = value.shape().vec();
  }
  if (t.read)
    return invalid_argument(str_cat("TensorArray ", name, ": Could not write to TensorArray index ", index,
                                    " because it has already been read."));
  if (t.written && !ta->is_grad)
    return invalid_argument(str_cat("TensorArray ", name, ": Could not write to TensorArray index ", index,
                                    " because it has already been written to."));
  if (!t.written) {
    t.tensor = value;
    t.shape = value.shape();
    t.written = true;
    return Status();
  }
  // A gradient array: repeated writes add up.
  if (value.shape() != t.shape)
    return invalid_argument(str_cat("TensorArray ", name, ": Could not aggregate to TensorArray index ", index,
                                    " because the existing shape is ", shape_str(t.shape),
                                    " but the new input shape is ", shape_str(value.shape()), "."));
  if (!t.tensor.valid() || t.tensor.num_elements() == 0) {
    t.tensor = value;
    return Status();
  }
  Tensor sum;
  MR_RETURN_IF_ERROR(add_into(t.tensor, value, &sum));
  t.tensor = sum;
  t.local_copy = true;
  return Status();
}

Status read_element(TensorArray* ta, int64_t index, Tensor* out) {
  const std::string& name = ta->name;
  const int64_t size = static_cast<int64_t>(ta->elements.size());
  if (index < 0 || (!ta->is_grad && index >= size))
    return invalid_argument(str_cat("Tried to read from index ", index, " but array size is: ", size));
  if ((ta->is_grad && (index >= size || !ta->elements[index].written)) ||
      (!ta->is_grad && !ta->elements[index].written)) {
    // Never written: zeros, if the element's shape is known.
    Shape shape;
    if (ta->is_grad && index < size && !ta->elements[index].shape.empty()) {
      shape = ta->elements[index].shape;  // the forward array's element
    } else if (!ta->element_shape.fully_defined()) {
      return invalid_argument(str_cat(
          "TensorArray ", name, ": Could not read from TensorArray index ", index,
          ".  Furthermore, the element shape is not fully defined: ", ta->element_shape.str(),
          ".  It is possible you are working with a resizeable TensorArray and stop_gradients is not allowing "
          "the gradients to be written.  If you set the full element_shape property on the forward "
          "TensorArray, the proper all-zeros tensor will be returned instead of incurring this error."));
    } else {
      shape = ta->element_shape.dims;
    }
    const int64_t first = index >= size ? size : index;
    if (index >= size) ta->elements.resize(index + 1);
    for (int64_t i = first; i <= index; ++i) {
      ta->elements[i].shape = shape;
      ta->elements[i].written = true;
    }
  }
  TensorArray::Element& t = ta->elements[index];
  if (t.cleared)
    return invalid_argument(str_cat("TensorArray ", name, ": Could not read index ", index,
                                    " twice because it was cleared after a previous read (perhaps try setting "
                                    "clear_after_read = false?)."));
  if (!t.tensor.valid() || t.tensor.num_elements() == 0) {
    t.tensor = Tensor(ta->dtype, t.shape);
    if (t.tensor.nbytes() && !is_object_type(ta->dtype)) std::memset(t.tensor.raw(), 0, t.tensor.nbytes());
  }
  *out = t.tensor;
  if (ta->clear_after_read) {
    t.tensor = Tensor();
    t.cleared = true;
  }
  t.read = true;
  return Status();
}

class TensorArrayWriteKernel : public OpKernel {
 public:
  explicit TensorArrayWriteKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<TensorArray> ta;
    MR_RETURN_IF_ERROR(lookup(ctx, 0, &ta));
    int64_t index;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "index must be a scalar integer", &index, true));
    std::lock_guard<std::mutex> lock(ta->mu);
    MR_RETURN_IF_ERROR(write_element(ta.get(), index, ctx.input(2)));
    ctx.set_output(0, flow_out());
    return Status();
  }
};

class TensorArrayReadKernel : public OpKernel {
 public:
  explicit TensorArrayReadKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<TensorArray> ta;
    MR_RETURN_IF_ERROR(lookup(ctx, 0, &ta));
    int64_t index;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "index must be a scalar integer", &index, true));
    std::lock_guard<std::mutex> lock(ta->mu);
    Tensor value;
    MR_RETURN_IF_ERROR(read_element(ta.get(), index, &value));
    ctx.set_output(0, value);
    return Status();
  }
};

// Stacks elements [n, ...element] into one tensor.
Status stack_elements(const std::vector<Tensor>& parts, DType dtype, const PartialShape& element_shape,
                      Tensor* out) {
  Shape elem;
  if (!parts.empty()) elem = parts[0].shape();
  else if (element_shape.fully_defined()) elem = element_shape.dims;
  else return invalid_argument("TensorArray has size zero, but element shape is not fully defined.");
  for (const Tensor& p : parts)
    if (p.shape() != elem)
      return invalid_argument(str_cat("TensorArray has inconsistent shapes. Index 0 has shape: ", shape_str(elem),
                                      " but another has shape: ", shape_str(p.shape())));
  Shape shape = {static_cast<int64_t>(parts.size())};
  shape.insert(shape.end(), elem.begin(), elem.end());
  *out = Tensor(dtype, shape);
  int64_t n = num_elements(elem);
  ElementCopier copier(dtype);
  for (size_t i = 0; i < parts.size(); ++i) copier.copy(parts[i], 0, *out, i * n, n);
  return Status();
}

class TensorArrayGatherKernel : public OpKernel {
 public:
  explicit TensorArrayGatherKernel(KernelInit& init) {
    if (init.has_attr("element_shape")) init.get("element_shape", &element_shape_);
  }
  Status compute(OpContext& ctx) override {
    std::shared_ptr<TensorArray> ta;
    MR_RETURN_IF_ERROR(lookup(ctx, 0, &ta));
    std::vector<int64_t> indices;
    MR_RETURN_IF_ERROR(tensor_to_vector(ctx.input(1), &indices, "indices"));
    std::lock_guard<std::mutex> lock(ta->mu);
    std::vector<Tensor> parts(indices.size());
    for (size_t i = 0; i < indices.size(); ++i) MR_RETURN_IF_ERROR(read_element(ta.get(), indices[i], &parts[i]));
    PartialShape shape = element_shape_.unknown_rank ? ta->element_shape : element_shape_;
    Tensor out;
    MR_RETURN_IF_ERROR(stack_elements(parts, ta->dtype, shape, &out));
    ctx.set_output(0, out);
    return Status();
  }

 private:
  PartialShape element_shape_;
};

class TensorArrayScatterKernel : public OpKernel {
 public:
  explicit TensorArrayScatterKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<TensorArray> ta;
    MR_RETURN_IF_ERROR(lookup(ctx, 0, &ta));
    std::vector<int64_t> indices;
    MR_RETURN_IF_ERROR(tensor_to_vector(ctx.input(1), &indices, "indices"));
    const Tensor& value = ctx.input(2);
    MR_REQUIRE(value.rank() >= 1 && value.dim(0) == static_cast<int64_t>(indices.size()),
               "Expected len(indices) == values.shape[0], but saw: ", indices.size(), " vs. ",
               value.rank() ? value.dim(0) : 0);
    Shape elem(value.shape().begin() + 1, value.shape().end());
    ElementCopier copier(value.dtype());
    std::lock_guard<std::mutex> lock(ta->mu);
    for (size_t i = 0; i < indices.size(); ++i) {
      Tensor part(value.dtype(), elem);
      int64_t n = part.num_elements();
      copier.copy(value, i * n, part, 0, n);
      MR_RETURN_IF_ERROR(write_element(ta.get(), indices[i], part));
    }
    ctx.set_output(0, flow_out());
    return Status();
  }
};

class TensorArraySizeKernel : public OpKernel {
 public:
  explicit TensorArraySizeKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<TensorArray> ta;
    MR_RETURN_IF_ERROR(lookup(ctx, 0, &ta));
    std::lock_guard<std::mutex> lock(ta->mu);
    ctx.set_output(0, Tensor::scalar<int32_t>(static_cast<int32_t>(ta->elements.size())));
    return Status();
  }
};

class TensorArrayConcatKernel : public OpKernel {
 public:
  explicit TensorArrayConcatKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<TensorArray> ta;
    MR_RETURN_IF_ERROR(lookup(ctx, 0, &ta));
    std::lock_guard<std::mutex> lock(ta->mu);
    std::vector<Tensor> parts(ta->elements.size());
    Tensor& lengths = ctx.allocate_output(1, {static_cast<int64_t>(parts.size())});
    int64_t rows = 0;
    Shape inner;
    for (size_t i = 0; i < parts.size(); ++i) {
      MR_RETURN_IF_ERROR(read_element(ta.get(), i, &parts[i]));
      MR_REQUIRE(parts[i].rank() >= 1, "Concat saw a scalar shape at index ", i);
      Shape rest(parts[i].shape().begin() + 1, parts[i].shape().end());
      if (i == 0) inner = rest;
      MR_REQUIRE(rest == inner, "TensorArray has inconsistent shapes at index ", i);
      lengths.data<int64_t>()[i] = parts[i].dim(0);
      rows += parts[i].dim(0);
    }
    Shape shape = {rows};
    shape.insert(shape.end(), inner.begin(), inner.end());
    Tensor& out = ctx.allocate_output(0, shape);
    ElementCopier copier(ta->dtype);
    int64_t offset = 0;
    for (const Tensor& p : parts) {
      copier.copy(p, 0, out, offset, p.num_elements());
      offset += p.num_elements();
    }
    return Status();
  }
};

class TensorArraySplitKernel : public OpKernel {
 public:
  explicit TensorArraySplitKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<TensorArray> ta;
    MR_RETURN_IF_ERROR(lookup(ctx, 0, &ta));
    const Tensor& value = ctx.input(1);
    std::vector<int64_t> lengths;
    MR_RETURN_IF_ERROR(tensor_to_vector(ctx.input(2), &lengths, "lengths"));
    MR_REQUIRE(value.rank() >= 1, "Expected value to be at least a vector");
    int64_t total = 0;
    for (int64_t l : lengths) total += l;
    MR_REQUIRE(total == value.dim(0), "Expected sum of lengths to be equal to values.shape[0], but sum of lengths is ",
               total, " and value's shape is: ", shape_str(value.shape()));
    int64_t row = value.num_elements() / std::max<int64_t>(1, value.dim(0));
    ElementCopier copier(value.dtype());
    std::lock_guard<std::mutex> lock(ta->mu);
    int64_t start = 0;
    for (size_t i = 0; i < lengths.size(); ++i) {
      Shape shape = value.shape();
      shape[0] = lengths[i];
      Tensor part(value.dtype(), shape);
      copier.copy(value, start * row, part, 0, part.num_elements());
      start += lengths[i];
      MR_RETURN_IF_ERROR(write_element(ta.get(), i, part));
    }
    ctx.set_output(0, flow_out());
    return Status();
  }
};

class TensorArrayGradKernel : public OpKernel {
 public:
  explicit TensorArrayGradKernel(KernelInit& init) : v3_(init.op() == "TensorArrayGradV3") {
    init.get("source", &source_);
  }
  Status compute(OpContext& ctx) override {
    std::shared_ptr<TensorArray> ta;
    MR_RETURN_IF_ERROR(lookup(ctx, 0, &ta));
    const Tensor& h = ctx.input(0);
    std::string key = (h.dtype() == DType::kResource ? h.data<ResourceHandle>()->name : h.data<std::string>()[1]) +
                      "@" + source_;
    auto grad = std::dynamic_pointer_cast<TensorArray>(ctx.resources().lookup(key));
    if (!grad) {
      // Same size and element shape as the forward array; each element the
      // forward array holds gives its shape to the gradient's (so reading an
      // element no gradient was written to gives zeros of that shape).
      grad = std::make_shared<TensorArray>();
      std::lock_guard<std::mutex> lock(ta->mu);
      grad->name = ctx.name();
      grad->dtype = ta->dtype;
      grad->element_shape = ta->element_shape;
      grad->identical_element_shapes = ta->identical_element_shapes;
      grad->is_grad = true;
      grad->clear_after_read = true;
      grad->elements.resize(ta->elements.size());
      for (size_t i = 0; i < ta->elements.size(); ++i) {
        if (!ta->elements[i].written) continue;
        grad->elements[i].shape = ta->elements[i].shape;
        grad->elements[i].written = true;
      }
      ta->dynamic_size = false;
      ctx.resources().insert(key, grad);
    }
    ctx.set_output(0, make_handle(key, v3_));
    if (ctx.num_outputs() > 1) ctx.set_output(1, flow_out());
    return Status();
  }

 private:
  bool v3_;
  std::string source_;
};

class TensorArrayCloseKernel : public OpKernel {
 public:
  explicit TensorArrayCloseKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<TensorArray> ta;
    return lookup(ctx, 0, &ta);  // closing frees nothing early; the run's end does
  }
};

// ---- stacks ----

class StackKernel : public OpKernel {
 public:
  explicit StackKernel(KernelInit& init) : v2_(init.op() == "StackV2") { init.get("elem_type", &dtype_); }
  Status compute(OpContext& ctx) override {
    auto stack = std::make_shared<Stack>();
    stack->dtype = dtype_;
    if (v2_ && ctx.num_inputs() > 0) {
      MR_RETURN_IF_ERROR(scalar_input(ctx, 0, "Stack size must be a scalar, but had shape: {}", &stack->max_size, true));
    }
    std::string key = new_key(ctx, "stack");
    ctx.resources().insert(key, stack);
    ctx.set_output(0, make_handle(key, v2_));
    return Status();
  }

 private:
  bool v2_;
  DType dtype_ = DType::kInvalid;
};

class StackPushKernel : public OpKernel {
 public:
  explicit StackPushKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Stack> stack;
    MR_RETURN_IF_ERROR(lookup(ctx, 0, &stack));
    std::lock_guard<std::mutex> lock(stack->mu);
    if (stack->max_size >= 0 && static_cast<int64_t>(stack->items.size()) >= stack->max_size && stack->max_size > 0)
      return invalid_argument(str_cat("Stack[", ctx.name(), "] overflowed its max_size (", stack->max_size, ")"));
    stack->items.push_back(ctx.input(1));
    ctx.set_output(0, ctx.input(1));
    return Status();
  }
};

class StackPopKernel : public OpKernel {
 public:
  explicit StackPopKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Stack> stack;
    MR_RETURN_IF_ERROR(lookup(ctx, 0, &stack));
    std::lock_guard<std::mutex> lock(stack->mu);
    if (stack->items.empty()) return out_of_range(str_cat("Stack[", ctx.name(), "] is empty."));
    ctx.set_output(0, stack->items.back());
    stack->items.pop_back();
    return Status();
  }
};

class StackCloseKernel : public OpKernel {
 public:
  explicit StackCloseKernel(KernelInit&) {}
  Status compute(OpContext&) override { return Status(); }
};

}  // namespace

void register_tensor_array_ops(Registry& r) {
  for (const char* v : {"V2", "V3"}) {
    std::string s(v);
    r.add("TensorArray" + s, make_kernel<TensorArrayKernel>);
    r.add("TensorArrayWrite" + s, make_kernel<TensorArrayWriteKernel>);
    r.add("TensorArrayRead" + s, make_kernel<TensorArrayReadKernel>);
    r.add("TensorArrayGather" + s, make_kernel<TensorArrayGatherKernel>);
    r.add("TensorArrayScatter" + s, make_kernel<TensorArrayScatterKernel>);
    r.add("TensorArraySize" + s, make_kernel<TensorArraySizeKernel>);
    r.add("TensorArrayConcat" + s, make_kernel<TensorArrayConcatKernel>);
    r.add("TensorArraySplit" + s, make_kernel<TensorArraySplitKernel>);
    r.add("TensorArrayGrad" + s, make_kernel<TensorArrayGradKernel>);
    r.add("TensorArrayClose" + s, make_kernel<TensorArrayCloseKernel>);
  }
  r.add("StackV2", make_kernel<StackKernel>);
  r.add("StackPushV2", make_kernel<StackPushKernel>);
  r.add("StackPopV2", make_kernel<StackPopKernel>);
  r.add("StackCloseV2", make_kernel<StackCloseKernel>);
  r.add("Stack", make_kernel<StackKernel>);
  r.add("StackPush", make_kernel<StackPushKernel>);
  r.add("StackPop", make_kernel<StackPopKernel>);
  r.add("StackClose", make_kernel<StackCloseKernel>);
}

}  // namespace metarun
