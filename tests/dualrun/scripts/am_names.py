"""Tensor operators and elementwise math: TF's node names, op types and values."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.constant(np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32), name="x")
    y = tf.placeholder(tf.float32, [None, 3], name="y")
    i = tf.constant(np.array([[7, -3, 4], [2, 9, -8]], np.int32), name="i")
    j = tf.constant(np.array([2, 5, -3], np.int32), name="j")
    b = tf.constant([True, False, True], name="b")
    v = tf.Variable(np.ones([2, 3], np.float32), name="v")
    outs = {
        "add": x + 1, "radd": 2 + x, "sub": x - y, "rsub": 1.0 - x, "mul": x * y, "rmul": 2 * x,
        "div": x / 2, "rdiv": 3.0 / x, "idiv": i / j, "floordiv": i // j, "rfloordiv": 7 // j, "mod": i % j,
        "pow": x ** 2, "rpow": 2.0 ** x, "matmul": x @ tf.transpose(x), "neg": -x, "abs": abs(x),
        "lt": x < y, "le": x <= 1.0, "gt": x > y, "ge": x >= 0.5, "and": b & tf.logical_not(b), "or": b | b,
        "xor": b ^ tf.constant([False, False, True]), "not": ~b, "vadd": v + x, "rvmul": 3.0 * v,
        "vneg": -v, "iabs": abs(i), "ineg": -i,
        "tf_add": tf.add(x, y), "tf_add_n": tf.add_n([x, y, x]), "tf_sub": tf.subtract(x, 1.0),
        "tf_mul": tf.multiply(x, y, name="prod"), "tf_div": tf.div(i, j), "tf_divf": tf.div(x, 2.0),
        "tf_truediv": tf.truediv(i, j), "tf_realdiv": tf.realdiv(x, y), "tf_floordiv": tf.floordiv(x, 2.0),
        "tf_divide": tf.divide(x, y), "tf_divide_n": tf.divide(x, y, name="dv"), "tf_mod": tf.mod(i, j),
        "tf_floormod": tf.floormod(x, 2.0), "tf_pow": tf.pow(x, 3.0), "tf_neg": tf.negative(x),
        "tf_abs": tf.abs(x), "tf_sign": tf.sign(x), "tf_square": tf.square(x), "tf_sqrt": tf.sqrt(tf.abs(x)),
        "tf_rsqrt": tf.rsqrt(tf.abs(x)), "tf_exp": tf.exp(x), "tf_log": tf.log(tf.abs(x)),
        "tf_log1p": tf.log1p(tf.abs(x)), "tf_expm1": tf.math.expm1(x), "tf_sin": tf.sin(x),
        "tf_cos": tf.cos(x), "tf_tan": tf.tan(x), "tf_asin": tf.asin(x / 5), "tf_acos": tf.acos(x / 5),
        "tf_atan": tf.atan(x), "tf_sinh": tf.sinh(x), "tf_cosh": tf.cosh(x), "tf_tanh": tf.tanh(x),
        "tf_atan2": tf.atan2(x, y), "tf_floor": tf.floor(x), "tf_ceil": tf.ceil(x), "tf_round": tf.round(x),
        "tf_rint": tf.rint(x), "tf_recip": tf.reciprocal(x), "tf_erf": tf.erf(x), "tf_erfc": tf.math.erfc(x),
        "tf_lgamma": tf.lgamma(tf.abs(x)), "tf_sigmoid": tf.sigmoid(x), "tf_sigmoid_m": tf.math.sigmoid(x),
        "tf_max": tf.maximum(x, y), "tf_min": tf.minimum(x, 0.0), "tf_sqdiff": tf.squared_difference(x, y),
        "tf_eq": tf.equal(x, y), "tf_ne": tf.not_equal(i, 2), "tf_less": tf.less(x, 1.0),
        "tf_lxor": tf.logical_xor(b, tf.logical_not(b)), "tf_lor": tf.logical_or(b, b),
        "tf_isnan": tf.is_nan(x), "tf_isinf": tf.is_inf(x), "tf_isfin": tf.is_finite(x),
        "tf_trdiv": tf.truncatediv(i, j), "tf_trmod": tf.truncatemod(i, j), "tf_divnonan": tf.div_no_nan(x, y),
        "tf_cast": tf.cast(x, tf.int32), "tf_to_float": tf.to_float(i), "tf_to_int64": tf.to_int64(x),
        "tf_sat": tf.saturate_cast(x * 100, tf.uint8), "tf_clip": tf.clip_by_value(x, -1.0, 1.0),
        "tf_clip_norm": tf.clip_by_norm(x, 2.0), "tf_clip_norm_ax": tf.clip_by_norm(x, 2.0, axes=[1]),
        "tf_math_add": tf.math.add(x, 1.0), "tf_math_mul": tf.math.multiply(x, x),
        "tf_math_log_sigmoid": tf.math.log_sigmoid(x), "tf_math_softplus": tf.math.softplus(x),
        "tf_math_rdiv": tf.math.reciprocal(y),
        "tf_scalar_mul": tf.scalar_mul(2.0, x),
        "tf_identity_n": tf.identity_n([x, i])[1], "tf_check": tf.check_numerics(x, "bad"),
        "tf_invperm": tf.invert_permutation([2, 0, 1]), "tf_bcast": tf.broadcast_to(j, [2, 3]),
    }
    feed = {y: np.array([[1.0, 2.0, 3.0], [-4.0, 0.5, 2.0]], np.float32)}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = sess.run(outs, feed)
    result = dict(values)
    result["shapes"] = [k + ":" + str(outs[k].shape) for k in sorted(outs)]
    result["dtypes"] = [k + ":" + outs[k].dtype.name for k in sorted(outs)]
    result["names"] = [k + ":" + outs[k].name for k in sorted(outs)]
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
