"""tf.layers: the TF1 layer classes and their functional forms, with TF's layer and variable
names (`dense/kernel`, `dense_1/bias`, `batch_normalization/moving_mean`...).

A layer takes its variable scope on first call (`name`, or `default_name` made unique
per enclosing variable scope: dense, dense_1...), creates its variables there with
get_variable, and builds its ops under that scope's original name scope.
"""

from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops import array_ops, init_ops, math_ops, nn_ops, nn_ops_2
from metarun.ops.variable_scope import get_variable, variable_scope

GraphKeys = graph_lib.GraphKeys


def _pair(v, n=2):
    return [v] * n if isinstance(v, int) else list(v)


class Layer(object):
    """Scope handling, weights and updates shared by every layer."""

    _base_name = "layer"

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        self.trainable = trainable
        self._given_name = name
        self._reuse = kwargs.pop("_reuse", None)
        self.dtype = dtype
        self._scope = None
        self.built = False
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._updates = []

    @property
    def name(self):
        return self._scope.name.split("/")[-1] if self._scope is not None else (self._given_name or self._base_name)

    @property
    def scope_name(self):
        return self._scope.name

    trainable_weights = property(lambda self: list(self._trainable_weights) if self.trainable else [])
    trainable_variables = trainable_weights
    non_trainable_weights = property(lambda self: list(self._non_trainable_weights) + (
        [] if self.trainable else list(self._trainable_weights)))
    weights = property(lambda self: self.trainable_weights + self.non_trainable_weights)
    variables = weights
    updates = property(lambda self: list(self._updates))

    def add_weight(self, name, shape, dtype=None, initializer=None, regularizer=None, trainable=True,
                   constraint=None):
        trainable = trainable and self.trainable
        var = get_variable(name, shape=shape, dtype=dtype or self.dtype, initializer=initializer,
                           regularizer=regularizer, trainable=trainable, constraint=constraint,
                           collections=None if trainable else [GraphKeys.GLOBAL_VARIABLES])
        (self._trainable_weights if trainable else self._non_trainable_weights).append(var)
        return var

    def add_update(self, update):
        op = update.op if hasattr(update, "op") else update
        self._updates.append(op)
        graph_lib.get_default_graph().add_to_collection(GraphKeys.UPDATE_OPS, op)

    def build(self, input_shape):
        self.built = True

    def call(self, inputs, **kwargs):
        return inputs

    def __call__(self, inputs, *args, **kwargs):
        g = graph_lib.get_default_graph()
        if self._scope is None:
            with variable_scope(self._given_name, default_name=self._base_name) as scope:
                self._scope = scope
        reuse = True if self.built else self._reuse
        with variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False):
            with g.name_scope(self._scope.original_name_scope):
                if not isinstance(inputs, graph_lib.Tensor):
                    inputs = convert_to_tensor(inputs)
                if self.dtype is None:
                    self.dtype = inputs.dtype.base_dtype
                if not self.built:
                    self.build(inputs.shape)
                    self.built = True
                return self.call(inputs, *args, **kwargs)

    apply = __call__


class Dense(Layer):
    _base_name = "dense"

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
                 name=None, **kwargs):
        super(Dense, self).__init__(trainable=trainable, name=name, **kwargs)
        self.units = int(units)
        self.activation = activation
        self.use_bias = use_bias
        self._init = (kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                      kernel_constraint, bias_constraint)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        last = input_shape.dims[-1] if input_shape.ndims else None
        if last is None:
            raise ValueError("The last dimension of the inputs to `Dense` should be defined. Found `None`.")
        ki, bi, kr, br, kc, bc = self._init
        self.kernel = self.add_weight("kernel", [last, self.units], initializer=ki, regularizer=kr, constraint=kc)
        self.bias = self.add_weight("bias", [self.units], initializer=bi, regularizer=br, constraint=bc) \
            if self.use_bias else None

    def call(self, inputs):
        rank = inputs.shape.ndims
        if rank is not None and rank > 2:
            flat = array_ops.reshape(inputs, [-1, inputs.shape.dims[-1]])
            out = math_ops.matmul(flat, self.kernel)
            shape = array_ops.shape(inputs)
            out = array_ops.reshape(out, array_ops.concat([array_ops.slice_helper(shape, slice(None, -1)),
                                                           [self.units]], 0))
        else:
            out = math_ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            out = nn_ops.bias_add(out, self.bias)
        return self.activation(out) if self.activation is not None else out


