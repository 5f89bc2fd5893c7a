"""Scatter{Add,Sub,Mul,Div,Update,Max,Min} and ScatterNd{Update,Add,Sub,Max,Min} on
ref and resource variables.

Expected values come from numpy, applying the updates one index at a time in
order (repeated indices accumulate; for Update the last one wins).
"""
import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import VarGraph

_NUMBER = ["float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "uint16",
           "uint32", "uint64", "complex64", "complex128"]
_REAL = [t for t in _NUMBER if not t.startswith("complex")]
_OPS = {
    "ScatterAdd": (_NUMBER, lambda p, u: p + u),
    "ScatterSub": (_NUMBER, lambda p, u: p - u),
    "ScatterMul": (_NUMBER, lambda p, u: p * u),
    "ScatterDiv": (_NUMBER, None),
    "ScatterMax": (_REAL, lambda p, u: np.maximum(p, u)),
    "ScatterMin": (_REAL, lambda p, u: np.minimum(p, u)),
    "ScatterUpdate": (_NUMBER + ["bool", "string"], lambda p, u: u),
}
_ND_OPS = {
    "ScatterNdUpdate": (_NUMBER + ["bool", "string"], lambda p, u: u),
    "ScatterNdAdd": (_NUMBER + ["bool"], lambda p, u: p + u),  # bools: or
    "ScatterNdSub": (_NUMBER + ["bool"], lambda p, u: p ^ u if p.dtype == bool else p - u),  # C++ bool(a - b)
    "ScatterNdMax": (_REAL, lambda p, u: np.maximum(p, u)),
    "ScatterNdMin": (_REAL, lambda p, u: np.minimum(p, u)),
}
COVERAGE = {}
for _op, (_types, _) in list(_OPS.items()) + list(_ND_OPS.items()):
    COVERAGE[_op] = set(_types)
    COVERAGE["Resource" + _op] = set(_types)


def _np_type(dt):
    return np.float32 if dt == "bfloat16" else (object if dt == "string" else dtypes.as_dtype(dt).as_numpy_dtype)


def _div(p, u, dt):
    if dt.startswith(("int", "uint")):
        q = np.abs(p.astype(np.int64)) // np.abs(u.astype(np.int64))  # C++ truncates toward zero
        return (np.sign(p.astype(np.int64)) * np.sign(u.astype(np.int64)) * q).astype(p.dtype)
    return p / u


def _values(dt, shape, rng, low):
    if dt == "string":
        return np.array([b"s%d" % v for v in rng.randint(0, 100, size=int(np.prod(shape)))],
                        dtype=object).reshape(shape)
    if dt == "bool":
        return rng.randint(0, 2, size=shape).astype(bool)
    v = rng.randint(low, 10, size=shape)
    if dt.startswith("complex"):
        return (v + 1j * rng.randint(1, 5, size=shape)).astype(_np_type(dt))
    if dt == "bfloat16":  # float32 values exactly representable in bfloat16
        return (v + rng.uniform(0, 1, size=shape)).astype(dtypes.bfloat16.as_numpy_dtype).astype(np.float32)
    if dt.startswith("float"):
        return (v + rng.uniform(0, 1, size=shape)).astype(_np_type(dt))
    return v.astype(_np_type(dt))


def _reference(op, dt, params, indices, updates):
    out = params.copy()
    fn = _OPS[op][1]
    flat_idx = indices.reshape(-1)
    rows = updates.reshape((len(flat_idx),) + params.shape[1:]) if updates.ndim else None
    for i, r in enumerate(flat_idx):
        u = updates if rows is None else rows[i]
        with np.errstate(over="ignore"):  # unsigned types wrap around, as in C++
            new = _div(out[r], np.broadcast_to(u, out[r].shape), dt) if fn is None else fn(out[r], u)
        if dt == "bfloat16":  # one rounding per element operation
            new = np.asarray(new, np.float32).astype(dtypes.bfloat16.as_numpy_dtype).astype(np.float32)
        out[r] = new
    return out


