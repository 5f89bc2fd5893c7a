"""Audio kernels (audio_ops: DecodeWav, EncodeWav, AudioSpectrogram, Mfcc) against TF 2.21's CPU
outputs, and a TF-made speech-commands graph (DecodeWav -> AudioSpectrogram -> Mfcc) imported and
run.

Expected values come from tests/fixtures/kernels/audio.npz (written by gen_audio.py with real TF):
WAV files built byte by byte (mono, stereo, three channels, a JUNK chunk before "fmt ", an
18-byte format chunk, a chunk after the data, an odd data size), decoded with desired_channels
-1/1/2/4 and desired_samples -1/0/7/100 (cropping and zero padding); headers broken one field at
a time; EncodeWav of exact half-steps, out-of-range values, infinities and NaN; spectrograms for
power-of-two and other window sizes, strides, both magnitude modes, stereo and inputs shorter
than a window; MFCCs with default and speech-model settings, an upper limit at Nyquist and past the
last bin (TF then returns zeros), too many filterbank channels, silence; and the inputs TF rejects (exact
class and message, then the same Session runs good inputs).

DecodeWav and EncodeWav must match TF exactly (bit for bit, bytes for bytes). The spectrogram
and MFCC kernels use their own FFT (TF's is Ooura's rdft), so they agree to rounding:
    AudioSpectrogram: max|got - want| <= SPEC_TOL * max|want| per case
    Mfcc:             max|got - want| <= MFCC_TOL (absolute; coefficients are sums of logs)
The measured maxima over the fixture are quoted at test_measured_accuracy_vs_tf, which keeps them.
"""
import json

import numpy as np
import pytest

import metarun as tf
from metarun.framework import dtypes
from op_harness import _core, expect_error, kernel_fixture, load_npz, run_op

COVERAGE = {op: set() for op in ("DecodeWav", "EncodeWav", "AudioSpectrogram", "Mfcc")}

SPEC_TOL = 1e-6
MFCC_TOL = 1e-4
DATA = load_npz(kernel_fixture("audio.npz"))
CASES = json.loads(bytes(DATA["cases_json"]))
ERRORS = json.loads(bytes(DATA["errors_json"]))
INVALID_ARGUMENT = 3
OUT_DTYPES = {"DecodeWav": [dtypes.float32, dtypes.int32], "EncodeWav": [dtypes.string],
              "AudioSpectrogram": [dtypes.float32], "Mfcc": [dtypes.float32]}


def inputs_of(case):
    out = []
    for i in range(case["num_inputs"]):
        x = DATA["%s/in%d" % (case["name"], i)]
        if i in case["strings"]:
            x = np.array(x.tobytes(), object)
        elif case.get("vector"):
            x = np.array([x.tobytes()], object)
        out.append(x)
    return out


def run_case(case):
    return run_op(case["op"], inputs_of(case), case["attrs"], OUT_DTYPES[case["op"]])


def outputs_of(case):
    return [DATA["%s/out%d" % (case["name"], i)] for i in range(len(OUT_DTYPES[case["op"]]))]


def good_cases(op):
    return [c for c in CASES if c["op"] == op and c["name"] not in ERRORS]


def case_id(case):
    return case["name"]


@pytest.mark.parametrize("case", good_cases("DecodeWav"), ids=case_id)
def test_decode_wav_exact(case):
    audio, rate = run_case(case)
    want_audio, want_rate = outputs_of(case)
    assert audio.dtype == np.float32 and audio.shape == want_audio.shape
    np.testing.assert_array_equal(audio, want_audio)
    assert rate.shape == () and int(rate) == int(want_rate)


@pytest.mark.parametrize("case", good_cases("EncodeWav"), ids=case_id)
def test_encode_wav_bytes(case):
    got = run_case(case)[0]
    assert got.shape == ()
    assert bytes(got.item()) == outputs_of(case)[0].tobytes()


