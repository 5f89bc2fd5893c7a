"""The rest of TF's parsing as TF1 input pipelines use it: SequenceExamples written by
tf.io.TFRecordWriter, read by a TFRecordDataset and parsed one by one with
tf.io.parse_single_sequence_example (context and feature lists, dense and VarLen) and padded into
batches; the same records through a queue pipeline (string_input_producer, TFRecordReader,
tf.train.batch, then tf.io.parse_sequence_example with its lengths); CSV lines through a
TextLineDataset and tf.decode_csv; VarLenFeatures and SparseFeatures in tf.io.parse_example; decode_compressed,
serialize_tensor / parse_tensor, decode_json_example and decode_proto / encode_proto on fed values.
The graph node for node, and the static shapes."""
import os
import re
import zlib

import numpy as np

GRAPH = True


def _feature(tf, value):
    if isinstance(value[0], float):
        return tf.train.Feature(float_list=tf.train.FloatList(value=value))
    if isinstance(value[0], int):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=value))
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=value))


def _sequence_example(tf, i):
    ex = tf.train.SequenceExample()
    ex.context.feature["label"].CopyFrom(_feature(tf, [i % 3]))
    ex.context.feature["tags"].CopyFrom(_feature(tf, [b"t%d" % j for j in range(i % 3)] or [b"none"]))
    tokens = ex.feature_lists.feature_list["tokens"]
    for t in range(i + 1):
        tokens.feature.add().CopyFrom(_feature(tf, [10 * i + t]))
    frames = ex.feature_lists.feature_list["frames"]
    for t in range(i % 4):
        frames.feature.add().CopyFrom(_feature(tf, [0.5 * t, -1.0 * i]))
    words = ex.feature_lists.feature_list["words"]
    for t in range(2):
        words.feature.add().CopyFrom(_feature(tf, [b"w%d" % k for k in range(t + i % 2 + 1)]))
    return ex.SerializeToString()


def _example(tf, i):
    feats = {"ids": _feature(tf, list(range(i))) if i else tf.train.Feature(int64_list=tf.train.Int64List()),
             "score": _feature(tf, [0.25 * i]), "ix0": _feature(tf, [2, 0, 1][:i + 1]),
             "ix1": _feature(tf, [3, 1, 0][:i + 1]), "val": _feature(tf, [0.5, -1.5, 2.0][:i + 1])}
    return tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString()


def main(tf, workdir):
    # the graph holds the files' names relative to workdir, not the temporary directory
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        return _run(tf, workdir)
    finally:
        os.chdir(cwd)


def _sparse(prefix, value):
    return {prefix + "_indices": value.indices, prefix + "_values": value.values, prefix + "_shape": value.dense_shape}


