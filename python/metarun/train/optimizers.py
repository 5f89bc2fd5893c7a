"""The tf.train optimizers: slots, hyperparameter tensors and update kernels as TF1 builds them.

Each optimizer's hyperparameters become tensors named after them in the optimizer's scope
(`Adam/learning_rate`...), cast to the variable's dtype where it differs; the slot names
(`m`, `v`, `momentum`, `accumulator`...) and the slot variables' names (`<var>/Adam`,
`<var>/Adam_1`) are TF's, so checkpoints carry over. Dense updates are the fused Apply* /
ResourceApply* kernels; sparse ones the SparseApply* kernels, except GradientDescent (a
scatter) and Adam (scatters into its slots, as TF writes them).
"""

from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, constant
from metarun.ops import array_ops, control_flow_ops, math_ops
from metarun.ops.scopes import name_scope
from metarun.train import optimizer as optimizer_lib
from metarun.train.optimizer import Optimizer, read_value


def _handle(var):
    return var.handle if var._is_resource else var._ref()


def _apply(variable, dense_op, **inputs):
    """An Apply* kernel on a ref variable (its op) or its Resource* twin."""
    if variable._is_resource:
        return apply_op("Resource" + dense_op, **inputs)
    return apply_op(dense_op, **inputs).op


def _constant_initializer(value):
    return lambda shape, dtype: constant(value, dtype=dtype, shape=shape)


class _KernelUpdate(Optimizer):
    """An optimizer whose every update is one `<Apply|SparseApply><Name>` kernel built by
    `_update(prefix, grad, var, **indices)`; ref or resource is the kernel's Resource prefix."""

    def _update(self, prefix, grad, var, **indices):
        raise NotImplementedError

    def _apply_dense(self, grad, var):
        return self._update("Apply", grad, var)

    _resource_apply_dense = _apply_dense

    def _apply_sparse(self, grad, var):
        return self._update("SparseApply", grad.values, var, indices=grad.indices)

    def _resource_apply_sparse(self, grad, var, indices):
        return self._update("SparseApply", grad, var, indices=indices)


