"""tf.gradients: reverse-mode differentiation of a graph, as TF1 builds it.

The ops between `xs` and `ys` are visited from the ys back, each once all
the ops consuming its outputs are done; its output gradients are summed
(`AddN` in the gradients scope when several arrive) and its gradient
function, found by op type in the registry, adds the ops of its gradient
under `gradients/<op name>_grad/`. With gate_gradients the gradients of an op
with several inputs are grouped (`tuple`) so that none is used before all
are computed. Gradient functions take `(op, *output_grads)` and return one
gradient (or None) per input; an IndexedSlices stands for a sparse gradient
(of a gather).
"""

import collections

import numpy as np

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
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
        if self._op_type in _GRADIENTS:
            raise KeyError("Registering two gradient with name '%s'!" % self._op_type)
        _GRADIENTS[self._op_type] = fn
        return fn


def NoGradient(op_type):  # noqa: N802 -- TF's name
    """Marks `op_type` as having no gradient (its inputs get None)."""
    _GRADIENTS[op_type] = None


NotDifferentiable = NoGradient


def get_gradient_function(op):
    override = op.graph._gradient_override_map.get(op.type) if hasattr(op.graph, "_gradient_override_map") \
        else None
    op_type = override or op.type
    if op_type not in _GRADIENTS:
        raise LookupError("No gradient defined for operation '%s' (op type: %s). In general every operation "
                          "must have an associated `@tf.RegisterGradient` for correct autodiff, which this op "
                          "is lacking. If you want to pretend this operation is a constant in your program, "
                          "you may insert `tf.stop_gradient`." % (op.name, op.type))
    return _GRADIENTS[op_type]


class IndexedSlices(object):
    """A sparse gradient: rows `indices` of a tensor of shape `dense_shape`."""

    def __init__(self, values, indices, dense_shape=None):
        self._values = values
        self._indices = indices
        self._dense_shape = dense_shape

    values = property(lambda self: self._values)
    indices = property(lambda self: self._indices)
    dense_shape = property(lambda self: self._dense_shape)
    dtype = property(lambda self: self._values.dtype)
    op = property(lambda self: self._values.op)
    graph = property(lambda self: self._values.graph)
    name = property(lambda self: self._values.name)
    device = property(lambda self: self._values.device)

    @property
    def shape(self):
        from metarun.framework import shape_inference
        from metarun.framework.tensor_shape import TensorShape
        if self._dense_shape is None:
            return TensorShape(None)
        return shape_inference.constant_shape(self._dense_shape)

    def get_shape(self):
        return self.shape

    def _to_tensor(self, as_ref=False):
        return indexed_slices_to_tensor(self)

    def __neg__(self):
        return IndexedSlices(apply_op("Neg", x=self._values), self._indices, self._dense_shape)

    def __repr__(self):
        return "IndexedSlices(indices=%s, values=%s%s)" % (
            self._indices, self._values,
            "" if self._dense_shape is None else ", dense_shape=%s" % self._dense_shape)


def indexed_slices_to_tensor(value, name=None):
    """The dense tensor of an IndexedSlices (TF: UnsortedSegmentSum of its rows)."""
    if value.dense_shape is None:
        raise ValueError("Tensor conversion requested for IndexedSlices without dense_shape: %s" % value)
    from metarun.ops import array_ops
    num = array_ops.slice_helper(value.dense_shape, 0) if value.dense_shape.shape.ndims != 0 \
        else value.dense_shape
    return apply_op("UnsortedSegmentSum", data=value.values, segment_ids=value.indices, num_segments=num,
                    name=name)


def _dense(g):
    return indexed_slices_to_tensor(g) if isinstance(g, IndexedSlices) else g


# -- the algorithm ---------------------------------------------------------------------------------

def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _consumers_map(graph):
    out = collections.defaultdict(list)
    for op in graph._ops:
        for t in op._inputs:
            out[t.op].append(op)
    return out


