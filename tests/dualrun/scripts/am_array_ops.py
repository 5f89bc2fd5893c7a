"""Array functions and slicing: values and static shapes equal TF's."""
import numpy as np


def main(tf, workdir):
    x = tf.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    idx = tf.constant([2, 0])
    p = tf.placeholder(tf.float32, [None, 4], name="p")
    outs = {
        "one_hot": tf.one_hot([0, 2, 1], 3),
        "one_hot_axis0": tf.one_hot([0, 2], 3, on_value=5.0, off_value=-1.0, axis=0),
        "gather": tf.gather(x, idx, axis=1),
        "gather_nd": tf.gather_nd(x, [[0, 1], [1, 2]]),
        "split0": tf.split(x, 2, axis=0)[1],
        "splitv": tf.split(x, [1, 3], axis=2)[1],
        "tile": tf.tile(x[:, :1], [1, 2, 1]),
        "pad": tf.pad(x[0], [[1, 0], [0, 2]]),
        "pad_reflect": tf.pad(x[0], [[1, 1], [2, 0]], mode="REFLECT"),
        "where3": tf.where(x[0] > 5, x[0], -x[0]),
        "where1": tf.where(x[0] > 5),
        "slice": tf.slice(x, [0, 1, 1], [2, 1, -1]),
        "reverse": tf.reverse(x, [2]),
        "seqmask": tf.sequence_mask([1, 3, 2], 4),
        "boolmask": tf.boolean_mask(x[0], [True, False, True]),
        "getitem": x[..., ::-2],
        "getitem2": x[1, None, :, 1:3],
        "getitem3": x[:, idx[0]],
        "transpose": tf.transpose(x, [2, 0, 1]),
        "stack": tf.stack([x[0], x[1]], axis=1),
        "unstack": tf.unstack(x, axis=2)[3],
        "concat": tf.concat([x, x], -1),
        "reduce": tf.reduce_sum(x, [0, 2], keepdims=True),
        "argmax": tf.argmax(x, 2),
        "zeros": tf.zeros([2, 2], tf.int32),
        "ones_like": tf.ones_like(x[0]),
        "fill": tf.fill([2, 3], 7),
        "expand": tf.expand_dims(x[0], 1),
        "squeeze": tf.squeeze(x[:, :1]),
        "cast": tf.cast(x[0] / 3, tf.int32),
        "dynamic": tf.reshape(p, [-1, 2, 2]),
    }
    with tf.Session() as sess:
        values = sess.run(outs, {p: np.ones([3, 4], np.float32)})
    result = {k: v for k, v in values.items()}
    result["shapes"] = [k + str(outs[k].shape.as_list() if outs[k].shape.ndims is not None else None)
                        for k in sorted(outs)]
    return result
