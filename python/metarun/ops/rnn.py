"""tf.nn.dynamic_rnn, bidirectional_dynamic_rnn and static_rnn, as TF1 builds them: the inputs are
unstacked into a TensorArray, a v1 while loop calls the cell once per time step and writes each
output to a TensorArray, and with `sequence_length` finished batch entries keep their state and
output zeros (a Select per value, TF's skip_conditionals path)."""

from metarun.framework import dtypes
from metarun.framework.op_builder import constant, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops import array_ops, control_flow_ops, math_ops
from metarun.ops import variable_scope as vs
from metarun.ops.control_flow_ops import _flatten, _pack_as
from metarun.ops.scopes import name_scope
from metarun.ops.tensor_array_ops import TensorArray


def _transpose_batch_time(x):
    shape = x.shape
    if shape.ndims is not None and shape.ndims < 2:
        raise ValueError("Expected input tensor %s to have rank at least 2, but saw shape: %s" % (x, shape))
    rank = shape.ndims
    perm = [1, 0] + list(range(2, rank))
    out = array_ops.transpose(x, perm)
    if shape.ndims is not None:
        out.set_shape(TensorShape([shape.dims[1], shape.dims[0]] + shape.dims[2:]))
    return out


def _batch_size(flat_input):
    for x in flat_input:
        if x.shape.ndims is not None and x.shape.dims[1] is not None:
            return x.shape.dims[1]
    return array_ops.shape(flat_input[0])[1]


def _structured(struct, flat):
    return _pack_as(struct, flat) if isinstance(struct, (tuple, list, dict)) else flat[0]


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None, parallel_iterations=None,
                swap_memory=False, time_major=False, scope=None):
    with vs.variable_scope(scope or "rnn"):
        flat_input = [convert_to_tensor(x) for x in _flatten(inputs)]
        if not time_major:
            flat_input = [_transpose_batch_time(x) for x in flat_input]
        parallel_iterations = parallel_iterations or 32
        if sequence_length is not None:
            sequence_length = math_ops.cast(sequence_length, dtypes.int32)
            sequence_length = array_ops.identity(sequence_length, name="sequence_length")
        batch_size = _batch_size(flat_input)
        if initial_state is not None:
            state = initial_state
        else:
            if dtype is None:
                raise ValueError("If there is no initial_state, you must give a dtype.")
            state = cell.zero_state(batch_size, dtype)
        inputs = _structured(inputs, flat_input)
        outputs, final_state = _dynamic_rnn_loop(cell, inputs, state, parallel_iterations, swap_memory,
                                                 sequence_length, dtype)
        if not time_major:
            outputs = _structured(outputs, [_transpose_batch_time(o) for o in _flatten(outputs)])
        return outputs, final_state


def _state_dtype(dtype, state):
    if dtype is not None:
        return dtype
    return _flatten(state)[0].dtype


def _dynamic_rnn_loop(cell, inputs, initial_state, parallel_iterations, swap_memory, sequence_length, dtype):
    state = initial_state
    flat_input = _flatten(inputs)
    flat_output_size = _flatten(cell.output_size)
    time_steps = array_ops.shape(flat_input[0])[0]
    batch_size = _batch_size(flat_input)
    got_shapes = [x.shape for x in flat_input]
    const_time_steps, const_batch = got_shapes[0].dims[:2]
    out_dtype = _state_dtype(dtype, state)

    def zeros_of(size):
        from metarun.ops.rnn_cell import _zeros_for
        return _zeros_for(size, batch_size, out_dtype)
    flat_zero_output = [zeros_of(s) for s in flat_output_size]
    if sequence_length is not None:
        math_ops.reduce_min(sequence_length)  # TF makes it too; the skip_conditionals path leaves it unused
        max_len = math_ops.reduce_max(sequence_length)
    else:
        max_len = time_steps
    time = constant(0, dtype=dtypes.int32, name="time")
    with name_scope(None, "dynamic_rnn") as base_name:
        pass
    output_ta = [TensorArray(dtype=out_dtype, size=time_steps,
                             element_shape=TensorShape([const_batch] + ([s] if isinstance(s, int) else list(s))),
                             tensor_array_name=base_name + "output_%d" % i)
                 for i, s in enumerate(flat_output_size)]
    input_ta = [TensorArray(dtype=x.dtype, size=time_steps, element_shape=TensorShape(x.shape.dims[1:])
                            if x.shape.ndims else None, tensor_array_name=base_name + "input_%d" % i)
                for i, x in enumerate(flat_input)]
    input_ta = [ta.unstack(x) for ta, x in zip(input_ta, flat_input)]

    def time_step(time, output_ta_t, state):
        input_t = [ta.read(time) for ta in input_ta]
        for x, s in zip(input_t, got_shapes):
            if s.ndims is not None:
                x.set_shape(TensorShape(s.dims[1:]))
        input_t = _structured(inputs, input_t)
        output, new_state = cell(input_t, state)
        if sequence_length is not None:
            copy_cond = time >= sequence_length
            flat_out = [_copy_through(copy_cond, z, o) for z, o in zip(flat_zero_output, _flatten(output))]
            flat_state = [_copy_through(copy_cond, s, n) for s, n in zip(_flatten(state), _flatten(new_state))]
            for o, z in zip(flat_out, flat_zero_output):
                o.set_shape(z.shape)
            for n, s in zip(flat_state, _flatten(state)):
                n.set_shape(s.shape)
            output = _structured(output, flat_out)
            new_state = _structured(state, flat_state)
        output_ta_t = tuple(ta.write(time, o) for ta, o in zip(output_ta_t, _flatten(output)))
        return (time + 1, output_ta_t, new_state)
    loop_bound = math_ops.minimum(time_steps, math_ops.maximum(1, max_len))
    _, final_ta, final_state = control_flow_ops.while_loop(
        lambda time, *_: time < loop_bound, time_step, (time, tuple(output_ta), state),
        parallel_iterations=parallel_iterations, maximum_iterations=time_steps, swap_memory=swap_memory)
    outputs = [ta.stack() for ta in final_ta]
    for o, s in zip(outputs, flat_output_size):
        o.set_shape(TensorShape([const_time_steps, const_batch] + ([s] if isinstance(s, int) else list(s))))
    return _structured(cell.output_size, outputs), final_state


