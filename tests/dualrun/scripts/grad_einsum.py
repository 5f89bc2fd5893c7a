"""Gradients of tf.einsum node for node as TF builds them: matrix and batched products, broadcast
ellipsis batches (summed back by BroadcastGradientArgs), one summed label per operand, a one-operand
reduction, transposes and a repeated label (a diagonal)."""
import numpy as np

GRAPH = True
RTOL = 1e-5


def main(tf, workdir):
    rng = np.random.RandomState(6)

    def t(*shape):
        return tf.constant(rng.uniform(-1, 1, shape).astype(np.float32))
    a, b, c, d = t(2, 3), t(3, 4), t(5, 2, 3), t(5, 3, 4)
    e, f, v = t(1, 2, 3), t(4, 3, 2), t(3)
    outs = [tf.einsum("ij,jk->ik", a, b), tf.einsum("bij,bjk->bik", c, d), tf.einsum("...ij,...jk->...ik", e, f),
            tf.einsum("ij->j", a), tf.einsum("ij,j->i", a, v), tf.einsum("i,i->", v, v), tf.einsum("bij->bji", c),
            tf.einsum("ij,jk->k", a, b)]
    loss = sum(tf.reduce_sum(o * o) for o in outs)
    grads = tf.gradients(loss, [a, b, c, d, e, f, v])
    with tf.Session() as sess:
        vals = sess.run(outs + grads)
    return {"values": [np.asarray(x) for x in vals], "__graph__": tf.get_default_graph().as_graph_def()}
