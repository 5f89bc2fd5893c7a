"""tf.train optimizers, built as TF1 builds them so checkpoints are interchangeable.

`minimize` = `compute_gradients` (tf.gradients, gated per op) + `apply_gradients`,
which creates the slot variables (`<var>/<Name>`, `<var>/<Name>_1`) and
non-slot variables (Adam's `beta1_power`, colocated with the first variable
by name), then under the optimizer's name scope one `update_<var>` block per
variable with its Apply* (ref) or ResourceApply* (resource) kernel, and
finally a group named after the optimizer, or, with a global step, an
AssignAdd of it named so, run after the `update` group.
"""

import numpy as np

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.framework.variables import Variable
from metarun.ops import control_flow_ops
from metarun.ops.gradients_impl import IndexedSlices, gradients
from metarun.ops.scopes import name_scope

GATE_NONE, GATE_OP, GATE_GRAPH = 0, 1, 2


def _var_key(var):
    return var.op.name


class Optimizer(object):
    GATE_NONE, GATE_OP, GATE_GRAPH = GATE_NONE, GATE_OP, GATE_GRAPH

    def __init__(self, use_locking, name):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots = {}          # slot name -> {var key: slot Variable}
        self._non_slot = {}       # (name, graph) -> Variable

    def get_name(self):
        return self._name

    # -- gradients ---------------------------------------------------------------------------
    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP, aggregation_method=None,
                          colocate_gradients_with_ops=False, grad_loss=None):
        if callable(loss):
            raise NotImplementedError("a callable loss needs eager execution")
        if gate_gradients not in (GATE_NONE, GATE_OP, GATE_GRAPH):
            raise ValueError("gate_gradients must be one of: Optimizer.GATE_NONE, Optimizer.GATE_OP, "
                             "Optimizer.GATE_GRAPH.  Not %s" % gate_gradients)
        if var_list is None:
            g = graph_lib.get_default_graph()
            var_list = g.get_collection(graph_lib.GraphKeys.TRAINABLE_VARIABLES) + \
                g.get_collection("trainable_resource_variables")
        else:
            var_list = list(var_list)
        var_list = [v for v in var_list if v is not None]
        if not var_list:
            raise ValueError("No variables to optimize.")
        targets = [v if v._is_resource else v._ref() for v in var_list]
        grads = gradients(loss, targets, grad_ys=grad_loss, gate_gradients=(gate_gradients == GATE_OP),
                          aggregation_method=aggregation_method,
                          colocate_gradients_with_ops=colocate_gradients_with_ops)
        if gate_gradients == GATE_GRAPH:
            from metarun.ops.gradients_impl import _tuple
            grads = _tuple(grads)
        return list(zip(grads, var_list))

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP, aggregation_method=None,
                 colocate_gradients_with_ops=False, name=None, grad_loss=None):
        grads_and_vars = self.compute_gradients(loss, var_list=var_list, gate_gradients=gate_gradients,
                                                aggregation_method=aggregation_method,
                                                colocate_gradients_with_ops=colocate_gradients_with_ops,
                                                grad_loss=grad_loss)
        if not [v for g, v in grads_and_vars if g is not None]:
            raise ValueError("No gradients provided for any variable, check your graph for ops that do not "
                             "support gradients, between variables %s and loss %s."
                             % ([str(v) for _, v in grads_and_vars], loss))
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    # -- applying ----------------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        grads_and_vars = [(g if g is None or isinstance(g, IndexedSlices) else convert_to_tensor(g), v)
                          for g, v in grads_and_vars]
        if not grads_and_vars:
            raise ValueError("No variables provided.")
        var_list = [v for g, v in grads_and_vars if g is not None]
        if not var_list:
            raise ValueError("No gradients provided for any variable: %s." % ([str(v) for _, v in grads_and_vars],))
        g = graph_lib.get_default_graph()
        with g.control_dependencies(None):
            self._create_slots(var_list)
        update_ops = []
        with name_scope(name, self._name, []) as scope:
            self._prepare()
            for grad, var in grads_and_vars:
                if grad is None:
                    continue
                with name_scope("update_" + var.op.name), g.colocate_with(var.op):
                    update_ops.append(self._apply_one(grad, var))
            if global_step is None:
                apply_updates = self._finish(update_ops, scope)
            else:
                with g.control_dependencies([self._finish(update_ops, "update")]):
                    with g.colocate_with(global_step.op):
                        if global_step._is_resource:
                            one = convert_to_tensor(1, dtype=global_step.dtype)
                            apply_updates = apply_op("AssignAddVariableOp", resource=global_step.handle,
                                                     value=one, name=scope)
                        else:
                            apply_updates = apply_op("AssignAdd", ref=global_step._ref(), value=1,
                                                     use_locking=False, name=scope).op
        train_ops = g.get_collection_ref(graph_lib.GraphKeys.TRAIN_OP)
        if apply_updates not in train_ops:
            train_ops.append(apply_updates)
        return apply_updates

    def _apply_one(self, grad, var):
        if isinstance(grad, IndexedSlices):
            if var._is_resource:
                return self._resource_apply_sparse(grad, var)
            return self._apply_sparse(grad, var)
        if var._is_resource:
            return self._resource_apply_dense(grad, var)
        return self._apply_dense(grad, var)

    def _finish(self, update_ops, name_scope_):
        return control_flow_ops.group(*update_ops, name=name_scope_)

    def _prepare(self):
        pass

    def _create_slots(self, var_list):
        pass

    def _hyper(self, value, name):
        value = value() if callable(value) else value
        return convert_to_tensor(value, name=name)

    def _cast(self, t, var):
        if t.dtype.base_dtype == var.dtype.base_dtype:
            return t
        return apply_op("Cast", x=t, DstT=var.dtype.base_dtype)

    def _apply_sparse(self, grad, var):
        raise NotImplementedError("sparse updates are not supported by %s in metarun" % self._name)

    def _resource_apply_sparse(self, grad, var):
        raise NotImplementedError("sparse updates are not supported by %s in metarun" % self._name)

    # -- slots -------------------------------------------------------------------------------
    def _zeros_slot(self, var, slot_name, op_name):
        slots = self._slots.setdefault(slot_name, {})
        if _var_key(var) not in slots:
            slots[_var_key(var)] = _create_slot(var, lambda: _zeros(var), op_name)
        return slots[_var_key(var)]

    def get_slot(self, var, name):
        return self._slots.get(name, {}).get(_var_key(var))

    def get_slot_names(self):
        return sorted(self._slots)

    def _create_non_slot_variable(self, initial_value, name, colocate_with):
        g = colocate_with.graph
        key = (name, g)
        if key not in self._non_slot:
            with g.as_default(), g.colocate_with(colocate_with.op):
                self._non_slot[key] = Variable(initial_value, name=name, trainable=False,
                                               use_resource=colocate_with._is_resource)
        return self._non_slot[key]

    def _get_non_slot_variable(self, name, graph=None):
        return self._non_slot.get((name, graph or graph_lib.get_default_graph()))

    def variables(self):
        out = [v for (_, g), v in self._non_slot.items() if g is graph_lib.get_default_graph()]
        for slots in self._slots.values():
            out.extend(slots.values())
        return sorted(out, key=lambda v: v.name)


