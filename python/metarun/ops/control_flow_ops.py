"""tf.group, tf.tuple and TF1's (v1) control flow: tf.cond, tf.case and tf.while_loop.

v1 control flow is data flow: a cond routes each value it uses through a Switch on the predicate
and joins the two branches' results with Merge; a while loop runs in a frame entered through
Enter ops, where Merge joins the first and the next iteration's values (NextIteration), LoopCond
steers a Switch per loop variable, and Exit leaves the frame.

The Python side keeps TF's control-flow contexts: while a branch or a loop body is built, the
graph's `_cf_context` is its CondContext or WhileContext, and every op created there is handed
to it (`add_op`). A context brings a value from outside in once (a Switch, or a constant Enter)
and rewires the op to it; ops without inputs get the context's pivot as a control input, so
they run only when the branch or iteration does. Contexts carry the names of the values they
saw, as TF does, because the `cond_context` / `while_context` collections export them and the
gradient code asks which context an op was built in (`op._cf_context`).
"""

import builtins

from metarun.framework import dtypes, protos
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
            with g.control_dependencies(ops), g.device(ops[0].device if ops else ""):
                return apply_op("NoOp", name=name)
        deps = []
        for dev in sorted(by_device):
            g = graph_lib.get_default_graph()
            with g.device(dev), g.control_dependencies(by_device[dev]):
                deps.append(apply_op("NoOp"))
        with graph_lib.get_default_graph().control_dependencies(deps):
            return apply_op("NoOp", name=name)


# -- helpers shared by the contexts --------------------------------------------------------------

def _graph():
    return graph_lib.get_default_graph()


def _is_loop_exit(op):
    return op.type in ("Exit", "RefExit")


def _is_loop_constant_enter(op):
    return op.type in ("Enter", "RefEnter") and op.get_attr("is_constant")


def _is_loop_switch(op):
    if op.type not in ("Switch", "RefSwitch"):
        return False
    ctx = op._cf_context
    return ctx is not None and ctx.is_while_context() and not _is_loop_exit(op)


def output_context(op):
    """The context an op's outputs live in: an Exit's are outside its loop."""
    ctx = op._cf_context
    if ctx is not None and _is_loop_exit(op):
        ctx = ctx.outer_context
    return ctx


def _contains(ctx, outer):
    """Whether `ctx` is `outer` or nested in it."""
    while ctx is not outer:
        if ctx is None:
            return False
        ctx = ctx.outer_context
    return True


def _while_context_of(op):
    ctx = op._cf_context
    return ctx.get_while_context() if ctx is not None else None


def _as_flow(v):
    return v.flow if getattr(v, "_is_tensor_array", False) else v


def _from_flow(orig, t):
    """`t` as a TensorArray like `orig` (same handle, new flow) when `orig` is one."""
    if getattr(orig, "_is_tensor_array", False):
        return orig._with_flow(t)
    return t


class ControlFlowContext(object):
    """What conds and loops share: the outer context, the names of the values seen inside, and
    the inside stand-ins of outside values (`external`: name -> Tensor)."""

    def __init__(self):
        g = _graph()
        self._graph = g
        self._outer_context = g._cf_context
        self._context_stack = []
        self._values = set()
        self._external_values = {}
        self._nested_contexts = []
        if self._outer_context is not None:
            self._outer_context._nested_contexts.append(self)

    name = property(lambda self: self._name)
    outer_context = property(lambda self: self._outer_context)
    grad_state = property(lambda self: None)
    back_prop = property(lambda self: self._outer_context.back_prop if self._outer_context else False)

    def is_cond_context(self):
        return False

    def is_while_context(self):
        return False

    def get_while_context(self):
        return self._outer_context.get_while_context() if self._outer_context else None

    def enter(self):
        self._context_stack.append(self._graph._cf_context)
        self._graph._cf_context = self

    def exit(self):
        self._graph._cf_context = self._context_stack.pop()

    def add_name(self, name):
        self._values.add(name)

    def add_inner_op(self, op):
        if self._outer_context is not None:
            self._outer_context.add_inner_op(op)

    def add_op(self, op):
        op._cf_context = self
        self._add_op_internal(op)

    def exit_result(self, result):
        if self._outer_context is not None:
            for x in result:
                self._outer_context.add_name(x.name)

    def _remove_external_control_edges(self, op):
        """Drops control inputs from outside the enclosing loop; returns (kept, dropped)."""
        while_ctx = self.get_while_context()
        if while_ctx is None:
            return list(op._control_inputs), []
        internal, external = [], []
        for c in op._control_inputs:
            ctx = output_context(c)
            if ctx is not None and ctx.get_while_context() is while_ctx:
                internal.append(c)
            else:
                external.append(c)
        if len(internal) != len(op._control_inputs):
            op._control_inputs[:] = internal
        return internal, external

    # -- export / import (the `cond_context` and `while_context` collections) --
    def _values_def(self, proto, export_scope):
        proto.values.extend(_strip(v, export_scope) for v in sorted(self._values))
        for k, v in self._external_values.items():
            proto.external_values[_strip(k, export_scope)] = _strip(v.name, export_scope)

    def _init_values_from_proto(self, proto, import_scope):
        g = self._graph
        self._values = set(_prepend(v, import_scope) for v in proto.values)
        self._external_values = {}
        for k, v in proto.external_values.items():
            self._external_values[_prepend(k, import_scope)] = g.as_graph_element(_prepend(v, import_scope))
        own = set(v.split(":")[0] for v in self._values - set(self._external_values))
        for name in own:
            g.as_graph_element(name)._cf_context = self

    def _nested_to_proto(self, field, export_scope):
        for nested in self._nested_contexts:
            nested.to_control_flow_context_def(field.add(), export_scope)

    def _nested_from_proto(self, defs, import_scope):
        self.enter()
        try:
            for d in defs:
                from_control_flow_context_def(d, import_scope)
        finally:
            self.exit()

    def _init_from_proto_common(self):
        g = _graph()
        self._graph = g
        self._outer_context = g._cf_context
        self._context_stack = []
        self._nested_contexts = []
        if self._outer_context is not None:
            self._outer_context._nested_contexts.append(self)


