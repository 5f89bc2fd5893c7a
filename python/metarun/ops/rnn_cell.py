"""tf.nn.rnn_cell: TF1's RNN cells, with TF's variable names (`<scope>/basic_lstm_cell/kernel`...).

A cell's variables are made the first time it is called, under a variable scope named after the
cell (or its `name`), and outside any loop or cond being built (as TF makes variables: in the
graph's init scope); later calls reuse them.
"""

import collections

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import convert_to_tensor
from metarun.ops import array_ops, init_ops, math_ops, nn_ops
from metarun.ops import variable_scope as vs
from metarun.ops.control_flow_ops import _flatten, _pack_as
from metarun.ops.scopes import name_scope


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """(c, h): an LSTM's cell state and output."""
    __slots__ = ()

    @property
    def dtype(self):
        if self.c.dtype != self.h.dtype:
            raise TypeError("Inconsistent internal state: %s vs %s" % (self.c.dtype, self.h.dtype))
        return self.c.dtype


def _concat(prefix, suffix, static=False):
    """TF's rnn_cell _concat: the shape prefix + suffix, as a static list (static=True) or an
    int32 tensor (a ConcatV2 of two Consts; TF makes the Consts in the static case too)."""
    from metarun.framework.op_builder import constant
    from metarun.framework.shape_inference import constant_value
    from metarun.framework.tensor_shape import TensorShape

    def part(x):
        if isinstance(x, graph_lib.Tensor):
            known = constant_value(x)
            if x.shape.ndims == 0:
                x = array_ops.expand_dims(x, 0)
            elif x.shape.ndims != 1:
                raise ValueError("Prefix tensor must be either a scalar or vector, but saw tensor: %s" % x)
            return x, (None if known is None else list(known.reshape(-1)))
        shape = TensorShape(x)
        known = shape.as_list() if shape.ndims is not None else None
        return (constant(shape.as_list(), dtype=dtypes.int32) if shape.is_fully_defined() else None), known
    p, p_static = part(prefix)
    s, s_static = part(suffix)
    if static:
        shape = TensorShape(p_static).concatenate(s_static)
        return shape.as_list() if shape.ndims is not None else None
    if p is None or s is None:
        raise ValueError("Prefix or suffix can't be None. Received prefix = %s and suffix = %s" % (prefix, suffix))
    return array_ops.concat((p, s), 0)


def _zero_state_tensors(state_size, batch_size, dtype):
    """Zeros [batch_size] + size for each size of a (nested) state size, as TF builds them: a Fill
    of a concatenated shape, its static shape set."""
    def zeros_for(size):
        z = array_ops.zeros(_concat(batch_size, size), dtype=dtype)
        z.set_shape(_concat(batch_size, size, static=True))
        return z
    if isinstance(state_size, (tuple, list)):
        return _pack_as(state_size, [zeros_for(s) for s in _flatten(state_size)])
    return zeros_for(state_size)


class _no_scope(object):
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


