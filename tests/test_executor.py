"""Executor semantics that TF-made cases show only indirectly: ref variables
are one buffer updated in place and aliased by reads; resource variable reads
are values; a kernel reusing a dying input's buffer never touches a fed array,
a constant or a variable; concurrent runs of one session stay consistent."""
import threading

import numpy as np

import metarun  # noqa: F401 -- installs the host kernels
from metarun import _core

F32, F32_REF, RESOURCE = 1, 101, 20


class G(object):
    """A small graph written node by node."""

    def __init__(self):
        self.g = _core.Graph()

    def add(self, name, op, inputs=(), out=(F32,), control=(), **attrs):
        return self.g.add_node(name, op, "", [(i, 0) if isinstance(i, int) else i for i in inputs],
                               list(control), attrs, list(out))

    def const(self, name, value):
        arr = np.asarray(value, np.float32)
        return self.add(name, "Const", dtype=("type", F32), value=("tensor", (arr, F32)))

    def ref_var(self, name, shape=()):
        return self.add(name, "VariableV2", out=(F32_REF,), dtype=("type", F32), shape=("shape", list(shape)),
                        container=("s", b""), shared_name=("s", b""))

    def session(self):
        return _core.Session(self.g, 1)


def test_a_read_of_a_ref_variable_sees_an_update_ordered_after_it():
    g = G()
    v = g.ref_var("v")
    init = g.add("init", "Assign", [v, g.const("c0", 1.0)], out=(F32_REF,), T=("type", F32))
    read = g.add("read", "Identity", [v], T=("type", F32))
    bump = g.add("bump", "AssignAdd", [v, g.const("c1", 10.0)], out=(F32_REF,), control=[read],
                 T=("type", F32), use_locking=("b", False))
    after = g.add("after", "Identity", [read], control=[bump], T=("type", F32))
    s = g.session()
    s.run([], [], [], [init])
    # `read` was computed before the update, but aliases the variable's buffer.
    assert s.run([], [], [(after, 0)], [])[0] == np.float32(11.0)
    assert s.run([], [], [(v, 0)], [])[0] == np.float32(11.0)


def test_assign_of_the_same_shape_writes_into_the_buffer_reads_hold():
    g = G()
    v = g.ref_var("v", [2])
    init = g.add("init", "Assign", [v, g.const("c0", [1.0, 2.0])], out=(F32_REF,), T=("type", F32))
    read = g.add("read", "Identity", [v], T=("type", F32))
    put = g.add("put", "Assign", [v, g.const("c1", [5.0, 6.0])], out=(F32_REF,), control=[read], T=("type", F32))
    after = g.add("after", "Identity", [read], control=[put], T=("type", F32))
    s = g.session()
    s.run([], [], [], [init])
    np.testing.assert_array_equal(s.run([], [], [(after, 0)], [])[0], [5.0, 6.0])


def test_a_fetched_value_is_a_snapshot_of_the_variable():
    g = G()
    v = g.ref_var("v")
    init = g.add("init", "Assign", [v, g.const("c0", 1.0)], out=(F32_REF,), T=("type", F32))
    bump = g.add("bump", "AssignAdd", [v, g.const("c1", 1.0)], out=(F32_REF,), T=("type", F32))
    s = g.session()
    s.run([], [], [], [init])
    first = s.run([], [], [(v, 0)], [])[0]
    s.run([], [], [], [bump])
    assert first == np.float32(1.0)  # numpy got its own copy
    assert s.run([], [], [(v, 0)], [])[0] == np.float32(2.0)


def test_a_resource_variable_read_is_a_value():
    g = G()
    h = g.add("h", "VarHandleOp", out=(RESOURCE,), dtype=("type", F32), shape=("shape", []),
              container=("s", b""), shared_name=("s", b"h"))
    init = g.add("init", "AssignVariableOp", [h, g.const("c0", 1.0)], out=(), dtype=("type", F32))
    read = g.add("read", "ReadVariableOp", [h], dtype=("type", F32))
    bump = g.add("bump", "AssignAddVariableOp", [h, g.const("c1", 10.0)], out=(), control=[read],
                 dtype=("type", F32))
    after = g.add("after", "Identity", [read], control=[bump], T=("type", F32))
    s = g.session()
    s.run([], [], [], [init])
    assert s.run([], [], [(after, 0)], [])[0] == np.float32(1.0)
    assert s.run([], [], [(read, 0)], [])[0] == np.float32(11.0)


def test_reusing_a_dying_input_buffer_never_writes_into_feeds_constants_or_variables():
    g = G()
    x = g.add("x", "Placeholder", dtype=("type", F32))
    v = g.ref_var("v", [3])
    c = g.const("c", [1.0, 2.0, 3.0])
    init = g.add("init", "Assign", [v, c], out=(F32_REF,), T=("type", F32))
    read = g.add("read", "Identity", [v], T=("type", F32))
    a = g.add("a", "AddV2", [x, c], T=("type", F32))       # x is fed, c is a constant
    b = g.add("b", "AddV2", [read, a], T=("type", F32))    # read aliases the variable
    d = g.add("d", "Mul", [b, b], T=("type", F32))          # b may be reused here
    s = g.session()
    s.run([], [], [], [init])
    fed = np.array([10.0, 20.0, 30.0], np.float32)
    out = s.run([(x, 0)], [(fed, F32)], [(d, 0), (c, 0), (v, 0)], [])
    np.testing.assert_array_equal(out[0], [144.0, 576.0, 1296.0])
    np.testing.assert_array_equal(out[1], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(out[2], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(fed, [10.0, 20.0, 30.0])


def test_concurrent_locked_updates_of_one_ref_variable_add_up():
    g = G()
    v = g.ref_var("v")
    init = g.add("init", "Assign", [v, g.const("c0", 0.0)], out=(F32_REF,), T=("type", F32))
    bump = g.add("bump", "AssignAdd", [v, g.const("c1", 1.0)], out=(F32_REF,), T=("type", F32),
                 use_locking=("b", True))
    read = g.add("read", "Identity", [bump], T=("type", F32))
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
