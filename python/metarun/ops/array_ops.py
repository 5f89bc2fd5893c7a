"""tf.* array functions: placeholders, identity, shapes, reshaping, slicing."""

import builtins
import collections
import weakref

import numpy as np

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops.scopes import name_scope


newaxis = None


def reverse_v2(tensor, axis, name=None):
    return apply_op("ReverseV2", tensor=tensor, axis=axis, name=name)


def placeholder(dtype, shape=None, name=None):
    return apply_op("Placeholder", dtype=dtypes.as_dtype(dtype), shape=TensorShape(shape), name=name)


def placeholder_with_default(input, shape, name=None):  # noqa: A002
    return apply_op("PlaceholderWithDefault", input=input, shape=TensorShape(shape), name=name)


def identity(input, name=None):  # noqa: A002
    return apply_op("Identity", input=input, name=name)


def stop_gradient(input, name=None):  # noqa: A002
    return apply_op("StopGradient", input=input, name=name)


def _shape_internal(input, name=None, optimize=True, out_type=None):  # noqa: A002
    """TF's shape_internal: a known shape is a Const ('Shape' with an out_type,
    'Shape/shape_as_tensor' without one), else a Shape op."""
    with name_scope(name, "Shape", [input]) as name:
        input = convert_to_tensor(input)
        s = input.shape
        if optimize and s.is_fully_defined():
            if out_type is None:
                dims = s.as_list()
                dt = np.int64 if any(d >= 2 ** 31 for d in dims) else np.int32
                return constant(np.array(dims, dt), name="shape_as_tensor")
            return constant(s.as_list(), dtype=out_type, name=name)
        return apply_op("Shape", input=input, out_type=out_type or dtypes.int32, name=name)


def shape(input, name=None, out_type=None):  # noqa: A002
    return _shape_internal(input, name, True, dtypes.int32 if out_type is None else out_type)


def shape_n(input, out_type=dtypes.int32, name=None):  # noqa: A002
    return apply_op("ShapeN", input=list(input), out_type=out_type, name=name)


def size(input, name=None, out_type=None):  # noqa: A002
    out_type = dtypes.int32 if out_type is None else out_type
    with name_scope(name, "Size", [input]) as name:
        input = convert_to_tensor(input)
        s = input.shape
        if s.is_fully_defined():
            return constant(s.num_elements(), dtype=out_type, name=name)
        if s.ndims is not None and any(d == 0 for d in s.dims):
            return constant(0, dtype=out_type, name=name)
        return apply_op("Size", input=input, out_type=out_type, name=name)


def rank(input, name=None):  # noqa: A002
    with name_scope(name, "Rank", [input]) as name:
        input = convert_to_tensor(input)
        if input.shape.ndims is not None:
            return constant(input.shape.ndims, dtype=dtypes.int32, name=name)
        return apply_op("Rank", input=input, name=name)


def reshape(tensor, shape, name=None):
    return apply_op("Reshape", tensor=tensor, shape=shape, name=name)


def expand_dims(input, axis=None, name=None, dim=None):  # noqa: A002
    return apply_op("ExpandDims", input=input, dim=axis if axis is not None else dim, name=name)


def squeeze(input, axis=None, name=None, squeeze_dims=None):  # noqa: A002
    axis = axis if axis is not None else squeeze_dims
    if axis is None:
        axis = []
    elif isinstance(axis, int):
        axis = [axis]
    return apply_op("Squeeze", input=input, squeeze_dims=list(axis), name=name)


def fill(dims, value, name=None):
    return apply_op("Fill", dims=dims, value=value, name=name)


def _filled(shape, value, dtype, name):
    """TF's zeros/ones: a Const when the shape is a small static list, else Fill."""
    if not hasattr(shape, "op"):
        dims = shape.as_list() if isinstance(shape, TensorShape) else shape
        static = isinstance(dims, (list, tuple)) and not any(hasattr(d, "op") for d in dims)
        if static and np.prod(dims, dtype=np.int64) < 1000:
            return constant(value, shape=list(dims), dtype=dtype, name=name)
        if static:
            dims = [int(d) for d in dims]
            dt = np.int64 if any(d >= 2 ** 31 for d in dims) else np.int32
            shape = constant(np.array(dims, dt).reshape([len(dims)]), name="shape_as_tensor")
        else:
            shape = convert_to_tensor(dims, dtype=dtypes.int32)
    if shape.shape.ndims == 0:
        shape = reshape(shape, [-1])
    return fill(shape, constant(value, dtype=dtype), name=name)


