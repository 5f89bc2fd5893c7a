"""TensorList ops, and ZerosLike / AddN / Identity of lists, against TF-made graphs.

tensor_list.npz (written by tests/fixtures/kernels/gen_tensor_list.py with TF) holds small
GraphDefs built with tf.raw_ops.TensorList*, their feeds, and what TF's Session returned or
raised. Each is imported with tf.import_graph_def and run in a metarun Session; values must be
equal (float sums: to rounding), errors of the same class with TF's message. Cases needing the
functional ops (v2 while loops) are skipped while those kernels are missing.

Also here: copy-on-write (a list shared by several consumers never changes under them, and a
list nobody else holds is changed in place) on graphs built in the core.
"""
import json
import os

import numpy as np
import pytest

import metarun as tf
from metarun import _core
from op_harness import add_node, add_placeholder, enum, kernel_fixture, load_npz

LIST_OPS = ["EmptyTensorList", "TensorListReserve", "TensorListFromTensor", "TensorListStack", "TensorListGetItem",
            "TensorListSetItem", "TensorListPushBack", "TensorListPushBackBatch", "TensorListPopBack",
            "TensorListLength", "TensorListElementShape", "TensorListConcat", "TensorListConcatV2",
            "TensorListConcatLists", "TensorListSplit", "TensorListGather", "TensorListScatter",
            "TensorListScatterV2", "TensorListScatterIntoExistingList", "TensorListResize"]
COVERAGE = {op: set() for op in LIST_OPS}
COVERAGE["ZerosLike"] = {"variant"}
COVERAGE["AddN"] = {"variant"}


def _load():
    data = load_npz(kernel_fixture("tensor_list.npz"))
    cases = {}
    for key, arr in data.items():
        name, part = key.split(".", 1)
        cases.setdefault(name, {})[part] = arr
    out = []
    for name in sorted(cases):
        parts = cases[name]
        meta = json.loads(parts["meta"].tobytes().decode())
        meta["name"] = name
        meta["graph"] = parts["graph"].tobytes()
        meta["feed_values"] = [parts["feed%d" % j] for j in range(len(meta["feeds"]))]
        if meta["error"] is None:
            meta["outputs"] = [parts["out%d" % j] for j in range(len(meta["fetches"]))]
        out.append(meta)
    return out


CASES = _load()


def _feed(value):
    return np.asarray(value.tolist(), dtype=object) if value.dtype.kind == "S" else value


def _check(expected, got, what):
    got = np.asarray(got)
    if expected.dtype.kind == "S":
        assert got.dtype == object, what
        assert got.shape == expected.shape, what
        assert [bytes(x) for x in got.reshape(-1)] == list(expected.reshape(-1)), what
        return
    assert got.dtype == expected.dtype, (what, got.dtype, expected.dtype)
    assert got.shape == expected.shape, (what, got.shape, expected.shape)
    if expected.dtype.kind in "fc":
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6, err_msg=what)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=what)


@pytest.mark.parametrize("case", [pytest.param(c, id=c["name"]) for c in CASES])
def test_tf_graph(case):
    missing = [op for op in case["needs"] if op not in _core.registered_kernels()]
    if missing:
        pytest.skip("no kernel yet for %s" % ", ".join(missing))
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(tf.GraphDef.FromString(case["graph"]), name="")
    feeds = {graph.get_tensor_by_name(n): _feed(v) for n, v in zip(case["feeds"], case["feed_values"])}
    fetches = [graph.get_tensor_by_name(n) for n in case["fetches"]]
    with tf.Session(graph=graph) as sess:
        if case["error"]:
            with pytest.raises(tf.errors.OpError) as info:
                sess.run(fetches, feeds)
            assert type(info.value).__name__ == case["error"]["class"], info.value.message
            message = info.value.message.split("\n\t [[")[0].strip()
            assert message == case["error"]["message"]
            return
        for _ in range(2):  # a second run sees the same lists: nothing was changed in place that is kept
            outs = sess.run(fetches, feeds)
            for name, expected, got in zip(case["fetches"], case["outputs"], outs):
                _check(expected, got, name)


def test_cases_cover_every_list_op():
    used = set()
    for c in CASES:
        for node in tf.GraphDef.FromString(c["graph"]).node:
            used.add(node.op)
    assert set(LIST_OPS) <= used, sorted(set(LIST_OPS) - used)
    assert {"ZerosLike", "AddN", "Identity"} <= used


def test_coverage():
    reg = _core.registered_kernels()
    for op in ["ZerosLike", "AddN"]:
        assert tf.variant.as_datatype_enum in reg[op], op
    for op in LIST_OPS:
        assert op in _core.registered_kernels(), op


# -- copy-on-write, on graphs built in the core ------------------------------------------------------

F32, I32, VARIANT = enum("float32"), enum("int32"), enum("variant")


def _const_i32(g, name, value):
    arr = np.asarray(value, np.int32)
    return g.add_node(name, "Const", "", [], [], {"value": ("tensor", (arr, I32)), "dtype": ("type", I32)}, [I32])


def _push_chain(n, fork_at=None):
    """EmptyTensorList -> n PushBacks of the fed x, then a Stack; with fork_at, the list after that
    push also feeds a second Stack (so that push's output has two consumers)."""
    g = _core.Graph()
    x = add_placeholder(g, "x", "float32")
    shape = _const_i32(g, "shape", -1)
    maxn = _const_i32(g, "max", -1)
    attrs = {"element_dtype": tf.float32}
    l = add_node(g, "empty", "EmptyTensorList", [shape, maxn], [VARIANT], element_dtype=tf.float32,
                 shape_type=tf.int32)
    fork = None
    for k in range(n):
        l = add_node(g, "push%d" % k, "TensorListPushBack", [l, x], [VARIANT], **attrs)
        if k == fork_at:
            fork = l
    stack = add_node(g, "stack", "TensorListStack", [l, shape], [F32], num_elements=-1, **attrs)
    fetches = [(stack, 0)]
    if fork is not None:
        fetches.append((add_node(g, "stack_fork", "TensorListStack", [fork, shape], [F32], num_elements=-1,
                                 **attrs), 0))
    return g, (x, 0), fetches


def test_pushes_of_an_unshared_list_and_a_forked_one():
    g, x, fetches = _push_chain(6, fork_at=2)
    sess = _core.Session(g, 1)
    whole, forked = sess.run([x], [(np.array([1.5, 2.5], np.float32), F32)], fetches, [])
    assert whole.shape == (6, 2) and forked.shape == (3, 2)
    np.testing.assert_array_equal(whole, np.tile([1.5, 2.5], (6, 1)).astype(np.float32))
    np.testing.assert_array_equal(forked, np.tile([1.5, 2.5], (3, 1)).astype(np.float32))


def test_many_pushes_cost_constant_time_each():
    """A chain of pushes whose list nobody else holds is changed in place: 20000 pushes take a few
    ms (copying the element vector at each push would be 200M tensor copies, seconds)."""
    import time
    g, x, fetches = _push_chain(20000)
    sess = _core.Session(g, 1)
    feed = [(np.array([1.0], np.float32), F32)]
    sess.run([x], feed, fetches, [])
    start = time.perf_counter()
    out, = sess.run([x], feed, fetches, [])
    elapsed = time.perf_counter() - start
    assert out.shape == (20000, 1)
    assert elapsed < 1.0, elapsed
