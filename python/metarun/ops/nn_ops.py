"""tf.nn: activations, softmax and cross entropies, conv and pooling, normalization, dropout."""

import numpy as np

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.ops import array_ops, math_ops, random_ops, space_batch_ops
from metarun.ops import shapes_nn  # noqa: F401 -- registers the nn shape functions
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


def _swap_axis(t, dim, last):
    """t with axes `dim` and `last` (a tensor: rank - 1) swapped, the permutation built
    from Range ops as TF builds it."""
    perm = array_ops.concat([apply_op("Range", start=0, limit=dim, delta=1, name="range"), [last],
                             apply_op("Range", start=dim + 1, limit=last, delta=1, name="range"), [dim]], 0)
    return array_ops.transpose(t, perm)


def _softmax(op_type, logits, axis, name):
    logits = convert_to_tensor(logits)
    rank = logits.shape.ndims
    if axis is None or axis == -1 or (rank is not None and axis == rank - 1):
        return apply_op(op_type, logits=logits, name=name)
    if rank is not None and not -rank <= axis < rank:
        raise ValueError("`axis` must be in the range [%d, %d) where %d is the number of dimensions in the "
                         "input. Received: axis=%d" % (-rank, rank, rank, axis))
    array_ops.rank(logits)  # TF asks for the rank once more than it uses it
    input_rank = array_ops.rank(logits)
    dim = axis % rank if rank is not None else axis
    swapped = _swap_axis(logits, dim, math_ops.subtract(input_rank, 1))
    out = apply_op(op_type, logits=swapped)
    out = _swap_axis(out, dim, math_ops.subtract(input_rank, 1))
    out.set_shape(logits.shape)
    return out


def softmax(logits, axis=None, name=None, dim=None):
    return _softmax("Softmax", logits, axis if axis is not None else dim, name)


def log_softmax(logits, axis=None, name=None, dim=None):
    return _softmax("LogSoftmax", logits, axis if axis is not None else dim, name)


def bias_add(value, bias, data_format=None, name=None):
    with name_scope(name, "BiasAdd", [value, bias]) as name:
        value = convert_to_tensor(value, name="input")
        bias = convert_to_tensor(bias, dtype=value.dtype, name="bias")
        return apply_op("BiasAdd", value=value, bias=bias, data_format=data_format or "NHWC", name=name)


