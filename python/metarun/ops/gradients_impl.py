"""tf.gradients: reverse-mode differentiation of a graph, built as TF1 builds it.

The ops between `xs` and `ys` (reached from the xs through float outputs, and
reaching the ys) are visited from the ys back, each once every op consuming its
outputs is done. Several gradients arriving at one output are summed by an
`AddN` in the gradients scope; the op's gradient function, found by op type in
the registry, then adds its ops under `gradients/<op name>_grad/`. With
gate_gradients the gradients of an op with several inputs go through a `tuple`
so that none is used before all are computed.

Gradient functions take `(op, *output_grads)` and return one gradient (or None)
per input; an IndexedSlices stands for a sparse gradient (of a gather).

When while loops lie between the xs and the ys, control_flow_state builds their
gradient loops: an op's gradient is built inside the gradient loop of the loop
it belongs to, a loop Switch is visited twice (from its Exit, then from the
body), and a loop's Exits are processed together once all of them are ready.
"""

import collections
import sys

import numpy as np

from metarun import _lazy
from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.indexed_slices import IndexedSlices, to_dense as indexed_slices_to_tensor
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.ops.scopes import name_scope

_GRADIENTS = {}


class RegisterGradient(object):
    """Decorator: `@RegisterGradient("OpType") def _grad(op, grad): ...`."""

    def __init__(self, op_type):
        if not isinstance(op_type, str):
            raise TypeError("op_type must be a string")
        self._op_type = op_type

    def __call__(self, fn):
        _load_unless_internal(sys._getframe(1))
        if self._op_type in _GRADIENTS:
            raise KeyError("Registering two gradient with name '%s'! (Previous registration was in %s)"
                           % (self._op_type, getattr(_GRADIENTS[self._op_type], "__module__", "?")))
        _GRADIENTS[self._op_type] = fn
        return fn


def NoGradient(op_type):  # noqa: N802 -- TF's name
    """Marks `op_type` as having no gradient: its inputs get None."""
    if not isinstance(op_type, str):
        raise TypeError("op_type must be a string")
    _load_unless_internal(sys._getframe(1))
    if _GRADIENTS.get(op_type) is not None:
        raise KeyError("Registering two gradient with name '%s'!" % op_type)
    _GRADIENTS[op_type] = None


NotDifferentiable = NoGradient


def _load_unless_internal(caller):
    """A user's registration meets metarun's own ones as it did when `import metarun` imported
    them all (a second registration of an op type raises KeyError): they are imported first.
    metarun's modules register theirs while they are imported."""
    if not caller.f_globals.get("__name__", "").startswith("metarun."):
        _lazy.load_all()


def get_gradient_function(op):
    """The registered gradient function of `op` (None: not differentiable)."""
    if not op.inputs:
        return None
    _lazy.load_all()  # the gradient functions are registered by modules imported on first use
    attrs = op._node_def.attr  # gradient_override_map recorded it when the op was built
    op_type = attrs["_gradient_op_type"].s.decode() if "_gradient_op_type" in attrs else op.type
    if op_type not in _GRADIENTS and _is_function_call(op):
        return _symbolic_gradient  # as TF: a call with no registered gradient differentiates its function
    if op_type not in _GRADIENTS:
        # TF's text, without the space before the name
        raise LookupError("No gradient defined for operation'%s' (op type: %s). In general every operation "
                          "must have an associated `@tf.RegisterGradient` for correct autodiff, which this op "
                          "is lacking. If you want to pretend this operation is a constant in your program, "
                          "you may insert `tf.stop_gradient`." % (op.name, op_type))
    return _GRADIENTS[op_type]


def _is_function_call(op):
    lib = op.graph._library
    return op.type in ("PartitionedCall", "StatefulPartitionedCall") or (lib is not None and op.type in lib)


