"""tf.metrics' error paths: the exception class and message TF raises while building (shapes that
do not match or broadcast, bad curve, summation method, specificity or sensitivity, predictions
known to lie outside [0, 1]) and at run time (predictions outside [0, 1]), and that the session
still runs afterwards."""
import numpy as np


def _error(fn, message=True):
    try:
        fn()
        return ["none", ""]
    except Exception as e:  # noqa: BLE001 -- the class is the result
        return [type(e).__name__, str(e).split("\n")[0] if message else ""]


# The broadcast check's message is losses.assert_broadcastable's (it words the shapes its own
# way); run-time messages are the executor's: only their class is compared.
_CLASS_ONLY = ("auc_weights", "mean_tensor_weights", "mean_weights_broadcast", "mean_weights_rank")


def main(tf, workdir):
    a23 = tf.placeholder(tf.float32, [2, 3], name="a23")
    a32 = tf.placeholder(tf.float32, [3, 2], name="a32")
    a234 = tf.placeholder(tf.float32, [2, 3, 4], name="a234")
    w2 = tf.placeholder(tf.float32, [2], name="w2")
    w22 = tf.placeholder(tf.float32, [2, 2], name="w22")
    out = {}
    cases = {
        "accuracy_shapes": lambda: tf.metrics.accuracy(a23, a32),
        "mae_shapes": lambda: tf.metrics.mean_absolute_error(a23, a32),
        "tp_shapes": lambda: tf.metrics.true_positives(a23, a32),
        "tp_weights_rank": lambda: tf.metrics.true_positives(a234, a234, weights=w2),
        "precision_weights_rank": lambda: tf.metrics.precision(a234, a234, weights=w2),
        "mean_weights_broadcast": lambda: tf.metrics.mean(a23, weights=w22),
        "mean_weights_rank": lambda: tf.metrics.mean(a234, weights=w2),
        "mean_tensor_weights": lambda: tf.metrics.mean_tensor(a23, weights=w22),
        "relative_normalizer": lambda: tf.metrics.mean_relative_error(a23, a23, normalizer=a32),
        "auc_curve": lambda: tf.metrics.auc(a23, a23, curve="XY"),
        "auc_summation": lambda: tf.metrics.auc(a23, a23, summation_method="simpson"),
        "auc_weights": lambda: tf.metrics.auc(a23, a23, weights=w22),
        "auc_static_range": lambda: tf.metrics.auc(tf.constant([1, 0]), tf.constant([0.5, 1.5])),
        "sens_at_spec": lambda: tf.metrics.sensitivity_at_specificity(a23, a23, 1.5),
        "spec_at_sens": lambda: tf.metrics.specificity_at_sensitivity(a23, a23, -0.1),
        "precision_at_thresholds_shapes": lambda: tf.metrics.precision_at_thresholds(a23, a32, [0.5]),
        "per_class_shapes": lambda: tf.metrics.mean_per_class_accuracy(tf.cast(a23, tf.int32), a32, 3),
        "count_type": lambda: tf.metrics.recall_at_thresholds(tf.constant(["a"]), tf.constant([0.5]), [0.5]),
    }
    for key, fn in sorted(cases.items()):
        out[key] = _error(fn, key not in _CLASS_ONLY)
    p = tf.placeholder(tf.float32, [None], name="p")
    lab = tf.placeholder(tf.int64, [None], name="lab")
    rec, rec_up = tf.metrics.recall_at_thresholds(lab, p, [0.5])
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        out["first"] = sess.run(rec_up, {p: [0.7, 0.2], lab: [1, 1]})
        out["negative"] = _error(lambda: sess.run(rec_up, {p: [-0.1, 0.2], lab: [1, 1]}), False)
        out["too_big"] = _error(lambda: sess.run(rec_up, {p: [1.5, 0.2], lab: [1, 1]}), False)
        out["after"] = sess.run([rec, rec_up], {p: np.array([0.9], np.float32), lab: [0]})
    return out
