"""Array functions node for node: one_hot, gather, scatter_nd, pad, where, masks, fills, casts."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4), name="x")
    p = tf.placeholder(tf.float32, [None, 4], name="p")
    idx = tf.constant([2, 0], name="idx")
    lengths = tf.placeholder(tf.int32, [None], name="lengths")
    outs = {
        "one_hot": tf.one_hot([0, 2, 1], 3), "one_hot_on": tf.one_hot(idx, 4, on_value=5.0, off_value=-1.0, axis=0),
        "one_hot_i": tf.one_hot(idx, 3, dtype=tf.int32),
        "gather": tf.gather(x, idx, axis=1), "gather_b": tf.gather(x, [[0, 1], [2, 2]], axis=1, batch_dims=1),
        "gather_nd": tf.gather_nd(x, [[0, 1], [1, 2]]), "meshgrid": tf.meshgrid([1, 2], [3, 4, 5])[1],
        "meshgrid_ij": tf.meshgrid(tf.range(3), [1, 2], indexing="ij")[0],
        "pad": tf.pad(x[0], [[1, 0], [0, 2]]), "pad_c": tf.pad(p, [[0, 1], [1, 0]], constant_values=2.0),
        "pad_reflect": tf.pad(x[0], [[1, 1], [2, 0]], mode="REFLECT"),
        "pad_sym": tf.pad(x[0], [[1, 1], [2, 0]], mode="symmetric"),
        "where3": tf.where(x[0] > 5, x[0], -x[0]), "where1": tf.where(x[0] > 5),
        "where_v2": tf.where_v2(x[0] > 5, x[0], 1.0), "where_v2_1": tf.where_v2(p > 0),
        "seqmask": tf.sequence_mask([1, 3, 2], 4), "seqmask_dyn": tf.sequence_mask(lengths, dtype=tf.float32),
        "boolmask": tf.boolean_mask(x[0], [True, False, True]),
        "boolmask_ax": tf.boolean_mask(x, [True, False, True, True], axis=2),
        "reverse": tf.reverse(x, [2]), "tile": tf.tile(p, [2, 1]), "fill": tf.fill([2, 3], 7),
        "fill_dyn": tf.fill(tf.shape(p), 1.5), "zeros": tf.zeros([2, 2], tf.int32),
        "zeros_big": tf.zeros([40, 30]), "ones_dyn": tf.ones(tf.shape(p)[0:1]), "zeros_like_p": tf.zeros_like(p),
        "ones_like": tf.ones_like(x[0]), "ones_like_b": tf.ones_like(p, dtype=tf.bool),
        "expand": tf.expand_dims(x[0], 1), "expand_dim": tf.expand_dims(p, dim=0),
        "squeeze": tf.squeeze(x[:, :1]), "squeeze_dims": tf.squeeze(x[:, :1], squeeze_dims=[1]),
        "bcast": tf.broadcast_to([1.0, 2.0, 3.0, 4.0], [3, 4]), "transpose_p": tf.transpose(p),
        "cast": tf.cast(x[0] / 3, tf.int32), "cast_same": tf.cast(x, tf.float32), "to_int": tf.to_int32(p),
        "size": tf.size(p), "rank": tf.rank(p), "shape_p": tf.shape(p), "shape64": tf.shape(p, out_type=tf.int64),
        "shape_n": tf.shape_n([p, x[0]])[0], "identity": tf.identity(p), "stop": tf.stop_gradient(p),
        "unique_idx": tf.unique([4, 4, 1, 4]).idx, "invperm": tf.invert_permutation([2, 0, 1]),
        "concat_neg": tf.concat([p, p], -1), "split": tf.split(p, 2, 1)[0], "unstack": tf.unstack(x)[1],
        "matrix_t": tf.matrix_transpose(x), "dyn_part": tf.dynamic_partition(x[0], [0, 1, 0], 2)[0],
        "dyn_stitch": tf.dynamic_stitch([[0, 2], [1]], [[1.0, 3.0], [2.0]]),
        "rev_seq": tf.reverse_sequence(x, [2, 3], seq_axis=2, batch_axis=0),
    }
    feed = {p: np.arange(8, dtype=np.float32).reshape(2, 4) - 3, lengths: [1, 3]}
    with tf.Session() as sess:
        values = sess.run(outs, feed)
    result = dict(values)
    result["shapes"] = [k + ":" + str(outs[k].shape) for k in sorted(outs)]
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
