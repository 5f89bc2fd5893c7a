"""Batch normalization and dropout with a `training` placeholder, node for node as TF builds
them: conds choosing batch or moving statistics and moving the averages only when training
(fused for 4-D inputs, unfused for 2-D), UPDATE_OPS run through control dependencies, a small
CNN trained with Momentum, and evaluation steps in between that must leave the averages."""
import numpy as np

GRAPH = True
RTOL = 1e-5
# The conv bias feeds a batch norm, so its gradient is zero but for rounding: the bias stays
# within ~1e-7 of zero in both, as noise.
ATOL = 1e-6


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [4, 6, 6, 2], name="x")
    y = tf.placeholder(tf.int32, [4], name="y")
    is_training = tf.placeholder(tf.bool, [], name="is_training")
    init = tf.random_uniform_initializer(-0.3, 0.3, seed=11)
    h = tf.layers.conv2d(x, 3, 3, kernel_initializer=init, name="conv")
    h = tf.layers.batch_normalization(h, training=is_training, momentum=0.8, name="bn_conv")
    h = tf.nn.relu(h)
    h = tf.layers.flatten(h)
    h = tf.layers.dense(h, 5, kernel_initializer=init, name="fc")
    h = tf.layers.batch_normalization(h, training=is_training, momentum=0.9, name="bn_fc")
    h = tf.layers.dropout(h, rate=0.0, training=is_training)
    logits = tf.layers.dense(h, 3, kernel_initializer=init, name="out")
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
    rng = np.random.RandomState(3)
    feed = {x: rng.uniform(-1, 1, (4, 6, 6, 2)).astype(np.float32), y: np.array([0, 1, 2, 1], np.int32)}
    out = {"losses": [], "eval": []}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(6):
            out["losses"].append(np.asarray(sess.run([train, loss], {**feed, is_training: True})[1]))
            if step % 2:
                out["eval"].append(np.asarray(sess.run(loss, {**feed, is_training: False})))
        out["vars"] = [np.asarray(v) for v in sess.run(tf.global_variables())]
    out["update_ops"] = [op.name for op in tf.get_collection(tf.GraphKeys.UPDATE_OPS)]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
