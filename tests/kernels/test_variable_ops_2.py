"""Slice assignment (StridedSliceAssign, ResourceStridedSliceAssign), ResourceGatherNd,
VariableShape, the Keras-style updates (ResourceApplyKerasMomentum,
ResourceSparseApplyKerasMomentum, ResourceApplyAdamWithAmsgrad) and the complex updates of
the optimizers TF registers for complex (ref and resource forms) against TF.

Expected values are TF's (tests/fixtures/kernels/variable_ops_2.npz, written by
gen_variable_ops_2.py with TF's resource ops; a ref variable's StridedSliceAssign
computes the same, so both forms are checked against one case). Errors compare
the class and message TF gave; after each error the session still runs.
"""
import json

import numpy as np

import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import VarGraph, add_placeholder, enum, handle_names, handles, kernel_fixture, load_npz, run_on_variable

_DATA = load_npz(kernel_fixture("variable_ops_2.npz"))
_CODES = {"InvalidArgumentError": 3, "NotFoundError": 5, "FailedPreconditionError": 9}


def _cases(kind):
    return sorted({k.split("/")[1] for k in _DATA.files if k.startswith(kind + "/")})


def _meta(kind, case):
    return json.loads(str(_DATA["%s/%s/meta" % (kind, case)]))


def _get(kind, case, name):
    return _DATA["%s/%s/%s" % (kind, case, name)]


def _err(name):
    return json.loads(str(_DATA["err/" + name]))


def _coverage():
    cov = {}
    for case in _cases("ssa"):
        dt = _meta("ssa", case)["dtype"]
        for op in ("StridedSliceAssign", "ResourceStridedSliceAssign"):
            cov.setdefault(op, set()).add(dt)
    for case in _cases("gnd"):
        cov.setdefault("ResourceGatherNd", set()).add(_meta("gnd", case)["dtype"])
    cov["ResourceGatherNd"].add("resource")  # test_gather_nd_of_handles
    for case in _cases("vs"):
        cov.setdefault("VariableShape", set()).add(_meta("vs", case)["out_type"])
    for case in _cases("train"):
        m = _meta("train", case)
        for op in (m["op"], m["op"][len("Resource"):]) if m["ref"] else (m["op"],):
            cov.setdefault(op, set()).add(m["dtype"])
    return cov


COVERAGE = _coverage()


def _check(what, got, want):
    # Bit-exact, 16-bit and complex types included; NaN equals NaN.
    if want.dtype.kind == "S":
        got = np.asarray(got, dtype=bytes)
    np.testing.assert_array_equal(got, want, err_msg=what)


def _expect(exc, err):
    assert exc.value.args[0] == _CODES[err["cls"]], exc.value.args
    assert err["msg"] in exc.value.args[1], (err["msg"], exc.value.args[1])


# ---- slice assignment ----

def _slice_graph(dtype, index, masks, resource):
    attrs = dict(masks, Index=dtypes.as_dtype(index))
    return VarGraph("StridedSliceAssign", ["v"], [("begin", index), ("end", index), ("strides", index),
                                                  ("value", dtype)], attrs, dtype, resource)


def _slice_inputs(case):
    return [_get("ssa", case, k) for k in ("begin", "end", "strides", "value")]


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("case", _cases("ssa"))
def test_slice_assign_matches_tf(case, resource):
    m = _meta("ssa", case)
    g = _slice_graph(m["dtype"], m["index"], m["masks"], resource)
    g.init([_get("ssa", case, "init")])
    out = g.step(_slice_inputs(case), fetch_output=not resource)
    _check(case, g.read()[0], _get("ssa", case, "out"))
    if not resource:  # the ref op outputs the variable itself, updated
        _check(case + " output", out, _get("ssa", case, "out"))


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_slice_assign_twice_keeps_earlier_reads(resource):
    case = "rows_float32_int32"
    g = _slice_graph("float32", "int32", {}, resource)
    init = _get("ssa", case, "init")
    g.init([init])
    held = g.read()[0]
    before = held.copy()
    g.step(_slice_inputs(case))
    if resource:  # a value read earlier never changes
        np.testing.assert_array_equal(held, before)
    inputs = _slice_inputs(case)
    inputs[3] = inputs[3] * 2
    g.step(inputs)
    want = init.copy()
    want[1:3] = inputs[3]
    np.testing.assert_array_equal(g.read()[0], want)


