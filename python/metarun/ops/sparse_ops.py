"""tf.sparse: the ops on SparseTensors, node for node as TF 2.21's sparse_ops.py builds them
(tf.compat.v1 signatures, deprecated argument names included), and the shape functions of the
sparse kernels (cpp/kernels/sparse_ops.cpp, sparse_ops_2.cpp)."""
import numbers

import numpy as np

from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.graph import Tensor
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.sparse_tensor import SparseTensor, SparseTensorValue
from metarun.framework.tensor_shape import TensorShape
from metarun.ops import array_ops, math_ops
from metarun.ops.scopes import name_scope


def _convert_to_sparse_tensor(sp_input):
    if isinstance(sp_input, SparseTensorValue):
        return SparseTensor.from_value(sp_input)
    if not isinstance(sp_input, SparseTensor):
        raise TypeError("Input must be a SparseTensor.")
    return sp_input


def _convert_to_sparse_tensors(sp_inputs):
    if isinstance(sp_inputs, list):
        return [_convert_to_sparse_tensor(s) for s in sp_inputs]
    if isinstance(sp_inputs, tuple):
        return tuple(_convert_to_sparse_tensor(s) for s in sp_inputs)
    raise TypeError("Inputs must be a list or tuple.")


def _deprecated_lookup(new_name, new_value, old_name, old_value):
    if old_value is not None:
        if new_value is not None:
            raise ValueError("Cannot specify both '%s' and '%s'" % (old_name, new_name))
        return old_value
    return new_value


def _assert_rank_1(shape):
    if shape.ndims is not None and shape.ndims != 1:
        raise ValueError("Shape %s must have rank 1" % shape)


def _make_int64_tensor(value, name):
    if isinstance(value, numbers.Integral):
        return convert_to_tensor(value, name=name, dtype=dtypes.int64)
    if not isinstance(value, Tensor):
        raise TypeError("{} must be an integer value".format(name))
    if value.dtype == dtypes.int64:
        return value
    return math_ops.cast(value, dtypes.int64)


def _reduction_dims(sp_input, axis):
    """TF's _ReductionDims for a SparseTensor: every axis when its rank is static."""
    if axis is not None:
        return axis
    n = sp_input.dense_shape.shape.dims
    if n is not None and n[0]:
        return convert_to_tensor(np.arange(n[0], dtype=np.int32))
    return math_ops.range(0, apply_op("Size", input=sp_input.dense_shape, out_type=dtypes.int32))


# -- building and converting -------------------------------------------------------------

def from_dense(tensor, name=None):
    with name_scope(name, "dense_to_sparse"):
        tensor = convert_to_tensor(tensor)
        indices = array_ops.where_v2(math_ops.not_equal(tensor, array_ops.zeros_like(tensor)))
        values = array_ops.gather_nd(tensor, indices)
        shape = array_ops.shape(tensor, out_type=dtypes.int64)
        return SparseTensor(indices, values, shape)


def sparse_tensor_to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    sp_input = _convert_to_sparse_tensor(sp_input)
    if default_value is None:
        default_value = array_ops.zeros([], dtype=sp_input.dtype)
    return apply_op("SparseToDense", sparse_indices=sp_input.indices, output_shape=sp_input.dense_shape,
                    sparse_values=sp_input.values, default_value=default_value,
                    validate_indices=validate_indices, name=name)


def sparse_to_dense(sparse_indices, output_shape, sparse_values, default_value=0, validate_indices=True, name=None):
    return apply_op("SparseToDense", sparse_indices=sparse_indices, output_shape=output_shape,
                    sparse_values=sparse_values, default_value=default_value, validate_indices=validate_indices,
                    name=name)


def sparse_eye(num_rows, num_columns=None, dtype=dtypes.float32, name=None):
    with name_scope(name, "eye", [num_rows, num_columns]):
        num_rows = _make_int64_tensor(num_rows, "num_rows")
        num_columns = num_rows if num_columns is None else _make_int64_tensor(num_columns, "num_columns")
        diag_size = math_ops.minimum(num_rows, num_columns)
        diag_range = math_ops.range(diag_size, dtype=dtypes.int64)
        return SparseTensor(indices=array_ops.stack([diag_range, diag_range], axis=1),
                            values=array_ops.ones(diag_size, dtype=dtype), dense_shape=[num_rows, num_columns])


