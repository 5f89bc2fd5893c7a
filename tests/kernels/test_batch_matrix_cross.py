"""The Batch* linalg op names of GraphDefs before version 13/14 (SelfAdjointEig and
BatchSelfAdjointEig: before 11), and Cross, against TF-made fixtures (gen_batch_matrix_cross.py).

Each Batch* case is the GraphDef TF imported (Const inputs, one old-name node, producer 10 to
27), imported by metarun and run by a Session: TF's outputs, or TF's error class and message,
at import (a producer at or past the op's removal version) or at run. Cross is run per dtype
through the kernel harness, its static shapes and gradient through graph building."""
import json

import numpy as np
import pytest

import metarun as tf
from metarun import _core
from metarun.framework import dtypes, protos
from op_harness import BF16, assert_covers_registry, kernel_fixture, load_npz, run_op, status_code

_DATA = load_npz(kernel_fixture("batch_matrix_cross.npz"))
_META = json.loads(str(_DATA["meta"]))
# Relative to max |TF's output| times the matrix order: the Batch* names run the very kernels
# test_linalg_ops holds to a few ulp; values from data movement and Cross compare exactly.
_RTOL = {"float32": 2e-6, "complex64": 2e-6, "float64": 4e-15, "complex128": 4e-15}


def _array(ref):
    a = _DATA[ref["key"]]
    return a.view(BF16) if ref["dtype"] == "bfloat16" else a


def _graph_name(i, c):
    return "%d-%s-%s-p%d" % (i, c["op"], c["dtype"], c["producer"])


def _run_graph(c):
    graph_def = protos.GraphDef.FromString(_DATA[c["graph_key"]].tobytes())
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            return sess.run(["op:%d" % i for i in range(c["num_outputs"])])


def _align_signs(got, want):
    """Singular/eigen vectors are unique up to sign (phase): turn each column of `got` to TF's."""
    dot = np.sum(np.conj(got) * want, axis=-2, keepdims=True)
    phase = np.where(np.abs(dot) > 0, dot / np.maximum(np.abs(dot), 1e-300), 1)
    return got * phase


def _close(got, want, c, k):
    assert got.dtype == want.dtype and got.shape == want.shape, (k, got.dtype, got.shape, want.shape)
    if want.dtype.name not in _RTOL or c["op"].startswith("BatchMatrixDiag") or c["op"] in (
            "BatchMatrixSetDiag", "BatchMatrixBandPart"):
        np.testing.assert_array_equal(got.view(np.uint16) if got.dtype == BF16 else got,
                                      want.view(np.uint16) if want.dtype == BF16 else want)
        return
    if (c["op"] == "BatchSvd" and k > 0) or (c["op"] == "BatchSelfAdjointEigV2" and k == 1):
        got = _align_signs(got, want)
    if c["op"] in ("SelfAdjointEig", "BatchSelfAdjointEig"):  # row 0 eigenvalues, then the vectors
        got = np.concatenate([got[..., :1, :], _align_signs(got[..., 1:, :], want[..., 1:, :])], axis=-2)
    n = max([1] + list(want.shape[-2:]))
    scale = np.nanmax(np.abs(want)) if want.size and not np.isnan(want).all() else 0
    np.testing.assert_allclose(got, want, rtol=0, atol=_RTOL[want.dtype.name] * n * max(scale, 1e-30),
                               equal_nan=True)


_GRAPHS = _META["graphs"]


@pytest.mark.parametrize("c", _GRAPHS, ids=[_graph_name(i, c) for i, c in enumerate(_GRAPHS)])
def test_old_graph_matches_tf(c):
    if "error" in c:
        cls, message = c["error"]
        with pytest.raises(getattr(tf.errors, cls)) as info:
            _run_graph(c)
        if not message.startswith("No OpKernel"):  # metarun names a missing kernel its own way
            assert info.value.message.split("\n\t [[")[0] == message
        return
    outs = _run_graph(c)
    want = [_array(r) for r in c["outputs"]]
    if c["op"] == "BatchSvd" and not c["attrs"].get("compute_uv", True):
        want, outs = want[:1], outs[:1]  # u, v are left unfilled
    for k, (g, w) in enumerate(zip(outs, want)):
        _close(g, w, c, k)


def test_removed_op_then_good_import():
    bad = next(c for c in _GRAPHS if c["producer"] == 27 and c["op"] == "BatchMatrixInverse")
    good = next(c for c in _GRAPHS if c["producer"] == 10 and c["op"] == "BatchMatrixInverse" and "outputs" in c)
    with pytest.raises(tf.errors.UnimplementedError):
        _run_graph(bad)
    _close(_run_graph(good)[0], _array(good["outputs"][0]), good, 0)


