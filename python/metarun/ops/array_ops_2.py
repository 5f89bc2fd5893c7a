"""More tf.* array and math functions: arg_max/arg_min, sort/argsort (TopKV2), repeat, setdiff1d,
ensure_shape, lbeta, angle, random_crop, clip_by_average_norm, broadcast shapes, Print/print.

Each builds the nodes TF 2.21's function builds, under the same names."""

import sys

import numpy as np

from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape, as_shape
from metarun.ops import array_ops, math_ops
from metarun.ops.scopes import name_scope


def arg_max(input, dimension, output_type=dtypes.int64, name=None):  # noqa: A002 -- TF's names
    return apply_op("ArgMax", input=input, dimension=dimension, output_type=output_type, name=name)


def arg_min(input, dimension, output_type=dtypes.int64, name=None):  # noqa: A002
    return apply_op("ArgMin", input=input, dimension=dimension, output_type=output_type, name=name)


# -- shapes -------------------------------------------------------------------------------------

def broadcast_dynamic_shape(shape_x, shape_y):
    return apply_op("BroadcastArgs", s0=shape_x, s1=shape_y)


def broadcast_static_shape(shape_x, shape_y):
    """numpy broadcasting of two TensorShapes; an unknown dim broadcasts with a known one > 1."""
    x, y = as_shape(shape_x), as_shape(shape_y)
    if x.ndims is None or y.ndims is None:
        return TensorShape(None)
    a, b = x.dims, y.dims
    n = max(len(a), len(b))
    a = [1] * (n - len(a)) + a
    b = [1] * (n - len(b)) + b
    out = []
    for p, q in zip(a, b):
        if p is None or q is None:
            out.append(p if p is not None and p > 1 else q if q is not None and q > 1 else None)
        elif p == q or q == 1:
            out.append(p)
        elif p == 1:
            out.append(q)
        else:
            raise ValueError("Incompatible shapes for broadcasting: %s and %s" % (x, y))
    return TensorShape(out)


def ensure_shape(x, shape, name=None):
    return apply_op("EnsureShape", input=x, shape=as_shape(shape), name=name)


@si.register("EnsureShape")
def _ensure_shape_shape(op):
    want = TensorShape(op.get_attr("shape")) if not isinstance(op.get_attr("shape"), TensorShape) \
        else op.get_attr("shape")
    return [si.merge(op.inputs[0].shape, want)]


def setdiff1d(x, y, index_dtype=dtypes.int32, name=None):
    out, idx = apply_op("ListDiff", x=x, y=y, out_idx=index_dtype, name=name)
    return _ListDiff(out, idx)


class _ListDiff(tuple):
    """TF's ListDiff(out, idx) result."""

    def __new__(cls, out, idx):
        return tuple.__new__(cls, (out, idx))

    out = property(lambda self: self[0])
    idx = property(lambda self: self[1])


@si.register("ListDiff")
def _list_diff_shape(op):
    return [TensorShape([None]), TensorShape([None])]


# -- math ---------------------------------------------------------------------------------------

def clip_by_average_norm(t, clip_norm, name=None):
    with name_scope(name, "clip_by_average_norm", [t, clip_norm]) as name:
        t = convert_to_tensor(t, name="t")
        n_element = math_ops.cast(array_ops.size(t), dtypes.float32)
        l2norm_inv = math_ops.rsqrt(math_ops.reduce_sum(t * t, math_ops.range(array_ops.rank(t))))
        return array_ops.identity(t * clip_norm * math_ops.minimum(l2norm_inv * n_element, constant(1.0) / clip_norm),
                                  name=name)


def lbeta(x, name=None):
    with name_scope(name, "lbeta", [x]):
        x = convert_to_tensor(x, name="x")
        log_prod_gamma_x = math_ops.reduce_sum(apply_op("Lgamma", x=x), axis=[-1])
        sum_x = math_ops.reduce_sum(x, axis=[-1])
        return log_prod_gamma_x - apply_op("Lgamma", x=sum_x)