def _pending_count(to_ops, from_ops, consumers):
    reached = set()
    stack = list(from_ops)
    while stack:
        op = stack.pop()
        if op in reached:
            continue
        reached.add(op)
        stack.extend(consumers.get(op, ()))
    between = set()
    stack = list(to_ops)
    while stack:
        op = stack.pop()
        if op in between or op not in reached:
            continue
        between.add(op)
        stack.extend(t.op for t in op._inputs)
    pending = collections.Counter()
    for op in between:
        for t in op._inputs:
            if t.op in between:
                pending[t.op] += 1
    return pending, between


def _default_grad_y(y, i):
    from metarun.ops import array_ops
    g = y.graph
    with g.colocate_with(y.op):
        if y.shape.is_fully_defined():
            shape = constant(np.array(y.shape.as_list(), np.int32), name="Shape")
        else:
            shape = apply_op("Shape", input=y)
        with name_scope("grad_ys_%d" % i) as scope:
            one = constant(np.array(1, y.dtype.base_dtype.as_numpy_dtype), dtype=y.dtype.base_dtype)
            return apply_op("Fill", dims=shape, value=one, name=scope)
    _ = array_ops


def _is_trainable(t):
    dt = t.dtype.base_dtype
    return dt.is_floating or dt.is_complex or dt == dtypes.resource or dt == dtypes.variant


def _aggregate(grads_list):
    if not grads_list:
        return None
    if len(grads_list) == 1:
        return grads_list[0]
    if all(isinstance(g, IndexedSlices) for g in grads_list):
        from metarun.ops import array_ops
        return IndexedSlices(array_ops.concat([g.values for g in grads_list], 0),
                             array_ops.concat([g.indices for g in grads_list], 0),
                             grads_list[0].dense_shape)
    return apply_op("AddN", inputs=[_dense(g) for g in grads_list])


