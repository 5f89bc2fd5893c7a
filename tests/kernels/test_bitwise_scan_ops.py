"""Bitwise ops and shifts, Invert, PopulationCount, Cumsum, Cumprod, CumulativeLogsumexp,
Bucketize, Bincount, Real, Imag, Conj, ComplexAbs (cpp/kernels/bitwise_scan_ops.cpp), and the
gradients of the scans and complex-part ops (python/metarun/ops/bitwise_scan_grad.py).

Expected values come from TF-made cases (fixtures/kernels/bitwise_scan.npz, see
gen_bitwise_scan.py), compared bit for bit with error messages included; large and threaded
scans are checked against numpy's sequential accumulate.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import metarun as tf
from metarun import _core
from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op
from op_harness import (BF16, TESTS_DIR, Case, assert_covers_registry, assert_matches, check_case, coverage,
                        expect_error, fixture_module, kernel_fixture, load_npz, params, run_op)

_gen = fixture_module("gen_bitwise_scan")
OPS = ["BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift", "Invert", "PopulationCount",
       "Cumsum", "Cumprod", "CumulativeLogsumexp", "Bucketize", "Bincount", "Real", "Imag", "Conj",
       "ComplexAbs"]
_DATA = load_npz(kernel_fixture("bitwise_scan.npz"))
_META = json.loads(str(_DATA["meta"]))
_BLOB = _DATA["blob"].tobytes()


def _array(key, dtype_name):
    a = _META["arrays"][key]
    arr = np.frombuffer(_BLOB[a["off"]:a["off"] + a["len"]], dtype=np.dtype(a["dtype"])).reshape(a["shape"])
    return (arr.view(BF16) if dtype_name == "bfloat16" else arr).copy()


def _attr(v):
    (kind, val), = v.items()
    if kind == "type":
        return dtypes.as_dtype(val)
    if kind == "list_f":
        return [float(f) for f in val]
    return val


def _cases():
    out = []
    for k, c in enumerate(_META["cases"]):
        out.append(Case(name=c["name"], op=c["op"],
                        inputs=[_array("c%d_i%d" % (k, j), d) for j, d in enumerate(c["inputs"])],
                        attrs={n: _attr(v) for n, v in c["attrs"].items()},
                        out_dtypes=[dtypes.as_dtype(d) for d in c["out_dtypes"]],
                        outputs=[_array(key, d) for key, d in zip(c["outputs"], c["out_dtypes"])],
                        error=tuple(c["error"]) if "error" in c else None, dtype=c["attrs"]["T"]["type"]))
    return out


CASES = _cases()
COVERAGE = coverage(CASES, OPS)
COVERAGE["Complex"] = {"float32", "float64"}  # test_complex_matches_numpy


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case):
    check_case(case)


@pytest.mark.parametrize("case", params([c for c in CASES if "long" in c.name or "wide" in c.name]))
def test_tf_case_threaded(case):
    check_case(case, num_threads=4)


def test_coverage():
    assert_covers_registry(COVERAGE)


def test_fixture_has_shapes_and_errors():
    names = [c.name for c in CASES]
    for op in OPS:
        mine = [c for c in CASES if c.op == op]
        assert any(not c.inputs[0].shape for c in mine), "%s: no scalar case" % op
        assert any(0 in c.inputs[0].shape for c in mine), "%s: no empty case" % op
    assert any(n.endswith("_bcast") for n in names)
    assert sum(c.error is not None for c in CASES) >= 15


# -- numpy-checked: sizes TF fixtures would bloat -----------------------------------------------

@pytest.mark.parametrize("shape,axis", [((40000,), 0), ((7, 3001), 1), ((300, 600), 0), ((5, 200, 300), 1)])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum_matches_sequential_numpy(shape, axis, reverse):
    x = _gen.values("float32", shape, seed=7, scale=10.0)
    got, = run_op("Cumsum", [x, np.array(axis, np.int32)],
                  {"T": dtypes.float32, "Tidx": dtypes.int32, "exclusive": False, "reverse": reverse}, num_threads=3)
    flip = (lambda a: np.flip(a, axis)) if reverse else (lambda a: a)
    want = flip(np.add.accumulate(flip(x), axis=axis, dtype=np.float32))  # sequential, in float32
    assert_matches(got, want)


def test_cumprod_int_wraps_like_numpy():
    x = np.random.default_rng(3).integers(-9, 10, (4, 50)).astype(np.int32)
    got, = run_op("Cumprod", [x, np.array(1, np.int64)],
                  {"T": dtypes.int32, "Tidx": dtypes.int64, "exclusive": True, "reverse": False})
    want = np.concatenate([np.ones((4, 1), np.int32), np.multiply.accumulate(x, axis=1, dtype=np.int32)[:, :-1]], 1)
    assert_matches(got, want)


def test_shifts_clamp_like_numpy():
    # Independent of the fixture: TF clamps the shift to [0, bits - 1].
    for name in ("int8", "uint16", "int32", "uint64"):
        dt = np.dtype(name)
        bits = dt.itemsize * 8
        x = np.array([np.iinfo(dt).min, np.iinfo(dt).max, 5, 1], dt)[:, None]
        y = np.arange(0, bits + 5).astype(dt)[None, :]
        clamped = np.minimum(y.astype(np.int64), bits - 1).astype(np.uint64)
        attrs = {"T": dtypes.as_dtype(dt)}
        left, = run_op("LeftShift", [x, y], attrs)
        right, = run_op("RightShift", [x, y], attrs)
        udt = np.dtype("uint%d" % bits)
        want_left = (x.view(udt).astype(np.uint64) << clamped).astype(udt).view(dt)
        want_right = np.right_shift(x, clamped.astype(dt))
        assert_matches(left, want_left, what=name)
        assert_matches(right, want_right, what=name)


def test_bincount_large_weights_in_order():
    rng = np.random.default_rng(5)
    arr = rng.integers(0, 7, 20000).astype(np.int32)
    w = rng.standard_normal(20000).astype(np.float32)
    got, = run_op("Bincount", [arr, np.array(6, np.int32), w], {"T": dtypes.float32}, [dtypes.float32], num_threads=4)
    want = np.zeros(6, np.float32)
    for a, v in zip(arr, w):  # input order, float32 at each step
        if a < 6:
            want[a] = np.float32(want[a] + v)
    assert_matches(got, want)


# -- errors leave the session usable -----------------------------------------------------------

def test_scan_errors_then_session_runs():
    attrs = {"T": dtypes.float32, "Tidx": dtypes.int32, "exclusive": False, "reverse": False}
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    for bad_axis in (np.array(2, np.int32), np.array(-3, np.int32), np.array([0], np.int32)):
        _, (out,) = expect_error("Cumsum", [x, bad_axis], [x, np.array(-1, np.int32)], attrs)
        assert_matches(out, np.cumsum(x, axis=1))


def test_bincount_errors_then_session_runs():
    good = [np.array([0, 2, 2], np.int32), np.array(3, np.int32), np.array([1.0, 2.0, 3.0], np.float32)]
    for bad in ([np.array([0, -1, 2], np.int32)] + good[1:],
                good[:1] + [np.array(-1, np.int32)] + good[2:],
                good[:2] + [np.ones(2, np.float32)]):
        _, (out,) = expect_error("Bincount", bad, good, {"T": dtypes.float32}, [dtypes.float32])
        assert_matches(out, np.array([1, 0, 5], np.float32))


_HUGE_BINCOUNT = """
import resource
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
import numpy as np
from metarun import _core
from metarun.framework import dtypes
from op_harness import run_op
try:
    run_op("Bincount", [np.array([1], np.int32), np.array(2 ** 31 - 1, np.int32), np.zeros(0, np.float64)],
           {"T": dtypes.float64}, [dtypes.float64])
    print("ran")
