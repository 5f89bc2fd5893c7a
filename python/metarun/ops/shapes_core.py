"""Shape functions of the common math, array and nn ops (TF's static shapes)."""

import numpy as np

from metarun.framework import shape_inference as si
from metarun.framework.tensor_shape import TensorShape

_UNARY = """Abs Acos Acosh Asin Asinh Atan Atanh Ceil Cos Cosh Digamma Elu Erf Erfc Exp Expm1 Floor Inv
IsFinite IsInf IsNan Lgamma Log Log1p LogicalNot Neg OnesLike Reciprocal Relu Relu6 Rint Round Rsqrt Selu
Sigmoid Sign Sin Sinh Softplus Softsign Sqrt Square Tan Tanh ZerosLike Invert LeakyRelu Softmax LogSoftmax
Cast Bitcast L2Normalize ClipByValue LRN Conj Real Imag Angle ComplexAbs Cumsum Cumprod
ReluGrad Relu6Grad EluGrad SeluGrad SoftplusGrad LeakyReluGrad TanhGrad SigmoidGrad SqrtGrad RsqrtGrad
ReciprocalGrad InvGrad BiasAdd BiasAddV1 Assert""".split()

_BINARY = """Add AddV2 Sub Mul Div RealDiv FloorDiv FloorMod TruncateDiv TruncateMod Maximum Minimum Pow
SquaredDifference Less LessEqual Greater GreaterEqual Equal NotEqual LogicalAnd LogicalOr Atan2 DivNoNan
Xdivy Xlogy BitwiseAnd BitwiseOr BitwiseXor LeftShift RightShift Igamma Igammac Zeta Polygamma
ApproximateEqual Complex""".split()


@si.register(*_UNARY)
def _unary(op):
    if op.type == "Cast" and op.inputs[0].shape.ndims is None:
        return [TensorShape(None)]
    return [op.inputs[0].shape]


@si.register(*_BINARY)
def _binary(op):
    try:
        return [si.broadcast(op.inputs[0].shape, op.inputs[1].shape)]
    except ValueError as e:
        raise ValueError("%s for '{{node %s}} = %s[]' with input shapes: %s, %s."
                         % (e, op.name, op.type, _fmt(op.inputs[0].shape), _fmt(op.inputs[1].shape))) from None


def _fmt(shape):
    if shape.ndims is None:
        return "?"
    return "[%s]" % ",".join("?" if d is None else str(d) for d in shape.dims)


@si.register("AddN")
def _add_n(op):
    out = TensorShape(None)
    for t in op.inputs:
        out = si.merge(out, t.shape)
    return [out]


@si.register("Select", "SelectV2")
def _select(op):
    if op.type == "SelectV2":
        return [si.broadcast(si.broadcast(op.inputs[0].shape, op.inputs[1].shape), op.inputs[2].shape)]
    return [si.merge(op.inputs[1].shape, op.inputs[2].shape)]


@si.register("MatMul")
def _matmul(op):
    a, b = op.inputs[0].shape, op.inputs[1].shape
    ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    if a.ndims is not None and a.ndims != 2 or b.ndims is not None and b.ndims != 2:
        raise ValueError("Shape must be rank 2 for '{{node %s}} = MatMul[]' with input shapes: %s, %s."
                         % (op.name, _fmt(a), _fmt(b)))
    m = None if a.ndims is None else a.dims[1 if ta else 0]
    ka = None if a.ndims is None else a.dims[0 if ta else 1]
    kb = None if b.ndims is None else b.dims[1 if tb else 0]
    n = None if b.ndims is None else b.dims[0 if tb else 1]
    if ka is not None and kb is not None and ka != kb:
        raise ValueError("Dimensions must be equal, but are %d and %d for '{{node %s}} = MatMul[]' with input "
                         "shapes: %s, %s." % (ka, kb, op.name, _fmt(a), _fmt(b)))
    return [TensorShape([m, n])]