def _strip(name, scope):
    from metarun.framework.variables import strip_name_scope
    return strip_name_scope(name, scope) if scope else name


def _prepend(name, scope):
    from metarun.framework.variables import prepend_name_scope
    return prepend_name_scope(name, scope) if scope else name


class CondContext(ControlFlowContext):
    """One branch of a tf.cond: the values it uses arrive through Switch outputs of its side."""

    def __init__(self, pred=None, pivot=None, branch=None, name="cond_text", context_def=None, import_scope=None):
        if context_def is not None:
            self._init_from_proto(context_def, import_scope)
            return
        super().__init__()
        self._name = self._graph.unique_name(name)
        self._pred, self._pivot, self._branch = pred, pivot, branch
        self._values.add(pred.name)
        self._external_values[pred.name] = pred
        self._values.add(pivot.name)
        pivot.op._cf_context = self

    pred = property(lambda self: self._pred)
    pivot = property(lambda self: self._pivot)
    branch = property(lambda self: self._branch)

    def is_cond_context(self):
        return True

    def get_control_pivot(self):
        return self._pivot

    def add_value(self, val):
        """The stand-in of `val` inside this branch (a Switch output, made once)."""
        if val.name in self._values:
            return self._external_values.get(val.name, val)
        self._values.add(val.name)
        result = val
        if self._outer_context is not None:
            result = self._outer_context.add_value(val)
            self._values.add(result.name)
            self._external_values[result.name] = result
        with self._graph.control_dependencies(None):
            result = _switch_ref_or_tensor(result, self._pred)[self._branch]
            if self._outer_context is not None:
                self._outer_context.add_inner_op(result.op)
        result.op._cf_context = self
        ctx = self
        while ctx is not None:
            ctx._values.add(result.name)
            ctx = ctx._outer_context
        self._external_values[val.name] = result
        return result

    def _add_op_internal(self, op):
        if not op._inputs:
            self._remove_external_control_edges(op)
            if not any(_contains(c._cf_context, self) for c in op._control_inputs):
                op._control_inputs.append(self._pivot.op)
        else:
            for i, x in enumerate(op._inputs):
                real = self.add_value(x)
                if real is not x:
                    op._inputs[i] = real
            self._remove_external_control_edges(op)
        names = [t.name for t in op._outputs]
        ctx = self
        while ctx is not None:
            ctx._values.update(names)
            ctx = ctx._outer_context
        if self._outer_context is not None:
            self._outer_context.add_inner_op(op)

    def _process_output_tensor(self, val):
        real = val
        if val.name not in self._values:
            self._values.add(val.name)
            if self._outer_context is not None:
                real = self._outer_context.add_value(val)
                self._values.add(real.name)
                self._external_values[real.name] = real
            real = _switch_ref_or_tensor(real, self._pred)[self._branch]
            self._external_values[val.name] = real
        else:
            real = self._external_values.get(val.name, real)
        return real

    def build_cond_branch(self, fn):
        """(what fn returned, its flat tensors as this branch outputs them)."""
        from metarun.framework.op_builder import convert_to_tensor
        original = fn()
        if original is None:
            return None, None
        out = []
        for v in _flatten(original):
            if isinstance(v, graph_lib.Operation):
                out.append(with_dependencies([v], self._pivot))
            else:
                out.append(self._process_output_tensor(convert_to_tensor(_as_flow(v))))
        return original, out

    def to_proto(self, export_scope=None):
        if export_scope and not self._name.startswith(export_scope):
            return None
        d = protos.CondContextDef()
        d.context_name = _strip(self._name, export_scope)
        d.pred_name = _strip(self._pred.name, export_scope)
        d.pivot_name = _strip(self._pivot.name, export_scope)
        d.branch = self._branch
        self._values_def(d.values_def, export_scope)
        self._nested_to_proto(d.nested_contexts, export_scope)
        return d

    def to_control_flow_context_def(self, proto, export_scope=None):
        proto.cond_ctxt.CopyFrom(self.to_proto(export_scope))

    def _init_from_proto(self, d, import_scope):
        self._init_from_proto_common()
        g = self._graph
        self._name = _prepend(d.context_name, import_scope)
        self._pred = g.as_graph_element(_prepend(d.pred_name, import_scope))
        self._pivot = g.as_graph_element(_prepend(d.pivot_name, import_scope))
        self._branch = d.branch
        self._init_values_from_proto(d.values_def, import_scope)
        self._nested_from_proto(d.nested_contexts, import_scope)

    @staticmethod
    def from_proto(context_def, import_scope=None):
        return CondContext(context_def=context_def, import_scope=import_scope)