except _core.StatusError as e:
    print(e.args[0])
small = [np.array([1], np.int32), np.array(3, np.int32), np.zeros(0, np.int32)]
print(run_op("Bincount", small, {"T": dtypes.int32})[0])
"""


def test_bincount_size_beyond_memory_is_typed_error():
    # The 16 GiB output of size 2**31 - 1 (the largest int32) in a process limited to 3 GiB of
    # address space: ResourceExhausted, and the next run works; never a crash.
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        pytest.skip("ASan reserves more address space than the limit allows")
    path = os.pathsep.join([os.path.dirname(os.path.dirname(tf.__file__)), TESTS_DIR])
    res = subprocess.run([sys.executable, "-c", _HUGE_BINCOUNT], env=dict(os.environ, PYTHONPATH=path),
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split("\n")[:2] == ["8", "[0 1 0]"], res.stdout


# -- the public wrappers, through Python graphs ------------------------------------------------

def _fixture(name):
    case, = [c for c in CASES if c.name == name]
    return case


def _session_run(build, *inputs):
    with tf.Graph().as_default():
        phs = [tf.placeholder(dtypes.as_dtype(x.dtype) if x.dtype != BF16 else dtypes.bfloat16, shape=x.shape)
               for x in inputs]
        out = build(*phs)
        with tf.Session() as sess:
            return sess.run(out, dict(zip(phs, inputs)))


@pytest.mark.parametrize("fn,op", [(tf.bitwise.bitwise_and, "BitwiseAnd"), (tf.bitwise.bitwise_or, "BitwiseOr"),
                                   (tf.bitwise.bitwise_xor, "BitwiseXor"), (tf.bitwise.left_shift, "LeftShift"),
                                   (tf.bitwise.right_shift, "RightShift")])
def test_public_bitwise_binary(fn, op):
    c = _fixture("%s_int16_bcast" % op if "Shift" not in op else "%s_int16" % op)
    assert_matches(_session_run(fn, *c.inputs), c.outputs[0])


def test_public_invert_and_operators():
    c = _fixture("Invert_uint32")
    assert_matches(_session_run(tf.bitwise.invert, c.inputs[0]), c.outputs[0])
    assert_matches(_session_run(lambda a: ~a, c.inputs[0]), c.outputs[0])
    c = _fixture("BitwiseXor_int64")
    assert_matches(_session_run(lambda a, b: a ^ b, *c.inputs), c.outputs[0])


@pytest.mark.parametrize("fn,op", [(tf.cumsum, "Cumsum"), (tf.math.cumprod, "Cumprod"),
                                   (tf.math.cumulative_logsumexp, "CumulativeLogsumexp")])
@pytest.mark.parametrize("flags", ["", "_excl", "_rev", "_excl_rev"])
def test_public_scans(fn, op, flags):
    c = _fixture("%s_float32%s" % (op, flags))
    got = _session_run(lambda x: fn(x, axis=1, exclusive="_excl" in flags, reverse="_rev" in flags), c.inputs[0])
    assert_matches(got, c.outputs[0])


def test_public_scan_axis_error_class():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Expected scan axis"):
        _session_run(lambda x: tf.cumsum(x, axis=3), np.ones((2, 2), np.float32))


@pytest.mark.parametrize("fn,op", [(tf.real, "Real"), (tf.imag, "Imag"), (tf.conj, "Conj"), (tf.abs, "ComplexAbs")])
@pytest.mark.parametrize("d", ["complex64", "complex128"])
def test_public_complex_parts(fn, op, d):
    c = _fixture("%s_%s" % (op, d))
    assert_matches(_session_run(fn, c.inputs[0]), c.outputs[0])


@pytest.mark.parametrize("op,kwargs", [("Bincount", {}), ("PopulationCount", {}),
                                       ("Bucketize", {"boundaries": [-1.5, 0.0, 2.0, 2.0, 10.0, 16777216.0]})])
def test_raw_ops_build_and_run(op, kwargs):
    # No public wrapper exists for these yet: the op builder (schema, shape inference) + kernel.
    c = _fixture({"Bincount": "Bincount_float64", "Bucketize": "Bucketize_float64",
                  "PopulationCount": "PopulationCount_int8"}[op])
    names = {"Bincount": ["arr", "size", "weights"], "Bucketize": ["input"], "PopulationCount": ["x"]}[op]
    got = _session_run(lambda *xs: apply_op(op, **dict(zip(names, xs)), **kwargs), *c.inputs)
    assert_matches(got, c.outputs[0])


# -- gradients against TF's tf.gradients --------------------------------------------------------

_GRAD_FNS = {"cumsum": tf.math.cumsum, "cumprod": tf.math.cumprod,
             "cumulative_logsumexp": tf.math.cumulative_logsumexp,
             "real": tf.math.real, "imag": tf.math.imag, "conj": tf.math.conj, "abs": tf.math.abs}
# Exact where TF's gradient graph is exact arithmetic in the same order; the others take
# elementwise exp/log or a complex division, whose last bits depend on the math library.
_GRAD_TOL = {"cumulative_logsumexp": 1e-5, "abs": 1e-6}


def _grad_cases():
    out = []
    for k, g in enumerate(_META["grads"]):
        out.append(pytest.param(k, g, id=g["name"]))
    return out


@pytest.mark.parametrize("k,g", _grad_cases())
def test_gradient_matches_tf(k, g):
    x = _array("g%d_x" % k, g["dtype"])
    dy = _array("g%d_dy" % k, g["dy_dtype"])
    want = _array("g%d_dx" % k, g["dtype"])
    fn = _GRAD_FNS[g["fn"]]
    with tf.Graph().as_default():
        ph = tf.placeholder(dtypes.as_dtype(g["dtype"]), shape=x.shape)
        y = fn(ph, **g["kwargs"])
        dx, = tf.gradients(y, ph, grad_ys=tf.constant(dy))
        with tf.Session() as sess:
            got = sess.run(dx, {ph: x})
    tol = _GRAD_TOL.get(g["fn"])
    if tol is not None and g["dtype"] in ("float64", "complex128"):
        tol = 1e-12
    assert_matches(got, want, tol, g["name"])


def test_no_gradient_for_bitwise():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.int32, shape=[3])
        assert tf.gradients(tf.bitwise.bitwise_and(x, x), x) == [None]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((), (4,)), ((0, 2), (1, 2))])
def test_complex_matches_numpy(dtype, shapes):
    rng = np.random.RandomState(7)
    re = rng.uniform(-3, 3, shapes[0]).astype(dtype)
    im = rng.uniform(-3, 3, shapes[1]).astype(dtype)
    with tf.Graph().as_default():
        z = tf.complex(tf.constant(re), tf.constant(im))
        with tf.Session() as sess:
            got = sess.run(z)
    want = re + 1j * im
    assert got.dtype == (np.complex64 if dtype == np.float32 else np.complex128)
    np.testing.assert_array_equal(got, want.astype(got.dtype))


def test_complex_rejects_mixed_and_incompatible():
    with tf.Graph().as_default():
        with pytest.raises(TypeError):
            tf.complex(tf.constant([1.0], tf.float32), tf.constant([1.0], tf.float64))
        z = tf.complex(tf.placeholder(tf.float32, [None]), tf.placeholder(tf.float32, [None]))
        a, b = z.op.inputs
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
                sess.run(z, {a: [1.0, 2.0], b: [1.0, 2.0, 3.0]})
            np.testing.assert_array_equal(sess.run(z, {a: [1.0], b: [2.0]}), np.array([1 + 2j], np.complex64))
