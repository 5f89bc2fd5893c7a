"""tf.io.parse_single_example and tf.io.parse_example as TF1 input pipelines use them: Examples
written by tf.io.TFRecordWriter, read by a TFRecordDataset, parsed (FixedLenFeature with and
without defaults, a FixedLenSequenceFeature padded across the batch, decode_raw of a bytes
feature) in a map function and batched; the graph node for node, and the parse ops on a fed
batch."""
import os
import re

import numpy as np

GRAPH = True


def _example(tf, i):
    feats = {
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[np.arange(4, dtype=np.uint8).tobytes() * (i + 1)][:1])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[i % 3])),
        "weights": tf.train.Feature(float_list=tf.train.FloatList(value=[0.5 * j for j in range(i % 4)])),
        "xy": tf.train.Feature(float_list=tf.train.FloatList(value=[i, -i])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString()


def main(tf, workdir):
    # the graph holds the file's name relative to workdir, not the temporary directory
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        return _run(tf, workdir)
    finally:
        os.chdir(cwd)


def _run(tf, workdir):
    path = os.path.join(workdir, "examples.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        for i in range(7):
            writer.write(_example(tf, i))
    features = {
        "image": tf.io.FixedLenFeature([], tf.string),
        "label": tf.io.FixedLenFeature([], tf.int64, default_value=-1),
        "weights": tf.io.FixedLenSequenceFeature([], tf.float32, allow_missing=True, default_value=9.0),
        "xy": tf.io.FixedLenFeature([2], tf.float32),
        "missing": tf.io.FixedLenFeature([2, 2], tf.int64, default_value=[[1, 2], [3, 4]]),
    }

    def parse(record):
        parsed = tf.io.parse_single_example(record, features)
        parsed["pixels"] = tf.decode_raw(parsed.pop("image"), tf.uint8)[:4]
        return parsed

    ds = tf.data.TFRecordDataset(os.path.basename(path)).map(parse).padded_batch(3, padded_shapes={
        "label": [], "weights": [None], "xy": [2], "missing": [2, 2], "pixels": [4]})
    iterator = tf.data.make_initializable_iterator(ds)
    nxt = iterator.get_next()
    batch = tf.placeholder(tf.string, [None], name="batch")
    parsed_batch = tf.io.parse_example(batch, features)
    out = {}
    with tf.Session() as sess:
        sess.run(iterator.initializer)
        for k in range(3):
            got = sess.run(nxt)
            out.update({"b%d_%s" % (k, key): value for key, value in got.items()})
        got = sess.run(parsed_batch, {batch: [_example(tf, i) for i in (5, 1, 3)]})
        out.update({"fed_%s" % key: value for key, value in got.items()})
    graph_def = tf.get_default_graph().as_graph_def()
    # traced functions are named with a process-wide counter in TF (how many functions the process
    # traced before), a per-graph one in metarun: compare the names without it
    for node in graph_def.node:
        for attr in node.attr.values():
            if attr.func.name:
                attr.func.name = re.sub(r"_[0-9]+$", "_N", attr.func.name)
    del graph_def.library.function[:]
    out["__graph__"] = graph_def
    return out
