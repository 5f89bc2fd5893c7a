"""Queue-based batching beyond one thread and fixed shapes: batch_join of two producers (one
thread each; the rows compared as a multiset, their order being the threads'), batch with
num_threads=2, dynamic_pad (a PaddingFIFOQueue padding rows of different lengths), maybe_batch
with a computed keep_input (a cond around the enqueue) and with a per-row keep_input and
enqueue_many (DynamicPartition), maybe_batch_join, and a dict batch_join. Graphs compared node by
node; every pipeline runs under a Coordinator until OutOfRange."""
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


def _rows(batches):
    return sorted(np.concatenate(batches).reshape(-1).tolist()) if batches else []


def main(tf, workdir):
    def producer(n, epochs=1):
        return tf.train.range_input_producer(n, num_epochs=epochs, shuffle=False).dequeue()

    a, b = producer(5), producer(4) + 100
    joined = tf.train.batch_join([[a], [b]], batch_size=2, allow_smaller_final_batch=True)
    threaded = tf.train.batch([producer(7)], batch_size=3, num_threads=2, allow_smaller_final_batch=True)
    n = producer(5)
    ragged = tf.range(n + 1) * 3
    padded, lengths = tf.train.batch([ragged, tf.size(ragged)], batch_size=2, dynamic_pad=True,
                                     allow_smaller_final_batch=True, name="padded")
    m = producer(9)
    even = tf.train.maybe_batch([m, tf.cast(m, tf.float32) / 2], tf.equal(m % 2, 0), batch_size=2,
                                allow_smaller_final_batch=True)
    many = tf.train.limit_epochs(tf.constant([[1, 2], [3, 4], [5, 6], [7, 8]]), num_epochs=2)
    kept = tf.train.maybe_batch([many], tf.constant([True, False, True, True]), batch_size=3,
                                enqueue_many=True, allow_smaller_final_batch=True, name="kept")
    mj = tf.train.maybe_batch_join([[producer(4)], [producer(3) + 10]], keep_input=tf.constant(True),
                                   batch_size=3, allow_smaller_final_batch=True)
    dj = tf.train.batch_join([{"v": producer(2), "w": tf.constant(1.0)}, {"v": producer(2) + 5, "w": tf.constant(2.0)}],
                             batch_size=4, allow_smaller_final_batch=True)
    out = {
        "shapes": [str(t.shape) for t in (joined, threaded, padded, lengths, even[0], even[1], kept, mj,
                                          dj["v"], dj["w"])],
        "runners": ["%s: %s" % (qr.name, " ".join(op.name for op in qr.enqueue_ops))
                    for qr in tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)],
        "__graph__": tf.get_default_graph().as_graph_def(),
    }
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        out["joined"] = _rows(_drain(tf, sess, joined))
        out["threaded"] = _rows(_drain(tf, sess, threaded))
        pads = _drain(tf, sess, [padded, lengths])
        out["padded"] = [p for p, _ in pads]
        out["lengths"] = [ln for _, ln in pads]
        evens = _drain(tf, sess, even)
        out["even"] = [e[0] for e in evens]
        out["even_half"] = [e[1] for e in evens]
        out["kept"] = _drain(tf, sess, kept)
        out["mj"] = _rows(_drain(tf, sess, mj))
        djs = _drain(tf, sess, dj)
        out["dj"] = sorted(zip(_rows([d["v"] for d in djs]), _rows([d["w"] for d in djs])))
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=10)
        out["alive"] = sum(t.is_alive() for t in threads)
    return out