class WhileContext(ControlFlowContext):
    """The frame of one tf.while_loop: outside values come in through constant Enters."""

    def __init__(self, maximum_iterations=None, parallel_iterations=10, back_prop=True, swap_memory=False,
                 name="while_context", grad_state=None, context_def=None, import_scope=None):
        if context_def is not None:
            self._init_from_proto(context_def, import_scope)
            return
        super().__init__()
        self._name = self._graph.unique_name(name)
        self._maximum_iterations = maximum_iterations
        self._parallel_iterations = parallel_iterations
        self._back_prop = back_prop
        self._swap_memory = swap_memory
        self._pivot_for_pred = self._pivot_for_body = self._pivot = None
        self._loop_exits, self._loop_enters = [], []
        self._grad_state = grad_state

    maximum_iterations = property(lambda self: self._maximum_iterations)
    parallel_iterations = property(lambda self: self._parallel_iterations)
    back_prop = property(lambda self: self._back_prop)
    swap_memory = property(lambda self: self._swap_memory)
    pivot = property(lambda self: self._pivot)
    loop_enters = property(lambda self: self._loop_enters)
    loop_exits = property(lambda self: self._loop_exits)
    grad_state = property(lambda self: self._grad_state)

    def is_while_context(self):
        return True

    def get_while_context(self):
        return self

    def get_control_pivot(self):
        return self._pivot_for_body if self._pivot_for_body is not None else self._pivot_for_pred

    def add_value(self, val):
        """The stand-in of `val` inside the loop: a constant Enter, made once (in a gradient
        loop, a forward value comes from the stack that saved it each iteration)."""
        if val.name in self._values or val.op._cf_context is self:
            return self._external_values.get(val.name, val)
        self._values.add(val.name)
        grad_ctx = self._graph._cf_context
        if grad_ctx is not None:
            grad_ctx = grad_ctx.get_while_context()
            if grad_ctx is not None and grad_ctx.grad_state is not None:
                forward = _while_context_of(val.op)
                if _is_loop_exit(val.op):
                    forward = forward.outer_context
                    if forward is not None:
                        forward = forward.get_while_context()
                if forward is grad_ctx.grad_state.forward_context:
                    real = grad_ctx.grad_state.get_real_value(val)
                    self._external_values[val.name] = real
                    return real
        result = val
        if self._outer_context is not None:
            result = self._outer_context.add_value(val)
        with self._graph.control_dependencies(None):
            enter = _enter(result, self._name, is_constant=True, parallel_iterations=self._parallel_iterations)
            if self._outer_context is not None:
                self._outer_context.add_inner_op(enter.op)
        self._fix_control_inputs_and_context([enter])
        self._values.add(enter.name)
        self._external_values[val.name] = enter
        return enter

    def _add_op_internal(self, op):
        external = []
        if not op._inputs:
            kept, _ = self._remove_external_control_edges(op)
            if not kept:
                op._control_inputs.append(self.get_control_pivot().op)
        else:
            for i, x in enumerate(op._inputs):
                real = self.add_value(x)
                if real is not x:
                    op._inputs[i] = real
            _, external = self._remove_external_control_edges(op)
            self._maybe_add_control_dependency(op)
        self._values.update(t.name for t in op._outputs)
        if external:
            # Control inputs from outside the loop become data through an Identity inside it.
            with self._graph.control_dependencies(None):
                self.enter()
                try:
                    from metarun.ops import array_ops
                    pulled = [array_ops.identity(x.outputs[0]).op for x in external if x.outputs]
                finally:
                    self.exit()
            op._control_inputs.extend(c for c in pulled if c not in op._control_inputs)
        if self._outer_context is not None:
            self._outer_context.add_inner_op(op)

    def _maybe_add_control_dependency(self, op):
        if op._control_inputs:
            return
        if all(_is_loop_constant_enter(x.op) for x in op._inputs):
            op._control_inputs.append(self.get_control_pivot().op)

    def _fix_control_inputs_and_context(self, enters):
        g = self._graph
        for e in enters:
            outer = []
            src = e.op._inputs[0].op
            for c in g._control_inputs_for([src]):
                keep = True
                c_ctx = output_context(c)
                o = self._outer_context
                o_while = o.get_while_context() if o is not None else None
                while o is not c_ctx:
                    if o is None or o is o_while:
                        keep = False
                        break
                    o = o.outer_context
                if keep:
                    outer.append(c)
            e.op._cf_context = self
            e.op._control_inputs.extend(c for c in outer if c not in e.op._control_inputs)
            for controller in g._control_dependencies:
                controller.seen.add(e.op)

    def build_loop(self, pred, body, loop_vars, shape_invariants, return_same_structure=False):
        from metarun.framework.op_builder import convert_to_tensor
        flat_orig = _flatten(loop_vars)
        flat = [convert_to_tensor(_as_flow(v)) for v in flat_orig]
        if shape_invariants is not None:
            invariants = [_as_shape(s) for s in _flatten_shapes(shape_invariants, loop_vars)]
        else:
            invariants = None
        self.enter()
        try:
            original_body_result, exits = self._build_loop(pred, body, loop_vars, flat_orig, flat, invariants)
        finally:
            self.exit()
        flat_result = _flatten(original_body_result)
        exits = [_from_flow(o, e) for o, e in zip(flat_result, exits)]
        packed = _pack_as(original_body_result, exits)
        if return_same_structure:
            return packed
        return packed[0] if len(exits) == 1 else packed

    def _build_loop(self, pred, body, loop_vars, flat_orig, flat, invariants):
        from metarun.framework.op_builder import convert_to_tensor
        g = self._graph
        self._values = set(v.name for v in flat)
        real_vars = flat
        if self._outer_context is not None:
            real_vars = [self._outer_context.add_value(v) for v in flat]
        with g.control_dependencies(None):
            enters = [_enter(v, self._name, is_constant=False, parallel_iterations=self._parallel_iterations,
                             use_input_shape=invariants is None) for v in real_vars]
            if self._outer_context is not None:
                for e in enters:
                    self._outer_context.add_inner_op(e.op)
        pivot = None
        o = self._outer_context
        while o is not None and pivot is None:
            pivot = o.get_control_pivot()
            o = o.outer_context
        if pivot is not None:
            for e in enters:
                if _is_loop_constant_enter(e.op._inputs[0].op) and pivot.op not in e.op._control_inputs:
                    e.op._control_inputs.append(pivot.op)
        if invariants is not None:
            for v, e, s in zip(real_vars, enters, invariants):
                if not _shape_less_or_equal(v.shape, s):
                    raise ValueError("The shape invariant specified for %s is not compatible with the initial "
                                     "shape of the loop variable. It enters the loop with shape %s, but the "
                                     "specified shape invariant is %s." % (v.name, v.shape, s))
                e.op._shapes = [s]
                e._shape = None
        self._fix_control_inputs_and_context(enters)
        self._values = set(e.name for e in enters)
        self._loop_enters = enters
        merges = [merge([e, e])[0] for e in enters]
        self._pivot_for_pred = merges[0]
        packed = _pack_as(loop_vars, [_from_flow(o, m) for o, m in zip(flat_orig, merges)])
        c = convert_to_tensor(pred(*packed) if isinstance(packed, (list, builtins.tuple)) else pred(packed))
        self._pivot = loop_cond(c, name="LoopCond")
        switches = [_switch_ref_or_tensor(m, self._pivot) for m in merges]
        body_vars = [apply_op("Identity", input=sw[1]) for sw in switches]
        self._pivot_for_body = body_vars[0]
        packed = _pack_as(loop_vars, [_from_flow(o, b) for o, b in zip(flat_orig, body_vars)])
        body_result = body(*packed) if isinstance(packed, (list, builtins.tuple)) else body(packed)
        if not isinstance(body_result, (list, builtins.tuple, dict)):
            body_result = [body_result]
        original_body_result = body_result
        result = [convert_to_tensor(_as_flow(v)) for v in _flatten(body_result)]
        if len(merges) != len(result):
            raise ValueError("Number of inputs and outputs of 'body' must match 'loop_vars'.")
        for m, v in zip(merges, result):
            _add_next_and_back_edge(m, v)
        exits = [exit(sw[0]) for sw in switches]
        self._loop_exits = exits
        self.exit_result(exits)
        return original_body_result, exits

    # -- what the gradient of a loop adds (see control_flow_state) ----------------------------------
    def add_op(self, op):
        """As the base, except that a Shape, Size or Rank a gradient loop takes of a forward value
        is built in the forward loop instead: the stack then saves the small result, not the
        tensor it was taken of."""
        if op.type in ("Shape", "Size", "Rank"):
            grad_ctx = self._graph._cf_context
            grad_ctx = grad_ctx.get_while_context() if grad_ctx is not None else None
            if grad_ctx is not None and grad_ctx.grad_state is not None:
                src = op._inputs[0].op
                if _while_context_of(src) is grad_ctx.grad_state.forward_context:
                    ctx = src._cf_context
                    op._cf_context = ctx
                    ctx._add_op_internal(op)
                    return
        op._cf_context = self
        self._add_op_internal(op)

    def add_forward_loop_counter(self, outer_grad_state):
        """A counter of this loop's iterations, added to it: (its Exit, its NextIteration)."""
        from metarun.framework.op_builder import constant
        from metarun.ops import math_ops
        n = constant(0, name="f_count")
        if outer_grad_state is not None:
            # The pushes of one run of an inner loop come before those of the next run.
            outer_add = outer_grad_state.forward_index.op._inputs[0].op
            n.op._control_inputs.append(outer_add)
        self.enter()
        try:
            self.add_name(n.name)
            enter_n = _enter(n, self._name, is_constant=False, parallel_iterations=self._parallel_iterations,
                             name="f_count")
            self._loop_enters.append(enter_n)
            merge_n = merge([enter_n, enter_n])[0]
            switch_n = switch(merge_n, self._pivot)
            index = math_ops.add(switch_n[1], 1)
            next_n = _next_iteration(index)
            _update_input(merge_n.op, 1, next_n)
            total = exit(switch_n[0], name="f_count")
            self._loop_exits.append(total)
            self.exit_result([total])
        finally:
            self.exit()
        return total, next_n

    def add_backprop_loop_counter(self, count, outer_grad_state):
        """This (gradient) loop's own counter, from `count` iterations down to zero; its
        LoopCond is the loop's pivot. Returns the counter's NextIteration."""
        from metarun.framework.op_builder import constant
        from metarun.ops import math_ops
        one = constant(1, name="b_count")
        self.enter()
        try:
            self.add_name(count.name)
            enter_count = _enter(count, self._name, is_constant=False,
                                 parallel_iterations=self._parallel_iterations, name="b_count")
            self._loop_enters.append(enter_count)
            merge_count = merge([enter_count, enter_count])[0]
            self._pivot_for_pred = merge_count
            pred = math_ops.greater_equal(merge_count, one)
            self._pivot = loop_cond(pred, name="b_count")
            switch_count = switch(merge_count, self._pivot)
            index = math_ops.subtract(switch_count[1], one)
            self._pivot_for_body = index
            next_count = _next_iteration(index)
            _update_input(merge_count.op, 1, next_count)
            final_zero = exit(switch_count[0], name="b_count")
            self._loop_exits.append(final_zero)
            if outer_grad_state is not None:
                # The pops of one run of an inner loop come before those of the next run.
                outer_grad_state.grad_sync._control_inputs.append(final_zero.op)
            self.exit_result([final_zero])
        finally:
            self.exit()
        return next_count

    def _zeros_for_accumulator(self, value, dtype):
        """Zeros shaped like forward `value`, made outside this gradient loop (its shape saved on a
        stack of the outer loop's gradient when this loop is nested in one)."""
        from metarun.ops import array_ops
        outer = self._outer_context
        if outer is not None and outer.is_while_context() and outer.grad_state is not None:
            forward = self._grad_state.forward_context
            forward.outer_context.enter()
            try:
                zeros_shape = apply_op("Shape", input=value)
            finally:
                forward.outer_context.exit()
            outer_grad_state = self._grad_state.outer_grad_state
            history = outer_grad_state.add_forward_accumulator(zeros_shape)
            outer.enter()
            try:
                real_shape = outer_grad_state.add_backprop_accumulated_value(history, zeros_shape)
                return array_ops.zeros(real_shape, dtype)
            finally:
                outer.exit()
        if outer is not None:
            outer.enter()
        try:
            return array_ops.zeros(apply_op("Shape", input=value), dtype)
        finally:
            if outer is not None:
                outer.exit()

    def add_backprop_accumulator(self, op, grad):
        """The sum over this gradient loop's iterations of `grad` (the gradient of the value a
        loop-invariant Enter `op` brought in): an accumulator loop variable, returned at its Exit."""
        from metarun.framework.op_builder import constant
        from metarun.ops import math_ops
        self.exit()
        shape = grad.shape
        if shape.is_fully_defined():
            if self._outer_context is not None:
                self._outer_context.enter()
            try:
                acc = constant(0, grad.dtype.base_dtype, shape=shape.as_list(), name="b_acc")
            finally:
                if self._outer_context is not None:
                    self._outer_context.exit()
        else:
            acc = self._zeros_for_accumulator(op._inputs[0], grad.dtype.base_dtype)
        self.enter()
        self.add_name(acc.name)
        enter_acc = _enter(acc, self._name, is_constant=False, parallel_iterations=self._parallel_iterations,
                           name="b_acc")
        self._loop_enters.append(enter_acc)
        merge_acc = merge([enter_acc, enter_acc], name="b_acc")[0]
        switch_false, switch_true = switch(merge_acc, self._pivot)
        add_acc = math_ops.add(switch_true, grad)
        _update_input(merge_acc.op, 1, _next_iteration(add_acc))
        result = exit(switch_false, name="b_acc")
        self._loop_exits.append(result)
        self.exit_result([result])
        return result

    def add_backprop_indexed_slices_accumulator(self, op, grad):
        """As add_backprop_accumulator for a sparse gradient: the slices of all iterations
        concatenated (after one zero row), the dense shape their maximum."""
        from metarun.framework.indexed_slices import IndexedSlices
        from metarun.framework.op_builder import constant
        from metarun.framework.tensor_shape import TensorShape
        from metarun.ops import array_ops, math_ops
        values, indices, dense_shape = grad.values, grad.indices, grad.dense_shape
        self.exit()
        outer = self._outer_context
        if outer is not None:
            outer.enter()
        try:
            if values.shape.is_fully_defined():
                values_acc = constant(0, values.dtype.base_dtype, shape=[1] + values.shape.as_list()[1:],
                                      name="b_acc")
            else:
                rest = apply_op("Shape", input=op._inputs[0])[1:]
                values_acc = array_ops.zeros(array_ops.concat([[1], rest], 0), dtype=values.dtype.base_dtype)
            indices_acc = constant([0], indices.dtype.base_dtype)
            shape_acc = None
            if dense_shape is not None:
                if dense_shape.shape.is_fully_defined():
                    shape_acc = constant(0, dense_shape.dtype.base_dtype, shape=dense_shape.shape.as_list())
                else:
                    shape_acc = array_ops.zeros_like(
                        apply_op("Shape", input=op._inputs[0], out_type=dense_shape.dtype.base_dtype),
                        optimize=False)
        finally:
            if outer is not None:
                outer.exit()
        self.enter()
        init = [indices_acc, values_acc] + ([shape_acc] if shape_acc is not None else [])
        for t in init:
            self.add_name(t.name)
        enters = [_enter(x, self._name, is_constant=False, parallel_iterations=self._parallel_iterations,
                         use_input_shape=False, name="b_acc") for x in init]
        enters[0].set_shape(TensorShape([None]))
        if values_acc.shape.ndims is not None:
            enters[1].set_shape(TensorShape([None] + values_acc.shape.as_list()[1:]))
        self._loop_enters.extend(enters)
        merges = [merge([x, x], name="b_acc")[0] for x in enters]
        switches = [switch(x, self._pivot) for x in merges]
        acc = [array_ops.concat([sw[1], v], 0) for sw, v in zip(switches[:2], [indices, values])]
        if shape_acc is not None:
            acc.append(math_ops.maximum(dense_shape, switches[2][1]))
        for m, a in zip(merges, acc):
            _update_input(m.op, 1, _next_iteration(a))
        exits = [exit(sw[0], name="b_acc") for sw in switches]
        self._loop_exits.extend(exits)
        self.exit_result(exits)
        return IndexedSlices(exits[1], exits[0], exits[2] if shape_acc is not None else None)

    def to_proto(self, export_scope=None):
        if export_scope and not self._name.startswith(export_scope):
            return None
        d = protos.WhileContextDef()
        d.context_name = _strip(self._name, export_scope)
        d.parallel_iterations = self._parallel_iterations
        if self._maximum_iterations is not None:
            d.maximum_iterations_name = _strip(self._maximum_iterations.name, export_scope)
        d.back_prop = self._back_prop
        d.swap_memory = self._swap_memory
        d.pivot_for_pred_name = _strip(self._pivot_for_pred.name, export_scope)
        d.pivot_for_body_name = _strip(self._pivot_for_body.name, export_scope)
        d.pivot_name = _strip(self._pivot.name, export_scope)
        d.loop_exit_names.extend(_strip(e.name, export_scope) for e in self._loop_exits)
        d.loop_enter_names.extend(_strip(e.name, export_scope) for e in self._loop_enters)
        self._values_def(d.values_def, export_scope)
        self._nested_to_proto(d.nested_contexts, export_scope)
        return d

    def to_control_flow_context_def(self, proto, export_scope=None):
        proto.while_ctxt.CopyFrom(self.to_proto(export_scope))

    def _init_from_proto(self, d, import_scope):
        self._init_from_proto_common()
        g = self._graph
        get = lambda n: g.as_graph_element(_prepend(n, import_scope))  # noqa: E731
        self._name = _prepend(d.context_name, import_scope)
        self._maximum_iterations = get(d.maximum_iterations_name) if d.maximum_iterations_name else None
        self._parallel_iterations = d.parallel_iterations
        self._back_prop = d.back_prop
        self._swap_memory = d.swap_memory
        self._pivot_for_pred = get(d.pivot_for_pred_name)
        self._pivot_for_body = get(d.pivot_for_body_name)
        self._pivot = get(d.pivot_name)
        self._loop_exits = [get(n) for n in d.loop_exit_names]
        self._loop_enters = [get(n) for n in d.loop_enter_names]
        self._grad_state = None
        self._init_values_from_proto(d.values_def, import_scope)
        for t in self._loop_enters:  # TF marks the loop's Enters as its own
            t.op._cf_context = self
        self._nested_from_proto(d.nested_contexts, import_scope)

    @staticmethod
    def from_proto(context_def, import_scope=None):
        return WhileContext(context_def=context_def, import_scope=import_scope)


