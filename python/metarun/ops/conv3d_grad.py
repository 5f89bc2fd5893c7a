"""Gradients of Conv3D, its V2 backprops and the 3-D pooling ops, as TF registers them."""
from metarun.framework.op_builder import apply_op
from metarun.ops import array_ops
from metarun.ops import conv3d_ops  # noqa: F401 -- registers the shape functions
from metarun.ops.gradients_impl import RegisterGradient


def _attrs(op, names):
    return {n: op.get_attr(n) for n in names}


_CONV = ("dilations", "strides", "padding", "data_format")
_POOL = ("ksize", "strides", "padding", "data_format")


@RegisterGradient("Conv3D")
def _conv3d_grad(op, grad):
    attrs = _attrs(op, _CONV)
    sizes = apply_op("ShapeN", input=[op.inputs[0], op.inputs[1]])
    return [apply_op("Conv3DBackpropInputV2", input_sizes=sizes[0], filter=op.inputs[1], out_backprop=grad, **attrs),
            apply_op("Conv3DBackpropFilterV2", input=op.inputs[0], filter_sizes=sizes[1], out_backprop=grad, **attrs)]


@RegisterGradient("Conv3DBackpropInputV2")
def _conv3d_backprop_input_grad(op, grad):
    attrs = _attrs(op, _CONV)
    return [None,
            apply_op("Conv3DBackpropFilterV2", input=grad, filter_sizes=array_ops.shape(op.inputs[1]),
                     out_backprop=op.inputs[2], **attrs),
            apply_op("Conv3D", input=grad, filter=op.inputs[1], **attrs)]


@RegisterGradient("Conv3DBackpropFilterV2")
def _conv3d_backprop_filter_grad(op, grad):
    attrs = _attrs(op, _CONV)
    return [apply_op("Conv3DBackpropInputV2", input_sizes=array_ops.shape(op.inputs[0]), filter=grad,
                     out_backprop=op.inputs[2], **attrs),
            None,
            apply_op("Conv3D", input=op.inputs[0], filter=grad, **attrs)]


@RegisterGradient("AvgPool3D")
def _avg_pool3d_grad(op, grad):
    return apply_op("AvgPool3DGrad", orig_input_shape=array_ops.shape(op.inputs[0]), grad=grad, **_attrs(op, _POOL))


@RegisterGradient("AvgPool3DGrad")
def _avg_pool3d_grad_grad(op, grad):
    return (array_ops.stop_gradient(op.inputs[0]), apply_op("AvgPool3D", input=grad, **_attrs(op, _POOL)))


@RegisterGradient("MaxPool3D")
def _max_pool3d_grad(op, grad):
    return apply_op("MaxPool3DGrad", orig_input=op.inputs[0], orig_output=op.outputs[0], grad=grad,
                    **_attrs(op, _POOL))


@RegisterGradient("MaxPool3DGrad")
def _max_pool3d_grad_grad(op, grad):
    return (array_ops.zeros_like(op.inputs[0]), array_ops.zeros_like(op.inputs[1]),
            apply_op("MaxPool3DGradGrad", orig_input=op.inputs[0], orig_output=op.inputs[1], grad=grad,
                     **_attrs(op, _POOL)))


@RegisterGradient("MaxPool3DGradGrad")
def _max_pool3d_grad_grad_grad(op, grad):
    return (array_ops.zeros_like(op.inputs[0]), array_ops.zeros_like(op.inputs[1]),
            apply_op("MaxPool3DGrad", orig_input=op.inputs[0], orig_output=op.inputs[1], grad=grad,
                     **_attrs(op, _POOL)))
