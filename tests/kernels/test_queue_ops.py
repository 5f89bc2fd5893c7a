"""Queues (queue_ops.cpp): the step sequences TF ran on queue graphs (fixtures/kernels/queues.npz,
written by gen_queues.py: values, errors and timeouts) replayed in one metarun Session per case;
then runs on several threads: blocked dequeues released by enqueues from other runs, and blocked
runs ended by Session.close and by run deadlines, as TF ends them."""
import json
import re

import numpy as np
import pytest

import metarun as tf
from metarun.framework import protos
from op_harness import kernel_fixture, load_npz

_QUEUES = ["FIFOQueue", "PaddingFIFOQueue", "RandomShuffleQueue", "PriorityQueue"]
_USERS = ["QueueEnqueue", "QueueEnqueueMany", "QueueDequeue", "QueueDequeueMany", "QueueDequeueUpTo", "QueueClose",
          "QueueSize", "QueueIsClosed"]
COVERAGE = {op + v: [] for op in _QUEUES + _USERS for v in ("", "V2")}

DATA = load_npz(kernel_fixture("queues.npz"))
CASES = sorted(k[:-len("/graph")] for k in DATA.files if k.endswith("/graph"))


def _graph(case):
    gd = protos.GraphDef()
    gd.ParseFromString(DATA[case + "/graph"].tobytes())
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(gd, name="")
    return g


def _feed(key):
    v = DATA[key]
    return v.astype(object) if v.dtype.kind == "S" else v


def _same(got, want, where):
    got = np.asarray(got)
    if want.dtype.kind == "S":
        assert got.shape == want.shape, (where, got.shape, want.shape)
        assert [bytes(v) for v in got.ravel()] == [bytes(v) for v in want.ravel()], where
        return
    assert got.dtype == want.dtype, (where, got.dtype, want.dtype)
    assert got.shape == want.shape, (where, got.shape, want.shape)
    np.testing.assert_array_equal(got, want, err_msg=where)


def _unnumbered(message):
    """A message without the process-wide id TF and metarun put in unshared queue names."""
    return re.sub(r"'_\d+_", "'_N_", message)


@pytest.mark.parametrize("case", CASES)
def test_replays_tf_steps(case):
    g = _graph(case)
    steps = json.loads(str(DATA[case + "/steps"]))
    with tf.Session(graph=g) as sess:
        for i, step in enumerate(steps):
            where = "%s step %d" % (case, i)
            feeds = {g.get_tensor_by_name(t): _feed(k) for t, k in step["feeds"].items()}
            fetches = [g.get_tensor_by_name(t) for t in step["fetches"]]
            targets = [g.get_operation_by_name(t[:-2] if t.endswith(":0") else t) for t in step["targets"]]
            options = tf.RunOptions(timeout_in_ms=step["timeout_ms"]) if step["timeout_ms"] else None
            if "error" in step:
                with pytest.raises(tf.errors.OpError) as info:
                    sess.run(fetches + targets, feeds, options=options)
                assert type(info.value).__name__ == step["error"], (where, info.value)
                assert _unnumbered(step["message"]) in _unnumbered(info.value.message), (where, info.value.message)
                continue
            out = sess.run(fetches + targets, feeds, options=options)[:len(fetches)]
            assert len(out) == len(step["expect"]), where
            for got, key in zip(out, step["expect"]):
                _same(got, DATA[key], where)
