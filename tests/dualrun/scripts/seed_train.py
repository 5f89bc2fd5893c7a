"""The seed document's first snippet with a concrete model: train, add the train op to a
collection, save every k steps (each save writes a .meta), then restart from the last saved
meta graph and checkpoint and keep training with the collected train op."""
import os

import numpy as np

# The final losses (~1e-7) are squares of residuals that cancel to ~3e-4 from values near 1, so one
# ulp of difference in the forward MatMul (k=2) shows as 2e-4 relative; weights are bit-identical.
ATOL = 1e-10


def main(tf, workdir):
    xs = np.linspace(-1, 1, 32, dtype=np.float32).reshape(16, 2)
    ys = (xs @ np.array([[2.0], [-3.0]], np.float32) + 0.5).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = tf.placeholder(tf.float32, [None, 1], name="y")
    w = tf.Variable(tf.zeros([2, 1]), name="w")
    b = tf.Variable(0.0, name="b")
    global_step = tf.Variable(0, name="global_step", trainable=False)
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y), name="loss")
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=global_step)
    saver = tf.train.Saver([w, b, global_step], max_to_keep=3)
    tf.add_to_collection("train_op", train_op)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    prefix = os.path.join(workdir, "my-model")
    for step in range(50):
        sess.run(train_op, {x: xs, y: ys})
        if step % 10 == 0:
            saver.save(sess, prefix, global_step=step)
    first = sess.run([w, b, loss], {x: xs, y: ys})
    sess.close()
    kept = sorted(f for f in os.listdir(workdir) if f.endswith(".meta"))

    with tf.Graph().as_default():
        with tf.Session() as sess:
            new_saver = tf.train.import_meta_graph(prefix + "-40.meta")
            new_saver.restore(sess, prefix + "-40")
            train_op = tf.get_collection("train_op")[0]
            for step in range(30):
                sess.run(train_op, {"x:0": xs, "y:0": ys})
            second = sess.run(["w:0", "b:0", "global_step:0", "loss:0"], {"x:0": xs, "y:0": ys})
    return {"first": first, "kept": kept, "second": second,
            "latest": os.path.basename(tf.train.latest_checkpoint(workdir))}
