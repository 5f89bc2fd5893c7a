"""tf.train.Optimizer: the base class, built as TF1 builds it so checkpoints and graphs are
interchangeable with TensorFlow's.

`minimize` = `compute_gradients` (tf.gradients, gated per op) + `apply_gradients`, which
creates the slot variables (`<var>/<Name>`, `<var>/<Name>_1`, colocated with their variable,
outside any control block) and the non-slot variables (Adam's `beta1_power`, colocated with the
first variable by name), then under the optimizer's name scope one `update_<var>` block per
variable, colocated with it, holding its Apply* (ref) or ResourceApply* (resource) kernel, and
finally a group named after the optimizer or, with a global step, an AssignAdd of it named so,
run after the `update` group.

Sparse gradients (IndexedSlices) have their repeated indices summed first (Unique, then an
UnsortedSegmentSum) unless the optimizer takes them as they are (GradientDescent does).
"""

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.indexed_slices import IndexedSlices
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.framework.variables import Variable
from metarun.ops import array_ops, control_flow_ops, math_ops
from metarun.ops.scopes import name_scope

GATE_NONE, GATE_OP, GATE_GRAPH = 0, 1, 2

_VALID_DTYPES = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64, dtypes.complex64,
                 dtypes.complex128)


def _var_key(var):
    return (var.op.graph, var.op.name)


def _is_variable(v):
    return isinstance(v, Variable)


