"""More of tf.nn, built from ops metarun has kernels for: convolution and the conv backprops and
transposes (1-D and 2-D), depthwise_conv2d_native and its backprops, the 1-D/2-D pools of TF 2.x's
signatures, crelu, swish, relu_layer, the moment helpers, log_poisson_loss, the batch norm of
TF 0.x and the distribution-aware loss scalers, each laid out node for node as TF builds it.

Three-dimensional variants raise NotImplementedError while the graph is built: metarun has no
kernels for them."""

import collections.abc
import math

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops import array_ops, control_flow_ops, math_ops
from metarun.ops import nn_ops, space_batch_ops
from metarun.ops.nn_grad_2 import custom_gradient as _custom_gradient  # and the static shapes
from metarun.ops.scopes import name_scope

_CHANNELS_LAST = ("NWC", "NHWC", "NDHWC", "NWHC", "NDHWC", "NHWDC", "NWHDC")


def _is_tensor(x):
    return isinstance(x, graph_lib.Tensor) or hasattr(x, "_as_graph_element")


def _sequence(value, n, channel_index, name):
    """TF's _get_sequence: an int or a list of 1, n or n + 2 ints as the n + 2 attr values."""
    if value is None:
        return [1] * (n + 2)
    if isinstance(value, int):
        value = [value]
    elif not isinstance(value, collections.abc.Sized):
        value = [value]
    else:
        value = list(value)
    if len(value) == n + 2:
        return value
    if len(value) == 1:
        value = value * n
    elif len(value) != n:
        raise ValueError("%s should be of length 1, %d or %d. Received: %s=%s of length %d"
                         % (name, n, n + 2, name, value, len(value)))
    return [1, 1] + value if channel_index == 1 else [1] + value + [1]


def _padding(padding, expected_length=4):
    """TF's convert_padding: (padding attr, explicit_paddings attr) of a string or a list of pairs."""
    explicit = []
    if padding == "EXPLICIT":
        raise ValueError("'EXPLICIT' is not a valid value for `padding`. To use explicit padding, `padding` must "
                         "be a list.")
    if isinstance(padding, (list, tuple)):
        for i, pair in enumerate(padding):
            if not isinstance(pair, (list, tuple)):
                raise ValueError("When `padding` is a list, each element of `padding` must be a list/tuple of size "
                                 "2. Received: padding=%s with element at index %d of type %s"
                                 % (padding, i, type(pair)))
            if len(pair) != 2:
                raise ValueError("When `padding` is a list, each element of `padding` must be a list/tuple of size "
                                 "2. Received: padding=%s with element at index %d of size %d"
                                 % (padding, i, len(pair)))
            explicit.extend(pair)
        if len(padding) != expected_length:
            raise ValueError("When padding is a list, it must be of size %d. Received: padding=%s of size %d"
                             % (expected_length, padding, len(padding)))
        padding = "EXPLICIT"
    return padding, explicit


def _no_kernel(what):
    raise NotImplementedError("%s is not supported by metarun: it has no kernel for the op TF builds it from"
                              % what)


# -- convolutions ---------------------------------------------------------------------------------

def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding, use_cudnn_on_gpu=True,  # noqa: A002
                           data_format="NHWC", dilations=[1, 1, 1, 1], name=None):  # noqa: B006
    padding, explicit = _padding(padding)
    return apply_op("Conv2DBackpropFilter", input=input, filter_sizes=filter_sizes, out_backprop=out_backprop,
                    strides=strides, padding=padding, use_cudnn_on_gpu=use_cudnn_on_gpu, explicit_paddings=explicit,
                    data_format=data_format, dilations=dilations, name=name)


def conv2d_backprop_input(input_sizes, filter=None, out_backprop=None, strides=None, padding=None,  # noqa: A002
                          use_cudnn_on_gpu=True, data_format="NHWC", dilations=[1, 1, 1, 1], name=None,  # noqa: B006
                          filters=None):
    filter = filters if filters is not None else filter
    padding, explicit = _padding(padding)
    return apply_op("Conv2DBackpropInput", input_sizes=input_sizes, filter=filter, out_backprop=out_backprop,
                    strides=strides, padding=padding, use_cudnn_on_gpu=use_cudnn_on_gpu, explicit_paddings=explicit,
                    data_format=data_format, dilations=dilations, name=name)


