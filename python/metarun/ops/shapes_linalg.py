"""Static shapes of the linalg ops (band/diagonal ops, LU and Cholesky family, decompositions),
as TF's shape functions give them. MatrixDiagPartV3's is in shapes_array_math."""

import numpy as np

from metarun.framework import shape_inference as si
from metarun.framework.tensor_shape import TensorShape


def _dims(shape, at_least, op):
    """The dims of a shape known to have rank >= at_least (None when the rank is unknown)."""
    if shape.ndims is None:
        return None
    if shape.ndims < at_least:
        raise ValueError("Shape must be at least rank %d but is rank %d for '%s' (op: '%s')"
                         % (at_least, shape.ndims, op.name, op.type))
    return list(shape.dims)


def _same_dim(a, b, op):
    if a is not None and b is not None and a != b:
        raise ValueError("Dimensions must be equal, but are %d and %d for '%s' (op: '%s')" % (a, b, op.name, op.type))
    return a if a is not None else b


def _square(op):
    """[batch..., n] of a batch of square matrices, or None."""
    d = _dims(op.inputs[0].shape, 2, op)
    if d is None:
        return None
    return d[:-2] + [_same_dim(d[-2], d[-1], op)]


def _diag_index(tensor):
    k = si.constant_value(tensor)
    if k is None:
        return None
    k = np.asarray(k).reshape(-1)
    if k.size not in (1, 2):
        return None
    return int(k[0]), int(k[-1])


@si.register("MatrixBandPart", "MatrixSetDiag", "MatrixSetDiagV2", "MatrixSetDiagV3")
def _like_input(op):
    return [op.inputs[0].shape]


@si.register("MatrixDiag")
def _matrix_diag(op):
    d = _dims(op.inputs[0].shape, 1, op)
    return [TensorShape(None if d is None else d + [d[-1]])]


@si.register("MatrixDiagV2", "MatrixDiagV3")
def _matrix_diag_v2(op):
    d = _dims(op.inputs[0].shape, 1, op)
    k = _diag_index(op.inputs[1])
    rows, cols = si.constant_value(op.inputs[2]), si.constant_value(op.inputs[3])
    if d is None or k is None or rows is None or cols is None:
        return [TensorShape(None)]
    lower, upper = k
    batch = d[:-1] if lower == upper else d[:-2]
    max_len = d[-1]
    if max_len is None:
        return [TensorShape(batch + [None, None])]
    min_rows, min_cols = max_len - min(upper, 0), max_len + max(lower, 0)
    rows, cols = int(rows), int(cols)
    if rows == -1 and cols == -1:
        rows = cols = max(min_rows, min_cols)
    elif rows == -1:
        rows = min_rows
    elif cols == -1:
        cols = min_cols
    return [TensorShape(batch + [rows, cols])]


@si.register("MatrixDiagPart")
def _matrix_diag_part(op):
    d = _dims(op.inputs[0].shape, 2, op)
    if d is None:
        return [TensorShape(None)]
    m, n = d[-2:]
    return [TensorShape(d[:-2] + [None if m is None or n is None else min(m, n)])]


@si.register("MatrixDiagPartV2")
def _matrix_diag_part_v2(op):
    d = _dims(op.inputs[0].shape, 2, op)
    k = _diag_index(op.inputs[1])
    if d is None or k is None:
        return [TensorShape(None)]
    lower, upper = k
    m, n = d[-2:]
    length = None if m is None or n is None else max(0, min(m + min(upper, 0), n - max(lower, 0)))
    return [TensorShape(d[:-2] + ([upper - lower + 1] if lower != upper else []) + [length])]


@si.register("Cholesky", "MatrixInverse")
def _square_like_input(op):
    s = _square(op)
    return [TensorShape(None if s is None else s + [s[-1]])]


@si.register("MatrixDeterminant")
def _determinant(op):
    s = _square(op)
    return [TensorShape(None if s is None else s[:-1])]


@si.register("LogMatrixDeterminant")
def _log_determinant(op):
    return _determinant(op) * 2


@si.register("MatrixSolve")
def _solve(op):
    a, b = _dims(op.inputs[0].shape, 2, op), _dims(op.inputs[1].shape, 2, op)
    if a is None or b is None:
        return [TensorShape(None)]
    n = _same_dim(_same_dim(a[-2], a[-1], op), b[-2], op)
    batch = si.merge(TensorShape(a[:-2]), TensorShape(b[:-2])).dims
    return [TensorShape(batch + [n, b[-1]])]


