"""tf.linalg's public functions and their tf.* aliases (band/diagonal ops, eye, inverse,
determinants, Cholesky, solves, least squares, QR, SVD, eigen) and their gradients: values and
the graph node for node.

Singular and eigen vectors are unique up to sign only, so the script returns what is unique:
singular values, |U|, |V|, reconstructions, eigenvalues, |eigenvectors|, and gradients of
sign-invariant losses (sum of singular values; eigenvalues plus squared eigenvector entries). QR
is returned as is: Householder QR fixes the signs, and the kernels run TF's algorithm."""
import numpy as np

GRAPH = True
# float64 throughout except the float32 cases; the kernels' rounding differs from Eigen's
# vectorized loops by a few ulp, amplified by the conditioning of inverses and solves.
RTOL = 1e-6
ATOL = 1e-9


def main(tf, workdir):
    a = tf.placeholder(tf.float64, [3, 3], name="a")
    b = tf.placeholder(tf.float64, [3, 2], name="b")
    t = tf.placeholder(tf.float64, [2, 4, 3], name="t")
    w = tf.placeholder(tf.float64, [3, 4], name="w")
    f = tf.placeholder(tf.float32, [2, 3, 3], name="f")
    d = tf.placeholder(tf.float64, [2, 3], name="d")
    spd = tf.matmul(a, a, transpose_b=True) + 3.0 * tf.eye(3, dtype=tf.float64)
    sym = a + tf.linalg.adjoint(a)
    cases = [
        ("band", lambda: tf.linalg.band_part(t, 1, 0), [t]),
        ("band_alias", lambda: tf.matrix_band_part(a, 0, -1), [a]),
        ("diag", lambda: tf.linalg.diag(d) * 2.0, [d]),
        ("diag_k", lambda: tf.linalg.diag(w, k=(-1, 1), num_rows=5, align="LEFT_RIGHT"), [w]),
        ("diag_alias", lambda: tf.matrix_diag(d), [d]),
        ("diag_part", lambda: tf.linalg.diag_part(t), [t]),
        ("diag_part_k", lambda: tf.linalg.diag_part(t, k=1, padding_value=0.5), [t]),
        ("set_diag", lambda: tf.linalg.set_diag(t, d * 3.0), [t, d]),
        ("set_diag_alias", lambda: tf.matrix_set_diag(a, d[0]), [a, d]),
        ("tensor_diag", lambda: tf.diag(d) * 2.0, [d]),
        ("tensor_diag_part", lambda: tf.linalg.tensor_diag_part(tf.linalg.tensor_diag(d)) + tf.diag_part(a), [d, a]),
        ("eye", lambda: tf.eye(3, dtype=tf.float64) * a, [a]),
        ("eye_rect", lambda: tf.linalg.eye(2, 3, batch_shape=[2], dtype=tf.float64) * a[:2, :], [a]),
        ("inv", lambda: tf.linalg.inv(a), [a]),
        ("inv_adj", lambda: tf.matrix_inverse(a, adjoint=True), [a]),
        ("inv_f32", lambda: tf.linalg.inv(f), [f]),
        ("det", lambda: tf.linalg.det(a), [a]),
        ("det_alias", lambda: tf.matrix_determinant(f), [f]),
        ("slogdet", lambda: tf.linalg.slogdet(a)[1] + tf.linalg.slogdet(a).sign, [a]),
        ("logdet", lambda: tf.linalg.logdet(spd), [a]),
        ("cholesky", lambda: tf.linalg.cholesky(spd), [a]),
        ("cholesky_alias", lambda: tf.cholesky(spd), [a]),
        ("cholesky_solve", lambda: tf.linalg.cholesky_solve(tf.linalg.cholesky(spd), b), [a, b]),
        ("cholesky_solve_alias", lambda: tf.cholesky_solve(tf.cholesky(spd), b), [a, b]),
        ("solve", lambda: tf.linalg.solve(a, b), [a, b]),
        ("solve_adj", lambda: tf.matrix_solve(a, b, adjoint=True), [a, b]),
        ("tri_lower", lambda: tf.linalg.triangular_solve(spd, b), [a, b]),
        ("tri_upper_adj", lambda: tf.matrix_triangular_solve(spd, b, lower=False, adjoint=True), [a, b]),
        ("tri_bcast", lambda: tf.linalg.triangular_solve(spd, t[:, :3, :2]), [a, t]),
        ("lstsq_over", lambda: tf.linalg.lstsq(t, t[..., :2]), [t]),
        ("lstsq_under", lambda: tf.matrix_solve_ls(w, a[:, :2]), [w, a]),
        ("lstsq_l2", lambda: tf.linalg.lstsq(t, t[..., :1], l2_regularizer=0.5), [t]),
        ("lstsq_slow", lambda: tf.linalg.lstsq(w[:, :3], b, fast=False), []),
        ("qr", lambda: tf.linalg.qr(t)[0] + tf.reduce_sum(tf.linalg.qr(t)[1]), [t]),
        ("qr_full", lambda: tf.qr(w, full_matrices=True).r, [w]),
        ("qr_square", lambda: tf.linalg.qr(a).q * 2.0, [a]),
        ("svd_s", lambda: tf.linalg.svd(t, compute_uv=False), [t]),
        ("svd_alias_s", lambda: tf.svd(a, compute_uv=False), [a]),
        ("svd_sum", lambda: tf.reduce_sum(tf.linalg.svd(t)[0]), [t]),
        ("svd_wide", lambda: tf.reduce_sum(tf.linalg.svd(w)[0]), [w]),
        ("svd_full", lambda: tf.reduce_sum(tf.svd(a, full_matrices=True)[0]), [a]),
        ("eigvalsh", lambda: tf.linalg.eigvalsh(sym), [a]),
        ("eigvals_alias", lambda: tf.self_adjoint_eigvals(sym), [a]),
        ("eigh", lambda: (lambda e, v: tf.reduce_sum(e) + tf.reduce_sum(v * v * d[0]))(*tf.linalg.eigh(sym)), [a, d]),
        ("eig_alias", lambda: tf.reduce_sum(tf.self_adjoint_eig(sym)[0] * 2.0), [a]),
        ("adjoint", lambda: tf.linalg.adjoint(t), [t]),
    ]
    outs, grads = {}, {}
    for name, fn, xs in cases:
        with tf.name_scope(name):
            outs[name] = fn()
        if xs:
            grads[name] = tf.gradients(outs[name], xs, name="g_" + name)
    s, u, v = tf.linalg.svd(t, full_matrices=True)
    uniq = {"svd_s": s, "svd_abs_u": tf.abs(u), "svd_abs_v": tf.abs(v),
            "svd_recon": tf.matmul(u[..., :3] * s[..., None, :], v, adjoint_b=True)}
    e, ev = tf.linalg.eigh(sym)
    uniq.update({"eigh_e": e, "eigh_abs_v": tf.abs(ev), "eigh_recon": tf.matmul(ev * e[None, :], ev, adjoint_b=True)})
    rng = np.random.RandomState(7)
    feed = {a: rng.uniform(-1, 1, [3, 3]) + 2 * np.eye(3), b: rng.uniform(-1, 1, [3, 2]),
            t: rng.uniform(-1, 1, [2, 4, 3]), w: rng.uniform(-1, 1, [3, 4]),
            f: (rng.uniform(-1, 1, [2, 3, 3]) + 2 * np.eye(3)).astype(np.float32), d: rng.uniform(1, 2, [2, 3])}
    results = {}
    with tf.Session() as sess:
        for name, _, _ in cases:
            results[name] = sess.run(outs[name], feed)
            if name in grads:
                results["g_" + name] = [sess.run(g, feed) if g is not None else "None" for g in grads[name]]
        results.update(sess.run(uniq, feed))
    results["__graph__"] = tf.get_default_graph().as_graph_def()
    return results
