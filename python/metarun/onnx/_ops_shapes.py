"""Shape ops to ONNX: Reshape, Squeeze, ExpandDims, Transpose, concatenation and stacking,
Shape, Tile, Pad, Slice/StridedSlice, Gather, Split. Registered into _ops.HANDLERS."""

import numpy as np

from metarun.onnx._ops import INT64_MAX, INT64_MIN, _attr, _axis, _i64, _ins, _out, handles
from metarun.onnx.export import NotMappable

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
