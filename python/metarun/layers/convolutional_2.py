"""More tf.layers: Conv2DTranspose and the 1-D pooling layers, built as TF's legacy layers build
them (through the Keras backend's conv2d_transpose and pool2d)."""

from metarun.framework.tensor_shape import TensorShape
from metarun.ops import array_ops, init_ops, nn_ops, space_batch_ops


def _deconv_length(length, kernel, padding, output_padding, stride, dilation):
    """The output length of a transposed convolution (TF's deconv_output_length); `length` may
    be a tensor, and then so is the result."""
    if length is None:
        return None
    kernel = kernel + (kernel - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(kernel - stride, 0)
        if padding == "full":
            return length * stride - (stride + kernel - 2)
        return length * stride
    pad = {"same": kernel // 2, "valid": 0, "full": kernel - 1}[padding]
    return (length - 1) * stride + kernel - 2 * pad + output_padding


def _layer_base():
    from metarun.layers import Layer, _pair
    return Layer, _pair


Layer, _pair = _layer_base()


class Conv2DTranspose(Layer):
    _base_name = "conv2d_transpose"

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                 activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
                 name=None, output_padding=None, dilation_rate=(1, 1), **kwargs):
        super(Conv2DTranspose, self).__init__(trainable=trainable, name=name, **kwargs)
        self.filters = int(filters)
        self.kernel_size = tuple(_pair(kernel_size))
        self.strides = tuple(_pair(strides))
        self.padding = padding.lower()
        if self.padding not in ("valid", "same"):
            raise ValueError("The `padding` argument must be a list/tuple or one of \"valid\", \"same\" (or "
                             "\"causal\", only for `Conv1D). Received: %s" % padding)
        self.data_format = data_format
        self.dilation_rate = tuple(_pair(dilation_rate))
        self.output_padding = None if output_padding is None else tuple(_pair(output_padding))
        if self.output_padding is not None:
            for stride, pad in zip(self.strides, self.output_padding):
                if pad >= stride:
                    raise ValueError("Strides must be greater than output padding. Received strides=%s, "
                                     "output_padding=%s." % (self.strides, self.output_padding))
        self.activation = activation
        self.use_bias = use_bias
        self._init = (kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                      kernel_constraint, bias_constraint)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        if input_shape.ndims != 4:
            raise ValueError("Inputs should have rank 4. Received input_shape=%s." % input_shape)
        axis = 1 if self.data_format == "channels_first" else -1
        channels = input_shape.dims[axis]
        if channels is None:
            raise ValueError("The channel dimension of the inputs to `Conv2DTranspose` should be defined. The "
                             "input_shape received is %s, where axis %d (0-based) is the channel dimension, "
                             "which found to be `None`." % (input_shape, axis % 4))
        ki, bi, kr, br, kc, bc = self._init
        self.kernel = self.add_weight("kernel", list(self.kernel_size) + [self.filters, channels], initializer=ki,
                                      regularizer=kr, constraint=kc)
        self.bias = self.add_weight("bias", [self.filters], initializer=bi, regularizer=br, constraint=bc) \
            if self.use_bias else None

    def _lengths(self, height, width):
        out_pad = self.output_padding or (None, None)
        return (_deconv_length(height, self.kernel_size[0], self.padding, out_pad[0], self.strides[0],
                               self.dilation_rate[0]),
                _deconv_length(width, self.kernel_size[1], self.padding, out_pad[1], self.strides[1],
                               self.dilation_rate[1]))

    def call(self, inputs):
        shape = array_ops.shape(inputs)
        batch = shape[0]
        first = self.data_format == "channels_first"
        h_axis, w_axis = (2, 3) if first else (1, 2)
        dims = inputs.shape.as_list() if inputs.shape.ndims is not None else [None] * 4
        height = dims[h_axis] if dims[h_axis] is not None else shape[h_axis]
        width = dims[w_axis] if dims[w_axis] is not None else shape[w_axis]
        out_h, out_w = self._lengths(height, width)
        output_shape = array_ops.stack((batch, self.filters, out_h, out_w) if first else
                                       (batch, out_h, out_w, self.filters))
        x = inputs
        if first:  # the CPU backend works in NHWC
            x = array_ops.transpose(x, (0, 2, 3, 1))
            output_shape = array_ops.stack([output_shape[0], output_shape[2], output_shape[3], output_shape[1]])
        else:
            _ = output_shape[0]  # TF's backend checks it against None, which slices it
        if self.dilation_rate == (1, 1):
            out = nn_ops.conv2d_transpose(x, self.kernel, output_shape, (1,) + self.strides + (1,),
                                          padding=self.padding.upper(), data_format="NHWC")
        elif self.dilation_rate[0] != self.dilation_rate[1]:
            raise ValueError("Expected the 2 dimensions of the `dilation_rate` argument to be equal to each other. "
                             "Received: dilation_rate=%s" % (self.dilation_rate,))
        else:
            out = space_batch_ops.atrous_conv2d_transpose(x, self.kernel, output_shape, rate=self.dilation_rate[0],
                                                          padding=self.padding.upper())
        if first:
            out = array_ops.transpose(out, (0, 3, 1, 2))
        if inputs.shape.ndims:
            out.set_shape(self._static_output_shape(inputs.shape))
        if self.use_bias:
            out = nn_ops.bias_add(out, self.bias, data_format="NCHW" if first else "NHWC")
        return self.activation(out) if self.activation is not None else out

    def _static_output_shape(self, input_shape):
        dims = input_shape.as_list()
        first = self.data_format == "channels_first"
        c_axis, h_axis, w_axis = (1, 2, 3) if first else (3, 1, 2)
        dims[c_axis] = self.filters
        dims[h_axis], dims[w_axis] = self._lengths(dims[h_axis], dims[w_axis])
        return TensorShape(dims)


Conv2DTranspose.__name__ = "Conv2DTranspose"
Convolution2DTranspose = Conv2DTranspose


class _Pooling1D(Layer):
    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs):
        super(_Pooling1D, self).__init__(name=name, **kwargs)
        self.pool_size = tuple(_pair(pool_size, 1))
        self.strides = tuple(_pair(strides if strides is not None else pool_size, 1))
        self.padding = padding.upper()
        self.data_format = data_format

    def call(self, inputs):
        pad_axis = 2 if self.data_format == "channels_last" else 3
        x = array_ops.expand_dims(inputs, pad_axis)
        first = self.data_format == "channels_first"
        if first:
            x = array_ops.transpose(x, (0, 2, 3, 1))
        fn = nn_ops.max_pool if self._kind == "max" else nn_ops.avg_pool
        x = fn(x, (1,) + self.pool_size + (1, 1), (1,) + self.strides + (1, 1), padding=self.padding,
               data_format="NHWC")
        if first:
            x = array_ops.transpose(x, (0, 3, 1, 2))
        return array_ops.squeeze(x, pad_axis)


