"""Space/batch/depth rearrangements and what TF builds from them: tf.space_to_batch_nd and
tf.batch_to_space_nd, their v1 4-D forms (which build the N-d ops with an int64 block shape),
tf.space_to_depth / tf.depth_to_space, tf.required_space_to_batch_paddings, and the dilated
convolutions and pools TF builds as SpaceToBatchND -> op -> BatchToSpaceND: tf.nn.with_space_to_batch,
the dilated path of tf.nn.convolution (which tf.nn.atrous_conv2d and tf.layers' convolutions take),
and tf.nn.atrous_conv2d_transpose. Each lays out its nodes as TF 2.21 does.

The ops' static shapes are registered here too."""

import numpy as np

from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops import array_ops
from metarun.ops.scopes import name_scope


def _lookup(new_name, new_value, old_name, old_value):
    """TF's deprecated_argument_lookup."""
    if new_value is not None:
        if old_value is not None:
            raise ValueError("Cannot specify both '%s' and '%s'" % (old_name, new_name))
        return new_value
    return old_value


def space_to_batch_nd(input, block_shape, paddings, name=None):  # noqa: A002
    return apply_op("SpaceToBatchND", input=input, block_shape=block_shape, paddings=paddings, name=name)


def batch_to_space_nd(input, block_shape, crops, name=None):  # noqa: A002
    return apply_op("BatchToSpaceND", input=input, block_shape=block_shape, crops=crops, name=name)


def space_to_batch(input, paddings, block_size=None, name=None, block_shape=None):  # noqa: A002
    """tf.compat.v1.space_to_batch: a SpaceToBatchND with block shape [block_size, block_size]."""
    block_size = _lookup("block_shape", block_shape, "block_size", block_size)
    result = space_to_batch_nd(input, paddings=paddings, block_shape=np.array([block_size, block_size], np.int64),
                               name=name)
    result.set_shape(result.shape.with_rank(4))
    return result


def batch_to_space(input, crops, block_size, name=None, block_shape=None):  # noqa: A002
    block_size = _lookup("block_shape", block_shape, "block_size", block_size)
    result = batch_to_space_nd(input, crops=crops, block_shape=np.array([block_size, block_size], np.int64),
                               name=name)
    result.set_shape(result.shape.with_rank(4))
    return result


def space_to_depth(input, block_size, name=None, data_format="NHWC"):  # noqa: A002
    return apply_op("SpaceToDepth", input=input, block_size=block_size, data_format=data_format, name=name)


def depth_to_space(input, block_size, name=None, data_format="NHWC"):  # noqa: A002
    return apply_op("DepthToSpace", input=input, block_size=block_size, data_format=data_format, name=name)


def _assert_compatible(shape, dims):
    if not shape.is_compatible_with(TensorShape(dims)):
        raise ValueError("Shapes %s and %s are incompatible" % (shape, TensorShape(dims)))


def required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None, name=None):
    """(paddings, crops) making `block_shape` divide `input_shape` after `base_paddings`; numbers
    (Consts) when every input is known while building, else ops."""
    with name_scope(name, "required_space_to_batch_paddings", [input_shape, block_shape]):
        input_shape = convert_to_tensor(input_shape, dtype=dtypes.int32, name="input_shape")
        block_shape = convert_to_tensor(block_shape, dtype=dtypes.int32, name="block_shape")
        if not block_shape.shape.is_fully_defined():
            raise ValueError("Shape %s is not fully defined" % block_shape.shape)
        block_shape.shape.with_rank(1)
        n = block_shape.shape.dims[0]
        if n == 0:
            return array_ops.zeros([0, 2], dtypes.int32), array_ops.zeros([0, 2], dtypes.int32)
        _assert_compatible(input_shape.shape, [n])
        if base_paddings is not None:
            base_paddings = convert_to_tensor(base_paddings, dtype=dtypes.int32, name="base_paddings")
            _assert_compatible(base_paddings.shape, [n, 2])
        else:
            base_paddings = array_ops.zeros([n, 2], dtypes.int32)
        known = [si.constant_value(t) for t in (block_shape, input_shape, base_paddings)]
        if all(v is not None for v in known):
            block_shape, input_shape, base_paddings = known
        pad_start = base_paddings[:, 0]
        orig_pad_end = base_paddings[:, 1]
        full_input_shape = input_shape + pad_start + orig_pad_end
        pad_end_extra = (block_shape - full_input_shape % block_shape) % block_shape
        pad_end = orig_pad_end + pad_end_extra
        paddings = array_ops.stack([[pad_start[i], pad_end[i]] for i in range(n)], name="paddings")
        crops = array_ops.stack([[0, pad_end_extra[i]] for i in range(n)], name="crops")
        return paddings, crops


