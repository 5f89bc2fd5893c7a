"""tf.group, tf.tuple and (v1) cond / while_loop."""

import builtins

from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op
from metarun.ops.scopes import name_scope


def group(*inputs, **kwargs):
    """A NoOp that runs after every input (TF groups them by device first)."""
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError("Unknown keyword arguments: " + ", ".join(kwargs.keys()))
    flat = []
    for x in inputs:
        if isinstance(x, (list, builtins.tuple)):
            flat.extend(x)
        else:
            flat.append(x)
    ops = []
    for x in flat:
        if x is None:
            continue
        op = x if isinstance(x, graph_lib.Operation) else getattr(x, "op", None)
        if op is None:
            raise TypeError("Expected a tf.Operation, got %r" % (x,))
        if op not in ops:
            ops.append(op)
    with name_scope(name, "group_deps", flat) as name:
        by_device = {}
        for op in ops:
            by_device.setdefault(op.device, []).append(op)
        if len(by_device) <= 1:
            g = graph_lib.get_default_graph()
            with g.control_dependencies(ops):
                return apply_op("NoOp", name=name)
        deps = []
        for dev in sorted(by_device):
            g = graph_lib.get_default_graph()
            with g.device(dev), g.control_dependencies(by_device[dev]):
                deps.append(apply_op("NoOp"))
        with graph_lib.get_default_graph().control_dependencies(deps):
            return apply_op("NoOp", name=name)


# -- v1 control flow: contexts ---------------------------------------------------------------------
# Ops created while a context is active belong to it; an input from outside is brought in through
# a Switch on the predicate (cond) or an Enter into the frame (while), created once per value.

class _Context(object):
    def __init__(self, graph):
        self.graph = graph
        self.outer = graph._cf_context
        self.values = set()
        self.external = {}
        self._busy = False

    def enter(self):
        self.graph._cf_context = self

    def exit(self):
        self.graph._cf_context = self.outer

    def has(self, t):
        return t in self.values

    def add_op(self, op):
        op._cf_context = self
        if self._busy:
            self.values.update(op.outputs)
            return
        for i, t in enumerate(op._inputs):
            if not self.has(t):
                op._inputs[i] = self.add_value(t)
        if not op._inputs:
            self._pin_inputless(op)
        self.values.update(op.outputs)

    def add_value(self, t):
        if self.has(t):
            return t
        if t in self.external:
            return self.external[t]
        if self.outer is not None:
            t = self.outer.add_value(t)
        self._busy = True
        try:
            with self.graph.control_dependencies(None):
                real = self._bring_in(t)
        finally:
            self._busy = False
        self.external[t] = real
        self.values.add(real)
        return real


class CondContext(_Context):
    def __init__(self, graph, pred, pivot, branch):
        super().__init__(graph)
        self.pred, self.pivot, self.branch = pred, pivot, branch
        self.values.update([pred, pivot])

    def _bring_in(self, t):
        return _switch(t, self.pred)[self.branch]

    def _pin_inputless(self, op):
        if self.pivot.op not in op._control_inputs:
            op._control_inputs.append(self.pivot.op)


class WhileContext(_Context):
    def __init__(self, graph, frame_name, parallel_iterations):
        super().__init__(graph)
        self.frame_name, self.parallel_iterations = frame_name, parallel_iterations
        self.pivot = None

    def _bring_in(self, t):
        op = "RefEnter" if t.dtype.is_ref_dtype else "Enter"
        return apply_op(op, data=t, frame_name=self.frame_name, is_constant=True,
                        parallel_iterations=self.parallel_iterations)

    def _pin_inputless(self, op):
        if not op._control_inputs and self.pivot is not None and self.pivot.op not in op._control_inputs:
            op._control_inputs.append(self.pivot.op)


def _switch(data, pred, name="Switch"):
    g = graph_lib.get_default_graph()
    with g.colocate_with(data.op, ignore_existing=True):
        return apply_op("RefSwitch" if data.dtype.is_ref_dtype else "Switch", data=data, pred=pred, name=name)


def _flatten(struct):
    if isinstance(struct, (list, builtins.tuple)):
        out = []
        for s in struct:
            out.extend(_flatten(s))
        return out
    if isinstance(struct, dict):
        out = []
        for k in sorted(struct):
            out.extend(_flatten(struct[k]))
        return out
    return [struct]


