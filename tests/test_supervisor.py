"""tf.train.Supervisor's threads, timing and error paths (TF's values are compared by the
dual-run scripts ms_supervisor_*)."""
import os
import threading
import time

import numpy as np
import pytest

import metarun as tf


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def _model():
    w = tf.Variable(np.float32(1.0), name="w")
    step = tf.train.get_or_create_global_step()
    bump = step.assign_add(1)
    return w, step, bump


class _CountingSaver(object):
    """Stands in for a Saver: records each save's step."""

    def __init__(self, real):
        self._real = real
        self.steps = []
        self.saver_def = real.saver_def

    def save(self, sess, save_path, global_step=None, **kwargs):
        self.steps.append(int(sess.run(global_step)))
        return self._real.save(sess, save_path, global_step=global_step, **kwargs)

    def restore(self, sess, path):
        self._real.restore(sess, path)

    def recover_last_checkpoints(self, paths):
        self._real.recover_last_checkpoints(paths)


def test_checkpoint_thread_saves_at_once_then_every_save_model_secs(tmp_path):
    w, step, bump = _model()
    saver = _CountingSaver(tf.train.Saver())
    sv = tf.train.Supervisor(logdir=str(tmp_path), saver=saver, save_model_secs=0.05)
    with sv.managed_session() as sess:
        deadline = time.time() + 10
        while len(saver.steps) < 3 and time.time() < deadline:
            sess.run(bump)
            time.sleep(0.01)
        threads = [t for t in threading.enumerate() if t.__class__.__name__ == "_CheckpointThread"]
        assert threads
    assert len(saver.steps) >= 3
    assert saver.steps == sorted(saver.steps)
    assert not any(t.is_alive() for t in threads)  # stopped and joined on leaving the block
    latest = tf.train.latest_checkpoint(str(tmp_path))
    assert latest == str(tmp_path / ("model.ckpt-%d" % saver.steps[-1]))


def test_no_checkpoint_thread_without_saver_or_secs(tmp_path):
    _model()
    sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=0, save_summaries_secs=0)
    with sv.managed_session() as sess:
        assert sv.start_standard_services(sess) == []
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    assert (tmp_path / "graph.pbtxt").exists()


def test_restores_latest_checkpoint_in_logdir(tmp_path):
    w, step, bump = _model()
    set_w = w.assign(4.0)
    sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=0)
    with sv.managed_session() as sess:
        sess.run(bump)
        sess.run([bump, set_w])
        sv.saver.save(sess, sv.save_path, global_step=sv.global_step)
    with tf.Graph().as_default():
        w, step, bump = _model()
        sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=0)
        with sv.managed_session() as sess:
            assert sess.run([w, step]) == [4.0, 2]


def test_loop_runs_target_until_stop():
    _model()
    sv = tf.train.Supervisor()
    calls = []
    with sv.managed_session():
        looper = sv.loop(0.01, calls.append, args=(1,))
        deadline = time.time() + 10
        while len(calls) < 3 and time.time() < deadline:
            time.sleep(0.01)
    assert len(calls) >= 3
    looper.join(5)
    assert not looper.is_alive()


def test_error_in_a_looper_is_raised_on_leaving_managed_session():
    _model()
    sv = tf.train.Supervisor()

    def fail():
        raise tf.errors.InvalidArgumentError(None, None, "bad input")
    with pytest.raises(tf.errors.InvalidArgumentError, match="bad input"):
        with sv.managed_session():
            sv.loop(0.01, fail)
            assert sv.coord.wait_for_stop(10)
    # The session still works afterwards: a new managed_session clears the stop.
    with sv.managed_session() as sess:
        assert not sv.should_stop()
        assert sess.run(tf.train.get_global_step()) == 0


def test_out_of_range_in_a_looper_ends_quietly():
    _model()
    sv = tf.train.Supervisor()

    def done():
        raise tf.errors.OutOfRangeError(None, None, "end")
    with sv.managed_session():
        sv.loop(0.01, done)
        assert sv.coord.wait_for_stop(10)
    assert sv.should_stop()


def test_stop_reports_threads_outliving_the_grace_period():
    _model()
    sv = tf.train.Supervisor(stop_grace_secs=0.05)
    release = threading.Event()
    stubborn = threading.Thread(target=release.wait, args=(10,), name="stubborn")
    stubborn.start()
    try:
        sess = sv.prepare_or_wait_for_session()
        with pytest.raises(RuntimeError, match="threads still running: stubborn"):
            sv.stop(threads=[stubborn])
        sv.prepare_or_wait_for_session()
        sv.stop(threads=[stubborn], ignore_live_threads=True)
        assert sess.run(tf.train.get_global_step()) == 0
    finally:
        release.set()
        stubborn.join()