def depthwise_conv2d_native(input, filter, strides, padding, data_format="NHWC",  # noqa: A002
                            dilations=[1, 1, 1, 1], name=None):  # noqa: B006
    padding, explicit = _padding(padding)
    return apply_op("DepthwiseConv2dNative", input=input, filter=filter, strides=strides, padding=padding,
                    explicit_paddings=explicit, data_format=data_format, dilations=dilations, name=name)


def depthwise_conv2d_native_backprop_input(input_sizes, filter, out_backprop, strides, padding,  # noqa: A002
                                           data_format="NHWC", dilations=[1, 1, 1, 1], name=None):  # noqa: B006
    padding, explicit = _padding(padding)
    return apply_op("DepthwiseConv2dNativeBackpropInput", input_sizes=input_sizes, filter=filter,
                    out_backprop=out_backprop, strides=strides, padding=padding, explicit_paddings=explicit,
                    data_format=data_format, dilations=dilations, name=name)


def depthwise_conv2d_native_backprop_filter(input, filter_sizes, out_backprop, strides, padding,  # noqa: A002
                                            data_format="NHWC", dilations=[1, 1, 1, 1], name=None):  # noqa: B006
    padding, explicit = _padding(padding)
    return apply_op("DepthwiseConv2dNativeBackpropFilter", input=input, filter_sizes=filter_sizes,
                    out_backprop=out_backprop, strides=strides, padding=padding, explicit_paddings=explicit,
                    data_format=data_format, dilations=dilations, name=name)


depthwise_conv2d_backprop_input = depthwise_conv2d_native_backprop_input
depthwise_conv2d_backprop_filter = depthwise_conv2d_native_backprop_filter


def _squeeze_batch_dims(inp, op, inner_rank, name=None):
    """op over `inp` with its outer dims folded into one batch dim, unfolded after (TF's
    squeeze_batch_dims: static shapes where known, Shape slices where not)."""
    with name_scope(name, "squeeze_batch_dims", [inp]):
        inp = convert_to_tensor(inp, name="input")
        shape = inp.shape
        inner = TensorShape(shape.dims[-inner_rank:])
        if not inner.is_fully_defined():
            inner = array_ops.shape(inp)[-inner_rank:]
        batch = TensorShape(shape.dims[:-inner_rank])
        if not batch.is_fully_defined():
            batch = array_ops.shape(inp)[:-inner_rank]
        if isinstance(inner, TensorShape):
            reshaped = array_ops.reshape(inp, [-1] + inner.as_list())
        else:
            reshaped = array_ops.reshape(inp, array_ops.concat(([-1], inner), axis=-1))
        out = op(reshaped)
        out_inner = TensorShape(out.shape.dims[-inner_rank:]) if out.shape.ndims is not None else TensorShape(None)
        if not out_inner.is_fully_defined():
            out_inner = array_ops.shape(out)[-inner_rank:]
        batch_part = batch.as_list() if isinstance(batch, TensorShape) else batch
        inner_part = out_inner.as_list() if isinstance(out_inner, TensorShape) else out_inner
        result = array_ops.reshape(out, array_ops.concat((batch_part, inner_part), axis=-1))
        static_out = out.shape.dims[-inner_rank:] if out.shape.ndims is not None else [None] * inner_rank
        result.set_shape(TensorShape(shape.dims[:-inner_rank] + list(static_out)))
        return result


def _conv2d(input, filters, strides, padding, data_format, dilations, name, use_cudnn_on_gpu=None):  # noqa: A002
    """gen_nn_ops.conv2d: `padding` a string (TF's convolution and conv1d do not convert a list)."""
    attrs = {} if use_cudnn_on_gpu is None else {"use_cudnn_on_gpu": use_cudnn_on_gpu}
    return apply_op("Conv2D", input=input, filter=filters, strides=strides, padding=padding,
                    data_format=data_format or "NHWC", dilations=dilations, name=name, **attrs)


