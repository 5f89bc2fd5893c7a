"""More TF op -> ONNX op handlers: the element-wise math, shape, scatter and segment ops TF1
models use beyond the core set in _ops.py. Registered in the same HANDLERS table; imported by
_ops. The image, volume and detection ops are in _ops_images, imported at the end.

Where ONNX has no op with TF's exact semantics the handler builds it from exact parts (floor
division of integers from a division of either rounding, log1p and expm1 by Goldberg's and
Kahan's formulas, atan2 from atan of a ratio at most 1); what cannot be built exactly is a
NotMappable error naming the node and why.
"""

import numpy as np

from metarun.onnx._ops import INT64_MAX, INT64_MIN, _attr, _axis, _i64, _ins, _numpy_dtype, \
    _out, handles
from metarun.onnx.export import NotMappable

def _dt(ctx, tensor):
    return np.dtype(_numpy_dtype(ctx.dtype(tensor)))


def _scalar(ctx, value, dt, hint="c"):
    return ctx.const(np.array(value, dt), hint)


def _float_only(ctx, node, tensor):
    dt = _dt(ctx, tensor)
    if dt.kind != "f":
        raise NotMappable("%s %s: dtype %s (ONNX's op is for floating point)"
                          % (node.op, node.name, dt.name))
    return dt


def _is_negative(ctx, x, dt):
    """x < 0, with -0.0 counted as negative for floats (atan2 reads the sign of a zero)."""
    zero = _scalar(ctx, 0, dt, "zero")
    neg = ctx.node("Less", [x, zero])
    if dt.kind != "f":
        return neg
    return ctx.node("Or", [neg, ctx.node("Less", [ctx.node("Div", [_scalar(ctx, 1, dt, "one"),
                                                                     x]), zero])])


def _where(ctx, cond, a, b, dt, name=None):
    """ONNX Where; onnxruntime has no bool kernel for it, so bools go through uint8."""
    if dt != np.bool_:
        return ctx.node("Where", [cond, a, b], name)
    a, b = (ctx.node("Cast", [v], to=2) for v in (a, b))
    return ctx.node("Cast", [ctx.node("Where", [cond, a, b])], name, to=9)


# --- element-wise arithmetic ----------------------------------------------------------------

_UNARY_MORE = {"Sin": "Sin", "Cos": "Cos", "Tan": "Tan", "Asin": "Asin", "Acos": "Acos",
               "Atan": "Atan", "Sinh": "Sinh", "Cosh": "Cosh", "Asinh": "Asinh",
               "Acosh": "Acosh", "Atanh": "Atanh", "IsNan": "IsNaN", "IsInf": "IsInf", "Rint": "Round",
               "MatrixDeterminant": "Det"}


@handles(*_UNARY_MORE)
def _unary_float(ctx, node):
    _float_only(ctx, node, ctx.g.data_inputs(node)[0])
    ctx.node(_UNARY_MORE[node.op], _ins(ctx, node), _out(node))


@handles("Round")
def _round(ctx, node):
    # ONNX Round rounds half to even as TF does; an integer is its own rounding
    op = "Round" if _dt(ctx, ctx.g.data_inputs(node)[0]).kind == "f" else "Identity"
    ctx.node(op, _ins(ctx, node), _out(node))


@handles("IsFinite")
def _is_finite(ctx, node):
    _float_only(ctx, node, ctx.g.data_inputs(node)[0])
    x, = _ins(ctx, node)
    bad = ctx.node("Or", [ctx.node("IsNaN", [x]), ctx.node("IsInf", [x])])
    ctx.node("Not", [bad], _out(node))


@handles("NotEqual")
def _not_equal(ctx, node):
    ctx.node("Not", [ctx.node("Equal", _ins(ctx, node))], _out(node))


@handles("AddN")
def _add_n(ctx, node):
    xs = _ins(ctx, node)
    if len(xs) == 1:
        ctx.node("Identity", xs, _out(node))
    elif _dt(ctx, ctx.g.data_inputs(node)[0]).kind == "f":
        ctx.node("Sum", xs, _out(node))
    else:  # ONNX Sum is for floating point; integer sums are exact in any order
        acc = xs[0]
        for k, x in enumerate(xs[1:]):
            acc = ctx.node("Add", [acc, x], _out(node) if k == len(xs) - 2 else None)


@handles("ClipByValue")
def _clip_by_value(ctx, node):
    x, lo, hi = _ins(ctx, node)
    # TF takes the min with the upper bound first: a lower bound above the upper one wins
    ctx.node("Max", [ctx.node("Min", [x, hi]), lo], _out(node))


