"""tf.confusion_matrix: graph node for node (TF's asserts and one
ScatterNd) with and without num_classes, weights and dtype, a squeezed trailing dim, and the
run-time errors for negative and out-of-range labels; the session keeps running afterwards."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    lab = tf.placeholder(tf.int64, [None], name="lab")
    pred = tf.placeholder(tf.int32, [None, 1], name="pred")
    w = tf.placeholder(tf.float32, [None], name="w")
    cms = [
        tf.confusion_matrix(lab, pred),
        tf.confusion_matrix(lab, pred, num_classes=5, name="cm5"),
        tf.confusion_matrix(lab, tf.squeeze(pred, [1]), num_classes=4, weights=w, dtype=tf.float32),
        tf.confusion_matrix(lab, pred, dtype=tf.int64, weights=tf.cast(w, tf.int64)),
    ]
    out = {"names": [c.name for c in cms], "__graph__": tf.get_default_graph().as_graph_def()}
    with tf.Session() as sess:
        feed = {lab: [0, 1, 3, 3, 2], pred: [[0], [2], [3], [1], [2]], w: [1.0, 2.0, 0.5, 3.0, 1.0]}
        out["cms"] = sess.run(cms, feed)
        for key, bad in (("negative", {lab: [0, -1], pred: [[0], [1]], w: [1.0, 1.0]}),
                         ("out_of_range", {lab: [0, 1], pred: [[7], [1]], w: [1.0, 1.0]})):
            try:
                sess.run(cms[1], bad)
                out[key] = "ran"
            except tf.errors.InvalidArgumentError:
                out[key] = "InvalidArgumentError"
        out["after"] = sess.run(cms[0], {lab: [1, 1], pred: [[0], [1]]})
    return out
