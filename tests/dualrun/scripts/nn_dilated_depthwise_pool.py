"""The other ops TF runs through with_space_to_batch: tf.nn.depthwise_conv2d and
tf.nn.separable_conv2d with a rate, a dilated tf.layers.separable_conv2d, tf.nn.pool (max and
average, 1-D and 2-D, dilated and not), and a dilated tf.layers.Conv2DTranspose (which TF's backend
builds with atrous_conv2d_transpose); trained a few steps with Adam. The graph node for node
(SpaceToBatchND / BatchToSpaceND around the op only where the rate dilates), losses and weights
as TF's."""
import numpy as np

GRAPH = True
# metarun's convolutions sum in another order than TF's kernels.
RTOL = 1e-5
ATOL = 1e-6


def main(tf, workdir):
    tf.set_random_seed(11)
    img = tf.placeholder(tf.float32, [2, 9, 8, 3], name="img")
    seq = tf.placeholder(tf.float32, [2, 10, 2], name="seq")
    init = tf.random_uniform_initializer(-0.4, 0.4, seed=2)
    dw = tf.get_variable("dw", [3, 3, 3, 2], initializer=init)
    pw = tf.get_variable("pw", [1, 1, 6, 4], initializer=init)
    d = tf.nn.depthwise_conv2d(img, dw, [1, 1, 1, 1], "SAME", rate=[2, 2])
    s = tf.nn.separable_conv2d(tf.nn.relu(img), dw, pw, [1, 1, 1, 1], "VALID", rate=[2, 3])
    plain = tf.nn.depthwise_conv2d(img, dw, [1, 2, 2, 1], "VALID")
    layer = tf.layers.separable_conv2d(d, 3, 3, dilation_rate=2, activation=tf.nn.tanh, name="sep")
    ct = tf.layers.Conv2DTranspose(2, 3, padding="same", dilation_rate=2, name="ct")(d)
    p = tf.nn.pool(d, [2, 2], "MAX", "VALID", dilation_rate=[2, 2])
    q = tf.nn.pool(s, [2, 3], "AVG", "SAME", strides=[2, 2])
    r = tf.nn.pool(seq, [3], "AVG", "VALID", dilation_rate=[2])
    m = tf.nn.pool(seq, [2], "MAX", "SAME")
    loss = (tf.reduce_mean(tf.square(p)) + tf.reduce_mean(tf.square(q - 0.2)) + tf.reduce_mean(layer)
            + tf.reduce_mean(tf.square(plain)) + tf.reduce_mean(r * m[:, :6]) + tf.reduce_mean(tf.square(ct)))
    train = tf.train.AdamOptimizer(0.02).minimize(loss)
    rng = np.random.RandomState(4)
    feed = {img: rng.standard_normal((2, 9, 8, 3)).astype(np.float32),
            seq: rng.standard_normal((2, 10, 2)).astype(np.float32)}
    res = {"losses": []}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(4):
            res["losses"].append(np.asarray(sess.run([train, loss], feed)[1]))
        for v in tf.trainable_variables():
            res[v.op.name] = sess.run(v)
        res["outputs"] = sess.run([d, s, plain, layer, p, q, r, m, ct], feed)
        res["shapes"] = [str(x.shape) for x in (d, s, plain, layer, p, q, r, m, ct)]
    res["__graph__"] = tf.get_default_graph().as_graph_def()
    return res