def _copy_through(copy_cond, old, new):
    if new.shape.ndims == 0:
        return new
    from metarun.framework import graph as graph_lib
    with graph_lib.get_default_graph().colocate_with(new.op):
        return array_ops.where(copy_cond, old, new)


def bidirectional_dynamic_rnn(cell_fw, cell_bw, inputs, sequence_length=None, initial_state_fw=None,
                              initial_state_bw=None, dtype=None, parallel_iterations=None, swap_memory=False,
                              time_major=False, scope=None):
    with vs.variable_scope(scope or "bidirectional_rnn"):
        with vs.variable_scope("fw") as fw_scope:
            output_fw, state_fw = dynamic_rnn(cell_fw, inputs, sequence_length, initial_state_fw, dtype,
                                              parallel_iterations, swap_memory, time_major, fw_scope)
        time_axis, batch_axis = (0, 1) if time_major else (1, 0)

        def reverse(x):
            if sequence_length is None:
                return array_ops.reverse(x, axis=[time_axis])
            return array_ops.reverse_sequence(x, seq_lengths=sequence_length, seq_axis=time_axis,
                                              batch_axis=batch_axis)
        with vs.variable_scope("bw") as bw_scope:
            inputs_rev = _structured(inputs, [reverse(x) for x in _flatten(inputs)])
            tmp, state_bw = dynamic_rnn(cell_bw, inputs_rev, sequence_length, initial_state_bw, dtype,
                                        parallel_iterations, swap_memory, time_major, bw_scope)
        output_bw = reverse(tmp)
        return (output_fw, output_bw), (state_fw, state_bw)


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None, scope=None):
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("inputs must be a sequence")
    if not inputs:
        raise ValueError("inputs must not be empty")
    outputs = []
    with vs.variable_scope(scope or "rnn") as varscope:
        first = _flatten(inputs[0])[0]
        batch = first.shape.dims[0] if first.shape.ndims and first.shape.dims[0] is not None else \
            array_ops.shape(first)[0]
        if initial_state is not None:
            state = initial_state
        else:
            if not dtype:
                raise ValueError("If no initial_state is provided, dtype must be specified")
            state = cell.zero_state(batch, dtype)
        zero_output = None
        if sequence_length is not None:
            sequence_length = math_ops.cast(sequence_length, dtypes.int32)
        for t, x in enumerate(inputs):
            if t > 0:
                varscope.reuse_variables()
            output, new_state = cell(x, state)
            if sequence_length is not None:
                cond = constant(t) >= sequence_length
                if zero_output is None:
                    zero_output = [array_ops.zeros_like(o) for o in _flatten(output)]
                output = _structured(output, [_copy_through(cond, z, o) for z, o in zip(zero_output, _flatten(output))])
                new_state = _structured(state, [_copy_through(cond, s, n)
                                                for s, n in zip(_flatten(state), _flatten(new_state))])
            state = new_state
            outputs.append(output)
        return outputs, state
