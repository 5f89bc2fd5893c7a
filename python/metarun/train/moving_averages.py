"""tf.train.ExponentialMovingAverage: shadow variables `<var>/ExponentialMovingAverage`
(colocated with their variable, started from its value) moved by `AssignMovingAvg`
updates: shadow -= (shadow - value) * (1 - decay), the names TF gives them so checkpoints and
`variables_to_restore` maps carry over."""

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.variables import Variable, is_variable_initialized
from metarun.ops import array_ops, control_flow_ops, math_ops
from metarun.ops.scopes import name_scope
from metarun.train import optimizer as optimizer_lib

_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)


def moving_average_variables(scope=None):
    """The variables whose moving averages an ExponentialMovingAverage keeps."""
    g = graph_lib.get_default_graph()
    return g.get_collection(graph_lib.GraphKeys.MOVING_AVERAGE_VARIABLES, scope)


def _minus(var_or_tensor, value):
    """`var - value` as TF's operators write it (a resource variable read first)."""
    if isinstance(var_or_tensor, Variable):
        return optimizer_lib.read_value(var_or_tensor) - value
    return var_or_tensor - value


def assign_moving_average(variable, value, decay, zero_debias=True, name=None):
    """variable -= (variable - value) * (1 - decay); with `zero_debias`, the average of a
    zero-started variable divided by 1 - decay ** steps (two helper variables, `biased` and
    `local_step`, beside it)."""
    with name_scope(name, "AssignMovingAvg", [variable, value, decay]) as scope:
        decay = convert_to_tensor(1.0 - decay, name="decay")
        if decay.dtype.base_dtype != variable.dtype.base_dtype:
            decay = math_ops.cast(decay, variable.dtype.base_dtype)
        if zero_debias:
            return _zero_debias(variable, value, decay)
        delta = _minus(variable, value) * decay
        if variable._is_resource:
            return optimizer_lib.assign_sub(variable, delta)
        return apply_op("AssignSub", ref=variable._ref(), value=delta, use_locking=False, name=scope)


def _zero_debias(unbiased, value, decay):
    base = unbiased.op.name
    g = graph_lib.get_default_graph()
    existing = set(v.op.name for v in g.get_collection(graph_lib.GraphKeys.GLOBAL_VARIABLES))

    def unique(name):
        full = base + "/" + name
        if full not in existing:
            return full
        i = 1
        while full + "_%d" % i in existing:
            i += 1
        return full + "_%d" % i

    dtype = unbiased.dtype.base_dtype
    with g.control_dependencies(None), g.name_scope(None), g.colocate_with(unbiased.op):
        biased = Variable(lambda: array_ops.zeros(unbiased.shape.as_list(), dtype), name=unique("biased"),
                          trainable=False, use_resource=unbiased._is_resource)
        local_step = Variable(lambda: array_ops.zeros([], dtype), name=unique("local_step"), trainable=False,
                              use_resource=unbiased._is_resource)
    update_biased = _assign_sub(biased, _minus(biased, value) * decay)
    update_step = _assign_add(local_step, 1)
    bias_factor = 1 - math_ops.pow(1.0 - decay, update_step)
    return _assign(unbiased, update_biased / bias_factor, name=g.get_name_scope() + "/")


def _assign_sub(var, value):
    if var._is_resource:
        return convert_to_tensor(optimizer_lib.assign_sub(var, value))
    return apply_op("AssignSub", ref=var._ref(), value=value, use_locking=False)


def _assign_add(var, value):
    if var._is_resource:
        value = convert_to_tensor(value, dtype=var.dtype)
        return convert_to_tensor(optimizer_lib._Unread(var, apply_op("AssignAddVariableOp", resource=var.handle,
                                                                     value=value)))
    return apply_op("AssignAdd", ref=var._ref(), value=value, use_locking=False)


def _assign(var, value, name):
    if var._is_resource:
        value = convert_to_tensor(value, dtype=var.dtype)
        return optimizer_lib._Unread(var, apply_op("AssignVariableOp", resource=var.handle, value=value,
                                                   validate_shape=True, name=name))
    return apply_op("Assign", ref=var._ref(), value=value, use_locking=True, validate_shape=True, name=name)


