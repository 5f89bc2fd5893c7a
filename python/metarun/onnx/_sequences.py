"""TensorArrays (TF1) and TensorLists (TF2) as ONNX tensor sequences.

The sequence is carried where TF carries the array's state: a TensorArray's "flow" tensor, a
TensorList's variant tensor, so it goes through loops and conds as any value does (a loop
variable of sequence type, an If output). TensorArrayV3 and TensorListReserve make a sequence
of `size` placeholders (empty [0] tensors, "not written yet"); a write replaces one element;
stack and gather fill the elements never written with zeros of the element shape (static when
TF's element_shape gives it, else the first written element's), as TF does for dynamic_rnn
with short sequence_lengths. Sequences need opset 14 or later.
"""

import numpy as np

from metarun.onnx import _ops
from metarun.onnx._control_flow import _graph, _i64
from metarun.onnx._ops import _attr, _out, handles
from metarun.onnx.export import NotMappable, _node_name, _tensor_name, onnx_dtype

# --- TensorArrays as sequences ------------------------------------------------------------

def _ta(ctx, node):
    ta = ctx.scopes._ta_node(node)
    if ta is None:
        raise NotMappable("%s %s: cannot find the TensorArray it works on" % (node.op, node.name))
    return ta


def _placeholder(ctx, dtype):
    """The element a TensorArray holds where nothing was written: an empty [0] tensor."""
    return ctx.const(np.zeros([0], _ops._numpy_dtype(dtype)), "unwritten")


@handles("TensorArrayV3")
def _tensor_array(ctx, node):
    dtype = _attr(node, "dtype")
    size = _i64(ctx, _ops._ins(ctx, node)[0])
    shape = ctx.node("Concat", [ctx.node("Unsqueeze", [size, _ops._i64(ctx, [0])]),
                                _ops._i64(ctx, [0])], axis=0)
    zeros = ctx.node("ConstantOfShape", [shape], value=_zero_tensor(dtype))
    ctx.node("SplitToSequence", [zeros], _out(node, 1), axis=0, keepdims=0)


def _zero_tensor(dtype):
    import onnx
    return onnx.numpy_helper.from_array(np.zeros([1], _ops._numpy_dtype(dtype)))


def _write(ctx, seq, index, value, ta):
    """seq with element `index` (ONNX int64 scalar) replaced by value; a dynamic-size array is
    first grown with unwritten elements to hold it."""
    if _attr(ta, "dynamic_size", False):
        seq = _grow(ctx, seq, index, _attr(ta, "dtype"))
    erased = ctx.node("SequenceErase", [seq, index])
    return ctx.node("SequenceInsert", [erased, value, index])


def _grow(ctx, seq, index, dtype):
    length = ctx.node("SequenceLength", [seq])
    end = ctx.node("Add", [index, ctx.const(np.array(1, np.int64))])
    need = ctx.node("Max", [ctx.node("Sub", [end, length]), ctx.const(np.array(0, np.int64))])
    return _append_unwritten(ctx, seq, need, dtype)


def _append_unwritten(ctx, seq, count, dtype):
    """seq with `count` (ONNX int64 scalar) unwritten elements appended."""
    import onnx
    sub = ctx.child()
    it = ctx.unique("iter")
    cin = ctx.unique("cond")
    sin = ctx.unique("seq")
    sout = sub.node("SequenceInsert", [sin, _placeholder(ctx, dtype)])
    cout = sub.node("Identity", [cin])
    elem = onnx_dtype(dtype)
    body = onnx.helper.make_graph(
        sub.nodes, ctx.unique("grow"),
        [onnx.helper.make_tensor_value_info(it, onnx.TensorProto.INT64, []),
         onnx.helper.make_tensor_value_info(cin, onnx.TensorProto.BOOL, []),
         onnx.helper.make_tensor_sequence_value_info(sin, elem, None)],
        [onnx.helper.make_tensor_value_info(cout, onnx.TensorProto.BOOL, []),
         onnx.helper.make_tensor_sequence_value_info(sout, elem, None)])
    return ctx.node("Loop", [count, ctx.const(np.array(True)), seq], name=ctx.unique("Loop"),
                    body=body)


@handles("TensorArrayWriteV3")
def _ta_write(ctx, node):
    _, index, value, flow = _ops._ins(ctx, node)
    out = _write(ctx, flow, _i64(ctx, index), value, _ta(ctx, node))
    ctx.node("Identity", [out], _out(node))


