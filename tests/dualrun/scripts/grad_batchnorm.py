"""Gradients of FusedBatchNormV3 in training mode (unused outputs get zeros in the gradients
scope; scale and offset fed by one tensor are summed by an AddN) and in inference mode."""
import numpy as np

GRAPH = True
# metarun's FusedBatchNormGradV3 kernel differs from TF's by up to 6e-5 relative (3.5e-6 absolute)
# on x's gradient: it reduces the batch statistics in another order.
RTOL = 1e-4
ATOL = 4e-6


def main(tf, workdir):
    im = tf.placeholder(tf.float32, [2, 5, 5, 3], name="im")
    sc = tf.placeholder(tf.float32, [3], name="sc")
    empty = tf.constant([], tf.float32)
    train = tf.raw_ops.FusedBatchNormV3(x=im, scale=sc, offset=sc * 0.5, mean=empty, variance=empty,
                                        epsilon=0.001, is_training=True)[0]
    g_train = tf.gradients(train * train, [im, sc])
    infer = tf.raw_ops.FusedBatchNormV3(x=im, scale=sc, offset=sc * 0.5, mean=sc - 1.0, variance=sc * 2.0,
                                        epsilon=0.001, is_training=False)[0]
    g_infer = tf.gradients(infer * infer, [im, sc])
    rng = np.random.RandomState(5)
    feed = {im: rng.uniform(-1, 1, [2, 5, 5, 3]).astype(np.float32), sc: np.array([0.5, 1.0, 2.0], np.float32)}
    with tf.Session() as sess:
        train_values, infer_values = sess.run([g_train, g_infer], feed)
    return {"train": train_values, "infer": infer_values, "__graph__": tf.get_default_graph().as_graph_def()}
