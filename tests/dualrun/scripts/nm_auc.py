"""tf.metrics.auc (ROC and PR; trapezoidal, careful_interpolation, minoring and majoring sums;
num_thresholds and explicit thresholds) and sensitivity_at_specificity: graph node for node and
running values over three update steps, with and without weights, on 2-D inputs."""
import numpy as np

GRAPH = True
RTOL = 1e-5


def main(tf, workdir):
    rng = np.random.RandomState(3)
    lab = tf.placeholder(tf.int64, [4, 5], name="lab")
    pred = tf.placeholder(tf.float32, [4, 5], name="pred")
    w = tf.placeholder(tf.float32, [4, 1], name="w")
    pairs = [
        tf.metrics.auc(lab, pred),
        tf.metrics.auc(lab, pred, weights=w, num_thresholds=20, metrics_collections=["mc"]),
        tf.metrics.auc(lab, pred, curve="PR", num_thresholds=50),
        tf.metrics.auc(lab, pred, curve="PR", summation_method="careful_interpolation", updates_collections=["uc"]),
        tf.metrics.auc(lab, pred, weights=w, curve="PR", summation_method="careful_interpolation",
                       thresholds=[0.7, 0.2, 0.5]),
        tf.metrics.auc(lab, pred, summation_method="minoring", num_thresholds=10, name="auc_min"),
        tf.metrics.auc(lab, pred, curve="PR", summation_method="majoring", thresholds=[0.25, 0.5, 0.75]),
        tf.metrics.sensitivity_at_specificity(lab, pred, 0.6),
        tf.metrics.sensitivity_at_specificity(lab, pred, 0.3, weights=w, num_thresholds=15,
                                              metrics_collections=["mc"], updates_collections=["uc"]),
    ]
    out = {"names": [t.name for pair in pairs for t in pair],
           "local": [x.name for x in tf.local_variables()],
           "mc": [t.name for t in tf.get_collection("mc")], "uc": [t.name for t in tf.get_collection("uc")]}
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        out["initial"] = sess.run([p[0] for p in pairs])
        for step in range(3):
            feed = {lab: rng.randint(0, 2, (4, 5)), pred: rng.rand(4, 5).astype(np.float32),
                    w: rng.randint(0, 3, (4, 1)).astype(np.float32)}
            out["update%d" % step] = sess.run([p[1] for p in pairs], feed)
            out["value%d" % step] = sess.run([p[0] for p in pairs])
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
