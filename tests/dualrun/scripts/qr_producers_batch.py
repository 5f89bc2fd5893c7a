"""Queue-based input as TF1 scripts wrote it: slice_input_producer (two epochs, in order) feeding
tf.train.batch with a smaller final batch, string/range/input producers, limit_epochs, batch of a
dict with enqueue_many, and a one-component batch (a bare tensor back). The queue runners run
under a Coordinator until OutOfRange; the graph (summaries included) is compared node by node.
Also the errors TF raises while building: an empty string list, num_epochs <= 0, an unknown
rank, mismatched join types, capacity <= min_after_dequeue."""
import numpy as np

GRAPH = True


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return "no error"


def _drain(tf, sess, fetch, limit=50):
    out = []
    try:
        for _ in range(limit):
            out.append(sess.run(fetch))
    except tf.errors.OutOfRangeError:
        out.append("end")
    return out


def main(tf, workdir):
    x = np.arange(14, dtype=np.float32).reshape(7, 2)
    y = np.arange(7, dtype=np.int64) * 10
    xs, ys = tf.train.slice_input_producer([x, y], num_epochs=2, shuffle=False)
    bx, by = tf.train.batch([xs, ys], batch_size=3, allow_smaller_final_batch=True)
    names = tf.train.string_input_producer(["a", "bb", "ccc"], num_epochs=2, shuffle=False, capacity=4)
    name = names.dequeue()
    ranged = tf.train.range_input_producer(4, num_epochs=1, shuffle=False, name="ranged").dequeue()
    rows = tf.train.input_producer(tf.constant([[1, 2], [3, 4], [5, 6]]), num_epochs=1, shuffle=False,
                                   summary_name="rows_full", capacity=8).dequeue()
    limited = tf.train.limit_epochs(tf.constant([[1.5, 2.5], [3.5, 4.5], [5.5, 6.5]]), num_epochs=2)
    d = tf.train.batch({"b": limited, "a": tf.train.limit_epochs(tf.constant([7, 8, 9]), 2)}, batch_size=4,
                       enqueue_many=True, capacity=6, name="dict_batch")
    single = tf.train.batch([tf.train.range_input_producer(5, num_epochs=1, shuffle=False).dequeue()],
                            batch_size=2, capacity=5, allow_smaller_final_batch=True)
    out = {
        "single_is_bare": not isinstance(single, (list, tuple, dict)),
        "shapes": [str(t.shape) for t in (xs, ys, bx, by, name, ranged, rows, d["a"], d["b"], single)],
        "dict_keys": sorted(d),
        "collection": [qr.name for qr in tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)],
        "local": [v.op.name for v in tf.local_variables()],
        "summaries": [s.op.name for s in tf.get_collection(tf.GraphKeys.SUMMARIES)],
        "empty_strings": _err(lambda: tf.train.string_input_producer([])),
        "zero_epochs": _err(lambda: tf.train.limit_epochs(tf.constant(1), num_epochs=0)),
        "no_tensors": _err(lambda: tf.train.slice_input_producer([])),
        "join_types": _err(lambda: tf.train.batch_join([[tf.constant(1)], [tf.constant(1.0)]], 2)),
        "small_capacity": _err(lambda: tf.train.shuffle_batch([tf.constant(1)], 2, capacity=4,
                                                              min_after_dequeue=4)),
        "vector_keep": _err(lambda: tf.train.maybe_batch([tf.constant(1)], tf.constant([True]), 2)),
        "keep_rank2": _err(lambda: tf.train.maybe_batch([tf.constant([1])], tf.constant([[True]]), 2,
                                                        enqueue_many=True)),
        "unknown_rank": _err(lambda: tf.train.batch([tf.placeholder(tf.float32)], 2)),
        "unknown_dims": _err(lambda: tf.train.batch([tf.placeholder(tf.float32, [None, 2])], 2)),
        "element_shape": _err(lambda: tf.train.input_producer(tf.placeholder(tf.float32, [None, None]))),
        "bad_dict_keys": _err(lambda: tf.train.batch_join([{"a": tf.constant(1)}, {"b": tf.constant(1)}], 2)),
        "__graph__": tf.get_default_graph().as_graph_def(),
    }
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        out["batches_x"] = [b for b in _drain(tf, sess, bx) if not isinstance(b, str)]
        out["names"] = _drain(tf, sess, name)
        out["ranged"] = _drain(tf, sess, ranged)
        out["rows"] = [r for r in _drain(tf, sess, rows) if not isinstance(r, str)]
        out["single"] = _drain(tf, sess, single)
        dict_batches = _drain(tf, sess, d)
        out["dict_a"] = [b["a"] for b in dict_batches[:-1]]
        out["dict_b"] = [b["b"] for b in dict_batches[:-1]]
        out["dict_end"] = dict_batches[-1]
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=10)
        out["threads"] = [t.name for t in threads]
        out["alive"] = sum(t.is_alive() for t in threads)
    return out
