"""Variable kernels (state.cpp) over every dtype they are registered for:
AssignAdd/AssignSub on ref variables and their resource-variable forms, run
through one Session so the variable persists between runs."""
import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import add_const

NUMBER = ["float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "uint16",
          "uint32", "uint64", "complex64", "complex128"]
COVERAGE = {op: set(NUMBER) for op in ("AssignAdd", "AssignSub", "AssignAddVariableOp", "AssignSubVariableOp")}
COVERAGE.update({op: set() for op in (
    "Const", "Placeholder", "Identity", "VariableV2", "Variable", "Assign", "IsVariableInitialized", "NoOp",
    "VarHandleOp", "ReadVariableOp", "AssignVariableOp", "VarIsInitializedOp", "DestroyResourceOp")})


def _enum(name):
    return dtypes.as_dtype(name).as_datatype_enum


def _values(name):
    np_type = dtypes.as_dtype(name).as_numpy_dtype
    return np.array([1, 2, 3], dtype=np.float64).astype(np_type), np.array([4, 5, 6]).astype(np_type)


def _ref_graph(name, op_type, init, delta):
    g = _core.Graph()
    t = _enum(name)
    c_init = add_const(g, "init", init)
    c_delta = add_const(g, "delta", delta)
    var = g.add_node("v", "VariableV2", "", [], [], {"dtype": ("type", t), "shape": ("shape", [3])}, [t + 100])
    assign = g.add_node("assign", "Assign", "", [(var, 0), (c_init, 0)], [], {"T": ("type", t)}, [t + 100])
    update = g.add_node("update", op_type, "", [(var, 0), (c_delta, 0)], [], {"T": ("type", t)}, [t + 100])
    return g, assign, update


def _resource_graph(name, op_type, init, delta):
    g = _core.Graph()
    t = _enum(name)
    c_init = add_const(g, "init", init)
    c_delta = add_const(g, "delta", delta)
    h = g.add_node("v", "VarHandleOp", "", [], [], {"dtype": ("type", t), "shape": ("shape", [3]),
                                                    "shared_name": ("s", b"v")}, [20])
    assign = g.add_node("assign", "AssignVariableOp", "", [(h, 0), (c_init, 0)], [], {"dtype": ("type", t)}, [])
    update = g.add_node("update", op_type, "", [(h, 0), (c_delta, 0)], [], {"dtype": ("type", t)}, [])
    read = g.add_node("read", "ReadVariableOp", "", [(h, 0)], [(update)], {"dtype": ("type", t)}, [t])
    return g, assign, read


@pytest.mark.parametrize("name", NUMBER)
@pytest.mark.parametrize("op", ["AssignAdd", "AssignSub"])
def test_ref_update(op, name):
    init, delta = _values(name)
    g, assign, update = _ref_graph(name, op, init, delta)
    s = _core.Session(g, 1)
    s.run([], [], [], [assign])
    expect = init
    for _ in (1, 2):
        out = s.run([], [], [(update, 0)], [])[0]
        if name == "bfloat16":
            out = out.view(dtypes.bfloat16.as_numpy_dtype)
        expect = (expect + delta if op == "AssignAdd" else expect - delta).astype(init.dtype)
        np.testing.assert_array_equal(out, expect)


@pytest.mark.parametrize("name", NUMBER)
@pytest.mark.parametrize("op", ["AssignAddVariableOp", "AssignSubVariableOp"])
def test_resource_update(op, name):
    init, delta = _values(name)
    g, assign, read = _resource_graph(name, op, init, delta)
    s = _core.Session(g, 1)
    s.run([], [], [], [assign])
    out = s.run([], [], [(read, 0)], [])[0]
    if name == "bfloat16":
        out = out.view(dtypes.bfloat16.as_numpy_dtype)
    expect = (init + delta if op == "AssignAddVariableOp" else init - delta).astype(init.dtype)
    np.testing.assert_array_equal(out, expect)


def test_update_of_uninitialized_variable_is_failed_precondition():
    init, delta = _values("float32")
    g, assign, update = _ref_graph("float32", "AssignAdd", init, delta)
    with pytest.raises(_core.StatusError) as e:
        _core.Session(g, 1).run([], [], [(update, 0)], [])
    assert e.value.args[0] == 9 and "uninitialized value v" in e.value.args[1]


def test_shape_mismatch_is_invalid_argument():
    g, assign, update = _ref_graph("float32", "AssignAdd", np.zeros(3, np.float32), np.zeros(2, np.float32))
    s = _core.Session(g, 1)
    s.run([], [], [], [assign])
    with pytest.raises(_core.StatusError) as e:
        s.run([], [], [(update, 0)], [])
    assert e.value.args[0] == 3 and "lhs shape= [3] rhs shape= [2]" in e.value.args[1]


IDENTITIES = ["Identity", "IdentityN", "StopGradient", "PreventGradient", "Snapshot", "RefIdentity",
              "PlaceholderWithDefault"]
COVERAGE.update({op: set() for op in IDENTITIES + ["PlaceholderV2", "DisableCopyOnRead"]})


@pytest.mark.parametrize("op", IDENTITIES)
def test_identity_like_ops_pass_values_through(op):
    from op_harness import run_op
    for x in (np.float32(2.5), np.arange(6, dtype=np.int64).reshape(2, 3), np.zeros((0, 2), np.float16),
              np.array([b"a", b""], dtype=object)):
        attrs = {"T": dtypes.as_dtype(x.dtype if x.dtype != object else "string")}
        if op == "PlaceholderWithDefault":
            attrs = {"dtype": attrs["T"]}
        out = run_op(op, [x], attrs, [dtypes.string if x.dtype == object else dtypes.as_dtype(x.dtype)])[0]
        assert out.shape == np.shape(x)
        assert out.tolist() == np.asarray(x).tolist()


def test_unfed_placeholder_v2_names_itself():
    g = _core.Graph()
    p = g.add_node("p", "PlaceholderV2", "", [], [], {"dtype": ("type", 1), "shape": ("shape", [-1, 2])}, [1])
    with pytest.raises(_core.StatusError) as e:
        _core.Session(g, 1).run([], [], [(p, 0)], [])
    assert e.value.args[1] == "You must feed a value for placeholder tensor 'p' with dtype float and shape [?,2]"


def test_disable_copy_on_read_is_a_no_op():
    init, _ = _values("float32")
    g, assign, read = _resource_graph("float32", "AssignAddVariableOp", init, init)
    h = 2  # the VarHandleOp node
    noop = g.add_node("dcor", "DisableCopyOnRead", "", [(h, 0)], [], {}, [])
    s = _core.Session(g, 1)
    s.run([], [], [], [assign, noop])
