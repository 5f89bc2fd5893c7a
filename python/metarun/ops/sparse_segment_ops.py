"""Sparse segment reductions (tf.sparse_segment_sum / mean / sqrt_n, also under tf.sparse),
unsorted_segment_mean / sqrt_n, and the counting functions (tf.bincount, histogram_fixed_width,
histogram_fixed_width_bins), built as TF's math_ops.py, bincount_ops.py and histogram_ops.py build
them; the gradients of the SparseSegment* ops as TF's math_grad.py registers them (the dense
SparseSegment*Grad kernels, or with sparse_gradient the V2 kernels' IndexedSlices); and the static
shapes of these ops and of the set ops (ops/sets_impl.py).
"""
from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.indexed_slices import IndexedSlices
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops import array_ops, control_flow_ops, math_ops
from metarun.ops.gradients_impl import RegisterGradient
from metarun.ops.scopes import name_scope


def _sparse_segment(reduction, data, indices, segment_ids, name, num_segments, sparse_gradient):
    if num_segments is not None:
        return apply_op("SparseSegment%sWithNumSegments" % reduction, data=data, indices=indices,
                        segment_ids=segment_ids, num_segments=num_segments, sparse_gradient=sparse_gradient,
                        name=name)
    return apply_op("SparseSegment%s" % reduction, data=data, indices=indices, segment_ids=segment_ids,
                    sparse_gradient=sparse_gradient, name=name)


def sparse_segment_sum(data, indices, segment_ids, name=None, num_segments=None, sparse_gradient=False):
    return _sparse_segment("Sum", data, indices, segment_ids, name, num_segments, sparse_gradient)


def sparse_segment_mean(data, indices, segment_ids, name=None, num_segments=None, sparse_gradient=False):
    return _sparse_segment("Mean", data, indices, segment_ids, name, num_segments, sparse_gradient)


def sparse_segment_sqrt_n(data, indices, segment_ids, name=None, num_segments=None, sparse_gradient=False):
    return _sparse_segment("SqrtN", data, indices, segment_ids, name, num_segments, sparse_gradient)


def _unsorted_segment_n(data, segment_ids, num_segments):
    """How many ids each segment has (at least 1), shaped to divide the segment sums."""
    num_segments = convert_to_tensor(num_segments)
    ones_tensor = array_ops.ones(array_ops._shape_internal(segment_ids), dtype=data.dtype)
    n = math_ops.unsorted_segment_sum(ones_tensor, segment_ids, num_segments)
    broadcastable_shape = array_ops.concat(
        [num_segments[array_ops.newaxis],
         array_ops.ones([array_ops.rank(data) - array_ops.rank(segment_ids)], dtype=num_segments.dtype)], axis=0)
    n = array_ops.reshape(n, broadcastable_shape)
    return math_ops.maximum(n, 1)


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    with name_scope(name, "UnsortedSegmentMean"):
        data = convert_to_tensor(data)
        segment_ids = convert_to_tensor(segment_ids)
        n = _unsorted_segment_n(data, segment_ids, num_segments)
        summed = math_ops.unsorted_segment_sum(data, segment_ids, num_segments)
        return summed / n


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    with name_scope(name, "UnsortedSegmentSqrtN"):
        data = convert_to_tensor(data)
        segment_ids = convert_to_tensor(segment_ids)
        n = _unsorted_segment_n(data, segment_ids, num_segments)
        summed = math_ops.unsorted_segment_sum(data, segment_ids, num_segments)
        return summed / math_ops.sqrt(n)


# -- counting ---------------------------------------------------------------------------------------

def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=dtypes.int32):
    """tf.compat.v1.bincount: TF 2's DenseBincount along axis 0, sized max(arr) + 1 (0 when empty)
    clipped to [minlength, maxlength]."""
    with name_scope("bincount"):
        arr = convert_to_tensor(arr, name="arr")
        if weights is not None:
            weights = convert_to_tensor(weights, name="weights")
        if not arr.dtype.is_integer:
            arr = math_ops.cast(arr, dtypes.int32)
        array_is_nonempty = math_ops.greater(array_ops.size(arr), 0)
        output_size = math_ops.cast(array_is_nonempty, arr.dtype) * (math_ops.reduce_max(arr) + 1)
        if minlength is not None:
            minlength = convert_to_tensor(minlength, name="minlength", dtype=arr.dtype)
            output_size = math_ops.maximum(minlength, output_size)
        if maxlength is not None:
            maxlength = convert_to_tensor(maxlength, name="maxlength", dtype=arr.dtype)
            output_size = math_ops.minimum(maxlength, output_size)
        if weights is not None:
            weights = array_ops.reshape(weights, [-1])
        arr = array_ops.reshape(arr, [-1])
        if weights is None:
            weights = constant([], dtype=dtype if dtype else arr.dtype)
        return apply_op("DenseBincount", input=arr, size=output_size, weights=weights, binary_output=False)