class Optimizer(object):
    GATE_NONE, GATE_OP, GATE_GRAPH = GATE_NONE, GATE_OP, GATE_GRAPH

    def __init__(self, use_locking, name):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots = {}          # slot name -> {var key: slot Variable}
        self._non_slot_dict = {}  # (name, graph) -> Variable

    def get_name(self):
        return self._name

    # -- gradients ---------------------------------------------------------------------------
    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP, aggregation_method=None,
                          colocate_gradients_with_ops=False, grad_loss=None):
        """[(gradient, variable)] for every variable of `var_list` (default: the trainable
        ones), the gradient None where the loss does not depend on the variable."""
        if callable(loss):
            raise NotImplementedError("`loss` passed to Optimizer.compute_gradients should be a Tensor; a "
                                      "callable loss needs eager execution, which metarun does not have.")
        if gate_gradients not in (GATE_NONE, GATE_OP, GATE_GRAPH):
            raise ValueError("gate_gradients must be one of: Optimizer.GATE_NONE, Optimizer.GATE_OP, "
                             "Optimizer.GATE_GRAPH.  Not %s" % gate_gradients)
        self._assert_valid_dtypes([loss])
        if grad_loss is not None:
            self._assert_valid_dtypes([grad_loss])
        if var_list is None:
            g = graph_lib.get_default_graph()
            var_list = g.get_collection(graph_lib.GraphKeys.TRAINABLE_VARIABLES) + \
                g.get_collection("trainable_resource_variables")
        else:
            var_list = _flatten(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        for v in var_list:
            if not _is_variable(v) and not hasattr(v, "op"):
                raise NotImplementedError("Trying to optimize unsupported type ", v)
        from metarun.ops.gradients_impl import gradients
        targets = [(v if v._is_resource else v._ref()) if _is_variable(v) else v for v in var_list]
        grads = gradients(loss, targets, grad_ys=grad_loss, gate_gradients=(gate_gradients == GATE_OP),
                          aggregation_method=aggregation_method,
                          colocate_gradients_with_ops=colocate_gradients_with_ops)
        if gate_gradients == GATE_GRAPH:
            grads = control_flow_ops.tuple(grads)
        grads_and_vars = list(zip(grads, var_list))
        self._assert_valid_dtypes([v for g, v in grads_and_vars
                                   if g is not None and v.dtype.base_dtype != dtypes.resource])
        return grads_and_vars

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
        """One update per (gradient, variable) with a gradient, grouped; with `global_step`,
        the returned op is its increment, run after the updates."""
        grads_and_vars = tuple(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("No variables provided.")
        converted = []
        for g, v in grads_and_vars:
            if g is not None:
                if not isinstance(g, IndexedSlices):
                    try:
                        g = convert_to_tensor(g)
                    except (TypeError, ValueError):
                        raise TypeError("Gradient must be convertible to a Tensor or IndexedSlices, or None: %s"
                                        % (g,))
            if not _is_variable(v):
                raise NotImplementedError("Trying to update a Tensor ", v)
            converted.append((g, v))
        var_list = [v for g, v in converted if g is not None]
        if not var_list:
            raise ValueError("No gradients provided for any variable: %s." % ([str(v) for _, v in converted],))
        graph = graph_lib.get_default_graph()
        with graph.control_dependencies(None):
            self._create_slots(var_list)
        update_ops = []
        with name_scope(name, self._name, []) as scope:
            self._prepare()
            for grad, var in converted:
                if grad is None:
                    continue
                with name_scope("update_" + var.op.name), graph.colocate_with(var.op):
                    update_ops.append(self._update_op(grad, var))
            if global_step is None:
                apply_updates = self._finish(update_ops, scope)
            else:
                with graph.control_dependencies([self._finish(update_ops, "update")]):
                    with graph.colocate_with(global_step.op):
                        if global_step._is_resource:
                            one = convert_to_tensor(1, dtype=global_step.dtype)
                            apply_updates = apply_op("AssignAddVariableOp", resource=global_step.handle,
                                                     value=one, name=scope)
                        else:
                            apply_updates = apply_op("AssignAdd", ref=global_step._ref(), value=1,
                                                     use_locking=False, name=scope)
        if not isinstance(apply_updates, graph_lib.Operation):
            apply_updates = apply_updates.op
        train_ops = graph.get_collection_ref(graph_lib.GraphKeys.TRAIN_OP)
        if apply_updates not in train_ops:
            train_ops.append(apply_updates)
        return apply_updates

    def _update_op(self, grad, var):
        """TF's variable processors: dense or sparse, ref or resource, then the constraint."""
        if isinstance(grad, IndexedSlices):
            if var.constraint is not None:
                raise RuntimeError("Cannot use a constraint function on a sparse variable.")
            if var._is_resource:
                return self._resource_apply_sparse_duplicate_indices(grad.values, var, grad.indices)
            return self._apply_sparse_duplicate_indices(grad, var)
        update = self._resource_apply_dense(grad, var) if var._is_resource else self._apply_dense(grad, var)
        if var.constraint is None:
            return update
        with graph_lib.get_default_graph().control_dependencies([_op_of(update)]):
            return var.assign(var.constraint(var))

    def _apply_sparse_duplicate_indices(self, grad, var):
        values, indices = _deduplicate_indexed_slices(grad.values, grad.indices)
        return self._apply_sparse(IndexedSlices(values, indices, grad.dense_shape), var)

    def _resource_apply_sparse_duplicate_indices(self, grad, var, indices):
        values, unique = _deduplicate_indexed_slices(grad, indices)
        return self._resource_apply_sparse(values, var, unique)

    def _finish(self, update_ops, name_scope_):
        return control_flow_ops.group(*[_op_of(u) for u in update_ops], name=name_scope_)

    # What subclasses fill in.
    def _create_slots(self, var_list):
        pass

    def _prepare(self):
        pass

    def _apply_dense(self, grad, var):
        raise NotImplementedError()

    def _resource_apply_dense(self, grad, var):
        raise NotImplementedError()

    def _apply_sparse(self, grad, var):
        raise NotImplementedError()

    def _resource_apply_sparse(self, grad, var, indices):
        raise NotImplementedError()

    # -- helpers for subclasses --------------------------------------------------------------
    @staticmethod
    def _hyper(value, name):
        """A hyperparameter as a tensor named in the optimizer's scope (callables are called)."""
        value = value() if callable(value) else value
        return convert_to_tensor(value, name=name)

    @staticmethod
    def _cast(t, var):
        return math_ops.cast(t, var.dtype.base_dtype)

    def _assert_valid_dtypes(self, tensors):
        for t in tensors:
            dtype = t.dtype.base_dtype
            if dtype not in _VALID_DTYPES:
                raise ValueError("Invalid type %r for %s, expected: %s." % (dtype, t.name, [v for v in _VALID_DTYPES]))

    # -- slots -------------------------------------------------------------------------------
    def get_slot(self, var, name):
        named_slots = self._slots.get(name)
        if not named_slots:
            return None
        return named_slots.get(_var_key(var))

    def get_slot_names(self):
        return sorted(self._slots)

    def _slot_dict(self, slot_name):
        return self._slots.setdefault(slot_name, {})

    def _get_or_make_slot(self, var, val, slot_name, op_name):
        """A slot initialized from the tensor `val`, made before it is asked for."""
        named_slots = self._slot_dict(slot_name)
        if _var_key(var) not in named_slots:
            named_slots[_var_key(var)] = create_slot(var, val, op_name)
        return named_slots[_var_key(var)]

    def _get_or_make_slot_with_initializer(self, var, initializer, shape, dtype, slot_name, op_name):
        named_slots = self._slot_dict(slot_name)
        if _var_key(var) not in named_slots:
            named_slots[_var_key(var)] = create_slot_with_initializer(var, initializer, shape, dtype, op_name)
        return named_slots[_var_key(var)]

    def _zeros_slot(self, var, slot_name, op_name):
        named_slots = self._slot_dict(slot_name)
        if _var_key(var) not in named_slots:
            named_slots[_var_key(var)] = create_zeros_slot(var, op_name)
        return named_slots[_var_key(var)]

    def _create_non_slot_variable(self, initial_value, name, colocate_with):
        g = colocate_with.graph
        key = (name, g)
        if key not in self._non_slot_dict:
            with g.as_default(), g.colocate_with(colocate_with.op):
                self._non_slot_dict[key] = Variable(initial_value, name=name, trainable=False,
                                                    use_resource=colocate_with._is_resource)
        return self._non_slot_dict[key]

    def _get_non_slot_variable(self, name, graph=None):
        return self._non_slot_dict.get((name, graph or graph_lib.get_default_graph()))

    def _non_slot_variables(self):
        return list(self._non_slot_dict.values())

    def variables(self):
        """The optimizer's slot and non-slot variables of the default graph, sorted by name."""
        current = graph_lib.get_default_graph()
        out = [v for v in self._non_slot_variables() if v.graph is current]
        for slots in self._slots.values():
            out.extend(v for v in slots.values() if v.graph is current)
        return sorted(out, key=lambda v: v.name)


# -- slot variables (TF's slot_creator) ----------------------------------------------------------

def _slot_name(primary, name):
    """`<primary op name>/<name>`, under the current variable scope as TF puts it."""
    from metarun.ops import variable_scope as vs
    scope = vs.get_variable_scope().name
    base = primary.op.name + "/" + name
    return scope + "/" + base if scope else base


def _create_slot_var(primary, initial_value, name, validate_shape=True, colocate_with_primary=True):
    g = primary.graph
    # The slot's name is absolute (the variable scope's, as TF's get_variable names it), whatever
    # name scope the optimizer is called in.
    with g.as_default(), g.control_dependencies(None), g.name_scope(None):
        if colocate_with_primary:
            with g.colocate_with(primary.op):
                return Variable(initial_value, name=_slot_name(primary, name), trainable=False,
                                validate_shape=validate_shape, use_resource=_is_resource(primary))
        full_name = _slot_name(primary, name)
        if callable(initial_value) and not _is_resource(primary):
            # TF colocates a ref variable built from a function with itself, by name, before it exists.
            group = ("loc:@" + g.unique_name(full_name, mark_as_used=False)).encode()
            with g.colocate_with_groups([group]):
                return Variable(initial_value, name=full_name, trainable=False, validate_shape=validate_shape,
                                use_resource=False)
        return Variable(initial_value, name=full_name, trainable=False, validate_shape=validate_shape,
                        use_resource=_is_resource(primary))


def _is_resource(primary):
    return bool(getattr(primary, "_is_resource", False))


def create_slot(primary, val, name, colocate_with_primary=True):
    """A slot of `primary` (a variable or a tensor) whose initial value is the tensor `val`."""
    return _create_slot_var(primary, val, name, validate_shape=val.shape.is_fully_defined(),
                            colocate_with_primary=colocate_with_primary)


def create_slot_with_initializer(primary, initializer, shape, dtype, name, colocate_with_primary=True):
    """A slot of `primary` initialized by `initializer(shape, dtype)` (built in its
    `Initializer` scope)."""
    shape = TensorShape(shape)
    dtype = dtypes.as_dtype(dtype)
    return _create_slot_var(primary, lambda: initializer(shape.as_list(), dtype), name,
                            validate_shape=shape.is_fully_defined(), colocate_with_primary=colocate_with_primary)


def create_zeros_slot(primary, name, dtype=None, colocate_with_primary=True):
    dtype = dtype or primary.dtype.base_dtype
    shape = primary.shape
    if shape.is_fully_defined():
        return create_slot_with_initializer(primary, lambda s, dt: array_ops.zeros(s, dt), shape, dtype, name,
                                            colocate_with_primary=colocate_with_primary)
    with graph_lib.get_default_graph().control_dependencies(None):
        value = read_value(primary) if _is_variable(primary) else primary
        val = array_ops.zeros(array_ops.shape(value), dtype=dtype)
    return create_slot(primary, val, name, colocate_with_primary=colocate_with_primary)


# -- resource updates as TF returns them ---------------------------------------------------------

class _Unread(object):
    """What a resource assign or scatter returns in TF: its op is the update; it has read the
    variable once after it (colocated as the update), and each use as a tensor reads again."""

    def __init__(self, var, op):
        self._var, self._op = var, op
        g = graph_lib.get_default_graph()
        with g.control_dependencies([op]):
            self._graph_element = apply_op("ReadVariableOp", resource=var.handle, dtype=var.dtype)

    op = property(lambda self: self._op)
    dtype = property(lambda self: self._var.dtype)

    def _as_graph_element(self):
        return self._graph_element

    def _to_tensor(self, as_ref=False):
        g = graph_lib.get_default_graph()
        with g.control_dependencies([self._op]):
            return read_value(self._var)


def _op_of(x):
    return x if isinstance(x, graph_lib.Operation) else x.op


def read_value(var):
    """The variable as a tensor, as TF's conversion gives it: the `read` snapshot of a ref
    variable; a ReadVariableOp of a resource one, placed by its handle, not by the enclosing
    colocation."""
    if not var._is_resource:
        return var._snapshot
    g = graph_lib.get_default_graph()
    with g.colocate_with(None), g.device(var.handle.device):
        return apply_op("ReadVariableOp", resource=var.handle, dtype=var.dtype)


def assign(var, value, use_locking=None):
    """state_ops.assign: an Assign's ref output, or for a resource variable an _Unread."""
    if var._is_resource:
        value = convert_to_tensor(value, dtype=var.dtype)
        return _Unread(var, apply_op("AssignVariableOp", resource=var.handle, value=value, validate_shape=True))
    return apply_op("Assign", ref=var._ref(), value=value,
                    use_locking=bool(use_locking) if use_locking is not None else False)


def assign_sub(var, value, use_locking=None):
    if var._is_resource:
        value = convert_to_tensor(value, dtype=var.dtype)
        return _Unread(var, apply_op("AssignSubVariableOp", resource=var.handle, value=value))
    return apply_op("AssignSub", ref=var._ref(), value=value, use_locking=bool(use_locking))


def scatter_add(var, indices, updates, use_locking=False):
    if var._is_resource:
        return _Unread(var, apply_op("ResourceScatterAdd", resource=var.handle, indices=indices,
                                     updates=updates))
    return apply_op("ScatterAdd", ref=var._ref(), indices=indices, updates=updates, use_locking=use_locking)


def _deduplicate_indexed_slices(values, indices):
    """(summed values, unique indices): rows of repeated indices added up."""
    unique_indices, positions = array_ops.unique(indices)
    summed = math_ops.unsorted_segment_sum(values, positions, array_ops.shape(unique_indices)[0])
    return summed, unique_indices


def _flatten(struct):
    if isinstance(struct, (list, tuple)):
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
