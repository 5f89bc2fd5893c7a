"""tf.arg_max/arg_min, sort/argsort, repeat, lbeta, angle, clip_by_average_norm, random_crop, Print,
broadcast shapes: values, gradients and the graph TF builds."""
import numpy as np

GRAPH = True
RTOL = 1e-5


def main(tf, workdir):
    x = tf.constant(np.array([[3., 1., 2.], [0., -5., 4.]], np.float32))
    ints = tf.constant(np.array([[3, 1], [2, 2], [-7, 9]], np.int32))
    u8 = tf.constant(np.array([3, 200, 0, 7], np.uint8))
    p = tf.placeholder(tf.float32, [None, 3], name="p")
    # Repeat counts are fed: TF's shape refiner folds constant counts into static shapes.
    r2 = tf.placeholder(tf.int32, [2], name="r2")
    r3 = tf.placeholder(tf.int32, [3], name="r3")
    outs = {
        "arg_max": tf.arg_max(x, 1),
        "arg_min": tf.arg_min(x, 0, output_type=tf.int32, name="amin"),
        "bdyn": tf.broadcast_dynamic_shape([2, 1, 3], [4, 1]),
        "clip_avg": tf.clip_by_average_norm(x, 0.5),
        "lbeta": tf.lbeta(x * x + 1.0),
        "angle": tf.angle(x),
        "sort": tf.sort(x),
        "sort0_desc": tf.sort(x, axis=0, direction="DESCENDING"),
        "sort_int": tf.sort(ints, axis=0),
        "sort_u8": tf.sort(u8, direction="ASCENDING"),
        "argsort": tf.argsort(x),
        "argsort_int0": tf.argsort(ints, axis=0, direction="DESCENDING"),
        "sort_dyn": tf.sort(p, axis=1, name="sp"),
        "repeat_flat": tf.repeat(x, 2),
        "repeat0": tf.repeat(x, r2, axis=0),
        "repeat1": tf.repeat(x, r3, axis=1),
        "repeat_scalar": tf.repeat(5, 3),
        "repeat_dyn": tf.repeat(p, r3 - 1, axis=-1),
        "crop": tf.random_crop(x, [1, 2], seed=3),
        "print": tf.Print(x, [x, ints], "x and ints: ", first_n=2, summarize=4),
    }
    grads = tf.gradients([outs["clip_avg"], outs["lbeta"], outs["sort"], outs["print"]], x)
    outs["grad"] = grads[0]
    outs["grad_sort_dyn"] = tf.gradients(outs["sort_dyn"] * tf.constant([1., 2., 3.]), p)[0]
    feed = {p: np.array([[5., -1., 2.], [0., 0., -3.]], np.float32), r2: [1, 2], r3: [2, 1, 3]}
    with tf.Session() as sess:
        values = sess.run(outs, feed)
    result = dict(values)
    result["shapes"] = [k + str(outs[k].shape.as_list() if outs[k].shape.ndims is not None else None)
                        for k in sorted(outs)]
    result["static_bcast"] = [str(tf.broadcast_static_shape(tf.TensorShape([2, 1, None]),
                                                            tf.TensorShape([4, None]))),
                              str(tf.broadcast_static_shape(tf.TensorShape(None), tf.TensorShape([1])))]
    errors = []
    for fn in (lambda: tf.broadcast_static_shape(tf.TensorShape([2]), tf.TensorShape([3])),
               lambda: tf.sort(x, direction="UP"),
               lambda: tf.repeat(x, [1, 2], axis=3),
               lambda: tf.repeat(x, [1.5], axis=0),
               lambda: tf.repeat(x, [1, 2], axis=1)):
        try:
            fn()
            errors.append("no error")
        except Exception as e:  # noqa: BLE001 -- the class is what is compared
            errors.append(type(e).__name__)
    result["errors"] = errors
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
