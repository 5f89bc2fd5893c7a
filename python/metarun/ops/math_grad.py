"""Gradients of the math ops: elementwise (with broadcasting), MatMul, reductions."""

import numpy as np

from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op, constant
from metarun.ops.gradients_impl import NoGradient, RegisterGradient

for _t in ("Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual", "LogicalAnd", "LogicalOr",
           "LogicalNot", "ArgMax", "ArgMin", "FloorDiv", "FloorMod", "TruncateDiv", "TruncateMod", "Floor",
           "Ceil", "Round", "Rint", "IsNan", "IsInf", "IsFinite", "Shape", "ShapeN", "Size", "Rank",
           "ZerosLike", "OnesLike", "Range", "RandomUniform", "RandomStandardNormal", "TruncatedNormal",
           "RandomUniformInt", "Multinomial", "BroadcastGradientArgs", "BitwiseAnd", "BitwiseOr",
           "BitwiseXor", "Invert", "Const", "Placeholder", "VariableV2", "VarHandleOp", "Assign",
           "AssignAdd", "AssignSub", "NoOp", "OneHot", "ConcatOffset", "InvertPermutation"):
    NoGradient(_t)


def _shape(x, name=None):
    return apply_op("Shape", input=x, name=name)


def _sum(x, axes, keepdims, name=None):
    return apply_op("Sum", input=x, reduction_indices=axes, keep_dims=keepdims, name=name)


def _reshape(x, shape, name=None):
    return apply_op("Reshape", tensor=x, shape=shape, name=name)


def _same_static(*tensors):
    first = tensors[0].shape
    return first.is_fully_defined() and all(t.shape.is_fully_defined() and t.shape == first for t in tensors)


def _unbroadcast(op, gx, gy):
    """Sum each gradient over the dims its input was broadcast along."""
    x, y = op.inputs[0], op.inputs[1]
    if _same_static(x, y):
        return gx, gy
    sx, sy = _shape(x), _shape(y)
    rx, ry = apply_op("BroadcastGradientArgs", s0=sx, s1=sy)
    if gx is not None:
        gx = _reshape(_sum(gx, rx, True), sx)
    if gy is not None:
        gy = _reshape(_sum(gy, ry, True), sy)
    return gx, gy


@RegisterGradient("AddV2")
def _add_grad(op, grad):
    return _unbroadcast(op, grad, grad)


RegisterGradient("Add")(_add_grad)


@RegisterGradient("Sub")
def _sub_grad(op, grad):
    return _unbroadcast(op, grad, apply_op("Neg", x=grad))


@RegisterGradient("Mul")
def _mul_grad(op, grad):
    x, y = op.inputs
    return _unbroadcast(op, apply_op("Mul", x=grad, y=y), apply_op("Mul", x=x, y=grad))


@RegisterGradient("RealDiv")
def _realdiv_grad(op, grad):
    x, y = op.inputs
    gx = apply_op("RealDiv", x=grad, y=y)
    gy = apply_op("Mul", x=grad, y=apply_op("RealDiv", x=apply_op("RealDiv", x=apply_op("Neg", x=x), y=y), y=y))
    return _unbroadcast(op, gx, gy)


RegisterGradient("Div")(_realdiv_grad)


@RegisterGradient("DivNoNan")
def _div_no_nan_grad(op, grad):
    x, y = op.inputs
    gx = apply_op("DivNoNan", x=grad, y=y)
    gy = apply_op("Mul", x=grad, y=apply_op("DivNoNan", x=apply_op("DivNoNan", x=apply_op("Neg", x=x), y=y), y=y))
    return _unbroadcast(op, gx, gy)


@RegisterGradient("Pow")
def _pow_grad(op, grad):
    x, y = op.inputs
    z = op.outputs[0]
    gx = apply_op("Mul", x=apply_op("Mul", x=grad, y=y),
                  y=apply_op("Pow", x=x, y=apply_op("Sub", x=y, y=constant(1, dtype=y.dtype.base_dtype))))
    zeros = apply_op("ZerosLike", x=x)
    safe_x = apply_op("Select", condition=apply_op("Greater", x=x, y=zeros), t=x,
                      e=apply_op("OnesLike", x=x))
    log_x = apply_op("Select", condition=apply_op("Greater", x=x, y=zeros), t=apply_op("Log", x=safe_x),
                     e=apply_op("ZerosLike", x=x))
    gy = apply_op("Mul", x=apply_op("Mul", x=grad, y=z), y=log_x)
    return _unbroadcast(op, gx, gy)


def _min_max_grad(op, grad, select_x):
    x, y = op.inputs
    cond = apply_op("GreaterEqual" if select_x else "LessEqual", x=x, y=y)
    zeros = apply_op("ZerosLike", x=grad)
    gx = apply_op("SelectV2", condition=cond, t=grad, e=zeros)
    gy = apply_op("SelectV2", condition=cond, t=zeros, e=grad)
    return _unbroadcast(op, gx, gy)