def _symbolic_gradient(op, *out_grads):
    """A SymbolicGradient node for a function call: the function's inputs and the gradients of
    its outputs in, the gradients of its inputs out (TF's gradient of a call it has no other
    gradient for)."""
    from metarun.framework import protos
    from metarun.framework.op_builder import apply_op
    f = protos.NameAttrList()
    if op.type in ("PartitionedCall", "StatefulPartitionedCall"):
        f.name = op._node_def.attr["f"].func.name
    else:
        f.name = op.type
    for key, value in op._node_def.attr.items():
        f.attr[key].CopyFrom(value)
    tout = [_zeros_dtype(x) for x in op.inputs]
    grads = apply_op("SymbolicGradient", input=list(op.inputs) + list(out_grads), Tout=tout, f=f)
    return grads if isinstance(grads, (list, tuple)) else [grads]


def _zeros_dtype(t):
    """The dtype of a gradient for `t`: a resource's is that of the variable it holds."""
    from metarun.framework import dtypes
    if t.dtype.base_dtype != dtypes.resource:
        return t.dtype.base_dtype
    op = t.op
    while op.type in ("Identity", "Enter") and op.inputs:
        op = op.inputs[0].op
    if "dtype" in op._node_def.attr:
        return dtypes.as_dtype(op._node_def.attr["dtype"].type)
    return dtypes.float32


class UnconnectedGradients(object):
    NONE = "none"
    ZERO = "zero"


class AggregationMethod(object):
    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


# -- static-shape helpers the gradient functions share ---------------------------------------------
# TF's array_ops.shape/size/rank give a Const when the answer is known statically.

def shape(x, name=None, out_type=dtypes.int32):
    with name_scope(name, "Shape", [x]) as scope:
        if x.shape.is_fully_defined():
            return constant(np.array(x.shape.as_list(), out_type.as_numpy_dtype), name=scope)
        return apply_op("Shape", input=x, out_type=out_type, name=scope)


def size(x, name=None, out_type=dtypes.int32):
    with name_scope(name, "Size", [x]) as scope:
        if x.shape.is_fully_defined():
            return constant(np.array(x.shape.num_elements(), out_type.as_numpy_dtype), name=scope)
        return apply_op("Size", input=x, out_type=out_type, name=scope)


def rank(x, name=None):
    with name_scope(name, "Rank", [x]) as scope:
        if x.shape.ndims is not None:
            return constant(np.array(x.shape.ndims, np.int32), name=scope)
        return apply_op("Rank", input=x, name=scope)


def shape_tuple(t):
    """The static shape as a tuple (None for an unknown rank), TF's _shape_tuple."""
    return None if t.shape.ndims is None else tuple(t.shape.as_list())


# -- the algorithm ---------------------------------------------------------------------------------

def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _is_backpropagatable(t):
    dt = t.dtype.base_dtype
    return dt.is_floating or dt.is_complex or dt in (dtypes.resource, dtypes.variant, dtypes.bfloat16)


def _consumers_map(graph):
    out = collections.defaultdict(list)
    for op in graph._ops:
        for t in op._inputs:
            out[t].append(op)
    return out


def _reached_ops(from_ops, consumers):
    """Ops reachable from `from_ops` through outputs a gradient can flow back along."""
    reached = set()
    queue = collections.deque(from_ops)
    while queue:
        op = queue.popleft()
        if op in reached:
            continue
        reached.add(op)
        for t in op.outputs:
            if _is_backpropagatable(t):
                queue.extend(consumers.get(t, ()))
    return reached


def _between_ops(to_ops, from_ops, consumers):
    """(to ops reached from the xs, ops in between as a set and in visit order)."""
    reached = _reached_ops(from_ops, consumers)
    reachable_to_ops = set(op for op in to_ops if op in reached)
    between, between_list = set(), []
    queue = collections.deque(to_ops)
    while queue:
        op = queue.popleft()
        if op in reached:
            between.add(op)
            between_list.append(op)
            reached.remove(op)
            queue.extend(t.op for t in op._inputs)
    return reachable_to_ops, between, between_list


def _resource_dtype(op):
    return op.get_attr("dtype") if "dtype" in op.node_def.attr else dtypes.float32