def _flatten_outer_dims(t):
    """t as a matrix [-1, last dim], through the Rank/Shape/Slice/concat ops TF adds."""
    rank = array_ops.rank(t)
    shape = array_ops.shape(t)
    inner = array_ops.slice(shape, [math_ops.subtract(rank, 1)], [1])
    return array_ops.reshape(t, array_ops.concat([[-1], inner], 0))


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=None, name=None, dim=None):
    axis = -1 if axis is None and dim is None else (axis if axis is not None else dim)
    with name_scope(name, "softmax_cross_entropy_with_logits", [logits, labels]) as name:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        input_rank = array_ops.rank(logits)
        shape = logits.shape
        if axis != -1 and axis != (shape.ndims or 0) - 1:
            last = math_ops.subtract(input_rank, 1)
            logits = _swap_axis(logits, axis % shape.ndims, last)
            labels = _swap_axis(labels, axis % shape.ndims, last)
        output_shape = array_ops.shape(logits)
        cost, _ = apply_op("SoftmaxCrossEntropyWithLogits", features=_flatten_outer_dims(logits),
                           labels=_flatten_outer_dims(labels), name=name)
        size = array_ops.slice(output_shape, [0], [math_ops.subtract(input_rank, 1)])
        cost = array_ops.reshape(cost, size)
        if shape.ndims is not None:
            cost.set_shape([d for i, d in enumerate(shape.dims) if i != (axis % shape.ndims)])
        return cost


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1, name=None, axis=None):
    axis = dim if axis is None else axis
    with name_scope(name, "softmax_cross_entropy_with_logits_sg", [logits, labels]) as name:
        labels = array_ops.stop_gradient(labels, name="labels_stop_gradient")
    return softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, axis=axis, name=name)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits", [labels, logits]):
        op_name = name or "SparseSoftmaxCrossEntropyWithLogits"  # TF names the op as its scope
        labels = convert_to_tensor(labels)
        logits = convert_to_tensor(logits)
        labels_static = labels.shape
        labels_shape = array_ops.shape(labels)
        fully_defined = labels_static.is_fully_defined() and logits.shape[:-1].is_fully_defined()
        if logits.shape.ndims == 0:
            raise ValueError("Logits cannot be scalars - received shape %s." % logits.shape)
        if logits.shape.ndims is not None and labels_static.ndims is not None \
                and labels_static.ndims != logits.shape.ndims - 1:
            raise ValueError("Rank mismatch: Rank of labels (received %s) should equal rank of logits minus 1 "
                             "(received %s)." % (labels_static.ndims, logits.shape.ndims))
        if logits.shape.ndims == 2:
            cost, _ = apply_op("SparseSoftmaxCrossEntropyWithLogits", features=logits, labels=labels, name=op_name)
            return cost
        checks = [] if fully_defined else [array_ops.assert_equal(array_ops.shape(labels),
                                                                  array_ops.shape(logits)[:-1])]
        with graph_lib.get_default_graph().control_dependencies(checks):
            classes = array_ops.shape(logits)[array_ops.rank(logits) - 1]
            flat = array_ops.reshape(logits, [-1, classes])
            labels = array_ops.reshape(labels, [-1])
            cost, _ = apply_op("SparseSoftmaxCrossEntropyWithLogits", features=flat, labels=labels, name=op_name)
            cost = array_ops.reshape(cost, labels_shape)
            cost.set_shape(labels_static)
            return cost


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    with name_scope(name, "logistic_loss", [logits, labels]) as name:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, dtype=logits.dtype, name="labels")
        zeros = array_ops.zeros_like(logits, dtype=logits.dtype)
        cond = math_ops.greater_equal(logits, zeros)
        relu_logits = apply_op("Select", condition=cond, t=logits, e=zeros)
        neg_abs = apply_op("Select", condition=cond, t=math_ops.negative(logits), e=logits)
        return math_ops.add(relu_logits - logits * labels, apply_op("Log1p", x=apply_op("Exp", x=neg_abs)),
                            name=name)


def weighted_cross_entropy_with_logits(labels=None, logits=None, pos_weight=None, name=None, targets=None):
    labels = labels if labels is not None else targets
    with name_scope(name, "logistic_loss", [logits, labels]) as name:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, dtype=logits.dtype, name="labels")
        log_weight = 1 + (pos_weight - 1) * labels
        left = (1 - labels) * logits
        softplus_neg = apply_op("Log1p", x=apply_op("Exp", x=math_ops.negative(math_ops.abs(logits)))) + \
            relu(math_ops.negative(logits))
        return math_ops.add(left, log_weight * softplus_neg, name=name)


def l2_loss(t, name=None):
    return apply_op("L2Loss", t=t, name=name)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    axis = axis if axis is not None else dim
    with name_scope(name, "l2_normalize", [x]) as name:
        x = convert_to_tensor(x, name="x")
        square_sum = math_ops.reduce_sum(math_ops.square(x), axis, keepdims=True)
        inv = math_ops.rsqrt(math_ops.maximum(square_sum, epsilon))
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


def conv1d(value=None, filters=None, stride=None, padding=None, use_cudnn_on_gpu=None, data_format=None,
           name=None, input=None, dilations=None):  # noqa: A002
    """A Conv2D over the inputs with a height of 1 inserted (axis -3), squeezed out after."""
    value = value if value is not None else input
    with name_scope(name, "conv1d", [value, filters]) as name:
        nchw = data_format == "NCW"
        spatial = -1 if nchw else -3
        value = array_ops.expand_dims(value, spatial)
        filters = array_ops.expand_dims(filters, 0)
        stride = _conv1d_step(stride, nchw, "stride")
        dil = _conv1d_step(dilations, nchw, "dilations")
        fmt = "NCHW" if nchw else "NHWC"
        out = apply_op("Conv2D", input=value, filter=filters, strides=_four([1, stride], fmt), padding=padding,
                       use_cudnn_on_gpu=True if use_cudnn_on_gpu is None else use_cudnn_on_gpu, data_format=fmt,
                       dilations=_four([1, dil], fmt), name=name)
        return array_ops.squeeze(out, [spatial])


