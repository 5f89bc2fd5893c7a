"""tf.linalg's matrix functions, built as TF's gen_linalg_ops, linalg_ops, linalg_impl and
array_ops wrappers build them (same op names, name scopes and Python-side branches):
band_part, diag, set_diag, tensor_diag, tensor_diag_part, eye, inv, det, slogdet, logdet, cholesky,
cholesky_solve, solve, triangular_solve, lstsq, qr, svd, eigh, eigvalsh, adjoint, cross. Their static shapes
are in shapes_linalg, their gradients in linalg_grad."""

import collections

import numpy as np

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.ops import array_ops, math_ops
from metarun.ops import shapes_linalg  # noqa: F401 -- registers the static shapes
from metarun.ops.scopes import name_scope

Tensor = graph_lib.Tensor

_LogMatrixDeterminant = collections.namedtuple("LogMatrixDeterminant", ["sign", "log_abs_determinant"])
_Qr = collections.namedtuple("Qr", ["q", "r"])
_SelfAdjointEigV2 = collections.namedtuple("SelfAdjointEigV2", ["e", "v"])
_Svd = collections.namedtuple("Svd", ["s", "u", "v"])


def _is_bool(x):
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        return False
    try:
        return dtypes.as_dtype(dtype).base_dtype == dtypes.bool
    except TypeError:
        return False


def _matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, name=None):
    """math_ops.matmul as TF builds it for complex operands too: a conjugated operand is a Conj
    op under the MatMul scope (2-D: Conj + transpose; batched: Conj + adjoint for a transpose).
    Real operands go to math_ops.matmul. (math_ops.matmul itself drops the Conj; once it follows
    TF there, this helper can go.)"""
    with name_scope(name, "MatMul", [a, b]) as name:
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, dtype=a.dtype.base_dtype, name="b")
        if not a.dtype.base_dtype.is_complex:
            return math_ops.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b, adjoint_a=adjoint_a,
                                   adjoint_b=adjoint_b, name=name)
        ra, rb = a.shape.ndims, b.shape.ndims
        if (ra is None or ra > 2) or (rb is None or rb > 2):
            if transpose_a:
                a, adjoint_a = math_ops.conj(a), True
            if transpose_b:
                b, adjoint_b = math_ops.conj(b), True
            return apply_op("BatchMatMulV2", x=a, y=b, adj_x=adjoint_a, adj_y=adjoint_b, name=name)
        if adjoint_a:
            a, transpose_a = math_ops.conj(a), True
        if adjoint_b:
            b, transpose_b = math_ops.conj(b), True
        return apply_op("MatMul", a=a, b=b, transpose_a=transpose_a, transpose_b=transpose_b, name=name)


# -- band and diagonals (array_ops) -----------------------------------------------------------

def matrix_band_part(input, num_lower, num_upper, name=None):  # noqa: A002 -- TF's name
    return apply_op("MatrixBandPart", input=input, num_lower=num_lower, num_upper=num_upper, name=name)


def matrix_diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0, align="RIGHT_LEFT"):
    if _is_bool(diagonal):
        padding_value = bool(padding_value)
    return apply_op("MatrixDiagV3", diagonal=diagonal, k=k, num_rows=num_rows, num_cols=num_cols,
                    padding_value=padding_value, align=align, name=name)


def matrix_set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):  # noqa: A002
    return apply_op("MatrixSetDiagV3", input=input, diagonal=diagonal, k=k, align=align, name=name)


def tensor_diag(diagonal, name=None):
    return apply_op("Diag", diagonal=diagonal, name=name)


def tensor_diag_part(input, name=None):  # noqa: A002
    return apply_op("DiagPart", input=input, name=name)


matrix_diag_part = array_ops.matrix_diag_part
band_part = matrix_band_part
diag = matrix_diag
diag_part = matrix_diag_part
set_diag = matrix_set_diag


