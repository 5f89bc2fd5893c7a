"""Gradients of control flow v2 conditionals in graphs TF wrote (If/StatelessIf, Case/StatelessCase),
for tf.gradients on an imported graph.

TF rewrites the forward op to also return the branch intermediates its gradient needs. metarun
leaves the forward op as it is and gives each branch a gradient function that recomputes the
branch from its inputs (the branch body inlined, then differentiated by tf.gradients), traced
into the library: the gradient op is the same conditional over those functions, taking the
inputs and the gradients of the outputs. The values are TF's; the branch runs twice. Variant
outputs (the intermediates TF's own gradient added) take no gradient.
"""
from metarun.framework import dtypes, function_library, protos
from metarun.framework.op_builder import apply_op
from metarun.ops.gradients_impl import RegisterGradient, _zeros_dtype


def _branch_gradient(branch, inputs, keep, out_grads, tout, name):
    """A traced function (inputs..., kept output gradients...) -> input gradients, for `branch`."""
    from metarun.ops import array_ops, gradients_impl, math_ops

    def grad_fn(*args):
        xs, dys = list(args[:len(inputs)]), list(args[len(inputs):])
        ys = function_library.inline(branch, xs, name="forward")
        grads = gradients_impl.gradients([ys[k] for k in keep], xs, grad_ys=dys) if keep else [None] * len(xs)
        out = []
        for x, dx, dtype in zip(xs, grads, tout):
            if dx is not None and not hasattr(dx, "op"):  # IndexedSlices
                dx = math_ops.unsorted_segment_sum(dx.values, dx.indices, array_ops.shape(x)[0])
            if dx is None:
                if x.dtype.base_dtype == dtypes.resource:
                    dx = array_ops.zeros_like(apply_op("ReadVariableOp", resource=x, dtype=dtype))
                else:
                    dx = array_ops.zeros_like(x)
            out.append(dx)
        return out

    signature = [(t.dtype.base_dtype, t.shape) for t in inputs] + \
                [(g.dtype.base_dtype, g.shape) for g in out_grads]
    return function_library.trace(grad_fn, signature, name=name)


def _conditional_grad(op, out_grads, branches, selector):
    inputs = list(op.inputs[1:])
    tout = [_zeros_dtype(t) for t in inputs]
    keep = [k for k, t in enumerate(op.outputs) if t.dtype.base_dtype != dtypes.variant]
    kept_grads = [out_grads[k] for k in keep]
    fns = [_branch_gradient(b, inputs, keep, kept_grads, tout, "%s_grad_%d" % (op.name.replace("/", "_"), i))
           for i, b in enumerate(branches)]
    grads = apply_op(op.type, input=inputs + kept_grads, Tout=tout, **selector(op, fns))
    grads = grads if isinstance(grads, (list, tuple)) else [grads]
    return [None] + list(grads)


def _func(value):
    f = protos.NameAttrList()
    f.CopyFrom(value)
    return f


@RegisterGradient("If")
@RegisterGradient("StatelessIf")
def _if_grad(op, *out_grads):
    attrs = op._node_def.attr
    return _conditional_grad(
        op, out_grads, [_func(attrs["then_branch"].func), _func(attrs["else_branch"].func)],
        lambda op, fns: {"cond": op.inputs[0], "then_branch": fns[0], "else_branch": fns[1]})


@RegisterGradient("Case")
@RegisterGradient("StatelessCase")
def _case_grad(op, *out_grads):
    return _conditional_grad(
        op, out_grads, [_func(f) for f in op._node_def.attr["branches"].list.func],
        lambda op, fns: {"branch_index": op.inputs[0], "branches": fns})