def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False,
              gate_gradients=False, aggregation_method=None, stop_gradients=None,
              unconnected_gradients="none"):
    """d(sum of ys)/d(x) for each x in xs (None where x does not reach ys)."""
    ys, xs = _as_list(ys), _as_list(xs)
    grad_ys = [None] * len(ys) if grad_ys is None else _as_list(grad_ys)
    stop_gradients = [] if stop_gradients is None else _as_list(stop_gradients)
    if unconnected_gradients not in ("none", "zero"):
        raise ValueError("Unknown value for unconnected_gradients: %r" % unconnected_gradients)
    g = graph_lib.get_default_graph()
    with name_scope(name, "gradients", ys + xs) as grad_scope:
        g = graph_lib.get_default_graph()
        ys = [convert_to_tensor(y, name="y") for y in ys]
        xs = [x.handle if getattr(x, "_is_resource", False) else convert_to_tensor(x, name="x", as_ref=True)
              for x in xs]
        for i, (y, gy) in enumerate(zip(ys, grad_ys)):
            if gy is None:
                if not y.dtype.base_dtype.is_floating and not y.dtype.base_dtype.is_complex:
                    raise TypeError("Gradients of complex or integer tensors must set grad_ys (y.dtype = %s)"
                                    % y.dtype.base_dtype.name)
                grad_ys[i] = _default_grad_y(y, i)
            elif not isinstance(gy, IndexedSlices):
                grad_ys[i] = convert_to_tensor(gy, dtype=y.dtype.base_dtype, name="grad_ys_%d" % i)
        to_ops = [y.op for y in ys]
        from_ops = [x.op for x in xs]
        stop_ops_extra = set(convert_to_tensor(t).op for t in stop_gradients)
        consumers = _consumers_map(g)
        pending, between = _pending_count(to_ops, from_ops, consumers)
        grads = {}  # op -> [[grads of output 0], [grads of output 1], ...]

        def add_grad(t, grad):
            lst = grads.setdefault(t.op, [[] for _ in t.op._outputs])
            lst[t.value_index].append(grad)

        for y, gy in zip(ys, grad_ys):
            add_grad(y, gy)
        stop_ops = set()
        for op in from_ops:
            if all(pending[t.op] == 0 for t in op._inputs):
                stop_ops.add(op)
        stop_ops |= stop_ops_extra
        queue = collections.deque()
        seen = set()
        for op in to_ops:
            if pending[op] == 0 and op not in seen:
                seen.add(op)
                queue.append(op)
        while queue:
            op = queue.popleft()
            out_lists = grads.get(op, [[] for _ in op._outputs])
            out_grads = [_aggregate(lst) for lst in out_lists]
            grads[op] = [[x] if x is not None else [] for x in out_grads]
            grad_fn = None
            if op not in stop_ops and any(x is not None for x in out_grads):
                grad_fn = get_gradient_function(op)
            if grad_fn is not None:
                for i, og in enumerate(out_grads):
                    if og is None and _is_trainable(op._outputs[i]):
                        from metarun.ops import array_ops
                        with name_scope(op.name + "_grad"):
                            out_grads[i] = array_ops.zeros_like(op._outputs[i])
                with name_scope(op.name + "_grad"):
                    if op.type not in _SPARSE_AWARE:
                        out_grads = [_dense(x) for x in out_grads]
                    in_grads = _as_list(grad_fn(op, *out_grads))
                    if len(in_grads) != len(op._inputs):
                        raise ValueError("Num gradients %d generated for op %s do not match num inputs %d"
                                         % (len(in_grads), op.node_def, len(op._inputs)))
                    if gate_gradients and len([x for x in in_grads if x is not None]) > 1:
                        in_grads = _tuple(in_grads)
            else:
                in_grads = [None] * len(op._inputs)
            for t_in, in_grad in zip(op._inputs, in_grads):
                if in_grad is not None and t_in.op in between:
                    if isinstance(in_grad, graph_lib.Tensor) and t_in.dtype.base_dtype != dtypes.resource:
                        try:
                            in_grad.set_shape(t_in.shape)
                        except ValueError:
                            pass
                    add_grad(t_in, in_grad)
            for t in op._inputs:
                if t.op not in between:
                    continue
                pending[t.op] -= 1
                if pending[t.op] == 0 and t.op not in seen:
                    seen.add(t.op)
                    queue.append(t.op)
        out = []
        for x in xs:
            lst = grads.get(x.op)
            grad = _aggregate(lst[x.value_index]) if lst else None
            if grad is None and unconnected_gradients == "zero":
                from metarun.ops import array_ops
                grad = array_ops.zeros_like(x)
            out.append(grad)
        _ = grad_scope
        return out


# Ops whose gradient functions take IndexedSlices as they come.
_SPARSE_AWARE = {"Identity", "ReadVariableOp", "Snapshot", "Enter", "Exit", "Switch", "Merge"}


def _tuple(tensors):
    """TF's control_flow_ops.tuple: each tensor again, after all are computed."""
    g = graph_lib.get_default_graph()
    with name_scope(None, "tuple", [t for t in tensors if t is not None]) as scope:
        deps = [t.op for t in tensors if t is not None]
        with g.control_dependencies(None), g.control_dependencies(deps):
            gate = apply_op("NoOp", name="group_deps")
        out = []
        for t in tensors:
            if t is None:
                out.append(None)
                continue
            dense = isinstance(t, IndexedSlices)
            with g.colocate_with((t.values if dense else t).op), g.control_dependencies([gate]):
                if dense:
                    out.append(IndexedSlices(apply_op("Identity", input=t.values, name="control_dependency"),
                                             t.indices, t.dense_shape))
                else:
                    out.append(apply_op("Identity", input=t, name="control_dependency"))
        _ = scope
        return out


def hessians(ys, xs, name="hessians", **kwargs):
    raise NotImplementedError("tf.hessians is not supported by metarun yet")
