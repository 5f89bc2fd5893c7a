"""tf.metrics.specificity_at_sensitivity (TF picks the last threshold nearest the asked
sensitivity through a Cumsum): graph node for node and running values over three update steps,
with and without weights, on 2-D inputs."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    rng = np.random.RandomState(21)
    lab = tf.placeholder(tf.int32, [3, 4], name="lab")
    pred = tf.placeholder(tf.float32, [3, 4], name="pred")
    w = tf.placeholder(tf.float32, [3, 4], name="w")
    pairs = [
        tf.metrics.specificity_at_sensitivity(lab, pred, 0.7),
        tf.metrics.specificity_at_sensitivity(lab, pred, 0.4, weights=w, num_thresholds=12,
                                              metrics_collections=["mc"], updates_collections=["uc"]),
        tf.metrics.specificity_at_sensitivity(lab, pred, 1.0, num_thresholds=5, name="spec"),
    ]
    out = {"names": [t.name for pair in pairs for t in pair],
           "local": [x.name for x in tf.local_variables()],
           "mc": [t.name for t in tf.get_collection("mc")], "uc": [t.name for t in tf.get_collection("uc")]}
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        for step in range(3):
            feed = {lab: rng.randint(0, 2, (3, 4)), pred: rng.rand(3, 4).astype(np.float32),
                    w: rng.rand(3, 4).astype(np.float32)}
            out["update%d" % step] = sess.run([p[1] for p in pairs], feed)
            out["value%d" % step] = sess.run([p[0] for p in pairs])
    return out
