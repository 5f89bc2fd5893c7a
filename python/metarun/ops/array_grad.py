"""Gradients of the array ops: identity-likes, reshaping, slicing, gathering."""

import numpy as np

from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op, constant
from metarun.ops.gradients_impl import IndexedSlices, NoGradient, RegisterGradient

NoGradient("StopGradient")
NoGradient("PreventGradient")


def _pass(op, grad):
    return grad


for _t in ("Identity", "Snapshot", "PlaceholderWithDefault", "ReadVariableOp", "CheckNumerics",
           "EnsureShape"):
    RegisterGradient(_t)(_pass)


@RegisterGradient("IdentityN")
def _identity_n_grad(op, *grads):
    return list(grads)


def _reshape_to_input(op, grad):
    return apply_op("Reshape", tensor=grad, shape=apply_op("Shape", input=op.inputs[0]))


@RegisterGradient("Reshape")
def _reshape_grad(op, grad):
    return _reshape_to_input(op, grad), None


@RegisterGradient("ExpandDims")
def _expand_dims_grad(op, grad):
    return _reshape_to_input(op, grad), None


@RegisterGradient("Squeeze")
def _squeeze_grad(op, grad):
    return _reshape_to_input(op, grad)


@RegisterGradient("Transpose")
def _transpose_grad(op, grad):
    perm = apply_op("InvertPermutation", x=op.inputs[1])
    return apply_op("Transpose", x=grad, perm=perm), None


@RegisterGradient("Pack")
def _pack_grad(op, grad):
    return apply_op("Unpack", value=grad, num=op.get_attr("N"), axis=op.get_attr("axis"))


@RegisterGradient("Unpack")
def _unpack_grad(op, *grads):
    grads = [g if g is not None else apply_op("ZerosLike", x=op.outputs[i]) for i, g in enumerate(grads)]
    return apply_op("Pack", values=grads, axis=op.get_attr("axis"))


@RegisterGradient("ConcatV2")
def _concat_grad(op, grad):
    values, axis = op.inputs[:-1], op.inputs[-1]
    shapes = [apply_op("Shape", input=v) for v in values]
    rank = apply_op("Rank", input=values[0])
    axis_mod = apply_op("FloorMod", x=axis, y=rank)
    offsets = apply_op("ConcatOffset", concat_dim=axis_mod, shape=shapes)
    out = [apply_op("Slice", input=grad, begin=off, size=s) for off, s in zip(offsets, shapes)]
    return out + [None]


@RegisterGradient("Split")
def _split_grad(op, *grads):
    grads = [g if g is not None else apply_op("ZerosLike", x=op.outputs[i]) for i, g in enumerate(grads)]
    return None, apply_op("ConcatV2", values=grads, axis=op.inputs[0])


@RegisterGradient("SplitV")
def _split_v_grad(op, *grads):
    grads = [g if g is not None else apply_op("ZerosLike", x=op.outputs[i]) for i, g in enumerate(grads)]
    return apply_op("ConcatV2", values=grads, axis=op.inputs[2]), None, None


@RegisterGradient("Slice")
def _slice_grad(op, grad):
    x, begin = op.inputs[0], op.inputs[1]
    rank = apply_op("Rank", input=x)
    shape2 = apply_op("Pack", values=[rank, 1], axis=0)
    before = apply_op("Reshape", tensor=begin, shape=shape2)
    after_v = apply_op("Sub", x=apply_op("Sub", x=apply_op("Shape", input=x), y=apply_op("Shape", input=op.outputs[0])),
                       y=begin)
    after = apply_op("Reshape", tensor=after_v, shape=shape2)
    paddings = apply_op("ConcatV2", values=[before, after], axis=1)
    return apply_op("Pad", input=grad, paddings=paddings), None, None


@RegisterGradient("StridedSlice")
def _strided_slice_grad(op, grad):
    x, begin, end, strides = op.inputs
    shape = apply_op("Shape", input=x, out_type=begin.dtype.base_dtype)
    masks = {k: op.get_attr(k) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                         "shrink_axis_mask")}
    return apply_op("StridedSliceGrad", shape=shape, begin=begin, end=end, strides=strides, dy=grad,
                    **masks), None, None, None