@handles("TensorArrayReadV3")
def _ta_read(ctx, node):
    _, index, flow = _ops._ins(ctx, node)
    ctx.node("SequenceAt", [flow, index], _out(node))


@handles("TensorArraySizeV3")
def _ta_size(ctx, node):
    import onnx
    _, flow = _ops._ins(ctx, node)
    ctx.node("Cast", [ctx.node("SequenceLength", [flow])], _out(node),
             to=onnx.TensorProto.INT32)


def _loop_over(ctx, count, carried, build, scans=(), hint="loop"):
    """A Loop of `count` iterations; build(sub, iter_name, carried_names) returns
    (new carried names, scan output names[, whether to go on]) built in the child context
    `sub`."""
    import onnx
    sub = ctx.child()
    it, cin = ctx.unique("iter"), ctx.unique("cond")
    names = [ctx.unique("carried") for _ in carried]
    built = build(sub, it, names)
    new, scan_outs = built[:2]
    cond_out = built[2] if len(built) > 2 else cin
    outs = [sub.node("Identity", [cond_out])] + [sub.node("Identity", [x]) for x in new] + \
        [sub.node("Identity", [x]) for x in scan_outs]
    ins = [onnx.helper.make_tensor_value_info(it, onnx.TensorProto.INT64, []),
           onnx.helper.make_tensor_value_info(cin, onnx.TensorProto.BOOL, [])]
    for name, (_, kind) in zip(names, carried):
        ins.append(_vi(name, kind))
    out_vis = [onnx.helper.make_tensor_value_info(outs[0], onnx.TensorProto.BOOL, [])]
    for name, (_, kind) in zip(outs[1:1 + len(new)], carried):
        out_vis.append(_vi(name, kind))
    for name, kind in zip(outs[1 + len(new):], scans):
        out_vis.append(_vi(name, kind))
    body = _graph(ctx, sub, ctx.unique(hint), ins, out_vis)
    n_out = len(carried) + len(scans)
    results = [ctx.unique(hint + "_out") for _ in range(n_out)]
    ctx.node("Loop", [count, ctx.const(np.array(True))] + [c for c, _ in carried], results,
             name=ctx.unique("Loop"), body=body)
    return results


def _vi(name, kind):
    import onnx
    seq, elem = kind
    if seq:
        return onnx.helper.make_tensor_sequence_value_info(name, elem, None)
    return onnx.helper.make_tensor_value_info(name, elem, None)


@handles("TensorArrayScatterV3")
def _ta_scatter(ctx, node):
    names = ctx.g.data_inputs(node)
    _, indices, value, flow = _ops._ins(ctx, node)
    ta = _ta(ctx, node)
    elem = onnx_dtype(_attr(ta, "dtype"))
    if _is_fresh(ctx, names[3]) and _is_arange(ctx, names[1]):
        # unstack: elements 0..k-1 are value's rows, the rest of the array stays unwritten
        rows = ctx.node("SplitToSequence", [value], axis=0, keepdims=0)
        size = _i64(ctx, ctx.input(_tensor_name(ta.input[0])))
        missing = ctx.node("Max", [ctx.node("Sub", [size, ctx.node("SequenceLength", [rows])]),
                                   ctx.const(np.array(0, np.int64))])
        ctx.node("Identity", [_append_unwritten(ctx, rows, missing, _attr(ta, "dtype"))],
                 _out(node))
        return

    def body(sub, it, carried):
        index = _i64(sub, sub.node("Gather", [indices, it], axis=0))
        item = sub.node("Gather", [value, it], axis=0)
        return [_write(sub, carried[0], index, item, ta)], []

    count = ctx.node("Size", [indices])
    out, = _loop_over(ctx, count, [(flow, (True, elem))], body, hint="scatter")
    ctx.node("Identity", [out], _out(node))


def _is_fresh(ctx, flow):
    """The flow of a TensorArray nothing was written to yet."""
    node = ctx.g.nodes.get(_node_name(flow))
    return node is not None and node.op == "TensorArrayV3" and flow.endswith(":1")