def sparse_expand_dims(sp_input, axis=None, name=None):
    rank = sp_input.dense_shape.shape.dims[0] if sp_input.dense_shape.shape.dims is not None else None
    if rank is None:
        rank = array_ops.shape(sp_input.dense_shape)[0]
    axis = -1 if axis is None else axis
    with name_scope(name, "expand_dims", [sp_input]):
        if isinstance(axis, numbers.Integral):
            axis = convert_to_tensor(axis, name="axis", dtype=dtypes.int32)
        elif not isinstance(axis, Tensor):
            raise TypeError("axis must be an integer value in range [-rank(sp_input) - 1, rank(sp_input)]")
        axis = array_ops.where_v2(axis >= 0, axis, axis + rank + 1)
        column_size = array_ops.shape(sp_input.indices)[0]
        new_index = array_ops.zeros([column_size, 1], dtype=dtypes.int64)
        indices_before = array_ops.slice(sp_input.indices, [0, 0], [-1, axis])
        indices_after = array_ops.slice(sp_input.indices, [0, axis], [-1, -1])
        indices = array_ops.concat([indices_before, new_index, indices_after], axis=1)
        shape_before = array_ops.slice(sp_input.dense_shape, [0], [axis])
        shape_after = array_ops.slice(sp_input.dense_shape, [axis], [-1])
        new_shape = convert_to_tensor([1], name="new_shape", dtype=dtypes.int64)
        shape = array_ops.concat([shape_before, new_shape, shape_after], axis=0)
        out = SparseTensor(indices=indices, values=sp_input.values, dense_shape=shape)
        # TF's constant_value_as_shape does not look through Slice: the sliced parts stay unknown.
        lengths = [_vec_len(shape_before), _vec_len(shape_after)]
        out._dense_shape_default = (TensorShape(None) if None in lengths
                                    else TensorShape([None] * lengths[0] + [1] + [None] * lengths[1]))
        return out


# -- arithmetic ------------------------------------------------------------------------------

def sparse_add(a, b, threshold=None, thresh=None):
    threshold = _deprecated_lookup("threshold", threshold, "thresh", thresh)
    if threshold is None:
        threshold = 0
    sparse_classes = (SparseTensor, SparseTensorValue)
    if not any(isinstance(x, sparse_classes) for x in (a, b)):
        raise TypeError("At least one input should be SparseTensor; do you mean to use tf.add()?")
    if all(isinstance(x, sparse_classes) for x in (a, b)):
        a = _convert_to_sparse_tensor(a)
        b = _convert_to_sparse_tensor(b)
        threshold = convert_to_tensor(threshold, dtype=a.values.dtype.real_dtype.base_dtype, name="threshold")
        ind, val, shape = apply_op("SparseAdd", a_indices=a.indices, a_values=a.values, a_shape=a.dense_shape,
                                   b_indices=b.indices, b_values=b.values, b_shape=b.dense_shape, thresh=threshold)
        if not a.get_shape().is_compatible_with(b.get_shape()):
            raise ValueError("Shapes %s and %s are incompatible" % (a.get_shape(), b.get_shape()))
        static = si.broadcast(a.get_shape(), b.get_shape())
        if static.is_fully_defined():
            shape = static.as_list()
        return SparseTensor(ind, val, shape)
    if isinstance(b, sparse_classes):
        a, b = b, a
    return apply_op("SparseTensorDenseAdd", a_indices=a.indices, a_values=a.values, a_shape=a.dense_shape, b=b)


