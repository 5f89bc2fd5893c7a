"""tf.layers CNN and MLP with batch normalization (fused on 4-D inputs, plain on 2-D), pooling,
flatten and dropout (training on, with a seed, and off): TF's layer and variable names, the
moving-average updates in UPDATE_OPS, three update steps' moving statistics and the outputs; the
graph node for node. A second block checks the class forms, reuse by name, and names under an
enclosing variable scope."""
import numpy as np

GRAPH = True
# metarun's fused batch norm and conv kernels round differently from TF's in the last bits.
RTOL = 1e-5
ATOL = 1e-6


def main(tf, workdir):
    tf.set_random_seed(11)
    x = tf.placeholder(tf.float32, [None, 6, 6, 2], name="x")
    c = tf.layers.conv2d(x, 3, 3, padding="same", activation=tf.nn.relu)
    b = tf.layers.batch_normalization(c, training=True)
    b_inf = tf.layers.batch_normalization(c, training=False, momentum=0.9)
    p = tf.layers.max_pooling2d(b, 2, 2)
    a = tf.layers.average_pooling2d(b_inf, 2, 2, padding="same")
    f = tf.layers.flatten(tf.concat([p, a], 3))
    h = tf.layers.dense(f, 5, activation=tf.nn.relu)
    hb = tf.layers.batch_normalization(h, training=True, momentum=0.8, epsilon=0.01)
    hb2 = tf.layers.batch_normalization(h, training=False, center=False)
    d = tf.layers.dropout(hb, 0.4, training=True, seed=3)
    d_off = tf.layers.dropout(hb2, 0.4, training=False)
    o = tf.layers.dense(d, 2, name="logits")
    o2 = tf.layers.dense(d_off, 2, name="logits", reuse=True)
    with tf.variable_scope("head"):
        layer = tf.layers.Dense(3, use_bias=False)
        q = layer(o)
        q2 = layer(o2)
        conv = tf.layers.Conv2D(2, [1, 2], kernel_initializer=tf.ones_initializer())
        r = conv(x)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    feed = {x: np.linspace(-1, 1, 4 * 72, dtype=np.float32).reshape(4, 6, 6, 2)}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(updates, feed)
        out = sess.run({"b": b, "b_inf": b_inf, "hb": hb, "hb2": hb2, "d": d, "d_off": d_off, "o": o, "o2": o2,
                        "q": q, "q2": q2, "r": r}, feed)
        out["moving"] = sess.run([v for v in tf.global_variables() if "moving" in v.name])
    out["names"] = [v.name for v in tf.global_variables()]
    out["trainable"] = [v.name for v in tf.trainable_variables()]
    out["updates"] = [u.name for u in updates]
    out["layer_vars"] = [v.name for v in layer.trainable_weights] + [v.name for v in conv.weights]
    out["shapes"] = [str(t.shape) for t in (c, b, p, a, f, h, hb, d, o, q, r)]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
