"""A MonitoredTrainingSession training loop: StopAtStepHook, checkpoints every 5 steps
(save_checkpoint_steps) and a hook recording when it is called and what it fetched; then a
second MonitoredTrainingSession on the same checkpoint_dir resumes from the saved global step.
Compared: the hook calls in order, the weights, the files in checkpoint_dir (TF's events files
left out: their contents are compared in sum_hooks), the log, the `checkpoint` state, the graph the Scaffold finalized
(as graph.pbtxt holds it) and a .meta's nodes, collections and saver_def."""
import logging
import os

import numpy as np

ATOL = 1e-7


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


def _recorder(tf, events, loss):
    class Recorder(tf.train.SessionRunHook):
        def begin(self):
            events.append("begin finalized=%s" % tf.get_default_graph().finalized)

        def after_create_session(self, session, coord):
            events.append("after_create_session step=%d stop=%s" % (
                session.run(tf.train.get_global_step()), coord.should_stop()))

        def before_run(self, run_context):
            events.append("before_run")
            return tf.train.SessionRunArgs({"loss": loss})

        def after_run(self, run_context, run_values):
            # The step is read after the run: fetched with the train op, TF may read it before or after the
            # increment.
            events.append("after_run step=%d loss=%s stop=%s" % (
                run_context.session.run(tf.train.get_global_step()), type(run_values.results["loss"]).__name__,
                run_context.stop_requested))

        def end(self, session):
            events.append("end step=%d" % session.run(tf.train.get_global_step()))
    return Recorder()


def _files(ckpt_dir):
    return sorted(f for f in os.listdir(ckpt_dir) if not f.startswith("events.out.tfevents"))


def _meta(tf, path):
    """The nodes of a .meta file, its collection keys and its saver_def."""
    m = tf.MetaGraphDef()
    with open(path, "rb") as f:
        m.ParseFromString(f.read())
    nodes = ["%s %s %s" % (n.name, n.op, ",".join(n.input)) for n in m.graph_def.node]
    sd = m.saver_def
    return nodes, sorted(m.collection_def), [sd.filename_tensor_name, sd.save_tensor_name, sd.restore_op_name,
                                             str(sd.max_to_keep), str(sd.sharded), str(sd.version)]


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append("%s %s" % (record.levelname, record.getMessage()))


# Left out of the log compared: TF's deprecation notices, Saver.restore's "Restoring parameters from" (the
# Saver's own log, not this machinery's) and StepCounterHook's stale-step warning, which in TF depends on whether
# `global_step/add` ran before or after the step's increment (nothing orders them).
_NOT_COMPARED = ("is deprecated", "Instructions for updating", "Use standard file", "Restoring parameters from",
                 "has not been increased")


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
    out["log"] = [line.replace(workdir, "WORKDIR") for line in capture.lines
                  if not any(s in line for s in _NOT_COMPARED)]
    return out


def _train_and_resume(tf, workdir):
    ckpt_dir = os.path.join(workdir, "ckpt")
    feed, w, b, step, loss, train_op = _model(tf)
    events = []
    losses = []
    final = tf.train.FinalOpsHook([w, b, step])
    with tf.train.MonitoredTrainingSession(
            checkpoint_dir=ckpt_dir, save_checkpoint_steps=5,
            hooks=[tf.train.StopAtStepHook(last_step=12), _recorder(tf, events, loss), final]) as sess:
        events.append("created finalized=%s" % tf.get_default_graph().finalized)
        while not sess.should_stop():
            _, l = sess.run([train_op, loss], feed_dict=feed)
            losses.append(l)
        events.append("loop done")
    first = final.final_ops_values
    events.append("closed finalized=%s" % tf.get_default_graph().finalized)
    files_first = _files(ckpt_dir)
    state = tf.train.get_checkpoint_state(ckpt_dir)
    state_first = [os.path.relpath(p, workdir) for p in [state.model_checkpoint_path] +
                   list(state.all_model_checkpoint_paths)]
    # graph.pbtxt is the finalized graph with shapes. Compared node for node rather than as text: TF's Shape
    # nodes carry an experimental_type metarun does not write, and one Tile's inferred shape differs.
    from google.protobuf import text_format
    with open(os.path.join(ckpt_dir, "graph.pbtxt")) as f:
        graph_def = text_format.Parse(f.read(), tf.GraphDef())
    with_shapes = [n.name for n in graph_def.node if "_output_shapes" in n.attr]
    meta_nodes, meta_collections, saver_def = _meta(tf, os.path.join(ckpt_dir, "model.ckpt-12.meta"))

    resumed = []
    with tf.Graph().as_default():
        feed, w, b, step, loss, train_op = _model(tf)
        final = tf.train.FinalOpsHook([w, b, step, loss], feed)
        with tf.train.MonitoredTrainingSession(
                checkpoint_dir=ckpt_dir, save_checkpoint_steps=5,
                hooks=[tf.train.StopAtStepHook(num_steps=7), _recorder(tf, resumed, loss), final]) as sess:
            while not sess.should_stop():
                sess.run(train_op, feed_dict=feed)
        second = final.final_ops_values
    state = tf.train.get_checkpoint_state(ckpt_dir)
    state_second = [os.path.relpath(p, workdir) for p in [state.model_checkpoint_path] +
                    list(state.all_model_checkpoint_paths)]
    return {"events": events, "losses": np.array(losses), "first": first, "files_first": files_first,
            "state_first": state_first, "with_shapes": with_shapes, "meta_nodes": meta_nodes,
            "meta_collections": meta_collections, "saver_def": saver_def, "resumed": resumed, "second": second,
            "files_second": _files(ckpt_dir), "state_second": state_second,
            "latest": os.path.basename(tf.train.latest_checkpoint(ckpt_dir)), "__graph__": graph_def}


GRAPH = True
