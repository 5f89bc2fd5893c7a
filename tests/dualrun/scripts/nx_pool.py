"""tf.nn's TF 2.x pooling functions in tf.compat.v1: avg_pool1d/avg_pool2d/avg_pool_v2 and
max_pool1d/max_pool2d/max_pool_v2 (1-D and 2-D, int and list ksize/strides, explicit paddings,
channels-first graphs); values, shapes, tf.gradients of each, the graph node by node and the
errors TF raises."""
import numpy as np

GRAPH = True
RTOL = 1e-5
ATOL = 1e-6


def _error(fn, message=True):
    try:
        fn()
        return ["none", ""]
    except Exception as e:  # noqa: BLE001 -- the class is the result
        return [type(e).__name__, str(e).split("\n")[0].split(" for '{{node")[0] if message else ""]


def main(tf, workdir):
    rng = np.random.RandomState(5)
    img = tf.constant(rng.randn(2, 7, 6, 3).astype(np.float32), name="img")
    seq = tf.constant(rng.randn(2, 9, 3).astype(np.float32), name="seq")
    R = {}
    R["avg1"] = tf.nn.avg_pool1d(seq, 2, 2, "VALID")
    R["avg1_same"] = tf.nn.avg_pool1d(seq, [3], [1], "SAME", name="a1s")
    R["avg2"] = tf.nn.avg_pool2d(img, 2, 2, "SAME")
    R["avg2_input"] = tf.nn.avg_pool2d(None, [3, 2], [1, 2], "VALID", input=img)
    R["avgv2_1d"] = tf.nn.avg_pool_v2(seq, 3, 2, "SAME")
    R["avgv2_2d"] = tf.nn.avg_pool_v2(img, [2, 3], [2, 1], "VALID", name="av2")
    R["avgv2_4"] = tf.nn.avg_pool_v2(img, [1, 2, 2, 1], [1, 1, 1, 1], "SAME", data_format="NHWC")
    R["max1"] = tf.nn.max_pool1d(seq, 3, 2, "SAME")
    R["max1_explicit"] = tf.nn.max_pool1d(seq, 3, 1, [[0, 0], [1, 1], [0, 0]])
    R["max2"] = tf.nn.max_pool2d(img, 3, 2, "VALID")
    R["max2_explicit"] = tf.nn.max_pool2d(img, [2, 3], 1, [[0, 0], [1, 0], [1, 1], [0, 0]], name="m2x")
    R["maxv2_1d"] = tf.nn.max_pool_v2(seq, 2, 1, "VALID")
    R["maxv2_2d"] = tf.nn.max_pool_v2(img, [3, 3], [2, 2], "SAME")
    R["maxv2_explicit"] = tf.nn.max_pool_v2(img, 2, 2, [[0, 0], [1, 0], [0, 0], [0, 0]])
    # graph only: channels-first (TF's CPU pools do not run NCHW)
    nchw = tf.placeholder(tf.float32, [2, 3, 7, 6], name="nchw")
    ncw = tf.placeholder(tf.float32, [2, 3, 9], name="ncw")
    R["nchw_max"] = str(tf.nn.max_pool2d(nchw, 2, 2, "SAME", data_format="NCHW").shape)
    R["nchw_avg"] = str(tf.nn.avg_pool_v2(nchw, 3, 1, "VALID", data_format="NCHW").shape)
    R["ncw_avg"] = str(tf.nn.avg_pool1d(ncw, 2, 2, "VALID", data_format="NCW").shape)
    R["ncw_max"] = str(tf.nn.max_pool_v2(ncw, 2, 2, "VALID", data_format="NCW").shape)
    ph = tf.placeholder(tf.float32, [None, None, 3], name="ph")
    R["ph_max"] = str(tf.nn.max_pool1d(ph, 2, 2, "SAME").shape)
    for key in ["avg1", "avg1_same", "avg2", "avgv2_2d", "max1", "max1_explicit", "max2", "max2_explicit",
                "maxv2_1d", "maxv2_explicit"]:
        xs = [img, seq]
        for x, gr in zip(xs, tf.gradients(tf.reduce_sum(R[key] * R[key]), xs)):
            if gr is not None:
                R["grad_%s_%s" % (key, x.op.name)] = gr
    E = {}
    E["v2_rank"] = _error(lambda: tf.nn.max_pool_v2(tf.zeros([2, 3]), 2, 2, "SAME"))
    E["v2_rank6"] = _error(lambda: tf.nn.avg_pool_v2(tf.zeros([1, 2, 2, 2, 2, 1]), 2, 2, "SAME"))
    E["ksize_len"] = _error(lambda: tf.nn.max_pool2d(img, [2, 2, 2], 1, "SAME"))
    E["ksize_len1d"] = _error(lambda: tf.nn.avg_pool1d(seq, [2, 2], 1, "SAME"))
    E["pad_len1d"] = _error(lambda: tf.nn.max_pool1d(seq, 2, 1, [[0, 0], [1, 1], [0, 0], [0, 0]]))
    E["vect_c"] = _error(lambda: tf.nn.max_pool2d(img, 2, 1, [[0, 0]] * 4, data_format="NCHW_VECT_C"))
    E["v2_vect_c"] = _error(lambda: tf.nn.max_pool_v2(img, 2, 1, [[0, 0]] * 4, data_format="NCHW_VECT_C"))
    E["v2_explicit5"] = _error(lambda: tf.nn.max_pool_v2(tf.zeros([1, 2, 2, 2, 1]), 2, 1, [[0, 0]] * 5))
    E["explicit_str"] = _error(lambda: tf.nn.max_pool2d(img, 2, 1, "EXPLICIT"))
    E["big_window"] = _error(lambda: tf.nn.max_pool2d(img, 8, 1, "VALID"))
    E["big_window_avg1d"] = _error(lambda: tf.nn.avg_pool1d(seq, 10, 1, "VALID"))
    with tf.Session() as s:
        E["run_stride"] = _error(lambda: s.run(tf.nn.max_pool_v2(img, 2, [2, 1, 1, 1], "VALID")), False)
        out = s.run({k: v for k, v in R.items() if not isinstance(v, str)})
        E["after"] = ["ok", str(s.run(tf.reduce_sum(R["max2"])).dtype)]
    for k, v in R.items():
        if isinstance(v, str):
            out[k] = v
    out["shapes"] = [str(R[k].shape) for k in sorted(R) if not isinstance(R[k], str)]
    for k, v in E.items():
        out["err_" + k] = v
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