def _is_arange(ctx, indices):
    """indices = range(0, k) (tf.range(0, k, 1), as TensorArray.unstack writes)."""
    node = ctx.g.nodes.get(_node_name(indices))
    if node is None or node.op != "Range":
        return False
    start, _, delta = ctx.g.data_inputs(node)
    return (ctx.value(start) is not None and ctx.value(delta) is not None and
            int(ctx.value(start)) == 0 and int(ctx.value(delta)) == 1)


@handles("TensorArraySplitV3")
def _ta_split(ctx, node):
    _, value, lengths, _flow = _ops._ins(ctx, node)
    ctx.node("SplitToSequence", [value, _i64(ctx, lengths)], _out(node), axis=0)


def _is_unwritten(sub, element):
    """element is a [0] placeholder: rank 1 and no values."""
    import onnx
    rank1 = sub.node("Equal", [sub.node("Size", [sub.node("Shape", [element])]),
                               sub.const(np.array(1, np.int64))])
    empty = sub.node("Equal", [sub.node("Size", [element]), sub.const(np.array(0, np.int64))])
    del onnx
    return sub.node("And", [rank1, empty])


def _element_shape(ctx, static, seq):
    """The shape of an element of the array: static when TF's element_shape says it all,
    else the first written element's (TF's fill for unwritten elements)."""
    import onnx
    if static is not None:
        return ctx.const(np.array(static, np.int64), "element_shape")

    def body(sub, it, carried):
        # stops at the first written element: its shape is the last one taken
        element = sub.node("SequenceAt", [seq, it])
        return [sub.node("Shape", [element])], [], _is_unwritten(sub, element)

    length = ctx.node("SequenceLength", [seq])
    shape, = _loop_over(ctx, length, [(ctx.const(np.zeros([0], np.int64)),
                                       (False, onnx.TensorProto.INT64))],
                        body, hint="element_shape")
    return shape


def _static_element_shape(ctx, node):
    """TF's element_shape attr of the op or its TensorArray, when it gives every dimension."""
    for n in (node, _ta(ctx, node)):
        shape = n.attr["element_shape"].shape if "element_shape" in n.attr else None
        if shape is not None and not shape.unknown_rank and all(d.size >= 0 for d in shape.dim):
            return [d.size for d in shape.dim]
    return None


def _gather(ctx, seq, indices, dtype, static):
    """The elements at `indices` stacked; an unwritten element ([0]) is padded with zeros to
    the element's size (no branch)."""
    elem = onnx_dtype(dtype)
    shape = _element_shape(ctx, static, seq)
    size = ctx.node("ReduceProd", [shape], keepdims=1)
    zero = ctx.const(np.zeros([1], np.int64))

    def body(sub, it, carried):
        element = sub.node("SequenceAt", [seq, sub.node("Gather", [indices, it], axis=0)])
        return [], [_filled(sub, element, size, shape, zero)]

    out, = _loop_over(ctx, ctx.node("Size", [indices]), [], body, scans=[(False, elem)],
                      hint="gather")
    return out


def _filled(ctx, element, size, shape, zero):
    flat = ctx.node("Reshape", [element, ctx.const(np.array([-1], np.int64))])
    missing = ctx.node("Sub", [size, ctx.node("Reshape", [
        ctx.node("Size", [element]), ctx.const(np.array([1], np.int64))])])
    padded = ctx.node("Pad", [flat, ctx.node("Concat", [zero, missing], axis=0)])
    return ctx.node("Reshape", [padded, shape])


@handles("TensorArrayGatherV3")
def _ta_gather(ctx, node):
    _, indices, flow = _ops._ins(ctx, node)
    out = _gather(ctx, flow, indices, _attr(node, "dtype"), _static_element_shape(ctx, node))
    ctx.node("Identity", [out], _out(node))


@handles("TensorArrayConcatV3")
def _ta_concat(ctx, node):
    import onnx
    _, flow = _ops._ins(ctx, node)
    ctx.node("ConcatFromSequence", [flow], _out(node, 0), axis=0)

    def body(sub, it, carried):
        element = sub.node("SequenceAt", [flow, it])
        first = sub.node("Slice", [sub.node("Shape", [element]), sub.const(np.array([0], np.int64)),
                                   sub.const(np.array([1], np.int64))])
        return [], [sub.node("Squeeze", [first, sub.const(np.array([0], np.int64))])]

    lengths, = _loop_over(ctx, ctx.node("SequenceLength", [flow]), [], body,
                          scans=[(False, onnx.TensorProto.INT64)], hint="lengths")
    ctx.node("Identity", [lengths], _out(node, 1))


