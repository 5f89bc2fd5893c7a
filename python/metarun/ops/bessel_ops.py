"""tf.math.bessel_* and tf.math.special's Bessel functions and expint, each in its name scope as
TF builds them, with the gradients TF registers (in terms of the neighbouring Bessel functions)
and their static shapes."""

from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op
from metarun.ops import array_ops, math_ops
from metarun.ops.gradients_impl import RegisterGradient
from metarun.ops.scopes import name_scope


def _special(op_type, scope):
    def fn(x, name=None):
        with name_scope(name, scope, [x]):
            return apply_op(op_type, x=x)
    fn.__name__ = scope
    fn.__doc__ = "%s of x, elementwise (the %s op)." % (scope, op_type)
    return fn


bessel_i0 = _special("BesselI0", "bessel_i0")
bessel_i0e = _special("BesselI0e", "bessel_i0e")
bessel_i1 = _special("BesselI1", "bessel_i1")
bessel_i1e = _special("BesselI1e", "bessel_i1e")
bessel_k0 = _special("BesselK0", "bessel_k0")
bessel_k0e = _special("BesselK0e", "bessel_k0e")
bessel_k1 = _special("BesselK1", "bessel_k1")
bessel_k1e = _special("BesselK1e", "bessel_k1e")
bessel_j0 = _special("BesselJ0", "bessel_j0")
bessel_j1 = _special("BesselJ1", "bessel_j1")
bessel_y0 = _special("BesselY0", "bessel_y0")
bessel_y1 = _special("BesselY1", "bessel_y1")
expint = _special("Expint", "expint")

si.register("BesselI0", "BesselI0e", "BesselI1", "BesselI1e", "BesselK0", "BesselK0e", "BesselK1", "BesselK1e",
            "BesselJ0", "BesselJ1", "BesselY0", "BesselY1", "Expint")(lambda op: [op.inputs[0].shape])


def _register(op_type):
    """RegisterGradient for op_type, the gradient built after `grad` as TF does."""
    def wrap(partial):
        @RegisterGradient(op_type)
        def grad_fn(op, grad):
            with op.graph.control_dependencies([grad]):
                return grad * partial(op.inputs[0], op.outputs[0])
        return partial
    return wrap


def _where_zero(x, at_zero, elsewhere):
    return array_ops.where_v2(math_ops.equal(x, 0.), math_ops.cast(at_zero, x.dtype), elsewhere)




@RegisterGradient("Expint")
def _expint_grad(op, grad):
    x = op.inputs[0]
    with op.graph.control_dependencies([grad]):
        return grad * math_ops.exp(x) / x


_register("BesselI0")(lambda x, y: bessel_i1(x))
_register("BesselI0e")(lambda x, y: bessel_i1e(x) - math_ops.sign(x) * y)
_register("BesselI1")(lambda x, y: _where_zero(x, 1., bessel_i0(x) - math_ops.div(y, x)))
_register("BesselI1e")(lambda x, y: _where_zero(x, 0.5, bessel_i0e(x) - y * (math_ops.sign(x) +
                                                                              math_ops.reciprocal(x))))
_register("BesselK0")(lambda x, y: -bessel_k1(x))
_register("BesselK0e")(lambda x, y: y - bessel_k1e(x))
_register("BesselK1")(lambda x, y: -bessel_k0(x) - math_ops.div(y, x))
_register("BesselK1e")(lambda x, y: y * (1. - math_ops.reciprocal(x)) - bessel_k0e(x))
_register("BesselJ0")(lambda x, y: -bessel_j1(x))
_register("BesselJ1")(lambda x, y: _where_zero(x, 0.5, bessel_j0(x) - math_ops.div(y, x)))
_register("BesselY0")(lambda x, y: -bessel_y1(x))
_register("BesselY1")(lambda x, y: bessel_y0(x) - math_ops.div(y, x))
