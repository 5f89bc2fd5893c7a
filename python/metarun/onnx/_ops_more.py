"""More TF op -> ONNX op handlers: the element-wise math, shape and image ops TF1 models use
beyond the core set in _ops.py. Registered in the same HANDLERS table; imported by _ops.

Where ONNX has no op with TF's exact semantics the handler builds it from exact parts (floor
division of integers from a division of either rounding, log1p and expm1 by Goldberg's and
Kahan's formulas, atan2 from atan of a ratio at most 1); what cannot be built exactly is a
NotMappable error naming the node and why.
"""

import numpy as np

from metarun.onnx._ops import INT64_MAX, INT64_MIN, _attr, _axis, _i64, _ins, _numpy_dtype, \
    _out, handles
from metarun.onnx.export import NotMappable

_NHWC_TO_NCHW = [0, 3, 1, 2]
_NCHW_TO_NHWC = [0, 2, 3, 1]


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
               "Acosh": "Acosh", "Atanh": "Atanh", "IsNan": "IsNaN", "Rint": "Round"}


@handles(*_UNARY_MORE)
def _unary_float(ctx, node):
    _float_only(ctx, node, ctx.g.data_inputs(node)[0])
    ctx.node(_UNARY_MORE[node.op], _ins(ctx, node), _out(node))


@handles("Round")
def _round(ctx, node):
    # ONNX Round rounds half to even as TF does; an integer is its own rounding
    op = "Round" if _dt(ctx, ctx.g.data_inputs(node)[0]).kind == "f" else "Identity"
    ctx.node(op, _ins(ctx, node), _out(node))


@handles("IsInf")
def _is_inf(ctx, node):
    _float_only(ctx, node, ctx.g.data_inputs(node)[0])
    ctx.node("IsInf", _ins(ctx, node), _out(node))


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



# --- images (NHWC runs as NCHW between a Transpose pair the optimizer cancels) --------------

def _nhwc_only(node):
    fmt = _attr(node, "data_format", "NHWC")
    if fmt != "NHWC":
        raise NotMappable("%s %s: data_format %s (TF runs it on GPUs only)"
                          % (node.op, node.name, fmt))


def _nchw(ctx, x):
    return ctx.node("Transpose", [x], perm=_NHWC_TO_NCHW)


def _back_to_nhwc(ctx, y, node):
    ctx.node("Transpose", [y], _out(node), perm=_NCHW_TO_NHWC)


@handles("DepthToSpace", "SpaceToDepth")
def _depth_to_space(ctx, node):
    # TF's channel order, (row in block, column in block, channel), is ONNX's DCR mode
    _nhwc_only(node)
    x, = _ins(ctx, node)
    attrs = dict(blocksize=int(_attr(node, "block_size")))
    if node.op == "DepthToSpace":
        attrs["mode"] = "DCR"
    _back_to_nhwc(ctx, ctx.node(node.op, [_nchw(ctx, x)], **attrs), node)


@handles("LRN")
def _lrn(ctx, node):
    """TF: x / (bias + alpha * sum of squares over channels c-r..c+r)^beta; ONNX's LRN divides
    alpha by its window size 2r+1."""
    _float_only(ctx, node, ctx.g.data_inputs(node)[0])
    x, = _ins(ctx, node)
    r = int(_attr(node, "depth_radius", 5))
    size = 2 * r + 1
    y = ctx.node("LRN", [_nchw(ctx, x)], size=size, alpha=float(_attr(node, "alpha", 1.0)) * size,
                 beta=float(_attr(node, "beta", 0.5)), bias=float(_attr(node, "bias", 1.0)))
    _back_to_nhwc(ctx, y, node)


