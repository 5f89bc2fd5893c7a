"""tf.metrics with weights whose broadcast to the values TF can check only at run time (unknown
dims or rank): TF's check is a tf.cond around a DenseToDenseSetOperation of the shapes. Values over
two steps for valid weights, and the graph node for node."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w = tf.placeholder(tf.float32, [None, 1], name="w")
    y = tf.placeholder(tf.float32, None, name="y")
    lab = tf.placeholder(tf.bool, [None, 2], name="lab")
    pairs = [
        tf.metrics.mean(x * 1.0, weights=w),
        tf.metrics.mean_tensor(tf.reshape(x, [2, 2]), weights=tf.reshape(w, [2, 1])),
        tf.metrics.accuracy(tf.reshape(y, [-1]), tf.reshape(x, [-1]), weights=2.0),
        tf.metrics.mean(y + 0.0, weights=1.5),
        tf.metrics.auc(lab, x, weights=w, num_thresholds=5),
        tf.metrics.recall_at_thresholds(lab, x, [0.3, 0.6], weights=w),
    ]
    out = {}
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        out["update0"] = sess.run([p[1] for p in pairs], {x: [[0.5, 0.25], [1.0, 0.0]], w: [[2.0], [0.5]],
                                                          y: [0.5, 0.0, 1.0, 0.0],
                                                          lab: [[True, False], [True, True]]})
        out["update1"] = sess.run([p[1] for p in pairs], {x: [[0.75, 0.5], [0.0, 0.125]], w: [[1.0], [3.0]],
                                                          y: [[0.75, 1.0], [0.0, 0.5]],
                                                          lab: [[False, False], [True, False]]})
        out["value"] = sess.run([p[0] for p in pairs])
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
