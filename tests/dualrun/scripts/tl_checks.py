"""tf.assert_rank/_at_least/_in, assert_type/integer/scalar/near, is_non_decreasing and
is_strictly_increasing: static checks raise TF's errors while building; dynamic ones fail when run."""
import numpy as np

GRAPH = True


def _error(fn):
    try:
        fn()
        return "no error"
    except Exception as e:  # noqa: BLE001 -- the class is what is compared
        return type(e).__name__


def main(tf, workdir):
    x = tf.constant(np.array([[1., 2., 3.], [4., 5., 6.]], np.float32), name="x")
    u = tf.placeholder(tf.float32, name="u")
    i = tf.constant([1, 2], name="i")
    static = [tf.assert_rank(x, 2), tf.assert_rank_at_least(x, 1, name="ral"), tf.assert_rank_in(x, [1, 2]),
              tf.assert_type(x, tf.float32), tf.assert_integer(i), tf.assert_scalar(tf.constant(1.0))]
    a_rank = tf.assert_rank(u, 2, message="need a matrix")
    a_least = tf.assert_rank_at_least(u, 1)
    a_in = tf.assert_rank_in(u, (0, 2))
    a_near = tf.assert_near(u, u + 1e-7, name="near")
    a_far = tf.assert_near(x, x * 2.0, rtol=0.1, atol=0.5)
    mono = {"nd_x": tf.is_non_decreasing(x), "si_x": tf.is_strictly_increasing([1, 1, 2]),
            "nd_u": tf.is_non_decreasing(u), "si_u": tf.is_strictly_increasing(u, name="inc")}
    result = {"static": [op.name for op in static[:5]] + [static[5].name],
              "same_float": tf.assert_same_float_dtype([x, x * 2.0]).name,
              "same_float_none": tf.as_dtype(tf.assert_same_float_dtype(None, tf.float64)).name}
    result["errors"] = [
        _error(lambda: tf.assert_rank(x, 3)), _error(lambda: tf.assert_rank_at_least(x, 3)),
        _error(lambda: tf.assert_rank_in(x, [0, 1])), _error(lambda: tf.assert_type(x, tf.int32)),
        _error(lambda: tf.assert_integer(x)), _error(lambda: tf.assert_scalar(x)),
        _error(lambda: tf.assert_same_float_dtype([i])), _error(lambda: tf.assert_proper_iterable("ab")),
        _error(lambda: tf.assert_proper_iterable(x)), _error(lambda: tf.assert_proper_iterable(3)),
        _error(lambda: tf.assert_proper_iterable([1, 2])), _error(lambda: tf.is_non_decreasing(["a"])),
    ]
    run = []
    with tf.Session() as sess:
        result.update(sess.run(mono, {u: [[1., 3.], [3., 7.]]}))
        result["mono_short"] = sess.run(mono["si_u"], {u: [5.]})
        for op, value in ((a_rank, np.ones([2, 2])), (a_rank, np.ones([2])), (a_least, 1.0), (a_least, [1.0]),
                          (a_in, 3.0), (a_in, np.ones([1, 2, 3])), (a_near, [1.0]), (a_far, 0.0)):
            try:
                sess.run(op, {u: value})
                run.append("ok")
            except Exception as e:  # noqa: BLE001
                run.append(type(e).__name__)
        result["after"] = sess.run(mono["nd_u"], {u: [2., 1.]})
    result["run"] = run
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
