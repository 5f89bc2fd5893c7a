"""tf.tensor_scatter_nd_*, tf.roll, tf.searchsorted, tf.unravel_index, tf.bitcast, tf.math.angle,
tf.guarantee_const and tf.timestamp, with the gradients TF registers for their ops."""

import numpy as np

from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.tensor_shape import TensorShape
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.ops import array_ops, math_ops
from metarun.ops.gradients_impl import NoGradient, RegisterGradient
from metarun.ops.scopes import name_scope


def _scatter(op_type):
    def scatter(tensor, indices, updates, name=None):
        return apply_op(op_type, tensor=tensor, indices=indices, updates=updates, name=name)
    scatter.__name__ = op_type
    return scatter


tensor_scatter_nd_update = _scatter("TensorScatterUpdate")
tensor_scatter_nd_add = _scatter("TensorScatterAdd")
tensor_scatter_nd_sub = _scatter("TensorScatterSub")
tensor_scatter_nd_max = _scatter("TensorScatterMax")
tensor_scatter_nd_min = _scatter("TensorScatterMin")
# TF1's older names for three of them.
tensor_scatter_update = tensor_scatter_nd_update
tensor_scatter_add = tensor_scatter_nd_add
tensor_scatter_sub = tensor_scatter_nd_sub


def scatter_nd_non_aliasing_add(input, indices, updates, name=None):  # noqa: A002 -- TF's name
    return apply_op("ScatterNdNonAliasingAdd", input=input, indices=indices, updates=updates, name=name)


def roll(input, shift, axis, name=None):  # noqa: A002 -- TF's name
    return apply_op("Roll", input=input, shift=shift, axis=axis, name=name)


def searchsorted(sorted_sequence, values, side="left", out_type=dtypes.int32, name=None):
    """Indices where `values` would go in the innermost dimension of `sorted_sequence`: both are
    flattened to matrices, searched by LowerBound (left) or UpperBound (right), reshaped back."""
    sequence_size = array_ops._shape_internal(sorted_sequence)[-1]
    values_size = array_ops._shape_internal(values)[-1]
    sorted_2d = array_ops.reshape(sorted_sequence, [-1, sequence_size])
    values_2d = array_ops.reshape(values, [-1, values_size])
    if side == "right":
        output = apply_op("UpperBound", sorted_inputs=sorted_2d, values=values_2d, out_type=out_type, name=name)
    elif side == "left":
        output = apply_op("LowerBound", sorted_inputs=sorted_2d, values=values_2d, out_type=out_type, name=name)
    else:
        raise ValueError("Argument `side` must be either 'right' or 'left'. Received: `side` = %s." % side)
    return array_ops.reshape(output, array_ops._shape_internal(values))


def unravel_index(indices, dims, name=None):
    return apply_op("UnravelIndex", indices=indices, dims=dims, name=name)


def bitcast(input, type, name=None):  # noqa: A002 -- TF's names
    return apply_op("Bitcast", input=input, type=dtypes.as_dtype(type), name=name)


def angle(input, name=None):  # noqa: A002 -- TF's name
    """The argument of each complex element; pi where real input is negative, else 0."""
    with name_scope(name, "Angle", [input]) as name:
        input = convert_to_tensor(input, name="input")
        if input.dtype.is_complex:
            return apply_op("Angle", input=input, Tout=input.dtype.real_dtype, name=name)
        return array_ops.where(input < 0, np.pi * array_ops.ones_like(input), array_ops.zeros_like(input))


def guarantee_const(input, name=None):  # noqa: A002 -- TF's name
    return apply_op("GuaranteeConst", input=input, name=name)


def timestamp(name=None):
    return apply_op("Timestamp", name=name)


NoGradient("LowerBound")
NoGradient("UpperBound")
NoGradient("UnravelIndex")
NoGradient("Bitcast")
NoGradient("Timestamp")


@RegisterGradient("TensorScatterUpdate")
def _tensor_scatter_update_grad(op, grad):
    indices = op.inputs[1]
    updates_grad = array_ops.gather_nd(grad, indices)
    tensor_grad = tensor_scatter_update(array_ops.identity(grad), indices,
                                        array_ops.zeros_like(op.inputs[2], dtype=grad.dtype))
    return [tensor_grad, None, updates_grad]


