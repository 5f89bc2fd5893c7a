"""tf.SparseTensor: the three tensors of a sparse value -- `indices` ([N, rank] int64),
`values` ([N]) and `dense_shape` ([rank] int64) -- handled together.

Session.run returns a SparseTensorValue for a fetched SparseTensor and takes one (or a
3-tuple) as the feed of a SparseTensor key, as TF does."""

import collections

from metarun.framework import dtypes
from metarun.framework.tensor_shape import TensorShape

SparseTensorValue = collections.namedtuple("SparseTensorValue", ["indices", "values", "dense_shape"])


class SparseTensor(object):
    """A sparse tensor of `dense_shape` holding `values` at `indices` (in row-major order
    when the kernels consuming it need that; tf.sparse.reorder sorts)."""

    @classmethod
    def from_value(cls, sparse_tensor_value):
        if not is_sparse(sparse_tensor_value):
            raise TypeError("Neither a SparseTensor nor SparseTensorValue: %s." % (sparse_tensor_value,))
        return SparseTensor(indices=sparse_tensor_value.indices, values=sparse_tensor_value.values,
                            dense_shape=sparse_tensor_value.dense_shape)

    def __init__(self, indices, values, dense_shape):
        from metarun.framework import shape_inference
        from metarun.framework.op_builder import convert_to_tensor
        from metarun.ops.scopes import name_scope
        with name_scope(None, "SparseTensor", [indices, values, dense_shape]):
            indices = convert_to_tensor(indices, name="indices", dtype=dtypes.int64)
            values = convert_to_tensor(values, name="values")
            dense_shape = convert_to_tensor(dense_shape, name="dense_shape", dtype=dtypes.int64)
        self._indices = indices
        self._values = values
        self._dense_shape = dense_shape
        self._dense_shape_default = shape_inference.constant_shape(dense_shape)
        indices_shape = indices.shape.with_rank(2)
        values_shape = values.shape.with_rank(1)
        dense_shape_shape = dense_shape.shape.with_rank(1)
        _check_compatible(indices_shape.dims[0], values_shape.dims[0])
        _check_compatible(indices_shape.dims[1], dense_shape_shape.dims[0])

    indices = property(lambda self: self._indices)
    values = property(lambda self: self._values)
    dense_shape = property(lambda self: self._dense_shape)
    dtype = property(lambda self: self._values.dtype)
    op = property(lambda self: self._values.op)
    graph = property(lambda self: self._indices.graph)

    @property
    def shape(self):
        return self._dense_shape_default

    def get_shape(self):
        return self._dense_shape_default

    def set_shape(self, shape):
        """Narrow the static dense shape (it must be compatible with what is known)."""
        if not isinstance(shape, TensorShape):
            shape = TensorShape(shape)
        self._dense_shape_default = self._dense_shape_default.merge_with(shape)

    def with_values(self, new_values):
        """This SparseTensor's indices and shape with `new_values` (the same number of values)."""
        new_values.shape.with_rank(1)
        _check_compatible(self._values.shape.dims[0], new_values.shape.dims[0])
        result = SparseTensor(self._indices, new_values, self._dense_shape)
        result._dense_shape_default = self._dense_shape_default
        return result

    def consumers(self):
        seen, out = set(), []
        for t in (self._indices, self._values, self._dense_shape):
            for op in t.consumers():
                if op not in seen:
                    seen.add(op)
                    out.append(op)
        return out

    def eval(self, feed_dict=None, session=None):
        from metarun.framework.session import _run_in_session
        return _run_in_session(self, feed_dict, session, "eval")

    def __repr__(self):
        return "SparseTensor(indices=%s, values=%s, dense_shape=%s)" % (
            self._indices, self._values, self._dense_shape)


def _check_compatible(a, b):
    if a is not None and b is not None and a != b:
        raise ValueError("Dimensions %s and %s are not compatible" % (a, b))


def is_sparse(x):
    return isinstance(x, (SparseTensor, SparseTensorValue))


def convert_to_tensor_or_sparse_tensor(value, dtype=None, name=None):
    """`value` as a SparseTensor when it is sparse (checking `dtype`), else as a Tensor."""
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(value, SparseTensorValue):
        value = SparseTensor.from_value(value)
    if isinstance(value, SparseTensor):
        if dtype and not dtype.is_compatible_with(value.dtype):
            raise RuntimeError("Sparse dtype: requested = %s, actual = %s" % (dtype.name, value.dtype.name))
        return value
    from metarun.framework.op_builder import convert_to_tensor
    return convert_to_tensor(value, dtype=dtype, name=name)


def expand_feeds(feed_dict):
    """`feed_dict` with each SparseTensor key replaced by its three tensors (TF's expansion:
    the value is a SparseTensorValue or an (indices, values, dense_shape) tuple)."""
    if not feed_dict or not any(isinstance(k, SparseTensor) for k in feed_dict):
        return feed_dict
    out = {}
    for key, value in feed_dict.items():
        if not isinstance(key, SparseTensor):
            out[key] = value
            continue
        if isinstance(value, SparseTensorValue):
            parts = (value.indices, value.values, value.dense_shape)
        elif isinstance(value, (tuple, list)) and len(value) == 3:
            parts = tuple(value)
        else:
            raise TypeError("The value of a SparseTensor feed must be a SparseTensorValue or an "
                            "(indices, values, dense_shape) tuple, got %r for key %s." % (value, key))
        out[key.indices], out[key.values], out[key.dense_shape] = parts
    return out


def sparse_placeholder(dtype, shape=None, name=None):
    """A SparseTensor of three placeholders (values, indices, and the dense shape, which
    defaults to `shape` when that is given), named as TF names them."""
    from metarun.framework import shape_inference
    from metarun.framework.graph import Tensor
    from metarun.framework.op_builder import convert_to_tensor
    from metarun.ops.array_ops import placeholder, placeholder_with_default
    shape_name = (name + "/shape") if name is not None else None
    default_shape_name = (name + "/shape_default") if name is not None else None
    if shape is None:
        rank = None
        dense_shape = placeholder(dtypes.int64, shape=[rank], name=shape_name)
        dense_shape_default = shape_inference.constant_shape(dense_shape)
    else:
        if isinstance(shape, Tensor):
            rank = shape.shape.dims[0] if shape.shape.dims is not None else None
            dense_shape_default = shape_inference.constant_shape(shape)
        else:
            rank = len(shape)
            dims = [d.value if hasattr(d, "value") else d for d in
                    (shape.dims if isinstance(shape, TensorShape) else shape)]
            dense_shape_default = TensorShape([None if d == -1 else d for d in dims])
            shape = convert_to_tensor([-1 if d is None else d for d in dims], dtype=dtypes.int64,
                                      name=default_shape_name)
        dense_shape = placeholder_with_default(shape, shape=shape.shape, name=shape_name)
    result = SparseTensor(
        values=placeholder(dtype, shape=[None], name=(name + "/values") if name is not None else None),
        indices=placeholder(dtypes.int64, shape=[None, rank],
                            name=(name + "/indices") if name is not None else None),
        dense_shape=dense_shape)
    result.set_shape(dense_shape_default)
    return result
