"""Casts, saturate_cast, clipping and integer division across dtypes: values, dtypes, layouts."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    f = tf.constant(np.array([-300.7, -1.5, 0.49, 2.5, 260.2, 70000.9], np.float32), name="f")
    i = tf.constant(np.array([-7, -3, 0, 3, 7, 9], np.int32), name="i")
    i64 = tf.constant(np.array([5, -5, 6], np.int64), name="i64")
    u8 = tf.constant(np.array([0, 100, 255], np.uint8), name="u8")
    b = tf.constant([True, False, True], name="b")
    outs = {
        "f_i32": tf.cast(f, tf.int32), "f_u8": tf.cast(f[1:4], tf.uint8), "f_f64": tf.cast(f, tf.float64),
        "b_f": tf.cast(b, tf.float32), "i_b": tf.cast(i, tf.bool), "u8_i": tf.cast(u8, tf.int32),
        "sat_u8": tf.saturate_cast(f, tf.uint8), "sat_i16": tf.saturate_cast(f, tf.int16),
        "sat_i8_from_i": tf.saturate_cast(i * 40, tf.int8), "sat_same": tf.saturate_cast(i, tf.int64),
        "clip_f": tf.clip_by_value(f, -2.0, 3.0), "clip_i": tf.clip_by_value(i, -4, 4),
        "clip_t": tf.clip_by_value(f, tf.constant(-1.0), f[2]),
        "div_i": tf.div(i, 2), "div_i64": tf.div(i64, 2), "truediv_i64": tf.truediv(i64, 4),
        "truediv_u8": u8 / 5, "floordiv_neg": i // -2, "mod_neg": i % -4, "truncdiv": tf.truncatediv(i, 2),
        "truncmod": tf.truncatemod(i, 4), "floormod_f": tf.floormod(f, 2.5), "pow_i": i ** 2,
        "to_double": tf.to_double(i), "to_int32": tf.to_int32(f), "round": tf.round(f), "rint": tf.rint(f),
        "sign_i": tf.sign(i), "abs_i64": tf.abs(i64), "square_i": tf.square(i), "neg_u8": tf.cast(-tf.cast(u8, tf.int32), tf.int64),
    }
    with tf.Session() as sess:
        values = sess.run(outs)
    result = dict(values)
    result["dtypes"] = [k + ":" + outs[k].dtype.name for k in sorted(outs)]
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