@handles("L2Loss")
def _l2_loss(ctx, node):
    dt = _float_only(ctx, node, ctx.g.data_inputs(node)[0])
    s = ctx.node("ReduceSumSquare", _ins(ctx, node), keepdims=0)
    ctx.node("Mul", [s, _scalar(ctx, 0.5, dt, "half")], _out(node))


def _int_division(ctx, a, b, dt, toward):
    """Integer a / b rounded toward "floor" or "zero", exact whichever way the runtime's
    integer Div rounds: the remainder a - q*b tells which rounding it took."""
    q = ctx.node("Div", [a, b])
    if dt.kind == "u":
        return q
    r = ctx.node("Sub", [a, ctx.node("Mul", [q, b])])
    zero = _scalar(ctx, 0, dt, "zero")
    nonzero = ctx.node("Not", [ctx.node("Equal", [r, zero])])
    ref = b if toward == "floor" else a  # the remainder's sign under the wanted rounding
    wrong = ctx.node("Xor", [ctx.node("Less", [r, zero]), ctx.node("Less", [ref, zero])])
    fix = ctx.node("Cast", [ctx.node("And", [nonzero, wrong])], to=_onnx_type(dt))
    return ctx.node("Sub" if toward == "floor" else "Add", [q, fix])


def _onnx_type(dt):
    from metarun.framework import dtypes
    from metarun.onnx.export import onnx_dtype
    return onnx_dtype(dtypes.as_dtype(np.dtype(dt)).as_datatype_enum)


@handles("FloorDiv", "TruncateDiv")
def _floor_trunc_div(ctx, node):
    a, b = _ins(ctx, node)
    dt = _dt(ctx, ctx.g.data_inputs(node)[0])
    if dt.kind == "f":
        q = ctx.node("Div", [a, b])
        q = ctx.node("Floor", [q]) if node.op == "FloorDiv" else _trunc(ctx, q, dt)
        ctx.node("Identity", [q], _out(node))
        return
    q = _int_division(ctx, a, b, dt, "floor" if node.op == "FloorDiv" else "zero")
    ctx.node("Identity", [q], _out(node))


def _trunc(ctx, x, dt):
    """Rounding toward zero of a float: floor of the magnitude, the sign put back."""
    mag = ctx.node("Floor", [ctx.node("Abs", [x])])
    return ctx.node("Where", [ctx.node("Less", [x, _scalar(ctx, 0, dt, "zero")]),
                              ctx.node("Neg", [mag]), mag])


@handles("FloorMod")
def _floor_mod(ctx, node):
    a, b = _ins(ctx, node)
    dt = _dt(ctx, ctx.g.data_inputs(node)[0])
    if dt.kind != "f":  # ONNX Mod with fmod=0 is integer modulo with the divisor's sign
        ctx.node("Mod", [a, b], _out(node), fmod=0)
        return
    # TF: r = fmod(a, b), plus b when r is nonzero and its sign differs from b's
    r = ctx.node("Mod", [a, b], fmod=1)
    zero = _scalar(ctx, 0, dt, "zero")
    shift = ctx.node("And", [ctx.node("Not", [ctx.node("Equal", [r, zero])]),
                             ctx.node("Xor", [ctx.node("Less", [r, zero]),
                                              ctx.node("Less", [b, zero])])])
    ctx.node("Where", [shift, ctx.node("Add", [r, b]), r], _out(node))


@handles("TruncateMod", "Mod")
def _trunc_mod(ctx, node):
    # TF's Mod and TruncateMod are C's: the remainder has the dividend's sign (fmod)
    ctx.node("Mod", _ins(ctx, node), _out(node), fmod=1)


def _where_zero(ctx, test, value, dt, name):
    """0 where test == 0, else value (TF's *NoNan and x*-ops ignore the other operand there)."""
    zero = _scalar(ctx, 0, dt, "zero")
    return ctx.node("Where", [ctx.node("Equal", [test, zero]), zero, value], name)


