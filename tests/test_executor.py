"""Executor semantics that TF-made cases show only indirectly: ref variables
are one buffer updated in place and aliased by reads; resource variable reads
are values; a kernel reusing a dying input's buffer never touches a fed array,
a constant or a variable; concurrent runs of one session stay consistent."""
import threading

import numpy as np

import metarun  # noqa: F401 -- installs the host kernels
from metarun import _core
from metarun.framework import dtypes as tf
from op_harness import Shape, add_const, add_node

F32 = tf.float32
REF, RES = ("float32_ref",), ("resource",)


class G(object):
    """A small graph written node by node with the harness's add_node."""

    def __init__(self):
        self.g = _core.Graph()

    def add(self, name, op, inputs=(), out=("float32",), control=(), **attrs):
        return add_node(self.g, name, op, inputs, out, control, **attrs)

    def const(self, name, value):
        return add_const(self.g, name, np.asarray(value, np.float32))

    def ref_var(self, name, shape=()):
        return self.add(name, "VariableV2", out=REF, dtype=F32, shape=Shape(list(shape)), container="",
                        shared_name="")

    def session(self):
        return _core.Session(self.g, 1)


def test_a_read_of_a_ref_variable_sees_an_update_ordered_after_it():
    g = G()
    v = g.ref_var("v")
    init = g.add("init", "Assign", [v, g.const("c0", 1.0)], out=REF, T=F32)
    read = g.add("read", "Identity", [v], T=F32)
    bump = g.add("bump", "AssignAdd", [v, g.const("c1", 10.0)], out=REF, control=[read],
                 T=F32, use_locking=False)
    after = g.add("after", "Identity", [read], control=[bump], T=F32)
    s = g.session()
    s.run([], [], [], [init])
    # `read` was computed before the update, but aliases the variable's buffer.
    assert s.run([], [], [(after, 0)], [])[0] == np.float32(11.0)
    assert s.run([], [], [(v, 0)], [])[0] == np.float32(11.0)


def test_assign_of_the_same_shape_writes_into_the_buffer_reads_hold():
    g = G()
    v = g.ref_var("v", [2])
    init = g.add("init", "Assign", [v, g.const("c0", [1.0, 2.0])], out=REF, T=F32)
    read = g.add("read", "Identity", [v], T=F32)
    put = g.add("put", "Assign", [v, g.const("c1", [5.0, 6.0])], out=REF, control=[read], T=F32)
    after = g.add("after", "Identity", [read], control=[put], T=F32)
    s = g.session()
    s.run([], [], [], [init])
    np.testing.assert_array_equal(s.run([], [], [(after, 0)], [])[0], [5.0, 6.0])


def test_a_fetched_value_is_a_snapshot_of_the_variable():
    g = G()
    v = g.ref_var("v")
    init = g.add("init", "Assign", [v, g.const("c0", 1.0)], out=REF, T=F32)
    bump = g.add("bump", "AssignAdd", [v, g.const("c1", 1.0)], out=REF, T=F32)
    s = g.session()
    s.run([], [], [], [init])
    first = s.run([], [], [(v, 0)], [])[0]
    s.run([], [], [], [bump])
    assert first == np.float32(1.0)  # numpy got its own copy
    assert s.run([], [], [(v, 0)], [])[0] == np.float32(2.0)


def test_a_resource_variable_read_is_a_value():
    g = G()
    h = g.add("h", "VarHandleOp", out=RES, dtype=F32, shape=Shape([]),
              container="", shared_name="h")
    init = g.add("init", "AssignVariableOp", [h, g.const("c0", 1.0)], out=(), dtype=F32)
    read = g.add("read", "ReadVariableOp", [h], dtype=F32)
    bump = g.add("bump", "AssignAddVariableOp", [h, g.const("c1", 10.0)], out=(), control=[read],
                 dtype=F32)
    after = g.add("after", "Identity", [read], control=[bump], T=F32)
    s = g.session()
    s.run([], [], [], [init])
    assert s.run([], [], [(after, 0)], [])[0] == np.float32(1.0)
    assert s.run([], [], [(read, 0)], [])[0] == np.float32(11.0)


def test_reusing_a_dying_input_buffer_never_writes_into_feeds_constants_or_variables():
    g = G()
    x = g.add("x", "Placeholder", dtype=F32)
    v = g.ref_var("v", [3])
    c = g.const("c", [1.0, 2.0, 3.0])
    init = g.add("init", "Assign", [v, c], out=REF, T=F32)
    read = g.add("read", "Identity", [v], T=F32)
    a = g.add("a", "AddV2", [x, c], T=F32)       # x is fed, c is a constant
    b = g.add("b", "AddV2", [read, a], T=F32)    # read aliases the variable
    d = g.add("d", "Mul", [b, b], T=F32)          # b may be reused here
    s = g.session()
    s.run([], [], [], [init])
    fed = np.array([10.0, 20.0, 30.0], np.float32)
    out = s.run([(x, 0)], [(fed, 1)], [(d, 0), (c, 0), (v, 0)], [])
    np.testing.assert_array_equal(out[0], [144.0, 576.0, 1296.0])
    np.testing.assert_array_equal(out[1], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(out[2], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(fed, [10.0, 20.0, 30.0])


def test_concurrent_locked_updates_of_one_ref_variable_add_up():
    g = G()
    v = g.ref_var("v")
    init = g.add("init", "Assign", [v, g.const("c0", 0.0)], out=REF, T=F32)
    bump = g.add("bump", "AssignAdd", [v, g.const("c1", 1.0)], out=REF, T=F32,
                 use_locking=True)
    read = g.add("read", "Identity", [bump], T=F32)
    s = g.session()
    s.run([], [], [], [init])
    errors = []

    def work():
        try:
            for _ in range(500):
                value = s.run([], [], [(read, 0)], [])[0]
                assert 1.0 <= value <= 2000.0
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert s.run([], [], [(v, 0)], [])[0] == np.float32(2000.0)