def zeros(shape, dtype=dtypes.float32, name=None):
    dtype = dtypes.as_dtype(dtype).base_dtype
    with name_scope(name, "zeros", [shape]) as name:
        zero = False if dtype == dtypes.bool else ("" if dtype == dtypes.string else 0)
        return _filled(shape, zero, dtype, name)


def ones(shape, dtype=dtypes.float32, name=None):
    dtype = dtypes.as_dtype(dtype).base_dtype
    with name_scope(name, "ones", [shape]) as name:
        return _filled(shape, True if dtype == dtypes.bool else 1, dtype, name)


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    with name_scope(name, "zeros_like", [tensor]) as name:
        tensor = convert_to_tensor(tensor, name="tensor")
        dtype = tensor.dtype.base_dtype if dtype is None else dtypes.as_dtype(dtype).base_dtype
        if optimize and tensor.shape.is_fully_defined() and tensor.dtype.base_dtype != dtypes.variant:
            return zeros(tensor.shape.as_list(), dtype=dtype, name=name)
        if dtype != tensor.dtype.base_dtype:
            return zeros(_shape_internal(tensor, optimize=optimize), dtype=dtype, name=name)
        return apply_op("ZerosLike", x=tensor, name=name)


def ones_like(tensor, dtype=None, name=None, optimize=True):
    with name_scope(name, "ones_like", [tensor]) as name:
        tensor = convert_to_tensor(tensor, name="tensor")
        ones_shape = _shape_internal(tensor, optimize=optimize)
        out = ones(ones_shape, dtype=dtype or tensor.dtype.base_dtype, name=name)
        return out


def concat(values, axis, name="concat"):
    if not isinstance(values, (list, tuple)):
        values = [values]
    if len(values) == 1:
        with name_scope(name, "concat", values):
            convert_to_tensor(axis, name="concat_dim", dtype=dtypes.int32)
            return identity(values[0], name=name)
    return apply_op("ConcatV2", values=list(values), axis=axis, name=name)


def stack(values, axis=0, name="stack"):
    """TF's stack: along axis 0 the list is converted as one value (a Const when it
    holds no Tensor, else a Pack whose Python elements are named by index)."""
    if axis == 0:
        # As TF: one conversion of the whole list; if that fails (tensors of several
        # dtypes), Pack reports it.
        try:
            return convert_to_tensor(values if hasattr(values, "op") else list(values), name=name)
        except (TypeError, ValueError):
            if hasattr(values, "op"):
                raise
    first = convert_to_tensor(values[0], name=name)
    if first.shape.ndims is not None:
        n = first.shape.ndims + 1
        if axis < -n or axis >= n:
            raise ValueError("Argument `axis` = %d not in range [%d, %d)" % (axis, -n, n))
    return apply_op("Pack", values=list(values), axis=axis, name=name)


def unstack(value, num=None, axis=0, name="unstack"):
    value = convert_to_tensor(value)
    if num is None:
        s = value.shape
        if s.ndims is None:
            raise ValueError("Cannot infer argument `num` from shape %s" % s)
        num = s.dims[axis]
        if num is None:
            raise ValueError("Cannot infer argument `num` from shape %s" % s)
    return apply_op("Unpack", value=value, num=num, axis=axis, name=name)


def transpose(a, perm=None, name="transpose", conjugate=False):
    with name_scope(name, "transpose", [a]) as name:
        a = convert_to_tensor(a, name="a")
        if perm is None:
            r = a.shape.ndims
            if r is not None:
                perm = np.arange(r - 1, -1, -1, dtype=np.int32)
            else:
                rk = rank(a)
                perm = apply_op("Sub", x=apply_op("Sub", x=rk, y=1, name="sub"),
                                y=apply_op("Range", start=0, limit=rk, delta=1))
        return apply_op("ConjugateTranspose" if conjugate and a.dtype.is_complex else "Transpose",
                        x=a, perm=perm, name=name)


