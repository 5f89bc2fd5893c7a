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


# --- shapes --------------------------------------------------------------------------------

@handles("Reshape")
def _reshape(ctx, node):
    x, _ = _ins(ctx, node)
    shape = ctx.value(ctx.g.data_inputs(node)[1])
    if shape is not None:
        shape = np.asarray(shape, np.int64).reshape(-1)
        attrs = {}
        if (shape == 0).any():
            if ctx.opset < 14:
                raise NotMappable("Reshape %s: a 0 in the shape needs opset 14 (allowzero)"
                                  % node.name)
            attrs["allowzero"] = 1
        ctx.node("Reshape", [x, _i64(ctx, shape, "shape")], _out(node), **attrs)
        return
    if ctx.opset < 14:
        raise NotMappable("Reshape %s: a computed shape needs opset 14 (allowzero)" % node.name)
    s = ctx.node("Cast", [ctx.input(ctx.g.data_inputs(node)[1])], to=7)
    ctx.node("Reshape", [x, s], _out(node), allowzero=1)


@handles("Squeeze")
def _squeeze(ctx, node):
    x, = _ins(ctx, node)
    axes = _attr(node, "squeeze_dims", []) or _attr(node, "axis", [])
    if not axes:
        shape = ctx.shape(ctx.g.data_inputs(node)[0])
        if shape is None or None in shape:
            # both drop every dimension that is 1 when the graph runs
            ctx.node("Squeeze", [x], _out(node))
            return
        axes = [i for i, d in enumerate(shape) if d == 1]
    ctx.node("Squeeze", [x, _i64(ctx, axes, "axes")], _out(node))


@handles("ExpandDims")
def _expand_dims(ctx, node):
    x, _ = _ins(ctx, node)
    axis = int(np.asarray(ctx.const_input(node, 1, "axis")).reshape(-1)[0])
    ctx.node("Unsqueeze", [x, _i64(ctx, [axis], "axes")], _out(node))


@handles("Transpose")
def _transpose(ctx, node):
    x, _ = _ins(ctx, node)
    perm = np.asarray(ctx.const_input(node, 1, "permutation")).reshape(-1).tolist()
    ctx.node("Transpose", [x], _out(node), perm=[int(p) for p in perm])


@handles("ConcatV2")
def _concat(ctx, node):
    names = ctx.g.data_inputs(node)
    axis = int(np.asarray(ctx.const_input(node, len(names) - 1, "axis")))
    ctx.node("Concat", [ctx.input(n) for n in names[:-1]], _out(node),
             axis=_axis(axis, ctx.rank(names[0]), node))


@handles("Pack")
def _pack(ctx, node):
    names = ctx.g.data_inputs(node)
    rank = ctx.rank(names[0])
    axis = _axis(_attr(node, "axis", 0), None if rank is None else rank + 1, node)
    parts = [ctx.node("Unsqueeze", [ctx.input(n), _i64(ctx, [axis], "axes")]) for n in names]
    ctx.node("Concat", parts, _out(node), axis=axis)


@handles("Shape")
def _shape(ctx, node):
    s = ctx.node("Shape", _ins(ctx, node))
    if _attr(node, "out_type", 3) == 3:
        ctx.node("Cast", [s], _out(node), to=6)
    else:
        ctx.node("Identity", [s], _out(node))


@handles("Tile")
def _tile(ctx, node):
    x, m = _ins(ctx, node)
    ctx.node("Tile", [x, ctx.node("Cast", [m], to=7)], _out(node))


@handles("Pad", "PadV2", "MirrorPad")
def _pad(ctx, node):
    names = ctx.g.data_inputs(node)
    p = np.asarray(ctx.const_input(node, 1, "paddings"), np.int64)
    inputs = [ctx.input(names[0]), _i64(ctx, np.concatenate([p[:, 0], p[:, 1]]), "pads")]
    attrs = {}
    if node.op == "PadV2":
        inputs.append(ctx.input(names[2]))
    elif node.op == "MirrorPad":
        mode = _attr(node, "mode")
        if mode != "REFLECT":
            raise NotMappable("MirrorPad %s: mode %s (ONNX reflects only)" % (node.name, mode))
        attrs["mode"] = "reflect"
    ctx.node("Pad", inputs, _out(node), **attrs)


