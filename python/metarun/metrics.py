"""tf.metrics (tf.compat.v1.metrics): streaming metrics as TF1 builds them (ops/metrics_impl.py,
ops/metrics_curves.py).

Not provided: the top-k metrics (precision_at_k, precision_at_top_k, recall_at_k,
recall_at_top_k, sparse_precision_at_k, average_precision_at_k, sparse_average_precision_at_k),
whose TF graphs count hits with set ops (DenseToDenseSetOperation, SetSize), and mean_iou, whose
graph takes the confusion matrix's diagonal with DiagPart: metarun has no kernels for these ops.
"""

from metarun.ops.metrics_curves import (  # noqa: F401
    auc, false_negatives_at_thresholds, false_positives_at_thresholds, precision_at_thresholds,
    recall_at_thresholds, sensitivity_at_specificity, specificity_at_sensitivity, true_negatives_at_thresholds,
    true_positives_at_thresholds)
from metarun.ops.metrics_impl import (  # noqa: F401
    accuracy, false_negatives, false_positives, mean, mean_absolute_error, mean_cosine_distance,
    mean_per_class_accuracy, mean_relative_error, mean_squared_error, mean_tensor, percentage_below, precision,
    recall, root_mean_squared_error, true_negatives, true_positives)
