"""Coordinator (stop requests with and without exceptions, clean-stop types, join, clear_stop,
stop_on_exception, a request after join, LooperThread), SecondOrStepTimer by steps, the hooks'
argument errors, and a MonitoredSession's stop paths: OutOfRangeError and StopIteration end
the `with` cleanly, a thread's exception reported to the coordinator ends the loop and is
raised by close, an AbortedError makes a new session, and closing twice."""
import threading


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return "%s: %s" % (type(e).__name__, e)
    return "no error"


def _coordinator(tf):
    out = []
    coord = tf.train.Coordinator()
    out.append(coord.should_stop())
    coord.request_stop(tf.errors.OutOfRangeError(None, None, "done"))  # a clean stop: not kept
    out.append(coord.should_stop())
    out.append(_err(coord.raise_requested_exception))
    out.append(coord.wait_for_stop(0.01))
    coord.join([])
    out.append(coord.joined)
    coord.clear_stop()
    out.append([coord.should_stop(), coord.joined, coord.wait_for_stop(0.001)])

    def worker():
        with coord.stop_on_exception():
            raise ValueError("boom in %s" % threading.current_thread().name)
    t = threading.Thread(target=worker, name="w1")
    t.start()
    t.join()
    out.append(coord.should_stop())
    coord.request_stop(KeyError("second"))  # only the first exception is kept
    out.append(_err(coord.raise_requested_exception))
    out.append(_err(lambda: coord.join([t])))
    try:
        raise IndexError("after join")
    except IndexError as e:
        out.append(_err(lambda: coord.request_stop(e)))
    coord.clear_stop()
    out.append(_err(coord.raise_requested_exception))

    calls = []

    def tick(n):
        calls.append(n)
        if len(calls) == 3:
            coord.request_stop()
    looper = tf.train.LooperThread.loop(coord, None, tick, args=(7,))
    coord.join([looper], stop_grace_period_secs=5)
    out.append([calls, looper.daemon, looper.is_alive()])
    out.append(_err(lambda: tf.train.LooperThread(coord, 1, args=(1,))))
    out.append(_err(lambda: tf.train.LooperThread("not a coordinator", 1)))
    out.append(_err(lambda: tf.train.Coordinator().join([threading.Thread(target=lambda: None)])))
    bare = tf.train.Coordinator()
    out.append(_err(lambda: bare.request_stop(ValueError("not being handled"))))
    out.append(bare.should_stop())
    return [str(x) for x in out]


def _timer(tf):
    timer = tf.train.SecondOrStepTimer(every_steps=3)
    seen = []
    for step in [0, 0, 1, 2, 3, 4, 5, 6, 6, 9, 10]:
        if timer.should_trigger_for_step(step):
            seen.append([step, str(timer.update_last_triggered_step(step)[1])])
    seen.append(["last", str(timer.last_triggered_step())])
    timer.reset()
    seen.append(["reset", str(timer.last_triggered_step())])
    return [" ".join(str(v) for v in s) for s in seen]


def _argument_errors(tf):
    return [
        _err(lambda: tf.train.SecondOrStepTimer()),
        _err(lambda: tf.train.SecondOrStepTimer(every_secs=1, every_steps=1)),
        _err(lambda: tf.train.StopAtStepHook()),
        _err(lambda: tf.train.StopAtStepHook(num_steps=1, last_step=1)),
        _err(lambda: tf.train.LoggingTensorHook(["a"])),
        _err(lambda: tf.train.LoggingTensorHook(["a"], every_n_iter=1, every_n_secs=1)),
        _err(lambda: tf.train.LoggingTensorHook(["a"], every_n_iter=0)),
        _err(lambda: tf.train.StepCounterHook(every_n_steps=None)),
        _err(lambda: tf.train.CheckpointSaverHook("d", save_steps=1, saver=1, scaffold=2)),
        _err(lambda: tf.train.CheckpointSaverHook("d")),
        _err(lambda: tf.train.Scaffold(copy_from_scaffold=1)),
        str(tf.train.NanLossDuringTrainingError()),
        str(tf.train.SessionRunArgs("f")),
    ]


def _stops(tf):
    out = []
    with tf.Graph().as_default():
        v = tf.Variable(0, name="v")
        inc = v.assign_add(1)
        created = []

        class Hook(tf.train.SessionRunHook):
            def __init__(self):
                self.raise_next = None

            def after_create_session(self, session, coord):
                created.append(session.run(v))
                self.coord = coord

            def before_run(self, run_context):
                if self.raise_next is not None:
                    e, self.raise_next = self.raise_next, None
                    raise e

        hook = Hook()
        for exc in (tf.errors.OutOfRangeError(None, None, "end of data"), StopIteration()):
            with tf.train.MonitoredSession(hooks=[hook]) as sess:
                sess.run(inc)
                raise exc
            out.append("%s swallowed, closed=%s" % (type(exc).__name__, sess._is_closed()))

        sess = tf.train.MonitoredSession(hooks=[hook])
        sess.run(inc)
        hook.raise_next = tf.errors.AbortedError(None, None, "preempted")
        out.append("after abort: %s" % sess.run(inc))  # a new session: v initialised again
        out.append("sessions created: %s" % created)
        try:
            raise ValueError("from a thread")
        except ValueError as e:
            hook.coord.request_stop(e)
        out.append("should_stop %s" % sess.should_stop())
        out.append(_err(sess.close))
        out.append(_err(sess.close))
        out.append("graph after close: %s" % sess.graph)

        sess = tf.train.MonitoredSession(hooks=[hook])
        hook.raise_next = ValueError("a hook fails")
        out.append(_err(lambda: sess.run(inc)))
        out.append("should_stop %s" % sess.should_stop())
        sess.close()
    return out


def main(tf, workdir):
    return {"coordinator": _coordinator(tf), "timer": _timer(tf), "argument_errors": _argument_errors(tf),
            "stops": _stops(tf)}
