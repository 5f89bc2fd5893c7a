"""tf.math.confusion_matrix and remove_squeezable_dimensions, built as TF's confusion_matrix
module builds them: int64 labels and predictions behind non-negative (and, with num_classes,
in-range) asserts, counted by one ScatterNd into a [num_classes, num_classes] matrix."""

from metarun.framework import dtypes
from metarun.framework.op_builder import convert_to_tensor
from metarun.ops import array_ops, control_flow_ops, math_ops
from metarun.ops.scopes import name_scope


def _last_dim_may_be_one(shape):
    return shape.dims[-1] is None or shape.dims[-1] == 1 if shape.ndims else True


def remove_squeezable_dimensions(labels, predictions, expected_rank_diff=0, name=None):
    """Drops a trailing size-1 dim of `labels` or `predictions` when their ranks differ by one
    more (or less) than `expected_rank_diff`; decided at run time (a cond) for unknown ranks."""
    with name_scope(name, "remove_squeezable_dimensions", [labels, predictions]):
        predictions = convert_to_tensor(predictions)
        labels = convert_to_tensor(labels)
        p_shape, l_shape = predictions.shape, labels.shape
        p_rank, l_rank = p_shape.ndims, l_shape.ndims
        if p_rank is not None and l_rank is not None:
            diff = p_rank - l_rank
            if diff == expected_rank_diff + 1 and p_shape.dims[-1] in (None, 1):
                predictions = array_ops.squeeze(predictions, [-1])
            elif diff == expected_rank_diff - 1 and l_shape.dims[-1] in (None, 1):
                labels = array_ops.squeeze(labels, [-1])
            return labels, predictions
        rank_diff = array_ops.rank(predictions) - array_ops.rank(labels)
        if p_rank is None or _last_dim_may_be_one(p_shape):
            p = predictions
            predictions = control_flow_ops.cond(math_ops.equal(expected_rank_diff + 1, rank_diff),
                                                lambda: array_ops.squeeze(p, [-1]), lambda: p)
        if l_rank is None or _last_dim_may_be_one(l_shape):
            lab = labels
            labels = control_flow_ops.cond(math_ops.equal(expected_rank_diff - 1, rank_diff),
                                           lambda: array_ops.squeeze(lab, [-1]), lambda: lab)
        return labels, predictions


def _assert_non_negative(x, message):
    # TF's data for assert_non_negative(x, message=...): the message ends with ".  " there
    # (check_ops' message prefix); given whole, it does not depend on how array_ops words it.
    data = ["%s.  " % message, "Condition x >= 0 did not hold element-wise:", "x (%s) = " % x.name, x]
    return array_ops.assert_non_negative(x, data=data)


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=dtypes.int32, name=None):
    """tf.math.confusion_matrix (v2 argument order)."""
    with name_scope(name, "confusion_matrix", (predictions, labels, num_classes, weights)):
        labels, predictions = remove_squeezable_dimensions(convert_to_tensor(labels, name="labels"),
                                                           convert_to_tensor(predictions, name="predictions"))
        predictions = math_ops.cast(predictions, dtypes.int64)
        labels = math_ops.cast(labels, dtypes.int64)
        labels = control_flow_ops.with_dependencies(
            [_assert_non_negative(labels, "`labels` contains negative values")], labels)
        predictions = control_flow_ops.with_dependencies(
            [_assert_non_negative(predictions, "`predictions` contains negative values")],
            predictions)
        if num_classes is None:
            num_classes = math_ops.maximum(math_ops.reduce_max(predictions), math_ops.reduce_max(labels)) + 1
        else:
            limit = math_ops.cast(num_classes, dtypes.int64)
            labels = control_flow_ops.with_dependencies(
                [array_ops.assert_less(labels, limit, message="`labels` out of bound")], labels)
            predictions = control_flow_ops.with_dependencies(
                [array_ops.assert_less(predictions, limit, message="`predictions` out of bound")], predictions)
        if weights is not None:
            weights = convert_to_tensor(weights, name="weights")
            if not predictions.shape.is_compatible_with(weights.shape):
                raise ValueError("Shapes %s and %s are incompatible" % (predictions.shape, weights.shape))
            weights = math_ops.cast(weights, dtype)
        shape = array_ops.stack([num_classes, num_classes])
        indices = array_ops.stack([labels, predictions], axis=1)
        values = array_ops.ones_like(predictions, dtype) if weights is None else weights
        return array_ops.scatter_nd(indices=indices, updates=values, shape=math_ops.cast(shape, dtypes.int64))


def confusion_matrix_v1(labels, predictions, num_classes=None, dtype=dtypes.int32, name=None, weights=None):
    """tf.compat.v1.confusion_matrix (dtype before weights)."""
    return confusion_matrix(labels, predictions, num_classes, weights, dtype, name)