class _Conv(Layer):
    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
                 name=None, **kwargs):
        super(_Conv, self).__init__(trainable=trainable, name=name, **kwargs)
        self.rank = rank
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, rank)
        self.strides = _pair(strides, rank)
        self.padding = padding.upper()
        self.data_format = data_format
        self.dilation_rate = _pair(dilation_rate, rank)
        self.activation = activation
        self.use_bias = use_bias
        self._init = (kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                      kernel_constraint, bias_constraint)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        axis = 1 if self.data_format == "channels_first" else -1
        channels = input_shape.dims[axis] if input_shape.ndims else None
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. Found `None`.")
        ki, bi, kr, br, kc, bc = self._init
        self.kernel = self.add_weight("kernel", self.kernel_size + [channels, self.filters], initializer=ki,
                                      regularizer=kr, constraint=kc)
        self.bias = self.add_weight("bias", [self.filters], initializer=bi, regularizer=br, constraint=bc) \
            if self.use_bias else None

    def call(self, inputs):
        nchw = self.data_format == "channels_first"
        if self.rank == 3:  # Keras builds tf.nn.convolution here (SpaceToBatchND around it when dilated)
            out = nn_ops_2.convolution(inputs, self.kernel, self.padding, strides=list(self.strides),
                                       dilations=list(self.dilation_rate), data_format="NCDHW" if nchw else "NDHWC",
                                       name="Conv3D")
        elif any(d != 1 for d in self.dilation_rate):  # TF's dilated path: SpaceToBatchND around the conv
            fmt = ("NCW" if nchw else "NWC") if self.rank == 1 else ("NCHW" if nchw else "NHWC")
            out = nn_ops_2.convolution(inputs, self.kernel, self.padding, strides=list(self.strides),
                                       dilations=list(self.dilation_rate), data_format=fmt, name="Conv%dD" % self.rank)
        elif self.rank == 1:
            out = nn_ops.conv1d(inputs, self.kernel, self.strides[0], self.padding,
                                data_format="NCW" if nchw else "NWC", dilations=self.dilation_rate)
        else:
            out = nn_ops.conv2d(inputs, self.kernel, strides=self.strides, padding=self.padding,
                                data_format="NCHW" if nchw else "NHWC", dilations=self.dilation_rate, name="Conv2D")
        if self.bias is not None:
            out = nn_ops.bias_add(out, self.bias, data_format="NCHW" if nchw else "NHWC")
        return self.activation(out) if self.activation is not None else out


class Conv1D(_Conv):
    _base_name = "conv1d"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, **kwargs):
        super(Conv1D, self).__init__(1, filters, kernel_size, strides, padding, data_format, dilation_rate,
                                     **kwargs)


class Conv2D(_Conv):
    _base_name = "conv2d"

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                 dilation_rate=(1, 1), **kwargs):
        super(Conv2D, self).__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate,
                                     **kwargs)


class Conv3D(_Conv):
    _base_name = "conv3d"

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format="channels_last",
                 dilation_rate=(1, 1, 1), **kwargs):
        super(Conv3D, self).__init__(3, filters, kernel_size, strides, padding, data_format, dilation_rate,
                                     **kwargs)


class _Pooling2D(Layer):
    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs):
        super(_Pooling2D, self).__init__(name=name, **kwargs)
        self.pool_size = _pair(pool_size)
        self.strides = _pair(strides)
        self.padding = padding.upper()
        self.data_format = data_format

    def call(self, inputs):
        fmt = "NCHW" if self.data_format == "channels_first" else "NHWC"
        fn = nn_ops.max_pool if self._kind == "max" else nn_ops.avg_pool
        return fn(inputs, self.pool_size, self.strides, self.padding, data_format=fmt)


class MaxPooling2D(_Pooling2D):
    _base_name, _kind = "max_pooling2d", "max"


class AveragePooling2D(_Pooling2D):
    _base_name, _kind = "average_pooling2d", "avg"


class Flatten(Layer):
    _base_name = "flatten"

    def __init__(self, data_format="channels_last", name=None, **kwargs):
        super(Flatten, self).__init__(name=name, **kwargs)
        self.data_format = data_format

    def call(self, inputs):
        dims = inputs.shape.dims
        if self.data_format == "channels_first" and dims is not None and len(dims) > 2:
            inputs = array_ops.transpose(inputs, [0] + list(range(2, len(dims))) + [1])
            dims = inputs.shape.dims
        if dims is not None and all(d is not None for d in dims[1:]):
            n = 1
            for d in dims[1:]:
                n *= d
            return array_ops.reshape(inputs, constant([-1, n]))
        first = dims[0] if dims is not None and dims[0] is not None else \
            array_ops.slice_helper(array_ops.shape(inputs), 0)
        return array_ops.reshape(inputs, array_ops.stack([first, -1]))


