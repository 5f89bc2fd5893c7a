"""Gradients of gradients (the *Grad kernels' own gradients: tanh, sigmoid, rsqrt, sqrt,
reciprocal, relu, relu6, leaky relu, elu, selu, softplus, bias add, conv2d and depthwise conv
backprops, average pooling, strided slices), tf.hessians of an MLP-like function, and first-order
gradients of the inverse trigonometric and hyperbolic functions, erfc, atan2 with broadcasting,
clip_by_value with tensor bounds, the Euclidean norm, dynamic_partition and dynamic_stitch."""
import numpy as np

GRAPH = True
# The conv backprops sum in another order than TF's (Eigen's tensor contractions): second-order
# conv gradients, which cancel, agree to ~5e-6 relative.
RTOL = 1e-5
ATOL = 1e-7


def main(tf, workdir):
    rng = np.random.RandomState(4)
    x = tf.constant(rng.uniform(0.2, 0.9, (2, 3)).astype(np.float32), name="x")
    s = tf.constant(rng.uniform(-1.5, 1.5, (2, 3)).astype(np.float32), name="s")
    img = tf.constant(rng.uniform(-1, 1, (1, 5, 5, 2)).astype(np.float32), name="img")
    ker = tf.constant(rng.uniform(-1, 1, (3, 3, 2, 3)).astype(np.float32), name="ker")
    dker = tf.constant(rng.uniform(-1, 1, (2, 2, 2, 2)).astype(np.float32), name="dker")
    bias = tf.constant(np.array([0.1, -0.2, 0.3], np.float32), name="bias")
    out = {}
    second = []
    for fn, arg in ((tf.tanh, s), (tf.sigmoid, s), (tf.rsqrt, x), (tf.sqrt, x), (tf.reciprocal, x),
                    (tf.nn.relu, s), (tf.nn.relu6, s * 5.0), (tf.nn.leaky_relu, s), (tf.nn.elu, s),
                    (tf.nn.selu, s), (tf.nn.softplus, s)):
        y = fn(arg) * s
        g, = tf.gradients(y, arg)
        second += tf.gradients(g * g, [arg, s])
    conv = tf.nn.conv2d(img, ker, [1, 1, 1, 1], "SAME")
    g_img, g_ker = tf.gradients(tf.reduce_sum(tf.square(conv)), [img, ker])
    second += tf.gradients(tf.reduce_sum(g_img * g_img) + tf.reduce_sum(g_ker * g_ker), [img, ker])
    dw = tf.nn.depthwise_conv2d(img, dker, [1, 1, 1, 1], "VALID")
    g_img, g_ker = tf.gradients(tf.reduce_sum(tf.square(dw)), [img, dker])
    second += tf.gradients(tf.reduce_sum(g_img * g_img) + tf.reduce_sum(g_ker * g_ker), [img, dker])
    biased = tf.nn.bias_add(conv, bias)
    g_b, = tf.gradients(tf.reduce_sum(tf.square(biased)), bias)
    second += tf.gradients(tf.reduce_sum(g_b * g_b), [bias, ker])
    pooled = tf.nn.avg_pool(img, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    g_p, = tf.gradients(tf.reduce_sum(tf.square(pooled)), img)
    second += tf.gradients(tf.reduce_sum(g_p * g_p), img)
    sliced = s[:, 1:] * x[::-1, :2]
    g_sl, = tf.gradients(tf.reduce_sum(tf.square(sliced)), s)
    second += tf.gradients(tf.reduce_sum(g_sl * g_sl), [s, x])
    w = tf.constant(rng.uniform(-1, 1, (3, 2)).astype(np.float32), name="w")
    second += tf.hessians(tf.reduce_sum(tf.tanh(tf.matmul(x, w))), [x, w])

    first = []
    u = tf.constant(rng.uniform(-0.9, 0.9, (2, 3)).astype(np.float32), name="u")
    for fn in (tf.asin, tf.acos, tf.atan, tf.sinh, tf.cosh, tf.math.erfc):
        first += tf.gradients(fn(u) * s, u)
    first += tf.gradients(tf.atan2(u, bias) * s, [u, bias])
    lo = tf.constant(np.array([[-0.5], [0.0]], np.float32), name="lo")
    first += tf.gradients(tf.clip_by_value(u, lo, bias) * s, [u, lo, bias])
    first += tf.gradients(tf.norm(u, axis=1) * tf.constant([1.0, 2.0]), u)
    first += tf.gradients(tf.math.reduce_euclidean_norm(u, axis=1) * tf.constant([1.0, 2.0]), u)
    first += tf.gradients(tf.norm(u, ord=1) + tf.norm(x, ord=np.inf, axis=[0, 1]) + tf.norm(u, ord=3.0), [u, x])
    first += tf.gradients(tf.norm(u, axis=1, keepdims=True) * x, u)
    parts = tf.dynamic_partition(u, tf.constant([1, 0]), 2)
    first += tf.gradients(parts[0] * 2.0 + tf.reduce_sum(parts[1] * 3.0), u)
    stitched = tf.dynamic_stitch([tf.constant([2, 0]), tf.constant([1])], [u, x[:1]])
    first += tf.gradients(tf.reduce_sum(stitched * stitched), [u, x])
    with tf.Session() as sess:
        out["second"] = [np.asarray(a) for a in sess.run(second)]
        out["first"] = [np.asarray(a) for a in sess.run(first)]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
