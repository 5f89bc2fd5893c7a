"""tf.metrics (mean, accuracy): running totals in local variables, a value tensor and an
update op, as TF1's streaming metrics."""

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op
from metarun.framework.variables import Variable
from metarun.ops import array_ops, math_ops
from metarun.ops.scopes import name_scope

GraphKeys = graph_lib.GraphKeys


def _metric_variable(shape, dtype, name):
    return Variable(lambda: array_ops.zeros(shape, dtype), trainable=False,
                    collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES], name=name)


def _assign_add(var, value):
    return apply_op("AssignAdd", ref=var._ref(), value=value, use_locking=False)


def _collect(collections, value):
    if collections:
        graph_lib.get_default_graph().add_to_collections(collections, value)


def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    g = graph_lib.get_default_graph()
    with name_scope(name, "mean", (values, weights)):
        values = math_ops.cast(values, dtypes.float32)
        total = _metric_variable([], dtypes.float32, "total")
        count = _metric_variable([], dtypes.float32, "count")
        if weights is None:
            num_values = math_ops.cast(array_ops.size(values), dtypes.float32)
        else:
            weights = math_ops.multiply(math_ops.cast(weights, dtypes.float32), array_ops.ones_like(values))
            values = math_ops.multiply(values, weights)
            num_values = math_ops.reduce_sum(weights)
        update_total = _assign_add(total, math_ops.reduce_sum(values))
        with g.control_dependencies([values]):
            update_count = _assign_add(count, num_values)
        mean_t = math_ops.div_no_nan(total.value(), math_ops.maximum(count.value(), 0), name="value")
        update_op = math_ops.div_no_nan(update_total, math_ops.maximum(update_count, 0), name="update_op")
        _collect(metrics_collections, mean_t)
        _collect(updates_collections, update_op)
        return mean_t, update_op


def accuracy(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
    labels = math_ops.cast(labels, predictions.dtype) if labels.dtype != predictions.dtype else labels
    is_correct = math_ops.cast(math_ops.equal(predictions, labels), dtypes.float32)
    return mean(is_correct, weights, metrics_collections, updates_collections, name or "accuracy")