def angle(input, name=None):  # noqa: A002
    """The complex argument: an Angle op for complex input, else pi where input < 0 and 0 elsewhere."""
    with name_scope(name, "Angle", [input]) as name:
        input = convert_to_tensor(input, name="input")
        if input.dtype.is_complex:
            return apply_op("Angle", input=input, Tout=input.dtype.real_dtype, name=name)
        return array_ops.where(input < 0, np.pi * array_ops.ones_like(input), array_ops.zeros_like(input))


def random_crop(value, size, seed=None, name=None):
    from metarun.ops import control_flow_ops, random_ops
    with name_scope(name, "random_crop", [value, size]) as name:
        value = convert_to_tensor(value, name="value")
        size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
        shape = array_ops.shape(value)
        check = array_ops.Assert(math_ops.reduce_all(shape >= size), ["Need value.shape >= size, got ", shape, size],
                                 summarize=1000)
        shape = control_flow_ops.with_dependencies([check], shape)
        limit = shape - size + 1
        offset = random_ops.random_uniform(array_ops.shape(shape), dtype=size.dtype, maxval=size.dtype.max,
                                           seed=seed) % limit
        return array_ops.slice(value, offset, size, name=name)


# -- sort / argsort (TopKV2 on the last axis, transposing another axis there) -------------------

def sort(values, axis=-1, direction="ASCENDING", name=None):
    with name_scope(name, "sort"):
        return _sort_or_argsort(values, axis, direction, False)


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    del stable  # TopKV2 is stable
    with name_scope(name, "argsort"):
        return _sort_or_argsort(values, axis, direction, True)


def _sort_or_argsort(values, axis, direction, return_argsort):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError("Argument `direction` should be one of {'ASCENDING', 'DESCENDING'}. "
                         "Received: direction=%s" % direction)
    axis = convert_to_tensor(axis, name="axis")
    axis_static = si.constant_value(axis)
    if axis.shape.ndims not in (None, 0) or axis_static is None:
        raise ValueError("`axis` must be a constant scalar. Received: axis=%s" % axis)
    axis_static = int(axis_static)
    values = convert_to_tensor(values, name="values")
    if direction == "DESCENDING":
        return _descending_sort(values, axis_static, return_argsort)
    dt = values.dtype.base_dtype
    if dt.is_unsigned:
        offset = dt.max
        out = _descending_sort(offset - values, axis_static, return_argsort)
        return out if return_argsort else offset - out
    if dt.is_integer:
        out = _descending_sort(-values - 1, axis_static, return_argsort)
        return out if return_argsort else -out - 1
    out = _descending_sort(-values, axis_static, return_argsort)
    return out if return_argsort else -out


def _descending_sort(values, axis, return_argsort):
    k = array_ops.shape(values)[axis]
    rank = array_ops.rank(values)
    static_rank = values.shape.ndims
    if axis == -1 or axis + 1 == static_rank:
        top_k_input, transposition = values, None
    else:
        if axis < 0:
            axis += static_rank if static_rank is not None else rank
        if static_rank is None:
            raise NotImplementedError("sort along an inner axis of a tensor of unknown rank needs "
                                      "TensorScatterUpdate, which metarun has no kernel for")
        perm = np.r_[np.arange(axis), [static_rank - 1], np.arange(axis + 1, static_rank - 1), [axis]]
        transposition = constant(perm, name="transposition")
        top_k_input = array_ops.transpose(values, transposition)
    out_values, indices = apply_op("TopKV2", input=top_k_input, k=k, sorted=True)
    if top_k_input.shape.ndims is not None:  # TF's shape function reads k from the partly known shape
        out_values.set_shape(top_k_input.shape)
        indices.set_shape(top_k_input.shape)
    result = indices if return_argsort else out_values
    if transposition is not None:
        result = array_ops.transpose(result, transposition)
    return result


# -- repeat ---------------------------------------------------------------------------------------

def repeat(input, repeats, axis=None, name=None):  # noqa: A002
    if axis is None:
        input = array_ops.reshape(input, [-1])
        axis = 0
    return _repeat_with_axis(input, repeats, axis, name)


def _positive_axis(axis, ndims, axis_name="axis", ndims_name="rank(data)"):
    if not isinstance(axis, int):
        raise TypeError("%s must be an int; got %s" % (axis_name, type(axis).__name__))
    if ndims is not None:
        if 0 <= axis < ndims:
            return axis
        if -ndims <= axis < 0:
            return axis + ndims
        raise ValueError("%s=%s out of bounds: expected %s<=%s<%s" % (axis_name, axis, -ndims, axis_name, ndims))
    if axis < 0:
        raise ValueError("%s may only be negative if %s is statically known." % (axis_name, ndims_name))
    return axis