def _zeros(var):
    shape = var.shape.as_list()
    dt = var.dtype.base_dtype
    return constant(np.zeros(shape, dt.as_numpy_dtype), dtype=dt, name="zeros")


def _create_slot(primary, init_fn, op_name):
    """A slot variable `<primary>/<op_name>`, colocated with its primary, of its kind."""
    g = primary.graph
    with g.as_default(), g.control_dependencies(None), g.colocate_with(primary.op):
        return Variable(init_fn, name=primary.op.name + "/" + op_name, trainable=False,
                        use_resource=primary._is_resource)


# -- the optimizers ------------------------------------------------------------------------------

class GradientDescentOptimizer(Optimizer):
    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def _prepare(self):
        self._lr_t = self._hyper(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad, var):
        return apply_op("ApplyGradientDescent", var=var._ref(), alpha=self._cast(self._lr_t, var), delta=grad,
                        use_locking=self._use_locking).op

    def _resource_apply_dense(self, grad, var):
        return apply_op("ResourceApplyGradientDescent", var=var.handle, alpha=self._cast(self._lr_t, var),
                        delta=grad, use_locking=self._use_locking)

    def _apply_sparse(self, grad, var):
        delta = apply_op("Mul", x=grad.values, y=self._cast(self._lr_t, var))
        return apply_op("ScatterSub", ref=var._ref(), indices=grad.indices, updates=delta,
                        use_locking=self._use_locking).op

    def _resource_apply_sparse(self, grad, var):
        delta = apply_op("Neg", x=apply_op("Mul", x=grad.values, y=self._cast(self._lr_t, var)))
        return apply_op("ResourceScatterAdd", resource=var.handle, indices=grad.indices, updates=delta)