def sparse_tensor_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    if isinstance(b, (SparseTensor, SparseTensorValue)):
        if adjoint_a != adjoint_b:
            return array_ops.transpose(sparse_tensor_dense_matmul(b, sp_a, adjoint_a, adjoint_b))
        return array_ops.transpose(sparse_tensor_dense_matmul(b, sp_a, adjoint_a=not adjoint_a,
                                                              adjoint_b=not adjoint_b))
    sp_a = _convert_to_sparse_tensor(sp_a)
    with name_scope(name, "SparseTensorDenseMatMul", [sp_a.indices, sp_a.values, b]):
        b = convert_to_tensor(b, name="b")
        return apply_op("SparseTensorDenseMatMul", a_indices=sp_a.indices, a_values=sp_a.values,
                        a_shape=sp_a.dense_shape, b=b, adjoint_a=adjoint_a, adjoint_b=adjoint_b)


def sparse_dense_cwise_add(sp_t, dense_t):
    result = apply_op("SparseDenseCwiseAdd", sp_indices=sp_t.indices, sp_values=sp_t.values,
                      sp_shape=sp_t.dense_shape, dense=dense_t)
    return SparseTensor(sp_t.indices, result, sp_t.dense_shape)


def _sparse_sparse_min_or_max(op_type, sp_a, sp_b, name):
    with name_scope(name, op_type, [sp_a.indices, sp_a.values, sp_b.indices, sp_b.values]) as name:
        ind, val = apply_op(op_type, a_indices=sp_a.indices, a_values=sp_a.values, a_shape=sp_a.dense_shape,
                            b_indices=sp_b.indices, b_values=sp_b.values, b_shape=sp_b.dense_shape, name=name)
    return SparseTensor(ind, val, sp_a.dense_shape)


def sparse_maximum(sp_a, sp_b, name=None):
    return _sparse_sparse_min_or_max("SparseSparseMaximum", sp_a, sp_b, name)


def sparse_minimum(sp_a, sp_b, name=None):
    return _sparse_sparse_min_or_max("SparseSparseMinimum", sp_a, sp_b, name)


def sparse_softmax(sp_input, name=None):
    with name_scope(name, "SparseSoftmax", [sp_input.indices, sp_input.values]):
        out = apply_op("SparseSoftmax", sp_indices=sp_input.indices, sp_values=sp_input.values,
                       sp_shape=sp_input.dense_shape)
        return SparseTensor(sp_input.indices, out, sp_input.dense_shape)


# SparseTensor * dense and SparseTensor / dense, as TF's operator overrides build them.
_TRUEDIV_CAST = {dtypes.uint8: dtypes.float32, dtypes.int8: dtypes.float32, dtypes.uint16: dtypes.float32,
                 dtypes.int16: dtypes.float32, dtypes.uint32: dtypes.float64, dtypes.int32: dtypes.float64,
                 dtypes.uint64: dtypes.float64, dtypes.int64: dtypes.float64}
_TRUEDIV_OK = {dtypes.bfloat16, dtypes.float16, dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128}


def _sparse_operator(sp_x, y, op_name):
    with name_scope(None, op_name, [sp_x, y]) as name:
        y = convert_to_tensor(y, dtype=sp_x.dtype.base_dtype, name="y")
        if op_name == "mul":
            values = apply_op("SparseDenseCwiseMul", sp_indices=sp_x.indices, sp_values=sp_x.values,
                              sp_shape=sp_x.dense_shape, dense=y, name=name)
        else:
            values = _sparse_dense_truediv(sp_x.indices, sp_x.values, sp_x.dense_shape, y, name=name)
        return SparseTensor(sp_x.indices, values, sp_x.dense_shape)