def _default_grad_ys(grad_ys, ys, colocate):
    g = graph_lib.get_default_graph()
    out = []
    for i, (y, gy) in enumerate(zip(ys, grad_ys)):
        with _maybe_colocate(g, y.op, colocate):
            if gy is None:
                if y.dtype.is_complex:
                    raise TypeError("Gradients of complex tensors (%s) must set grad_ys (y.dtype = %r)"
                                    % (y, y.dtype.base_dtype))
                dims = shape(y)
                with name_scope(None, "grad_ys_%d" % i) as scope:
                    one = constant(np.array(1, y.dtype.base_dtype.as_numpy_dtype), name="Const")
                    out.append(apply_op("Fill", dims=dims, value=one, name=scope))
                continue
            if isinstance(gy, IndexedSlices):
                out.append(IndexedSlices(apply_op("Identity", input=gy.values, name="grad_ys_%d_values" % i),
                                         apply_op("Identity", input=gy.indices, name="grad_ys_%d_indices" % i),
                                         None if gy.dense_shape is None else
                                         apply_op("Identity", input=gy.dense_shape,
                                                  name="grad_ys_%d_shape" % i)))
                continue
            gy = convert_to_tensor(gy, dtype=y.dtype.base_dtype, name="grad_ys_%d" % i)
            if gy.dtype.base_dtype != y.dtype.base_dtype:
                raise TypeError("Gradient type %s generated for tensor %s does not match its type %s"
                                % (gy.dtype.base_dtype.name, y.name, y.dtype.base_dtype.name))
            out.append(apply_op("Identity", input=gy, name="grad_ys_%d" % i))
    return out


class _maybe_colocate(object):
    def __init__(self, g, op, colocate):
        self.cm = g.colocate_with(op) if colocate else None

    def __enter__(self):
        if self.cm is not None:
            self.cm.__enter__()

    def __exit__(self, *exc):
        if self.cm is not None:
            self.cm.__exit__(*exc)


def _aggregate(grads, op, loop_state, aggregation_method):
    """Sums the gradients of each output of `op` (in place in `grads[op]`); returns that list.
    (A loop Switch's entries are already single values on its second visit.)"""
    out = grads.get(op)
    if out is None:
        out = grads[op] = [[] for _ in op.outputs]
    for i, lst in enumerate(out):
        if not isinstance(lst, list):
            continue
        lst = [g for g in lst if g is not None]
        if not lst:
            out[i] = None
        elif len(lst) == 1:
            out[i] = lst[0]
        elif all(isinstance(g, graph_lib.Tensor) for g in lst):
            if aggregation_method in (AggregationMethod.EXPERIMENTAL_TREE,
                                      AggregationMethod.EXPERIMENTAL_ACCUMULATE_N):
                with name_scope(op.name + "_gradient_sum"):
                    total = lst[0]
                    for g in lst[1:]:
                        total = apply_op("AddN", inputs=[total, g])
                out[i] = total
            else:
                out[i] = _add_n_on_devices(lst)
        else:
            out[i] = _aggregate_indexed_slices(lst)
    return out


def _add_n_on_devices(tensors):
    g = graph_lib.get_default_graph()
    by_device = collections.OrderedDict()
    for t in tensors:
        by_device.setdefault(t.device, []).append(t)
    sums = []
    for dev in sorted(by_device):
        group = by_device[dev]
        with g.colocate_with(group[0].op, ignore_existing=True):
            sums.append(group[0] if len(group) == 1 else apply_op("AddN", inputs=group))
    if len(sums) == 1:
        return sums[0]
    return apply_op("AddN", inputs=sums)


def _aggregate_indexed_slices(grads):
    if any(isinstance(g, graph_lib.Tensor) for g in grads):
        # The slices become dense while AddN converts its inputs, so inside its scope.
        with graph_lib.get_default_graph().name_scope("AddN") as scope:
            dense = [indexed_slices_to_tensor(g, name="inputs_%d" % i) if isinstance(g, IndexedSlices) else g
                     for i, g in enumerate(grads)]
            return apply_op("AddN", inputs=dense, name=scope)
    from metarun.ops import array_ops
    return IndexedSlices(array_ops.concat([g.values for g in grads], 0),
                         array_ops.concat([g.indices for g in grads], 0), grads[0].dense_shape)


