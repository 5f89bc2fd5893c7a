"""tf.layers (functional forms): dense, conv2d, pooling, flatten, dropout, with TF's
layer and variable names (`dense/kernel`, `dense_1/bias`, `conv2d/kernel`...)."""

from metarun.framework import graph as graph_lib
from metarun.ops import array_ops, init_ops, math_ops, nn_ops
from metarun.ops.variable_scope import get_variable, variable_scope


def _unique_layer_name(base):
    g = graph_lib.get_default_graph()
    counts = g.__dict__.setdefault("_layer_name_counts", {})
    n = counts.get(base, 0)
    counts[base] = n + 1
    return base if n == 0 else "%s_%d" % (base, n)


def _activate(out, activation):
    return activation(out) if activation is not None else out


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
          activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
          reuse=None):
    inputs = array_ops.identity(inputs) if not hasattr(inputs, "shape") else inputs
    in_dim = inputs.shape.dims[-1] if inputs.shape.ndims else None
    if in_dim is None:
        raise ValueError("The last dimension of the inputs to `Dense` should be defined. Found `None`.")
    name = name or _unique_layer_name("dense")
    with variable_scope(name, reuse=reuse):
        kernel = get_variable("kernel", [in_dim, units], dtype=inputs.dtype, initializer=kernel_initializer,
                              regularizer=kernel_regularizer, trainable=trainable, constraint=kernel_constraint)
        bias = get_variable("bias", [units], dtype=inputs.dtype, initializer=bias_initializer,
                            regularizer=bias_regularizer, trainable=trainable, constraint=bias_constraint) \
            if use_bias else None
        rank = inputs.shape.ndims
        if rank == 2:
            out = math_ops.matmul(inputs, kernel)
        else:
            flat = array_ops.reshape(inputs, [-1, in_dim])
            out = math_ops.matmul(flat, kernel)
            shape = array_ops.shape(inputs)
            out = array_ops.reshape(out, array_ops.concat([array_ops.slice_helper(shape, slice(None, -1)),
                                                           [units]], 0))
        if bias is not None:
            out = nn_ops.bias_add(out, bias)
        return _activate(out, activation)


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
           dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer=None,
           bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
           activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
           reuse=None):
    ks = [kernel_size] * 2 if isinstance(kernel_size, int) else list(kernel_size)
    st = [strides] * 2 if isinstance(strides, int) else list(strides)
    dl = [dilation_rate] * 2 if isinstance(dilation_rate, int) else list(dilation_rate)
    nchw = data_format == "channels_first"
    in_ch = inputs.shape.dims[1 if nchw else -1]
    name = name or _unique_layer_name("conv2d")
    with variable_scope(name, reuse=reuse):
        kernel = get_variable("kernel", ks + [in_ch, filters], dtype=inputs.dtype, initializer=kernel_initializer,
                              regularizer=kernel_regularizer, trainable=trainable)
        bias = get_variable("bias", [filters], dtype=inputs.dtype, initializer=bias_initializer,
                            regularizer=bias_regularizer, trainable=trainable) if use_bias else None
        fmt = "NCHW" if nchw else "NHWC"
        out = nn_ops.conv2d(inputs, kernel, strides=st, padding=padding.upper(), data_format=fmt,
                            dilations=dl, name="Conv2D")
        if bias is not None:
            out = nn_ops.bias_add(out, bias, data_format=fmt)
        return _activate(out, activation)


def _pool(kind, inputs, pool_size, strides, padding, data_format, name, base):
    ps = [pool_size] * 2 if isinstance(pool_size, int) else list(pool_size)
    st = [strides] * 2 if isinstance(strides, int) else list(strides)
    fmt = "NCHW" if data_format == "channels_first" else "NHWC"
    name = name or _unique_layer_name(base)
    g = graph_lib.get_default_graph()
    with g.name_scope(name):
        fn = nn_ops.max_pool if kind == "max" else nn_ops.avg_pool
        return fn(inputs, ps, st, padding.upper(), data_format=fmt)


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    return _pool("max", inputs, pool_size, strides, padding, data_format, name, "max_pooling2d")


def average_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    return _pool("avg", inputs, pool_size, strides, padding, data_format, name, "average_pooling2d")


def flatten(inputs, name=None, data_format="channels_last"):
    name = name or _unique_layer_name("flatten")
    g = graph_lib.get_default_graph()
    with g.name_scope(name):
        dims = inputs.shape.dims
        if dims is not None and all(d is not None for d in dims[1:]):
            n = 1
            for d in dims[1:]:
                n *= d
            first = dims[0] if dims[0] is not None else array_ops.slice_helper(array_ops.shape(inputs), 0)
            return array_ops.reshape(inputs, [first, n] if isinstance(first, int) else array_ops.stack([first, n]))
        return array_ops.reshape(inputs, array_ops.stack([array_ops.slice_helper(array_ops.shape(inputs), 0), -1]))


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    if not isinstance(training, bool):
        raise NotImplementedError("tf.layers.dropout with a tensor `training` needs tf.cond (not yet supported)")
    name = name or _unique_layer_name("dropout")
    g = graph_lib.get_default_graph()
    with g.name_scope(name):
        if not training:
            return array_ops.identity(inputs)
        return nn_ops.dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed)
