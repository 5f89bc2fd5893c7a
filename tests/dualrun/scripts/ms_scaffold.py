"""Scaffold and SessionManager: the default ready ops report uninitialised ref, resource and
local variables by name; prepare_session with a partial init op fails as TF's does, with
init_fn completes it, and restores a checkpoint instead when there is one; recover_session
and wait_for_session; Scaffold's collections, copy_from_scaffold, and the graph it
finalizes (node for node)."""
import os

import numpy as np

GRAPH = True


def _error_tail(e):
    return str(e).split("error: ")[-1]


def main(tf, workdir):
    out = {}
    w = tf.Variable(tf.ones([2]), name="w")
    r = tf.get_variable("r", [], initializer=tf.constant_initializer(3.0), use_resource=True)
    loc = tf.Variable(5.0, name="loc", trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES])
    step = tf.train.get_or_create_global_step()
    bump = step.assign_add(1)
    scaffold = tf.train.Scaffold(init_fn=lambda scaffold, sess: sess.run(r.initializer))
    partial = tf.variables_initializer([w, step])
    only_w = tf.variables_initializer([w])
    scaffold.finalize()
    out["finalized"] = tf.get_default_graph().finalized
    out["saver_sharded"] = scaffold.saver.saver_def.sharded
    out["summary_op_none"] = scaffold.summary_op is None
    out["collections"] = [len(tf.get_collection(k)) for k in (
        tf.GraphKeys.INIT_OP, tf.GraphKeys.READY_OP, tf.GraphKeys.READY_FOR_LOCAL_INIT_OP,
        tf.GraphKeys.LOCAL_INIT_OP, tf.GraphKeys.SUMMARY_OP, tf.GraphKeys.SAVERS)]
    out["ops"] = [scaffold.init_op.name, scaffold.ready_op.name, scaffold.ready_for_local_init_op.name,
                  scaffold.local_init_op.name]
    copy = tf.train.Scaffold(copy_from_scaffold=scaffold, ready_op=scaffold.ready_for_local_init_op)
    out["copied"] = [copy.init_op is scaffold.init_op, copy.ready_op is scaffold.ready_for_local_init_op,
                     copy.saver is scaffold.saver, copy.init_fn is not None]

    with tf.Session() as sess:
        out["ready_before"] = sess.run(scaffold.ready_op)
        out["ready_local_before"] = sess.run(scaffold.ready_for_local_init_op)
        sess.run(w.initializer)
        out["ready_partial"] = sess.run(scaffold.ready_op)

    manager = tf.train.SessionManager(local_init_op=scaffold.local_init_op, ready_op=scaffold.ready_op,
                                      ready_for_local_init_op=scaffold.ready_for_local_init_op,
                                      recovery_wait_secs=0.01)
    try:
        manager.prepare_session("", init_op=partial)
    except RuntimeError as e:
        out["partial_error"] = _error_tail(e)
    try:
        manager.prepare_session("", init_op=only_w)
    except RuntimeError as e:
        out["local_error"] = _error_tail(e)
    try:
        tf.train.SessionManager(ready_for_local_init_op=scaffold.ready_op)
    except ValueError as e:
        out["no_local_init"] = str(e).split(" , ")[0]
    try:
        tf.train.SessionManager().prepare_session("")
    except RuntimeError as e:
        out["nothing_to_init"] = str(e)

    sess = manager.prepare_session("", init_op=partial, init_fn=scaffold.init_fn)
    out["prepared"] = sess.run([w, r, loc, step])
    sess.run(bump)
    sess.run(bump)
    prefix = scaffold.saver.save(sess, os.path.join(workdir, "model"), global_step=step)
    out["saved"] = os.path.basename(prefix)

    recovered, ok = manager.recover_session("", saver=scaffold.saver, checkpoint_dir=workdir)
    out["recovered"] = [ok, recovered.run(step), recovered.run(loc)]
    fresh, ok = manager.recover_session("", saver=scaffold.saver, checkpoint_dir=os.path.join(workdir, "none"))
    out["not_recovered"] = ok
    restored = manager.prepare_session("", init_op=partial, saver=scaffold.saver, checkpoint_dir=workdir)
    out["restored_step"] = restored.run(step)
    by_path = manager.prepare_session("", saver=scaffold.saver, checkpoint_filename_with_path=prefix)
    out["by_path_step"] = by_path.run(step)
    try:
        manager.prepare_session("", saver=scaffold.saver, checkpoint_dir=workdir, checkpoint_filename_with_path=prefix)
    except ValueError as e:
        out["both"] = str(e)
    try:
        manager.wait_for_session("", max_wait_secs=0)
    except tf.errors.DeadlineExceededError as e:
        out["wait_error"] = [type(e).__name__, e.message]

    # A worker's session: ready once the chief has initialised the (process-local) variables, which
    # never happens here, so MonitoredTrainingSession(is_chief=False) gives up.
    try:
        tf.train.MonitoredTrainingSession(is_chief=False, scaffold=scaffold, max_wait_secs=0)
    except tf.errors.DeadlineExceededError as e:
        out["worker_error"] = e.message
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    out["ready_after"] = np.array(restored.run(scaffold.ready_op), dtype=object).astype(str)
    return out
