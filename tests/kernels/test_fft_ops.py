"""FFT kernels (fft_ops) against TF 2.21's CPU outputs and numpy.fft; the tf.signal wrappers'
graphs and gradients against TF's.

Expected values come from tests/fixtures/kernels/fft.npz (written by gen_fft.py with real TF):
FFT/IFFT/RFFT/IRFFT for lengths 1..17, 32, 100 and 127 in a batch (127 takes the Bluestein
path, the others the mixed-radix one), batched 2-D and 3-D transforms, empty batches,
fft_length cropping the real transforms' inputs, both precisions, and the inputs TF rejects
(exact class and message, then the same Session runs good inputs). numpy.fft (double
precision, pocketfft) is an independent second reference for every case.

Tolerance: TF computes with DUCC and these kernels with their own transforms, so results
agree to rounding, not bitwise. A transform's rounding error grows like eps * log2(N) (N the
number of points transformed together), so each case must satisfy
    max|got - want| <= TOL_FACTOR * eps * (1 + log2 N) * max|want|
with eps the component precision's epsilon. TOL_FACTOR = 2 leaves a margin: the largest
error measured against TF over the fixture is 0.43 of eps * (1 + log2 N) * max|want|. The
measured maxima of max|got - want| / max|want| against TF are 3.4e-7 (complex64), 3.2e-7
(float32), 5.5e-16 (complex128) and 4.3e-16 (float64); test_measured_accuracy_vs_tf keeps them.

Cases TF cannot answer are left out of the comparison: an input with a 0-length transform dim
and a nonzero fft_length (TF returns uninitialized memory; these kernels give zeros, numpy's
transform of the zero-padded empty input), and a 0 innermost fft_length
(TF aborts in DUCC; these kernels give zeros).
"""
import json
import math

import numpy as np
import pytest

import metarun as tf
from metarun.framework import dtypes
from op_harness import _core, expect_error, kernel_fixture, load_npz, run_op

COMPLEX = ["complex64", "complex128"]
REAL = ["float32", "float64"]
COVERAGE = {op: set(COMPLEX) for op in ("FFT", "IFFT", "FFT2D", "IFFT2D", "FFT3D", "IFFT3D",
                                        "IRFFT", "IRFFT2D", "IRFFT3D")}
COVERAGE.update({op: set(REAL) for op in ("RFFT", "RFFT2D", "RFFT3D")})

TOL_FACTOR = 2
DATA = load_npz(kernel_fixture("fft.npz"))
CASES = json.loads(bytes(DATA["cases_json"]))
ERRORS = json.loads(bytes(DATA["errors_json"]))
GRAPHS = json.loads(bytes(DATA["graphs_json"]))
KERNEL_CASES = [c for c in CASES if not c["name"].startswith("grad/")]
GRAD_CASES = [c for c in CASES if c["name"].startswith("grad/")]
INVALID_ARGUMENT = 3
RANK = {"FFT": 1, "IFFT": 1, "FFT2D": 2, "IFFT2D": 2, "FFT3D": 3, "IFFT3D": 3,
        "RFFT": 1, "IRFFT": 1, "RFFT2D": 2, "IRFFT2D": 2, "RFFT3D": 3, "IRFFT3D": 3}
OUT_DTYPE = {"float32": "complex64", "float64": "complex128", "complex64": "float32", "complex128": "float64"}


def inputs_of(case):
    return [DATA[case["name"] + "/in0"]] + ([DATA[case["name"] + "/in1"]] if case["fft_length"] else [])


def attrs_of(case):
    attr = "Treal" if case["op"].startswith("RFFT") else "Tcomplex"
    attrs = {attr: dtypes.as_dtype(case["dtype"])}
    attrs.update({k: dtypes.as_dtype(v) for k, v in case["attrs"].items()})
    return attrs


def out_dtype(case):
    op = case["op"]
    if op.startswith("RFFT"):
        return case["attrs"].get("Tcomplex", OUT_DTYPE[case["dtype"]])
    if op.startswith("IRFFT"):
        return case["attrs"].get("Treal", OUT_DTYPE[case["dtype"]])
    return case["dtype"]


def run_case(case):
    return run_op(case["op"], inputs_of(case), attrs_of(case), [dtypes.as_dtype(out_dtype(case))])[0]