def _tile_one_dimension(data, axis, multiple):
    if data.shape.ndims is not None:
        multiples = [1] * data.shape.ndims
        multiples[axis] = multiple
    else:
        ones_value = array_ops.ones(array_ops.rank(data), dtypes.int32)
        multiples = array_ops.concat([ones_value[:axis], [multiple], ones_value[axis + 1:]], axis=0)
    tiled = array_ops.tile(data, multiples)
    if data.shape.ndims is not None:  # TF's shape function reads the known multiples
        known = [si.constant_value(m) if hasattr(m, "op") else m for m in multiples]
        tiled.set_shape([None if d is None or k is None else d * int(k) for d, k in zip(data.shape.dims, known)])
    return tiled


def _with_nonzero_rank(data):
    if data.shape.ndims is not None:
        return array_ops.stack([data]) if data.shape.ndims == 0 else data
    data_shape = array_ops.shape(data)
    data_ndims = array_ops.rank(data)
    return array_ops.reshape(data, array_ops.concat([[1], data_shape], axis=0)[-data_ndims:])


def _repeat_with_axis(data, repeats, axis, name):
    if not isinstance(axis, int):
        raise TypeError("Argument `axis` must be an int. Received `axis` = %s of type %s"
                        % (axis, type(axis).__name__))
    with name_scope(name, "Repeat", [data, repeats]):
        data = convert_to_tensor(data, name="data")
        repeats = convert_to_tensor(repeats, name="repeats", preferred_dtype=dtypes.int32)
        if not repeats.dtype.is_integer:
            raise TypeError("repeats must be an integer tensor with dtype %s; got %s" % (dtypes.int32, repeats.dtype))
        repeats = apply_op("Cast", x=repeats, DstT=dtypes.int32, Truncate=False)
        if repeats.shape.ndims is not None and repeats.shape.ndims > 1:
            raise ValueError("Shape %s must have rank at most 1" % repeats.shape)
        data = _with_nonzero_rank(data)
        data_shape = array_ops.shape(data, out_type=repeats.dtype)
        axis = _positive_axis(axis, data.shape.ndims, ndims_name="rank(data)")
        if repeats.shape.num_elements() == 1:
            repeats = array_ops.reshape(repeats, [])
            expanded = array_ops.expand_dims(data, axis + 1)
            tiled = _tile_one_dimension(expanded, axis + 1, repeats)
            result_shape = array_ops.concat(
                [data_shape[:axis], [repeats * data_shape[axis]], data_shape[axis + 1:]], axis=0)
            return array_ops.reshape(tiled, result_shape)
        if repeats.shape.ndims == 1 and data.shape.ndims is not None:
            d, r = data.shape.dims[axis], repeats.shape.dims[0]
            if d is not None and r is not None and d != r:
                raise ValueError("Dimensions %s and %s are not compatible" % (d, r))
        repeats = array_ops.broadcast_to(repeats, [data_shape[axis]])
        if data.shape.ndims is not None:  # TF's shape function reads the partly known shape
            repeats.set_shape([data.shape.dims[axis]])
        repeats_original = repeats
        if repeats.shape.ndims != axis + 1:
            repeats_shape = array_ops.shape(repeats)
            repeats_ndims = array_ops.rank(repeats)
            broadcast_shape = array_ops.concat([data_shape[:axis + 1 - repeats_ndims], repeats_shape], axis=0)
            repeats = array_ops.broadcast_to(repeats, broadcast_shape)
        n = repeats.shape.ndims
        axes = constant(np.arange(n, dtype=np.int32)) if n is not None else \
            math_ops.range(0, array_ops.rank(repeats))
        max_repeat = apply_op("Max", input=repeats, reduction_indices=axes, keep_dims=False)
        max_repeat = apply_op("Maximum", x=convert_to_tensor(0, name="zero", dtype=max_repeat.dtype), y=max_repeat)
        mask = array_ops.sequence_mask(repeats, max_repeat)
        expanded = array_ops.expand_dims(data, axis + 1)
        tiled = _tile_one_dimension(expanded, axis + 1, max_repeat)
        masked = array_ops.boolean_mask(tiled, mask)
        if axis == 0:
            result = masked
        else:
            dims = apply_op("Range", start=0, limit=array_ops.rank(repeats_original), delta=1)
            repeated_dim_size = apply_op("Sum", input=repeats_original, reduction_indices=dims, keep_dims=False)
            result_shape = array_ops.concat([data_shape[:axis], [repeated_dim_size], data_shape[axis + 1:]], axis=0)
            result = array_ops.reshape(masked, result_shape)
        if data.shape.ndims is not None:
            new_axis_size = 0 if repeats.shape.ndims and repeats.shape.dims[0] == 0 else None
            result.set_shape(data.shape.dims[:axis] + [new_axis_size] + data.shape.dims[axis + 1:])
        return result