def from_control_flow_context_def(d, import_scope=None):
    kind = d.WhichOneof("ctxt")
    if kind == "cond_ctxt":
        return CondContext.from_proto(d.cond_ctxt, import_scope)
    if kind == "while_ctxt":
        return WhileContext.from_proto(d.while_ctxt, import_scope)
    raise NotImplementedError("Unknown ControlFlowContextDef field: %s" % kind)


def _import_context(key, raw, import_scope=None):
    """A context of the `cond_context` / `while_context` collection, rebuilt from its bytes."""
    if key == graph_lib.GraphKeys.COND_CONTEXT:
        return CondContext.from_proto(protos.CondContextDef.FromString(raw), import_scope)
    return WhileContext.from_proto(protos.WhileContextDef.FromString(raw), import_scope)


def _as_shape(s):
    from metarun.framework.tensor_shape import TensorShape
    return s if isinstance(s, TensorShape) else TensorShape(s)


def _flatten_shapes(shape_invariants, loop_vars):
    """The invariants, one per flat loop variable (a shape is a leaf, not a structure)."""
    from metarun.framework.tensor_shape import TensorShape

    def walk(s, v):
        if isinstance(v, (list, builtins.tuple)) and not getattr(v, "_is_tensor_array", False):
            return [x for a, b in zip(s, v) for x in walk(a, b)]
        if isinstance(v, dict):
            return [x for k in sorted(v) for x in walk(s[k], v[k])]
        return [s if isinstance(s, TensorShape) else TensorShape(s)]
    return walk(shape_invariants, loop_vars)


