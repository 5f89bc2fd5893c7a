"""Files written and read back: TFRecord files written with tf.io.TFRecordWriter and
tf.python_io.TFRecordWriter (plain, GZIP, ZLIB; the writer used as a context manager and
flushed), their bytes, tf.python_io.tf_record_iterator, and TFRecordDataset over several files
(compression_type, buffer_size, num_parallel_reads); a text file through TextLineDataset and a
binary one through FixedLengthRecordDataset (header, footer); a file name dataset; a truncated
TFRecord file's DataLossError. Everything is compared with TF's."""
import os

import numpy as np


def _drain(tf, sess, tensor):
    out = []
    try:
        while True:
            out.append(sess.run(tensor))
    except tf.errors.OutOfRangeError:
        pass
    return out


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return "no error"


def main(tf, workdir):
    out = {}
    records = [b"", b"a", b"hello world", bytes(range(256)) * 3, "ünïcode".encode()]
    plain = os.path.join(workdir, "plain.tfrecord")
    with tf.io.TFRecordWriter(plain) as w:
        for r in records[:3]:
            w.write(r)
        w.flush()
        for r in records[3:]:
            w.write(r)
    second = os.path.join(workdir, "second.tfrecord")
    w = tf.python_io.TFRecordWriter(second)
    for i in range(4):
        w.write(b"second-%d" % i)
    w.close()
    gz = os.path.join(workdir, "data.tfrecord.gz")
    with tf.io.TFRecordWriter(gz, tf.io.TFRecordOptions(compression_type="GZIP")) as w:
        for i in range(30):
            w.write(b"gzip record %d " % i * (i + 1))
    zl = os.path.join(workdir, "data.tfrecord.z")
    with tf.python_io.TFRecordWriter(zl, options=tf.python_io.TFRecordOptions(
            tf.python_io.TFRecordCompressionType.ZLIB)) as w:
        w.write(b"zlib")
    with open(plain, "rb") as f:
        out["plain_bytes"] = np.frombuffer(f.read(), np.uint8)
    for key, path in (("gzip_bytes", gz), ("zlib_bytes", zl)):
        with open(path, "rb") as f:
            out[key] = np.frombuffer(f.read(), np.uint8)
    out["iter_plain"] = list(tf.python_io.tf_record_iterator(plain))
    out["iter_gzip"] = list(tf.python_io.tf_record_iterator(gz, tf.io.TFRecordOptions(compression_type="GZIP")))
    out["iter_zlib"] = list(tf.io.tf_record_iterator(zl, options="ZLIB"))
    out["compression_strings"] = [tf.io.TFRecordOptions.get_compression_type_string(o)
                                  for o in (None, "GZIP", tf.python_io.TFRecordCompressionType.ZLIB)]

    text = os.path.join(workdir, "lines.txt")
    with open(text, "wb") as f:
        f.write(b"first line\nsecond\r\n\nlast without newline")
    fixed = os.path.join(workdir, "fixed.bin")
    with open(fixed, "wb") as f:
        f.write(b"HDR" + bytes(range(20)) + b"FT")
    truncated = os.path.join(workdir, "truncated.tfrecord")
    with open(plain, "rb") as f, open(truncated, "wb") as g:
        g.write(f.read()[:-3])

    both = tf.data.TFRecordDataset([plain, second], buffer_size=64)
    names = tf.placeholder(tf.string, [None], name="names")
    fed = tf.data.TFRecordDataset(names, compression_type=tf.constant("GZIP"))
    parallel = tf.data.TFRecordDataset([plain, second], num_parallel_reads=2)
    auto = tf.data.TFRecordDataset([second, plain], num_parallel_reads=tf.data.experimental.AUTOTUNE)
    zds = tf.data.TFRecordDataset(zl, "ZLIB")
    raw_lines = tf.data.TextLineDataset(text)
    fixed_ds = tf.data.FixedLengthRecordDataset(fixed, 4, header_bytes=3, footer_bytes=2)
    file_ds = tf.data.Dataset.from_tensor_slices([second, plain])
    from_files = tf.data.TFRecordDataset(file_ds).batch(3)
    bad = tf.data.TFRecordDataset(truncated)
    out["spec"] = [repr(both.output_types), repr(both.output_shapes), repr(from_files.output_shapes)]

    its = {"both": both.make_one_shot_iterator(), "parallel": parallel.make_one_shot_iterator(),
           "auto": auto.make_one_shot_iterator(), "zlib": zds.make_one_shot_iterator(),
           "raw_lines": raw_lines.make_one_shot_iterator(), "fixed": fixed_ds.make_one_shot_iterator(),
           "from_files": from_files.make_one_shot_iterator()}
    fed_it = fed.make_initializable_iterator()
    bad_it = bad.make_one_shot_iterator()
    with tf.Session() as sess:
        for key in sorted(its):
            out[key] = _drain(tf, sess, its[key].get_next())
        out["from_files"] = [list(b) for b in out["from_files"]]
        out["auto"] = sorted(out["auto"])  # TF's AUTOTUNE cycle length is the machine's core count
        nxt = fed_it.get_next()
        sess.run(fed_it.initializer, {names: [gz]})
        out["gzip"] = _drain(tf, sess, nxt)
        sess.run(fed_it.initializer, {names: [gz, gz]})
        out["gzip_twice_count"] = len(_drain(tf, sess, nxt))
        bad_next = bad_it.get_next()
        out["bad_first"] = [sess.run(bad_next) for _ in range(4)]
        out["bad_error"] = _error(lambda: sess.run(bad_next))
        out["missing_error"] = _error(lambda: sess.run(fed_it.initializer, {names: [plain + ".missing"]}) or
                                      sess.run(nxt))
    return out
