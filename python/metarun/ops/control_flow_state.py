"""What tf.gradients needs to differentiate through TF1's (v1) while loops, built as TF builds it.

The gradient of a forward while loop is a second loop (the gradient loop) that runs as many
iterations as the forward one did, in reverse. A counter added to the forward loop (f_count)
says how many that was; the gradient loop counts it down (b_count) and stops at zero. Every
forward value a gradient op needs is saved as the forward loop produces it: a stack (StackV2)
made outside the loop, a StackPushV2 each forward iteration, a StackPopV2 each gradient
iteration. Control edges keep the pushes in iteration order (before the forward counter's next
value) and the pops after the gradient counter's step.

One `_GradLoopState` per forward loop between the xs and the ys; `ControlFlowState` maps forward
loops to them and gives tf.gradients its hooks: which gradient loop an op's gradient is built in,
zeros for outputs no gradient reached, the loop exits nothing flowed back from, and the patch of
gradient-loop Merges whose back edge never got a value.
"""

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, constant
from metarun.framework.shape_inference import constant_value
from metarun.ops import control_flow_ops as cf


def _graph():
    return graph_lib.get_default_graph()


def _is_switch(op):
    return op.type in ("Switch", "RefSwitch")


def _loop_constant_enter(t):
    """The constant Enter `t` comes from (through Switches and Identities), or None."""
    op = t.op
    while op.type in ("Switch", "RefSwitch", "Identity", "RefIdentity"):
        op = op._inputs[0].op
    return op if cf._is_loop_constant_enter(op) else None


