"""Reductions, arg ops, matmul/einsum and broadcasting: layouts, values and static shapes."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.constant(np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32), name="x")
    p = tf.placeholder(tf.float32, [None, 3], name="p")
    u = tf.placeholder(tf.float32, name="u")
    b3 = tf.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4), name="b3")
    outs = {
        "sum": tf.reduce_sum(x), "sum0": tf.reduce_sum(x, 0), "sum_keep": tf.reduce_sum(x, [1], keepdims=True),
        "mean_v1": tf.reduce_mean(x, reduction_indices=[0], keep_dims=True), "mean_p": tf.reduce_mean(p, 1),
        "max": tf.reduce_max(p), "min_neg": tf.reduce_min(x, -1), "prod": tf.reduce_prod(x, 1),
        "all": tf.reduce_all(x > 0, 1), "any": tf.reduce_any(x > 3), "sum_u": tf.reduce_sum(u),
        "sum_list": tf.reduce_sum([1.0, 2.0, 3.0]), "sum_scalar": tf.reduce_sum(tf.constant(3.0)),
        "euclid": tf.math.reduce_euclidean_norm(x, 1), "lse": tf.reduce_logsumexp(x, 1),
        "lse_all": tf.reduce_logsumexp(p, keepdims=True), "std": tf.math.reduce_std(x, 0),
        "var": tf.math.reduce_variance(x, keepdims=True), "argmax": tf.argmax(x, 1),
        "argmin": tf.argmin(p, axis=0, output_type=tf.int32), "argmax_dim": tf.argmax(x, dimension=0),
        "count": tf.count_nonzero(x > 1.0, 1), "count_all": tf.count_nonzero(x),
        "range": tf.range(5), "range3": tf.range(1, 10, 3), "range_f": tf.range(0.0, 1.0, 0.25),
        "range_t": tf.range(tf.shape(p)[0]), "matmul": tf.matmul(x, p, transpose_b=True),
        "matmul_adj": tf.matmul(x, x, adjoint_a=True), "bmm": tf.matmul(b3, b3, transpose_b=True),
        "bmm2": tf.matmul(b3, tf.ones([4, 2])), "einsum": tf.einsum("ij,kj->ik", x, p),
        "einsum_b": tf.einsum("bij,bjk->bik", b3, tf.transpose(b3, [0, 2, 1])),
        "bcast_add": x + p[:1], "bcast_mul": tf.reshape(x, [2, 1, 3]) * tf.ones([4, 1]),
        "clip_gn": tf.clip_by_global_norm([x, p], 3.0)[0][1], "gnorm": tf.global_norm([x, p]),
        "top_k": tf.nn.top_k(x, 2).values, "top_k_idx": tf.math.top_k(p, 1).indices,
        "one_hot": tf.one_hot(tf.argmax(x, 1), 3), "where": tf.where(x > 0, x, tf.zeros_like(x)),
        "where_v2": tf.where_v2(x > 0, x, 0.0), "seg": tf.unsorted_segment_sum(x, [1, 0], 3),
        "unique": tf.unique(tf.constant([3, 1, 3, 2, 1])).y, "invperm": tf.invert_permutation([1, 2, 0]),
    }
    feed = {p: np.array([[1.0, 2.0, 3.0], [-4.0, 0.5, 2.0]], np.float32), u: np.ones([2, 2], np.float32)}
    with tf.Session() as sess:
        values = sess.run(outs, feed)
    result = dict(values)
    result["shapes"] = [k + ":" + str(outs[k].shape) for k in sorted(outs)]
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
