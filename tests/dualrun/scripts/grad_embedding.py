"""An embedding lookup's gradient (IndexedSlices through the lookup's Identity, densified when
added to the L2 term's dense gradient) applied with ScatterSub; values and the graph node for
node."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    ids = tf.placeholder(tf.int32, [None], name="ids")
    emb = tf.Variable(np.linspace(-1, 1, 15, dtype=np.float32).reshape(5, 3), name="emb")
    looked = tf.nn.embedding_lookup(emb, ids)
    loss = tf.reduce_mean(tf.square(looked))
    sparse = tf.gradients(loss, emb)[0]
    mixed = tf.gradients(loss + 0.1 * tf.nn.l2_loss(emb), emb)[0]
    step = tf.scatter_sub(emb, sparse.indices, sparse.values * 0.5) if hasattr(tf, "scatter_sub") else \
        tf.raw_ops.ScatterSub(ref=emb, indices=sparse.indices, updates=sparse.values * 0.5)
    feed = {ids: np.array([1, 3, 1], np.int32)}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = sess.run([sparse.values, sparse.indices, sparse.dense_shape, mixed], feed)
        sess.run(step, feed)
        after = sess.run(emb)
    return {"grads": values, "after": after, "kind": [type(sparse).__name__, str(isinstance(mixed, tf.Tensor))],
            "__graph__": tf.get_default_graph().as_graph_def()}
