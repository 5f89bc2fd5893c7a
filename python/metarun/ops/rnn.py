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
    """[batch, time, ...] <-> [time, batch, ...]: a Transpose by concat([1, 0], range(2, rank))."""
    shape = x.shape
    if shape.ndims is not None and shape.ndims < 2:
        return x
    perm = array_ops.concat(([1, 0], math_ops.range(2, array_ops.rank(x))), axis=0)
    out = array_ops.transpose(x, perm)
    if shape.ndims is not None:
        out.set_shape(TensorShape([shape.dims[0 + 1], shape.dims[0]] + shape.dims[2:]))
    else:
        out.set_shape(TensorShape(None))
    return out


def _batch_size(flat_input):
    """The static batch size of the first input that has one, else shape(first)[1]."""
    for x in flat_input:
        if x.shape.ndims is None:
            continue
        if x.shape.ndims < 2:
            raise ValueError("Input tensor should have rank >= 2. Received input=%s of rank %s"
                             % (x, x.shape.ndims))
        if x.shape.dims[1] is not None:
            return int(x.shape.dims[1])
    return array_ops.shape(flat_input[0])[1]


def _structured(struct, flat):
    return _pack_as(struct, flat) if isinstance(struct, (tuple, list, dict)) else flat[0]


def _assert_has_shape(x, shape):
    x_shape = array_ops.shape(x)
    packed = array_ops.stack(shape)
    return control_flow_ops.Assert(math_ops.reduce_all(math_ops.equal(x_shape, packed)),
                                   ["Expected shape for Tensor %s is " % x.name, packed, " but saw shape: ", x_shape])


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None, parallel_iterations=None,
                swap_memory=False, time_major=False, scope=None):
    from metarun.framework import graph as graph_lib
    with vs.variable_scope(scope or "rnn") as varscope:
        ctx = graph_lib.get_default_graph()._cf_context
        if (ctx is None or ctx.get_while_context() is None) and varscope.caching_device is None:
            # TF caches the variables' reads where they are used (no colocation with the variable).
            varscope.set_caching_device(lambda op: op.device)
        flat_input = _flatten(inputs)
        if not time_major:
            flat_input = [convert_to_tensor(x) for x in flat_input]
            flat_input = [_transpose_batch_time(x) for x in flat_input]
        parallel_iterations = parallel_iterations or 32
        if sequence_length is not None:
            sequence_length = math_ops.cast(sequence_length, dtypes.int32)
            if sequence_length.shape.ndims not in (None, 1):
                raise ValueError("Argument `sequence_length` must be a vector of length batch_size. Received: %s."
                                 % sequence_length)
            sequence_length = array_ops.identity(sequence_length, name="sequence_length")
        batch_size = _batch_size(flat_input)
        if initial_state is not None:
            state = initial_state
        else:
            if not dtype:
                raise ValueError("If there is no initial_state, you must give a dtype.")
            state = cell.get_initial_state(inputs=None, batch_size=batch_size, dtype=dtype) \
                if hasattr(cell, "get_initial_state") else cell.zero_state(batch_size, dtype)
        if sequence_length is not None:
            with graph_lib.get_default_graph().control_dependencies(
                    [_assert_has_shape(sequence_length, [batch_size])]):
                sequence_length = array_ops.identity(sequence_length, name="CheckSeqLen")
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
    from metarun.ops.rnn_cell import _concat
    state = initial_state
    flat_input = _flatten(inputs)
    flat_output_size = _flatten(cell.output_size)
    time_steps = array_ops.shape(flat_input[0])[0]
    batch_size = _batch_size(flat_input)
    got_shapes = [x.shape.with_rank_at_least(3) for x in flat_input]
    const_time_steps, const_batch = got_shapes[0].as_list()[:2]
    for s in got_shapes:
        if not s[2:].is_fully_defined():
            raise ValueError("Input size (depth of inputs) must be accessible via shape inference, but saw value "
                             "None.")
        if s.dims[0] != const_time_steps:
            raise ValueError("Time steps is not the same for all the elements in the input in a batch.")
        if s.dims[1] != const_batch:
            raise ValueError("Batch_size is not the same for all the elements in the input.")
    out_dtype = _state_dtype(dtype, state)
    flat_zero_output = [array_ops.zeros(array_ops.stack(_concat(batch_size, size)), out_dtype)
                        for size in flat_output_size]
    if sequence_length is not None:
        min_len = math_ops.reduce_min(sequence_length)
        max_len = math_ops.reduce_max(sequence_length)
    else:
        min_len, max_len = None, time_steps
    del min_len  # TF builds it; its skip_conditionals path leaves it unused
    time = constant(0, dtype=dtypes.int32, name="time")
    with name_scope("dynamic_rnn") as base_name:
        pass

    def element_shape(size):
        return TensorShape([const_batch]).concatenate(size if isinstance(size, TensorShape) else
                                                      TensorShape([size] if isinstance(size, int) else size))
    output_ta = [TensorArray(dtype=out_dtype, size=time_steps, element_shape=element_shape(s),
                             tensor_array_name=base_name + "output_%d" % i)
                 for i, s in enumerate(flat_output_size)]
    input_ta = [TensorArray(dtype=x.dtype, size=time_steps, element_shape=x.shape[1:],
                            tensor_array_name=base_name + "input_%d" % i)
                for i, x in enumerate(flat_input)]
    input_ta = [ta.unstack(x) for ta, x in zip(input_ta, flat_input)]

    def time_step(time, output_ta_t, state):
        input_t = [ta.read(time) for ta in input_ta]
        for x, s in zip(input_t, got_shapes):
            x.set_shape(s[1:])
        input_t = _structured(inputs, input_t)
        if sequence_length is not None:
            output, new_state = _rnn_step(time, sequence_length, flat_zero_output, state,
                                          lambda: cell(input_t, state))
        else:
            output, new_state = cell(input_t, state)
        output_ta_t = tuple(ta.write(time, o) for ta, o in zip(output_ta_t, _flatten(output)))
        return (time + 1, output_ta_t, new_state)
    loop_bound = math_ops.minimum(time_steps, math_ops.maximum(1, max_len))
    _, final_ta, final_state = control_flow_ops.while_loop(
        lambda time, *_: time < loop_bound, time_step, (time, tuple(output_ta), state),
        parallel_iterations=parallel_iterations, maximum_iterations=time_steps, swap_memory=swap_memory)
    outputs = [ta.stack() for ta in final_ta]
    for o, s in zip(outputs, flat_output_size):
        o.set_shape(_concat([const_time_steps, const_batch], s, static=True))
    return _structured(cell.output_size, outputs), final_state