@RegisterGradient("Tile")
def _tile_grad(op, grad):
    x, multiples = op.inputs
    input_shape = apply_op("Shape", input=x, out_type=multiples.dtype.base_dtype)
    split = apply_op("Reshape", tensor=apply_op("Transpose", x=apply_op("Pack", values=[multiples, input_shape], axis=0),
                                                perm=constant(np.array([1, 0], np.int32))),
                     shape=constant(np.array([-1], np.int32)))
    axes = apply_op("Range", start=constant(np.array(0, multiples.dtype.base_dtype.as_numpy_dtype)),
                    limit=apply_op("Size", input=split, out_type=multiples.dtype.base_dtype),
                    delta=constant(np.array(2, multiples.dtype.base_dtype.as_numpy_dtype)))
    g = apply_op("Sum", input=apply_op("Reshape", tensor=grad, shape=split), reduction_indices=axes, keep_dims=False)
    return g, None


def _pad_grad(op, grad):
    x, paddings = op.inputs[0], op.inputs[1]
    rank = apply_op("Rank", input=x)
    begin = apply_op("Reshape", tensor=apply_op("Slice", input=paddings,
                                                begin=constant(np.array([0, 0], np.int32)),
                                                size=apply_op("Pack", values=[rank, 1], axis=0)),
                     shape=constant(np.array([-1], np.int32)))
    size = apply_op("Shape", input=x, out_type=paddings.dtype.base_dtype)
    out = [apply_op("Slice", input=grad, begin=apply_op("Cast", x=begin, DstT=size.dtype.base_dtype)
                    if begin.dtype.base_dtype != size.dtype.base_dtype else begin, size=size), None]
    return out + [None] * (len(op.inputs) - 2)


RegisterGradient("Pad")(_pad_grad)
RegisterGradient("PadV2")(_pad_grad)


@RegisterGradient("Fill")
def _fill_grad(op, grad):
    return None, apply_op("Sum", input=grad, reduction_indices=apply_op("Range", start=0, limit=apply_op("Rank", input=grad),
                                                             delta=1), keep_dims=False)


@RegisterGradient("BroadcastTo")
def _broadcast_to_grad(op, grad):
    x = op.inputs[0]
    sx = apply_op("Shape", input=x, out_type=op.inputs[1].dtype.base_dtype)
    rx, _ = apply_op("BroadcastGradientArgs", s0=sx, s1=op.inputs[1])
    g = apply_op("Sum", input=grad, reduction_indices=rx, keep_dims=True)
    return apply_op("Reshape", tensor=g, shape=sx), None


def _gather_grad(params, indices, grad):
    params_shape = apply_op("Shape", input=params, out_type=dtypes.int64)
    size = apply_op("ExpandDims", input=apply_op("Size", input=indices), dim=0)
    from metarun.ops import array_ops
    rest = array_ops.slice_helper(params_shape, slice(1, None))
    values_shape = apply_op("ConcatV2", values=[apply_op("Cast", x=size, DstT=dtypes.int64), rest], axis=0)
    values = apply_op("Reshape", tensor=grad, shape=values_shape)
    return IndexedSlices(values, apply_op("Reshape", tensor=indices, shape=size), params_shape)


@RegisterGradient("GatherV2")
def _gather_v2_grad(op, grad):
    params, indices, axis = op.inputs
    from metarun.framework import shape_inference
    a = shape_inference.constant_value(axis)
    if a is None or int(a) != 0 or op.get_attr("batch_dims") != 0:
        raise LookupError("metarun's GatherV2 gradient supports axis 0 and batch_dims 0 only (node %s)" % op.name)
    return _gather_grad(params, indices, grad), None, None


@RegisterGradient("Gather")
def _gather_grad_v1(op, grad):
    return _gather_grad(op.inputs[0], op.inputs[1], grad), None


@RegisterGradient("ResourceGather")
def _resource_gather_grad(op, grad):
    handle, indices = op.inputs
    params_shape = apply_op("VariableShape", input=handle, out_type=dtypes.int64)
    size = apply_op("ExpandDims", input=apply_op("Size", input=indices), dim=0)
    from metarun.ops import array_ops
    rest = array_ops.slice_helper(params_shape, slice(1, None))
    values_shape = apply_op("ConcatV2", values=[apply_op("Cast", x=size, DstT=dtypes.int64), rest], axis=0)
    return IndexedSlices(apply_op("Reshape", tensor=grad, shape=values_shape),
                         apply_op("Reshape", tensor=indices, shape=size), params_shape), None