def _run(tf, workdir):
    with tf.io.TFRecordWriter("seq.tfrecord") as writer:
        for i in range(5):
            writer.write(_sequence_example(tf, i))
    with open("data.csv", "w") as f:
        f.write("id,name,score,count\n1,apple,0.5,3\n2,\"banana, ripe\",,7\n3,cherry,2.25,\n")
    context = {"label": tf.io.FixedLenFeature([], tf.int64), "tags": tf.io.VarLenFeature(tf.string),
               "weight": tf.io.FixedLenFeature([1], tf.float32, default_value=[1.5])}
    sequence = {"tokens": tf.io.FixedLenSequenceFeature([], tf.int64),
                "frames": tf.io.FixedLenSequenceFeature([2], tf.float32, allow_missing=True),
                "words": tf.io.VarLenFeature(tf.string)}

    def parse(record):
        ctx, seq = tf.io.parse_single_sequence_example(record, context, sequence)
        return {"label": ctx["label"], "weight": ctx["weight"], "tokens": seq["tokens"], "frames": seq["frames"],
                "n_words": tf.size(seq["words"].values), "n_tags": tf.size(ctx["tags"].values)}

    ds = tf.data.TFRecordDataset("seq.tfrecord").map(parse).padded_batch(2, padded_shapes={
        "label": [], "weight": [1], "tokens": [None], "frames": [None, 2], "n_words": [], "n_tags": []})
    iterator = tf.data.make_initializable_iterator(ds)
    nxt = iterator.get_next()

    # the queue pipeline: records batched, then parsed as a batch
    queue = tf.train.string_input_producer(["seq.tfrecord"], num_epochs=1, shuffle=False)
    _, record = tf.TFRecordReader().read(queue)
    records = tf.train.batch([record], batch_size=5, allow_smaller_final_batch=True)
    ctx_b, seq_b, lengths_b = tf.io.parse_sequence_example(records, context, sequence, name="batch_parse")

    lines = tf.data.TextLineDataset("data.csv").skip(1).map(
        lambda line: tf.decode_csv(line, [[0], [""], [-1.0], tf.constant([0], tf.int64)]))
    csv_next = tf.data.make_one_shot_iterator(lines.batch(3)).get_next()

    fed = tf.placeholder(tf.string, [None], name="fed")
    parsed = tf.io.parse_example(fed, {"ids": tf.io.VarLenFeature(tf.int64),
                                       "score": tf.io.FixedLenFeature([], tf.float32),
                                       "grid": tf.io.SparseFeature(["ix1", "ix0"], "val", tf.float32, [4, 3]),
                                       "row": tf.SparseFeature("ix0", "val", tf.float32, 3, already_sorted=True)})
    csv_fed = tf.io.decode_csv(fed, [[0.0], ["x"]], field_delim="|", na_value="?", select_cols=[0, 2])
    compressed = tf.io.decode_compressed(fed, "ZLIB")
    tensor = tf.constant([[1.5, -2.0], [0.25, 8.0]])
    roundtrip = tf.io.parse_tensor(tf.io.serialize_tensor(tensor), tf.float32)
    json_ex = tf.io.decode_json_example(fed)
    proto = tf.io.decode_proto(fed, "tensorflow.FloatList", ["value"], [tf.float64])
    reencoded = tf.io.encode_proto(proto.sizes, [tf.cast(proto.values[0], tf.float32)], ["value"],
                                   "tensorflow.FloatList")

    single_ctx, single_seq = tf.io.parse_single_sequence_example(fed[0], context, sequence, name="single")
    static = []
    for group in (ctx_b, seq_b, lengths_b, parsed, single_ctx, single_seq):
        for key in sorted(group):
            v = group[key]
            parts = [v.indices, v.values, v.dense_shape] if isinstance(v, tf.SparseTensor) else [v]
            static += ["%s %s" % (key, p.shape) for p in parts]
    static += [str(t.shape) for t in csv_fed + [compressed, roundtrip, json_ex, proto.sizes, reencoded]]
    out = {"static_shapes": np.array(static)}
    with tf.Session() as sess:
        sess.run([iterator.initializer, tf.local_variables_initializer()])
        for k in range(3):
            got = sess.run(nxt)
            out.update({"b%d_%s" % (k, key): value for key, value in got.items()})
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        got_ctx, got_seq, got_len = sess.run([ctx_b, seq_b, lengths_b])
        coord.request_stop()
        coord.join(threads)
        out.update({"q_label": got_ctx["label"], "q_weight": got_ctx["weight"], "q_tokens": got_seq["tokens"],
                    "q_frames": got_seq["frames"], "q_len_tokens": got_len["tokens"],
                    "q_len_frames": got_len["frames"]})
        out.update(_sparse("q_tags", got_ctx["tags"]))
        out.update(_sparse("q_words", got_seq["words"]))
        out["csv"] = list(sess.run(csv_next))
        got = sess.run(parsed, {fed: [_example(tf, i) for i in (2, 0, 3)]})
        out.update(_sparse("ids", got["ids"]))
        out.update(_sparse("grid", got["grid"]))
        out.update(_sparse("row", got["row"]))
        out["score"] = got["score"]
        out["csv_fed"] = list(sess.run(csv_fed, {fed: ["1.5|a|b", "?|c|?", "-2|d|\"e|f\""]}))
        out["inflated"] = sess.run(compressed, {fed: [zlib.compress(b"abc" * 5), zlib.compress(b"xyz", 1)]})
        out["roundtrip"] = sess.run(roundtrip)
        out["json"] = sess.run(json_ex, {fed: ['{"features": {"feature": {"a": {"int64List": {"value": ["4", 5]}}, '
                                               '"b": {"floatList": {"value": [0.5]}}}}}']})
        lists = [tf.train.FloatList(value=v).SerializeToString() for v in ([0.5, -1.0, 3.0], [], [2.0])]
        got = sess.run(proto, {fed: lists})
        out["proto_sizes"], out["proto_values"] = got.sizes, got.values[0]
        out["reencoded"] = sess.run(reencoded, {fed: lists})
    graph_def = tf.get_default_graph().as_graph_def()
    # traced functions are named with a process-wide counter in TF, a per-graph one in metarun; a
    # one-shot iterator's factory has a random suffix in TF
    for node in graph_def.node:
        for attr in node.attr.values():
            if attr.func.name:
                attr.func.name = re.sub(r"_[0-9]+$", "_N", attr.func.name)
                attr.func.name = re.sub(r"^_+(inference_)?make_dataset.*$", "make_dataset", attr.func.name)
    del graph_def.library.function[:]
    out["__graph__"] = graph_def
    return out
