"""Static shapes of ops built in Python: what `Tensor.shape` reports.

Each op type may register a shape function `fn(op) -> [TensorShape or None per
output]` (None: unknown). Ops without one have outputs of unknown shape, as TF's
would be only where TF's shape function says so; families add theirs with
`@register("OpA", "OpB")`. A function that raises ValueError refuses the op, as
TF's shape functions do ("Dimensions must be equal...").

Helpers: `shape_of(tensor)`, `constant_value(tensor)` (the value of a tensor
whose value is known while building: Const, Shape of a known shape, Pack of
constants, Cast, Identity, Size, Rank) and `constant_shape(tensor)` (a shape
given as a 1-D tensor, partly known).
"""

import numpy as np

from metarun import _lazy
from metarun.framework import tensor_util
from metarun.framework.tensor_shape import TensorShape

_FNS = {}


def register(*op_types):
    def deco(fn):
        for t in op_types:
            _FNS[t] = fn
        return fn
    return deco


def infer(op):
    fn = _FNS.get(op.type)
    if fn is None:
        fn = _lookup_after_loading(op.type)
        if fn is None:
            return
    shapes = fn(op)
    if shapes is None:
        return
    if not isinstance(shapes, (list, tuple)):
        shapes = [shapes]
    op._shapes = [s if isinstance(s, TensorShape) else TensorShape(s) for s in shapes]


def has_shape_fn(op_type):
    return op_type in _FNS or _lookup_after_loading(op_type) is not None


def _lookup_after_loading(op_type):
    """A miss: the shape function may be registered by a module not imported yet (metarun
    imports most modules on first use), so they all are before answering."""
    _lazy.load_all()
    return _FNS.get(op_type)


# -- helpers ---------------------------------------------------------------------------------

def shape_of(tensor):
    return tensor.shape


def unknown():
    return TensorShape(None)


def rank(shape):
    return shape.ndims


def dims(shape):
    return shape.dims


def merge(a, b, what="Shapes"):
    """The most specific shape compatible with both, or ValueError."""
    if a.ndims is None:
        return b
    if b.ndims is None:
        return a
    if a.ndims != b.ndims:
        raise ValueError("Shapes must be equal rank, but are %d and %d" % (a.ndims, b.ndims))
    out = []
    for x, y in zip(a.dims, b.dims):
        if x is not None and y is not None and x != y:
            raise ValueError("Dimensions must be equal, but are %d and %d" % (x, y))
        out.append(x if x is not None else y)
    return TensorShape(out)


def broadcast(a, b):
    """numpy broadcasting of two static shapes (unknown where it cannot be told)."""
    if a.ndims is None or b.ndims is None:
        return TensorShape(None)
    x, y = a.dims, b.dims
    n = max(len(x), len(y))
    x = [1] * (n - len(x)) + x
    y = [1] * (n - len(y)) + y
    out = []
    for p, q in zip(x, y):
        if p == 1:
            out.append(q)
        elif q == 1:
            out.append(p)
        elif p is None or q is None:
            out.append(p if q is None and p is not None and p != 1 else q if p is None else None)
            if p is None and q is None:
                out[-1] = None
        elif p != q:
            raise ValueError("Dimensions must be equal, but are %d and %d" % (p, q))
        else:
            out.append(p)
    return TensorShape(out)


def constant_value(tensor):
    """The numpy value of `tensor` when it is known while building, else None."""
    op = tensor.op
    t = op.type
    if t == "Const":
        return tensor_util.to_numpy(op._node_def.attr["value"].tensor)
    if t == "Shape":
        s = op.inputs[0].shape
        if s.is_fully_defined():
            return np.array(s.as_list(), dtype=op.get_attr("out_type").as_numpy_dtype)
        return None
    if t == "Size":
        s = op.inputs[0].shape
        n = s.num_elements()
        return None if n is None else np.array(n, dtype=op.get_attr("out_type").as_numpy_dtype)
    if t == "Rank":
        s = op.inputs[0].shape
        return None if s.ndims is None else np.array(s.ndims, np.int32)
    if t in ("Identity", "StopGradient"):
        return constant_value(op.inputs[0])
    if t == "Cast":
        v = constant_value(op.inputs[0])
        return None if v is None else v.astype(op.get_attr("DstT").as_numpy_dtype)
    if t == "Pack":
        vals = [constant_value(x) for x in op.inputs]
        if any(v is None for v in vals):
            return None
        return np.stack(vals, axis=op.get_attr("axis"))
    if t in ("ConcatV2", "Concat"):
        xs = op.inputs[:-1] if t == "ConcatV2" else op.inputs[1:]
        axis = constant_value(op.inputs[-1] if t == "ConcatV2" else op.inputs[0])
        vals = [constant_value(x) for x in xs]
        if axis is None or any(v is None for v in vals):
            return None
        return np.concatenate(vals, axis=int(axis))
    if t == "Fill":
        d, v = constant_value(op.inputs[0]), constant_value(op.inputs[1])
        return None if d is None or v is None else np.full(d, v)
    if t == "StridedSlice":
        return _strided_slice_value(op)
    if t in _FOLDABLE:
        vals = [constant_value(x) for x in op.inputs]
        if any(v is None for v in vals) or any(v.size > 1000 for v in vals):
            return None
        try:
            with np.errstate(all="ignore"):
                out = _FOLDABLE[t](op, *vals)
                return None if out is None else np.asarray(out).astype(
                    op.outputs[0].dtype.base_dtype.as_numpy_dtype)
        except (ValueError, IndexError, TypeError):
            return None
    if t == "Range":
        a, b, c = (constant_value(x) for x in op.inputs)
        return None if a is None or b is None or c is None else np.arange(a, b, c, dtype=a.dtype)
    return None



