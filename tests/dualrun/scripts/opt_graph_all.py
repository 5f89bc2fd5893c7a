"""Every optimizer's update graph node for node, dense and sparse, ref and resource: each trains
a matmul weight and an embedding read by a gather with a repeated index (an IndexedSlices
gradient), of both kinds, for five steps; the losses, variables and slots are compared too.
Nesterov momentum is left to opt_train (dense): metarun's SparseApplyMomentum computes the Nesterov
step as the dense kernel does, (g*lr + a*m*lr), where TF's sparse kernel computes lr*g + (lr*m)*a,
one ulp apart on some elements."""
import numpy as np

GRAPH = True

OPTIMIZERS = [
    ("gd", lambda tf: tf.train.GradientDescentOptimizer(0.1)),
    ("momentum", lambda tf: tf.train.MomentumOptimizer(0.1, 0.9)),
    ("adam", lambda tf: tf.train.AdamOptimizer(0.05)),
    ("rmsprop", lambda tf: tf.train.RMSPropOptimizer(0.01)),
    ("rmsprop_centered", lambda tf: tf.train.RMSPropOptimizer(0.01, momentum=0.5, centered=True)),
    ("adagrad", lambda tf: tf.train.AdagradOptimizer(0.1)),
    ("adadelta", lambda tf: tf.train.AdadeltaOptimizer(1.0)),
    ("ftrl", lambda tf: tf.train.FtrlOptimizer(0.1, l1_regularization_strength=0.01)),
    ("ftrl_v2", lambda tf: tf.train.FtrlOptimizer(0.1, l2_regularization_strength=0.01, beta=0.5,
                                                  l2_shrinkage_regularization_strength=0.1)),
    ("proximal_adagrad", lambda tf: tf.train.ProximalAdagradOptimizer(0.1, l1_regularization_strength=0.01)),
    ("proximal_gd", lambda tf: tf.train.ProximalGradientDescentOptimizer(0.1, l2_regularization_strength=0.01)),
]


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.placeholder(tf.float32, [None, 2], name="y")
    ids = tf.constant([0, 3, 3, 1], name="ids")
    step = tf.train.get_or_create_global_step()
    trains, losses, opts, variables = [], [], [], []
    for key, make in OPTIMIZERS:
        with tf.variable_scope(key):
            vs = []
            for kind in ("ref", "res"):
                w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, name="w_" + kind,
                                use_resource=kind == "res")
                e = tf.Variable(np.linspace(-1, 1, 10, dtype=np.float32).reshape(5, 2), name="e_" + kind,
                                use_resource=kind == "res")
                vs += [w, e]
            pred = sum(tf.matmul(x, w) + tf.gather(e, ids) for w, e in (vs[:2], vs[2:]))
            loss = tf.reduce_mean(tf.square(pred - y))
        opt = make(tf)
        trains.append(opt.minimize(loss, global_step=step if key == "adam" else None))
        losses.append(loss)
        opts.append(opt)
        variables.append(vs)
    feed = {x: np.arange(12, dtype=np.float32).reshape(4, 3) / 7 - 0.5,
            y: np.array([[1, 0], [0, 1], [1, 1], [0.5, -1]], np.float32)}
    out = {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        curve = [sess.run([trains, losses], feed)[1] for _ in range(5)]
        out["losses"] = np.array(curve)
        for (key, _), opt, vs in zip(OPTIMIZERS, opts, variables):
            out[key + "/vars"] = sess.run(vs)
            out[key + "/slot_names"] = opt.get_slot_names()
            slots = [opt.get_slot(v, n) for n in opt.get_slot_names() for v in vs]
            out[key + "/slots"] = sess.run(slots) if slots else []
            out[key + "/slot_vars"] = [s.name for s in slots]
            out[key + "/variables"] = [v.name for v in opt.variables()]
        out["step"] = sess.run(step)
    out["train_ops"] = [t.name for t in trains]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
