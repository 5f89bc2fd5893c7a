"""Gradients of the math ops: elementwise (with broadcasting), MatMul, reductions.

Layouts follow TF's: a broadcasting binary op reduces each input's gradient over
the axes its static shapes show it was broadcast along (a Sum with keep_dims and
a Reshape), falling back to BroadcastGradientArgs when a dim is unknown; the
reductions take TF's static shortcuts (Reshape + Tile of constant shapes)."""

import numpy as np

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, constant
from metarun.framework.shape_inference import constant_value
from metarun.ops import gradients_impl as _gradients_impl
from metarun.ops import math_ops
from metarun.ops.gradients_impl import (
    NoGradient, RegisterGradient, ones_like, rank, shape, shape_tuple, size, zeros_like)
from metarun.ops.scopes import name_scope

for _t in ("Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual", "ApproximateEqual",
           "LogicalAnd", "LogicalOr", "LogicalNot", "ArgMax", "ArgMin", "FloorDiv", "FloorMod", "TruncateDiv",
           "TruncateMod", "Floor", "Ceil", "Round", "Rint", "IsNan", "IsInf", "IsFinite", "Range",
           "BroadcastGradientArgs", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "Invert", "LeftShift",
           "RightShift", "PopulationCount", "Bucketize", "InTopK", "InTopKV2", "NextAfter"):
    NoGradient(_t)


def _reshape(x, shape_, name=None):
    return apply_op("Reshape", tensor=x, shape=shape_, name=name)


def _reduce_sum(x, axes, keepdims=False, name=None):
    return apply_op("Sum", input=x, reduction_indices=axes, keep_dims=keepdims, name=name)


# -- broadcasting binary ops -----------------------------------------------------------------------

def _fully_equal(x, y, grad):
    sx, sy, sg = shape_tuple(x), shape_tuple(y), shape_tuple(grad)
    return sx is not None and None not in sx and sx == sy == sg


def _static_reduction_axes(x, y):
    """The axes x and y were broadcast along, from their static shapes (None: depends on data)."""
    rx, ry = x.shape.ndims, y.shape.ndims
    if rx is None or ry is None:
        return None, None
    dx, dy = x.shape.as_list(), y.shape.as_list()
    n = max(rx, ry)
    x_axes, y_axes = [], []
    for axis in range(n):
        a = 1 if axis < n - rx else dx[axis - n + rx]
        b = 1 if axis < n - ry else dy[axis - n + ry]
        if a == 1 and b != 1:
            x_axes.append(axis)
        elif b == 1 and a != 1:
            y_axes.append(axis)
        elif a is None or b is None:
            return None, None
    return x_axes, y_axes


def broadcast_gradient_args(x, y):
    """((shape, axes, must_reduce) for x, same for y): TF's smart BroadcastGradientArgs."""
    sx, sy = shape(x), shape(y)
    x_axes, y_axes = _static_reduction_axes(x, y)
    if x_axes is None or y_axes is None:
        rx, ry = apply_op("BroadcastGradientArgs", s0=sx, s1=sy)
        return (sx, rx, True), (sy, ry, True)
    rank_x, rank_y = x.shape.ndims, y.shape.ndims
    return ((sx, np.array(x_axes, np.int32), bool(x_axes) or rank_x < rank_y),
            (sy, np.array(y_axes, np.int32), bool(y_axes) or rank_y < rank_x))


def _reduce_to(grad, how):
    shape_, axes, must = how
    if grad is None or not must:
        return grad
    if isinstance(axes, np.ndarray) and axes.size == 0:
        axes = []  # as TF passes it (see apply_op: a float32 Const first, then the int32 one)
    return _reshape(_reduce_sum(grad, axes, keepdims=True), shape_)


def _reduce_both(x, y, gx, gy):
    if gx is None and gy is None:
        return gx, gy
    bx, by = broadcast_gradient_args(x, y)
    return _reduce_to(gx, bx), _reduce_to(gy, by)


@RegisterGradient("AddV2")
def _add_grad(op, grad):
    x, y = op.inputs
    if isinstance(grad, graph_lib.Tensor) and _fully_equal(x, y, grad):
        return grad, grad
    return _reduce_both(x, y, grad, grad)


RegisterGradient("Add")(_add_grad)