def _rnn_step(time, sequence_length, flat_zero_output, state, call_cell):
    """TF's _rnn_step with skip_conditionals: the cell runs every step; entries whose sequence has
    ended keep their state and output zeros (a Select per value)."""
    flat_state = _flatten(state)
    copy_cond = time >= sequence_length
    new_output, new_state = call_cell()
    flat_out = [_copy_through(copy_cond, z, o) for z, o in zip(flat_zero_output, _flatten(new_output))]
    flat_new_state = [_copy_through(copy_cond, s, n) for s, n in zip(flat_state, _flatten(new_state))]
    for o, z in zip(flat_out, flat_zero_output):
        o.set_shape(z.shape)
    for n, s in zip(flat_new_state, flat_state):
        n.set_shape(s.shape)
    return _structured(new_output, flat_out), _structured(state, flat_new_state)


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
    output_bw = reverse(tmp)  # outside the bidirectional_rnn scope, as TF does it
    return (output_fw, output_bw), (state_fw, state_bw)


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None, scope=None):
    from metarun.framework import graph as graph_lib
    from metarun.ops.rnn_cell import _concat
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("inputs must be a sequence")
    if not inputs:
        raise ValueError("inputs must not be empty")
    outputs = []
    with vs.variable_scope(scope or "rnn") as varscope:
        ctx = graph_lib.get_default_graph()._cf_context
        if (ctx is None or ctx.get_while_context() is None) and varscope.caching_device is None:
            varscope.set_caching_device(lambda op: op.device)
        first = inputs
        while isinstance(first, (list, tuple)):
            first = first[0]
        first = convert_to_tensor(first)
        if first.shape.ndims != 1:
            fixed_batch = first.shape.with_rank_at_least(2).dims[0]
            for x in _flatten(inputs):
                x_shape = convert_to_tensor(x).shape.with_rank_at_least(2)
                if any(d is None for d in x_shape.dims[1:]):
                    raise ValueError("Input size (dimension %d of inputs) must be accessible via shape inference,"
                                     " but saw value None." % x_shape.dims[1:].index(None))
        else:
            fixed_batch = first.shape.with_rank_at_least(1).dims[0]
        batch_size = int(fixed_batch) if fixed_batch else array_ops.shape(first)[0]
        if initial_state is not None:
            state = initial_state
        else:
            if not dtype:
                raise ValueError("If no initial_state is provided, dtype must be specified")
            state = cell.get_initial_state(inputs=None, batch_size=batch_size, dtype=dtype) \
                if hasattr(cell, "get_initial_state") else cell.zero_state(batch_size, dtype)
        if sequence_length is not None:
            sequence_length = convert_to_tensor(sequence_length, name="sequence_length")
            if sequence_length.shape.ndims not in (None, 1):
                raise ValueError("sequence_length must be a vector of length batch_size")
            out_dtype = _state_dtype(dtype, state)
            flat_zero_output = []
            for size in _flatten(cell.output_size):
                z = array_ops.zeros(array_ops.stack(_concat(batch_size, size)), out_dtype)
                z.set_shape(TensorShape(_concat(int(fixed_batch) if fixed_batch else None, size, static=True)))
                flat_zero_output.append(z)
            sequence_length = math_ops.cast(sequence_length, dtypes.int32)
            min_len = math_ops.reduce_min(sequence_length)
            max_len = math_ops.reduce_max(sequence_length)
        for time, x in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()
            call_cell = (lambda x=x, state=state: cell(x, state))
            if sequence_length is not None:
                output, state = _rnn_step_conditional(time, sequence_length, min_len, max_len, flat_zero_output,
                                                      cell.output_size, state, call_cell)
            else:
                output, state = call_cell()
            outputs.append(output)
        return outputs, state


