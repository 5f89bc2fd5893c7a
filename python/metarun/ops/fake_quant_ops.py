"""Quantization-aware training ops: tf.quantization.fake_quant_* (and their tf.fake_quant_*
aliases), quantize_and_dequantize and quantize_and_dequantize_v2, with TF's static shapes.

As in TF, the fake_quant_* functions are the ops' own builders (node named after the op type),
`quantize_and_dequantize` builds a QuantizeAndDequantizeV2 node and `quantize_and_dequantize_v2`
a QuantizeAndDequantizeV4 node, whose gradient is QuantizeAndDequantizeV4Grad."""

from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op
from metarun.framework.tensor_shape import TensorShape


def _fake_quant(op_type, name, **kwargs):
    return apply_op(op_type, name=name, **kwargs)


def fake_quant_with_min_max_args(inputs, min=-6, max=6, num_bits=8, narrow_range=False, name=None):  # noqa: A002
    return _fake_quant("FakeQuantWithMinMaxArgs", name, inputs=inputs, min=min, max=max, num_bits=num_bits,
                       narrow_range=narrow_range)


def fake_quant_with_min_max_args_gradient(gradients, inputs, min=-6, max=6, num_bits=8,  # noqa: A002
                                          narrow_range=False, name=None):
    return _fake_quant("FakeQuantWithMinMaxArgsGradient", name, gradients=gradients, inputs=inputs, min=min,
                       max=max, num_bits=num_bits, narrow_range=narrow_range)


def fake_quant_with_min_max_vars(inputs, min, max, num_bits=8, narrow_range=False, name=None):  # noqa: A002
    return _fake_quant("FakeQuantWithMinMaxVars", name, inputs=inputs, min=min, max=max, num_bits=num_bits,
                       narrow_range=narrow_range)


def fake_quant_with_min_max_vars_gradient(gradients, inputs, min, max, num_bits=8,  # noqa: A002
                                          narrow_range=False, name=None):
    return tuple(_fake_quant("FakeQuantWithMinMaxVarsGradient", name, gradients=gradients, inputs=inputs,
                             min=min, max=max, num_bits=num_bits, narrow_range=narrow_range))


def fake_quant_with_min_max_vars_per_channel(inputs, min, max, num_bits=8, narrow_range=False,  # noqa: A002
                                             name=None):
    return _fake_quant("FakeQuantWithMinMaxVarsPerChannel", name, inputs=inputs, min=min, max=max,
                       num_bits=num_bits, narrow_range=narrow_range)


def fake_quant_with_min_max_vars_per_channel_gradient(gradients, inputs, min, max, num_bits=8,  # noqa: A002
                                                      narrow_range=False, name=None):
    return tuple(_fake_quant("FakeQuantWithMinMaxVarsPerChannelGradient", name, gradients=gradients,
                             inputs=inputs, min=min, max=max, num_bits=num_bits, narrow_range=narrow_range))


def _axis_attr(input, axis):  # noqa: A002
    if axis is None:
        return -1
    if axis < 0:
        ndims = input.shape.ndims if hasattr(input, "shape") and hasattr(input.shape, "ndims") else None
        if ndims is None:
            raise ValueError("input should have known rank to use negative axis.")
        axis %= ndims
    return axis


def quantize_and_dequantize(input, input_min, input_max, signed_input=True, num_bits=8,  # noqa: A002
                            range_given=False, round_mode="HALF_TO_EVEN", name=None, narrow_range=False,
                            axis=None):
    """Deprecated in TF for quantize_and_dequantize_v2; builds QuantizeAndDequantizeV2, whose
    gradient passes straight through."""
    from metarun.framework.op_builder import convert_to_tensor
    input = convert_to_tensor(input)  # noqa: A001
    return apply_op("QuantizeAndDequantizeV2", name=name, input=input, input_min=input_min,
                    input_max=input_max, signed_input=signed_input, num_bits=num_bits, range_given=range_given,
                    round_mode=round_mode, narrow_range=narrow_range, axis=_axis_attr(input, axis))


def quantize_and_dequantize_v2(input, input_min, input_max, signed_input=True, num_bits=8,  # noqa: A002
                               range_given=False, round_mode="HALF_TO_EVEN", name=None, narrow_range=False,
                               axis=None):
    """Builds QuantizeAndDequantizeV4: its gradient is zero outside [input_min, input_max]."""
    from metarun.framework.op_builder import convert_to_tensor
    input = convert_to_tensor(input)  # noqa: A001
    return apply_op("QuantizeAndDequantizeV4", name=name, input=input, input_min=input_min,
                    input_max=input_max, signed_input=signed_input, num_bits=num_bits, range_given=range_given,
                    round_mode=round_mode, narrow_range=narrow_range, axis=_axis_attr(input, axis))