class GradientDescentOptimizer(Optimizer):
    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._learning_rate_tensor = None

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad, var):
        return _apply(var, "ApplyGradientDescent", var=_handle(var),
                      alpha=self._cast(self._learning_rate_tensor, var), delta=grad, use_locking=self._use_locking)

    _resource_apply_dense = _apply_dense

    # Repeated indices need no summing first: the scatter adds each row in.
    def _apply_sparse_duplicate_indices(self, grad, var):
        delta = grad.values * self._cast(self._learning_rate_tensor, var)
        return apply_op("ScatterSub", ref=var._ref(), indices=grad.indices, updates=delta,
                        use_locking=self._use_locking).op

    def _resource_apply_sparse_duplicate_indices(self, grad, var, indices):
        delta = -grad * self._cast(self._learning_rate_tensor, var)
        return apply_op("ResourceScatterAdd", resource=var.handle, indices=indices, updates=delta)


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
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")
        self._momentum_tensor = self._hyper(self._momentum, "momentum")

    def _apply_dense(self, grad, var):
        mom = self.get_slot(var, "momentum")
        return _apply(var, "ApplyMomentum", var=_handle(var), accum=_handle(mom),
                      lr=self._cast(self._learning_rate_tensor, var), grad=grad,
                      momentum=self._cast(self._momentum_tensor, var), use_locking=self._use_locking,
                      use_nesterov=self._use_nesterov)

    _resource_apply_dense = _apply_dense

    def _apply_sparse(self, grad, var):
        return self._resource_apply_sparse(grad.values, var, grad.indices)

    def _resource_apply_sparse(self, grad, var, indices):
        mom = self.get_slot(var, "momentum")
        return _apply(var, "SparseApplyMomentum", var=_handle(var), accum=_handle(mom),
                      lr=self._cast(self._learning_rate_tensor, var), grad=grad, indices=indices,
                      momentum=self._cast(self._momentum_tensor, var), use_locking=self._use_locking,
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
            self._zeros_slot(v, "v", self._name)

    def _get_beta_accumulators(self):
        g = graph_lib.get_default_graph()
        return self._get_non_slot_variable("beta1_power", g), self._get_non_slot_variable("beta2_power", g)

    def _prepare(self):
        self._lr_t = self._hyper(self._lr, "learning_rate")
        self._beta1_t = self._hyper(self._beta1, "beta1")
        self._beta2_t = self._hyper(self._beta2, "beta2")
        self._epsilon_t = self._hyper(self._epsilon, "epsilon")

    def _apply_dense(self, grad, var):
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        b1, b2 = self._get_beta_accumulators()
        op = "ResourceApplyAdam" if var._is_resource else "ApplyAdam"
        # TF casts in the update's scope, reading an accumulator inside its Cast; where the types
        # already match there is no Cast and the op's wrapper reads it in the op's own scope.
        same = b1.dtype.base_dtype == var.dtype.base_dtype
        p1, p2 = (None, None) if same else (self._cast(b1, var), self._cast(b2, var))
        hyper = [self._cast(t, var) for t in (self._lr_t, self._beta1_t, self._beta2_t, self._epsilon_t)]
        with name_scope(op) as scope:
            if same:
                p1, p2 = read_value(b1), read_value(b2)
            out = apply_op(op, var=_handle(var), m=_handle(m), v=_handle(v), beta1_power=p1, beta2_power=p2,
                           lr=hyper[0], beta1=hyper[1], beta2=hyper[2], epsilon=hyper[3],
                           grad=grad, use_locking=self._use_locking, use_nesterov=False, name=scope)
        return out if var._is_resource else out.op

    _resource_apply_dense = _apply_dense

    def _apply_sparse(self, grad, var):
        return self._apply_sparse_shared(grad.values, var, grad.indices)

    def _resource_apply_sparse(self, grad, var, indices):
        return self._apply_sparse_shared(grad, var, indices)

    def _apply_sparse_shared(self, grad, var, indices):
        """m and v decay whole, then the rows of the gradient are scattered in; the variable
        moves by the bias-corrected step (TF's sparse Adam, lazy only in the scatters)."""
        b1, b2 = self._get_beta_accumulators()
        lr_t = self._cast(self._lr_t, var)
        beta1_t = self._cast(self._beta1_t, var)
        beta2_t = self._cast(self._beta2_t, var)
        epsilon_t = self._cast(self._epsilon_t, var)
        # A resource power is read where it is used, as TF reads it.
        lr = lr_t * math_ops.sqrt(1 - self._cast(read_value(b2), var))
        lr = lr / (1 - self._cast(read_value(b1), var))
        g = graph_lib.get_default_graph()
        m = self.get_slot(var, "m")
        m_scaled = grad * (1 - beta1_t)
        m_t = optimizer_lib.assign(m, read_value(m) * beta1_t, use_locking=self._use_locking)
        with g.control_dependencies([m_t.op]):
            m_t = self._scatter_add(m, indices, m_scaled)
        v = self.get_slot(var, "v")
        v_scaled = (grad * grad) * (1 - beta2_t)
        v_t = optimizer_lib.assign(v, read_value(v) * beta2_t, use_locking=self._use_locking)
        with g.control_dependencies([v_t.op]):
            v_t = self._scatter_add(v, indices, v_scaled)
        v_sqrt = math_ops.sqrt(v_t)
        var_update = optimizer_lib.assign_sub(var, lr * m_t / (v_sqrt + epsilon_t), use_locking=self._use_locking)
        return control_flow_ops.group(var_update.op, m_t.op, v_t.op)

    def _scatter_add(self, slot, indices, updates):
        if not slot._is_resource:
            return optimizer_lib.scatter_add(slot, indices, updates, use_locking=self._use_locking)
        g = graph_lib.get_default_graph()
        with g.control_dependencies([apply_op("ResourceScatterAdd", resource=slot.handle, indices=indices,
                                              updates=updates)]):
            return read_value(slot)

    def _finish(self, update_ops, name_scope_):
        g = graph_lib.get_default_graph()
        b1, b2 = self._get_beta_accumulators()
        update_ops = [optimizer_lib._op_of(u) for u in update_ops]
        with g.control_dependencies(update_ops):
            with g.colocate_with(b1.op):
                upd1 = optimizer_lib.assign(b1, read_value(b1) * self._beta1_t, use_locking=self._use_locking)
                upd2 = optimizer_lib.assign(b2, read_value(b2) * self._beta2_t, use_locking=self._use_locking)
        return control_flow_ops.group(*(update_ops + [upd1.op, upd2.op]), name=name_scope_)


class RMSPropOptimizer(_KernelUpdate):
    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, use_locking=False, centered=False,
                 name="RMSProp"):
        super().__init__(use_locking, name)
        self._learning_rate, self._decay, self._momentum, self._epsilon = learning_rate, decay, momentum, epsilon
        self._centered = centered

    def _create_slots(self, var_list):
        # Every slot asks for <var>/RMSProp; unique naming gives _1, _2 in creation order.
        for v in var_list:
            if v.shape.is_fully_defined():
                self._get_or_make_slot_with_initializer(v, lambda s, dt: array_ops.ones(s, dt), v.shape,
                                                        v.dtype.base_dtype, "rms", self._name)
            else:
                with graph_lib.get_default_graph().control_dependencies(None):
                    val = array_ops.ones_like(read_value(v))
                self._get_or_make_slot(v, val, "rms", self._name)
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")
        self._decay_tensor = self._hyper(self._decay, "decay")
        self._momentum_tensor = self._hyper(self._momentum, "momentum")
        self._epsilon_tensor = self._hyper(self._epsilon, "epsilon")

    def _common(self, var):
        return dict(lr=self._cast(self._learning_rate_tensor, var), rho=self._cast(self._decay_tensor, var),
                    momentum=self._cast(self._momentum_tensor, var), epsilon=self._cast(self._epsilon_tensor, var),
                    use_locking=self._use_locking)

    def _update(self, prefix, grad, var, **indices):
        rms, mom = self.get_slot(var, "rms"), self.get_slot(var, "momentum")
        if self._centered:
            mg = self.get_slot(var, "mg")
            return _apply(var, prefix + "CenteredRMSProp", var=_handle(var), mg=_handle(mg), ms=_handle(rms),
                          mom=_handle(mom), grad=grad, **dict(self._common(var), **indices))
        return _apply(var, prefix + "RMSProp", var=_handle(var), ms=_handle(rms), mom=_handle(mom), grad=grad,
                      **dict(self._common(var), **indices))


