"""The gradient of Einsum, as TF builds it: each operand's gradient is another einsum of the
output gradient with the other operand; labels summed away in the forward equation come back by
broadcasting; with an ellipsis, broadcast batch dimensions are summed back (BroadcastGradientArgs).

Labels summed over are taken in sorted order (TF takes a Python set's order, which depends on the
process's string hashing), so a graph with several summed labels per operand may name them in
another order than a given TF process; the values are the same."""

from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.ops import array_ops, math_ops
from metarun.ops.gradients_impl import RegisterGradient

_ELLIPSIS = "..."


def _axis_of(subscripts, label):
    """The axis of `label` in `subscripts`: from the left before an ellipsis, negative after it."""
    parts = subscripts.split(_ELLIPSIS)
    i = parts[0].find(label)
    if i != -1:
        return i
    if len(parts) < 2:
        return None
    i = parts[1].find(label)
    return i - len(parts[1]) if i != -1 else None


def _broadcast_span(subscripts):
    """(start, end) of the ellipsis's axes, `end` negative or None; (0, 0) without an ellipsis."""
    start = subscripts.find(_ELLIPSIS)
    if start == -1:
        return 0, 0
    remaining = len(subscripts) - (start + len(_ELLIPSIS))
    return start, (-remaining if remaining > 0 else None)


def _einsum(inputs, equation):
    return apply_op("Einsum", inputs=list(inputs), equation=equation)


def _grad_reduced(output_grad, output_subs, input_subs, input_shape, reduced):
    """The gradient of a one-operand einsum that sums away the labels `reduced`."""
    from metarun.ops.math_grad import reduced_shape
    reduced_subs = "".join(sorted(reduced))
    reduced_axes = [_axis_of(input_subs, s) for s in reduced_subs]
    reduced_dims = array_ops.stack([input_shape[ax] for ax in reduced_axes])
    repeated = len(set(input_subs)) + len(set(output_subs)) < len(input_subs) + len(output_subs)
    kept = "".join(s for s in input_subs if s not in reduced)
    if not repeated and kept == output_subs:
        shape = reduced_shape(input_shape, convert_to_tensor(reduced_axes))
        return array_ops.broadcast_to(array_ops.reshape(output_grad, shape), input_shape)
    with_reduced = array_ops.concat([reduced_dims, array_ops.shape(output_grad)], axis=0)
    ones_then_grad = array_ops.concat([array_ops.ones(len(reduced), dtype="int32"),
                                       array_ops.shape(output_grad)], axis=0)
    broadcast = array_ops.broadcast_to(array_ops.reshape(output_grad, ones_then_grad), with_reduced)
    return _einsum([broadcast], "{}->{}".format(reduced_subs + output_subs, input_subs))


def _grad_wrt(output_grad, other, input_shape, input_subs, other_subs, output_subs):
    """The gradient of a two-operand einsum with respect to the operand `input_subs` (before any
    un-broadcasting)."""
    reduced = set(input_subs).difference(set(output_subs + other_subs + "."))
    left = "".join(s for s in input_subs if s not in reduced)
    grad = _einsum([output_grad, other], "{},{}->{}".format(output_subs, other_subs, left))
    if not reduced:
        return grad
    return _grad_reduced(grad, left, input_subs, input_shape, reduced)


@RegisterGradient("Einsum")
def _einsum_grad(op, grad):
    equation = op.get_attr("equation")
    equation = equation.decode() if isinstance(equation, bytes) else equation
    input_subs, output_subs = equation.split("->")
    if len(op.inputs) == 1:
        input_shape = array_ops.shape(op.inputs[0])
        reduced = set(input_subs).difference(set(output_subs + _ELLIPSIS))
        if not reduced:
            return _einsum([grad], "{}->{}".format(output_subs, input_subs))
        return _grad_reduced(grad, output_subs, input_subs, input_shape, reduced)
    x_subs, y_subs = input_subs.split(",")
    if _ELLIPSIS in output_subs:
        if _ELLIPSIS not in x_subs:
            x_subs += _ELLIPSIS
        if _ELLIPSIS not in y_subs:
            y_subs += _ELLIPSIS
    x, y = op.inputs[0], op.inputs[1]
    if grad.dtype.is_complex:
        x, y = math_ops.conj(x), math_ops.conj(y)
    x_shape, y_shape = array_ops.shape(x), array_ops.shape(y)
    grad_x = _grad_wrt(grad, y, x_shape, x_subs, y_subs, output_subs)
    grad_y = _grad_wrt(grad, x, y_shape, y_subs, x_subs, output_subs)
    if _ELLIPSIS not in output_subs:
        return grad_x, grad_y
    bx_start, bx_end = _broadcast_span(x_subs)
    by_start, by_end = _broadcast_span(y_subs)
    xs, ys = x.shape, y.shape
    if xs.is_fully_defined() and ys.is_fully_defined() and xs[bx_start:bx_end] == ys[by_start:by_end]:
        return grad_x, grad_y
    rx, ry = apply_op("BroadcastGradientArgs", s0=x_shape[bx_start:bx_end], s1=y_shape[by_start:by_end])
    grad_x = array_ops.reshape(math_ops.reduce_sum(grad_x, bx_start + rx), x_shape)
    grad_y = array_ops.reshape(math_ops.reduce_sum(grad_y, by_start + ry), y_shape)
    return grad_x, grad_y
