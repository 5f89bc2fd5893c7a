"""v1 tf.cond (tensors and tuples, values from outside the branches, constants inside) and
tf.while_loop (several loop vars, a captured tensor, maximum_iterations, nested in a cond),
with gradients through the conds, for three inputs taking different branches."""
import numpy as np


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [], name="x")
    w = tf.Variable(2.0, name="w")
    r = tf.cond(x > 0, lambda: x * w, lambda: tf.constant(1.0) - x)
    r2 = tf.cond(x > 1, lambda: (x, w * 3), lambda: (x * x, tf.constant(0.5)))
    loop = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * x), [tf.constant(0), tf.constant(1.0)])
    counted = tf.while_loop(lambda i: i < 100, lambda i: i + 2, [tf.constant(1)], maximum_iterations=4)
    nested = tf.cond(x < 1, lambda: tf.while_loop(lambda k: tf.abs(k) < 10.0, lambda k: k * 2.0 + x, [x + 1.5]),
                     lambda: tf.identity(x))
    grads = tf.gradients(r + r2[0] * r2[1], [x, w])
    out = {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i, v in enumerate((2.0, -3.0, 0.5)):
            vals = sess.run([r, r2[0], r2[1], loop[0], loop[1], counted, nested], {x: v})
            out["forward_%d" % i] = [np.asarray(a) for a in vals]
            out["grads_%d" % i] = sess.run(grads, {x: v})
    return out
