"""The gradient of a gather along axis 1 (dense: moved to the front, summed by index with
UnsortedSegmentSum, moved back), values and graph node for node."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    p = tf.placeholder(tf.float32, [4, 3, 2], name="p")
    g = tf.gradients(tf.gather(p, [2, 0, 2], axis=1) * 3.0, p)
    with tf.Session() as sess:
        value = sess.run(g, {p: np.arange(24, dtype=np.float32).reshape(4, 3, 2)})
    return {"grad": value, "__graph__": tf.get_default_graph().as_graph_def()}
