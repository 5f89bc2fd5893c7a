"""Gradients of the nn ops (activations through their *Grad kernels, softmax and cross entropies,
bias_add, conv2d and depthwise conv, pooling, l2_loss; batch norm is grad_batchnorm): values and the gradient
graph node for node."""
import numpy as np

GRAPH = True
# Conv2DBackpropFilter and the pooling backprops sum in another order than TF's
# kernels (float32 sums of up to 50 products).
RTOL = 1e-5
ATOL = 1e-6


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [2, 3], name="x")
    im = tf.placeholder(tf.float32, [2, 5, 5, 3], name="im")
    w = tf.placeholder(tf.float32, [3, 3, 3, 4], name="w")
    dw = tf.placeholder(tf.float32, [3, 3, 3, 2], name="dw")
    sc = tf.placeholder(tf.float32, [3], name="sc")
    lab = tf.placeholder(tf.float32, [2, 3], name="lab")
    ids = tf.placeholder(tf.int32, [2], name="ids")
    cases = [("relu", lambda: tf.nn.relu(x), [x]), ("relu6", lambda: tf.nn.relu6(x * 4.0), [x]),
             ("elu", lambda: tf.nn.elu(x), [x]), ("selu", lambda: tf.nn.selu(x), [x]),
             ("lrelu", lambda: tf.nn.leaky_relu(x), [x]), ("softplus", lambda: tf.nn.softplus(x), [x]),
             ("softsign", lambda: tf.nn.softsign(x), [x]),
             ("softmax", lambda: tf.nn.softmax(x) * lab, [x]), ("logsm", lambda: tf.nn.log_softmax(x) * lab, [x]),
             ("bias", lambda: tf.nn.bias_add(x, sc) * x, [x, sc]),
             ("sxent", lambda: tf.raw_ops.SparseSoftmaxCrossEntropyWithLogits(features=x, labels=ids)[0], [x]),
             ("l2", lambda: tf.nn.l2_loss(x), [x]),
             ("conv", lambda: tf.nn.conv2d(im, w, [1, 1, 1, 1], "SAME"), [im, w]),
             ("conv_s2", lambda: tf.nn.conv2d(im, w, [1, 2, 2, 1], "VALID"), [im, w]),
             ("dconv", lambda: tf.raw_ops.DepthwiseConv2dNative(input=im, filter=dw, strides=[1, 1, 1, 1],
                                                                padding="VALID"), [im, dw]),
             ("mp", lambda: tf.nn.max_pool(im, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"), [im]),
             ("ap", lambda: tf.nn.avg_pool(im, [1, 3, 3, 1], [1, 2, 2, 1], "SAME"), [im])]
    grads = []
    for name, f, xs in cases:
        with tf.name_scope(name):
            y = f()
        grads.append(tf.gradients(y * y, xs, name="g_" + name))
    rng = np.random.RandomState(3)
    feed = {x: np.arange(6, dtype=np.float32).reshape(2, 3) / 3 - 0.8,
            im: rng.uniform(-1, 1, [2, 5, 5, 3]).astype(np.float32),
            w: rng.uniform(-1, 1, [3, 3, 3, 4]).astype(np.float32),
            dw: rng.uniform(-1, 1, [3, 3, 3, 2]).astype(np.float32),
            sc: np.array([0.5, 1.0, 2.0], np.float32), lab: np.eye(3, dtype=np.float32)[[0, 2]],
            ids: np.array([1, 2], np.int32)}
    out = {}
    with tf.Session() as sess:
        for (name, _, _), g in zip(cases, grads):
            out[name] = sess.run(g, feed)
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