@si.register("BatchMatMulV2", "BatchMatMul")
def _batch_matmul(op):
    a, b = op.inputs[0].shape, op.inputs[1].shape
    if a.ndims is None or b.ndims is None:
        return [TensorShape(None)]
    ax, ay = op.get_attr("adj_x"), op.get_attr("adj_y")
    batch = si.broadcast(TensorShape(a.dims[:-2]), TensorShape(b.dims[:-2]))
    m = a.dims[-1] if ax else a.dims[-2]
    n = b.dims[-2] if ay else b.dims[-1]
    return [TensorShape(batch.dims + [m, n])]


def _reduce(op, keep_attr="keep_dims"):
    x = op.inputs[0].shape
    keep = op.get_attr(keep_attr)
    if x.ndims is None:
        return TensorShape(None)
    axes = si.axis_value(op.inputs[1], x.ndims)
    if axes is None:
        return TensorShape([None] * x.ndims) if keep else TensorShape(None)
    if keep:
        return TensorShape([1 if i in axes else d for i, d in enumerate(x.dims)])
    return TensorShape([d for i, d in enumerate(x.dims) if i not in axes])


@si.register("Sum", "Mean", "Max", "Min", "Prod", "All", "Any", "EuclideanNorm")
def _reduction(op):
    return [_reduce(op)]


@si.register("ArgMax", "ArgMin")
def _argmax(op):
    x = op.inputs[0].shape
    if x.ndims is None:
        return [TensorShape(None)]
    axes = si.axis_value(op.inputs[1], x.ndims)
    if axes is None:
        return [TensorShape(None if x.ndims == 0 else [None] * (x.ndims - 1))]
    return [TensorShape([d for i, d in enumerate(x.dims) if i != axes[0]])]


@si.register("Shape")
def _shape(op):
    x = op.inputs[0].shape
    return [TensorShape([x.ndims])]


@si.register("Size", "Rank")
def _scalar(op):
    return [TensorShape([])]


