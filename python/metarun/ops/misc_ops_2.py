"""Small composites of tf.compat.v1, built as TF builds them: tf.math.erfcinv, tf.to_bfloat16 /
to_complex64 / to_complex128, tf.verify_tensor_all_finite / tf.debugging.assert_all_finite."""

import numpy as np

from metarun.framework import dtypes
from metarun.framework.op_builder import convert_to_tensor
from metarun.ops import math_ops
from metarun.ops.scopes import name_scope


def erfcinv(x, name=None):
    with name_scope(name, "erfcinv", [x]):
        x = convert_to_tensor(x, name="start")
        return -math_ops.ndtri(0.5 * x) * np.sqrt(0.5)


def to_bfloat16(x, name="ToBFloat16"):
    return math_ops.cast(x, dtypes.bfloat16, name=name)


def to_complex64(x, name="ToComplex64"):
    return math_ops.cast(x, dtypes.complex64, name=name)


def to_complex128(x, name="ToComplex128"):
    return math_ops.cast(x, dtypes.complex128, name=name)


def assert_all_finite(x, message, name=None):
    """x, after a CheckNumerics of it (colocated with x) has run."""
    from metarun.ops.control_flow_ops import with_dependencies
    with name_scope(name, "VerifyFinite", [x]) as name:
        x = convert_to_tensor(x, name="x")
        with x.graph.colocate_with(x):
            verify_input = math_ops.check_numerics(x, message=message)
            return with_dependencies([verify_input], x)


def verify_tensor_all_finite(t=None, msg=None, name=None, x=None, message=None):
    """TF1's name: `t`/`x` and `msg`/`message` are the same arguments."""
    if t is not None and x is not None:
        raise ValueError("Cannot specify both 't' and 'x'.")
    if msg is not None and message is not None:
        raise ValueError("Cannot specify both 'msg' and 'message'.")
    return assert_all_finite(x if t is None else t, message if msg is None else msg, name)
