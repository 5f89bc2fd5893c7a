"""tf.switch_case (a Case op even in v1 graphs: StatelessCase, or Case when a branch reads a
resource variable) with list, dict and default branches and nested results; tf.function in a
graph (PartitionedCall/StatefulPartitionedCall), retraced for other Python arguments, returning a
dict; gradients through both (TF's own gradient functions vs metarun's) and a training step."""
import numpy as np


def main(tf, workdir):
    i = tf.placeholder(tf.int32, [], name="i")
    x = tf.placeholder(tf.float32, [None], name="x")
    w = tf.get_variable("w", initializer=tf.constant(2.0), use_resource=True)
    y = tf.switch_case(i, [lambda: x + 1.0, lambda: x * w, lambda: x - 3.0], default=lambda: x * 0.0)
    z = tf.switch_case(i, {0: lambda: (x, tf.reduce_sum(x)), 1: lambda: (x * 2.0, tf.constant(5.0))})

    @tf.function
    def f(a, b, scale=2.0):
        return {"sum": a * scale + b * w, "diff": a - b}

    @tf.function
    def g(a):
        return tf.nn.relu(a) * 3.0

    out1 = f(x, x)
    out2 = f(x, tf.ones_like(x), scale=3.0)
    out3 = g(g(x))
    loss = tf.reduce_sum(y * y) + tf.reduce_sum(out1["sum"]) + tf.reduce_sum(z[0]) + tf.reduce_sum(out3)
    gx, gw = tf.gradients(loss, [x, w])
    train = tf.train.GradientDescentOptimizer(0.05).minimize(loss, var_list=[w])
    out = {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for k, iv in enumerate((0, 1, 2, 3, -1)):
            vals = sess.run([y, z[0], z[1], out1["sum"], out1["diff"], out2["sum"], out3, loss, gx, gw],
                            {i: iv, x: [1.0, -2.0, 0.5]})
            out["step_%d" % k] = [np.asarray(v) for v in vals]
        for k in range(3):
            sess.run(train, {i: 1, x: [1.0, -2.0, 0.5]})
            out["w_%d" % k] = sess.run(w.read_value())
    return out