RegisterGradient("Maximum")(lambda op, grad: _min_max_grad(op, grad, True))
RegisterGradient("Minimum")(lambda op, grad: _min_max_grad(op, grad, False))


@RegisterGradient("SquaredDifference")
def _squared_difference_grad(op, grad):
    x, y = op.inputs
    two = constant(2.0, dtype=grad.dtype.base_dtype)
    gx = apply_op("Mul", x=apply_op("Mul", x=two, y=grad), y=apply_op("Sub", x=x, y=y))
    return _unbroadcast(op, gx, apply_op("Neg", x=gx))


@RegisterGradient("Neg")
def _neg_grad(op, grad):
    return apply_op("Neg", x=grad)


@RegisterGradient("Abs")
def _abs_grad(op, grad):
    return apply_op("Mul", x=grad, y=apply_op("Sign", x=op.inputs[0]))


@RegisterGradient("Square")
def _square_grad(op, grad):
    x = op.inputs[0]
    g = op.graph
    with g.control_dependencies([grad.op]):
        two = constant(2.0, dtype=x.dtype.base_dtype)
    return apply_op("Mul", x=grad, y=apply_op("Mul", x=x, y=two))


def _via(kernel, order="yg"):
    def fn(op, grad):
        y = op.outputs[0]
        return apply_op(kernel, y=y, dy=grad) if order == "yg" else apply_op(kernel, dy=grad, y=y)
    return fn


for _op, _k in (("Sqrt", "SqrtGrad"), ("Rsqrt", "RsqrtGrad"), ("Tanh", "TanhGrad"), ("Sigmoid", "SigmoidGrad"),
                ("Reciprocal", "ReciprocalGrad"), ("Inv", "InvGrad")):
    RegisterGradient(_op)(_via(_k))


@RegisterGradient("Exp")
def _exp_grad(op, grad):
    return apply_op("Mul", x=grad, y=op.outputs[0])


@RegisterGradient("Log")
def _log_grad(op, grad):
    return apply_op("Mul", x=grad, y=apply_op("Reciprocal", x=op.inputs[0]))


@RegisterGradient("Log1p")
def _log1p_grad(op, grad):
    x = op.inputs[0]
    return apply_op("Mul", x=grad, y=apply_op("Reciprocal", x=apply_op("AddV2", x=constant(
        1, dtype=x.dtype.base_dtype), y=x)))


@RegisterGradient("Expm1")
def _expm1_grad(op, grad):
    return apply_op("Mul", x=grad, y=apply_op("Exp", x=op.inputs[0]))


@RegisterGradient("Sin")
def _sin_grad(op, grad):
    return apply_op("Mul", x=grad, y=apply_op("Cos", x=op.inputs[0]))


@RegisterGradient("Cos")
def _cos_grad(op, grad):
    return apply_op("Neg", x=apply_op("Mul", x=grad, y=apply_op("Sin", x=op.inputs[0])))


@RegisterGradient("Sign")
def _sign_grad(op, grad):
    return apply_op("ZerosLike", x=op.inputs[0])


@RegisterGradient("Cast")
def _cast_grad(op, grad):
    src = op.inputs[0].dtype.base_dtype
    ok = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.bfloat16, dtypes.complex64, dtypes.complex128)
    if src in ok and grad.dtype.base_dtype in ok:
        return apply_op("Cast", x=grad, DstT=src)
    return None


@RegisterGradient("AddN")
def _add_n_grad(op, grad):
    return [grad] * len(op.inputs)


# -- MatMul --------------------------------------------------------------------------------------

def _matmul(a, b, ta, tb, grad_a=False, grad_b=False):
    return apply_op("MatMul", a=a, b=b, transpose_a=ta, transpose_b=tb, grad_a=grad_a, grad_b=grad_b)


@RegisterGradient("MatMul")
def _matmul_grad(op, grad):
    ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    a, b = op.inputs
    if not ta and not tb:
        return _matmul(grad, b, False, True, grad_a=True), _matmul(a, grad, True, False, grad_b=True)
    if not ta and tb:
        return _matmul(grad, b, False, False, grad_a=True), _matmul(grad, a, True, False, grad_b=True)
    if ta and not tb:
        return _matmul(b, grad, False, True, grad_a=True), _matmul(a, grad, False, False, grad_b=True)
    return _matmul(b, grad, True, True, grad_a=True), _matmul(grad, a, True, True, grad_b=True)


