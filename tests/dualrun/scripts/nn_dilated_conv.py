"""Dilated convolutions as TF builds them on CPU, trained with momentum: tf.nn.atrous_conv2d (SAME,
known shapes: Consts for the paddings and crops), a dilated tf.layers.conv2d and conv1d (through
tf.nn.convolution), a dilated tf.nn.convolution on an input of unknown spatial size (paddings and
crops computed in the graph from its shape), tf.nn.atrous_conv2d_transpose, and SpaceToDepth /
DepthToSpace / SpaceToBatch in the loss, so every gradient of the family is in the train op. The
graph node for node, the losses and the trained weights as TF's."""
import numpy as np

GRAPH = True
# metarun's Conv2D sums in another order than TF's kernels.
RTOL = 1e-5
ATOL = 1e-6


def main(tf, workdir):
    tf.set_random_seed(3)
    img = tf.placeholder(tf.float32, [2, 9, 8, 3], name="img")
    seq = tf.placeholder(tf.float32, [2, 11, 2], name="seq")
    free = tf.placeholder(tf.float32, [None, None, None, 3], name="free")
    init = tf.random_uniform_initializer(-0.3, 0.3, seed=7)
    w = tf.get_variable("w_atrous", [3, 3, 3, 4], initializer=init)
    a = tf.nn.relu(tf.nn.atrous_conv2d(img, w, 2, "SAME"))
    c = tf.layers.conv2d(a, 4, 3, padding="valid", dilation_rate=(2, 3), activation=tf.nn.tanh, name="dil2d")
    c1 = tf.layers.conv1d(seq, 3, 2, padding="same", dilation_rate=3, name="dil1d")
    wf = tf.get_variable("w_free", [2, 2, 3, 2], initializer=init)
    f = tf.nn.convolution(free, wf, "VALID", dilation_rate=[2, 2])
    wt = tf.get_variable("w_transpose", [3, 3, 3, 4], initializer=init)
    t = tf.nn.atrous_conv2d_transpose(a, wt, [2, 9, 8, 3], 2, "SAME")
    deep = tf.space_to_depth(tf.pad(c, [[0, 0], [0, 1], [0, 0], [0, 0]]), 2)
    back = tf.nn.depth_to_space(deep, 2)
    packed = tf.space_to_batch(t, [[1, 0], [0, 0]], 2)
    loss = (tf.reduce_mean(tf.square(back)) + tf.reduce_mean(tf.abs(c1)) + tf.reduce_mean(tf.square(f))
            + tf.reduce_mean(tf.square(packed - 0.1)))
    train = tf.train.MomentumOptimizer(0.05, 0.9).minimize(loss)
    rng = np.random.RandomState(0)
    feed = {img: rng.standard_normal((2, 9, 8, 3)).astype(np.float32),
            seq: rng.standard_normal((2, 11, 2)).astype(np.float32),
            free: rng.standard_normal((3, 7, 10, 3)).astype(np.float32)}
    res = {"losses": []}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(4):
            res["losses"].append(np.asarray(sess.run([train, loss], feed)[1]))
        for v in tf.trainable_variables():
            res[v.op.name] = sess.run(v)
        res["outputs"] = sess.run([a, c, c1, f, t, deep, packed], feed)
        res["shapes"] = [str(x.shape) for x in (a, c, c1, f, t, deep, back, packed)]
    res["__graph__"] = tf.get_default_graph().as_graph_def()
    return res
