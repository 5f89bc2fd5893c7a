"""Queues (queue_ops.cpp): the step sequences TF ran on queue graphs (fixtures/kernels/queues.npz,
written by gen_queues.py: values, errors and timeouts, runs TF blocked on a thread and what ended
them) replayed in one metarun Session per case."""
import json
import re
import threading
import time

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


def _run_step(sess, g, step, where):
    """Runs one recorded step and checks TF's values or error."""
    feeds = {g.get_tensor_by_name(t): _feed(k) for t, k in step["feeds"].items()}
    fetches = [g.get_tensor_by_name(t) for t in step["fetches"]]
    targets = [g.get_operation_by_name(t[:-2] if t.endswith(":0") else t) for t in step["targets"]]
    options = tf.RunOptions(timeout_in_ms=step["timeout_ms"]) if step["timeout_ms"] else None
    if "error" in step:
        with pytest.raises(tf.errors.OpError) as info:
            sess.run(fetches + targets, feeds, options=options)
        assert type(info.value).__name__ == step["error"], (where, info.value)
        assert _unnumbered(step["message"]) in _unnumbered(info.value.message), (where, info.value.message)
        return
    out = sess.run(fetches + targets, feeds, options=options)[:len(fetches)]
    assert len(out) == len(step["expect"]), where
    for got, key in zip(out, step["expect"]):
        _same(got, DATA[key], where)


@pytest.mark.parametrize("case", CASES)
def test_replays_tf_steps(case):
    g = _graph(case)
    steps = json.loads(str(DATA[case + "/steps"]))
    with tf.Session(graph=g) as sess:
        for i, step in enumerate(steps):
            where = "%s step %d" % (case, i)
            if "background" not in step:
                _run_step(sess, g, step, where)
                continue
            # TF ran "background" on a thread until it blocked, then this step, which ended it.
            failure = []
            thread = threading.Thread(target=_catching, args=(failure, _run_step, sess, g, step["background"],
                                                              where + " (blocked run)"))
            thread.start()
            time.sleep(0.1)  # until it blocks: TF's recorded outcome depends on that order
            _run_step(sess, g, step, where)
            thread.join(5)
            assert not thread.is_alive(), where + ": the blocked run did not end"
            assert not failure, failure


def _catching(failure, fn, *args):
    try:
        fn(*args)
    except BaseException as e:  # handed to the test's thread
        failure.append(e)

