"""A training loop fetching merged summaries (scalar, histogram, image, text, audio, a tensor
summary, a family and a name scope) with its train op, written by a FileWriter with the graph,
and read back with tf.train.summary_iterator: the summaries' bytes, the graph's nodes and
collections, and the events in the file (wall times left out)."""
import os
import re

import numpy as np

GRAPH = True


def _u8(data):
    return np.frombuffer(data, np.uint8)


def main(tf, workdir):
    rng = np.random.RandomState(3)
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    y = tf.placeholder(tf.float32, [None, 1], name="y")
    w = tf.Variable(rng.normal(0, 1, (4,)).astype(np.float32), name="w")
    b = tf.Variable(np.zeros(1, np.float32), name="b")
    pred = tf.reduce_sum(x * w, axis=1, keepdims=True) + b  # elementwise: TF's values to the bit
    loss = tf.reduce_mean(tf.square(pred - y), name="loss")
    step = tf.train.get_or_create_global_step()
    tf.summary.scalar("loss", loss)
    with tf.name_scope("weights"):
        tf.summary.histogram("w", w)
        tf.summary.histogram("pred", pred, family="outputs")
    tf.summary.image("w_image", tf.reshape(w, [1, 2, 2, 1]), max_outputs=1)
    tf.summary.image("x_image", tf.reshape(x, [-1, 2, 2, 1]), max_outputs=2)
    tf.summary.text("note", tf.as_string(step, name="step_text"))
    tf.summary.audio("sound", tf.reshape(x, [-1, 4]), 8000, max_outputs=1)
    tf.summary.tensor_summary("raw_w", w, summary_description="weights")
    tf.summary.scalar("bias", b[0], family="params")
    other = tf.summary.scalar("not_merged", loss * 2, collections=["extra"])
    merged = tf.summary.merge_all()
    extra = tf.summary.merge([other], name="extra_merge")
    with tf.control_dependencies([merged, extra]):  # the summaries read the variables before the update
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    xs = rng.normal(0, 1, (6, 4)).astype(np.float32)
    ys = (xs @ np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32)).astype(np.float32)
    out = {"collection": [t.name for t in tf.get_collection(tf.GraphKeys.SUMMARIES)],
           "extra": [t.name for t in tf.get_collection("extra")], "merged_name": merged.name,
           "extra_name": extra.name}
    logdir = os.path.join(workdir, "logs")
    got = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        writer = tf.summary.FileWriter(logdir, sess.graph)
        for i in range(4):
            s, e, _ = sess.run([merged, extra, train], {x: xs, y: ys})
            got.append(_u8(s))
            got.append(_u8(e))
            writer.add_summary(s, global_step=i)
        writer.add_summary(e, global_step=10)
        writer.add_session_log(tf.SessionLog(status=tf.SessionLog.STOP), global_step=11)
        writer.flush()
        writer.close()
        out["logdir"] = writer.get_logdir() == logdir
    out["summaries"] = got
    names = os.listdir(logdir)
    out["files"] = [bool(re.match(r"^events\.out\.tfevents\.\d{10}\..+$", n)) for n in names]
    events = []
    kinds = []
    for event in tf.train.summary_iterator(os.path.join(logdir, names[0])):
        kind = event.WhichOneof("what")
        kinds.append([kind, int(event.step), event.wall_time > 0])
        if kind == "summary":
            events.append(_u8(event.summary.SerializeToString()))
        elif kind == "file_version":
            kinds.append(event.file_version)
        elif kind == "session_log":
            kinds.append(int(event.session_log.status))
    out["events"] = events
    out["kinds"] = kinds
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
