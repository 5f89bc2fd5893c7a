"""tf.metrics *_at_thresholds (true/false positives/negatives, precision, recall): graph node for
node, running values over three update steps, without and with (broadcast) weights, 2-D inputs,
and the run-time check that predictions lie in [0, 1]."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    rng = np.random.RandomState(5)
    lab = tf.placeholder(tf.bool, [2, 5], name="lab")
    pred = tf.placeholder(tf.float32, [2, 5], name="pred")
    lab1 = tf.placeholder(tf.int32, [None], name="lab1")
    pred1 = tf.placeholder(tf.float64, [None], name="pred1")
    w = tf.placeholder(tf.float32, [2, 1], name="w")
    th = [0.1, 0.5, 0.8]
    pairs = [
        tf.metrics.true_positives_at_thresholds(lab, pred, th),
        tf.metrics.false_positives_at_thresholds(lab, pred, th, weights=w, metrics_collections=["mc"]),
        tf.metrics.true_negatives_at_thresholds(lab1, pred1, [0.3, 0.6], updates_collections=["uc"]),
        tf.metrics.false_negatives_at_thresholds(lab, pred, [0.5], weights=w, name="fn_th"),
        tf.metrics.precision_at_thresholds(lab, pred, th),
        tf.metrics.precision_at_thresholds(lab1, pred1, th, metrics_collections=["mc"]),
        tf.metrics.recall_at_thresholds(lab, pred, th, weights=w, updates_collections=["uc"]),
        tf.metrics.recall_at_thresholds(lab1, pred1, [0.0, 0.99]),
    ]
    out = {"names": [t.name for pair in pairs for t in pair],
           "local": [x.name for x in tf.local_variables()],
           "mc": [t.name for t in tf.get_collection("mc")], "uc": [t.name for t in tf.get_collection("uc")]}
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        for step in range(3):
            feed = {lab: rng.rand(2, 5) > 0.4, pred: rng.rand(2, 5).astype(np.float32),
                    lab1: rng.randint(0, 2, 6), pred1: rng.rand(6), w: rng.randint(0, 3, (2, 1)).astype(np.float32)}
            out["update%d" % step] = sess.run([p[1] for p in pairs], feed)
            out["value%d" % step] = sess.run([p[0] for p in pairs])
        try:
            sess.run(pairs[2][1], {lab1: [1, 0], pred1: [0.5, 1.5]})
            out["out_of_range"] = "ran"
        except tf.errors.InvalidArgumentError:
            out["out_of_range"] = "InvalidArgumentError"
        out["after_error"] = sess.run(pairs[2][0])
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