# --- TF2's TensorLists (control flow v2), sequences as TensorArrays are -------------------

def _list_element_shape(ctx, tensor):
    """A TensorList op's element_shape input when it is a constant giving every dimension."""
    v = ctx.value(tensor)
    if v is None:
        return None
    v = np.asarray(v).reshape(-1)
    if v.size == 1 and np.asarray(ctx.value(tensor)).ndim == 0:
        return None  # -1 as a scalar: unknown rank
    return None if (v < 0).any() else [int(d) for d in v]


@handles("EmptyTensorList")
def _empty_list(ctx, node):
    ctx.node("SequenceEmpty", [], _out(node), dtype=onnx_dtype(_attr(node, "element_dtype")))


@handles("TensorListReserve")
def _list_reserve(ctx, node):
    dtype = _attr(node, "element_dtype")
    _, count = _ops._ins(ctx, node)
    empty = ctx.node("SequenceEmpty", [], dtype=onnx_dtype(dtype))
    ctx.node("Identity", [_append_unwritten(ctx, empty, _i64(ctx, count), dtype)], _out(node))


@handles("TensorListFromTensor")
def _list_from_tensor(ctx, node):
    tensor, _ = _ops._ins(ctx, node)
    ctx.node("SplitToSequence", [tensor], _out(node), axis=0, keepdims=0)


@handles("TensorListGetItem")
def _list_get_item(ctx, node):
    names = ctx.g.data_inputs(node)
    seq, index, _ = _ops._ins(ctx, node)
    element = ctx.node("SequenceAt", [seq, index])
    static = _list_element_shape(ctx, names[2])
    if static is None:
        ctx.node("Identity", [element], _out(node))
        return
    # an element never set reads as zeros of the element shape
    shape = ctx.const(np.array(static, np.int64), "element_shape")
    size = ctx.const(np.array([int(np.prod(static))], np.int64))
    ctx.node("Identity", [_filled(ctx, element, size, shape, ctx.const(np.zeros([1], np.int64)))],
             _out(node))


@handles("TensorListSetItem")
def _list_set_item(ctx, node):
    seq, index, item = _ops._ins(ctx, node)
    index = _i64(ctx, index)
    if _attr(node, "resize_if_index_out_of_bounds", False):
        seq = _grow(ctx, seq, index, _attr(node, "element_dtype"))
    erased = ctx.node("SequenceErase", [seq, index])
    ctx.node("SequenceInsert", [erased, item, index], _out(node))


@handles("TensorListPushBack")
def _list_push_back(ctx, node):
    seq, item = _ops._ins(ctx, node)
    ctx.node("SequenceInsert", [seq, item], _out(node))


@handles("TensorListPopBack")
def _list_pop_back(ctx, node):
    seq, _ = _ops._ins(ctx, node)
    last = ctx.const(np.array(-1, np.int64))
    ctx.node("SequenceAt", [seq, last], _out(node, 1))
    ctx.node("SequenceErase", [seq, last], _out(node, 0))


@handles("TensorListLength")
def _list_length(ctx, node):
    import onnx
    seq, = _ops._ins(ctx, node)
    ctx.node("Cast", [ctx.node("SequenceLength", [seq])], _out(node), to=onnx.TensorProto.INT32)


@handles("TensorListStack")
def _list_stack(ctx, node):
    names = ctx.g.data_inputs(node)
    seq, _ = _ops._ins(ctx, node)
    indices = ctx.node("Range", [ctx.const(np.array(0, np.int64)),
                                 ctx.node("SequenceLength", [seq]),
                                 ctx.const(np.array(1, np.int64))])
    out = _gather(ctx, seq, indices, _attr(node, "element_dtype"),
                  _list_element_shape(ctx, names[1]))
    ctx.node("Identity", [out], _out(node))


@handles("TensorListGather")
def _list_gather(ctx, node):
    names = ctx.g.data_inputs(node)
    seq, indices, _ = _ops._ins(ctx, node)
    out = _gather(ctx, seq, indices, _attr(node, "element_dtype"),
                  _list_element_shape(ctx, names[2]))
    ctx.node("Identity", [out], _out(node))
