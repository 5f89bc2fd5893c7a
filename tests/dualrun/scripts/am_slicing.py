"""Tensor.__getitem__ and the slicing/reshaping functions: TF's StridedSlice layout, values, shapes."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.constant(np.arange(60, dtype=np.float32).reshape(3, 4, 5), name="x")
    p = tf.placeholder(tf.float32, [None, 4, 5], name="p")
    k = tf.placeholder(tf.int32, [], name="k")
    v = tf.Variable(np.arange(12, dtype=np.float32).reshape(3, 4), name="v")
    outs = {
        "int": x[1], "neg_int": x[-1], "slice": x[1:], "step": x[::2], "neg_step": x[::-1],
        "neg_step2": x[2:0:-1, :, -2::-2], "ellipsis": x[..., 1], "ellipsis_mid": x[0, ..., 2:4],
        "newaxis": x[tf.newaxis, 1], "newaxis2": x[:, None, ..., None], "tensor_idx": x[k],
        "tensor_slice": x[k:, :k], "var": v[1:, 2], "var_int": v[0], "mixed": x[1, 2:3, ::-2],
        "dyn": p[:, 1:3], "dyn_int": p[0], "dyn_neg": p[-1, ..., ::2],
        "strided": tf.strided_slice(x, [0, 1], [2, 3], [1, 1]),
        "strided_masks": tf.strided_slice(x, [0, 0, 1], [0, 2, 0], [1, 1, 2], begin_mask=1, end_mask=5,
                                          shrink_axis_mask=0),
        "slice_fn": tf.slice(x, [1, 0, 2], [-1, 2, 3]), "slice_dyn": tf.slice(p, [0, 1, 0], [1, -1, 2]),
        "reshape": tf.reshape(x, [6, -1]), "reshape_dyn": tf.reshape(p, [-1, 10]),
        "reshape_t": tf.reshape(x, tf.stack([k, -1])),
        "expand": tf.expand_dims(x, -1), "squeeze": tf.squeeze(x[:, :1, :1]),
        "squeeze_ax": tf.squeeze(x[:1], axis=[0]), "transpose": tf.transpose(x),
        "transpose_p": tf.transpose(p, [1, 0, 2]),
        "split": tf.split(x, 5, axis=2)[3], "split_v": tf.split(x, [1, -1, 2], 1)[1],
        "unstack": tf.unstack(x, axis=1)[2], "stack1": tf.stack([x[0], x[1]], axis=1),
        "stack0": tf.stack([1, 2, 3]), "concat": tf.concat([x, p], 0), "concat1": tf.concat([x], 1),
        "tile": tf.tile(x[:1], [2, 1, 1]), "reverse": tf.reverse(x, [0, 2]),
        "reverse_v2": tf.reverse_v2(x, axis=[1]), "gather": tf.gather(x, [2, 0]),
        "gather_ax": tf.gather(x, [[1, 0]], axis=2), "gather_nd": tf.gather_nd(x, [[0, 1, 2], [2, 3, 4]]),
        "pad": tf.pad(x[0], [[1, 1], [0, 2]], constant_values=3.0),
        "pad_sym": tf.pad(x[0], [[1, 1], [2, 2]], mode="SYMMETRIC"),
        "idx64": x[tf.constant(1, tf.int64)], "empty_key": x[()], "strided_default": tf.strided_slice(x, [0], [1]),
    }
    feed = {p: np.ones([2, 4, 5], np.float32), k: 1}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = sess.run(outs, feed)
    result = dict(values)
    result["shapes"] = [key + ":" + str(outs[key].shape) for key in sorted(outs)]
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
