"""The orthogonal and identity initializers, node for node as TF builds them (random normal, Qr,
DiagPart signs, transposed for wide shapes, reshaped for conv kernels; eye for identity), their
values, and their orthogonality."""
import numpy as np

GRAPH = True
RTOL = 1e-5
ATOL = 1e-6


def main(tf, workdir):
    tf.set_random_seed(7)
    a = tf.get_variable("a", [4, 3], initializer=tf.orthogonal_initializer(seed=1))
    b = tf.get_variable("b", [2, 5], initializer=tf.orthogonal_initializer(gain=2.0, seed=2))
    c = tf.get_variable("c", [3, 3, 2, 4], initializer=tf.initializers.orthogonal(seed=3))
    d = tf.get_variable("d", [3, 4], initializer=tf.initializers.identity(gain=0.5))
    e = tf.get_variable("e", [3, 3], initializer=tf.initializers.orthogonal())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        vals = sess.run([a, b, c, d])
        ev = sess.run(e)
    return {"values": [np.asarray(v) for v in vals], "gram": np.asarray(ev.T @ ev).round(5),
            "__graph__": tf.get_default_graph().as_graph_def()}