def slice_helper(tensor, key, var=None):
    """tensor[key]: StridedSlice with TF's masks (ints, slices, Ellipsis, newaxis, Tensors).
    With `var` (tensor is its value: `var[key]`), the slice's `assign(value, name=None)` writes
    value into that slice of the variable, as TF's."""
    if not isinstance(key, (list, tuple)) or isinstance(key, list) and not any(
            isinstance(k, (builtins.slice, type(Ellipsis))) or k is None for k in key):
        key = [key] if not isinstance(key, tuple) else list(key)
    begin, end, strides = [], [], []
    begin_mask = end_mask = ellipsis_mask = new_axis_mask = shrink_axis_mask = 0
    for i, k in enumerate(key):
        if isinstance(k, builtins.slice) and any(hasattr(v, "op") for v in (k.start, k.stop, k.step)):
            # A slice holding a Tensor: TF makes its missing parts Consts too.
            k = builtins.slice(*[constant(d) if v is None else v for v, d in
                                 zip((k.start, k.stop, k.step), (0, 0, 1))])
            begin.append(k.start)
            end.append(k.stop)
            strides.append(k.step)
            if key[i].start is None:
                begin_mask |= 1 << i
            if key[i].stop is None:
                end_mask |= 1 << i
        elif isinstance(k, builtins.slice):
            begin.append(0 if k.start is None else k.start)
            end.append(0 if k.stop is None else k.stop)
            strides.append(1 if k.step is None else k.step)
            if k.start is None:
                begin_mask |= 1 << i
            if k.stop is None:
                end_mask |= 1 << i
        elif k is Ellipsis:
            begin.append(0)
            end.append(0)
            strides.append(1)
            ellipsis_mask |= 1 << i
        elif k is None:
            begin.append(0)
            end.append(0)
            strides.append(1)
            new_axis_mask |= 1 << i
        else:
            begin.append(k)
            end.append(k + 1)
            # An int64 Tensor index gets an int64 stride Const (TF then packs int64 vectors).
            int64 = hasattr(k, "dtype") and k.dtype.base_dtype == dtypes.int64
            strides.append(constant(1, dtype=dtypes.int64) if int64 else 1)
            shrink_axis_mask |= 1 << i
    with name_scope(None, "strided_slice", [tensor] + begin + end + strides) as name:
        if not key:  # x[()]: one empty vector for begin, end and strides
            empty = constant([], dtype=dtypes.int32)
            out = apply_op("StridedSlice", input=tensor, begin=empty, end=empty, strides=empty, name=name)
            return _assignable_slice(out, var, name, empty, empty, empty, {})
        b = stack(begin, name="stack") if any(hasattr(x, "op") for x in begin) else \
            constant(np.array(begin, np.int32), name="stack")
        e = stack(end, name="stack_1") if any(hasattr(x, "op") for x in end) else \
            constant(np.array(end, np.int32), name="stack_1")
        s = stack(strides, name="stack_2") if any(hasattr(x, "op") for x in strides) else \
            constant(np.array(strides, np.int32), name="stack_2")
        masks = dict(begin_mask=begin_mask, end_mask=end_mask, ellipsis_mask=ellipsis_mask,
                     new_axis_mask=new_axis_mask, shrink_axis_mask=shrink_axis_mask)
        out = apply_op("StridedSlice", input=tensor, begin=b, end=e, strides=s, name=name, **masks)
        return _assignable_slice(out, var, name, b, e, s, masks)


_SLICE_ASSIGNS = weakref.WeakKeyDictionary()


class _VariableSlice(graph_lib.Tensor):
    """A slice of a variable's value (`var[key]`) that can also be assigned to: TF attaches
    `assign` to the slice tensor. Same layout as a Tensor, which it becomes in place."""

    __slots__ = ()

    def assign(self, value, name=None):
        return _SLICE_ASSIGNS[self](value, name)


