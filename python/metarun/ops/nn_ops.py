"""tf.nn: activations, softmax and cross entropies, conv and pooling, normalization, dropout."""

import numpy as np

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.ops import array_ops, math_ops, random_ops
from metarun.ops.scopes import name_scope


def _unary(op_type):
    def fn(features, name=None):
        return apply_op(op_type, features=features, name=name)
    fn.__name__ = op_type.lower()
    return fn


relu = _unary("Relu")
relu6 = _unary("Relu6")
elu = _unary("Elu")
selu = _unary("Selu")
softplus = _unary("Softplus")
softsign = _unary("Softsign")
sigmoid = math_ops.sigmoid
tanh = math_ops.tanh


def leaky_relu(features, alpha=0.2, name=None):
    with name_scope(name, "LeakyRelu", [features]) as name:
        return apply_op("LeakyRelu", features=features, alpha=float(alpha), name=name)


def _softmax(op_type, logits, axis, name):
    logits = convert_to_tensor(logits)
    rank = logits.shape.ndims
    if axis is None or axis == -1 or (rank is not None and axis == rank - 1):
        return apply_op(op_type, logits=logits, name=name)
    if rank is None:
        raise NotImplementedError("softmax over a non-last axis of unknown rank")
    axis %= rank
    perm = list(range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    t = array_ops.transpose(logits, perm)
    out = apply_op(op_type, logits=t)
    return array_ops.transpose(out, perm, name=name)


def softmax(logits, axis=None, name=None, dim=None):
    return _softmax("Softmax", logits, axis if axis is not None else dim, name)


def log_softmax(logits, axis=None, name=None, dim=None):
    return _softmax("LogSoftmax", logits, axis if axis is not None else dim, name)


def bias_add(value, bias, data_format=None, name=None):
    with name_scope(name, "BiasAdd", [value, bias]) as name:
        value = convert_to_tensor(value, name="input")
        bias = convert_to_tensor(bias, dtype=value.dtype, name="bias")
        return apply_op("BiasAdd", value=value, bias=bias, data_format=data_format or "NHWC", name=name)


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=-1, name=None, dim=None):
    with name_scope(name, "softmax_cross_entropy_with_logits", [logits, labels]) as name:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        if logits.shape.ndims == 2 and axis in (-1, 1):
            cost, _ = apply_op("SoftmaxCrossEntropyWithLogits", features=logits, labels=labels, name=name)
            return cost
        shape = array_ops.shape(logits)
        classes = array_ops.slice_helper(shape, -1)
        flat_logits = array_ops.reshape(logits, array_ops.stack([-1, classes]))
        flat_labels = array_ops.reshape(labels, array_ops.stack([-1, classes]))
        cost, _ = apply_op("SoftmaxCrossEntropyWithLogits", features=flat_logits, labels=flat_labels)
        return array_ops.reshape(cost, array_ops.slice_helper(shape, slice(None, -1)), name=name)


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1, name=None, axis=None):
    with name_scope(name, "softmax_cross_entropy_with_logits_sg", [logits, labels]) as name:
        labels = array_ops.stop_gradient(labels, name="labels_stop_gradient")
    return softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, axis=axis or dim, name=name)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits", [labels, logits]):
        labels = convert_to_tensor(labels)
        logits = convert_to_tensor(logits)
        if logits.shape.ndims == 2:
            cost, _ = apply_op("SparseSoftmaxCrossEntropyWithLogits", features=logits, labels=labels, name=name)
            return cost
        classes = array_ops.slice_helper(array_ops.shape(logits), -1)
        flat = array_ops.reshape(logits, array_ops.stack([-1, classes]))
        cost, _ = apply_op("SparseSoftmaxCrossEntropyWithLogits", features=flat,
                           labels=array_ops.reshape(labels, [-1]))
        return array_ops.reshape(cost, array_ops.shape(labels), name=name)


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    with name_scope(name, "logistic_loss", [logits, labels]) as name:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, dtype=logits.dtype, name="labels")
        zeros = array_ops.zeros_like(logits)
        cond = math_ops.greater_equal(logits, zeros)
        relu_logits = apply_op("Select", condition=cond, t=logits, e=zeros)
        neg_abs = apply_op("Select", condition=cond, t=math_ops.negative(logits), e=logits)
        return math_ops.add(relu_logits - logits * labels, apply_op("Log1p", x=apply_op("Exp", x=neg_abs)),
                            name=name)


def l2_loss(t, name=None):
    return apply_op("L2Loss", t=t, name=name)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    axis = axis if axis is not None else dim
    with name_scope(name, "l2_normalize", [x]) as name:
        x = convert_to_tensor(x, name="x")
        square_sum = math_ops.reduce_sum(math_ops.square(x), axis, keepdims=True)
        inv = math_ops.rsqrt(math_ops.maximum(square_sum, constant(epsilon, dtype=x.dtype)))
        return math_ops.multiply(x, inv, name=name)


