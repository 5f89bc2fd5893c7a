"""Queues (queue_ops.cpp): the step sequences TF ran on queue graphs (fixtures/kernels/queues.npz,
written by gen_queues.py: values, errors and timeouts) replayed in one metarun Session per case;
then runs on several threads: blocked dequeues released by enqueues from other runs, and blocked
runs ended by Session.close and by run deadlines, as TF ends them."""
import json
import os
import re
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import metarun as tf
from op_harness import kernel_fixture, load_npz
from step_replay import assert_same, fixture_graph, run_step

_QUEUES = ["FIFOQueue", "PaddingFIFOQueue", "RandomShuffleQueue", "PriorityQueue"]
_USERS = ["QueueEnqueue", "QueueEnqueueMany", "QueueDequeue", "QueueDequeueMany", "QueueDequeueUpTo", "QueueClose",
          "QueueSize", "QueueIsClosed"]
COVERAGE = {op + v: [] for op in _QUEUES + _USERS for v in ("", "V2")}
COVERAGE["Pack"] = ["resource"]  # QueueBase.from_list stacks queue handles

DATA = load_npz(kernel_fixture("queues.npz"))
CASES = sorted(k[:-len("/graph")] for k in DATA.files if k.endswith("/graph"))


def _unnumbered(message):
    """A message without the process-wide id TF and metarun put in unshared queue names."""
    return re.sub(r"'_\d+_", "'_N_", message)


def _run_step(sess, g, step, where):
    """Runs one recorded step and checks TF's values or error."""
    options = tf.RunOptions(timeout_in_ms=step["timeout_ms"]) if step["timeout_ms"] else None
    run_step(sess, g, step, where, DATA, _unnumbered, options)


@pytest.mark.parametrize("case", CASES)
def test_replays_tf_steps(case):
    g = fixture_graph(DATA, case)
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


# ---- runs on several threads (TF's classes and messages, checked against TF by hand: a run
# blocked when its Session closes raises CancelledError "Dequeue operation was cancelled"; a run
# past operation_timeout_in_ms or RunOptions.timeout_in_ms raises DeadlineExceededError) ----


def _start(fn, *args):
    """Runs fn(*args) on a thread; the returned dict gets "value" or "error"."""
    out = {}

    def target():
        try:
            out["value"] = fn(*args)
        except BaseException as e:  # checked by the test's thread
            out["error"] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    out["thread"] = thread
    return out


def _wait_blocked(sess, seconds=0.05):
    time.sleep(seconds)


def test_blocked_dequeue_is_released_by_an_enqueue_from_another_thread():
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(2, [tf.int32], shapes=[[]])
        x = tf.placeholder(tf.int32, [])
        enq, deq = q.enqueue(x), q.dequeue()
    with tf.Session(graph=g) as sess:
        waiting = [_start(sess.run, deq) for _ in range(2)]
        _wait_blocked(sess)
        assert all(w["thread"].is_alive() for w in waiting)
        sess.run(enq, {x: 10})
        sess.run(enq, {x: 11})
        for w in waiting:
            w["thread"].join(2)
        assert sorted(w["value"] for w in waiting) == [10, 11]


def test_a_run_holding_a_dequeue_and_the_enqueue_feeding_it():
    """TF's executor runs both at once; metarun runs a run's waiting ops after the others."""
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(3, [tf.float32], shapes=[[]])
        files = tf.FIFOQueue(3, [tf.string], shapes=[[]])
        reader = tf.TextLineReader()
        deq, deq_many = q.dequeue(), q.dequeue_many(2)
        read = reader.read(files)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "README.md")
    # a deadline, so that a regression fails instead of hanging the suite
    with tf.Session(graph=g, config=tf.ConfigProto(operation_timeout_in_ms=5000)) as sess:
        with g.as_default():
            assert sess.run([deq, q.enqueue(1.5)])[0] == 1.5
            assert sess.run({"d": deq_many, "e": q.enqueue_many([[2.0, 3.0]])})["d"].tolist() == [2.0, 3.0]
            key, _ = sess.run([read, files.enqueue(path)])[0]
            assert key == (path + ":1").encode()


def test_a_blocked_run_does_not_block_other_runs():
    """The GIL is released while a run waits, and a queue's lock only while it is worked on."""
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(2, [tf.int32], shapes=[[]])
        other = tf.FIFOQueue(10, [tf.int32], shapes=[[]])
        deq = q.dequeue()
        fill, size = other.enqueue_many([[1, 2, 3]]), other.size()
        q_size, close = q.size(), q.close()
    with tf.Session(graph=g) as sess:
        blocked = _start(sess.run, deq)
        _wait_blocked(sess)
        start = time.monotonic()
        sess.run(fill)
        got = [sess.run(size), sess.run(q_size)]
        elapsed = time.monotonic() - start
        assert got == [3, 0]
        assert elapsed < 0.5, elapsed
        assert blocked["thread"].is_alive()
        sess.run(close)
        blocked["thread"].join(2)
        assert isinstance(blocked["error"], tf.errors.OutOfRangeError)


