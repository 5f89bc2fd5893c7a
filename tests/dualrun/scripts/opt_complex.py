"""Optimizers on complex variables: Adam, Adagrad, RMSProp (plain and centered) and Adadelta
apply the gradients (tf.gradients, fed back; minimize and compute_gradients refuse complex
variables in TF 1.x's optimizers, apply_gradients takes them) of a real loss of complex64 and
complex128 variables (|x - t|^2 as real(conj(d) * d), weighted) for a few steps, each on a ref
and a resource variable, and Adagrad, RMSProp and Adadelta also through a gather (their SparseApply kernels, rows of three and of one element).
Lengths 7 and 5 leave elements past Eigen's last complex packet, which TF computes with
different square-root and division formulas. Values compared bit for bit; the graph node for
node."""
import numpy as np

GRAPH = True
RTOL = 0.0  # bit for bit


def _init(shape, dtype, seed):
    rng = np.random.RandomState(seed)
    v = rng.uniform(-1, 1, shape) + 1j * rng.uniform(-1, 1, shape)
    v.flat[0] = -abs(v.flat[0].real)  # a negative real part
    return v.astype(dtype)


def _loss(tf, x, target):
    # Only |x - t|^2 weighted: a gradient that is one AddN. Where sums of gradients nest (a
    # third term, or tf.abs), TF's graph optimizer regroups them and the gradient's last bits
    # differ from the graph as written, which metarun runs.
    d = x - target
    sq = tf.math.real(tf.math.conj(d) * d)
    shape = x.shape.as_list()
    weights = tf.constant(np.linspace(0.5, 2.0, int(np.prod(shape))).reshape(shape), sq.dtype)
    return tf.reduce_sum(sq * weights)


def _train(tf, opt, loss, x, scope, feeds):
    """The gradient is computed in a run of its own and fed to the update: in the training run
    TF's graph optimizer may regroup the gradient's sums and change its last bits, which would
    say nothing about the update kernels."""
    (grad,) = tf.gradients(loss, [x])
    if isinstance(grad, tf.IndexedSlices):
        values = tf.placeholder(grad.values.dtype, grad.values.shape, name=scope + "_grad_values")
        indices = tf.placeholder(grad.indices.dtype, grad.indices.shape, name=scope + "_grad_indices")
        feeds.append(((grad.values, values), (grad.indices, indices)))
        fed = tf.IndexedSlices(values, indices, grad.dense_shape)
    else:
        fed = tf.placeholder(grad.dtype, grad.shape, name=scope + "_grad")
        feeds.append(((grad, fed),))
    return opt.apply_gradients([(fed, x)], name=scope + "_train")


def main(tf, workdir):
    optimizers = [
        ("adam", lambda: tf.train.AdamOptimizer(0.05)),
        ("adagrad", lambda: tf.train.AdagradOptimizer(0.2)),
        ("rmsprop", lambda: tf.train.RMSPropOptimizer(0.02, momentum=0.3)),
        ("rmsprop_centered", lambda: tf.train.RMSPropOptimizer(0.02, centered=True)),
        ("adadelta", lambda: tf.train.AdadeltaOptimizer(1.0)),
    ]
    train_ops, variables, feeds = [], [], []
    seed = 0
    for name, make in optimizers:
        for dtype, shape in ((tf.complex64, [7]), (tf.complex128, [5])):
            for resource in (False, True):
                seed += 1
                scope = "%s_%s_%s" % (name, dtype.name, "res" if resource else "ref")
                with tf.variable_scope(scope):
                    x = tf.Variable(_init(shape, dtype.as_numpy_dtype, seed), name="x", use_resource=resource)
                    target = tf.constant(_init(shape, dtype.as_numpy_dtype, seed + 100), name="target")
                    loss = _loss(tf, x, target)
                train_ops.append(_train(tf, make(), loss, x, scope, feeds))
                variables.append(x)
    # Sparse updates: the gradient of a gather reaches the optimizer as IndexedSlices.
    for name, make in optimizers[1:]:
        for dtype, shape in ((tf.complex64, [4, 3]), (tf.complex128, [6])):
            seed += 1
            scope = "%s_sparse_%s" % (name, dtype.name)
            with tf.variable_scope(scope):
                x = tf.Variable(_init(shape, dtype.as_numpy_dtype, seed), name="x")
                rows = tf.gather(x, [3, 0, 3])
                target = tf.constant(_init([3] + shape[1:], dtype.as_numpy_dtype, seed + 100), name="target")
                loss = _loss(tf, rows, target)
            train_ops.append(_train(tf, make(), loss, x, scope, feeds))
            variables.append(x)

    out = {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(4):
            pairs = [pair for group in feeds for pair in group]
            grads = sess.run([g for g, _ in pairs])
            sess.run(train_ops, {ph: v for (_, ph), v in zip(pairs, grads)})
            vals = sess.run(variables)
            for i, v in enumerate(vals):
                out["var%02d_step%d" % (i, step)] = v
        # The losses themselves are left out: metarun's float Sum of the 7 squared moduli can
        # round differently in the last bit from TF's (not an optimizer matter).
        slots = sorted((v for v in tf.global_variables() if "/x/" in v.op.name), key=lambda v: v.op.name)
        out["slot_names"] = [v.op.name for v in slots]
        for name, value in zip(out["slot_names"], sess.run(slots)):
            out["slot:" + name] = value
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