def _sparse_dense_truediv(sp_indices, sp_values, sp_shape, y, name=None):
    with name_scope(name, "truediv", [sp_indices, sp_values, sp_shape, y]) as name:
        sp_values = convert_to_tensor(sp_values, name="sp_values")
        y = convert_to_tensor(y, name="y")
        x_dtype, y_dtype = sp_values.dtype.base_dtype, y.dtype.base_dtype
        if x_dtype != y_dtype:
            raise TypeError("`x` and `y` must have the same dtype, got %r != %r." % (x_dtype, y_dtype))
        if x_dtype not in _TRUEDIV_CAST and x_dtype not in _TRUEDIV_OK:
            raise TypeError("Invalid dtype %r in __truediv__." % (x_dtype,))
        if x_dtype in _TRUEDIV_CAST:
            sp_values = apply_op("Cast", x=sp_values, DstT=_TRUEDIV_CAST[x_dtype])
            y = apply_op("Cast", x=y, DstT=_TRUEDIV_CAST[x_dtype])
        return apply_op("SparseDenseCwiseDiv", sp_indices=sp_indices, sp_values=sp_values, sp_shape=sp_shape,
                        dense=y, name=name)


SparseTensor.__mul__ = lambda self, other: _sparse_operator(self, other, "mul")
SparseTensor.__truediv__ = lambda self, other: _sparse_operator(self, other, "truediv")
SparseTensor.__div__ = SparseTensor.__truediv__


# -- reordering, reshaping, slicing ---------------------------------------------------------

def sparse_reorder(sp_input, name=None):
    sp_input = _convert_to_sparse_tensor(sp_input)
    ind, val = apply_op("SparseReorder", input_indices=sp_input.indices, input_values=sp_input.values,
                        input_shape=sp_input.dense_shape, name=name)
    if sp_input.get_shape().is_fully_defined():
        return SparseTensor(ind, val, sp_input.get_shape().as_list())
    out = SparseTensor(ind, val, array_ops.identity(sp_input.dense_shape))
    out.set_shape(sp_input.shape)
    return out