def _rnn_step_conditional(time, sequence_length, min_len, max_len, flat_zero_output, output_size, state,
                          call_cell):
    """TF's _rnn_step without skip_conditionals (static_rnn): past every sequence's end, zeros and
    the old state; before the shortest one's end, the cell's results; otherwise a Select each."""
    flat_state = _flatten(state)
    copy_cond = time >= sequence_length

    def copy_some_through(flat_new_output, flat_new_state):
        return ([_copy_through(copy_cond, z, o) for z, o in zip(flat_zero_output, flat_new_output)] +
                [_copy_through(copy_cond, s, n) for s, n in zip(flat_state, flat_new_state)])

    def maybe_copy_some_through():
        new_output, new_state = call_cell()
        flat_new_output, flat_new_state = _flatten(new_output), _flatten(new_state)
        return control_flow_ops.cond(time < min_len, lambda: flat_new_output + flat_new_state,
                                     lambda: copy_some_through(flat_new_output, flat_new_state))
    final = control_flow_ops.cond(time >= max_len, lambda: list(flat_zero_output) + flat_state,
                                  maybe_copy_some_through)
    n = len(flat_zero_output)
    final_output, final_state = final[:n], final[n:]
    for o, z in zip(final_output, flat_zero_output):
        o.set_shape(z.shape)
    for s, old in zip(final_state, flat_state):
        s.set_shape(old.shape)
    return _structured(output_size, final_output), _structured(state, final_state)