class Dropout(Layer):
    _base_name = "dropout"

    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, **kwargs):
        super(Dropout, self).__init__(name=name, **kwargs)
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed

    def call(self, inputs, training=False):
        if isinstance(self.rate, (int, float)) and self.rate == 0:
            return array_ops.identity(inputs)
        if not isinstance(training, bool):
            from metarun.ops import control_flow_ops
            return control_flow_ops.cond(
                convert_to_tensor(training),
                lambda: nn_ops.dropout(inputs, rate=self.rate, noise_shape=self.noise_shape, seed=self.seed),
                lambda: array_ops.identity(inputs))
        if not training:
            return array_ops.identity(inputs)
        return nn_ops.dropout(inputs, rate=self.rate, noise_shape=self.noise_shape, seed=self.seed)


class BatchNormalization(Layer):
    """Normalizes with the batch's statistics while training (and moves the moving
    averages by UPDATE_OPS), with the moving averages otherwise; 4-D inputs use the
    fused kernel, as TF chooses."""

    _base_name = "batch_normalization"

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer=init_ops.zeros_initializer(), gamma_initializer=init_ops.ones_initializer(),
                 moving_mean_initializer=init_ops.zeros_initializer(),
                 moving_variance_initializer=init_ops.ones_initializer(), beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, renorm=False,
                 renorm_clipping=None, renorm_momentum=0.99, fused=None, trainable=True, virtual_batch_size=None,
                 adjustment=None, name=None, **kwargs):
        super(BatchNormalization, self).__init__(trainable=trainable, name=name, **kwargs)
        if renorm or virtual_batch_size is not None or adjustment is not None:
            raise NotImplementedError("batch renormalization, virtual batches and adjustments are not supported")
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.center, self.scale, self.fused = center, scale, fused
        self._inits = (beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer)
        self._regs = (beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        ndims = input_shape.ndims
        axis = self.axis % ndims
        if self.fused is None:
            self.fused = ndims == 4 and axis in (1, 3)
        self._data_format = "NCHW" if axis == 1 else "NHWC"
        self._axis = axis
        param_shape = [input_shape.dims[axis]]
        beta_i, gamma_i, mean_i, var_i = self._inits
        beta_r, gamma_r, beta_c, gamma_c = self._regs
        self.gamma = self.add_weight("gamma", param_shape, initializer=gamma_i, regularizer=gamma_r,
                                     constraint=gamma_c) if self.scale else None
        self.beta = self.add_weight("beta", param_shape, initializer=beta_i, regularizer=beta_r,
                                    constraint=beta_c) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", param_shape, initializer=mean_i, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", param_shape, initializer=var_i, trainable=False)

    def _moving_average(self, variable, value, momentum):
        """variable -= (variable - value) * (1 - momentum), as an AssignSub named AssignMovingAvg."""
        g = graph_lib.get_default_graph()
        with g.name_scope("AssignMovingAvg") as scope, g.colocate_with(variable.op):
            if isinstance(momentum, graph_lib.Tensor):
                decay = 1.0 - momentum
            else:
                decay = convert_to_tensor(1.0 - momentum, name="decay")
            delta = (variable.value() - value) * decay
            return apply_op("AssignSub", ref=variable._ref(), value=delta, use_locking=False, name=scope)

    def _moving_average_update(self, variable, value, momentum):
        self.add_update(self._moving_average(variable, value, momentum))

    def call(self, inputs, training=False):
        training = _static_training(training)
        if self.fused:
            return self._fused(inputs, training)
        if self._axis != inputs.shape.ndims - 1:
            raise NotImplementedError("unfused batch normalization over a non-last axis is not supported yet")
        axes = [i for i in range(inputs.shape.ndims) if i != self._axis]
        if training is False:
            mean, variance = self.moving_mean.value(), self.moving_variance.value()
        elif training is True:
            mean, variance = nn_ops.moments(inputs, axes)
            self._moving_average_update(self.moving_mean, mean, self.momentum)
            self._moving_average_update(self.moving_variance, variance, self.momentum)
        else:
            # A training tensor: TF builds both sides, each chosen by a cond on it; the moving
            # averages move only on the training side.
            batch_mean, batch_variance = nn_ops.moments(inputs, axes)
            mean = _cond(training, lambda: batch_mean, lambda: convert_to_tensor(self.moving_mean))
            variance = _cond(training, lambda: batch_variance, lambda: convert_to_tensor(self.moving_variance))
            for var, value in ((self.moving_mean, mean), (self.moving_variance, variance)):
                update = _cond(training, lambda v=var, x=value: self._moving_average(v, x, self.momentum),
                               lambda v=var: v)
                self.add_update(update.op)
        return nn_ops.batch_normalization(inputs, mean, variance, self.beta, self.gamma, self.epsilon)

    def _fused(self, inputs, training):
        channels = inputs.shape.dims[self._axis]
        gamma = self.gamma if self.gamma is not None else constant(1.0, shape=[channels])
        beta = self.beta if self.beta is not None else constant(0.0, shape=[channels])

        def run(is_training):
            return nn_ops.fused_batch_norm(
                inputs, gamma, beta, mean=self.moving_mean, variance=self.moving_variance, epsilon=self.epsilon,
                is_training=is_training, data_format=self._data_format)
        if isinstance(training, bool):
            out, mean, variance = run(training)
            if not training:
                return out
            momentum = constant(self.momentum)
        else:
            out, mean, variance = _cond(training, lambda: run(True), lambda: run(False))
            momentum = _cond(training, lambda: self.momentum, lambda: 1.0)
        self._moving_average_update(self.moving_mean, mean, momentum)
        self._moving_average_update(self.moving_variance, variance, momentum)
        return out