def _graph(op, dt, resource, index_dtype="int32"):
    type_attr = "dtype" if resource else "T"
    return VarGraph(op, ["ref"], [("indices", index_dtype), ("updates", dt)],
                    {"Tindices": dtypes.as_dtype(index_dtype)}, dt, resource, type_attr=type_attr)


_CASES = [(op, dt) for op, (types, _) in _OPS.items() for dt in types]


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("op,dt", _CASES)
def test_scatter_matches_numpy(op, dt, resource):
    rng = np.random.RandomState(len(op) * 31 + len(dt))
    params = _values(dt, (5, 2), rng, 1)
    g = _graph(op, dt, resource)
    g.init([params])
    cases = [(np.array([1, 3, 1], np.int32), _values(dt, (3, 2), rng, 1)),
             (np.array([[4, 0], [0, 2]], np.int32), _values(dt, (2, 2, 2), rng, 1)),
             (np.array([2, 2], np.int32), _values(dt, (), rng, 1)),  # scalar update
             (np.zeros((0,), np.int32), _values(dt, (0, 2), rng, 1))]
    want = params
    for indices, updates in cases:
        want = _reference(op, dt, want, indices, updates)
        out = g.step([indices, updates], fetch_output=not resource)
        got = g.read()[0]
        if op == "ScatterDiv" and dt.startswith("complex"):  # division algorithms differ in the last bit
            np.testing.assert_allclose(got, want, rtol=1e-6)
        else:
            np.testing.assert_array_equal(got, want)  # one rounding per element op, as numpy
        if out is not None:  # the ref form outputs the variable
            np.testing.assert_array_equal(out, got)


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_int64_indices_and_higher_rank(resource):
    g = _graph("ScatterAdd", "float32", resource, index_dtype="int64")
    params = np.arange(24, dtype=np.float32).reshape(4, 3, 2)
    g.init([params])
    updates = np.ones((2, 3, 2), np.float32)
    g.step([np.array([3, 3], np.int64), updates])
    want = params.copy()
    want[3] += 2
    np.testing.assert_array_equal(g.read()[0], want)


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_value_read_before_update_never_changes(resource):
    g = _graph("ScatterUpdate", "float32", resource)
    g.init([np.zeros((3, 2), np.float32)])
    held = g.read()[0]
    g.step([np.array([1], np.int32), np.ones((1, 2), np.float32)])
    np.testing.assert_array_equal(held, np.zeros((3, 2), np.float32))
    assert g.read()[0][1, 0] == 1


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_index_out_of_range(resource):
    g = _graph("ScatterAdd", "float32", resource)
    g.init([np.zeros((5, 2), np.float32)])
    with pytest.raises(_core.StatusError) as e:
        g.step([np.array([1, 9], np.int32), np.ones((2, 2), np.float32)])
    assert e.value.args[0] == 3
    assert "indices[1] = 9 is not in [0, 5)" in e.value.args[1]
    with pytest.raises(_core.StatusError) as e:
        g.step([np.array([-1], np.int32), np.ones((1, 2), np.float32)])
    assert e.value.args[0] == 3
    np.testing.assert_array_equal(g.read()[0], np.zeros((5, 2), np.float32))  # nothing was applied
    g.step([np.array([1], np.int32), np.ones((1, 2), np.float32)])  # the session still runs


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_bad_update_shape(resource):
    g = _graph("ScatterAdd", "float32", resource)
    g.init([np.zeros((5, 2), np.float32)])
    with pytest.raises(_core.StatusError) as e:
        g.step([np.array([1, 1], np.int32), np.ones((3,), np.float32)])
    assert e.value.args[0] == 3
    assert ("Must have updates.shape = indices.shape + params.shape[1:] or updates.shape = [], got "
            "updates.shape [3], indices.shape [2], params.shape [5,2]") in e.value.args[1]


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_scalar_params_rejected(resource):
    g = _graph("ScatterAdd", "float32", resource)
    g.init([np.float32(3)])
    with pytest.raises(_core.StatusError) as e:
        g.step([np.array([0], np.int32), np.ones((1,), np.float32)])
    assert e.value.args[0] == 3


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_uninitialized(resource):
    g = _graph("ScatterAdd", "float32", resource)
    with pytest.raises(_core.StatusError) as e:
        g.step([np.array([0], np.int32), np.ones((1, 2), np.float32)])
    assert e.value.args[0] == 9


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_integer_division_by_zero(resource):
    # TF's kernel traps here; metarun reports it and keeps the session usable.
    g = _graph("ScatterDiv", "int32", resource)
    g.init([np.arange(4, dtype=np.int32).reshape(2, 2)])
    with pytest.raises(_core.StatusError) as e:
        g.step([np.array([0], np.int32), np.zeros((1, 2), np.int32)])
    assert e.value.args[0] == 3
    g.step([np.array([1], np.int32), np.full((1, 2), 2, np.int32)])
    np.testing.assert_array_equal(g.read()[0], [[0, 1], [1, 1]])