def _assignable_slice(out, var, scope, begin, end, strides, masks):
    """TF's `var[key].assign(value)`: StridedSliceAssign on a ref variable (its ref output), or
    ResourceStridedSliceAssign on a resource variable read after it; named `<slice scope>_assign`."""
    if var is None:
        return out

    def assign(value, name=None):
        name = scope + "_assign" if name is None else name
        if not var._is_resource:
            return apply_op("StridedSliceAssign", ref=var._ref(), begin=begin, end=end, strides=strides,
                            value=value, name=name, **masks)
        from metarun.framework.variables import _UnreadVariable
        value = convert_to_tensor(value, dtype=var.dtype)
        op = apply_op("ResourceStridedSliceAssign", ref=var.handle, begin=begin, end=end, strides=strides,
                      value=value, name=name, **masks)
        return _UnreadVariable(var, op)

    out.__class__ = _VariableSlice
    _SLICE_ASSIGNS[out] = assign
    return out



def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    with name_scope(name, "one_hot", [indices, depth, on_value, off_value, axis, dtype]) as name:
        hint = None if dtype is None else dtypes.as_dtype(dtype).base_dtype
        on_exists, off_exists = on_value is not None, off_value is not None
        if on_exists:
            on_value = convert_to_tensor(on_value, preferred_dtype=hint)
        if off_exists:
            off_value = convert_to_tensor(off_value, preferred_dtype=hint)
        if on_exists or off_exists:
            dtype = hint or (on_value.dtype if on_exists else off_value.dtype).base_dtype
        else:
            dtype = hint or dtypes.float32
        if not on_exists:
            on_value = convert_to_tensor(1, dtype=dtype, name="on_value")
        if not off_exists:
            off_value = convert_to_tensor(0, dtype=dtype, name="off_value")
        return apply_op("OneHot", indices=indices, depth=depth, on_value=on_value, off_value=off_value,
                        axis=-1 if axis is None else axis, name=name)


def gather(params, indices, validate_indices=None, name=None, axis=None, batch_dims=0):
    if getattr(params, "_is_resource", False) and (axis is None or axis == 0) and batch_dims == 0:
        with name_scope(name, "Gather", [params, indices]) as scope:
            return apply_op("ResourceGather", resource=params.handle, indices=indices, dtype=params.dtype,
                            name=scope)
    return apply_op("GatherV2", params=params, indices=indices, axis=0 if axis is None else axis,
                    batch_dims=batch_dims, name=name)


def gather_nd(params, indices, name=None, batch_dims=0):
    if batch_dims != 0:
        raise NotImplementedError("metarun builds gather_nd with batch_dims=0 only (TF lays batch_dims out "
                                  "as a BatchGatherND subgraph)")
    if getattr(params, "_is_resource", False):
        # TF's ResourceVariable.gather_nd: the read in a `GatherNd` scope, then an Identity.
        with name_scope("GatherNd" if name is None else name) as scope:
            out = apply_op("ResourceGatherNd", resource=params.handle, indices=indices, dtype=params.dtype,
                           name=scope)
        return apply_op("Identity", input=out)
    return apply_op("GatherNd", params=params, indices=indices, name=name)


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    if isinstance(num_or_size_splits, int):
        return apply_op("Split", split_dim=axis, value=value, num_split=num_or_size_splits, name=name)
    sizes = convert_to_tensor(num_or_size_splits, dtype=dtypes.int32) if not hasattr(num_or_size_splits, "op") \
        else num_or_size_splits
    n = num if num is not None else sizes.shape.dims[0]
    return apply_op("SplitV", value=value, size_splits=sizes, split_dim=axis, num_split=n, name=name)


def tile(input, multiples, name=None):  # noqa: A002
    return apply_op("Tile", input=input, multiples=multiples, name=name)


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    mode = mode.upper()
    if mode == "CONSTANT":
        if not hasattr(constant_values, "op") and constant_values == 0:
            return apply_op("Pad", input=tensor, paddings=paddings, name=name)
        return apply_op("PadV2", input=tensor, paddings=paddings, constant_values=constant_values, name=name)
    return apply_op("MirrorPad", input=tensor, paddings=paddings, mode=mode, name=name)