class _GradLoopState(object):
    """The gradient loop of one forward while loop, and the state shared while building it."""

    def __init__(self, forward_ctx, outer_grad_state):
        self._outer_grad_state = outer_grad_state
        self._history_map = {}   # forward tensor name -> its value in the gradient loop
        self._switch_map = {}    # forward loop Switch -> the gradient loop's Merge for it
        self._unused_exits = []
        self._deferred_exits = []
        self._forward_loop_exits = list(forward_ctx.loop_exits)
        self.pending_exits_count = len(forward_ctx.loop_exits)
        self._forward_sync = self._grad_sync = None
        self._forward_context = forward_ctx
        outer_forward = outer_grad_state.forward_context if outer_grad_state else forward_ctx.outer_context

        if outer_forward is not None:
            outer_forward.enter()
        try:
            cnt, self._forward_index = forward_ctx.add_forward_loop_counter(outer_grad_state)
        finally:
            if outer_forward is not None:
                outer_forward.exit()

        def new_grad_context():
            return cf.WhileContext(maximum_iterations=forward_ctx.maximum_iterations,
                                   parallel_iterations=forward_ctx.parallel_iterations,
                                   back_prop=forward_ctx.back_prop, swap_memory=forward_ctx.swap_memory,
                                   name=forward_ctx.name, grad_state=self)
        if outer_grad_state is not None:
            # A nested loop: how many iterations each of its runs took, for the outer gradient loop.
            outer_forward.add_name(cnt.name)
            history_cnt = outer_grad_state.add_forward_accumulator(cnt)
            outer_grad = outer_grad_state.grad_context
            outer_grad.enter()
            try:
                self._grad_context = new_grad_context()
                real_cnt = outer_grad_state.add_backprop_accumulated_value(history_cnt, cnt)
                self._grad_index = self._grad_context.add_backprop_loop_counter(real_cnt, outer_grad_state)
            finally:
                outer_grad.exit()
        else:
            if outer_forward is not None:
                outer_forward.enter()
            try:
                self._grad_context = new_grad_context()
                self._grad_index = self._grad_context.add_backprop_loop_counter(cnt, outer_grad_state)
            finally:
                if outer_forward is not None:
                    outer_forward.exit()

    outer_grad_state = property(lambda self: self._outer_grad_state)
    forward_context = property(lambda self: self._forward_context)
    forward_index = property(lambda self: self._forward_index)
    grad_context = property(lambda self: self._grad_context)
    grad_index = property(lambda self: self._grad_index)
    history_map = property(lambda self: self._history_map)
    switch_map = property(lambda self: self._switch_map)
    unused_exits = property(lambda self: self._unused_exits)
    deferred_exits = property(lambda self: self._deferred_exits)
    forward_loop_exits = property(lambda self: self._forward_loop_exits)

    @property
    def forward_sync(self):
        """A ControlTrigger in the forward loop that the pushes made inside a cond come before
        (and the forward counter's next value after it)."""
        if self._forward_sync is None:
            g = _graph()
            with g.control_dependencies(None):
                self._forward_sync = cf.control_trigger(name="f_sync")
            self._forward_sync._cf_context = self._forward_context
            self._forward_index.op._control_inputs.append(self._forward_sync)
        return self._forward_sync

    @property
    def grad_sync(self):
        """A ControlTrigger in the gradient loop: every pop comes before it, and it before the
        gradient counter's next value."""
        if self._grad_sync is None:
            g = _graph()
            with g.control_dependencies(None):
                self._grad_sync = cf.control_trigger(name="b_sync")
            self._grad_sync._cf_context = self._grad_context
            self._grad_index.op._control_inputs.append(self._grad_sync)
            if self._grad_context.outer_context is not None:
                self._grad_context.outer_context.add_inner_op(self._grad_sync)
        return self._grad_sync

    def add_forward_accumulator(self, value, dead_branch=False):
        """A stack that the forward loop pushes `value` on each iteration; returns its handle."""
        g = _graph()
        curr = g._cf_context
        with g.control_dependencies(None):
            if curr is not None:
                curr.enter()
            try:
                with g.colocate_with(value.op):
                    max_size = constant(-1, dtypes.int32)
                    acc = apply_op("StackV2", max_size=max_size, elem_type=value.dtype.base_dtype, name="f_acc")
            finally:
                if curr is not None:
                    curr.exit()
            enter_acc = self._forward_context.add_value(acc)
            swap = self._forward_context.swap_memory
            value_ctx = cf.output_context(value.op)
            if value_ctx is self._forward_context:
                self._forward_context.enter()
                try:
                    push = apply_op("StackPushV2", handle=enter_acc, elem=value, swap_memory=swap)
                finally:
                    self._forward_context.exit()
                self._forward_index.op._control_inputs.append(push.op)
            else:
                if value_ctx is None or not value_ctx.is_cond_context():
                    raise TypeError("value_ctxt is not a CondContext: %s" % value_ctx)
                if dead_branch:
                    # The shape of a zero gradient for a branch's dead side: pushed outside the cond.
                    value_ctx.outer_context.enter()
                    try:
                        push = apply_op("StackPushV2", handle=enter_acc, elem=value, swap_memory=swap)
                    finally:
                        value_ctx.outer_context.exit()
                    push.op._cf_context = value_ctx
                else:
                    value_ctx.enter()
                    try:
                        push = apply_op("StackPushV2", handle=enter_acc, elem=value, swap_memory=swap)
                    finally:
                        value_ctx.exit()
                self.forward_sync._control_inputs.append(push.op)
            # ... and after the forward counter's step of the same iteration.
            add_op = self._forward_index.op._inputs[0].op
            push.op._control_inputs.append(add_op)
            return acc

    def add_backprop_accumulated_value(self, history_value, value, dead_branch=False):
        """The pop, in the gradient loop, of stack `history_value` that saved forward `value`
        (behind a Switch on the saved predicate when `value` was made in a cond)."""
        history_ctx = history_value.op._cf_context
        cond_ctx = None
        value_ctx = value.op._cf_context
        while value_ctx is not None and value_ctx is not history_ctx:
            if value_ctx.is_cond_context():
                cond_ctx = value_ctx
                break
            value_ctx = value_ctx.outer_context
        g = _graph()
        with g.control_dependencies(None):
            self._grad_context.enter()
            try:
                if cond_ctx is not None:
                    grad_state, pred = self, None
                    while pred is None and grad_state is not None:
                        pred = grad_state.history_map.get(cond_ctx.pred.name)
                        grad_state = grad_state.outer_grad_state
                    if pred is None:
                        pred = cond_ctx.pred
                    branch = (1 - cond_ctx.branch) if dead_branch else cond_ctx.branch
                    history_value = cf._switch_ref_or_tensor(history_value, pred)[branch]
                pop = apply_op("StackPopV2", handle=history_value, elem_type=value.dtype.base_dtype)
                pop.set_shape(value.shape)
            finally:
                self._grad_context.exit()
        if self._grad_context.parallel_iterations > 1:
            self.grad_sync._control_inputs.append(pop.op)
        return pop

    def get_real_value(self, value):
        """What forward `value` is in the gradient loop: a pop of its saved history, a copy of
        a constant, or (a loop invariant of every enclosing loop) the value itself entered."""
        real = self._history_map.get(value.name)
        if real is not None:
            return real
        cur_value, cur_state, history = value, self, None
        while True:
            enter_op = _loop_constant_enter(cur_value)
            if enter_op is not None:
                cur_value = enter_op._inputs[0]
                cur_state = cur_state.outer_grad_state
                if cur_state is None:
                    real = self._grad_context.add_value(cur_value)
                    break
            elif cur_value.op.type == "Const":
                real = constant(constant_value(cur_value), dtype=cur_value.dtype.base_dtype)
                break
            else:
                self._grad_context.exit()
                try:
                    history = cur_state.add_forward_accumulator(cur_value)
                finally:
                    self._grad_context.enter()
                break
        if real is None:
            real = cur_state.add_backprop_accumulated_value(history, cur_value)
            if cur_state is not self:
                real = self._grad_context.add_value(real)
        self._history_map[value.name] = real
        return real


