"""The tf.linalg kernels (band/diagonal ops, LU and Cholesky family, least squares, QR, SVD,
self-adjoint eigen) against TF-made fixtures (gen_linalg2.py) and numpy.

Float results are compared to within a few ulp of the largest |value| (the kernels run Eigen's
algorithms, but not its vectorized summation order). Singular and eigen vectors are unique up to
sign (phase for complex) only; TF's choice comes from Eigen's Jacobi/QR iterations, which the
kernels reproduce for SVD below 16 columns and for the eigensolver, but a rounding difference
can flip one, so each column is aligned to TF's before comparing."""
import json

import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import (BF16, INVALID_ARGUMENT, assert_covers_registry, assert_matches, expect_error, kernel_fixture,
                        load_npz, np_dtype, run_op, status_code)

_DATA = load_npz(kernel_fixture("linalg2.npz"))
_CASES = json.loads(str(_DATA["meta"]))
_GRAPH_SHAPES = json.loads(str(_DATA["graph_shapes"]))
_NUM_OUTPUTS = {"LogMatrixDeterminant": 2, "Qr": 2, "Svd": 3, "SelfAdjointEigV2": 2}
# Relative to max |TF's output| (and to each element). Measured against TF 2.21 on these
# fixtures: at most ~6 ulp of max |output| for the LU/Cholesky/QR/solve outputs, ~14 for
# eigenvalues, ~50 for eigenvectors and for determinants (one ulp of log|det|, through exp);
# 0 for real SVD below 16 columns (TF's JacobiSVD reproduced), ~110 for vectors from 16 columns
# (TF's BDCSVD). Scaled by the matrix order below.
_TOL = {"float32": 4e-6, "complex64": 4e-6, "float64": 8e-15, "complex128": 8e-15, "float16": 4e-3}
# Larger systems (24x24 solves, 20x17 SVD) accumulate more rounding; scaled by the matrix order.
_PER_ORDER = {"float32": 4e-7, "complex64": 4e-7, "float64": 8e-16, "complex128": 8e-16, "float16": 0}


def _array(ref):
    a = _DATA[ref["key"]]
    return a.view(BF16) if ref["dtype"] == "bfloat16" else a


def _attrs(c):
    return {k: dtypes.as_dtype(v["dtype"]) if isinstance(v, dict) else v for k, v in c["attrs"].items()}


def _name(i, c):
    shapes = "x".join(str(list(_array(r).shape)) for r in c["inputs"])
    return "%d-%s-%s-%s" % (i, c["op"], c["dtype"], shapes)


def _run(c, num_threads=1):
    inputs = [_array(r) for r in c["inputs"]]
    out_dtypes = [dtypes.as_dtype(c["dtype"])] * _NUM_OUTPUTS.get(c["op"], 1)
    return run_op(c["op"], inputs, _attrs(c), out_dtypes, num_threads=num_threads)


def _tol(c, want):
    n = max([1] + [int(d) for r in c["inputs"] for d in _array(r).shape[-2:]])
    return max(_TOL[want.dtype.name], _PER_ORDER[want.dtype.name] * n)


def _close(got, want, c, what, scale=1.0):
    """Equal where TF's value is not finite; within the tolerance elsewhere."""
    assert got.shape == want.shape, (what, got.shape, want.shape)
    assert got.dtype == want.dtype, (what, got.dtype, want.dtype)
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[~finite], want[~finite], err_msg=what)
    assert_matches(got[finite], want[finite], _tol(c, want) * scale, what)


def _align_columns(got, want):
    """got's columns times the unit factor that best matches want's (sign or complex phase)."""
    dot = np.sum(np.conj(got) * want, axis=-2, keepdims=True)
    mag = np.abs(dot)
    phase = np.where(mag > 0, dot / np.where(mag > 0, mag, 1), 1)
    return (got * phase).astype(got.dtype)


def _compare(c, outs, want):
    mode = c["compare"]
    if mode == "exact":
        for k, (g, w) in enumerate(zip(outs, want)):
            assert_matches(g, w, None, "output %d" % k)
    elif mode == "lower":
        # TF fills the lower triangle with NaN and leaves the upper one unset.
        g, w = outs[0], want[0]
        assert g.shape == w.shape
        low = np.tril(np.ones(w.shape[-2:], bool))
        np.testing.assert_array_equal(np.isnan(g[..., low]), np.isnan(w[..., low]))
    elif mode in ("svd", "eig"):
        _close(outs[0], want[0], c, "values")
        vectors = list(zip(outs[1:], want[1:]))
        uv = _attrs(c).get("compute_uv", _attrs(c).get("compute_v"))
        for k, (g, w) in enumerate(vectors):
            if not uv:
                assert g.shape == w.shape, (g.shape, w.shape)  # unfilled by TF: the shape only
                continue
            if np.isnan(w).any():
                assert np.isnan(g).all() == np.isnan(w).all()
                continue
            # TF runs BDCSVD from 16 columns: its vectors agree with Jacobi's to the
            # conditioning of the singular subspaces only.
            # The columns beyond min(m, n) of a full U or V are any orthonormal basis of the
            # complement there: compare that they are one.
            bdc = c["op"] == "Svd" and _array(c["inputs"][0]).shape[-1] >= 16
            p = outs[0].shape[-1]
            if bdc and g.shape[-1] > p:
                gram = np.conj(np.swapaxes(g, -1, -2)) @ g
                np.testing.assert_allclose(gram, np.broadcast_to(np.eye(g.shape[-1]), gram.shape),
                                           atol=30 * _tol(c, w))
                g, w = g[..., :p], w[..., :p]
            _close(_align_columns(g, w), w, c, "vectors %d" % k, 30.0 if bdc else 1.0)
    elif mode == "shape":
        assert [o.shape for o in outs] == [w.shape for w in want]
    else:
        for k, (g, w) in enumerate(zip(outs, want)):
            _close(g, w, c, "output %d" % k)