class RNNCell(object):
    """The cell contract: `cell(inputs, state) -> (output, new_state)`, state_size, output_size."""

    _default_name = "rnn_cell"

    def __init__(self, name=None, dtype=None, reuse=None):
        self._name = name
        self._dtype = dtype
        self._reuse = reuse
        self._scope = None
        self.built = False
        self._vars = []

    @property
    def state_size(self):
        raise NotImplementedError

    @property
    def output_size(self):
        raise NotImplementedError

    @property
    def trainable_variables(self):
        return list(self._vars)

    variables = trainable_variables
    trainable_weights = trainable_variables
    weights = trainable_variables

    def zero_state(self, batch_size, dtype):
        with name_scope(None, type(self).__name__ + "ZeroState", [batch_size]):
            return _zero_state_tensors(self.state_size, batch_size, dtype)

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        return self.zero_state(batch_size, dtype)

    # TF's layer cells (LayerRNNCell) open their own scope directly; the other cells (MultiRNNCell)
    # first re-enter the current variable scope, which opens a name scope named after its last part:
    # their ops land under e.g. `rnn/while/rnn/multi_rnn_cell/`.
    _reenters_scope = False

    def __call__(self, inputs, state, scope=None):
        g = graph_lib.get_default_graph()
        base = self._name or self._default_name
        if self._scope is None:
            # First call: the layer's scope, unique like TF's default_name (re-used by name when the
            # cell was made with reuse); its name scope is where all its calls put their ops.
            outer = vs.get_variable_scope().name.split("/")[-1] if self._reenters_scope and scope is None else ""
            with (g.name_scope(outer) if outer else _no_scope()):
                cm = vs.variable_scope(scope if scope is not None else base) if self._reuse else \
                    vs.variable_scope(scope, default_name=base)
                with cm as sc:
                    self._scope = sc
        reuse = True if self.built else self._reuse
        with vs.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False):
            with g.name_scope(self._scope.original_name_scope):
                return self._call_in_scope(inputs, state)

    def _call_in_scope(self, inputs, state):
        inputs = convert_to_tensor(inputs)
        if not self.built:
            self.build(inputs.shape)
            self.built = True
        return self.call(inputs, state)

    def _variable(self, name, shape, initializer=None, dtype=dtypes.float32):
        g = graph_lib.get_default_graph()
        with g.control_dependencies(None):  # outside any loop or cond, as TF's init scope
            v = vs.get_variable(name, shape=shape, dtype=dtype, initializer=initializer)
        self._vars.append(v)
        return v

    def build(self, inputs_shape):
        pass


LayerRNNCell = RNNCell


def _depth(inputs_shape):
    d = inputs_shape.dims[-1] if inputs_shape.ndims else None
    if d is None:
        raise ValueError("Expected inputs.shape[-1] to be known, saw shape: %s" % inputs_shape)
    return d


def _matmul_bias(x_list, kernel, bias):
    return nn_ops.bias_add(math_ops.matmul(array_ops.concat(x_list, 1), kernel), bias)


class BasicRNNCell(RNNCell):
    _default_name = "basic_rnn_cell"

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(name, dtype, reuse)
        self._num_units = num_units
        self._activation = activation or math_ops.tanh

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, inputs_shape):
        d = _depth(inputs_shape)
        self._kernel = self._variable("kernel", [d + self._num_units, self._num_units])
        self._bias = self._variable("bias", [self._num_units], init_ops.Zeros())

    def call(self, inputs, state):
        out = self._activation(_matmul_bias([inputs, state], self._kernel, self._bias))
        return out, out


class GRUCell(RNNCell):
    _default_name = "gru_cell"

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None, bias_initializer=None,
                 name=None, dtype=None, **kwargs):
        super().__init__(name, dtype, reuse)
        self._num_units = num_units
        self._activation = activation or math_ops.tanh
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, inputs_shape):
        d = _depth(inputs_shape)
        n = self._num_units
        with vs.variable_scope("gates"):
            self._gate_kernel = self._variable("kernel", [d + n, 2 * n], self._kernel_initializer)
            self._gate_bias = self._variable("bias", [2 * n], self._bias_initializer or init_ops.Constant(1.0))
        with vs.variable_scope("candidate"):
            self._candidate_kernel = self._variable("kernel", [d + n, n], self._kernel_initializer)
            self._candidate_bias = self._variable("bias", [n], self._bias_initializer or init_ops.Zeros())

    def call(self, inputs, state):
        value = math_ops.sigmoid(_matmul_bias([inputs, state], self._gate_kernel, self._gate_bias))
        r, u = array_ops.split(value=value, num_or_size_splits=2, axis=1)
        c = self._activation(_matmul_bias([inputs, r * state], self._candidate_kernel, self._candidate_bias))
        new_h = u * state + (1 - u) * c
        return new_h, new_h


