"""Replays run sequences TF recorded on a graph (a fixture npz holding `<case>/graph`, the
GraphDef's bytes, `<case>/steps`, a JSON list of runs, and the arrays the runs fed or got).
A step names its feeds (tensor name -> array key), fetches, targets and either the arrays TF
fetched or the error class and message it raised. Used by the tests of stateful kernels whose
behaviour is a sequence of runs (queues, sparse tensors maps)."""
import numpy as np
import pytest

import metarun as tf
from metarun.framework import protos


def fixture_graph(data, case):
    """A new Graph holding the case's recorded GraphDef."""
    gd = protos.GraphDef()
    gd.ParseFromString(data[case + "/graph"].tobytes())
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(gd, name="")
    return g


def feed_value(data, key):
    """A stored feed: string arrays (stored as bytes) go back to object arrays."""
    v = data[key]
    return v.astype(object) if v.dtype.kind == "S" else v


def assert_same(got, want, where):
    """`got` equals the stored array exactly: dtype, shape and every element (strings as bytes)."""
    got = np.asarray(got)
    if want.dtype.kind == "S":
        assert got.shape == want.shape, (where, got.shape, want.shape)
        assert [bytes(v) for v in got.ravel()] == [bytes(v) for v in want.ravel()], where
        return
    assert got.dtype == want.dtype, (where, got.dtype, want.dtype)
    assert got.shape == want.shape, (where, got.shape, want.shape)
    np.testing.assert_array_equal(got, want, err_msg=where)


def run_step(sess, g, step, where, data, normalize=lambda m: m, options=None):
    """Runs one recorded step in `sess` and checks TF's values, or TF's error class and a message
    containing TF's (both passed through `normalize`, for process-wide numbers in names)."""
    feeds = {g.get_tensor_by_name(t): feed_value(data, k) for t, k in step["feeds"].items()}
    fetches = [g.get_tensor_by_name(t) for t in step["fetches"]]
    targets = [g.get_operation_by_name(t[:-2] if t.endswith(":0") else t) for t in step["targets"]]
    if "error" in step:
        with pytest.raises(tf.errors.OpError) as info:
            sess.run(fetches + targets, feeds, options=options)
        assert type(info.value).__name__ == step["error"], (where, info.value)
        assert normalize(step["message"]) in normalize(info.value.message), (where, info.value.message)
        return
    out = sess.run(fetches + targets, feeds, options=options)[:len(fetches)]
    assert len(out) == len(step["expect"]), where
    for got, key in zip(out, step["expect"]):
        assert_same(got, data[key], where)
