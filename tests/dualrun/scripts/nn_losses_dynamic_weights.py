"""tf.losses with weights whose broadcast to the losses TF can check only at run time (unknown
dims or rank): TF's assert_broadcastable builds a tf.cond around a DenseToDenseSetOperation of
the shapes. Values for valid weights, TF's error class for weights that do not broadcast, and
the graph node for node."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    labels = tf.placeholder(tf.float32, [None, 3], name="labels")
    preds = tf.placeholder(tf.float32, [None, 3], name="preds")
    w_col = tf.placeholder(tf.float32, [None, 1], name="w_col")
    w_any = tf.placeholder(tf.float32, None, name="w_any")
    losses = {
        "mse_col": tf.losses.mean_squared_error(labels, preds, weights=w_col),
        "abs_any": tf.losses.absolute_difference(labels, preds, weights=w_any,
                                                 reduction=tf.losses.Reduction.SUM_OVER_BATCH_SIZE),
        "hinge_none": tf.losses.hinge_loss(labels, preds, weights=w_col, reduction=tf.losses.Reduction.NONE),
        "log_mean": tf.losses.log_loss(tf.sigmoid(labels), tf.sigmoid(preds), weights=w_any,
                                       reduction=tf.losses.Reduction.MEAN),
    }
    feed = {labels: np.array([[0.5, 1, -1], [2, 0, 1]], np.float32),
            preds: np.array([[1, 1, 0], [0.5, -1, 3]], np.float32),
            w_col: np.array([[2], [0.5]], np.float32)}
    result = {}
    with tf.Session() as sess:
        for name, w_value in (("scalar", np.float32(3)), ("row", np.array([[1, 0, 2]], np.float32)),
                              ("full", np.arange(6, dtype=np.float32).reshape(2, 3))):
            got = sess.run(losses, {**feed, w_any: w_value})
            for k, v in got.items():
                result["%s_%s" % (k, name)] = v
        for name, f in (("bad_dims", {w_any: np.ones([2, 2], np.float32)}),
                        ("bad_rank", {w_any: np.ones([2], np.float32)}),
                        ("bad_col", {w_col: np.ones([3, 1], np.float32), w_any: np.float32(1)})):
            try:
                sess.run(losses["abs_any"] if name != "bad_col" else losses["mse_col"], {**feed, **f})
                result["error_" + name] = "no error"
            except tf.errors.OpError as ex:
                result["error_" + name] = type(ex).__name__
        result["after_error"] = sess.run(losses["mse_col"], {**feed, w_any: np.float32(1)})
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
