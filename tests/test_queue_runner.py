"""tf.train.QueueRunner and start_queue_runners with and without a Coordinator: threads run their
enqueue op until the input is exhausted and the last one closes the queue; errors go to the
Coordinator (or to exceptions_raised); a stop request cancels blocked enqueues so every thread
ends; TF's argument checks. Every join has a timeout, so a hang fails instead of blocking."""
import logging
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import metarun as tf
from metarun.framework import protos
from metarun.ops.data_flow_ops import FIFOQueue

JOIN = 5.0


def _join(threads):
    for t in threads:
        t.join(JOIN)
    assert not any(t.is_alive() for t in threads), [t.name for t in threads if t.is_alive()]


def _counter_runner(limit, threads=1, capacity=10):
    """A queue fed 0, 1, ... limit-1 by `threads` threads sharing one counter."""
    counter = tf.Variable(np.int64(0), name="counter", trainable=False)
    q = FIFOQueue(capacity, [tf.int64], shapes=[[]])
    enqueue = q.enqueue([counter.count_up_to(limit)])
    return q, tf.train.QueueRunner(q, [enqueue] * threads)


def _drain(sess, q):
    out = []
    deq = q.dequeue()
    with pytest.raises(tf.errors.OutOfRangeError):
        for _ in range(1000):
            out.append(int(sess.run(deq)))
    return out


@pytest.mark.parametrize("n_threads", [1, 3])
def test_threads_run_until_out_of_range_and_the_last_closes_the_queue(n_threads):
    with tf.Graph().as_default():
        q, qr = _counter_runner(25, threads=n_threads, capacity=4)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            threads = qr.create_threads(sess, start=True)
            assert len(threads) == n_threads and all(not t.daemon for t in threads)
            assert sorted(_drain(sess, q)) == list(range(25))
            _join(threads)
            assert sess.run(q.is_closed())
            assert qr.exceptions_raised == []


def test_an_error_without_coordinator_is_kept_and_raised_in_the_thread(caplog):
    with tf.Graph().as_default():
        q, qr = _counter_runner(5)  # the counter is never initialized
        with tf.Session() as sess:
            (thread,) = qr.create_threads(sess)
            assert not thread.is_alive()
            with caplog.at_level(logging.ERROR, logger="tensorflow"):
                with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value counter"):
                    thread.run()  # the thread's body, here, to see what it raises
            assert [type(e) for e in qr.exceptions_raised] == [tf.errors.FailedPreconditionError]
            assert "Exception in QueueRunner" in caplog.text
            assert not sess.run(q.is_closed())  # an error does not close the queue without a coordinator
            sess.run(tf.global_variables_initializer())
            threads = qr.create_threads(sess, start=True)  # the failed run ended: threads again
            assert len(threads) == 1 and qr.exceptions_raised == []
            assert _drain(sess, q) == list(range(5))
            _join(threads)


def test_an_error_with_coordinator_stops_everything_and_join_raises_it():
    with tf.Graph().as_default():
        q, qr = _counter_runner(5, threads=2)
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            threads = qr.create_threads(sess, coord=coord, daemon=True, start=True)
            assert len(threads) == 3 and all(t.daemon for t in threads)
            assert threads[-1].name == "QueueRunnerThread-%s-close_on_stop" % q.name
            with pytest.raises(tf.errors.FailedPreconditionError):
                coord.join(threads, stop_grace_period_secs=JOIN)
            _join(threads)
            assert qr.exceptions_raised == []
            assert sess.run(q.is_closed())  # the stop cancelled the queue
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(q.dequeue())


def test_request_stop_cancels_enqueues_blocked_on_a_full_queue():
    with tf.Graph().as_default():
        q = FIFOQueue(2, [tf.int32], shapes=[[]])
        qr = tf.train.QueueRunner(q, [q.enqueue([tf.constant(7)])] * 2)
        tf.train.add_queue_runner(qr)
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            deadline = time.time() + JOIN
            while sess.run(q.size()) < 2 and time.time() < deadline:
                time.sleep(0.001)
            assert sess.run(q.size()) == 2
            time.sleep(0.02)
            assert all(t.is_alive() for t in threads)  # both enqueues wait for room
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=JOIN)  # the CancelledErrors came after the stop
            _join(threads)
            assert sess.run(q.is_closed())
            assert [sess.run(q.dequeue()) for _ in range(2)] == [7, 7]  # what was queued stays
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(q.dequeue())