# -- static shapes (TF's shape functions) ---------------------------------------------------------

def _with_rank(shape, rank, what, op):
    if shape.ndims is not None and shape.ndims != rank:
        raise ValueError("Shape must be rank %d but is rank %d for '{{node %s}} = %s[]' (%s)"
                         % (rank, shape.ndims, op.name, op.type, what))


def _merge_dim(a, b, op):
    if a is not None and b is not None and a != b:
        raise ValueError("Dimensions must be equal, but are %d and %d for '{{node %s}} = %s[]'"
                         % (a, b, op.name, op.type))
    return a if a is not None else b


@si.register("FakeQuantWithMinMaxArgs")
def _fq_args(op):
    return [op.inputs[0].shape]


@si.register("FakeQuantWithMinMaxArgsGradient")
def _fq_args_grad(op):
    return [si.merge(op.inputs[0].shape, op.inputs[1].shape)]


@si.register("FakeQuantWithMinMaxVars")
def _fq_vars(op):
    _with_rank(op.inputs[1].shape, 0, "min", op)
    _with_rank(op.inputs[2].shape, 0, "max", op)
    return [op.inputs[0].shape]


@si.register("FakeQuantWithMinMaxVarsGradient")
def _fq_vars_grad(op):
    _with_rank(op.inputs[2].shape, 0, "min", op)
    _with_rank(op.inputs[3].shape, 0, "max", op)
    return [si.merge(op.inputs[0].shape, op.inputs[1].shape), TensorShape([]), TensorShape([])]


def _per_channel(op, x, mn, mx):
    if x.ndims is not None and x.ndims < 1:
        raise ValueError("Shape must be at least rank 1 but is rank 0 for '{{node %s}} = %s[]'" % (op.name, op.type))
    _with_rank(mn, 1, "min", op)
    _with_rank(mx, 1, "max", op)
    depth = x.dims[-1] if x.ndims is not None else None
    depth = _merge_dim(depth, mn.dims[0] if mn.ndims is not None else None, op)
    depth = _merge_dim(depth, mx.dims[0] if mx.ndims is not None else None, op)
    return depth


@si.register("FakeQuantWithMinMaxVarsPerChannel")
def _fq_per_channel(op):
    _per_channel(op, op.inputs[0].shape, op.inputs[1].shape, op.inputs[2].shape)
    return [op.inputs[0].shape]


@si.register("FakeQuantWithMinMaxVarsPerChannelGradient")
def _fq_per_channel_grad(op):
    x = si.merge(op.inputs[0].shape, op.inputs[1].shape)
    depth = _per_channel(op, x, op.inputs[2].shape, op.inputs[3].shape)
    return [x, TensorShape([depth]), TensorShape([depth])]


def _qdq_range(op, x, mn, mx):
    axis = op.get_attr("axis")
    if axis < -1:
        raise ValueError("axis should be at least -1, got %d for '{{node %s}} = %s[]'" % (axis, op.name, op.type))
    rank = 0 if axis == -1 else 1
    _with_rank(mn, rank, "input_min", op)
    _with_rank(mx, rank, "input_max", op)
    if axis != -1 and x.ndims is not None:
        if x.ndims < axis + 1:
            raise ValueError("Shape must be at least rank %d but is rank %d for '{{node %s}} = %s[]'"
                             % (axis + 1, x.ndims, op.name, op.type))
        depth = _merge_dim(x.dims[axis], mn.dims[0] if mn.ndims is not None else None, op)
        _merge_dim(depth, mx.dims[0] if mx.ndims is not None else None, op)


@si.register("QuantizeAndDequantizeV2", "QuantizeAndDequantizeV4")
def _qdq(op):
    _qdq_range(op, op.inputs[0].shape, op.inputs[1].shape, op.inputs[2].shape)
    return [op.inputs[0].shape]


@si.register("QuantizeAndDequantizeV3")
def _qdq_v3(op):
    _qdq_range(op, op.inputs[0].shape, op.inputs[1].shape, op.inputs[2].shape)
    _with_rank(op.inputs[3].shape, 0, "num_bits", op)
    return [op.inputs[0].shape]


@si.register("QuantizeAndDequantizeV4Grad")
def _qdq_v4_grad(op):
    x = si.merge(op.inputs[0].shape, op.inputs[1].shape)
    _qdq_range(op, x, op.inputs[2].shape, op.inputs[3].shape)
    return [x, op.inputs[2].shape, op.inputs[3].shape]