class MomentumOptimizer(Optimizer):
    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum", use_nesterov=False):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._lr_t = self._hyper(self._learning_rate, "learning_rate")
        self._momentum_t = self._hyper(self._momentum, "momentum")

    def _apply_dense(self, grad, var):
        mom = self.get_slot(var, "momentum")
        return apply_op("ApplyMomentum", var=var._ref(), accum=mom._ref(), lr=self._cast(self._lr_t, var),
                        grad=grad, momentum=self._cast(self._momentum_t, var), use_locking=self._use_locking,
                        use_nesterov=self._use_nesterov).op

    def _resource_apply_dense(self, grad, var):
        mom = self.get_slot(var, "momentum")
        return apply_op("ResourceApplyMomentum", var=var.handle, accum=mom.handle, lr=self._cast(self._lr_t, var),
                        grad=grad, momentum=self._cast(self._momentum_t, var), use_locking=self._use_locking,
                        use_nesterov=self._use_nesterov)


class AdamOptimizer(Optimizer):
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, use_locking=False,
                 name="Adam"):
        super().__init__(use_locking, name)
        self._lr, self._beta1, self._beta2, self._epsilon = learning_rate, beta1, beta2, epsilon

    def _create_slots(self, var_list):
        first = min(var_list, key=lambda v: v.name)
        self._create_non_slot_variable(self._beta1, "beta1_power", first)
        self._create_non_slot_variable(self._beta2, "beta2_power", first)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name + "_1")

    def _get_beta_accumulators(self):
        g = graph_lib.get_default_graph()
        return self._get_non_slot_variable("beta1_power", g), self._get_non_slot_variable("beta2_power", g)

    def _prepare(self):
        self._lr_t = self._hyper(self._lr, "learning_rate")
        self._beta1_t = self._hyper(self._beta1, "beta1")
        self._beta2_t = self._hyper(self._beta2, "beta2")
        self._epsilon_t = self._hyper(self._epsilon, "epsilon")

    def _power_values(self, var):
        b1, b2 = self._get_beta_accumulators()
        if b1._is_resource:
            return (self._cast(apply_op("ReadVariableOp", resource=b1.handle, dtype=b1.dtype), var),
                    self._cast(apply_op("ReadVariableOp", resource=b2.handle, dtype=b2.dtype), var))
        return self._cast(b1._ref(), var), self._cast(b2._ref(), var)

    def _apply_dense(self, grad, var):
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        with name_scope("ApplyAdam") as scope:
            p1, p2 = self._power_values(var)
            return apply_op("ApplyAdam", var=var._ref(), m=m._ref(), v=v._ref(), beta1_power=p1, beta2_power=p2,
                            lr=self._cast(self._lr_t, var), beta1=self._cast(self._beta1_t, var),
                            beta2=self._cast(self._beta2_t, var), epsilon=self._cast(self._epsilon_t, var),
                            grad=grad, use_locking=self._use_locking, use_nesterov=False, name=scope).op

    def _resource_apply_dense(self, grad, var):
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        with name_scope("ResourceApplyAdam") as scope:
            p1, p2 = self._power_values(var)
            return apply_op("ResourceApplyAdam", var=var.handle, m=m.handle, v=v.handle, beta1_power=p1,
                            beta2_power=p2, lr=self._cast(self._lr_t, var), beta1=self._cast(self._beta1_t, var),
                            beta2=self._cast(self._beta2_t, var), epsilon=self._cast(self._epsilon_t, var),
                            grad=grad, use_locking=self._use_locking, use_nesterov=False, name=scope)

    def _finish(self, update_ops, name_scope_):
        g = graph_lib.get_default_graph()
        b1, b2 = self._get_beta_accumulators()
        with g.control_dependencies(update_ops):
            with g.colocate_with(b1.op):
                upd1 = b1.assign(apply_op("Mul", x=b1.value() if b1._is_resource else b1._snapshot,
                                          y=self._beta1_t), use_locking=self._use_locking)
                upd2 = b2.assign(apply_op("Mul", x=b2.value() if b2._is_resource else b2._snapshot,
                                          y=self._beta2_t), use_locking=self._use_locking)
        return control_flow_ops.group(*(list(update_ops) + [upd1, upd2]), name=name_scope_)


