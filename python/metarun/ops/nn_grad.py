"""Gradients of the nn ops, through the *Grad kernels TF uses."""

from metarun.framework.op_builder import apply_op
from metarun.ops.gradients_impl import RegisterGradient


@RegisterGradient("Relu")
def _relu_grad(op, grad):
    return apply_op("ReluGrad", gradients=grad, features=op.outputs[0])


@RegisterGradient("Relu6")
def _relu6_grad(op, grad):
    return apply_op("Relu6Grad", gradients=grad, features=op.outputs[0])


@RegisterGradient("Elu")
def _elu_grad(op, grad):
    return apply_op("EluGrad", gradients=grad, outputs=op.outputs[0])


@RegisterGradient("Selu")
def _selu_grad(op, grad):
    return apply_op("SeluGrad", gradients=grad, outputs=op.outputs[0])


@RegisterGradient("Softplus")
def _softplus_grad(op, grad):
    return apply_op("SoftplusGrad", gradients=grad, features=op.inputs[0])


@RegisterGradient("LeakyRelu")
def _leaky_relu_grad(op, grad):
    return apply_op("LeakyReluGrad", gradients=grad, features=op.inputs[0], alpha=op.get_attr("alpha"))


@RegisterGradient("BiasAdd")
def _bias_add_grad(op, grad):
    fmt = op.get_attr("data_format")
    return grad, apply_op("BiasAddGrad", out_backprop=grad, data_format=fmt)


@RegisterGradient("Softmax")
def _softmax_grad(op, grad):
    y = op.outputs[0]
    s = apply_op("Sum", input=apply_op("Mul", x=grad, y=y), reduction_indices=-1, keep_dims=True)
    return apply_op("Mul", x=apply_op("Sub", x=grad, y=s), y=y)


@RegisterGradient("LogSoftmax")
def _log_softmax_grad(op, grad):
    y = op.outputs[0]
    s = apply_op("Sum", input=grad, reduction_indices=-1, keep_dims=True)
    return apply_op("Sub", x=grad, y=apply_op("Mul", x=s, y=apply_op("Exp", x=y)))


@RegisterGradient("SoftmaxCrossEntropyWithLogits")
def _softmax_xent_grad(op, grad_loss, grad_grad):
    backprop = op.outputs[1]
    g = apply_op("Mul", x=apply_op("ExpandDims", input=grad_loss, dim=-1), y=backprop)
    return g, None


@RegisterGradient("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_softmax_xent_grad(op, grad_loss, grad_grad):
    backprop = op.outputs[1]
    return apply_op("Mul", x=apply_op("ExpandDims", input=grad_loss, dim=-1), y=backprop), None


def _conv_attrs(op, names):
    return {k: op.get_attr(k) for k in names if k in op.node_def.attr}


_CONV = ("strides", "padding", "explicit_paddings", "use_cudnn_on_gpu", "data_format", "dilations")


@RegisterGradient("Conv2D")
def _conv2d_grad(op, grad):
    x, w = op.inputs
    attrs = _conv_attrs(op, _CONV)
    dx = apply_op("Conv2DBackpropInput", input_sizes=apply_op("Shape", input=x), filter=w, out_backprop=grad,
                  **attrs)
    dw = apply_op("Conv2DBackpropFilter", input=x, filter_sizes=apply_op("Shape", input=w), out_backprop=grad,
                  **attrs)
    return dx, dw


@RegisterGradient("DepthwiseConv2dNative")
def _depthwise_grad(op, grad):
    x, w = op.inputs
    attrs = _conv_attrs(op, ("strides", "padding", "explicit_paddings", "data_format", "dilations"))
    dx = apply_op("DepthwiseConv2dNativeBackpropInput", input_sizes=apply_op("Shape", input=x), filter=w,
                  out_backprop=grad, **attrs)
    dw = apply_op("DepthwiseConv2dNativeBackpropFilter", input=x, filter_sizes=apply_op("Shape", input=w),
                  out_backprop=grad, **attrs)
    return dx, dw


@RegisterGradient("MaxPool")
def _max_pool_grad(op, grad):
    attrs = _conv_attrs(op, ("ksize", "strides", "padding", "explicit_paddings", "data_format"))
    return apply_op("MaxPoolGrad", orig_input=op.inputs[0], orig_output=op.outputs[0], grad=grad, **attrs)


@RegisterGradient("AvgPool")
def _avg_pool_grad(op, grad):
    attrs = _conv_attrs(op, ("ksize", "strides", "padding", "data_format"))
    return apply_op("AvgPoolGrad", orig_input_shape=apply_op("Shape", input=op.inputs[0]), grad=grad, **attrs)


def _fused_bn_grad(op, *grads):
    g = grads[0]
    x, scale = op.inputs[0], op.inputs[1]
    attrs = {"epsilon": op.get_attr("epsilon"), "data_format": op.get_attr("data_format"),
             "is_training": op.get_attr("is_training")}
    if op.type == "FusedBatchNormV3":
        out = apply_op("FusedBatchNormGradV3", y_backprop=g, x=x, scale=scale, reserve_space_1=op.outputs[3],
                       reserve_space_2=op.outputs[4], reserve_space_3=op.outputs[5], **attrs)
    else:
        out = apply_op("FusedBatchNormGradV2" if op.type == "FusedBatchNormV2" else "FusedBatchNormGrad",
                       y_backprop=g, x=x, scale=scale, reserve_space_1=op.outputs[3],
                       reserve_space_2=op.outputs[4], **attrs)
    return [out[0], out[1], out[2], None, None]


for _t in ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"):
    RegisterGradient(_t)(_fused_bn_grad)


@RegisterGradient("L2Loss")
def _l2_loss_grad(op, grad):
    return apply_op("Mul", x=op.inputs[0], y=grad)
