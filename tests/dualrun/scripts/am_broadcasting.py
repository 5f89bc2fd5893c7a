"""Broadcasting and contraction shapes (known and unknown dims), tensordot layouts, and the
shape errors TF raises while building."""
import numpy as np

GRAPH = True


def _error(fn):
    try:
        fn()
    except (ValueError, TypeError) as e:
        return type(e).__name__
    return "no error"


def main(tf, workdir):
    a = tf.placeholder(tf.float32, [None, 1, 3], name="a")
    b = tf.placeholder(tf.float32, [4, 1], name="b")
    c = tf.placeholder(tf.float32, [None, None], name="c")
    u = tf.placeholder(tf.float32, name="u")
    t3 = tf.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4), name="t3")
    t2 = tf.constant(np.arange(20, dtype=np.float32).reshape(4, 5), name="t2")
    outs = {
        "ab": a + b, "ac": a * c, "bc": b - c, "au": a / u, "cmp": a > b, "max": tf.maximum(b, c),
        "where": tf.where_v2(a > 0, a, b), "sel_same": tf.where(c > 0, c, -c),
        "td1": tf.tensordot(t3, t2, 1), "td_axes": tf.tensordot(t3, tf.transpose(t3, [2, 1, 0]), [[1, 2], [1, 0]]),
        "td_2d": tf.tensordot(t2, tf.ones([5, 2]), axes=1), "td_first": tf.tensordot(t2, t2, [[0], [0]]),
        "td_dyn": tf.tensordot(c, tf.ones([3, 2]), 1), "bmm_b": tf.matmul(a, tf.ones([3, 2])),
        "bcast_to": tf.broadcast_to(b, [2, 4, 3]),
    }
    feed = {a: np.ones([2, 1, 3], np.float32), b: np.arange(4, dtype=np.float32).reshape(4, 1),
            c: np.full([4, 3], 2.0, np.float32), u: np.float32(2.0)}
    with tf.Session() as sess:
        values = sess.run(outs, feed)
    result = dict(values)
    result["shapes"] = [k + ":" + str(outs[k].shape) for k in sorted(outs)]
    result["errors"] = [
        _error(lambda: tf.matmul(tf.ones([2, 3]), tf.ones([4, 2]))),
        _error(lambda: tf.ones([2, 3]) + tf.ones([4, 3])),
        _error(lambda: tf.reshape(tf.ones([2, 3]), [4, 2])),
        _error(lambda: tf.concat([tf.ones([2, 3]), tf.ones([2])], 0)),
        _error(lambda: tf.tensordot(tf.ones([2, 3]), tf.ones([2, 3]), 1)),
        _error(lambda: tf.squeeze(tf.ones([2, 3]), [0])),
        _error(lambda: tf.expand_dims(tf.ones([2, 3]), 3)),
        _error(lambda: tf.stack([tf.ones([2]), tf.ones([3])])),
        _error(lambda: tf.transpose(tf.ones([2, 3]), [0, 1, 2])),
    ]
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
