"""A Supervisor with a logdir writes TF's events file: the graph and meta graph, a START session
log, the first round of its services (the summary op's value and global_step/sec from the summary
threads, a CHECKPOINT log after the checkpoint thread's save), what summary_computed is given, and
a STOP log when it stops. A writer given to it gets the same. The services' first round runs at
once in three threads, so those events are compared in sorted order; global_step/sec (a rate) by
tag only; wall times left out."""
import os
import time

import numpy as np

GRAPH = True


def _events(tf, logdir):
    rows = []
    for name in sorted(os.listdir(logdir)):
        if not name.startswith("events.out.tfevents."):
            continue
        for event in tf.train.summary_iterator(os.path.join(logdir, name)):
            kind = event.WhichOneof("what")
            row = "%s %d" % (kind, event.step)
            if kind == "summary":
                tags = [v.tag for v in event.summary.value]
                row += " " + (tags[0] if tags[0].endswith("/sec") else event.summary.SerializeToString().hex())
            elif kind == "session_log":
                path = event.session_log.checkpoint_path
                row += " %d %s" % (event.session_log.status, os.path.relpath(path, logdir) if path else "")
            rows.append(row)
    return rows


def main(tf, workdir):
    rng = np.random.RandomState(5)
    x = tf.constant(rng.normal(0, 1, (4, 3)).astype(np.float32), name="x")
    w = tf.Variable(rng.normal(0, 1, (3,)).astype(np.float32), name="w")
    loss = tf.reduce_mean(tf.square(tf.reduce_sum(x * w, axis=1) - 1.0), name="loss")
    step = tf.train.get_or_create_global_step()
    tf.summary.scalar("loss", loss)
    tf.summary.histogram("w", w)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    logdir = os.path.join(workdir, "sv")
    sv = tf.train.Supervisor(logdir=logdir, save_summaries_secs=3600, save_model_secs=3600)
    out = {"summary_op": sv.summary_op.name, "collection": [t.name for t in tf.get_collection(tf.GraphKeys.SUMMARY_OP)]}
    losses = []
    with sv.managed_session() as sess:
        time.sleep(1.0)  # the services' first round, before any training step
        for _ in range(3):
            losses.append(sess.run([loss, train])[0])
        sv.summary_computed(sess, sess.run(sv.summary_op))
        sv.summary_computed(sess, sess.run(sv.summary_op), global_step=11)
    out["losses"] = np.array(losses)
    events = _events(tf, logdir)
    out["head"] = events[:4]
    out["first_round"] = sorted(events[4:7])
    out["tail"] = events[7:]
    out["files"] = sorted(f for f in os.listdir(logdir) if not f.startswith("events.out.tfevents."))
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