def _pack_as(struct, flat):
    it = iter(flat)

    def build(s):
        if isinstance(s, (list, builtins.tuple)):
            items = [build(x) for x in s]
            if hasattr(s, "_fields"):
                return type(s)(*items)
            return type(s)(items)
        if isinstance(s, dict):
            return {k: build(s[k]) for k in sorted(s)}
        return next(it)
    return build(struct)


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """TF1's tf.cond: both branches built, each in its own CondContext, joined by Merge."""
    from metarun.framework.op_builder import convert_to_tensor
    true_fn = true_fn or fn1
    false_fn = false_fn or fn2
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("true_fn and false_fn must be callable.")
    g = graph_lib.get_default_graph()
    with name_scope(name, "cond", [pred]):
        pred = convert_to_tensor(pred)
        p_2, p_1 = _switch_plain(pred, pred)
        pivot_t = apply_op("Identity", input=p_1, name="switch_t")
        pivot_f = apply_op("Identity", input=p_2, name="switch_f")
        pred_id = apply_op("Identity", input=pred, name="pred_id")
        results = []
        for branch, pivot, fn in ((1, pivot_t, true_fn), (0, pivot_f, false_fn)):
            ctx = CondContext(g, pred_id, pivot, branch)
            ctx.enter()
            try:
                out = fn()
                if out is None:
                    raise ValueError("true_fn and false_fn must have a return value.")
                flat = []
                for v in _flatten(out):
                    if isinstance(v, graph_lib.Operation):
                        with g.control_dependencies([v]):
                            v = apply_op("Identity", input=pivot)
                    else:
                        v = convert_to_tensor(v)
                        v = ctx.add_value(v) if not ctx.has(v) else v
                    flat.append(v)
            finally:
                ctx.exit()
            results.append((out, flat))
        (out_t, flat_t), (_, flat_f) = results
        if len(flat_t) != len(flat_f):
            raise ValueError("true_fn and false_fn must return the same number of values")
        merges = [apply_op("Merge", inputs=[f, t])[0] for t, f in zip(flat_t, flat_f)]
        if not isinstance(out_t, (list, builtins.tuple, dict)) and len(merges) == 1 and not strict:
            return merges[0]
        return _pack_as(out_t, merges)


def _switch_plain(data, pred):
    return apply_op("Switch", data=data, pred=pred)


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10, back_prop=True,
               swap_memory=False, name=None, maximum_iterations=None, return_same_structure=False):
    """TF1's tf.while_loop: Enter/Merge/LoopCond/Switch/Identity/NextIteration/Exit in one frame."""
    from metarun.framework.op_builder import convert_to_tensor
    from metarun.ops import math_ops
    if not callable(cond) or not callable(body):
        raise TypeError("cond and body must be callable.")
    g = graph_lib.get_default_graph()
    single = not isinstance(loop_vars, (list, builtins.tuple, dict))
    user_vars = [loop_vars] if single else loop_vars

    def call_cond(lv):
        return cond(*lv) if not isinstance(lv, dict) else cond(lv)

    def call_body(lv):
        out = body(*lv) if not isinstance(lv, dict) else body(lv)
        return [out] if single else out

    structure = user_vars
    if maximum_iterations is not None:
        structure = [0, user_vars]
        run_cond, run_body = call_cond, call_body

        def call_cond(lv):  # noqa: F811 -- a counted loop
            return math_ops.logical_and(math_ops.less(lv[0], maximum_iterations), run_cond(lv[1]))

        def call_body(lv):  # noqa: F811
            return [lv[0] + 1, run_body(lv[1])]
    with name_scope(name, "while", _flatten(user_vars)) as scope:
        flat = [convert_to_tensor(v) for v in _flatten(structure)]
        frame = scope + "while_context"
        ctx = WhileContext(g, frame, parallel_iterations)
        ctx.enter()
        try:
            ctx._busy = True
            enters = [apply_op("RefEnter" if v.dtype.is_ref_dtype else "Enter", data=v, frame_name=frame,
                               is_constant=False, parallel_iterations=parallel_iterations) for v in flat]
            ctx._busy = False
            merges = [apply_op("Merge", inputs=[e, e])[0] for e in enters]
            ctx.pivot = merges[0]
            c = convert_to_tensor(call_cond(_pack_as(structure, merges)))
            loop_cond = apply_op("LoopCond", input=c)
            switches = [_switch(m, loop_cond) for m in merges]
            idents = [apply_op("Identity", input=sw[1]) for sw in switches]
            ctx.pivot = idents[0]
            body_out = call_body(_pack_as(structure, idents))
            result_flat = [convert_to_tensor(r) for r in _flatten(body_out)]
            if len(result_flat) != len(merges):
                raise ValueError("The two structures don't have the same number of elements: loop_vars has %d, "
                                 "body returned %d" % (len(merges), len(result_flat)))
            result_flat = [r if ctx.has(r) else ctx.add_value(r) for r in result_flat]
            nexts = [apply_op("NextIteration", data=r) for r in result_flat]
            for m, n in zip(merges, nexts):
                m.op._inputs[1] = n
            ctx._busy = True
            exits = [apply_op("RefExit" if sw[0].dtype.is_ref_dtype else "Exit", data=sw[0]) for sw in switches]
            ctx._busy = False
        finally:
            ctx._busy = False
            ctx.exit()
    out = _pack_as(body_out, exits)  # as TF: the structure the body returned
    if maximum_iterations is not None:
        out = out[1]
    if not return_same_structure and len(_flatten(out)) == 1:
        return _flatten(out)[0]
    return out


def tuple(tensors, name=None, control_inputs=None):  # noqa: A001 -- TF's name
    from metarun.ops.gradients_impl import _tuple
    return _tuple(list(tensors))


def with_dependencies(dependencies, output_tensor, name=None):
    g = graph_lib.get_default_graph()
    with name_scope(name, "control_dependency", list(dependencies) + [output_tensor]) as name:
        with g.colocate_with(output_tensor.op), g.control_dependencies(dependencies):
            return apply_op("Identity", input=output_tensor, name=name)
