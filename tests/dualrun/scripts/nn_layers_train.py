"""tf.layers dense and conv2d (graph seed, default glorot initializers), pooling, flatten,
dropout with a seed, softmax cross entropy and Adam: variable names, static shapes, losses and
values equal TF's."""
import numpy as np

# metarun's Conv2D sums in another order than TF's Eigen kernel: after five Adam steps some
# activations differ by ~1e-8 (relative ~1e-5 on values near 0.003).
ATOL = 1e-7


def main(tf, workdir):
    tf.set_random_seed(5)
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    with tf.variable_scope("scope"):
        v = tf.get_variable("gv", shape=[3, 2])
        tf.get_variable("z", shape=[2], initializer=tf.zeros_initializer())
    with tf.variable_scope("scope", reuse=True):
        same = tf.get_variable("gv")
    h = tf.layers.dense(x, 4, activation=tf.nn.relu)
    o = tf.layers.dense(h, 2)
    img = tf.placeholder(tf.float32, [None, 6, 6, 2], name="img")
    c = tf.layers.conv2d(img, 3, 3, padding="same", activation=tf.nn.relu)
    p = tf.layers.max_pooling2d(c, 2, 2)
    f = tf.layers.flatten(p)
    d = tf.nn.dropout(f, rate=0.3, seed=3)
    labels = tf.constant([[1.0, 0], [0, 1], [0, 1], [1, 0]])
    xent = tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=o)
    loss = tf.reduce_mean(xent) + tf.reduce_sum(d) * 0.01
    probs = tf.nn.softmax(o)
    pred = tf.argmax(probs, 1)
    train = tf.train.AdamOptimizer(0.01).minimize(loss)
    feed = {x: np.arange(12, dtype=np.float32).reshape(4, 3) / 10,
            img: np.linspace(-1, 1, 288, dtype=np.float32).reshape(4, 6, 6, 2)}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([loss, train], feed)[0] for _ in range(5)]
        out = {"losses": np.array(losses), "gv": sess.run(v), "dropped": sess.run(d, feed),
               "probs": sess.run(probs, feed), "pred": sess.run(pred, feed),
               "names": [var.name for var in tf.global_variables()],
               "trainable": [var.name for var in tf.trainable_variables()],
               "shapes": [str(t.shape.as_list()) for t in (h, o, c, p, f, d, xent)],
               "same": str(same is v)}
    return out
