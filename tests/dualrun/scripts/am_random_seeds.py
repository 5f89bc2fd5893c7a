"""Seeds without a graph seed (op seed alone, and both 0) and tf.random.set_random_seed."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    a = tf.random_uniform([3], seed=42)
    b = tf.random_normal([2], seed=0)
    with tf.Session() as sess:
        va, vb = sess.run([a, b])
    g = tf.Graph()
    with g.as_default():
        tf.random.set_random_seed(0)
        c = tf.random_uniform([3], seed=0)
        d = tf.random_uniform([3])
        with tf.Session() as sess:
            vc, vd = sess.run([c, d])
        seeds = [(n.name, n.attr["seed"].i, n.attr["seed2"].i) for n in g.as_graph_def().node if "seed2" in n.attr]
    return {"a": va, "b": vb, "c": vc, "d": vd, "seeds": np.array([s[1:] for s in seeds]),
            "__graph__": tf.get_default_graph().as_graph_def()}
