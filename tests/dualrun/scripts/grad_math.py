"""Gradients of the elementwise math ops (unary, and binary with static, partly known and no
broadcasting), MatMul with each transpose, reductions, Cast, AddN, Select: values and the gradient
graph node for node."""
import numpy as np

GRAPH = True
# The SigmoidGrad kernel rounds y * (1 - y) * dy in another order than TF's Eigen expression
# (3e-6 relative on a few elements).
RTOL = 1e-5
# tanh(x) near 1: one ulp of difference in the forward Tanh is 1e-7 absolute in 1 - y * y.
ATOL = 2e-7


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [2, 3], name="x")
    y = tf.placeholder(tf.float32, [3], name="y")
    p = tf.placeholder(tf.float32, [None, 3], name="p")
    c = tf.placeholder(tf.float32, [2, 1, 4], name="c")
    d = tf.placeholder(tf.float64, [2, 3], name="d")
    unary = ["sqrt", "rsqrt", "exp", "log", "tanh", "sigmoid", "abs", "negative", "square", "reciprocal",
             "log1p", "expm1", "sin", "cos", "sign", "tan", "erf", "floor"]
    cases = [(f, (lambda f=f: getattr(tf.math, f)(x + 3.0)), [x]) for f in unary]
    binary = [("add", tf.add), ("sub", tf.subtract), ("mul", tf.multiply), ("realdiv", tf.realdiv),
              ("div", tf.div), ("div_no_nan", tf.div_no_nan), ("pow", tf.pow), ("maximum", tf.maximum),
              ("minimum", tf.minimum), ("sqdiff", tf.squared_difference)]
    for name, f in binary:
        cases.append((name + "_b", (lambda f=f: f(x + 3.0, y)), [x, y]))
        cases.append((name + "_p", (lambda f=f: f(p, y)), [p, y]))
        cases.append((name + "_s", (lambda f=f: f(x, x * 0.5 + 2.0)), [x]))
    cases += [
        ("mul_c", lambda: c * x[:, None, :1], [c, x]),
        ("add_d", lambda: d + d, [d]),
        ("mul_d", lambda: d * d, [d]),
        ("matmul", lambda: tf.matmul(x, tf.transpose(x)), [x]),
        ("matmul_ta", lambda: tf.matmul(x, x, transpose_a=True), [x]),
        ("matmul_tb", lambda: tf.matmul(p, x, transpose_b=True), [x, p]),
        ("matmul_tab", lambda: tf.matmul(p, x, transpose_a=True, transpose_b=True), [x, p]),
        ("sum1", lambda: tf.reduce_sum(c, 1), [c]),
        ("sum_all", lambda: tf.reduce_sum(c), [c]),
        ("sum_p", lambda: tf.reduce_sum(p * p), [p]),
        ("mean1", lambda: tf.reduce_mean(c, 1), [c]),
        ("mean_all", lambda: tf.reduce_mean(c), [c]),
        ("mean_p", lambda: tf.reduce_mean(p), [p]),
        ("max1", lambda: tf.reduce_max(x), [x]),
        ("min_p", lambda: tf.reduce_min(p), [p]),
        ("cast", lambda: tf.cast(tf.cast(x, tf.float64) * 2.0, tf.float32), [x]),
        ("add_n", lambda: tf.add_n([x, x * 2.0, x * x]), [x]),
        ("where", lambda: tf.where(x > 0.0, x * x, -x), [x]),
    ]
    grads = []
    for name, f, xs in cases:
        with tf.name_scope(name):
            out = f()
        grads.append(tf.gradients(out, xs, name="g_" + name))
    feed = {x: np.arange(6, dtype=np.float32).reshape(2, 3) / 3 - 0.7, y: np.array([1.5, -2, 0.5], np.float32),
            p: np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3) + 2,
            c: np.linspace(-2, 2, 8, dtype=np.float32).reshape(2, 1, 4),
            d: np.arange(6, dtype=np.float64).reshape(2, 3)}
    results = {}
    with tf.Session() as sess:
        for (name, _, _), g in zip(cases, grads):
            results[name] = [sess.run(t, feed) if t is not None else "None" for t in g]
    results["__graph__"] = tf.get_default_graph().as_graph_def()
    return results
