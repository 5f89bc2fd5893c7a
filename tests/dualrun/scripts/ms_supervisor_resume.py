"""tf.train.Supervisor: a managed_session training loop in logdir, whose checkpoint thread
saves model.ckpt-0 as soon as it starts, ended by request_stop and a final save; then a
second Supervisor on the same logdir resumes from the newest checkpoint. Compared: the
Supervisor's default ops, saver and global step, the files in logdir (TF's events file left
out: its contents are compared in sv_summaries), the checkpoint state, the values before and after resuming,
the log (sorted: the checkpoint thread logs while the main thread does) and graph.pbtxt
node for node."""
import logging
import os
import time

import numpy as np

ATOL = 1e-7
GRAPH = True


def _model(tf):
    xs = np.linspace(-1, 1, 32, dtype=np.float32).reshape(16, 2)
    ys = (xs @ np.array([[2.0], [-3.0]], np.float32) + 0.5).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = tf.placeholder(tf.float32, [None, 1], name="y")
    w = tf.Variable(tf.zeros([2, 1]), name="w")
    b = tf.Variable(0.0, name="b")
    step = tf.train.get_or_create_global_step()
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y), name="loss")
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    return {x: xs, y: ys}, w, b, step, loss, train_op


def _files(logdir):
    return sorted(f for f in os.listdir(logdir) if not f.startswith("events.out.tfevents"))


def _state(tf, logdir, workdir):
    state = tf.train.get_checkpoint_state(logdir)
    return [os.path.relpath(p, workdir) for p in [state.model_checkpoint_path] + list(state.all_model_checkpoint_paths)]


def _wait_for_checkpoint(tf, logdir, basename):
    """The checkpoint thread's first save runs at once, beside the main thread: wait for it
    so that the step it saves is the same whichever runtime this is."""
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            path = tf.train.latest_checkpoint(logdir)
        except Exception:  # noqa: BLE001 -- the state file may be half written
            path = None
        # the state file names the checkpoint before its .meta is written (TF's order too)
        if path and os.path.basename(path).startswith(basename) and os.path.exists(path + ".meta"):
            return os.path.basename(path)
        time.sleep(0.01)
    raise RuntimeError("no checkpoint")


def _describe(tf, sv):
    return {"is_chief": sv.is_chief, "finalized": tf.get_default_graph().finalized,
            "ops": [sv.init_op.name, sv.ready_op.name, tf.get_collection(tf.GraphKeys.LOCAL_INIT_OP)[0].name,
                    sv.global_step.name],
            "none": [sv.ready_for_local_init_op is None, sv.summary_op is None],
            "saver": [type(sv.saver).__name__, sv.saver.saver_def.sharded, sv.saver.saver_def.max_to_keep],
            "secs": [sv.save_model_secs, sv.save_summaries_secs],
            "collections": [len(tf.get_collection(k)) for k in (
                tf.GraphKeys.INIT_OP, tf.GraphKeys.READY_OP, tf.GraphKeys.READY_FOR_LOCAL_INIT_OP,
                tf.GraphKeys.LOCAL_INIT_OP, tf.GraphKeys.SUMMARY_OP, tf.GraphKeys.SAVERS,
                tf.GraphKeys.GLOBAL_STEP)]}


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append("%s %s" % (record.levelname, record.getMessage()))


# TF's deprecation notices and Saver.restore's own log are not the Supervisor's; "global_step/sec" is the
# steps/sec summary thread's (its value is a timing).
_NOT_COMPARED = ("is deprecated", "Instructions for updating", "Use standard file", "Restoring parameters from",
                 "switch to tf.train.MonitoredTrainingSession", "global_step/sec")


def main(tf, workdir):
    logger = logging.getLogger("tensorflow")
    capture = _Capture()
    old_level = logger.level
    logger.addHandler(capture)
    logger.setLevel(logging.INFO)
    try:
        out = _train_and_resume(tf, workdir)
    finally:
        logger.removeHandler(capture)
        logger.setLevel(old_level)
    out["log"] = sorted(line.replace(workdir, "WORKDIR") for line in capture.lines
                        if not any(s in line for s in _NOT_COMPARED))
    return out


def _train_and_resume(tf, workdir):
    logdir = os.path.join(workdir, "logdir")
    feed, w, b, step, loss, train_op = _model(tf)
    sv = tf.train.Supervisor(logdir=logdir, save_model_secs=3600)
    out = {"sv_" + k: v for k, v in _describe(tf, sv).items()}
    out["save_path"] = os.path.relpath(sv.save_path, workdir)
    losses = []
    with sv.managed_session() as sess:
        out["first_ckpt"] = _wait_for_checkpoint(tf, logdir, "model.ckpt")
        out["files_started"] = _files(logdir)
        while not sv.should_stop():
            _, l, s = sess.run([train_op, loss, step], feed_dict=feed)
            losses.append(l)
            if s >= 10:
                sv.request_stop()
        out["final_save"] = os.path.basename(sv.saver.save(sess, sv.save_path, global_step=sv.global_step))
        out["first"] = sess.run([w, b, step])
    out["losses"] = np.array(losses)
    out["files_first"] = _files(logdir)
    out["state_first"] = _state(tf, logdir, workdir)
    from google.protobuf import text_format
    with open(os.path.join(logdir, "graph.pbtxt")) as f:
        graph_def = text_format.Parse(f.read(), tf.GraphDef())
    out["with_shapes"] = [n.name for n in graph_def.node if "_output_shapes" in n.attr]
    out["__graph__"] = graph_def

    with tf.Graph().as_default():
        feed, w, b, step, loss, train_op = _model(tf)
        sv = tf.train.Supervisor(logdir=logdir, save_model_secs=3600, checkpoint_basename="resumed.ckpt")
        with sv.managed_session() as sess:
            out["resumed_at"] = sess.run([w, b, step])
            out["second_ckpt"] = _wait_for_checkpoint(tf, logdir, "resumed.ckpt")
            for _ in range(5):
                sess.run(train_op, feed_dict=feed)
            sv.saver.save(sess, sv.save_path, global_step=sv.global_step)
            out["second"] = sess.run([w, b, step, loss], feed_dict=feed)
        out["second_should_stop"] = sv.should_stop()
    out["files_second"] = _files(logdir)
    out["state_second"] = _state(tf, logdir, workdir)
    out["latest"] = os.path.basename(tf.train.latest_checkpoint(logdir))
    return out