def where(condition, x=None, y=None, name=None):
    if x is None and y is None:
        with name_scope(name, "Where", [condition]) as name:
            condition = convert_to_tensor(condition, dtype=dtypes.bool, name="condition")
            return apply_op("Where", input=condition, name=name)
    return apply_op("Select", condition=condition, t=x, e=y, name=name)


def where_v2(condition, x=None, y=None, name=None):
    if x is None and y is None:
        return where(condition, name=name)
    return apply_op("SelectV2", condition=condition, t=x, e=y, name=name)


def slice(input_, begin, size, name=None):  # noqa: A001 -- TF's name
    return apply_op("Slice", input=input_, begin=begin, size=size, name=name)


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0,
                  shrink_axis_mask=0, var=None, name=None):
    if strides is None:
        strides = ones_like(begin)
    masks = dict(begin_mask=begin_mask, end_mask=end_mask, ellipsis_mask=ellipsis_mask, new_axis_mask=new_axis_mask,
                 shrink_axis_mask=shrink_axis_mask)
    out = apply_op("StridedSlice", input=input_, begin=begin, end=end, strides=strides, name=name, **masks)
    # With `var`, TF's slice can be assigned to, the assignment named `<name>_assign` (None: TF's TypeError).
    return _assignable_slice(out, var, name, begin, end, strides, masks)


def reverse(tensor, axis, name=None):
    return apply_op("ReverseV2", tensor=tensor, axis=axis, name=name)


def sequence_mask(lengths, maxlen=None, dtype=dtypes.bool, name=None):
    from metarun.ops import math_ops
    with name_scope(name, "SequenceMask", [lengths, maxlen]):
        lengths = convert_to_tensor(lengths)
        if maxlen is None:
            n = lengths.shape.ndims
            axes = constant(np.arange(n, dtype=np.int32)) if n is not None else math_ops.range(0, rank(lengths))
            maxlen = apply_op("Max", input=lengths, reduction_indices=axes, keep_dims=False)
            maxlen = apply_op("Maximum", x=constant(0, dtype=maxlen.dtype.base_dtype), y=maxlen)
        else:
            maxlen = convert_to_tensor(maxlen)
        if maxlen.shape.ndims not in (None, 0):
            raise ValueError("Argument `maxlen` must be scalar for sequence_mask, received `maxlen` = %s "
                             "with shape '%s' instead" % (maxlen, maxlen.shape))
        mdt = maxlen.dtype.base_dtype
        row = apply_op("Range", start=constant(0, dtype=mdt), limit=maxlen, delta=constant(1, dtype=mdt))
        matrix = apply_op("Cast", x=expand_dims(lengths, -1), DstT=mdt, Truncate=False)
        result = apply_op("Less", x=row, y=matrix)
        if dtype is None or dtypes.as_dtype(dtype) == dtypes.bool:
            return result
        return apply_op("Cast", x=result, DstT=dtypes.as_dtype(dtype), Truncate=False)


def boolean_mask(tensor, mask, name="boolean_mask", axis=None):
    with name_scope(name, "boolean_mask", [tensor, mask]):
        tensor = convert_to_tensor(tensor, name="tensor")
        mask = convert_to_tensor(mask, name="mask")
        k = mask.shape.ndims
        axis = 0 if axis is None else axis
        leading = apply_op("Prod", input=slice_helper(shape(tensor), builtins.slice(axis, axis + k)),
                           reduction_indices=[0], keep_dims=False)
        flat = reshape(tensor, concat([slice_helper(shape(tensor), builtins.slice(None, axis)), [leading],
                                       slice_helper(shape(tensor), builtins.slice(axis + k, None))], 0))
        dims = tensor.shape.dims if tensor.shape.ndims is not None else None
        if dims is not None:
            lead = dims[axis:axis + k]
            first = None if any(d is None for d in lead) else int(np.prod(lead, dtype=np.int64))
            flat.set_shape(dims[:axis] + [first] + dims[axis + k:])
        idx = squeeze(where(reshape(mask, [-1])), axis=[1])
        return gather(flat, idx, axis=axis)