class ControlFlowState(object):
    """The gradient loops of the forward loops tf.gradients goes through."""

    def __init__(self):
        self._map = {}  # forward WhileContext -> _GradLoopState

    def get_grad_state(self, op, before):
        """The gradient loop `op`'s gradient belongs to (an Exit's, before its gradient is built,
        is the enclosing loop's: its gradient enters the new gradient loop)."""
        if before and cf._is_loop_exit(op):
            forward = op._cf_context.outer_context
            forward = forward.get_while_context() if forward is not None else None
        else:
            forward = cf._while_context_of(op)
        return self._map.get(forward) if forward is not None else None

    def process_unused_loop_exits(self, pending, to_ops):
        """Exits no gradient will flow to; when all of a loop's are such, they are returned."""
        loop_exits = []
        for state in self._map.values():
            for y in state.forward_loop_exits:
                if pending[y.op] == 0:
                    state.pending_exits_count -= 1
                    if y.op not in to_ops:
                        state.unused_exits.append(y)
                    if state.pending_exits_count == 0:
                        loop_exits.extend(state.unused_exits)
            for y in state.forward_context.loop_enters:  # for higher-order gradients
                if pending[y.op] == 0:
                    pending[y.op] = 1
        return loop_exits

    def enter_grad_context(self, op, before):
        state = self.get_grad_state(op, before)
        if state is not None:
            state.grad_context.enter()

    def exit_grad_context(self, op, before):
        state = self.get_grad_state(op, before)
        if state is not None:
            state.grad_context.exit()

    def add_while_context(self, op, between_list, between):
        forward = cf._while_context_of(op)
        if forward in self._map:
            return
        outer_forward = forward.outer_context
        outer_forward = outer_forward.get_while_context() if outer_forward is not None else None
        outer_state = self._map.get(outer_forward) if outer_forward is not None else None
        state = _GradLoopState(forward, outer_state)
        self._map[forward] = state
        for loop_exit in state.forward_loop_exits:  # every exit of the loop takes part
            if loop_exit.op not in between:
                between.add(loop_exit.op)
                between_list.append(loop_exit.op)

    def zeros_like_for_exit(self, val):
        """Zeros for a loop exit nothing flowed back to."""
        from metarun.ops import array_ops
        forward = val.op._cf_context
        outer_forward = forward.outer_context
        outer_forward = outer_forward.get_while_context() if outer_forward is not None else None
        outer_state = self._map.get(outer_forward) if outer_forward is not None else None
        dtype = val.dtype.base_dtype
        if outer_state is None:
            if val.shape.is_fully_defined():
                return array_ops.zeros(val.shape.as_list(), dtype)
            return array_ops.zeros_like(val, optimize=False)
        if val.shape.is_fully_defined():
            outer_state.grad_context.enter()
            try:
                return array_ops.zeros(val.shape.as_list(), dtype)
            finally:
                outer_state.grad_context.exit()
        forward.outer_context.enter()
        try:
            shape = apply_op("Shape", input=val)
        finally:
            forward.outer_context.exit()
        history = outer_state.add_forward_accumulator(shape)
        outer_state.grad_context.enter()
        try:
            real_shape = outer_state.add_backprop_accumulated_value(history, shape)
            return array_ops.zeros(real_shape, dtype)
        finally:
            outer_state.grad_context.exit()

    def zeros_like(self, op, index):
        """Zeros standing for output `index` of `op` no gradient reached, inside the gradient loop
        when `op` is in a forward loop (shaped by a saved shape when the static one is not known).
        None for a loop Switch."""
        if cf._is_loop_switch(op):
            return None
        forward = cf._while_context_of(op)
        state = self._map.get(forward) if forward is not None else None
        if state is None:
            return zeros_like_outside_loop(op, index)
        from metarun.ops import array_ops
        dead_branch = _is_switch(op)
        op_ctx = op._cf_context
        val = op.outputs[index]
        if val.shape.is_fully_defined():
            if val.dtype.base_dtype == dtypes.resource:
                result = array_ops.zeros(apply_op("VariableShape", input=val), dtype=_zeros_dtype(op))
            else:
                result = constant(0, dtype=val.dtype.base_dtype, shape=val.shape.as_list())
            if dead_branch:
                pred = state.history_map.get(op_ctx.pred.name)
                result = cf._switch_ref_or_tensor(result, pred)[1 - op_ctx.branch]
            return result
        if dead_branch:
            op_ctx.outer_context.enter()
            try:
                val = cf._switch_ref_or_tensor(op._inputs[0], op_ctx.pred)[1 - op_ctx.branch]
                zeros_shape = apply_op("Shape", input=val)
            finally:
                op_ctx.outer_context.exit()
            val.op._cf_context = op_ctx
            zeros_shape.op._cf_context = op_ctx
        else:
            op_ctx.enter()
            try:
                zeros_shape = apply_op("Shape", input=val)
            finally:
                op_ctx.exit()
        state.grad_context.exit()
        try:
            history = state.add_forward_accumulator(zeros_shape, dead_branch=dead_branch)
        finally:
            state.grad_context.enter()
        shape = state.add_backprop_accumulated_value(history, zeros_shape, dead_branch)
        return array_ops.zeros(shape, val.dtype.base_dtype)

    def post_processing(self):
        """A gradient-loop Merge whose back edge never got a value (the loop variable's next value
        does not depend on it) takes zeros for every iteration after the first."""
        from metarun.ops import array_ops
        for state in self._map.values():
            for b_merge in state.switch_map.values():
                if b_merge.op._inputs[0] is not b_merge.op._inputs[1]:
                    continue
                first = b_merge.op._inputs[0]
                if first.shape.is_fully_defined():
                    state.grad_context.enter()
                    try:
                        grad_val = constant(0, dtype=first.dtype.base_dtype, shape=first.shape.as_list())
                        next_val = cf._next_iteration(grad_val)
                    finally:
                        state.grad_context.exit()
                else:
                    outer = state.grad_context.outer_context
                    if outer is not None:
                        outer.enter()
                    try:
                        enter_grad = first.op._inputs[0]
                        grad_val = array_ops.zeros(apply_op("Shape", input=enter_grad))
                    finally:
                        if outer is not None:
                            outer.exit()
                    state.grad_context.enter()
                    try:
                        next_val = cf._next_iteration(grad_val)
                    finally:
                        state.grad_context.exit()
                cf._update_input(b_merge.op, 1, next_val)