def _conv1d_step(value, nchw, what):
    """The width step of conv1d's `stride`/`dilations`: an int, [w], or [1, w, 1] ([1, 1, w] for
    NCW) as TF accepts them."""
    if value is None:
        return 1
    if isinstance(value, int):
        return value
    value = list(value)
    if len(value) == 1:
        return value[0]
    if len(value) == 3:
        return value[2] if nchw else value[1]
    raise ValueError("%s should be of length 1, 1 or 3. Received: %s=%s of length %d"
                     % (what, what, value, len(value)))


def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None, data_format=None,  # noqa: A002
                     dilations=None):
    """TF's v1 depthwise_conv2d: DepthwiseConv2dNative through with_space_to_batch (SpaceToBatchND
    around it when `rate` dilates)."""
    rate = rate if rate is not None else dilations
    with name_scope(name, "depthwise", [input, filter]) as name:
        input = convert_to_tensor(input, name="tensor_in")
        filter = convert_to_tensor(filter, name="filter_in")

        def op(converted, _, pad):
            return apply_op("DepthwiseConv2dNative", input=converted, filter=filter, strides=list(strides),
                            padding=pad, data_format=data_format or "NHWC", name=name)
        return space_batch_ops.with_space_to_batch(input, [1, 1] if rate is None else rate, padding, op,
                                                   filter_shape=array_ops.shape(filter))


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding, rate=None,  # noqa: A002
                     name=None, data_format=None, dilations=None):
    rate = rate if rate is not None else dilations
    with name_scope(name, "separable_conv2d", [input, depthwise_filter, pointwise_filter]) as name:
        input = convert_to_tensor(input, name="tensor_in")
        depthwise_filter = convert_to_tensor(depthwise_filter, name="depthwise_filter")
        pointwise_filter = convert_to_tensor(pointwise_filter, name="pointwise_filter")
        fmt = data_format or "NHWC"

        def op(converted, _, pad):
            return apply_op("DepthwiseConv2dNative", input=converted, filter=depthwise_filter, strides=list(strides),
                            padding=pad, data_format=fmt, name="depthwise")
        depthwise = space_batch_ops.with_space_to_batch(input, [1, 1] if rate is None else rate, padding, op,
                                                        filter_shape=array_ops.shape(depthwise_filter))
        return apply_op("Conv2D", input=depthwise, filter=pointwise_filter, strides=[1, 1, 1, 1],
                        padding="VALID", data_format=fmt, name=name)

def conv2d_transpose(value=None, filter=None, output_shape=None, strides=None, padding="SAME",  # noqa: A002
                     data_format="NHWC", name=None, input=None, filters=None, dilations=None):
    value = value if value is not None else input
    filter = filter if filter is not None else filters
    with name_scope(name, "conv2d_transpose", [value, filter, output_shape]) as name:
        sizes = output_shape if hasattr(output_shape, "op") else convert_to_tensor(
            output_shape, name="input_sizes")
        return apply_op("Conv2DBackpropInput", input_sizes=sizes, filter=filter, out_backprop=value,
                        strides=_four(strides, data_format), padding=padding, data_format=data_format,
                        dilations=_four(dilations or [1, 1], data_format), name=name)


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


