"""Gradients of the linalg ops, built as TF's linalg_grad.py and array_grad.py build them (same
ops in the same order, so graphs match TF's node for node): MatrixInverse, MatrixDeterminant,
LogMatrixDeterminant, Cholesky, MatrixSolve, MatrixTriangularSolve, MatrixSolveLs, Qr, Svd,
SelfAdjointEigV2, Cross (TF's math_grad), MatrixBandPart and the MatrixDiag/MatrixDiagPart/MatrixSetDiag
versions."""

from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.ops import array_ops, math_ops
from metarun.ops import linalg_ops as la
from metarun.ops.gradients_impl import RegisterGradient


def _matrix_diag(diagonal, k=0, num_rows=-1, num_cols=-1, align="RIGHT_LEFT"):
    return la.matrix_diag(diagonal, k=k, num_rows=num_rows, num_cols=num_cols, align=align)


def _safe_reciprocal(x, epsilon=1e-20):
    return x * math_ops.reciprocal(x * x + epsilon)


def _static_dims(t):
    return None if t.shape.ndims is None else list(t.shape.dims)


# -- band and diagonals (array_grad) ----------------------------------------------------------

@RegisterGradient("MatrixBandPart")
def _matrix_band_part_grad(op, grad):
    return la.matrix_band_part(grad, op.inputs[1], op.inputs[2]), None, None


@RegisterGradient("Diag")
def _diag_grad(op, grad):
    return la.tensor_diag_part(grad)


@RegisterGradient("DiagPart")
def _diag_part_grad(op, grad):
    return la.tensor_diag(grad)


@RegisterGradient("MatrixDiag")
def _matrix_diag_grad(op, grad):
    return array_ops.matrix_diag_part(grad)


@RegisterGradient("MatrixDiagV2")
def _matrix_diag_v2_grad(op, grad):
    return array_ops.matrix_diag_part(grad, k=op.inputs[1]), None, None, None, None


@RegisterGradient("MatrixDiagV3")
def _matrix_diag_v3_grad(op, grad):
    return array_ops.matrix_diag_part(grad, k=op.inputs[1], align=op.get_attr("align")), None, None, None, None


@RegisterGradient("MatrixDiagPart")
def _matrix_diag_part_grad(op, grad):
    d = _static_dims(op.inputs[0])
    if d is not None and None not in d[-2:] and d[-2] == d[-1]:
        return _matrix_diag(grad)
    return la.matrix_set_diag(array_ops.zeros_like(op.inputs[0]), grad)


def _diag_part_v2_grad(op, grad, align):
    d = _static_dims(op.inputs[0])
    if d is not None and None not in d[-2:]:
        return _matrix_diag(grad, k=op.inputs[1], num_rows=d[-2], num_cols=d[-1], align=align), None, None
    return la.matrix_set_diag(array_ops.zeros_like(op.inputs[0]), grad, k=op.inputs[1], align=align), None, None


@RegisterGradient("MatrixDiagPartV2")
def _matrix_diag_part_v2_grad(op, grad):
    # TF's array_ops.matrix_diag defaults to RIGHT_LEFT, which it passes here too.
    return _diag_part_v2_grad(op, grad, "RIGHT_LEFT")


@RegisterGradient("MatrixDiagPartV3")
def _matrix_diag_part_v3_grad(op, grad):
    return _diag_part_v2_grad(op, grad, op.get_attr("align"))


