"""Static shapes of the array, math and random ops shapes_core does not cover."""

import numpy as np

from metarun.framework import shape_inference as si
from metarun.framework.tensor_shape import TensorShape


@si.register("InvertPermutation", "CheckNumerics", "CheckNumericsV2", "Erfinv", "Ndtri", "Digamma",
             "CumulativeLogsumexp", "Snapshot", "PreventGradient")
def _same(op):
    return [op.inputs[0].shape]


@si.register("MulNoNan", "Xlog1py", "NextAfter")
def _binary(op):
    return [si.broadcast(op.inputs[0].shape, op.inputs[1].shape)]


@si.register("IdentityN")
def _identity_n(op):
    return [t.shape for t in op.inputs]


@si.register("ShapeN")
def _shape_n(op):
    return [TensorShape([t.shape.ndims]) for t in op.inputs]


@si.register("Multinomial")
def _multinomial(op):
    logits = op.inputs[0].shape
    n = si.constant_value(op.inputs[1])
    batch = None if logits.ndims is None else logits.dims[0]
    return [TensorShape([batch, None if n is None else int(n)])]


@si.register("RandomPoissonV2", "RandomGamma")
def _random_shaped(op):
    s = si.constant_shape(op.inputs[0])
    rate = op.inputs[1].shape
    if s.ndims is None or rate.ndims is None:
        return [TensorShape(None)]
    return [TensorShape(s.dims + rate.dims)]


@si.register("TopKV2")
def _top_k(op):
    x = op.inputs[0].shape
    k = si.constant_value(op.inputs[1])
    if x.ndims is None:
        return [TensorShape(None)] * 2
    dims = x.dims[:-1] + [None if k is None else int(k)]
    return [TensorShape(dims)] * 2


@si.register("Unique", "UniqueWithCounts")
def _unique(op):
    out = [TensorShape([None]), op.inputs[0].shape]
    return out + [TensorShape([None])] if op.type == "UniqueWithCounts" else out


@si.register("UnsortedSegmentSum", "UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd")
def _unsorted_segment(op):
    data, ids = op.inputs[0].shape, op.inputs[1].shape
    n = si.constant_value(op.inputs[2])
    if data.ndims is None or ids.ndims is None:
        return [TensorShape(None)]
    return [TensorShape([None if n is None else int(n)] + data.dims[ids.ndims:])]


@si.register("SegmentSum", "SegmentMean", "SegmentMax", "SegmentMin", "SegmentProd")
def _segment(op):
    data = op.inputs[0].shape
    if data.ndims is None:
        return [TensorShape(None)]
    return [TensorShape([None] + data.dims[1:])]


@si.register("MatrixDiagPartV3")
def _diag_part(op):
    x = op.inputs[0].shape
    k = si.constant_value(op.inputs[1])
    if x.ndims is None or k is None or np.asarray(k).size not in (1, 2):
        return [TensorShape(None)]
    ks = [int(v) for v in np.asarray(k).reshape(-1)]
    lo, hi = ks[0], ks[-1]
    if lo > hi:
        raise ValueError("lower_diag_index must not be greater than upper_diag_index, received lower_diag_index = "
                         "%d and upper_diag_index = %d" % (lo, hi))
    m, n = x.dims[-2], x.dims[-1]
    band = [hi - lo + 1] if lo != hi else []  # a band of diagonals is stacked; one diagonal is not
    if m is None or n is None:
        return [TensorShape(x.dims[:-2] + band + [None])]
    return [TensorShape(x.dims[:-2] + band + [max(0, min(m + min(hi, 0), n - max(lo, 0)))])]


@si.register("Einsum")
def _einsum(op):
    """Each output label's size from the operands; an ellipsis stands for the operands' broadcast
    batch dimensions (right-aligned)."""
    eq = op.get_attr("equation")
    eq = eq.decode() if isinstance(eq, bytes) else eq
    if "->" not in eq:
        return [TensorShape(None)]
    lhs, out = eq.split("->")
    sizes, batch = {}, []
    for spec, t in zip(lhs.split(","), op.inputs):
        s = t.shape
        if s.ndims is None:
            return [TensorShape(None)]
        dims = s.dims
        if "..." in spec:
            before, after = spec.split("...")
            n_batch = len(dims) - len(before) - len(after)
            if n_batch < 0:
                return [TensorShape(None)]
            try:
                batch = si.broadcast(TensorShape(batch), TensorShape(dims[len(before):len(before) + n_batch])).dims
            except ValueError:
                return [TensorShape(None)]
            labelled = list(zip(before, dims[:len(before)])) + list(zip(after, dims[len(before) + n_batch:]))
        else:
            labelled = list(zip(spec, dims))
        for c, d in labelled:
            if d is not None and d != 1:
                sizes[c] = d
            sizes.setdefault(c, d)
    if "..." in out:
        before, after = out.split("...")
        return [TensorShape([sizes.get(c) for c in before] + batch + [sizes.get(c) for c in after])]
    return [TensorShape([sizes.get(c) for c in out])]


