"""tf.nn.static_bidirectional_rnn, tf.nn.raw_rnn and the ResidualWrapper and DeviceWrapper cells,
built as TF1 builds them (on rnn.py's static_rnn and v1 while loop)."""

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import constant, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops import array_ops, control_flow_ops, math_ops
from metarun.ops import variable_scope as vs
from metarun.ops.control_flow_ops import _flatten, _pack_as
from metarun.ops.rnn import static_rnn
from metarun.ops.rnn_cell import RNNCell, _concat
from metarun.ops.tensor_array_ops import TensorArray


def _is_nested(x):
    return isinstance(x, (list, tuple, dict))


def _pack(structure, flat):
    return _pack_as(structure, flat) if _is_nested(structure) else flat[0]


def _assert_like_rnncell(cell_name, cell):
    def has(attr):
        try:
            getattr(cell, attr)
        except (AttributeError, NotImplementedError):
            return False
        return True
    conditions = [has("output_size"), has("state_size"), has("get_initial_state") or has("zero_state"),
                  callable(cell)]
    errors = ["'output_size' property is missing", "'state_size' property is missing",
              "either 'zero_state' or 'get_initial_state' method is required", "is not callable"]
    if not all(conditions):
        raise TypeError("The argument %r (%s) is not an RNNCell: %s."
                        % (cell_name, cell, ", ".join(e for e, ok in zip(errors, conditions) if not ok)))


def _same_structure(a, b):
    """TF's nest.assert_same_structure, by flattening (ValueError on a mismatch)."""
    if _is_nested(a) != _is_nested(b) or len(_flatten(a)) != len(_flatten(b)):
        raise ValueError("The two structures don't have the same nested structure.\n\nFirst structure: %s\n\n"
                         "Second structure: %s" % (a, b))


def _reverse_seq(input_seq, lengths):
    """The time steps of `input_seq` (a list) reversed, each batch entry up to its length
    (stacked, ReverseSequence, unstacked per flattened input, as TF does)."""
    if lengths is None:
        return list(reversed(input_seq))
    flat_input_seq = tuple(_flatten(x) for x in input_seq)
    flat_results = [[] for _ in range(len(input_seq))]
    for sequence in zip(*flat_input_seq):
        rank = sequence[0].shape.ndims
        for x in sequence:
            if rank is not None and x.shape.ndims is not None and x.shape.ndims != rank:
                raise ValueError("Shapes %s and %s are incompatible" % (TensorShape([None] * rank), x.shape))
        joined = array_ops.stack(sequence)
        reversed_ = array_ops.reverse_sequence(joined, lengths, 0, 1)
        for r, flat_result in zip(array_ops.unstack(reversed_), flat_results):
            flat_result.append(r)
    return [_pack(x, flat) for x, flat in zip(input_seq, flat_results)]


def static_bidirectional_rnn(cell_fw, cell_bw, inputs, initial_state_fw=None, initial_state_bw=None, dtype=None,
                             sequence_length=None, scope=None):
    _assert_like_rnncell("cell_fw", cell_fw)
    _assert_like_rnncell("cell_bw", cell_bw)
    if not _is_nested(inputs):
        received = 'Tensor("%s", shape=%s, dtype=%s)' % (inputs.name, inputs.shape, inputs.dtype.name) \
            if isinstance(inputs, graph_lib.Tensor) else inputs
        raise TypeError("Argument `inputs` must be a sequence. Received: %s" % (received,))
    if not inputs:
        raise ValueError("Argument `inputs` must not be empty.")
    with vs.variable_scope(scope or "bidirectional_rnn"):
        with vs.variable_scope("fw") as fw_scope:
            output_fw, state_fw = static_rnn(cell_fw, inputs, initial_state_fw, dtype, sequence_length,
                                             scope=fw_scope)
        with vs.variable_scope("bw") as bw_scope:
            reversed_inputs = _reverse_seq(inputs, sequence_length)
            tmp, state_bw = static_rnn(cell_bw, reversed_inputs, initial_state_bw, dtype, sequence_length,
                                       scope=bw_scope)
    output_bw = _reverse_seq(tmp, sequence_length)  # outside the bidirectional_rnn scope, as TF does it
    flat_outputs = tuple(array_ops.concat([fw, bw], 1) for fw, bw in zip(_flatten(output_fw), _flatten(output_bw)))
    return _pack(output_fw, list(flat_outputs)), state_fw, state_bw


