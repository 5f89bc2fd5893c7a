"""tf.metrics true/false positives/negatives, precision and recall: graph node for node, variables,
collections and running values over three update steps, with no, scalar, broadcast and full
weights, on 2-D boolean/int/float labels and predictions (a trailing size-1 dim squeezed)."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    rng = np.random.RandomState(11)
    lab = tf.placeholder(tf.int64, [3, 4], name="lab")
    pred = tf.placeholder(tf.bool, [3, 4], name="pred")
    predf = tf.placeholder(tf.float32, [3, 4, 1], name="predf")
    w_row = tf.placeholder(tf.float32, [3, 1], name="w_row")
    w_full = tf.placeholder(tf.float64, [3, 4], name="w_full")
    pairs = [
        tf.metrics.true_positives(lab, pred),
        tf.metrics.true_positives(lab, predf, weights=w_full, metrics_collections=["mc"], updates_collections=["uc"]),
        tf.metrics.false_positives(lab, pred, weights=w_row),
        tf.metrics.false_positives(lab, predf),
        tf.metrics.true_negatives(lab, pred, weights=0.5),
        tf.metrics.false_negatives(lab, pred, name="fneg"),
        tf.metrics.false_negatives(lab, predf, weights=w_full),
        tf.metrics.precision(lab, pred),
        tf.metrics.precision(lab, predf, weights=w_row, metrics_collections=["mc"]),
        tf.metrics.recall(lab, pred, updates_collections=["uc"]),
        tf.metrics.recall(lab, predf, weights=w_full, name="rec"),
    ]
    out = {"names": [t.name for pair in pairs for t in pair],
           "local": [x.name for x in tf.local_variables()],
           "metric_vars": [x.name for x in tf.get_collection(tf.GraphKeys.METRIC_VARIABLES)],
           "mc": [t.name for t in tf.get_collection("mc")], "uc": [t.name for t in tf.get_collection("uc")]}
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        out["initial"] = sess.run([p[0] for p in pairs])
        for step in range(3):
            feed = {lab: rng.randint(0, 2, (3, 4)), pred: rng.rand(3, 4) > 0.5,
                    predf: (rng.rand(3, 4, 1) > 0.5) * rng.rand(3, 4, 1).astype(np.float32),
                    w_row: rng.randint(0, 3, (3, 1)).astype(np.float32), w_full: rng.rand(3, 4)}
            out["update%d" % step] = sess.run([p[1] for p in pairs], feed)
            out["value%d" % step] = sess.run([p[0] for p in pairs])
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