@si.register("MatrixTriangularSolve")
def _triangular_solve(op):
    a, b = _dims(op.inputs[0].shape, 2, op), _dims(op.inputs[1].shape, 2, op)
    if a is None or b is None:
        return [TensorShape(None)]
    n = _same_dim(_same_dim(a[-2], a[-1], op), b[-2], op)
    batch = si.broadcast(TensorShape(a[:-2]), TensorShape(b[:-2]))
    return [TensorShape(None if batch.ndims is None else batch.dims + [n, b[-1]])]


@si.register("MatrixSolveLs")
def _solve_ls(op):
    a, b = _dims(op.inputs[0].shape, 2, op), _dims(op.inputs[1].shape, 2, op)
    if a is None or b is None:
        return [TensorShape(None)]
    _same_dim(a[-2], b[-2], op)
    batch = si.merge(TensorShape(a[:-2]), TensorShape(b[:-2])).dims
    return [TensorShape(batch + [a[-1], b[-1]])]


@si.register("Qr")
def _qr(op):
    d = _dims(op.inputs[0].shape, 2, op)
    if d is None:
        return [TensorShape(None)] * 2
    m, n = d[-2:]
    p = None if m is None or n is None else min(m, n)
    if op.get_attr("full_matrices"):
        return [TensorShape(d[:-2] + [m, m]), TensorShape(d[:-2] + [m, n])]
    return [TensorShape(d[:-2] + [m, p]), TensorShape(d[:-2] + [p, n])]


@si.register("Svd")
def _svd(op):
    d = _dims(op.inputs[0].shape, 2, op)
    if d is None:
        return [TensorShape(None)] * 3
    m, n = d[-2:]
    p = None if m is None or n is None else min(m, n)
    s = TensorShape(d[:-2] + [p])
    if not op.get_attr("compute_uv"):
        return [s, TensorShape([0]), TensorShape([0])]
    full = op.get_attr("full_matrices")
    return [s, TensorShape(d[:-2] + [m, m if full else p]), TensorShape(d[:-2] + [n, n if full else p])]


@si.register("SelfAdjointEigV2")
def _self_adjoint_eig(op):
    s = _square(op)
    if s is None:
        return [TensorShape(None)] * 2
    v = TensorShape(s + [s[-1]]) if op.get_attr("compute_v") else TensorShape([0])
    return [TensorShape(s), v]


def _fmt(shape):
    return "[%s]" % ",".join("?" if d is None else str(d) for d in shape.dims)


@si.register("Cross")
def _cross(op):
    a, b = op.inputs[0].shape, op.inputs[1].shape
    try:
        shape = si.merge(a, b)
    except ValueError:
        x, y = a.dims, b.dims
        if len(x) != len(y):
            raise ValueError("Shapes must be equal rank, but are %d and %d for '%s' (op: 'Cross')"
                             % (len(x), len(y), op.name))
        i = next(i for i, (p, q) in enumerate(zip(x, y)) if p is not None and q is not None and p != q)
        raise ValueError("Dimension %d in both shapes must be equal, but are %d and %d. Shapes are %s and %s. "
                         "for '%s' (op: 'Cross')" % (i, x[i], y[i], _fmt(a), _fmt(b), op.name))
    d = _dims(shape, 1, op)
    if d is not None and d[-1] is not None and d[-1] != 3:
        raise ValueError("Dimension must be 3 but is %d for '%s' (op: 'Cross')" % (d[-1], op.name))
    return [shape]


@si.register("ConjugateTranspose")
def _conjugate_transpose(op):
    """tf.linalg.adjoint's op on complex input: Transpose's shape (and checks)."""
    return si._FNS["Transpose"](op)


@si.register("Diag")
def _tensor_diag(op):
    d = op.inputs[0].shape
    return [TensorShape(None if d.ndims is None else list(d.dims) * 2)]


@si.register("DiagPart")
def _tensor_diag_part(op):
    d = op.inputs[0].shape
    if d.ndims is None:
        return [TensorShape(None)]
    if d.ndims % 2:
        raise ValueError("Input must have even and non-zero rank, input rank is %d for '%s' (op: 'DiagPart')"
                         % (d.ndims, op.name))
    k = d.ndims // 2
    return [TensorShape([_same_dim(a, b, op) for a, b in zip(d.dims[:k], d.dims[k:])])]