@handles("ResizeBilinear", "ResizeNearestNeighbor")
def _resize(ctx, node):
    """TF's pixel mappings as ONNX Resize coordinate transformations: align_corners ->
    align_corners, half_pixel_centers -> half_pixel (for nearest, floor((x + 0.5) * scale) is
    round-half-up of the half_pixel coordinate), neither -> asymmetric with floor."""
    names = ctx.g.data_inputs(node)
    align, half = bool(_attr(node, "align_corners", False)), \
        bool(_attr(node, "half_pixel_centers", False))
    if align and half:
        raise NotMappable("%s %s: align_corners with half_pixel_centers (TF fails)"
                          % (node.op, node.name))
    x, size = _ins(ctx, node)
    dt = _dt(ctx, names[0])
    if node.op == "ResizeBilinear":
        attrs = dict(mode="linear")
        if dt != np.float32:
            x = ctx.node("Cast", [x], to=1)  # TF interpolates in float and returns float
    else:
        if dt not in (np.float32, np.float64, np.int32, np.int8, np.uint8):
            raise NotMappable("%s %s: dtype %s (no onnxruntime Resize kernel)"
                              % (node.op, node.name, dt.name))
        attrs = dict(mode="nearest",
                     nearest_mode="round_prefer_ceil" if align or half else "floor")
    attrs["coordinate_transformation_mode"] = \
        "align_corners" if align else "half_pixel" if half else "asymmetric"
    x = _nchw(ctx, x)
    shape, new = ctx.shape(names[0]), ctx.value(names[1])
    if shape is not None and None not in (shape[0], shape[3]) and new is not None:
        sizes = _i64(ctx, [shape[0], shape[3]] + list(np.asarray(new).reshape(-1)), "sizes")
    else:
        batch_channels = ctx.node("Slice", [ctx.node("Shape", [x]), _i64(ctx, [0], "starts"),
                                            _i64(ctx, [2], "ends")])
        sizes = ctx.node("Concat", [batch_channels, ctx.node("Cast", [size], to=7)], axis=0)
    _back_to_nhwc(ctx, ctx.node("Resize", [x, "", "", sizes], **attrs), node)


@handles("Conv2DBackpropInput")
def _conv_transpose(ctx, node):
    """The gradient of a Conv2D for its input (conv2d_transpose) as ConvTranspose: TF's
    forward pads (SAME, VALID or explicit) crop the full transposed output, and the rows a
    strided forward conv never read (input size beyond the windows) are output_padding."""
    names = ctx.g.data_inputs(node)
    _nhwc_only(node)
    w = ctx.value(names[1])
    if w is None:
        raise NotMappable("Conv2DBackpropInput %s: the filter must be a constant" % node.name)
    kh, kw, cin, cout = w.shape
    strides = list(_attr(node, "strides", [1, 1, 1, 1]))[1:3]
    dilations = list(_attr(node, "dilations", [1, 1, 1, 1]))[1:3]
    dy_shape = ctx.shape(names[2])
    out_hw = None if dy_shape is None else dy_shape[1:3]
    sizes = ctx.value(names[0])
    if sizes is not None:
        sizes = np.asarray(sizes).reshape(-1).tolist()
        in_hw = sizes[1:3] if len(sizes) == 4 else sizes
    else:
        out_shape = ctx.shape(_out(node))
        in_hw = None if out_shape is None else out_shape[1:3]
    if out_hw is None or in_hw is None or None in out_hw or None in in_hw:
        raise NotMappable("Conv2DBackpropInput %s: needs the spatial sizes of its gradient "
                          "input and output" % node.name)
    padding = _attr(node, "padding")
    explicit = list(_attr(node, "explicit_paddings", []))
    begin, end, extra = [], [], []
    for i, (n, o, k, s, d) in enumerate(zip(in_hw, out_hw, [kh, kw], strides, dilations)):
        dk = (k - 1) * d + 1
        if padding == "SAME":
            total = max((o - 1) * s + dk - n, 0)
            b, e = total // 2, total - total // 2
        elif padding == "VALID":
            b = e = 0
        elif padding == "EXPLICIT":
            b, e = explicit[2 + 2 * i:4 + 2 * i]
        else:
            raise NotMappable("Conv2DBackpropInput %s: padding %s" % (node.name, padding))
        pad_out = n - ((o - 1) * s + dk - b - e)
        if (n + b + e - dk) // s + 1 != o or not 0 <= pad_out < max(s, d):
            raise NotMappable("Conv2DBackpropInput %s: input size %d does not give output "
                              "size %d (TF fails)" % (node.name, n, o))
        begin.append(b)
        end.append(e)
        extra.append(pad_out)
    weights = np.ascontiguousarray(np.transpose(w, (3, 2, 0, 1)))
    y = ctx.node("ConvTranspose", [_nchw(ctx, ctx.input(names[2])),
                                   ctx.const(weights, node.name + "/W")],
                 kernel_shape=[kh, kw], strides=strides, dilations=dilations,
                 pads=begin + end, output_padding=extra)
    _back_to_nhwc(ctx, y, node)