def invert_permutation(x, name=None):
    return apply_op("InvertPermutation", x=x, name=name)


def broadcast_to(input, shape, name=None):  # noqa: A002
    return apply_op("BroadcastTo", input=input, shape=shape, name=name)


_Unique = collections.namedtuple("Unique", ["y", "idx"])
_UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def unique(x, out_idx=dtypes.int32, name=None):
    return _Unique(*apply_op("Unique", x=x, out_idx=out_idx, name=name))


def unique_with_counts(x, out_idx=dtypes.int32, name=None):
    return _UniqueWithCounts(*apply_op("UniqueWithCounts", x=x, out_idx=out_idx, name=name))


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    with name_scope(name, "matrix_transpose", [a]):
        a = convert_to_tensor(a, name="a")
        n = a.shape.ndims
        if n is None:
            r = rank(a)
            from metarun.ops import math_ops
            perm = concat([math_ops.range(r - 2), [r - 1, r - 2]], 0)
        else:
            if n < 2:
                raise ValueError("Argument `a` should be a (batch) matrix with rank >= 2.  Received `a` = %s "
                                 "with shape: %s" % (a, a.shape))
            perm = list(builtins.range(n - 2)) + [n - 1, n - 2]
        return transpose(a, perm=perm, conjugate=conjugate)


def matrix_diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):  # noqa: A002
    with name_scope(name, "diag_part", [input]) as name:
        input = convert_to_tensor(input, name="input")
        return apply_op("MatrixDiagPartV3", input=input, k=k, padding_value=padding_value, align=align, name=name)


def scatter_nd(indices, updates, shape, name=None):
    return apply_op("ScatterNd", indices=indices, updates=updates, shape=shape, name=name)


def dynamic_partition(data, partitions, num_partitions, name=None):
    return apply_op("DynamicPartition", data=data, partitions=partitions, num_partitions=num_partitions,
                    name=name)


def dynamic_stitch(indices, data, name=None):
    return apply_op("DynamicStitch", indices=list(indices), data=list(data), name=name)


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None, seq_dim=None,  # noqa: A002
                     batch_dim=None):
    seq_axis = seq_axis if seq_axis is not None else seq_dim
    batch_axis = batch_axis if batch_axis is not None else (batch_dim if batch_dim is not None else 0)
    return apply_op("ReverseSequence", input=input, seq_lengths=seq_lengths, seq_dim=seq_axis,
                    batch_dim=batch_axis, name=name)


def meshgrid(*args, **kwargs):
    indexing = kwargs.pop("indexing", "xy")
    name = kwargs.pop("name", "meshgrid")
    if kwargs:
        raise TypeError("'%s' is an invalid keyword argument for this function" % next(iter(kwargs)))
    if indexing not in ("xy", "ij"):
        raise ValueError("Argument `indexing` parameter must be either 'xy' or 'ij', got '%s'" % indexing)
    with name_scope(name, "meshgrid", args):
        ndim = len(args)
        if not ndim:
            return []
        ones_shape = (1,) * ndim
        output = [reshape(stack(x), ones_shape[:i] + (-1,) + ones_shape[i + 1:]) for i, x in enumerate(args)]
        shapes = [size(x) for x in args]
        output_dtype = convert_to_tensor(args[0]).dtype.base_dtype
        if indexing == "xy" and ndim > 1:
            output[0] = reshape(output[0], (1, -1) + (1,) * (ndim - 2))
            output[1] = reshape(output[1], (-1, 1) + (1,) * (ndim - 2))
            shapes[0], shapes[1] = shapes[1], shapes[0]
        mult_fact = ones(shapes, output_dtype)
        return [x * mult_fact for x in output]


# -- asserts -----------------------------------------------------------------------------------------

