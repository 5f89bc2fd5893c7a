"""Gradients through tf.signal as a speech model trains through it: stft with pad_end (fed and
static lengths), the log-mel / MFCC pipeline, inverse_stft, overlap_and_add, dct and mdct;
values and the graph node for node (a padded frame's StridedSlice gradient keeps its computed
end as a tensor, as TF's does)."""

import numpy as np

GRAPH = True
RTOL = 1e-4
ATOL = 1e-4


def main(tf, workdir):
    rng = np.random.RandomState(7)
    audio = tf.constant(rng.uniform(-1, 1, [2, 300]).astype(np.float32), name="audio")
    fed = tf.placeholder(tf.float64, [None, None], name="fed")
    s = tf.signal.stft(audio, 64, 24, pad_end=True)
    mel = tf.tensordot(tf.abs(s), tf.signal.linear_to_mel_weight_matrix(16, 33, 8000, 60.0, 3900.0), 1)
    mfcc = tf.signal.mfccs_from_log_mel_spectrograms(tf.log(mel + 1e-3))[..., :10]
    sf = tf.signal.stft(fed, 20, 7, fft_length=32, pad_end=True, window_fn=tf.signal.hamming_window)
    frames = tf.signal.frame(audio, 30, 11, pad_end=True, pad_value=0.5, axis=1)
    w = tf.constant(rng.uniform(-1, 1, [2, 28, 30]).astype(np.float32))
    outs = {
        "d_mfcc": tf.gradients(tf.reduce_sum(mfcc * mfcc), audio)[0],
        "d_stft_fed": tf.gradients(tf.reduce_sum(tf.abs(sf)), fed)[0],
        "d_frame": tf.gradients(tf.reduce_sum(frames * w), audio)[0],
        "d_istft": tf.gradients(tf.reduce_sum(tf.signal.inverse_stft(s, 64, 24) ** 2), audio)[0],
        "d_ola": tf.gradients(tf.reduce_sum(tf.signal.overlap_and_add(w, 7) ** 2), w)[0],
        "d_dct": tf.gradients(tf.reduce_sum(tf.signal.dct(fed, type=4, norm="ortho") ** 3), fed)[0],
        "d_mdct": tf.gradients(tf.reduce_sum(tf.signal.mdct(audio, 16) ** 2), audio)[0],
    }
    with tf.Session() as sess:
        r = sess.run(outs, {fed: rng.uniform(-1, 1, [3, 45])})
    r["__graph__"] = tf.get_default_graph().as_graph_def()
    return r