def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None):
    with name_scope(name, "eye", [num_rows, num_columns, batch_shape]):
        is_square = num_columns is None
        batch_shape = [] if batch_shape is None else batch_shape
        num_columns = num_rows if num_columns is None else num_columns
        if isinstance(num_rows, Tensor) or isinstance(num_columns, Tensor):
            diag_size = math_ops.minimum(num_rows, num_columns)
        else:
            if not isinstance(num_rows, (int, np.integer)) or not isinstance(num_columns, (int, np.integer)):
                raise TypeError("Arguments `num_rows` and `num_columns` must be positive integer values. "
                                "Received: num_rows=%s, num_columns=%s" % (num_rows, num_columns))
            is_square = num_rows == num_columns
            diag_size = np.minimum(num_rows, num_columns)
        if isinstance(batch_shape, Tensor) or isinstance(diag_size, Tensor):
            batch_shape = convert_to_tensor(batch_shape, name="shape", dtype=dtypes.int32)
            diag_shape = array_ops.concat((batch_shape, [diag_size]), axis=0)
            if not is_square:
                shape = array_ops.concat((batch_shape, [num_rows, num_columns]), axis=0)
        else:
            batch_shape = list(batch_shape)
            diag_shape = batch_shape + [diag_size]
            if not is_square:
                shape = batch_shape + [num_rows, num_columns]
        diag_ones = array_ops.ones(diag_shape, dtype=dtype)
        if is_square:
            return matrix_diag(diag_ones)
        zero_matrix = array_ops.zeros(shape, dtype=dtype)
        return matrix_set_diag(zero_matrix, diag_ones)


def adjoint(matrix, name=None):
    with name_scope(name, "adjoint", [matrix]):
        matrix = convert_to_tensor(matrix, name="matrix")
        return array_ops.matrix_transpose(matrix, conjugate=True)


def cross(a, b, name=None):
    """tf.cross / tf.linalg.cross: one Cross node (gen_math_ops.cross)."""
    return apply_op("Cross", a=a, b=b, name=name)


# -- LU and Cholesky (gen_linalg_ops, linalg_ops, linalg_impl) ----------------------------------

def matrix_inverse(input, adjoint=False, name=None):  # noqa: A002
    return apply_op("MatrixInverse", input=input, adjoint=adjoint, name=name)


def matrix_determinant(input, name=None):  # noqa: A002
    return apply_op("MatrixDeterminant", input=input, name=name)


def log_matrix_determinant(input, name=None):  # noqa: A002
    return _LogMatrixDeterminant(*apply_op("LogMatrixDeterminant", input=input, name=name))


def cholesky(input, name=None):  # noqa: A002
    return apply_op("Cholesky", input=input, name=name)


def matrix_solve(matrix, rhs, adjoint=False, name=None):
    return apply_op("MatrixSolve", matrix=matrix, rhs=rhs, adjoint=adjoint, name=name)


def _matrix_triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """The gen op, without triangular_solve's name scope."""
    return apply_op("MatrixTriangularSolve", matrix=matrix, rhs=rhs, lower=lower, adjoint=adjoint, name=name)


def matrix_triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    with name_scope(name, "triangular_solve", [matrix, rhs]):
        return _matrix_triangular_solve(matrix, rhs, lower=lower, adjoint=adjoint)


def cholesky_solve(chol, rhs, name=None):
    with name_scope(name, "cholesky_solve", [chol, rhs]):
        y = _matrix_triangular_solve(chol, rhs, adjoint=False, lower=True)
        return _matrix_triangular_solve(chol, y, adjoint=True, lower=True)


def logdet(matrix, name=None):
    with name_scope(name, "logdet", [matrix]):
        chol = cholesky(matrix)
        return 2.0 * math_ops.reduce_sum(math_ops.log(math_ops.real(matrix_diag_part(chol))), axis=[-1])