def _nd_graph(op, dt, resource, index_dtype="int32"):
    return VarGraph(op, ["ref"], [("indices", index_dtype), ("updates", dt)],
                    {"Tindices": dtypes.as_dtype(index_dtype)}, dt, resource)


def _nd_reference(op, dt, params, indices, updates):
    out = params.copy()
    fn = _ND_OPS[op][1]
    k = indices.shape[-1]
    rows = indices.reshape(-1, k)
    ups = updates.reshape((len(rows),) + params.shape[k:])
    for r, u in zip(rows, ups):
        with np.errstate(over="ignore"):  # unsigned types wrap around, as in C++
            new = fn(out[tuple(r)], u)
        if dt == "bfloat16":
            new = np.asarray(new, np.float32).astype(dtypes.bfloat16.as_numpy_dtype).astype(np.float32)
        out[tuple(r)] = new
    return out


_ND_CASES = [(op, dt) for op, (types, _) in _ND_OPS.items() for dt in types]


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("op,dt", _ND_CASES)
def test_scatter_nd_matches_numpy(op, dt, resource):
    rng = np.random.RandomState(len(op) * 17 + len(dt))
    params = _values(dt, (4, 3), rng, 1)
    g = _nd_graph(op, dt, resource)
    g.init([params])
    cases = [(np.array([[1], [3], [1]], np.int32), _values(dt, (3, 3), rng, 1)),  # row slices, repeated
             (np.array([[0, 2], [3, 1], [0, 2]], np.int32), _values(dt, (3,), rng, 1)),  # elements
             (np.array([[[2], [0]]], np.int32), _values(dt, (1, 2, 3), rng, 1)),  # 2-D batch of indices
             (np.zeros((0, 2), np.int32), _values(dt, (0,), rng, 1))]  # nothing
    want = params
    for indices, updates in cases:
        want = _nd_reference(op, dt, want, indices, updates)
        out = g.step([indices, updates], fetch_output=not resource)
        got = g.read()[0]
        np.testing.assert_array_equal(got, want)
        if out is not None:
            np.testing.assert_array_equal(out, got)


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_scatter_nd_errors(resource):
    g = _nd_graph("ScatterNdAdd", "float32", resource, index_dtype="int64")
    g.init([np.zeros((5, 2), np.float32)])
    with pytest.raises(_core.StatusError) as e:
        g.step([np.array([[[1], [2]], [[3], [7]]], np.int64), np.ones((2, 2, 2), np.float32)])
    assert e.value.args[0] == 3
    assert "indices[1,1] = [7] does not index into shape [5,2]" in e.value.args[1]
    with pytest.raises(_core.StatusError) as e:
        g.step([np.array([[1], [2]], np.int64), np.ones((3, 2), np.float32)])
    assert e.value.args[0] == 3
    with pytest.raises(_core.StatusError) as e:
        g.step([np.array([[1, 1, 1]], np.int64), np.ones((1,), np.float32)])
    assert e.value.args[0] == 3
    g.step([np.array([[1, 1], [0, 1]], np.int64), np.array([5, 6], np.float32)])  # still usable
    np.testing.assert_array_equal(g.read()[0], [[0, 6], [0, 5], [0, 0], [0, 0], [0, 0]])
