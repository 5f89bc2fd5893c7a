"""A small CTC model trained a few steps and decoded: a per-step linear layer over features,
tf.nn.ctc_loss on SparseTensor labels (with a batch-major and a ctc_loss_v2 variant), plain
gradient descent, then greedy and beam-search decoding compared with the labels by
tf.edit_distance; a fractional max/avg pool in front of a linear read-out trained alongside;
collapse_repeated; the graph node by node and the errors TF raises."""
import numpy as np

GRAPH = True


def _error(fn):
    try:
        fn()
        return ["none", ""]
    except Exception as e:  # noqa: BLE001 -- the class is the result
        return [type(e).__name__, ""]


def main(tf, workdir):
    rng = np.random.RandomState(3)
    steps, batch, feats, classes = 12, 3, 6, 5
    x = tf.constant(rng.randn(steps, batch, feats).astype(np.float32), name="features")
    seq_len = tf.constant([12, 10, 7], tf.int32, name="seq_len")
    labels = tf.SparseTensor(indices=[[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [2, 0], [2, 1], [2, 2]],
                             values=tf.constant([1, 3, 3, 0, 2, 3, 1, 0]), dense_shape=[3, 3])
    w = tf.Variable(rng.randn(feats, classes).astype(np.float32) * 0.3, name="w")
    b = tf.Variable(np.zeros(classes, np.float32), name="b")
    logits = tf.reshape(tf.matmul(tf.reshape(x, [-1, feats]), w) + b, [steps, batch, classes], name="logits")
    loss = tf.reduce_mean(tf.nn.ctc_loss(labels, logits, seq_len))
    loss_bm = tf.nn.ctc_loss(labels, tf.transpose(logits, [1, 0, 2]), seq_len, time_major=False,
                             preprocess_collapse_repeated=True)
    loss_v2 = tf.nn.ctc_loss_v2(labels, logits, None, seq_len, blank_index=2)
    img = tf.constant(rng.randn(2, 9, 11, 2).astype(np.float32), name="img")
    v = tf.Variable(rng.randn(2, 1).astype(np.float32), name="v")
    pooled, rows, cols = tf.nn.fractional_max_pool(img, [1.0, 1.5, 1.6, 1.0], pseudo_random=True,
                                                  deterministic=True, seed=7, seed2=9)
    avg, arows, acols = tf.nn.fractional_avg_pool(img * tf.reduce_sum(v), [1.0, 1.4, 2.0, 1.0], overlapping=True,
                                                  deterministic=True, seed=1, seed2=2)
    pool_loss = tf.reduce_mean(tf.square(tf.reshape(pooled, [-1, 2]) @ v)) + tf.reduce_mean(avg)
    train = tf.train.GradientDescentOptimizer(0.05).minimize(loss + 0.01 * pool_loss)
    greedy, greedy_lp = tf.nn.ctc_greedy_decoder(logits, seq_len)
    beams, beam_lp = tf.nn.ctc_beam_search_decoder(logits, seq_len, beam_width=8, top_paths=2)
    beams2, beam2_lp = tf.nn.ctc_beam_search_decoder_v2(logits, seq_len, beam_width=4)
    truth = tf.SparseTensor(labels.indices, tf.cast(labels.values, tf.int64), labels.dense_shape)
    dist = tf.edit_distance(greedy[0], truth)
    dist_raw = tf.edit_distance(beams[1], truth, normalize=False)
    lab = tf.placeholder(tf.int32, [2, 5], name="lab")
    collapsed, new_len = tf.nn.collapse_repeated(lab, [5, 4])
    grads = tf.gradients(loss, [w, b])
    out = {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out["loss_before"], out["grad_w"], out["grad_b"] = sess.run([loss] + grads)
        out["losses"] = [sess.run([loss, train])[0] for _ in range(6)]
        (out["loss_after"], out["loss_bm"], out["loss_v2"], out["pool_loss"], out["pooled"], out["rows"],
         out["cols"], out["avg"], out["arows"], out["acols"]) = sess.run(
            [loss, loss_bm, loss_v2, pool_loss, pooled, rows, cols, avg, arows, acols])
        g, glp, bm, blp, bm2, b2lp, d, dr = sess.run([greedy[0], greedy_lp, beams, beam_lp, beams2[0], beam2_lp,
                                                      dist, dist_raw])
        out["greedy"] = [g.indices, g.values, g.dense_shape]
        out["greedy_lp"], out["beam_lp"], out["beam2_lp"] = glp, blp, b2lp
        for k, sp in enumerate(bm):
            out["beam%d" % k] = [sp.indices, sp.values, sp.dense_shape]
        out["beam_v2"] = [bm2.indices, bm2.values, bm2.dense_shape]
        out["dist"], out["dist_raw"] = d, dr
        out["collapsed"], out["new_len"] = sess.run([collapsed, new_len],
                                                    {lab: [[1, 1, 2, 2, 0], [3, 3, 3, 1, 1]]})
        out["w"], out["v"] = sess.run([w, v])
        out["err_long_labels"] = _error(lambda: sess.run(tf.nn.ctc_loss(labels, logits, [2, 2, 2])))
        out["err_seq_len"] = _error(lambda: sess.run(greedy_lp, {seq_len: [13, 1, 1]}))
        out["after"] = str(sess.run(loss).dtype)
    out["err_dense_labels"] = _error(lambda: tf.nn.ctc_loss(tf.constant([[1, 2]]), logits, seq_len))
    out["err_hypothesis"] = _error(lambda: tf.edit_distance(tf.constant([1]), truth))
    out["shapes"] = [str(t.shape) for t in (pooled, rows, avg, greedy_lp, beam_lp, dist, loss_bm)]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