def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False,
              gate_gradients=False, aggregation_method=None, stop_gradients=None,
              unconnected_gradients=UnconnectedGradients.NONE):
    """d(sum of ys)/d(x) for each x in xs (None where x does not reach ys)."""
    ys, xs = _as_list(ys), _as_list(xs)
    stop_gradients = [] if stop_gradients is None else _as_list(stop_gradients)
    grad_ys = [None] * len(ys) if grad_ys is None else _as_list(grad_ys)
    if len(grad_ys) != len(ys):
        raise ValueError("Passed %d grad_ys for %d ys" % (len(grad_ys), len(ys)))
    if aggregation_method not in (None, AggregationMethod.ADD_N, AggregationMethod.EXPERIMENTAL_TREE,
                                  AggregationMethod.EXPERIMENTAL_ACCUMULATE_N):
        raise ValueError("Invalid aggregation_method specified %s." % (aggregation_method,))
    unconnected_gradients = getattr(unconnected_gradients, "value", unconnected_gradients)
    if unconnected_gradients not in (UnconnectedGradients.NONE, UnconnectedGradients.ZERO):
        raise ValueError("Unknown value for unconnected_gradients: %r" % unconnected_gradients)
    g = graph_lib.get_default_graph()
    values = [v for v in ys + xs + stop_gradients + grad_ys if v is not None]
    with name_scope(name, "gradients", values):
        g = graph_lib.get_default_graph()
        g.unique_name("uid")  # TF reserves a gradient uid name in the scope
        xs = [x.handle if getattr(x, "_is_resource", False) else
              (x if isinstance(x, IndexedSlices) else convert_to_tensor(x, name="x", as_ref=True)) for x in xs]
        ys = [y if isinstance(y, IndexedSlices) else convert_to_tensor(y, name="y") for y in ys]
        grad_ys = _default_grad_ys(grad_ys, ys, colocate_gradients_with_ops)
        grads = _backprop(g, ys, xs, grad_ys, stop_gradients, colocate_gradients_with_ops, gate_gradients,
                          aggregation_method)
    out = []
    for x in xs:
        grad = grads.get(x)
        if grad is None and unconnected_gradients == UnconnectedGradients.ZERO:
            from metarun.ops import array_ops
            grad = array_ops.zeros_like(x)
        out.append(grad)
    return out


def _set_grad(grads, t, grad):
    lst = grads.setdefault(t.op, [[] for _ in t.op.outputs])
    if isinstance(lst[t.value_index], list):
        lst[t.value_index].append(grad)
    else:  # a loop Switch's second gradient, from the body, replaces its first
        lst[t.value_index] = grad


def _has_any_grad(grads, op):
    lst = grads.get(op)
    if not lst:
        return False
    return any(g is not None and (not isinstance(g, list) or any(x is not None for x in g)) for g in lst)


