"""tf.gather with batch_dims, node for node as TF differentiates it: per-batch index offsets,
rows summed by UnsortedSegmentSum over the flattened batch, the gathered axis moved next to the
batch dims and back; batch_dims 1 and 2, a negative batch_dims, and axis beyond batch_dims."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    rng = np.random.RandomState(8)
    params = tf.constant(rng.uniform(-1, 1, (2, 3, 4, 2)).astype(np.float32), name="params")
    idx1 = tf.constant(np.array([[0, 2, 2], [1, 0, 1]], np.int32), name="idx1")
    idx2 = tf.constant(np.array([[[3, 0], [1, 1], [2, 3]], [[0, 0], [2, 1], [3, 3]]], np.int64), name="idx2")
    grads = []
    for out in (tf.gather(params, idx1, axis=1, batch_dims=1),
                tf.gather(params, idx2, axis=2, batch_dims=2),
                tf.gather(params, idx1, axis=2, batch_dims=1),
                tf.gather(params, idx2, axis=2, batch_dims=-1)):
        weight = tf.constant(rng.uniform(-1, 1, out.shape.as_list()).astype(np.float32))
        grads += tf.gradients(tf.reduce_sum(out * weight), params)
    with tf.Session() as sess:
        vals = sess.run(grads)
    return {"grads": [np.asarray(v) for v in vals], "__graph__": tf.get_default_graph().as_graph_def()}
