"""MonitoredSession machinery beyond what the ms_* dual-run scripts compare with TF: threads
that outlive a join, periodic loopers, recovery from preemption while a session is created,
the graph left as it was found, errors that leave the session usable, time-based savers,
waiting for the global step, workers, basic_train_loop."""
import logging
import os
import threading
import time

import pytest

import metarun as tf
from metarun.train import monitored_session


@pytest.fixture
def graph():
    with tf.Graph().as_default() as g:
        yield g


def _counter_model():
    v = tf.Variable(0, name="v")
    step = tf.train.get_or_create_global_step()
    return v, step, tf.group(v.assign_add(1), step.assign_add(1))


# -- Coordinator and LooperThread ------------------------------------------------------------

def test_join_names_threads_still_running_after_the_grace_period():
    coord = tf.train.Coordinator()
    release = threading.Event()
    t = threading.Thread(target=release.wait, name="straggler")
    t.start()
    try:
        coord.request_stop()
        with pytest.raises(RuntimeError, match="straggler"):
            coord.join([t], stop_grace_period_secs=0.01)
        coord.clear_stop()
        coord.request_stop()
        coord.join([t], stop_grace_period_secs=0.01, ignore_live_threads=True)  # logged, not raised
        assert coord.joined
    finally:
        release.set()
        t.join()


def test_join_waits_for_registered_threads_and_raises_the_first_reported_exception():
    coord = tf.train.Coordinator()

    def fail(n):
        with coord.stop_on_exception():
            coord.wait_for_stop()
            raise ValueError(n)
    first = threading.Thread(target=fail, args=(1,))
    coord.register_thread(first)
    first.start()
    with coord.stop_on_exception():
        raise KeyError("the first")
    with pytest.raises(KeyError, match="the first"):
        coord.join()
    assert not first.is_alive()


def test_looper_with_an_interval_runs_until_stopped():
    coord = tf.train.Coordinator()
    ticks = []
    looper = tf.train.LooperThread.loop(coord, 0.005, ticks.append, args=(1,))
    deadline = time.time() + 5
    while len(ticks) < 3 and time.time() < deadline:
        time.sleep(0.005)
    coord.request_stop()
    coord.join([looper], stop_grace_period_secs=5)
    assert len(ticks) >= 3 and not looper.is_alive()


def test_looper_subclass_start_and_stop_hooks():
    events = []
    coord = tf.train.Coordinator()

    class Looper(tf.train.LooperThread):
        def start_loop(self):
            events.append("start")

        def run_loop(self):
            events.append("run")
            coord.request_stop()

        def stop_loop(self):
            events.append("stop")
    looper = Looper(coord, None)
    looper.start()
    coord.join([looper], stop_grace_period_secs=5)
    assert events == ["start", "run", "stop"]


# -- MonitoredSession -------------------------------------------------------------------------

