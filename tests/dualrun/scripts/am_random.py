"""Random ops: TF's seed/seed2 derivation and layouts, and the numbers TF draws."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    tf.set_random_seed(1234)
    x = tf.constant(np.array([[0.1, 1.0, 2.0], [3.0, 0.0, -1.0]], np.float32), name="x")
    outs = {
        "u01": tf.random_uniform([2, 3]),
        "u_range": tf.random_uniform([4], -2.0, 3.0),
        "u_max": tf.random_uniform([3], maxval=5),
        "u_int": tf.random_uniform([5], maxval=10, dtype=tf.int32, seed=3),
        "u_int64": tf.random.uniform([5], minval=-4, maxval=4, dtype=tf.int64),
        "normal": tf.random_normal([2, 2], seed=7),
        "normal2": tf.random.normal([3], 1.0, 2.0, dtype=tf.float64),
        "trunc": tf.truncated_normal(tf.shape(x), stddev=0.5),
        "trunc2": tf.random.truncated_normal([4], seed=11, name="tn"),
        "shuffle": tf.random_shuffle(tf.range(10)),
        "shuffle2": tf.random.shuffle(x, seed=5),
        "multinomial": tf.multinomial(tf.log([[0.2, 0.3, 0.5], [0.9, 0.05, 0.05]]), 6),
        "categorical": tf.random.categorical(x, 4, dtype=tf.int32, seed=2),
        "dyn_shape": tf.random_uniform(tf.stack([tf.shape(x)[0], 2])),
    }
    with tf.Session() as sess:
        values = sess.run(outs)
    result = dict(values)
    result["shapes"] = [k + ":" + str(outs[k].shape) for k in sorted(outs)]
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
