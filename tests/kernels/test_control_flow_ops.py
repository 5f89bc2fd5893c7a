"""Control-flow, TensorArray and stack kernels. Loops, conds and V3
TensorArrays run end to end in the TF-made cases (tests/fixtures/cases:
while_loops, cond_branches, tensor_arrays, dynamic_rnn, replayed by
test_cases.py); this module covers the forms those graphs do not use: Ref
variants, ControlTrigger, V2 TensorArray names and stacks, on hand-built
graphs whose expected values are plain Python."""
import numpy as np
import pytest

from metarun import _core
from op_harness import add_const

COVERAGE = {op: set() for op in (
    "Switch", "RefSwitch", "Merge", "RefMerge", "ControlTrigger", "Enter", "RefEnter", "Exit", "RefExit",
    "NextIteration", "RefNextIteration", "LoopCond", "StackV2", "StackPushV2", "StackPopV2", "StackCloseV2",
    "Stack", "StackPush", "StackPop", "StackClose")}
for _v in ("V2", "V3"):
    COVERAGE.update({"TensorArray%s%s" % (name, _v): set() for name in (
        "", "Write", "Read", "Gather", "Scatter", "Size", "Concat", "Split", "Grad", "Close")})

F32, I32, BOOL, STR, RES = 1, 3, 10, 7, 20


def test_ref_switch_and_merge_forward_the_variable():
    g = _core.Graph()
    init = add_const(g, "init", np.float32(5))
    var = g.add_node("v", "VariableV2", "", [], [], {"dtype": ("type", F32), "shape": ("shape", [])}, [101])
    assign = g.add_node("assign", "Assign", "", [(var, 0), (init, 0)], [], {"T": ("type", F32)}, [101])
    pred = add_const(g, "pred", True)
    sw = g.add_node("sw", "RefSwitch", "", [(var, 0), (pred, 0)], [], {"T": ("type", F32)}, [101, 101])
    merge = g.add_node("m", "RefMerge", "", [(sw, 0), (sw, 1)], [], {"T": ("type", F32), "N": ("i", 2)}, [101, I32])
    trigger = g.add_node("trigger", "ControlTrigger", "", [], [sw], {}, [])
    s = _core.Session(g, 1)
    s.run([], [], [], [assign])
    value, index = s.run([], [], [(merge, 0), (merge, 1)], [trigger])
    assert value == 5.0 and index == 1


def _ta_graph(version, handle_dtype):
    g = _core.Graph()
    size = add_const(g, "size", np.int32(3))
    ta = g.add_node("ta", "TensorArray" + version, "", [(size, 0)], [],
                    {"dtype": ("type", F32), "element_shape": ("shape", None), "dynamic_size": ("b", False),
                     "clear_after_read": ("b", False), "tensor_array_name": ("s", b"")},
                    [handle_dtype, F32] if version == "V3" else [handle_dtype])
    flow = (ta, 1) if version == "V3" else (add_const(g, "flow", np.float32(0)), 0)
    value = add_const(g, "value", np.arange(6, dtype=np.float32).reshape(3, 2))
    idx = add_const(g, "idx", np.array([2, 0, 1], np.int32))
    scatter = g.add_node("scatter", "TensorArrayScatter" + version, "", [(ta, 0), (idx, 0), (value, 0), flow], [],
                         {"T": ("type", F32)}, [F32])
    one = add_const(g, "one", np.int32(1))
    read = g.add_node("read", "TensorArrayRead" + version, "", [(ta, 0), (one, 0), (scatter, 0)], [],
                      {"dtype": ("type", F32)}, [F32])
    gather = g.add_node("gather", "TensorArrayGather" + version, "", [(ta, 0), (idx, 0), (scatter, 0)], [],
                        {"dtype": ("type", F32), "element_shape": ("shape", None)}, [F32])
    sz = g.add_node("sz", "TensorArraySize" + version, "", [(ta, 0), (scatter, 0)], [], {}, [I32])
    concat = g.add_node("concat", "TensorArrayConcat" + version, "", [(ta, 0), (scatter, 0)], [],
                        {"dtype": ("type", F32), "element_shape_except0": ("shape", None)}, [F32, 9])
    grad = g.add_node("grad", "TensorArrayGrad" + version, "", [(ta, 0), (scatter, 0)], [], {"source": ("s", b"g")},
                      [handle_dtype, F32] if version == "V3" else [handle_dtype])
    close = g.add_node("close", "TensorArrayClose" + version, "", [(ta, 0)], [gather, concat], {}, [])
    return g, read, gather, sz, concat, grad, close