def pool(input, window_shape, pooling_type, padding, dilation_rate=None, strides=None, name=None,  # noqa: A002
         data_format=None, dilations=None):
    """tf.compat.v1.nn.pool over 1 or 2 spatial dims: MaxPool/AvgPool through with_space_to_batch
    (SpaceToBatchND around it when `dilation_rate` dilates, which takes VALID padding only)."""
    dilation_rate = dilation_rate if dilation_rate is not None else dilations
    with name_scope(name, "%s_pool" % pooling_type.lower(), [input]) as scope:
        input = convert_to_tensor(input, name="input")
        n = len(window_shape)
        if n < 1 or n > 3:
            raise ValueError("`len(window_shape)` must be 1, 2, or 3. Received: window_shape=%s of length %d"
                             % (window_shape, n))
        input.shape.with_rank(n + 2)
        strides, dilation_rate = space_batch_ops.strides_and_rate(n, strides, dilation_rate)
        if padding == "SAME" and np.any(dilation_rate > 1):
            raise ValueError("pooling with 'SAME' padding is not implemented for `dilation_rate` > 1. Received: "
                             "padding=%s and dilation_rate=%s" % (padding, dilation_rate))
        if np.any(strides > window_shape):
            raise ValueError("`strides` > `window_shape` not supported due to inconsistency between CPU and GPU "
                             "implementations. Received: strides=%s and window_shape=%s" % (strides, window_shape))
        if pooling_type not in ("MAX", "AVG"):
            raise ValueError("%d-D %s pooling is not supported." % (n, pooling_type))
        channels_first = data_format is not None and data_format.startswith("NC")
        window = ([1, 1] if channels_first else [1]) + list(window_shape) + ([] if channels_first else [1])
        steps = ([1, 1] if channels_first else [1]) + list(strides) + ([] if channels_first else [1])
        spatial_dims = range(2, n + 2) if channels_first else range(1, n + 1)
        fmt = data_format or "NHWC"
        if n == 1:
            if data_format not in (None, "NWC", "NCW"):
                raise ValueError("data_format must be either 'NWC' or 'NCW'. Received: data_format=%s" % data_format)
            fmt = "NCHW" if data_format == "NCW" else "NHWC"
            window, steps = [1] + window, [1] + steps
        op_type, arg = ("MaxPool", "input") if pooling_type == "MAX" else ("AvgPool", "value")
        if n == 3:
            op_type, arg, fmt = op_type + "3D", "input", data_format or "NDHWC"

        def op(converted, _, pad):
            if n == 1:
                converted = array_ops.expand_dims(converted, spatial_dims[0])
            result = apply_op(op_type, ksize=[int(k) for k in window], strides=[int(s) for s in steps], padding=pad,
                              data_format=fmt, name=scope, **{arg: converted})
            return array_ops.squeeze(result, [spatial_dims[0]]) if n == 1 else result
        return space_batch_ops.with_space_to_batch(input, dilation_rate, padding, op, spatial_dims=spatial_dims,
                                                   filter_shape=window_shape)

def lrn(input, depth_radius=5, bias=1, alpha=1, beta=0.5, name=None):  # noqa: A002
    return apply_op("LRN", input=input, depth_radius=depth_radius, bias=float(bias), alpha=float(alpha),
                    beta=float(beta), name=name)


local_response_normalization = lrn


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    keep = bool(keep_dims if keep_dims is not None else keepdims)
    with name_scope(name, "moments", [x, axes]):
        x = convert_to_tensor(x)
        y = math_ops.cast(x, dtypes.float32) if x.dtype == dtypes.float16 else x
        mean = math_ops.reduce_mean(y, axes, keepdims=True, name="mean")
        variance = math_ops.reduce_mean(math_ops.squared_difference(y, array_ops.stop_gradient(mean)), axes,
                                        keepdims=True, name="variance")
        if not keep:
            mean = array_ops.squeeze(mean, axes)
            variance = array_ops.squeeze(variance, axes)
        if x.dtype == dtypes.float16:
            return math_ops.cast(mean, dtypes.float16), math_ops.cast(variance, dtypes.float16)
        return mean, variance


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    with name_scope(name, "batchnorm", [x, mean, variance, scale, offset]) as name:
        inv = math_ops.rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv = inv * scale
        return x * inv + (offset - mean * inv if offset is not None else -mean * inv)


def fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001, data_format="NHWC",
                     is_training=True, name=None, exponential_avg_factor=1.0):
    """FusedBatchNormV3: (y, batch or running mean, batch or running variance)."""
    if (not is_training or exponential_avg_factor != 1.0) and (mean is None or variance is None):
        raise ValueError("Both `mean` and `variance` must be a 1D tensor when is_training is False or "
                         "`exponential_avg_factor` != 1.0.")
    x = convert_to_tensor(x, name="input")
    scale = convert_to_tensor(scale, name="scale")
    offset = convert_to_tensor(offset, name="offset")
    if mean is None:
        mean = constant([])
    if variance is None:
        variance = constant([])
    epsilon = epsilon if epsilon > 1.001e-5 else 1.001e-5
    y, running_mean, running_var, _, _, _ = apply_op(
        "FusedBatchNormV3", x=x, scale=scale, offset=offset, mean=mean, variance=variance, epsilon=float(epsilon),
        exponential_avg_factor=float(exponential_avg_factor), data_format=data_format, is_training=is_training,
        name=name)
    return y, running_mean, running_var


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """TF 2.x's layout: x * 1/(1-rate), kept where a uniform draw >= rate, else 0 (SelectV2)."""
    if rate is None:
        if keep_prob is None:
            raise ValueError("You must provide a rate to dropout.")
        rate = 1. - keep_prob  # outside the scope, as TF1's wrapper computes it
    with name_scope(name, "dropout", [x]) as name:
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError("x has to be a floating point tensor since it's going to be scaled. Got a %s tensor "
                             "instead." % x.dtype)
        if isinstance(rate, (int, float)):
            if not 0 <= rate < 1:
                raise ValueError("rate must be a scalar tensor or a float in the range [0, 1), got %g" % rate)
            if rate == 0:
                return x
            scale = 1 / (1 - rate)
            x_scaled = apply_op("Mul", x=x, y=constant(scale, dtype=x.dtype))
        else:
            rate = convert_to_tensor(rate)
            if rate.shape.ndims not in (None, 0):
                raise ValueError("Shape must be rank 0 but is rank %d" % rate.shape.ndims)
            if rate.dtype.base_dtype != x.dtype.base_dtype:
                if not rate.dtype.is_floating:
                    raise ValueError("`x.dtype` (%s) and `rate.dtype` (%s) are not compatible."
                                     % (x.dtype.base_dtype.name, rate.dtype.base_dtype.name))
                rate = apply_op("Cast", x=rate, DstT=x.dtype.base_dtype, name="rate")
            one = constant(1, dtype=x.dtype.base_dtype)
            x_scaled = apply_op("RealDiv", x=x, y=apply_op("Sub", x=one, y=rate))
        if noise_shape is None:
            shape = array_ops.shape(x)
        else:
            shape = noise_shape
        random = random_ops.random_uniform(shape, seed=seed, dtype=x.dtype)
        keep = math_ops.greater_equal(random, rate)
        out = apply_op("SelectV2", condition=keep, t=x_scaled, e=constant(0, dtype=x.dtype))
        out.set_shape(x.shape)
        return out