def test_consumer_reporting_out_of_range_is_a_clean_stop():
    with tf.Graph().as_default():
        q, qr = _counter_runner(6)
        tf.train.add_queue_runner(qr)
        batch = q.dequeue_many(4)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            got = []
            with coord.stop_on_exception():
                while not coord.should_stop():
                    got.append(sess.run(batch).tolist())
            assert got == [[0, 1, 2, 3]]  # 2 left over: not a whole batch
            coord.join(threads, stop_grace_period_secs=JOIN)
            coord.raise_requested_exception()  # OutOfRange is not an error to the coordinator
            _join(threads)


def test_create_threads_while_running_gives_none_for_that_session_only():
    with tf.Graph().as_default():
        q = FIFOQueue(1, [tf.int32], shapes=[[]])
        qr = tf.train.QueueRunner(q, [q.enqueue([tf.constant(1)])])
        with tf.Session() as s1, tf.Session() as s2:
            coord = tf.train.Coordinator()
            first = qr.create_threads(s1, coord=coord, start=True)
            assert qr.create_threads(s1, coord=coord) == []
            second = qr.create_threads(s2, coord=coord, start=True)
            assert len(first) == len(second) == 2
            coord.request_stop()
            coord.join(stop_grace_period_secs=JOIN)  # the registered threads
            _join(first + second)


def test_arguments_checked_as_tf():
    with tf.Graph().as_default():
        q = FIFOQueue(1, [tf.int32], shapes=[[]])
        enq = q.enqueue([tf.constant(1)])
        with pytest.raises(ValueError, match="Must provide queue and enqueue_ops"):
            tf.train.QueueRunner(q, [])
        with pytest.raises(ValueError, match="Must provide queue and enqueue_ops"):
            tf.train.QueueRunner(None, [enq])
        for bad in ([tf.errors.OutOfRangeError], (), (ValueError,), (tf.errors.OutOfRangeError, 3)):
            with pytest.raises(TypeError, match="must be a tuple of tf.error types"):
                tf.train.QueueRunner(q, [enq], queue_closed_exception_types=bad)
        qr = tf.train.QueueRunner(q, [enq], queue_closed_exception_types=(tf.errors.CancelledError,))
        assert qr.queue_closed_exception_types == (tf.errors.CancelledError,)
        assert qr.close_op.type == qr.cancel_op.type == "QueueCloseV2"
        assert qr.close_op.get_attr("cancel_pending_enqueues") is False
        assert qr.cancel_op.get_attr("cancel_pending_enqueues") is True
        with pytest.raises(ValueError, match="mutually exclusive"):
            tf.train.QueueRunner(q, [enq], queue_runner_def=qr.to_proto())


def test_proto_round_trip_with_scopes():
    with tf.Graph().as_default() as g:
        with tf.name_scope("outer"):
            q = FIFOQueue(1, [tf.int32], shapes=[[]], name="q")
            enq = q.enqueue([tf.constant(1)])
        qr = tf.train.QueueRunner(q, [enq, enq], queue_closed_exception_types=(
            tf.errors.OutOfRangeError, tf.errors.CancelledError))
        full = qr.to_proto()
        assert full.queue_name == "outer/q" and list(full.enqueue_op_name) == ["outer/q_enqueue"] * 2
        assert list(full.queue_closed_exception_types) == [11, 1]
        scoped = qr.to_proto(export_scope="outer")
        assert scoped.queue_name == "q" and scoped.close_op_name == "q_Close"
        assert qr.to_proto(export_scope="elsewhere") is None
        again = tf.train.QueueRunner.from_proto(full)
        assert again.queue is g.get_operation_by_name("outer/q")
        assert again.name == "outer/q"
        assert again.enqueue_ops == [enq, enq] and again.close_op is qr.close_op
        assert again.queue_closed_exception_types == (tf.errors.OutOfRangeError, tf.errors.CancelledError)
        tf.train.add_queue_runner(qr)
        legacy = protos.QueueRunnerDef()
        legacy.CopyFrom(full)
        del legacy.queue_closed_exception_types[:]
        assert tf.train.QueueRunner(queue_runner_def=legacy).queue_closed_exception_types == \
            (tf.errors.OutOfRangeError,)
        meta = tf.train.export_meta_graph()
    with tf.Graph().as_default() as g2:
        tf.train.import_meta_graph(meta, import_scope="imp")
        (qr2,) = tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
        assert qr2.queue is g2.get_operation_by_name("imp/outer/q")
        assert qr2.close_op is g2.get_operation_by_name("imp/q_Close")
        assert qr2.to_proto(export_scope="imp") == full


