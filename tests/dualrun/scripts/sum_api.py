"""tf.summary edge cases: illegal tag characters, families inside name scopes, merge names,
merge_all of an empty or other collection, collections=[], text of a non-string, summaries of
int and float64 tensors, FileWriter's metadata dropping for repeated tags, reopen, a duplicate
run-metadata tag, and FileWriterCache."""
import os

import numpy as np

GRAPH = True


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return "no error"


def main(tf, workdir):
    out = {}
    out["empty_merge_all"] = tf.summary.merge_all() is None
    c = tf.constant(np.arange(6, dtype=np.int64).reshape(2, 3), name="c")
    d = tf.constant(np.array([0.25, -1.5], np.float64), name="d")
    s = [
        tf.summary.scalar("bad name!", tf.constant(3, tf.int32)),
        tf.summary.scalar("/lead", d[0]),
        tf.summary.histogram("ints", c),
        tf.summary.histogram(None, d),
        tf.summary.tensor_summary("t", c, display_name="Tee", summary_description="desc"),
        tf.summary.text("words", tf.constant([["a", "b"], ["c", "d"]])),
        tf.summary.scalar("hidden", d[1], collections=[]),
    ]
    with tf.name_scope("outer"):
        s.append(tf.summary.scalar("x", d[1], family="fam"))
        s.append(tf.summary.scalar("x", d[0], family="fam"))
        s.append(tf.summary.image("im", tf.reshape(tf.cast(c, tf.uint8), [1, 2, 3, 1]), family="pics"))
    out["text_error"] = _err(lambda: tf.summary.text("n", c))
    m1 = tf.summary.merge(s[:3])
    m2 = tf.summary.merge(s[3:5], name="named")
    m3 = tf.summary.merge(s[:2], name="bad name")
    m4 = tf.summary.merge_all(name="everything")
    m5 = tf.summary.merge_all(key="nothing_here")
    out["names"] = [t.name for t in s + [m1, m2, m3, m4]]
    out["m5_none"] = m5 is None
    out["collection"] = [t.name for t in tf.get_collection(tf.GraphKeys.SUMMARIES)]
    with tf.Session() as sess:
        vals = sess.run(s + [m1, m2, m3, m4])
    out["values"] = [np.frombuffer(v, np.uint8) for v in vals]
    logdir = os.path.join(workdir, "w")
    writer = tf.summary.FileWriter(logdir, filename_suffix=".v1")
    writer.add_summary(vals[4], 1)  # a tensor summary: metadata kept the first time only
    writer.add_summary(vals[4], 2)
    summary = tf.Summary()
    summary.ParseFromString(vals[5])
    writer.add_summary(summary, 3)
    writer.add_summary(summary, 4)
    meta = tf.RunMetadata()
    writer.add_run_metadata(meta, "step1", 5)
    out["dup_tag"] = _err(lambda: writer.add_run_metadata(meta, "step1", 6))
    writer.close()
    files = sorted(os.listdir(logdir))
    out["suffix"] = [f.endswith(".v1") for f in files]
    events = list(tf.train.summary_iterator(os.path.join(logdir, files[0])))
    out["steps"] = [int(e.step) for e in events]
    out["what"] = [e.WhichOneof("what") for e in events]
    out["bodies"] = [np.frombuffer(e.summary.SerializeToString(), np.uint8) for e in events
                     if e.WhichOneof("what") == "summary"]
    out["run_meta_tag"] = [e.tagged_run_metadata.tag for e in events if e.WhichOneof("what") == "tagged_run_metadata"]
    cached = tf.summary.FileWriterCache.get(os.path.join(workdir, "cache"))
    out["cache_same"] = cached is tf.summary.FileWriterCache.get(os.path.join(workdir, "cache"))
    tf.summary.FileWriterCache.clear()
    cached_events = list(tf.train.summary_iterator(
        os.path.join(workdir, "cache", os.listdir(os.path.join(workdir, "cache"))[0])))
    out["cache_what"] = [e.WhichOneof("what") for e in cached_events]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
