"""tf.signal with shapes known only when run: signals of unknown rank, fed frame steps and
axes, dct's n on an unknown length (TF's smart_cond builds a cond), the enclosing power of two
of a fed frame length; values and the graph node for node."""

import numpy as np

GRAPH = True
RTOL = 1e-5
ATOL = 1e-5


def main(tf, workdir):
    rng = np.random.RandomState(11)
    anyrank = tf.placeholder(tf.float32, None, name="anyrank")
    rows = tf.placeholder(tf.float32, [None, None], name="rows")
    step = tf.placeholder(tf.int32, [], name="step")
    length = tf.placeholder(tf.int32, [], name="length")
    axis = tf.placeholder(tf.int32, [], name="axis")
    outs = {
        "frame_anyrank": tf.signal.frame(anyrank, 3, 2),
        "frame_anyrank_pad": tf.signal.frame(anyrank, 4, step, pad_end=True),
        "frame_axis": tf.signal.frame(rows, 2, 2, axis=axis),
        "ola_anyrank": tf.signal.overlap_and_add(anyrank, 2),
        "ola_step": tf.signal.overlap_and_add(rows, step),
        "stft_step": tf.signal.stft(rows, 8, step),
        "stft_len": tf.signal.stft(rows, length, 3, fft_length=16, pad_end=True),
        "istft_len": tf.signal.inverse_stft(tf.signal.stft(rows, 8, 4), length, 4, fft_length=8),
        "dct_n_cut": tf.signal.dct(rows, n=3),
        "dct_n_pad": tf.signal.dct(rows, type=3, n=30, norm="ortho"),
        "mfcc_anyrank": tf.signal.mfccs_from_log_mel_spectrograms(anyrank),
        "fftshift_anyaxes": tf.signal.fftshift(rows),
        "ifftshift_anyrank": tf.signal.ifftshift(anyrank, axes=[-1]),
        "mel_rate": tf.signal.linear_to_mel_weight_matrix(6, 9, tf.placeholder_with_default(8000.0, [])),
    }
    feed = {anyrank: rng.uniform(-1, 1, [2, 3, 9]).astype(np.float32),
            rows: rng.uniform(-1, 1, [4, 21]).astype(np.float32), step: 3, length: 10, axis: 1}
    with tf.Session() as sess:
        r = sess.run(outs, feed)
    r["shapes"] = [str(t.shape) for _, t in sorted(outs.items())]
    r["__graph__"] = tf.get_default_graph().as_graph_def()
    return r
