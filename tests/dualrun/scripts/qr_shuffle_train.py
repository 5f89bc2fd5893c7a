"""A training loop fed by tf.train.shuffle_batch, seeded: the whole data set goes into the
RandomShuffleQueue by one enqueue_many (limit_epochs of one epoch, capacity above its size), so
which rows each batch draws depends only on the queue's seeded generator, not on thread timing;
the losses, batches and final weights are TF's. Also slice_input_producer(shuffle=True) with a
graph seed and an op seed, shuffle_batch_join and maybe_shuffle_batch (their rows compared as a
multiset), allow_smaller_final_batch, and the graphs with their fraction_over_... summaries."""
import numpy as np

GRAPH = True


def _drain(tf, sess, fetch, limit=60):
    out = []
    try:
        for _ in range(limit):
            out.append(sess.run(fetch))
    except tf.errors.OutOfRangeError:
        pass
    return out


def main(tf, workdir):
    tf.set_random_seed(7)
    rng = np.random.RandomState(0)
    features = rng.randn(20, 3).astype(np.float32)
    labels = features.dot(np.array([[1.0], [-2.0], [0.5]], np.float32)) + 0.25
    ids = np.arange(20, dtype=np.int32)
    data = [tf.train.limit_epochs(tf.constant(t), num_epochs=1) for t in (features, labels, ids)]
    bx, by, bid = tf.train.shuffle_batch(data, batch_size=6, capacity=24, min_after_dequeue=8, seed=11,
                                         enqueue_many=True, allow_smaller_final_batch=True)
    w = tf.Variable(tf.zeros([3, 1]), name="w")
    b = tf.Variable(tf.zeros([1]), name="b")
    loss = tf.reduce_mean(tf.square(tf.matmul(bx, w) + b - by))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)

    sx = tf.train.slice_input_producer([ids], num_epochs=2, shuffle=True, seed=3)[0]
    sj = tf.train.shuffle_batch_join([[tf.train.range_input_producer(6, num_epochs=1, shuffle=False).dequeue()],
                                      [tf.train.range_input_producer(4, num_epochs=1, seed=1).dequeue() + 50]],
                                     batch_size=4, capacity=12, min_after_dequeue=2, seed=5,
                                     allow_smaller_final_batch=True)
    m = tf.train.range_input_producer(10, num_epochs=1, shuffle=False).dequeue()
    ms = tf.train.maybe_shuffle_batch([m], 3, capacity=10, min_after_dequeue=1, keep_input=m < 6,
                                      allow_smaller_final_batch=True, name="maybe")
    out = {
        "shapes": [str(t.shape) for t in (bx, by, bid, sx, sj, ms)],
        "__graph__": tf.get_default_graph().as_graph_def(),
    }
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        steps = _drain(tf, sess, [train, loss, bid])
        out["losses"] = [s[1] for s in steps]
        out["batch_ids"] = [s[2] for s in steps]
        out["weights"] = sess.run([w, b])
        out["sliced"] = _drain(tf, sess, sx)
        out["joined"] = sorted(np.concatenate(_drain(tf, sess, sj)).tolist())
        out["maybe"] = sorted(np.concatenate(_drain(tf, sess, ms)).tolist())
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=10)
    return out