def static_state_saving_rnn(cell, inputs, state_saver, state_name, sequence_length=None, scope=None):
    """static_rnn from the states `state_saver.state(name)` gives, saving the final ones with
    `state_saver.save_state(name, value)`; the last output and the state wait for the saves."""
    state_size = cell.state_size
    state_is_tuple = _is_nested(state_size)
    if state_is_tuple != _is_nested(state_name):
        raise ValueError("Argument `state_name` should be the same type as `cell.state_size`. Received: "
                         "state_name=%s, cell.state_size=%s." % (state_name, state_size))
    if state_is_tuple:
        state_name_flat, state_size_flat = _flatten(state_name), _flatten(state_size)
        if len(state_name_flat) != len(state_size_flat):
            raise ValueError("Number of elements in argument `state_name` and `cell.state_size` are mismatched. "
                             "Received state_name=%s with %d elements and cell.state_size=%s with %d elements."
                             % (state_name, len(state_name_flat), cell.state_size, len(state_size_flat)))
        initial_state = _pack_as(state_size, [state_saver.state(n) for n in state_name_flat])
    else:
        initial_state = state_saver.state(state_name)
    outputs, state = static_rnn(cell, inputs, initial_state=initial_state, sequence_length=sequence_length,
                                scope=scope)
    if state_is_tuple:
        flat_state = _flatten(state)
        save_state = [state_saver.save_state(n, s) for n, s in zip(_flatten(state_name), flat_state)]
    else:
        save_state = [state_saver.save_state(state_name, state)]
    with graph_lib.get_default_graph().control_dependencies(save_state):
        last_output = outputs[-1]
        outputs[-1] = _pack(last_output, [array_ops.identity(o) for o in _flatten(last_output)])
        if state_is_tuple:
            state = _pack_as(state, [array_ops.identity(s) for s in flat_state])
        else:
            state = array_ops.identity(state)
    return outputs, state


def _static_shape_of(size):
    if isinstance(size, graph_lib.Tensor):
        from metarun.framework.shape_inference import constant_value
        value = constant_value(size)
        return TensorShape(None if value is None else [int(v) for v in value.reshape(-1)])
    return TensorShape(size if not isinstance(size, int) else [size])


def raw_rnn(cell, loop_fn, parallel_iterations=None, swap_memory=False, scope=None):
    """TF's raw_rnn: `loop_fn(time, cell_output, cell_state, loop_state)` gives each step's
    (finished, next_input, next_state, emit_output, next_loop_state); a v1 while loop runs the
    cell until every batch entry is finished, finished entries keeping their state and emitting
    zeros. Returns (emit TensorArray(s), final state, final loop state or None)."""
    _assert_like_rnncell("cell", cell)
    if not callable(loop_fn):
        raise TypeError("Argument `loop_fn` must be a callable. Received: %s." % (loop_fn,))
    parallel_iterations = parallel_iterations or 32
    with vs.variable_scope(scope or "rnn") as varscope:
        ctx = graph_lib.get_default_graph()._cf_context
        if (ctx is None or ctx.get_while_context() is None) and varscope.caching_device is None:
            varscope.set_caching_device(lambda op: op.device)
        time = constant(0, dtype=dtypes.int32)
        elements_finished, next_input, initial_state, emit_structure, init_loop_state = loop_fn(
            time, None, None, None)
        flat_input = _flatten(next_input)
        loop_state = init_loop_state if init_loop_state is not None else constant(0, dtype=dtypes.int32)
        input_shapes = [x.shape for x in flat_input]
        static_batch = input_shapes[0].dims[0] if input_shapes[0].ndims else None
        for s in input_shapes:
            other = s.dims[0] if s.ndims else None
            if static_batch is not None and other is not None and static_batch != other:
                raise ValueError("Dimensions %d and %d are not compatible" % (static_batch, other))
        batch_size = const_batch_size = static_batch
        if batch_size is None:
            batch_size = array_ops.shape(flat_input[0])[0]
        _same_structure(initial_state, cell.state_size)
        flat_state = [convert_to_tensor(s) for s in _flatten(initial_state)]
        state = _pack(initial_state, flat_state)
        if emit_structure is not None:
            flat_emit_structure = _flatten(emit_structure)
            flat_emit_size = [e.shape if e.shape.is_fully_defined() else array_ops.shape(e)
                              for e in flat_emit_structure]
            flat_emit_dtypes = [e.dtype for e in flat_emit_structure]
        else:
            emit_structure = cell.output_size
            flat_emit_size = _flatten(emit_structure)
            flat_emit_dtypes = [flat_state[0].dtype] * len(flat_emit_size)
        flat_emit_ta = [
            TensorArray(dtype=dt, dynamic_size=True, size=0, name="rnn_output_%d" % i,
                        element_shape=TensorShape([const_batch_size]).concatenate(_static_shape_of(size)))
            for i, (dt, size) in enumerate(zip(flat_emit_dtypes, flat_emit_size))]
        emit_ta = _pack(emit_structure, flat_emit_ta)
        flat_zero_emit = [array_ops.zeros(_concat(batch_size, size), dt)
                          for size, dt in zip(flat_emit_size, flat_emit_dtypes)]
        zero_emit = _pack(emit_structure, flat_zero_emit)

        def condition(unused_time, elements_finished, *_):
            return math_ops.logical_not(math_ops.reduce_all(elements_finished))

        def body(time, elements_finished, current_input, emit_ta, state, loop_state):
            next_output, cell_state = cell(current_input, state)
            _same_structure(state, cell_state)
            _same_structure(cell.output_size, next_output)
            next_time = time + 1
            next_finished, next_input, next_state, emit_output, next_loop_state = loop_fn(
                next_time, next_output, cell_state, loop_state)
            _same_structure(state, next_state)
            _same_structure(current_input, next_input)
            _same_structure(emit_ta, emit_output)
            loop_state = loop_state if next_loop_state is None else next_loop_state

            def copy_some_through(current, candidate):
                def copy(cur, cand):
                    if isinstance(cur, TensorArray) or cur.shape.ndims == 0:
                        return cand
                    with graph_lib.get_default_graph().colocate_with(cand.op):
                        return array_ops.where(elements_finished, cur, cand)
                return _pack(current, [copy(c, n) for c, n in zip(_flatten(current), _flatten(candidate))])
            emit_output = copy_some_through(zero_emit, emit_output)
            next_state = copy_some_through(state, next_state)
            emit_ta = _pack(emit_ta, [ta.write(time, e) for ta, e in zip(_flatten(emit_ta), _flatten(emit_output))])
            elements_finished = math_ops.logical_or(elements_finished, next_finished)
            return (next_time, elements_finished, next_input, emit_ta, next_state, loop_state)

        returned = control_flow_ops.while_loop(
            condition, body, loop_vars=[time, elements_finished, next_input, emit_ta, state, loop_state],
            parallel_iterations=parallel_iterations, swap_memory=swap_memory)
        emit_ta, final_state, final_loop_state = returned[-3:]
        if init_loop_state is None:
            final_loop_state = None
        return emit_ta, final_state, final_loop_state