class AdagradOptimizer(Optimizer):
    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False, name="Adagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError("initial_accumulator_value must be positive: %s" % initial_accumulator_value)
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value

    def _create_slots(self, var_list):
        for v in var_list:
            dtype = v.dtype.base_dtype
            if v.shape.is_fully_defined():
                init = _constant_initializer(self._initial_accumulator_value)
            else:
                init = self._init_constant_op(v, dtype)
            self._get_or_make_slot_with_initializer(v, init, v.shape, dtype, "accumulator", self._name)

    def _init_constant_op(self, v, dtype):
        def init(shape, dt):
            with graph_lib.get_default_graph().control_dependencies(None):
                return array_ops.fill(array_ops.shape(read_value(v)),
                                      math_ops.cast(self._initial_accumulator_value, dtype))
        return init

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad, var):
        acc = self.get_slot(var, "accumulator")
        return _apply(var, "ApplyAdagrad", var=_handle(var), accum=_handle(acc),
                      lr=self._cast(self._learning_rate_tensor, var), grad=grad, use_locking=self._use_locking)

    _resource_apply_dense = _apply_dense

    def _apply_sparse(self, grad, var):
        return self._resource_apply_sparse(grad.values, var, grad.indices)

    def _resource_apply_sparse(self, grad, var, indices):
        acc = self.get_slot(var, "accumulator")
        return _apply(var, "SparseApplyAdagrad", var=_handle(var), accum=_handle(acc),
                      lr=self._cast(self._learning_rate_tensor, var), grad=grad, indices=indices,
                      use_locking=self._use_locking)


class AdadeltaOptimizer(_KernelUpdate):
    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-8, use_locking=False, name="Adadelta"):
        super().__init__(use_locking, name)
        self._lr, self._rho, self._epsilon = learning_rate, rho, epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _prepare(self):
        self._lr_t = self._hyper(self._lr, "lr")
        self._rho_t = self._hyper(self._rho, "rho")
        self._epsilon_t = self._hyper(self._epsilon, "epsilon")

    def _update(self, prefix, grad, var, **indices):
        accum, accum_update = self.get_slot(var, "accum"), self.get_slot(var, "accum_update")
        return _apply(var, prefix + "Adadelta", var=_handle(var), accum=_handle(accum),
                      accum_update=_handle(accum_update), lr=self._cast(self._lr_t, var),
                      rho=self._cast(self._rho_t, var), epsilon=self._cast(self._epsilon_t, var), grad=grad,
                      use_locking=self._use_locking, **indices)


