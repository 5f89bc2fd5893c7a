"""Gradients of the bitwise_scan kernel family: the scans (Cumsum, Cumprod, CumulativeLogsumexp)
and the complex-part ops (Real, Imag, Conj, ComplexAbs), built from the same ops as TF's.

The bitwise ops, PopulationCount and Bucketize have no gradient (math_grad.py says so);
Bincount has none registered in TF either."""

from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op, constant
from metarun.ops import array_ops, math_ops
from metarun.ops.gradients_impl import RegisterGradient
from metarun.ops.scopes import name_scope


def _scan_attrs(op):
    return op.get_attr("exclusive"), op.get_attr("reverse")


@RegisterGradient("Cumsum")
def _cumsum_grad(op, grad):
    exclusive, reverse = _scan_attrs(op)
    return [math_ops.cumsum(grad, op.inputs[1], exclusive=exclusive, reverse=not reverse), None]


@RegisterGradient("Cumprod")
def _cumprod_grad(op, grad):
    x, axis = op.inputs[0], op.inputs[1]
    exclusive, reverse = _scan_attrs(op)
    prod = math_ops.cumprod(x, axis, exclusive=exclusive, reverse=reverse)
    out = math_ops.cumsum(prod * grad, axis, exclusive=exclusive, reverse=not reverse)
    return [math_ops.div_no_nan(out, x), None]


@RegisterGradient("CumulativeLogsumexp")
def _cumulative_logsumexp_grad(op, grad):
    # The gradient's positive and negative parts go through logs separately, which keeps the
    # reverse log-sum-exp stable; where a part is absent its log is the dtype's lowest value.
    x, axis, lse = op.inputs[0], op.inputs[1], op.outputs[0]
    exclusive, reverse = _scan_attrs(op)
    lowest = grad.dtype.min
    log_pos = array_ops.where_v2(math_ops.greater(grad, 0), math_ops.log(grad), lowest)
    log_neg = array_ops.where_v2(math_ops.less(grad, 0), math_ops.log(-grad), lowest)
    out_pos = math_ops.exp(math_ops.cumulative_logsumexp(log_pos - lse, axis=axis, reverse=not reverse,
                                                         exclusive=exclusive) + x)
    out_neg = math_ops.exp(math_ops.cumulative_logsumexp(log_neg - lse, axis=axis, reverse=not reverse,
                                                         exclusive=exclusive) + x)
    return [out_pos - out_neg, None]


def _complex(real, imag):
    """TF's math_ops.complex: the Complex op under a "Complex" scope."""
    with name_scope(None, "Complex", [real, imag]) as name:
        tout = dtypes.complex128 if real.dtype.base_dtype == dtypes.float64 else dtypes.complex64
        return apply_op("Complex", real=real, imag=imag, Tout=tout, name=name)


@RegisterGradient("Real")
def _real_grad(_, grad):
    return _complex(grad, constant(0, dtype=grad.dtype))


@RegisterGradient("Imag")
def _imag_grad(_, grad):
    return _complex(constant(0, dtype=grad.dtype), grad)


@RegisterGradient("Conj")
def _conj_grad(_, grad):
    return math_ops.conj(grad)


@RegisterGradient("ComplexAbs")
def _complex_abs_grad(op, grad):
    y = op.outputs[0]
    return math_ops.div_no_nan(_complex(grad, array_ops.zeros_like(grad)) * op.inputs[0],
                               _complex(y, array_ops.zeros_like(y)))
