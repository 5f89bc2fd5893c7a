"""A fed Placeholder's control edges are met by the feed, as in TF (which moves them onto the fed
value): tf.metrics.mean of a placeholder, an op under control_dependencies([placeholder]), in a
plain graph and inside a while loop; unfed, the placeholder's absence is TF's error."""
import numpy as np


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [3], name="x")
    m, up = tf.metrics.mean(x)
    p = tf.placeholder(tf.float32, [], name="p")
    with tf.control_dependencies([p]):
        y = tf.constant(2.0) * 3
    looped = tf.while_loop(lambda i: i < 3, lambda i: _body(tf, i, p), [0])
    out = {}
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run(up, {x: [1., 2., 3.]})
        sess.run(up, {x: [4., 5., 6.]})
        out["mean"] = np.asarray(sess.run(m))
        out["y"] = np.asarray(sess.run(y, {p: 1.0}))
        out["looped"] = np.asarray(sess.run(looped, {p: 1.0}))
        try:
            sess.run(y)
            out["unfed"] = "ran"
        except tf.errors.InvalidArgumentError:
            out["unfed"] = "InvalidArgumentError"
    return out


def _body(tf, i, p):
    with tf.control_dependencies([p]):
        return i + 1