@handles("DivNoNan", "MulNoNan", "Xdivy", "Xlogy", "Xlog1py")
def _no_nan(ctx, node):
    x, y = _ins(ctx, node)
    dt = _float_only(ctx, node, ctx.g.data_inputs(node)[0])
    if node.op == "DivNoNan":
        _where_zero(ctx, y, ctx.node("Div", [x, y]), dt, _out(node))
    elif node.op == "MulNoNan":
        _where_zero(ctx, y, ctx.node("Mul", [x, y]), dt, _out(node))
    elif node.op == "Xdivy":
        _where_zero(ctx, x, ctx.node("Div", [x, y]), dt, _out(node))
    elif node.op == "Xlogy":
        _where_zero(ctx, x, ctx.node("Mul", [x, ctx.node("Log", [y])]), dt, _out(node))
    else:
        _where_zero(ctx, x, ctx.node("Mul", [x, _log1p(ctx, y, dt)]), dt, _out(node))


def _log1p(ctx, x, dt, name=None):
    """log(1 + x) to a few ulps for tiny x too (Goldberg): with u = 1 + x rounded,
    log(u) * x / (u - 1), and x itself where u rounds to 1."""
    one = _scalar(ctx, 1, dt, "one")
    u = ctx.node("Add", [x, one])
    d = ctx.node("Sub", [u, one])
    r = ctx.node("Mul", [ctx.node("Log", [u]), ctx.node("Div", [x, d])])
    r = ctx.node("Where", [ctx.node("Equal", [d, _scalar(ctx, 0, dt, "zero")]), x, r])
    # log1p(inf) = inf, where the formula has inf / inf
    return ctx.node("Where", [ctx.node("IsInf", [x], detect_negative=0), x, r], name)


@handles("Log1p")
def _log1p_op(ctx, node):
    dt = _float_only(ctx, node, ctx.g.data_inputs(node)[0])
    x, = _ins(ctx, node)
    _log1p(ctx, x, dt, _out(node))


@handles("Expm1")
def _expm1(ctx, node):
    """exp(x) - 1 to a few ulps for tiny x too (Kahan): with u = exp(x) rounded,
    (u - 1) * x / log(u); x where u rounds to 1, -1 where u - 1 is -1, inf where u is."""
    dt = _float_only(ctx, node, ctx.g.data_inputs(node)[0])
    x, = _ins(ctx, node)
    one = _scalar(ctx, 1, dt, "one")
    u = ctx.node("Exp", [x])
    um1 = ctx.node("Sub", [u, one])
    r = ctx.node("Div", [ctx.node("Mul", [um1, x]), ctx.node("Log", [u])])
    r = ctx.node("Where", [ctx.node("Equal", [um1, _scalar(ctx, -1, dt, "minus_one")]), um1, r])
    r = ctx.node("Where", [ctx.node("IsInf", [u]), u, r])
    ctx.node("Where", [ctx.node("Equal", [u, one]), x, r], _out(node))


@handles("Atan2")
def _atan2(ctx, node):
    """atan2(y, x): atan(min(|x|,|y|) / max(|x|,|y|)) (a ratio in [0, 1], so no quadrant is
    lost), reflected by pi/2 - a when |y| > |x|, by pi - a when x < 0 (or -0), negated when
    y < 0 (or -0); NaN where either is, pi/4 where both are infinite."""
    y, x = _ins(ctx, node)
    dt = _float_only(ctx, node, ctx.g.data_inputs(node)[0])
    ax, ay = ctx.node("Abs", [x]), ctx.node("Abs", [y])
    hi, lo = ctx.node("Max", [ax, ay]), ctx.node("Min", [ax, ay])
    zero, one = _scalar(ctx, 0, dt, "zero"), _scalar(ctx, 1, dt, "one")
    ratio = ctx.node("Where", [ctx.node("Equal", [hi, zero]), zero, ctx.node("Div", [lo, hi])])
    both_inf = ctx.node("And", [ctx.node("IsInf", [ax]), ctx.node("IsInf", [ay])])
    ratio = ctx.node("Where", [both_inf, one, ratio])
    a = ctx.node("Atan", [ratio])
    a = ctx.node("Where", [ctx.node("Greater", [ay, ax]),
                           ctx.node("Sub", [_scalar(ctx, np.pi / 2, dt, "half_pi"), a]), a])
    a = ctx.node("Where", [_is_negative(ctx, x, dt),
                           ctx.node("Sub", [_scalar(ctx, np.pi, dt, "pi"), a]), a])
    a = ctx.node("Where", [_is_negative(ctx, y, dt), ctx.node("Neg", [a]), a])
    nan = ctx.node("Or", [ctx.node("IsNaN", [x]), ctx.node("IsNaN", [y])])
    ctx.node("Where", [nan, _scalar(ctx, np.nan, dt, "nan"), a], _out(node))