def numpy_reference(case):
    """numpy.fft's transform of the same input (cropped as the kernels crop)."""
    op, x = case["op"], DATA[case["name"] + "/in0"].astype(np.complex128)
    rank = RANK[op]
    axes = tuple(range(-rank, 0))
    if op.startswith("IFFT"):
        return np.fft.ifftn(x, axes=axes) if x.size else x
    if op.startswith("FFT"):
        return np.fft.fftn(x, axes=axes) if x.size else x
    n = [int(v) for v in DATA[case["name"] + "/in1"]]
    keep = list(n)
    if op.startswith("IRFFT"):
        keep[-1] = n[-1] // 2 + 1
    x = x[(Ellipsis,) + tuple(slice(0, k) for k in keep)]
    if op.startswith("RFFT"):
        shape = x.shape[:-rank] + tuple(n[:-1]) + (n[-1] // 2 + 1,)
        if x.size == 0 or 0 in n:
            return np.zeros(shape, np.complex128)
        return np.fft.rfftn(x.real, s=n, axes=axes)
    if x.size == 0 or 0 in n:
        return np.zeros(x.shape[:-rank] + tuple(n), np.float64)
    return np.fft.irfftn(x, s=n, axes=axes)


def tolerance(case, want):
    rank = RANK[case["op"]]
    shape = want.shape if not case["op"].startswith("RFFT") else DATA[case["name"] + "/in1"]
    points = max(int(np.prod(shape[-rank:])) if len(shape) >= rank else 1, 1)
    eps = np.finfo(np.float32 if case["dtype"] in ("float32", "complex64") else np.float64).eps
    return TOL_FACTOR * eps * (1 + math.log2(points)) * max(float(np.abs(want).max(initial=0)), 1e-30)


def case_id(case):
    return case["name"]


@pytest.mark.parametrize("case", [c for c in KERNEL_CASES if c["name"] not in ERRORS], ids=case_id)
def test_matches_tf_and_numpy(case):
    got = run_case(case)
    want = DATA.get(case["name"] + "/out") if case["name"] + "/out" in DATA else None
    ref = numpy_reference(case)
    assert got.dtype == np.dtype(out_dtype(case))
    assert got.shape == ref.shape, (got.shape, ref.shape)
    assert np.abs(got - ref).max(initial=0) <= tolerance(case, ref), case["name"]
    if want is not None and not (got.size and DATA[case["name"] + "/in0"].size == 0):
        assert got.shape == want.shape
        assert np.abs(got - want).max(initial=0) <= tolerance(case, want), case["name"]


def max_rel_error(dtype):
    worst = 0.0
    for c in KERNEL_CASES:
        if c["name"] in ERRORS or c["dtype"] != dtype or DATA[c["name"] + "/in0"].size == 0:
            continue
        want = DATA[c["name"] + "/out"]
        if want.size:
            worst = max(worst, float(np.abs(run_case(c) - want).max() / np.abs(want).max()))
    return worst


def test_measured_accuracy_vs_tf():
    """The maxima quoted in the module docstring (rounded up)."""
    assert max_rel_error("complex64") <= 3.4e-7 and max_rel_error("float32") <= 3.2e-7
    assert max_rel_error("complex128") <= 5.5e-16 and max_rel_error("float64") <= 4.3e-16


@pytest.mark.parametrize("case", [c for c in KERNEL_CASES if c["name"] in ERRORS], ids=case_id)
def test_errors_as_tf(case):
    assert ERRORS[case["name"]]["error"] == "InvalidArgumentError"
    bad = inputs_of(case)
    if "wrong_pair" in case["name"]:  # refused when the kernel is made, for any input
        with pytest.raises(_core.StatusError) as info:
            run_case(case)
        assert info.value.args[1].endswith(ERRORS[case["name"]]["message"]), info.value.args
        return
    rank = RANK[case["op"]]
    good_x = np.ones((8,) * max(bad[0].ndim, rank), bad[0].dtype)
    good = [good_x] + ([np.full([rank], 2, np.int32)] if case["fft_length"] else [])
    message, outs = expect_error(case["op"], bad, good, attrs_of(case), [dtypes.as_dtype(out_dtype(case))],
                                 code=INVALID_ARGUMENT)
    assert message == ERRORS[case["name"]]["message"]
    assert outs[0].ndim == good_x.ndim


def test_fixture_covers_every_pair_and_length():
    seen = {(c["op"], c["dtype"]) for c in KERNEL_CASES if c["name"] not in ERRORS}
    assert seen == {(op, dt) for op, types in COVERAGE.items() for dt in types}
    names = {c["name"] for c in KERNEL_CASES}
    for n in list(range(1, 18)) + [32, 100, 127]:
        for dt in COMPLEX:
            assert "FFT/%s/n%d" % (dt, n) in names and "IRFFT/%s/crop%d" % (dt, n) in names
        for dt in REAL:
            assert "RFFT/%s/n%d" % (dt, n) in names and "RFFT/%s/crop%d" % (dt, n) in names


def test_zero_fft_length_gives_zeros():
    """TF aborts on these; the kernels return the shape TF's shape function gives, zero-filled."""
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    pair = {"Treal": dtypes.float32, "Tcomplex": dtypes.complex64}
    got = run_op("RFFT", [x, np.array([0], np.int32)], pair, [dtypes.complex64])[0]
    np.testing.assert_array_equal(got, np.zeros((2, 1), np.complex64))
    c = x.astype(np.complex64)
    got = run_op("IRFFT", [c, np.array([0], np.int32)], pair, [dtypes.float32])[0]
    assert got.shape == (2, 0)
    # An empty transform dim with a nonzero fft_length: TF's output is uninitialized memory.
    empty = np.zeros((3, 0), np.float32)
    got = run_op("RFFT", [empty, np.array([4], np.int32)], pair, [dtypes.complex64])[0]
    np.testing.assert_array_equal(got, np.fft.rfft(np.zeros((3, 4)), 4).astype(np.complex64))


def test_large_prime_and_composite_lengths_vs_numpy():
    rng = np.random.default_rng(1)
    for n in (1009, 1024, 2 * 3 * 5 * 7 * 11, 4 * 127):
        x = rng.standard_normal((2, n)) + 1j * rng.standard_normal((2, n))
        got = run_op("FFT", [x], {"Tcomplex": dtypes.complex128}, [dtypes.complex128])[0]
        want = np.fft.fft(x)
        assert np.abs(got - want).max() <= 2 * 2.2e-16 * (1 + math.log2(n)) * np.abs(want).max(), n


# -- the tf.signal wrappers: graphs and gradients -------------------------------------------

def _first_input():
    return tf.get_default_graph().get_operations()[0].outputs[0]


GRAPH_SNIPPETS = {
    "rfft_inferred": lambda: tf.spectral.rfft(tf.placeholder(tf.float32, [2, 5])),
    "rfft_padded": lambda: tf.signal.rfft(tf.placeholder(tf.float32, [2, 5]), [8]),
    "rfft_cropped": lambda: tf.signal.rfft(tf.placeholder(tf.float64, [2, 5]), [3]),
    "irfft_inferred": lambda: tf.signal.irfft(tf.placeholder(tf.complex64, [2, 5])),
    "irfft_padded": lambda: tf.spectral.irfft(tf.placeholder(tf.complex128, [2, 5]), [12]),
    "rfft2d_dynamic": lambda: tf.signal.rfft2d(tf.placeholder(tf.float32, [None, None])),
    "irfft3d_dynamic": lambda: tf.signal.irfft3d(tf.placeholder(tf.complex64, [2, None, 4, 3])),
    "fft_named": lambda: tf.fft(tf.placeholder(tf.complex64, [3]), name="my_fft"),
    "ifft3d": lambda: tf.signal.ifft3d(tf.placeholder(tf.complex128, [2, 3, 4])),
    "rfft_grad": lambda: tf.gradients(tf.reduce_sum(tf.abs(tf.signal.rfft(tf.placeholder(tf.float32, [2, 6])))),
                                      _first_input()),
    "irfft2d_grad": lambda: tf.gradients(tf.reduce_sum(tf.signal.irfft2d(tf.placeholder(tf.complex64, [2, 3, 4]))),
                                         _first_input()),
}


@pytest.mark.parametrize("key", sorted(GRAPH_SNIPPETS))
def test_wrappers_build_tfs_graph(key):
    with tf.Graph().as_default() as g:
        GRAPH_SNIPPETS[key]()
        assert [[op.name, op.type] for op in g.get_operations()] == GRAPHS[key]


def test_wrappers_pad_and_run_as_tf():
    x = np.random.default_rng(2).standard_normal((2, 5)).astype(np.float32)
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [None, None])
        y = tf.signal.rfft(p, [8])
        z = tf.signal.irfft(tf.signal.rfft2d(p), tf.constant([5]))
        with tf.Session() as sess:
            got_y, got_z = sess.run([y, z], {p: x})
    np.testing.assert_allclose(got_y, np.fft.rfft(x, 8), atol=1e-5)
    np.testing.assert_allclose(got_z, np.fft.irfft(np.fft.rfft2(x), 5), atol=1e-5)