def _shape_less_or_equal(a, b):
    if b.ndims is None:
        return True
    if a.ndims != b.ndims:
        return False
    return all(y is None or x == y for x, y in zip(a.dims, b.dims))


# -- the ops -------------------------------------------------------------------------------------

def switch(data, pred, dtype=None, name=None):
    """(output_false, output_true): `data` goes out on the side `pred` picks."""
    from metarun.framework.op_builder import convert_to_tensor
    with name_scope(name, "Switch", [data, pred]) as name:
        data = convert_to_tensor(data, dtype=dtype, name="data", as_ref=True)
        pred = convert_to_tensor(pred, name="pred")
        op = "RefSwitch" if data.dtype.is_ref_dtype else "Switch"
        return builtins.tuple(apply_op(op, data=data, pred=pred, name=name))


def _switch_ref_or_tensor(data, pred, name="Switch"):
    from metarun.framework.op_builder import convert_to_tensor
    data = convert_to_tensor(data, name="data")
    with _graph().colocate_with(data.op, ignore_existing=True):
        return switch(data, pred, name=name)


def merge(inputs, name=None):
    """(output, value_index): whichever input is alive."""
    from metarun.framework.op_builder import convert_to_tensor
    with name_scope(name, "Merge", inputs) as name:
        inputs = [convert_to_tensor(x, as_ref=True) for x in inputs]
        op = "RefMerge" if all(x.dtype.is_ref_dtype for x in inputs) else "Merge"
        return builtins.tuple(apply_op(op, inputs=inputs, name=name))


