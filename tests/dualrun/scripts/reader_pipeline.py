"""A TF1 input pipeline built on readers, as pre-tf.data code wrote it: file names in a FIFOQueue
(enqueue_many, then closed), a TextLineReader skipping a CSV header, a GZIP TFRecordReader whose
read_up_to batches feed parse_example, a FixedLengthRecordReader over CIFAR-like records decoded
with decode_raw, a WholeFileReader and tf.io.read_file/write_file; each drained to the queue's
OutOfRangeError, with the readers' counters and an IdentityReader's serialized state. Keys hold
the work folder, which is replaced by "<dir>" before comparing."""
import os

import numpy as np

GRAPH = True


def _queue(tf, name):
    """A FIFOQueue of file names fed to its filling op (the graph holds no path)."""
    q = tf.FIFOQueue(8, [tf.string], shapes=[[]], name=name)
    names = tf.placeholder(tf.string, [None], name=name + "_names")
    fill = q.enqueue_many([names])
    with tf.control_dependencies([fill]):
        close = q.close()
    return q, close, names


def _drain(tf, sess, fetches, workdir, concat=False):
    """Runs `fetches` (a list) until OutOfRange; per fetch, its values stacked (or concatenated)."""
    steps = []
    while True:
        try:
            steps.append(_strip(sess.run(fetches), workdir))
        except tf.errors.OutOfRangeError:
            break
    join = np.concatenate if concat else np.stack
    return [join([step[i] for step in steps]) for i in range(len(fetches))]


def _strip(value, workdir):
    if isinstance(value, (list, tuple)):
        return [_strip(v, workdir) for v in value]
    if isinstance(value, np.ndarray) and value.dtype == object:
        return np.array([_strip(v, workdir) for v in value.reshape(-1)], dtype=object).reshape(value.shape)
    if isinstance(value, bytes):
        return value.replace(workdir.encode(), b"<dir>")
    return value


def _error(tf, fn):
    try:
        fn()
    except tf.errors.OpError as e:
        return type(e).__name__
    return "no error"


def main(tf, workdir):
    csv = [os.path.join(workdir, "part-%d.csv" % i) for i in range(2)]
    for i, path in enumerate(csv):
        with open(path, "w") as f:
            f.write("id,score,name\n")
            for j in range(3 + i):
                f.write("%d,%.2f,row%d\n" % (10 * i + j, j * 0.5, j))
    records = os.path.join(workdir, "examples.tfrecord.gz")
    with tf.io.TFRecordWriter(records, tf.io.TFRecordOptions(compression_type="GZIP")) as w:
        for i in range(7):
            ex = tf.train.Example(features=tf.train.Features(feature={
                "x": tf.train.Feature(float_list=tf.train.FloatList(value=[i * 1.5, -i])),
                "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[i % 3]))}))
            w.write(ex.SerializeToString())
    cifar = os.path.join(workdir, "batch.bin")
    rng = np.random.RandomState(3)
    with open(cifar, "wb") as f:
        f.write(rng.randint(0, 256, size=5 * 13).astype(np.uint8).tobytes())

    q_csv, fill_csv, csv_names = _queue(tf, "csv_files")
    lines = tf.TextLineReader(skip_header_lines=1, name="csv_reader")
    line_key, line = lines.read(q_csv)

    q_rec, fill_rec, rec_names = _queue(tf, "record_files")
    reader = tf.TFRecordReader(options=tf.io.TFRecordOptions(compression_type="GZIP"))
    _, serialized = reader.read_up_to(q_rec, 3)
    parsed = tf.io.parse_example(serialized, {"x": tf.io.FixedLenFeature([2], tf.float32),
                                              "label": tf.io.FixedLenFeature([], tf.int64)})

    q_bin, fill_bin, bin_names = _queue(tf, "bin_files")
    fixed = tf.FixedLengthRecordReader(record_bytes=13)
    bin_key, raw = fixed.read(q_bin)
    decoded = tf.decode_raw(raw, tf.uint8)
    label = tf.cast(tf.slice(decoded, [0], [1]), tf.int32)
    image = tf.reshape(tf.slice(decoded, [1], [12]), [2, 2, 3])

    q_whole, fill_whole, whole_names = _queue(tf, "whole_files")
    whole = tf.WholeFileReader(name="whole")
    whole_kv = whole.read(q_whole)
    source = tf.placeholder(tf.string, [], name="source")
    copy = tf.placeholder(tf.string, [], name="copy")
    write = tf.io.write_file(copy, tf.read_file(source))
    copied = tf.io.read_file(copy)

    q_ids, fill_ids, ids = _queue(tf, "ids")
    ident = tf.IdentityReader()
    ident_kv = ident.read(q_ids)

    out = {}
    with tf.Session() as sess:
        sess.run([fill_csv, fill_rec, fill_bin, fill_whole, fill_ids],
                 {csv_names: csv, rec_names: [records], bin_names: [cifar], whole_names: [csv[1], cifar],
                  ids: ["a", "b", "c"]})
        out["csv"] = _drain(tf, sess, [line_key, line], workdir)
        out["parsed"] = _drain(tf, sess, [parsed["x"], parsed["label"]], workdir, concat=True)
        out["cifar"] = _drain(tf, sess, [bin_key, label, image], workdir)
        out["whole"] = _drain(tf, sess, list(whole_kv), workdir)
        out["queue_closed"] = _error(tf, lambda: sess.run(whole_kv))
        paths = {source: cifar, copy: os.path.join(workdir, "copy", "batch.bin")}
        sess.run(write, paths)
        out["copy"] = sess.run(copied, paths)
        out["ident_first"] = list(sess.run(list(ident_kv)))
        out["ident_state"] = sess.run(ident.serialize_state())
        out["counts"] = sess.run([lines.num_records_produced(), lines.num_work_units_completed(),
                                  reader.num_records_produced(), fixed.num_records_produced(),
                                  whole.num_work_units_completed()])
        sess.run(lines.reset())
        out["counts_reset"] = sess.run([lines.num_records_produced(), lines.num_work_units_completed()])
    out["shapes"] = [str(line.shape), str(serialized.shape), str(raw.shape), str(parsed["x"].shape)]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
