"""tf.layers.separable_conv2d, tf.layers.conv2d_transpose (same and valid padding, strides, output_padding, channels_first, an
unknown batch) and max/average_pooling1d, node for node as TF's legacy layers build them, with
values and gradients."""
import numpy as np

GRAPH = True
RTOL = 1e-5


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [None, 3, 4, 2], name="x")
    seq = tf.placeholder(tf.float32, [2, 7, 3], name="seq")
    init = tf.random_uniform_initializer(-0.5, 0.5, seed=6)
    a = tf.layers.conv2d_transpose(x, 4, 3, strides=2, padding="same", kernel_initializer=init)
    b = tf.layers.conv2d_transpose(a, 2, (2, 3), strides=(1, 2), padding="valid", activation=tf.nn.relu,
                                   kernel_initializer=init, name="up")
    c = tf.layers.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1, kernel_initializer=init,
                                  use_bias=False)(x)
    p1 = tf.layers.max_pooling1d(seq, 2, 2)
    p2 = tf.layers.average_pooling1d(seq, 3, 2, padding="same")
    d = tf.layers.separable_conv2d(x, 5, 2, padding="same", depth_multiplier=2, depthwise_initializer=init,
                                   pointwise_initializer=init, activation=tf.tanh)
    outs = [a, b, c, d, p1, p2]
    loss = sum(tf.reduce_sum(o * o) for o in outs[:4])
    grads = tf.gradients(loss, tf.trainable_variables() + [x])
    rng = np.random.RandomState(2)
    feed = {x: rng.uniform(-1, 1, (2, 3, 4, 2)).astype(np.float32),
            seq: rng.uniform(-1, 1, (2, 7, 3)).astype(np.float32)}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        vals = sess.run(outs + grads, feed)
    return {"values": [np.asarray(v) for v in vals], "shapes": [str(o.shape) for o in outs],
            "__graph__": tf.get_default_graph().as_graph_def()}
