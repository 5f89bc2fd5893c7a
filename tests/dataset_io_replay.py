"""Replays the TF-made tf.data cases of tests/fixtures/kernels/dataset_io (written by
kernels/gen_dataset_io.py) in metarun: each case's GraphDef imported into a fresh graph, its
`filenames` placeholder fed with the case's data files, and every step run in order in one
Session per recorded session: initializations, each element TF yielded, the end of data
(OutOfRangeError) and errors with TF's class and message.

Cases marked random (unseeded shuffles) are compared as multisets per pass between two
initializations, and two passes must not come out in one order. Cases reading compressed files
are skipped when metarun was built without zlib (its readers then refuse them).

Also the replay the other TF-made tf.data cases share (tests/kernels/test_dataset_ops*.py): a
case's graph imported (import_graph) and its recorded feed/fetch steps run in one Session
(replay_steps).
"""
import functools
import json
import os

import numpy as np
import pytest

import metarun as tf
from metarun import _core
from metarun.framework import protos

from op_harness import KERNEL_FIXTURES, Shape, add_const, add_node

DATA_DIR = os.path.join(KERNEL_FIXTURES, "dataset_io")


def load_cases():
    with open(os.path.join(DATA_DIR, "expected.json")) as f:
        return {c["name"]: c for c in json.load(f)["cases"]}


def decode(value):
    if isinstance(value, dict):
        return bytes.fromhex(value["hex"])
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def as_python(got):
    arr = np.asarray(got)
    if arr.dtype.kind in "SO":
        return [bytes(v) for v in arr.ravel()] if arr.ndim else bytes(arr.item())
    return arr.tolist()


@functools.lru_cache(maxsize=None)
def zlib_available():
    g = _core.Graph()
    files = add_const(g, "files", np.array([os.path.join(DATA_DIR, "lines.txt.gz").encode()], dtype=object))
    ds = add_node(g, "ds", "TextLineDataset", [files, add_const(g, "c", np.array(b"GZIP", dtype=object)),
                                               add_const(g, "b", np.int64(0))], ["variant"])
    it = add_node(g, "it", "IteratorV2", [], ["resource"], output_types=[tf.string], output_shapes=[Shape([])],
                  shared_name="", container="")
    make = add_node(g, "make", "MakeIterator", [ds, it], [])
    nxt = add_node(g, "next", "IteratorGetNext", [it], ["string"], output_types=[tf.string],
                   output_shapes=[Shape([])])
    sess = _core.Session(g, 1)
    sess.run([], [], [], [make])
    try:
        sess.run([], [], [(nxt, 0)], [])
    except _core.StatusError as e:
        if e.args[0] == 12:  # Unimplemented: built without zlib
            return False
        raise
    return True


def import_graph(path):
    """A fresh graph holding the GraphDef TF wrote at `path`."""
    gd = protos.GraphDef()
    with open(path, "rb") as f:
        gd.ParseFromString(f.read())
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(gd, name="")
    return g


def same_value(got, want):
    """A fetched value against the one TF recorded: dtype, shape and values (strings as bytes)."""
    got = np.asarray(got)
    if want.dtype.kind == "S":
        assert got.shape == want.shape, (got.shape, want.shape)
        assert [bytes(v) for v in got.ravel()] == [bytes(v) for v in want.ravel()]
        return
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_array_equal(got, want)


def replay_steps(name, g, steps, values, feed_value=None):
    """Runs TF's recorded steps in order in one Session of `g`. A step feeds (tensor name: a key of
    `values`, passed through feed_value, or {"handle": h} for a string handle an earlier step saved),
    runs its fetches and targets, then checks the fetched values against `values[key]` of its
    "expect", or the error class and message TF raised, or keeps the fetched handle ("save_handle")."""
    feed_value = feed_value or values.__getitem__
    handles = {}
    with tf.Session(graph=g) as sess:
        for i, step in enumerate(steps):
            feed = {g.get_tensor_by_name(t): handles[v["handle"]] if isinstance(v, dict) else feed_value(v)
                    for t, v in step.get("feed", {}).items()}
            fetch = [g.get_tensor_by_name(t) for t in step["fetch"]]
            targets = [g.get_operation_by_name(t) for t in step["targets"]]
            where = "%s step %d" % (name, i)
            if "error" in step:
                with pytest.raises(tf.errors.OpError) as info:
                    sess.run(fetch + targets, feed_dict=feed)
                assert type(info.value).__name__ == step["error"], (where, info.value)
                assert step["message"] in info.value.message, (where, info.value.message)
                continue
            out = sess.run(fetch + targets, feed_dict=feed)[:len(fetch)]
            if "save_handle" in step:
                handles[step["save_handle"]] = out[0]
                continue
            assert len(out) == len(step["expect"]), where
            for got, key in zip(out, step["expect"]):
                try:
                    same_value(got, values[key])
                except AssertionError as e:
                    raise AssertionError("%s: %s" % (where, e))


def replay(case):
    if any(f.endswith((".gz", ".zz")) for f in case["files"]) and not zlib_available():
        pytest.skip("metarun was built without zlib")
    g = import_graph(os.path.join(DATA_DIR, case["graph"]))
    init = g.get_operation_by_name(case["init"])
    nxt = g.get_tensor_by_name(case["next"])
    feed = {}
    if case["files"]:
        feed["filenames:0"] = np.array([os.path.join(DATA_DIR, f).encode() for f in case["files"]], dtype=object)
    for s, steps in enumerate(case["sessions"]):
        passes = []
        with tf.Session(graph=g) as sess:
            for i, step in enumerate(steps):
                where = "%s session %d step %d" % (case["name"], s, i)
                if "init" in step:
                    sess.run(init, feed_dict=feed)
                    passes.append([])
                elif "next" in step:
                    got = as_python(sess.run(nxt))
                    passes[-1].append(got)
                    if not case["random"]:
                        assert got == decode(step["next"]), where
                elif "end" in step:
                    with pytest.raises(tf.errors.OutOfRangeError):
                        sess.run(nxt)
                else:
                    with pytest.raises(tf.errors.OpError) as info:
                        sess.run(nxt)
                    assert type(info.value).__name__ == step["error"], (where, info.value)
                    message = step["message"].replace("{dir}", DATA_DIR)
                    assert message in info.value.message, (where, info.value.message)
        if case["random"]:
            want = [[]]
            for step in steps:
                if "init" in step:
                    want.append([])
                elif "next" in step:
                    want[-1].append(decode(step["next"]))
            assert [sorted(p) for p in passes] == [sorted(p) for p in want[1:]], case["name"]
            assert all(a != b for a, b in zip(passes, passes[1:])), "two passes in one order"
