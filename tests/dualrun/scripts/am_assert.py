"""tf.Assert: the guarded layout for float data, the bare op for int32/string data; a failing
assert stops the run with InvalidArgumentError and the session stays usable."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [None], name="x")
    ok = tf.Assert(tf.reduce_all(x > 0), [x])
    n = tf.constant([1, 2], name="n")
    bare = tf.Assert(tf.reduce_all(n > 0), ["n is", n], summarize=2, name="bare")
    with tf.control_dependencies([ok, bare]):
        y = tf.identity(x * 2, name="y")
    result = {}
    with tf.Session() as sess:
        result["good"] = sess.run(y, {x: np.array([1.0, 2.0], np.float32)})
        try:
            sess.run(y, {x: np.array([1.0, -2.0], np.float32)})
            result["bad"] = "ran"
        except tf.errors.InvalidArgumentError:
            result["bad"] = "InvalidArgumentError"
        result["again"] = sess.run(y, {x: np.array([3.0], np.float32)})
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
