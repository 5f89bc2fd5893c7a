"""tf.nn.fractional_max_pool and fractional_avg_pool (tf.compat.v1 signatures: the seeds go to the
op as given), their gradients as TF registers them (FractionalAvgPool's takes the input's static
shape as a constant, so it needs a fully known shape, as in TF), and the shape functions."""
import collections as _collections
import math as _math

import numpy as _np

from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op
from metarun.framework.tensor_shape import TensorShape
from metarun.ops.gradients_impl import RegisterGradient

_FractionalMaxPoolOutput = _collections.namedtuple(
    "FractionalMaxPool", ["output", "row_pooling_sequence", "col_pooling_sequence"])
_FractionalAvgPoolOutput = _collections.namedtuple(
    "FractionalAvgPool", ["output", "row_pooling_sequence", "col_pooling_sequence"])


def fractional_max_pool(value, pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0,
                        seed2=0, name=None):
    """(output, row_pooling_sequence, col_pooling_sequence) of a max pool over random regions."""
    return _FractionalMaxPoolOutput(*apply_op(
        "FractionalMaxPool", value=value, pooling_ratio=pooling_ratio, pseudo_random=pseudo_random,
        overlapping=overlapping, deterministic=deterministic, seed=seed, seed2=seed2, name=name))


def fractional_avg_pool(value, pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0,
                        seed2=0, name=None):
    """(output, row_pooling_sequence, col_pooling_sequence) of an average pool over random regions."""
    return _FractionalAvgPoolOutput(*apply_op(
        "FractionalAvgPool", value=value, pooling_ratio=pooling_ratio, pseudo_random=pseudo_random,
        overlapping=overlapping, deterministic=deterministic, seed=seed, seed2=seed2, name=name))


@RegisterGradient("FractionalMaxPool")
def _fractional_max_pool_grad(op, grad_0, unused_grad_1, unused_grad_2):
    return apply_op("FractionalMaxPoolGrad", orig_input=op.inputs[0], orig_output=op.outputs[0],
                    out_backprop=grad_0, row_pooling_sequence=op.outputs[1], col_pooling_sequence=op.outputs[2],
                    overlapping=op.get_attr("overlapping"))


@RegisterGradient("FractionalAvgPool")
def _fractional_avg_pool_grad(op, grad_0, unused_grad_1, unused_grad_2):
    shape = op.inputs[0].shape
    if not shape.is_fully_defined():
        raise ValueError("Tried to convert 'orig_input_tensor_shape' to a tensor and failed. Error: Cannot "
                         "convert a partially known TensorShape %s to a Tensor." % (shape,))
    return apply_op("FractionalAvgPoolGrad", orig_input_tensor_shape=shape.as_list(), out_backprop=grad_0,
                    row_pooling_sequence=op.outputs[1], col_pooling_sequence=op.outputs[2],
                    overlapping=op.get_attr("overlapping"))


@si.register("FractionalMaxPool", "FractionalAvgPool")
def _fractional_pool_shape(op):
    x = op.inputs[0].shape.with_rank(4)
    ratio = op.get_attr("pooling_ratio")
    if len(ratio) < 4:
        raise ValueError("pooling_ratio field must specify 4 dimensions")
    for r in ratio:
        if r < 1.0:
            raise ValueError("pooling_ratio cannot be smaller than 1, got: %g" % r)
    out = [None if d is None else int(_math.floor(_np.float32(d) / _np.float32(r))) for d, r in zip(x.dims, ratio)]
    # TF's shape function gives the sequences `out` elements; they hold out + 1 at run time
    return [TensorShape(out), TensorShape([out[1]]), TensorShape([out[2]])]


@si.register("FractionalMaxPoolGrad")
def _fractional_max_pool_grad_shape(op):
    return [op.inputs[0].shape.with_rank(4)]


@si.register("FractionalAvgPoolGrad")
def _fractional_avg_pool_grad_shape(op):
    s = si.constant_shape(op.inputs[0])
    return [s if s.ndims is not None else TensorShape([None] * 4)]