# --- shapes and indexing --------------------------------------------------------------------

@handles("Unpack")
def _unpack(ctx, node):
    names = ctx.g.data_inputs(node)
    num = int(_attr(node, "num"))
    axis = _axis(_attr(node, "axis", 0), ctx.rank(names[0]), node)
    parts = ctx.node("Split", [ctx.input(names[0]), _i64(ctx, [1] * num, "split")],
                     [ctx.unique("part") for _ in range(num)], axis=axis)
    if num == 1:
        parts = [parts]
    for k, p in enumerate(parts):
        ctx.node("Squeeze", [p, _i64(ctx, [axis], "axes")], _out(node, k))


@handles("OneHot")
def _one_hot(ctx, node):
    """on where index == class, else off: an index outside [0, depth) (TF's -1) is all off,
    where ONNX OneHot would count a negative index from the end."""
    names = ctx.g.data_inputs(node)
    depth = int(np.asarray(ctx.const_input(node, 1, "depth")))
    if depth < 0:
        raise NotMappable("OneHot %s: depth %d < 0 (TF fails)" % (node.name, depth))
    idx, _, on, off = _ins(ctx, node)
    axis = int(_attr(node, "axis", -1))
    classes = np.arange(depth, dtype=np.int64)
    if axis != -1:
        rank = ctx.rank(names[0])
        if rank is None:
            raise NotMappable("OneHot %s: axis %d needs the indices' rank" % (node.name, axis))
        classes = classes.reshape([depth] + [1] * (rank - axis))
    idx = ctx.node("Unsqueeze", [ctx.node("Cast", [idx], to=7), _i64(ctx, [axis], "axes")])
    hot = ctx.node("Equal", [idx, ctx.const(classes, "classes")])
    _where(ctx, hot, on, off, _dt(ctx, names[2]), _out(node))


@handles("ReverseV2")
def _reverse(ctx, node):
    x, _ = _ins(ctx, node)
    axes = np.asarray(ctx.const_input(node, 1, "axis"), np.int64).reshape(-1)
    if axes.size == 0:
        ctx.node("Identity", [x], _out(node))
        return
    n = len(axes)
    ctx.node("Slice", [x, _i64(ctx, [-1] * n, "starts"), _i64(ctx, [INT64_MIN] * n, "ends"),
                       _i64(ctx, axes, "axes"), _i64(ctx, [-1] * n, "steps")], _out(node))


@handles("Where")
def _where_coords(ctx, node):
    names = ctx.g.data_inputs(node)
    x, = _ins(ctx, node)
    if _dt(ctx, names[0]) not in (np.bool_, np.float32, np.int32, np.int64, np.uint8):
        x = ctx.node("Cast", [x], to=9)  # nonzero is true
    # NonZero: [rank, n] coordinates in row-major order; TF's Where: [n, rank]
    ctx.node("Transpose", [ctx.node("NonZero", [x])], _out(node), perm=[1, 0])


@handles("Cumsum")
def _cumsum(ctx, node):
    x, _ = _ins(ctx, node)
    axis = int(np.asarray(ctx.const_input(node, 1, "axis")))
    ctx.node("CumSum", [x, ctx.const(np.array(axis, np.int64), "axis")], _out(node),
             exclusive=int(bool(_attr(node, "exclusive", False))),
             reverse=int(bool(_attr(node, "reverse", False))))


@handles("TopKV2")
def _top_k(ctx, node):
    """Largest k along the last axis, ties to the lower index (TF's and ONNX's rule); TF's
    sorted=False leaves the order open, and the sorted order is one it allows."""
    x, k = _ins(ctx, node)
    k = ctx.node("Reshape", [ctx.node("Cast", [k], to=7), _i64(ctx, [1], "shape")])
    values, indices = ctx.node("TopK", [x, k], [_out(node, 0), ctx.unique("indices")],
                               axis=-1, largest=1, sorted=1)
    from metarun.onnx.export import onnx_dtype
    ctx.node("Cast", [indices], _out(node, 1), to=onnx_dtype(_attr(node, "index_type", 3)))


@handles("BroadcastTo")
def _broadcast_to(ctx, node):
    x, shape = _ins(ctx, node)
    ctx.node("Expand", [x, ctx.node("Cast", [shape], to=7)], _out(node))


@handles("GatherNd")
def _gather_nd(ctx, node):
    params, indices = _ins(ctx, node)
    ctx.node("GatherND", [params, ctx.node("Cast", [indices], to=7)], _out(node), batch_dims=0)