def _conv2d_expanded_batch(input, filters, strides, padding, data_format, dilations, name):  # noqa: A002
    rank = input.shape.ndims
    if rank is None or rank < 5:
        return _conv2d(input, filters, strides, padding, data_format, dilations, name)
    return _squeeze_batch_dims(
        input, lambda x: _conv2d(x, filters, strides, padding, data_format, dilations, None), 3, name)


def _conv1d(value, filters, stride, padding, use_cudnn_on_gpu=None, data_format=None, name=None,
            dilations=None):
    """TF's v1 conv1d: a Conv2D with a height of 1 inserted, squeezed out after; strides and
    dilations given as 1 or 3 values (tf.nn.convolution passes 3)."""
    with name_scope(name, "conv1d", [value, filters]) as name:
        if data_format is None or data_format in ("NHWC", "NWC"):
            data_format, spatial_start, channel_index = "NHWC", -3, 2
        elif data_format in ("NCHW", "NCW"):
            data_format, spatial_start, channel_index = "NCHW", -2, 1
        else:
            raise ValueError("`data_format` must be 'NWC' or 'NCW'. Received: data_format=%s" % data_format)
        strides = [1] + _sequence(stride, 1, channel_index, "stride")
        dilations = [1] + _sequence(dilations, 1, channel_index, "dilations")
        value = array_ops.expand_dims(value, spatial_start)
        filters = array_ops.expand_dims(filters, 0)
        cudnn = True if use_cudnn_on_gpu is None else use_cudnn_on_gpu
        if value.shape.ndims in (4, 3, 2, 1, 0, None):
            result = _conv2d(value, filters, strides, padding, data_format, dilations, name, cudnn)
        else:
            result = _squeeze_batch_dims(
                value, lambda x: _conv2d(x, filters, strides, padding, data_format, dilations, None, cudnn), 3,
                name)
        return array_ops.squeeze(result, [spatial_start])


def convolution(input, filter, padding, strides=None, dilation_rate=None, name=None,  # noqa: A002
                data_format=None, filters=None, dilations=None):
    """tf.compat.v1.nn.convolution, 1-D or 2-D; dilated ones as TF builds them off TPUs, through
    SpaceToBatchND (space_batch_ops.dilated_convolution)."""
    filters = filters if filters is not None else filter
    dilations = dilations if dilations is not None else dilation_rate
    if not _is_tensor(filters):
        with name_scope("convolution_internal", None, [filters, input]):
            filters = convert_to_tensor(filters, name="filters")
    if not _is_tensor(input):
        with name_scope("convolution_internal", None, [filters, input]):
            input = convert_to_tensor(input, name="input")
    filters_rank, inputs_rank = filters.shape.ndims, input.shape.ndims
    if filters_rank:
        num_spatial_dims = filters_rank - 2
    elif inputs_rank:
        num_spatial_dims = inputs_rank - 2
    else:
        raise ValueError("When `num_spatial_dims` is not set, one of `input.shape.rank` or `filters.shape.rank` "
                         "must be known. Received: input.shape=%s of rank %s and filters.shape=%s of rank %s"
                         % (input.shape, inputs_rank, filters.shape, filters_rank))
    num_batch_dims = inputs_rank - num_spatial_dims - 1 if inputs_rank else 1
    if num_spatial_dims not in (1, 2, 3):
        raise ValueError("`num_spatial_dims` must be 1, 2, or 3. Received: num_spatial_dims=%d." % num_spatial_dims)
    if data_format is None or data_format in _CHANNELS_LAST:
        channel_index = num_batch_dims + num_spatial_dims
    else:
        channel_index = num_batch_dims
    dilated = dilations is not None
    dilations = _sequence(dilations, num_spatial_dims, channel_index, "dilations")
    dilated = dilated and any(d != 1 for d in dilations)
    strides = _sequence(strides, num_spatial_dims, channel_index, "strides")
    if num_spatial_dims == 3 and num_batch_dims != 1:
        _no_kernel("tf.nn.convolution over 3 spatial dimensions with more than one batch dimension")
    with name_scope(name, None if name else "convolution", [input, filters]) as name:
        if dilated:
            spatial = slice(2, None) if channel_index == 1 else slice(1, -1)
            return space_batch_ops.dilated_convolution(input, filters, padding, strides[spatial], dilations[spatial],
                                                       name, data_format, num_spatial_dims)
        if num_spatial_dims == 2:
            return _conv2d_expanded_batch(input, filters, strides, padding, data_format, dilations, name)
        if num_spatial_dims == 3:
            return apply_op("Conv3D", input=input, filter=filters, strides=strides, padding=padding,
                            data_format=data_format or "NDHWC", dilations=dilations, name=name)
        return _conv1d(input, filters, strides, padding=padding, data_format=data_format, dilations=dilations,
                       name=name)


