"""Gradients of the array ops (reshapes, transpose, concat/stack/split, slices, tile, pad, gathers
into IndexedSlices, gather_nd), values and the gradient graph node for node."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [2, 3], name="x")
    p = tf.placeholder(tf.float32, [None, 3], name="p")
    e = tf.Variable(np.arange(15, dtype=np.float32).reshape(5, 3), name="e")
    ids = tf.constant([0, 2, 2], name="ids")
    cases = [("reshape", lambda: tf.reshape(x, [3, 2]), [x]),
             ("expand", lambda: tf.expand_dims(x, 1), [x]),
             ("squeeze", lambda: tf.squeeze(tf.reshape(x, [2, 1, 3]), [1]), [x]),
             ("transpose", lambda: tf.transpose(x), [x]),
             ("concat", lambda: tf.concat([x, x * 2.0], 0), [x]),
             ("concat_p", lambda: tf.concat([p, x], 0), [x, p]),
             ("stack", lambda: tf.stack([x, p[:2]]), [x, p]),
             ("unstack", lambda: tf.unstack(x)[0], [x]),
             ("split", lambda: tf.split(x, 3, axis=1)[1], [x]),
             ("slice", lambda: tf.slice(x, [0, 1], [2, 2]), [x]),
             ("ss", lambda: x[:, 1:], [x]),
             ("ss_p", lambda: p[1:, ::2], [p]),
             ("tile", lambda: tf.tile(x, [2, 1]), [x]),
             ("pad", lambda: tf.pad(x, [[1, 0], [0, 2]]), [x]),
             ("gather", lambda: tf.gather(e, ids), [e]),
             ("gather_p", lambda: tf.gather(p, ids) * p[:3], [p]),
             ("gnd", lambda: tf.gather_nd(x, [[0, 1], [1, 2]]), [x]),
             ("identity", lambda: tf.identity(x), [x]),
             ("sg", lambda: tf.stop_gradient(x) + x, [x])]
    grads = []
    for name, f, xs in cases:
        with tf.name_scope(name):
            y = f()
        grads.append(tf.gradients(y * y, xs, name="g_" + name))
    gathers = tf.gradients(tf.reduce_sum(tf.gather(e, ids)) + tf.reduce_sum(tf.gather(e, ids) * 2.0), e)[0]
    feed = {x: np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5, p: np.linspace(-1, 1, 12, dtype=np.float32)
            .reshape(4, 3)}
    out = {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for (name, _, _), g in zip(cases, grads):
            if name == "gnd":
                continue  # built only: metarun has no ScatterNd kernel yet
            values = []
            for t in g:
                if isinstance(t, tf.IndexedSlices):
                    values.extend(sess.run([t.values, t.indices, t.dense_shape], feed))
                else:
                    values.append(sess.run(t, feed))
            out[name] = values
        out["gathers"] = sess.run([gathers.values, gathers.indices, gathers.dense_shape])
        out["gathers_dense"] = sess.run(tf.convert_to_tensor(gathers))
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
