"""Gradients of the nn ops, through the *Grad / *Backprop* kernels TF uses."""

from metarun.framework.op_builder import apply_op
from metarun.ops import math_ops
from metarun.ops.gradients_impl import RegisterGradient, shape


def _register_kernel(op_type, kernel, use_output):
    def fn(op, grad):
        return apply_op(kernel, gradients=grad, **({"outputs": op.outputs[0]} if use_output == "outputs" else
                                                   {"features": op.outputs[0] if use_output == "y"
                                                    else op.inputs[0]}))
    RegisterGradient(op_type)(fn)


_register_kernel("Relu", "ReluGrad", "y")
_register_kernel("Relu6", "Relu6Grad", "y")
_register_kernel("Elu", "EluGrad", "outputs")
_register_kernel("Selu", "SeluGrad", "outputs")
_register_kernel("Softsign", "SoftsignGrad", "x")


@RegisterGradient("LeakyRelu")
def _leaky_relu_grad(op, grad):
    return apply_op("LeakyReluGrad", gradients=grad, features=op.inputs[0], alpha=op.get_attr("alpha"))


@RegisterGradient("Softplus")
def _softplus_grad(op, grad):
    return grad * apply_op("Sigmoid", x=op.inputs[0])


@RegisterGradient("BiasAdd")
def _bias_add_grad(op, grad):
    return grad, apply_op("BiasAddGrad", out_backprop=grad, data_format=op.get_attr("data_format"))


@RegisterGradient("Softmax")
def _softmax_grad(op, grad):
    y = op.outputs[0]
    s = apply_op("Sum", input=grad * y, reduction_indices=-1, keep_dims=True)
    return (grad - s) * y


@RegisterGradient("LogSoftmax")
def _log_softmax_grad(op, grad):
    p = apply_op("Exp", x=op.outputs[0])
    return grad - apply_op("Sum", input=grad, reduction_indices=-1, keep_dims=True) * p


def _expand_mul(vec, mat):
    return apply_op("ExpandDims", input=vec, dim=-1) * mat


def _is_zeros(t):
    return t is None or t.op.type in ("ZerosLike", "Zeros")


@RegisterGradient("SoftmaxCrossEntropyWithLogits")
def _softmax_xent_grad(op, grad_loss, grad_grad):
    logits = op.inputs[0]
    grad = _expand_mul(grad_loss, op.outputs[1])
    if not _is_zeros(grad_grad):
        softmax = apply_op("Softmax", x=logits)
        inner = apply_op("BatchMatMulV2", x=apply_op("ExpandDims", input=grad_grad, dim=1),
                         y=apply_op("ExpandDims", input=softmax, dim=2))
        grad = grad + (grad_grad - apply_op("Squeeze", input=inner, squeeze_dims=[1])) * softmax
    return grad, _expand_mul(grad_loss, math_ops.negative(apply_op("LogSoftmax", logits=logits)))


