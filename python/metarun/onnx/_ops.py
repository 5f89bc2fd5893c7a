"""TF op -> ONNX op handlers, one function per op family, registered in HANDLERS by TF op type.

Each handler reads one TF node and emits ONNX nodes whose outputs carry the TF tensor names
(`name:0`), so the next handler finds them. NHWC convolutions and pools are wrapped in a
Transpose pair; the optimizer cancels the pairs between layers.
"""

import numpy as np

from metarun.onnx.export import NotMappable

HANDLERS = {}
INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min
_NHWC_TO_NCHW = [0, 3, 1, 2]
_NCHW_TO_NHWC = [0, 2, 3, 1]


def handles(*op_types):
    def register(fn):
        for op in op_types:
            HANDLERS[op] = fn
        return fn
    return register


def _attr(node, name, default=None):
    if name not in node.attr:
        return default
    a = node.attr[name]
    kind = a.WhichOneof("value")
    if kind == "list":
        return list(a.list.i) or [x.decode() for x in a.list.s] or list(a.list.f)
    if kind == "s":
        return a.s.decode()
    return getattr(a, kind) if kind else default


def _ins(ctx, node):
    return [ctx.input(t) for t in ctx.g.data_inputs(node)]


def _out(node, k=0):
    return "%s:%d" % (node.name, k)


def _numpy_dtype(tf_enum):
    from metarun.framework import dtypes
    return dtypes.as_dtype(int(tf_enum) % 100).as_numpy_dtype


def _i64(ctx, values, hint="i64"):
    return ctx.const(np.asarray(values, dtype=np.int64).reshape(-1), hint)


def _np_tensor(array):
    import onnx
    return onnx.numpy_helper.from_array(np.asarray(array))


def _axis(axis, rank, node):
    axis = int(axis)
    if axis < 0:
        if rank is None:
            raise NotMappable("%s %s: a negative axis needs the input's rank, which is unknown"
                              % (node.op, node.name))
        axis += rank
    return axis


# --- pass-through, feeds ------------------------------------------------------------------

@handles("Identity", "StopGradient", "Snapshot", "PreventGradient", "PlaceholderWithDefault")
def _identity(ctx, node):
    ctx.node("Identity", _ins(ctx, node)[:1], _out(node))


@handles("Placeholder", "PlaceholderV2")
def _placeholder(ctx, node):
    raise NotMappable("Placeholder %s is needed by the outputs but is not an input" % node.name)


# --- element-wise -------------------------------------------------------------------------

_UNARY = {"Relu": "Relu", "Tanh": "Tanh", "Sigmoid": "Sigmoid", "Softsign": "Softsign",
          "Sqrt": "Sqrt", "Exp": "Exp", "Log": "Log", "Neg": "Neg", "Abs": "Abs",
          "Elu": "Elu", "Selu": "Selu", "Reciprocal": "Reciprocal", "Floor": "Floor",
          "Ceil": "Ceil", "Sign": "Sign", "Erf": "Erf", "Inv": "Reciprocal"}
_BINARY = {"Add": "Add", "AddV2": "Add", "Sub": "Sub", "Mul": "Mul", "RealDiv": "Div",
           "Div": "Div",
           "Maximum": "Max", "Minimum": "Min", "Pow": "Pow", "Greater": "Greater",
           "Less": "Less", "Equal": "Equal", "GreaterEqual": "GreaterOrEqual",
           "LessEqual": "LessOrEqual"}


@handles(*_UNARY)
def _unary(ctx, node):
    ctx.node(_UNARY[node.op], _ins(ctx, node), _out(node))


@handles(*_BINARY)
def _binary(ctx, node):
    dtype = np.dtype(_numpy_dtype(ctx.dtype(ctx.g.data_inputs(node)[0])))
    if node.op == "Div" and dtype.kind in "iu":
        # TF's integer Div rounds toward zero, whichever way the runtime's Div rounds
        from metarun.onnx._ops_more import _int_division
        a, b = _ins(ctx, node)
        ctx.node("Identity", [_int_division(ctx, a, b, dtype, "zero")], _out(node))
        return
    ctx.node(_BINARY[node.op], _ins(ctx, node), _out(node))


@handles("SquaredDifference")
def _squared_difference(ctx, node):
    d = ctx.node("Sub", _ins(ctx, node))
    ctx.node("Mul", [d, d], _out(node))


