"""tf.PriorityQueue: the int64 priority comes first in what is enqueued and dequeued, smallest
first, equal priorities in TF's order; static shapes and the graph TF builds."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    q = tf.PriorityQueue(20, [tf.string, tf.int32], shapes=[[], [2]], name="jobs")
    prios = np.array([2, 0, 2, 1, 0, 2, 1, 1], dtype=np.int64)
    fill = q.enqueue_many([prios, ["j%d" % i for i in range(8)], np.arange(16, dtype=np.int32).reshape(8, 2)])
    late = q.enqueue([tf.constant(1, tf.int64), "late", [9, 9]])
    first = q.dequeue()
    batch = q.dequeue_many(3)
    named = tf.queue.PriorityQueue(4, [tf.float32], shapes=[[]], names=["p", "x"])
    named_enq = named.enqueue({"p": tf.constant(4, tf.int64), "x": 0.5})
    out = {"static": [str(t.shape) for t in first + batch + list(q.dequeue_up_to(2))],
           "dtypes": [str(d) for d in q.dtypes], "shapes": [str(s) for s in q.shapes]}
    with tf.Session() as sess:
        sess.run(fill)
        out["first"] = sess.run(first)
        sess.run(late)
        out["batch"] = sess.run(batch)
        out["size"] = sess.run(q.size())
        sess.run(named_enq)
        out["named"] = sorted(sess.run(named.dequeue()).items())
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