@RegisterGradient("MatrixSetDiag")
def _matrix_set_diag_grad(op, grad):
    x, dg = _static_dims(op.inputs[0]), _static_dims(op.inputs[1])
    if x is None:
        x = _static_dims(grad)
    batch = None
    if x is not None:
        batch = list(x[:-2])
        if dg is not None and len(dg) - 1 == len(batch):
            batch = [a if a is not None else b for a, b in zip(batch, dg[:-1])]
    if batch is not None and None not in batch and None not in x[-2:]:
        diag_shape = batch + [min(x[-2:])]
    else:
        with grad.graph.colocate_with(grad.op):
            grad_shape = array_ops.shape(grad)
            grad_rank = array_ops.rank(grad)
            batch_shape = array_ops.slice(grad_shape, [0], [grad_rank - 2])
            matrix_shape = array_ops.slice(grad_shape, [grad_rank - 2], [2])
            min_dim = math_ops.reduce_min(matrix_shape)
            diag_shape = array_ops.concat([batch_shape, [min_dim]], 0)
    grad_input = la.matrix_set_diag(grad, array_ops.zeros(diag_shape, dtype=grad.dtype))
    grad_diag = array_ops.matrix_diag_part(grad)
    return grad_input, grad_diag


def _set_diag_v2_grad(op, grad, align):
    diag_shape = op.inputs[1].shape
    if not diag_shape.is_fully_defined():
        from metarun.ops import control_flow_ops
        grad_shape = array_ops.shape(grad)
        batch_shape = grad_shape[:-2]
        matrix_shape = grad_shape[-2:]
        diag_index = array_ops.reshape(op.inputs[2], [-1])
        d_lower = diag_index[0]
        d_upper = diag_index[-1]
        y_offset = control_flow_ops.cond(math_ops.less(d_upper, 0), lambda: d_upper, lambda: 0)
        x_offset = control_flow_ops.cond(math_ops.greater(d_lower, 0), lambda: -d_lower, lambda: 0)
        max_diag_len = math_ops.minimum(matrix_shape[0] + y_offset, matrix_shape[1] + x_offset)
        postfix = control_flow_ops.cond(math_ops.equal(d_lower, d_upper),
                                        lambda: convert_to_tensor([max_diag_len]),
                                        lambda: convert_to_tensor([d_upper - d_lower + 1, max_diag_len]))
        diag_shape = array_ops.concat([batch_shape, postfix], 0)
    else:
        diag_shape = diag_shape.as_list()
    grad_input = la.matrix_set_diag(grad, array_ops.zeros(diag_shape, dtype=grad.dtype), k=op.inputs[2], align=align)
    grad_diag = array_ops.matrix_diag_part(grad, k=op.inputs[2], align=align)
    return grad_input, grad_diag, None


@RegisterGradient("MatrixSetDiagV2")
def _matrix_set_diag_v2_grad(op, grad):
    return _set_diag_v2_grad(op, grad, "RIGHT_LEFT")


@RegisterGradient("MatrixSetDiagV3")
def _matrix_set_diag_v3_grad(op, grad):
    return _set_diag_v2_grad(op, grad, op.get_attr("align"))


@RegisterGradient("Cross")
def _cross_grad(op, grad):
    u, v = op.inputs[0], op.inputs[1]
    return la.cross(v, grad), la.cross(grad, u)


# -- LU and Cholesky ---------------------------------------------------------------------------

@RegisterGradient("MatrixInverse")
def _matrix_inverse_grad(op, grad):
    ainv = op.outputs[0]
    adj = op.get_attr("adjoint")
    return -la._matmul(ainv, la._matmul(grad, ainv, adjoint_a=adj, adjoint_b=not adj), adjoint_a=not adj)


def _determinant_multipliers(g, c):
    return array_ops.reshape(g, array_ops.concat([array_ops.shape(c), [1, 1]], 0))


@RegisterGradient("MatrixDeterminant")
def _matrix_determinant_grad(op, grad):
    a, c = op.inputs[0], op.outputs[0]
    a_adj_inv = la.matrix_inverse(a, adjoint=True)
    return _determinant_multipliers(grad * c, c) * a_adj_inv


@RegisterGradient("LogMatrixDeterminant")
def _log_matrix_determinant_grad(op, _, grad_b):
    a, c = op.inputs[0], op.outputs[1]
    a_adj_inv = la.matrix_inverse(a, adjoint=True)
    return _determinant_multipliers(grad_b, c) * a_adj_inv


