"""tf.metrics.mean_per_class_accuracy: graph node for node (ScatterAdd into per-class totals and
counts) and running values over three update steps, with and without weights, 2-D inputs."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    rng = np.random.RandomState(9)
    lab = tf.placeholder(tf.int32, [3, 4], name="lab")
    pred = tf.placeholder(tf.int64, [3, 4], name="pred")
    lab1 = tf.placeholder(tf.int64, [None], name="lab1")
    pred1 = tf.placeholder(tf.int64, [None], name="pred1")
    w = tf.placeholder(tf.float32, [3, 4], name="w")
    pairs = [
        tf.metrics.mean_per_class_accuracy(lab, pred, 4),
        tf.metrics.mean_per_class_accuracy(lab, pred, 5, weights=w, metrics_collections=["mc"],
                                           updates_collections=["uc"]),
        tf.metrics.mean_per_class_accuracy(lab1, pred1, 3, name="pca"),
    ]
    out = {"names": [t.name for pair in pairs for t in pair],
           "local": [x.name for x in tf.local_variables()],
           "mc": [t.name for t in tf.get_collection("mc")], "uc": [t.name for t in tf.get_collection("uc")]}
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        for step in range(3):
            feed = {lab: rng.randint(0, 4, (3, 4)), pred: rng.randint(0, 4, (3, 4)),
                    lab1: rng.randint(0, 3, 5), pred1: rng.randint(0, 3, 5), w: rng.rand(3, 4).astype(np.float32)}
            out["update%d" % step] = sess.run([p[1] for p in pairs], feed)
            out["value%d" % step] = sess.run([p[0] for p in pairs])
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
