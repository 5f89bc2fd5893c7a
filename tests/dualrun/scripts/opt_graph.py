"""The graphs GradientDescent and Adam minimize build, node for node (names, inputs, attrs,
colocation): a linear model of ref variables trained by GradientDescent with a global step, and a
second model of resource variables trained by Adam, in one graph; then three steps of each."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.placeholder(tf.float32, [None, 2], name="y")
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, name="w")
    b = tf.Variable(np.array([0.1, -0.2], np.float32), name="b")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y), name="loss")
    step = tf.train.get_or_create_global_step()
    gd = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)

    with tf.variable_scope("adam_model"):
        w2 = tf.Variable(np.full([3, 2], 0.2, np.float32), name="w", use_resource=True)
        b2 = tf.Variable(np.zeros([2], np.float32), name="b", use_resource=True)
    loss2 = tf.reduce_mean(tf.square(tf.matmul(x, w2) + b2 - y), name="loss2")
    adam = tf.train.AdamOptimizer(0.05).minimize(loss2, var_list=[w2, b2])

    feed = {x: np.arange(12, dtype=np.float32).reshape(4, 3) / 7 - 0.5,
            y: np.array([[1, 0], [0, 1], [1, 1], [0.5, -1]], np.float32)}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([gd, adam, loss, loss2], feed)[2:] for _ in range(3)]
        values = sess.run([w, b, w2, b2, step])
    return {"losses": np.array(losses), "values": values, "gd": gd.name, "adam": adam.name,
            "__graph__": tf.get_default_graph().as_graph_def()}
