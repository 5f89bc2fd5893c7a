"""Learning-rate schedules of the global step, node for node and value by value at steps 0..29,
then one of them driving a GradientDescent minimize that increments the step."""
import numpy as np

GRAPH = True
# metarun's float32 Pow, Cos and Exp kernels round some results one ulp away from Eigen's (TF's);
# a restart schedule's 1 - cos near zero turns that into 1.6e-6 relative.
RTOL = 5e-6


def main(tf, workdir):
    step = tf.train.get_or_create_global_step()
    schedules = {
        "exp": tf.train.exponential_decay(0.1, step, 10, 0.5),
        "exp_stair": tf.train.exponential_decay(0.1, step, 7, 0.5, staircase=True, name="stairs"),
        "natural": tf.train.natural_exp_decay(0.1, step, 10, 0.5),
        "natural_stair": tf.train.natural_exp_decay(0.1, step, 10, 0.5, staircase=True),
        "inverse": tf.train.inverse_time_decay(0.1, step, 10, 0.5),
        "inverse_stair": tf.train.inverse_time_decay(0.1, step, 10, 0.5, staircase=True),
        "poly": tf.train.polynomial_decay(0.1, step, 20, 0.01, power=2.0),
        "poly_cycle": tf.train.polynomial_decay(0.1, step, 8, 0.01, power=0.5, cycle=True),
        "piecewise": tf.train.piecewise_constant(step, [5, 10, 20], [0.1, 0.05, 0.01, 0.001]),
        "cosine": tf.train.cosine_decay(0.1, step, 20, alpha=0.1),
        "cosine_restarts": tf.train.cosine_decay_restarts(0.1, step, 5),
        "cosine_restarts_equal": tf.train.cosine_decay_restarts(0.1, step, 5, t_mul=1.0, m_mul=0.5, alpha=0.01),
        "linear_cosine": tf.train.linear_cosine_decay(0.1, step, 20, num_periods=2.0),
        "float_step": tf.train.exponential_decay(0.1, tf.cast(step, tf.float32), 10, 0.5),
    }
    keys = sorted(schedules)
    set_step = tf.placeholder(tf.int64, [], name="set_step")
    assign = step.assign(set_step)

    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w = tf.Variable([[0.5], [-0.5]], name="w")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0), name="loss")
    lr = tf.train.exponential_decay(0.5, step, 3, 0.5, staircase=True, name="train_lr")
    train = tf.train.GradientDescentOptimizer(lr).minimize(loss, global_step=step)
    out = {"names": [schedules[k].name for k in keys]}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = []
        for s in range(30):
            sess.run(assign, {set_step: s})
            values.append(sess.run([schedules[k] for k in keys]))
        sess.run(assign, {set_step: 0})
        xs = np.array([[1, 2], [3, -1], [0.5, 0.5]], np.float32)
        curve = [sess.run([train, loss, lr], {x: xs})[1:] for _ in range(10)]
        out["w"] = sess.run(w)
        out["step"] = sess.run(step)
    out["values"] = np.array(values, np.float32)
    out["curve"] = np.array(curve, np.float32)
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