def _div_partition(params, flat_ids):
    """TF's "div" strategy: contiguous blocks of ids, the first (total % n) parts one id larger."""
    n = len(params)
    rows = [p.shape.as_list()[0] if p.shape.ndims else None for p in params]
    if None not in rows:
        total = constant(sum(rows), dtype=flat_ids.dtype)
    else:
        sizes = []
        for p, r in zip(params, rows):
            if r is not None:
                sizes.append(r)
            else:
                with graph_lib.get_default_graph().colocate_with(p):
                    sizes.append(array_ops.shape(p)[0])
        total = math_ops.reduce_sum(math_ops.cast(array_ops.stack(sizes), flat_ids.dtype))
    per_part = total // n
    extras = total % n
    p_assignments = math_ops.maximum(flat_ids // (per_part + 1), (flat_ids - extras) // per_part)
    new_ids = array_ops.where(p_assignments < extras, flat_ids % (per_part + 1), (flat_ids - extras) % per_part)
    return p_assignments, new_ids


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True, max_norm=None):
    """Rows of `params` (one tensor or variable, or the parts of a sharded one) at `ids`."""
    if max_norm is not None:
        raise NotImplementedError("embedding_lookup with max_norm is not supported by metarun yet")
    if hasattr(params, "_get_variable_list"):
        params = params._get_variable_list()
    if not isinstance(params, (list, tuple)):
        params = [params]
    params = list(params)
    with name_scope(name, "embedding_lookup", params + [ids]) as name:
        g = graph_lib.get_default_graph()
        if len(params) == 1:
            p = params[0]
            with g.colocate_with(p):
                if getattr(p, "_is_resource", False):
                    out = apply_op("ResourceGather", resource=p.handle, indices=ids, dtype=p.dtype, name=name)
                else:
                    out = array_ops.gather(p, ids, name=name)
            return array_ops.identity(out)
        n = len(params)
        ids = convert_to_tensor(ids, name="ids")
        flat_ids = array_ops.reshape(ids, [-1])
        original_indices = math_ops.range(array_ops.size(flat_ids))
        if partition_strategy == "mod":
            p_assignments = math_ops.floormod(flat_ids, n, name="mod")
            new_ids = math_ops.floordiv(flat_ids, n)
        elif partition_strategy == "div":
            p_assignments, new_ids = _div_partition(params, flat_ids)
        else:
            raise ValueError(f"Unrecognized partition strategy: {partition_strategy}."
                             "Must be one of either `mod` or `div`.")
        p_assignments = math_ops.cast(p_assignments, dtypes.int32)
        gather_ids = apply_op("DynamicPartition", data=new_ids, partitions=p_assignments, num_partitions=n)
        gather_indices = apply_op("DynamicPartition", data=original_indices, partitions=p_assignments,
                                  num_partitions=n)
        partials = []
        for p, pids in zip(params, gather_ids):
            with g.colocate_with(p):
                partials.append(array_ops.gather(p, pids))
        ret = apply_op("ParallelDynamicStitch", indices=gather_indices, data=partials, name=name)
        element_shape = params[0].shape.as_list()[1:] if params[0].shape.ndims is not None else None
        if element_shape is None or None in element_shape:
            raise NotImplementedError("embedding_lookup over partitions of unknown row shape")
        ret = array_ops.reshape(ret, array_ops.concat([array_ops.shape(ids), element_shape], 0))
        if ids.shape.ndims is not None:
            ret.set_shape(ids.shape.as_list() + element_shape)
        return ret


def in_top_k(predictions, targets, k, name=None):
    return apply_op("InTopKV2", predictions=predictions, targets=targets, k=k, name=name)


def xw_plus_b(x, weights, biases, name=None):
    with name_scope(name, "xw_plus_b", [x, weights, biases]) as name:
        return bias_add(math_ops.matmul(x, weights), biases, name=name)


def _count_nonzero(value, dtype):
    """TF 2.x's count_nonzero: the comparison cast to `dtype`, summed as 'nonzero_count'."""
    with name_scope(None, "count_nonzero", [value]):
        nonzero = math_ops.not_equal(value, array_ops.zeros([], dtype=value.dtype))
        return math_ops.reduce_sum(math_ops.cast(nonzero, dtype), name="nonzero_count")


def zero_fraction(value, name=None):
    """The fraction of zeros, counted in int32 while the size fits (a cond, as TF builds it)."""
    from metarun.ops import control_flow_ops
    with name_scope(name, "zero_fraction", [value]):
        value = convert_to_tensor(value, name="value")
        size = array_ops.size(value, out_type=dtypes.int64)
        num_nonzero = control_flow_ops.cond(
            math_ops.less_equal(size, dtypes.int32.max),
            lambda: math_ops.cast(_count_nonzero(value, dtypes.int32), dtypes.int64),
            lambda: _count_nonzero(value, dtypes.int64))
        with graph_lib.get_default_graph().name_scope("counts_to_fraction"):
            num_zero = size - num_nonzero
            fraction = math_ops.cast(num_zero, dtypes.float32) / math_ops.cast(size, dtypes.float32)
        return array_ops.identity(fraction, name="fraction")


_ = np
