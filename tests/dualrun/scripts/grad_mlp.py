"""tf.gradients of an MLP loss, bit-identical to TF's. (The gradient graph's layout differs from
TF's, whose gradient functions take static-shape shortcuts metarun does not copy yet.)"""
import numpy as np


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.placeholder(tf.float32, [None, 2], name="y")
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, name="w")
    b = tf.Variable(np.array([0.1, -0.2], np.float32), name="b")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
    grads = tf.gradients(loss, [w, b])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = sess.run(grads, {x: np.arange(12, dtype=np.float32).reshape(4, 3) / 7,
                                  y: np.ones([4, 2], np.float32)})
    return {"grads": values, "names": [g.op.name.split("/")[1] for g in grads]}
