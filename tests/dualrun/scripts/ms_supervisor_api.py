"""tf.train.Supervisor without a logdir and its error paths: a global step found by the name
`global_step:0` (and one that is not an integer, ignored), init_feed_dict and init_fn, no
Saver without variables, managed_session re-raising a ValueError and a session error but
ending quietly on OutOfRangeError, a new session after that, the standard services refused
to a worker or skipped without a logdir, and a worker giving up waiting for the chief
(DeadlineExceededError) or refusing variables without a device."""
import os

import numpy as np


def _first_line(e):
    return str(e).split("\n")[0]


def _no_logdir(tf, out):
    start = tf.placeholder(tf.float32, [], name="start")
    v = tf.Variable(start, name="v")
    u = tf.Variable(0.0, name="u")
    step = tf.Variable(0, name="global_step", trainable=False, dtype=tf.int64)
    bump = step.assign_add(1)
    needs_feed = v + start
    set_u = u.assign(7.0)
    seen = []

    def init_fn(sess):
        seen.append(sess.run(v))
        sess.run(set_u)
    sv = tf.train.Supervisor(init_feed_dict={start: 2.5}, init_fn=init_fn, recovery_wait_secs=0.01)
    out["no_logdir"] = [sv.save_path is None, sv.summary_writer is None, sv.summary_op is None,
                        sv.saver is not None, sv.global_step.name, len(tf.get_collection(tf.GraphKeys.GLOBAL_STEP)),
                        tf.get_default_graph().finalized, sv.init_feed_dict is not None]
    try:
        with sv.managed_session() as sess:
            out["initialised"] = sess.run([v, u, step])
            sess.run(bump)
            out["services"] = sv.start_standard_services(sess) is None
            out["queue_runners"] = sv.start_queue_runners(sess)
            raise ValueError("from the block")
    except ValueError as e:
        out["reraised"] = [type(e).__name__, str(e), sv.should_stop()]
    out["init_fn_saw"] = seen
    with sv.managed_session() as sess:
        out["fresh_session"] = [sv.should_stop(), sess.run(step)]
        raise tf.errors.OutOfRangeError(None, None, "end of input")
    out["out_of_range_swallowed"] = sv.should_stop()
    try:
        with sv.managed_session() as sess:
            sess.run(needs_feed)
    except tf.errors.InvalidArgumentError as e:
        out["session_error"] = type(e).__name__
    sess = sv.prepare_or_wait_for_session(start_standard_services=False)
    out["prepared"] = sess.run(v)
    sv.request_stop()
    out["requested"] = sv.should_stop()
    sv.stop()
    sess.close()


def _other_graphs(tf, out, workdir):
    with tf.Graph().as_default():
        tf.Variable(1.0, name="global_step")
        sv = tf.train.Supervisor()
        out["float_step_ignored"] = sv.global_step is None

    with tf.Graph().as_default():
        x = tf.constant([1.0, 2.0], name="x")
        logdir = os.path.join(workdir, "empty")
        sv = tf.train.Supervisor(logdir=logdir, summary_op=None)
        out["no_variables"] = [sv.saver is None, sv.global_step is None, sv.init_op.type, sv.ready_op.name]
        with sv.managed_session() as sess:
            out["x"] = sess.run(x)
        out["empty_files"] = sorted(f for f in os.listdir(logdir) if not f.startswith("events.out.tfevents"))

    with tf.Graph().as_default():
        tf.Variable(1.0, name="w")
        try:
            tf.train.Supervisor(is_chief=False)
        except ValueError as e:
            out["worker_no_device"] = str(e).split(":")[0]

    with tf.Graph().as_default():
        with tf.device("/cpu:0"):
            tf.Variable(1.0, name="w")
        sv = tf.train.Supervisor(is_chief=False, logdir=workdir, recovery_wait_secs=0.01, ready_op=None,
                                 local_init_op=None)
        out["worker"] = [sv.is_chief, sv.save_path is None, sv.save_model_secs is None, sv.ready_op is None]
        try:
            sv.start_standard_services(None)
        except RuntimeError as e:
            out["worker_services"] = str(e)
        # With no ready op a worker's session is ready at once; a worker starts no services.
        sess = sv.prepare_or_wait_for_session(max_wait_secs=0)
        out["worker_session"] = sv.should_stop()
        sv.stop()

    with tf.Graph().as_default():
        with tf.device("/cpu:0"):
            tf.Variable(1.0, name="w")
        sv = tf.train.Supervisor(is_chief=False, recovery_wait_secs=0.01)
        try:
            sv.prepare_or_wait_for_session(max_wait_secs=0)
        except tf.errors.DeadlineExceededError as e:
            out["worker_deadline"] = e.message


def main(tf, workdir):
    out = {}
    _no_logdir(tf, out)
    _other_graphs(tf, out, workdir)
    out["ready_op_report"] = np.array([tf.get_default_graph().get_collection(tf.GraphKeys.READY_OP)[0].name])
    return out
