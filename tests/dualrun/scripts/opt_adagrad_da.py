"""AdagradDAOptimizer's graph node for node and its training, bit for bit: a matmul weight and an
embedding read by a gather with a repeated index (an IndexedSlices gradient), as ref and as
resource variables, with an embedding whose rows are one element wide (TF's double-precision
sparse path); one optimizer with l1 and l2 driven by the global step that minimize increments,
one without l1 on a learning-rate tensor and a fed global step (a placeholder: a resource
variable's read_value() is named differently in metarun, Read/ReadVariableOp in TF)."""
import numpy as np

GRAPH = True
RTOL = 0.0  # bit for bit


def _model(tf, x, ids, y, name):
    with tf.variable_scope(name):
        vs = []
        for kind in ("ref", "res"):
            res = kind == "res"
            vs.append(tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10 - 0.2, name="w_" + kind,
                                  use_resource=res))
            vs.append(tf.Variable(np.linspace(-1, 1, 10, dtype=np.float32).reshape(5, 2), name="e_" + kind,
                                  use_resource=res))
            vs.append(tf.Variable(np.linspace(0.5, -0.5, 5, dtype=np.float32), name="s_" + kind,
                                  use_resource=res))
        pred = 0
        for w, e, s in (vs[:3], vs[3:]):
            pred = pred + tf.matmul(x, w) + tf.gather(e, ids) + tf.expand_dims(tf.gather(s, ids), 1)
        loss = tf.reduce_mean(tf.square(pred - y))
    return vs, loss


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.placeholder(tf.float32, [None, 2], name="y")
    ids = tf.constant([0, 3, 3, 1], name="ids")
    step = tf.train.get_or_create_global_step()
    vs1, loss1 = _model(tf, x, ids, y, "m1")
    opt1 = tf.train.AdagradDAOptimizer(0.1, step, l1_regularization_strength=0.01, l2_regularization_strength=0.02)
    train1 = opt1.minimize(loss1, global_step=step)

    step2 = tf.placeholder(tf.int64, [], name="step2")
    vs2, loss2 = _model(tf, x, ids, y, "m2")
    lr = tf.constant(0.05, name="lr")
    opt2 = tf.train.AdagradDAOptimizer(lr, step2, initial_gradient_squared_accumulator_value=0.3,
                                       l2_regularization_strength=0.01, name="DA2")
    train2 = opt2.minimize(loss2)

    feed = {x: np.arange(12, dtype=np.float32).reshape(4, 3) / 7 - 0.5,
            y: np.array([[1, 0], [0, 1], [1, 1], [0.5, -1]], np.float32)}
    out = {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        curve = []
        for k in range(5):
            curve.append(sess.run([train1, train2, loss1, loss2], {**feed, step2: 5 + 3 * k})[2:])
        out["losses"] = np.array(curve)
        for key, opt, vs in (("da1", opt1, vs1), ("da2", opt2, vs2)):
            out[key + "/vars"] = sess.run(vs)
            out[key + "/slot_names"] = sorted(opt.get_slot_names())
            slots = [opt.get_slot(v, n) for n in sorted(opt.get_slot_names()) for v in vs]
            out[key + "/slots"] = sess.run(slots)
            out[key + "/slot_vars"] = [s.name for s in slots]
            out[key + "/variables"] = [v.name for v in opt.variables()]
        out["step"] = sess.run(step)
    out["train_ops"] = [train1.name, train2.name]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