def conv1d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NWC",  # noqa: A002
                     dilations=None, name=None):
    with name_scope(name, "conv1d_transpose", [input, filters, output_shape]) as name:
        if data_format is None or data_format == "NWC":
            data_format, spatial_start, channel_index = "NHWC", 1, 2
        elif data_format == "NCW":
            data_format, spatial_start, channel_index = "NCHW", 2, 1
        else:
            raise ValueError("`data_format` must be 'NWC' or 'NCW'. Received: data_format=%s" % data_format)
        strides = [1] + _sequence(strides, 1, channel_index, "stride")
        dilations = [1] + _sequence(dilations, 1, channel_index, "dilations")
        input = array_ops.expand_dims(input, spatial_start)
        filters = array_ops.expand_dims(filters, 0)
        if not isinstance(output_shape, graph_lib.Tensor):
            output_shape = list(output_shape)
        output_shape = array_ops.concat([output_shape[:spatial_start], [1], output_shape[spatial_start:]], 0)
        result = apply_op("Conv2DBackpropInput", input_sizes=output_shape, filter=filters, out_backprop=input,
                          strides=strides, padding=padding, data_format=data_format, dilations=dilations,
                          name=name)
        return array_ops.squeeze(result, spatial_start)


def _conv2d_transpose_v2(input, filters, output_shape, strides, padding="SAME", data_format="NHWC",  # noqa: A002
                         dilations=None, name=None):
    with name_scope(name, "conv2d_transpose", [input, filters, output_shape]) as name:
        data_format = data_format or "NHWC"
        channel_index = 1 if data_format.startswith("NC") else 3
        strides = _sequence(strides, 2, channel_index, "strides")
        dilations = _sequence(dilations, 2, channel_index, "dilations")
        padding, explicit = _padding(padding)
        return apply_op("Conv2DBackpropInput", input_sizes=output_shape, filter=filters, out_backprop=input,
                        strides=strides, padding=padding, explicit_paddings=explicit, data_format=data_format,
                        dilations=dilations, name=name)


def conv_transpose(input, filters, output_shape, strides, padding="SAME", data_format=None,  # noqa: A002
                   dilations=None, name=None):
    """The transpose of tf.nn.convolution, for 1 or 2 spatial dimensions."""
    with name_scope(name, "conv_transpose", [input, filters, output_shape]) as name:
        if isinstance(output_shape, graph_lib.Tensor):
            n = output_shape.shape.dims[0] - 2
        elif isinstance(output_shape, collections.abc.Sized):
            n = len(output_shape) - 2
        else:
            raise ValueError("`output_shape` must be a tensor or sized collection. Received: output_shape=%s"
                             % (output_shape,))
        if not 1 <= n <= 3:
            raise ValueError("`output_shape` must be of length 3, 4 or 5. Received: output_shape=%s of length %d."
                             % (output_shape, n + 2))
        if n == 3:
            from metarun.ops.conv3d_ops import conv3d_transpose  # conv3d_ops builds on this module
            return conv3d_transpose(input, filters, output_shape, strides, padding=padding, data_format=data_format,
                                    dilations=dilations, name=name)
        op = conv1d_transpose if n == 1 else _conv2d_transpose_v2
        return op(input, filters, output_shape, strides, padding=padding, data_format=data_format,
                  dilations=dilations, name=name)


# -- pooling --------------------------------------------------------------------------------------

avg_pool2d = nn_ops.avg_pool  # tf.compat.v1.nn.avg_pool2d is v1's avg_pool