# --- einsum, band matrices, scatter, unique -------------------------------------------------

@handles("Einsum")
def _einsum(ctx, node):
    eq = _attr(node, "equation").replace(" ", "")
    dt = _dt(ctx, ctx.g.data_inputs(node)[0])
    if dt not in (np.float32, np.float64, np.int32, np.int64):
        raise NotMappable("Einsum %s: dtype %s (no onnxruntime Einsum kernel)"
                          % (node.name, dt.name))
    if not all(c.isalpha() or c in ",.->" for c in eq):
        raise NotMappable("Einsum %s: equation %r" % (node.name, eq))
    ctx.node("Einsum", _ins(ctx, node), _out(node), equation=eq)


@handles("MatrixBandPart")
def _band_part(ctx, node):
    """Keeps x[..., i, j] where (lower < 0 or i - j <= lower) and (upper < 0 or
    j - i <= upper), zeros elsewhere."""
    names = ctx.g.data_inputs(node)
    lower = int(np.asarray(ctx.const_input(node, 1, "num_lower")))
    upper = int(np.asarray(ctx.const_input(node, 2, "num_upper")))
    x = ctx.input(names[0])
    dt = _dt(ctx, names[0])
    shape = ctx.shape(names[0])
    if shape is not None and None not in shape[-2:]:
        m, n = shape[-2:]
        d = np.arange(m)[:, None] - np.arange(n)[None, :]  # i - j
        keep = np.ones((m, n), bool)
        if lower >= 0:
            keep &= d <= lower
        if upper >= 0:
            keep &= -d <= upper
        keep = ctx.const(keep, "band")
    else:
        dims = ctx.node("Shape", [x])
        one, zero = _i64(ctx, [1], "one"), ctx.const(np.array(0, np.int64), "zero")

        def dim(k):
            return ctx.node("Gather", [dims, ctx.const(np.array(k, np.int64), "dim")], axis=0)

        step = ctx.const(np.array(1, np.int64), "one")
        rows = ctx.node("Unsqueeze", [ctx.node("Range", [zero, dim(-2), step]), one])
        d = ctx.node("Sub", [rows, ctx.node("Range", [zero, dim(-1), step])])
        keep = ctx.node("Equal", [d, d])
        if lower >= 0:
            keep = ctx.node("And", [keep, ctx.node("LessOrEqual", [
                d, ctx.const(np.array(lower, np.int64), "lower")])])
        if upper >= 0:
            keep = ctx.node("And", [keep, ctx.node("LessOrEqual", [
                ctx.node("Neg", [d]), ctx.const(np.array(upper, np.int64), "upper")])])
    _where(ctx, keep, x, _scalar(ctx, 0, dt, "zero"), dt, _out(node))


@handles("ScatterNd")
def _scatter_nd(ctx, node):
    """Updates added into zeros of the given shape (TF sums updates to the same index):
    ScatterND with reduction add, from opset 16; below it only for constant indices that
    are all different."""
    names = ctx.g.data_inputs(node)
    indices, updates, shape = _ins(ctx, node)
    dt = _dt(ctx, names[1])
    attrs = {}
    if ctx.opset >= 16:
        attrs["reduction"] = "add"
    else:
        idx = ctx.value(names[0])
        if idx is None or len({tuple(np.asarray(r).reshape(-1)) for r in
                               np.asarray(idx).reshape(-1, np.shape(idx)[-1])}) != \
                int(np.prod(np.shape(idx)[:-1])):
            raise NotMappable("ScatterNd %s: adding updates to repeated indices needs opset "
                              "16 (ScatterND reduction) unless the indices are constant and "
                              "different" % node.name)
    zeros = ctx.node("Expand", [_scalar(ctx, 0, dt, "zero"), ctx.node("Cast", [shape], to=7)])
    ctx.node("ScatterND", [zeros, ctx.node("Cast", [indices], to=7), updates], _out(node),
             **attrs)