def Assert(condition, data, summarize=None, name=None):  # noqa: N802 -- TF's name
    """An Assert op, guarded by a cond unless every datum is string or int32 (as TF builds it)."""
    from metarun.ops import control_flow_ops
    with name_scope(name, "Assert", [condition, data]):
        xs = [convert_to_tensor(d) for d in data]
        if all(x.dtype.base_dtype in (dtypes.string, dtypes.int32) for x in xs):
            return apply_op("Assert", condition=condition, data=list(data), summarize=summarize, name="Assert")
        condition = convert_to_tensor(condition, name="Condition")

        def true_assert():
            return apply_op("Assert", condition=condition, data=list(data), summarize=summarize, name="Assert")
        guarded = control_flow_ops.cond(condition, lambda: apply_op("NoOp"), true_assert, name="AssertGuard")
        return guarded.op


def _binary_assert(sym, opname, op_type, np_func, x, y, data, summarize, message, name):
    """assert_less and friends: All(op(x, y)) feeding a guarded Assert with TF's messages;
    known values are checked now (InvalidArgumentError), leaving a NoOp."""
    from metarun.ops import math_ops
    with name_scope(name, opname, [x, y, data]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y")
        if data is None:
            data = ["Condition x %s y did not hold element-wise:" % sym, "x (%s) = " % x.name, x,
                    "y (%s) = " % y.name, y]
            if message is not None:
                data = [message] + data
        condition = math_ops.reduce_all(apply_op(op_type, x=x, y=y))
        x_static, y_static = _known_value(x), _known_value(y)
        if x_static is not None and y_static is not None and not np.all(np_func(x_static, y_static)):
            from metarun import errors
            raise errors.InvalidArgumentError(None, None, "\n".join(
                str(d) for d in data if isinstance(d, (str, bytes))))
        return Assert(condition, data, summarize=summarize)


def _known_value(t):
    from metarun.framework import shape_inference
    return shape_inference.constant_value(t)


def assert_equal(x, y, data=None, summarize=None, message=None, name=None):
    with name_scope(name, "assert_equal", [x, y, data]):
        # TF opens this scope once before the one it builds in: a tensor equal to itself
        # is a NoOp there.
        if x is y:
            return apply_op("NoOp")
    return _binary_assert("==", "assert_equal", "Equal", np.equal, x, y, data, summarize, message, name)


def assert_none_equal(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert("!=", "assert_none_equal", "NotEqual", np.not_equal, x, y, data, summarize, message,
                          name)


def assert_less(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert("<", "assert_less", "Less", np.less, x, y, data, summarize, message, name)


def assert_less_equal(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert("<=", "assert_less_equal", "LessEqual", np.less_equal, x, y, data, summarize, message,
                          name)


def assert_greater(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert(">", "assert_greater", "Greater", np.greater, x, y, data, summarize, message, name)


def assert_greater_equal(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert(">=", "assert_greater_equal", "GreaterEqual", np.greater_equal, x, y, data, summarize,
                          message, name)


def _sign_assert(opname, cond_text, zero_first, inner, x, data, summarize, message, name):
    with name_scope(name, opname, [x, data]):
        x = convert_to_tensor(x, name="x")
        if data is None:
            data = [message or "", "Condition x %s did not hold element-wise:" % cond_text, "x (%s) = " % x.name, x]
            if opname == "assert_non_positive":  # TF joins these two strings into one
                data = [data[0], data[1] + data[2], x]
        zero = convert_to_tensor(0, dtype=x.dtype.base_dtype)
        return inner(zero, x, data=data, summarize=summarize) if zero_first else \
            inner(x, zero, data=data, summarize=summarize)


def assert_positive(x, data=None, summarize=None, message=None, name=None):
    return _sign_assert("assert_positive", "> 0", True, assert_less, x, data, summarize, message, name)


def assert_negative(x, data=None, summarize=None, message=None, name=None):
    return _sign_assert("assert_negative", "< 0", False, assert_less, x, data, summarize, message, name)


def assert_non_negative(x, data=None, summarize=None, message=None, name=None):
    return _sign_assert("assert_non_negative", ">= 0", True, assert_less_equal, x, data, summarize, message, name)


def assert_non_positive(x, data=None, summarize=None, message=None, name=None):
    return _sign_assert("assert_non_positive", "<= 0", False, assert_less_equal, x, data, summarize, message,
                        name)
