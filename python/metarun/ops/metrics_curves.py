"""tf.metrics over a list of thresholds, built as TF's metrics_impl builds them: confusion-matrix
counts per threshold (tp/fn/tn/fp variables of shape [num_thresholds], filled by tiling the
predictions against the thresholds), and what is computed from them: precision and recall at
thresholds, AUC (ROC or PR, four summation methods), sensitivity at specificity and specificity
at sensitivity."""

import logging

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import constant
from metarun.ops import array_ops, math_ops
from metarun.ops.metrics_impl import (_assign_add, _broadcast_weights, _collect, _read, _remove_squeezable_dimensions,
                                      metric_variable)
from metarun.ops.variable_scope import variable_scope

_ALL_INCLUDES = ("tp", "fn", "tn", "fp")
_VARIABLE_NAMES = {"tp": "true_positives", "fn": "false_negatives", "tn": "true_negatives",
                   "fp": "false_positives"}


def _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights=None, includes=None):
    """({key: variable}, {key: update op}) for the counts in `includes` (tp, fn, tn, fp), one
    entry per threshold: a prediction is positive when it is greater than the threshold."""
    if includes is None:
        includes = _ALL_INCLUDES
    for include in includes:
        if include not in _ALL_INCLUDES:
            raise ValueError("Invalid key: %s" % include)
    message = "predictions must be in [0, 1]"
    checks = [array_ops.assert_greater_equal(predictions, math_ops.cast(0.0, predictions.dtype), message=message),
              array_ops.assert_less_equal(predictions, math_ops.cast(1.0, predictions.dtype), message=message)]
    with graph_lib.get_default_graph().control_dependencies(checks):
        predictions, labels, weights = _remove_squeezable_dimensions(
            math_ops.cast(predictions, dtypes.float32), math_ops.cast(labels, dtypes.bool), weights)
    num_thresholds = len(thresholds)
    predictions_2d = array_ops.reshape(predictions, [-1, 1])
    labels_2d = array_ops.reshape(math_ops.cast(labels, dtypes.bool), [1, -1])
    num_predictions = predictions_2d.shape.as_list()[0]
    if num_predictions is None:
        num_predictions = array_ops.shape(predictions_2d)[0]
    thresh_tiled = array_ops.tile(array_ops.expand_dims(constant(thresholds), [1]),
                                  array_ops.stack([1, num_predictions]))
    pred_is_pos = math_ops.greater(array_ops.tile(array_ops.transpose(predictions_2d), [num_thresholds, 1]),
                                   thresh_tiled)
    if "fn" in includes or "tn" in includes:
        pred_is_neg = math_ops.logical_not(pred_is_pos)
    label_is_pos = array_ops.tile(labels_2d, [num_thresholds, 1])
    if "fp" in includes or "tn" in includes:
        label_is_neg = math_ops.logical_not(label_is_pos)
    weights_tiled = None
    if weights is not None:
        weights = _broadcast_weights(math_ops.cast(weights, dtypes.float32), predictions)
        weights_tiled = array_ops.tile(array_ops.reshape(weights, [1, -1]), [num_thresholds, 1])
        if not thresh_tiled.shape.is_compatible_with(weights_tiled.shape):
            raise ValueError("Shapes %s and %s are incompatible" % (thresh_tiled.shape, weights_tiled.shape))
    conditions = {"tp": lambda: (label_is_pos, pred_is_pos), "fn": lambda: (label_is_pos, pred_is_neg),
                  "tn": lambda: (label_is_neg, pred_is_neg), "fp": lambda: (label_is_neg, pred_is_pos)}
    values, update_ops = {}, {}
    for key in _ALL_INCLUDES:
        if key not in includes:
            continue
        var = metric_variable([num_thresholds], dtypes.float32, name=_VARIABLE_NAMES[key])
        is_key = math_ops.cast(math_ops.logical_and(*conditions[key]()), dtypes.float32)
        if weights_tiled is not None:
            is_key *= weights_tiled
        update_ops[key] = _assign_add(var, math_ops.reduce_sum(is_key, 1))
        values[key] = var
    return values, update_ops


