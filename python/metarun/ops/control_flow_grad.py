"""Gradients of TF1's (v1) cond ops, as TF builds them.

A cond's Merge sends its gradient back through a Switch on the same predicate (`cond_grad`), so
each branch's gradient ops run only when that branch ran; a branch's Switch joins the gradient
of its taken side with zeros for the other side in a Merge. Zeros standing for the gradient of a
Switch output no gradient reached are made behind a Switch too, so they exist only on the side
not taken. Gradients through while loops (Enter/Exit/NextIteration and the forward-value stacks)
are not built yet: tf.gradients through a tf.while_loop raises LookupError for the Exit op.
"""

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op
from metarun.ops import gradients_impl
from metarun.ops.control_flow_ops import _switch_ref_or_tensor, merge, switch


def _switch_grad(op, *grad):
    ctx = op._cf_context
    if ctx is not None and ctx.is_cond_context():
        zero_grad = grad[1 - ctx.branch]
        if zero_grad is None:
            if op._inputs[0].dtype.base_dtype == dtypes.resource:
                return merge([grad[ctx.branch]] * 2, name="cond_resource_grad")[0], None
            return None, None
        return merge(list(grad), name="cond_grad")[0], None
    if ctx is not None and ctx.is_while_context():
        raise LookupError("metarun does not build gradients of tf.while_loop yet (op %s)" % op.name)
    false_grad = switch(grad[0], op._inputs[1])[0]
    true_grad = switch(grad[1], op._inputs[1])[1]
    return merge([false_grad, true_grad])[0], None


def _merge_grad(op, grad, _):
    from metarun.ops import control_flow_ops, math_ops
    ctx = control_flow_ops.output_context(op._inputs[0].op)
    if ctx is not None and ctx.is_cond_context():
        return _switch_ref_or_tensor(grad, ctx.pred, name="cond_grad")
    if ctx is not None and ctx.is_while_context():
        raise LookupError("metarun does not build gradients of tf.while_loop yet (op %s)" % op.name)
    n = len(op._inputs)
    conds = [math_ops.equal(op.outputs[1], i) for i in range(n)]
    return [switch(grad, conds[i])[1] for i in range(n)]


def _zeros_like_outside_loop(op, index):
    """Zeros for output `index` of `op` no gradient reached; for a branch's Switch, made on the
    side not taken only (behind a Switch of its input and an Identity pivot)."""
    from metarun.ops import array_ops
    val = op.outputs[index]
    ctx = op._cf_context
    if op.type not in ("Switch", "RefSwitch") or ctx is None or not ctx.is_cond_context():
        return None
    switch_val = switch(op._inputs[0], ctx.pred)[1 - ctx.branch]
    pivot = apply_op("Identity", input=switch_val)
    g = graph_lib.get_default_graph()
    if val.dtype.base_dtype == dtypes.resource:
        with g.control_dependencies([pivot]):
            return array_ops.zeros(apply_op("VariableShape", input=switch_val), dtype=gradients_impl._resource_dtype(op))
    shape = apply_op("Shape", input=switch_val)
    with g.control_dependencies([pivot]):
        return array_ops.zeros(shape, dtype=val.dtype.base_dtype)


class _CondGradState(gradients_impl._NoControlFlow):
    """tf.gradients' control-flow hooks for graphs whose v1 control flow is conds only."""

    def zeros_like(self, op, index):
        z = _zeros_like_outside_loop(op, index)
        return z if z is not None else super().zeros_like(op, index)


def _state_factory(between_list, between):
    for op in between_list:
        if op._cf_context is not None:
            return _CondGradState()
    return None


def _install():
    # gradients_impl registered first versions of these; TF's, with contexts, replace them.
    for t in ("Switch", "RefSwitch"):
        gradients_impl._GRADIENTS[t] = _switch_grad
    for t in ("Merge", "RefMerge"):
        gradients_impl._GRADIENTS[t] = _merge_grad
    gradients_impl._GRADIENTS.setdefault("LoopCond", None)
    gradients_impl.set_control_flow_state_factory(_state_factory)


_install()