def _value_or_initial_value(var):
    """The variable's value if it is initialized, else its initial value (a cond), so a shadow
    variable can be initialized in the same run as its variable."""
    def read():
        if var._is_resource:
            with name_scope("Read"):
                value = apply_op("ReadVariableOp", resource=var.handle, dtype=var.dtype)
                value.set_shape(var.shape)  # the handle's shape, which a Switch does not carry here
            return array_ops.identity(value)
        return apply_op("Identity", input=var._ref(), name="read")
    g = graph_lib.get_default_graph()
    with g.device(var.device):
        return control_flow_ops.cond(is_variable_initialized(var), read, lambda: var.initial_value)


class ExponentialMovingAverage(object):
    """Moving averages of variables or tensors: apply() makes the shadow variables and returns
    the op updating them; average() and average_name() find them; variables_to_restore() maps
    checkpoint names so the averages load into the variables."""

    def __init__(self, decay, num_updates=None, zero_debias=False, name="ExponentialMovingAverage"):
        self._decay = decay
        self._num_updates = num_updates
        self._zero_debias = zero_debias
        self._name = name
        self._averages = {}

    @property
    def name(self):
        return self._name

    def apply(self, var_list=None):
        if var_list is None:
            var_list = graph_lib.get_default_graph().get_collection(graph_lib.GraphKeys.TRAINABLE_VARIABLES)
        var_list = list(var_list)
        g = graph_lib.get_default_graph()
        zero_debiased = set()
        for var in var_list:
            if var.dtype.base_dtype not in _FLOATS:
                raise TypeError("The variables must be half, float, or double: %s" % var.name)
            if _key(var) in self._averages:
                raise ValueError("Moving average already computed for: %s" % var.name)
            with g.control_dependencies(None):
                if isinstance(var, Variable):
                    initial = _value_or_initial_value(var)
                    avg = optimizer_lib.create_slot(var, initial, self._name)
                    g.add_to_collection(graph_lib.GraphKeys.MOVING_AVERAGE_VARIABLES, var)
                else:
                    is_variable = var.op.type in ("Variable", "VariableV2", "VarHandleOp")
                    avg = optimizer_lib.create_zeros_slot(var, self._name, colocate_with_primary=is_variable)
                    if self._zero_debias:
                        zero_debiased.add(_key(avg))
            self._averages[_key(var)] = avg
        with name_scope(self._name) as scope:
            decay = convert_to_tensor(self._decay, name="decay")
            if self._num_updates is not None:
                num_updates = math_ops.cast(self._num_updates, dtypes.float32, name="num_updates")
                decay = math_ops.minimum(decay, (1.0 + num_updates) / (10.0 + num_updates))
            updates = []
            for var in var_list:
                avg = self._averages[_key(var)]
                update = assign_moving_average(avg, var, decay, zero_debias=_key(avg) in zero_debiased)
                updates.append(optimizer_lib._op_of(update))
            return control_flow_ops.group(*updates, name=scope)

    def average(self, var):
        return self._averages.get(_key(var))

    def average_name(self, var):
        if _key(var) in self._averages:
            return self._averages[_key(var)].name[:-len(":0")]
        return graph_lib.get_default_graph().unique_name(var.name[:-len(":0")] + "/" + self._name,
                                                         mark_as_used=False)

    def variables_to_restore(self, moving_avg_variables=None):
        """{checkpoint name: variable}: each averaged variable under its average's name, every
        other global variable under its own."""
        g = graph_lib.get_default_graph()
        if moving_avg_variables is None:
            moving_avg_variables = g.get_collection(graph_lib.GraphKeys.TRAINABLE_VARIABLES) + \
                g.get_collection(graph_lib.GraphKeys.MOVING_AVERAGE_VARIABLES)
        averaged = []
        for v in moving_avg_variables:
            if all(v is not u for u in averaged):
                averaged.append(v)
        name_map = {self.average_name(v): v for v in averaged}
        names = set(v.name for v in averaged)
        for v in g.get_collection(graph_lib.GraphKeys.GLOBAL_VARIABLES):
            if v.name not in names and v.op.name not in name_map:
                name_map[v.op.name] = v
        return name_map


def _key(v):
    """Averages are found by what they average: a variable by its op, a tensor by its name."""
    if isinstance(v, Variable):
        return ("variable", v.op.graph, v.op.name)
    return ("tensor", v.graph, v.name)
