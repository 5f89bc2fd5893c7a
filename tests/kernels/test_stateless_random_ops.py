"""Stateless random ops: bit-identical to TensorFlow for equal seeds / keys and counters.

Expected values and error messages are TF's (tests/fixtures/kernels/stateless_random.npz,
written by gen_stateless_random.py): V1 ops on seeds (negative, zero, large, int32 and int64),
V2 ops on the key/counter TF derives from those seeds or given explicitly, every dtype TF
registers on CPU, empty and thread-splitting shapes, integer bounds up to the full range, and the
inputs TF rejects. Wrapper cases check that tf.random.stateless_* build TF's nodes and values.
"""
import hashlib
import json

import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
import op_harness
from op_harness import kernel_fixture, load_npz

FIXTURE = kernel_fixture("stateless_random.npz")

_FLOATS = {"float16", "bfloat16", "float32", "float64"}
_FULL_INTS = {"int32", "int64", "uint32", "uint64"}

COVERAGE = {
    "StatelessRandomUniform": set(_FLOATS),
    "StatelessRandomNormal": set(_FLOATS),
    "StatelessTruncatedNormal": set(_FLOATS),
    "StatelessRandomUniformInt": {"int32", "int64"},
    "StatelessRandomUniformFullInt": set(_FULL_INTS),
    "StatelessRandomUniformV2": set(_FLOATS),
    "StatelessRandomNormalV2": set(_FLOATS),
    "StatelessTruncatedNormalV2": set(_FLOATS),
    "StatelessRandomUniformIntV2": {"int32", "int64"},
    "StatelessRandomUniformFullIntV2": set(_FULL_INTS),
    "StatelessMultinomial": set(_FLOATS),
    "StatelessRandomGetKeyCounter": set(),
    "StatelessRandomGetKeyCounterAlg": set(),
    "StatelessRandomGetAlg": set(),
}


def _load():
    data = load_npz(FIXTURE)
    keys = sorted({k.split("/")[0] for k in data.files})
    cases, wrappers = [], []
    for key in keys:
        meta = json.loads(str(data[key + "/meta"]))
        if key.startswith("w"):
            meta["value"] = data[key + "/out"]
            meta["id"] = "%s-%s" % (key, meta["fn"])
            wrappers.append(meta)
            continue
        meta["inputs"] = [data["%s/in%d" % (key, k)] for k in range(len(meta["input_dtypes"]))]
        meta["outs"] = []
        if "error" not in meta:
            for k in range(meta["n_out"]):
                sha = "%s/sha%d" % (key, k)
                meta["outs"].append(dict(value=data["%s/out%d" % (key, k)],
                                         sha=str(data[sha]) if sha in data.files else None,
                                         shape=tuple(data["%s/shape%d" % (key, k)]) if sha in data.files else None))
        dt = meta["attrs"].get("dtype") or meta["attrs"].get("T") or "-"
        meta["id"] = "%s-%s-%s%s" % (key, meta["op"], dt, "-error" if "error" in meta else "")
        cases.append(meta)
    return cases, wrappers


CASES, WRAPPERS = _load()


def _session(case, num_threads):
    attrs = {k: dtypes.as_dtype(v) if isinstance(v, str) else v for k, v in case["attrs"].items()}
    return op_harness.OpSession(case["op"], case["input_dtypes"], attrs, case["out_dtypes"], num_threads)


def _bits(x):
    x = np.asarray(x)
    if x.dtype == dtypes.bfloat16.as_numpy_dtype:
        x = x.view(np.uint16)
    return x


def _assert_matches(got, want):
    got = _bits(got)
    if want["sha"] is not None:
        assert got.shape == want["shape"]
        flat = got.reshape(-1)
        np.testing.assert_array_equal(np.concatenate([flat[:64], flat[-64:]]), want["value"])
        assert hashlib.sha256(got.tobytes()).hexdigest() == want["sha"]
        return
    want = want["value"]
    assert got.shape == want.shape and got.dtype.itemsize == want.dtype.itemsize
    np.testing.assert_array_equal(got.reshape(-1).view(np.uint8), want.reshape(-1).view(np.uint8))


_GOOD = [c for c in CASES if "error" not in c]
_BAD = [c for c in CASES if "error" in c]


