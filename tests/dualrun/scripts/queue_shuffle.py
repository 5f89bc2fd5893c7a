"""tf.RandomShuffleQueue: TF's dequeue order for an op seed, for a graph seed with a shared_name
(seed2 from the name), min_after_dequeue holding elements back until close, and the seeds TF
puts in the graph."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    a = tf.RandomShuffleQueue(20, 3, [tf.int32, tf.string], shapes=[[], []], seed=11, name="by_op_seed")
    fill = a.enqueue_many([np.arange(12, dtype=np.int32), ["s%d" % i for i in range(12)]])
    one = a.dequeue()
    some = a.dequeue_many(4)
    rest = a.dequeue_up_to(10)
    out = {}
    with tf.Session() as sess:
        sess.run(fill)
        out["one"] = sess.run(one)
        out["some"] = sess.run(some)
        out["size"] = sess.run(a.size())
        sess.run(a.close())
        out["rest"] = sess.run(rest)
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(5)
        b = tf.queue.RandomShuffleQueue(10, 0, tf.int64, shapes=[], shared_name="shared", name="by_name")
        c = tf.io.RandomShuffleQueue(10, 2, [tf.float32], shapes=[[2]], seed=3)
        fill_b = b.enqueue_many([np.arange(8)])
        fill_c = c.enqueue_many([np.arange(12, dtype=np.float32).reshape(6, 2)])
        with tf.Session() as sess:
            sess.run([fill_b])
            sess.run(fill_c)
            out["b"] = sess.run(b.dequeue_many(8))
            out["c"] = sess.run([c.dequeue() for _ in range(4)][-1])
        out["seeds"] = np.array([[n.attr["seed"].i, n.attr["seed2"].i] for n in g.as_graph_def().node
                                 if n.op == "RandomShuffleQueueV2"])
        out["static"] = [str(b.dequeue().shape), str(c.dequeue_many(2).shape), str(c.dequeue_up_to(1).shape)]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
