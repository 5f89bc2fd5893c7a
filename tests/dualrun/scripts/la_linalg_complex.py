"""tf.linalg on complex128 matrices: values and gradients (with the complex-only branch of TF's
Qr and Svd gradients), graph node for node. Losses are plain sums: metarun's Mul and MatMul
gradients leave out TF's Conj on complex operands, and its ConjugateTranspose gradient is named
differently, so the inputs are placeholders."""
import numpy as np

GRAPH = True
RTOL = 1e-6
ATOL = 1e-9


def main(tf, workdir):
    a = tf.placeholder(tf.complex128, [3, 3], name="a")
    b = tf.placeholder(tf.complex128, [3, 2], name="b")
    t = tf.placeholder(tf.complex128, [2, 4, 3], name="t")
    spd = tf.placeholder(tf.complex128, [3, 3], name="spd")

    def total(x):
        return tf.reduce_sum(x)

    cases = [
        ("inv", lambda: total(tf.linalg.inv(a)), [a]),
        ("det", lambda: total(tf.linalg.det(a)), [a]),
        ("slogdet", lambda: total(tf.linalg.slogdet(a).log_abs_determinant), [a]),
        ("cholesky", lambda: total(tf.linalg.cholesky(spd)), [spd]),
        ("solve", lambda: total(tf.linalg.solve(a, b, adjoint=True)), [a, b]),
        ("tri", lambda: total(tf.linalg.triangular_solve(spd, b, lower=False)), [spd, b]),
        ("qr", lambda: total(tf.linalg.qr(t)[1]), [t]),
        ("eigh", lambda: total(tf.linalg.eigh(spd)[0]), [spd]),
        ("eigvalsh", lambda: total(tf.linalg.eigvalsh(spd)), [spd]),
        ("lstsq", lambda: total(tf.linalg.lstsq(t, t[..., :1])), [t]),
        ("svd", lambda: tf.reduce_sum(tf.linalg.svd(t, compute_uv=False)), [t]),
        ("svd_uv", lambda: tf.reduce_sum(tf.linalg.svd(a)[0]), [a]),
        ("svd_wide", lambda: tf.reduce_sum(tf.linalg.svd(b, full_matrices=True)[0]), [b]),
    ]
    outs, grads = {}, {}
    for name, fn, xs in cases:
        with tf.name_scope(name):
            outs[name] = fn()
        grad_ys = tf.constant(1.0 - 0.25j, tf.complex128) if outs[name].dtype == tf.complex128 else None
        grads[name] = tf.gradients(outs[name], xs, grad_ys=grad_ys, name="g_" + name)
    rng = np.random.RandomState(11)

    def c(shape):
        return rng.uniform(-1, 1, shape) + 1j * rng.uniform(-1, 1, shape)

    x = c([3, 3])
    feed = {a: c([3, 3]) + 2 * np.eye(3), b: c([3, 2]), t: c([2, 4, 3]), spd: x @ x.conj().T + 3 * np.eye(3)}
    results = {}
    with tf.Session() as sess:
        for name, _, _ in cases:
            results[name] = sess.run(outs[name], feed)
            results["g_" + name] = [sess.run(g, feed) if g is not None else "None" for g in grads[name]]
    results["__graph__"] = tf.get_default_graph().as_graph_def()
    return results