def test_start_queue_runners_checks_and_defaults(caplog):
    with tf.Graph().as_default():
        q = FIFOQueue(1, [tf.int32], shapes=[[]])
        closed = (tf.errors.OutOfRangeError, tf.errors.CancelledError)  # the cancel below ends it cleanly
        tf.train.queue_runner.add_queue_runner(
            tf.train.QueueRunner(q, [q.enqueue([tf.constant(1)])], queue_closed_exception_types=closed),
            collection="mine")
        with pytest.raises(ValueError, match="No default session is registered"):
            tf.train.start_queue_runners()
        with pytest.raises(TypeError, match="sess must be a `tf.Session` object"):
            tf.train.start_queue_runners(sess=object())

        class MonitoredSession(object):
            pass
        assert tf.train.start_queue_runners(sess=MonitoredSession()) == []
        with tf.Session() as sess:
            with caplog.at_level(logging.WARNING, logger="tensorflow"):
                with sess.as_default():
                    assert tf.train.queue_runner.start_queue_runners() == []
            assert "no queue runners were defined" in caplog.text
            threads = tf.train.start_queue_runners(sess, collection="mine", start=False)
            assert len(threads) == 1 and threads[0].daemon and not threads[0].is_alive()
            threads[0].start()
            time.sleep(0.01)
            sess.run(q.close(cancel_pending_enqueues=True))
            _join(threads)


def test_start_queue_runners_uses_the_sessions_graph():
    g = tf.Graph()
    with g.as_default():
        q, qr = _counter_runner(3)
        tf.train.add_queue_runner(qr)
        init = tf.global_variables_initializer()
        deq = q.dequeue()
    sess = tf.Session(graph=g)
    try:
        sess.run(init)
        with g.as_default():
            threads = tf.train.start_queue_runners(sess)
        assert len(threads) == 1
        assert [sess.run(deq) for _ in range(3)] == [0, 1, 2]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(deq)
        _join(threads)
    finally:
        sess.close()


def test_module_names():
    assert tf.train.queue_runner.QueueRunner is tf.train.QueueRunner
    assert tf.train.queue_runner.add_queue_runner is tf.train.add_queue_runner
    assert tf.train.queue_runner.start_queue_runners is tf.train.start_queue_runners
    assert threading.current_thread() is threading.main_thread()


def test_monitored_session_starts_the_queue_runners_and_ends_cleanly_at_out_of_range():
    with tf.Graph().as_default():
        batch = tf.train.batch([tf.train.range_input_producer(5, num_epochs=1, shuffle=False).dequeue()], 2)
        got = []
        with tf.train.MonitoredTrainingSession() as sess:
            assert tf.train.start_queue_runners(sess=sess) == []  # it started them itself
            while not sess.should_stop():
                got.append(sess.run(batch).tolist())
        assert got == [[0, 1], [2, 3]]
        _join([t for t in threading.enumerate() if t.name.startswith("QueueRunnerThread")])


_EXIT_SCRIPT = """
import sys
import metarun as tf
from metarun.ops.data_flow_ops import FIFOQueue
q = FIFOQueue(2, [tf.int32], shapes=[[]])
tf.train.add_queue_runner(tf.train.QueueRunner(q, [q.enqueue([tf.constant(1)])] * 2))
sess = tf.Session()
threads = tf.train.start_queue_runners(sess)  # daemon threads, blocked on the full queue
while sess.run(q.size()) < 2:
    pass
if sys.argv[1] == "close":
    sess.close()  # cancels the blocked enqueues while the interpreter goes down
print("done")
"""


@pytest.mark.parametrize("how", ["close", "leave"])
def test_the_process_exits_cleanly_with_queue_runner_threads_still_running(how):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-c", _EXIT_SCRIPT, how], capture_output=True, text=True, timeout=60,
                          env=env)
    assert (proc.returncode, proc.stdout.strip()) == (0, "done"), proc.stderr[-2000:]
    assert "terminate" not in proc.stderr
