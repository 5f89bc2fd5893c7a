"""Runs that wait on queues and what ends them, as TF1 code meets them: a ConfigProto deadline
(operation_timeout_in_ms), a RunOptions deadline, close(cancel_pending_enqueues=True) seen by
later enqueues, dequeues of a closed queue; the session stays usable after each."""

GRAPH = True


def _outcome(tf, fn):
    try:
        value = fn()
    except tf.errors.OpError as e:
        return type(e).__name__
    return value


def main(tf, workdir):
    q = tf.FIFOQueue(2, [tf.int32], shapes=[[]], name="work")
    x = tf.placeholder(tf.int32, [], name="x")
    enq, deq, many, size = q.enqueue(x), q.dequeue(), q.dequeue_many(2), q.size()
    cancel = q.close(cancel_pending_enqueues=True)
    out = {}
    config = tf.ConfigProto(operation_timeout_in_ms=50)
    with tf.Session(config=config) as sess:
        out["empty"] = _outcome(tf, lambda: sess.run(deq))
        out["options"] = _outcome(tf, lambda: sess.run(deq, options=tf.RunOptions(timeout_in_ms=20)))
        sess.run(enq, {x: 1})
        sess.run(enq, {x: 2})
        out["full"] = _outcome(tf, lambda: sess.run(enq, {x: 3}))
        out["many"] = sess.run(many)
        sess.run(enq, {x: 4})
        out["partial"] = _outcome(tf, lambda: sess.run(many))  # takes 1 of 2, then times out
        out["size_after"] = sess.run(size)
        sess.run(cancel)
        out["closed_enqueue"] = _outcome(tf, lambda: sess.run(enq, {x: 5}))
        out["closed_dequeue"] = _outcome(tf, lambda: sess.run(deq))
        out["closed"] = sess.run(q.is_closed())
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
