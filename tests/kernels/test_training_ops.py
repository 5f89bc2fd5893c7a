"""Optimizer ops (Apply*, SparseApply* and their Resource twins) against TF.

Expected values are TF's (tests/fixtures/kernels/training.npz, written by
gen_training.py): each case runs a few steps on persistent variables in one
Session and compares every variable (var and slots) after each step. The ref
and resource forms of an op share the fixture. Complex cases (lengths and row
widths on both sides of Eigen's packet boundaries) are compared bit for bit,
signed zeros included.
"""
import json

import numpy as np

import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import VarGraph, kernel_fixture, load_npz

_DATA = load_npz(kernel_fixture("training.npz"))
_CASES = sorted({k.split("/")[0] for k in _DATA.files})


def _meta(case):
    return json.loads(str(_DATA[case + "/meta"]))


def _coverage():
    cov = {}
    for case in _CASES:
        m = _meta(case)
        for op in (m["op"], "Resource" + m["op"]):
            cov.setdefault(op, set()).add(m["dtype"])
    return cov


COVERAGE = _coverage()

def _graph(case, resource):
    m = _meta(case)
    attrs = dict(m["attrs"], use_locking=False)
    if "indices" in m["names"]:
        attrs["Tindices"] = dtypes.as_dtype(_DATA[case + "/indices"].dtype)
    return VarGraph(m["op"], m["names"][:m["nvars"]], [(n, _index_or(m, case, n)) for n in m["names"][m["nvars"]:]],
                    attrs, m["dtype"], resource)


def _index_or(meta, case, name):
    return str(_DATA[case + "/indices"].dtype) if name == "indices" else meta["dtype"]


def _feeds(case, meta, step):
    vals = []
    for n in meta["names"][meta["nvars"]:]:
        if n in ("grad", "delta"):
            vals.append(_DATA[case + "/grads"][step])
        elif n == "indices":
            vals.append(_DATA[case + "/indices"])
        else:
            vals.append(_scalar(meta["scalars"][n], meta["dtype"]))
    return vals


def _scalar(value, dtype):
    if isinstance(value, list):  # a complex hyperparameter: [real, imag]
        return np.array(complex(*value), dtype=dtype)
    return np.float32(value) if dtype == "bfloat16" else value


def _check(what, got, want):
    # Bit-exact, 16-bit types included (they round after every operation, as
    # Eigen does); NaN equals NaN.
    np.testing.assert_array_equal(got, want, err_msg=what)
    if np.iscomplexobj(want):
        assert got.dtype == want.dtype, what
        _check_bits(what, got.real, want.real)
        _check_bits(what, got.imag, want.imag)


def _check_bits(what, got, want):
    # Same bits (the sign of a zero too) or both NaN.
    uint = np.uint32 if want.dtype == np.float32 else np.uint64
    same = (np.ascontiguousarray(got).view(uint) == np.ascontiguousarray(want).view(uint)) | \
        (np.isnan(got) & np.isnan(want))
    assert same.all(), "%s: bits differ at %s: %r vs %r" % (what, np.argwhere(~same)[:4].tolist(), got[~same][:4],
                                                            want[~same][:4])


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("case", _CASES)
def test_matches_tf(case, resource):
    m = _meta(case)
    g = _graph(case, resource)
    g.init(list(_DATA[case + "/init"]))
    steps = _DATA[case + "/steps"]
    for k in range(steps.shape[0]):
        out = g.step(_feeds(case, m, k), fetch_output=(not resource and k == 0))
        got = g.read()
        for i in range(m["nvars"]):
            _check("%s step %d var %s" % (case, k, m["names"][i]), got[i], steps[k][i])
        if out is not None:  # the ref form outputs the updated variable
            _check(case, out, steps[k][0])


def _adam_graph(resource, shape=(2, 3)):
    m = _meta("ApplyAdam_float32")
    g = _graph("ApplyAdam_float32", resource)
    g.init([np.zeros(shape, np.float32)] * 3)
    return g, m