def _cross_name(i, c):
    return "%d-%s-%s" % (i, c["dtype"], "x".join(str(list(_array(r).shape)) for r in c["inputs"]))


_CROSS = _META["cross"]


@pytest.mark.parametrize("c", _CROSS, ids=[_cross_name(i, c) for i, c in enumerate(_CROSS)])
def test_cross_matches_tf(c):
    a, b = (_array(r) for r in c["inputs"])
    dt = dtypes.as_dtype(c["dtype"])
    try:
        (out,) = run_op("Cross", [a, b], {"T": dt}, [dt])
    except _core.StatusError as e:
        assert "error" in c, e.args
        assert (status_code(e), e.args[1]) == tuple(c["error"])
        return
    assert "error" not in c, "expected TF's error %r" % (c["error"],)
    want = _array(c["output"])
    assert out.dtype == want.dtype and out.shape == want.shape
    np.testing.assert_array_equal(out.view(np.uint16) if out.dtype == BF16 else out,
                                  want.view(np.uint16) if want.dtype == BF16 else want)


def test_cross_error_then_good_run():
    a = np.ones((2, 4), np.float32)
    with pytest.raises(_core.StatusError):
        run_op("Cross", [a, a], {"T": tf.float32}, [tf.float32])
    x = np.array([[1, 0, 0]], np.float32)
    y = np.array([[0, 1, 0]], np.float32)
    (out,) = run_op("Cross", [x, y], {"T": tf.float32}, [tf.float32])
    np.testing.assert_array_equal(out, np.cross(x, y))


@pytest.mark.parametrize("c", _META["cross_static"], ids=lambda c: "%s-%s" % (c["a"], c["b"]))
def test_cross_static_shape_matches_tf(c):
    with tf.Graph().as_default():
        a = tf.placeholder(tf.float32, c["a"])
        b = tf.placeholder(tf.float32, c["b"])
        if "error" in c:
            with pytest.raises(ValueError) as info:
                tf.linalg.cross(a, b)
            assert str(info.value).split(" for '")[0] == c["error"]
            return
        out = tf.cross(a, b)
        assert out.op.type == "Cross" and out.op.name == c["name"]
        assert (None if out.shape.ndims is None else out.shape.as_list()) == c["shape"]


@pytest.mark.parametrize("c", _META["cross_grad"], ids=lambda c: "%s-%s" % (c["dtype"], list(_array(c["a"]).shape)))
def test_cross_gradient_matches_tf(c):
    a, b, w = _array(c["a"]), _array(c["b"]), _array(c["w"])
    with tf.Graph().as_default() as g:
        ta = tf.placeholder(c["dtype"], a.shape, name="a")
        tb = tf.placeholder(c["dtype"], b.shape, name="b")
        loss = tf.reduce_sum(tf.constant(w) * tf.cross(ta, tb))
        before = {op.name for op in g.get_operations()}
        ga, gb = tf.gradients(loss, [ta, tb])
        assert sorted(op.type for op in g.get_operations() if op.name not in before) == c["grad_ops"]
        with tf.Session() as sess:
            va, vb = sess.run([ga, gb], {ta: a, tb: b})
    # Both sides compute the same Cross and Mul kernels in the same order: equal to the bit.
    np.testing.assert_array_equal(va, _array(c["grad_a"]))
    np.testing.assert_array_equal(vb, _array(c["grad_b"]))


def _coverage():
    cov = {}
    for c in _GRAPHS:
        if "outputs" in c:
            cov.setdefault(c["op"], set()).add(c["dtype"])
    for c in _CROSS:
        if "error" not in c:
            cov.setdefault("Cross", set()).add(c["dtype"])
    return cov


COVERAGE = _coverage()


def test_coverage_matches_registry():
    ops = ("BatchMatrixInverse", "BatchMatrixDeterminant", "BatchMatrixDiag", "BatchMatrixSetDiag",
           "BatchMatrixDiagPart", "BatchMatrixBandPart", "BatchCholesky", "BatchMatrixSolve", "BatchMatrixSolveLs",
           "BatchMatrixTriangularSolve", "BatchSelfAdjointEigV2", "BatchSvd", "SelfAdjointEig", "BatchSelfAdjointEig",
           "Cross")
    assert_covers_registry({op: COVERAGE[op] for op in ops})
