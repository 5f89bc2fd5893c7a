"""What TF1 models build around their layers, to ONNX: softmax cross-entropy losses, random
ops (dropout), Select, and the DynamicPartition/ParallelDynamicStitch pair of embedding lookups
over partitioned variables. Registered into _ops.HANDLERS."""

import numpy as np

from metarun.onnx._ops import INT64_MAX, _attr, _i64, _ins, _np_tensor, _numpy_dtype, _out, \
    _used, handles
from metarun.onnx.export import NotMappable

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