@RegisterGradient("Sub")
def _sub_grad(op, grad):
    x, y = op.inputs
    if isinstance(grad, graph_lib.Tensor) and _fully_equal(x, y, grad):
        return grad, math_ops.negative(grad)
    return _reduce_both(x, y, grad, math_ops.negative(grad))


@RegisterGradient("Mul")
def _mul_grad(op, grad):
    x, y = op.inputs
    if isinstance(grad, graph_lib.Tensor) and _fully_equal(x, y, grad) and \
            grad.dtype.base_dtype in (dtypes.int32, dtypes.float32):
        return apply_op("Mul", x=grad, y=y), apply_op("Mul", x=grad, y=x)
    gx = apply_op("Mul", x=grad, y=math_ops.conj(y))
    return _reduce_both(x, y, gx, apply_op("Mul", x=math_ops.conj(x), y=grad))


def _div_grad(div):
    def fn(op, grad):
        x, y = op.inputs
        gx = div(grad, y)
        gy = grad * div(div(math_ops.negative(x), y), y)
        return _reduce_both(x, y, gx, gy)
    return fn


RegisterGradient("RealDiv")(_div_grad(lambda a, b: apply_op("RealDiv", x=a, y=b)))
RegisterGradient("Div")(_div_grad(lambda a, b: math_ops.divide(a, b)))
RegisterGradient("DivNoNan")(_div_grad(lambda a, b: apply_op("DivNoNan", x=a, y=b, name="div_no_nan")))


@RegisterGradient("Pow")
def _pow_grad(op, grad):
    x, y = op.inputs
    z = op.outputs[0]
    gx = grad * y * math_ops.pow(x, y - 1)
    mask = math_ops.not_equal(x, 0) if x.dtype.is_complex else x > 0
    safe_x = apply_op("Select", condition=mask, t=x, e=ones_like(x))
    log_x = apply_op("Select", condition=mask, t=math_ops.log(safe_x), e=zeros_like(x))
    gy = grad * z * log_x
    return _reduce_both(x, y, gx, gy)


def _min_max_grad(op, grad, compare):
    x, y = op.inputs
    zeros = zeros_like(grad)
    mask = apply_op(compare, x=x, y=y)
    gx = apply_op("SelectV2", condition=mask, t=grad, e=zeros)
    gy = apply_op("SelectV2", condition=mask, t=zeros, e=grad)
    return _reduce_both(x, y, gx, gy)


RegisterGradient("Maximum")(lambda op, grad: _min_max_grad(op, grad, "GreaterEqual"))
RegisterGradient("Minimum")(lambda op, grad: _min_max_grad(op, grad, "LessEqual"))


@RegisterGradient("SquaredDifference")
def _squared_difference_grad(op, grad):
    x, y = op.inputs
    g = op.graph
    with g.control_dependencies([grad]):
        two = constant(np.array(2.0, grad.dtype.base_dtype.as_numpy_dtype), name="scalar")
        gx = apply_op("Mul", x=two, y=grad) * (x - y)
    if isinstance(grad, graph_lib.Tensor) and _fully_equal(x, y, grad):
        return gx, math_ops.negative(gx)
    return _reduce_both(x, y, gx, math_ops.negative(gx))


# -- unary ops ------------------------------------------------------------------------------------

@RegisterGradient("Neg")
def _neg_grad(op, grad):
    return math_ops.negative(grad)


@RegisterGradient("Abs")
def _abs_grad(op, grad):
    return grad * apply_op("Sign", x=op.inputs[0])


@RegisterGradient("Square")
def _square_grad(op, grad):
    x = op.inputs[0]
    with op.graph.control_dependencies([grad]):
        two = constant(np.array(2.0, x.dtype.base_dtype.as_numpy_dtype))
        return apply_op("Mul", x=grad, y=apply_op("Mul", x=x, y=two))


def _via_kernel(kernel):
    def fn(op, grad):
        return apply_op(kernel, y=op.outputs[0], dy=grad)
    return fn


for _op, _k in (("Sqrt", "SqrtGrad"), ("Rsqrt", "RsqrtGrad"), ("Tanh", "TanhGrad"), ("Sigmoid", "SigmoidGrad"),
                ("Reciprocal", "ReciprocalGrad"), ("Inv", "InvGrad")):
    RegisterGradient(_op)(_via_kernel(_k))


@RegisterGradient("Exp")
def _exp_grad(op, grad):
    return grad * op.outputs[0]


