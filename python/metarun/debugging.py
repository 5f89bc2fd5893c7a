"""tf.debugging: the asserts and numeric checks."""

from metarun.ops.array_ops import (  # noqa: F401
    Assert, assert_equal, assert_greater, assert_greater_equal, assert_less, assert_less_equal, assert_negative,
    assert_non_negative, assert_non_positive, assert_none_equal, assert_positive)
from metarun.ops.math_ops import check_numerics, is_finite, is_inf, is_nan  # noqa: F401
from metarun.ops.check_ops import (  # noqa: F401,E402
    assert_integer, assert_near, assert_proper_iterable, assert_rank, assert_rank_at_least, assert_rank_in,
    assert_same_float_dtype, assert_scalar, assert_type, is_non_decreasing, is_numeric_tensor, is_strictly_increasing)
from metarun.ops.misc_ops_2 import assert_all_finite  # noqa: F401,E402