# --- the rest: einsum, band matrices, scatter, 3-D convolution and pooling -------------------

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


_NDHWC_TO_NCDHW = [0, 4, 1, 2, 3]
_NCDHW_TO_NDHWC = [0, 2, 3, 4, 1]


def _ndhwc_attrs(ctx, node, x_name, kernel, strides, dilations):
    from metarun.onnx._ops import _spatial_pads
    if _attr(node, "data_format", "NDHWC") != "NDHWC":
        raise NotMappable("%s %s: data_format %s" % (node.op, node.name,
                                                     _attr(node, "data_format")))
    shape = ctx.shape(x_name)
    in_spatial = [None] * 3 if shape is None else shape[1:4]
    pads = _spatial_pads(node, in_spatial, kernel, strides, dilations, _attr(node, "padding"),
                         [], "NDHWC")
    attrs = dict(kernel_shape=list(kernel), strides=list(strides))
    if pads is None:
        attrs["auto_pad"] = "SAME_UPPER"  # TF's SAME puts the odd padding at the end
    else:
        attrs["pads"] = pads
    return attrs


@handles("Conv3D")
def _conv3d(ctx, node):
    names = ctx.g.data_inputs(node)
    w = ctx.value(names[1])
    if w is None:
        raise NotMappable("Conv3D %s: the filter must be a constant" % node.name)
    cin = w.shape[3]
    shape = ctx.shape(names[0])
    if shape is not None and shape[4] is not None and shape[4] != cin:
        raise NotMappable("Conv3D %s: grouped convolution" % node.name)
    strides = list(_attr(node, "strides", [1] * 5))[1:4]
    dilations = list(_attr(node, "dilations", [1] * 5))[1:4]
    attrs = _ndhwc_attrs(ctx, node, names[0], w.shape[:3], strides, dilations)
    x = ctx.node("Transpose", [ctx.input(names[0])], perm=_NDHWC_TO_NCDHW)
    weights = np.ascontiguousarray(np.transpose(w, (4, 3, 0, 1, 2)))
    y = ctx.node("Conv", [x, ctx.const(weights, node.name + "/W")], dilations=dilations,
                 **attrs)
    ctx.node("Transpose", [y], _out(node), perm=_NCDHW_TO_NDHWC)


@handles("MaxPool3D", "AvgPool3D")
def _pool3d(ctx, node):
    names = ctx.g.data_inputs(node)
    ksize, strides = list(_attr(node, "ksize")), list(_attr(node, "strides"))
    if ksize[0] != 1 or ksize[4] != 1 or strides[0] != 1 or strides[4] != 1:
        raise NotMappable("%s %s: pooling over the batch or channel dimension"
                          % (node.op, node.name))
    attrs = _ndhwc_attrs(ctx, node, names[0], ksize[1:4], strides[1:4], [1, 1, 1])
    if node.op == "AvgPool3D":
        attrs["count_include_pad"] = 0  # TF averages over the window's inside part only
    x = ctx.node("Transpose", [ctx.input(names[0])], perm=_NDHWC_TO_NCDHW)
    y = ctx.node("MaxPool" if node.op == "MaxPool3D" else "AveragePool", [x], **attrs)
    ctx.node("Transpose", [y], _out(node), perm=_NCDHW_TO_NDHWC)


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