# -- ops run on a space-to-batch'd input (dilated convolutions and pools) -------------------------

def _base_paddings(filter_shape, num_spatial_dims, rate):
    """The SAME padding of a window of `filter_shape` dilated by `rate`, as [n, 2]."""
    pad_extra = (filter_shape[:num_spatial_dims] - 1) * rate
    start = pad_extra // 2
    end = pad_extra - start
    return array_ops.stack([[start[i], end[i]] for i in range(num_spatial_dims)])


def _adjust(orig, fill_value, spatial_dims):
    """`orig` ([n, ...], one row per spatial dim) widened to rows for dims 1..spatial_dims[-1],
    the rows of non-spatial dims `fill_value`: numbers when `orig` is known, else a concat."""
    fill_dims = orig.shape.as_list()[1:]
    dtype = orig.dtype.as_numpy_dtype
    const = si.constant_value(orig)
    source = const if const is not None else orig
    parts, prev, i = [], 0, 0
    while i < len(spatial_dims):
        start_i, start_dim = i, spatial_dims[i]
        if start_dim > 1:
            parts.append(np.full([start_dim - 1 - prev] + fill_dims, fill_value, dtype=dtype))
        while i + 1 < len(spatial_dims) and spatial_dims[i + 1] == spatial_dims[i] + 1:
            i += 1
        parts.append(source[start_i:i + 1])
        prev = spatial_dims[i]
        i += 1
    if const is not None:
        return np.concatenate(parts)
    return array_ops.concat(parts, 0)


class _WithSpaceToBatch(object):
    """TF's _WithSpaceToBatch: `build_op(num_spatial_dims, padding)` run directly when the rate
    is all ones, else on the input moved to the batch dim by the rate (padding then VALID)."""

    def __init__(self, input_shape, dilation_rate, padding, build_op, filter_shape=None, spatial_dims=None,
                 data_format=None, num_batch_dims=1):
        dilation_rate = convert_to_tensor(dilation_rate, dtypes.int32, name="dilation_rate")
        if dilation_rate.shape.ndims not in (None, 1):
            raise ValueError("`dilation_rate.shape.rank` must be 1. Received: dilation_rate=%s of rank %s"
                             % (dilation_rate, dilation_rate.shape.ndims))
        if not dilation_rate.shape.is_fully_defined():
            raise ValueError("`dilation_rate.shape` must be fully defined. Received: dilation_rate=%s with shape %s"
                             % (dilation_rate, dilation_rate.shape))
        num_spatial_dims = dilation_rate.shape.dims[0]
        channels_first = data_format is not None and data_format.startswith("NC")
        start = num_batch_dims + 1 if channels_first else num_batch_dims
        if spatial_dims is None:
            spatial_dims = range(start, num_spatial_dims + start)
        orig = list(spatial_dims)
        spatial_dims = sorted(set(int(x) for x in orig))
        if spatial_dims != orig or any(x < 1 for x in spatial_dims):
            raise ValueError("`spatial_dims` must be a monotonically increasing sequence of positive integers. "
                             "Received: spatial_dims=%s" % orig)
        expected_rank = spatial_dims[-1] if channels_first else spatial_dims[-1] + 1
        try:
            input_shape.with_rank_at_least(expected_rank)
        except ValueError:
            raise ValueError("`input.shape.rank` must be at least %d. Received: input.shape=%s with rank %s"
                             % (expected_rank, input_shape, input_shape.ndims)) from None
        const_rate = si.constant_value(dilation_rate)
        rate = dilation_rate
        if const_rate is not None:
            rate = const_rate
            if np.any(const_rate < 1):
                raise ValueError("`dilation_rate` must be positive. Received: dilation_rate=%s" % const_rate)
            if np.all(const_rate == 1):
                self.call = build_op(num_spatial_dims, padding)
                return
        if isinstance(padding, (list, tuple)):
            explicit = np.array([p for pair in padding for p in pair]).reshape([num_spatial_dims + 2, 2])
            self.base_paddings = explicit[2:] if channels_first else explicit[1:-1]
        elif padding == "SAME":
            if filter_shape is None:
                raise ValueError("`filter_shape` must be specified for `padding='SAME'`. Received: filter_shape=%s "
                                 "and padding=%s" % (filter_shape, padding))
            if isinstance(filter_shape, TensorShape):
                if not filter_shape.is_fully_defined():
                    raise ValueError("Cannot convert a partially known TensorShape %s to a Tensor." % filter_shape)
                filter_shape = filter_shape.as_list()
            filter_shape = convert_to_tensor(filter_shape, name="filter_shape")
            const_filter_shape = si.constant_value(filter_shape)
            if const_filter_shape is not None:
                self.base_paddings = _base_paddings(const_filter_shape, num_spatial_dims, rate)
            else:
                self.num_spatial_dims, self.rate = num_spatial_dims, rate
                self.base_paddings = None
        elif padding == "VALID":
            self.base_paddings = np.zeros([num_spatial_dims, 2], np.int32)
        else:
            raise ValueError("`padding` must be one of 'SAME' or 'VALID'. Received: padding=%s" % padding)
        self.input_shape = input_shape
        self.spatial_dims = spatial_dims
        self.dilation_rate = dilation_rate
        self.data_format = data_format
        self.op = build_op(num_spatial_dims, "VALID")
        self.call = self._call

    def _call(self, inp, filter):  # noqa: A002
        spatial = None
        if self.input_shape.ndims is not None:
            dims = self.input_shape.as_list()
            spatial = [dims[i] for i in self.spatial_dims]
        if spatial is None or None in spatial:
            shape = array_ops.shape(inp)
            spatial = array_ops.stack([shape[i] for i in self.spatial_dims])
        base_paddings = self.base_paddings
        if base_paddings is None:
            base_paddings = _base_paddings(array_ops.shape(filter), self.num_spatial_dims, self.rate)
        paddings, crops = required_space_to_batch_paddings(input_shape=spatial, base_paddings=base_paddings,
                                                           block_shape=self.dilation_rate)
        rate = _adjust(self.dilation_rate, 1, self.spatial_dims)
        paddings = _adjust(paddings, 0, self.spatial_dims)
        crops = _adjust(crops, 0, self.spatial_dims)
        converted = space_to_batch_nd(input=inp, block_shape=rate, paddings=paddings)
        result = self.op(converted, filter)
        result = batch_to_space_nd(input=result, block_shape=rate, crops=crops)
        if self.data_format is not None and self.data_format.startswith("NC"):
            if not result.shape.dims[1] and filter is not None:
                out = result.shape.as_list()
                out[1] = filter.shape.dims[-1]
                result.set_shape(out)
        return result

    def __call__(self, inp, filter):  # noqa: A002
        return self.call(inp, filter)


