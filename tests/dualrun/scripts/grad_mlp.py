"""tf.gradients of MLP losses, values bit-identical to TF's and the gradient graph node for node:
a squared-error loss, then a two-layer ReLU classifier (cross entropy through log_softmax plus an L2
term, so w1's gradient is an AddN of two), the second call with gate_gradients (tuples)."""
import numpy as np

GRAPH = True
# b1's gradient (BiasAddGrad, a column sum with cancellation) is summed in another order than
# TF's Eigen reduction: one element differs by 2e-6 relative.
RTOL = 1e-5


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.placeholder(tf.float32, [None, 2], name="y")
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, name="w")
    b = tf.Variable(np.array([0.1, -0.2], np.float32), name="b")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
    grads = tf.gradients(loss, [w, b])

    labels = tf.placeholder(tf.float32, [None, 3], name="labels")
    w1 = tf.Variable(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), name="w1")
    b1 = tf.Variable(np.linspace(-0.1, 0.1, 4, dtype=np.float32), name="b1")
    w2 = tf.Variable(np.linspace(1, -1, 12, dtype=np.float32).reshape(4, 3), name="w2")
    b2 = tf.Variable(np.zeros(3, np.float32), name="b2")
    hidden = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w1), b1))
    logits = tf.matmul(hidden, w2) + b2
    loss2 = -tf.reduce_mean(labels * tf.nn.log_softmax(logits)) + 0.01 * tf.nn.l2_loss(w1)
    grads2 = tf.gradients(loss2, [w1, b1, w2, b2], gate_gradients=True)
    feed = {x: np.arange(12, dtype=np.float32).reshape(4, 3) / 7 - 0.5, y: np.ones([4, 2], np.float32),
            labels: np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = sess.run(grads, feed)
        values2 = sess.run(grads2, feed)
    return {"grads": values, "grads2": values2, "__graph__": tf.get_default_graph().as_graph_def()}