@handles("Range")
def _range(ctx, node):
    ctx.node("Range", _ins(ctx, node), _out(node))


@handles("Softplus")
def _softplus(ctx, node):
    ctx.node("Softplus", _ins(ctx, node), _out(node))


@handles("Relu6")
def _relu6(ctx, node):
    x, = _ins(ctx, node)
    dt = _numpy_dtype(ctx.dtype(ctx.g.data_inputs(node)[0]))
    ctx.node("Clip", [x, ctx.const(np.array(0, dt), "zero"), ctx.const(np.array(6, dt), "six")],
             _out(node))


@handles("LeakyRelu")
def _leaky_relu(ctx, node):
    ctx.node("LeakyRelu", _ins(ctx, node), _out(node), alpha=float(_attr(node, "alpha", 0.2)))


@handles("Square")
def _square(ctx, node):
    x, = _ins(ctx, node)
    ctx.node("Mul", [x, x], _out(node))


@handles("Rsqrt")
def _rsqrt(ctx, node):
    x, = _ins(ctx, node)
    ctx.node("Reciprocal", [ctx.node("Sqrt", [x])], _out(node))


@handles("Softmax", "LogSoftmax")
def _softmax(ctx, node):
    ctx.node(node.op, _ins(ctx, node), _out(node), axis=-1)


@handles("BiasAdd", "BiasAddV1")
def _bias_add(ctx, node):
    x, b = _ins(ctx, node)
    fmt = _attr(node, "data_format", "NHWC")
    if fmt.startswith("NC"):
        rank = ctx.rank(ctx.g.data_inputs(node)[0])
        if rank is None:
            raise NotMappable("BiasAdd %s: NCHW needs the input's rank" % node.name)
        if rank > 2:
            b = ctx.node("Reshape", [b, _i64(ctx, [-1] + [1] * (rank - 2), "bias_shape")])
    ctx.node("Add", [x, b], _out(node))


@handles("Cast")
def _cast(ctx, node):
    from metarun.onnx.export import onnx_dtype
    ctx.node("Cast", _ins(ctx, node), _out(node), to=onnx_dtype(_attr(node, "DstT")))


# --- matrices ----------------------------------------------------------------------------

@handles("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")
def _matmul(ctx, node):
    names = ctx.g.data_inputs(node)
    a, b = _ins(ctx, node)
    ta = _attr(node, "transpose_a", False) or _attr(node, "adj_x", False)
    tb = _attr(node, "transpose_b", False) or _attr(node, "adj_y", False)
    for flag, idx in ((ta, 0), (tb, 1)):
        if not flag:
            continue
        rank = ctx.rank(names[idx])
        if rank is None:
            raise NotMappable("%s %s: a transposed operand needs its rank" % (node.op, node.name))
        perm = list(range(rank - 2)) + [rank - 1, rank - 2]
        v = ctx.value(names[idx])
        t = ctx.const(np.ascontiguousarray(np.transpose(v, perm)), "transposed") \
            if v is not None else ctx.node("Transpose", [[a, b][idx]], perm=perm)
        if idx == 0:
            a = t
        else:
            b = t
    ctx.node("MatMul", [a, b], _out(node))


# --- convolution and pooling -------------------------------------------------------------