@pytest.mark.parametrize("num_threads", [1, 4])
@pytest.mark.parametrize("case", _GOOD, ids=[c["id"] for c in _GOOD])
def test_matches_tensorflow(case, num_threads):
    sess = _session(case, num_threads)
    for _ in range(2):  # stateless: every run gives the same numbers
        outs = sess.run(case["inputs"])
        assert len(outs) == len(case["outs"])
        for got, want in zip(outs, case["outs"]):
            _assert_matches(got, want)


@pytest.mark.parametrize("case", _BAD, ids=[c["id"] for c in _BAD])
def test_rejects_what_tensorflow_rejects(case):
    assert case["error"] == "InvalidArgumentError"
    sess = _session(case, 1)
    with pytest.raises(_core.StatusError) as info:
        sess.run(case["inputs"])
    assert op_harness.status_code(info.value) == op_harness.INVALID_ARGUMENT
    assert info.value.args[1] == case["message"]


def test_fixture_covers_every_op_and_dtype():
    seen = {}
    for c in _GOOD:
        dt = c["attrs"].get("dtype") or c["attrs"].get("T")
        seen.setdefault(c["op"], set()).update({dt} if dt else set())
    assert {op: dts for op, dts in seen.items()} == COVERAGE


def test_v1_and_v2_agree_through_key_counter():
    # V1 ops scramble their seed exactly as StatelessRandomGetKeyCounter does.
    seed = np.int64([-5, 123456789012345])
    key, counter = op_harness.run_op("StatelessRandomGetKeyCounter", [seed], {"Tseed": dtypes.int64},
                                     out_dtypes=["uint64", "uint64"])
    shape = np.int32([3, 7])
    v1 = op_harness.run_op("StatelessRandomNormal", [shape, seed],
                           {"dtype": dtypes.float64, "T": dtypes.int32, "Tseed": dtypes.int64},
                           out_dtypes=["float64"])[0]
    for alg in (1, 3):
        v2 = op_harness.run_op("StatelessRandomNormalV2", [shape, key, counter, np.int32(alg)],
                               {"dtype": dtypes.float64, "Tshape": dtypes.int32},
                               out_dtypes=["float64"])[0]
        np.testing.assert_array_equal(v1.view(np.uint64), v2.view(np.uint64))


def test_uniform_int_stays_in_bounds_over_the_full_range():
    case = next(c for c in _GOOD if c["op"] == "StatelessRandomUniformInt" and c["attrs"]["dtype"] == "int64"
                and int(c["inputs"][2]) == -2 ** 63)
    out = _session(case, 4).run(case["inputs"])[0]
    assert out.dtype == np.int64 and out.size > 1


# -- wrappers ------------------------------------------------------------------------------------

def _call_wrapper(case):
    import metarun as tf
    kwargs = dict(case["kwargs"])
    for k in ("dtype", "output_dtype"):
        if k in kwargs:
            kwargs[k] = tf.as_dtype(kwargs[k])
    g = tf.Graph()
    with g.as_default():
        t = getattr(tf.random, case["fn"])(**kwargs)
        nodes = [[op.name, op.type] for op in g.get_operations()]
        with tf.Session() as sess:
            if "error" in case:
                with pytest.raises(tf.errors.InvalidArgumentError) as info:
                    sess.run(t)
                assert info.value.message.split("\n")[0] == case["message"]
                return t, nodes, None
            value = sess.run(t)
    return t, nodes, value


@pytest.mark.parametrize("case", WRAPPERS, ids=[c["id"] for c in WRAPPERS])
def test_wrappers_build_tensorflows_nodes(case):
    t, nodes, value = _call_wrapper(case)
    assert nodes == case["nodes"]
    assert t.name == case["output"] and t.dtype.name == case["dtype"]
    if "error" in case:
        return
    got = _bits(value)
    want = case["value"]
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.reshape(-1).view(np.uint8), want.reshape(-1).view(np.uint8))


def test_wrapper_rejects_unsigned_bounds():
    import metarun as tf
    with tf.Graph().as_default():
        with pytest.raises(ValueError):
            tf.random.stateless_uniform([2], seed=[1, 2], minval=0, maxval=5, dtype=tf.uint32)
        with pytest.raises(ValueError):
            tf.random.stateless_uniform([2], seed=[1, 2], minval=0, dtype=tf.int32)
        with pytest.raises(ValueError):
            tf.random.stateless_uniform([2], seed=[1, 2], dtype=tf.int8)