class _RNNCellWrapper(RNNCell):
    """A cell around another one: its sizes, its variables; zero states under
    '<Wrapper>ZeroState'."""

    def __init__(self, cell, name=None, dtype=None, reuse=None, **kwargs):
        super().__init__(name=name, dtype=dtype, reuse=reuse)
        _assert_like_rnncell("cell", cell)
        self.cell = cell

    state_size = property(lambda self: self.cell.state_size)
    output_size = property(lambda self: self.cell.output_size)
    trainable_variables = property(lambda self: self.cell.trainable_variables)
    variables = trainable_variables
    trainable_weights = trainable_variables
    weights = trainable_variables

    @property
    def wrapped_cell(self):
        return self.cell

    def zero_state(self, batch_size, dtype):
        with graph_lib.get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
            return self._zero_state(batch_size, dtype)

    def _zero_state(self, batch_size, dtype):
        return self.cell.zero_state(batch_size, dtype)

    def __call__(self, inputs, state, scope=None):
        return self._call_wrapped_cell(inputs, state, self.cell.__call__, scope=scope)


class ResidualWrapper(_RNNCellWrapper):
    """The cell's outputs plus its inputs (or `residual_fn(inputs, outputs)`)."""

    def __init__(self, cell, residual_fn=None, **kwargs):
        super().__init__(cell, **kwargs)
        self._residual_fn = residual_fn

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        outputs, new_state = cell_call_fn(inputs, state, **kwargs)

        def default_residual_fn(inputs, outputs):
            _same_structure(inputs, outputs)
            flat_in, flat_out = _flatten(inputs), _flatten(outputs)
            for i, o in zip(flat_in, flat_out):
                i_shape, o_shape = convert_to_tensor(i).shape, o.shape
                if not i_shape.is_compatible_with(o_shape):
                    raise ValueError("Shapes %s and %s are incompatible" % (i_shape, o_shape))
            return _pack(outputs, [i + o for i, o in zip(flat_in, flat_out)])
        return (self._residual_fn or default_residual_fn)(inputs, outputs), new_state


class DeviceWrapper(_RNNCellWrapper):
    """The cell's ops (and zero state) placed on `device`."""

    def __init__(self, cell, device, **kwargs):
        super().__init__(cell, **kwargs)
        self._device = device

    def _zero_state(self, batch_size, dtype):
        with graph_lib.get_default_graph().device(self._device):
            return self.cell.zero_state(batch_size, dtype)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        with graph_lib.get_default_graph().device(self._device):
            return cell_call_fn(inputs, state, **kwargs)




def _export_wrappers():
    """tf.nn.rnn_cell is the rnn_cell module: the wrappers join it there."""
    from metarun.ops import rnn_cell
    rnn_cell.ResidualWrapper = ResidualWrapper
    rnn_cell.DeviceWrapper = DeviceWrapper


_export_wrappers()
