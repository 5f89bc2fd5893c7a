"""The seed document's first snippet with a linear regression trained by GradientDescent: the
train op goes into a collection, the Saver saves every 10 steps with the global step (the
variable, so file names follow its value); a new graph imports the latest meta graph, restores
it, takes the train op from the collection and trains on."""
import os

import numpy as np

# The final losses (~1e-7) are squares of residuals that cancel from values near 1, so one ulp of
# difference in the forward MatMul shows as a relative 2e-4; the weights are compared exactly.
ATOL = 1e-10


def main(tf, workdir):
    xs = np.linspace(-1, 1, 32, dtype=np.float32).reshape(16, 2)
    ys = (xs @ np.array([[2.0], [-3.0]], np.float32) + 0.5).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = tf.placeholder(tf.float32, [None, 1], name="y")
    w = tf.Variable(tf.zeros([2, 1]), name="w")
    b = tf.Variable(0.0, name="b")
    global_step = tf.train.get_or_create_global_step()
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y), name="loss")
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=global_step)
    tf.add_to_collection("train_op", train_op)
    saver = tf.train.Saver(max_to_keep=2)
    prefix = os.path.join(workdir, "my-model")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(35):
            sess.run(train_op, {x: xs, y: ys})
            if sess.run(global_step) % 10 == 0:
                saver.save(sess, prefix, global_step=global_step)
        first = sess.run([w, b, global_step])
    kept = sorted(f for f in os.listdir(workdir) if f.endswith(".meta"))
    latest = tf.train.latest_checkpoint(workdir)
    with tf.Graph().as_default():
        with tf.Session() as sess:
            new_saver = tf.train.import_meta_graph(latest + ".meta")
            new_saver.restore(sess, latest)
            train_op = tf.get_collection("train_op")[0]
            for _ in range(20):
                sess.run(train_op, {"x:0": xs, "y:0": ys})
            second = sess.run(["w:0", "b:0", "global_step:0", "loss:0"], {"x:0": xs, "y:0": ys})
            step = tf.train.global_step(sess, tf.train.get_global_step())
    return {"first": first, "kept": kept, "second": second, "latest": os.path.basename(latest), "step": step}