_SPEC_ERRORS = ["bad_value_shape", "bad_value_rank", "zero_stride", "shrink_out_of_bounds", "spec_too_long",
                "two_ellipses"]


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("name", _SPEC_ERRORS)
def test_slice_assign_errors(name, resource):
    err = _err("ssa_" + name)
    b, e, s, masks, vshape = err["spec"]
    g = _slice_graph("float32", "int32", masks, resource)
    init = np.arange(12, dtype=np.float32).reshape(3, 4)
    g.init([init])
    with pytest.raises(_core.StatusError) as exc:
        g.step([np.array(b, np.int32), np.array(e, np.int32), np.array(s, np.int32), np.ones(vshape, np.float32)])
    _expect(exc, err)
    np.testing.assert_array_equal(g.read()[0], init)  # nothing written; the session still runs
    if not masks:
        g.step([np.array([0], np.int32), np.array([1], np.int32), np.array([1], np.int32),
                np.ones([1, 4], np.float32)])
        assert g.read()[0][0].tolist() == [1, 1, 1, 1]


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_slice_assign_bad_spec_rank(resource):
    g = _slice_graph("float32", "int32", {}, resource)
    g.init([np.zeros([3, 4], np.float32)])
    with pytest.raises(_core.StatusError) as exc:
        g.step([np.array([[0]], np.int32), np.array([1], np.int32), np.array([1], np.int32),
                np.ones([1, 4], np.float32)])
    _expect(exc, _err("ssa_bad_begin_rank"))


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_slice_assign_uninitialized(resource):
    g = _slice_graph("float32", "int32", {}, resource)
    inputs = [np.array([0], np.int32), np.array([2], np.int32), np.array([1], np.int32), np.ones([2, 4], np.float32)]
    with pytest.raises(_core.StatusError) as exc:
        g.step(inputs)
    err = _err("ssa_uninit_resource" if resource else "ssa_uninit_ref")
    assert exc.value.args[0] == _CODES[err["cls"]]
    if resource:  # the message names TF's container; ours is the session's
        assert "does not exist. (Could not find resource: " in exc.value.args[1]
    else:
        assert err["msg"] in exc.value.args[1]
    g.init([np.zeros([3, 4], np.float32)])
    g.step(inputs)
    assert g.read()[0].sum() == 8


# ---- ResourceGatherNd ----

@pytest.mark.parametrize("case", _cases("gnd"))
def test_gather_nd_matches_tf(case):
    dt = _meta("gnd", case)["dtype"]
    indices = _get("gnd", case, "indices")
    g = VarGraph("GatherNd", ["params"], [("indices", str(indices.dtype))],
                 {"Tindices": dtypes.as_dtype(indices.dtype)}, dt, True, type_attr="dtype", out_dtypes=[dt])
    g.init([_get("gnd", case, "params")])
    _check(case, g.step([indices], fetch_output=True), _get("gnd", case, "out"))


def test_gather_nd_of_handles():
    r = dtypes.resource
    params = handles(6).reshape(3, 2)
    want = np.array(handle_names(params), dtype=object)
    out, = run_on_variable("ResourceGatherNd", [params, np.array([[2, 1], [0, 0]], np.int32)],
                           {"dtype": r, "Tindices": dtypes.int32}, [r], input_dtypes=[r, dtypes.int32])
    assert handle_names(out) == [want[2, 1], want[0, 0]]


def _gather_graph():
    g = VarGraph("GatherNd", ["params"], [("indices", "int32")], {"Tindices": dtypes.int32}, "float32", True,
                 type_attr="dtype", out_dtypes=["float32"])
    return g


@pytest.mark.parametrize("name, indices", [("gnd_out_of_range", [[1, 2], [4, 0]]), ("gnd_too_deep", [[1, 2, 0]])])
def test_gather_nd_errors(name, indices):
    g = _gather_graph()
    g.init([np.arange(20, dtype=np.float32).reshape(4, 5)])
    with pytest.raises(_core.StatusError) as exc:
        g.step([np.array(indices, np.int32)], fetch_output=True)
    err = _err(name)
    assert exc.value.args[0] == _CODES[err["cls"]]
    assert err["msg"].split(", node name")[0] in exc.value.args[1]
    assert g.step([np.array([[3, 4]], np.int32)], fetch_output=True).tolist() == [19]


def test_gather_nd_uninitialized():
    g = _gather_graph()
    with pytest.raises(_core.StatusError) as exc:
        g.step([np.array([[1]], np.int32)], fetch_output=True)
    assert exc.value.args[0] == _CODES[_err("gnd_uninit")["cls"]]
    assert "does not exist. (Could not find resource: " in exc.value.args[1]


# ---- VariableShape ----

def _variable_shape(value, out_type):
    """Runs VariableShape on a resource variable holding `value` (None: never assigned)."""
    g = _core.Graph()
    vt, ot = enum("float32"), enum(out_type)
    h = g.add_node("v", "VarHandleOp", "", [], [], {"dtype": ("type", vt), "shape": ("shape", None),
                                                    "shared_name": ("s", b"v"), "container": ("s", b"")},
                   [enum("resource")])
    init = add_placeholder(g, "init", "float32")
    assign = g.add_node("assign", "AssignVariableOp", "", [(h, 0), (init, 0)], [], {"dtype": ("type", vt)}, [])
    op = g.add_node("shape", "VariableShape", "", [(h, 0)], [], {"out_type": ("type", ot)}, [ot])
    sess = _core.Session(g, 1)
    if value is not None:
        sess.run([(init, 0)], [VarGraph._feed(value, "float32")], [], [assign])
    return np.asarray(sess.run([], [], [(op, 0)], [])[0])


