"""tf.signal.frame and overlap_and_add: static and fed shapes, pad_end with a pad value, axes,
frame_step not dividing frame_length, fed frame lengths (the gcd while loop), the gradient of
frame, and TF's errors for bad arguments; values and the graph node for node."""

import numpy as np

GRAPH = True
RTOL = 1e-6
ATOL = 1e-6


def _error(fn):
    try:
        fn()
    except (ValueError, TypeError) as e:
        return type(e).__name__
    return "no error"


def main(tf, workdir):
    sig = np.arange(2 * 3 * 11, dtype=np.float32).reshape(2, 3, 11) / 7.0
    x = tf.constant(sig, name="x")
    fed = tf.placeholder(tf.float32, [None, 3, None], name="fed")
    fed64 = tf.placeholder(tf.float64, [None], name="fed64")
    length = tf.placeholder(tf.int32, [], name="length")
    step = tf.placeholder(tf.int32, [], name="step")
    outs = {
        "plain": tf.signal.frame(x, 4, 2),
        "pad_end": tf.signal.frame(x, 4, 3, pad_end=True, pad_value=-1.0, name="padded"),
        "axis1": tf.signal.frame(x, 2, 1, axis=1),
        "axis0_pad": tf.signal.frame(x, 3, 2, pad_end=True, axis=0),
        "coprime": tf.signal.frame(x, 5, 3),
        "step_gt_len": tf.signal.frame(x, 2, 5, pad_end=True),
        "too_short": tf.signal.frame(x, 12, 2),
        "fed": tf.signal.frame(fed, 4, 2),
        "fed_pad": tf.signal.frame(fed, 4, 3, pad_end=True, axis=-1),
        "fed_len": tf.signal.frame(x, length, step),
        "fed_len_pad": tf.signal.frame(fed64, length, 2, pad_end=True),
        "fed_axis": tf.signal.frame(fed, 3, 2, axis=tf.constant(1) * 1),
        "ola": tf.signal.overlap_and_add(tf.reshape(x, [2, 3, 11]), 4),
        "ola_fast": tf.signal.overlap_and_add(x, 11),
        "ola_fed": tf.signal.overlap_and_add(fed, 3),
        "ola_fed_step": tf.signal.overlap_and_add(x, step, name="ola"),
        "ola_2d": tf.signal.overlap_and_add(x[0], 2),
        "ola_frames": tf.signal.overlap_and_add(tf.signal.frame(fed64, 4, 2), 2),
    }
    grad_of = tf.signal.frame(x, 5, 2, axis=1)
    outs["grad"] = tf.gradients(tf.reduce_sum(grad_of * grad_of), x)[0]
    outs["grad_fed"] = tf.gradients(tf.reduce_sum(outs["fed"]), fed)[0]
    outs["grad_fed_pad"] = tf.gradients(tf.reduce_sum(outs["fed_pad"] * 2.0), fed)[0]
    feed = {fed: sig[:, :, :9], fed64: np.linspace(-1, 1, 10), length: 4, step: 3}
    with tf.Session() as sess:
        r = sess.run(outs, feed)
    r["shapes"] = [str(v.shape) for _, v in sorted(outs.items())]
    r["errors"] = [
        _error(lambda: tf.signal.frame(tf.constant(1.0), 2, 1)),
        _error(lambda: tf.signal.frame(x, [2], 1)),
        _error(lambda: tf.signal.frame(x, 2, [1, 2])),
        _error(lambda: tf.signal.frame(x, 2, 1, axis=[0])),
        _error(lambda: tf.signal.frame(x, 2, 1, pad_end=True, pad_value=[0.0])),
        _error(lambda: tf.signal.overlap_and_add(tf.constant([1.0]), 1)),
        _error(lambda: tf.signal.overlap_and_add(x, 1.5)),
        _error(lambda: tf.signal.overlap_and_add(x, [1])),
    ]
    r["__graph__"] = tf.get_default_graph().as_graph_def()
    return r