def with_space_to_batch(input, dilation_rate, padding, op, filter_shape=None, spatial_dims=None,  # noqa: A002
                        data_format=None):
    input = convert_to_tensor(input, name="input")  # noqa: A001
    new_op = _WithSpaceToBatch(input.shape, dilation_rate, padding,
                               lambda n, pad: (lambda inp, _: op(inp, n, pad)), filter_shape=filter_shape,
                               spatial_dims=spatial_dims, data_format=data_format)
    return new_op(input, None)


def strides_and_rate(n, strides, dilation_rate):
    """TF's _get_strides_and_dilation_rate: both as int32 arrays of n, checked."""
    if dilation_rate is None:
        dilation_rate = [1] * n
    elif len(dilation_rate) != n:
        raise ValueError("`len(dilation_rate)` should be %d. Received: dilation_rate=%s of length %d"
                         % (n, dilation_rate, len(dilation_rate)))
    dilation_rate = np.array(dilation_rate, dtype=np.int32)
    if np.any(dilation_rate < 1):
        raise ValueError("all values of `dilation_rate` must be positive. Received: dilation_rate=%s" % dilation_rate)
    if strides is None:
        strides = [1] * n
    elif len(strides) != n:
        raise ValueError("`len(strides)` should be %d. Received: strides=%s of length %d" % (n, strides, len(strides)))
    strides = np.array(strides, dtype=np.int32)
    if np.any(strides < 1):
        raise ValueError("all values of `strides` must be positive. Received: strides=%s" % strides)
    if np.any(strides > 1) and np.any(dilation_rate > 1):
        raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: strides=%s "
                         "and dilation_rate=%s" % (strides, dilation_rate))
    return strides, dilation_rate