def _count_at_thresholds(default_name, key):
    def metric(labels, predictions, thresholds, weights=None, metrics_collections=None, updates_collections=None,
               name=None):
        with variable_scope(name, default_name, (predictions, labels, weights)):
            values, update_ops = _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights=weights,
                                                                 includes=(key,))
            value = _read(values[key], metrics_collections)
            _collect(updates_collections, update_ops[key])
            return value, update_ops[key]
    metric.__name__ = default_name + "_at_thresholds"
    return metric


true_positives_at_thresholds = _count_at_thresholds("true_positives", "tp")
false_positives_at_thresholds = _count_at_thresholds("false_positives", "fp")
true_negatives_at_thresholds = _count_at_thresholds("true_negatives", "tn")
false_negatives_at_thresholds = _count_at_thresholds("false_negatives", "fn")


def _ratio_at_thresholds(default_name, prefix, other):
    """precision (tp / (eps + tp + fp)) or recall (tp / (eps + tp + fn)) at each threshold."""
    def metric(labels, predictions, thresholds, weights=None, metrics_collections=None, updates_collections=None,
               name=None):
        with variable_scope(name, default_name, (predictions, labels, weights)):
            values, update_ops = _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights,
                                                                 includes=("tp", other))

            def ratio(tp, b, suffix):
                return math_ops.divide(tp, 1e-7 + tp + b, name=prefix + suffix)
            value = ratio(values["tp"], values[other], "value")
            _collect(metrics_collections, value)
            update_op = ratio(update_ops["tp"], update_ops[other], "update_op")
            _collect(updates_collections, update_op)
            return value, update_op
    metric.__name__ = default_name
    return metric


precision_at_thresholds = _ratio_at_thresholds("precision_at_thresholds", "precision_", "fp")
recall_at_thresholds = _ratio_at_thresholds("recall_at_thresholds", "recall_", "fn")


def _interpolate_pr_auc(tp, fp, fn, n):
    """PR-AUC by TF's careful interpolation (Davis & Goadrich) between adjacent thresholds."""
    dtp = tp[:n - 1] - tp[1:]
    p = tp + fp
    prec_slope = math_ops.div_no_nan(dtp, math_ops.maximum(p[:n - 1] - p[1:], 0), name="prec_slope")
    intercept = tp[1:] - math_ops.multiply(prec_slope, p[1:])
    safe_p_ratio = array_ops.where(
        math_ops.logical_and(p[:n - 1] > 0, p[1:] > 0),
        math_ops.div_no_nan(p[:n - 1], math_ops.maximum(p[1:], 0), name="recall_relative_ratio"),
        array_ops.ones_like(p[1:]))
    increments = math_ops.div_no_nan(prec_slope * (dtp + intercept * math_ops.log(safe_p_ratio)),
                                     math_ops.maximum(tp[1:] + fn[1:], 0), name="pr_auc_increment")
    return math_ops.reduce_sum(increments, name="interpolate_pr_auc")


def _auc_from_counts(tp, fn, tn, fp, n, curve, summation_method, name):
    if curve == "PR":
        if summation_method == "trapezoidal":
            logging.getLogger("metarun").warning(
                'Trapezoidal rule is known to produce incorrect PR-AUCs; please switch to "careful_interpolation" '
                "instead.")
        elif summation_method == "careful_interpolation":
            return _interpolate_pr_auc(tp, fp, fn, n)
    epsilon = 1e-6
    rec = math_ops.divide(tp + epsilon, tp + fn + epsilon)
    if curve == "ROC":
        x, y = math_ops.divide(fp, fp + tn + epsilon), rec
    else:
        x, y = rec, math_ops.divide(tp + epsilon, tp + fp + epsilon)
    if summation_method not in ("trapezoidal", "careful_interpolation", "minoring", "majoring"):
        raise ValueError("Invalid summation_method: %s summation_method should be 'trapezoidal', "
                         "'careful_interpolation', 'minoring', or 'majoring'." % summation_method)
    widths = x[:n - 1] - x[1:]
    if summation_method == "minoring":
        heights = math_ops.minimum(y[:n - 1], y[1:])
    elif summation_method == "majoring":
        heights = math_ops.maximum(y[:n - 1], y[1:])
    else:
        heights = (y[:n - 1] + y[1:]) / 2.0
    return math_ops.reduce_sum(math_ops.multiply(widths, heights), name=name)


