"""Every tf.losses function node for node as TF builds it (assert_broadcastable, weights,
reductions, label smoothing, squeezable dims), including cosine_distance and
mean_pairwise_squared_error, with values and gradients."""
import numpy as np

GRAPH = True
RTOL = 1e-5
ATOL = 1e-7  # a gradient element near zero, from sums in another order (log/exp last bits)


def main(tf, workdir):
    rng = np.random.RandomState(5)
    p = tf.constant(rng.rand(4, 3).astype(np.float32), name="p")
    y = tf.constant((rng.rand(4, 3) > 0.5).astype(np.float32), name="y")
    logits = tf.constant(rng.randn(4, 3).astype(np.float32), name="logits")
    w = tf.constant(rng.rand(4, 1).astype(np.float32), name="w")
    ids = tf.constant(np.array([0, 2, 1, 2], np.int32), name="ids")
    R = tf.losses.Reduction
    losses = [
        tf.losses.absolute_difference(y, p), tf.losses.mean_squared_error(y, p, weights=w),
        tf.losses.huber_loss(y, p, delta=0.3, reduction=R.SUM), tf.losses.log_loss(y, p, weights=2.0),
        tf.losses.hinge_loss(y, logits, reduction=R.MEAN), tf.losses.sigmoid_cross_entropy(y, logits, label_smoothing=0.1),
        tf.losses.softmax_cross_entropy(y, logits, label_smoothing=0.2, reduction=R.SUM_OVER_BATCH_SIZE),
        tf.losses.sparse_softmax_cross_entropy(ids, logits, weights=tf.constant([1.0, 0.0, 2.0, 1.0])),
        tf.losses.cosine_distance(tf.nn.l2_normalize(y, 1), tf.nn.l2_normalize(p, 1), axis=1, weights=w),
        tf.losses.mean_pairwise_squared_error(y, p, weights=tf.constant([[1.0], [2.0], [0.0], [1.0]])),
        tf.losses.absolute_difference(y, p, reduction=R.NONE, loss_collection=None),
    ]
    total = tf.losses.get_total_loss()
    grads = tf.gradients(total, [p, logits])
    with tf.Session() as sess:
        vals = sess.run(losses + [total] + grads)
    return {"values": [np.asarray(v) for v in vals], "collected": len(tf.losses.get_losses()),
            "__graph__": tf.get_default_graph().as_graph_def()}