def test_summary_encoder_gives_the_kernel_bytes():
    from metarun.framework.summary_kernels import encode_wav
    for case in good_cases("EncodeWav"):
        audio, rate = inputs_of(case)
        assert encode_wav(audio, int(rate)) == outputs_of(case)[0].tobytes(), case["name"]


def spec_error(case):
    got, want = run_case(case)[0], outputs_of(case)[0]
    assert got.dtype == np.float32 and got.shape == want.shape
    return float(np.abs(got - want).max(initial=0)), float(np.abs(want).max(initial=0))


@pytest.mark.parametrize("case", good_cases("AudioSpectrogram"), ids=case_id)
def test_spectrogram_matches_tf(case):
    err, scale = spec_error(case)
    assert err <= SPEC_TOL * scale, (err, scale)


@pytest.mark.parametrize("case", good_cases("Mfcc"), ids=case_id)
def test_mfcc_matches_tf(case):
    err, _ = spec_error(case)
    assert err <= MFCC_TOL, err


def test_mfcc_above_nyquist_is_zero_as_tf():
    case = next(c for c in CASES if c["name"] == "Mfcc/above_nyquist")
    got = run_case(case)[0]
    assert got.size and not got.any() and not outputs_of(case)[0].any()


def test_measured_accuracy_vs_tf():
    """Largest errors against TF over the fixture (rounded up): spectrogram relative to the
    case's largest value, MFCC absolute."""
    spec = max(e / max(s, 1e-30) for e, s in map(spec_error, good_cases("AudioSpectrogram")))
    mfcc = max(spec_error(c)[0] for c in good_cases("Mfcc"))
    assert spec <= SPEC_MEASURED and mfcc <= MFCC_MEASURED


# Measured on this build: 0 for both (the spectrogram is computed in double and rounded to float
# once, as TF does, so the FFTs' last-bit differences vanish). The bounds leave room for another
# libm's cos/log while staying far below the test tolerances.
SPEC_MEASURED = 1e-7
MFCC_MEASURED = 1e-5


