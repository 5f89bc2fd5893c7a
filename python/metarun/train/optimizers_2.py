"""tf.train.AdagradDAOptimizer: Adagrad dual averaging, graph for graph as TF1 builds it.

Slots `gradient_accumulator` (zeros) and `gradient_squared_accumulator` (the initial value),
made from constants colocated with the variable; `_prepare` makes the step the kernels see,
`identity(global_step) + 1`, colocated with the learning rate (TF's copy for the worker), and
each update reads it again on the variable's device. The l1/l2 strengths are Python numbers
cast per update, so each update holds its own `Cast/x` constants, as in TF.
"""

from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import constant, convert_to_tensor
from metarun.ops import array_ops, math_ops
from metarun.train.optimizers import _KernelUpdate, _apply, _handle


class AdagradDAOptimizer(_KernelUpdate):
    def __init__(self, learning_rate, global_step, initial_gradient_squared_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0, use_locking=False,
                 name="AdagradDA"):
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError("initial_gradient_squared_accumulator_value must be positive: %s"
                             % initial_gradient_squared_accumulator_value)
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_gradient_squared_accumulator_value = initial_gradient_squared_accumulator_value
        self._learning_rate_tensor = None
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._global_step = global_step
        self._global_step_on_worker = None

    def _create_slots(self, var_list):
        g = graph_lib.get_default_graph()
        for v in var_list:
            dtype = v.dtype.base_dtype
            with g.colocate_with(v.op):
                g_val = constant(0.0, shape=v.shape, dtype=dtype)
                gg_val = constant(self._initial_gradient_squared_accumulator_value, shape=v.shape, dtype=dtype)
            self._get_or_make_slot(v, g_val, "gradient_accumulator", self._name)
            self._get_or_make_slot(v, gg_val, "gradient_squared_accumulator", self._name)

    def _prepare(self):
        self._learning_rate_tensor = convert_to_tensor(self._learning_rate, name="learning_rate")
        with graph_lib.get_default_graph().colocate_with(self._learning_rate_tensor.op):
            self._global_step_on_worker = array_ops.identity(self._global_step) + 1

    def _update(self, prefix, grad, var, **indices):
        g_acc = self.get_slot(var, "gradient_accumulator")
        gg_acc = self.get_slot(var, "gradient_squared_accumulator")
        with graph_lib.get_default_graph().device(var.device):
            global_step = array_ops.identity(self._global_step_on_worker)
        # TF casts to the variable's dtype on ref variables and to the gradient's on resource
        # ones; the two are the same.
        dtype = var.dtype.base_dtype
        return _apply(var, prefix + "AdagradDA", var=_handle(var), gradient_accumulator=_handle(g_acc),
                      gradient_squared_accumulator=_handle(gg_acc), grad=grad,
                      lr=math_ops.cast(self._learning_rate_tensor, dtype),
                      l1=math_ops.cast(self._l1_regularization_strength, dtype),
                      l2=math_ops.cast(self._l2_regularization_strength, dtype),
                      global_step=global_step, use_locking=self._use_locking, **indices)