@handles("Unique", "UniqueWithCounts")
def _unique(ctx, node):
    """TF keeps the values in the order they first appear: ONNX Unique with sorted=0; TF's
    idx and count are ONNX's inverse_indices and counts, in TF's out_idx type."""
    from metarun.onnx.export import onnx_dtype
    names = ctx.g.data_inputs(node)
    rank = ctx.rank(names[0])
    if rank is not None and rank != 1:
        raise NotMappable("%s %s: input of rank %d (TF takes a vector)" % (node.op, node.name,
                                                                          rank))
    x, = _ins(ctx, node)
    dt = _dt(ctx, names[0])
    widen = dt in (np.int32, np.int16, np.uint8, np.uint16)  # onnxruntime's Unique has no
    if widen:                                                # kernel for them; int64 is exact
        x = ctx.node("Cast", [x], to=7)
    elif dt not in (np.float32, np.float64, np.int64, np.int8):
        raise NotMappable("%s %s: dtype %s" % (node.op, node.name, dt.name))
    outs = [ctx.unique("values") if widen else _out(node, 0)] + \
        [ctx.unique(h) for h in ("first", "inverse", "counts")]
    values, _, inverse, counts = ctx.node("Unique", [x], outs, sorted=0)
    if widen:
        ctx.node("Cast", [values], _out(node, 0), to=_onnx_type(dt))
    to = onnx_dtype(_attr(node, "out_idx", 3))
    ctx.node("Cast", [inverse], _out(node, 1), to=to)
    if node.op == "UniqueWithCounts":
        ctx.node("Cast", [counts], _out(node, 2), to=to)


# --- segment reductions ----------------------------------------------------------------------

_SEGMENT = {"Sum": "add", "Prod": "mul", "Max": "max", "Min": "min", "Mean": "add"}


def _segment_fill(kind, dt):
    """What TF puts in an unsorted segment nothing lands in: the reduction's identity, and
    for max and min the type's lowest and highest finite values."""
    if kind in ("Sum", "Mean"):
        return 0
    if kind == "Prod":
        return 1
    info = np.finfo(dt) if dt.kind == "f" else np.iinfo(dt)
    return info.min if kind == "Max" else info.max


@handles("UnsortedSegmentSum", "UnsortedSegmentProd", "UnsortedSegmentMax", "UnsortedSegmentMin",
         "SegmentSum", "SegmentProd", "SegmentMax", "SegmentMin", "SegmentMean")
def _segment(ctx, node):
    """ScatterND with a reduction into a tensor of num_segments + 1 rows holding TF's value for
    an empty segment; ids TF drops (negative ones, unsorted ops) go to the extra last row, which
    is cut off. The sorted ops have ids[-1] + 1 segments, and an empty one is 0."""
    names = ctx.g.data_inputs(node)
    sorted_ids = node.op.startswith("Segment")
    kind = node.op[len("Segment" if sorted_ids else "UnsortedSegment"):]
    dt = _dt(ctx, names[0])
    if kind == "Mean" and dt.kind != "f":
        raise NotMappable("SegmentMean %s: integer means are not exported" % node.name)
    need = 16 if kind in ("Sum", "Mean") else 18
    if ctx.opset < need:
        raise NotMappable("%s %s: ScatterND reduction %s needs opset %d"
                          % (node.op, node.name, _SEGMENT[kind], need))
    r = ctx.rank(names[1])
    if r is None:
        raise NotMappable("%s %s: needs the rank of the segment ids" % (node.op, node.name))
    data = ctx.input(names[0])
    ids = ctx.node("Cast", [ctx.input(names[1])], to=7)
    if sorted_ids:  # sorted and non-negative (TF checks): the last id + 1 segments
        num = ctx.node("Add", [ctx.node("ReduceMax", [ctx.node("Reshape", [
            ids, _i64(ctx, [-1], "flat")])], keepdims=1), _i64(ctx, [1], "one")])
    else:
        num = ctx.node("Reshape", [ctx.node("Cast", [ctx.input(names[2])], to=7),
                                   _i64(ctx, [1], "shape")])
        ids = ctx.node("Where", [ctx.node("Less", [ids, ctx.const(np.array(0, np.int64),
                                                                  "zero")]), num, ids])
    rows = ctx.node("Add", [num, _i64(ctx, [1], "one")])
    rest = ctx.node("Slice", [ctx.node("Shape", [data]), _i64(ctx, [r], "starts"),
                              _i64(ctx, [INT64_MAX], "ends")])
    shape = ctx.node("Concat", [rows, rest], axis=0)
    indices = ctx.node("Unsqueeze", [ids, _i64(ctx, [-1], "axes")])

    def scatter(values, fill, reduction):
        init = ctx.node("Expand", [_scalar(ctx, fill, values[1], "fill"), shape])
        out = ctx.node("ScatterND", [init, indices, values[0]], reduction=reduction)
        return ctx.node("Slice", [out, _i64(ctx, [0], "starts"), num, _i64(ctx, [0], "axes")])

    y = scatter((data, dt), _segment_fill(kind, dt), _SEGMENT[kind])
    if sorted_ids and kind in ("Max", "Min", "Mean"):
        ones = ctx.node("Expand", [_scalar(ctx, 1, dt, "one"), ctx.node("Shape", [data])])
        count = scatter((ones, dt), 0, "add")
        empty = ctx.node("Equal", [count, _scalar(ctx, 0, dt, "zero")])
        if kind == "Mean":
            y = ctx.node("Div", [y, ctx.node("Max", [count, _scalar(ctx, 1, dt, "one")])])
        else:  # TF's empty sorted segment is 0, not the type's extreme
            y = ctx.node("Where", [empty, _scalar(ctx, 0, dt, "zero"), y])
    ctx.node("Identity", [y], _out(node))


