"""tf.metrics' streaming metrics built as TF's metrics_impl builds them: running totals in local
variables (LOCAL_VARIABLES and METRIC_VARIABLES), a value tensor read from them and an update op
that adds one batch. This module holds the shared machinery and the mean and counting
families; the threshold-curve metrics are in metrics_curves.py.

TF builds its value tensors through a distribution strategy's merge_call; with the default
strategy that is a plain call, so the value ops are made in place (reading a variable for a
`*_positives` value is an Identity, as the default strategy's read_var is).
"""

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.shape_inference import constant_value
from metarun.framework.variables import Variable
from metarun.losses import broadcast_weights
from metarun.ops import array_ops, math_ops
from metarun.ops import confusion_matrix as confusion_matrix_lib
from metarun.ops.scopes import name_scope
from metarun.ops.variable_scope import variable_scope

GraphKeys = graph_lib.GraphKeys


def metric_variable(shape, dtype, validate_shape=True, name=None):
    """A zero-initialised local variable in the metric collections. TF builds a variable with
    a callable initial value and its initializer colocated with it (`loc:@<name>`)."""
    g = graph_lib.get_default_graph()
    true_name = g.unique_name(name or "Variable", mark_as_used=False)
    with g.colocate_with_groups([("loc:@" + true_name).encode()]):
        return Variable(lambda: array_ops.zeros(shape, dtype), trainable=False,
                        collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES],
                        validate_shape=validate_shape, name=name)


def _assign_add(var, value, name=None):
    return apply_op("AssignAdd", ref=var._ref(), value=value, use_locking=False, name=name)


def _collect(collections, value):
    if collections:
        graph_lib.get_default_graph().add_to_collections(collections, value)


def _read(var, collections):
    """The default strategy's read of a metric variable (an Identity), collected."""
    value = array_ops.identity(var)
    _collect(collections, value)
    return value


def _assert_compatible(a, b):
    if not a.shape.is_compatible_with(b.shape):
        raise ValueError("Shapes %s and %s are incompatible" % (a.shape, b.shape))


def _remove_squeezable_dimensions(predictions, labels, weights):
    """TF's metrics variant: squeezes labels/predictions as confusion_matrix does, then fits
    the weights' rank to the predictions' (squeeze or expand the last dim by one)."""
    predictions = convert_to_tensor(predictions)
    if labels is not None:
        labels, predictions = confusion_matrix_lib.remove_squeezable_dimensions(labels, predictions)
        _assert_compatible(predictions, labels)
    if weights is None:
        return predictions, labels, None
    weights = convert_to_tensor(weights)
    w_rank = weights.shape.ndims
    if w_rank == 0:
        return predictions, labels, weights
    p_rank = predictions.shape.ndims
    if p_rank is None or w_rank is None:
        raise NotImplementedError("tf.metrics with weights or predictions of unknown rank are not supported by "
                                  "metarun yet")
    if w_rank - p_rank == 1:
        weights = array_ops.squeeze(weights, [-1])
    elif p_rank - w_rank == 1:
        weights = array_ops.expand_dims(weights, [-1])
    return predictions, labels, weights