def _static_training(training):
    """`training` as a Python bool when it is one or a constant, else the tensor (TF's
    constant_value of the predicate)."""
    if isinstance(training, bool) or training is None:
        return bool(training)
    from metarun.framework.shape_inference import constant_value
    training = convert_to_tensor(training)
    known = constant_value(training)
    return bool(known) if known is not None else training


def _cond(pred, true_fn, false_fn):
    from metarun.ops import control_flow_ops
    return control_flow_ops.cond(pred, true_fn, false_fn)


# -- functional forms ------------------------------------------------------------------------

def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
          activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
          reuse=None):
    return Dense(units, activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                 bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, trainable, name,
                 _reuse=reuse)(inputs)


def conv1d(inputs, filters, kernel_size, strides=1, padding="valid", data_format="channels_last", dilation_rate=1,
           activation=None, use_bias=True, kernel_initializer=None, bias_initializer=init_ops.zeros_initializer(),
           kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None):
    return Conv1D(filters, kernel_size, strides, padding, data_format, dilation_rate, activation=activation,
                  use_bias=use_bias, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                  kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                  kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable,
                  name=name, _reuse=reuse)(inputs)


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
           dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer=None,
           bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
           activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
           reuse=None):
    return Conv2D(filters, kernel_size, strides, padding, data_format, dilation_rate, activation=activation,
                  use_bias=use_bias, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                  kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                  kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable,
                  name=name, _reuse=reuse)(inputs)


def conv3d(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format="channels_last",
           dilation_rate=(1, 1, 1), activation=None, use_bias=True, kernel_initializer=None,
           bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
           activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
           reuse=None):
    return Conv3D(filters, kernel_size, strides, padding, data_format, dilation_rate, activation=activation,
                  use_bias=use_bias, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                  kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                  kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable,
                  name=name, _reuse=reuse)(inputs)


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    return MaxPooling2D(pool_size, strides, padding, data_format, name=name)(inputs)


def average_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    return AveragePooling2D(pool_size, strides, padding, data_format, name=name)(inputs)


def flatten(inputs, name=None, data_format="channels_last"):
    return Flatten(data_format, name=name)(inputs)


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    return Dropout(rate, noise_shape, seed, name=name)(inputs, training=training)


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=init_ops.zeros_initializer(), gamma_initializer=init_ops.ones_initializer(),
                        moving_mean_initializer=init_ops.zeros_initializer(),
                        moving_variance_initializer=init_ops.ones_initializer(), beta_regularizer=None,
                        gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, training=False,
                        trainable=True, name=None, reuse=None, renorm=False, renorm_clipping=None,
                        renorm_momentum=0.99, fused=None, virtual_batch_size=None, adjustment=None):
    layer = BatchNormalization(axis, momentum, epsilon, center, scale, beta_initializer, gamma_initializer,
                               moving_mean_initializer, moving_variance_initializer, beta_regularizer,
                               gamma_regularizer, beta_constraint, gamma_constraint, renorm, renorm_clipping,
                               renorm_momentum, fused, trainable, virtual_batch_size, adjustment, name=name,
                               _reuse=reuse)
    return layer(inputs, training=training)


from metarun.layers.convolutional_2 import (  # noqa: E402,F401 -- after Layer, which they build on
    AveragePooling1D, AveragePooling3D, Conv2DTranspose, Conv3DTranspose, Convolution2DTranspose,
    Convolution3DTranspose, MaxPooling1D, MaxPooling3D, SeparableConv2D, average_pooling1d, average_pooling3d,
    conv2d_transpose, conv3d_transpose, max_pooling1d, max_pooling3d, separable_conv2d)
