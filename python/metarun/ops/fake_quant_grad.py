"""Gradients of the quantization-aware training ops, as TF registers them: the FakeQuant ops
through their *Gradient ops (which have none themselves), QuantizeAndDequantizeV2/V3 straight
through to the input, QuantizeAndDequantizeV4 through QuantizeAndDequantizeV4Grad."""

from metarun.ops import fake_quant_ops
from metarun.ops.gradients_impl import NotDifferentiable, RegisterGradient


def _bits(op):
    return dict(num_bits=op.get_attr("num_bits"), narrow_range=op.get_attr("narrow_range"))


@RegisterGradient("FakeQuantWithMinMaxArgs")
def _fake_quant_args_grad(op, grad):
    return fake_quant_ops.fake_quant_with_min_max_args_gradient(
        grad, op.inputs[0], min=op.get_attr("min"), max=op.get_attr("max"), **_bits(op))


@RegisterGradient("FakeQuantWithMinMaxVars")
def _fake_quant_vars_grad(op, grad):
    return fake_quant_ops.fake_quant_with_min_max_vars_gradient(
        grad, op.inputs[0], op.inputs[1], op.inputs[2], **_bits(op))


@RegisterGradient("FakeQuantWithMinMaxVarsPerChannel")
def _fake_quant_per_channel_grad(op, grad):
    return fake_quant_ops.fake_quant_with_min_max_vars_per_channel_gradient(
        grad, op.inputs[0], op.inputs[1], op.inputs[2], **_bits(op))


NotDifferentiable("FakeQuantWithMinMaxArgsGradient")
NotDifferentiable("FakeQuantWithMinMaxVarsGradient")
NotDifferentiable("FakeQuantWithMinMaxVarsPerChannelGradient")


@RegisterGradient("QuantizeAndDequantizeV2")
def _qdq_v2_grad(_, grad):
    return [grad, None, None]


@RegisterGradient("QuantizeAndDequantizeV3")
def _qdq_v3_grad(_, grad):
    return [grad, None, None, None]


def _qdq_v4_grad_op(op, grad):
    from metarun.framework.op_builder import apply_op
    return apply_op("QuantizeAndDequantizeV4Grad", gradients=grad, input=op.inputs[0], input_min=op.inputs[1],
                    input_max=op.inputs[2], axis=op.get_attr("axis"))


@RegisterGradient("QuantizeAndDequantizeV4")
def _qdq_v4_grad(op, grad):
    return _qdq_v4_grad_op(op, grad)


@RegisterGradient("QuantizeAndDequantizeV4Grad")
def _qdq_v4_grad_grad(op, grad):
    # TF registers this with one gradient argument for an op of three outputs, so calling it
    # raises TypeError there; the same signature here does the same.
    return _qdq_v4_grad_op(op, grad)
