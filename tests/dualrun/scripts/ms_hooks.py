"""Hooks in a SingularMonitoredSession / MonitoredSession: NanTensorHook failing (the error, no
`end`) and requesting a stop; LoggingTensorHook (every_n_iter, at_end, formatter) as the
'tensorflow' logger shows it; FeedFnHook; FinalOpsHook values; run_step_fn with
run_with_hooks and request_stop; CheckpointSaverHook with a Saver and listeners (one stops
training); a hook and the caller feeding one tensor; run after should_stop."""
import logging
import os
import re

import numpy as np


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append("%s %s" % (record.levelname, record.getMessage()))


def _nan_graph(tf):
    """loss = sqrt(c) for c = 2, 1, 0, -1: NaN at the fourth step (the loss is read before
    the step changes c)."""
    c = tf.Variable(2.0, name="c")
    step = tf.train.get_or_create_global_step()
    loss = tf.sqrt(c, name="loss")
    with tf.control_dependencies([loss]):
        train_op = tf.group(c.assign_sub(1.0), step.assign_add(1))
    return loss, train_op


def _recorder(tf, events):
    class Recorder(tf.train.SessionRunHook):
        def after_run(self, run_context, run_values):
            events.append("after_run")

        def end(self, session):
            events.append("end")
    return Recorder()


def _nan(tf, fail):
    events = []
    with tf.Graph().as_default():
        loss, train_op = _nan_graph(tf)
        losses = []
        try:
            with tf.train.SingularMonitoredSession(
                    hooks=[tf.train.NanTensorHook(loss, fail_on_nan_loss=fail), _recorder(tf, events)]) as sess:
                while not sess.should_stop():
                    losses.append(sess.run([train_op, loss])[1])
                events.append("stopped")
        except tf.train.NanLossDuringTrainingError as e:
            events.append("%s: %s" % (type(e).__name__, e))
    return events, np.array(losses)


def _logging(tf, lines):
    with tf.Graph().as_default():
        loss, train_op = _nan_graph(tf)
        step = tf.train.get_global_step()
        hooks = [tf.train.LoggingTensorHook({"loss": loss, "by_name": "loss"}, every_n_iter=2),
                 tf.train.LoggingTensorHook([loss], at_end=True,
                                            formatter=lambda values: "formatted %s" % sorted(values.items())),
                 tf.train.StopAtStepHook(last_step=3)]
        with tf.train.MonitoredSession(hooks=hooks) as sess:
            while not sess.should_stop():
                sess.run(train_op)
            lines.append("raw step %d" % sess._tf_sess().run(step))


def _feeds_and_final(tf):
    out = {}
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [], name="x")
        total = tf.Variable(0.0, name="total")
        step = tf.train.get_or_create_global_step()
        add = tf.group(total.assign_add(x), step.assign_add(1))
        values = iter([1.5, 2.5, 4.0, 8.0])
        final = tf.train.FinalOpsHook({"total": total, "twice": 2 * total})
        hooks = [tf.train.FeedFnHook(lambda: {x: next(values)}), final, tf.train.StopAtStepHook(num_steps=3)]
        with tf.train.SingularMonitoredSession(hooks=hooks) as sess:
            while not sess.should_stop():
                sess.run(add)
            raw = sess.raw_session()
            out["raw_is_session"] = type(raw).__name__
        out["final"] = [final.final_ops_values["total"], final.final_ops_values["twice"]]

        # A hook and the caller feeding one tensor.
        with tf.train.MonitoredSession(hooks=[tf.train.FeedFnHook(lambda: {x: 1.0})]) as sess:
            try:
                sess.run(add, feed_dict={x: 2.0})
            except RuntimeError as e:
                out["conflict"] = str(e).split(" Conflict(s)")[0]
    return out


