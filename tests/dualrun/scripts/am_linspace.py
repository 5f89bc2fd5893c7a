"""tf.linspace / tf.lin_space (TF 2.x's n-d linspace layout), tf.range dtypes, meshgrid on them."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    n = tf.placeholder(tf.int32, [], name="n")
    outs = {
        "lin": tf.linspace(0.0, 1.0, 5), "lin_name": tf.lin_space(-2.0, 2.0, 4, name="ls"),
        "lin_n": tf.linspace(1.0, 3.0, n), "lin_vec": tf.linspace([0.0, 10.0], [1.0, 20.0], 3),
        "lin_one": tf.linspace(5.0, 6.0, 1), "lin_f64": tf.linspace(np.float64(0), np.float64(1), 3),
        "range_f": tf.range(3.0), "range_d": tf.range(1, 4, dtype=tf.float32),
        "range_i64": tf.range(np.int64(5)), "range_neg": tf.range(5, 0, -2),
    }
    with tf.Session() as sess:
        values = sess.run(outs, {n: 6})
    result = dict(values)
    result["shapes"] = [k + ":" + str(outs[k].shape) for k in sorted(outs)]
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
