"""tf.linalg: the matrix functions whose ops metarun builds."""

from metarun.ops.math_ops import einsum, matmul, trace  # noqa: F401
from metarun.ops.array_ops import matrix_transpose  # noqa: F401

transpose = matrix_transpose