def _step_fn(tf):
    trace = []
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        step = tf.train.get_or_create_global_step()
        double = tf.group(v.assign(2 * v), step.assign_add(1))

        class Counter(tf.train.SessionRunHook):
            def after_run(self, run_context, run_values):
                trace.append("hook after_run")

        def step_fn(step_context):
            step_context.run_with_hooks(double)
            value = step_context.session.run(v)  # the raw session: no hooks
            trace.append("value %s" % value)
            if value >= 8:
                step_context.request_stop()
            return value

        returned = []
        with tf.train.MonitoredSession(hooks=[Counter()]) as sess:
            while not sess.should_stop():
                returned.append(sess.run_step_fn(step_fn))
        trace.append("closed, should_stop=%s" % sess.should_stop())
        import functools

        class Fns(object):
            def method(self, a, b):
                pass

            def __call__(self, step_context, extra):
                pass
        for fn in (lambda a, b: None, Fns().method, Fns(), functools.partial(lambda a, step_context: None, 1),
                   functools.partial(lambda step_context, b: None, b=2)):
            try:
                sess.run_step_fn(fn)
                trace.append("accepted")
            except ValueError as e:
                trace.append(str(e).split("Got ")[-1])
            except (AttributeError, TypeError) as e:  # accepted, then run on the closed session
                trace.append("accepted: " + type(e).__name__)
    return trace, returned


def _listeners(tf, workdir):
    trace = []
    ckpt_dir = os.path.join(workdir, "listened")
    with tf.Graph().as_default():
        v = tf.Variable(0.0, name="v")
        step = tf.train.get_or_create_global_step()
        train_op = tf.group(v.assign_add(0.5), step.assign_add(1))

        class Listener(tf.train.CheckpointSaverListener):
            def begin(self):
                trace.append("begin")

            def before_save(self, session, global_step_value):
                trace.append("before_save %d" % global_step_value)

            def after_save(self, session, global_step_value):
                trace.append("after_save %d %s" % (global_step_value, tf.train.latest_checkpoint(ckpt_dir)
                                                   .rsplit(os.sep, 1)[1]))
                return global_step_value >= 6

            def end(self, session, global_step_value):
                trace.append("end %d" % global_step_value)

        saver = tf.train.Saver(max_to_keep=2)
        hook = tf.train.CheckpointSaverHook(ckpt_dir, save_steps=3, saver=saver, listeners=[Listener()],
                                            checkpoint_basename="m")
        with tf.train.MonitoredSession(hooks=[hook]) as sess:
            while not sess.should_stop():
                sess.run(train_op)
                trace.append("ran")
            try:
                sess.run(train_op)
            except RuntimeError as e:
                trace.append(str(e))
    files = sorted(os.listdir(ckpt_dir))
    return trace, [f for f in files if not f.startswith("events.out.tfevents")]


def main(tf, workdir):
    logger = logging.getLogger("tensorflow")
    capture = _Capture()
    old_level = logger.level
    logger.addHandler(capture)
    logger.setLevel(logging.INFO)
    try:
        fail_events, fail_losses = _nan(tf, True)
        stop_events, stop_losses = _nan(tf, False)
        del capture.lines[:]
        lines = []
        _logging(tf, lines)
        logged = [re.sub(r" \(\d+\.\d+ sec\)$", " (secs)", line) for line in capture.lines
                  if "=" in line or line.startswith("INFO formatted")] + lines
        feeds = _feeds_and_final(tf)
        trace, returned = _step_fn(tf)
        listened, files = _listeners(tf, workdir)
    finally:
        logger.removeHandler(capture)
        logger.setLevel(old_level)
    return {"fail_events": fail_events, "fail_losses": fail_losses, "stop_events": stop_events,
            "stop_losses": stop_losses, "logged": logged, "final": feeds["final"],
            "raw_is_session": feeds["raw_is_session"], "conflict": feeds["conflict"], "step_fn_trace": trace,
            "step_fn_returned": np.array(returned), "listened": listened, "listener_files": files}
