"""tf.sets: set operations over the last dimension of dense or sparse tensors, built as TF's
sets_impl.py builds them (one DenseToDense / DenseToSparse / SparseToSparseSetOperation node, or
SetSize), the result a SparseTensor. TF registers no gradients for them."""
from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op
from metarun.framework.sparse_tensor import SparseTensor, convert_to_tensor_or_sparse_tensor
from metarun.ops.gradients_impl import NoGradient

_VALID_DTYPES = frozenset([dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64, dtypes.uint8, dtypes.uint16,
                           dtypes.string])

for _t in ("DenseToDenseSetOperation", "DenseToSparseSetOperation", "SparseToSparseSetOperation"):
    NoGradient(_t)


def set_size(a, validate_indices=True):
    a = convert_to_tensor_or_sparse_tensor(a, name="a")
    if not isinstance(a, SparseTensor):
        raise TypeError("Expected `SparseTensor`, got %s." % a)
    if a.values.dtype.base_dtype not in _VALID_DTYPES:
        raise TypeError("Invalid dtype `%s` not in supported dtypes: `%s`." % (a.values.dtype, _VALID_DTYPES))
    return apply_op("SetSize", set_indices=a.indices, set_values=a.values, set_shape=a.dense_shape,
                    validate_indices=validate_indices)


def _convert_to_tensors_or_sparse_tensors(a, b):
    """Both as Tensors or SparseTensors; a sparse `a` with a dense `b` are swapped (flipped=True)."""
    a = convert_to_tensor_or_sparse_tensor(a, name="a")
    if a.dtype.base_dtype not in _VALID_DTYPES:
        raise TypeError("'a' has invalid dtype `%s` not in supported dtypes: `%s`." % (a.dtype, _VALID_DTYPES))
    b = convert_to_tensor_or_sparse_tensor(b, name="b")
    if b.dtype.base_dtype != a.dtype.base_dtype:
        raise TypeError("Types don't match, %s vs %s." % (a.dtype, b.dtype))
    if isinstance(a, SparseTensor) and not isinstance(b, SparseTensor):
        return b, a, True
    return a, b, False


def _set_operation(a, b, set_operation, validate_indices=True):
    if isinstance(a, SparseTensor):
        if not isinstance(b, SparseTensor):
            raise ValueError("Sparse,Dense is not supported, but Dense,Sparse is. "
                             "Please flip the order of your inputs.")
        out = apply_op("SparseToSparseSetOperation", set1_indices=a.indices, set1_values=a.values,
                       set1_shape=a.dense_shape, set2_indices=b.indices, set2_values=b.values,
                       set2_shape=b.dense_shape, set_operation=set_operation, validate_indices=validate_indices)
    elif isinstance(b, SparseTensor):
        out = apply_op("DenseToSparseSetOperation", set1=a, set2_indices=b.indices, set2_values=b.values,
                       set2_shape=b.dense_shape, set_operation=set_operation, validate_indices=validate_indices)
    else:
        out = apply_op("DenseToDenseSetOperation", set1=a, set2=b, set_operation=set_operation,
                       validate_indices=validate_indices)
    indices, values, shape = out
    return SparseTensor(indices, values, shape)


def set_intersection(a, b, validate_indices=True):
    a, b, _ = _convert_to_tensors_or_sparse_tensors(a, b)
    return _set_operation(a, b, "intersection", validate_indices)


def set_difference(a, b, aminusb=True, validate_indices=True):
    a, b, flipped = _convert_to_tensors_or_sparse_tensors(a, b)
    if flipped:
        aminusb = not aminusb
    return _set_operation(a, b, "a-b" if aminusb else "b-a", validate_indices)


def set_union(a, b, validate_indices=True):
    a, b, _ = _convert_to_tensors_or_sparse_tensors(a, b)
    return _set_operation(a, b, "union", validate_indices)
