"""Seeded random ops: bit-identical to TensorFlow's streams, run after run.

Expected values are TF's (tests/fixtures/kernels/random.npz, written by
gen_random.py). Each fixture case is one graph run twice in one Session (op_harness.OpSession,
which keeps its Session between runs).
"""
import json

import numpy as np

import pytest

from metarun import _core
from metarun.framework import dtypes
import op_harness
from op_harness import kernel_fixture, load_npz

FIXTURE = kernel_fixture("random.npz")

_FLOATS = {"float16", "bfloat16", "float32", "float64"}
_SHUFFLE_TYPES = ["float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64",
                  "uint8", "uint16", "uint32", "uint64", "complex64", "complex128", "bool", "string"]

COVERAGE = {
    "RandomUniform": set(_FLOATS),
    "RandomStandardNormal": set(_FLOATS),
    "TruncatedNormal": set(_FLOATS),
    "RandomUniformInt": {"int32", "int64"},
    "Multinomial": set(_FLOATS),
    "RandomShuffle": set(_SHUFFLE_TYPES),
}

_FILL_OPS = ("RandomUniform", "RandomStandardNormal", "TruncatedNormal")


def _op_session(op, input_dtypes, attrs, out_dtype, num_threads=1):
    """op_harness.OpSession with an Identity of the op's output (a second plan over the same
    node); type attrs may be given as dtype names."""
    attrs = {k: dtypes.as_dtype(v) if isinstance(v, str) else v for k, v in attrs.items()}
    return op_harness.OpSession(op, input_dtypes, attrs, [out_dtype], num_threads, identity=True)


def _load_cases():
    data = load_npz(FIXTURE)
    keys = sorted({k.split("/")[0] for k in data.files})
    cases = []
    for key in keys:
        meta = json.loads(str(data[key + "/meta"]))
        n_in = len(meta["input_dtypes"])
        meta["inputs"] = [data["%s/in%d" % (key, k)] for k in range(n_in)]
        meta["runs"] = [data[key + "/run0"], data[key + "/run1"]]
        meta["id"] = "%s-%s-%s-%s" % (key, meta["op"], meta["dtype"], "x".join(map(str, meta["runs"][0].shape)))
        cases.append(meta)
    return cases


CASES = _load_cases()


def _session(case, num_threads=1, seeds=None):
    seed, seed2 = seeds if seeds is not None else (case["seed"], case["seed2"])
    attrs = {"seed": seed, "seed2": seed2}
    op, dt = case["op"], case["dtype"]
    if op in _FILL_OPS:
        attrs.update(dtype=dt, T=case["input_dtypes"][0])
        out = dt
    elif op == "RandomUniformInt":
        attrs.update(Tout=dt, T=case["input_dtypes"][0])
        out = dt
    elif op == "Multinomial":
        attrs.update(T=dt, output_dtype=case["out"])
        out = case["out"]
    else:
        attrs.update(T=dt)
        out = dt
    return _op_session(op, case["input_dtypes"], attrs, out, num_threads)


def _assert_bits_equal(got, want):
    got = np.asarray(got)
    assert got.shape == want.shape
    assert got.dtype.itemsize == want.dtype.itemsize
    np.testing.assert_array_equal(got.reshape(-1).view(np.uint8), want.reshape(-1).view(np.uint8))


@pytest.mark.parametrize("num_threads", [1, 4])
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_tensorflow_over_two_runs(case, num_threads):
    sess = _session(case, num_threads)
    for run in range(2):
        _assert_bits_equal(sess.run(case["inputs"])[0], case["runs"][run])


def _first(op, dtype=None):
    return next(c for c in CASES if c["op"] == op and (dtype is None or c["dtype"] == dtype)
                and c["runs"][0].size > 1)


@pytest.mark.parametrize("op", ["RandomUniform", "TruncatedNormal", "RandomUniformInt", "Multinomial",
                                "RandomShuffle"])
def test_generator_is_shared_by_every_plan_of_a_session(op):
    # TF keeps one kernel (one generator) per stateful node for the session.
    case = _first(op)
    sess = _session(case)
    _assert_bits_equal(sess.run(case["inputs"], via_identity=True)[0], case["runs"][0])
    _assert_bits_equal(sess.run(case["inputs"])[0], case["runs"][1])


def test_unseeded_ops_draw_fresh_seeds_per_session():
    case = _first("RandomUniform", "float32")
    a = _session(case, seeds=(0, 0)).run(case["inputs"])[0]
    b = _session(case, seeds=(0, 0)).run(case["inputs"])[0]
    assert a.shape == b.shape == case["runs"][0].shape
    assert not np.array_equal(a, b)
    assert np.all((a >= 0) & (a < 1)) and np.all((b >= 0) & (b < 1))


def _assert_code(fn, code):
    with pytest.raises(_core.StatusError) as info:
        fn()
    assert info.value.args[0] == code, info.value.args


@pytest.mark.parametrize("shape", [np.array([[2]], np.int32), np.array(3, np.int32),
                                   np.array([-1, 2], np.int32), np.array([2 ** 40, 2 ** 40], np.int64)],
                         ids=["matrix", "scalar", "negative", "overflow"])
