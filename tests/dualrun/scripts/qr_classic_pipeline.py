"""A classic TF1 training script end to end: Examples written to TFRecord files, read back by
string_input_producer + TFRecordReader (one thread, no shuffling: the order is TF's), parsed with
tf.parse_single_example and tf.decode_raw, labels mapped through a lookup table (a string
vocabulary with an OOV bucket), batched by tf.train.batch, trained under MonitoredTrainingSession
(checkpoints, merged summaries every 2 steps in an events file) until the input ends; then a second
session restores the checkpoint and evaluates. Compared: the losses, the batches, the final
weights, the events (kinds, steps and summary values), the graph."""
import os

import numpy as np

GRAPH = True
ATOL = 1e-6  # the logits' MatMul sums in the BLAS library's order, not Eigen's

WORDS = ["cat", "dog", "bird", "fish"]


def _examples(tf, rng, n, offset):
    out = []
    for i in range(n):
        pixels = rng.randint(0, 255, size=6).astype(np.uint8)
        word = WORDS[(i + offset) % 4] if (i + offset) % 7 else "unknown"
        feats = {"pixels": tf.train.Feature(bytes_list=tf.train.BytesList(value=[pixels.tobytes()])),
                 "label": tf.train.Feature(bytes_list=tf.train.BytesList(value=[word.encode()])),
                 "weight": tf.train.Feature(float_list=tf.train.FloatList(value=[0.5 + 0.1 * i]))}
        out.append(tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString())
    return out


def _value(v):
    """A summary value, to 5 digits (the matmul's summation order is the BLAS library's); rates and
    the queues' fill fractions (which follow thread timing) by tag only."""
    if v.tag.endswith("/sec") or "fraction_" in v.tag:
        return v.tag
    if v.HasField("histo"):
        return "%s:%d,%.5g,%.5g,%.5g" % (v.tag, v.histo.num, v.histo.min, v.histo.max, v.histo.sum)
    return "%s=%.5g" % (v.tag, v.simple_value)


def _events(tf, logdir):
    rows = []
    for name in sorted(os.listdir(logdir)):
        if name.startswith("events.out.tfevents."):
            for event in tf.train.summary_iterator(os.path.join(logdir, name)):
                kind = event.WhichOneof("what")
                row = "%s %d" % (kind, event.step)
                if kind == "summary":
                    row += " " + " ".join(_value(v) for v in event.summary.value)
                elif kind == "session_log":
                    row += " %d" % event.session_log.status
                rows.append(row)
    return rows


def main(tf, workdir):
    cwd = os.getcwd()
    os.chdir(workdir)  # relative file names: the graph does not hold the temporary directory
    try:
        return _run(tf)
    finally:
        os.chdir(cwd)


def _run(tf):
    rng = np.random.RandomState(2)
    files = []
    for k in range(2):
        files.append("part-%d.tfrecord" % k)
        with tf.python_io.TFRecordWriter(files[-1]) as writer:
            for record in _examples(tf, rng, 7, 7 * k):
                writer.write(record)

    filename_queue = tf.train.string_input_producer(files, num_epochs=2, shuffle=False)
    reader = tf.TFRecordReader()
    _, serialized = reader.read(filename_queue)
    parsed = tf.parse_single_example(serialized, {
        "pixels": tf.FixedLenFeature([], tf.string),
        "label": tf.FixedLenFeature([], tf.string),
        "weight": tf.FixedLenFeature([], tf.float32, default_value=1.0)})
    pixels = tf.cast(tf.reshape(tf.decode_raw(parsed["pixels"], tf.uint8), [6]), tf.float32) / 255.0
    table = tf.lookup.StaticVocabularyTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant(WORDS), tf.constant([0, 1, 2, 3], tf.int64)),
        num_oov_buckets=1)
    label = table.lookup(parsed["label"])
    x, y, wt = tf.train.batch([pixels, label, parsed["weight"]], batch_size=4, num_threads=1, capacity=16)

    w = tf.get_variable("w", [6, 5], initializer=tf.constant_initializer(0.01))
    b = tf.get_variable("b", [5], initializer=tf.zeros_initializer())
    logits = tf.matmul(x, w) + b
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits, weights=wt)
    tf.summary.scalar("loss", loss)
    tf.summary.histogram("logits", logits)
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=step)

    graph_def = tf.get_default_graph().as_graph_def()
    for node in graph_def.node:  # the table's shared_name ends in a random uuid, in TF too
        if node.attr["shared_name"].s.startswith(b"hash_table_"):
            node.attr["shared_name"].s = b"hash_table_<uuid>"
    out = {"__graph__": graph_def}
    losses, labels = [], []
    # FileWriterCache is per process and keyed by the directory's name: an absolute one, and a
    # fresh cache, so no other script's writer is picked up
    tf.summary.FileWriterCache.clear()
    with tf.train.MonitoredTrainingSession(checkpoint_dir=os.path.abspath("ckpt"), save_summaries_steps=2,
                                           save_checkpoint_secs=None, save_checkpoint_steps=100,
                                           log_step_count_steps=100) as sess:
        while not sess.should_stop():
            _, l, labs = sess.run([train, loss, y])
            losses.append(l)
            labels.append(labs)
    tf.summary.FileWriterCache.clear()
    out["losses"] = np.array(losses)
    out["labels"] = np.concatenate(labels)
    out["events"] = _events(tf, "ckpt")
    out["ckpt"] = os.path.basename(tf.train.latest_checkpoint("ckpt"))
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, tf.train.latest_checkpoint("ckpt"))
        out["weights"] = sess.run([w, b, step])
    return out