def test_managed_session_reraises_and_closes_the_session():
    w, _, _ = _model()
    sv = tf.train.Supervisor()
    with pytest.raises(KeyError):
        with sv.managed_session() as sess:
            raise KeyError("mine")
    assert sv.should_stop()
    with pytest.raises(RuntimeError):
        sess.run(w)  # closed
    with sv.managed_session() as sess:
        raise tf.errors.OutOfRangeError(None, None, "input exhausted")
    with sv.managed_session() as sess:
        assert sess.run(w) == 1.0


def test_graph_is_finalized():
    _model()
    sv = tf.train.Supervisor()
    assert tf.get_default_graph().finalized
    with pytest.raises(RuntimeError):
        tf.constant(1.0)
    assert sv.global_step is tf.train.get_global_step()


def test_explicit_graph_gets_the_default_ops():
    g = tf.Graph()
    with g.as_default():
        tf.Variable(1.0, name="v")
    sv = tf.train.Supervisor(graph=g)
    assert g.finalized and not tf.get_default_graph().finalized
    assert sv.init_op.graph is g and sv.ready_op.graph is g
    assert sv.saver is g.get_collection(tf.GraphKeys.SAVERS)[0]


def test_ops_from_collections_first_one_wins():
    _model()
    a, b = tf.no_op(name="a"), tf.no_op(name="b")
    tf.add_to_collection(tf.GraphKeys.INIT_OP, a)
    tf.add_to_collection(tf.GraphKeys.INIT_OP, b)
    sv = tf.train.Supervisor()
    assert sv.init_op is a


def test_summary_op_without_a_writer_is_kept_and_never_run():
    _model()
    op = tf.constant(b"", name="fake_summary")
    sv = tf.train.Supervisor(summary_op=op)
    assert sv.summary_op is op and sv.summary_writer is None
    with sv.managed_session() as sess:
        with pytest.raises(RuntimeError, match="requires a summary writer"):
            sv.summary_computed(sess, b"")


def test_a_given_summary_writer_gets_the_events_and_is_closed_on_stop(tmp_path):
    _model()
    writer = tf.summary.FileWriter(str(tmp_path / "own"))
    sv = tf.train.Supervisor(logdir=str(tmp_path), summary_writer=writer, save_model_secs=0, save_summaries_secs=0)
    assert sv.summary_writer is writer
    with sv.managed_session() as sess:
        sv.summary_computed(sess, tf.Summary(value=[tf.Summary.Value(tag="t", simple_value=2.0)]))
    events = []
    for name in sorted(os.listdir(str(tmp_path / "own"))):
        events += list(tf.train.summary_iterator(str(tmp_path / "own" / name)))
    kinds = [e.WhichOneof("what") for e in events]
    assert kinds == ["file_version", "graph_def", "meta_graph_def", "session_log", "summary", "session_log"]
    assert events[4].summary.value[0].tag == "t" and events[4].step == 0  # the global step's value
    assert [events[3].session_log.status, events[5].session_log.status] == [1, 2]  # START, STOP


def test_managed_session_runs_the_graphs_queue_runners_until_the_input_ends():
    _model()
    batch = tf.train.batch([tf.train.range_input_producer(5, num_epochs=1, shuffle=False).dequeue()], 2)
    sv = tf.train.Supervisor(summary_op=None)  # batch's fraction_of_32_full summary: not written here
    got = []
    with sv.managed_session() as sess:
        while not sv.should_stop():
            got.append(sess.run(batch).tolist())  # the OutOfRange at the end is a clean stop
    assert got == [[0, 1], [2, 3]]  # 4 is left over: not a whole batch
    assert sv.start_queue_runners(sess, queue_runners=[]) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("QueueRunnerThread")]


def test_camel_case_aliases():
    for alias, name in [("PrepareSession", "prepare_or_wait_for_session"), ("Stop", "stop"),
                        ("ShouldStop", "should_stop"), ("RequestStop", "request_stop"), ("Loop", "loop"),
                        ("StartQueueRunners", "start_queue_runners"), ("WaitForStop", "wait_for_stop"),
                        ("StartStandardServices", "start_standard_services"), ("StopOnException", "stop_on_exception"),
                        ("SummaryComputed", "summary_computed")]:
        assert getattr(tf.train.Supervisor, alias) is getattr(tf.train.Supervisor, name)
    assert tf.train.Supervisor.USE_DEFAULT == 0


def test_stop_on_exception_requests_a_stop_with_it():
    _model()
    sv = tf.train.Supervisor()
    sv.prepare_or_wait_for_session()
    with sv.stop_on_exception():
        raise ValueError("in a thread")
    assert sv.should_stop()
    with pytest.raises(ValueError, match="in a thread"):
        sv.stop()