def _backprop(g, ys, xs, grad_ys, stop_gradients, colocate, gate_gradients, aggregation_method):
    """{x: its gradient} for the xs the ys depend on."""
    from metarun.ops import control_flow_state
    to_ops = [y.op for y in ys]
    from_ops = [x.op for x in xs]
    consumers = _consumers_map(g)
    reachable_to_ops, between, between_list = _between_ops(to_ops, from_ops, consumers)
    loop_state = control_flow_state.maybe_create_control_flow_state(between_list, between, colocate)
    pending = collections.defaultdict(int)
    for op in between_list:
        for t in op._inputs:
            if t.op in between:
                pending[t.op] += 1
    grads = {}
    for y, gy in zip(ys, grad_ys):
        _set_grad(grads, y, gy)
    queue = collections.deque()
    to_ops_set = set()
    for op in to_ops:
        if pending[op] == 0 and op not in to_ops_set and op in reachable_to_ops:
            to_ops_set.add(op)
            queue.append(op)
    if loop_state is not None:
        for y in loop_state.process_unused_loop_exits(pending, to_ops_set):
            if _is_backpropagatable(y):
                _set_grad(grads, y, loop_state.zeros_like_for_exit(y))
            queue.append(y.op)
    stop_ops = _stop_ops(from_ops, [convert_to_tensor(t).op for t in stop_gradients], pending)
    while queue:
        op = queue.popleft()
        with _maybe_colocate(g, op, colocate):
            if loop_state is not None:
                loop_state.enter_grad_context(op, before=True)
            out_grads = _aggregate(grads, op, loop_state, aggregation_method)
            if loop_state is not None:
                loop_state.exit_grad_context(op, before=True)
                loop_state.enter_grad_context(op, before=False)
            in_grads = _op_gradients(g, op, out_grads, stop_ops, loop_state, gate_gradients)
            for t_in, in_grad in zip(op.inputs, in_grads):
                if in_grad is None:
                    continue
                if isinstance(in_grad, graph_lib.Tensor) and t_in.dtype.base_dtype != dtypes.resource:
                    try:
                        in_grad.set_shape(t_in.shape)
                    except ValueError:
                        raise ValueError("Incompatible shapes between op input and calculated input gradient. "
                                         "Forward operation: %s. Input index: %d. Original input shape: %s. "
                                         "Calculated input gradient shape: %s"
                                         % (op.name, list(op.inputs).index(t_in), t_in.shape,
                                            in_grad.shape)) from None
                _set_grad(grads, t_in, in_grad)
            if loop_state is not None:
                loop_state.exit_grad_context(op, before=False)
        _update_pending_and_enqueue(grads, op, queue, pending, loop_state)
    if loop_state is not None:
        loop_state.post_processing()
    result = {}
    for x in xs:
        lst = grads.get(x.op)
        if lst:
            result[x] = _aggregate(grads, x.op, loop_state, aggregation_method)[x.value_index]
    return result


def _update_pending_and_enqueue(grads, op, queue, pending, loop_state):
    """One consumer fewer for each of `op`'s inputs; queues the inputs now ready. A loop Switch
    is ready as soon as its Exit is; a loop's Exits are queued together once all are ready."""
    from metarun.ops import control_flow_ops as cf
    for t in op._inputs:
        x = t.op
        pending[x] -= 1
        ready = pending[x] == 0
        if loop_state is not None and not ready:
            ready = pending[x] > 0 and cf._is_loop_switch(x)
        if not ready:
            continue
        if not cf._is_loop_exit(x):
            queue.append(x)
            continue
        state = loop_state.get_grad_state(x, before=False)
        state.deferred_exits.append(t)
        state.pending_exits_count -= 1
        if state.pending_exits_count != 0:
            continue
        used = False
        for y in state.deferred_exits:
            if _has_any_grad(grads, y.op):
                used = True
                queue.append(y.op)
            else:
                state.unused_exits.append(y)
        for y in state.unused_exits:
            if used and _is_backpropagatable(y):
                _set_grad(grads, y, loop_state.zeros_like_for_exit(y))
            queue.append(y.op)


def _stop_ops(from_ops, stop_gradient_ops, pending):
    """From ops none of whose inputs are between the xs and ys, and the ops asked to stop at."""
    stop = set(op for op in from_ops if all(pending[t.op] <= 0 for t in op.inputs))
    stop.update(stop_gradient_ops)
    return stop


def _op_gradients(g, op, out_grads, stop_ops, loop_state, gate_gradients):
    """The gradients of `op`'s inputs, built under `<op name>_grad/`."""
    from metarun.ops import control_flow_state
    has_out_grads = any(x is not None for x in out_grads)
    grad_fn = None
    if has_out_grads and op not in stop_ops:
        grad_fn = get_gradient_function(op)
    if grad_fn is None or not has_out_grads:
        return [None] * len(op.inputs)
    for i, og in enumerate(out_grads):
        if og is None and _is_backpropagatable(op.outputs[i]):
            if loop_state is not None:
                out_grads[i] = loop_state.zeros_like(op, i)
            else:
                out_grads[i] = control_flow_state.zeros_like_outside_loop(op, i)
    with name_scope(op.name + "_grad"):
        in_grads = _as_list(grad_fn(op, *out_grads))
        if len(in_grads) != len(op.inputs):
            raise ValueError("Num gradients %d generated for op %s do not match num inputs %d"
                             % (len(in_grads), op.node_def, len(op.inputs)))
        if gate_gradients and len([x for x in in_grads if x is not None]) > 1:
            with g.device(None), g.colocate_with(None):
                in_grads = _tuple(in_grads)
    return in_grads


