"""tf.metrics.accuracy and tf.metrics.mean (weighted): local variable names, value and update
tensors' names, and the running values over two update steps."""


def main(tf, workdir):
    p = tf.placeholder(tf.int64, [None], name="p")
    labels = tf.placeholder(tf.int64, [None], name="l")
    v = tf.placeholder(tf.float32, [None], name="v")
    acc, acc_up = tf.metrics.accuracy(labels, p)
    m, m_up = tf.metrics.mean(v, weights=tf.ones_like(v) * 2.0)
    out = {"local": [x.name for x in tf.local_variables()], "names": [acc.name, acc_up.name, m.name, m_up.name]}
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        out["step1"] = sess.run([acc_up, m_up], {p: [1, 2, 3], labels: [1, 0, 3], v: [1., 2., 4.]})
        out["step2"] = sess.run([acc_up, m_up], {p: [1], labels: [0], v: [3.]})
        out["final"] = sess.run([acc, m])
    return out