@RegisterGradient("TensorScatterAdd")
def _tensor_scatter_add_grad(op, grad):
    updates_grad = array_ops.gather_nd(grad, op.inputs[1])
    return [array_ops.identity(grad), None, updates_grad]


@RegisterGradient("TensorScatterSub")
def _tensor_scatter_sub_grad(op, grad):
    updates_grad = array_ops.gather_nd(grad, op.inputs[1])
    return [array_ops.identity(grad), None, -updates_grad]


def _tensor_scatter_min_or_max_grad(op, grad):
    """The gradient split evenly between the elements equal to the result (input or updates)."""
    indices, x, y, output = op.inputs[1], op.inputs[0], op.inputs[2], op.outputs[0]
    policy = op.get_attr("bad_indices_policy")
    x_indicators = math_ops.cast(math_ops.equal(x, output), grad.dtype)
    y_output = apply_op("GatherNd", params=output, indices=indices, bad_indices_policy=policy)
    y_indicators = math_ops.cast(math_ops.equal(y, y_output), grad.dtype)
    ys_indicators = apply_op("ScatterNd", indices=indices, updates=y_indicators,
                             shape=array_ops.shape(x, out_type=indices.dtype), bad_indices_policy=policy)
    indicators = x_indicators + ys_indicators
    x_grad = grad * x_indicators / indicators
    y_grad = apply_op("GatherNd", params=grad / indicators, indices=indices, bad_indices_policy=policy) * y_indicators
    return [x_grad, None, y_grad]


RegisterGradient("TensorScatterMax")(_tensor_scatter_min_or_max_grad)
RegisterGradient("TensorScatterMin")(_tensor_scatter_min_or_max_grad)


@RegisterGradient("ScatterNdNonAliasingAdd")
def _scatter_nd_non_aliasing_add_grad(op, grad):
    return [grad, None, array_ops.gather_nd(grad, op.inputs[1])]


@RegisterGradient("Roll")
def _roll_grad(op, grad):
    return roll(grad, -op.inputs[1], op.inputs[2]), None, None


@RegisterGradient("Angle")
def _angle_grad(op, grad):
    """-grad / (Im(x) + i Re(x))."""
    x = op.inputs[0]
    with x.graph.control_dependencies([grad]):
        re = math_ops.real(x)
        im = math_ops.imag(x)
        z = math_ops.reciprocal(math_ops.complex(im, re))
        zero = constant(0, dtype=grad.dtype)
        complex_grad = math_ops.complex(grad, zero)
        return -complex_grad * z


# -- static shapes -------------------------------------------------------------------------------

@si.register("TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub", "TensorScatterMax", "TensorScatterMin",
             "ScatterNdNonAliasingAdd", "Roll", "InplaceUpdate", "InplaceAdd", "InplaceSub", "GuaranteeConst",
             "Angle", "ScatterNdMax", "ScatterNdMin")
def _same_as_first(op):
    return [op.inputs[0].shape]


@si.register("LowerBound", "UpperBound")
def _like_values(op):
    return [op.inputs[1].shape]


@si.register("UnravelIndex")
def _unravel(op):
    indices, dims = op.inputs[0].shape, op.inputs[1].shape
    n = dims.dims[0] if dims.ndims == 1 else None
    if indices.ndims == 0:
        return [TensorShape([n])]
    if indices.ndims == 1:
        return [TensorShape([n, indices.dims[0]])]
    return [TensorShape([n, None])]


@si.register("Bitcast")
def _bitcast(op):
    shape = op.inputs[0].shape
    if shape.ndims is None:
        return [shape]
    src, dst = op.inputs[0].dtype.size, dtypes.as_dtype(op.get_attr("type")).size
    if src < dst:
        if not shape.dims or (shape.dims[-1] is not None and shape.dims[-1] * src != dst):
            raise ValueError("Cannot bitcast from %s to %s" % (op.inputs[0].dtype.name, op.get_attr("type").name))
        return [TensorShape(shape.dims[:-1])]
    if src > dst:
        return [TensorShape(shape.dims + [src // dst])]
    return [shape]


@si.register("NthElement")
def _nth_element(op):
    shape = op.inputs[0].shape
    return [TensorShape(None) if shape.ndims is None else TensorShape(shape.dims[:-1])]


@si.register("Empty")
def _empty(op):
    return [si.constant_shape(op.inputs[0])]


@si.register("Timestamp")
def _timestamp(op):
    return [TensorShape([])]