def _pool_rank(input, data_format):  # noqa: A002
    shape = getattr(input, "shape", None)
    if shape is not None:
        if shape.ndims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        n = shape.ndims - 2
    elif data_format is not None:
        n = len(data_format) - 2
    else:
        raise ValueError("`input` must have a static shape or `data_format` must be given. Received: "
                         "input.shape=%s and data_format=%s" % (shape, data_format))
    if not 1 <= n <= 3:
        raise ValueError("`input.shape.rank` must be 3, 4 or 5. Received: input.shape=%s of rank %d."
                         % (shape, n + 2))
    return n, (n + 1 if data_format is None else (1 if data_format.startswith("NC") else n + 1))


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    with name_scope(name, "AvgPool1D", [input]) as name:
        data_format = data_format or "NWC"
        channel_index = 1 if data_format.startswith("NC") else 2
        ksize = [1] + _sequence(ksize, 1, channel_index, "ksize")
        strides = [1] + _sequence(strides, 1, channel_index, "strides")
        expanding = 1 if data_format == "NWC" else 2
        data_format = "NHWC" if data_format == "NWC" else "NCHW"
        input = array_ops.expand_dims(input, expanding)
        result = apply_op("AvgPool", value=input, ksize=ksize, strides=strides, padding=padding,
                          data_format=data_format, name=name)
        return array_ops.squeeze(result, expanding)


