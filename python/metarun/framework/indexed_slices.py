"""tf.IndexedSlices: rows `indices` of a dense tensor of shape `dense_shape`, holding `values`.

A gather's gradient is one (only the gathered rows are non-zero). Where a dense tensor is
needed it is converted as TF converts it: an UnsortedSegmentSum of the values into
`dense_shape[0]` rows (repeated indices add up)."""

import collections

from metarun.framework.op_builder import apply_op

# What Session.run returns for a fetched IndexedSlices (TF's namedtuple of the three arrays).
IndexedSlicesValue = collections.namedtuple("IndexedSlicesValue", ["values", "indices", "dense_shape"])


class IndexedSlices(object):

    def __init__(self, values, indices, dense_shape=None):
        self._values = values
        self._indices = indices
        self._dense_shape = dense_shape

    values = property(lambda self: self._values)
    indices = property(lambda self: self._indices)
    dense_shape = property(lambda self: self._dense_shape)
    dtype = property(lambda self: self._values.dtype)
    op = property(lambda self: self._values.op)
    graph = property(lambda self: self._values.graph)
    name = property(lambda self: self._values.name)
    device = property(lambda self: self._values.device)

    @property
    def shape(self):
        from metarun.framework import shape_inference
        from metarun.framework.tensor_shape import TensorShape
        if self._dense_shape is None:
            return TensorShape(None)
        return shape_inference.constant_shape(self._dense_shape)

    def get_shape(self):
        return self.shape

    def _to_tensor(self, as_ref=False):
        return to_dense(self)

    def __neg__(self):
        from metarun.ops import math_ops
        return IndexedSlices(math_ops.negative(self._values), self._indices, self._dense_shape)

    def __repr__(self):
        return "IndexedSlices(indices=%s, values=%s%s)" % (
            self._indices, self._values,
            "" if self._dense_shape is None else ", dense_shape=%s" % self._dense_shape)


def to_dense(value, name=None):
    """The dense tensor of an IndexedSlices, built in the current name scope."""
    if value.dense_shape is None:
        raise ValueError("Tensor conversion requested for IndexedSlices without dense_shape: %s" % value)
    from metarun.ops import array_ops
    rows = array_ops.slice_helper(value.dense_shape, 0)
    return apply_op("UnsortedSegmentSum", data=value.values, segment_ids=value.indices, num_segments=rows,
                    name=name)