_IDS = [_name(i, c) for i, c in enumerate(_CASES)]


@pytest.mark.parametrize("c", _CASES, ids=_IDS)
def test_fixture(c):
    try:
        outs = _run(c)
    except _core.StatusError as e:
        assert "error" in c, e.args
        assert status_code(e) == c["error"][0], (e.args, c["error"])
        assert e.args[1] == c["error"][1]
        return
    assert "error" not in c, "expected TF's error %r" % (c["error"],)
    _compare(c, outs, [_array(r) for r in c["outputs"]])


@pytest.mark.parametrize("c", [c for c in _CASES if "error" not in c and c["compare"] == "tol"][::5])
def test_fixture_two_threads(c):
    _compare(c, _run(c, num_threads=2), [_array(r) for r in c["outputs"]])


def _coverage():
    cov = {}
    for c in _CASES:
        if "error" not in c:
            cov.setdefault(c["op"], set()).add(c["dtype"])
    return cov


COVERAGE = _coverage()


def test_coverage_matches_registry():
    ops = ("MatrixBandPart", "MatrixDiag", "MatrixDiagV2", "MatrixDiagV3", "MatrixDiagPart", "MatrixDiagPartV2",
           "MatrixSetDiag", "MatrixSetDiagV2", "MatrixSetDiagV3", "Cholesky", "MatrixInverse", "MatrixDeterminant",
           "LogMatrixDeterminant", "MatrixSolve", "MatrixTriangularSolve", "MatrixSolveLs", "Qr", "Svd",
           "SelfAdjointEigV2")
    assert_covers_registry({op: COVERAGE[op] for op in ops})


def test_unfilled_outputs_have_tfs_runtime_shape():
    # Svd(compute_uv=False) and SelfAdjointEigV2(compute_v=False) leave u, v as 0-d tensors.
    x = np.eye(3, dtype=np.float32)[None].repeat(2, 0)
    _, u, v = run_op("Svd", [x], {"T": dtypes.float32, "compute_uv": False, "full_matrices": False},
                     [np.float32] * 3)
    assert u.shape == () and v.shape == ()
    _, v = run_op("SelfAdjointEigV2", [x], {"T": dtypes.float32, "compute_v": False}, [np.float32] * 2)
    assert v.shape == ()


def test_graph_static_shapes_match_tf():
    import metarun as tf
    from metarun.framework.op_builder import apply_op
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 3, 3])
        s = apply_op("Svd", input=x, compute_uv=False, full_matrices=False)
        e = apply_op("SelfAdjointEigV2", input=x, compute_v=False)
    assert [t.shape.as_list() for t in s] == _GRAPH_SHAPES["Svd_nouv"]
    assert [t.shape.as_list() for t in e] == _GRAPH_SHAPES["SelfAdjointEigV2_nov"]


# -- numpy references on larger inputs --------------------------------------------------------