# --- detection ---------------------------------------------------------------------------------

@handles("NonMaxSuppressionV2", "NonMaxSuppressionV3", "NonMaxSuppressionV4",
         "NonMaxSuppressionV5")
def _non_max_suppression(ctx, node):
    """Greedy NMS as ONNX NonMaxSuppression over one batch and one class: boxes by descending
    score (ties to the lower index), those with score > score_threshold, a box dropped when its
    IoU with a kept one is > iou_threshold, boxes given by any two opposite corners; the kept
    indices are the third column of ONNX's [k, 3] triplets. V4's padding to max_output_size
    appends zeros; V5's soft NMS (sigma > 0) rescores boxes instead of dropping them, which
    ONNX has no op for."""
    names = ctx.g.data_inputs(node)
    ins = _ins(ctx, node)
    boxes, scores, max_out, iou = ins[:4]
    dt = _dt(ctx, names[1])
    if dt != np.float32:
        raise NotMappable("%s %s: dtype %s (onnxruntime's NMS is float32)"
                          % (node.op, node.name, dt.name))
    if node.op == "NonMaxSuppressionV5":
        sigma = ctx.value(names[5])
        if sigma is None or float(np.asarray(sigma)) != 0.0:
            raise NotMappable("NonMaxSuppressionV5 %s: soft NMS (a soft_nms_sigma that is not "
                              "the constant 0) is not exported" % node.name)
    onnx_in = [ctx.node("Unsqueeze", [boxes, _i64(ctx, [0], "axes")]),
               ctx.node("Unsqueeze", [scores, _i64(ctx, [0, 1], "axes")]),
               ctx.node("Reshape", [ctx.node("Cast", [max_out], to=7), _i64(ctx, [1], "shape")]),
               ctx.node("Reshape", [iou, _i64(ctx, [1], "shape")])]
    if node.op != "NonMaxSuppressionV2":
        onnx_in.append(ctx.node("Reshape", [ins[4], _i64(ctx, [1], "shape")]))
    triplets = ctx.node("NonMaxSuppression", onnx_in, center_point_box=0)
    picked = ctx.node("Gather", [triplets, ctx.const(np.array(2, np.int64), "column")], axis=1)
    count = ctx.node("Shape", [picked])
    pad = node.op in ("NonMaxSuppressionV4", "NonMaxSuppressionV5") and \
        bool(_attr(node, "pad_to_max_output_size", False))
    chosen = [picked]
    if node.op == "NonMaxSuppressionV5":
        chosen.append(ctx.node("Gather", [scores, picked], axis=0))
    if pad:  # zeros after the kept indices (and their scores), up to max_output_size
        pads = ctx.node("Concat", [_i64(ctx, [0], "zero"), ctx.node("Sub", [onnx_in[2], count])],
                        axis=0)
        chosen = [ctx.node("Pad", [c, pads]) for c in chosen]
    ctx.node("Cast", [chosen[0]], _out(node, 0), to=6)
    if node.op == "NonMaxSuppressionV5":
        ctx.node("Identity", [chosen[1]], _out(node, 1))
    if node.op in ("NonMaxSuppressionV4", "NonMaxSuppressionV5"):
        ctx.node("Cast", [ctx.node("Squeeze", [count, _i64(ctx, [0], "axes")])],
                 _out(node, 2 if node.op == "NonMaxSuppressionV5" else 1), to=6)


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


@handles("MatrixDeterminant")
def _det(ctx, node):
    _float_only(ctx, node, ctx.g.data_inputs(node)[0])
    ctx.node("Det", _ins(ctx, node), _out(node))