def _times_fn_of_x(fn):
    """grad * fn(x), fn's ops waiting for the gradient (TF's control dependency)."""
    def grad_fn(op, grad):
        with op.graph.control_dependencies([grad]):
            return grad * fn(op.inputs[0])
    return grad_fn


RegisterGradient("Log")(_times_fn_of_x(lambda x: apply_op("Reciprocal", x=x)))
RegisterGradient("Log1p")(_times_fn_of_x(lambda x: apply_op("Reciprocal", x=1 + x)))
RegisterGradient("Expm1")(_times_fn_of_x(lambda x: apply_op("Exp", x=x)))
RegisterGradient("Sin")(_times_fn_of_x(lambda x: apply_op("Cos", x=x)))


@RegisterGradient("Cos")
def _cos_grad(op, grad):
    with op.graph.control_dependencies([grad]):
        return math_ops.negative(grad) * apply_op("Sin", x=op.inputs[0])


@RegisterGradient("Tan")
def _tan_grad(op, grad):
    with op.graph.control_dependencies([grad]):
        sec2 = apply_op("Square", x=apply_op("Reciprocal", x=apply_op("Cos", x=op.inputs[0])))
        return sec2 * grad


@RegisterGradient("Erf")
def _erf_grad(op, grad):
    x = op.inputs[0]
    k = constant(np.array(2 / np.sqrt(np.pi), x.dtype.base_dtype.as_numpy_dtype))
    with op.graph.control_dependencies([grad]):
        return grad * k * apply_op("Exp", x=math_ops.negative(apply_op("Square", x=x)))


@RegisterGradient("Sign")
def _sign_grad(op, grad):
    return zeros_like(op.inputs[0])


@RegisterGradient("Cast")
def _cast_grad(op, grad):
    ok = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.bfloat16, dtypes.complex64, dtypes.complex128)
    src = op.inputs[0].dtype.base_dtype
    if src in ok and grad.dtype.base_dtype in ok:
        return math_ops.cast(grad, src)
    return None


@RegisterGradient("AddN")
def _add_n_grad(op, grad):
    return [grad] * len(op.inputs)


# -- MatMul ---------------------------------------------------------------------------------------

def _matmul(a, b, ta=False, tb=False, grad_a=False, grad_b=False):
    return apply_op("MatMul", a=a, b=b, transpose_a=ta, transpose_b=tb, grad_a=grad_a, grad_b=grad_b)


@RegisterGradient("MatMul")
def _matmul_grad(op, grad):
    ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    a, b = math_ops.conj(op.inputs[0]), math_ops.conj(op.inputs[1])
    if not ta and not tb:
        return _matmul(grad, b, tb=True, grad_a=True), _matmul(a, grad, ta=True, grad_b=True)
    if not ta and tb:
        return _matmul(grad, b, grad_a=True), _matmul(grad, a, ta=True, grad_b=True)
    if ta and not tb:
        return _matmul(b, grad, tb=True, grad_a=True), _matmul(a, grad, grad_b=True)
    return _matmul(b, grad, ta=True, tb=True, grad_a=True), _matmul(grad, a, ta=True, tb=True, grad_b=True)


@RegisterGradient("BatchMatMulV2")
def _batch_matmul_grad(op, grad):
    x, y = op.inputs
    ax, ay = op.get_attr("adj_x"), op.get_attr("adj_y")

    def bmm(p, q, adj_p=False, adj_q=False, for_x=True):
        return apply_op("BatchMatMulV2", x=p, y=q, adj_x=adj_p, adj_y=adj_q, grad_x=for_x, grad_y=not for_x,
                        name="MatMul")
    if not ax and not ay:
        gx, gy = bmm(grad, y, adj_q=True), bmm(x, grad, adj_p=True, for_x=False)
    elif not ax and ay:
        gx, gy = bmm(grad, y), bmm(grad, x, adj_p=True, for_x=False)
    elif ax and not ay:
        gx, gy = bmm(y, grad, adj_q=True), bmm(x, grad, for_x=False)
    else:
        gx, gy = bmm(y, grad, True, True), bmm(grad, x, True, True, for_x=False)
    sx, sy = shape_tuple(x), shape_tuple(y)
    if sx is not None and sy is not None and None not in sx and None not in sy and sx[:-2] == sy[:-2]:
        return gx, gy
    from metarun.ops import array_ops
    shape_x, shape_y = shape(x), shape(y)
    rx, ry = apply_op("BroadcastGradientArgs", s0=array_ops.slice_helper(shape_x, slice(None, -2)),
                      s1=array_ops.slice_helper(shape_y, slice(None, -2)))
    gx = _reshape(_reduce_sum(gx, rx), shape_x)
    gy = _reshape(_reduce_sum(gy, ry), shape_y)
    return gx, gy


