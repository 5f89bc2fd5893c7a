"""tf.signal.kaiser_window and kaiser_bessel_derived_window: lengths 1, odd and even, beta,
float32 and float64, fed lengths, as a window_fn of stft and mdct, and TF's errors for bad
arguments; values and the graph node for node."""

import numpy as np

GRAPH = True
RTOL = 1e-5
ATOL = 1e-6


def _error(fn):
    try:
        fn()
    except (ValueError, TypeError) as e:
        return type(e).__name__
    return "no error"


def main(tf, workdir):
    n = tf.placeholder(tf.int32, [], name="n")
    audio = tf.constant(np.sin(np.arange(200) / 5.0).astype(np.float32), name="audio")
    outs = {
        "k1": tf.signal.kaiser_window(1), "k7": tf.signal.kaiser_window(7),
        "k8_beta": tf.signal.kaiser_window(8, beta=3.5, dtype=tf.float64, name="kw"),
        "k_fed": tf.signal.kaiser_window(n, beta=6.0),
        "kbd8": tf.signal.kaiser_bessel_derived_window(8),
        "kbd11": tf.signal.kaiser_bessel_derived_window(11, beta=2.0, dtype=tf.float64),
        "kbd_fed": tf.signal.kaiser_bessel_derived_window(n),
        "stft": tf.signal.stft(audio, 16, 8, window_fn=tf.signal.kaiser_window),
        "mdct": tf.signal.mdct(audio, 16, window_fn=tf.signal.kaiser_bessel_derived_window),
    }
    with tf.Session() as sess:
        r = sess.run(outs, {n: 10})
        r["k_fed_one"] = sess.run(outs["k_fed"], {n: 1})
    r["shapes"] = [str(t.shape) for _, t in sorted(outs.items())]
    r["errors"] = [
        _error(lambda: tf.signal.kaiser_window(4, dtype=tf.int32)),
        _error(lambda: tf.signal.kaiser_window([4])),
        _error(lambda: tf.signal.kaiser_bessel_derived_window(4, dtype=tf.int64)),
    ]
    r["__graph__"] = tf.get_default_graph().as_graph_def()
    return r