@RegisterGradient("BatchMatMulV2")
def _batch_matmul_grad(op, grad):
    x, y = op.inputs
    ax, ay = op.get_attr("adj_x"), op.get_attr("adj_y")

    def bmm(p, q, adj_p, adj_q):
        return apply_op("BatchMatMulV2", x=p, y=q, adj_x=adj_p, adj_y=adj_q)
    if not ax and not ay:
        gx, gy = bmm(grad, y, False, True), bmm(x, grad, True, False)
    elif not ax and ay:
        gx, gy = bmm(grad, y, False, False), bmm(grad, x, True, False)
    elif ax and not ay:
        gx, gy = bmm(y, grad, False, True), bmm(x, grad, False, False)
    else:
        gx, gy = bmm(y, grad, True, True), bmm(grad, x, True, True)
    if _same_static(x, y) or (x.shape.ndims is not None and x.shape.ndims == y.shape.ndims and
                              x.shape[:-2] == y.shape[:-2] and x.shape[:-2].is_fully_defined()):
        return gx, gy
    sx, sy = _shape(x), _shape(y)
    from metarun.ops import array_ops
    bx, by = array_ops.slice_helper(sx, slice(None, -2)), array_ops.slice_helper(sy, slice(None, -2))
    rx, ry = apply_op("BroadcastGradientArgs", s0=bx, s1=by)
    return _reshape(_sum(gx, rx, False), sx), _reshape(_sum(gy, ry, False), sy)


RegisterGradient("BatchMatMul")(_batch_matmul_grad)


# -- reductions -----------------------------------------------------------------------------------

def _kept_shape(x, axes_t):
    """The input's shape with the reduced dims set to 1 (static when known)."""
    from metarun.framework import shape_inference
    axes = shape_inference.axis_value(axes_t, x.shape.ndims) if x.shape.ndims is not None else None
    if axes is not None and x.shape.is_fully_defined():
        dims = x.shape.as_list()
        kept = [1 if i in axes else d for i, d in enumerate(dims)]
        return constant(np.array(kept, np.int32)), constant(np.array(dims, np.int32)), dims, axes
    shape = _shape(x)
    rank = apply_op("Size", input=shape)
    axes_mod = apply_op("FloorMod", x=apply_op("AddV2", x=apply_op("Cast", x=axes_t, DstT=dtypes.int32), y=rank),
                        y=rank)
    kept = apply_op("DynamicStitch", indices=[apply_op("Range", start=0, limit=rank, delta=1), axes_mod],
                    data=[shape, apply_op("Fill", dims=apply_op("Shape", input=axes_mod), value=1)])
    return kept, shape, None, None


def _sum_like_grad(op, grad):
    x = op.inputs[0]
    kept, shape, _, _ = _kept_shape(x, op.inputs[1])
    return apply_op("BroadcastTo", input=_reshape(grad, kept), shape=shape)


@RegisterGradient("Sum")
def _sum_grad(op, grad):
    return _sum_like_grad(op, grad), None


@RegisterGradient("Mean")
def _mean_grad(op, grad):
    x = op.inputs[0]
    summed = _sum_like_grad(op, grad)
    y = op.outputs[0]
    if x.shape.is_fully_defined() and y.shape.is_fully_defined():
        count = max(x.shape.num_elements() // max(y.shape.num_elements(), 1), 1)
        factor = constant(np.array(count, grad.dtype.base_dtype.as_numpy_dtype))
    else:
        n_in = apply_op("Prod", input=_shape(x), reduction_indices=constant(np.array([0], np.int32)), keep_dims=False)
        n_out = apply_op("Prod", input=_shape(y), reduction_indices=constant(np.array([0], np.int32)), keep_dims=False)
        factor = apply_op("Cast", x=apply_op("FloorDiv", x=n_in, y=apply_op("Maximum", x=n_out, y=1)),
                          DstT=grad.dtype.base_dtype)
    return apply_op("RealDiv", x=summed, y=factor), None


def _min_or_max_grad(op, grad):
    x = op.inputs[0]
    kept, _, _, _ = _kept_shape(x, op.inputs[1])
    y = _reshape(op.outputs[0], kept)
    g = _reshape(grad, kept)
    indicators = apply_op("Cast", x=apply_op("Equal", x=y, y=x), DstT=grad.dtype.base_dtype)
    num_selected = _reshape(_sum(indicators, op.inputs[1], False), kept)
    return apply_op("Mul", x=apply_op("RealDiv", x=indicators, y=num_selected), y=g), None


RegisterGradient("Max")(_min_or_max_grad)
RegisterGradient("Min")(_min_or_max_grad)


@RegisterGradient("Select")
def _select_grad(op, grad):
    c = op.inputs[0]
    zeros = apply_op("ZerosLike", x=op.inputs[1])
    return None, apply_op("Select", condition=c, t=grad, e=zeros), apply_op("Select", condition=c, t=zeros, e=grad)


@RegisterGradient("SelectV2")
def _select_v2_grad(op, grad):
    c, x, y = op.inputs
    zeros = apply_op("ZerosLike", x=grad)
    gx = apply_op("SelectV2", condition=c, t=grad, e=zeros)
    gy = apply_op("SelectV2", condition=c, t=zeros, e=grad)
    out = []
    for inp, g in ((x, gx), (y, gy)):
        if inp.shape.is_fully_defined() and grad.shape.is_fully_defined() and inp.shape == grad.shape:
            out.append(g)
            continue
        s_in, s_out = _shape(inp), _shape(grad)
        r, _ = apply_op("BroadcastGradientArgs", s0=s_in, s1=s_out)
        out.append(_reshape(_sum(g, r, True), s_in))
    return [None] + out
