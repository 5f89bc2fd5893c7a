"""tf.metrics on inputs whose shapes are known only at run time: accuracy and mean_squared_error
with labels of unknown rank (TF squeezes inside a cond), mean and mean_absolute_error over
[None] inputs, with scalar weights; graph node for node and values over two steps (weights TF
checks only at run time: nm_dynamic_weights)."""

GRAPH = True


def main(tf, workdir):
    lab = tf.placeholder(tf.int32, None, name="lab")
    pred = tf.placeholder(tf.int32, [None], name="pred")
    x = tf.placeholder(tf.float32, [None], name="x")
    y = tf.placeholder(tf.float32, None, name="y")
    pairs = [
        tf.metrics.accuracy(lab, pred),
        tf.metrics.accuracy(pred, lab),
        tf.metrics.mean(x * 1.0),
        tf.metrics.mean(x * 2.0, weights=0.5),
        tf.metrics.mean_absolute_error(x, x * x),
        tf.metrics.mean_squared_error(y, x),
    ]
    out = {"names": [t.name for pair in pairs for t in pair]}
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        out["update0"] = sess.run([p[1] for p in pairs], {lab: [[1], [2], [3]], pred: [1, 0, 3],
                                                          x: [1.0, 2.0, 0.5], y: [[1.0], [2.5], [0.0]]})
        out["update1"] = sess.run([p[1] for p in pairs], {lab: [2, 2], pred: [2, 1], x: [3.0, -1.0],
                                                          y: [0.5, 1.0]})
        out["value"] = sess.run([p[0] for p in pairs])
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
