"""tf.tensor_scatter_nd_{update,add,sub,max,min} (and TF1's tensor_scatter_* names), tf.roll and
tf.manip.roll, tf.searchsorted, tf.unravel_index, tf.bitcast, tf.angle / tf.math.angle and
tf.guarantee_const: values, gradients (TF's for the scatters, roll and angle) and the graph node
for node."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [4, 3], name="x")
    u = tf.placeholder(tf.float32, [3, 3], name="u")
    e = tf.placeholder(tf.float32, [2], name="e")
    c = tf.placeholder(tf.complex64, [3], name="c")
    seq = tf.placeholder(tf.float64, [2, 5], name="seq")
    vals = tf.placeholder(tf.float64, [2, 3], name="vals")
    idx = tf.constant([[1], [3], [1]])
    cases = [
        ("update", lambda: tf.tensor_scatter_nd_update(x, idx[:2], u[:2]), [x, u]),
        ("update_v1", lambda: tf.tensor_scatter_update(x, [[0, 1], [2, 2]], e), [x, e]),
        ("add", lambda: tf.tensor_scatter_nd_add(x, idx, u), [x, u]),
        ("add_v1", lambda: tf.tensor_scatter_add(x, idx, u * 2.0), [x, u]),
        ("sub", lambda: tf.tensor_scatter_nd_sub(x, idx, u), [x, u]),
        ("sub_v1", lambda: tf.tensor_scatter_sub(x, [[3, 0]], e[:1]), [x, e]),
        ("max", lambda: tf.tensor_scatter_nd_max(x, idx, u), [x, u]),
        ("min", lambda: tf.tensor_scatter_nd_min(x, idx, u), [x, u]),
        ("roll", lambda: tf.roll(x, shift=[1, -2], axis=[0, 1]), [x]),
        ("roll_manip", lambda: tf.manip.roll(x * 2.0, shift=5, axis=1), [x]),
        ("angle", lambda: tf.angle(c), [c]),
        ("angle_math_real", lambda: tf.math.angle(e - 1.0), [e]),
        ("guarantee_const", lambda: tf.guarantee_const(x) * 3.0, []),  # TF has no gradient for it
        ("search_left", lambda: tf.searchsorted(seq, vals), []),
        ("search_right", lambda: tf.searchsorted(seq, vals, side="right", out_type=tf.int64), []),
        ("search_1d", lambda: tf.searchsorted(tf.constant([1, 3, 3, 7]), tf.constant([3, 0, 8])), []),
        ("unravel", lambda: tf.unravel_index(tf.constant([0, 5, 11]), tf.constant([3, 4])), []),
        ("bitcast", lambda: tf.bitcast(tf.constant([1.0, -2.0]), tf.int32), []),
        ("bitcast_wide", lambda: tf.bitcast(tf.constant([[1, 2, 3, 4]], tf.uint8), tf.float32), []),
    ]
    outs, grads = {}, {}
    for name, fn, xs in cases:
        with tf.name_scope(name):
            outs[name] = fn()
        if xs:
            target = outs[name]
            if target.dtype.is_complex:
                target = tf.real(target)
            grads[name] = tf.gradients(tf.reduce_sum(target * target), xs, name="g_" + name)
    rng = np.random.RandomState(3)
    feed = {x: rng.uniform(-1, 1, [4, 3]).astype(np.float32), u: rng.uniform(-1, 1, [3, 3]).astype(np.float32),
            e: np.array([0.5, -1.5], np.float32),
            c: np.array([1 + 1j, -2 + 0.5j, 3 - 4j], np.complex64),
            seq: np.sort(rng.uniform(0, 4, [2, 5]), axis=1), vals: rng.uniform(-1, 5, [2, 3])}
    feed[u][0, 0] = feed[x][1, 0]  # a tie for max/min: the gradient is split
    results = {}
    with tf.Session() as sess:
        for name, _, _ in cases:
            results[name] = sess.run(outs[name], feed)
            if name in grads:
                results["g_" + name] = [sess.run(g, feed) if g is not None else "None" for g in grads[name]]
    results["__graph__"] = tf.get_default_graph().as_graph_def()
    return results