class MaxPooling1D(_Pooling1D):
    _base_name, _kind = "max_pooling1d", "max"


class AveragePooling1D(_Pooling1D):
    _base_name, _kind = "average_pooling1d", "avg"


class Conv3DTranspose(Layer):
    """Keras's Conv3DTranspose: the output shape stacked from tf.shape(inputs), then
    tf.nn.conv3d_transpose in the layer's own data format."""
    _base_name = "conv3d_transpose"

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format="channels_last",
                 activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
                 name=None, output_padding=None, **kwargs):
        super(Conv3DTranspose, self).__init__(trainable=trainable, name=name, **kwargs)
        self.filters = int(filters)
        self.kernel_size = tuple(_pair(kernel_size, 3))
        self.strides = tuple(_pair(strides, 3))
        self.padding = padding.lower()
        if self.padding not in ("valid", "same"):
            raise ValueError("The `padding` argument must be a list/tuple or one of \"valid\", \"same\" (or "
                             "\"causal\", only for `Conv1D). Received: %s" % padding)
        self.data_format = data_format
        self.output_padding = None if output_padding is None else tuple(_pair(output_padding, 3))
        self.activation = activation
        self.use_bias = use_bias
        self._init = (kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                      kernel_constraint, bias_constraint)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        if input_shape.ndims != 5:
            raise ValueError("Inputs should have rank 5. Received input_shape=%s." % input_shape)
        channels = input_shape.dims[1 if self.data_format == "channels_first" else -1]
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined, found None: %s" % input_shape)
        ki, bi, kr, br, kc, bc = self._init
        self.kernel = self.add_weight("kernel", list(self.kernel_size) + [self.filters, channels], initializer=ki,
                                      regularizer=kr, constraint=kc)
        self.bias = self.add_weight("bias", [self.filters], initializer=bi, regularizer=br, constraint=bc) \
            if self.use_bias else None

    def _lengths(self, sizes):
        out_pad = self.output_padding or (None, None, None)
        return [_deconv_length(n, k, self.padding, p, s, 1)
                for n, k, p, s in zip(sizes, self.kernel_size, out_pad, self.strides)]

    def call(self, inputs):
        from metarun.ops import conv3d_ops
        shape = array_ops.shape(inputs)
        first = self.data_format == "channels_first"
        axes = (2, 3, 4) if first else (1, 2, 3)
        batch, sizes = shape[0], [shape[a] for a in axes]
        out = self._lengths(sizes)
        output_shape = array_ops.stack([batch, self.filters] + out if first else [batch] + out + [self.filters])
        fmt = "NCDHW" if first else "NDHWC"
        strides = (1, 1) + self.strides if first else (1,) + self.strides + (1,)
        y = conv3d_ops.conv3d_transpose(inputs, self.kernel, output_shape, strides, data_format=fmt,
                                        padding=self.padding.upper())
        if inputs.shape.ndims:
            dims = inputs.shape.as_list()
            dims[1 if first else 4] = self.filters
            for a, n in zip(axes, self._lengths([dims[a] for a in axes])):
                dims[a] = n
            y.set_shape(TensorShape(dims))
        if self.use_bias:
            y = nn_ops.bias_add(y, self.bias, data_format="NCHW" if first else "NHWC")
        return self.activation(y) if self.activation is not None else y


