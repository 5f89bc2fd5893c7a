"""tf.assert_* / tf.debugging: layouts, messages, static checks and run-time failures."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    p = tf.placeholder(tf.float32, [None], name="p")
    q = tf.placeholder(tf.float32, [None], name="q")
    checks = [tf.assert_less(p, q), tf.assert_equal(p, p, message="same"), tf.debugging.assert_non_negative(p),
              tf.assert_greater_equal(q, 1.0), tf.debugging.assert_positive(q, name="pos"),
              tf.assert_negative(-q), tf.assert_non_positive(-q), tf.assert_none_equal(p, q),
              tf.assert_greater(q, p), tf.assert_less_equal(p, q)]
    static_ok = tf.assert_equal(tf.constant([1, 2]), tf.constant([1, 2]))
    try:
        tf.assert_less(tf.constant(3), tf.constant(2))
        static_bad = "no error"
    except tf.errors.InvalidArgumentError:
        static_bad = "InvalidArgumentError"
    with tf.control_dependencies(checks + [static_ok]):
        out = tf.identity(q - p, name="out")
    result = {"static_bad": static_bad}
    with tf.Session() as sess:
        result["good"] = sess.run(out, {p: [0.0, 1.0], q: [1.0, 2.0]})
        try:
            sess.run(out, {p: [0.0, 3.0], q: [1.0, 2.0]})
            result["bad"] = "ran"
        except tf.errors.InvalidArgumentError:
            result["bad"] = "InvalidArgumentError"
    result["names"] = [c.name for c in checks]
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
