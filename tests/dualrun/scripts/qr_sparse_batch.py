"""SparseTensors through queue-based batching: tf.train.batch of a SparseTensor made per example
from a range_input_producer (its dense_shape growing with the example, so TakeMany stacks to the
largest) beside a dense label, of a constant SparseTensor, and with enqueue_many (AddMany); then
maybe_batch behind a cond and with a per-row keep_input (sparse_retain), batch_join and
shuffle_batch_join (one map shared by all the lists), a seeded shuffle_batch (rows compared as a
multiset, each checked against its label) and allow_smaller_final_batch. Graphs compared node by
node; the pipelines run under a Coordinator until OutOfRange. Also TF's errors for a join whose
lists disagree on which component is sparse."""
import numpy as np

GRAPH = True


def _drain(tf, sess, fetch, limit=50):
    out = []
    try:
        for _ in range(limit):
            out.append(sess.run(fetch))
    except tf.errors.OutOfRangeError:
        pass
    return out


def _put(out, key, values):
    """SparseTensorValues as three lists: indices, values, dense shapes."""
    out[key + "_indices"] = [np.asarray(v.indices) for v in values]
    out[key + "_values"] = [np.asarray(v.values) for v in values]
    out[key + "_shapes"] = [np.asarray(v.dense_shape) for v in values]


def _example(tf, n):
    """A [2, n + 1] SparseTensor with one value, n, at row n % 2, column n."""
    n64 = tf.cast(n, tf.int64)
    return tf.SparseTensor(indices=tf.reshape(tf.stack([n64 % 2, n64]), [1, 2]),
                           values=tf.reshape(tf.cast(n, tf.float32), [1]),
                           dense_shape=tf.stack([tf.constant(2, tf.int64), n64 + 1]))


def _rows_match_labels(batches):
    """Every stacked row holds the value its label says (the row's own example)."""
    ok = True
    for sp, labels in batches:
        for k, label in enumerate(labels):
            mine = sp.values[sp.indices[:, 0] == k]
            ok = ok and mine.tolist() == [float(label)]
    return ok


def main(tf, workdir):
    def producer(n, epochs=1):
        return tf.train.range_input_producer(n, num_epochs=epochs, shuffle=False).dequeue()

    n = producer(5)
    sp, label = tf.train.batch([_example(tf, n), n], batch_size=2, allow_smaller_final_batch=True)
    const = tf.SparseTensor([[0, 1], [2, 0]], tf.constant([b"a", b"b"]), [3, 4])
    const_batch = tf.train.batch([const], batch_size=3, name="const_batch")
    many_src = tf.SparseTensor([[0, 0], [0, 2], [2, 1], [3, 3]], [1, 2, 3, 4], [4, 5])
    many_batch = tf.train.batch([many_src], batch_size=3, enqueue_many=True, name="many_batch")
    m = producer(7)
    even = tf.train.maybe_batch([_example(tf, m), m], tf.equal(m % 2, 0), batch_size=2,
                                allow_smaller_final_batch=True, name="even")
    rows = tf.train.maybe_batch([many_src], keep_input=tf.constant([True, False, True, False]), batch_size=1,
                                enqueue_many=True, name="rows")
    a, b = producer(3), producer(4) + 10
    joined = tf.train.batch_join([[_example(tf, a), a], [_example(tf, b), b]], batch_size=2,
                                 allow_smaller_final_batch=True)
    s = producer(8)
    shuffled = tf.train.shuffle_batch([_example(tf, s), s], batch_size=3, capacity=8, min_after_dequeue=2, seed=7,
                                      allow_smaller_final_batch=True)
    c, d = producer(4), producer(3) + 20
    sj = tf.train.shuffle_batch_join([{"x": _example(tf, c), "y": c}, {"x": _example(tf, d), "y": d}], batch_size=2,
                                     capacity=6, min_after_dequeue=1, seed=3, allow_smaller_final_batch=True)
    out = {
        "shapes": [str(t.shape) for st in (sp, const_batch, many_batch, even[0], rows, joined[0], shuffled[0], sj["x"])
                   for t in (st.indices, st.values, st.dense_shape)] + [str(label.shape), str(sj["y"].shape)],
        "runners": ["%s: %s" % (qr.name, " ".join(op.name for op in qr.enqueue_ops))
                    for qr in tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)],
        "__graph__": tf.get_default_graph().as_graph_def(),
    }
    errors = []
    for sparse_first in (True, False):
        with tf.Graph().as_default():
            k = tf.constant(1)
            lists = [[_example(tf, k)], [k]] if sparse_first else [[k], [_example(tf, k)]]
            try:
                tf.train.batch_join(lists, batch_size=2)
                errors.append("built")
            except (ValueError, TypeError) as e:
                errors.append(type(e).__name__)
    out["join_errors"] = errors
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        batches = _drain(tf, sess, [sp, label])
        _put(out, "batch", [v for v, _ in batches])
        out["batch_labels"] = [lab for _, lab in batches]
        _put(out, "const", [sess.run(const_batch) for _ in range(2)])
        _put(out, "many", [sess.run(many_batch) for _ in range(3)])
        evens = _drain(tf, sess, even)
        _put(out, "even", [v for v, _ in evens])
        out["even_labels"] = [lab for _, lab in evens]
        _put(out, "rows", [sess.run(rows) for _ in range(4)])
        joins = _drain(tf, sess, joined)
        out["joined_labels"] = sorted(int(x) for _, lab in joins for x in lab)
        out["joined_match"] = _rows_match_labels(joins)
        shuffles = _drain(tf, sess, shuffled)
        out["shuffled_labels"] = sorted(int(x) for _, lab in shuffles for x in lab)
        out["shuffled_match"] = _rows_match_labels(shuffles)
        sjs = _drain(tf, sess, sj)
        out["sj_labels"] = sorted(int(x) for b in sjs for x in b["y"])
        out["sj_match"] = _rows_match_labels([(b["x"], b["y"]) for b in sjs])
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=10)
        out["alive"] = sum(t.is_alive() for t in threads)
    return out
