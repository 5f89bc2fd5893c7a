"""Gradients through v1 tf.while_loop, node for node as TF builds them: the forward counter
(f_count) and the gradient loop's counter (b_count), stacks saving forward values (f_acc,
StackPushV2/StackPopV2) and the sync triggers, accumulators of loop invariants (b_acc), a loop
variable whose next value ignores it (zeros patched into the back edge), an exit nothing flows
back from, maximum_iterations, a cond inside the body (its predicate saved per iteration), a
loop nested in a loop, a gather inside the loop (IndexedSlices accumulated), a value of unknown
shape (its shape saved), and a TensorArray written in the loop."""
import numpy as np

GRAPH = True
# Eigen's float tanh (TF's kernel) and metarun's differ in the last bit; four iterations of it
# move a small, cancelling gradient by ~1e-5 relative.
RTOL = 2e-5
ATOL = 1e-7


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [], name="x")
    v = tf.placeholder(tf.float32, [3], name="v")
    u = tf.placeholder(tf.float32, [None], name="u")
    w = tf.Variable(np.array([0.5, -1.0, 2.0], np.float32), name="w")
    emb = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3) / 10.0, name="emb")
    grads = []

    power = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * x), [tf.constant(0), tf.constant(1.0)])
    grads += tf.gradients(power[1], x)

    def body(i, a, b):
        return i + 1, tf.tanh(a * w + v), b * 0.0 + x
    three = tf.while_loop(lambda i, a, b: i < 4, body, [tf.constant(0), v, tf.constant(2.0)])
    grads += tf.gradients(tf.reduce_sum(three[1]) + three[2], [w, v, x])
    grads += tf.gradients(three[1], w)  # an exit with no gradient (three[2])

    capped = tf.while_loop(lambda a: a < 1000.0, lambda a: a * x + 1.0, [x], maximum_iterations=5)
    grads += tf.gradients(capped, x)

    def cond_body(i, a):
        return i + 1, tf.cond(tf.equal(i % 2, 0), lambda: a * x, lambda: tf.sin(a) + x)
    with_cond = tf.while_loop(lambda i, a: i < 5, cond_body, [tf.constant(0), x])
    grads += tf.gradients(with_cond[1], x)

    def outer_body(i, t):
        inner = tf.while_loop(lambda j, s: j < i, lambda j, s: (j + 1, s * x + 1.0), [tf.constant(0), t])
        return i + 1, inner[1]
    nested = tf.while_loop(lambda i, t: i < 3, outer_body, [tf.constant(1), x])
    grads += tf.gradients(nested[1], x)

    gathered = tf.while_loop(lambda i, s: i < 4,
                             lambda i, s: (i + 1, s + tf.gather(emb, i % 3) * s), [tf.constant(0), v])
    g_emb, g_v = tf.gradients(tf.reduce_sum(gathered[1]), [emb, v])
    grads += [tf.convert_to_tensor(g_emb), g_v, g_emb.indices]

    unknown = tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * s * 0.5 + u), [tf.constant(0), u])
    grads += tf.gradients(tf.reduce_sum(unknown[1]), u)

    ta = tf.TensorArray(tf.float32, size=4)
    written = tf.while_loop(lambda i, a, t: i < 4,
                            lambda i, a, t: (i + 1, a * x, t.write(i, a * v)),
                            [tf.constant(0), tf.constant(1.0), ta])
    stacked = written[2].stack()
    grads += tf.gradients(tf.reduce_sum(stacked * stacked), [x, v])

    out = {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for k, xv in enumerate((1.5, -0.7)):
            feed = {x: xv, v: np.array([0.3, -0.2, 0.9], np.float32), u: np.array([0.5, -0.25], np.float32)}
            out["grads_%d" % k] = [np.asarray(a) for a in sess.run(grads, feed)]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