RegisterGradient("BatchMatMul")(_batch_matmul_grad)
RegisterGradient("BatchMatMulV3")(_batch_matmul_grad)


# -- reductions -----------------------------------------------------------------------------------

def reduced_shape(input_shape, axes):
    """The shape with the reduced axes set to 1: numpy when both are known, else DynamicStitch."""
    shape_v, axes_v = constant_value(input_shape), constant_value(axes)
    if shape_v is not None and axes_v is not None:
        out = np.array(shape_v, np.int32).copy()
        out[np.asarray(axes_v, np.int64).reshape(-1) % max(len(out), 1)] = 1
        return out
    n = size(input_shape)
    axes = (axes + n) % n
    axes_shape = shape(axes)
    idx = _range(n)
    with name_scope(None, "ones") as scope:
        one = constant(np.array(1, np.int32), name="Const")
        ones = apply_op("Fill", dims=axes_shape, value=one, name=scope)
    return apply_op("DynamicStitch", indices=[idx, axes], data=[input_shape, ones])


def _range(limit):
    with name_scope(None, "range") as scope:
        start = constant(np.array(0, np.int32), name="start")
        delta = constant(np.array(1, np.int32), name="delta")
        return apply_op("Range", start=start, limit=limit, delta=delta, name=scope)


def _all_axes(x):
    """TF's _ReductionDims for axis=None."""
    r = x.shape.ndims
    if r:
        return constant(np.arange(r, dtype=np.int32))
    return _range(rank(x))


def _safe_shape_div(x, y):
    return math_ops.floordiv(x, math_ops.maximum(y, 1))


def _reduced_shape_cache(g):
    cache = getattr(g, "_grad_reduced_shape_cache", None)
    if cache is None:
        cache = g._grad_reduced_shape_cache = {}
    return cache


