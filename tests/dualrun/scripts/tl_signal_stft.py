"""tf.signal's windows (hann, hamming, vorbis), stft, inverse_stft and inverse_stft_window_fn:
default and given fft_length, pad_end, window_fn=None, float32 and float64, fed lengths (the
window's cond and the dynamic power of two), the gradient of stft, and TF's errors for bad
arguments; values (FFT to rounding) and the graph node for node."""

import numpy as np

GRAPH = True
RTOL = 1e-5
ATOL = 2e-5


def _error(fn):
    try:
        fn()
    except (ValueError, TypeError) as e:
        return type(e).__name__
    return "no error"


def main(tf, workdir):
    rng = np.random.RandomState(3)
    sig = rng.uniform(-1, 1, [2, 50]).astype(np.float32)
    x = tf.constant(sig, name="x")
    x64 = tf.placeholder(tf.float64, [None, None], name="x64")
    n = tf.placeholder(tf.int32, [], name="n")
    outs = {
        "hann": tf.signal.hann_window(8), "hann_sym": tf.signal.hann_window(7, periodic=False),
        "hann_one": tf.signal.hann_window(1, dtype=tf.float64),
        "hamming": tf.signal.hamming_window(9, dtype=tf.float64, name="ham"),
        "hamming_fed": tf.signal.hamming_window(n, periodic=False),
        "hann_fed_periodic": tf.signal.hann_window(n, periodic=tf.placeholder_with_default(True, [])),
        "vorbis": tf.signal.vorbis_window(10), "vorbis64": tf.signal.vorbis_window(n, dtype=tf.float64),
        "stft": tf.signal.stft(x, 16, 8),
        "stft_fft": tf.signal.stft(x, 10, 4, fft_length=32, pad_end=True),
        "stft_nowin": tf.signal.stft(x, 12, 5, window_fn=None, name="raw"),
        "stft64": tf.signal.stft(x64, 16, 6, window_fn=tf.signal.hamming_window),
        "stft_fed_len": tf.signal.stft(x, n, 4),
        "istft": tf.signal.inverse_stft(tf.signal.stft(x, 16, 4), 16, 4),
        "istft_fn": tf.signal.inverse_stft(
            tf.signal.stft(x, 16, 4), 16, 4, window_fn=tf.signal.inverse_stft_window_fn(4)),
        "istft_short": tf.signal.inverse_stft(tf.signal.stft(x, 12, 4, fft_length=8), 12, 4),
        "istft_long": tf.signal.inverse_stft(tf.signal.stft(x, 16, 4), 10, 5, fft_length=32, window_fn=None),
        "istft_fed": tf.signal.inverse_stft(tf.signal.stft(x64, 16, 8), n, 8),
        "istft_fn64": tf.signal.inverse_stft_window_fn(3, forward_window_fn=tf.signal.vorbis_window,
                                                       name="inv")(12, tf.float64),
    }
    s = tf.signal.stft(x, 16, 8, fft_length=20)
    outs["grad"] = tf.gradients(tf.reduce_sum(tf.abs(s)), x)[0]
    feed = {x64: rng.uniform(-1, 1, [3, 40]), n: 12}
    with tf.Session() as sess:
        r = sess.run(outs, feed)
        r["hann_fed_one"] = sess.run(outs["hamming_fed"], {n: 1})
    r["shapes"] = [str(v.shape) for _, v in sorted(outs.items())]
    r["errors"] = [
        _error(lambda: tf.signal.hann_window(4, dtype=tf.int32)),
        _error(lambda: tf.signal.hamming_window([4])),
        _error(lambda: tf.signal.vorbis_window(4, dtype=tf.int64)),
        _error(lambda: tf.signal.stft(tf.constant(1.0), 4, 2)),
        _error(lambda: tf.signal.stft(x, [4], 2)),
        _error(lambda: tf.signal.stft(x, 4, [2])),
        _error(lambda: tf.signal.inverse_stft(tf.zeros([3], tf.complex64), 4, 2)),
        _error(lambda: tf.signal.inverse_stft(tf.zeros([2, 3], tf.complex64), 4, 2, fft_length=[4])),
    ]
    r["__graph__"] = tf.get_default_graph().as_graph_def()
    return r