@handles("Concat")
def _concat_v1(ctx, node):
    """TF's first Concat: the axis is the first input."""
    names = ctx.g.data_inputs(node)
    axis = int(np.asarray(ctx.const_input(node, 0, "concat_dim")))
    ctx.node("Concat", [ctx.input(n) for n in names[1:]], _out(node),
             axis=_axis(axis, ctx.rank(names[1]), node))


# --- bicubic resizing ---------------------------------------------------------------------------

def _bicubic_table(a):
    """TF's 1025-entry coefficient table: the cubic's weights for the near and the far tap at
    offsets i / 1024, computed in double and stored as float."""
    x = (np.arange(1025, dtype=np.float64) / 1024).astype(np.float32).astype(np.float64)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    x = (x.astype(np.float32) + np.float32(1.0)).astype(np.float64)
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return near.astype(np.float32), far.astype(np.float32)


def _bicubic_weights(n_in, n_out, align, half):
    """[n_out, n_in] float32: row j holds TF's four tap weights for output pixel j. TF rounds
    the fractional position to 1/1024 (its table); half_pixel_centers uses Keys' a = -0.5 and
    gives taps outside the image weight 0, renormalizing the rest; legacy uses a = -0.75 with
    taps clamped to the edge."""
    f32 = np.float32
    scale = f32(n_in - 1) / f32(n_out - 1) if align and n_out > 1 else f32(n_in) / f32(n_out)
    near, far = _bicubic_table(-0.5 if half else -0.75)
    w = np.zeros((n_out, n_in), np.float32)
    for j in range(n_out):
        pos = (f32(j) + f32(0.5)) * scale - f32(0.5) if half else f32(j) * scale
        base = int(np.floor(pos))
        offset = int(np.rint(f32(pos - f32(base)) * f32(1024)))
        taps = [far[offset], near[offset], near[1024 - offset], far[1024 - offset]]
        index = [base - 1, base, base + 1, base + 2]
        bounded = [min(n_in - 1, max(0, i)) for i in index]
        if half:
            taps = [t if b == i else f32(0) for t, b, i in zip(taps, bounded, index)]
            total = f32(f32(f32(taps[0] + taps[1]) + taps[2]) + taps[3])
            if abs(total) >= 1000 * np.finfo(np.float32).tiny:
                inv = f32(1) / total
                taps = [f32(t * inv) for t in taps]
        for t, b in zip(taps, bounded):
            w[j, b] += t
    return w


@handles("ResizeBicubic")
def _resize_bicubic(ctx, node):
    """Separable: out = Wy . image . Wx^T with TF's weights computed here (ONNX Resize's cubic
    computes exact weights where TF's are rounded to its table, differing by ~1e-3), so the
    image's height and width and the new size must be known."""
    names = ctx.g.data_inputs(node)
    align, half = bool(_attr(node, "align_corners", False)), \
        bool(_attr(node, "half_pixel_centers", False))
    if align and half:
        raise NotMappable("ResizeBicubic %s: align_corners with half_pixel_centers (TF fails)"
                          % node.name)
    shape, new = ctx.shape(names[0]), ctx.value(names[1])
    if shape is None or None in shape[1:3] or new is None:
        raise NotMappable("ResizeBicubic %s: needs the image's height and width and a constant "
                          "size (TF's rounded weights are computed at export)" % node.name)
    (h, w), (oh, ow) = shape[1:3], [int(v) for v in np.asarray(new).reshape(-1)]
    x, _ = _ins(ctx, node)
    if _dt(ctx, names[0]) != np.float32:
        x = ctx.node("Cast", [x], to=1)
    x = _nchw(ctx, x)
    wy = ctx.const(_bicubic_weights(h, oh, align, half), node.name + "/Wy")
    wxt = ctx.const(np.ascontiguousarray(_bicubic_weights(w, ow, align, half).T),
                    node.name + "/WxT")
    y = ctx.node("MatMul", [ctx.node("MatMul", [wy, x]), wxt])
    _back_to_nhwc(ctx, y, node)
