"""tf.nn.max_pool_with_argmax, tf.nn.dilation2d and tf.nn.erosion2d (tf.compat.v1 signatures), and
the shape functions of MaxPoolWithArgmax, MaxPoolGradWithArgmax and the Dilation2D ops."""
import collections as _collections

from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op
from metarun.framework.tensor_shape import TensorShape
from metarun.ops import array_ops, math_ops
from metarun.ops.scopes import name_scope

_MaxPoolWithArgmaxOutput = _collections.namedtuple("MaxPoolWithArgmax", ["output", "argmax"])


def max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC", Targmax=None, name=None,  # noqa: A002,N803
                         output_dtype=None, include_batch_in_index=False):
    """(output, argmax) of a max pool; argmax flattens ((b * height + y) * width + x) * channels + c,
    without the batch term unless include_batch_in_index."""
    if data_format != "NHWC":
        raise ValueError("`data_format` values other  than 'NHWC' are not supported. Received: "
                         "data_format=%s" % data_format)
    if Targmax is not None and output_dtype is not None:
        raise ValueError("Cannot specify both 'output_dtype' and 'Targmax'")
    targmax = output_dtype if output_dtype is not None else Targmax
    targmax = dtypes.int64 if targmax is None else targmax
    output, argmax = apply_op("MaxPoolWithArgmax", input=input, ksize=ksize, strides=strides, padding=padding,
                              Targmax=targmax, include_batch_in_index=include_batch_in_index, name=name)
    return _MaxPoolWithArgmaxOutput(output, argmax)


def dilation2d(input, filter=None, strides=None, rates=None, padding=None, name=None, filters=None,  # noqa: A002
               dilations=None):
    """Grayscale dilation: the max over the window of input + filter."""
    if filter is not None and filters is not None:
        raise ValueError("Cannot specify both 'filters' and 'filter'")
    if rates is not None and dilations is not None:
        raise ValueError("Cannot specify both 'dilations' and 'rates'")
    filter = filters if filters is not None else filter  # noqa: A001
    rates = dilations if dilations is not None else rates
    return apply_op("Dilation2D", input=input, filter=filter, strides=strides, rates=rates, padding=padding,
                    name=name)


def erosion2d(value, kernel, strides, rates, padding, name=None):
    """Grayscale erosion, built as TF builds it: -dilation2d(-value, kernel reversed in rows and cols)."""
    with name_scope(name, "erosion2d", [value, kernel]) as name:
        return math_ops.negative(apply_op("Dilation2D", input=math_ops.negative(value),
                                          filter=array_ops.reverse_v2(kernel, [0, 1]), strides=strides,
                                          rates=rates, padding=padding, name=name))


def _out_dim(size, k, stride, rate, padding):
    if size is None or k is None:
        return None
    eff = (k - 1) * rate + 1
    if padding in (b"VALID", "VALID"):
        out = (size - eff + stride) // stride
        if out < 0:
            raise ValueError("Computed output size would be negative: %d [input_size: %d, effective_filter_size: "
                             "%d, stride: %d]" % (out, size, eff, stride))
        return out
    return (size + stride - 1) // stride


@si.register("MaxPoolWithArgmax")
def _max_pool_with_argmax_shape(op):
    x = op.inputs[0].shape
    if x.ndims is None:
        return [TensorShape([None] * 4)] * 2
    k, s, p = op.get_attr("ksize"), op.get_attr("strides"), op.get_attr("padding")
    out = TensorShape([x.dims[0], _out_dim(x.dims[1], k[1], s[1], 1, p), _out_dim(x.dims[2], k[2], s[2], 1, p),
                       x.dims[3]])
    return [out, out]


@si.register("Dilation2D")
def _dilation2d_shape(op):
    x, f = op.inputs[0].shape, op.inputs[1].shape
    if x.ndims is None or f.ndims is None:
        return [TensorShape([None] * 4)]
    s, r, p = op.get_attr("strides"), op.get_attr("rates"), op.get_attr("padding")
    c = x.dims[3] if x.dims[3] is not None else f.dims[2]
    return [TensorShape([x.dims[0], _out_dim(x.dims[1], f.dims[0], s[1], r[1], p),
                         _out_dim(x.dims[2], f.dims[1], s[2], r[2], p), c])]


@si.register("MaxPoolGradWithArgmax", "Dilation2DBackpropInput")
def _like_input(op):
    return [op.inputs[0].shape]


@si.register("Dilation2DBackpropFilter")
def _like_filter(op):
    return [op.inputs[1].shape]
