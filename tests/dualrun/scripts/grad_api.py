"""tf.gradients' options and registry: grad_ys, several ys, stop_gradients, tf.stop_gradient,
unconnected_gradients, integer and unconnected xs (None), ref and resource variables, a resource
gather's IndexedSlices, colocate_gradients_with_ops, tf.RegisterGradient with
gradient_override_map, tf.NotDifferentiable, tree aggregation; values and the graph node for node."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [2, 3], name="x")
    q = tf.placeholder(tf.float32, name="q")
    i = tf.placeholder(tf.int32, [2], name="i")
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 4, name="w")
    r = tf.Variable(np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2), name="r", use_resource=True)
    y = tf.matmul(x, w) * tf.matmul(x, r)
    out = {}
    g = []
    g.append(tf.gradients(y, [x, w, r], grad_ys=tf.constant(np.full([2, 2], 0.5, np.float32))))
    g.append(tf.gradients([y, tf.reduce_sum(x * x)], [x, q, i]))
    g.append(tf.gradients(y, [x, q], unconnected_gradients="zero"))
    h = tf.tanh(x)
    g.append(tf.gradients(h * x, [x, h], stop_gradients=[h]))
    g.append(tf.gradients(tf.stop_gradient(x * 2.0) * x, x))
    g.append(tf.gradients(tf.cast(i, tf.float32) * 2.0, i))
    g.append(tf.gradients(y, [w], colocate_gradients_with_ops=True, gate_gradients=True))

    @tf.RegisterGradient("GradApiTimesThree")
    def _times_three(op, grad):
        return grad * 3.0

    graph = tf.get_default_graph()
    with graph.gradient_override_map({"Identity": "GradApiTimesThree"}):
        tripled = tf.identity(x, name="tripled")
    g.append(tf.gradients(tripled * tripled, x))
    tf.NotDifferentiable("GradApiFlat")
    with graph.gradient_override_map({"Square": "GradApiFlat"}):
        flat = tf.square(x, name="flat")
    g.append(tf.gradients(flat + x, x))
    z = x * x + x * 2.0 + tf.sin(x)
    g.append(tf.gradients(z, x, aggregation_method=tf.AggregationMethod.EXPERIMENTAL_TREE))
    g.append(tf.gradients(z, x, unconnected_gradients=tf.UnconnectedGradients.ZERO))
    sparse = tf.gradients(tf.gather(r, tf.constant([2, 0, 2]), name="Gather") * 2.0, r)[0]
    feed = {x: np.arange(6, dtype=np.float32).reshape(2, 3) - 2, q: 1.0, i: np.array([1, 2], np.int32)}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for k, grads in enumerate(g):
            out["g%d" % k] = [sess.run(t, feed) if t is not None else "None" for t in grads]
        out["sparse"] = sess.run([sparse.values, sparse.indices, sparse.dense_shape])
        out["sparse_dense"] = sess.run(tf.convert_to_tensor(sparse))
    out["types"] = [type(sparse).__name__]
    out["__graph__"] = graph.as_graph_def()
    return out