PUBLIC = {"fft": tf.signal.fft, "ifft": tf.signal.ifft, "fft2d": tf.signal.fft2d, "ifft2d": tf.signal.ifft2d,
          "fft3d": tf.signal.fft3d, "ifft3d": tf.signal.ifft3d, "rfft": tf.signal.rfft, "irfft": tf.signal.irfft,
          "rfft2d": tf.signal.rfft2d, "irfft2d": tf.signal.irfft2d}


@pytest.mark.parametrize("case", GRAD_CASES, ids=case_id)
def test_gradients_match_tf(case):
    name = case["name"]
    x, w = DATA[name + "/x"], DATA[name + "/w"]
    with tf.Graph().as_default():
        xt = tf.constant(x)
        y = PUBLIC[case["op"]](xt)
        prod = y * tf.constant(w)
        loss = tf.reduce_sum(tf.real(prod) if y.dtype.is_complex else prod)
        grad = tf.gradients(loss, xt)[0]
        with tf.Session() as sess:
            got_y, got = sess.run([y, grad])
    rtol = 1e-5 if case["dtype"] == "float32" else 1e-12
    np.testing.assert_allclose(got_y, DATA[name + "/y"], rtol=rtol, atol=rtol * np.abs(got_y).max())
    want = DATA[name + "/grad"]
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.abs(want).max())


def test_no_gradient_for_3d_real_transforms():
    with tf.Graph().as_default():
        x = tf.constant(np.ones((2, 2, 2), np.float32))
        with pytest.raises(LookupError):
            tf.gradients(tf.reduce_sum(tf.abs(tf.signal.rfft3d(x))), x)