class FtrlOptimizer(_KernelUpdate):
    def __init__(self, learning_rate, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0, use_locking=False, name="Ftrl",
                 accum_name=None, linear_name=None, l2_shrinkage_regularization_strength=0.0, beta=None):
        super().__init__(use_locking, name)
        if initial_accumulator_value < 0.0:
            raise ValueError("initial_accumulator_value %f needs to be positive or zero"
                             % initial_accumulator_value)
        if learning_rate_power > 0.0:
            raise ValueError("learning_rate_power %f needs to be negative or zero" % learning_rate_power)
        if l1_regularization_strength < 0.0:
            raise ValueError("l1_regularization_strength %f needs to be positive or zero"
                             % l1_regularization_strength)
        if l2_regularization_strength < 0.0:
            raise ValueError("l2_regularization_strength %f needs to be positive or zero"
                             % l2_regularization_strength)
        if l2_shrinkage_regularization_strength < 0.0:
            raise ValueError("l2_shrinkage_regularization_strength %f needs to be positive or zero"
                             % l2_shrinkage_regularization_strength)
        self._learning_rate = learning_rate
        self._learning_rate_power = learning_rate_power
        self._initial_accumulator_value = initial_accumulator_value
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._beta = 0.0 if beta is None else beta
        self._l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self._accum_name = accum_name
        self._linear_name = linear_name

    def _create_slots(self, var_list):
        for v in var_list:
            value = self._initial_accumulator_value
            self._get_or_make_slot_with_initializer(
                v, lambda s, dt: array_ops.ones(s, dt) * value, v.shape, v.dtype.base_dtype, "accum",
                self._accum_name or self._name)
            self._zeros_slot(v, "linear", self._linear_name or self._name)

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")
        self._l1_regularization_strength_tensor = self._hyper(self._l1_regularization_strength,
                                                              "l1_regularization_strength")
        # beta / (2 lr) folds into the L2 strength the kernels take.
        adjusted = self._l2_regularization_strength + self._beta / (
            2.0 * math_ops.maximum(self._learning_rate, 1e-36))
        self._adjusted_l2_regularization_strength_tensor = self._hyper(adjusted,
                                                                       "adjusted_l2_regularization_strength")
        self._beta_tensor = self._hyper(self._beta, "beta")
        self._l2_shrinkage_regularization_strength_tensor = self._hyper(
            self._l2_shrinkage_regularization_strength, "l2_shrinkage_regularization_strength")
        self._learning_rate_power_tensor = self._hyper(self._learning_rate_power, "learning_rate_power")

    def _update(self, prefix, grad, var, **indices):
        accum, linear = self.get_slot(var, "accum"), self.get_slot(var, "linear")
        args = dict(var=_handle(var), accum=_handle(accum), linear=_handle(linear), grad=grad)
        args.update(indices)
        args.update(lr=self._cast(self._learning_rate_tensor, var),
                    l1=self._cast(self._l1_regularization_strength_tensor, var),
                    l2=self._cast(self._adjusted_l2_regularization_strength_tensor, var))
        op = prefix + "Ftrl"
        if self._l2_shrinkage_regularization_strength > 0.0:
            op += "V2"
            args["l2_shrinkage"] = self._cast(self._l2_shrinkage_regularization_strength_tensor, var)
        args["lr_power"] = self._cast(self._learning_rate_power_tensor, var)
        return _apply(var, op, use_locking=self._use_locking, **args)


class ProximalAdagradOptimizer(_KernelUpdate):
    def __init__(self, learning_rate, initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, use_locking=False, name="ProximalAdagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError("initial_accumulator_value must be positive: %s" % initial_accumulator_value)
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength

    def _create_slots(self, var_list):
        g = graph_lib.get_default_graph()
        for v in var_list:
            with g.colocate_with(v.op):
                val = constant(self._initial_accumulator_value, shape=v.shape, dtype=v.dtype.base_dtype)
            self._get_or_make_slot(v, val, "accumulator", self._name)

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")
        self._l1_regularization_strength_tensor = self._hyper(self._l1_regularization_strength,
                                                              "l1_regularization_strength")
        self._l2_regularization_strength_tensor = self._hyper(self._l2_regularization_strength,
                                                              "l2_regularization_strength")

    def _update(self, prefix, grad, var, **indices):
        acc = self.get_slot(var, "accumulator")
        return _apply(var, prefix + "ProximalAdagrad", var=_handle(var), accum=_handle(acc),
                      lr=self._learning_rate_tensor, l1=self._l1_regularization_strength_tensor,
                      l2=self._l2_regularization_strength_tensor, grad=grad, use_locking=self._use_locking,
                      **indices)


class ProximalGradientDescentOptimizer(_KernelUpdate):
    def __init__(self, learning_rate, l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="ProximalGradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")
        self._l1_regularization_strength_tensor = self._hyper(self._l1_regularization_strength,
                                                              "l1_regularization_strength")
        self._l2_regularization_strength_tensor = self._hyper(self._l2_regularization_strength,
                                                              "l2_regularization_strength")

    def _update(self, prefix, grad, var, **indices):
        grad_arg = {"grad" if indices else "delta": grad}
        return _apply(var, prefix + "ProximalGradientDescent", var=_handle(var), alpha=self._learning_rate_tensor,
                      l1=self._l1_regularization_strength_tensor, l2=self._l2_regularization_strength_tensor,
                      use_locking=self._use_locking, **dict(grad_arg, **indices))