def python_constant_value(t):
    """The value of `t` when TF's Python constant_value knows it while building, else None:
    Const, Shape, Size, Rank, Range, Cast, Concat, Pack, Unpack, Split, Fill, Equal, NotEqual and
    Identity of known values, no arithmetic (which `constant_value` folds, as TF's C++ shape
    inference does). Where TF's Python builds one graph or another on a known value, this decides."""
    if not hasattr(t, "op"):
        return t
    op = t.op
    kind = op.type
    if kind == "Const":
        return constant_value(t)
    if kind == "Shape":
        s = op.inputs[0].shape
        return np.array(s.as_list(), op.get_attr("out_type").as_numpy_dtype) if s.is_fully_defined() else None
    if kind == "Size":
        n = op.inputs[0].shape.num_elements()
        return None if n is None else np.array(n, op.get_attr("out_type").as_numpy_dtype)
    if kind == "Rank":
        r = op.inputs[0].shape.ndims
        return None if r is None else np.array(r, np.int32)
    if kind == "Range":
        vals = [python_constant_value(x) for x in op.inputs]
        return None if any(v is None for v in vals) else np.arange(*vals, dtype=t.dtype.as_numpy_dtype)
    if kind == "Cast":
        v = python_constant_value(op.inputs[0])
        return None if v is None else np.asarray(v).astype(op.get_attr("DstT").as_numpy_dtype)
    if kind in ("Concat", "ConcatV2"):
        parts = list(op.inputs)
        axis_t, parts = (parts[0], parts[1:]) if kind == "Concat" else (parts[-1], parts[:-1])
        axis, vals = python_constant_value(axis_t), [python_constant_value(x) for x in parts]
        return None if axis is None or any(v is None for v in vals) else np.concatenate(vals, int(axis))
    if kind == "Pack":
        vals = [python_constant_value(x) for x in op.inputs]
        return None if any(v is None for v in vals) else np.stack(vals, op.get_attr("axis"))
    if kind == "Unpack":
        v = python_constant_value(op.inputs[0])
        return None if v is None else np.moveaxis(v, op.get_attr("axis"), 0)[t.value_index]
    if kind == "Split":
        axis, v = python_constant_value(op.inputs[0]), python_constant_value(op.inputs[1])
        return None if axis is None or v is None else np.split(v, op.get_attr("num_split"), int(axis))[t.value_index]
    if kind == "Fill":
        dims, v = python_constant_value(op.inputs[0]), python_constant_value(op.inputs[1])
        return None if dims is None or v is None else np.full(dims, v)
    if kind in ("Equal", "NotEqual"):
        a, b = python_constant_value(op.inputs[0]), python_constant_value(op.inputs[1])
        if a is None or b is None:
            return None
        return np.equal(a, b) if kind == "Equal" else np.not_equal(a, b)
    if kind in ("Identity", "StopGradient"):
        return python_constant_value(op.inputs[0])
    return None