def _four(v, data_format="NHWC", name="strides"):
    if isinstance(v, int):
        v = [v, v]
    v = list(v)
    if len(v) == 1:
        v = v * 2
    if len(v) == 2:
        return [1, 1] + v if data_format.startswith("NC") else [1] + v + [1]
    return v


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True,  # noqa: A002
           data_format="NHWC", dilations=(1, 1, 1, 1), name=None, filters=None):
    filter = filter if filter is not None else filters
    return apply_op("Conv2D", input=input, filter=filter, strides=_four(strides, data_format),
                    padding=padding, use_cudnn_on_gpu=use_cudnn_on_gpu, data_format=data_format,
                    dilations=_four(dilations, data_format), name=name)


def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None, data_format=None,  # noqa: A002
                     dilations=None):
    with name_scope(name, "depthwise", [input, filter]) as name:
        return apply_op("DepthwiseConv2dNative", input=input, filter=filter, strides=list(strides),
                        padding=padding, data_format=data_format or "NHWC", name=name)


def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):  # noqa: A002
    value = value if value is not None else input
    with name_scope(name, "MaxPool", [value]) as name:
        return apply_op("MaxPool", input=value, ksize=_four(ksize, data_format), strides=_four(strides, data_format),
                        padding=padding, data_format=data_format, name=name)


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):  # noqa: A002
    value = value if value is not None else input
    with name_scope(name, "AvgPool", [value]) as name:
        return apply_op("AvgPool", value=value, ksize=_four(ksize, data_format), strides=_four(strides, data_format),
                        padding=padding, data_format=data_format, name=name)


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    keep = bool(keep_dims if keep_dims is not None else keepdims)
    with name_scope(name, "moments", [x, axes]):
        y = math_ops.cast(x, dtypes.float32) if x.dtype == dtypes.float16 else x
        mean = math_ops.reduce_mean(y, axes, keepdims=True, name="mean")
        variance = math_ops.reduce_mean(math_ops.squared_difference(y, array_ops.stop_gradient(mean)), axes,
                                        keepdims=True, name="variance")
        if not keep:
            mean = array_ops.squeeze(mean, axes)
            variance = array_ops.squeeze(variance, axes)
        return mean, variance


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    with name_scope(name, "batchnorm", [x, mean, variance, scale, offset]) as name:
        inv = math_ops.rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv = inv * scale
        return x * math_ops.cast(inv, x.dtype) + math_ops.cast(
            offset - mean * inv if offset is not None else -mean * inv, x.dtype)


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    if rate is None:
        if keep_prob is None:
            raise ValueError("You must provide a rate to dropout.")
        rate = 1 - keep_prob
    with name_scope(name, "dropout", [x]) as name:
        x = convert_to_tensor(x, name="x")
        if isinstance(rate, (int, float)) and rate == 0:
            return array_ops.identity(x, name=name)
        rate_t = convert_to_tensor(rate, dtype=x.dtype, name="rate")
        scale = constant(1.0, dtype=x.dtype) / (constant(1.0, dtype=x.dtype) - rate_t) \
            if not isinstance(rate, (int, float)) else constant(1.0 / (1.0 - rate), dtype=x.dtype)
        shape = noise_shape if noise_shape is not None else array_ops.shape(x)
        random = random_ops.random_uniform(shape, seed=seed, dtype=x.dtype)
        keep = math_ops.greater_equal(random, rate_t)
        return math_ops.multiply(x * scale, math_ops.cast(keep, x.dtype), name=name)


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True, max_norm=None):
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise NotImplementedError("embedding_lookup over several partitions is not supported yet")
        params = params[0]
    with name_scope(name, "embedding_lookup", [params, ids]) as name:
        if getattr(params, "_is_resource", False):
            return apply_op("ResourceGather", resource=params.handle, indices=ids, dtype=params.dtype, name=name)
        g = graph_lib.get_default_graph()
        with g.colocate_with(params.op if hasattr(params, "op") else params):
            out = apply_op("GatherV2", params=params, indices=ids, axis=0, name=name)
        return out


def top_k(input, k=1, sorted=True, name=None):  # noqa: A002
    return apply_op("TopKV2", input=input, k=k, sorted=sorted, name=name)


def in_top_k(predictions, targets, k, name=None):
    return apply_op("InTopKV2", predictions=predictions, targets=targets, k=k, name=name)


def xw_plus_b(x, weights, biases, name=None):
    with name_scope(name, "xw_plus_b", [x, weights, biases]) as name:
        return bias_add(math_ops.matmul(x, weights), biases, name=name)


def zero_fraction(value, name=None):
    with name_scope(name, "zero_fraction", [value]):
        value = convert_to_tensor(value, name="value")
        zero = constant(0, dtype=value.dtype)
        return math_ops.reduce_mean(math_ops.cast(math_ops.equal(value, zero), dtypes.float32))


_ = np
