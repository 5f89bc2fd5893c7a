"""More gradient layouts against TF: batched matmul (same and broadcast batch dims), reductions
with keep_dims and unknown dims, Sum over a partly known shape; and, built but not run (metarun
has no ScatterNd, Cumprod, ListDiff, LRNGrad or MirrorPadGrad kernel yet), the gradients of
reduce_prod, top_k, gather_nd, lrn and mirror pads."""
import numpy as np

GRAPH = True
# The BatchMatMulV2 kernel accumulates in another order than TF's (1.3e-6 relative on one element).
RTOL = 1e-5


def main(tf, workdir):
    a = tf.placeholder(tf.float32, [2, 3, 4], name="a")
    b = tf.placeholder(tf.float32, [2, 4, 5], name="b")
    c = tf.placeholder(tf.float32, [4, 5], name="c")
    p = tf.placeholder(tf.float32, [None, 3], name="p")
    im = tf.placeholder(tf.float32, [1, 4, 4, 2], name="im")
    run = [("bmm", lambda: tf.matmul(a, b), [a, b]),
           ("bmm_adj", lambda: tf.matmul(a, a, adjoint_b=True), [a]),
           ("bmm_bcast", lambda: tf.matmul(a, c), [a, c]),
           ("sum_keep", lambda: tf.reduce_sum(p, 1, keepdims=True), [p]),
           ("sum_p0", lambda: tf.reduce_sum(p * p, 0), [p]),
           ("mean_keep", lambda: tf.reduce_mean(a, [0, 2], keepdims=True), [a]),
           ("max_keep", lambda: tf.reduce_max(p, 1, keepdims=True), [p]),
           ("min1", lambda: tf.reduce_min(a, 2), [a])]
    built = [("prod", lambda: tf.reduce_prod(a, 1), [a]),
             ("topk", lambda: tf.nn.top_k(p, 2)[0], [p]),
             ("gnd", lambda: tf.gather_nd(p, [[0, 1], [1, 2]]), [p]),
             ("lrn", lambda: tf.nn.lrn(im), [im]),
             ("mirror", lambda: tf.pad(p, [[1, 1], [0, 2]], mode="REFLECT"), [p])]
    grads = []
    for name, f, xs in run + built:
        with tf.name_scope(name):
            y = f()
        grads.append(tf.gradients(y * y, xs, name="g_" + name))
    rng = np.random.RandomState(7)
    feed = {a: rng.uniform(-1, 1, [2, 3, 4]).astype(np.float32), b: rng.uniform(-1, 1, [2, 4, 5]).astype(np.float32),
            c: rng.uniform(-1, 1, [4, 5]).astype(np.float32), p: rng.uniform(-1, 1, [4, 3]).astype(np.float32)}
    out = {}
    with tf.Session() as sess:
        for (name, _, _), g in zip(run, grads):
            out[name] = sess.run(g, feed)
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
