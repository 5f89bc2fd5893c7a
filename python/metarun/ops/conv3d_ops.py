"""tf.nn.conv3d, conv3d_transpose, max_pool3d and avg_pool3d (tf.compat.v1 signatures), and the
shape functions of Conv3D, its backprops and the 3-D pooling ops."""
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op
from metarun.framework.tensor_shape import TensorShape
from metarun.ops.nn_ops_2 import _sequence
from metarun.ops.scopes import name_scope


def conv3d(input, filter=None, strides=None, padding=None, data_format="NDHWC",  # noqa: A002
           dilations=(1, 1, 1, 1, 1), name=None, filters=None):
    """A 3-D convolution: one Conv3D node."""
    if filter is not None and filters is not None:
        raise ValueError("Cannot specify both 'filters' and 'filter'")
    filter = filters if filters is not None else filter  # noqa: A001
    return apply_op("Conv3D", input=input, filter=filter, strides=strides, padding=padding,
                    data_format=data_format, dilations=list(dilations), name=name)


def conv3d_transpose(value, filter=None, output_shape=None, strides=None, padding="SAME",  # noqa: A002
                     data_format="NDHWC", name=None, input=None, filters=None, dilations=None):  # noqa: A002
    """The gradient of conv3d with respect to its input: Conv3DBackpropInputV2 in a
    conv3d_transpose name scope."""
    if filter is not None and filters is not None:
        raise ValueError("Cannot specify both 'filters' and 'filter'")
    if value is not None and input is not None:
        raise ValueError("Cannot specify both 'input' and 'value'")
    filter = filters if filters is not None else filter  # noqa: A001
    value = input if input is not None else value
    with name_scope(name, "conv3d_transpose", [value, filter, output_shape]) as name:
        data_format = data_format or "NDHWC"
        channel_index = 1 if data_format.startswith("NC") else 4
        return apply_op("Conv3DBackpropInputV2", input_sizes=output_shape, filter=filter, out_backprop=value,
                        strides=_sequence(strides, 3, channel_index, "strides"), padding=padding,
                        data_format=data_format, dilations=_sequence(dilations, 3, channel_index, "dilations"),
                        name=name)


def _pool3d(op_type, input, ksize, strides, padding, data_format, name):  # noqa: A002
    with name_scope(name, op_type, [input]) as name:
        data_format = data_format or "NDHWC"
        channel_index = 1 if data_format.startswith("NC") else 4
        return apply_op(op_type, input=input, ksize=_sequence(ksize, 3, channel_index, "ksize"),
                        strides=_sequence(strides, 3, channel_index, "strides"), padding=padding,
                        data_format=data_format, name=name)


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):  # noqa: A002
    return _pool3d("MaxPool3D", input, ksize, strides, padding, data_format, name)


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):  # noqa: A002
    return _pool3d("AvgPool3D", input, ksize, strides, padding, data_format, name)


# -- shape functions -------------------------------------------------------------------------------

def _text(v):
    return v.decode() if isinstance(v, bytes) else v


def _out_dim(size, k, stride, dilation, padding):
    if size is None or k is None:
        return None
    if padding == "SAME":
        return (size + stride - 1) // stride
    eff = (k - 1) * dilation + 1
    if size < eff:
        raise ValueError("Negative dimension size caused by subtracting %d from %d" % (eff, size))
    return (size - eff + stride) // stride


def _windowed(op, x, window, out_channels):
    """The output of a 3-D window op on `x` (rank 5 or unknown)."""
    if x.ndims is None:
        return TensorShape([None] * 5)
    nc = _text(op.get_attr("data_format")) == "NCDHW"
    sp = [2, 3, 4] if nc else [1, 2, 3]
    strides, padding = op.get_attr("strides"), _text(op.get_attr("padding"))
    dil = op.get_attr("dilations") if op.type == "Conv3D" else [1] * 5
    d = x.dims
    spatial = [_out_dim(d[i], k, strides[i], dil[i], padding) for i, k in zip(sp, window)]
    channels = d[1 if nc else 4] if out_channels == "same" else out_channels
    return TensorShape([d[0], channels] + spatial if nc else [d[0]] + spatial + [channels])


@si.register("Conv3D")
def _conv3d_shape(op):
    x, w = op.inputs[0].shape, op.inputs[1].shape
    if w.ndims is None:
        return [TensorShape([None] * 5) if x.ndims is None else TensorShape([x.dims[0]] + [None] * 4)]
    return [_windowed(op, x, w.dims[:3], w.dims[4])]


@si.register("MaxPool3D", "AvgPool3D")
def _pool3d_shape(op):
    nc = _text(op.get_attr("data_format")) == "NCDHW"
    k = op.get_attr("ksize")
    return [_windowed(op, op.inputs[0].shape, k[2:] if nc else k[1:4], "same")]


@si.register("Conv3DBackpropInputV2", "AvgPool3DGrad")
def _from_sizes(op):
    return [si.constant_shape(op.inputs[0])]


@si.register("Conv3DBackpropFilterV2")
def _from_filter_sizes(op):
    return [si.constant_shape(op.inputs[1])]


@si.register("Conv3DBackpropInput", "MaxPool3DGrad")
def _like_input(op):
    return [op.inputs[0].shape]


@si.register("Conv3DBackpropFilter")
def _like_filter(op):
    return [op.inputs[1].shape]


@si.register("MaxPool3DGradGrad")
def _like_output(op):
    return [op.inputs[1].shape]


def conv3d_backprop_filter_v2(input, filter_sizes, out_backprop, strides, padding,  # noqa: A002 -- TF's names
                              data_format="NDHWC", dilations=(1, 1, 1, 1, 1), name=None):
    """tf.nn.conv3d_backprop_filter (and _v2): the Conv3DBackpropFilterV2 op itself."""
    return apply_op("Conv3DBackpropFilterV2", input=input, filter_sizes=filter_sizes, out_backprop=out_backprop,
                    strides=list(strides), padding=padding, data_format=data_format, dilations=list(dilations),
                    name=name)


conv3d_backprop_filter = conv3d_backprop_filter_v2
