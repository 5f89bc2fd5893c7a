"""tf.signal.dct / idct (types 1-4, norm='ortho', n to cut or pad), mdct / inverse_mdct (vorbis
window, window_fn=None, norm), linear_to_mel_weight_matrix, mfccs_from_log_mel_spectrograms (a
log-mel MFCC pipeline from stft), fftshift / ifftshift, tf.spectral's dct / idct, and TF's errors for bad arguments; values
(FFT to rounding) and the graph node for node."""

import numpy as np

GRAPH = True
RTOL = 1e-5
ATOL = 1e-4


def _error(fn):
    try:
        fn()
    except (ValueError, TypeError, NotImplementedError) as e:
        return type(e).__name__
    return "no error"


def main(tf, workdir):
    rng = np.random.RandomState(5)
    v = rng.uniform(-1, 1, [3, 8]).astype(np.float32)
    x = tf.constant(v, name="x")
    x64 = tf.placeholder(tf.float64, [None, 6], name="x64")
    fed = tf.placeholder(tf.float32, [None, None], name="fed")
    audio = tf.constant(rng.uniform(-1, 1, [2, 400]).astype(np.float32), name="audio")
    outs = {}
    for t in (1, 2, 3, 4):
        outs["dct%d" % t] = tf.signal.dct(x, type=t)
        outs["idct%d" % t] = tf.signal.idct(x64, type=t)
        if t != 1:
            outs["dct%d_ortho" % t] = tf.signal.dct(x64, type=t, norm="ortho")
            outs["idct%d_ortho" % t] = tf.signal.idct(x, type=t, norm="ortho", name="inv%d" % t)
    outs["spectral_dct"] = tf.spectral.dct(x, type=3, norm="ortho")
    outs["spectral_idct"] = tf.spectral.idct(x, type=1)
    outs["dct_cut"] = tf.signal.dct(x, n=5)
    outs["dct_pad"] = tf.signal.dct(x, type=3, n=11)
    outs["dct_fed"] = tf.signal.dct(fed, type=2, norm="ortho")
    outs["mdct"] = tf.signal.mdct(audio, 16)
    outs["mdct_pad"] = tf.signal.mdct(audio, 12, pad_end=True, norm="ortho", window_fn=None)
    outs["imdct"] = tf.signal.inverse_mdct(outs["mdct"])
    outs["imdct_ortho"] = tf.signal.inverse_mdct(tf.signal.mdct(audio, 8, norm="ortho"), norm="ortho")
    outs["imdct_nowin"] = tf.signal.inverse_mdct(outs["mdct_pad"], window_fn=None, norm="ortho")
    outs["mel"] = tf.signal.linear_to_mel_weight_matrix()
    outs["mel64"] = tf.signal.linear_to_mel_weight_matrix(10, 33, 16000, 20.0, 8000.0, tf.float64, name="m")
    outs["mel_rate"] = tf.signal.linear_to_mel_weight_matrix(8, 17, tf.constant(4000.0), 0.0, 1800.0)
    mags = tf.abs(tf.signal.stft(audio, 64, 32))
    log_mel = tf.log(tf.tensordot(mags, tf.signal.linear_to_mel_weight_matrix(20, 33, 8000), 1) + 1e-6)
    outs["mfcc"] = tf.signal.mfccs_from_log_mel_spectrograms(log_mel)[..., :13]
    outs["mfcc_fed"] = tf.signal.mfccs_from_log_mel_spectrograms(fed)
    outs["fftshift"] = tf.signal.fftshift(x)
    outs["fftshift_axis"] = tf.signal.fftshift(x, axes=1)
    outs["fftshift_axes"] = tf.signal.fftshift(fed, axes=[0, -1])
    outs["ifftshift"] = tf.signal.ifftshift(x, name="back")
    outs["ifftshift_axes"] = tf.signal.ifftshift(fed, axes=[-1])
    outs["ifftshift_c"] = tf.signal.ifftshift(tf.complex(x, -x), axes=0)
    feed = {x64: rng.uniform(-1, 1, [2, 6]), fed: rng.uniform(-1, 1, [5, 7]).astype(np.float32)}
    with tf.Session() as sess:
        r = sess.run(outs, feed)
    r["shapes"] = [str(t.shape) for _, t in sorted(outs.items())]
    r["errors"] = [
        _error(lambda: tf.signal.dct(x, axis=0)),
        _error(lambda: tf.signal.dct(x, n=0)),
        _error(lambda: tf.signal.dct(x, type=5)),
        _error(lambda: tf.signal.dct(x, type=1, norm="ortho")),
        _error(lambda: tf.signal.dct(x[:, :1], type=1)),
        _error(lambda: tf.signal.idct(x, norm="unit")),
        _error(lambda: tf.signal.mdct(audio, 10)),
        _error(lambda: tf.signal.linear_to_mel_weight_matrix(0)),
        _error(lambda: tf.signal.linear_to_mel_weight_matrix(lower_edge_hertz=-1.0)),
        _error(lambda: tf.signal.linear_to_mel_weight_matrix(lower_edge_hertz=4000.0)),
        _error(lambda: tf.signal.linear_to_mel_weight_matrix(sample_rate=0)),
        _error(lambda: tf.signal.linear_to_mel_weight_matrix(sample_rate=6000)),
        _error(lambda: tf.signal.linear_to_mel_weight_matrix(dtype=tf.int32)),
        _error(lambda: tf.signal.mfccs_from_log_mel_spectrograms(tf.zeros([2, 0]))),
    ]
    r["__graph__"] = tf.get_default_graph().as_graph_def()
    return r