@RegisterGradient("Cholesky")
def _cholesky_grad(op, grad):
    l = op.outputs[0]  # noqa: E741 -- TF's name
    num_rows = array_ops.shape(l)[-1]
    batch_shape = array_ops.shape(l)[:-2]
    l_inverse = la.matrix_triangular_solve(l, la.eye(num_rows, batch_shape=batch_shape, dtype=l.dtype))
    middle = la._matmul(l, grad, adjoint_a=True)
    middle = la.matrix_set_diag(middle, 0.5 * array_ops.matrix_diag_part(middle))
    middle = la.matrix_band_part(middle, -1, 0)
    grad_a = la._matmul(la._matmul(l_inverse, middle, adjoint_a=True), l_inverse)
    grad_a += la.adjoint(grad_a)
    return grad_a * 0.5


@RegisterGradient("MatrixSolve")
def _matrix_solve_grad(op, grad):
    a, c = op.inputs[0], op.outputs[0]
    adj = op.get_attr("adjoint")
    grad_b = la.matrix_solve(a, grad, adjoint=not adj)
    if adj:
        grad_a = -la._matmul(c, grad_b, adjoint_b=True)
    else:
        grad_a = -la._matmul(grad_b, c, adjoint_b=True)
    return grad_a, grad_b


@RegisterGradient("MatrixTriangularSolve")
def _matrix_triangular_solve_grad(op, grad):
    a, b, c = op.inputs[0], op.inputs[1], op.outputs[0]
    adj, lower = op.get_attr("adjoint"), op.get_attr("lower")
    grad_b = la.matrix_triangular_solve(a, grad, lower=lower, adjoint=not adj)
    if adj:
        grad_a = -la._matmul(c, grad_b, adjoint_b=True)
    else:
        grad_a = -la._matmul(grad_b, c, adjoint_b=True)
    grad_a = la.matrix_band_part(grad_a, -1, 0) if lower else la.matrix_band_part(grad_a, 0, -1)
    sa, sb = _static_dims(a), _static_dims(b)
    if a.shape.is_fully_defined() and b.shape.is_fully_defined() and sa[:-2] == sb[:-2]:
        return grad_a, grad_b
    a_shape = array_ops.shape(a)
    b_shape = array_ops.shape(b)
    ra, rb = apply_op("BroadcastGradientArgs", s0=a_shape[:-2], s1=b_shape[:-2])
    grad_a = array_ops.reshape(math_ops.reduce_sum(grad_a, axis=ra), a_shape)
    grad_b = array_ops.reshape(math_ops.reduce_sum(grad_b, axis=rb), b_shape)
    return grad_a, grad_b


@RegisterGradient("MatrixSolveLs")
def _matrix_solve_ls_grad(op, grad):
    def overdetermined():
        a, b, x = op.inputs[0], op.inputs[1], op.outputs[0]
        l2 = math_ops.cast(op.inputs[2], a.dtype.base_dtype)
        chol = la._regularized_gramian_cholesky(a, l2, first_kind=True)
        z = la.cholesky_solve(chol, grad)
        xzt = la._matmul(x, z, adjoint_b=True)
        zx_sym = xzt + array_ops.matrix_transpose(xzt)
        grad_a = -la._matmul(a, zx_sym) + la._matmul(b, z, adjoint_b=True)
        return grad_a, la._matmul(a, z), None

    def underdetermined():
        a, b = op.inputs[0], op.inputs[1]
        l2 = math_ops.cast(op.inputs[2], a.dtype.base_dtype)
        chol = la._regularized_gramian_cholesky(a, l2, first_kind=False)
        grad_b = la.cholesky_solve(chol, la._matmul(a, grad))
        tmp = la.cholesky_solve(chol, b)
        a1 = la._matmul(tmp, a, adjoint_a=True)
        a1 = -la._matmul(grad_b, a1)
        a2 = grad - la._matmul(a, grad_b, adjoint_a=True)
        a2 = la._matmul(tmp, a2, adjoint_b=True)
        return a1 + a2, grad_b, None

    if op.get_attr("fast") is False:
        raise ValueError("Gradient not defined for fast=False")
    d = _static_dims(op.inputs[0])
    if d is not None and None not in d[-2:]:
        return overdetermined() if d[-2] >= d[-1] else underdetermined()
    from metarun.ops import control_flow_ops
    shape = array_ops.shape(op.inputs[0])[-2:]
    return control_flow_ops.cond(shape[-2] >= shape[-1], overdetermined, underdetermined)