def _enter(data, frame_name, is_constant=False, parallel_iterations=10, use_ref=True, use_input_shape=True,
           name="Enter"):
    from metarun.framework.op_builder import convert_to_tensor
    data = convert_to_tensor(data, as_ref=True)
    op = "RefEnter" if data.dtype.is_ref_dtype and use_ref else "Enter"
    out = apply_op(op, data=data, frame_name=frame_name, is_constant=is_constant,
                   parallel_iterations=parallel_iterations, name=name)
    if not use_input_shape:
        from metarun.framework.tensor_shape import TensorShape
        out.op._shapes = [TensorShape(None)]
        out._shape = None
    return out


def exit(data, name=None):  # noqa: A001 -- TF's name
    from metarun.framework.op_builder import convert_to_tensor
    data = convert_to_tensor(data, as_ref=True)
    return apply_op("RefExit" if data.dtype.is_ref_dtype else "Exit", data=data, name=name)


def loop_cond(input, name=None):  # noqa: A002
    return apply_op("LoopCond", input=input, name=name)


def _add_next_and_back_edge(m, v, enforce_shape_invariant=True):
    """The NextIteration of `v`, made Merge `m`'s second input."""
    from metarun.framework.op_builder import convert_to_tensor
    v = convert_to_tensor(v)
    n = apply_op("NextIteration", data=v)
    if enforce_shape_invariant:
        m_shape, n_shape = m.shape, n.shape
        if not _shape_less_or_equal(n_shape, m_shape):
            enter = m.op._inputs[0].op
            src = enter._inputs[0] if enter._inputs else m
            raise ValueError("Input tensor '%s' enters the loop with shape %s, but has shape %s after one "
                             "iteration. To allow the shape to vary across iterations, use the "
                             "`shape_invariants` argument of tf.while_loop to specify a less-specific shape."
                             % (src.name, src.shape, n_shape))
    m.op._inputs[1] = n
    _refresh_merge_shape(m.op)
    return n


def _next_iteration(data, name=None):
    return apply_op("NextIteration", data=data, name=name)


def _update_input(op, index, t):
    """Rewires input `index` of `op` (made in this gradients call) to `t`."""
    op._inputs[index] = t
    if op.type in ("Merge", "RefMerge"):
        _refresh_merge_shape(op)


def control_trigger(name=None):
    return apply_op("ControlTrigger", name=name)


def _refresh_merge_shape(op):
    from metarun.framework import shape_inference
    shape_inference.infer(op)
    for t in op._outputs:
        t._shape = None


# -- public functions ----------------------------------------------------------------------------

def _flatten(struct):
    if getattr(struct, "_is_tensor_array", False):
        return [struct]
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
        if getattr(s, "_is_tensor_array", False):
            return next(it)
        if isinstance(s, (list, builtins.tuple)):
            items = [build(x) for x in s]
            if hasattr(s, "_fields"):
                return type(s)(*items)
            return type(s)(items)
        if isinstance(s, dict):
            return type(s)((k, build(s[k])) for k in sorted(s))
        return next(it)
    return build(struct)