@handles("Slice")
def _slice(ctx, node):
    x = ctx.input(ctx.g.data_inputs(node)[0])
    begin = np.asarray(ctx.const_input(node, 1, "begin"), np.int64).reshape(-1)
    size = np.asarray(ctx.const_input(node, 2, "size"), np.int64).reshape(-1)
    end = np.where(size < 0, INT64_MAX, begin + size)
    ctx.node("Slice", [x, _i64(ctx, begin, "starts"), _i64(ctx, end, "ends"),
                       _i64(ctx, np.arange(len(begin)), "axes")], _out(node))


@handles("StridedSlice")
def _strided_slice(ctx, node):
    names = ctx.g.data_inputs(node)
    begin, end, strides = (np.asarray(ctx.const_input(node, i, w), np.int64).reshape(-1)
                           for i, w in ((1, "begin"), (2, "end"), (3, "strides")))
    masks = {m: int(_attr(node, m, 0)) for m in
             ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")}
    new_axis = masks["new_axis_mask"]
    if new_axis & masks["shrink_axis_mask"]:
        raise NotMappable("StridedSlice %s: an axis both new and shrunk" % node.name)
    rank = ctx.rank(names[0])
    n = len(begin)
    if masks["ellipsis_mask"] and rank is None:
        raise NotMappable("StridedSlice %s: an ellipsis needs the input's rank" % node.name)
    # input dims the spec names one by one; the ellipsis stands for the rest
    named = sum(1 for i in range(n) if not (masks["ellipsis_mask"] | new_axis) >> i & 1)
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    dim = out = 0  # the input dim the spec entry reads, the output dim it writes
    for i in range(n):
        if masks["ellipsis_mask"] >> i & 1:
            dim += rank - named
            out += rank - named
            continue
        if new_axis >> i & 1:  # tf.newaxis: a dim of 1 in the output, begin/end ignored
            unsqueeze.append(out)
            out += 1
            continue
        stride = int(strides[i])
        if stride == 0:
            raise NotMappable("StridedSlice %s: stride 0" % node.name)
        if masks["shrink_axis_mask"] >> i & 1:
            b = int(begin[i])
            starts.append(b)
            ends.append(INT64_MAX if b == -1 else b + 1)
            steps.append(1)
            axes.append(dim)
            squeeze.append(dim)
        else:
            starts.append((0 if stride > 0 else INT64_MAX) if masks["begin_mask"] >> i & 1
                          else int(begin[i]))
            ends.append((INT64_MAX if stride > 0 else INT64_MIN) if masks["end_mask"] >> i & 1
                        else int(end[i]))
            steps.append(stride)
            axes.append(dim)
            out += 1
        dim += 1
    y = ctx.input(names[0])
    if axes:
        y = ctx.node("Slice", [y, _i64(ctx, starts, "starts"), _i64(ctx, ends, "ends"),
                               _i64(ctx, axes, "axes"), _i64(ctx, steps, "steps")])
    if squeeze:
        y = ctx.node("Squeeze", [y, _i64(ctx, squeeze, "axes")])
    if unsqueeze:
        y = ctx.node("Unsqueeze", [y, _i64(ctx, unsqueeze, "axes")])
    ctx.node("Identity", [y], _out(node))


@handles("Gather", "GatherV2")
def _gather(ctx, node):
    names = ctx.g.data_inputs(node)
    axis = 0
    if node.op == "GatherV2":
        axis = int(np.asarray(ctx.const_input(node, 2, "axis")))
        if _attr(node, "batch_dims", 0):
            raise NotMappable("GatherV2 %s: batch_dims != 0" % node.name)
    ctx.node("Gather", [ctx.input(names[0]), ctx.input(names[1])], _out(node),
             axis=_axis(axis, ctx.rank(names[0]), node))


@handles("Split", "SplitV")
def _split(ctx, node):
    names = ctx.g.data_inputs(node)
    if node.op == "Split":
        axis_i, x_name = 0, names[1]
    else:
        axis_i, x_name = 2, names[0]
    axis = _axis(int(np.asarray(ctx.const_input(node, axis_i, "axis"))), ctx.rank(x_name), node)
    num = int(_attr(node, "num_split"))
    shape = ctx.shape(x_name)
    dim = None if shape is None else shape[axis]
    if node.op == "Split":
        if dim is None:  # ONNX splits equally when no sizes are given, as TF's Split does
            attrs = {"num_outputs": num} if ctx.opset >= 18 else {}
            ctx.node("Split", [ctx.input(x_name)], [_out(node, k) for k in range(num)],
                     axis=axis, **attrs)
            return
        sizes = [dim // num] * num
    else:
        sizes = np.asarray(ctx.const_input(node, 1, "size_splits"), np.int64).reshape(-1)
        if (sizes < 0).any():
            if dim is None:
                raise NotMappable("SplitV %s: a -1 size needs the dimension known" % node.name)
            sizes[sizes < 0] = dim - sizes[sizes >= 0].sum()
    ctx.node("Split", [ctx.input(x_name), _i64(ctx, sizes, "split")],
             [_out(node, k) for k in range(num)], axis=axis)


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
    y = ctx.node(node.op, [ctx.input(names[0])], axis=_axis(axis, ctx.rank(names[0]), node),
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


# --- losses -------------------------------------------------------------------------------

@handles("SparseSoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits")
def _softmax_xent(ctx, node):
    """Output 0, the loss per row: -log_softmax(logits)[label] (TF: log(sum(exp(z - max))) -
    (z[label] - max), the same shifted form LogSoftmax computes); output 1, the backprop:
    softmax(logits) - onehot(label) (or - labels)."""
    names = ctx.g.data_inputs(node)
    logits, labels = ctx.input(names[0]), ctx.input(names[1])
    rank = ctx.rank(names[0])
    if rank is not None and rank != 2:
        raise NotMappable("%s %s: logits must be a matrix" % (node.op, node.name))
    sparse = node.op.startswith("Sparse")
    dt = _numpy_dtype(ctx.dtype(names[0]))
    if _used(ctx, _out(node, 0)):
        log_probs = ctx.node("LogSoftmax", [logits], axis=1)
        if sparse:
            picked = ctx.node("GatherElements",
                              [log_probs, ctx.node("Unsqueeze", [labels, _i64(ctx, [1], "axes")])],
                              axis=1)
            picked = ctx.node("Squeeze", [picked, _i64(ctx, [1], "axes")])
        else:
            picked = ctx.node("ReduceSum", [ctx.node("Mul", [labels, log_probs]),
                                            _i64(ctx, [1], "axes")], keepdims=0)
        ctx.node("Neg", [picked], _out(node, 0))
    if _used(ctx, _out(node, 1)):
        probs = ctx.node("Softmax", [logits], axis=1)
        if sparse:
            label_dt = _numpy_dtype(ctx.dtype(names[1]))
            shape = ctx.shape(names[0])
            if shape is not None and shape[1] is not None:
                classes = ctx.const(np.arange(shape[1], dtype=label_dt), "classes")
            else:
                depth = ctx.node("Gather", [ctx.node("Shape", [logits]),
                                            ctx.const(np.array(1, np.int64), "one")], axis=0)
                depth = ctx.node("Cast", [depth], to=_onnx_dtype_of(label_dt))
                classes = ctx.node("Range", [ctx.const(np.array(0, label_dt), "zero"), depth,
                                             ctx.const(np.array(1, label_dt), "one")])
            hot = ctx.node("Equal", [ctx.node("Unsqueeze", [labels, _i64(ctx, [1], "axes")]),
                                     classes])
            labels = ctx.node("Cast", [hot], to=_onnx_dtype_of(dt))
        ctx.node("Sub", [probs, labels], _out(node, 1))


def _onnx_dtype_of(np_dtype):
    from metarun.framework import dtypes
    from metarun.onnx.export import onnx_dtype
    return onnx_dtype(dtypes.as_dtype(np.dtype(np_dtype)).as_datatype_enum)


# --- random ops ---------------------------------------------------------------------------
# onnxruntime draws the values: the same distribution as TF's, not TF's stream. A TF op with a
# seed (graph or op level) gets an ONNX seed derived from (seed, seed2), so its draws repeat
# from one onnxruntime session to the next as the TF graph's repeat from one TF session to the
# next; an unseeded op stays unseeded.

def _random_attrs(node):
    seed, seed2 = int(_attr(node, "seed", 0)), int(_attr(node, "seed2", 0))
    if not seed and not seed2:
        return {}
    # a float attribute: kept below 2**24 so that it is exact
    return {"seed": float((seed * 1000003 + seed2) % (1 << 24))}


def _random_like(ctx, node, shape_name, dtype_enum):
    """ConstantOfShape(shape), the template RandomUniformLike/RandomNormalLike fill."""
    dt = np.dtype(_numpy_dtype(dtype_enum))
    if dt not in (np.float32, np.float64):
        raise NotMappable("%s %s: dtype %s (onnxruntime draws float and double only)"
                          % (node.op, node.name, dt.name))
    shape = ctx.value(shape_name)
    if shape is not None:
        shape = _i64(ctx, np.asarray(shape, np.int64), "shape")
    else:
        shape = ctx.node("Cast", [ctx.input(shape_name)], to=7)
    return ctx.node("ConstantOfShape", [shape]), dt


def _uniform(ctx, node, template, dt):
    from metarun.onnx.export import onnx_dtype
    enum = 1 if dt == np.float32 else 2
    u = ctx.node("RandomUniformLike", [template], dtype=onnx_dtype(enum), low=0.0, high=1.0,
                 **_random_attrs(node))
    # TF's draws are k * 2**-m, 0 <= k < 2**m, m the mantissa's bits (23, 52): put onnxruntime's
    # on that lattice, below 1.0 whatever its generator rounds to. Finer draws would change
    # results: 1.0 + (1 - 2**-24) rounds to 2.0 in float32, so TF 1.x's dropout,
    # floor(keep_prob + u), would keep an element twice at keep_prob 1.0.
    scale = float(2 ** (np.finfo(dt).nmant))
    k = ctx.node("Floor", [ctx.node("Mul", [u, ctx.const(np.array(scale, dt), "two_pow_m")])])
    k = ctx.node("Min", [k, ctx.const(np.array(scale - 1, dt), "top")])
    return ctx.node("Mul", [k, ctx.const(np.array(1 / scale, dt), "two_pow_minus_m")])


@handles("RandomUniform")
def _random_uniform(ctx, node):
    names = ctx.g.data_inputs(node)
    template, dt = _random_like(ctx, node, names[0], _attr(node, "dtype"))
    ctx.node("Identity", [_uniform(ctx, node, template, dt)], _out(node))


@handles("RandomStandardNormal")
def _random_normal(ctx, node):
    from metarun.onnx.export import onnx_dtype
    names = ctx.g.data_inputs(node)
    template, dt = _random_like(ctx, node, names[0], _attr(node, "dtype"))
    ctx.node("RandomNormalLike", [template], _out(node), dtype=onnx_dtype(_attr(node, "dtype")),
             mean=0.0, scale=1.0, **_random_attrs(node))


@handles("RandomUniformInt")
def _random_uniform_int(ctx, node):
    """minval + floor(u * (maxval - minval)) with u a double in [0, 1), clamped below maxval:
    exact in range and dtype while the range fits a double's 53 bits."""
    from metarun.onnx.export import onnx_dtype
    names = ctx.g.data_inputs(node)
    lo = int(np.asarray(ctx.const_input(node, 1, "minval")))
    hi = int(np.asarray(ctx.const_input(node, 2, "maxval")))
    if not lo < hi:
        raise NotMappable("RandomUniformInt %s: minval %d >= maxval %d (TF fails)"
                          % (node.name, lo, hi))
    if hi - lo > 1 << 53:
        raise NotMappable("RandomUniformInt %s: a range over 2**53 is not exact in a double"
                          % node.name)
    template, dt = _random_like(ctx, node, names[0], 2)
    u = _uniform(ctx, node, template, dt)
    k = ctx.node("Floor", [ctx.node("Mul", [u, ctx.const(np.array(hi - lo, np.float64),
                                                          "range")])])
    k = ctx.node("Min", [k, ctx.const(np.array(hi - lo - 1, np.float64), "top")])
    out_t = _attr(node, "Tout")
    k = ctx.node("Cast", [k], to=onnx_dtype(out_t))
    ctx.node("Add", [k, ctx.const(np.array(lo, _numpy_dtype(out_t)), "minval")], _out(node))


# --- selection ------------------------------------------------------------------------------

@handles("Select", "SelectV2")
def _select(ctx, node):
    names = ctx.g.data_inputs(node)
    cond, x, y = _ins(ctx, node)
    if node.op == "Select":  # same shapes, or a vector condition choosing rows
        rc, rx = ctx.rank(names[0]), ctx.rank(names[1])
        if rc is None or rx is None:
            # ranks known only when the graph runs (a loop body): the condition's shape
            # followed by rank(x) - rank(cond) ones broadcasts as TF's Select does
            ones = ctx.node("ConstantOfShape", [ctx.node("Sub", [
                ctx.node("Shape", [ctx.node("Shape", [x])]),
                ctx.node("Shape", [ctx.node("Shape", [cond])])])],
                value=_np_tensor(np.ones([1], np.int64)))
            cond = ctx.node("Reshape", [cond, ctx.node("Concat", [
                ctx.node("Shape", [cond]), ones], axis=0)])
            rc = rx
        if rc != rx:
            if rc != 1:
                raise NotMappable("Select %s: condition of rank %d for values of rank %d"
                                  % (node.name, rc, rx))
            cond = ctx.node("Unsqueeze", [cond, _i64(ctx, range(1, rx), "axes")])
    ctx.node("Where", [cond, x, y], _out(node))


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
from metarun.onnx import _ops_more  # noqa: E402,F401


# --- partitioning (embedding lookups over partitioned variables) -------------------------

def _rows(ctx, x, name, lead):
    """x with its first `lead` dims flattened into one (their rank must be known)."""
    if lead == 1:
        return x
    tail = ctx.node("Slice", [ctx.node("Shape", [x]), _i64(ctx, [lead], "starts"),
                              _i64(ctx, [INT64_MAX], "ends")])
    return ctx.node("Reshape", [x, ctx.node("Concat", [_i64(ctx, [-1], "minus_one"), tail],
                                            axis=0)])


@handles("DynamicPartition")
def _dynamic_partition(ctx, node):
    """Output i: the rows of data whose partition is i, in order (Compress by partitions == i).
    A partition outside [0, num_partitions), which TF refuses at run time, drops its row."""
    names = ctx.g.data_inputs(node)
    data, parts = _ins(ctx, node)
    lead = ctx.rank(names[1])
    if lead is None:
        raise NotMappable("DynamicPartition %s: needs the rank of the partitions" % node.name)
    if lead == 0:
        raise NotMappable("DynamicPartition %s: scalar partitions" % node.name)
    rows = _rows(ctx, data, names[0], lead)
    flat = parts if lead == 1 else ctx.node("Reshape", [parts, _i64(ctx, [-1], "flat")])
    dt = _numpy_dtype(ctx.dtype(names[1]))
    for i in range(int(_attr(node, "num_partitions"))):
        if not _used(ctx, _out(node, i)):
            continue
        mask = ctx.node("Equal", [flat, ctx.const(np.array(i, dt), "partition")])
        ctx.node("Compress", [rows, mask], _out(node, i), axis=0)


@handles("ParallelDynamicStitch")
def _parallel_dynamic_stitch(ctx, node):
    """merged[indices[m][...]] = data[m][...]: the rows scattered (ScatterND) into zeros of
    max(index) + 1 rows. TF leaves the order of duplicate indices unspecified, as ONNX does."""
    names = ctx.g.data_inputs(node)
    n = int(_attr(node, "N"))
    index_names, data_names = names[:n], names[n:]
    idx, upd = [], []
    for i_name, d_name in zip(index_names, data_names):
        lead = ctx.rank(i_name)
        if lead is None:
            raise NotMappable("ParallelDynamicStitch %s: needs the rank of each indices"
                              % node.name)
        i = ctx.node("Cast", [ctx.input(i_name)], to=7)
        idx.append(ctx.node("Reshape", [i, _i64(ctx, [-1], "flat")]))
        d = ctx.input(d_name)
        upd.append(ctx.node("Unsqueeze", [d, _i64(ctx, [0], "axes")]) if lead == 0
                   else _rows(ctx, d, d_name, lead))
    idx = idx[0] if n == 1 else ctx.node("Concat", idx, axis=0)
    upd = upd[0] if n == 1 else ctx.node("Concat", upd, axis=0)
    count = ctx.node("Add", [ctx.node("ReduceMax", [idx], keepdims=1),
                             _i64(ctx, [1], "one")])
    tail = ctx.node("Slice", [ctx.node("Shape", [upd]), _i64(ctx, [1], "starts"),
                              _i64(ctx, [INT64_MAX], "ends")])
    dt = _numpy_dtype(ctx.dtype(data_names[0]))
    zeros = ctx.node("ConstantOfShape", [ctx.node("Concat", [count, tail], axis=0)],
                     value=_np_tensor(np.zeros([1], dt)))
    ctx.node("ScatterND", [zeros, ctx.node("Unsqueeze", [idx, _i64(ctx, [1], "axes")]), upd],
             _out(node))