@si.register("Reshape")
def _reshape(op):
    x = op.inputs[0].shape
    target = si.constant_shape(op.inputs[1])
    if target.ndims is None:
        return [TensorShape(None)]
    value = si.constant_value(op.inputs[1])
    dims = target.dims
    if value is not None and -1 in [int(v) for v in np.asarray(value).reshape(-1)]:
        n = x.num_elements()
        known = [d for d in dims if d is not None]
        if n is not None and dims.count(None) == 1:
            prod = int(np.prod(known)) if known else 1
            if prod and n % prod == 0:
                dims = [n // prod if d is None else d for d in dims]
            elif prod:
                raise ValueError("Cannot reshape a tensor with %d elements to shape %s (%d elements) for "
                                 "'{{node %s}} = Reshape[]'" % (n, [int(v) for v in value], prod, op.name))
    elif value is None and dims.count(None) == 1 and x.num_elements():
        # A partly known target (a Slice of a Shape): TF infers its one unknown dim.
        prod = int(np.prod([d for d in dims if d is not None])) if len(dims) > 1 else 1
        if prod and x.num_elements() % prod == 0:
            dims = [x.num_elements() // prod if d is None else d for d in dims]
    elif value is not None:
        n, m = x.num_elements(), int(np.prod(dims)) if dims else 1
        if n is not None and n != m:
            raise ValueError("Cannot reshape a tensor with %d elements to shape %s (%d elements) for "
                             "'{{node %s}} = Reshape[]'" % (n, dims, m, op.name))
    return [TensorShape(dims)]


@si.register("ExpandDims")
def _expand_dims(op):
    x = op.inputs[0].shape
    axis = si.constant_value(op.inputs[1])
    if x.ndims is None or axis is None:
        return [TensorShape(None)]
    a = int(np.asarray(axis).reshape(-1)[0])
    if a < 0:
        a += x.ndims + 1
    dims = x.dims
    return [TensorShape(dims[:a] + [1] + dims[a:])]


@si.register("Squeeze")
def _squeeze(op):
    x = op.inputs[0].shape
    if x.ndims is None:
        return [TensorShape(None)]
    axes = [a % x.ndims for a in op.get_attr("squeeze_dims")]
    if not axes:
        if any(d is None for d in x.dims):
            return [TensorShape(None)]
        return [TensorShape([d for d in x.dims if d != 1])]
    return [TensorShape([d for i, d in enumerate(x.dims) if i not in axes])]


@si.register("Transpose")
def _transpose(op):
    x = op.inputs[0].shape
    perm = si.constant_value(op.inputs[1])
    if perm is None:
        return [TensorShape(None if x.ndims is None else [None] * x.ndims)]
    perm = [int(p) for p in np.asarray(perm).reshape(-1)]
    if x.ndims is None:
        return [TensorShape([None] * len(perm))]
    return [TensorShape([x.dims[p] for p in perm])]


@si.register("Pack")
def _pack(op):
    s = TensorShape(None)
    for t in op.inputs:
        s = si.merge(s, t.shape)
    if s.ndims is None:
        return [TensorShape(None)]
    axis = op.get_attr("axis")
    if axis < 0:
        axis += s.ndims + 1
    dims = s.dims
    return [TensorShape(dims[:axis] + [len(op.inputs)] + dims[axis:])]


@si.register("Unpack")
def _unpack(op):
    s = op.inputs[0].shape
    n = op.get_attr("num")
    if s.ndims is None:
        return [TensorShape(None)] * n
    axis = op.get_attr("axis") % s.ndims
    dims = s.dims[:axis] + s.dims[axis + 1:]
    return [TensorShape(dims)] * n


@si.register("ConcatV2")
def _concat(op):
    values = op.inputs[:-1]
    axis = si.constant_value(op.inputs[-1])
    ranks = [v.shape.ndims for v in values if v.shape.ndims is not None]
    if not ranks:
        return [TensorShape(None)]
    rank = ranks[0]
    if axis is None:
        return [TensorShape([None] * rank)]
    a = int(axis) % rank
    total = 0
    out = [None] * rank
    for v in values:
        if v.shape.ndims is None:
            total = None
            continue
        for i, d in enumerate(v.shape.dims):
            if i == a:
                total = None if total is None or d is None else total + d
            elif out[i] is None:
                out[i] = d
    out[a] = total
    return [TensorShape(out)]


@si.register("Fill")
def _fill(op):
    return [si.constant_shape(op.inputs[0])]


@si.register("BroadcastTo")
def _broadcast_to(op):
    return [si.constant_shape(op.inputs[1])]


@si.register("RandomUniform", "RandomStandardNormal", "TruncatedNormal", "RandomUniformInt")
def _random(op):
    return [si.constant_shape(op.inputs[0])]


@si.register("Tile")
def _tile(op):
    x = op.inputs[0].shape
    m = si.constant_value(op.inputs[1])
    if x.ndims is None:
        return [TensorShape(None)]
    if m is None:
        return [TensorShape([None] * x.ndims)]
    return [TensorShape([None if d is None else d * int(k) for d, k in zip(x.dims, m)])]


@si.register("OneHot")
def _one_hot(op):
    x = op.inputs[0].shape
    depth = si.constant_value(op.inputs[1])
    if x.ndims is None:
        return [TensorShape(None)]
    axis = op.get_attr("axis")
    dims = x.dims
    d = None if depth is None else int(depth)
    if axis == -1:
        return [TensorShape(dims + [d])]
    return [TensorShape(dims[:axis] + [d] + dims[axis:])]


@si.register("GatherV2")
def _gather(op):
    p, i = op.inputs[0].shape, op.inputs[1].shape
    axis = si.constant_value(op.inputs[2])
    if p.ndims is None or i.ndims is None or axis is None:
        return [TensorShape(None)]
    a = int(axis) % p.ndims
    b = op.get_attr("batch_dims")
    return [TensorShape(p.dims[:a] + i.dims[b:] + p.dims[a + 1:])]


@si.register("SoftmaxCrossEntropyWithLogits")
def _softmax_xent(op):
    s = si.broadcast(op.inputs[0].shape, op.inputs[1].shape)
    if s.ndims is None:
        return [TensorShape([None]), TensorShape([None, None])]
    return [TensorShape(s.dims[:1]), s]


@si.register("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_softmax_xent(op):
    s = op.inputs[0].shape
    if s.ndims is None:
        return [TensorShape([None]), TensorShape([None, None])]
    return [TensorShape(s.dims[:1]), s]


@si.register("L2Loss")
def _l2loss(op):
    return [TensorShape([])]


@si.register("BiasAddGrad")
def _bias_add_grad(op):
    s = op.inputs[0].shape
    if s.ndims is None:
        return [TensorShape([None])]
    return [TensorShape([s.dims[1] if op.get_attr("data_format") in (b"NCHW", "NCHW") else s.dims[-1]])]


def _spatial(size, k, stride, padding, dilation=1):
    if size is None or k is None:  # a filter of unknown size (VALID) leaves the output unknown
        if padding in (b"VALID", "VALID") or size is None:
            return None
        return (size + stride - 1) // stride
    eff = (k - 1) * dilation + 1
    if padding in (b"VALID", "VALID"):
        return (size - eff + stride) // stride
    return (size + stride - 1) // stride


@si.register("Conv2D", "DepthwiseConv2dNative")
def _conv2d(op):
    x, w = op.inputs[0].shape, op.inputs[1].shape
    fmt = op.get_attr("data_format")
    nchw = fmt in (b"NCHW", "NCHW")
    strides, dil = op.get_attr("strides"), op.get_attr("dilations")
    padding = op.get_attr("padding")
    if x.ndims is None or w.ndims is None or padding in (b"EXPLICIT", "EXPLICIT"):
        return [TensorShape([None] * 4)]
    n = x.dims[0]
    h, wd = (x.dims[2], x.dims[3]) if nchw else (x.dims[1], x.dims[2])
    sh, sw = (strides[2], strides[3]) if nchw else (strides[1], strides[2])
    dh, dw = (dil[2], dil[3]) if nchw else (dil[1], dil[2])
    oc = w.dims[3] if op.type == "Conv2D" else (None if w.dims[2] is None or w.dims[3] is None
                                                 else w.dims[2] * w.dims[3])
    oh, ow = _spatial(h, w.dims[0], sh, padding, dh), _spatial(wd, w.dims[1], sw, padding, dw)
    return [TensorShape([n, oc, oh, ow] if nchw else [n, oh, ow, oc])]


@si.register("MaxPool", "AvgPool")
def _pool(op):
    x = op.inputs[0].shape
    if x.ndims is None:
        return [TensorShape([None] * 4)]
    nchw = op.get_attr("data_format") in (b"NCHW", "NCHW")
    k, s, p = op.get_attr("ksize"), op.get_attr("strides"), op.get_attr("padding")
    if nchw:
        return [TensorShape([x.dims[0], x.dims[1], _spatial(x.dims[2], k[2], s[2], p), _spatial(x.dims[3], k[3], s[3], p)])]
    return [TensorShape([x.dims[0], _spatial(x.dims[1], k[1], s[1], p), _spatial(x.dims[2], k[2], s[2], p), x.dims[3]])]


@si.register("MaxPoolGrad", "Conv2DBackpropFilter")
def _like_second(op):
    if op.type == "Conv2DBackpropFilter":
        return [si.constant_shape(op.inputs[1])]
    return [op.inputs[0].shape]


@si.register("Conv2DBackpropInput", "AvgPoolGrad")
def _like_sizes(op):
    return [si.constant_shape(op.inputs[0])]


@si.register("FusedBatchNormV3", "FusedBatchNorm", "FusedBatchNormV2")
def _fused_bn(op):
    x = op.inputs[0].shape
    c = None
    if x.ndims == 4:
        c = x.dims[1] if op.get_attr("data_format") in (b"NCHW", "NCHW") else x.dims[3]
    vec = TensorShape([c])
    n = 6 if op.type == "FusedBatchNormV3" else 5
    return [x] + [vec] * 4 + ([TensorShape(None)] if n == 6 else [])


def _partial_vector(t):
    """The elements of a 1-D int tensor known while building (None where not)."""
    v = si.constant_value(t)
    if v is not None:
        return [int(e) for e in np.asarray(v).reshape(-1)]
    if t.op.type == "Pack":
        out = []
        for x in t.op.inputs:
            c = si.constant_value(x)
            out.append(None if c is None else int(c))
        return out
    return None


@si.register("StridedSlice")
def _strided_slice(op):
    x = op.inputs[0].shape
    begin, end, strides = (_partial_vector(t) for t in op.inputs[1:])
    bm, em, elm, nam, sam = [op.get_attr(k) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                                      "shrink_axis_mask")]
    if x.ndims is None or strides is None:
        return [TensorShape(None)]
    spec = len(strides)
    begin = begin if begin is not None else [None] * spec
    end = end if end is not None else [None] * spec
    dims = x.dims
    out = []
    xi = 0
    for i in range(spec):
        if elm & (1 << i):
            n_after = sum(1 for j in range(i + 1, spec) if not nam & (1 << j))
            while xi < len(dims) - n_after:
                out.append(dims[xi])
                xi += 1
            continue
        if nam & (1 << i):
            out.append(1)
            continue
        if xi >= len(dims):
            return [TensorShape(None)]
        d = dims[xi]
        xi += 1
        if sam & (1 << i):
            continue
        b = None if bm & (1 << i) else begin[i]
        e = None if em & (1 << i) else end[i]
        if d is None or strides[i] is None or (b is None and not bm & (1 << i)) or \
                (e is None and not em & (1 << i)):
            out.append(None)
            continue
        out.append(len(range(d)[slice(b, e, strides[i])]))
    out.extend(dims[xi:])
    return [TensorShape(out)]


@si.register("GatherNd")
def _gather_nd(op):
    p, i = op.inputs[0].shape, op.inputs[1].shape
    if p.ndims is None or i.ndims is None or i.dims[-1] is None:
        return [TensorShape(None)]
    return [TensorShape(i.dims[:-1] + p.dims[i.dims[-1]:])]


@si.register("ReverseV2", "Reverse", "RandomShuffle", "Relu6Grad")
def _same_first(op):
    return [op.inputs[0].shape]


@si.register("Split")
def _split(op):
    x = op.inputs[1].shape
    n = op.get_attr("num_split")
    axis = si.constant_value(op.inputs[0])
    if x.ndims is None or axis is None:
        return [TensorShape(None if x.ndims is None else [None] * x.ndims)] * n
    a = int(axis) % x.ndims
    dims = x.dims
    dims[a] = None if dims[a] is None else dims[a] // n
    return [TensorShape(dims)] * n


@si.register("SplitV")
def _split_v(op):
    x = op.inputs[0].shape
    n = op.get_attr("num_split")
    sizes = si.constant_value(op.inputs[1])
    axis = si.constant_value(op.inputs[2])
    if x.ndims is None or axis is None or sizes is None:
        return [TensorShape(None if x.ndims is None else [None] * x.ndims)] * n
    a = int(axis) % x.ndims
    sizes = [int(v) for v in sizes]
    if -1 in sizes and x.dims[a] is not None:
        sizes[sizes.index(-1)] = x.dims[a] - (sum(sizes) + 1)
    out = []
    for sz in sizes:
        dims = x.dims
        dims[a] = None if sz < 0 else sz
        out.append(TensorShape(dims))
    return out


@si.register("Where")
def _where(op):
    x = op.inputs[0].shape
    return [TensorShape([None, x.ndims])]


@si.register("Slice")
def _slice(op):
    x = op.inputs[0].shape
    begin, size = si.constant_value(op.inputs[1]), si.constant_value(op.inputs[2])
    if size is None:
        return [TensorShape(None if x.ndims is None else [None] * x.ndims)]
    out = []
    for i, s in enumerate(size):
        s = int(s)
        if s == -1:
            d = None if x.ndims is None else x.dims[i]
            out.append(None if d is None or begin is None else d - int(begin[i]))
        else:
            out.append(s)
    return [TensorShape(out)]


@si.register("Pad", "PadV2", "MirrorPad")
def _pad(op):
    x = op.inputs[0].shape
    p = si.constant_value(op.inputs[1])
    if x.ndims is None:
        return [TensorShape(None)]
    if p is None:
        return [TensorShape([None] * x.ndims)]
    return [TensorShape([None if d is None else d + int(a) + int(b) for d, (a, b) in zip(x.dims, p)])]


@si.register("Range")
def _range(op):
    a, b, c = (si.constant_value(t) for t in op.inputs)
    if a is None or b is None or c is None:
        return [TensorShape([None])]
    return [TensorShape([len(np.arange(a, b, c))])]

from metarun.ops import shapes_extra  # noqa: E402,F401 -- registers the remaining shape functions