def _spatial_pads(node, in_spatial, kernel, strides, dilations, padding, explicit, fmt):
    """ONNX pads [b0, b1, e0, e1] for TF's padding, or None when SAME needs unknown sizes."""
    if padding == "VALID":
        return [0] * (2 * len(kernel))
    if padding == "EXPLICIT":
        pairs = [explicit[2 * i:2 * i + 2] for i in range(len(explicit) // 2)]
        sp = pairs[1:-1] if fmt.endswith("C") else pairs[2:]
        return [p[0] for p in sp] + [p[1] for p in sp]
    if padding != "SAME":
        raise NotMappable("%s %s: padding %s" % (node.op, node.name, padding))
    if any(d is None for d in in_spatial):
        return None
    begin, end = [], []
    for n, k, s, d in zip(in_spatial, kernel, strides, dilations):
        out = -(-n // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        begin.append(total // 2)
        end.append(total - total // 2)
    return begin + end


def _spatial(values, fmt):
    return list(values[1:3]) if fmt == "NHWC" else list(values[2:4])


def _to_nchw(ctx, x, fmt):
    return ctx.node("Transpose", [x], perm=_NHWC_TO_NCHW) if fmt == "NHWC" else x


def _from_nchw(ctx, y, node, fmt):
    if fmt == "NHWC":
        ctx.node("Transpose", [y], _out(node), perm=_NCHW_TO_NHWC)
    else:
        ctx.node("Identity", [y], _out(node))


@handles("Conv2D", "DepthwiseConv2dNative")
def _conv2d(ctx, node):
    names = ctx.g.data_inputs(node)
    fmt = _attr(node, "data_format", "NHWC")
    if fmt not in ("NHWC", "NCHW"):
        raise NotMappable("%s %s: data_format %s" % (node.op, node.name, fmt))
    strides = _spatial(_attr(node, "strides", [1, 1, 1, 1]), fmt)
    dilations = _spatial(_attr(node, "dilations", [1, 1, 1, 1]), fmt)
    w = ctx.value(names[1])
    if w is None:
        raise NotMappable("%s %s: the filter must be a constant" % (node.op, node.name))
    kh, kw, cin, cout = w.shape
    if node.op == "Conv2D":
        weights = np.transpose(w, (3, 2, 0, 1))
        shape = ctx.shape(names[0])
        in_c = None if shape is None else shape[3 if fmt == "NHWC" else 1]
        group = 1 if in_c is None else in_c // cin
        if in_c is not None and in_c != cin:
            raise NotMappable("Conv2D %s: grouped convolution" % node.name)
    else:
        weights = np.transpose(w, (2, 3, 0, 1)).reshape(cin * cout, 1, kh, kw)
        group = cin
    shape = ctx.shape(names[0])
    in_spatial = [None, None] if shape is None else _spatial(shape, fmt)
    pads = _spatial_pads(node, in_spatial, [kh, kw], strides, dilations,
                         _attr(node, "padding"), _attr(node, "explicit_paddings", []), fmt)
    attrs = dict(kernel_shape=[kh, kw], strides=strides, dilations=dilations, group=group)
    if pads is None:
        attrs["auto_pad"] = "SAME_UPPER"
    else:
        attrs["pads"] = pads
    x_name, out = names[0], _out(node)
    fused = _fused_convs(ctx).get(node.name)
    if fused is not None:  # SpaceToBatchND -> this conv -> BatchToSpaceND: one dilated Conv
        x_name, dilations, pads, out = fused
        attrs.update(dilations=dilations, pads=pads)
        attrs.pop("auto_pad", None)
    x = _to_nchw(ctx, ctx.input(x_name), fmt)
    y = ctx.node("Conv", [x, ctx.const(np.ascontiguousarray(weights), node.name + "/W")], **attrs)
    if fmt == "NHWC":
        ctx.node("Transpose", [y], out, perm=_NCHW_TO_NHWC)
    else:
        ctx.node("Identity", [y], out)


@handles("MaxPool", "AvgPool")
def _pool(ctx, node):
    names = ctx.g.data_inputs(node)
    fmt = _attr(node, "data_format", "NHWC")
    if fmt not in ("NHWC", "NCHW"):
        raise NotMappable("%s %s: data_format %s" % (node.op, node.name, fmt))
    ksize = _attr(node, "ksize")
    full_strides = _attr(node, "strides")
    if ksize[0] != 1 or full_strides[0] != 1 or \
            (ksize[3] if fmt == "NHWC" else ksize[1]) != 1:
        raise NotMappable("%s %s: pooling over the batch or channel dimension" % (node.op,
                                                                                  node.name))
    kernel, strides = _spatial(ksize, fmt), _spatial(full_strides, fmt)
    shape = ctx.shape(names[0])
    in_spatial = [None, None] if shape is None else _spatial(shape, fmt)
    pads = _spatial_pads(node, in_spatial, kernel, strides, [1, 1], _attr(node, "padding"),
                         _attr(node, "explicit_paddings", []), fmt)
    attrs = dict(kernel_shape=kernel, strides=strides)
    if pads is None:
        attrs["auto_pad"] = "SAME_UPPER"
    else:
        attrs["pads"] = pads
    if node.op == "AvgPool":
        attrs["count_include_pad"] = 0  # TF averages over the window's inside part only
    x = _to_nchw(ctx, ctx.input(names[0]), fmt)
    _from_nchw(ctx, ctx.node("MaxPool" if node.op == "MaxPool" else "AveragePool", [x], **attrs),
               node, fmt)


@handles("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
def _fused_batch_norm(ctx, node):
    if _attr(node, "is_training", True):
        raise NotMappable("%s %s: is_training=True (batch statistics) is not an inference op"
                          % (node.op, node.name))
    names = ctx.g.data_inputs(node)
    scale, offset, mean, var = (ctx.const_input(node, i, what) for i, what in
                                ((1, "scale"), (2, "offset"), (3, "mean"), (4, "variance")))
    eps = float(_attr(node, "epsilon", 1e-3))
    dt = scale.dtype
    a = (scale.astype(np.float64) / np.sqrt(var.astype(np.float64) + eps))
    b = offset.astype(np.float64) - mean.astype(np.float64) * a
    a, b = a.astype(dt), b.astype(dt)
    fmt = _attr(node, "data_format", "NHWC")
    if fmt.startswith("NC"):
        rank = ctx.rank(names[0]) or 4
        a = a.reshape([-1] + [1] * (rank - 2))
        b = b.reshape([-1] + [1] * (rank - 2))
    x = ctx.input(names[0])
    y = ctx.node("Mul", [x, ctx.const(a, node.name + "/scale")])
    ctx.node("Add", [y, ctx.const(b, node.name + "/offset")], _out(node))


# --- reductions ---------------------------------------------------------------------------

_REDUCE = {"Mean": "ReduceMean", "Sum": "ReduceSum", "Max": "ReduceMax", "Min": "ReduceMin",
           "Prod": "ReduceProd"}


def reduces_every_axis(ctx, node):
    """The reduction's axes are tf.range(0, tf.rank(x)): what TF's reduce_* builds for
    axis=None on a tensor of unknown rank."""
    names = ctx.g.data_inputs(node)
    r = ctx.g.nodes.get(names[1].split(":")[0])
    if r is None or r.op != "Range":
        return False
    start, limit, delta = ctx.g.data_inputs(r)
    rank = ctx.g.nodes.get(limit.split(":")[0])
    return (ctx.value(start) is not None and int(ctx.value(start)) == 0 and
            ctx.value(delta) is not None and int(ctx.value(delta)) == 1 and
            rank is not None and rank.op == "Rank" and ctx.g.data_inputs(rank)[0] == names[0])


def reduce_at_run_time(ctx, node, op, x, out, keep):
    """A reduction whose axes are computed when the graph runs: over every axis (no axes at
    all in ONNX), or, from opset 18, the axes as an input (ReduceSum's from 13), an empty
    list reducing nothing as in TF. Returns False when neither applies."""
    if reduces_every_axis(ctx, node):
        ctx.node(op, [x], out, keepdims=keep)
        return True
    if op == "ReduceSum" or ctx.opset >= 18:
        axes = ctx.node("Cast", [ctx.input(ctx.g.data_inputs(node)[1])], to=7)
        axes = ctx.node("Reshape", [axes, _i64(ctx, [-1], "flat")])
        ctx.node(op, [x, axes], out, keepdims=keep, noop_with_empty_axes=1)
        return True
    return False


@handles(*_REDUCE)
def _reduce(ctx, node):
    names = ctx.g.data_inputs(node)
    op = _REDUCE[node.op]
    x = ctx.input(names[0])
    dtype = np.dtype(_numpy_dtype(ctx.dtype(names[0])))
    if op in ("ReduceMax", "ReduceMin") and dtype.kind == "f":
        # TF's max and min of a slice holding a NaN are NaN; onnxruntime skips NaNs
        red = _reduction(ctx, node, op, x, ctx.unique(op))
        if red is None:
            ctx.node("Identity", [x], _out(node))
            return
        nans = ctx.node("Cast", [ctx.node("IsNaN", [x])], to=1)
        any_nan = ctx.node("Cast", [_reduction(ctx, node, "ReduceMax", nans,
                                               ctx.unique("any_nan"))], to=9)
        nan = ctx.const(np.array(np.nan, dtype), "nan")
        ctx.node("Where", [any_nan, nan, red], _out(node))
    elif _reduction(ctx, node, op, x, _out(node)) is None:
        ctx.node("Identity", [x], _out(node))


def _reduction(ctx, node, op, x, out):
    """ONNX `op` of x over the TF node's axes into `out`; None when the axes are an empty
    constant (TF reduces over no axis: the input itself)."""
    names = ctx.g.data_inputs(node)
    keep = int(bool(_attr(node, "keep_dims", False)))
    if ctx.value(names[1]) is None and reduce_at_run_time(ctx, node, op, x, out, keep):
        return out
    axes = np.asarray(ctx.const_input(node, 1, "reduction axes"), np.int64).reshape(-1)
    if axes.size == 0:
        return None
    if op == "ReduceSum" or ctx.opset >= 18:
        return ctx.node(op, [x, _i64(ctx, axes, "axes")], out, keepdims=keep)
    return ctx.node(op, [x], out, axes=[int(a) for a in axes], keepdims=keep)


@handles("ArgMax", "ArgMin")
def _argmax(ctx, node):
    names = ctx.g.data_inputs(node)
    axis = int(np.asarray(ctx.const_input(node, 1, "dimension")))
    x = ctx.input(names[0])
    dtype = np.dtype(_numpy_dtype(ctx.dtype(names[0])))
    if dtype.kind == "f":
        # TF passes over NaNs; onnxruntime lets a leading one win: they become the values
        # that never win (-inf for ArgMax, +inf for ArgMin)
        loser = ctx.const(np.array(-np.inf if node.op == "ArgMax" else np.inf, dtype), "loser")
        x = ctx.node("Where", [ctx.node("IsNaN", [x]), loser, x])
    y = ctx.node(node.op, [x], axis=_axis(axis, ctx.rank(names[0]), node),
                 keepdims=0, select_last_index=0)
    if _attr(node, "output_type", 9) == 3:
        ctx.node("Cast", [y], _out(node), to=6)
    else:
        ctx.node("Identity", [y], _out(node))


# --- what reads a TF tensor ---------------------------------------------------------------

def _consumers(ctx, tensor):
    """The mapped TF nodes reading `tensor` (a cached index over the graph being exported)."""
    index = getattr(ctx, "_tf_consumers", None)
    if index is None:
        index = {}
        for n in ctx.g.order:
            for i in ctx.g.data_inputs(n):
                index.setdefault(i, []).append(n)
        ctx._tf_consumers = index
    return index.get(tensor, [])


def _used(ctx, tensor):
    return bool(_consumers(ctx, tensor)) or tensor in ctx.g.outputs


# --- space to batch (TF1's dilated convolutions) -------------------------------------------

def _fused_convs(ctx):
    if not hasattr(ctx, "_fused_convs"):
        ctx._fused_convs, ctx._fused_b2s = {}, set()
    return ctx._fused_convs


def _dilated_conv(ctx, node):
    """For SpaceToBatchND -> VALID stride-1 Conv2D/DepthwiseConv2dNative (NHWC) ->
    BatchToSpaceND with one block shape and constant paddings and crops (what TF1 builds for
    atrous_conv2d and depthwise_conv2d(rate=...)): (conv, b2s, dilations, ONNX pads). The
    blocks' phases are interleaved back, so output j is sum_i padded[j + r*i] * w[i]: a conv
    with dilation r over the input padded by paddings - crops."""
    s2b_out = _out(node)
    readers = _consumers(ctx, s2b_out)
    if len(readers) != 1 or s2b_out in ctx.g.outputs:
        return None
    conv = readers[0]
    if conv.op not in ("Conv2D", "DepthwiseConv2dNative") or \
            ctx.g.data_inputs(conv)[0] != s2b_out or \
            _attr(conv, "data_format", "NHWC") != "NHWC" or _attr(conv, "padding") != "VALID" or \
            list(_attr(conv, "strides", [1] * 4)) != [1] * 4 or \
            list(_attr(conv, "dilations", [1] * 4)) != [1] * 4:
        return None
    readers = _consumers(ctx, _out(conv))
    if len(readers) != 1 or _out(conv) in ctx.g.outputs:
        return None
    b2s = readers[0]
    if b2s.op != "BatchToSpaceND" or ctx.g.data_inputs(b2s)[0] != _out(conv):
        return None
    values = [ctx.value(ctx.g.data_inputs(n)[i]) for n, i in
              ((node, 1), (node, 2), (b2s, 1), (b2s, 2))]
    if any(v is None for v in values):
        return None
    block, paddings, block2, crops = (np.asarray(v, np.int64) for v in values)
    if block.shape != (2,) or block.tolist() != block2.reshape(-1).tolist() or \
            paddings.shape != (2, 2) or crops.shape != (2, 2):
        return None
    pads = paddings - crops
    if (pads < 0).any():
        return None
    shape = ctx.shape(ctx.g.data_inputs(node)[0])
    if shape is None or None in shape[1:3] or \
            any((n + p.sum()) % b for n, p, b in zip(shape[1:3], paddings, block)):
        return None  # TF fails on a padded size that the block does not divide
    return conv, b2s, [int(b) for b in block], [int(p) for p in pads[:, 0]] + \
        [int(p) for p in pads[:, 1]]


def _known_tail(ctx, node, tensor):
    shape = ctx.shape(tensor)
    if shape is None or None in shape[1:]:
        raise NotMappable("%s %s: needs every dimension but the batch known" % (node.op,
                                                                               node.name))
    return shape


@handles("SpaceToBatchND")
def _space_to_batch(ctx, node):
    fused = _dilated_conv(ctx, node)
    if fused is not None:
        conv, b2s, dilations, pads = fused
        _fused_convs(ctx)[conv.name] = (ctx.g.data_inputs(node)[0], dilations, pads, _out(b2s))
        ctx._fused_b2s.add(b2s.name)
        return
    names = ctx.g.data_inputs(node)
    shape = _known_tail(ctx, node, names[0])
    block = np.asarray(ctx.const_input(node, 1, "block_shape"), np.int64).reshape(-1)
    paddings = np.asarray(ctx.const_input(node, 2, "paddings"), np.int64).reshape(-1, 2)
    m, rest = len(block), list(shape[1 + len(block):])
    padded = [n + int(p.sum()) for n, p in zip(shape[1:1 + m], paddings)]
    if any(n % b for n, b in zip(padded, block)):
        raise NotMappable("SpaceToBatchND %s: padded size %s not divisible by the block %s "
                          "(TF fails)" % (node.name, padded, block.tolist()))
    x = ctx.input(names[0])
    if paddings.any():
        zeros = [0] * len(rest)
        x = ctx.node("Pad", [x, _i64(ctx, [0] + list(paddings[:, 0]) + zeros +
                                     [0] + list(paddings[:, 1]) + zeros, "pads")])
    split = [-1]
    for n, b in zip(padded, block):
        split += [n // b, int(b)]
    x = ctx.node("Reshape", [x, _i64(ctx, split + rest, "shape")])
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)] + \
        [1 + 2 * m + j for j in range(len(rest))]
    x = ctx.node("Transpose", [x], perm=perm)
    ctx.node("Reshape", [x, _i64(ctx, [-1] + [n // b for n, b in zip(padded, block)] + rest,
                                 "shape")], _out(node))


@handles("BatchToSpaceND")
def _batch_to_space(ctx, node):
    if node.name in getattr(ctx, "_fused_b2s", ()):
        return  # its dilated conv writes this node's output
    names = ctx.g.data_inputs(node)
    shape = _known_tail(ctx, node, names[0])
    block = np.asarray(ctx.const_input(node, 1, "block_shape"), np.int64).reshape(-1)
    crops = np.asarray(ctx.const_input(node, 2, "crops"), np.int64).reshape(-1, 2)
    m, spatial, rest = len(block), list(shape[1:1 + len(block)]), list(shape[1 + len(block):])
    x = ctx.node("Reshape", [ctx.input(names[0]), _i64(ctx, list(block) + [-1] + spatial + rest,
                                                       "shape")])
    perm = [m]
    for i in range(m):
        perm += [m + 1 + i, i]
    x = ctx.node("Transpose", [x], perm=perm + [2 * m + 1 + j for j in range(len(rest))])
    full = [n * int(b) for n, b in zip(spatial, block)]
    x = ctx.node("Reshape", [x, _i64(ctx, [-1] + full + rest, "shape")])
    if (crops < 0).any() or any(c.sum() > n for c, n in zip(crops, full)):
        raise NotMappable("BatchToSpaceND %s: crops %s do not fit (TF fails)"
                          % (node.name, crops.tolist()))
    if crops.any():
        x = ctx.node("Slice", [x, _i64(ctx, crops[:, 0], "starts"),
                               _i64(ctx, [n - int(c[1]) for n, c in zip(full, crops)], "ends"),
                               _i64(ctx, range(1, m + 1), "axes")])
    ctx.node("Identity", [x], _out(node))


# the other families register into HANDLERS too
from metarun.onnx import _ops_more, _ops_nn, _ops_shapes  # noqa: E402,F401