def test_session_close_ends_blocked_runs():
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(1, [tf.int32], shapes=[[]])
        deq, enq = q.dequeue(), q.enqueue_many([[1, 2]])
    sess, other = tf.Session(graph=g), tf.Session(graph=g)
    waiting = [_start(sess.run, deq), _start(sess.run, deq)]
    full = _start(other.run, enq)  # the other session's queue takes 1 of 2 and never drains
    _wait_blocked(sess)
    start = time.monotonic()
    sess.close()
    for w in waiting:
        w["thread"].join(2)
        assert not w["thread"].is_alive()
        assert isinstance(w["error"], tf.errors.CancelledError), w
        assert "Dequeue operation was cancelled" in w["error"].message
    assert time.monotonic() - start < 0.5
    assert full["thread"].is_alive()  # closing one session leaves another's runs alone
    with pytest.raises(RuntimeError):
        sess.run(q.size())
    other.close()
    full["thread"].join(2)
    assert isinstance(full["error"], tf.errors.CancelledError), full
    assert "Enqueue operation was cancelled" in full["error"].message


def test_run_deadlines():
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(1, [tf.int32], shapes=[[]])
        deq, enq, size = q.dequeue(), q.enqueue(5), q.size()
    config = tf.ConfigProto(operation_timeout_in_ms=60)
    with tf.Session(graph=g, config=config) as sess:
        start = time.monotonic()
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(deq)
        assert 0.06 <= time.monotonic() - start < 0.5
        start = time.monotonic()
        with pytest.raises(tf.errors.DeadlineExceededError):  # RunOptions' deadline replaces the config's
            sess.run(deq, options=tf.RunOptions(timeout_in_ms=300))
        assert 0.3 <= time.monotonic() - start < 0.8
        with pytest.raises(tf.errors.DeadlineExceededError):  # callables have the same deadlines
            sess.make_callable(deq)()
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.make_callable(deq, accept_options=True)(options=tf.RunOptions(timeout_in_ms=10))
        sess.run(enq)
        with pytest.raises(tf.errors.DeadlineExceededError):  # a full queue's enqueue
            sess.run(enq)
        assert sess.run(size) == 1
        assert sess.run(deq) == 5
    with tf.Session(graph=g) as sess:  # no deadline: a run takes as long as it must
        blocked = _start(sess.run, deq)
        time.sleep(0.1)
        assert blocked["thread"].is_alive()
        sess.run(enq)
        blocked["thread"].join(2)
        assert blocked["value"] == 5


def test_unseeded_shuffle_queue_returns_every_element():
    g = tf.Graph()
    with g.as_default():
        q = tf.RandomShuffleQueue(50, 5, [tf.int64], shapes=[[]])
        fill, close, rest = q.enqueue_many([np.arange(40)]), q.close(), q.dequeue_up_to(100)
    with tf.Session(graph=g) as sess:
        sess.run([fill])
        sess.run(close)
        got = sess.run(rest)
    assert sorted(got) == list(range(40))


def test_from_list_picks_a_queue_at_run_time():
    g = tf.Graph()
    with g.as_default():
        a = tf.FIFOQueue(3, [tf.int32], shapes=[[]])
        b = tf.FIFOQueue(3, [tf.int32], shapes=[[]])
        which = tf.placeholder(tf.int32, [])
        chosen = tf.QueueBase.from_list(which, [a, b])
        enq, size = chosen.enqueue(7), b.size()
    with tf.Session(graph=g) as sess:
        sess.run(enq, {which: 1})
        sess.run(enq, {which: 1})
        sess.run(enq, {which: 0})
        assert sess.run(size) == 2


_SIGINT_SCRIPT = """
import os, signal, threading, time
import metarun as tf
q = tf.FIFOQueue(2, [tf.int32], shapes=[[]])
sess = tf.Session()
threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
start = time.monotonic()
try:
    sess.run(q.dequeue())
except KeyboardInterrupt:
    print("interrupted", time.monotonic() - start < 1, sess.run(q.size()))
"""


def test_ctrl_c_ends_a_blocked_dequeue():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in [os.path.dirname(os.path.dirname(tf.__file__)),
                                                                    os.environ.get("PYTHONPATH")] if p))
    done = subprocess.run([sys.executable, "-c", _SIGINT_SCRIPT], env=env, capture_output=True, text=True, timeout=30)
    assert done.stdout.split() == ["interrupted", "True", "0"], (done.stdout, done.stderr)