def _unpack_if_singleton(res):
    if isinstance(res, (list, builtins.tuple)) and len(res) == 1:
        return res[0]
    return res


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """TF1's tf.cond: both branches are built, each in its own CondContext, joined by Merges."""
    from metarun.framework.op_builder import convert_to_tensor
    if fn1 is not None:
        if true_fn is not None:
            raise TypeError("cond(): true_fn and fn1 may not be set simultaneously.")
        true_fn = fn1
    if fn2 is not None:
        if false_fn is not None:
            raise TypeError("cond(): false_fn and fn2 may not be set simultaneously.")
        false_fn = fn2
    if not callable(true_fn):
        raise TypeError("true_fn must be callable.")
    if not callable(false_fn):
        raise TypeError("false_fn must be callable.")
    g = _graph()
    with name_scope(name, "cond", [pred]):
        if isinstance(pred, bool):
            raise TypeError("pred must not be a Python bool")
        p_2, p_1 = switch(pred, pred)
        pivot_1 = apply_op("Identity", input=p_1, name="switch_t")
        pivot_2 = apply_op("Identity", input=p_2, name="switch_f")
        pred = apply_op("Identity", input=pred, name="pred_id")
        branches = []
        for pivot, branch, fn, what in ((pivot_1, 1, true_fn, "true_fn"), (pivot_2, 0, false_fn, "false_fn")):
            ctx = CondContext(pred, pivot, branch)
            ctx.enter()
            try:
                orig, res = ctx.build_cond_branch(fn)
                if orig is None:
                    raise ValueError("'%s' must have a return value." % what)
                ctx.exit_result(res)
            finally:
                ctx.exit()
            branches.append((ctx, orig, res))
        (ctx_t, orig_t, res_t), (ctx_f, orig_f, res_f) = branches
        if not strict:
            orig_t, orig_f = _unpack_if_singleton(orig_t), _unpack_if_singleton(orig_f)
        if len(res_t) != len(res_f) or _structure(orig_t) != _structure(orig_f):
            raise ValueError("Incompatible return values of true_fn and false_fn: The two structures don't "
                             "have the same nested structure.")
        if not res_t:
            raise ValueError("'true_fn' and 'false_fn' must return at least one result.")
        for x, y in zip(res_t, res_f):
            if x.dtype.base_dtype != y.dtype.base_dtype:
                raise ValueError("Outputs of true_fn and false_fn must have the same type: %s, %s"
                                 % (x.dtype.name, y.dtype.name))
        merges = [merge([f, t])[0] for t, f in zip(res_t, res_f)]
        merges = [_from_flow(o, m) for o, m in zip(_flatten(orig_t), merges)]
        if ctx_t.outer_context is None:
            g.add_to_collection(graph_lib.GraphKeys.COND_CONTEXT, ctx_t)
            g.add_to_collection(graph_lib.GraphKeys.COND_CONTEXT, ctx_f)
        merges = _pack_as(orig_t, merges)
        if not strict:
            merges = _unpack_if_singleton(merges)
        return merges


def _structure(s):
    if getattr(s, "_is_tensor_array", False):
        return "."
    if isinstance(s, (list, builtins.tuple)):
        return [_structure(x) for x in s]
    if isinstance(s, dict):
        return {k: _structure(v) for k, v in s.items()}
    return "."


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """Nested conds, the first true predicate's function winning (TF1's tf.case)."""
    import functools
    from metarun.framework.op_builder import convert_to_tensor
    if isinstance(pred_fn_pairs, dict):
        pred_fn_pairs = list(pred_fn_pairs.items())
        if not exclusive:
            raise ValueError("Unordered dictionaries are not supported for the `pred_fn_pairs` argument "
                             "when `exclusive=False` and eager mode is enabled.")
    if not isinstance(pred_fn_pairs, (list, builtins.tuple)):
        raise TypeError("pred_fn_pairs must be a list, tuple, or dict. Received: %s" % pred_fn_pairs)
    predicates, actions = [], []
    for pair in pred_fn_pairs:
        if not isinstance(pair, builtins.tuple) or len(pair) != 2:
            raise TypeError("Each entry in pred_fn_pairs must be a 2-tuple. Received %s." % (pair,))
        pred, fn = pair
        if not hasattr(pred, "dtype") or pred.dtype.base_dtype.name != "bool":
            raise TypeError("pred must be Tensor of type bool: %s" % getattr(pred, "name", pred))
        if not callable(fn):
            raise TypeError("fn for pred %s must be callable." % pred.name)
        predicates.append(pred)
        actions.append(fn)
    with name_scope(name, "case", [predicates]):
        if default is None:
            default, predicates, actions = _case_default_action(predicates, actions)
        fn = default
        for predicate, action in reversed(list(zip(predicates, actions))):
            fn = functools.partial(cond, predicate, true_fn=action, false_fn=fn, strict=strict)
        if exclusive:
            with _graph().control_dependencies([_assert_at_most_n_true(predicates, 1,
                                                                       "Input error: exclusive=True")]):
                return fn()
        return fn()
    _ = convert_to_tensor


def _case_default_action(predicates, actions):
    k = len(predicates) - 1
    predicate, action = predicates[k], actions[k]
    others_p, others_a = predicates[:k], actions[:k]

    def default_action():
        from metarun.ops import array_ops
        others_msg = ("Implementation error: selected default action #%d was called, but some of other "
                      "predicates are True: " % k)
        default_msg = ("Input error: None of conditions evaluated as True:",
                       array_ops.stack(predicates, name="preds_c"))
        with _graph().control_dependencies([_assert_at_most_n_true(others_p, 0, others_msg),
                                            Assert(predicate, data=default_msg)]):
            return action()
    return default_action, others_p, others_a


def _assert_at_most_n_true(predicates, n, msg):
    from metarun.framework.op_builder import constant
    from metarun.ops import array_ops, math_ops
    preds_c = array_ops.stack(predicates, name="preds_c")
    num_true = math_ops.reduce_sum(math_ops.cast(preds_c, dtypes.int32), name="num_true_conds")
    condition = math_ops.less_equal(num_true, constant(n, name="n_true_conds"))
    names = ", ".join(getattr(p, "name", "?") for p in predicates)
    error_msg = ["%s: more than %d conditions (%s) evaluated as True:" % (msg, n, names), preds_c]
    return Assert(condition, data=error_msg, summarize=len(predicates))


