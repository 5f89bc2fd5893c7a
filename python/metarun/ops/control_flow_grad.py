"""Gradients of TF1's (v1) control-flow ops, as TF builds them.

cond: a cond's Merge sends its gradient back through a Switch on the same predicate, so each
branch's gradient ops run only when that branch ran; a branch's Switch joins the gradient of its
taken side with zeros for the other side in a Merge. Inside a while loop the predicate of each
iteration comes from a stack the forward loop filled.

while: the gradient of an Exit enters the gradient loop (control_flow_state builds it); a loop
Switch is visited twice, first from its Exit (its gradient Merge is made with a placeholder back
edge) and then from the body (the back edge is set); a Merge's gradient goes out through a Switch
on the gradient loop's LoopCond; a loop variable's Enter gradient leaves through an Exit, and a
loop invariant's (a constant Enter) is summed over the iterations by an accumulator.
"""

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.indexed_slices import IndexedSlices
from metarun.framework.op_builder import apply_op
from metarun.ops import control_flow_ops as cf
from metarun.ops import gradients_impl
from metarun.ops.control_flow_ops import _switch_ref_or_tensor, merge, switch


def _switch_grad(op, *grad):
    g = graph_lib.get_default_graph()
    ctx = op._cf_context
    grad_ctx = g._cf_context
    if ctx is not None and ctx.is_while_context():
        merge_grad = grad_ctx.grad_state.switch_map.get(op)
        if merge_grad is not None:
            # Second visit, from the body: the Merge's back edge is the body's gradient.
            if grad[1] is not None:
                cf._add_next_and_back_edge(merge_grad, grad[1], enforce_shape_invariant=False)
            return None, None
        if grad[0] is not None:
            # First visit, from the Exit: both Merge inputs are its gradient until the second.
            merge_grad = merge([grad[0], grad[0]], name="b_switch")[0]
            grad_ctx.grad_state.switch_map[op] = merge_grad
            return merge_grad, None
        return None, None  # reached from the body only: the loop variable is not differentiable
    if ctx is not None and ctx.is_cond_context():
        zero_grad = grad[1 - ctx.branch]
        if zero_grad is None:
            if op._inputs[0].dtype.base_dtype == dtypes.resource:
                return merge([grad[ctx.branch]] * 2, name="cond_resource_grad")[0], None
            return None, None
        return merge(list(grad), name="cond_grad")[0], None
    false_grad = switch(grad[0], op._inputs[1])[0]
    true_grad = switch(grad[1], op._inputs[1])[1]
    return merge([false_grad, true_grad])[0], None


def _merge_grad(op, grad, _):
    from metarun.ops import math_ops
    g = graph_lib.get_default_graph()
    ctx = cf.output_context(op._inputs[0].op)
    grad_ctx = g._cf_context
    if ctx is not None and ctx.is_while_context():
        return _switch_ref_or_tensor(grad, grad_ctx.pivot)
    if ctx is not None and ctx.is_cond_context():
        pred = ctx.pred
        if grad_ctx is not None and grad_ctx.grad_state is not None:
            # A cond in a loop: each gradient iteration takes its forward iteration's predicate.
            state = grad_ctx.grad_state
            real_pred = state.history_map.get(pred.name)
            if real_pred is None:
                gctx = state.grad_context
                gctx.exit()
                try:
                    history = state.add_forward_accumulator(pred)
                finally:
                    gctx.enter()
                real_pred = state.add_backprop_accumulated_value(history, pred)
                state.history_map[pred.name] = real_pred
            pred = real_pred
        return _switch_ref_or_tensor(grad, pred, name="cond_grad")
    n = len(op._inputs)
    conds = [math_ops.equal(op.outputs[1], i) for i in range(n)]
    return [switch(grad, conds[i])[1] for i in range(n)]


def _exit_grad(op, grad):
    g = graph_lib.get_default_graph()
    op_ctx = op._cf_context
    grad_ctx = g._cf_context
    if not grad_ctx.back_prop:
        return None
    if op_ctx.grad_state is not None:
        raise TypeError("Second-order gradient for while loops not supported.")
    if isinstance(grad, IndexedSlices):
        for t in (grad.values, grad.indices) + ((grad.dense_shape,) if grad.dense_shape is not None else ()):
            grad_ctx.add_name(t.name)
    else:
        grad_ctx.add_name(grad.name)
    grad_ctx.enter()
    try:
        if isinstance(grad, IndexedSlices):
            values = cf._enter(grad.values, grad_ctx.name, is_constant=False,
                               parallel_iterations=grad_ctx.parallel_iterations, name="b_exit")
            grad_ctx.loop_enters.append(values)
            indices = cf._enter(grad.indices, grad_ctx.name, is_constant=False,
                                parallel_iterations=grad_ctx.parallel_iterations, name="b_exit")
            grad_ctx.loop_enters.append(indices)
            dense_shape = None
            if grad.dense_shape is not None:
                dense_shape = cf._enter(grad.dense_shape, grad_ctx.name, is_constant=False,
                                        parallel_iterations=grad_ctx.parallel_iterations, name="b_exit")
                grad_ctx.loop_enters.append(dense_shape)
            return IndexedSlices(values, indices, dense_shape)
        result = cf._enter(grad, grad_ctx.name, is_constant=False,
                           parallel_iterations=grad_ctx.parallel_iterations, name="b_exit")
        grad_ctx.loop_enters.append(result)
        return result
    finally:
        grad_ctx.exit()


def _next_iteration_grad(_, grad):
    return grad


def _enter_grad(op, grad):
    g = graph_lib.get_default_graph()
    grad_ctx = g._cf_context
    if grad_ctx is None or not grad_ctx.back_prop or grad_ctx.grad_state is None:
        return grad  # differentiating the body alone, within one iteration
    if op.get_attr("is_constant"):
        if isinstance(grad, IndexedSlices):
            return grad_ctx.add_backprop_indexed_slices_accumulator(op, grad)
        if isinstance(grad, graph_lib.Tensor):
            return grad_ctx.add_backprop_accumulator(op, grad)
        raise TypeError("Type %s not supported" % type(grad))
    result = cf.exit(grad)
    grad_ctx.loop_exits.append(result)
    grad_ctx.exit_result([result])
    return result


def _install():
    # gradients_impl registered cond-only versions of these; these replace them.
    for t in ("Switch", "RefSwitch"):
        gradients_impl._GRADIENTS[t] = _switch_grad
    for t in ("Merge", "RefMerge"):
        gradients_impl._GRADIENTS[t] = _merge_grad
    for t in ("Exit", "RefExit"):
        gradients_impl._GRADIENTS[t] = _exit_grad
    for t in ("NextIteration", "RefNextIteration"):
        gradients_impl._GRADIENTS[t] = _next_iteration_grad
    for t in ("Enter", "RefEnter"):
        gradients_impl._GRADIENTS[t] = _enter_grad
    gradients_impl._GRADIENTS["LoopCond"] = None
    gradients_impl._GRADIENTS["ControlTrigger"] = None
    gradients_impl._GRADIENTS["StackV2"] = None
    gradients_impl._GRADIENTS["StackPushV2"] = None
    gradients_impl._GRADIENTS["StackPopV2"] = None


_install()
