"""Optimizer slots in checkpoints: Adam (ref) and Momentum (resource) train five steps, a Saver
writes every variable (slots and beta powers under TF's names), a new graph built the same way
restores and trains five more steps; the checkpoint keys, values and the loss curve are compared."""
import os

import numpy as np


def _build(tf):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.placeholder(tf.float32, [None, 2], name="y")
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, name="w")
    b = tf.Variable(np.array([0.1, -0.2], np.float32), name="b", use_resource=True)
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y), name="loss")
    step = tf.train.get_or_create_global_step()
    train = tf.group(tf.train.AdamOptimizer(0.05).minimize(loss, var_list=[w], global_step=step),
                     tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss, var_list=[b]))
    return x, y, loss, train


def main(tf, workdir):
    feed_x = np.arange(12, dtype=np.float32).reshape(4, 3) / 7 - 0.5
    feed_y = np.array([[1, 0], [0, 1], [1, 1], [0.5, -1]], np.float32)
    out = {}
    with tf.Graph().as_default():
        x, y, loss, train = _build(tf)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = [sess.run([train, loss], {x: feed_x, y: feed_y})[1] for _ in range(5)]
            path = saver.save(sess, os.path.join(workdir, "model"), global_step=tf.train.get_global_step())
    reader = tf.train.NewCheckpointReader(path)
    keys = sorted(reader.get_variable_to_shape_map())
    out["keys"] = keys
    out["values"] = [reader.get_tensor(k) for k in keys]
    with tf.Graph().as_default():
        x, y, loss, train = _build(tf)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            saver.restore(sess, path)
            second = [sess.run([train, loss], {x: feed_x, y: feed_y})[1] for _ in range(5)]
            out["final"] = sess.run(sorted(tf.global_variables(), key=lambda v: v.name))
    out["losses"] = np.array(first + second)
    out["path"] = os.path.basename(path)
    return out
