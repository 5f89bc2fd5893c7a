"""Functions whose ops metarun builds but has no kernel for (yet): graph and static shapes only."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    i = tf.placeholder(tf.int32, [2, 3], name="i")
    m = tf.placeholder(tf.float32, [4, 5, 5], name="m")
    outs = [
        tf.bitwise.bitwise_and(i, 3), tf.bitwise.bitwise_or(i, i), tf.bitwise.bitwise_xor(i, 1),
        tf.bitwise.invert(i), tf.bitwise.left_shift(i, 2), tf.bitwise.right_shift(i, 1), i & 6, i | 1, i ^ i,
        tf.cumsum(x, 1), tf.cumsum(x, axis=0, exclusive=True, reverse=True), tf.cumprod(x),
        tf.math.cumulative_logsumexp(x, 1), tf.math.xlogy(x, x), tf.math.xdivy(x, 2.0), tf.math.xlog1py(x, x),
        tf.math.igamma(x, x), tf.math.digamma(x), tf.math.erfinv(x), tf.math.multiply_no_nan(x, x),
        tf.scatter_nd([[1], [3]], [9.0, 7.0], [5]), tf.math.segment_sum(x, [0, 0, 1]),
        tf.math.unsorted_segment_max(x, [0, 1], 3), tf.trace(m), tf.linalg.trace(m[0]),
        tf.matrix_diag_part(m), tf.random_poisson(2.0, [3, 2]), tf.unique_with_counts([1, 1, 2]).count,
        tf.math.asinh(x), tf.math.atanh(x), tf.math.reciprocal_no_nan(x), tf.math.polyval([1.0, 2.0, 3.0], x),
        tf.math.log_sigmoid(x), tf.math.reduce_std(x, 1), tf.linalg.matrix_transpose(m), tf.linalg.transpose(x),
    ]
    return {"shapes": [str(t.shape) for t in outs], "names": [t.name for t in outs],
            "__graph__": tf.get_default_graph().as_graph_def()}