def _adam_feeds(m, grad):
    vals = _feeds("ApplyAdam_float32", m, 0)
    vals[-1] = grad
    return vals


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_value_read_before_update_never_changes(resource):
    g, m = _adam_graph(resource)
    before = g.read()[0].copy()
    held = g.read()[0]
    g.step(_adam_feeds(m, np.ones((2, 3), np.float32)))
    np.testing.assert_array_equal(held, before)
    assert not np.array_equal(g.read()[0], before)


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_empty_variable(resource):
    g, m = _adam_graph(resource, shape=(0, 3))
    g.step(_adam_feeds(m, np.zeros((0, 3), np.float32)))
    assert g.read()[0].shape == (0, 3)


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_scalar_variable(resource):
    case = "ApplyGradientDescent_float32"
    g = VarGraph("ApplyGradientDescent", ["var"], [("alpha", "float32"), ("delta", "float32")], {}, "float32",
                 resource)
    g.init([np.float32(1.5)])
    g.step([np.float32(0.5), np.float32(2.0)])
    assert g.read()[0] == np.float32(1.5) - np.float32(2.0) * np.float32(0.5)
    assert case in _CASES


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_grad_shape_mismatch(resource):
    g, m = _adam_graph(resource)
    with pytest.raises(_core.StatusError) as e:
        g.step(_adam_feeds(m, np.ones((3,), np.float32)))
    assert e.value.args[0] == 3
    assert "var and grad do not have the same shape[2,3] [3]" in e.value.args[1]
    g.step(_adam_feeds(m, np.ones((2, 3), np.float32)))  # the session still runs


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_slot_shape_mismatch(resource):
    g, m = _adam_graph(resource)
    g.init([np.zeros((3,), np.float32)], names=[1])
    with pytest.raises(_core.StatusError) as e:
        g.step(_adam_feeds(m, np.ones((2, 3), np.float32)))
    assert e.value.args[0] == 3
    assert "var and m do not have the same shape[2,3] [3]" in e.value.args[1]


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_non_scalar_hyperparameter(resource):
    g, m = _adam_graph(resource)
    vals = _adam_feeds(m, np.ones((2, 3), np.float32))
    vals[2] = np.ones((2,), np.float32)  # lr
    with pytest.raises(_core.StatusError) as e:
        g.step(vals)
    assert e.value.args[0] == 3
    assert "lr is not a scalar: [2]" in e.value.args[1]


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_uninitialized_variable(resource):
    g = _graph("ApplyAdam_float32", resource)
    m = _meta("ApplyAdam_float32")
    with pytest.raises(_core.StatusError) as e:
        g.step(_adam_feeds(m, np.ones((2, 3), np.float32)))
    assert e.value.args[0] == 9
    g.init([np.zeros((2, 3), np.float32)] * 3)
    g.step(_adam_feeds(m, np.ones((2, 3), np.float32)))


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_sparse_index_out_of_range(resource):
    case = "SparseApplyMomentum_float32"
    m = _meta(case)
    g = _graph(case, resource)
    g.init(list(_DATA[case + "/init"]))
    before = g.read()
    vals = _feeds(case, m, 0)
    vals[2] = np.array([3, 9, 0], np.int32)
    with pytest.raises(_core.StatusError) as e:
        g.step(vals)
    assert e.value.args[0] == 3
    assert "Index 9 at offset 1 in indices is out of range" in e.value.args[1]
    for a, b in zip(g.read(), before):  # nothing was updated
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_sparse_bad_shapes(resource):
    case = "SparseApplyMomentum_float32"
    m = _meta(case)
    g = _graph(case, resource)
    g.init(list(_DATA[case + "/init"]))
    vals = _feeds(case, m, 0)
    vals[1] = np.ones((3, 5), np.float32)
    with pytest.raises(_core.StatusError) as e:
        g.step(vals)
    assert e.value.args[0] == 3
    vals = _feeds(case, m, 0)
    vals[2] = np.array([0, 1], np.int32)
    with pytest.raises(_core.StatusError) as e:
        g.step(vals)
    assert e.value.args[0] == 3
    assert "grad must be the same size as indices" in e.value.args[1]
    vals = _feeds(case, m, 0)
    vals[1] = np.ones((0, 2), np.float32)
    vals[2] = np.array([], np.int32)
    g.step(vals)  # no indices: nothing to do


def test_threaded_update_matches_serial():
    names = _meta("ApplyAdam_float32")["names"]
    rng = np.random.RandomState(7)
    init = [rng.uniform(-1, 1, (300, 200)).astype(np.float32),
            rng.uniform(-1, 1, (300, 200)).astype(np.float32), rng.uniform(0, 1, (300, 200)).astype(np.float32)]
    grad = rng.uniform(-1, 1, (300, 200)).astype(np.float32)
    results = []
    for threads in (1, 2):
        g = VarGraph("ApplyAdam", names[:3], [(n, "float32") for n in names[3:]], {}, "float32", True,
                     num_threads=threads)
        g.init(init)
        g.step(_adam_feeds(_meta("ApplyAdam_float32"), grad))
        results.append(g.read())
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
