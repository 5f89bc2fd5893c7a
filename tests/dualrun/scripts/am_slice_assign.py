"""Assignment to slices of ref and resource variables (`v[1:3].assign(x)` and
tf.strided_slice(..., var=v).assign(x): StridedSliceAssign, ResourceStridedSliceAssign) and tf.gather_nd on them (ResourceGatherNd) with its gradient
training the variable: TF's graph node for node and its values."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    v = tf.Variable(np.arange(24, dtype=np.float32).reshape(4, 3, 2), name="v")
    r = tf.Variable(np.arange(24, dtype=np.float32).reshape(4, 3, 2), name="r", use_resource=True)
    n = tf.Variable(np.arange(10, dtype=np.int64), name="n", use_resource=True)
    s = tf.Variable([b"a", b"b", b"c"], name="s")
    p = tf.placeholder(tf.float32, [None, 2], name="p")
    k = tf.placeholder(tf.int64, [], name="k")
    assigns = {
        "v_rows": v[1:3].assign(tf.ones([2, 3, 2])),
        "v_neg": v[::-2, 1:].assign(tf.fill([2, 2, 2], -1.0), name="neg"),
        "v_ellipsis": v[..., 1].assign(tf.zeros([4, 3])),
        "v_newaxis": v[0, None, :, ::-1].assign(tf.reshape(tf.range(6, dtype=tf.float32), [1, 3, 2])),
        "v_fed": v[2, 1:].assign(p),
        "v_broadcast": v[3].assign([7.0, 8.0]),
        "v_empty": v[2:2].assign(tf.zeros([0, 3, 2])),
        "r_rows": r[1:3].assign(tf.ones([2, 3, 2])),
        "r_neg": r[::-2, 1:].assign(tf.fill([2, 2, 2], -1.0), name="neg"),
        "r_tensor_index": r[k, :, 0].assign([5.0, 6.0, 7.0]),
        "r_scalar": r[0, 0, 0].assign(42.0),
        "n_step": n[1::3].assign(tf.constant([-1, -2, -3], tf.int64)),
        "s_last": s[-1].assign(b"z"),
        "v_strided_slice": tf.strided_slice(v, [1, 2], [4, 0], [2, -1], var=v, name="sl").assign(
            tf.ones([2, 2, 2]) * 3.0),
        "r_strided_slice": tf.strided_slice(r, [0], [1], var=r, name="sl", shrink_axis_mask=1).assign(
            tf.ones([3, 2]), name="first"),
    }
    gathered = {
        "r_pairs": tf.gather_nd(r, [[0, 1], [3, 2]]),
        "r_rows": tf.gather_nd(r, [[2], [0]], name="rows"),
        "n_elems": tf.gather_nd(n, [[4], [9]]),
        "v_pairs": tf.gather_nd(v, [[1, 1]]),
    }
    w = tf.Variable(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3), name="w", use_resource=True)
    rows_loss = tf.reduce_sum(tf.square(tf.gather_nd(w, [[3], [1], [3]])))
    loss = rows_loss + tf.reduce_sum(tf.gather_nd(w, [[0, 2]]))
    row_grads = tf.gradients(rows_loss, [w])  # IndexedSlices, as TF's
    grads = tf.gradients(loss, [w])  # with a ScatterNd: dense
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    feed = {p: [[10.0, 11.0], [12.0, 13.0]], k: 2}
    result = {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for name in sorted(assigns):
            result[name] = sess.run(assigns[name], feed)
        result["v"], result["r"], result["n"], result["s"] = sess.run([v, r, n, s])
        result.update(sess.run(gathered))
        g = row_grads[0]
        result["grad_values"], result["grad_indices"], result["grad_shape"] = sess.run(
            [g.values, g.indices, g.dense_shape])
        result["grad"] = sess.run(grads[0])
        for step in range(3):
            result["loss_%d" % step] = sess.run([loss, train])[0]
        result["w"] = sess.run(w)
    result["shapes"] = [name + ":" + str(t.shape) for name, t in sorted(gathered.items())]
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
