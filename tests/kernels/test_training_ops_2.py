"""AdagradDA kernels (ApplyAdagradDA, SparseApplyAdagradDA and their Resource twins) against TF.

Expected values are TF's (tests/fixtures/kernels/training_2.npz, written by gen_training_2.py):
each case runs a few steps, the global step changing between them, on persistent variables in
one Session and compares the three variables bit for bit after each step; the ref and resource
forms share the fixture. Error cases give TF's code, message and the variables after the
failed run (a sparse update has changed the rows before a bad index, as TF's does).
"""
import json

import numpy as np

import pytest

from metarun import _core
from op_harness import VarGraph, kernel_fixture, load_npz

_DATA = load_npz(kernel_fixture("training_2.npz"))
_CASES = sorted({k.split("/")[0] for k in _DATA.files if not k.startswith("err_")})
_ERRORS = sorted({k.split("/")[0] for k in _DATA.files if k.startswith("err_")})
_VARS = ["var", "gradient_accumulator", "gradient_squared_accumulator"]


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


def _inputs(case, m):
    dt = m["dtype"]
    names = [("grad", dt)]
    if case + "/indices" in _DATA.files:
        names.append(("indices", str(_DATA[case + "/indices"].dtype)))
    return names + [("lr", dt), ("l1", dt), ("l2", dt), ("global_step", "int64")]


def _feeds(case, m, k):
    dt = np.dtype(m["dtype"])
    vals = [_DATA[case + "/grads"][k]]
    if case + "/indices" in _DATA.files:
        vals.append(_DATA[case + "/indices"])
    vals += [dt.type(m["scalars"][n]) for n in ("lr", "l1", "l2")]
    return vals + [np.int64(_DATA[case + "/global_steps"][k])]


def _graph(case, resource, num_threads=1):
    m = _meta(case)
    return VarGraph(m["op"], _VARS, _inputs(case, m), {"use_locking": False}, m["dtype"], resource,
                    num_threads=num_threads), m


def _check(what, got, want):
    # Bit-exact, the sign of zero included.
    np.testing.assert_array_equal(got, want, err_msg=what)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want), err_msg=what + " (signs)")


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("case", _CASES)
def test_matches_tf(case, resource):
    g, m = _graph(case, resource)
    g.init(list(_DATA[case + "/init"]))
    steps = _DATA[case + "/steps"]
    for k in range(steps.shape[0]):
        out = g.step(_feeds(case, m, k), fetch_output=(not resource and k == 0))
        got = g.read()
        for i, name in enumerate(_VARS):
            _check("%s step %d %s" % (case, k, name), got[i], steps[k][i])
        if out is not None:  # the ref form outputs the updated variable
            _check(case, out, steps[k][0])


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("case", _ERRORS)
def test_error_matches_tf(case, resource):
    m = _meta(case)
    ins = {n: _DATA[case + "/in/" + n] for n in m["names"]}
    g = VarGraph(m["op"], _VARS, [(n, m["dtypes"][n]) for n in m["names"][3:]], {"use_locking": False},
                 m["dtypes"]["var"], resource)
    g.init([ins[n] for n in _VARS])
    with pytest.raises(_core.StatusError) as e:
        g.step([ins[n] for n in m["names"][3:]])
    assert e.value.args[0] == m["code"]
    assert m["message"] in e.value.args[1]
    after = _DATA[case + "/after"]
    if after.size or after.ndim > 1:
        for i, name in enumerate(_VARS):
            _check("%s %s" % (case, name), g.read()[i], after[i])
    # The session still runs.
    sparse = m["op"].startswith("Sparse")
    shape = [4, 2] if sparse else [2, 3]
    good = {"grad": np.ones([1, 2] if sparse else shape, np.float32),
            "indices": np.array([1], m["dtypes"].get("indices", "int32")), "lr": np.float32(0.1),
            "l1": np.float32(0.01), "l2": np.float32(0.0), "global_step": np.int64(1)}
    g.init([np.full(shape, 0.5, np.float32)] * 3)
    g.step([good[n] for n in m["names"][3:]])
    assert not np.array_equal(g.read()[1], np.full(shape, 0.5, np.float32))


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_uninitialized_variable(resource):
    case = "dense_f32"
    g, m = _graph(case, resource)
    with pytest.raises(_core.StatusError) as e:
        g.step(_feeds(case, m, 0))
    assert e.value.args[0] == 9  # FailedPrecondition, as TF
    g.init(list(_DATA[case + "/init"]))
    g.step(_feeds(case, m, 0))
    _check(case, g.read()[0], _DATA[case + "/steps"][0][0])


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_sparse_grad_rank_mismatch_is_an_error(resource):
    # TF's kernel reads grad's dimensions unchecked (its shape function rejects this when the
    # graph is built); here a graph with unknown shapes gets InvalidArgument.
    case = "sparse_f32"
    g, m = _graph(case, resource)
    g.init(list(_DATA[case + "/init"]))
    vals = _feeds(case, m, 0)
    vals[0] = np.ones([3], np.float32)
    with pytest.raises(_core.StatusError) as e:
        g.step(vals)
    assert e.value.args[0] == 3
    vals[0] = np.ones([3, 2, 1], np.float32)
    with pytest.raises(_core.StatusError) as e:
        g.step(vals)
    assert e.value.args[0] == 3
    for a, b in zip(g.read(), _DATA[case + "/init"]):
        _check(case, a, b)


def test_threaded_update_matches_serial():
    rng = np.random.RandomState(3)
    init = [rng.uniform(-1, 1, (300, 200)).astype(np.float32), rng.uniform(-1, 1, (300, 200)).astype(np.float32),
            rng.uniform(0.1, 1, (300, 200)).astype(np.float32)]
    m = _meta("dense_f32")
    feeds = _feeds("dense_f32", m, 2)
    feeds[0] = rng.uniform(-1, 1, (300, 200)).astype(np.float32)
    results = []
    for threads in (1, 2):
        g, _ = _graph("dense_f32", True, num_threads=threads)
        g.init(init)
        g.step(feeds)
        results.append(g.read())
    for a, b in zip(*results):
        _check("threads", a, b)