def _assert_type(tensor, tf_type):
    with name_scope(None, "assert_type", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        if tensor.dtype != tf_type:
            raise TypeError("%s must be of type %r; got %r" % (tensor.name, tf_type, tensor.dtype))
        return apply_op("NoOp", name="statically_determined_correct_type")


def _assert_rank_in(x, ranks):
    """TF's check_ops.assert_rank_in where the ranks are known now: a NoOp, or a ValueError."""
    with name_scope(None, "assert_rank_in", (x,) + tuple(ranks)):
        x = convert_to_tensor(x, name="x")
        ranks = tuple(convert_to_tensor(r, name="rank") for r in ranks)
        array_ops.shape(x)  # TF's message data: ["Received shape: ", shape(x)]
        for r in ranks:
            _assert_type(r, dtypes.int32)
        static = [constant_value(r) for r in ranks]
        if any(s is None for s in static) or x.shape.ndims is None:
            raise NotImplementedError("tf.metrics counting values of unknown rank with weights (TF's run-time "
                                      "assert_rank_in) is not supported by metarun yet")
        if x.shape.ndims not in [int(s) for s in static]:
            raise ValueError("Tensor %s must have rank in %s.  Received rank %d, shape %s"
                             % (x.name, tuple(int(s) for s in static), x.shape.ndims, x.shape))
        return apply_op("NoOp", name="static_checks_determined_all_ok")


def _broadcast_weights(weights, values):
    """TF's broadcast_weights: checked statically where the shapes settle it, else at run time
    (losses.assert_broadcastable's cond around a DenseToDenseSetOperation)."""
    return broadcast_weights(weights, values)


# -- the mean family ---------------------------------------------------------------------------------

def _running_mean(values, weights, metrics_collections, updates_collections, name, elementwise):
    """mean (one total and count) or, `elementwise`, mean_tensor (a total and count per element)."""
    g = graph_lib.get_default_graph()
    with variable_scope(name, "mean", (values, weights)):
        values = math_ops.cast(values, dtypes.float32)
        shape, suffix = (values.shape, "_tensor") if elementwise else ([], "")
        total = metric_variable(shape, dtypes.float32, name="total" + suffix)
        count = metric_variable(shape, dtypes.float32, name="count" + suffix)
        if elementwise:
            num_values = array_ops.ones_like(values)
        elif weights is None:
            num_values = math_ops.cast(array_ops.size(values), dtypes.float32)
        if weights is not None:
            values, _, weights = _remove_squeezable_dimensions(values, None, weights)
            weights = _broadcast_weights(math_ops.cast(weights, dtypes.float32), values)
            values = math_ops.multiply(values, weights)
            num_values = math_ops.multiply(num_values, weights) if elementwise else math_ops.reduce_sum(weights)
        update_total = _assign_add(total, values if elementwise else math_ops.reduce_sum(values))
        with g.control_dependencies([values]):
            update_count = _assign_add(count, num_values)
        mean_t = math_ops.div_no_nan(total.value(), math_ops.maximum(count.value(), 0), name="value")
        _collect(metrics_collections, mean_t)
        update_op = math_ops.div_no_nan(update_total, math_ops.maximum(update_count, 0), name="update_op")
        _collect(updates_collections, update_op)
        return mean_t, update_op


def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    return _running_mean(values, weights, metrics_collections, updates_collections, name, elementwise=False)


def mean_tensor(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    return _running_mean(values, weights, metrics_collections, updates_collections, name, elementwise=True)


def accuracy(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    _assert_compatible(predictions, labels)
    if labels.dtype != predictions.dtype:
        predictions = math_ops.cast(predictions, labels.dtype)
    is_correct = math_ops.cast(math_ops.equal(predictions, labels), dtypes.float32)
    return mean(is_correct, weights, metrics_collections, updates_collections, name or "accuracy")


def mean_absolute_error(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                        name=None):
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    errors = math_ops.abs(predictions - labels)
    return mean(errors, weights, metrics_collections, updates_collections, name or "mean_absolute_error")


def mean_squared_error(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                       name=None):
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    errors = math_ops.squared_difference(labels, predictions)
    return mean(errors, weights, metrics_collections, updates_collections, name or "mean_squared_error")


def root_mean_squared_error(labels, predictions, weights=None, metrics_collections=None,
                            updates_collections=None, name=None):
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    mse, update_mse = mean_squared_error(labels, predictions, weights, None, None,
                                         name or "root_mean_squared_error")
    rmse = math_ops.sqrt(mse)
    _collect(metrics_collections, rmse)
    update_rmse = math_ops.sqrt(update_mse)
    _collect(updates_collections, update_rmse)
    return rmse, update_rmse


def mean_relative_error(labels, predictions, normalizer, weights=None, metrics_collections=None,
                        updates_collections=None, name=None):
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    predictions, normalizer = confusion_matrix_lib.remove_squeezable_dimensions(predictions, normalizer)
    _assert_compatible(predictions, normalizer)
    errors = array_ops.where(math_ops.equal(normalizer, 0.0), array_ops.zeros_like(labels),
                             math_ops.divide(math_ops.abs(labels - predictions), normalizer))
    return mean(errors, weights, metrics_collections, updates_collections, name or "mean_relative_error")


def mean_cosine_distance(labels, predictions, dim, weights=None, metrics_collections=None,
                         updates_collections=None, name=None):
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    radial = math_ops.reduce_sum(math_ops.multiply(predictions, labels), axis=[dim], keepdims=True)
    mean_distance, update_op = mean(radial, weights, None, None, name or "mean_cosine_distance")
    mean_distance = math_ops.subtract(1.0, mean_distance)
    update_op = math_ops.subtract(1.0, update_op)
    _collect(metrics_collections, mean_distance)
    _collect(updates_collections, update_op)
    return mean_distance, update_op


def percentage_below(values, threshold, weights=None, metrics_collections=None, updates_collections=None,
                     name=None):
    is_below = math_ops.cast(math_ops.less(values, threshold), dtypes.float32)
    return mean(is_below, weights, metrics_collections, updates_collections, name or "percentage_below_threshold")


def mean_per_class_accuracy(labels, predictions, num_classes, weights=None, metrics_collections=None,
                            updates_collections=None, name=None):
    with variable_scope(name, "mean_accuracy", (predictions, labels, weights)):
        labels = math_ops.cast(labels, dtypes.int64)
        if labels.shape.ndims > 1:
            labels = array_ops.reshape(labels, [-1])
        if predictions.shape.ndims > 1:
            predictions = array_ops.reshape(predictions, [-1])
        _assert_compatible(predictions, labels)
        total = metric_variable([num_classes], dtypes.float32, name="total")
        count = metric_variable([num_classes], dtypes.float32, name="count")
        ones = array_ops.ones([array_ops.size(labels)], dtypes.float32)
        if labels.dtype != predictions.dtype:
            predictions = math_ops.cast(predictions, labels.dtype)
        is_correct = math_ops.cast(math_ops.equal(predictions, labels), dtypes.float32)
        if weights is not None:
            if weights.shape.ndims > 1:
                weights = array_ops.reshape(weights, [-1])
            weights = math_ops.cast(weights, dtypes.float32)
            is_correct *= weights
            ones *= weights
        update_total = apply_op("ScatterAdd", ref=total._ref(), indices=labels, updates=ones, use_locking=False)
        update_count = apply_op("ScatterAdd", ref=count._ref(), indices=labels, updates=is_correct,
                                use_locking=False)
        per_class = math_ops.div_no_nan(count.value(), math_ops.maximum(total.value(), 0))
        mean_accuracy = math_ops.reduce_mean(per_class, name="mean_accuracy")
        _collect(metrics_collections, mean_accuracy)
        update_op = math_ops.div_no_nan(update_count, math_ops.maximum(update_total, 0), name="update_op")
        _collect(updates_collections, update_op)
        return mean_accuracy, update_op


# -- counts of a boolean condition ------------------------------------------------------------------

def _count_condition(values, weights=None, metrics_collections=None, updates_collections=None):
    _assert_type(values, dtypes.bool)
    count = metric_variable([], dtypes.float32, name="count")
    values = math_ops.cast(values, dtypes.float32)
    if weights is not None:
        check = _assert_rank_in(weights, (0, array_ops.rank(values)))
        with graph_lib.get_default_graph().control_dependencies((check,)):
            weights = math_ops.cast(weights, dtypes.float32)
            values = math_ops.multiply(values, weights)
    value = _read(count, metrics_collections)
    update_op = _assign_add(count, math_ops.reduce_sum(values))
    _collect(updates_collections, update_op)
    return value, update_op


def _bool_inputs(labels, predictions, weights):
    return _remove_squeezable_dimensions(math_ops.cast(predictions, dtypes.bool),
                                         math_ops.cast(labels, dtypes.bool), weights)


def _counter(default_name, label_value, prediction_value):
    def metric(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
        with variable_scope(name, default_name, (predictions, labels, weights)):
            predictions, labels, weights = _bool_inputs(labels, predictions, weights)
            is_condition = math_ops.logical_and(math_ops.equal(labels, label_value),
                                                math_ops.equal(predictions, prediction_value))
            return _count_condition(is_condition, weights, metrics_collections, updates_collections)
    metric.__name__ = default_name
    return metric


true_positives = _counter("true_positives", True, True)
false_positives = _counter("false_positives", False, True)
true_negatives = _counter("true_negatives", False, False)
false_negatives = _counter("false_negatives", True, False)


def _ratio_of_counts(default_name, other_count):
    """precision (tp / (tp + fp)) and recall (tp / (tp + fn)): 0 while the sum is 0."""
    def metric(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
        with variable_scope(name, default_name, (predictions, labels, weights)):
            predictions, labels, weights = _bool_inputs(labels, predictions, weights)
            tp, tp_update = true_positives(labels, predictions, weights)
            other, other_update = other_count(labels, predictions, weights)

            def ratio(a, b, op_name):
                return array_ops.where(math_ops.greater(a + b, 0), math_ops.divide(a, a + b), 0, op_name)
            value = ratio(tp, other, "value")
            _collect(metrics_collections, value)
            update_op = ratio(tp_update, other_update, "update_op")
            _collect(updates_collections, update_op)
            return value, update_op
    metric.__name__ = default_name
    return metric


precision = _ratio_of_counts("precision", false_positives)
recall = _ratio_of_counts("recall", false_negatives)
