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


# -- While / StatelessWhile ---------------------------------------------------------------------
#
# The gradient recomputes the loop once more with the loop variables of every iteration pushed
# onto TensorLists (an accumulating copy of the forward op: the forward op itself is left as
# TF wrote it), then runs a backward loop as many times, popping each iteration's variables and
# differentiating the body at them (the body inlined and handed to tf.gradients). Resource
# variables the body reads are loop invariants; their gradients are summed over the iterations.

def _differentiable(t):
    """Values a loop's gradient flows through: floats, complex, and variants (TensorLists: the
    outputs a dynamic_rnn's loop accumulates, whose gradients are lists too)."""
    dt = t.dtype.base_dtype
    return dt.is_floating or dt.is_complex or dt == dtypes.variant


@RegisterGradient("While")
@RegisterGradient("StatelessWhile")
def _while_grad(op, *out_grads):
    from metarun.ops import array_ops, gradients_impl, math_ops
    from metarun.framework.constant_op import constant

    attrs = op._node_def.attr
    cond_f, body_f = _func(attrs["cond"].func), _func(attrs["body"].func)
    inputs = list(op.inputs)
    n = len(inputs)
    is_res = [t.dtype.base_dtype == dtypes.resource for t in inputs]
    stored = [k for k in range(n) if not is_res[k]]           # pushed every iteration
    diff = [k for k in range(n) if _differentiable(op.outputs[k])]  # ys of the body's gradient
    res = [k for k in range(n) if is_res[k]]
    res_types = [_zeros_dtype(inputs[k]) for k in res]
    base = op.name.replace("/", "_")

    # 1. The accumulating forward loop: vars..., one list per stored var, the trip count.
    lists = [apply_op("EmptyTensorList", element_shape=constant(-1), max_num_elements=constant(-1),
                      element_dtype=inputs[k].dtype.base_dtype) for k in stored]
    acc_inputs = inputs + lists + [constant(0)]

    def acc_cond(*args):
        return function_library.inline(cond_f, list(args[:n]), name="cond")[0]

    def acc_body(*args):
        xs, ls, count = list(args[:n]), list(args[n:n + len(stored)]), args[-1]
        ls = [apply_op("TensorListPushBack", input_handle=l, tensor=xs[k], element_dtype=xs[k].dtype.base_dtype)
              for l, k in zip(ls, stored)]
        ys = function_library.inline(body_f, xs, name="body")
        return list(ys) + ls + [count + 1]

    sig = [(t.dtype.base_dtype, None) for t in acc_inputs]
    acc = apply_op(op.type, input=acc_inputs, T=[t.dtype.base_dtype for t in acc_inputs],
                   cond=function_library.trace(acc_cond, sig, name=base + "_acc_cond"),
                   body=function_library.trace(acc_body, sig, name=base + "_acc_body"),
                   parallel_iterations=attrs["parallel_iterations"].i)
    acc_lists, trips = list(acc[n:n + len(stored)]), acc[-1]

    # 2. The backward loop: count, gradients of the vars, the lists, resources, their sums.
    dvars = []
    for k in range(n):
        g = out_grads[k]
        if is_res[k]:
            continue
        if g is None or k not in diff:
            g = array_ops.zeros_like(op.outputs[k])
        dvars.append(g)
    res_sums = [array_ops.zeros_like(apply_op("ReadVariableOp", resource=inputs[k], dtype=dt))
                for k, dt in zip(res, res_types)]
    res_handles = [inputs[k] for k in res]
    back_inputs = [trips] + dvars + acc_lists + res_handles + res_sums
    nd, nl, nr = len(dvars), len(acc_lists), len(res)

    def back_cond(*args):
        return math_ops.greater(args[0], 0)

    def back_body(*args):
        count = args[0]
        dv = list(args[1:1 + nd])
        ls = list(args[1 + nd:1 + nd + nl])
        handles = list(args[1 + nd + nl:1 + nd + nl + nr])
        sums = list(args[1 + nd + nl + nr:])
        xs = [None] * n
        new_ls = []
        for l, k in zip(ls, stored):
            l, x = apply_op("TensorListPopBack", input_handle=l, element_shape=constant(-1),
                            element_dtype=inputs[k].dtype.base_dtype)
            new_ls.append(l)
            xs[k] = x
        for h, k in zip(handles, res):
            xs[k] = h
        ys = function_library.inline(body_f, xs, name="body")
        ys_d = [ys[k] for k in diff]
        dys = [dv[stored.index(k)] for k in diff]
        grads = gradients_impl.gradients(ys_d, xs, grad_ys=dys) if diff else [None] * n
        new_dv = []
        for k in stored:
            g = grads[k]
            if g is not None and not hasattr(g, "op"):
                g = math_ops.unsorted_segment_sum(g.values, g.indices, array_ops.shape(xs[k])[0])
            new_dv.append(g if g is not None else array_ops.zeros_like(xs[k]))
        new_sums = []
        for s, k in zip(sums, res):
            g = grads[k]
            if g is not None and not hasattr(g, "op"):
                g = math_ops.unsorted_segment_sum(g.values, g.indices, array_ops.shape(s)[0])
            new_sums.append(s + g if g is not None else s)
        return [count - 1] + new_dv + new_ls + handles + new_sums

    sig = [(t.dtype.base_dtype, None) for t in back_inputs]
    back = apply_op(op.type, input=back_inputs, T=[t.dtype.base_dtype for t in back_inputs],
                    cond=function_library.trace(back_cond, sig, name=base + "_grad_cond"),
                    body=function_library.trace(back_body, sig, name=base + "_grad_body"),
                    parallel_iterations=attrs["parallel_iterations"].i)
    back_dv = list(back[1:1 + nd])
    back_sums = list(back[1 + nd + nl + nr:])
    out = []
    for k in range(n):
        if is_res[k]:
            out.append(back_sums[res.index(k)])
        elif k in diff or _differentiable(inputs[k]):
            out.append(back_dv[stored.index(k)])
        else:
            out.append(None)
    return out