# --- feature columns, scatter updates, bit operations, determinants ---------------------------

@handles("Bucketize")
def _bucketize(ctx, node):
    """The index i with boundaries[i-1] <= x < boundaries[i]: the number of boundaries <= x."""
    x, = _ins(ctx, node)
    bounds = np.asarray(_attr(node, "boundaries", []), np.float64)
    dt = _dt(ctx, ctx.g.data_inputs(node)[0])
    if bounds.size == 0:
        ctx.node("Expand", [_scalar(ctx, 0, np.int32, "zero"), ctx.node("Shape", [x])],
                 _out(node))
        return
    if dt.kind != "f" and np.any(bounds != np.floor(bounds)):
        # an integer x >= 2.5 is x >= 3
        bounds = np.ceil(bounds)
    # TF compares in x's type with the float boundaries converted to it
    b = ctx.const(bounds.astype(dt), "boundaries")
    ge = ctx.node("GreaterOrEqual", [ctx.node("Unsqueeze", [x, _i64(ctx, [-1], "axes")]), b])
    count = ctx.node("ReduceSum", [ctx.node("Cast", [ge], to=6), _i64(ctx, [-1], "axes")],
                     keepdims=0)
    if dt.kind != "f":
        ctx.node("Identity", [count], _out(node))
        return
    # no boundary compares above a NaN: TF's binary search ends past the last one
    ctx.node("Where", [ctx.node("IsNaN", [x]), _scalar(ctx, bounds.size, np.int32, "n"), count],
             _out(node))


_TENSOR_SCATTER = {"TensorScatterUpdate": ("none", 16), "TensorScatterAdd": ("add", 16),
                   "TensorScatterSub": ("add", 16), "TensorScatterMax": ("max", 18),
                   "TensorScatterMin": ("min", 18)}


@handles(*_TENSOR_SCATTER)
def _tensor_scatter(ctx, node):
    """ScatterND into the tensor; Sub adds the negated updates. TF's update of a repeated
    index keeps one of the updates (which one is not specified): ONNX's last-wins is one."""
    x, indices, updates = _ins(ctx, node)
    reduction, need = _TENSOR_SCATTER[node.op]
    attrs = {}
    if reduction != "none":
        if ctx.opset < need:
            raise NotMappable("%s %s: ScatterND reduction %s needs opset %d"
                              % (node.op, node.name, reduction, need))
        attrs["reduction"] = reduction
    if node.op == "TensorScatterSub":
        updates = ctx.node("Neg", [updates])
    ctx.node("ScatterND", [x, ctx.node("Cast", [indices], to=7), updates], _out(node), **attrs)


@handles("SparseToDense")
def _sparse_to_dense(ctx, node):
    """default_value everywhere, the values at the indices (TF checks they are different)."""
    names = ctx.g.data_inputs(node)
    indices, shape, values, default = _ins(ctx, node)
    r = ctx.rank(names[0])
    if r is None or r > 2:
        raise NotMappable("SparseToDense %s: indices of rank %s" % (node.name, r))
    shape = ctx.node("Reshape", [ctx.node("Cast", [shape], to=7), _i64(ctx, [-1], "flat")])
    idx = ctx.node("Cast", [indices], to=7)
    if r < 2:  # a scalar index or a vector of indices into a vector
        idx = ctx.node("Reshape", [idx, _i64(ctx, [-1, 1], "column")])
    n = ctx.node("Slice", [ctx.node("Shape", [idx]), _i64(ctx, [0], "starts"),
                           _i64(ctx, [1], "ends")])
    values = ctx.node("Expand", [values, n])  # a scalar value goes to every index
    dense = ctx.node("Expand", [default, shape])
    ctx.node("ScatterND", [dense, idx, values], _out(node))