@pytest.mark.parametrize("op", _FILL_OPS)
def test_bad_shape_is_invalid_argument_and_consumes_nothing(op, shape):
    case = _first(op, "float32")
    sess = _op_session(op, [shape.dtype.name], {"seed": case["seed"], "seed2": case["seed2"], "dtype": "float32",
                                                "T": shape.dtype.name}, "float32")
    _assert_code(lambda: sess.run([shape])[0], 3)
    good = case["inputs"][0].astype(shape.dtype)
    _assert_bits_equal(sess.run([good])[0], case["runs"][0])


def _uniform_int_session():
    return _op_session("RandomUniformInt", ["int32", "int32", "int32"],
                     {"seed": 1, "seed2": 2, "Tout": "int32", "T": "int32"}, "int32")


@pytest.mark.parametrize("minval,maxval", [(np.int32([1]), np.int32(5)), (np.int32(1), np.int32([5])),
                                           (np.int32(5), np.int32(5)), (np.int32(6), np.int32(5))])
def test_uniform_int_rejects_bad_bounds(minval, maxval):
    sess = _uniform_int_session()
    _assert_code(lambda: sess.run([np.int32([3]), minval, maxval])[0], 3)
    out = sess.run([np.int32([3]), np.int32(0), np.int32(4)])[0]
    assert out.shape == (3,) and np.all((out >= 0) & (out < 4))


def test_uniform_int_empty_output_skips_bound_check():
    out = _uniform_int_session().run([np.int32([2, 0]), np.int32(5), np.int32(1)])[0]
    assert out.shape == (2, 0) and out.dtype == np.int32


def _multinomial_session(num_threads=1):
    return _op_session("Multinomial", ["float32", "int32"],
                     {"seed": 3, "seed2": 4, "T": "float32", "output_dtype": "int64"}, "int64", num_threads)


@pytest.mark.parametrize("logits,num_samples", [
    (np.zeros([3], np.float32), np.int32(2)),
    (np.zeros([2, 3], np.float32), np.int32([2])),
    (np.zeros([2, 3], np.float32), np.int32(-1)),
    (np.zeros([2, 0], np.float32), np.int32(2)),
], ids=["vector_logits", "vector_num_samples", "negative_num_samples", "no_classes"])
def test_multinomial_rejects_bad_inputs(logits, num_samples):
    sess = _multinomial_session()
    _assert_code(lambda: sess.run([logits, num_samples])[0], 3)
    assert sess.run([np.zeros([2, 3], np.float32), np.int32(4)])[0].shape == (2, 4)


def test_multinomial_empty_batch_and_thread_independence():
    assert _multinomial_session().run([np.zeros([0, 3], np.float32), np.int32(4)])[0].shape == (0, 4)
    logits = np.random.RandomState(1).randn(300, 20).astype(np.float32)
    one = _multinomial_session(1).run([logits, np.int32(40)])[0]
    four = _multinomial_session(4).run([logits, np.int32(40)])[0]
    np.testing.assert_array_equal(one, four)
    # Heavier classes are drawn more often.
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    picked = np.take_along_axis(probs, one, axis=1).mean()
    assert picked > (probs ** 2).sum(1).mean() * 0.9


def _shuffle_permutation():
    case = next(c for c in CASES if c["op"] == "RandomShuffle" and c["inputs"][0].ndim == 1
                and c["inputs"][0].size == 10)
    return case, case["runs"][0], case["runs"][1]


def _values(dtype, n):
    base = np.arange(n * 2).reshape(n, 2)
    if dtype == "string":
        return np.array([[b"s%d" % v for v in row] for row in base], dtype=object)
    if dtype == "bool":
        return base % 3 == 0
    if dtype == "bfloat16":
        return base.astype(np.float32).astype(dtypes.bfloat16.as_numpy_dtype)
    return base.astype(dtypes.as_dtype(dtype).as_numpy_dtype)


@pytest.mark.parametrize("dtype", _SHUFFLE_TYPES)
def test_shuffle_moves_rows_of_every_dtype_like_tensorflow(dtype):
    case, perm0, perm1 = _shuffle_permutation()
    x = _values(dtype, perm0.size)
    sess = _op_session("RandomShuffle", [dtype], {"seed": case["seed"], "seed2": case["seed2"], "T": dtype}, dtype)
    for perm in (perm0, perm1):
        got = sess.run([x])[0]
        if dtype == "bfloat16":
            got = got.view(np.uint16)
            want = x[perm].view(np.uint16)
        else:
            want = x[perm]
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("value", [np.float32(4.0), np.zeros([0, 3], np.float32), np.zeros([3, 0], np.float32),
                                   np.ones([1, 4], np.float32)], ids=["scalar", "empty_rows", "empty_cols", "one_row"])
def test_shuffle_passes_small_inputs_through(value):
    sess = _op_session("RandomShuffle", ["float32"], {"seed": 1, "seed2": 2, "T": "float32"}, "float32")
    np.testing.assert_array_equal(sess.run([value])[0], value)