# -- decompositions ----------------------------------------------------------------------------

def _triangular_solve_right(x, r):
    """x r^-1 for upper-triangular r."""
    return la.adjoint(la.matrix_triangular_solve(r, la.adjoint(x), lower=False, adjoint=False))


def _qr_grad_square_and_deep(q, r, dq, dr):
    qdq = la._matmul(q, dq, adjoint_a=True)
    qdq_ = qdq - la.adjoint(qdq)
    rdr = la._matmul(r, dr, adjoint_b=True)
    rdr_ = rdr - la.adjoint(rdr)
    tril = la.matrix_band_part(qdq_ + rdr_, -1, 0)
    grad_a = la._matmul(q, dr + _triangular_solve_right(tril, r))
    grad_b = _triangular_solve_right(dq - la._matmul(q, qdq), r)
    ret = grad_a + grad_b
    if q.dtype.is_complex:
        m = rdr - la.adjoint(qdq)
        eyem = la.set_diag(array_ops.zeros_like(m), la.diag_part(m))
        correction = eyem - math_ops.cast(math_ops.real(eyem), q.dtype)
        ret = ret + _triangular_solve_right(la._matmul(q, la.adjoint(correction)), r)
    return ret


@RegisterGradient("Qr")
def _qr_grad(op, dq, dr):
    q, r = op.outputs
    rd, qd = _static_dims(r), _static_dims(q)
    if rd is None or rd[-2] is None or rd[-1] is None:
        raise NotImplementedError("QrGrad not implemented with dynamic shapes. Received r.shape: %s" % r.shape)
    if rd[-2] > rd[-1] and qd[-2] == qd[-1]:
        raise NotImplementedError("QrGrad not implemented when nrows > ncols and full_matrices is true. Received "
                                  "r.shape=%s with nrows=%s and ncols=%s." % (r.shape, rd[-2], rd[-1]))
    num_rows, num_cols = qd[-2], rd[-1]
    if num_rows >= num_cols:
        return _qr_grad_square_and_deep(q, r, dq, dr)
    a = op.inputs[0]
    y = a[..., :, num_rows:]
    u = r[..., :, :num_rows]
    dv = dr[..., :, num_rows:]
    du = dr[..., :, :num_rows]
    dy = la._matmul(q, dv)
    dx = _qr_grad_square_and_deep(q, u, dq + la._matmul(y, dv, adjoint_b=True), du)
    return array_ops.concat([dx, dy], axis=-1)


@RegisterGradient("SelfAdjointEigV2")
def _self_adjoint_eig_v2_grad(op, grad_e, grad_v):
    e = op.outputs[0]
    with op.graph.control_dependencies([grad_e, grad_v]):
        if op.get_attr("compute_v"):
            v = op.outputs[1]
            f = la.matrix_set_diag(_safe_reciprocal(array_ops.expand_dims(e, -2) - array_ops.expand_dims(e, -1)),
                                   array_ops.zeros_like(e))
            grad_a = la._matmul(v, la._matmul(_matrix_diag(grad_e) + f * la._matmul(
                v, grad_v, adjoint_a=True), v, adjoint_b=True))
        else:
            _, v = la.self_adjoint_eig(op.inputs[0])
            grad_a = la._matmul(v, la._matmul(_matrix_diag(grad_e), v, adjoint_b=True))
        grad_a = la.matrix_band_part(grad_a + la.adjoint(grad_a), -1, 0)
        grad_a = la.matrix_set_diag(grad_a, 0.5 * array_ops.matrix_diag_part(grad_a))
        return grad_a