class _FlakyCreator(tf.train.SessionCreator):
    """A ChiefSessionCreator whose first `failures` sessions are preempted while made."""

    def __init__(self, failures):
        self.failures = failures
        self.calls = 0
        self._chief = tf.train.ChiefSessionCreator()

    def create_session(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise tf.errors.UnavailableError(None, None, "worker went away")
        return self._chief.create_session()


def test_monitored_session_retries_creation_after_preemption(graph):
    v, _, train = _counter_model()
    creator = _FlakyCreator(2)
    with tf.train.MonitoredSession(session_creator=creator) as sess:
        sess.run(train)
        assert sess.run(v) == 1
    assert creator.calls == 3


def test_singular_session_does_not_recover(graph):
    _counter_model()

    class Preempt(tf.train.SessionRunHook):
        def before_run(self, run_context):
            raise tf.errors.AbortedError(None, None, "preempted")
    sess = tf.train.SingularMonitoredSession(hooks=[Preempt()])
    with pytest.raises(tf.errors.AbortedError):
        sess.run(tf.train.get_global_step())
    sess.close()


def test_close_restores_the_graph_finalization_it_found(graph):
    _counter_model()
    with tf.train.MonitoredSession():
        assert graph.finalized
    assert not graph.finalized
    graph.finalize()
    with tf.train.MonitoredSession():
        pass
    assert graph.finalized


def test_feed_conflicts_raise_and_the_session_still_runs(graph):
    x = tf.placeholder(tf.float32, [], name="x")
    y = x * 2
    hooks = [tf.train.FeedFnHook(lambda: {x: 1.0}), tf.train.FeedFnHook(lambda: {x: 2.0})]
    with tf.train.MonitoredSession(hooks=hooks) as sess:
        with pytest.raises(RuntimeError, match="Same tensor is fed by two hooks"):
            sess.run(y)
        hooks.pop()
        assert sess.run(y) == 2.0
        assert sess.run(y, feed_dict=None) == 2.0


def test_hooks_see_the_callers_args_and_their_own_fetches_only(graph):
    x = tf.placeholder(tf.float32, [], name="x")
    y = x + 1
    twice = 2 * y
    seen = []

    class Hook(tf.train.SessionRunHook):
        def before_run(self, run_context):
            seen.append(run_context.original_args)
            return tf.train.SessionRunArgs({"twice": twice}, options=tf.RunOptions(trace_level=3))

        def after_run(self, run_context, run_values):
            seen.append((run_values.results, run_values.options.trace_level))

    with tf.train.MonitoredSession(hooks=[Hook()]) as sess:
        assert sess.run({"y": y}, feed_dict={x: 4.0}) == {"y": 5.0}
    assert seen[0].fetches == {"y": y} and seen[0].feed_dict == {x: 4.0}
    assert seen[1] == ({"twice": 10.0}, 3)


def test_run_step_fn_takes_a_method(graph):
    v, _, train = _counter_model()

    class Trainer(object):
        def step(self, step_context):
            step_context.run_with_hooks(train)
            return step_context.session.run(v)
    with tf.train.MonitoredSession() as sess:
        assert [sess.run_step_fn(Trainer().step) for _ in range(2)] == [1, 2]


def test_restoring_a_checkpoint_of_another_graph_fails_with_not_found(graph, tmp_path):
    _counter_model()
    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path)) as sess:
        pass
    with tf.Graph().as_default():
        tf.Variable(1.0, name="other")
        tf.train.get_or_create_global_step()
        with pytest.raises(tf.errors.NotFoundError):
            tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path))
    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path)) as sess:  # still restorable
        assert sess.run(tf.train.get_global_step()) == 0


def test_save_secs_saves_when_created_and_at_the_end_only(graph, tmp_path):
    _, _, train = _counter_model()
    hooks = [tf.train.StopAtStepHook(last_step=4)]
    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path), save_checkpoint_secs=3600,
                                           hooks=hooks) as sess:
        while not sess.should_stop():
            sess.run(train)
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == ["model.ckpt-0", "model.ckpt-4"]


