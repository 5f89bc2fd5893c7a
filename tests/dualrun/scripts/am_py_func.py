"""tf.py_func / tf.numpy_function: Python functions called on the inputs' values when the op
runs (one output, several, none; strings; stateless), their graph nodes, and the error classes
TF gives for a function that raises or returns the wrong number of values."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [3], name="x")
    words = tf.constant([b"a", b"bc"])
    calls = []

    def double(v):
        calls.append(len(v))
        return v * 2

    one = tf.py_func(double, [x], tf.float32)
    two = tf.py_func(lambda v, w: (v + 1, np.int64(len(w))), [x, words], [tf.float32, tf.int64],
                     stateful=False, name="pair")
    text = tf.numpy_function(lambda w: np.array([s.upper() for s in w], dtype=object), [words], tf.string)
    nothing = tf.py_func(lambda v: calls.append(-1), [x], [])
    bad = tf.py_func(lambda v: (v, v), [x], tf.float32)
    raises = tf.py_func(lambda v: int("nope"), [x], tf.int64)
    out = {}
    feed = {x: np.array([1.0, 2.0, 3.0], np.float32)}
    with tf.Session() as sess:
        vals = sess.run([one] + list(two) + [text], feed)
        out["values"] = [np.asarray(v) for v in vals[:3]]
        out["text"] = [bytes(b) for b in vals[3]]
        sess.run(nothing, feed)
        for key, t in (("bad", bad), ("raises", raises)):
            try:
                sess.run(t, feed)
                out[key] = "ran"
            except tf.errors.OpError as e:
                out[key] = type(e).__name__
    out["calls"] = calls
    out["shapes"] = [str(one.shape), str(two[1].shape)]
    # Tokens number the functions of the whole process; renumbered here from 0 in node order.
    graph = tf.get_default_graph().as_graph_def()
    k = 0
    for node in graph.node:
        if "token" in node.attr:
            node.attr["token"].s = b"pyfunc_%d" % k
            k += 1
    out["__graph__"] = graph
    return out
