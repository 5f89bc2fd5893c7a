"""Each optimizer trains a small linear model (ref and resource variables) with a global step;
the loss curve, the variables and every slot are compared with TF's."""
import numpy as np

OPTIMIZERS = {
    "gd": lambda tf: tf.train.GradientDescentOptimizer(0.1),
    "momentum": lambda tf: tf.train.MomentumOptimizer(0.1, 0.9),
    "nesterov": lambda tf: tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
    "adam": lambda tf: tf.train.AdamOptimizer(0.05),
    "rmsprop": lambda tf: tf.train.RMSPropOptimizer(0.01),
    "rmsprop_centered": lambda tf: tf.train.RMSPropOptimizer(0.01, momentum=0.5, centered=True),
    "adagrad": lambda tf: tf.train.AdagradOptimizer(0.1),
    "adadelta": lambda tf: tf.train.AdadeltaOptimizer(1.0, rho=0.9),
    "ftrl": lambda tf: tf.train.FtrlOptimizer(0.1, l1_regularization_strength=0.001, l2_regularization_strength=0.01),
    "ftrl_shrinkage": lambda tf: tf.train.FtrlOptimizer(0.1, learning_rate_power=-0.6, beta=0.2,
                                                        l2_shrinkage_regularization_strength=0.05),
    "proximal_adagrad": lambda tf: tf.train.ProximalAdagradOptimizer(0.1, l1_regularization_strength=0.001,
                                                                     l2_regularization_strength=0.01),
    "proximal_gd": lambda tf: tf.train.ProximalGradientDescentOptimizer(0.1, l1_regularization_strength=0.001,
                                                                        l2_regularization_strength=0.01),
}


def main(tf, workdir):
    out = {}
    feed_x = np.arange(12, dtype=np.float32).reshape(4, 3) / 7 - 0.5
    feed_y = np.array([[1, 0], [0, 1], [1, 1], [0.5, -1]], np.float32)
    for use_resource in (False, True):
        for key, make in sorted(OPTIMIZERS.items()):
            with tf.Graph().as_default():
                x = tf.placeholder(tf.float32, [None, 3], name="x")
                y = tf.placeholder(tf.float32, [None, 2], name="y")
                w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, name="w",
                                use_resource=use_resource)
                b = tf.Variable(np.array([0.1, -0.2], np.float32), name="b", use_resource=use_resource)
                loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
                step = tf.train.get_or_create_global_step()
                opt = make(tf)
                train = opt.minimize(loss, global_step=step)
                tag = "%s_%s" % (key, "resource" if use_resource else "ref")
                with tf.Session() as sess:
                    sess.run(tf.global_variables_initializer())
                    losses = [sess.run([train, loss], {x: feed_x, y: feed_y})[1] for _ in range(15)]
                    names = sorted(v.name for v in tf.global_variables())
                    values = sess.run(sorted(tf.global_variables(), key=lambda v: v.name))
                out[tag + "/losses"] = np.array(losses)
                out[tag + "/names"] = names
                out[tag + "/values"] = values
                out[tag + "/slots"] = opt.get_slot_names()
                out[tag + "/train_op"] = train.name
    return out