def dilated_convolution(input, filters, padding, strides, dilations, name, data_format, num_spatial_dims):  # noqa: A002
    """TF's Convolution object applied (the non-TPU dilated path of tf.nn.convolution): `strides`
    and `dilations` hold the spatial dims only; the convolution itself is named `name`."""
    from metarun.ops import nn_ops  # nn_ops imports this module's names for tf.nn
    input_shape = TensorShape(input.shape)
    filter_shape = TensorShape(filters.shape)
    if filter_shape.ndims is not None:
        if filter_shape.ndims != num_spatial_dims + 2:
            raise ValueError("`filters.shape.rank` must be `num_spatial_dims + 2`. Received: filters.shape=%s of "
                             "rank %d and num_spatial_dims=%d" % (filter_shape, filter_shape.ndims, num_spatial_dims))
    num_batch_dims = 1 if input_shape.ndims is None else input_shape.ndims - num_spatial_dims - 1
    if num_batch_dims < 1:
        raise ValueError("Batch dims should be >= 1, but found %d." % num_batch_dims)
    channels_first = data_format is not None and data_format.startswith("NC")
    start = num_batch_dims + 1 if channels_first else num_batch_dims
    spatial_dims = range(start, start + num_spatial_dims)
    strides, dilations = strides_and_rate(num_spatial_dims, strides, dilations)

    def build(_, pad):
        if input_shape.ndims is not None:
            rank = input_shape.ndims - num_batch_dims + 1
            if filter_shape.ndims is not None and filter_shape.ndims != rank:
                raise ValueError("Shapes %s and %s must have the same rank" % (filter_shape, input_shape))
        conv_dims = num_spatial_dims
        if conv_dims == 1:
            fmt = data_format or "NWC"
            return lambda inp, f: nn_ops.conv1d(value=inp, filters=f, stride=int(strides[0]), padding=pad,
                                                data_format=fmt, name=name)
        if conv_dims == 2:
            fmt = data_format or "NHWC"
            if fmt not in ("NHWC", "NCHW"):
                raise ValueError("`data_format` must be 'NHWC' or 'NCHW'. Received: data_format=%s" % fmt)
            s = [1] + [int(x) for x in strides] + [1] if fmt == "NHWC" else [1, 1] + [int(x) for x in strides]
            return lambda inp, f: nn_ops.conv2d(inp, f, strides=s, padding=pad, data_format=fmt, name=name)
        fmt = data_format or "NDHWC"
        if fmt not in ("NDHWC", "NCDHW"):
            raise ValueError("data_format must be \"NDHWC\" or \"NCDHW\". Have: %s" % fmt)
        s = [1] + [int(x) for x in strides] + [1] if fmt == "NDHWC" else [1, 1] + [int(x) for x in strides]
        return lambda inp, f: apply_op("Conv3D", input=inp, filter=f, strides=s, padding=pad, data_format=fmt,
                                       name=name)

    op = _WithSpaceToBatch(input_shape, dilations, padding, build, filter_shape=filter_shape,
                           spatial_dims=spatial_dims, data_format=data_format, num_batch_dims=num_batch_dims)
    return op(input, filters)


def atrous_conv2d(value, filters, rate, padding, name=None):
    from metarun.ops import nn_ops_2
    return nn_ops_2.convolution(input=value, filter=filters, padding=padding,
                                dilation_rate=np.broadcast_to(rate, (2,)), name=name)