@RegisterGradient("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_softmax_xent_grad(op, grad_loss, grad_grad):
    return _expand_mul(grad_loss, op.outputs[1]), None


def _attrs(op, names):
    return {k: op.get_attr(k) for k in names if k in op.node_def.attr}


_CONV = ("strides", "padding", "explicit_paddings", "use_cudnn_on_gpu", "data_format", "dilations")


@RegisterGradient("Conv2D")
def _conv2d_grad(op, grad):
    x, w = op.inputs
    attrs = _attrs(op, _CONV)
    sizes = apply_op("ShapeN", input=[x, w])
    return (apply_op("Conv2DBackpropInput", input_sizes=sizes[0], filter=w, out_backprop=grad, **attrs),
            apply_op("Conv2DBackpropFilter", input=x, filter_sizes=sizes[1], out_backprop=grad, **attrs))


@RegisterGradient("DepthwiseConv2dNative")
def _depthwise_grad(op, grad):
    x, w = op.inputs
    attrs = _attrs(op, ("strides", "padding", "explicit_paddings", "data_format", "dilations"))
    return (apply_op("DepthwiseConv2dNativeBackpropInput", input_sizes=shape(x), filter=w, out_backprop=grad,
                     **attrs),
            apply_op("DepthwiseConv2dNativeBackpropFilter", input=x, filter_sizes=shape(w), out_backprop=grad,
                     **attrs))


@RegisterGradient("MaxPool")
def _max_pool_grad(op, grad):
    attrs = _attrs(op, ("ksize", "strides", "padding", "explicit_paddings", "data_format"))
    return apply_op("MaxPoolGrad", orig_input=op.inputs[0], orig_output=op.outputs[0], grad=grad, **attrs)


@RegisterGradient("AvgPool")
def _avg_pool_grad(op, grad):
    attrs = _attrs(op, ("ksize", "strides", "padding", "data_format"))
    return apply_op("AvgPoolGrad", orig_input_shape=shape(op.inputs[0]), grad=grad, **attrs)


def _fused_bn_grad(op, *grads):
    attrs = {"epsilon": op.get_attr("epsilon"), "data_format": op.get_attr("data_format"),
             "is_training": op.get_attr("is_training")}
    x, scale = op.inputs[0], op.inputs[1]
    # Training uses the batch statistics the op saved; inference the population ones it was given.
    r1, r2 = (op.outputs[3], op.outputs[4]) if attrs["is_training"] else (op.inputs[3], op.inputs[4])
    if op.type == "FusedBatchNormV3":
        out = apply_op("FusedBatchNormGradV3", y_backprop=grads[0], x=x, scale=scale, reserve_space_1=r1,
                       reserve_space_2=r2, reserve_space_3=op.outputs[5], **attrs)
    else:
        kernel = "FusedBatchNormGradV2" if op.type == "FusedBatchNormV2" else "FusedBatchNormGrad"
        out = apply_op(kernel, y_backprop=grads[0], x=x, scale=scale, reserve_space_1=r1, reserve_space_2=r2,
                       **attrs)
    return [out[0], out[1], out[2], None, None]


for _t in ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"):
    RegisterGradient(_t)(_fused_bn_grad)


@RegisterGradient("L2Loss")
def _l2_loss_grad(op, grad):
    return op.inputs[0] * grad


@RegisterGradient("LRN")
def _lrn_grad(op, grad):
    attrs = _attrs(op, ("depth_radius", "bias", "alpha", "beta"))
    return apply_op("LRNGrad", input_grads=grad, input_image=op.inputs[0], output_image=op.outputs[0], **attrs)


@RegisterGradient("TopKV2")
def _top_k_grad(op, grad, _):
    """The values' gradient scattered back to where they were taken from (flattened positions)."""
    from metarun.framework import dtypes
    from metarun.ops import array_ops
    from metarun.ops.gradients_impl import size
    in_shape = shape(op.inputs[0])
    ind_shape = shape(op.outputs[1])
    last = apply_op("GatherV2", params=math_ops.cast(ind_shape, dtypes.int64), indices=size(ind_shape) - 1, axis=0)
    ind_2d = apply_op("Reshape", tensor=op.outputs[1], shape=array_ops.stack([-1, last]))
    in_last = apply_op("GatherV2", params=math_ops.cast(in_shape, dtypes.int64), indices=size(in_shape) - 1, axis=0)
    outer = array_ops.slice_helper(shape(ind_2d), 0)
    offsets = math_ops.range(0, math_ops.cast(outer, dtypes.int64) * in_last, in_last)
    ind = ind_2d + math_ops.cast(apply_op("ExpandDims", input=offsets, dim=-1), dtypes.int32)
    flat = apply_op("ExpandDims", input=apply_op("Reshape", tensor=ind, shape=[-1]), dim=-1)
    values = apply_op("Reshape", tensor=grad, shape=[-1])
    scattered = apply_op("ScatterNd", indices=flat, updates=values, shape=[math_ops.reduce_prod(in_shape)])
    return apply_op("Reshape", tensor=scattered, shape=in_shape), array_ops.zeros([], dtype=dtypes.int32)


@RegisterGradient("BiasAddV1")
def _bias_add_v1_grad(op, grad):
    axes = apply_op("Range", start=0, limit=apply_op("Rank", input=grad) - 1, delta=1)
    return grad, apply_op("Sum", input=grad, reduction_indices=axes)


@RegisterGradient("MaxPoolV2")
def _max_pool_v2_grad(op, grad):
    return apply_op("MaxPoolGradV2", orig_input=op.inputs[0], orig_output=op.outputs[0], grad=grad,
                    ksize=op.inputs[1], strides=op.inputs[2], padding=op.get_attr("padding"),
                    data_format=op.get_attr("data_format")), None, None