def avg_pool_v2(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    n, channel_index = _pool_rank(input, data_format)
    ksize = _sequence(ksize, n, channel_index, "ksize")
    strides = _sequence(strides, n, channel_index, "strides")
    if n == 1:
        return avg_pool1d(input, ksize=ksize, strides=strides, padding=padding, data_format=data_format, name=name)
    if n == 3:
        return apply_op("AvgPool3D", input=input, ksize=ksize, strides=strides, padding=padding,
                        data_format=data_format or "NDHWC", name=name)
    return apply_op("AvgPool", value=input, ksize=ksize, strides=strides, padding=padding,
                    data_format=data_format or "NHWC", name=name)


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    with name_scope(name, "MaxPool1d", [input]) as name:
        data_format = data_format or "NWC"
        channel_index = 1 if data_format.startswith("NC") else 2
        ksize = [1] + _sequence(ksize, 1, channel_index, "ksize")
        strides = [1] + _sequence(strides, 1, channel_index, "strides")
        padding, explicit = _padding(padding, 3)
        if padding == "EXPLICIT":
            explicit = [0, 0] + explicit
        expanding = 1 if data_format == "NWC" else 2
        data_format = "NHWC" if data_format == "NWC" else "NCHW"
        input = array_ops.expand_dims(input, expanding)
        result = apply_op("MaxPool", input=input, ksize=ksize, strides=strides, padding=padding,
                          explicit_paddings=explicit, data_format=data_format, name=name)
        return array_ops.squeeze(result, expanding)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    with name_scope(name, "MaxPool2d", [input]) as name:
        data_format = data_format or "NHWC"
        channel_index = 1 if data_format.startswith("NC") else 3
        ksize = _sequence(ksize, 2, channel_index, "ksize")
        strides = _sequence(strides, 2, channel_index, "strides")
        if isinstance(padding, (list, tuple)) and data_format == "NCHW_VECT_C":
            raise ValueError("`data_format='NCHW_VECT_C'` is not supported with explicit padding. Received: "
                             "padding=%s" % (padding,))
        padding, explicit = _padding(padding)
        return apply_op("MaxPool", input=input, ksize=ksize, strides=strides, padding=padding,
                        explicit_paddings=explicit, data_format=data_format, name=name)


def max_pool_v2(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    n, channel_index = _pool_rank(input, data_format)
    if isinstance(padding, (list, tuple)) and data_format == "NCHW_VECT_C":
        raise ValueError("`data_format='NCHW_VECT_C'` is not supported with explicit padding. Received: "
                         "padding=%s" % (padding,))
    ksize = _sequence(ksize, n, channel_index, "ksize")
    strides = _sequence(strides, n, channel_index, "strides")
    if isinstance(padding, (list, tuple)) and n == 3:
        raise ValueError("Explicit padding is not supported with an input tensor of rank 5. Received: padding=%s"
                         % (padding,))
    if n == 3:
        return apply_op("MaxPool3D", input=input, ksize=ksize, strides=strides, padding=padding,
                        data_format=data_format or "NDHWC", name=name)
    op = max_pool1d if n == 1 else max_pool2d
    return op(input, ksize=ksize, strides=strides, padding=padding, data_format=data_format, name=name)


# -- activations ----------------------------------------------------------------------------------

def crelu(features, name=None, axis=-1):
    with name_scope(name, "CRelu", [features]) as name:
        features = convert_to_tensor(features, name="features")
        rank = features.shape.ndims
        if rank is not None and isinstance(axis, int) and not -rank <= axis < rank:
            # TF's ConcatV2 shape function refuses the axis (metarun's does not check it), after
            # the op's inputs are made.
            math_ops.negative(features)
            constant(axis, name="axis")
            raise ValueError("Shape must be at least rank %d but is rank %d for '{{node %s}}'"
                             % (axis + 1 if axis >= 0 else -axis, rank, name.rstrip("/")))
        c = array_ops.concat([features, -features], axis, name=name)
        return apply_op("Relu", features=c)


def relu_layer(x, weights, biases, name=None):
    with name_scope(name, "relu_layer", [x, weights, biases]) as name:
        x = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(weights, name="weights")
        biases = convert_to_tensor(biases, name="biases")
        return apply_op("Relu", features=nn_ops.bias_add(math_ops.matmul(x, weights), biases), name=name)


def swish(features, beta=1.0):
    """x * sigmoid(beta * x), its gradient recomputing the sigmoid (TF's custom gradient)."""
    features = convert_to_tensor(features, name="features")
    beta = convert_to_tensor(beta, name="beta")
    beta = math_ops.cast(beta, features.dtype)

    def forward(features, beta):
        def grad(dy):
            with graph_lib.get_default_graph().control_dependencies([dy]):
                sigmoid_features = math_ops.sigmoid(beta * features)
            activation_grad = sigmoid_features * (1.0 + (beta * features) * (1.0 - sigmoid_features))
            beta_grad = math_ops.reduce_sum(dy * math_ops.square(features) * sigmoid_features *
                                            (1.0 - sigmoid_features))
            return dy * activation_grad, beta_grad
        return features * math_ops.sigmoid(beta * features), grad
    return _custom_gradient(forward, [features, beta])


silu = swish


# -- statistics and losses ------------------------------------------------------------------------

def sufficient_statistics(x, axes, shift=None, keep_dims=None, name=None, keepdims=None):
    axes = list(set(axes))  # TF's order: a set's
    keep_dims = keepdims if keepdims is not None else keep_dims
    keep_dims = bool(keep_dims)
    with name_scope(name, "sufficient_statistics", [x, shift]):
        x = convert_to_tensor(x, name="x")
        x_shape = x.shape
        if x_shape.ndims is not None and all(x_shape.dims[d] is not None for d in axes):
            counts = 1
            for d in axes:
                counts *= x_shape.dims[d]
            counts = constant(counts, dtype=x.dtype)
        else:
            rank = array_ops.rank(x)
            positive_axes = [axis + rank if axis < 0 else axis for axis in axes]
            x_dims = array_ops.gather(math_ops.cast(array_ops.shape(x), x.dtype), positive_axes)
            counts = math_ops.reduce_prod(x_dims, name="count")
        if shift is not None:
            shift = convert_to_tensor(shift, name="shift")
            m_ss = math_ops.subtract(x, shift)
            v_ss = math_ops.squared_difference(x, shift)
        else:
            m_ss = x
            v_ss = math_ops.square(x)
        m_ss = math_ops.reduce_sum(m_ss, axes, keepdims=keep_dims, name="mean_ss")
        v_ss = math_ops.reduce_sum(v_ss, axes, keepdims=keep_dims, name="var_ss")
    return counts, m_ss, v_ss, shift


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    with name_scope(name, "normalize", [counts, mean_ss, variance_ss, shift]):
        divisor = math_ops.reciprocal(counts, name="divisor")
        if shift is not None:
            shifted_mean = math_ops.multiply(mean_ss, divisor, name="shifted_mean")
            mean = math_ops.add(shifted_mean, shift, name="mean")
        else:
            shifted_mean = math_ops.multiply(mean_ss, divisor, name="mean")
            mean = shifted_mean
        variance = math_ops.subtract(math_ops.multiply(variance_ss, divisor), math_ops.square(shifted_mean),
                                     name="variance")
    return mean, variance


def weighted_moments(x, axes, frequency_weights, name=None, keep_dims=None, keepdims=None):
    keep_dims = keepdims if keepdims is not None else keep_dims
    with name_scope(name, "weighted_moments", [x, frequency_weights, axes]):
        x = convert_to_tensor(x, name="x")
        frequency_weights = convert_to_tensor(frequency_weights, name="frequency_weights")
        needs_cast = x.dtype == dtypes.float16
        if needs_cast:
            x = math_ops.cast(x, dtypes.float32)
        if frequency_weights.dtype != x.dtype:
            frequency_weights = math_ops.cast(frequency_weights, x.dtype)
        weighted_input_sum = math_ops.reduce_sum(frequency_weights * x, axes, name="weighted_input_sum",
                                                 keepdims=True)
        broadcasted_weights = frequency_weights + array_ops.zeros_like(x)
        sum_of_weights = math_ops.reduce_sum(broadcasted_weights, axes, name="sum_of_weights", keepdims=True)
        weighted_mean = math_ops.div_no_nan(weighted_input_sum, sum_of_weights)
        weighted_distsq = math_ops.reduce_sum(frequency_weights * math_ops.squared_difference(x, weighted_mean),
                                              axes, name="weighted_distsq", keepdims=True)
        weighted_variance = math_ops.div_no_nan(weighted_distsq, sum_of_weights)
        if not keep_dims:
            weighted_mean = array_ops.squeeze(weighted_mean, axis=axes)
            weighted_variance = array_ops.squeeze(weighted_variance, axis=axes)
        if needs_cast:
            weighted_mean = math_ops.cast(weighted_mean, dtypes.float16)
            weighted_variance = math_ops.cast(weighted_variance, dtypes.float16)
        return weighted_mean, weighted_variance


def batch_norm_with_global_normalization(t=None, m=None, v=None, beta=None, gamma=None, variance_epsilon=None,
                                         scale_after_normalization=None, name=None, input=None,  # noqa: A002
                                         mean=None, variance=None):
    t = input if input is not None else t
    m = mean if mean is not None else m
    v = variance if variance is not None else v
    return nn_ops.batch_normalization(t, m, v, beta, gamma if scale_after_normalization else None,
                                      variance_epsilon, name)


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    with name_scope(name, "log_poisson_loss", [log_input, targets]) as name:
        log_input = convert_to_tensor(log_input, name="log_input")
        targets = convert_to_tensor(targets, name="targets")
        if not targets.shape.is_compatible_with(log_input.shape):
            raise ValueError("`log_input` and `targets` must have the same shape, received (%s vs %s)."
                             % (log_input.shape, targets.shape))
        result = math_ops.exp(log_input) - log_input * targets
        if compute_full_loss:
            point_five = constant(0.5, dtype=targets.dtype)
            two_pi = constant(2 * math.pi, dtype=targets.dtype)
            stirling_approx = (targets * math_ops.log(targets)) - targets + (
                point_five * math_ops.log(two_pi * targets))
            zeros = array_ops.zeros_like(targets, dtype=targets.dtype)
            ones = array_ops.ones_like(targets, dtype=targets.dtype)
            cond = math_ops.logical_and(targets >= zeros, targets <= ones)
            result += array_ops.where(cond, zeros, stirling_approx)
        return result


def scale_regularization_loss(regularization_loss):
    """The summed loss over the replicas in sync (one: metarun has no distribution strategies)."""
    return math_ops.reduce_sum(regularization_loss) / 1


def _weights_like(losses, sample_weight):
    """TF's losses_util.squeeze_or_expand_dimensions for sample weights."""
    pred_rank, weights_rank = losses.shape.ndims, sample_weight.shape.ndims
    if weights_rank == 0:
        return sample_weight
    if pred_rank is not None and weights_rank is not None:
        if weights_rank - pred_rank == 1:
            return array_ops.squeeze(sample_weight, [-1])
        if pred_rank - weights_rank == 1:
            return array_ops.expand_dims(sample_weight, [-1])
        return sample_weight
    weights_rank_tensor = array_ops.rank(sample_weight)
    rank_diff = weights_rank_tensor - array_ops.rank(losses)

    def maybe_expand():
        return control_flow_ops.cond(math_ops.equal(rank_diff, -1),
                                     lambda: array_ops.expand_dims(sample_weight, [-1]), lambda: sample_weight)

    def maybe_adjust():
        return control_flow_ops.cond(math_ops.equal(rank_diff, 1),
                                     lambda: array_ops.squeeze(sample_weight, [-1]), maybe_expand)
    return control_flow_ops.cond(math_ops.equal(weights_rank_tensor, 0), lambda: sample_weight, maybe_adjust)


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    per_example_loss = convert_to_tensor(per_example_loss)
    input_dtype = per_example_loss.dtype
    loss_rank = per_example_loss.shape.ndims
    if loss_rank == 0:
        raise ValueError("Invalid value passed for `per_example_loss`. Expected a tensor with at least rank 1. "
                         "Received per_example_loss=%s with rank %d" % (_tensor_str(per_example_loss), loss_rank))
    checks = []
    if loss_rank is None:
        checks = [array_ops.assert_greater_equal(
            array_ops.rank(per_example_loss), math_ops.cast(1, dtype=dtypes.int32),
            message="Invalid value passed for `per_example_loss`. Expected a tensor with at least rank 1.")]
    with graph_lib.get_default_graph().control_dependencies(checks):
        if sample_weight is not None:
            sample_weight = convert_to_tensor(sample_weight)
            losses = math_ops.cast(per_example_loss, dtypes.float32)
            sample_weight = math_ops.cast(sample_weight, dtypes.float32)
            per_example_loss = math_ops.multiply(losses, _weights_like(losses, sample_weight))
        per_example_loss = math_ops.cast(per_example_loss, input_dtype)
        if global_batch_size is None:
            global_batch_size = array_ops.shape(per_example_loss)[0] * 1
        _assert_scalar(global_batch_size, "global_batch_size must be scalar.")
        _assert_integer(global_batch_size, "global_batch_size must be an integer.")
        array_ops.assert_non_negative(global_batch_size, message="global_batch_size must be non-negative..  ")
        loss = math_ops.reduce_sum(per_example_loss)
        global_batch_size = math_ops.cast(global_batch_size, input_dtype)
        return math_ops.div_no_nan(loss, global_batch_size)


def _tensor_str(t):
    return 'Tensor("%s", shape=%s, dtype=%s)' % (t.name, t.shape, t.dtype.name)


def _assert_scalar(tensor, message):
    with name_scope(None, "assert_scalar", [tensor]) as scope:
        tensor = convert_to_tensor(tensor, name=scope)
        if tensor.shape.ndims != 0:
            raise ValueError("%s.  Expected scalar shape for %s, saw shape: %s." % (message, tensor.name,
                                                                                   tensor.shape))
        return tensor


def _assert_integer(x, message):
    with name_scope(None, "assert_integer", [x]):
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_integer:
            raise TypeError("%s.  Expected \"x\" to be integer type.  Found: %s of dtype <dtype: '%s'>"
                            % (message, x.name, x.dtype.name))
        return apply_op("NoOp", name="statically_determined_was_integer")


def _dim(t, i):
    """The static size of t's dimension i, else a StridedSlice of its Shape (TF's ctc _get_dim)."""
    return (t.shape.dims[i] if t.shape.ndims is not None else None) or array_ops.shape(t)[i]


def ctc_unique_labels(labels, name=None):
    """(unique labels per batch row, zero-padded to the row's length, as int64; the index of each
    label among them), by map_fn over the rows as TF builds it."""
    from metarun.ops.functional_ops import map_fn
    with name_scope(name, "ctc_unique_labels", [labels]):
        labels = convert_to_tensor(labels, name="labels")

        def unique(x):
            u = array_ops.unique(x)
            y = array_ops.pad(u.y, [[0, _dim(u.idx, 0) - _dim(u.y, 0)]])
            return [math_ops.cast(y, dtypes.int64), u.idx]
        return map_fn(unique, labels, dtype=[dtypes.int64, dtypes.int32])
