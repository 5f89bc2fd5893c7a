"""Summaries in TF1 training loops: MonitoredTrainingSession with a summary_dir (its
StepCounterHook's global_step/sec, its SummarySaverHook saving the scaffold's merge_all every
save_summaries_steps, the CheckpointSaverHook's graph, meta graph and CHECKPOINT logs, all in one
events file through FileWriterCache), a SummarySaverHook given a list of summary ops and a writer,
save_secs, the hooks' argument errors, and the v1 names all_v2_summary_ops and initialize.
(Every 1 or 2 steps: with 3 and more, the step the hook expects next comes from the global step
read in the same run as the train op, which TF's executor may order before or after the
increment.) Compared: each event's kind and step, the summaries' bytes (global_step/sec, a rate, by tag only),
the session logs (checkpoint paths relative to the directory); wall times are left out."""
import os

import numpy as np

GRAPH = True


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return "no error"


def _events(tf, logdir):
    out = []
    for name in sorted(os.listdir(logdir)):
        if not name.startswith("events.out.tfevents."):
            continue
        for event in tf.train.summary_iterator(os.path.join(logdir, name)):
            kind = event.WhichOneof("what")
            row = "%s %d" % (kind, event.step)
            if kind == "summary":
                tags = [v.tag for v in event.summary.value]
                row += " " + (tags[0] if tags == ["global_step/sec"] else event.summary.SerializeToString().hex())
            elif kind == "session_log":
                path = event.session_log.checkpoint_path
                row += " %d %s" % (event.session_log.status, os.path.relpath(path, logdir) if path else "")
            elif kind == "file_version":
                row += " " + event.file_version
            out.append(row)
    return out


def _model(tf):
    rng = np.random.RandomState(4)
    x = tf.constant(rng.normal(0, 1, (5, 3)).astype(np.float32), name="x")
    w = tf.Variable(rng.normal(0, 1, (3,)).astype(np.float32), name="w")
    loss = tf.reduce_mean(tf.square(tf.reduce_sum(x * w, axis=1) - 1.0), name="loss")
    step = tf.train.get_or_create_global_step()
    summaries = [tf.summary.scalar("loss", loss), tf.summary.histogram("w", w)]
    with tf.control_dependencies(summaries):  # the summaries read w before the update
        train = tf.train.GradientDescentOptimizer(0.05).minimize(loss, global_step=step)
    return loss, train


def main(tf, workdir):
    out = {"v2_ops": tf.summary.all_v2_summary_ops(), "initialize": _err(tf.summary.initialize)}
    out["hook_errors"] = [_err(lambda: tf.train.SummarySaverHook(save_steps=1)),
                          _err(lambda: tf.train.SummarySaverHook(save_steps=1, scaffold=tf.train.Scaffold(),
                                                                 summary_op=tf.constant("")))]
    with tf.Graph().as_default():  # no global step: begin refuses
        hook = tf.train.SummarySaverHook(save_steps=1, summary_op=tf.summary.scalar("s", 1.0))
        out["no_step"] = _err(hook.begin)

    loss, train = _model(tf)
    ckpt = os.path.join(workdir, "ckpt")
    losses = []
    with tf.train.MonitoredTrainingSession(checkpoint_dir=ckpt, save_summaries_steps=2, log_step_count_steps=2,
                                           hooks=[tf.train.StopAtStepHook(last_step=7)]) as sess:
        while not sess.should_stop():
            losses.append(sess.run([loss, train])[0])
    out["losses"] = np.array(losses)
    out["summary_op"] = tf.get_collection(tf.GraphKeys.SUMMARY_OP)[0].name

    # A hook of its own: a list of summary ops, a writer given, every step.
    logdir = os.path.join(workdir, "own")
    writer = tf.summary.FileWriter(logdir)
    extra = tf.summary.scalar("doubled", loss * 2, collections=[])
    hook = tf.train.SummarySaverHook(save_steps=1, summary_writer=writer, summary_op=[extra, tf.summary.merge_all()])
    secs_hook = tf.train.SummarySaverHook(save_secs=3600, output_dir=os.path.join(workdir, "secs"),
                                          summary_op=extra)
    with tf.train.MonitoredSession(hooks=[hook, secs_hook, tf.train.StopAtStepHook(num_steps=5)]) as sess:
        while not sess.should_stop():
            sess.run(train)
    writer.close()
    tf.summary.FileWriterCache.clear()
    out["ckpt_events"] = _events(tf, ckpt)
    out["own_events"] = _events(tf, logdir)
    out["secs_events"] = _events(tf, os.path.join(workdir, "secs"))
    out["ckpt_files"] = sorted(f for f in os.listdir(ckpt) if not f.startswith("events.out.tfevents."))
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