def _regularized_gramian_cholesky(matrix, l2_regularizer, first_kind):
    """The Cholesky factor of A^H A + l2 I (first kind) or A A^H + l2 I."""
    gramian = _matmul(matrix, matrix, adjoint_a=first_kind, adjoint_b=not first_kind)
    if isinstance(l2_regularizer, Tensor) or l2_regularizer != 0:
        matrix_shape = array_ops.shape(matrix)
        batch_shape = matrix_shape[:-2]
        small_dim = matrix_shape[-1] if first_kind else matrix_shape[-2]
        identity = eye(small_dim, batch_shape=batch_shape, dtype=matrix.dtype)
        small = matrix.shape.dims[-1 if first_kind else -2] if matrix.shape.ndims is not None else None
        batch = matrix.shape.dims[:-2] if matrix.shape.ndims is not None else None
        identity.set_shape(None if batch is None else batch + [small, small])
        gramian += l2_regularizer * identity
    return cholesky(gramian)


_L2_CACHE_SIZE_GUESSTIMATE = 256000


def _use_composite_lstsq(fast, shape, dtype):
    """TF's choice between the normal-equations graph and the MatrixSolveLs kernel."""
    if fast is False:
        return False
    if not shape.is_fully_defined():
        return True
    dims = shape.as_list()
    batch = int(np.prod(dims[:-2], dtype=np.int64))
    size = int(np.prod(dims, dtype=np.int64)) * dtype.size
    return not (size > _L2_CACHE_SIZE_GUESSTIMATE and batch > min(dims[-2:]))


def matrix_solve_ls(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    def overdetermined():
        chol = _regularized_gramian_cholesky(matrix, l2_regularizer, first_kind=True)
        return cholesky_solve(chol, _matmul(matrix, rhs, adjoint_a=True))

    def underdetermined():
        chol = _regularized_gramian_cholesky(matrix, l2_regularizer, first_kind=False)
        return _matmul(matrix, cholesky_solve(chol, rhs), adjoint_a=True)

    matrix = convert_to_tensor(matrix, name="matrix")
    if matrix.dtype == dtypes.complex128 and l2_regularizer != 0:
        raise NotImplementedError("matrix_solve_ls is currently disabled for complex128 and l2_regularizer != 0 "
                                  "due to poor accuracy.")
    if not _use_composite_lstsq(fast, matrix.shape, matrix.dtype.base_dtype):
        return apply_op("MatrixSolveLs", matrix=matrix, rhs=rhs, l2_regularizer=l2_regularizer, fast=fast, name=name)
    with name_scope(name, "matrix_solve_ls", [matrix, rhs, l2_regularizer]):
        dims = matrix.shape.dims[-2:] if matrix.shape.ndims is not None else [None, None]
        if None not in dims:
            return overdetermined() if dims[0] >= dims[1] else underdetermined()
        from metarun.ops import control_flow_ops
        shape = array_ops.shape(matrix)[-2:]
        return control_flow_ops.cond(shape[-2] >= shape[-1], overdetermined, underdetermined)


# -- decompositions --------------------------------------------------------------------------

def qr(input, full_matrices=False, name=None):  # noqa: A002
    return _Qr(*apply_op("Qr", input=input, full_matrices=full_matrices, name=name))


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    s, u, v = apply_op("Svd", input=tensor, compute_uv=compute_uv, full_matrices=full_matrices, name=name)
    if compute_uv:
        return math_ops.real(s), u, v
    return math_ops.real(s)


def _self_adjoint_eig_v2(tensor, compute_v, name=None):
    return _SelfAdjointEigV2(*apply_op("SelfAdjointEigV2", input=tensor, compute_v=compute_v, name=name))


def self_adjoint_eig(tensor, name=None):
    e, v = _self_adjoint_eig_v2(tensor, compute_v=True, name=name)
    return e, v


def self_adjoint_eigvals(tensor, name=None):
    e, _ = _self_adjoint_eig_v2(tensor, compute_v=False, name=name)
    return e


inv = matrix_inverse
det = matrix_determinant
slogdet = log_matrix_determinant
solve = matrix_solve
triangular_solve = matrix_triangular_solve
lstsq = matrix_solve_ls
eigh = self_adjoint_eig
eigvalsh = self_adjoint_eigvals

from metarun.ops import linalg_grad  # noqa: F401,E402 -- registers the gradients
