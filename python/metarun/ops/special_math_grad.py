"""Gradients of the special_math kernel family, as TF's math_grad.py defines them.

Inverse hyperbolics, digamma, erfinv and ndtri differentiate through their outputs or
polygamma; Igamma/Igammac through IgammaGradA (the a-derivative) and the density in x;
Betainc, Zeta and Polygamma only in their last argument (None for the others, as TF);
Xlogy, Xdivy, Xlog1py and MulNoNan keep TF's zero-safe forms (and, like TF's, take no
complex conjugates). Broadcast inputs reduce their
gradients the way math_grad's binary ops do. NextAfter and ApproximateEqual have none
(registered in math_grad)."""

import numpy as np

from metarun.framework.op_builder import apply_op, constant
from metarun.ops import math_ops
from metarun.ops.gradients_impl import RegisterGradient
from metarun.ops.math_grad import _reduce_both


def _const_like(x, value):
    return constant(np.array(value, x.dtype.base_dtype.as_numpy_dtype))


def _conj(x):
    return math_ops.conj(x) if x.dtype.base_dtype.is_complex else x


@RegisterGradient("Acosh")
def _acosh_grad(op, grad):
    y = op.outputs[0]
    with op.graph.control_dependencies([grad]):
        return grad / apply_op("Sinh", x=_conj(y))


@RegisterGradient("Asinh")
def _asinh_grad(op, grad):
    y = op.outputs[0]
    with op.graph.control_dependencies([grad]):
        return grad / apply_op("Cosh", x=_conj(y))


@RegisterGradient("Atanh")
def _atanh_grad(op, grad):
    x = op.inputs[0]
    with op.graph.control_dependencies([grad]):
        x = _conj(x)
        inv = apply_op("Reciprocal", x=apply_op("Sub", x=_const_like(x, 1), y=apply_op("Square", x=x)))
        return grad * inv


@RegisterGradient("Digamma")
def _digamma_grad(op, grad):
    x = op.inputs[0]
    with op.graph.control_dependencies([grad]):
        return grad * apply_op("Polygamma", a=_const_like(x, 1), x=_conj(x))


@RegisterGradient("Erfinv")
def _erfinv_grad(op, grad):
    y = op.outputs[0]
    k = _const_like(y, np.sqrt(np.pi) / 2)
    with op.graph.control_dependencies([grad]):
        return grad * k * apply_op("Exp", x=apply_op("Square", x=y))


@RegisterGradient("Ndtri")
def _ndtri_grad(op, grad):
    y = op.outputs[0]
    k = _const_like(y, np.sqrt(2 * np.pi))
    with op.graph.control_dependencies([grad]):
        return grad * k * apply_op("Exp", x=apply_op("Square", x=y) / _const_like(y, 2.0))


def _igamma_partials(op, grad):
    a, x = op.inputs
    with op.graph.control_dependencies([grad]):
        partial_a = apply_op("IgammaGradA", a=a, x=x)
        # d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)
        log_density = (math_ops.negative(x) + (a - _const_like(a, 1)) * apply_op("Log", x=x)
                       - apply_op("Lgamma", x=a))
        partial_x = apply_op("Exp", x=log_density)
    return _reduce_both(a, x, partial_a * grad, partial_x * grad)


@RegisterGradient("Igamma")
def _igamma_grad(op, grad):
    return _igamma_partials(op, grad)


@RegisterGradient("Igammac")
def _igammac_grad(op, grad):
    ga, gx = _igamma_partials(op, grad)
    return math_ops.negative(ga), math_ops.negative(gx)


@RegisterGradient("Betainc")
def _betainc_grad(op, grad):
    a, b, x = op.inputs
    with op.graph.control_dependencies([grad]):
        one = _const_like(a, 1)
        log_beta = apply_op("Lgamma", x=a) + apply_op("Lgamma", x=b) - apply_op("Lgamma", x=a + b)
        # d/dx I_x(a, b) = x^(a-1) (1-x)^(b-1) / B(a, b)
        partial_x = apply_op("Exp", x=(b - one) * apply_op("Log1p", x=math_ops.negative(x))
                             + apply_op("Xlogy", x=a - one, y=x) - log_beta)
    _, gx = _reduce_both(a, x, None, partial_x * grad)
    return None, None, gx


@RegisterGradient("Zeta")
def _zeta_grad(op, grad):
    x, q = op.inputs
    with op.graph.control_dependencies([grad]):
        partial_q = math_ops.negative(x) * apply_op("Zeta", x=x + _const_like(x, 1), q=q)
    _, gq = _reduce_both(x, q, None, partial_q * grad)
    return None, gq


@RegisterGradient("Polygamma")
def _polygamma_grad(op, grad):
    n, x = op.inputs
    with op.graph.control_dependencies([grad]):
        partial_x = apply_op("Polygamma", a=n + _const_like(n, 1), x=x)
    _, gx = _reduce_both(n, x, None, partial_x * grad)
    return None, gx


def _nonzero(x):
    return math_ops.cast(math_ops.not_equal(x, _const_like(x, 0)), x.dtype.base_dtype)


@RegisterGradient("Xlogy")
def _xlogy_grad(op, grad):
    x, y = op.inputs
    with op.graph.control_dependencies([grad]):
        partial_x = apply_op("Xlogy", x=_nonzero(x), y=y)
        partial_y = apply_op("Xdivy", x=x, y=y)
    return _reduce_both(x, y, partial_x * grad, partial_y * grad)


@RegisterGradient("Xlog1py")
def _xlog1py_grad(op, grad):
    x, y = op.inputs
    with op.graph.control_dependencies([grad]):
        partial_x = apply_op("Xlog1py", x=_nonzero(x), y=y)
        partial_y = apply_op("Xdivy", x=x, y=y + _const_like(y, 1))
    return _reduce_both(x, y, partial_x * grad, partial_y * grad)


@RegisterGradient("Xdivy")
def _xdivy_grad(op, grad):
    x, y = op.inputs
    with op.graph.control_dependencies([grad]):
        partial_x = apply_op("Xdivy", x=_nonzero(x), y=y)
        partial_y = apply_op("Xdivy", x=math_ops.negative(x), y=apply_op("Square", x=y))
    return _reduce_both(x, y, partial_x * grad, partial_y * grad)


@RegisterGradient("MulNoNan")
def _mul_no_nan_grad(op, grad):
    x, y = op.inputs
    return _reduce_both(x, y, apply_op("MulNoNan", x=grad, y=y), apply_op("MulNoNan", x=x, y=grad))