# -- Print / print --------------------------------------------------------------------------------

def Print(input_, data, message=None, first_n=None, summarize=None, name=None):  # noqa: N802 -- TF's name
    """An identity of `input_` that prints `data` (TF1's Print op)."""
    kwargs = {}
    if message is not None:
        kwargs["message"] = message
    if first_n is not None:
        kwargs["first_n"] = first_n
    if summarize is not None:
        kwargs["summarize"] = summarize
    return apply_op("Print", input=input_, data=list(data), name=name, **kwargs)


def _stream_name(output_stream):
    import logging
    from metarun import tf_logging
    if output_stream is sys.stdout:
        return "stdout"
    if output_stream is sys.stderr:
        return "stderr"
    levels = {getattr(tf_logging, "info", None): "log(info)", getattr(tf_logging, "warning", None): "log(warning)",
              getattr(tf_logging, "error", None): "log(error)", logging.info: "log(info)",
              logging.warning: "log(warning)", logging.error: "log(error)"}
    if output_stream in levels:
        return levels[output_stream]
    if isinstance(output_stream, str) and output_stream.startswith("file://"):
        return output_stream
    raise ValueError("Unsupported output stream, logging level, or file.%s. Supported streams are sys.stdout, "
                     "sys.stderr, tf.logging.info, tf.logging.warning, tf.logging.error. File needs to be in "
                     "the form of 'file://<filepath>'." % str(output_stream))


def print_v2(*inputs, **kwargs):
    """tf.print in graph mode: a StringFormat of the inputs (Python values written into the template,
    each tensor a '{}') feeding a PrintV2, which is returned."""
    output_stream = kwargs.pop("output_stream", sys.stderr)
    name = kwargs.pop("name", None)
    summarize = kwargs.pop("summarize", 3)
    sep = kwargs.pop("sep", " ")
    end = kwargs.pop("end", "\n")
    if kwargs:
        raise ValueError("Unrecognized keyword arguments for tf.print: %s" % kwargs)
    stream = _stream_name(output_stream)
    tensors = []
    parts = []
    for x in inputs:
        if hasattr(x, "op") and hasattr(x, "dtype"):
            tensors.append(x)
            parts.append("{}")
        else:
            parts.append(str(x))
    template = sep.join(parts)
    if len(inputs) == 1 and tensors and tensors[0].dtype == dtypes.string and tensors[0].shape.ndims == 0:
        formatted = tensors[0]
    else:
        formatted = apply_op("StringFormat", inputs=tensors, template=template, placeholder="{}",
                             summarize=summarize, name=name)
    return apply_op("PrintV2", input=formatted, output_stream=stream, end=end, name=name)


# -- gradients ------------------------------------------------------------------------------------

def _register_gradients():
    from metarun.ops.gradients_impl import NotDifferentiable, RegisterGradient, _GRADIENTS

    if "Print" not in _GRADIENTS:
        @RegisterGradient("Print")
        def _print_grad(op, *grad):
            return list(grad) + [None] * (len(op.inputs) - 1)

    # EnsureShape's gradient (the incoming one) is array_grad's.

    for op_type in ("ListDiff", "StringFormat", "PrintV2"):
        if op_type not in _GRADIENTS:
            NotDifferentiable(op_type)


_register_gradients()