@handles("BitwiseAnd", "BitwiseOr", "BitwiseXor", "Invert")
def _bitwise(ctx, node):
    if ctx.opset < 18:
        raise NotMappable("%s %s: ONNX's bitwise ops are opset 18's" % (node.op, node.name))
    op = "BitwiseNot" if node.op == "Invert" else node.op
    ctx.node(op, _ins(ctx, node), _out(node))


@handles("Concat")
def _concat_v1(ctx, node):
    """TF's first Concat: the axis is the first input."""
    names = ctx.g.data_inputs(node)
    axis = int(np.asarray(ctx.const_input(node, 0, "concat_dim")))
    ctx.node("Concat", [ctx.input(n) for n in names[1:]], _out(node),
             axis=_axis(axis, ctx.rank(names[1]), node))



# --- fake quantization (quantization-aware training) -------------------------------------------

def _nudge(lo, hi, num_bits, narrow):
    """TF's nudged (min, max, scale), in float32 as TF computes them: the range moved so that
    0.0 falls on a quantization step."""
    f32 = np.float32
    qmin, qmax = f32(1 if narrow else 0), f32((1 << num_bits) - 1)
    lo, hi = f32(lo), f32(hi)
    scale = f32(hi - lo) / f32(qmax - qmin)
    zero = f32(qmin - f32(lo / scale))
    if zero < qmin:
        zp = qmin
    elif zero > qmax:
        zp = qmax
    else:  # std::round: halves away from zero
        zp = f32(np.sign(zero) * np.floor(abs(float(zero)) + 0.5))
    return f32(f32(qmin - zp) * scale), f32(f32(qmax - zp) * scale), scale


@handles("FakeQuantWithMinMaxArgs", "FakeQuantWithMinMaxVars",
         "FakeQuantWithMinMaxVarsPerChannel")
def _fake_quant(ctx, node):
    """floor((clamp(x, nudged_min, nudged_max) - nudged_min) / scale + 0.5) * scale + nudged_min
    with TF's nudged range computed here (the Args op multiplies by 1 / scale as TF does; TF's
    per-channel op on a vector rounds halves away from zero, built exactly from Floor)."""
    names = ctx.g.data_inputs(node)
    num_bits, narrow = int(_attr(node, "num_bits", 8)), bool(_attr(node, "narrow_range", False))
    if node.op == "FakeQuantWithMinMaxArgs":
        lows, highs = [_attr(node, "min", -6.0)], [_attr(node, "max", 6.0)]
    else:
        lows = np.asarray(ctx.const_input(node, 1, "min"), np.float32).reshape(-1)
        highs = np.asarray(ctx.const_input(node, 2, "max"), np.float32).reshape(-1)
    if any(not lo < hi for lo, hi in zip(lows, highs)):
        raise NotMappable("%s %s: min >= max (TF fails)" % (node.op, node.name))
    nudged = np.array([_nudge(lo, hi, num_bits, narrow) for lo, hi in zip(lows, highs)],
                      np.float32)
    shape = [] if node.op != "FakeQuantWithMinMaxVarsPerChannel" else [-1]
    nmin, nmax, scale = (ctx.const(nudged[:, k].reshape(shape), h)
                         for k, h in enumerate(("nudged_min", "nudged_max", "scale")))
    x, = _ins(ctx, node)[:1]
    shifted = ctx.node("Sub", [ctx.node("Max", [ctx.node("Min", [x, nmax]), nmin]), nmin])
    if node.op == "FakeQuantWithMinMaxArgs":
        steps = ctx.node("Mul", [shifted, ctx.const(np.float32(1) / nudged[:, 2].reshape(shape),
                                                    "inv_scale")])
    else:
        steps = ctx.node("Div", [shifted, scale])
    half = _scalar(ctx, 0.5, np.float32, "half")
    if node.op == "FakeQuantWithMinMaxVarsPerChannel" and ctx.rank(names[0]) == 1:
        down = ctx.node("Floor", [steps])
        up = ctx.node("Cast", [ctx.node("GreaterOrEqual", [ctx.node("Sub", [steps, down]),
                                                           half])], to=1)
        q = ctx.node("Add", [down, up])
    else:
        q = ctx.node("Floor", [ctx.node("Add", [steps, half])])
    ctx.node("Add", [ctx.node("Mul", [q, scale]), nmin], _out(node))


from metarun.onnx import _ops_images  # noqa: E402,F401  (registers the image and detection ops)
