"""TF1's tf.assign, assign_add, assign_sub and the tf.scatter_* / tf.scatter_nd_* functions on ref
and resource variables, node for node, with use_locking and validate_shape; read_value on both
kinds (a resource read in a Read scope, then an Identity); and the TF2 switches a
tf.compat.v1 script calls first (disable_v2_behavior, disable_eager_execution...)."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    tf.disable_v2_behavior()
    tf.disable_eager_execution()
    out = {"eager": tf.executing_eagerly()}
    v = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="v")
    r = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="r", use_resource=True)
    ops = [tf.assign(v, tf.ones([3, 2])), tf.assign(v, tf.zeros([3, 2]), use_locking=False, validate_shape=True),
           tf.assign_add(v, tf.ones([3, 2])), tf.assign_sub(v, tf.ones([3, 2]), use_locking=True),
           tf.assign(r, tf.ones([3, 2]) * 2.0), tf.assign_add(r, tf.ones([3, 2])), tf.assign_sub(r, tf.ones([3, 2]))]
    idx = tf.constant([2, 0])
    upd = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    for fn in (tf.scatter_update, tf.scatter_add, tf.scatter_sub, tf.scatter_mul, tf.scatter_div,
               tf.scatter_max, tf.scatter_min):
        ops.append(fn(v, idx, upd))
        ops.append(fn(r, idx, upd))
    nd_idx = tf.constant([[1], [2]])
    for fn in (tf.scatter_nd_update, tf.scatter_nd_add, tf.scatter_nd_sub):
        ops.append(fn(v, nd_idx, upd))
        ops.append(fn(r, nd_idx, upd, use_locking=True))
    lazy = r.assign(tf.ones([3, 2]) * 3.0)  # TF's lazy read: each use reads after the assignment
    reads = [r.read_value(), v.read_value(), r.read_value()]
    after = [lazy + 1.0, lazy]
    out["lazy_type"] = type(lazy).__name__
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out["steps"] = [np.asarray(sess.run(o)) for o in ops]
        out["reads"] = [np.asarray(x) for x in sess.run(reads)]
        out["after"] = [np.asarray(x) for x in sess.run(after)]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