Conv3DTranspose.__name__ = "Conv3DTranspose"
Convolution3DTranspose = Conv3DTranspose


def conv3d_transpose(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format="channels_last",
                     activation=None, use_bias=True, kernel_initializer=None,
                     bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                     activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
                     name=None, reuse=None):
    return Conv3DTranspose(filters, kernel_size, strides, padding, data_format, activation=activation,
                           use_bias=use_bias, kernel_initializer=kernel_initializer,
                           bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                           bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                           bias_constraint=bias_constraint, trainable=trainable, name=name, _reuse=reuse)(inputs)


class _Pooling3D(Layer):
    """Keras pools channels_first inputs as channels_last between two transposes (TF's CPU 3-D
    pools take NDHWC only)."""

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs):
        super(_Pooling3D, self).__init__(name=name, **kwargs)
        self.pool_size = _pair(pool_size, 3)
        self.strides = _pair(strides, 3)
        self.padding = padding.upper()
        self.data_format = data_format

    def call(self, inputs):
        from metarun.ops import conv3d_ops
        fn = conv3d_ops.max_pool3d if self._kind == "max" else conv3d_ops.avg_pool3d
        first = self.data_format == "channels_first"
        if first:
            inputs = array_ops.transpose(inputs, (0, 2, 3, 4, 1))
        out = fn(inputs, ksize=[1] + self.pool_size + [1], strides=[1] + self.strides + [1], padding=self.padding)
        return array_ops.transpose(out, (0, 4, 1, 2, 3)) if first else out


