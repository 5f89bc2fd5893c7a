"""SparseSegment{Sum,Mean,SqrtN}(WithNumSegments), SparseSegment{Sum,Mean,SqrtN}Grad(V2)
(cpp/kernels/sparse_segment_ops.cpp), the set operations and SetSize (set_ops.cpp), DenseBincount,
SparseBincount and HistogramFixedWidth (count_ops.cpp), and the gradients of the public wrappers
(python/metarun/ops/sparse_segment_ops.py) against TF's tf.gradients.

Expected values come from TF-made cases (fixtures/kernels/sparse_segment_sets.npz, see
gen_sparse_segment_sets.py), compared exactly: float sums bit for bit, error messages included.
"""

import numpy as np
import pytest

import metarun as tf
from metarun import _core
from metarun.framework import dtypes
from op_harness import (blob_fixture, decode_attrs, Case, assert_covers_registry, assert_matches, check_case,
                        coverage, expect_error, fixture_module, params, run_op, status_code)

SEGMENT_OPS = ["SparseSegment%s%s" % (r, s) for r in ("Sum", "Mean", "SqrtN")
               for s in ("", "WithNumSegments", "Grad", "GradV2")]
SET_OPS = ["DenseToDenseSetOperation", "DenseToSparseSetOperation", "SparseToSparseSetOperation", "SetSize"]
COUNT_OPS = ["DenseBincount", "SparseBincount", "HistogramFixedWidth"]
OPS = SEGMENT_OPS + SET_OPS + COUNT_OPS

# TF's V1 gradient leaves its output uninitialized when there are no indices.
_UNDEFINED = {"SparseSegment%sGrad_empty" % r for r in ("Sum", "Mean", "SqrtN")}


def _fixture():
    meta, array = blob_fixture("sparse_segment_sets.npz")

    cases = []
    for k, c in enumerate(meta["cases"]):
        attrs = decode_attrs(c["attrs"])
        cases.append(Case(name=c["name"], op=c["op"],
                          inputs=[array("c%d_i%d" % (k, j), d) for j, d in enumerate(c["inputs"])],
                          attrs=attrs, out_dtypes=[dtypes.as_dtype(d) for d in c["out_dtypes"]],
                          outputs=[array(key, d) for key, d in zip(c.get("outputs", ()), c["out_dtypes"])],
                          error=tuple(c["error"]) if "error" in c else None, dtype=c["attrs"].get("T", {}).get("type"),
                          shape_only=frozenset([0]) if c["name"] in _UNDEFINED else frozenset()))
    grads = []
    for k, g in enumerate(meta["grads"]):
        inputs = [array("g%d_i%d" % (k, j), d) for j, d in enumerate(g["inputs"])]
        grads.append(dict(name=g["name"], inputs=list(zip(inputs, g["inputs"])), w=array(g["w"], None),
                          y=array(g["y"], None), grads=[(array(key, None), j) for key, j in g["grads"]]))
    return cases, grads


CASES, GRADS = _fixture()
COVERAGE = coverage(CASES, OPS)


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case):
    check_case(case)


def test_coverage():
    assert_covers_registry(COVERAGE)


@pytest.mark.parametrize("op", OPS)
def test_fixture_has_bad_and_empty_inputs(op):
    mine = [c for c in CASES if c.op == op]
    assert any(c.error for c in mine), "%s: no bad input" % op
    assert any(c.error is None and any(0 in np.shape(x) for x in c.inputs) for c in mine), "%s: no empty input" % op


@pytest.mark.parametrize("op", [o for o in SEGMENT_OPS if "Grad" not in o or o.endswith("GradV2")])
def test_both_index_dtypes(op):
    """Every (Tidx, Tsegmentids) pair has a TF-made row."""
    pairs = {(c.attrs["Tidx"].name, c.attrs["Tsegmentids"].name) for c in CASES if c.op == op and c.error is None}
    assert pairs >= {(a, b) for a in ("int32", "int64") for b in ("int32", "int64")}


def test_bad_input_leaves_session_usable():
    attrs = {"T": dtypes.float32, "Tidx": dtypes.int32, "Tsegmentids": dtypes.int32, "sparse_gradient": False}
    data = np.arange(6, dtype=np.float32).reshape(3, 2)
    _, outs = expect_error("SparseSegmentSum", [data, np.array([0, 1], np.int32), np.array([1, 0], np.int32)],
                           [data, np.array([2, 0], np.int32), np.array([0, 0], np.int32)], attrs)
    np.testing.assert_array_equal(outs[0], [[4, 6]])