@pytest.mark.parametrize("version,handle", [("V3", RES), ("V2", STR)])
def test_tensor_array_scatter_read_gather_size_concat(version, handle):
    g, read, gather, sz, concat, grad, close = _ta_graph(version, handle)
    s = _core.Session(g, 1)
    r, gat, n, cat, lengths = s.run([], [], [(read, 0), (gather, 0), (sz, 0), (concat, 0), (concat, 1)], [])
    value = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_array_equal(r, value[2])                # index 1 got row 2
    np.testing.assert_array_equal(gat, value)                 # gathering [2,0,1] undoes the scatter
    assert n == 3
    np.testing.assert_array_equal(cat, np.array([2, 3, 4, 5, 0, 1], np.float32))
    np.testing.assert_array_equal(lengths, [2, 2, 2])  # each element is a row of 2
    s.run([], [], [(grad, 0)], [close])


def test_tensor_array_split_then_read():
    g = _core.Graph()
    size = add_const(g, "size", np.int32(2))
    ta = g.add_node("ta", "TensorArrayV3", "", [(size, 0)], [],
                    {"dtype": ("type", F32), "element_shape": ("shape", None)}, [RES, F32])
    value = add_const(g, "value", np.arange(5, dtype=np.float32))
    lengths = add_const(g, "lengths", np.array([2, 3], np.int64))
    split = g.add_node("split", "TensorArraySplitV3", "", [(ta, 0), (value, 0), (lengths, 0), (ta, 1)], [],
                       {"T": ("type", F32)}, [F32])
    one = add_const(g, "one", np.int32(1))
    read = g.add_node("read", "TensorArrayReadV3", "", [(ta, 0), (one, 0), (split, 0)], [],
                      {"dtype": ("type", F32)}, [F32])
    np.testing.assert_array_equal(_core.Session(g, 1).run([], [], [(read, 0)], [])[0], [2.0, 3.0, 4.0])


def test_tensor_array_errors():
    g = _core.Graph()
    size = add_const(g, "size", np.int32(2))
    ta = g.add_node("ta", "TensorArrayV3", "", [(size, 0)], [],
                    {"dtype": ("type", F32), "element_shape": ("shape", None)}, [RES, F32])
    five = add_const(g, "five", np.int32(5))
    x = add_const(g, "x", np.float32(1))
    write = g.add_node("w", "TensorArrayWriteV3", "", [(ta, 0), (five, 0), (x, 0), (ta, 1)], [],
                       {"T": ("type", F32)}, [F32])
    read = g.add_node("r", "TensorArrayReadV3", "", [(ta, 0), (five, 0), (ta, 1)], [], {"dtype": ("type", F32)}, [F32])
    s = _core.Session(g, 1)
    for fetch in (write, read):
        with pytest.raises(_core.StatusError) as e:
            s.run([], [], [(fetch, 0)], [])
        assert e.value.args[0] == 3


