"""tf.math: the math functions under their tf.math names."""

from metarun.ops.math_ops import (  # noqa: F401
    abs, accumulate_n, acos, acosh, add, add_n, argmax, argmin, asin, asinh, atan, atan2, atanh, betainc, ceil,
    conj, cos, cosh, count_nonzero, cumprod, cumsum, cumulative_logsumexp, digamma, divide, divide_no_nan,
    equal, erf, erfc, erfinv, exp, expm1, floor, floordiv, floormod, greater, greater_equal, igamma, igammac,
    imag, is_finite, is_inf, is_nan, less, less_equal, lgamma, log, log1p, log_sigmoid, logical_and,
    logical_not, logical_or, logical_xor, maximum, minimum, mod, multiply, multiply_no_nan, ndtri, negative,
    nextafter, not_equal, polygamma, polyval, pow, real, reciprocal, reciprocal_no_nan, reduce_all,
    reduce_any, reduce_euclidean_norm, reduce_logsumexp, reduce_max, reduce_mean, reduce_min, reduce_prod,
    reduce_std, reduce_sum, reduce_variance, rint, round, rsqrt, scalar_mul, segment_max, segment_mean,
    segment_min, segment_prod, segment_sum, sigmoid, sign, sin, sinh, softplus, softsign, sqrt, square,
    squared_difference, subtract, tan, tanh, truediv, unsorted_segment_max, unsorted_segment_min,
    unsorted_segment_prod, unsorted_segment_sum, xdivy, xlog1py, xlogy, zeta)
from metarun.ops.array_ops import invert_permutation  # noqa: F401
from metarun.ops.math_ops import top_k  # noqa: F401
from metarun.ops.nn_ops import in_top_k, l2_normalize, log_softmax, softmax, zero_fraction  # noqa: F401
from metarun.ops.confusion_matrix import confusion_matrix_v1 as confusion_matrix  # noqa: F401,E402
from metarun.ops.sparse_segment_ops import bincount, unsorted_segment_mean, unsorted_segment_sqrt_n  # noqa: F401,E402
from metarun.ops.array_ops_3 import angle  # noqa: F401,E402
from metarun.ops.misc_ops_2 import erfcinv  # noqa: F401,E402
from metarun.ops.check_ops import is_non_decreasing, is_strictly_increasing  # noqa: F401,E402
from metarun.ops.array_ops_2 import lbeta  # noqa: F401,E402
from metarun.ops.bessel_ops import bessel_i0, bessel_i0e, bessel_i1, bessel_i1e  # noqa: F401,E402
from metarun import _math_special as special  # noqa: F401,E402 -- tf.math.special