def Assert(condition, data, summarize=None, name=None):  # noqa: N802 -- TF's name
    """tf.Assert: an Assert op, behind a cond unless all data are strings or int32 (TF's guard)."""
    from metarun.framework.op_builder import convert_to_tensor
    with name_scope(name, "Assert", [condition, data]) as name:
        xs = [convert_to_tensor(x) for x in data]
        summarize = 3 if summarize is None else summarize
        if all(x.dtype.base_dtype in (dtypes.string, dtypes.int32) for x in xs):
            return apply_op("Assert", condition=condition, data=list(data), summarize=summarize, name="Assert")
        condition = convert_to_tensor(condition, name="Condition")

        def true_assert():  # the data again, converted inside the branch, as TF does
            return apply_op("Assert", condition=condition, data=list(data), summarize=summarize, name="Assert")
        guarded = cond(condition, no_op, true_assert, name="AssertGuard")
        return guarded.op


def no_op(name=None):
    return apply_op("NoOp", name=name)


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10, back_prop=True,
               swap_memory=False, name=None, maximum_iterations=None, return_same_structure=False):
    """TF1's tf.while_loop: Enter/Merge/LoopCond/Switch/Identity/NextIteration/Exit in one frame."""
    from metarun.framework.op_builder import constant, convert_to_tensor
    from metarun.ops import math_ops
    if not callable(cond):
        raise TypeError("cond must be callable.")
    if not callable(body):
        raise TypeError("body must be callable.")
    if parallel_iterations < 1:
        raise TypeError("parallel_iterations must be a positive integer.")
    if not isinstance(loop_vars, (list, builtins.tuple, dict)) or getattr(loop_vars, "_is_tensor_array", False):
        loop_vars = [loop_vars]  # TF1 wants a list; a lone value is taken as one
    with name_scope(name, "while", _flatten(loop_vars)):
        if not loop_vars:
            raise ValueError("No loop variables provided")
        try_to_pack = len(loop_vars) == 1 and not return_same_structure and not isinstance(loop_vars, dict)
        if maximum_iterations is not None:
            maximum_iterations = convert_to_tensor(maximum_iterations, name="maximum_iterations")
            if maximum_iterations.shape.ndims != 0:
                raise ValueError("maximum_iterations must be a scalar, saw shape: %s" % maximum_iterations.shape)
            counter = constant(0, dtype=maximum_iterations.dtype, name="iteration_counter")
            orig_cond, orig_body = cond, body
            if try_to_pack:
                loop_vars = (counter, loop_vars[0])

                def cond(i, lv):  # noqa: F811
                    return math_ops.logical_and(i < maximum_iterations, orig_cond(lv))

                def body(i, lv):  # noqa: F811
                    return (i + 1, orig_body(lv))
            else:
                loop_vars = (counter, loop_vars)

                def cond(i, lv):  # noqa: F811
                    return math_ops.logical_and(i < maximum_iterations, _call(orig_cond, lv))

                def body(i, lv):  # noqa: F811
                    return (i + 1, _call(orig_body, lv))
            try_to_pack = False
            if shape_invariants is not None:
                from metarun.framework.tensor_shape import TensorShape
                shape_invariants = (TensorShape([]), shape_invariants)
        ctx = WhileContext(maximum_iterations=maximum_iterations, parallel_iterations=parallel_iterations,
                           back_prop=back_prop, swap_memory=swap_memory)
        if ctx.outer_context is None:
            _graph().add_to_collection(graph_lib.GraphKeys.WHILE_CONTEXT, ctx)
        result = ctx.build_loop(cond, body, loop_vars, shape_invariants, return_same_structure)
        if maximum_iterations is not None:
            return result[1]
        return result


def _call(fn, lv):
    if isinstance(lv, (list, builtins.tuple)) and not getattr(lv, "_is_tensor_array", False):
        return fn(*lv)
    return fn(lv)


def tuple(tensors, name=None, control_inputs=None):  # noqa: A001 -- TF's name
    """Each tensor again, through an Identity that waits for all of them (TF1's tf.tuple)."""
    from metarun.ops.gradients_impl import _tuple
    return _tuple(list(tensors), name=name, control_inputs=control_inputs)


def with_dependencies(dependencies, output_tensor, name=None):
    """`output_tensor` again, through an Identity that runs after `dependencies`."""
    from metarun.framework.op_builder import convert_to_tensor
    g = _graph()
    with name_scope(name, "control_dependency", list(dependencies) + [output_tensor]) as name:
        with g.colocate_with(output_tensor.op if hasattr(output_tensor, "op") else output_tensor):
            with g.control_dependencies(dependencies):
                output_tensor = convert_to_tensor(output_tensor)
                return apply_op("Identity", input=output_tensor, name=name)


# -- static shapes -------------------------------------------------------------------------------

def _register_shapes():
    from metarun.framework import shape_inference as si
    from metarun.framework.tensor_shape import TensorShape

    @si.register("Switch", "RefSwitch")
    def _switch_shape(op):
        s = op._inputs[0].shape
        return [s, s]

    @si.register("Merge", "RefMerge")
    def _merge_shape(op):
        out = op._inputs[0].shape
        for t in op._inputs[1:]:
            s = t.shape
            if out.ndims is None or s.ndims is None or out.ndims != s.ndims:
                out = TensorShape(None)
                break
            out = TensorShape([a if a == b else None for a, b in zip(out.dims, s.dims)])
        return [out, TensorShape([])]

    @si.register("Enter", "RefEnter", "Exit", "RefExit", "NextIteration", "RefNextIteration")
    def _pass_shape(op):
        return [op._inputs[0].shape]

    @si.register("LoopCond")
    def _loop_cond_shape(op):
        return [TensorShape([])]


_register_shapes()

from metarun.ops import control_flow_grad  # noqa: E402,F401 -- registers the control-flow gradients
