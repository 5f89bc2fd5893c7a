"""tf.losses values with weights (scalar, broadcast row weights, zeros) and every Reduction, label
smoothing, the LOSSES collection, regularization losses from get_variable and get_total_loss."""
import numpy as np


def main(tf, workdir):
    rng = np.random.RandomState(3)
    p = tf.constant(rng.rand(4, 3).astype(np.float32), name="p")
    logits = tf.constant(rng.randn(4, 3).astype(np.float32), name="logits")
    onehot = tf.constant(np.eye(3, dtype=np.float32)[[0, 2, 1, 2]])
    binary = tf.constant((rng.rand(4, 3) > 0.5).astype(np.float32))
    w_rows = tf.constant([[1.0], [2.0], [0.0], [0.5]])
    R = tf.losses.Reduction
    out = {}
    for red in (R.NONE, R.SUM, R.MEAN, R.SUM_OVER_BATCH_SIZE, R.SUM_BY_NONZERO_WEIGHTS):
        out["mse_" + red] = tf.losses.mean_squared_error(binary, p, weights=w_rows, reduction=red,
                                                         loss_collection=None if red == R.NONE else "losses")
    out["mse"] = tf.losses.mean_squared_error(binary, p)
    out["abs"] = tf.losses.absolute_difference(binary, p, weights=2.0)
    out["huber"] = tf.losses.huber_loss(binary, logits, delta=0.5)
    out["log"] = tf.losses.log_loss(binary, p, weights=w_rows)
    out["hinge"] = tf.losses.hinge_loss(binary, logits)
    out["sig"] = tf.losses.sigmoid_cross_entropy(binary, logits, label_smoothing=0.1)
    out["soft"] = tf.losses.softmax_cross_entropy(onehot, logits, weights=tf.constant([1.0, 0.0, 2.0, 1.0]))
    out["soft_ls"] = tf.losses.softmax_cross_entropy(onehot, logits, label_smoothing=0.2)
    out["sparse"] = tf.losses.sparse_softmax_cross_entropy(tf.constant([0, 2, 1, 2]), logits)
    with tf.variable_scope("reg", regularizer=lambda v: 0.01 * tf.reduce_sum(tf.square(v))):
        tf.get_variable("w", initializer=tf.constant([[1.0, -2.0], [0.5, 3.0]]))
    out["reg"] = tf.losses.get_regularization_loss()
    out["total"] = tf.losses.get_total_loss()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        res = sess.run(out)
    res["collection"] = len(tf.losses.get_losses())
    res["reg_losses"] = len(tf.losses.get_regularization_losses())
    return res