def test_set_operation_bad_attr_is_invalid_argument():
    with pytest.raises(_core.StatusError) as info:
        run_op("DenseToDenseSetOperation", [np.array([[1]], np.int32), np.array([[1]], np.int32)],
               {"T": dtypes.int32, "set_operation": b"xor", "validate_indices": True},
               [dtypes.int64, dtypes.int32, dtypes.int64])
    assert status_code(info.value) == 3


def test_sparse_bincount_weights_must_match_values():
    """TF reads one weight per value unchecked; metarun refuses a weights tensor of another size."""
    attrs = {"T": dtypes.float32, "Tidx": dtypes.int32, "binary_output": False}
    with pytest.raises(_core.StatusError) as info:
        run_op("SparseBincount", [np.array([[0, 1], [1, 1]], np.int64), np.array([1, 2], np.int32),
                                  np.array([2, 3], np.int64), np.int32(3), np.array([1], np.float32)], attrs)
    assert status_code(info.value) == 3


def test_histogram_infinite_range_is_an_error():
    """A value_range end at infinity puts a value at inf / inf: TF's process crashes, metarun
    refuses it."""
    attrs = {"T": dtypes.float32, "dtype": dtypes.int32}
    msg, outs = expect_error("HistogramFixedWidth",
                             [np.array([0.5, 2], np.float32), np.array([-np.inf, 1], np.float32), np.int32(3)],
                             [np.array([0.5, 2], np.float32), np.array([0, 1], np.float32), np.int32(2)], attrs,
                             [dtypes.int32])
    assert "without a bin" in msg
    np.testing.assert_array_equal(outs[0], [0, 2])


# -- larger inputs than the fixture's, against numpy --------------------------------------------

@pytest.mark.parametrize("dtype", ["int32", "int64", "float64"])
def test_sparse_segment_sum_large_matches_numpy(dtype):
    rng = np.random.RandomState(3)
    ids = np.sort(rng.randint(0, 200, 4000)).astype(np.int64)
    idx = rng.randint(0, 500, 4000).astype(np.int32)
    data = rng.randint(-100, 100, (500, 5)).astype(dtype)
    want = np.zeros((ids[-1] + 1, 5), dtype)
    np.add.at(want, ids, data[idx])
    out, = run_op("SparseSegmentSum", [data, idx, ids], {"T": dtypes.as_dtype(dtype), "Tidx": dtypes.int32,
                                                         "Tsegmentids": dtypes.int64, "sparse_gradient": False})
    np.testing.assert_array_equal(out, want)


def test_set_union_large_matches_numpy():
    rng = np.random.RandomState(4)
    a = rng.randint(0, 50, (20, 30)).astype(np.int64)
    b = rng.randint(0, 50, (20, 10)).astype(np.int64)
    ix, vals, shape = run_op("DenseToDenseSetOperation", [a, b],
                             {"T": dtypes.int64, "set_operation": b"union", "validate_indices": True},
                             [dtypes.int64, dtypes.int64, dtypes.int64])
    rows = [np.union1d(a[r], b[r]) for r in range(20)]
    np.testing.assert_array_equal(shape, [20, max(len(r) for r in rows)])
    np.testing.assert_array_equal(vals, np.concatenate(rows))
    np.testing.assert_array_equal(ix[:, 0], np.repeat(np.arange(20), [len(r) for r in rows]))



# -- gradients through the public wrappers, against TF's tf.gradients ---------------------------

@pytest.mark.parametrize("rec", [pytest.param(g, id=g["name"]) for g in GRADS])
def test_gradient_matches_tf(rec):
    build, _ = fixture_module("gen_sparse_segment_sets").GRAD_CASES[rec["name"]]
    with tf.Graph().as_default():
        phs = [tf.placeholder(dtypes.as_dtype(d)) for _, d in rec["inputs"]]
        y = build(tf, phs)
        loss = tf.reduce_sum(y * tf.constant(rec["w"]))
        xs = [phs[j] for _, j in rec["grads"]]
        grads = [tf.convert_to_tensor(g) for g in tf.gradients(loss, xs)]
        with tf.Session() as sess:
            got = sess.run([y] + grads, {p: v for p, (v, _) in zip(phs, rec["inputs"])})
    assert_matches(got[0], rec["y"], 1e-6, rec["name"] + " forward")
    for k, ((want, _), g) in enumerate(zip(rec["grads"], got[1:])):
        assert_matches(np.asarray(g), want, 1e-6, "%s grad %d" % (rec["name"], k))