def _rand(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("threads", [1, 2])
def test_inverse_solve_det_match_numpy(dtype, threads):
    a = _rand([3, 40, 40], dtype, 1) + 8 * np.eye(40, dtype=dtype)
    b = _rand([3, 40, 5], dtype, 2)
    t = dtypes.as_dtype(dtype)
    rtol = 1e-4 if dtype in ("float32", "complex64") else 1e-11
    inv = run_op("MatrixInverse", [a], {"T": t, "adjoint": False}, num_threads=threads)[0]
    np.testing.assert_allclose(inv, np.linalg.inv(a.astype(np.complex128)), rtol=rtol, atol=rtol * np.abs(inv).max())
    x = run_op("MatrixSolve", [a, b], {"T": t, "adjoint": True}, num_threads=threads)[0]
    ah = np.conj(np.swapaxes(a, -1, -2)).astype(np.complex128)
    np.testing.assert_allclose(x, np.linalg.solve(ah, b), rtol=rtol, atol=rtol * np.abs(x).max())
    sign, logabs = run_op("LogMatrixDeterminant", [a], {"T": t}, [t, t], num_threads=threads)
    ns, nl = np.linalg.slogdet(a.astype(np.complex128))
    np.testing.assert_allclose(logabs.real, nl, rtol=rtol)
    np.testing.assert_allclose(sign, ns, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
def test_cholesky_eigh_qr_match_numpy(dtype):
    t = dtypes.as_dtype(dtype)
    x = _rand([2, 30, 30], dtype, 3)
    h = x @ np.conj(np.swapaxes(x, -1, -2)) + 30 * np.eye(30, dtype=dtype)
    rtol = 2e-4 if dtype in ("float32", "complex64") else 1e-11
    l = run_op("Cholesky", [h], {"T": t})[0]
    np.testing.assert_allclose(l, np.linalg.cholesky(h.astype(np.complex128)), rtol=rtol, atol=rtol * np.abs(l).max())
    e, v = run_op("SelfAdjointEigV2", [h], {"T": t, "compute_v": True}, [t, t])
    ne = np.linalg.eigvalsh(h.astype(np.complex128))
    np.testing.assert_allclose(e.real, ne, rtol=rtol)
    recon = v @ (e[..., None] * np.conj(np.swapaxes(v, -1, -2)))
    np.testing.assert_allclose(recon, h, rtol=rtol, atol=rtol * np.abs(h).max())
    a = _rand([2, 35, 20], dtype, 4)
    q, r = run_op("Qr", [a], {"T": t, "full_matrices": True}, [t, t])
    assert q.shape == (2, 35, 35) and r.shape == (2, 35, 20)
    np.testing.assert_allclose(q @ r, a, rtol=rtol, atol=rtol * np.abs(a).max())
    np.testing.assert_allclose(np.conj(np.swapaxes(q, -1, -2)) @ q, np.broadcast_to(np.eye(35), q.shape), atol=rtol)
    assert np.all(np.tril(r, -1) == 0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [[40, 30], [30, 40], [25, 25]])
def test_svd_matches_numpy(dtype, shape):
    t = dtypes.as_dtype(dtype)
    a = _rand(shape, dtype, 5)
    s, u, v = run_op("Svd", [a], {"T": t, "compute_uv": True, "full_matrices": True}, [t, t, t])
    rtol = 2e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(s, np.linalg.svd(a.astype(np.float64), compute_uv=False), rtol=rtol * 10,
                               atol=rtol * s.max())
    p = min(shape)
    np.testing.assert_allclose(u[:, :p] @ np.diag(s) @ v[:, :p].T, a, atol=rtol * 10 * np.abs(a).max())
    np.testing.assert_allclose(u.T @ u, np.eye(shape[0]), atol=rtol * 10)
    np.testing.assert_allclose(v.T @ v, np.eye(shape[1]), atol=rtol * 10)


# -- errors leave the session usable ------------------------------------------------------------

def test_singular_inverse_then_good_run():
    sing = np.array([[1, 2], [2, 4]], np.float32)
    msg, (out,) = expect_error("MatrixInverse", [sing], [np.eye(2, dtype=np.float32) * 2],
                               {"T": dtypes.float32, "adjoint": False})
    assert msg == "Input is not invertible."
    np.testing.assert_array_equal(out, np.eye(2, dtype=np.float32) / 2)


def test_non_square_cholesky_then_good_run():
    msg, (out,) = expect_error("Cholesky", [np.ones([2, 3], np.float64)], [np.eye(2) * 4], {"T": dtypes.float64})
    assert msg == "Input matrix must be square."
    np.testing.assert_array_equal(out, np.eye(2) * 2)


def test_eig_nan_then_good_run():
    msg, (e, _) = expect_error("SelfAdjointEigV2", [np.full([2, 2], np.nan, np.float32)],
                               [np.diag([3.0, 1.0]).astype(np.float32)], {"T": dtypes.float32, "compute_v": True},
                               out_dtypes=[np.float32, np.float32], code=INVALID_ARGUMENT)
    assert msg.startswith("Self-adjoint eigen decomposition was not successful")
    np.testing.assert_array_equal(e, [1.0, 3.0])


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "int64", "bool", "complex64"])
def test_band_diag_roundtrip_all_types(dtype):
    rng = np.random.default_rng(7)
    x = rng.integers(-3, 4, [2, 4, 3])
    x = x != 0 if dtype == "bool" else x.astype(np_dtype(dtype))
    t = dtypes.as_dtype(np_dtype(dtype))
    band = run_op("MatrixBandPart", [x, np.int32(1), np.int32(0)], {"T": t, "Tindex": dtypes.int32})[0]
    keep = np.tril(np.ones([4, 3], bool)) & ~np.tril(np.ones([4, 3], bool), -2)
    np.testing.assert_array_equal(band, np.where(keep, x, np.zeros_like(x)))
    d = run_op("MatrixDiagPart", [x], {"T": t})[0]
    np.testing.assert_array_equal(d, np.diagonal(x, axis1=-2, axis2=-1))