def atrous_conv2d_transpose(value, filters, output_shape, rate, padding, name=None):
    from metarun.ops import nn_ops
    with name_scope(name, "atrous_conv2d_transpose", [value, filters, output_shape]) as name:
        value = convert_to_tensor(value, name="value")
        filters = convert_to_tensor(filters, name="filters")
        if not TensorShape([value.shape.dims[3]]).is_compatible_with(TensorShape([filters.shape.dims[3]])):
            raise ValueError("`value` channel count must be compatible with `filters` input channel count. "
                             "Received: value.shape=%s and filters.shape=%s." % (value.shape, filters.shape))
        if rate < 1:
            raise ValueError("`rate` cannot be less than one. Received: rate=%s" % rate)
        if rate == 1:
            return nn_ops.conv2d_transpose(value, filters, output_shape, strides=[1, 1, 1, 1], padding=padding,
                                           data_format="NHWC")
        output_shape_ = convert_to_tensor(output_shape, name="output_shape")
        if not output_shape_.shape.is_compatible_with(TensorShape([4])):
            raise ValueError("`output_shape` must have shape (4,). Received: output_shape=%s" % output_shape_.shape)
        if isinstance(output_shape, tuple):
            output_shape = list(output_shape)
        if isinstance(output_shape, (list, np.ndarray)):
            if not TensorShape([filters.shape.dims[2]]).is_compatible_with(TensorShape([output_shape[3]])):
                raise ValueError("`output_shape` channel count must be compatible with `filters` output channel "
                                 "count. Received: output_shape=%s and filters.shape=%s."
                                 % (output_shape, filters.shape))
        if padding == "SAME":
            if filters.shape.is_fully_defined():
                filter_shape = filters.shape.as_list()
            else:
                filter_shape = array_ops.shape(filters)
            fh, fw = filter_shape[0], filter_shape[1]
            pad_h = fh + (fh - 1) * (rate - 1) - 1
            pad_w = fw + (fw - 1) * (rate - 1) - 1
            pad_top, pad_left = pad_h // 2, pad_w // 2
            pad_bottom, pad_right = pad_h - pad_top, pad_w - pad_left
        elif padding == "VALID":
            pad_top = pad_bottom = pad_left = pad_right = 0
        else:
            raise ValueError("`padding` must be either 'VALID' or 'SAME'. Received: padding=%s" % padding)
        in_height = output_shape[1] + pad_top + pad_bottom
        in_width = output_shape[2] + pad_left + pad_right
        extra_bottom = (rate - in_height % rate) % rate
        extra_right = (rate - in_width % rate) % rate
        value = space_to_batch(input=value, paddings=[[0, extra_bottom], [0, extra_right]], block_size=rate)
        input_sizes = [rate * rate * output_shape[0], (in_height + extra_bottom) // rate,
                       (in_width + extra_right) // rate, output_shape[3]]
        value = apply_op("Conv2DBackpropInput", input_sizes=input_sizes, filter=filters, out_backprop=value,
                         strides=[1, 1, 1, 1], padding="VALID", data_format="NHWC")
        crops = [[pad_top, pad_bottom + extra_bottom], [pad_left, pad_right + extra_right]]
        return batch_to_space(input=value, crops=crops, block_size=rate)


# -- static shapes ---------------------------------------------------------------------------------

def _block_shapes(op, block, pads, to_batch):
    x = op.inputs[0].shape
    if block is None:
        return TensorShape(None) if x.ndims is None else TensorShape([None] * x.ndims)
    m = len(block)
    if x.ndims is None:
        return TensorShape(None)
    x = x.with_rank_at_least(m + 1)
    dims = x.as_list()
    prod = int(np.prod(block)) if m else 1
    if dims[0] is not None:
        dims[0] = dims[0] * prod if to_batch else dims[0] // prod
    for i in range(m):
        d = dims[1 + i]
        if pads is None or d is None:
            dims[1 + i] = None
        elif to_batch:
            padded = d + int(pads[i][0]) + int(pads[i][1])
            if padded % int(block[i]):
                raise ValueError("padded_shape[%d]=%d is not divisible by block_shape[%d]=%d"
                                 % (i, padded, i, int(block[i])))
            dims[1 + i] = padded // int(block[i])
        else:
            dims[1 + i] = d * int(block[i]) - int(pads[i][0]) - int(pads[i][1])
    return TensorShape(dims)


@si.register("SpaceToBatchND", "BatchToSpaceND")
def _nd_shape(op):
    block = si.constant_value(op.inputs[1])
    pads = si.constant_value(op.inputs[2])
    if block is not None:
        block = np.asarray(block).reshape(-1)
    return [_block_shapes(op, block, pads, op.type == "SpaceToBatchND")]


@si.register("SpaceToBatch", "BatchToSpace")
def _four_d_shape(op):
    b = op.get_attr("block_size")
    if op.inputs[0].shape.ndims is not None:
        op.inputs[0].shape.with_rank(4)
    return [_block_shapes(op, [b, b], si.constant_value(op.inputs[1]), op.type == "SpaceToBatch")]


@si.register("SpaceToDepth", "DepthToSpace")
def _depth_shape(op):
    x = op.inputs[0].shape
    if x.ndims is None:
        return [TensorShape([None] * 4)]
    n, h, w, c = x.with_rank(4).as_list()
    b = op.get_attr("block_size")
    if op.get_attr("data_format") == "NCHW":
        n, c, h, w = x.as_list()
    scale = (lambda d, f: None if d is None else d // f), (lambda d, f: None if d is None else d * f)
    down, up = scale if op.type == "SpaceToDepth" else scale[::-1]
    h, w, c = down(h, b), down(w, b), up(c, b * b)
    return [TensorShape([n, c, h, w] if op.get_attr("data_format") == "NCHW" else [n, h, w, c])]