@pytest.mark.parametrize("case", _cases("vs"))
def test_variable_shape_matches_tf(case):
    out = _variable_shape(_get("vs", case, "init"), _meta("vs", case)["out_type"])
    want = _get("vs", case, "out")
    assert out.dtype == want.dtype
    np.testing.assert_array_equal(out, want)


def test_variable_shape_uninitialized():
    with pytest.raises(_core.StatusError) as exc:
        _variable_shape(None, "int32")
    assert exc.value.args[0] == _CODES[_err("vs_uninit")["cls"]]
    assert "does not exist. (Could not find resource: " in exc.value.args[1]


# ---- Keras-style optimizer updates ----

def _train_graph(case, resource=True):
    m = _meta("train", case)
    names = m["names"]
    attrs = dict(m["attrs"], use_locking=False)
    inputs = []
    for n in names[m["nvars"]:]:
        inputs.append((n, str(_get("train", case, "indices").dtype) if n == "indices" else m["dtype"]))
        if n == "indices":
            attrs["Tindices"] = dtypes.as_dtype(_get("train", case, "indices").dtype)
    return VarGraph(m["op"][len("Resource"):], names[:m["nvars"]], inputs, attrs, m["dtype"], resource), m


def _scalar(m, n):
    re, im = m["scalars"][n]
    if m["dtype"].startswith("complex"):
        return np.array(complex(re, im), m["dtype"])
    return np.float32(re) if m["dtype"] == "bfloat16" else np.array(re, m["dtype"])


def _train_feeds(case, m, step):
    vals = []
    for n in m["names"][m["nvars"]:]:
        if n in ("grad", "delta"):
            vals.append(_get("train", case, "grads")[step])
        elif n == "indices":
            vals.append(_get("train", case, "indices"))
        else:
            vals.append(_scalar(m, n))
    return vals


_TRAIN_RUNS = [(c, r) for c in _cases("train") for r in ((False, True) if _meta("train", c)["ref"] else (True,))]


@pytest.mark.parametrize("case, resource", _TRAIN_RUNS,
                         ids=["%s-%s" % (c, "resource" if r else "ref") for c, r in _TRAIN_RUNS])
def test_updates_match_tf(case, resource):
    g, m = _train_graph(case, resource)
    g.init(list(_get("train", case, "init")))
    steps = _get("train", case, "steps")
    for k in range(steps.shape[0]):
        g.step(_train_feeds(case, m, k))
        for i, got in enumerate(g.read()):
            _check("%s step %d %s" % (case, k, m["names"][i]), got, steps[k][i])


def test_sparse_keras_momentum_stops_at_bad_index():
    g, m = _train_graph("SparseKerasMomentum_float32")
    g.init([np.arange(8, dtype=np.float32).reshape(4, 2), np.ones([4, 2], np.float32)])
    err = _err("keras_momentum_bad_index")
    with pytest.raises(_core.StatusError) as exc:
        g.step([np.float32(0.5), np.ones([3, 2], np.float32), np.array([1, 9, 2], np.int32), np.float32(0.25)])
    _expect(exc, err)
    for got, want in zip(g.read(), err["after"]):  # rows before the bad index were updated, as in TF
        np.testing.assert_array_equal(got, np.array(want, np.float32))


def test_keras_momentum_errors():
    g, m = _train_graph("KerasMomentum_float32")
    with pytest.raises(_core.StatusError) as exc:  # never initialized
        g.step(_train_feeds("KerasMomentum_float32", m, 0))
    assert exc.value.args[0] == 9
    g.init(list(_get("train", "KerasMomentum_float32", "init")))
    feeds = _train_feeds("KerasMomentum_float32", m, 0)
    feeds[1] = np.ones([3], np.float32)
    with pytest.raises(_core.StatusError) as exc:
        g.step(feeds)
    assert exc.value.args[0] == 3
    assert "var and grad do not have the same shape[2,3] [3]" in exc.value.args[1]
    feeds = _train_feeds("KerasMomentum_float32", m, 0)
    feeds[0] = np.ones([2], np.float32)
    with pytest.raises(_core.StatusError) as exc:
        g.step(feeds)
    assert "lr is not a scalar: [2]" in exc.value.args[1]
    g.step(_train_feeds("KerasMomentum_float32", m, 0))


def test_amsgrad_slot_shape_mismatch():
    g, m = _train_graph("AdamWithAmsgrad_float32")
    init = list(_get("train", "AdamWithAmsgrad_float32", "init"))
    init[3] = np.zeros([3], np.float32)
    g.init(init)
    with pytest.raises(_core.StatusError) as exc:
        g.step(_train_feeds("AdamWithAmsgrad_float32", m, 0))
    assert exc.value.args[0] == 3
    assert "var and vhat do not have the same shape[2,3] [3]" in exc.value.args[1]