def _zeros_dtype(op):
    return op.get_attr("dtype") if "dtype" in op.node_def.attr else dtypes.float32


def zeros_like_outside_loop(op, index):
    """Zeros for output `index` of `op` outside any loop being differentiated; for a cond
    branch's Switch, made on the side not taken only (behind a Switch and an Identity pivot)."""
    from metarun.ops import array_ops
    val = op.outputs[index]
    ctx = op._cf_context
    if not _is_switch(op) or ctx is None or not ctx.is_cond_context():
        if val.dtype.base_dtype == dtypes.resource:
            return array_ops.zeros(apply_op("VariableShape", input=val), dtype=_zeros_dtype(op))
        return array_ops.zeros_like(val, optimize=False)
    switch_val = cf.switch(op._inputs[0], ctx.pred)[1 - ctx.branch]
    pivot = apply_op("Identity", input=switch_val)
    g = _graph()
    if val.dtype.base_dtype == dtypes.resource:
        with g.control_dependencies([pivot]):
            return array_ops.zeros(apply_op("VariableShape", input=switch_val), dtype=_zeros_dtype(op))
    shape = apply_op("Shape", input=switch_val)
    with g.control_dependencies([pivot]):
        return array_ops.zeros(shape, dtype=val.dtype.base_dtype)


def maybe_create_control_flow_state(between_list, between, colocate):
    """A ControlFlowState when loop exits are between the xs and ys (their loops added), else None."""
    state = None
    g = _graph()
    for op in between_list:  # grows as loops add their exits
        if cf._is_loop_exit(op):
            if state is None:
                state = ControlFlowState()
            if colocate:
                with g.colocate_with(op):
                    state.add_while_context(op, between_list, between)
            else:
                state.add_while_context(op, between_list, between)
    return state
