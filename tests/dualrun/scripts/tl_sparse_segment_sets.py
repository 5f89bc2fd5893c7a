"""tf.sparse_segment_sum / mean / sqrt_n (and tf.sparse.segment_*), unsorted_segment_mean / sqrt_n,
tf.sets, tf.bincount and the fixed-width histograms: values, static shapes, gradients (dense and
sparse_gradient), the graph nodes, and TF's errors."""
import numpy as np

GRAPH = True


def _sparse(st):
    return [st.indices, st.values, st.dense_shape]


def main(tf, workdir):
    data = tf.placeholder(tf.float32, [None, 3], name="data")
    idx = tf.placeholder(tf.int32, [None], name="idx")
    seg = tf.placeholder(tf.int32, [None], name="seg")
    useg = tf.placeholder(tf.int32, [None], name="useg")
    outs = {
        "sum": tf.sparse_segment_sum(data, idx, seg),
        "mean": tf.sparse_segment_mean(data, idx, seg, name="m"),
        "sqrt_n": tf.sparse_segment_sqrt_n(data, idx, seg),
        "sum_n": tf.sparse.segment_sum(data, idx, seg, num_segments=6),
        "mean_n": tf.sparse.segment_mean(data, idx, seg, num_segments=tf.constant(5, tf.int64)),
        "sqrt_n_n": tf.sparse.segment_sqrt_n(data, idx, seg, num_segments=4),
        "sum_sparse": tf.sparse_segment_sum(data, idx, seg, sparse_gradient=True),
        "mean_sparse": tf.sparse_segment_mean(data, idx, seg, num_segments=4, sparse_gradient=True),
        "sqrt_sparse": tf.sparse_segment_sqrt_n(data, idx, seg, sparse_gradient=True),
        "useg_mean": tf.unsorted_segment_mean(data, useg, 5),
        "useg_sqrt_n": tf.math.unsorted_segment_sqrt_n(data, useg, 4, name="usq"),
    }
    loss = tf.add_n([tf.reduce_sum(v * float(k + 1)) for k, (_, v) in enumerate(sorted(outs.items()))])
    grad = tf.gradients(loss, data)[0]
    sparse_only = tf.gradients(tf.reduce_sum(outs["mean_sparse"]), data)[0]
    feed = {data: np.arange(18, dtype=np.float32).reshape(6, 3) * 0.5 - 2, idx: [5, 0, 0, 3, 2], seg: [0, 0, 1, 3, 3],
            useg: [2, 0, 2, -1, 2, 0]}
    result = {"shapes": [k + str(outs[k].shape.as_list()) for k in sorted(outs)]}

    a = tf.constant([[[3, 1, 1, 5], [2, 2, 2, 2]], [[7, 0, 4, 3], [9, 8, 1, 0]]], tf.int64)
    b = tf.constant([[[5, 0, 3], [1, 3, 5]], [[3, 4, 4], [8, 9, 2]]], tf.int64)
    sa = tf.SparseTensor([[0, 0, 0], [0, 0, 2], [1, 1, 0], [1, 1, 1]], tf.constant([5, 1, 8, 2], tf.int64), [2, 2, 3])
    words = tf.placeholder(tf.string, [None, 3], name="words")
    sets = {
        "union": tf.sets.union(a, b),
        "inter": tf.sets.set_intersection(a, b),
        "diff": tf.sets.difference(a, b),
        "diff_ba": tf.sets.set_difference(a, b, aminusb=False),
        "dense_sparse": tf.sets.set_union(a, sa),
        "flipped": tf.sets.difference(sa, a),
        "sparse_sparse": tf.sets.intersection(sa, tf.sets.union(a, b)),
        "words": tf.sets.set_intersection(words, tf.constant([["b", "a"], ["z", "z"]])),
    }
    sizes = {"size": tf.sets.size(sets["union"]), "set_size": tf.sets.set_size(sa, validate_indices=False)}
    bad_set = tf.sets.size(tf.SparseTensor([[1, 0], [0, 0]], tf.constant([1, 2]), [2, 2]))
    arr = tf.placeholder(tf.int32, [None], name="arr")
    w = tf.placeholder(tf.float32, [None], name="w")
    values = tf.placeholder(tf.float32, [None, 2], name="values")
    counts = {
        "bincount": tf.bincount(arr),
        "bincount_w": tf.math.bincount(arr, weights=w, minlength=3, maxlength=6),
        "bincount_len": tf.bincount(arr, minlength=9, dtype=tf.float64),
        "bincount_empty": tf.bincount(tf.constant([], tf.int32)),
        "hist": tf.histogram_fixed_width(values, [-1.0, 2.0], nbins=4),
        "hist64": tf.histogram_fixed_width(values, tf.constant([0.0, 1.0]), nbins=3, dtype=tf.int64, name="h64"),
        "bins": tf.histogram_fixed_width_bins(values, [-1.0, 2.0], nbins=5),
    }
    count_feed = {arr: [1, 4, 1, 0, 7, 4], w: [0.5, 1, 2, 3, 4, 5],
                  values: [[-3, -1], [0, 0.5], [1.2, 2], [2.5, np.inf]]}
    with tf.Session() as sess:
        got = sess.run({"outs": outs, "grad": grad, "sparse_only": sparse_only}, feed)
        result.update(got["outs"])
        result["grad"] = got["grad"]
        result["sparse_only"] = got["sparse_only"]
        got_sets = sess.run(sets, {words: [["a", "b", "a"], ["x", "", "z"]]})
        for k, v in got_sets.items():
            result["set_" + k] = _sparse(v)
        result.update(sess.run(sizes))
        result.update(sess.run(counts, count_feed))
        for name, t, f in (("unsorted_ids", outs["sum"], {idx: [0, 1, 2], seg: [1, 0, 1]}),
                           ("bad_index", outs["mean"], {idx: [0, 9], seg: [0, 0]}),
                           ("neg_arr", counts["bincount"], {arr: [1, -1]}),
                           ("bad_set", bad_set, {})):
            try:
                base = count_feed if name == "neg_arr" else feed
                sess.run(t, {**base, **f})
                result["error_" + name] = "no error"
            except tf.errors.OpError as ex:
                result["error_" + name] = type(ex).__name__
        result["after_error"] = sess.run(outs["sum"], feed)
    result["set_shapes"] = [k + str(sets[k].indices.shape.as_list()) + str(sets[k].values.shape.as_list())
                            for k in sorted(sets)]
    result["count_shapes"] = [k + str(counts[k].shape.as_list()) for k in sorted(counts)]
    try:
        tf.sets.union(tf.constant([[1.0]]), tf.constant([[2.0]]))
        result["float_sets"] = "no error"
    except TypeError:
        result["float_sets"] = "TypeError"
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
