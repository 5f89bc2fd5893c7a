"""Gradients of the array ops: identity-likes, reshaping, joining and splitting, slicing,
padding, tiling, gathering (an IndexedSlices for the gathered rows)."""

import numpy as np

from metarun.framework import dtypes
from metarun.framework.indexed_slices import IndexedSlices
from metarun.framework.op_builder import apply_op, constant
from metarun.framework.shape_inference import constant_value, python_constant_value
from metarun.ops import array_ops
from metarun.ops.gradients_impl import NoGradient, RegisterGradient, rank, shape, size
from metarun.ops.scopes import name_scope

for _t in ("StopGradient", "Shape", "ShapeN", "Size", "Rank", "ZerosLike", "OnesLike", "ConcatOffset",
           "InvertPermutation", "Where", "Unique", "EditDistance", "BroadcastArgs", "Const", "Placeholder",
           "VariableV2", "VarHandleOp", "VarIsInitializedOp", "VariableShape", "Assign", "AssignAdd",
           "AssignSub", "NoOp", "RandomUniform", "RandomStandardNormal", "TruncatedNormal", "RandomUniformInt",
           "Multinomial", "RandomShuffle", "ListDiff", "SetSize", "IsVariableInitialized"):
    NoGradient(_t)


@RegisterGradient("PreventGradient")
def _prevent_gradient_grad(op, grad):
    raise LookupError("Gradient explicitly disabled. Reason: %s" % op.get_attr("message"))


def _pass(op, grad):
    return grad


for _t in ("Identity", "Snapshot", "PlaceholderWithDefault", "ReadVariableOp", "EnsureShape", "RefIdentity"):
    RegisterGradient(_t)(_pass)


@RegisterGradient("IdentityN")
def _identity_n_grad(op, *grads):
    return list(grads)


@RegisterGradient("CheckNumerics")
def _check_numerics_grad(op, grad):
    return apply_op("CheckNumerics", tensor=grad, message="Not a number (NaN) or infinity (Inf) values "
                    "detected in gradient. %s" % op.get_attr("message"))


@RegisterGradient("OneHot")
def _one_hot_grad(op, grad):
    return [None] * 4


def _to_input_shape(op, grad):
    return apply_op("Reshape", tensor=grad, shape=shape(op.inputs[0]))


@RegisterGradient("Reshape")
def _reshape_grad(op, grad):
    # As TF 2.21: an input shape with exactly one unknown (and no zero) dimension is given as a
    # list with -1 there, so the gradient does not depend on a Shape op at run time.
    dims = op.inputs[0].shape.as_list() if op.inputs[0].shape.ndims is not None else None
    if dims is not None and None in dims and dims.count(None) == 1 and 0 not in dims:
        return apply_op("Reshape", tensor=grad, shape=[-1 if d is None else d for d in dims]), None
    return _to_input_shape(op, grad), None


RegisterGradient("ExpandDims")(lambda op, grad: (_to_input_shape(op, grad), None))
RegisterGradient("Squeeze")(_to_input_shape)


@RegisterGradient("Transpose")
def _transpose_grad(op, grad):
    return array_ops.transpose(grad, apply_op("InvertPermutation", x=op.inputs[1])), None


@RegisterGradient("Pack")
def _pack_grad(op, grad):
    return apply_op("Unpack", value=grad, num=op.get_attr("N"), axis=op.get_attr("axis"), name="unstack")


@RegisterGradient("Unpack")
def _unpack_grad(op, *grads):
    return apply_op("Pack", values=list(grads), axis=op.get_attr("axis"), name="stack")


def _input_shapes(values):
    """Each input's shape (Consts when all are known, else one ShapeN, as TF)."""
    sizes = []
    for v in values:
        s = shape(v)
        if s.op.type != "Const":
            return apply_op("ShapeN", input=list(values))
        sizes.append(s)
    return sizes


def _concat_dim_here(axis, grad):
    """A constant axis from another control-flow context (a forward loop) is copied into the
    gradient's, as TF does, instead of coming through an Enter or a stack."""
    from metarun.ops import control_flow_ops as cf
    if axis.op.type == "Const" and not isinstance(grad, IndexedSlices) and \
            cf.output_context(grad.op) is not cf.output_context(axis.op):
        return constant(constant_value(axis), dtype=axis.dtype.base_dtype)
    return axis