def auc(labels, predictions, weights=None, num_thresholds=200, metrics_collections=None, updates_collections=None,
        curve="ROC", name=None, summation_method="trapezoidal", thresholds=None):
    with variable_scope(name, "auc", (labels, predictions, weights)):
        if curve != "ROC" and curve != "PR":
            raise ValueError("Curve must be either ROC or PR. Curve %s is unknown." % curve)
        kepsilon = 1e-7
        if thresholds is not None:
            thresholds = sorted(thresholds)
            num_thresholds = len(thresholds) + 2
        else:
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        thresholds = [0.0 - kepsilon] + thresholds + [1.0 + kepsilon]
        values, update_ops = _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights)
        value = _auc_from_counts(values["tp"], values["fn"], values["tn"], values["fp"], num_thresholds, curve,
                                 summation_method, "value")
        _collect(metrics_collections, value)
        update_op = _auc_from_counts(update_ops["tp"], update_ops["fn"], update_ops["tn"], update_ops["fp"],
                                     num_thresholds, curve, summation_method, "update_op")
        _collect(updates_collections, update_op)
        return value, update_op


def _thresholds_for(num_thresholds, top):
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - 1e-7] + inner + [top]


def sensitivity_at_specificity(labels, predictions, specificity, weights=None, num_thresholds=200,
                               metrics_collections=None, updates_collections=None, name=None):
    if specificity < 0 or specificity > 1:
        raise ValueError("`specificity` must be in the range [0, 1]. Currently, `specificity` got %s."
                         % specificity)
    with variable_scope(name, "sensitivity_at_specificity", (predictions, labels, weights)):
        kepsilon = 1e-7
        thresholds = _thresholds_for(num_thresholds, 1.0 + kepsilon)
        values, update_ops = _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights)

        def compute(tp, tn, fp, fn, op_name):
            specificities = math_ops.divide(tn, tn + fp + kepsilon)
            index = math_ops.argmin(math_ops.abs(specificities - specificity), 0)
            index = math_ops.cast(index, dtypes.int32)
            return math_ops.divide(tp[index], tp[index] + fn[index] + kepsilon, op_name)
        value = compute(values["tp"], values["tn"], values["fp"], values["fn"], "value")
        _collect(metrics_collections, value)
        update_op = compute(update_ops["tp"], update_ops["tn"], update_ops["fp"], update_ops["fn"], "update_op")
        _collect(updates_collections, update_op)
        return value, update_op


def specificity_at_sensitivity(labels, predictions, sensitivity, weights=None, num_thresholds=200,
                               metrics_collections=None, updates_collections=None, name=None):
    if sensitivity < 0 or sensitivity > 1:
        raise ValueError("`sensitivity` must be in the range [0, 1]. Currently, `sensitivity` is %s."
                         % sensitivity)
    with variable_scope(name, "specificity_at_sensitivity", (predictions, labels, weights)):
        kepsilon = 1e-7
        thresholds = _thresholds_for(num_thresholds, 1.0 - kepsilon)
        values, update_ops = _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights)

        def compute(tp, tn, fp, fn, op_name):
            # The last threshold nearest the asked sensitivity: argmax of the running count of
            # nearest ones.
            sensitivities = math_ops.divide(tp, tp + fn + kepsilon)
            min_val = math_ops.reduce_min(math_ops.abs(sensitivities - sensitivity))
            at_min = math_ops.equal(math_ops.abs(sensitivities - sensitivity), min_val)
            at_min = math_ops.cumsum(math_ops.cast(at_min, dtypes.int64))
            index = math_ops.cast(math_ops.argmax(at_min, 0), dtypes.int32)
            return math_ops.divide(tn[index], tn[index] + fp[index] + kepsilon, op_name)
        value = compute(values["tp"], values["tn"], values["fp"], values["fn"], "value")
        _collect(metrics_collections, value)
        update_op = compute(update_ops["tp"], update_ops["tn"], update_ops["fp"], update_ops["fn"], "update_op")
        _collect(updates_collections, update_op)
        return value, update_op