def numpy_spectrogram(x, window, stride, squared):
    """An independent reference: numpy's rfft of periodic-Hann-windowed frames, zero-padded to
    the next power of two, computed in double and rounded to float once."""
    n = 1 << (window - 1).bit_length()
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window) / window)
    height = 0 if x.shape[0] < window else 1 + (x.shape[0] - window) // stride
    out = np.zeros((x.shape[1], height, n // 2 + 1), np.float32)
    for h in range(height):
        frame = x[h * stride:h * stride + window].astype(np.float64) * hann[:, None]
        power = (np.abs(np.fft.rfft(frame, n, axis=0)) ** 2).astype(np.float32).T
        out[:, h] = power if squared else np.sqrt(power)
    return out


@pytest.mark.parametrize("case", good_cases("AudioSpectrogram"), ids=case_id)
def test_spectrogram_matches_numpy(case):
    a = case["attrs"]
    want = numpy_spectrogram(inputs_of(case)[0], a["window_size"], a["stride"], a["magnitude_squared"])
    got = run_case(case)[0]
    assert got.shape == want.shape
    assert np.abs(got - want).max(initial=0) <= SPEC_TOL * np.abs(want).max(initial=0)


def test_speech_commands_graph_imported_and_run():
    """A TF-made graph (placeholder WAV string -> DecodeWav -> AudioSpectrogram -> Mfcc, and
    EncodeWav of the decoded audio) imported with import_graph_def gives TF's outputs."""
    graph_def = tf.GraphDef()
    graph_def.ParseFromString(DATA["speech_graph"].tobytes())
    with tf.Graph().as_default() as g:
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            audio, spec, mfcc, wav = sess.run(["decoded:0", "spectrogram:0", "mfcc:0", "reencoded:0"],
                                              {"wav_data:0": DATA["speech/wav"].tobytes()})
    np.testing.assert_array_equal(audio, DATA["speech/audio"])
    assert np.abs(spec - DATA["speech/spectrogram"]).max() <= SPEC_TOL * np.abs(DATA["speech/spectrogram"]).max()
    assert np.abs(mfcc - DATA["speech/mfcc"]).max() <= MFCC_TOL
    assert wav == DATA["speech/reencoded"].tobytes()


def test_python_wrappers_build_tf_nodes_and_shapes():
    from metarun.ops import audio_ops
    with tf.Graph().as_default():
        contents = tf.placeholder(tf.string, [])
        audio, rate = tf.audio.decode_wav(contents, desired_channels=1, desired_samples=16000)
        assert audio.op.type == "DecodeWav" and audio.shape.as_list() == [16000, 1] and rate.shape.as_list() == []
        loose, _ = tf.audio.decode_wav(contents)
        assert loose.shape.as_list() == [None, None]
        spec = audio_ops.audio_spectrogram(audio, window_size=480, stride=160, magnitude_squared=True)
        assert spec.shape.as_list() == [1, 98, 257]
        short = audio_ops.audio_spectrogram(tf.placeholder(tf.float32, [100, 2]), window_size=480, stride=160)
        assert short.shape.as_list() == [2, 0, 257]
        mfcc = audio_ops.mfcc(spec, rate, dct_coefficient_count=40)
        assert mfcc.op.type == "Mfcc" and mfcc.shape.as_list() == [1, 98, 40]
        assert mfcc.op.get_attr("filterbank_channel_count") == 40
        wav = tf.audio.encode_wav(audio, rate)
        assert wav.op.type == "EncodeWav" and wav.shape.as_list() == []
        with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
            tf.audio.encode_wav(tf.placeholder(tf.float32, [3]), 16000)
        with pytest.raises(ValueError, match="channels must be non-negative, got -2"):  # TF's shape function
            tf.audio.decode_wav(contents, desired_channels=-2)
        with tf.Session() as sess:
            data = DATA["speech/wav"].tobytes()
            got = sess.run(mfcc, {contents: data})
    assert np.abs(got - DATA["speech/mfcc"]).max() <= MFCC_TOL


def good_inputs(case):
    """Inputs the same op (same attrs) accepts, to show the Session still runs after the error."""
    op = case["op"]
    if op == "DecodeWav":
        return [np.array(DATA["DecodeWav/mono/c-1_s-1/in0"].tobytes(), object)]
    if op == "EncodeWav":
        return [np.zeros((2, 1), np.float32), np.int32(16000)]
    if op == "AudioSpectrogram":
        return [np.zeros((8, 1), np.float32)]
    return [np.ones((1, 2, 257), np.float32), np.int32(16000)]


# Errors that come from the attrs (checked on every run), so no input runs with them.
ATTR_ERRORS = {"DecodeWav/bad/desired_channels", "DecodeWav/bad/desired_samples", "AudioSpectrogram/bad/window1",
               "AudioSpectrogram/bad/stride0", "Mfcc/bad/dct_gt_filters", "Mfcc/bad/upper_le_lower",
               "Mfcc/bad/lower_negative", "Mfcc/bad/filters0"}


@pytest.mark.parametrize("case", [c for c in CASES if c["name"] in ERRORS], ids=case_id)
def test_errors_as_tf(case):
    assert ERRORS[case["name"]]["error"] == "InvalidArgumentError"
    want = ERRORS[case["name"]]["message"]
    if case["name"] in ATTR_ERRORS:
        with pytest.raises(_core.StatusError) as info:
            run_case(case)
        assert info.value.args[0] == INVALID_ARGUMENT and info.value.args[1] == want
        return
    bad = inputs_of(case)
    good = good_inputs(case)
    message, outs = expect_error(case["op"], bad, good, case["attrs"], OUT_DTYPES[case["op"]])
    assert message == want
    assert len(outs) == len(OUT_DTYPES[case["op"]])
