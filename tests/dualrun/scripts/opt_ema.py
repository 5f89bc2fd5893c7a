"""tf.train.ExponentialMovingAverage of a ref variable, a resource variable and a tensor (zero
debiased), with num_updates from the global step, updated after each training step; the shadow
variables' names and values, average_name, variables_to_restore and the collection are compared,
then a checkpoint is restored through variables_to_restore so the averages load into a new
graph's variables."""
import os

import numpy as np


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w = tf.Variable([[0.5], [-0.5]], name="w")
    b = tf.Variable([0.25], name="b", use_resource=True)
    y = tf.matmul(x, w) + b
    loss = tf.reduce_mean(tf.square(y - 1.0), name="loss")
    mean_y = tf.reduce_mean(y, name="mean_y")
    step = tf.train.get_or_create_global_step()
    opt_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    ema = tf.train.ExponentialMovingAverage(0.9, num_updates=step)
    ema_debiased = tf.train.ExponentialMovingAverage(0.8, zero_debias=True, name="Debiased")
    with tf.control_dependencies([opt_op]):
        train = tf.group(ema.apply([w, b]), ema_debiased.apply([mean_y]), name="train")
    xs = np.array([[1, 2], [3, -1], [0.5, 0.5]], np.float32)
    out = {"train": train.name, "names": [ema.average(v).name for v in (w, b)] + [ema_debiased.average(mean_y).name],
           "average_names": [ema.average_name(w), ema.average_name(b), ema_debiased.average_name(mean_y),
                             ema.average_name(step)],
           "collection": [v.name for v in tf.moving_average_variables()],
           "globals": sorted(v.name for v in tf.global_variables()),
           "trainables": sorted(v.name for v in tf.trainable_variables())}
    restore_map = ema.variables_to_restore()
    out["to_restore"] = sorted("%s=%s" % (k, v.name) for k, v in restore_map.items())
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out["initial"] = sess.run([ema.average(w), ema.average(b), ema_debiased.average(mean_y)])
        curve = []
        for _ in range(8):
            sess.run(train, {x: xs})
            curve.append(sess.run([ema.average(w), ema.average(b), ema_debiased.average(mean_y)]))
        out["curve_w"] = np.array([c[0] for c in curve])
        out["curve_b"] = np.array([c[1] for c in curve])
        out["curve_mean"] = np.array([c[2] for c in curve])
        out["vars"] = sess.run([w, b, step])
        path = saver.save(sess, os.path.join(workdir, "ema"))
    with tf.Graph().as_default():
        w2 = tf.Variable([[0.0], [0.0]], name="w")
        b2 = tf.Variable([0.0], name="b", use_resource=True)
        ema2 = tf.train.ExponentialMovingAverage(0.9)
        restore_map = ema2.variables_to_restore()
        out["to_restore2"] = sorted("%s=%s" % (k, v.name) for k, v in restore_map.items())
        with tf.Session() as sess:
            tf.train.Saver(restore_map).restore(sess, path)
            out["restored"] = sess.run([w2, b2])
    return out