@RegisterGradient("ConcatV2")
def _concat_grad(op, grad):
    values, axis = op.inputs[:-1], op.inputs[-1]
    if len(values) == 1:
        return [grad, None]
    dim = _concat_dim_here(axis, grad) % rank(values[0])
    sizes = _input_shapes(values)
    if len(sizes) > 16:
        # TF splits instead of slicing when there are many inputs.
        along = apply_op("Squeeze", input=apply_op("Slice", input=array_ops.stack(sizes, axis=1),
                                                   begin=array_ops.stack([dim, 0]),
                                                   size=constant(np.array([1, -1], np.int32))), squeeze_dims=[])
        return list(array_ops.split(grad, along, dim)) + [None]
    offsets = apply_op("ConcatOffset", concat_dim=dim, shape=list(sizes))
    return [apply_op("Slice", input=grad, begin=b, size=s) for b, s in zip(offsets, sizes)] + [None]


@RegisterGradient("Split")
def _split_grad(op, *grads):
    return None, array_ops.concat(list(grads), op.inputs[0])


@RegisterGradient("SplitV")
def _split_v_grad(op, *grads):
    return [array_ops.concat(list(grads), op.inputs[2])] + [None] * (len(op.inputs) - 1)


def _stack_rank_one(r):
    with name_scope(None, "stack") as scope:
        return apply_op("Pack", values=[r, constant(np.array(1, np.int32), name="1")], axis=0, name=scope)


@RegisterGradient("Slice")
def _slice_grad(op, grad):
    x, begin = op.inputs[0], op.inputs[1]
    r = rank(x)
    out_size = shape(op.outputs[0], out_type=begin.dtype.base_dtype)
    pair = _stack_rank_one(r)
    before = apply_op("Reshape", tensor=begin, shape=pair)
    after = apply_op("Reshape", tensor=shape(x, out_type=begin.dtype.base_dtype) - out_size - begin, shape=pair)
    paddings = array_ops.concat([before, after], 1)
    return apply_op("Pad", input=grad, paddings=paddings), None, None


@RegisterGradient("StridedSlice")
def _strided_slice_grad(op, grad):
    x, begin, end, strides = op.inputs
    x_shape = shape(x, out_type=begin.dtype.base_dtype)

    def known(t):  # TF's Python constant_value: a computed end (frame's pad_end) stays a tensor
        v = python_constant_value(t)
        return t if v is None else v
    masks = {k: op.get_attr(k) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                         "shrink_axis_mask")}
    return apply_op("StridedSliceGrad", shape=known(x_shape), begin=known(begin), end=known(end),
                    strides=known(strides), dy=grad, **masks), None, None, None


@RegisterGradient("Tile")
def _tile_grad(op, grad):
    multiples = op.inputs[1]
    input_shape = shape(op.inputs[0], out_type=multiples.dtype.base_dtype)
    split = apply_op("Reshape", tensor=array_ops.transpose(array_ops.stack([multiples, input_shape])),
                     shape=np.array([-1], np.int32))
    n = size(split)
    with name_scope(None, "range") as scope:
        axes = apply_op("Range", start=constant(np.array(0, np.int32), name="start"), limit=n,
                        delta=constant(np.array(2, np.int32), name="delta"), name=scope)
    g = apply_op("Sum", input=apply_op("Reshape", tensor=grad, shape=split), reduction_indices=axes,
                 keep_dims=False)
    g.set_shape(op.inputs[0].shape)
    return g, None


def _pad_grad(op, grad):
    x, paddings = op.inputs[0], op.inputs[1]
    before = apply_op("Slice", input=paddings, begin=np.array([0, 0], np.int32), size=_stack_rank_one(rank(x)))
    begin = apply_op("Reshape", tensor=before, shape=np.array([-1], np.int32))
    out = apply_op("Slice", input=grad, begin=begin, size=shape(x, out_type=begin.dtype.base_dtype))
    return [out] + [None] * (len(op.inputs) - 1)