class BasicLSTMCell(RNNCell):
    _default_name = "basic_lstm_cell"

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None, name=None,
                 dtype=None, **kwargs):
        super().__init__(name, dtype, reuse)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation or math_ops.tanh

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    output_size = property(lambda self: self._num_units)

    def build(self, inputs_shape):
        d = _depth(inputs_shape)
        self._kernel = self._variable("kernel", [d + self._num_units, 4 * self._num_units])
        self._bias = self._variable("bias", [4 * self._num_units], init_ops.Zeros())

    def call(self, inputs, state):
        from metarun.framework.op_builder import constant
        one = constant(1, dtype=dtypes.int32)  # TF splits along a Const axis
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = array_ops.split(value=state, num_or_size_splits=2, axis=one)
        gates = _matmul_bias([inputs, h], self._kernel, self._bias)
        i, j, f, o = array_ops.split(value=gates, num_or_size_splits=4, axis=one)
        forget_bias = constant(self._forget_bias, dtype=f.dtype)
        add, mul = math_ops.add, math_ops.multiply  # TF's names: Add, Mul
        new_c = add(mul(c, math_ops.sigmoid(add(f, forget_bias))), mul(math_ops.sigmoid(i), self._activation(j)))
        new_h = mul(self._activation(new_c), math_ops.sigmoid(o))
        new_state = LSTMStateTuple(new_c, new_h) if self._state_is_tuple else array_ops.concat([new_c, new_h], 1)
        return new_h, new_state


class LSTMCell(RNNCell):
    _default_name = "lstm_cell"

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None, num_proj=None,
                 proj_clip=None, num_unit_shards=None, num_proj_shards=None, forget_bias=1.0, state_is_tuple=True,
                 activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(name, dtype, reuse)
        self._num_units = num_units
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation or math_ops.tanh

    @property
    def state_size(self):
        out = self._num_proj or self._num_units
        return LSTMStateTuple(self._num_units, out) if self._state_is_tuple else self._num_units + out

    output_size = property(lambda self: self._num_proj or self._num_units)

    def build(self, inputs_shape):
        d = _depth(inputs_shape)
        h_depth = self._num_proj or self._num_units
        n = self._num_units
        self._kernel = self._variable("kernel", [d + h_depth, 4 * n], self._initializer)
        self._bias = self._variable("bias", [4 * n], init_ops.Zeros())
        if self._use_peepholes:
            self._w_f_diag = self._variable("w_f_diag", [n], self._initializer)
            self._w_i_diag = self._variable("w_i_diag", [n], self._initializer)
            self._w_o_diag = self._variable("w_o_diag", [n], self._initializer)
        if self._num_proj is not None:
            with vs.variable_scope("projection"):
                self._proj_kernel = self._variable("kernel", [n, self._num_proj], self._initializer)

    def call(self, inputs, state):
        sigmoid = math_ops.sigmoid
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = array_ops.slice(state, [0, 0], [-1, self._num_units])
            m_prev = array_ops.slice(state, [0, self._num_units], [-1, self._num_proj or self._num_units])
        gates = _matmul_bias([inputs, m_prev], self._kernel, self._bias)
        i, j, f, o = array_ops.split(value=gates, num_or_size_splits=4, axis=1)
        if self._use_peepholes:
            c = (sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev +
                 sigmoid(i + self._w_i_diag * c_prev) * self._activation(j))
        else:
            c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = math_ops.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + self._w_o_diag * c) * self._activation(c)
        else:
            m = sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = math_ops.matmul(m, self._proj_kernel)
            if self._proj_clip is not None:
                m = math_ops.clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else array_ops.concat([c, m], 1)
        return m, new_state


class MultiRNNCell(RNNCell):
    _reenters_scope = True

    _default_name = "multi_rnn_cell"

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        self._cells = list(cells)
        self._state_is_tuple = state_is_tuple

    @property
    def state_size(self):
        if self._state_is_tuple:
            return tuple(c.state_size for c in self._cells)
        return sum(c.state_size for c in self._cells)

    output_size = property(lambda self: self._cells[-1].output_size)

    @property
    def trainable_variables(self):
        return [v for c in self._cells for v in c.trainable_variables]

    def zero_state(self, batch_size, dtype):
        with name_scope(None, type(self).__name__ + "ZeroState", [batch_size]):
            if self._state_is_tuple:
                return tuple(c.zero_state(batch_size, dtype) for c in self._cells)
            return RNNCell.zero_state(self, batch_size, dtype)

    def _call_in_scope(self, inputs, state):
        cur = inputs
        new_states = []
        for i, cell in enumerate(self._cells):
            with vs.variable_scope("cell_%d" % i):
                cur_state = state[i] if self._state_is_tuple else None
                cur, new_state = cell(cur, cur_state)
                new_states.append(new_state)
        return cur, tuple(new_states) if self._state_is_tuple else array_ops.concat(new_states, 1)