def _sum_grad_impl(op, grad):
    x = op.inputs[0]
    in_shape = shape_tuple(x)
    if in_shape is not None:
        axes = constant_value(op.inputs[1])
        if axes is not None:
            r = len(in_shape)
            if np.array_equal(np.asarray(axes).reshape(-1), np.arange(r)):
                grad = _reshape(grad, [1] * r)  # a Python list, as TF passes it
                dims = constant(np.array(in_shape, np.int32)) if None not in in_shape else \
                    apply_op("Shape", input=x)
                return apply_op("Tile", input=grad, multiples=dims)
            if None not in in_shape:
                cache = _reduced_shape_cache(op.graph)
                key = (tuple(in_shape), tuple(np.asarray(axes).reshape(-1).tolist()))
                if key not in cache:
                    kept = reduced_shape(_Known(in_shape), _Known(axes))
                    _safe_shape_div(np.array(in_shape, np.int32), kept)  # TF builds these ops too
                    cache[key] = (kept, np.array(in_shape, np.int32) // np.maximum(kept, 1))
                kept, tiles = cache[key]
                return apply_op("Tile", input=_reshape(grad, kept), multiples=tiles)
    input_shape = shape(x)
    if not op.get_attr("keep_dims"):
        with op.graph.colocate_with(input_shape.op):
            kept = reduced_shape(input_shape, op.inputs[1])
        grad = _reshape(grad, kept)
    return apply_op("BroadcastTo", input=grad, shape=input_shape)


class _Known(object):
    """A value known while building, passed where reduced_shape expects a tensor."""

    def __init__(self, value):
        self.value = np.asarray(value)


_constant_value = constant_value


def constant_value(t):  # noqa: F811 -- accepts _Known too
    if isinstance(t, _Known):
        return t.value
    return _constant_value(t)


@RegisterGradient("Sum")
def _sum_grad(op, grad):
    return _sum_grad_impl(op, grad), None


@RegisterGradient("Mean")
def _mean_grad(op, grad):
    summed = _sum_grad_impl(op, grad)
    sx, sy = shape_tuple(op.inputs[0]), shape_tuple(op.outputs[0])
    if sx is not None and sy is not None and None not in sx and None not in sy:
        factor = int(np.prod(sx, dtype=np.int64)) // max(int(np.prod(sy, dtype=np.int64)), 1)
        factor = constant(np.array(factor, summed.dtype.base_dtype.as_numpy_dtype))
    else:
        input_shape = shape(op.inputs[0])
        n = size(input_shape)
        axes = (op.inputs[1] + n) % n
        picked = apply_op("GatherV2", params=input_shape, indices=axes, axis=0)
        factor = apply_op("Prod", input=picked, reduction_indices=_all_axes(picked), keep_dims=False)
    return math_ops.truediv(summed, math_ops.cast(factor, summed.dtype.base_dtype)), None


def _min_or_max_grad(op, grad):
    input_shape = shape(op.inputs[0])
    y = op.outputs[0]
    if not op.get_attr("keep_dims"):
        kept = reduced_shape(input_shape, op.inputs[1])
        y = _reshape(y, kept)
        grad = _reshape(grad, kept)
    else:
        kept = shape(y)
    indicators = math_ops.cast(math_ops.equal(y, op.inputs[0]), grad.dtype.base_dtype)
    num_selected = _reshape(_reduce_sum(indicators, op.inputs[1]), kept)
    return math_ops.divide(indicators, num_selected) * grad, None


RegisterGradient("Max")(_min_or_max_grad)
RegisterGradient("Min")(_min_or_max_grad)


@RegisterGradient("Prod")
def _prod_grad(op, grad):
    from metarun.ops import array_ops
    x = op.inputs[0]
    input_shape = shape(x)
    axes = _reshape(op.inputs[1], np.array([-1], np.int32))
    kept = reduced_shape(input_shape, op.inputs[1])
    grad = apply_op("BroadcastTo", input=_reshape(grad, kept), shape=input_shape)
    with op.graph.device("/cpu:0"):  # TF pins the index arithmetic to the CPU
        r = rank(x)
        axes = (axes + r) % r
        other, _ = apply_op("ListDiff", x=_range(r), y=axes, out_idx=dtypes.int32)
        perm = array_ops.concat([axes, other], 0)
        reduced_num = apply_op("Prod", input=apply_op("GatherV2", params=input_shape, indices=axes, axis=0),
                               reduction_indices=constant(np.array([0], np.int32)), keep_dims=False)
        other_num = apply_op("Prod", input=apply_op("GatherV2", params=input_shape, indices=other, axis=0),
                             reduction_indices=constant(np.array([0], np.int32)), keep_dims=False)
    permuted = array_ops.transpose(x, perm)
    axes_v = constant_value(op.inputs[1])
    if axes_v is not None and x.shape.is_fully_defined():
        # TF's shape inference evaluates the permutation; the static shape follows from the axes.
        dims = x.shape.as_list()
        first = [int(a) % len(dims) for a in np.asarray(axes_v).reshape(-1)]
        permuted.set_shape([dims[a] for a in first] + [d for a, d in enumerate(dims) if a not in first])
    permuted_shape = shape(permuted)
    reshaped = _reshape(permuted, [reduced_num, other_num])
    left = apply_op("Cumprod", x=reshaped, axis=0, exclusive=True, reverse=False)
    right = apply_op("Cumprod", x=reshaped, axis=0, exclusive=True, reverse=True)
    y = _reshape(left * right, permuted_shape)
    out = grad * array_ops.transpose(y, apply_op("InvertPermutation", x=perm))
    return _reshape(out, input_shape), None


@RegisterGradient("Select")
def _select_grad(op, grad):
    c, x = op.inputs[0], op.inputs[1]
    zeros = zeros_like(x)
    return (None, apply_op("Select", condition=c, t=grad, e=zeros),
            apply_op("Select", condition=c, t=zeros, e=grad))


@RegisterGradient("SelectV2")
def _select_v2_grad(op, grad):
    from metarun.ops import array_ops
    c, x, y = op.inputs
    z = op.outputs[0]
    zeros = array_ops.zeros([], dtype=grad.dtype.base_dtype)
    gx = apply_op("SelectV2", condition=c, t=grad, e=zeros)
    gy = apply_op("SelectV2", condition=c, t=zeros, e=grad)
    gx, _ = _reduce_both(x, z, gx, None)  # each against the output, with TF's static axes
    gy, _ = _reduce_both(y, z, gy, None)
    return None, gx, gy


# -- inverse trigonometric and hyperbolic functions, special functions -------------------------------

def _one(grad):
    return constant(np.array(1, grad.dtype.base_dtype.as_numpy_dtype))


@RegisterGradient("Asin")
def _asin_grad(op, grad):
    with op.graph.control_dependencies([grad]):
        x2 = apply_op("Square", x=op.inputs[0])
        den = apply_op("Sqrt", x=apply_op("Sub", x=_one(grad), y=x2))
        return grad * apply_op("Reciprocal", x=den)


@RegisterGradient("Acos")
def _acos_grad(op, grad):
    with op.graph.control_dependencies([grad]):
        x2 = apply_op("Square", x=op.inputs[0])
        den = apply_op("Sqrt", x=apply_op("Sub", x=_one(grad), y=x2))
        inv = apply_op("Reciprocal", x=den)
        return -grad * inv


@RegisterGradient("Atan")
def _atan_grad(op, grad):
    with op.graph.control_dependencies([grad]):
        x2 = apply_op("Square", x=op.inputs[0])
        return grad * apply_op("Reciprocal", x=apply_op("AddV2", x=_one(grad), y=x2, name="Add"))


RegisterGradient("Sinh")(_times_fn_of_x(lambda x: apply_op("Cosh", x=x)))
RegisterGradient("Cosh")(_times_fn_of_x(lambda x: apply_op("Sinh", x=x)))
RegisterGradient("Lgamma")(_times_fn_of_x(lambda x: apply_op("Digamma", x=x)))


@RegisterGradient("Erfc")
def _erfc_grad(op, grad):
    x = op.inputs[0]
    k = constant(np.array(-2 / np.sqrt(np.pi), grad.dtype.base_dtype.as_numpy_dtype))
    with op.graph.control_dependencies([grad]):
        return grad * k * apply_op("Exp", x=math_ops.negative(apply_op("Square", x=x)))


@RegisterGradient("Atan2")
def _atan2_grad(op, grad):
    y, x = op.inputs
    with op.graph.control_dependencies([grad]):
        grad_inv = grad / (apply_op("Square", x=y) + apply_op("Square", x=x))
        gy = x * grad_inv
        gx = -y * grad_inv
        gy, gx = _reduce_both(y, x, gy, gx)
        return gy, gx


@RegisterGradient("ClipByValue")
def _clip_by_value_grad(op, grad):
    from metarun.ops import array_ops
    x, lo, hi = op.inputs
    sx, slo, shi = (apply_op("Shape", input=t) for t in (x, lo, hi))
    zeros = array_ops.zeros(apply_op("Shape", input=grad), grad.dtype.base_dtype)
    below = apply_op("Less", x=x, y=lo)
    above = apply_op("Greater", x=x, y=hi)
    _, r_lo = apply_op("BroadcastGradientArgs", s0=sx, s1=slo)
    _, r_hi = apply_op("BroadcastGradientArgs", s0=sx, s1=shi)
    x_grad = apply_op("Select", condition=apply_op("LogicalOr", x=below, y=above), t=zeros, e=grad)
    lo_grad = apply_op("Select", condition=below, t=grad, e=zeros)
    hi_grad = apply_op("Select", condition=above, t=grad, e=zeros)
    return (x_grad, _reshape(_reduce_sum(lo_grad, r_lo), slo), _reshape(_reduce_sum(hi_grad, r_hi), shi))


@RegisterGradient("EuclideanNorm")
def _euclidean_norm_grad(op, grad):
    out = op.outputs[0]
    if not op.get_attr("keep_dims"):
        kept = reduced_shape(shape(op.inputs[0]), op.inputs[1])
        out = _reshape(out, kept)
        grad = _reshape(grad, kept)
    return op.inputs[0] / (out / grad), None


@RegisterGradient("Complex")
def _complex_grad(op, grad):
    x, y = op.inputs
    return _reduce_both(x, y, math_ops.real(grad), math_ops.imag(grad))


# Not differentiable in TF either (their inputs get no gradient).
for _t in ("AsString", "Assert", "LinSpace", "ScatterAdd", "ScatterSub", "ScatterMul", "ScatterDiv",
           "ScatterNdAdd", "ScatterNdSub", "ScatterNdUpdate", "Stack", "StackClose", "StackPop", "StackPush",
           "StringJoin"):
    if _t not in _gradients_impl._GRADIENTS:
        NoGradient(_t)