# Small integer arithmetic on known values, folded as TF's shape inference folds
# constant subgraphs (a shape built from tf.shape/tf.rank pieces stays known).
_FOLDABLE = {
    "Sub": lambda op, a, b: a - b,
    "Add": lambda op, a, b: a + b,
    "AddV2": lambda op, a, b: a + b,
    "Mul": lambda op, a, b: a * b,
    "Maximum": lambda op, a, b: np.maximum(a, b),
    "Minimum": lambda op, a, b: np.minimum(a, b),
    "FloorDiv": lambda op, a, b: np.floor_divide(a, b),
    "Neg": lambda op, a: -a,
    "SelectV2": lambda op, c, t, e: np.where(c, t, e),
    "Equal": lambda op, a, b: np.equal(a, b),
    "GreaterEqual": lambda op, a, b: np.greater_equal(a, b),
    "Greater": lambda op, a, b: np.greater(a, b),
    "BroadcastArgs": lambda op, a, b: np.array(np.broadcast_shapes(tuple(a), tuple(b)), a.dtype),
    "BroadcastTo": lambda op, x, s: np.broadcast_to(x, tuple(s)),
    "Slice": lambda op, x, b, s: x[tuple(slice(int(i), None if int(n) == -1 else int(i) + int(n))
                                         for i, n in zip(b, s))],
    "Reshape": lambda op, x, s: x.reshape([int(d) for d in np.asarray(s).reshape(-1)]),
    "ExpandDims": lambda op, x, a: np.expand_dims(x, int(a)),
    "Prod": lambda op, x, a: _fold_reduce(np.prod, op, x, a),
    "Sum": lambda op, x, a: _fold_reduce(np.sum, op, x, a),
    "Max": lambda op, x, a: _fold_reduce(lambda v, **k: np.max(v, initial=_lowest(v.dtype), **k), op, x, a),
    "GatherV2": lambda op, p, i, a: np.take(p, i, axis=int(a)) if op.get_attr("batch_dims") == 0 else None,
}


def _lowest(dtype):
    """What TF's Max gives for no elements: the dtype's lowest value (-inf for floats)."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _fold_reduce(fn, op, x, axes):
    axes = tuple(int(a) for a in np.asarray(axes).reshape(-1))
    return fn(x, axis=axes, keepdims=op.get_attr("keep_dims"))


def _strided_slice_value(op):
    """A StridedSlice of known values, as numpy indexing (what TF's constant folding gives)."""
    x, begin, end, strides = (constant_value(t) for t in op.inputs)
    if x is None or begin is None or end is None or strides is None:
        return None
    masks = [op.get_attr(k) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                      "shrink_axis_mask")]
    key = []
    for i, (b, e, s) in enumerate(zip(begin.reshape(-1), end.reshape(-1), strides.reshape(-1))):
        bit = 1 << i
        if masks[2] & bit:
            key.append(Ellipsis)
        elif masks[3] & bit:
            key.append(None)
        elif masks[4] & bit:
            key.append(int(b))
        else:
            key.append(slice(None if masks[0] & bit else int(b), None if masks[1] & bit else int(e), int(s)))
    try:
        return np.asarray(x[tuple(key)])
    except (IndexError, ValueError):
        return None


def constant_shape(tensor):
    """A shape given as a 1-D int tensor: exact when its value is known, else a
    partial shape (known rank from the tensor's length, dims from a Pack of
    scalars whose values are known), else unknown."""
    v = constant_value(tensor)
    if v is not None:
        if v.ndim == 0:
            return TensorShape(None) if v == -1 else TensorShape([int(v)])
        return TensorShape([None if d < 0 else int(d) for d in v.reshape(-1)])
    op = tensor.op
    if op.type == "Shape":  # the (partly known) shape of its input
        return op.inputs[0].shape
    if op.type == "Pack":
        out = []
        for x in op.inputs:
            c = constant_value(x)
            out.append(None if c is None or c < 0 else int(c))
        return TensorShape(out)
    if op.type in ("ConcatV2",):
        parts = [constant_shape(x) for x in op.inputs[:-1]]
        if any(p.ndims is None for p in parts):
            return _length_only(tensor)
        return TensorShape([d for p in parts for d in p.dims])
    if op.type == "StridedSlice" and op.inputs[0].op.type == "Shape":
        begin, end, strides = (constant_value(x) for x in op.inputs[1:])
        src = op.inputs[0].op.inputs[0].shape
        if src.ndims is not None and begin is not None and end is not None and strides is not None \
                and op.get_attr("shrink_axis_mask") == 0 and op.get_attr("ellipsis_mask") == 0 \
                and op.get_attr("new_axis_mask") == 0 and len(begin) == 1:
            b = None if op.get_attr("begin_mask") & 1 else int(begin[0])
            e = None if op.get_attr("end_mask") & 1 else int(end[0])
            return TensorShape(src.dims[slice(b, e, int(strides[0]))])
    return _length_only(tensor)


def _length_only(tensor):
    s = tensor.shape
    if s.ndims == 1 and s.dims[0] is not None:
        return TensorShape([None] * s.dims[0])
    return TensorShape(None)


def axis_value(tensor, ndims=None):
    """Reduction/concat axes as a sorted list of non-negative ints, or None."""
    v = constant_value(tensor)
    if v is None:
        return None
    axes = [int(a) for a in np.asarray(v).reshape(-1)]
    if ndims is not None:
        for a in axes:
            if a < -ndims or a >= ndims:
                raise ValueError("Invalid reduction dimension %d for input with %d dimensions." % (a, ndims))
        axes = [a % ndims if ndims else a for a in axes]
    return axes
