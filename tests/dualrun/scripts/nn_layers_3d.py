"""tf.layers.conv3d (same and valid padding, strides, dilations), conv3d_transpose, max_pooling3d and
average_pooling3d (channels_first between transposes), tf.nn.conv3d_backprop_filter(_v2), node for node as TF's legacy layers build
them, with values and gradients. The convolutions' float sums run in another order than Eigen's,
so values near zero get an absolute tolerance too."""
import numpy as np

GRAPH = True
RTOL = 1e-5
ATOL = 1e-5


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [2, 5, 6, 7, 3], name="x")
    init = tf.random_uniform_initializer(-0.5, 0.5, seed=7)
    a = tf.layers.conv3d(x, 4, 2, strides=(1, 2, 1), padding="same", kernel_initializer=init)
    b = tf.layers.conv3d(a, 2, (2, 1, 2), dilation_rate=2, activation=tf.nn.relu, kernel_initializer=init,
                         name="dil")
    c = tf.layers.Conv3D(3, 3, padding="valid", kernel_initializer=init, use_bias=False)(x)
    p1 = tf.layers.max_pooling3d(a, 2, 2)
    p2 = tf.layers.average_pooling3d(x, (2, 3, 2), 1, padding="same")
    p3 = tf.layers.max_pooling3d(tf.transpose(x, [0, 4, 1, 2, 3]), 2, (1, 2, 2), data_format="channels_first")
    d = tf.layers.conv3d_transpose(p1, 3, 2, strides=2, padding="same", kernel_initializer=init)
    e = tf.layers.Conv3DTranspose(2, (2, 3, 2), strides=(1, 2, 1), padding="valid", kernel_initializer=init,
                                  activation=tf.tanh, name="up")(a)
    f = tf.nn.conv3d_backprop_filter(x, [2, 2, 2, 3, 4], a, strides=[1, 1, 2, 1, 1], padding="SAME")
    f2 = tf.nn.conv3d_backprop_filter_v2(x, tf.constant([3, 3, 3, 3, 3]), c, [1, 1, 1, 1, 1], "VALID",
                                         name="filter_grad")
    outs = [a, b, c, p1, p2, p3, d, e, f, f2]
    loss = sum(tf.reduce_sum(o * o) for o in outs[:8])
    grads = tf.gradients(loss, tf.trainable_variables() + [x])
    rng = np.random.RandomState(3)
    feed = {x: rng.uniform(-1, 1, (2, 5, 6, 7, 3)).astype(np.float32)}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        vals = sess.run(outs + grads, feed)
    return {"values": [np.asarray(v) for v in vals], "shapes": [str(o.shape) for o in outs],
            "__graph__": tf.get_default_graph().as_graph_def()}