def sparse_reshape(sp_input, shape, name=None):
    sp_input = _convert_to_sparse_tensor(sp_input)
    shape = math_ops.cast(shape, dtype=dtypes.int64)
    with name_scope(name, "SparseReshape", [sp_input]) as name:
        ind, reshaped_shape = apply_op("SparseReshape", input_indices=sp_input.indices,
                                       input_shape=sp_input.dense_shape, new_shape=shape, name=name)
        const = si.constant_shape(shape)
        const = const.as_list() if const.ndims is not None else None
        if const is not None and sp_input.shape.is_fully_defined():
            by_user = si.constant_value(shape)
            if by_user is not None and sum(int(d) == -1 for d in by_user) > 1:
                raise ValueError("At most one dimension can be inferred (-1). Found: %s" % by_user)
            original = list(const)
            in_size = int(np.prod(sp_input.shape.as_list()))
            implied = sum(d is None for d in const)
            if implied == 1 and 0 not in const:
                at = original.index(None)
                const[at] = int(in_size // np.prod(original[:at] + original[at + 1:]))
            if implied == 0 or (implied == 1 and 0 not in const):
                size = int(np.prod(const))
                if size != in_size:
                    raise ValueError("Cannot reshape a tensor with %d elements to shape %s (%d elements)."
                                     % (in_size, original, size))
                reshaped_shape = convert_to_tensor(np.array(const, np.int64), dtype=dtypes.int64)
        return SparseTensor(ind, array_ops.identity(sp_input.values), reshaped_shape)


def sparse_concat(axis, sp_inputs, name=None, expand_nonconcat_dim=False, concat_dim=None,
                  expand_nonconcat_dims=None):
    if expand_nonconcat_dims is not None:
        expand_nonconcat_dim = expand_nonconcat_dims
    axis = _deprecated_lookup("axis", axis, "concat_dim", concat_dim)
    sp_inputs = _convert_to_sparse_tensors(sp_inputs)
    if len(sp_inputs) == 1:
        return sp_inputs[0]
    inds = [s.indices for s in sp_inputs]
    vals = [s.values for s in sp_inputs]
    shapes = [s.dense_shape for s in sp_inputs]
    if expand_nonconcat_dim:
        max_shape = math_ops.reduce_max(array_ops.concat([array_ops.reshape(s, [1, -1]) for s in shapes], 0), 0)
        shapes = [array_ops.concat([max_shape[:axis], s[-1:] if axis == -1 else s[axis:axis + 1],
                                    [] if axis == -1 else max_shape[axis + 1:]], 0) for s in shapes]
    out_ind, out_val, out_shape = apply_op("SparseConcat", indices=inds, values=vals, shapes=shapes,
                                           concat_dim=axis, name=name)
    input_shapes = [s.shape for s in sp_inputs]
    if all(s.ndims is not None for s in input_shapes):
        if expand_nonconcat_dim:
            static = [max(s.dims[d] for s in input_shapes) if all(s.dims[d] is not None for s in input_shapes)
                      else None for d in range(input_shapes[0].ndims)]
        else:
            static = input_shapes[0].as_list()
        parts = [s.dims[axis] for s in input_shapes]
        static[axis] = None if any(p is None for p in parts) else sum(parts)
        static = TensorShape(static)
    else:
        static = TensorShape(None)
    if all(s.is_fully_defined() for s in input_shapes):
        return SparseTensor(out_ind, out_val, convert_to_tensor(static.as_list(), dtype=dtypes.int64))
    out = SparseTensor(out_ind, out_val, out_shape)
    out.set_shape(static)
    return out


def sparse_slice(sp_input, start, size, name=None):
    sp_input = _convert_to_sparse_tensor(sp_input)
    start = convert_to_tensor(start, dtypes.int64)
    size = convert_to_tensor(size, dtypes.int64)
    with name_scope(name, "SparseSlice", [sp_input]) as name:
        ind, val, shape = apply_op("SparseSlice", indices=sp_input.indices, values=sp_input.values,
                                   shape=sp_input.dense_shape, start=start, size=size, name=name)
        return SparseTensor(ind, val, shape)


class _KeywordRequired(object):
    def __repr__(self):
        return "KeywordRequired()"


def sparse_split(keyword_required=_KeywordRequired(), sp_input=None, num_split=None, axis=None, name=None,
                 split_dim=None):
    if not isinstance(keyword_required, _KeywordRequired):
        raise ValueError("Keyword arguments are required for this function.")
    if sp_input is None:
        raise ValueError("sp_input is required")
    if num_split is None:
        raise ValueError("num_split is required")
    if axis is None:
        raise ValueError("axis is required")
    axis = _deprecated_lookup("axis", axis, "split_dim", split_dim)
    sp_input = _convert_to_sparse_tensor(sp_input)
    inds, vals, shapes = apply_op("SparseSplit", split_dim=axis, indices=sp_input.indices, values=sp_input.values,
                                  shape=sp_input.dense_shape, num_split=num_split, name=name)
    return [SparseTensor(inds[i], vals[i], shapes[i]) for i in range(num_split)]


def sparse_matmul(a, b, transpose_a=False, transpose_b=False, a_is_sparse=False, b_is_sparse=False, name=None):
    """tf.sparse_matmul: TF's SparseMatMul op (a float32 product of float32/bfloat16 matrices)."""
    return apply_op("SparseMatMul", a=a, b=b, transpose_a=transpose_a, transpose_b=transpose_b,
                    a_is_sparse=a_is_sparse, b_is_sparse=b_is_sparse, name=name)


def sparse_transpose(sp_input, perm=None, name=None):
    with name_scope(name, "SparseTranspose", [sp_input]):
        if perm is None:
            if sp_input.shape.ndims is not None:
                rank = sp_input.shape.ndims
                perm = (rank - 1) - np.arange(0, rank, 1)
            else:
                rank = apply_op("Size", input=sp_input.dense_shape, out_type=dtypes.int32)
                perm = (rank - 1) - math_ops.range(0, rank, 1)
        indices = sp_input.indices
        transposed_indices = array_ops.transpose(array_ops.gather(array_ops.transpose(indices), perm))
        perm_ = si.constant_value(convert_to_tensor(perm))
        if perm_ is not None and sp_input.get_shape().is_fully_defined():
            old = sp_input.get_shape().as_list()
            dense_shape = [old[p] for p in perm_]
        else:
            dense_shape = array_ops.gather(sp_input.dense_shape, perm)
        return sparse_reorder(SparseTensor(transposed_indices, sp_input.values, dense_shape))


def sparse_retain(sp_input, to_retain):
    sp_input = _convert_to_sparse_tensor(sp_input)
    to_retain = convert_to_tensor(to_retain)
    retain_shape = to_retain.get_shape()
    _assert_rank_1(retain_shape)
    if sp_input.values.get_shape().dims is not None and retain_shape.dims[0] is not None:
        n = sp_input.values.get_shape().dims[0]
        if n is not None and n != retain_shape.dims[0]:
            raise ValueError("Dimensions %d and %d are not compatible" % (n, retain_shape.dims[0]))
    where_true = array_ops.reshape(array_ops.where_v2(to_retain), [-1])
    new_indices = array_ops.gather(sp_input.indices, where_true)
    new_values = array_ops.gather(sp_input.values, where_true)
    return SparseTensor(new_indices, new_values, array_ops.identity(sp_input.dense_shape))


def sparse_reset_shape(sp_input, new_shape=None):
    from metarun.ops import check_ops, control_flow_ops
    sp_input = _convert_to_sparse_tensor(sp_input)
    in_indices = array_ops.identity(sp_input.indices)
    in_values = array_ops.identity(sp_input.values)
    in_shape = array_ops.identity(sp_input.dense_shape)
    if new_shape is None:
        dim_low_bound = math_ops.reduce_max(in_indices, axis=0)
        out = math_ops.maximum(array_ops.constant(0, dtype=dtypes.int64),
                               math_ops.add(dim_low_bound, array_ops.ones_like(in_shape)))
    else:
        out = convert_to_tensor(new_shape)
        _assert_rank_1(out.get_shape())
        out = math_ops.cast(out, dtypes.int64)
        const = si.constant_value(out)
        if const is not None and sp_input.get_shape().is_fully_defined():
            in_const = np.array(sp_input.get_shape().as_list())
            if not np.all(in_const <= const):
                raise ValueError("Requested new_shape should have dimension sizes >= sp_input.shape.  Found "
                                 "new_shape (%s), sp_input.shape (%s)." % (in_const, const))
            out = const
        else:
            out = control_flow_ops.with_dependencies(
                [check_ops.assert_equal(array_ops.shape(in_shape), array_ops.shape(out))], out)
            out = control_flow_ops.with_dependencies([check_ops.assert_less_equal(in_shape, out)], out)
    return SparseTensor(in_indices, in_values, out)


def sparse_fill_empty_rows(sp_input, default_value, name=None):
    sp_input = _convert_to_sparse_tensor(sp_input)
    with name_scope(name, "SparseFillEmptyRows", [sp_input]):
        default_value = convert_to_tensor(default_value, dtype=sp_input.values.dtype)
        ind, val, empty, _ = apply_op("SparseFillEmptyRows", indices=sp_input.indices, values=sp_input.values,
                                      dense_shape=sp_input.dense_shape, default_value=default_value)
        return SparseTensor(indices=ind, values=val, dense_shape=sp_input.dense_shape), empty


def sparse_mask(a, mask_indices, name=None):
    """tf.sparse.mask: the IndexedSlices `a` without the rows of `mask_indices`."""
    from metarun.framework.indexed_slices import IndexedSlices
    with name_scope(name, "sparse_mask", [a, mask_indices]) as name:
        indices = a.indices
        out_indices, to_gather = apply_op("ListDiff", x=indices, y=mask_indices, out_idx=dtypes.int32)
        out_values = array_ops.gather(a.values, to_gather, name=name)
        return IndexedSlices(out_values, out_indices, a.dense_shape)


def sparse_merge_impl(sp_ids, sp_values, vocab_size, name=None, already_sorted=False):
    if isinstance(sp_ids, (SparseTensorValue, SparseTensor)):
        sp_ids = [sp_ids]
        if not isinstance(vocab_size, (Tensor, numbers.Integral)):
            raise TypeError("vocab_size has to be a Tensor or Python int. Found %s" % type(vocab_size))
        vocab_size = [vocab_size]
    else:
        if not isinstance(sp_ids, (list, tuple)):
            raise TypeError("sp_ids has to be a SparseTensor or list thereof. Found %s" % type(sp_ids))
        if not isinstance(vocab_size, (list, tuple)):
            raise TypeError("vocab_size has to be a list of Tensors or Python ints. Found %s" % type(vocab_size))
    if len(sp_ids) != len(vocab_size):
        raise ValueError("sp_ids and vocab_size have to have equal lengths.")
    with name_scope(name, "SparseMerge", [sp_ids, sp_values]):
        sp_ids = [_convert_to_sparse_tensor(s) for s in sp_ids]
        sp_values = _convert_to_sparse_tensor(sp_values)
        ids = []
        for s in sp_ids:
            ids_dim = s.values
            if s.dtype != dtypes.int64:
                ids_dim = math_ops.cast(ids_dim, dtypes.int64)
            ids += [array_ops.expand_dims(ids_dim, axis=1)]
        vocab_size = [math_ops.cast(x, dtypes.int64) for x in vocab_size]
        preserved = sp_ids[0].indices[:, :-1]
        new_indices = array_ops.concat([preserved] + ids, 1)
        new_shape = array_ops.concat([sp_ids[0].dense_shape[:-1], vocab_size], 0)
        result = SparseTensor(new_indices, sp_values.values, new_shape)
        if already_sorted:
            return result
        sorted_result = sparse_reorder(result)
        return SparseTensor(sorted_result.indices, sorted_result.values, new_shape)


def sparse_merge(sp_ids, sp_values, vocab_size, name=None, already_sorted=False):
    return sparse_merge_impl(sp_ids, sp_values, vocab_size, name, already_sorted)


def sparse_to_indicator(sp_input, vocab_size, name=None):
    sp_input = _convert_to_sparse_tensor(sp_input)
    with name_scope(name, "SparseToIndicator", [sp_input]) as name:
        num_entries = array_ops.shape(sp_input.indices)[0]
        new_values = array_ops.fill(array_ops.expand_dims(num_entries, 0), True)
        sp_values = SparseTensor(sp_input.indices, new_values, sp_input.dense_shape)
        sp_new = sparse_merge_impl(sp_input, sp_values, vocab_size, name)
        return sparse_tensor_to_dense(sp_new, default_value=False, validate_indices=False, name=name)


# -- reductions ------------------------------------------------------------------------------

def _reduce(op_type, sparse_out, sp_input, axis, keepdims, reduction_axes, keep_dims, name=None):
    keepdims = _deprecated_lookup("keepdims", keepdims, "keep_dims", keep_dims)
    axis = _deprecated_lookup("axis", axis, "reduction_axes", reduction_axes)
    if keepdims is None:
        keepdims = False
    out = apply_op(op_type + ("Sparse" if sparse_out else ""), input_indices=sp_input.indices,
                   input_values=sp_input.values, input_shape=sp_input.dense_shape,
                   reduction_axes=_reduction_dims(sp_input, axis), keep_dims=keepdims, name=name)
    return SparseTensor(*out) if sparse_out else out


def sparse_reduce_sum(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
    return _reduce("SparseReduceSum", False, sp_input, axis, keepdims, reduction_axes, keep_dims)


def sparse_reduce_sum_sparse(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
    return _reduce("SparseReduceSum", True, sp_input, axis, keepdims, reduction_axes, keep_dims)


def sparse_reduce_max(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
    return _reduce("SparseReduceMax", False, sp_input, axis, keepdims, reduction_axes, keep_dims)


def sparse_reduce_max_sparse(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
    return _reduce("SparseReduceMax", True, sp_input, axis, keepdims, reduction_axes, keep_dims)


# -- shape functions -------------------------------------------------------------------------

def _vec_len(t):
    d = t.shape.dims
    return d[0] if d is not None and len(d) == 1 else None


def _rows(t):
    d = t.shape.dims
    return d[0] if d is not None and len(d) >= 1 else None


@si.register("SparseTensorDenseMatMul")
def _matmul_shape(op):
    a = si.constant_value(op.inputs[2])
    b = op.inputs[3].shape
    rows = None
    if a is not None and len(a) == 2:
        rows = int(a[1] if op.get_attr("adjoint_a") else a[0])
    cols = None
    if b.dims is not None and len(b.dims) == 2:
        cols = b.dims[0] if op.get_attr("adjoint_b") else b.dims[1]
    return [TensorShape([rows, cols])]


@si.register("SparseSplit")
def _split_shape(op):
    n = op.get_attr("num_split")
    rank = _vec_len(op.inputs[3])
    return [TensorShape([None, rank])] * n + [TensorShape([None])] * n + [TensorShape([rank])] * n


@si.register("SparseMatMul")
def _sparse_matmul_shape(op):
    a, b = op.inputs[0].shape, op.inputs[1].shape
    m = a.dims[1 if op.get_attr("transpose_a") else 0] if a.ndims == 2 else None
    n = b.dims[0 if op.get_attr("transpose_b") else 1] if b.ndims == 2 else None
    return [TensorShape([m, n])]


@si.register("SparseTensorDenseAdd")
def _dense_add_shape(op):
    return [op.inputs[3].shape]


@si.register("SparseAdd", "SparseSparseMaximum", "SparseSparseMinimum", "SparseConcat", "SparseSlice")
def _sparse_out_shape(op):
    shape_input = {"SparseConcat": op.inputs[2 * (len(op.inputs) // 3)], "SparseSlice": op.inputs[2]}.get(
        op.type, op.inputs[2])
    rank = _vec_len(shape_input)
    out = [TensorShape([None, rank]), TensorShape([None])]
    if op.type in ("SparseAdd", "SparseConcat", "SparseSlice"):
        out.append(TensorShape([rank]))
    return out


@si.register("SparseReorder")
def _reorder_shape(op):
    return [op.inputs[0].shape, op.inputs[1].shape]


@si.register("SparseReshape")
def _reshape_shape(op):
    n = _vec_len(op.inputs[2])
    return [TensorShape([_rows(op.inputs[0]), n]), TensorShape([n])]


@si.register("SparseSoftmax", "SparseDenseCwiseMul", "SparseDenseCwiseDiv", "SparseDenseCwiseAdd")
def _values_shape(op):
    return [TensorShape([_rows(op.inputs[0])])]


@si.register("SparseAddGrad")
def _add_grad_shape(op):
    return [TensorShape([_rows(op.inputs[1])]), TensorShape([_rows(op.inputs[2])])]


@si.register("SparseSliceGrad")
def _slice_grad_shape(op):
    return [TensorShape([_rows(op.inputs[1])])]


@si.register("SparseFillEmptyRows")
def _fill_shape(op):
    rank = _vec_len(op.inputs[2])
    dense = si.constant_value(op.inputs[2])
    rows = int(dense[0]) if dense is not None and len(dense) else None
    return [TensorShape([None, rank]), TensorShape([None]), TensorShape([rows]), TensorShape([_rows(op.inputs[0])])]


@si.register("SparseFillEmptyRowsGrad")
def _fill_grad_shape(op):
    return [TensorShape([_rows(op.inputs[0])]), TensorShape([])]


@si.register("SparseReduceSum", "SparseReduceMax")
def _reduce_shape(op):
    shape = si.constant_value(op.inputs[2])
    axes = si.constant_value(op.inputs[3])
    if shape is None or axes is None:
        return [TensorShape(None)]
    rank = len(shape)
    reduced = {int(a) % rank for a in np.ravel(axes)} if rank else set()
    keep = op.get_attr("keep_dims")
    return [TensorShape([1 if d in reduced else int(shape[d]) for d in range(rank) if keep or d not in reduced])]


@si.register("SparseReduceSumSparse", "SparseReduceMaxSparse")
def _reduce_sparse_shape(op):
    return [TensorShape([None, None]), TensorShape([None]), TensorShape([None])]
