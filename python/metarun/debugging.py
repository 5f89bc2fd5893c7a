"""tf.debugging: the asserts and numeric checks."""

from metarun.ops.array_ops import (  # noqa: F401
    Assert, assert_equal, assert_greater, assert_greater_equal, assert_less, assert_less_equal, assert_negative,
    assert_non_negative, assert_non_positive, assert_none_equal, assert_positive)
from metarun.ops.math_ops import check_numerics, is_finite, is_inf, is_nan  # noqa: F401