class DropoutWrapper(RNNCell):
    """Dropout on a cell's inputs, outputs and state, as TF1's wrapper applies it: a probability
    given as a Python float drops only when below 1; state dropout leaves an LSTM's `c` alone; each
    dropped value gets its own seed, derived from `seed` and what it is ('input_0', 'state_1'...)."""

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None, **kwargs):
        super().__init__()
        if variational_recurrent:
            raise NotImplementedError("DropoutWrapper(variational_recurrent=True) is not supported by metarun yet")
        from metarun.framework.shape_inference import constant_value
        probs = []
        # TF converts each probability in a DropoutWrapperInit scope; a constant one becomes a float.
        with name_scope("DropoutWrapperInit"):
            for p, what in ((input_keep_prob, "input"), (state_keep_prob, "state"), (output_keep_prob, "output")):
                tensor = convert_to_tensor(p)
                known = constant_value(tensor)
                if known is not None:
                    if known < 0 or known > 1:
                        raise ValueError("Parameter %s_keep_prob must be between 0 and 1: %s" % (what, known))
                    probs.append(float(known))
                else:
                    probs.append(tensor)
        self._cell = cell
        self._input_keep_prob, self._state_keep_prob, self._output_keep_prob = probs
        self._seed = seed
        self._state_filter = dropout_state_filter_visitor or _default_state_filter

    state_size = property(lambda self: self._cell.state_size)
    output_size = property(lambda self: self._cell.output_size)
    trainable_variables = property(lambda self: self._cell.trainable_variables)

    def zero_state(self, batch_size, dtype):
        with name_scope(None, type(self).__name__ + "ZeroState", [batch_size]):
            return self._cell.zero_state(batch_size, dtype)

    def _gen_seed(self, salt_prefix, index):
        import hashlib
        if self._seed is None:
            return None
        digest = hashlib.md5((str(self._seed) + "%s_%d" % (salt_prefix, index)).encode("utf-8")).hexdigest()
        return int(digest[:8], 16) & 0x7FFFFFFF

    def _dropout(self, values, salt, keep, which=None):
        flat = _flatten(values)
        keep_flags = [True] * len(flat) if which is None else which
        out = [nn_ops.dropout(v, rate=1.0 - keep, seed=self._gen_seed(salt, i)) if do else v
               for i, (v, do) in enumerate(zip(flat, keep_flags))]
        return _pack_as(values, out) if isinstance(values, (tuple, list)) else out[0]

    def __call__(self, inputs, state, scope=None):
        def should_dropout(p):
            return not isinstance(p, float) or p < 1
        if should_dropout(self._input_keep_prob):
            inputs = self._dropout(inputs, "input", self._input_keep_prob)
        output, new_state = self._cell(inputs, state, scope)
        if should_dropout(self._state_keep_prob):
            which = _flatten(_state_filter_flags(self._state_filter, new_state))
            new_state = self._dropout(new_state, "state", self._state_keep_prob, which)
        if should_dropout(self._output_keep_prob):
            output = self._dropout(output, "output", self._output_keep_prob)
        return output, new_state


def _default_state_filter(substate):
    """TF's default: an LSTM state's `h` gets dropout, its `c` does not."""
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)
    return True


def _state_filter_flags(visitor, state):
    """The filter's answer for each value of `state` (a bool covers a whole substructure)."""
    decided = visitor(state)
    if isinstance(decided, bool):
        return [decided] * len(_flatten(state))
    if isinstance(state, (tuple, list)):
        out = []
        for sub, flag in zip(state, decided):
            out.extend(_state_filter_flags(lambda s, f=flag: f, sub) if isinstance(flag, bool)
                       else _state_filter_flags(visitor, sub))
        return out
    return [bool(decided)]
