"""Gradients through v1 tf.cond, node for node as TF builds them (Merge -> Switch named cond_grad,
Switch -> Merge of the branch gradients, zeros for the branch a value is not used in), with a
nested cond and a value used in both branches, for inputs taking each branch."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [2], name="x")
    w = tf.Variable(np.array([2.0, -1.0], np.float32), name="w")
    r = tf.cond(x[0] > 0, lambda: x * w, lambda: tf.square(x) - w)
    n = tf.cond(x[1] > 0, lambda: tf.cond(x[0] > 1, lambda: x * 3.0, lambda: w * x), lambda: tf.exp(x))
    loss = tf.reduce_sum(r * r) + tf.reduce_sum(n)
    grads = tf.gradients(loss, [x, w])
    out = {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i, v in enumerate(([2.0, 3.0], [-3.0, 0.5], [0.5, -1.0])):
            out["grads_%d" % i] = sess.run(grads, {x: v})
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