def histogram_fixed_width(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    with name_scope(name, "histogram_fixed_width", [values, value_range, nbins]) as name:
        return apply_op("HistogramFixedWidth", values=values, value_range=value_range, nbins=nbins,
                        dtype=dtypes.as_dtype(dtype), name=name)


def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    with name_scope(name, "histogram_fixed_width_bins", [values, value_range, nbins]):
        values = convert_to_tensor(values, name="values")
        shape = array_ops.shape(values)
        values = array_ops.reshape(values, [-1])
        value_range = convert_to_tensor(value_range, name="value_range")
        nbins = convert_to_tensor(nbins, dtype=dtypes.int32, name="nbins")
        check = control_flow_ops.Assert(math_ops.greater(nbins, 0), ["nbins %s must > 0" % nbins])
        nbins = control_flow_ops.with_dependencies([check], nbins)
        nbins_float = math_ops.cast(nbins, values.dtype)
        scaled_values = math_ops.truediv(values - value_range[0], value_range[1] - value_range[0],
                                         name="scaled_values")
        indices = math_ops.floor(nbins_float * scaled_values, name="indices")
        indices = math_ops.cast(math_ops.clip_by_value(indices, 0, nbins_float - 1), dtypes.int32)
        return array_ops.reshape(indices, shape)


# -- gradients ----------------------------------------------------------------------------------------

def _sparse_grad_v2(op, grad, reduction):
    data_shape = array_ops.shape(op.inputs[0])
    values, unique = apply_op("SparseSegment%sGradV2" % reduction, grad=grad, indices=op.inputs[1],
                              segment_ids=op.inputs[2], dense_output_dim0=data_shape[0])
    return IndexedSlices(values, unique, data_shape)


def _sparse_segment_grad(reduction, with_num):
    def grad_fn(op, grad):
        nones = (None,) * (3 if with_num else 2)
        if op.get_attr("sparse_gradient"):
            return (_sparse_grad_v2(op, grad, reduction),) + nones
        dim0 = array_ops.shape(op.inputs[0])[0]
        return (apply_op("SparseSegment%sGrad" % reduction, grad=grad, indices=op.inputs[1],
                         segment_ids=op.inputs[2], output_dim0=dim0),) + nones
    return grad_fn


for _reduction in ("Sum", "Mean", "SqrtN"):
    RegisterGradient("SparseSegment%s" % _reduction)(_sparse_segment_grad(_reduction, False))
    RegisterGradient("SparseSegment%sWithNumSegments" % _reduction)(_sparse_segment_grad(_reduction, True))


# -- static shapes --------------------------------------------------------------------------------------

def _rows_then(n, shape):
    if shape.ndims is None:
        return TensorShape(None)
    return TensorShape([n] + shape.dims[1:])


@si.register(*["SparseSegment%s%s" % (r, s) for r in ("Sum", "Mean", "SqrtN") for s in ("", "WithNumSegments")])
def _sparse_segment_shape(op):
    n = si.constant_value(op.inputs[3]) if len(op.inputs) > 3 else None
    return [_rows_then(None if n is None else int(n), op.inputs[0].shape)]


@si.register("SparseSegmentSumGrad", "SparseSegmentMeanGrad", "SparseSegmentSqrtNGrad")
def _sparse_segment_grad_shape(op):
    n = si.constant_value(op.inputs[3])
    return [_rows_then(None if n is None else int(n), op.inputs[0].shape)]


@si.register("SparseSegmentSumGradV2", "SparseSegmentMeanGradV2", "SparseSegmentSqrtNGradV2")
def _sparse_segment_grad_v2_shape(op):
    return [_rows_then(None, op.inputs[0].shape), TensorShape([None])]


@si.register("DenseToDenseSetOperation", "DenseToSparseSetOperation")
def _dense_set_shape(op):
    rank = op.inputs[0].shape.ndims
    return [TensorShape([None, rank]), TensorShape([None]), TensorShape([rank])]


@si.register("SparseToSparseSetOperation")
def _sparse_set_shape(op):
    rank = None
    for shape_input in (op.inputs[2], op.inputs[5]):  # the lengths of the dense shapes
        if shape_input.shape.ndims == 1 and shape_input.shape.dims[0] is not None:
            rank = shape_input.shape.dims[0]
    return [TensorShape([None, rank]), TensorShape([None]), TensorShape([rank])]


@si.register("SetSize")
def _set_size_shape(op):
    return [TensorShape(None)]


@si.register("DenseBincount")
def _dense_bincount_shape(op):
    size = si.constant_value(op.inputs[1])
    size = None if size is None else int(size)
    x = op.inputs[0].shape
    if x.ndims == 2:
        return [TensorShape([x.dims[0], size])]
    return [TensorShape([size]) if x.ndims is not None else TensorShape(None)]


@si.register("SparseBincount")
def _sparse_bincount_shape(op):
    return [TensorShape(None)]


@si.register("HistogramFixedWidth")
def _histogram_shape(op):
    n = si.constant_value(op.inputs[2])
    return [TensorShape([None if n is None else int(n)])]