def _tuple(tensors, name=None, control_inputs=None):
    """TF's tuple: each tensor again, through an Identity that waits for all of them."""
    from metarun.ops.control_flow_ops import group
    g = graph_lib.get_default_graph()
    present = [t for t in tensors if t is not None]
    with name_scope(name, "tuple", present):
        gating = []
        for t in present:
            op = t if isinstance(t, graph_lib.Operation) else t.op
            if op not in gating:
                gating.append(op)
        if control_inputs:
            gating.extend(c for c in control_inputs if c not in gating)
        if not gating:
            raise ValueError("Must have at least one Tensor: %s" % tensors)
        gating.sort(key=lambda op: op._id)
        gate = group(*gating)
        out = []
        for t in tensors:
            if t is None:
                out.append(None)
            elif isinstance(t, graph_lib.Operation):
                with g.control_dependencies([gate]):
                    out.append(group(t))
            else:
                out.append(_with_dependencies(g, [gate], t))
        return out


def _with_dependencies(g, deps, t):
    values = t.values if isinstance(t, IndexedSlices) else t
    with name_scope(None, "control_dependency", list(deps) + [values]) as scope:
        with g.colocate_with(values.op), g.control_dependencies(deps):
            out = apply_op("Identity", input=values, name=scope)
    return IndexedSlices(out, t.indices, t.dense_shape) if isinstance(t, IndexedSlices) else out


def hessians(ys, xs, name="hessians", colocate_gradients_with_ops=False, gate_gradients=False,
              aggregation_method=None):
    """The Hessian of sum(ys) for each x, shaped x.shape + x.shape: TF builds row j of it in a
    while loop, as the gradient of the j-th element of the (flattened) first gradient."""
    from metarun.ops import array_ops, control_flow_ops
    from metarun.ops.tensor_array_ops import TensorArray
    kwargs = {"colocate_gradients_with_ops": colocate_gradients_with_ops, "gate_gradients": gate_gradients,
              "aggregation_method": aggregation_method}
    xs = _as_list(xs)
    out = []
    for gradient, x in zip(gradients(ys, xs, **kwargs), xs):  # TF takes no name scope (`name` is unused)
        gradient = array_ops.reshape(gradient, [-1])
        n = size(x)
        rows = control_flow_ops.while_loop(
            lambda j, _: j < n,
            lambda j, result: (j + 1, result.write(j, gradients(gradient[j], x, **kwargs)[0])),
            [constant(0, dtypes.int32), TensorArray(x.dtype, n)])[1]
        x_shape = shape(x)
        out.append(array_ops.reshape(rows.stack(), array_ops.concat((x_shape, x_shape), 0)))
    return out


# -- helpers for gradient functions ---------------------------------------------------------------

def zeros_like(t, name=None):
    """TF's zeros_like with its static shortcut: a Const when the shape is known."""
    from metarun.ops import array_ops
    with name_scope(name, "zeros_like", [t]) as scope:
        if t.shape.is_fully_defined() and t.dtype.base_dtype != dtypes.variant:
            return array_ops.zeros(t.shape.as_list(), dtype=t.dtype.base_dtype, name=scope)
        return apply_op("ZerosLike", x=t, name=scope)


def ones_like(t, name=None):
    """TF's ones_like: Fill of the (static or dynamic) shape."""
    with name_scope(name, "ones_like", [t]) as scope:
        if t.shape.is_fully_defined():
            with name_scope(None, "Shape"):
                dims = constant(np.array(t.shape.as_list(), np.int32), name="shape_as_tensor")
        else:
            dims = apply_op("Shape", input=t)
        one = constant(np.array(1, t.dtype.base_dtype.as_numpy_dtype), name="Const")
        return apply_op("Fill", dims=dims, value=one, name=scope)
