"""tf.math: the math functions under their tf.math names."""

from metarun.ops.math_ops import (  # noqa: F401
    abs, add, add_n, argmax, argmin, atan2, ceil, cos, divide, div_no_nan, equal, erf, exp, expm1, floor,
    floordiv, floormod, greater, greater_equal, is_finite, is_inf, is_nan, less, less_equal, log, log1p,
    logical_and, logical_not, logical_or, logical_xor, maximum, minimum, mod, multiply, negative,
    not_equal, pow, realdiv, reciprocal, reduce_all, reduce_any, reduce_max, reduce_mean, reduce_min,
    reduce_prod, reduce_sum, round, rsqrt, sigmoid, sign, sin, sqrt, square, squared_difference,
    subtract, tan, tanh, truediv, truncatediv, truncatemod, xdivy, xlogy)
