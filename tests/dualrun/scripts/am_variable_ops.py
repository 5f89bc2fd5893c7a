"""Operators, slicing and reductions on ref and resource variables: TF's reads and names."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    v = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="v")
    r = tf.Variable(np.ones([2, 3], np.float32), name="r", use_resource=True)
    outs = {
        "v_add": v + 1.0, "r_add": r + 1.0, "r_radd": 2.0 * r, "v_r": v * r, "r_neg": -r,
        "v_slice": v[1, ::2], "r_slice": r[:, 1], "v_sum": tf.reduce_sum(v), "r_mean": tf.reduce_mean(r, 1),
        "v_matmul": tf.matmul(v, r, transpose_b=True), "r_cast": tf.cast(r, tf.int32), "v_shape": tf.shape(v),
        "r_gather": tf.gather(r, [1, 0]), "r_lt": r < v, "v_pow": v ** 2, "r_div": r / v[0, 1:2],
        "r_square": tf.square(r), "v_concat": tf.concat([v, r], 0), "r_id": tf.identity(r),
    }
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = sess.run(outs)
    result = dict(values)
    result["shapes"] = [k + ":" + str(outs[k].shape) for k in sorted(outs)]
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
