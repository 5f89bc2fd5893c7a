"""Gradients of MaxPoolWithArgmax (through MaxPoolGradWithArgmax) and Dilation2D (through its two
backprop ops), as TF registers them."""
from metarun.framework.op_builder import apply_op
from metarun.ops import argmax_dilation_ops  # noqa: F401 -- registers the shape functions
from metarun.ops.gradients_impl import RegisterGradient


@RegisterGradient("MaxPoolWithArgmax")
def _max_pool_with_argmax_grad(op, grad, unused_argmax_grad):
    return apply_op("MaxPoolGradWithArgmax", input=op.inputs[0], grad=grad, argmax=op.outputs[1],
                    ksize=op.get_attr("ksize"), strides=op.get_attr("strides"), padding=op.get_attr("padding"),
                    include_batch_in_index=op.get_attr("include_batch_in_index"))


@RegisterGradient("Dilation2D")
def _dilation2d_grad(op, grad):
    attrs = dict(strides=op.get_attr("strides"), rates=op.get_attr("rates"), padding=op.get_attr("padding"))
    return [apply_op("Dilation2DBackpropInput", input=op.inputs[0], filter=op.inputs[1], out_backprop=grad, **attrs),
            apply_op("Dilation2DBackpropFilter", input=op.inputs[0], filter=op.inputs[1], out_backprop=grad,
                     **attrs)]
