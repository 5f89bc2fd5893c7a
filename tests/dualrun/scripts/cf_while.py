"""v1 tf.while_loop node for node as TF builds it: a counter and an accumulator with a captured
tensor (constant Enter), maximum_iterations, nested structures of loop variables (tuple, dict,
namedtuple), a loop nested in a loop and in a cond, a cond inside a body, control dependencies
inside the body, a shape invariant, parallel_iterations and back_prop attributes."""
import collections

import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [], name="x")
    v = tf.placeholder(tf.float32, [3], name="v")
    loop = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * x), [tf.constant(0), tf.constant(1.0)])
    counted = tf.while_loop(lambda i: i < 100, lambda i: i + 2, [tf.constant(1)], maximum_iterations=4)
    counted2 = tf.while_loop(lambda i, s: i < 100, lambda i, s: (i + 1, s + v), (tf.constant(0), v),
                             maximum_iterations=tf.constant(5), parallel_iterations=3)
    Pair = collections.namedtuple("Pair", "p q")
    nested = tf.while_loop(lambda d, p: d["n"] < 4,
                           lambda d, p: ({"n": d["n"] + 1, "acc": d["acc"] + p.p}, Pair(p.p * 2.0, p.q - 1)),
                           [{"n": tf.constant(0), "acc": tf.zeros([3])}, Pair(v, tf.constant(10))])

    def outer_body(i, total):
        inner = tf.while_loop(lambda j, t: j < i, lambda j, t: (j + 1, t + tf.cast(j, tf.float32) * x),
                              [tf.constant(0), total])
        return i + 1, inner[1]
    loops2 = tf.while_loop(lambda i, t: i < 4, outer_body, [tf.constant(1), tf.constant(0.0)], back_prop=False)
    in_cond = tf.cond(x < 1, lambda: tf.while_loop(lambda k: k < 10.0, lambda k: k * 2.0 + x, [x + 1.5]),
                      lambda: tf.identity(x))

    def cond_body(i, a):
        a2 = tf.cond(tf.equal(i % 2, 0), lambda: a + x, lambda: a * 2.0)
        with tf.control_dependencies([a2]):
            j = tf.identity(i) + 1
        return j, a2
    with_cond = tf.while_loop(lambda i, a: i < 5, cond_body, [tf.constant(0), tf.constant(1.0)])
    grow = tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, tf.concat([s, s], 0)),
                         [tf.constant(0), tf.ones([1])],
                         shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])])
    same = tf.while_loop(lambda i: i < 3, lambda i: [i + 1], [tf.constant(0)], return_same_structure=True)
    out = {}
    with tf.Session() as sess:
        for i, xv in enumerate((2.0, 0.5)):
            feed = {x: xv, v: np.array([1.0, -2.0, 0.5], np.float32)}
            vals = sess.run([loop[0], loop[1], counted, counted2[0], counted2[1], nested[0]["n"],
                             nested[0]["acc"], nested[1].p, nested[1].q, loops2[0], loops2[1], in_cond,
                             with_cond[0], with_cond[1], grow[1], same[0]], feed)
            out["run_%d" % i] = [np.asarray(a) for a in vals]
    out["types"] = [type(same).__name__, type(nested[1]).__name__, str(grow[1].shape), str(counted2[1].shape)]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
