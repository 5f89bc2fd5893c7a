"""tf.setdiff1d (ListDiff) and tf.ensure_shape (EnsureShape): values, static shapes, gradient, errors."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    p = tf.placeholder(tf.float32, [None, 3], name="p")
    d = tf.setdiff1d([5, 1, 9, 1, 3], [1, 3])
    d64 = tf.setdiff1d(tf.constant([2., 4., 6.]), [4.], index_dtype=tf.int64, name="diff")
    e = tf.ensure_shape(p, [2, None], name="ens")
    e2 = tf.ensure_shape(p, tf.TensorShape([None, 3]))
    g = tf.gradients(e * 2.0, p)[0]
    outs = {"out": d.out, "idx": d.idx, "out64": d64[0], "idx64": d64[1], "ens": e, "ens2": e2, "grad": g}
    result = {}
    with tf.Session() as sess:
        result.update(sess.run(outs, {p: np.ones([2, 3], np.float32)}))
        try:
            sess.run(e, {p: np.ones([3, 3], np.float32)})
            result["run_error"] = "no error"
        except Exception as ex:  # noqa: BLE001
            result["run_error"] = type(ex).__name__
        result["after_error"] = sess.run(e2, {p: np.ones([1, 3], np.float32)})
    try:
        tf.ensure_shape(p, [2, 4])
        result["build_error"] = "no error"
    except Exception as ex:  # noqa: BLE001
        result["build_error"] = type(ex).__name__
    result["shapes"] = [k + str(outs[k].shape.as_list()) for k in sorted(outs)]
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
