"""Complex products and their gradients as TF builds them: matmul with adjoint_a/adjoint_b
(MatMul of the conjugate) and transpose on batches (BatchMatMul adjoint of the conjugate), Mul and
MatMul gradients taking conjugates, ConjugateTranspose's gradient (a conjugate transpose), and
tf.complex's (real and imaginary parts, broadcast back)."""
import numpy as np

GRAPH = True
RTOL = 1e-5


def main(tf, workdir):
    rng = np.random.RandomState(3)

    def cplx(*shape):
        return (rng.uniform(-1, 1, shape) + 1j * rng.uniform(-1, 1, shape)).astype(np.complex64)
    a = tf.constant(cplx(2, 3), name="a")
    b = tf.constant(cplx(2, 3), name="b")
    c = tf.constant(cplx(2, 2, 3), name="c")
    r = tf.constant(rng.uniform(-1, 1, (2, 3)).astype(np.float32), name="r")
    s = tf.constant(0.5, name="s")
    outs = [tf.complex(r, s) * a, tf.matmul(a, b, adjoint_a=True), tf.matmul(a, b, adjoint_b=True), tf.matmul(c, c, transpose_b=True),
            tf.matmul(c, c, adjoint_a=True), a * b, tf.transpose(a, conjugate=True)]
    loss = sum(tf.reduce_sum(tf.real(o) * tf.real(o) + tf.imag(o)) for o in outs)
    grads = tf.gradients(loss, [a, b, c, r, s])
    with tf.Session() as sess:
        vals = sess.run(outs + grads)
    return {"values": [np.asarray(v) for v in vals], "__graph__": tf.get_default_graph().as_graph_def()}