@RegisterGradient("Svd")
def _svd_grad(op, grad_s, grad_u, grad_v):
    a = op.inputs[0]
    ad = _static_dims(a)
    grad_s = math_ops.cast(grad_s, a.dtype)
    grad_s_mat = _matrix_diag(grad_s)
    if not op.get_attr("compute_uv"):
        _, u, v = la.svd(a, compute_uv=True)
        grad_a = la._matmul(u, la._matmul(grad_s_mat, v, adjoint_b=True))
        grad_a.set_shape(a.shape)
        return grad_a
    full_matrices = op.get_attr("full_matrices")
    gu, gv = _static_dims(grad_u), _static_dims(grad_v)
    m = ad[-2] if ad is not None and ad[-2] is not None else (gu[-2] if gu else None)
    n = ad[-1] if ad is not None and ad[-1] is not None else (gv[-2] if gv else None)
    if m is None or n is None:
        raise NotImplementedError("SVD gradient has not been implemented for input with unknown inner matrix shape.")
    a_shape = None if ad is None else ad[:-2] + [m, n]
    s, u, v = op.outputs
    s = math_ops.cast(s, a.dtype)
    use_adjoint = m > n
    if use_adjoint:
        m, n = n, m
        u, v = v, u
        grad_u, grad_v = grad_v, grad_u
    with op.graph.control_dependencies([grad_s, grad_u, grad_v]):
        if full_matrices and abs(m - n) > 1:
            raise NotImplementedError("svd gradient is not implemented for abs(m - n) > 1 when full_matrices is "
                                      "True. Received: m=%d and n=%d from op input=%s with shape=%s."
                                      % (m, n, a, a.shape))
        s_mat = _matrix_diag(s)
        s2 = math_ops.square(s)
        s_shape = array_ops.shape(s)
        f = la.matrix_set_diag(_safe_reciprocal(array_ops.expand_dims(s2, -2) - array_ops.expand_dims(s2, -1)),
                               array_ops.zeros_like(s))
        s_inv_mat = _matrix_diag(_safe_reciprocal(s))
        v1 = v[..., :, :m]
        grad_v1 = grad_v[..., :, :m]
        u_gu = la._matmul(u, grad_u, adjoint_a=True)
        v_gv = la._matmul(v1, grad_v1, adjoint_a=True)
        f_u = f * u_gu
        f_v = f * v_gv
        term1_nouv = (grad_s_mat + la._matmul(f_u + la.adjoint(f_u), s_mat) +
                      la._matmul(s_mat, f_v + la.adjoint(f_v)))
        term1 = la._matmul(u, la._matmul(term1_nouv, v1, adjoint_b=True))
        if m == n:
            grad_a_before_transpose = term1
        else:
            gv1t = array_ops.matrix_transpose(grad_v1, conjugate=True)
            gv1t_v1 = la._matmul(gv1t, v1)
            term2_nous = gv1t - la._matmul(gv1t_v1, v1, adjoint_b=True)
            if full_matrices:
                v2 = v[..., :, m:n]
                grad_v2 = grad_v[..., :, m:n]
                v1t_gv2 = la._matmul(v1, grad_v2, adjoint_a=True)
                term2_nous -= la._matmul(v1t_gv2, v2, adjoint_b=True)
            u_s_inv = la._matmul(u, s_inv_mat)
            term2 = la._matmul(u_s_inv, term2_nous)
            grad_a_before_transpose = term1 + term2
        if a.dtype.is_complex:
            eye = la.eye(s_shape[-1], batch_shape=s_shape[:-1], dtype=a.dtype)
            l = eye * v_gv  # noqa: E741 -- TF's name
            term3_nouv = la._matmul(s_inv_mat, la.adjoint(l) - l)
            term3 = 1 / 2.0 * la._matmul(u, la._matmul(term3_nouv, v1, adjoint_b=True))
            grad_a_before_transpose += term3
        if use_adjoint:
            grad_a = array_ops.matrix_transpose(grad_a_before_transpose, conjugate=True)
        else:
            grad_a = grad_a_before_transpose
        grad_a.set_shape(a_shape)
        return grad_a
