"""A new head trained on an imported, restored body: minimize(loss, var_list=new_vars) leaves
the body unchanged; a hand-written Saver over the new variables saves them."""
import os

import numpy as np


def main(tf, workdir):
    x_val = np.linspace(-1, 1, 24, dtype=np.float32).reshape(8, 3)
    y_val = np.array([0, 1, 1, 0, 1, 0, 0, 1], np.int64)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(np.array([[0.5, -0.3, 0.2, 0.1], [0.2, 0.4, -0.5, 0.3], [-0.1, 0.2, 0.3, -0.4]],
                                 np.float32), name="body_w")
        tf.add(tf.matmul(x, w), 0.0, name="features")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            saver.save(sess, os.path.join(workdir, "body"))
    with tf.Graph().as_default():
        loader = tf.train.import_meta_graph(os.path.join(workdir, "body.meta"))
        features = tf.get_default_graph().get_tensor_by_name("features:0")
        x = tf.get_default_graph().get_tensor_by_name("x:0")
        head_w = tf.Variable(np.full([4, 2], 0.1, np.float32), name="head_w")
        head_b = tf.Variable(np.zeros([2], np.float32), name="head_b")
        logits = tf.matmul(features, head_w) + head_b
        labels = tf.placeholder(tf.int64, [None], name="labels")
        onehot = tf.cast(tf.equal(tf.expand_dims(labels, 1), tf.constant([[0, 1]], tf.int64)), tf.float32)
        loss = tf.reduce_mean(tf.square(logits - onehot))
        train = tf.train.MomentumOptimizer(0.2, 0.5).minimize(loss, var_list=[head_w, head_b])
        pred = tf.argmax(logits, 1)
        head_saver = tf.train.Saver([head_w, head_b])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            loader.restore(sess, os.path.join(workdir, "body"))
            losses = [sess.run([train, loss], {x: x_val, labels: y_val})[1] for _ in range(25)]
            body = sess.run("body_w:0")
            head = sess.run([head_w, head_b])
            preds = sess.run(pred, {x: x_val})
            path = head_saver.save(sess, os.path.join(workdir, "head"))
    reader = tf.train.NewCheckpointReader(path)
    return {"losses": np.array(losses), "body": body, "head": head, "preds": preds,
            "head_ckpt": sorted(reader.get_variable_to_shape_map())}