@si.register("LinSpace")
def _linspace(op):
    n = si.constant_value(op.inputs[2])
    return [TensorShape([None if n is None else int(n)])]


@si.register("BroadcastArgs")
def _broadcast_args(op):
    a, b = op.inputs[0].shape, op.inputs[1].shape
    if a.ndims != 1 or b.ndims != 1 or a.dims[0] is None or b.dims[0] is None:
        return [TensorShape([None])]
    return [TensorShape([max(a.dims[0], b.dims[0])])]


@si.register("ScatterNd")
def _scatter_nd(op):
    return [si.constant_shape(op.inputs[2])]


@si.register("DynamicStitch", "ParallelDynamicStitch")
def _stitch(op):
    n = len(op.inputs) // 2
    data = op.inputs[n]
    idx = op.inputs[0]
    if data.shape.ndims is None or idx.shape.ndims is None:
        return [TensorShape(None)]
    values = [si.constant_value(t) for t in op.inputs[:n]]
    first = None
    if all(v is not None for v in values):  # TF sizes the result from constant indices
        first = max([int(np.max(v)) for v in values if v.size] or [-1]) + 1
    return [TensorShape([first] + data.shape.dims[idx.shape.ndims:])]


@si.register("DynamicPartition")
def _partition(op):
    data, parts = op.inputs[0].shape, op.inputs[1].shape
    n = op.get_attr("num_partitions")
    if data.ndims is None or parts.ndims is None:
        return [TensorShape(None)] * n
    return [TensorShape([None] + data.dims[parts.ndims:])] * n


@si.register("ReverseSequence", "ClipByValue")
def _first(op):
    return [op.inputs[0].shape]


@si.register("Bincount")
def _bincount(op):
    return [TensorShape([None])]


# -- the checks TF's shape functions make before they give a shape ----------------------------------

def _fmt(shape):
    return "?" if shape.ndims is None else "[%s]" % ",".join("?" if d is None else str(d) for d in shape.dims)


def _where(op):
    return " for '{{node %s}} = %s[]' with input shapes: %s." % (
        op.name, op.type, ", ".join(_fmt(t.shape) for t in op.inputs))


def _checked(op_type):
    base = si._FNS[op_type]

    def deco(check):
        def fn(op):
            check(op)
            return base(op)
        si.register(op_type)(fn)
        return fn
    return deco


@_checked("Transpose")
def _transpose_check(op):
    x, perm = op.inputs[0].shape, op.inputs[1].shape
    if x.ndims is not None and perm.ndims == 1 and perm.dims[0] is not None and perm.dims[0] != x.ndims:
        raise ValueError("Dimension must be %d but is %d%s" % (x.ndims, perm.dims[0], _where(op)))


@_checked("ExpandDims")
def _expand_dims_check(op):
    x = op.inputs[0].shape
    a = si.constant_value(op.inputs[1])
    if x.ndims is not None and a is not None:
        a = int(np.asarray(a).reshape(-1)[0])
        if a < -1 - x.ndims or a > x.ndims:
            raise ValueError("dim %d not in the interval [%d, %d].%s" % (a, -1 - x.ndims, x.ndims, _where(op)))


@_checked("Squeeze")
def _squeeze_check(op):
    x = op.inputs[0].shape
    if x.ndims is None:
        return
    for a in op.get_attr("squeeze_dims"):
        if a < -x.ndims or a >= x.ndims:
            raise ValueError("Tried to squeeze dim index %d for tensor with %d dimensions.%s"
                             % (a, x.ndims, _where(op)))
        d = x.dims[a % x.ndims]
        if d is not None and d != 1:
            raise ValueError("Can not squeeze dim[%d], expected a dimension of 1, got %d%s"
                             % (a % x.ndims, d, _where(op)))


@_checked("Pack")
def _pack_check(op):
    s = TensorShape(None)
    for t in op.inputs:
        try:
            s = si.merge(s, t.shape)
        except ValueError as e:
            raise ValueError("%s. From merging shape 0 with other shapes.%s" % (e, _where(op))) from None


@_checked("ConcatV2")
def _concat_check(op):
    ranks = [t.shape.ndims for t in op.inputs[:-1] if t.shape.ndims is not None]
    if ranks and any(r != ranks[0] for r in ranks):
        bad = next(r for r in ranks if r != ranks[0])
        raise ValueError("Shape must be rank %d but is rank %d%s" % (ranks[0], bad, _where(op)))