RegisterGradient("Pad")(_pad_grad)
RegisterGradient("PadV2")(_pad_grad)


@RegisterGradient("Fill")
def _fill_grad(op, grad):
    r = grad.shape.ndims
    axes = constant(np.arange(r, dtype=np.int32)) if r else \
        apply_op("Range", start=0, limit=rank(grad), delta=1, name="range")
    return None, apply_op("Sum", input=grad, reduction_indices=axes, keep_dims=False)


@RegisterGradient("BroadcastTo")
def _broadcast_to_grad(op, grad):
    x, target = op.inputs
    dt = target.dtype.base_dtype
    x_shape = shape(x, out_type=dt)
    known = constant_value(target)
    if known is not None:
        target = constant(np.asarray(known, dt.as_numpy_dtype))
    _, axes = apply_op("BroadcastGradientArgs", s0=target, s1=x_shape)
    g = apply_op("Sum", input=grad, reduction_indices=axes, keep_dims=True)
    return apply_op("Reshape", tensor=g, shape=x_shape), None


@RegisterGradient("ReverseSequence")
def _reverse_sequence_grad(op, grad):
    return [apply_op("ReverseSequence", input=grad, seq_lengths=op.inputs[1], seq_dim=op.get_attr("seq_dim"),
                     batch_dim=op.get_attr("batch_dim")), None]


@RegisterGradient("ReverseV2")
def _reverse_grad(op, grad):
    return apply_op("ReverseV2", tensor=grad, axis=op.inputs[1]), None


# -- gathers --------------------------------------------------------------------------------------

def _gather_slices(params_shape, indices, grad):
    """IndexedSlices of `grad` reshaped to [number of indices] + params_shape[1:]."""
    n = apply_op("ExpandDims", input=size(indices), dim=0)
    tail = array_ops.slice_helper(params_shape, slice(1, None))
    values = apply_op("Reshape", tensor=grad, shape=array_ops.concat([n, tail], 0))
    return IndexedSlices(values, apply_op("Reshape", tensor=indices, shape=n), params_shape)


def _params_shape(params):
    with params.graph.colocate_with(params.op):
        return shape(params)


@RegisterGradient("GatherV2")
def _gather_v2_grad(op, grad):
    params, indices, axis = op.inputs
    params_shape = _params_shape(params)
    a = constant_value(axis)
    batch_dims = int(op.get_attr("batch_dims"))
    if batch_dims < 0:
        if indices.shape.ndims is None:
            raise ValueError("Currently, it is unsupported to take the gradient of tf.gather when batch_dims < 0 "
                             "and the rank of the indices is unknown. Please pass a positive batch_dims or use "
                             "tf.ensure_shape to update the shape of indices when calling tf.gather. Got "
                             "batch_dims=%d and indices=%s" % (batch_dims, indices))
        batch_dims += indices.shape.ndims
    if a is not None and int(a) == 0:
        return _gather_slices(params_shape, indices, grad), None, None
    return _gather_axis_grad(params, params_shape, indices, axis, grad, batch_dims), None, None


def _gather_axis_grad(params, params_shape, indices, axis, grad, batch_dims):
    """A gather along another axis: move that axis just after the batch dims, sum rows by index
    (offset per batch), move it back."""
    from metarun.framework.indexed_slices import to_dense
    from metarun.ops import math_ops
    if isinstance(grad, IndexedSlices):
        grad = to_dense(grad)
    apply_op("ExpandDims", input=size(indices), dim=0)  # TF builds the indices' size here too, unused
    outer = array_ops.slice_helper(params_shape, slice(None, axis))
    inner = array_ops.slice_helper(array_ops.slice_helper(params_shape, slice(axis, None)), slice(1, None))
    values_shape = array_ops.concat([outer, [-1], inner], 0)
    values_dims = size(values_shape)
    axis_dims = size(outer)
    lead = math_ops.range(batch_dims)
    before = math_ops.range(batch_dims, axis_dims)
    after = math_ops.range(axis_dims + 1, values_dims)
    values = apply_op("Reshape", tensor=grad, shape=values_shape)
    perm = array_ops.concat([lead, [axis_dims], before, after], 0)
    moved = array_ops.transpose(values, perm)
    moved_params_shape = array_ops.gather(params_shape, perm)
    summed = _batch_gather_grad(moved_params_shape, moved, indices, batch_dims,
                                array_ops.slice_helper(params_shape, axis))
    back = array_ops.transpose(summed, array_ops.concat([lead, before + 1, [batch_dims], after], 0))
    return apply_op("Reshape", tensor=back, shape=shape(params))


