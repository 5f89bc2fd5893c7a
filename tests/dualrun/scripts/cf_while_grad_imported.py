"""Fine-tuning through a while loop of an imported meta graph: a GRU dynamic_rnn and a hand-written
loop are built and saved without a train op; a new graph imports the meta graph (its while
contexts come back from the collection), restores the checkpoint, and trains with Momentum
through both loops. Losses per step and the trained variables."""
import os

import numpy as np

RTOL = 1e-4
ATOL = 1e-6


def main(tf, workdir):
    prefix = os.path.join(workdir, "model")
    rng = np.random.RandomState(1)
    xv = rng.uniform(-1, 1, (3, 4, 2)).astype(np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3, 4, 2], name="x")
        with tf.variable_scope("net", initializer=tf.random_uniform_initializer(-0.5, 0.5, seed=2)):
            _, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(3), x, dtype=tf.float32)
            w = tf.get_variable("w", [3])
            looped = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, tf.sin(a * w) + state),
                                   [tf.constant(0), state])
        loss = tf.reduce_mean(tf.square(looped[1] - 0.25), name="loss")
        tf.add_to_collection("loss", loss)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            saver.save(sess, prefix)
    out = {"losses": []}
    with tf.Graph().as_default():
        restorer = tf.train.import_meta_graph(prefix + ".meta")
        loss = tf.get_collection("loss")[0]
        x = tf.get_default_graph().get_tensor_by_name("x:0")
        train = tf.train.MomentumOptimizer(0.3, 0.9).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            restorer.restore(sess, prefix)
            for _ in range(6):
                out["losses"].append(np.asarray(sess.run([train, loss], {x: xv})[1]))
            out["vars"] = [np.asarray(a) for a in sess.run(tf.trainable_variables())]
    return out
