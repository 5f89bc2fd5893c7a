"""tf.nn's crelu, swish/silu (TF's custom gradient), relu_layer, sufficient_statistics,
normalize_moments, weighted_moments, batch_norm_with_global_normalization, log_poisson_loss,
scale_regularization_loss, compute_average_loss and ctc_unique_labels: values, broadcasting, unknown shapes, float64
and float16, tf.gradients of each, the graph node by node and the errors TF raises."""
import numpy as np

GRAPH = True
RTOL = 2e-6
ATOL = 1e-6


def _error(fn, message=True):
    try:
        fn()
        return ["none", ""]
    except Exception as e:  # noqa: BLE001 -- the class is the result
        return [type(e).__name__, str(e).split("\n")[0].split(" for '{{node")[0] if message else ""]


def main(tf, workdir):
    rng = np.random.RandomState(7)
    x = tf.constant(rng.randn(3, 4).astype(np.float32), name="x")
    x3 = tf.constant(rng.randn(2, 3, 4).astype(np.float32), name="x3")
    xd = tf.constant(rng.randn(3, 4), name="xd")
    ph = tf.placeholder(tf.float32, [None, 4], name="ph")
    phu = tf.placeholder(tf.float32, None, name="phu")
    feed = {ph: rng.randn(5, 4).astype(np.float32), phu: rng.randn(2, 3).astype(np.float32)}
    R = {}
    R["crelu"] = tf.nn.crelu(x)
    R["crelu0"] = tf.nn.crelu(x3, name="cr", axis=0)
    R["crelu_list"] = tf.nn.crelu([[1, -2], [3, 0]])
    R["swish"] = tf.nn.swish(x)
    R["swish_beta"] = tf.nn.swish(xd, 0.5)
    R["silu"] = tf.nn.silu(x3, beta=tf.constant(2.0))
    R["relu_layer"] = tf.nn.relu_layer(x, tf.constant(rng.randn(4, 2).astype(np.float32)), [0.5, -0.5])
    R["relu_layer_named"] = tf.nn.relu_layer(ph, rng.randn(4, 3).astype(np.float32),
                                             tf.zeros([3]), name="rl")
    c, m, v, s = tf.nn.sufficient_statistics(x3, [0, 2])
    R["ss_count"], R["ss_m"], R["ss_v"] = c, m, v
    c2, m2, v2, s2 = tf.nn.sufficient_statistics(x3, [-1, 1], shift=0.5, keep_dims=True, name="ss")
    R["ss2_count"], R["ss2_m"], R["ss2_v"], R["ss2_shift"] = c2, m2, v2, s2
    c3, m3, v3, _ = tf.nn.sufficient_statistics(ph, [0], keepdims=True)
    R["ss3_count"], R["ss3_m"], R["ss3_v"] = c3, m3, v3
    c4, m4, v4, _ = tf.nn.sufficient_statistics(phu, [-1, 0])
    R["ss4_count"], R["ss4_m"] = c4, m4
    R["nm_mean"], R["nm_var"] = tf.nn.normalize_moments(c, m, v, None)
    R["nm2_mean"], R["nm2_var"] = tf.nn.normalize_moments(c2, m2, v2, s2, name="nm")
    w = tf.constant(rng.rand(3, 1).astype(np.float32), name="w")
    R["wm_mean"], R["wm_var"] = tf.nn.weighted_moments(x, [0], w)
    R["wm2_mean"], R["wm2_var"] = tf.nn.weighted_moments(x3, [0, 1], [[[1.0]], [[2.0]]], keep_dims=True,
                                                         name="wm")
    R["wm_half_mean"], R["wm_half_var"] = tf.nn.weighted_moments(tf.cast(x, tf.float16), 1,
                                                                 tf.constant([1, 2, 0, 1]))
    R["wm_zero_mean"], _ = tf.nn.weighted_moments(x, [1], tf.zeros([3, 4]), keepdims=True)
    mean, var = tf.constant([0.1, -0.2, 0.3, 0.0]), tf.constant([1.0, 2.0, 0.5, 1.5])
    beta, gamma = tf.constant([0.0, 1.0, -1.0, 0.5]), tf.constant([2.0, 1.0, 0.5, 1.0])
    R["bng"] = tf.nn.batch_norm_with_global_normalization(x, mean, var, beta, gamma, 1e-3, True)
    R["bng_noscale"] = tf.nn.batch_norm_with_global_normalization(
        input=x3, mean=mean, variance=var, beta=beta, gamma=gamma, variance_epsilon=1e-3,
        scale_after_normalization=False, name="bn")
    targets = tf.constant(rng.rand(3, 4).astype(np.float32) * 3, name="targets")
    R["lpl"] = tf.nn.log_poisson_loss(targets, x)
    R["lpl_full"] = tf.nn.log_poisson_loss(targets, x, compute_full_loss=True, name="lplf")
    R["lpl_bcast"] = tf.nn.log_poisson_loss([[0.5, 2.0, 0.0, 1.0]], ph)
    R["srl"] = tf.nn.scale_regularization_loss(tf.nn.l2_loss(x))
    R["srl_vec"] = tf.nn.scale_regularization_loss(x3)
    R["cal"] = tf.nn.compute_average_loss(tf.reduce_sum(x, 1))
    R["cal_gbs"] = tf.nn.compute_average_loss(x, global_batch_size=8)
    R["cal_sw"] = tf.nn.compute_average_loss(tf.reduce_sum(x, 1), sample_weight=[1.0, 0.0, 2.0])
    R["cal_sw_expand"] = tf.nn.compute_average_loss(x, sample_weight=tf.constant([1.0, 0.5, 2.0]))
    R["cal_sw_squeeze"] = tf.nn.compute_average_loss(tf.reduce_sum(x, 1), sample_weight=tf.ones([3, 1]))
    R["cal_sw_scalar"] = tf.nn.compute_average_loss(ph, sample_weight=2.0, global_batch_size=tf.constant(10))
    phw = tf.placeholder(tf.float32, None, name="phw")
    feed[phw] = np.array([[1.0], [2.0]], np.float32)
    R["cal_unknown"] = tf.nn.compute_average_loss(phu, sample_weight=phw)
    R["cal_double"] = tf.nn.compute_average_loss(tf.reduce_sum(xd, 1), sample_weight=[1.0, 2.0, 3.0])
    cu_y, cu_idx = tf.nn.ctc_unique_labels(tf.constant([[3, 1, 3, 0], [2, 2, 2, 2], [0, 5, 1, 5]]))
    R["ctc_u_y"], R["ctc_u_idx"] = cu_y, cu_idx
    phl = tf.placeholder(tf.int32, [None, None], name="phl")
    feed[phl] = np.array([[4, 4, 1], [7, 8, 9]], np.int32)
    R["ctc_u2_y"], R["ctc_u2_idx"] = tf.nn.ctc_unique_labels(phl, name="cu")
    targets_g = {"crelu": [x], "swish": [x], "swish_beta": [xd], "silu": [x3], "relu_layer": [x], "ss_m": [x3],
                 "ss2_v": [x3], "nm_var": [x3], "nm2_mean": [x3], "wm_mean": [x, w], "wm_var": [x, w],
                 "bng": [x, mean, var, beta, gamma], "bng_noscale": [x3, gamma], "lpl": [x, targets],
                 "lpl_full": [x, targets], "srl": [x], "cal": [x], "cal_sw": [x], "cal_sw_expand": [x]}
    for key in sorted(targets_g):
        xs = targets_g[key]
        for t, gr in zip(xs, tf.gradients(tf.reduce_sum(R[key] * R[key]), xs)):
            R["grad_%s_%s" % (key, t.op.name)] = gr if gr is not None else tf.constant("none")
    b15 = tf.constant(1.5, name="b15")
    R["grad_swish_beta_const"] = tf.gradients(tf.nn.swish(x, b15), [x, b15])[1]
    E = {}
    E["lpl_shape"] = _error(lambda: tf.nn.log_poisson_loss(tf.zeros([2, 3]), x))
    E["cal_scalar"] = _error(lambda: tf.nn.compute_average_loss(tf.constant(1.0)))
    E["cal_gbs_float"] = _error(lambda: tf.nn.compute_average_loss(x, global_batch_size=2.0))
    E["cal_gbs_vector"] = _error(lambda: tf.nn.compute_average_loss(x, global_batch_size=[2]))
    E["cal_gbs_negative"] = _error(lambda: tf.nn.compute_average_loss(x, global_batch_size=-1))
    E["crelu_int_axis"] = _error(lambda: tf.nn.crelu(x, axis=2))
    E["swish_int"] = _error(lambda: tf.nn.swish(tf.constant([1, 2])))
    E["relu_layer_rank"] = _error(lambda: tf.nn.relu_layer(x3, tf.ones([4, 2]), tf.ones([2])))
    E["wm_axes"] = _error(lambda: tf.nn.weighted_moments(x, [2], w))
    bad_cal = tf.nn.compute_average_loss(phu)
    with tf.Session() as sess:
        out = sess.run(R, feed)
        E["run_unknown_rank"] = _error(lambda: sess.run(bad_cal, {phu: 3.0}), False)
        E["run_gbs_negative"] = _error(lambda: sess.run(tf.nn.compute_average_loss(
            x, global_batch_size=tf.placeholder_with_default(-2, []))), False)
        E["after"] = ["ok", str(sess.run(R["crelu"]).dtype)]
    out["shapes"] = [str(R[k].shape) for k in sorted(R)]
    for k, v in E.items():
        out["err_" + k] = v
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