def _batch_gather_grad(params_shape, values, indices, batch_dims, rows):
    """The rows of `values` summed by `indices` (made global across the batch dims first)."""
    from metarun.ops import math_ops
    indices_size = apply_op("ExpandDims", input=size(indices), dim=0)
    if batch_dims:
        values_shape = array_ops.shape(values)
        outer = array_ops.slice_helper(values_shape, slice(None, batch_dims))
        inner = array_ops.slice_helper(array_ops.slice_helper(values_shape, slice(batch_dims, None)),
                                       slice(1, None))
        batch_size = apply_op("Prod", input=outer, reduction_indices=[0], keep_dims=False)
        flat_values_shape = array_ops.concat([[-1], inner], 0)
        rows = rows * batch_size
        indices = _batch_indices(params_shape, indices, batch_dims)
        values = apply_op("Reshape", tensor=values, shape=flat_values_shape)
    flat = apply_op("Reshape", tensor=indices, shape=indices_size)
    summed = apply_op("UnsortedSegmentSum", data=values, segment_ids=flat, num_segments=rows)
    if batch_dims:
        summed = apply_op("Reshape", tensor=summed, shape=array_ops.concat([outer, flat_values_shape], 0))
    return summed


def _batch_indices(params_shape, indices, batch_dims):
    """`indices` plus each batch position's offset into the flattened batch dims."""
    from metarun.ops import math_ops
    dt = indices.dtype.base_dtype
    dims = math_ops.cast(params_shape, dt)
    out = indices
    accum = array_ops.ones((), dtype=dt)
    for dim in range(batch_dims, 0, -1):
        dim_value = array_ops.slice_helper(dims, dim - 1)
        accum = accum * array_ops.slice_helper(dims, dim)
        start = array_ops.zeros((), dtype=dt)
        step = array_ops.ones((), dtype=dt)
        dim_indices = math_ops.range(start, dim_value, step) * accum
        dim_shape = array_ops.concat([array_ops.tile([1], [dim - 1]), [dim_value],
                                      array_ops.tile([1], [array_ops.rank(indices) - dim])], axis=0)
        out = out + array_ops.reshape(dim_indices, dim_shape)
    return out


@RegisterGradient("Gather")
def _gather_grad(op, grad):
    return _gather_slices(_params_shape(op.inputs[0]), op.inputs[1], grad), None


@RegisterGradient("ResourceGather")
def _resource_gather_grad(op, grad):
    handle, indices = op.inputs
    known = _variable_shape(handle)
    params_shape = constant(np.array(known, np.int32)) if known is not None else \
        apply_op("VariableShape", input=handle, out_type=dtypes.int32)
    return _gather_slices(params_shape, indices, grad), None


def _variable_shape(handle):
    op = handle.op
    if op.type == "VarHandleOp":
        s = op.get_attr("shape")
        if s.is_fully_defined():
            return s.as_list()
    return None


@RegisterGradient("GatherNd")
def _gather_nd_grad(op, grad):
    params, indices = op.inputs
    ref_shape = shape(params, out_type=indices.dtype.base_dtype)
    return _gather_nd_slices(indices, grad, ref_shape), None


def _gather_nd_slices(indices, grad, ref_shape):
    # As TF's: rows picked by [N, 1] indices give IndexedSlices, any other indices a ScatterNd.
    if indices.shape.ndims == 2 and indices.shape.dims[-1] == 1:
        return IndexedSlices(grad, array_ops.squeeze(indices, axis=-1), ref_shape)
    return apply_op("ScatterNd", indices=indices, updates=grad, shape=ref_shape)


