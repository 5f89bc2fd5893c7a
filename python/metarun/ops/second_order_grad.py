"""Gradients of the gradient kernels (TanhGrad, ReluGrad, Conv2DBackpropInput...), as TF builds
them: what tf.gradients of a gradient (tf.hessians, gradient penalties) goes through."""

from metarun.framework.op_builder import apply_op
from metarun.ops import array_ops
from metarun.ops.gradients_impl import RegisterGradient, shape, zeros_like


def _after(op, grad):
    """TF builds these with control dependencies on the incoming gradient."""
    return op.graph.control_dependencies([grad])


@RegisterGradient("TanhGrad")
def _tanh_grad_grad(op, grad):
    with _after(op, grad):
        y, dy = op.inputs
        return grad * -2.0 * dy * y, apply_op("TanhGrad", y=y, dy=grad)


@RegisterGradient("SigmoidGrad")
def _sigmoid_grad_grad(op, grad):
    with _after(op, grad):
        y, dy = op.inputs
        g_dy = grad * dy
        return g_dy - 2.0 * g_dy * y, apply_op("SigmoidGrad", y=y, dy=grad)


@RegisterGradient("RsqrtGrad")
def _rsqrt_grad_grad(op, grad):
    y, dy = op.inputs
    with _after(op, grad):
        return -1.5 * grad * dy * apply_op("Square", x=y), apply_op("RsqrtGrad", y=y, dy=grad)


@RegisterGradient("SqrtGrad")
def _sqrt_grad_grad(op, grad):
    y, out = op.inputs[0], op.outputs[0]
    with _after(op, grad):
        g_y = grad / y
        return -g_y * out, 0.5 * g_y


def _reciprocal_grad_grad(kernel):
    def fn(op, grad):
        dy = op.inputs[1]
        with _after(op, grad):
            y = op.inputs[0]
            return grad * -2.0 * dy * y, apply_op(kernel, y=y, dy=grad)
    return fn


RegisterGradient("ReciprocalGrad")(_reciprocal_grad_grad("ReciprocalGrad"))
RegisterGradient("InvGrad")(_reciprocal_grad_grad("InvGrad"))


@RegisterGradient("ReluGrad")
def _relu_grad_grad(op, grad):
    x = op.inputs[1]
    return apply_op("ReluGrad", gradients=grad, features=x), zeros_like(x)


@RegisterGradient("Relu6Grad")
def _relu6_grad_grad(op, grad):
    x = op.inputs[1]
    return apply_op("Relu6Grad", gradients=grad, features=x), zeros_like(x)


@RegisterGradient("LeakyReluGrad")
def _leaky_relu_grad_grad(op, grad):
    x = op.inputs[1]
    return (apply_op("LeakyReluGrad", gradients=grad, features=x, alpha=op.get_attr("alpha")),
            zeros_like(x))


def _exp_linear_grad_grad(kernel):
    def fn(op, grad):
        out = op.inputs[1]
        return (apply_op(kernel, gradients=grad, outputs=out),
                array_ops.where(out < 0.0, grad * op.inputs[0], array_ops.zeros_like(out)))
    return fn


RegisterGradient("EluGrad")(_exp_linear_grad_grad("EluGrad"))
RegisterGradient("SeluGrad")(_exp_linear_grad_grad("SeluGrad"))


@RegisterGradient("SoftplusGrad")
def _softplus_grad_grad(op, grad):
    dy, x = op.inputs
    with _after(op, grad):
        ddy = apply_op("SoftplusGrad", gradients=grad, features=x)
        d2x = grad * dy / (apply_op("Exp", x=-x) + 2.0 + apply_op("Exp", x=x))
        return ddy, d2x


@RegisterGradient("BiasAddGrad")
def _bias_add_grad_grad(op, grad):
    data_format = op.get_attr("data_format")
    in_shape = shape(op.inputs[0])
    bias_shape = shape(grad)
    if data_format in (b"NCHW", "NCHW"):
        expanded = array_ops.concat([array_ops.ones_like(in_shape[:1]), bias_shape,
                                     array_ops.ones_like(in_shape[2:])], 0)
        multiples = array_ops.concat([in_shape[:1], [1], in_shape[2:]], 0)
    else:
        expanded = array_ops.concat([array_ops.ones_like(in_shape[:-1]), bias_shape], 0)
        multiples = array_ops.concat([in_shape[:-1], [1]], 0)
    return apply_op("Tile", input=apply_op("Reshape", tensor=grad, shape=expanded), multiples=multiples)


def _conv_attrs(op, *names):
    return {n: op.get_attr(n) for n in names if n in op.node_def.attr}


_CONV = ("dilations", "strides", "padding", "explicit_paddings", "use_cudnn_on_gpu", "data_format")
_DEPTHWISE = ("dilations", "strides", "padding", "explicit_paddings", "data_format")


@RegisterGradient("Conv2DBackpropInput")
def _conv2d_backprop_input_grad(op, grad):
    attrs = _conv_attrs(op, *_CONV)
    return [None,
            apply_op("Conv2DBackpropFilter", input=grad, filter_sizes=shape(op.inputs[1]),
                     out_backprop=op.inputs[2], **attrs),
            apply_op("Conv2D", input=grad, filter=op.inputs[1], **attrs)]


@RegisterGradient("Conv2DBackpropFilter")
def _conv2d_backprop_filter_grad(op, grad):
    attrs = _conv_attrs(op, *_CONV)
    return [apply_op("Conv2DBackpropInput", input_sizes=shape(op.inputs[0]), filter=grad,
                     out_backprop=op.inputs[2], **attrs),
            None,
            apply_op("Conv2D", input=op.inputs[0], filter=grad, **attrs)]


@RegisterGradient("DepthwiseConv2dNativeBackpropInput")
def _depthwise_backprop_input_grad(op, grad):
    attrs = _conv_attrs(op, *_DEPTHWISE)
    return [None,
            apply_op("DepthwiseConv2dNativeBackpropFilter", input=grad,
                     filter_sizes=shape(op.inputs[1]), out_backprop=op.inputs[2], **attrs),
            apply_op("DepthwiseConv2dNative", input=grad, filter=op.inputs[1], **attrs)]


@RegisterGradient("DepthwiseConv2dNativeBackpropFilter")
def _depthwise_backprop_filter_grad(op, grad):
    attrs = _conv_attrs(op, *_DEPTHWISE)
    return [apply_op("DepthwiseConv2dNativeBackpropInput", input_sizes=shape(op.inputs[0]),
                     filter=grad, out_backprop=op.inputs[2], **attrs),
            None,
            apply_op("DepthwiseConv2dNative", input=op.inputs[0], filter=grad, **attrs)]


@RegisterGradient("AvgPoolGrad")
def _avg_pool_grad_grad(op, grad):
    return (apply_op("StopGradient", input=op.inputs[0]),
            apply_op("AvgPool", value=grad, ksize=op.get_attr("ksize"), strides=op.get_attr("strides"),
                     padding=op.get_attr("padding"), data_format=op.get_attr("data_format")))


@RegisterGradient("StridedSliceGrad")
def _strided_slice_grad_grad(op, grad):
    masks = {k: op.get_attr(k) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                          "shrink_axis_mask")}
    return None, None, None, None, apply_op("StridedSlice", input=grad, begin=op.inputs[1], end=op.inputs[2],
                                            strides=op.inputs[3], **masks)
