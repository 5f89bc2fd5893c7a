"""tf.math.is_non_decreasing / is_strictly_increasing (also tf.* names), tf.math.lbeta, tf.math.erfcinv,
tf.to_bfloat16 / to_complex64 / to_complex128, tf.verify_tensor_all_finite and
tf.debugging.assert_all_finite: values and the graph node for node."""

import numpy as np

GRAPH = True

def main(tf, workdir):
    x = tf.placeholder(tf.float32, [None], name="x")
    y = tf.placeholder(tf.float64, [2, 3], name="y")
    outs = {
        "nd": tf.math.is_non_decreasing(x), "si": tf.math.is_strictly_increasing(y, name="inc"),
        "nd_top": tf.is_non_decreasing(y), "lbeta": tf.math.lbeta(y), "erfcinv": tf.math.erfcinv(y / 4.0),
        "bf": tf.to_bfloat16(x), "c64": tf.to_complex64(x), "c128": tf.to_complex128(y),
        "vf": tf.verify_tensor_all_finite(y, "bad y"), "af": tf.debugging.assert_all_finite(x, "bad x"),
    }
    with tf.Session() as sess:
        r = {k: sess.run(v, {x: [1.0, 2.0, 2.0], y: np.arange(1, 7).reshape(2, 3) / 2.0}) for k, v in outs.items()}
        r["bf"] = r["bf"].astype(np.float32)  # exact; npz files keep no bfloat16
        r["nd_short"] = sess.run(outs["nd"], {x: [3.0]})
        r["nd_false"] = sess.run(outs["nd"], {x: [3.0, 1.0]})
    r["__graph__"] = tf.get_default_graph().as_graph_def()
    return r
