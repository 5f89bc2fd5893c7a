"""v1 tf.cond built as TF builds it (Switch per captured value, switch_t/switch_f/pred_id, Merge),
node for node: tensors and tuples, values from outside the branches, constants and ops made
inside, an Operation returned by a branch, a nested cond, tf.case with and without a default."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [2], name="x")
    w = tf.Variable(2.0, name="w")
    r = tf.cond(x[0] > 0, lambda: x * w, lambda: tf.constant(1.0) - x)
    r2 = tf.cond(x[1] > 1, lambda: (x, w * 3), lambda: (x * x, tf.constant(0.5)))
    inc = tf.Variable(0, name="inc")
    r3 = tf.cond(x[0] < 0, lambda: inc.assign_add(1).op, lambda: tf.no_op())
    nested = tf.cond(x[0] > 0,
                     lambda: tf.cond(x[1] > 0, lambda: x + 1.0, lambda: x - w),
                     lambda: tf.identity(x, name="ident"))
    r4 = tf.cond(x[0] > 0, lambda: {"a": x, "b": [x[1], tf.constant(1)]},
                 lambda: {"a": x * 2.0, "b": [x[0], tf.constant(2)]}, strict=True)
    c = tf.case([(x[0] > 5, lambda: tf.constant(5.0)), (x[0] > 1, lambda: tf.constant(1.0))],
                default=lambda: tf.constant(-1.0))
    c2 = tf.case([(x[0] > 5, lambda: x * 5.0), (x[0] <= 5, lambda: x)], exclusive=True)
    out = {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i, v in enumerate(([2.0, 3.0], [-3.0, 0.5], [0.5, -1.0], [7.0, 2.0])):
            vals = sess.run([r, r2[0], r2[1], nested, r4["a"], r4["b"][0], r4["b"][1], c, c2], {x: v})
            sess.run(r3, {x: v})
            out["forward_%d" % i] = [np.asarray(a) for a in vals]
        out["inc"] = sess.run(inc)
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