@pytest.mark.parametrize("v2", [True, False])
def test_stack_push_pop_is_last_in_first_out(v2):
    g = _core.Graph()
    suffix = "V2" if v2 else ""
    inputs = [(add_const(g, "max", np.int32(-1)), 0)] if v2 else []
    stack = g.add_node("s", "Stack" + suffix, "", inputs, [], {"elem_type": ("type", F32), "stack_name": ("s", b"s")},
                       [RES if v2 else STR])
    a, b = add_const(g, "a", np.float32(1)), add_const(g, "b", np.float32(2))
    push_a = g.add_node("pa", "StackPush" + suffix, "", [(stack, 0), (a, 0)], [], {"T": ("type", F32)}, [F32])
    push_b = g.add_node("pb", "StackPush" + suffix, "", [(stack, 0), (b, 0)], [push_a], {"T": ("type", F32)}, [F32])
    pop1 = g.add_node("p1", "StackPop" + suffix, "", [(stack, 0)], [push_b], {"elem_type": ("type", F32)}, [F32])
    pop2 = g.add_node("p2", "StackPop" + suffix, "", [(stack, 0)], [pop1], {"elem_type": ("type", F32)}, [F32])
    pop3 = g.add_node("p3", "StackPop" + suffix, "", [(stack, 0)], [pop2], {"elem_type": ("type", F32)}, [F32])
    close = g.add_node("c", "StackClose" + suffix, "", [(stack, 0)], [pop2], {}, [])
    s = _core.Session(g, 1)
    assert s.run([], [], [(pop1, 0), (pop2, 0)], [close]) == [2.0, 1.0]
    with pytest.raises(_core.StatusError) as e:
        s.run([], [], [(pop3, 0)], [])
    assert e.value.args[0] == 11  # OutOfRange: popping an empty stack


def test_stack_max_size_must_be_a_scalar():
    g = _core.Graph()
    empty = add_const(g, "max", np.zeros([0], np.int32))
    stack = g.add_node("s", "StackV2", "", [(empty, 0)], [], {"elem_type": ("type", F32), "stack_name": ("s", b"s")},
                       [RES])
    s = _core.Session(g, 1)
    with pytest.raises(_core.StatusError) as e:
        s.run([], [], [(stack, 0)], [])
    assert e.value.args[0] == 3
    assert "scalar" in e.value.args[1]


def _unwritten_read_graph(version, element_shape, identical=None, write_shape=(2,)):
    """A size-3 TensorArray with element 0 written, then element 2 read."""
    g = _core.Graph()
    size = add_const(g, "size", np.int32(3))
    attrs = {"dtype": ("type", F32), "element_shape": ("shape", element_shape)}
    if identical is not None:
        attrs["identical_element_shapes"] = ("b", identical)
    ta = g.add_node("ta", "TensorArray" + version, "", [(size, 0)], [], attrs, [RES if version == "V3" else STR, F32])
    zero, two = add_const(g, "zero", np.int32(0)), add_const(g, "two", np.int32(2))
    x = add_const(g, "x", np.ones(write_shape, np.float32))
    write = g.add_node("w", "TensorArrayWrite" + version, "", [(ta, 0), (zero, 0), (x, 0), (ta, 1)], [],
                       {"T": ("type", F32)}, [F32])
    read = g.add_node("r", "TensorArrayRead" + version, "", [(ta, 0), (two, 0), (write, 0)], [],
                      {"dtype": ("type", F32)}, [F32])
    rewrite = g.add_node("w2", "TensorArrayWrite" + version, "", [(ta, 0), (two, 0), (x, 0), (read, 0)], [],
                         {"T": ("type", F32)}, [F32])
    return _core.Session(g, 1), read, rewrite


@pytest.mark.parametrize("version", ["V2", "V3"])
def test_an_unwritten_element_of_a_known_shape_reads_as_zeros(version):
    s, read, _ = _unwritten_read_graph(version, [2])
    np.testing.assert_array_equal(s.run([], [], [(read, 0)], [])[0], np.zeros([2], np.float32))


def test_identical_element_shapes_take_the_shape_of_the_first_write():
    s, read, _ = _unwritten_read_graph("V3", [-1], identical=True, write_shape=(4,))
    np.testing.assert_array_equal(s.run([], [], [(read, 0)], [])[0], np.zeros([4], np.float32))


def test_an_unwritten_element_of_unknown_shape_cannot_be_read():
    s, read, _ = _unwritten_read_graph("V3", [-1], identical=False)
    with pytest.raises(_core.StatusError) as e:
        s.run([], [], [(read, 0)], [])
    assert e.value.args[0] == 3
    assert "element shape is not fully defined" in e.value.args[1]


def test_an_element_cannot_be_written_after_it_was_read():
    s, _, rewrite = _unwritten_read_graph("V3", [2])
    with pytest.raises(_core.StatusError) as e:
        s.run([], [], [(rewrite, 0)], [])
    assert e.value.args[0] == 3
    assert "already been read" in e.value.args[1]