def test_without_checkpoint_dir_nothing_is_written(graph, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, _, train = _counter_model()
    with tf.train.MonitoredTrainingSession(hooks=[tf.train.StopAtStepHook(num_steps=2)]) as sess:
        while not sess.should_stop():
            sess.run(train)
    assert os.listdir(tmp_path) == []


def test_step_counter_logs_every_n_steps(graph, caplog):
    _, _, train = _counter_model()
    with caplog.at_level(logging.INFO, logger="tensorflow"):
        with tf.train.MonitoredSession(hooks=[tf.train.StepCounterHook(every_n_steps=2),
                                              tf.train.StopAtStepHook(last_step=7)]) as sess:
            while not sess.should_stop():
                sess.run(train)
    rates = [r.getMessage() for r in caplog.records if r.getMessage().startswith("global_step/sec: ")]
    # The timer first triggers after step 1 (no rate yet), then at steps 3 and 5 and 7.
    assert len(rates) == len(range(3, 8, 2))


def test_step_counter_warns_when_the_step_does_not_move(graph, caplog):
    _, step, _ = _counter_model()
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        with tf.train.MonitoredSession(hooks=[tf.train.StepCounterHook(every_n_steps=100)]) as sess:
            for _ in range(8):
                sess.run(step)
    warned = [r for r in caplog.records if "has not been increased" in r.getMessage()]
    assert len(warned) == 5  # TF's log_first_n


def test_global_step_waiter_holds_the_first_run(graph):
    _, step, train = _counter_model()
    bump = step.assign_add(1)
    with tf.train.MonitoredSession(hooks=[tf.train.GlobalStepWaiterHook(2)]) as sess:
        raw = sess._tf_sess()
        bumper = threading.Timer(0.05, lambda: [raw.run(bump) for _ in range(2)])
        bumper.start()
        sess.run(train)
        bumper.join()
        assert raw.run(step) == 3


def test_hooks_need_a_global_step(graph, tmp_path):
    tf.Variable(0.0)
    for hook in (tf.train.StopAtStepHook(num_steps=1), tf.train.StepCounterHook(),
                 tf.train.CheckpointSaverHook(str(tmp_path), save_steps=1), tf.train.GlobalStepWaiterHook(1)):
        with pytest.raises(RuntimeError, match="Global step should be created"):
            hook.begin()


def test_worker_session_is_ready_without_variables(graph):
    x = tf.constant(3.0)
    with tf.train.MonitoredTrainingSession(is_chief=False, max_wait_secs=0) as sess:
        assert sess.run(x) == 3.0


def test_checkpoint_saver_without_a_saver_in_the_graph(graph, tmp_path):
    _counter_model()
    hook = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=1)  # looks in the SAVERS collection
    scaffold = tf.train.Scaffold(saver=tf.train.Saver())  # not put there
    with pytest.raises(RuntimeError, match="No items in collection savers"):
        tf.train.MonitoredSession(session_creator=tf.train.ChiefSessionCreator(scaffold=scaffold), hooks=[hook])
    hook = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=1, scaffold=scaffold)
    with tf.train.MonitoredSession(session_creator=tf.train.ChiefSessionCreator(scaffold=scaffold), hooks=[hook]):
        pass
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-0")


def test_two_items_in_a_scaffold_collection(graph):
    _counter_model()
    tf.add_to_collection(tf.GraphKeys.READY_OP, tf.constant(1))
    tf.add_to_collection(tf.GraphKeys.READY_OP, tf.constant(2))
    with pytest.raises(RuntimeError):
        tf.train.Scaffold().finalize()


def test_basic_train_loop_retries_after_abort():
    calls = []

    class Supervisor(object):
        def __init__(self):
            self.sessions = 0

        def managed_session(self, master):
            import contextlib
            self.sessions += 1
            return contextlib.nullcontext("session %d" % self.sessions)

        def should_stop(self):
            return len(calls) >= 3

    def step(sess, tag, scale=1):
        calls.append((sess, tag, scale))
        if len(calls) == 1:
            raise tf.errors.AbortedError(None, None, "aborted")
    tf.train.basic_train_loop(Supervisor(), step, args=["t"], kwargs={"scale": 2})
    assert [c[0] for c in calls] == ["session 1", "session 2", "session 2"]
    assert all(c[1:] == ("t", 2) for c in calls)


def test_ready_op_device_follows_the_environment(graph, monkeypatch):
    tf.Variable(1.0, name="a")
    monkeypatch.setenv("TF_DEVICE_FOR_UNINITIALIZED_VARIABLE_REPORTING", "/device:CPU:0")
    report = monitored_session._report_uninitialized_variables()
    assert report.op.device == "/device:CPU:0"
    with tf.Session() as sess:
        assert list(sess.run(report)) == [b"a"]