@RegisterGradient("ResourceGatherNd")
def _resource_gather_nd_grad(op, grad):
    handle, indices = op.inputs
    ref_shape = apply_op("VariableShape", input=handle, out_type=indices.dtype.base_dtype)
    return _gather_nd_slices(indices, grad, ref_shape), None


@RegisterGradient("UnsortedSegmentSum")
def _unsorted_segment_sum_grad(op, grad):
    return _gather_drop_negatives(grad, op.inputs[1]), None, None


def _gather_drop_negatives(params, ids):
    """Rows of `params` at `ids`, zeros where an id is negative (TF's layout: the mask reshaped to
    the gathered rank at run time, so ids of unknown shape work)."""
    from metarun.ops import math_ops
    clipped = math_ops.maximum(ids, array_ops.zeros_like(ids))
    gathered = array_ops.gather(params, clipped)
    is_positive = math_ops.greater_equal(ids, 0)
    positive_shape = array_ops.shape(is_positive)
    broadcastable = array_ops.concat(
        [positive_shape, array_ops.ones([array_ops.rank(gathered) - array_ops.rank(is_positive)],
                                        dtype=positive_shape.dtype)], axis=0)
    is_positive = array_ops.reshape(is_positive, broadcastable)
    is_positive = is_positive & array_ops.ones_like(gathered, dtype=dtypes.bool)  # TF names it "and"
    return array_ops.where_v2(is_positive, gathered, array_ops.zeros_like(gathered))


@RegisterGradient("MirrorPad")
def _mirror_pad_grad(op, grad):
    return apply_op("MirrorPadGrad", input=grad, paddings=op.inputs[1], mode=op.get_attr("mode")), None


# -- v1 forms, stitching and partitioning -----------------------------------------------------------

@RegisterGradient("Concat")
def _concat_v1_grad(op, grad):
    """TF1's Concat (axis first): the ConcatV2 gradient with the inputs reordered."""
    axis, values = op.inputs[0], list(op.inputs[1:])
    if len(values) == 1:
        return [None, grad]
    dim = _concat_dim_here(axis, grad) % rank(values[0])
    sizes = _input_shapes(values)
    offsets = apply_op("ConcatOffset", concat_dim=dim, shape=list(sizes))
    return [None] + [apply_op("Slice", input=grad, begin=b, size=s) for b, s in zip(offsets, sizes)]


@RegisterGradient("Reverse")
def _reverse_v1_grad(op, grad):
    return apply_op("Reverse", tensor=grad, dims=op.inputs[1]), None


@RegisterGradient("ConjugateTranspose")
def _conjugate_transpose_grad(op, grad):
    inverse = apply_op("InvertPermutation", x=op.inputs[1])
    return array_ops.transpose(grad, inverse, conjugate=True), None


@RegisterGradient("DynamicPartition")
def _dynamic_partition_grad(op, *grads):
    data, partitions = op.inputs
    from metarun.ops import math_ops
    prefix = shape(partitions)
    count = math_ops.reduce_prod(prefix)
    original = apply_op("Reshape", tensor=math_ops.range(count), shape=prefix)
    parts = apply_op("DynamicPartition", data=original, partitions=partitions,
                     num_partitions=op.get_attr("num_partitions"))
    stitched = apply_op("ParallelDynamicStitch", indices=list(parts), data=list(grads))
    return [apply_op("Reshape", tensor=stitched, shape=shape(data)), None]


def _dynamic_stitch_grad(op, grad):
    n = len(op.inputs) // 2
    indices = [op.inputs[i] if op.inputs[i].dtype.base_dtype == dtypes.int32 else
               apply_op("Cast", x=op.inputs[i], DstT=dtypes.int32) for i in range(n)]
    if isinstance(grad, IndexedSlices):
        rows = apply_op("Shape", input=op.outputs[0])[0]
        grad = apply_op("UnsortedSegmentSum", data=grad.values, segment_ids=grad.indices, num_segments=rows)
    return [None] * n + [apply_op("GatherV2", params=grad, indices=i, axis=0) for i in indices]


RegisterGradient("DynamicStitch")(_dynamic_stitch_grad)
RegisterGradient("ParallelDynamicStitch")(_dynamic_stitch_grad)