class RMSPropOptimizer(Optimizer):
    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, use_locking=False, centered=False,
                 name="RMSProp"):
        super().__init__(use_locking, name)
        self._lr, self._decay, self._momentum, self._epsilon, self._centered = \
            learning_rate, decay, momentum, epsilon, centered

    def _create_slots(self, var_list):
        for v in var_list:
            self._slots.setdefault("rms", {})
            if _var_key(v) not in self._slots["rms"]:
                dt = v.dtype.base_dtype
                self._slots["rms"][_var_key(v)] = _create_slot(
                    v, lambda v=v, dt=dt: constant(np.ones(v.shape.as_list(), dt.as_numpy_dtype), dtype=dt,
                                                   name="ones"), self._name)
            # Every slot asks for <var>/RMSProp; unique naming gives _1, _2 in creation order.
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._lr_t = self._hyper(self._lr, "learning_rate")
        self._decay_t = self._hyper(self._decay, "decay")
        self._momentum_t = self._hyper(self._momentum, "momentum")
        self._epsilon_t = self._hyper(self._epsilon, "epsilon")

    def _args(self, var):
        return dict(lr=self._cast(self._lr_t, var), rho=self._cast(self._decay_t, var),
                    momentum=self._cast(self._momentum_t, var), epsilon=self._cast(self._epsilon_t, var),
                    use_locking=self._use_locking)

    def _apply_dense(self, grad, var):
        rms, mom = self.get_slot(var, "rms"), self.get_slot(var, "momentum")
        if self._centered:
            return apply_op("ApplyCenteredRMSProp", var=var._ref(), mg=self.get_slot(var, "mg")._ref(),
                            ms=rms._ref(), mom=mom._ref(), grad=grad, **self._args(var)).op
        return apply_op("ApplyRMSProp", var=var._ref(), ms=rms._ref(), mom=mom._ref(), grad=grad,
                        **self._args(var)).op

    def _resource_apply_dense(self, grad, var):
        rms, mom = self.get_slot(var, "rms"), self.get_slot(var, "momentum")
        if self._centered:
            return apply_op("ResourceApplyCenteredRMSProp", var=var.handle, mg=self.get_slot(var, "mg").handle,
                            ms=rms.handle, mom=mom.handle, grad=grad, **self._args(var))
        return apply_op("ResourceApplyRMSProp", var=var.handle, ms=rms.handle, mom=mom.handle, grad=grad,
                        **self._args(var))


class AdagradOptimizer(Optimizer):
    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False, name="Adagrad"):
        super().__init__(use_locking, name)
        self._lr, self._initial = learning_rate, initial_accumulator_value

    def _create_slots(self, var_list):
        slots = self._slots.setdefault("accumulator", {})
        for v in var_list:
            if _var_key(v) not in slots:
                dt = v.dtype.base_dtype
                slots[_var_key(v)] = _create_slot(
                    v, lambda v=v, dt=dt: constant(np.full(v.shape.as_list(), self._initial, dt.as_numpy_dtype),
                                                   dtype=dt, name="Const"), self._name)

    def _prepare(self):
        self._lr_t = self._hyper(self._lr, "learning_rate")

    def _apply_dense(self, grad, var):
        acc = self.get_slot(var, "accumulator")
        return apply_op("ApplyAdagrad", var=var._ref(), accum=acc._ref(), lr=self._cast(self._lr_t, var), grad=grad,
                        use_locking=self._use_locking).op

    def _resource_apply_dense(self, grad, var):
        acc = self.get_slot(var, "accumulator")
        return apply_op("ResourceApplyAdagrad", var=var.handle, accum=acc.handle, lr=self._cast(self._lr_t, var),
                        grad=grad, use_locking=self._use_locking)


# -- global step ---------------------------------------------------------------------------------

def get_global_step(graph=None):
    g = graph or graph_lib.get_default_graph()
    steps = g.get_collection(graph_lib.GraphKeys.GLOBAL_STEP)
    if len(steps) == 1:
        return steps[0]
    if len(steps) > 1:
        raise TypeError("Multiple tensors in global_step collection.")
    try:
        t = g.get_tensor_by_name("global_step:0")
    except (KeyError, ValueError):
        return None
    return t


def create_global_step(graph=None):
    g = graph or graph_lib.get_default_graph()
    if get_global_step(g) is not None:
        raise ValueError("\"global_step\" already exists.")
    with g.as_default(), g.name_scope(None), g.colocate_with_groups([b"loc:@global_step"]):
        return Variable(lambda: constant(np.array(0, np.int64), dtype=dtypes.int64, name="zeros"),
                        name="global_step", trainable=False, dtype=dtypes.int64,
                        collections=[graph_lib.GraphKeys.GLOBAL_VARIABLES, graph_lib.GraphKeys.GLOBAL_STEP])


def get_or_create_global_step(graph=None):
    g = graph or graph_lib.get_default_graph()
    step = get_global_step(g)
    return step if step is not None else create_global_step(g)
