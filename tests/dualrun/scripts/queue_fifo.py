"""tf.FIFOQueue and tf.PaddingFIFOQueue as TF1 code uses them: enqueue (tuples, dicts of named
components), enqueue_many, dequeue/dequeue_many/dequeue_up_to with their static shapes, close,
is_closed, size, QueueBase.from_list and the tf.queue / tf.io names."""
import numpy as np

GRAPH = True


def _shapes(ts):
    return [str(t.shape) for t in (ts.values() if isinstance(ts, dict) else ts if isinstance(ts, list) else [ts])]


def main(tf, workdir):
    q = tf.FIFOQueue(5, [tf.int32, tf.float32], shapes=[[], [2]], name="pairs")
    enq = q.enqueue((3, [1.5, 2.5]))
    enq_many = q.enqueue_many(([4, 5, 6], np.arange(6, dtype=np.float32).reshape(3, 2)), name="fill")
    deq = q.dequeue()
    many = q.dequeue_many(2)
    n = tf.placeholder(tf.int32, [], name="n")
    up_to = q.dequeue_up_to(n)
    named = tf.queue.FIFOQueue(3, [tf.string, tf.int64], names=["word", "count"], shapes=[[], []], name="named")
    named_enq = named.enqueue({"count": 7, "word": "seven"})
    named_deq = named.dequeue()
    unshaped = tf.FIFOQueue(2, tf.int32)
    u_enq = unshaped.enqueue([[1, 2, 3]])
    u_deq = unshaped.dequeue()
    pad = tf.io.PaddingFIFOQueue(4, [tf.int32, tf.string], shapes=[[None], [None, 2]], name="padded")
    x = tf.placeholder(tf.int32, [None], name="x")
    s = tf.placeholder(tf.string, [None, 2], name="s")
    pad_enq = pad.enqueue([x, s])
    pad_many = pad.dequeue_many(2)
    other = tf.FIFOQueue(5, [tf.int32, tf.float32], shapes=[[], [2]], name="other")
    which = tf.placeholder(tf.int32, [], name="which")
    chosen = tf.QueueBase.from_list(which, [q, other])
    chosen_size = chosen.size()
    close = q.close()
    cancel = other.close(cancel_pending_enqueues=True)
    out = {"names": [q.name, named.name, pad.name, chosen.name, str(q.queue_ref.dtype)],
           "static": _shapes(deq) + _shapes(many) + _shapes(up_to) + _shapes(named_deq) + _shapes(u_deq)
           + _shapes(pad_many) + [str(chosen.shapes), str(named.names)]}
    with tf.Session() as sess:
        sess.run([enq])
        sess.run(enq_many)
        out["size"] = sess.run(q.size())
        out["deq"] = sess.run(deq)
        out["many"] = sess.run(many)
        sess.run(named_enq)
        out["named"] = sorted(sess.run(named_deq).items())
        sess.run(u_enq)
        out["unshaped"] = sess.run(u_deq)
        sess.run(pad_enq, {x: [1, 2, 3], s: [[b"a", b"b"]]})
        sess.run(pad_enq, {x: [4], s: [[b"c", b"d"], [b"e", b"f"]]})
        out["padded"] = sess.run(pad_many)
        out["chosen"] = [sess.run(chosen_size, {which: 0}), sess.run(chosen_size, {which: 1})]
        sess.run([close, cancel])
        out["closed"] = sess.run([q.is_closed(), named.is_closed(), other.is_closed()])
        out["up_to"] = sess.run(up_to, {n: 5})
        try:
            sess.run(deq)
        except tf.errors.OutOfRangeError as e:
            out["drained"] = type(e).__name__
        try:
            sess.run(enq)
        except tf.errors.CancelledError as e:
            out["enqueue_closed"] = type(e).__name__
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