class MaxPooling3D(_Pooling3D):
    _base_name, _kind = "max_pooling3d", "max"


class AveragePooling3D(_Pooling3D):
    _base_name, _kind = "average_pooling3d", "avg"


def max_pooling3d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    return MaxPooling3D(pool_size, strides, padding, data_format, name=name)(inputs)


def average_pooling3d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    return AveragePooling3D(pool_size, strides, padding, data_format, name=name)(inputs)


def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                     activation=None, use_bias=True, kernel_initializer=None,
                     bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                     activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
                     name=None, reuse=None):
    return Conv2DTranspose(filters, kernel_size, strides, padding, data_format, activation=activation,
                           use_bias=use_bias, kernel_initializer=kernel_initializer,
                           bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                           bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                           bias_constraint=bias_constraint, trainable=trainable, name=name, _reuse=reuse)(inputs)


def max_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    return MaxPooling1D(pool_size, strides, padding, data_format, name=name)(inputs)


def average_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    return AveragePooling1D(pool_size, strides, padding, data_format, name=name)(inputs)


class SeparableConv2D(Layer):
    """A depthwise convolution per input channel, then a 1x1 pointwise one (tf.nn.separable_conv2d)."""

    _base_name = "separable_conv2d"

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer=None,
                 pointwise_initializer=None, bias_initializer=init_ops.zeros_initializer(), depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, trainable=True,
                 name=None, **kwargs):
        super(SeparableConv2D, self).__init__(trainable=trainable, name=name, **kwargs)
        self.filters = int(filters)
        self.kernel_size = tuple(_pair(kernel_size))
        self.strides = tuple(_pair(strides))
        self.padding = padding.lower()
        self.data_format = data_format
        self.dilation_rate = tuple(_pair(dilation_rate))
        self.depth_multiplier = depth_multiplier
        self.activation = activation
        self.use_bias = use_bias
        self._init = (depthwise_initializer, pointwise_initializer, bias_initializer, depthwise_regularizer,
                      pointwise_regularizer, bias_regularizer, depthwise_constraint, pointwise_constraint,
                      bias_constraint)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        axis = 1 if self.data_format == "channels_first" else -1
        channels = input_shape.dims[axis] if input_shape.ndims else None
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. Found `None`.")
        di, pi, bi, dr, pr, br, dc, pc, bc = self._init
        self.depthwise_kernel = self.add_weight("depthwise_kernel",
                                                list(self.kernel_size) + [channels, self.depth_multiplier],
                                                initializer=di, regularizer=dr, constraint=dc)
        self.pointwise_kernel = self.add_weight("pointwise_kernel",
                                                [1, 1, self.depth_multiplier * channels, self.filters],
                                                initializer=pi, regularizer=pr, constraint=pc)
        self.bias = self.add_weight("bias", [self.filters], initializer=bi, regularizer=br, constraint=bc) \
            if self.use_bias else None

    def call(self, inputs):
        first = self.data_format == "channels_first"
        fmt = "NCHW" if first else "NHWC"
        strides = (1, 1) + self.strides if first else (1,) + self.strides + (1,)
        out = nn_ops.separable_conv2d(inputs, self.depthwise_kernel, self.pointwise_kernel, strides=strides,
                                      padding=self.padding.upper(), rate=self.dilation_rate, data_format=fmt)
        if self.use_bias:
            out = nn_ops.bias_add(out, self.bias, data_format=fmt)
        return self.activation(out) if self.activation is not None else out


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                     dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                     depthwise_initializer=None, pointwise_initializer=None,
                     bias_initializer=init_ops.zeros_initializer(), depthwise_regularizer=None,
                     pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                     depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, trainable=True,
                     name=None, reuse=None):
    return SeparableConv2D(filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                           activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
                           depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
                           depthwise_constraint, pointwise_constraint, bias_constraint, trainable, name,
                           _reuse=reuse)(inputs)
