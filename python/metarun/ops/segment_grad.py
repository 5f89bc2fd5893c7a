"""Gradients of the segment kernel family, built as TF's math_grad.py and array_grad.py build them:
Segment{Sum,Mean,Max,Min,Prod}, UnsortedSegment{Max,Min,Prod}, ScatterNd and MirrorPadGrad (whose
gradient is MirrorPad). UnsortedSegmentSum, MirrorPad, EnsureShape and LRN have theirs in
array_grad.py and nn_grad.py; TF has none for LRNGrad.
"""
from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op
from metarun.ops import array_ops, math_ops
from metarun.ops.gradients_impl import RegisterGradient


def _gather(params, indices):
    return array_ops.gather(params, indices)


def _select(condition, x, y):
    return array_ops.where_v2(condition, x, y)


def _gather_drop_negatives(params, ids, zero_clipped=None, is_positive=None):
    """Rows of `params` at `ids`, zero where an id is negative; also the clipped ids and the
    mask (broadcastable against the rows), to reuse. TF's _GatherDropNegatives: the mask is
    reshaped at run time, so ids of unknown rank work."""
    if zero_clipped is None:
        zero_clipped = math_ops.maximum(ids, array_ops.zeros_like(ids))
    gathered = _gather(params, zero_clipped)
    if is_positive is None:
        is_positive = math_ops.greater_equal(ids, 0)
        mask_shape = array_ops.shape(is_positive)
        ones = array_ops.ones(array_ops.expand_dims(array_ops.rank(gathered) - array_ops.rank(is_positive), 0),
                              dtype=mask_shape.dtype)
        is_positive = array_ops.reshape(is_positive, array_ops.concat([mask_shape, ones], 0))
        is_positive = math_ops.logical_and(is_positive, array_ops.ones_like(is_positive))
    return _select(is_positive, gathered, array_ops.zeros_like(gathered)), zero_clipped, is_positive


@RegisterGradient("SegmentSum")
def _segment_sum_grad(op, grad):
    return _gather(grad, op.inputs[1]), None


@RegisterGradient("SegmentMean")
def _segment_mean_grad(op, grad):
    data, ids = op.inputs
    ones_shape = array_ops.concat([array_ops.shape(ids),
                                   array_ops.ones(array_ops.expand_dims(array_ops.rank(data) - 1, 0),
                                                  dtype=dtypes.int32)], 0)
    counts = math_ops.segment_sum(array_ops.ones(ones_shape, dtype=grad.dtype), ids)
    return _gather(math_ops.divide(grad, counts), ids), None


@RegisterGradient("SegmentMax")
@RegisterGradient("SegmentMin")
def _segment_min_or_max_grad(op, grad):
    """The segment's gradient shared evenly among the elements equal to its result."""
    data, ids = op.inputs
    zeros = array_ops.zeros_like(data, dtype=data.dtype)
    is_selected = math_ops.equal(data, _gather(op.outputs[0], ids))
    num_selected = math_ops.segment_sum(math_ops.cast(is_selected, grad.dtype), ids)
    return _select(is_selected, _gather(math_ops.divide(grad, num_selected), ids), zeros), None


@RegisterGradient("SegmentProd")
def _segment_prod_grad(op, grad):
    """Product of the others: the output over the element, or (for the one zero of a segment)
    the product of the non-zeros; zero for segments with two zeros or more."""
    data, ids = op.inputs
    is_zero = math_ops.equal(data, 0)
    num_zeros = math_ops.segment_sum(math_ops.cast(is_zero, dtype=dtypes.int32), ids)
    grad = _select(math_ops.greater(num_zeros, 1), array_ops.zeros_like(grad), grad)
    non_zero_data = _select(is_zero, array_ops.ones_like(data), data)
    non_zero_prod = apply_op("SegmentProd", data=non_zero_data, segment_ids=ids)
    divided = math_ops.divide(_gather(op.outputs[0], ids), non_zero_data)
    partial = _select(is_zero, _gather(non_zero_prod, ids), divided)
    return _gather(grad, ids) * partial, None


@RegisterGradient("UnsortedSegmentMax")
@RegisterGradient("UnsortedSegmentMin")
def _unsorted_segment_min_or_max_grad(op, grad):
    data, ids, num_segments = op.inputs
    gathered, zero_clipped, is_positive = _gather_drop_negatives(op.outputs[0], ids)
    is_selected = math_ops.logical_and(math_ops.equal(data, gathered), is_positive)
    num_selected = math_ops.unsorted_segment_sum(math_ops.cast(is_selected, grad.dtype), ids, num_segments)
    weighted, _, _ = _gather_drop_negatives(math_ops.divide(grad, num_selected), None, zero_clipped, is_positive)
    return _select(is_selected, weighted, array_ops.zeros_like(weighted)), None, None


@RegisterGradient("UnsortedSegmentProd")
def _unsorted_segment_prod_grad(op, grad):
    data, ids, num_segments = op.inputs
    is_zero = math_ops.equal(data, 0)
    num_zeros = math_ops.unsorted_segment_sum(math_ops.cast(is_zero, dtype=dtypes.int32), ids, num_segments)
    grad = _select(math_ops.greater(num_zeros, 1), array_ops.zeros_like(grad), grad)
    non_zero_data = _select(is_zero, array_ops.ones_like(data), data)
    non_zero_prod = apply_op("UnsortedSegmentProd", data=non_zero_data, segment_ids=ids, num_segments=num_segments)
    zero_clipped = math_ops.maximum(ids, array_ops.zeros_like(ids))
    divided = math_ops.divide(_gather(op.outputs[0], zero_clipped), data)  # may hold inf/nan, not selected
    partial = _select(is_zero, _gather(non_zero_prod, zero_clipped), divided)
    gathered_grad = _gather_drop_negatives(grad, ids, zero_clipped)[0]
    return gathered_grad * partial, None, None


@RegisterGradient("ScatterNd")
def _scatter_nd_grad(op, grad):
    indices = op.inputs[0]
    return None, array_ops.gather_nd(grad, indices), None


@RegisterGradient("MirrorPadGrad")
def _mirror_pad_grad_grad(op, grad):
    return apply_op("MirrorPad", input=grad, paddings=op.inputs[1], mode=op.get_attr("mode")), None
