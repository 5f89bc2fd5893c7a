"""tf.linalg: the matrix functions whose ops metarun builds."""

from metarun.ops.math_ops import einsum, global_norm, matmul, norm, tensordot, trace  # noqa: F401
from metarun.ops.nn_ops import l2_normalize  # noqa: F401
from metarun.ops.array_ops import matrix_transpose  # noqa: F401
from metarun.ops.linalg_ops import (  # noqa: F401
    adjoint, band_part, cholesky, cholesky_solve, cross, det, diag, diag_part, eigh, eigvalsh, eye, inv, logdet,
    lstsq, qr, set_diag, slogdet, solve, svd, tensor_diag, tensor_diag_part, triangular_solve)

transpose = matrix_transpose
