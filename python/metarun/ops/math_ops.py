"""tf.math: arithmetic, comparisons, reductions, and the Tensor operators.

Each function adds the ops TF's function of the same name adds, with TF's
default names (so graphs match node for node)."""

import builtins

import numpy as np

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.ops.scopes import name_scope


def _unary(op_type, arg="x"):
    def fn(x, name=None):
        return apply_op(op_type, name=name, **{arg: x})
    fn.__name__ = op_type
    return fn


def _binary(op_type):
    def fn(x, y, name=None):
        return apply_op(op_type, x=x, y=y, name=name)
    fn.__name__ = op_type
    return fn


def add(x, y, name=None):
    with name_scope(name, "Add", [x]) as name:
        x = convert_to_tensor(x, name="x")
        return _add_op(x, y, name)


def _hinted(y, x):
    """`y` as a Tensor, a Python value converted with x's dtype as a hint (as TF's add,
    truediv and matmul do): a value that does not fit becomes its own dtype's constant,
    and the mismatch is reported by the op."""
    if isinstance(y, graph_lib.Tensor) or hasattr(y, "dense_shape"):
        return y
    return convert_to_tensor(y, preferred_dtype=x.dtype.base_dtype, name="y")


def _is_tensor(x):
    return isinstance(x, graph_lib.Tensor) or hasattr(x, "_to_tensor")


subtract = _binary("Sub")
multiply = _binary("Mul")
maximum = _binary("Maximum")
minimum = _binary("Minimum")
squared_difference = _binary("SquaredDifference")
floormod = _binary("FloorMod")
mod = floormod
truncatediv = _binary("TruncateDiv")
truncatemod = _binary("TruncateMod")
realdiv = _binary("RealDiv")
def xdivy(x, y, name=None):
    with name_scope(name, "xdivy", [x]):
        return apply_op("Xdivy", x=x, y=y)
xlogy = _binary("Xlogy")
def div_no_nan(x, y, name=None):
    with name_scope(name, "div_no_nan", [x, y]) as name:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, dtype=x.dtype.base_dtype, name="y")
        return apply_op("DivNoNan", x=x, y=y, name=name)
atan2 = lambda y, x, name=None: apply_op("Atan2", y=y, x=x, name=name)  # noqa: E731
igamma = lambda a, x, name=None: apply_op("Igamma", a=a, x=x, name=name)  # noqa: E731
less = _binary("Less")
less_equal = _binary("LessEqual")
greater = _binary("Greater")
greater_equal = _binary("GreaterEqual")
logical_and = _binary("LogicalAnd")
logical_or = _binary("LogicalOr")
logical_not = _unary("LogicalNot")


def equal(x, y, name=None):
    return apply_op("Equal", x=x, y=y, name=name)


def not_equal(x, y, name=None):
    return apply_op("NotEqual", x=x, y=y, name=name)


def logical_xor(x, y, name="LogicalXor"):
    return apply_op("LogicalAnd", x=apply_op("LogicalOr", x=x, y=y),
                    y=apply_op("LogicalNot", x=apply_op("LogicalAnd", x=x, y=y)), name=name)


def pow(x, y, name=None):  # noqa: A001 -- TF's name
    with name_scope(name, "Pow", [x]) as name:
        return apply_op("Pow", x=x, y=y, name=name)


def floordiv(x, y, name=None):
    with name_scope(name, "floordiv", [x, y]) as name:
        return apply_op("FloorDiv", x=x, y=y, name=name)


floor_div = floordiv


def truediv(x, y, name=None):
    with name_scope(name, "truediv", [x, y]) as name:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, preferred_dtype=x.dtype.base_dtype, name="y")
        dt = x.dtype.base_dtype
        if y.dtype.base_dtype != dt:
            raise TypeError("`x` and `y` must have the same dtype, got %r != %r." % (dt, y.dtype.base_dtype))
        target = {dtypes.int8: dtypes.float32, dtypes.uint8: dtypes.float32, dtypes.int16: dtypes.float32,
                  dtypes.uint16: dtypes.float32, dtypes.int32: dtypes.float64,
                  dtypes.int64: dtypes.float64}.get(dt)
        if target is not None:
            x = cast(x, target)
            y = cast(y, target)
        return apply_op("RealDiv", x=x, y=y, name=name)


def divide(x, y, name=None):
    """`x / y`, named `name` when given."""
    if name is not None:
        return truediv(x, y, name=name)
    if not _is_tensor(x) and _is_tensor(y):
        return _operator_rbinary(y, x, _truediv_op, "truediv")
    return _operator_binary(x, y, _truediv_op, "truediv")


def div(x, y, name=None):
    """TF1's Python-2 division: floor for integers, real for floats."""
    with name_scope(name, "div", [x, y]) as name:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, dtype=x.dtype.base_dtype, name="y")
        if x.dtype.base_dtype.is_floating or x.dtype.base_dtype.is_complex:
            return apply_op("RealDiv", x=x, y=y, name=name)
        return apply_op("FloorDiv", x=x, y=y, name=name)


def negative(x, name=None):
    return apply_op("Neg", x=x, name=name)


neg = negative


def abs(x, name=None):  # noqa: A001 -- TF's name
    with name_scope(name, "Abs", [x]) as name:
        x = convert_to_tensor(x, name="x")
        if x.dtype.base_dtype.is_complex:
            return apply_op("ComplexAbs", x=x, Tout=x.dtype.real_dtype, name=name)
        return apply_op("Abs", x=x, name=name)


def cast(x, dtype, name=None):
    dtype = dtypes.as_dtype(dtype).base_dtype
    if isinstance(x, graph_lib.Tensor) and x.dtype.base_dtype == dtype:
        return x
    with name_scope(name, "Cast", [x]) as name:
        x = convert_to_tensor(x, name="x")
        if x.dtype.base_dtype == dtype:
            return x
        return apply_op("Cast", x=x, DstT=dtype, Truncate=False, name=name)


def to_float(x, name="ToFloat"):
    return cast(x, dtypes.float32, name=name)


def to_double(x, name="ToDouble"):
    return cast(x, dtypes.float64, name=name)


def to_int32(x, name="ToInt32"):
    return cast(x, dtypes.int32, name=name)


def to_int64(x, name="ToInt64"):
    return cast(x, dtypes.int64, name=name)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None):
    with name_scope(name, "MatMul", [a, b]) as name:
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, preferred_dtype=a.dtype.base_dtype, name="b")
        if transpose_a and adjoint_a:
            raise ValueError("Only one of `transpose_a` and `adjoint_a` can be True. Received `transpose_a`=%s, "
                             "`adjoint_a`=%s." % (transpose_a, adjoint_a))
        if transpose_b and adjoint_b:
            raise ValueError("Only one of `transpose_b` and `adjoint_b` can be True. Received `transpose_b`=%s, "
                             "`adjoint_b`=%s." % (transpose_b, adjoint_b))
        ra, rb = a.shape.ndims, b.shape.ndims
        if (ra is None or ra > 2) or (rb is None or rb > 2):
            # The batched kernel takes adjoints: a transpose is the adjoint of the conjugate.
            if transpose_a:
                a, adjoint_a = conj(a), True
            if transpose_b:
                b, adjoint_b = conj(b), True
            return apply_op("BatchMatMulV2", x=a, y=b, adj_x=adjoint_a, adj_y=adjoint_b, name=name)
        # MatMul takes transposes: an adjoint is the transpose of the conjugate.
        if adjoint_a:
            a, transpose_a = conj(a), True
        if adjoint_b:
            b, transpose_b = conj(b), True
        return apply_op("MatMul", a=a, b=b, transpose_a=transpose_a, transpose_b=transpose_b, name=name)


# -- reductions --------------------------------------------------------------------------------

def _reduction_axes(x, axis):
    """TF's _ReductionDims: the axes given, else a Const of every axis when the
    rank is known and non-zero, else range(0, rank(x))."""
    if axis is not None:
        return axis
    r = x.shape.ndims if _is_tensor(x) else None
    if r:
        return convert_to_tensor(np.arange(r, dtype=np.int32))
    from metarun.ops import array_ops
    return range(0, array_ops.rank(x))


def _reducer(op_type, default_name):
    def fn(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
        axis, keepdims = _v1_axis(axis, reduction_indices, keepdims, keep_dims)
        axes = _reduction_axes(input_tensor, axis)  # a variable is read inside the op's scope
        out = apply_op(op_type, input=input_tensor, reduction_indices=axes, keep_dims=keepdims,
                       name=name or default_name)
        if axis is None and not keepdims:  # TF's _may_reduce_to_scalar
            out.set_shape([])
        return out
    fn.__name__ = default_name
    return fn


reduce_sum = _reducer("Sum", "Sum")
reduce_mean = _reducer("Mean", "Mean")
reduce_max = _reducer("Max", "Max")
reduce_min = _reducer("Min", "Min")
reduce_prod = _reducer("Prod", "Prod")
reduce_all = _reducer("All", "All")
reduce_any = _reducer("Any", "Any")
reduce_euclidean_norm = _reducer("EuclideanNorm", "EuclideanNorm")


def argmax(input, axis=None, name=None, dimension=None, output_type=dtypes.int64):  # noqa: A002
    if axis is None:
        axis = dimension if dimension is not None else 0
    return apply_op("ArgMax", input=input, dimension=axis, output_type=output_type, name=name)


def argmin(input, axis=None, name=None, dimension=None, output_type=dtypes.int64):  # noqa: A002
    if axis is None:
        axis = dimension if dimension is not None else 0
    return apply_op("ArgMin", input=input, dimension=axis, output_type=output_type, name=name)


def add_n(inputs, name=None):
    if len(inputs) == 1 and name is None:
        from metarun.ops import array_ops
        return array_ops.identity(inputs[0])
    return apply_op("AddN", inputs=list(inputs), name=name)


sqrt = _unary("Sqrt")
rsqrt = _unary("Rsqrt")
exp = _unary("Exp")
log = _unary("Log")
log1p = _unary("Log1p")
expm1 = _unary("Expm1")
square = _unary("Square")
sin = _unary("Sin")
cos = _unary("Cos")
tan = _unary("Tan")
tanh = _unary("Tanh")
sigmoid_op = _unary("Sigmoid")
sign = _unary("Sign")
floor = _unary("Floor")
ceil = _unary("Ceil")
round = _unary("Round")  # noqa: A001 -- TF's name
reciprocal = _unary("Reciprocal")
erf = _unary("Erf")
is_nan = _unary("IsNan")
is_inf = _unary("IsInf")
is_finite = _unary("IsFinite")


def sigmoid(x, name=None):
    with name_scope(name, "Sigmoid", [x]) as name:
        return apply_op("Sigmoid", x=x, name=name)


# -- more elementwise functions ------------------------------------------------------------------

asin = _unary("Asin")
acos = _unary("Acos")
atan = _unary("Atan")
sinh = _unary("Sinh")
cosh = _unary("Cosh")
asinh = _unary("Asinh")
acosh = _unary("Acosh")
atanh = _unary("Atanh")
rint = _unary("Rint")
erfc = _unary("Erfc")
def erfinv(x, name=None):
    with name_scope(name, "erfinv", [x]):
        return apply_op("Erfinv", x=x)


def ndtri(x, name=None):
    with name_scope(name, "ndtri", [x]):
        return apply_op("Ndtri", x=x)


lgamma = _unary("Lgamma")
digamma = _unary("Digamma")
softplus = _unary("Softplus", "features")
softsign = _unary("Softsign", "features")
igammac = lambda a, x, name=None: apply_op("Igammac", a=a, x=x, name=name)  # noqa: E731
zeta = lambda x, q, name=None: apply_op("Zeta", x=x, q=q, name=name)  # noqa: E731
polygamma = lambda a, x, name=None: apply_op("Polygamma", a=a, x=x, name=name)  # noqa: E731
def xlog1py(x, y, name=None):
    with name_scope(name, "xlog1py", [x]):
        return apply_op("Xlog1py", x=x, y=y)
nextafter = lambda x1, x2, name=None: apply_op("NextAfter", x1=x1, x2=x2, name=name)  # noqa: E731
betainc = lambda a, b, x, name=None: apply_op("Betainc", a=a, b=b, x=x, name=name)  # noqa: E731
divide_no_nan = div_no_nan
bitwise_and = _binary("BitwiseAnd")
bitwise_or = _binary("BitwiseOr")
bitwise_xor = _binary("BitwiseXor")
left_shift = _binary("LeftShift")
right_shift = _binary("RightShift")
invert = _unary("Invert")


def multiply_no_nan(x, y, name=None):
    with name_scope(name, "multiply_no_nan", [x, y]) as name:
        return apply_op("MulNoNan", x=x, y=y, name=name)


def reciprocal_no_nan(x, name=None):
    with name_scope(name, "reciprocal_no_nan", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        one = convert_to_tensor(1, dtype=x.dtype.base_dtype, name="one")
        return apply_op("DivNoNan", x=one, y=x, name=scope)


def log_sigmoid(x, name=None):
    with name_scope(name, "LogSigmoid", [x]) as name:
        x = convert_to_tensor(x, name="x")
        return apply_op("Neg", x=apply_op("Softplus", features=negative(x)), name=name)


def scalar_mul(scalar, x, name=None):
    """scalar * x, the scalar a Const named 'scalar'."""
    x = convert_to_tensor(x)
    scalar = convert_to_tensor(scalar, dtype=x.dtype.base_dtype, name="scalar")
    if scalar.shape.ndims != 0:
        raise ValueError("Only scalar multiply works, got shape %s" % scalar.shape)
    return apply_op("Mul", x=scalar, y=x, name=name)


def conj(x, name=None):
    if isinstance(x, graph_lib.Tensor) and (x.dtype.is_floating or x.dtype.is_integer):
        return x  # TF returns a real tensor as it is, without taking the name scope
    with name_scope(name, "Conj", [x]) as name:
        x = convert_to_tensor(x, name="x")
        if x.dtype.base_dtype.is_complex:
            return apply_op("Conj", input=x, name=name)
        return x


def real(input, name=None):  # noqa: A002 -- TF's name
    with name_scope(name, "Real", [input]) as name:
        x = convert_to_tensor(input, name="input")
        if x.dtype.base_dtype.is_complex:
            return apply_op("Real", input=x, Tout=x.dtype.real_dtype, name=name)
        return x


def imag(input, name=None):  # noqa: A002 -- TF's name
    with name_scope(name, "Imag", [input]) as name:
        x = convert_to_tensor(input, name="input")
        if x.dtype.base_dtype.is_complex:
            return apply_op("Imag", input=x, Tout=x.dtype.real_dtype, name=name)
        from metarun.ops import array_ops
        return array_ops.zeros_like(x)


def polyval(coeffs, x, name=None):
    with name_scope(name, "polyval", list(coeffs) + [x]) as name:
        x = convert_to_tensor(x, name="x")
        if not coeffs:
            from metarun.ops import array_ops
            return array_ops.zeros_like(x, name=name)
        coeffs = [convert_to_tensor(c, name="coeff_%d" % i) for i, c in enumerate(coeffs)]
        p = coeffs[0]
        for c in coeffs[1:]:
            p = c + p * x
        return p


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    return add_n(inputs, name=name)


def identity_n(input, name=None):  # noqa: A002 -- TF's name
    return apply_op("IdentityN", input=list(input), name=name)


def check_numerics(tensor, message, name=None):
    return apply_op("CheckNumerics", tensor=tensor, message=message, name=name)


def saturate_cast(value, dtype, name=None):
    """cast that clamps to `dtype`'s range first (the bounds as float Consts)."""
    with name_scope(name, "saturate_cast", [value]) as name:
        value = convert_to_tensor(value, name="value")
        dtype = dtypes.as_dtype(dtype).base_dtype
        src = value.dtype.base_dtype
        if src.is_complex and dtype.is_complex:
            return cast(value, dtype, name=name)
        if src.is_complex:
            value = real(value)
            src = value.dtype.base_dtype
        lo = builtins_max(src.min, dtype.min)
        hi = builtins_min(src.max, dtype.max)
        np_t = src.as_numpy_dtype
        if src.is_floating and not dtype.is_floating:
            # The largest value of src below the bound, so the cast is defined.
            lo = np.nextafter(np_t(lo), np_t(0)) if np_t(lo) < lo else np_t(lo)
            hi = np.nextafter(np_t(hi), np_t(0)) if np_t(hi) > hi else np_t(hi)
        lo_t = convert_to_tensor(np.array(lo, dtype=np_t))
        hi_t = convert_to_tensor(np.array(hi, dtype=np_t))
        value = apply_op("ClipByValue", t=value, clip_value_min=lo_t, clip_value_max=hi_t, name="clamp")
        return cast(value, dtype, name=name)


builtins_max, builtins_min = max, min


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    with name_scope(name, "clip_by_value", [t, clip_value_min, clip_value_max]) as name:
        values = convert_to_tensor(t, name="t")
        t_min = minimum(values, clip_value_max)
        if values.shape.ndims is not None and t_min.shape.ndims is not None:
            from metarun.framework import shape_inference as si
            si.merge(values.shape, t_min.shape)
        return maximum(t_min, clip_value_min, name=name)


def clip_by_norm(t, clip_norm, axes=None, name=None):
    from metarun.ops import array_ops
    with name_scope(name, "clip_by_norm", [t, clip_norm]) as name:
        values = convert_to_tensor(t, name="t")
        l2sum = reduce_sum(values * values, axes, keepdims=True)
        pred = l2sum > 0
        l2sum_safe = array_ops.where(pred, l2sum, array_ops.ones_like(l2sum))
        l2norm = array_ops.where(pred, sqrt(l2sum_safe), l2sum)
        intermediate = values * clip_norm
        values_clip = array_ops.identity(intermediate / maximum(l2norm, clip_norm), name=name)
        return values_clip


def global_norm(t_list, name=None):
    from metarun.ops import array_ops
    with name_scope(name, "global_norm", list(t_list)) as name:
        values = [convert_to_tensor(t.values if hasattr(t, "indices") else t,
                                    name="t_%d" % i) if t is not None else t for i, t in enumerate(t_list)]
        half_squared_norms = []
        for v in values:
            if v is not None:
                with graph_lib.get_default_graph().colocate_with(v.op):
                    half_squared_norms.append(apply_op("L2Loss", t=v))
        half_squared_norm = reduce_sum(array_ops.stack(half_squared_norms))
        return sqrt(half_squared_norm * convert_to_tensor(2.0, dtype=half_squared_norm.dtype.base_dtype,
                                                          name="Const"), name="global_norm")


def complex(real, imag, name=None):  # noqa: A001 -- TF's name
    """real + imag * 1j: complex64 from two float32 tensors, complex128 from float64."""
    real = convert_to_tensor(real, name="real")
    imag = convert_to_tensor(imag, name="imag")
    with name_scope(name, "Complex", [real, imag]) as name:
        kinds = (real.dtype.base_dtype, imag.dtype.base_dtype)
        if kinds == (dtypes.float64, dtypes.float64):
            out = dtypes.complex128
        elif kinds == (dtypes.float32, dtypes.float32):
            out = dtypes.complex64
        else:
            raise TypeError("real and imag have incorrect types: {} {}".format(real.dtype.name, imag.dtype.name))
        return apply_op("Complex", real=real, imag=imag, Tout=out, name=name)


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None, keep_dims=None):  # noqa: A002
    """TF1's tf.norm: vector p-norms (1, 2/euclidean, inf, any p > 0) over an axis or the whole
    tensor, and matrix norms (fro/euclidean, 1, inf) over a pair of axes."""
    from metarun.ops import array_ops
    if keepdims is not None and keep_dims is not None:
        raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'")
    keepdims = bool(keepdims if keepdims is not None else keep_dims)
    is_matrix = isinstance(axis, (tuple, list)) and len(axis) == 2
    if is_matrix:
        axis = builtins.tuple(axis)
        if not isinstance(axis[0], int) or not isinstance(axis[1], int) or axis[0] == axis[1]:
            raise ValueError("'axis' must be None, an integer, or a tuple of 2 unique integers, got %s" % (axis,))
        if ord not in ("euclidean", "fro", 1, 2, np.inf):
            raise ValueError("'ord' must be a supported matrix norm in ['euclidean', 'fro', 1, 2, inf], got %s"
                             % (ord,))
        if ord in (2, 2.0):
            raise NotImplementedError("tf.norm with ord=2 over a matrix needs Svd, which metarun has no "
                                      "kernel for yet")
    else:
        if not (isinstance(axis, int) or axis is None):
            raise ValueError("'axis' must be None, an integer, or a tuple of 2 unique integers, got %s" % (axis,))
        if ord not in ("euclidean", 1, 2, np.inf) and (not np.isreal(ord) or ord <= 0):
            raise ValueError("'ord' must be a supported vector norm, got %s" % (ord,))
        if axis is not None:
            axis = (axis,)
    with name_scope(name, "norm", [tensor]):
        tensor = convert_to_tensor(tensor)
        if ord in ("fro", "euclidean", 2, 2.0):
            result = sqrt(reduce_sum(tensor * conj(tensor), axis, keepdims=True))
        else:
            result = abs(tensor)
            if ord == 1:
                result = reduce_sum(result, None if axis is None else axis[0], keepdims=True)
                if is_matrix:
                    result = reduce_max(result, axis[-1], keepdims=True)
            elif ord == np.inf:
                if is_matrix:
                    result = reduce_sum(result, axis[1], keepdims=True)
                result = reduce_max(result, None if axis is None else axis[0], keepdims=True)
            else:
                result = pow(reduce_sum(pow(result, ord), axis, keepdims=True), 1.0 / ord)
        if not keepdims:
            result = array_ops.squeeze(result, axis)
        return result


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    from metarun.ops import array_ops
    t_list = list(t_list)
    if use_norm is None:
        use_norm = global_norm(t_list, name)
    with name_scope(name, "clip_by_global_norm", t_list + [clip_norm]) as name:
        inv_norm = 1.0 / use_norm
        one = convert_to_tensor(1.0, dtype=use_norm.dtype.base_dtype, name="Const")
        scale_for_finite = clip_norm * minimum(inv_norm, one / clip_norm)
        # A finite norm adds 0; inf or NaN makes every value NaN, as in TF.
        scale = scale_for_finite + (use_norm - use_norm)
        out = []
        for i, t in enumerate(t_list):
            if t is None:
                out.append(None)
                continue
            t = convert_to_tensor(t, name="t_%d" % i)
            with graph_lib.get_default_graph().colocate_with(t.op):
                out.append(array_ops.identity(t * scale, name="%s_%d" % (name, i)))
        return out, use_norm


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    with name_scope(name, "Cumsum", [x]) as name:
        x = convert_to_tensor(x, name="x")
        return apply_op("Cumsum", x=x, axis=axis, exclusive=exclusive, reverse=reverse, name=name)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    with name_scope(name, "Cumprod", [x]) as name:
        x = convert_to_tensor(x, name="x")
        return apply_op("Cumprod", x=x, axis=axis, exclusive=exclusive, reverse=reverse, name=name)


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    with name_scope(name, "CumulativeLogsumexp", [x]) as name:
        x = convert_to_tensor(x, name="x")
        return apply_op("CumulativeLogsumexp", x=x, axis=axis, exclusive=exclusive, reverse=reverse,
                        name=name)


def _v1_axis(axis, reduction_indices, keepdims, keep_dims):
    if axis is not None and reduction_indices is not None:
        raise ValueError("Cannot specify both 'axis' and 'reduction_indices'.")
    if keepdims is not None and keep_dims is not None:
        raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'.")
    return (axis if axis is not None else reduction_indices,
            bool(keepdims if keepdims is not None else keep_dims))


def reduce_logsumexp(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
                     keep_dims=None):
    from metarun.ops import array_ops
    axis, keepdims = _v1_axis(axis, reduction_indices, keepdims, keep_dims)
    with name_scope(name, "ReduceLogSumExp", [input_tensor]) as name:
        x = convert_to_tensor(input_tensor)
        raw_max = reduce_max(x, axis=axis, keepdims=True)
        my_max = stop_gradient(array_ops.where_v2(is_finite(raw_max), raw_max, 0))
        result = log(reduce_sum(exp(subtract(x, my_max)), axis=axis, keepdims=keepdims))
        if not keepdims:
            my_max = array_ops.reshape(my_max, apply_op("Shape", input=result, out_type=dtypes.int32))
        return _add_op(result, my_max, name)


def stop_gradient(x, name=None):
    return apply_op("StopGradient", input=x, name=name)


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    with name_scope(name, "reduce_variance", [input_tensor]):
        x = convert_to_tensor(input_tensor)
        means = reduce_mean(x, axis=axis, keepdims=True)
        if means.dtype.base_dtype.is_integer:
            raise TypeError("Input must be either real or complex. Received integer type %s." % means.dtype)
        diff = _operator_binary(x, means, _sub_op, "sub")
        squared = square(diff) if not diff.dtype.base_dtype.is_complex else real(
            multiply(conj(diff), diff))
        return reduce_mean(squared, axis=axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    with name_scope(name, "reduce_std", [input_tensor]):
        x = convert_to_tensor(input_tensor)
        variance = reduce_variance(x, axis=axis, keepdims=keepdims)
        return sqrt(variance)


def count_nonzero(input_tensor=None, axis=None, keepdims=None, dtype=dtypes.int64, name=None,
                  reduction_indices=None, keep_dims=None, input=None):  # noqa: A002
    from metarun.ops import array_ops
    if input_tensor is None:
        input_tensor = input
    axis, keepdims = _v1_axis(axis, reduction_indices, keepdims, keep_dims)
    with name_scope(name, "count_nonzero", [input_tensor]):
        x = convert_to_tensor(input_tensor, name="input_tensor")
        if x.dtype.base_dtype != dtypes.bool:
            x = not_equal(x, array_ops.zeros([], dtype=x.dtype.base_dtype))
        return cast(reduce_sum(cast(x, dtypes.int64), axis=axis, keepdims=keepdims), dtype=dtype)


def trace(x, name=None):
    from metarun.ops import array_ops
    with name_scope(name, "Trace", [x]) as name:
        x = convert_to_tensor(x, name="x")
        return reduce_sum(array_ops.matrix_diag_part(x), [-1], name=name)


def einsum(equation, *inputs, **kwargs):
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError("Invalid keyword arguments for this function: %s" % ", ".join(sorted(kwargs)))
    with name_scope(name, "einsum", [equation, inputs]):
        inputs = [convert_to_tensor(t) for t in inputs]
        return apply_op("Einsum", inputs=inputs, equation=equation.replace(" ", ""))


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    return apply_op("UnsortedSegmentSum", data=data, segment_ids=segment_ids, num_segments=num_segments,
                    name=name)


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    return apply_op("UnsortedSegmentMax", data=data, segment_ids=segment_ids, num_segments=num_segments,
                    name=name)


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    return apply_op("UnsortedSegmentMin", data=data, segment_ids=segment_ids, num_segments=num_segments,
                    name=name)


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    return apply_op("UnsortedSegmentProd", data=data, segment_ids=segment_ids, num_segments=num_segments,
                    name=name)


def segment_sum(data, segment_ids, name=None):
    return apply_op("SegmentSum", data=data, segment_ids=segment_ids, name=name)


def segment_mean(data, segment_ids, name=None):
    return apply_op("SegmentMean", data=data, segment_ids=segment_ids, name=name)


def segment_max(data, segment_ids, name=None):
    return apply_op("SegmentMax", data=data, segment_ids=segment_ids, name=name)


def segment_min(data, segment_ids, name=None):
    return apply_op("SegmentMin", data=data, segment_ids=segment_ids, name=name)


def segment_prod(data, segment_ids, name=None):
    return apply_op("SegmentProd", data=data, segment_ids=segment_ids, name=name)


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001 -- TF's name
    """tf.range: Range with start/limit/delta Consts named under 'range'."""
    if limit is None:
        start, limit = 0, start
    with name_scope(name, "Range", [start, limit, delta]) as name:
        if not _is_tensor(start):
            start = convert_to_tensor(start, dtype=dtype, name="start")
        if not _is_tensor(limit):
            limit = convert_to_tensor(limit, dtype=dtype, name="limit")
        if not _is_tensor(delta):
            delta = convert_to_tensor(delta, dtype=dtype, name="delta")
        start, limit, delta = (convert_to_tensor(v) for v in (start, limit, delta))
        if dtype is None:
            order = [dtypes.int32, dtypes.int64, dtypes.float16, dtypes.bfloat16, dtypes.float32,
                     dtypes.float64]
            inferred = builtins_max((t.dtype.base_dtype for t in (start, limit, delta)), key=order.index)
            start, limit, delta = (cast(t, inferred) for t in (start, limit, delta))
        else:
            start, limit, delta = (cast(t, dtype) for t in (start, limit, delta))
        return apply_op("Range", start=start, limit=limit, delta=delta, name=name)


def _tensordot_reshape(a, axes, flipped=False):
    """a transposed and reshaped to the 2-D matrix tensordot multiplies, as TF builds it."""
    from metarun.ops import array_ops
    shape_a = a.shape
    if shape_a.is_fully_defined() and isinstance(axes, (list, tuple)):
        dims = shape_a.as_list()
        axes = [i if i >= 0 else i + len(dims) for i in axes]
        free = [i for i in np.arange(len(dims)).tolist() if i not in axes]
        free_dims = [dims[i] for i in free]
        prod_free = int(np.prod(free_dims, dtype=np.int64))
        prod_axes = int(np.prod([dims[i] for i in axes], dtype=np.int64))
        perm = list(axes) + free if flipped else free + list(axes)
        new_shape = [prod_axes, prod_free] if flipped else [prod_free, prod_axes]
        a_trans = array_ops.transpose(a, perm) if perm != np.arange(len(dims)).tolist() else a
        reshaped = array_ops.reshape(a_trans, new_shape) if a_trans.shape.as_list() != new_shape else a_trans
        return reshaped, free_dims, free_dims
    if shape_a.ndims is not None and isinstance(axes, (list, tuple)):
        dims = shape_a.as_list()
        axes = [i if i >= 0 else i + len(dims) for i in axes]
        free = [i for i in np.arange(len(dims)).tolist() if i not in axes]
        free_static = [dims[i] for i in free]
        axes = convert_to_tensor(axes, dtype=dtypes.int32, name="axes")
        free = convert_to_tensor(free, dtype=dtypes.int32, name="free")
        shape_t = array_ops.shape(a)
    else:
        raise NotImplementedError("tensordot of a tensor of unknown rank is not built by metarun")
    free_dims = array_ops.gather(shape_t, free)
    axes_dims = array_ops.gather(shape_t, axes)
    prod_free = reduce_prod(free_dims)
    prod_axes = reduce_prod(axes_dims)
    if flipped:
        perm = array_ops.concat([axes, free], 0)
        new_shape = array_ops.stack([prod_axes, prod_free])
    else:
        perm = array_ops.concat([free, axes], 0)
        new_shape = array_ops.stack([prod_free, prod_axes])
    return array_ops.reshape(array_ops.transpose(a, perm), new_shape), free_dims, free_static


def _tensordot_axes(a, axes):
    if isinstance(axes, (int, np.integer)):
        if axes < 0:
            raise ValueError("`axes` must be at least 0. Received: %s." % axes)
        n = a.shape.ndims
        if n is None:
            raise NotImplementedError("tensordot of a tensor of unknown rank is not built by metarun")
        if axes > n:
            raise ValueError("`axes` must not be larger than the number of dimensions of tensor %s.  "
                             "Received %s, vs tensor dimensions %s." % (a, axes, n))
        return list(np.arange(n - axes, n).tolist()), list(np.arange(axes).tolist())
    if isinstance(axes, (list, tuple)):
        if len(axes) != 2:
            raise ValueError("`axes` must be an integer or have length 2. Received %s." % (axes,))
        a_axes, b_axes = axes
        if isinstance(a_axes, int) and isinstance(b_axes, int):
            a_axes, b_axes = [a_axes], [b_axes]
        if len(a_axes) != len(b_axes):
            raise ValueError("Different number of contraction axes `a` and `b`, %s != %s."
                             % (len(a_axes), len(b_axes)))
        return list(a_axes), list(b_axes)
    raise NotImplementedError("tensordot with Tensor axes is not built by metarun")


def tensordot(a, b, axes, name=None):
    from metarun.ops import array_ops
    with name_scope(name, "Tensordot", [a, b, axes]) as name:
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, name="b")
        a_axes, b_axes = _tensordot_axes(a, axes)
        a_reshape, a_free, a_static = _tensordot_reshape(a, a_axes)
        b_reshape, b_free, b_static = _tensordot_reshape(b, b_axes, True)
        ab = matmul(a_reshape, b_reshape)
        if isinstance(a_free, list) and isinstance(b_free, list):
            if ab.shape.is_fully_defined() and ab.shape.as_list() == a_free + b_free:
                return ab
            return array_ops.reshape(ab, a_free + b_free, name=name)
        a_free = convert_to_tensor(a_free, dtype=dtypes.int32)
        b_free = convert_to_tensor(b_free, dtype=dtypes.int32)
        product = array_ops.reshape(ab, array_ops.concat([a_free, b_free], 0), name=name)
        if a_static is not None and b_static is not None:
            product.set_shape(a_static + b_static)
        return product


def linspace(start, stop, num, name=None, axis=0):
    """TF 2.x's linspace_nd (what tf.compat.v1.linspace is): endpoints broadcast and expanded
    along `axis`, the inner points start + delta * range, concatenated and sliced to num."""
    from metarun.ops import array_ops
    with name_scope(name, "linspace", [start, stop]):
        start = convert_to_tensor(start, name="start")
        stop = convert_to_tensor(stop, name="stop", dtype=start.dtype.base_dtype)
        num_int = convert_to_tensor(num, name="num")
        num_int = apply_op("Cast", x=num_int, DstT=dtypes.int32, Truncate=False)
        cast(num_int, start.dtype.base_dtype)
        bshape = apply_op("BroadcastArgs", s0=array_ops.shape(start), s1=array_ops.shape(stop))
        start = array_ops.broadcast_to(start, bshape)
        stop = array_ops.broadcast_to(stop, bshape)
        expanded_start = array_ops.expand_dims(start, axis=axis)
        expanded_stop = array_ops.expand_dims(stop, axis=axis)
        shape = array_ops.shape(expanded_start)
        ndims = array_ops.shape(shape)[0]
        axis = array_ops.where_v2(axis >= 0, axis, ndims + axis)
        num_fill = apply_op("Maximum", x=num_int - 2, y=0)
        n_steps = apply_op("Maximum", x=num_int - 1, y=1)
        delta = (expanded_stop - expanded_start) / cast(n_steps, expanded_stop.dtype.base_dtype)
        expanded_start = cast(expanded_start, delta.dtype.base_dtype)
        expanded_stop = cast(expanded_stop, delta.dtype.base_dtype)
        range_end = array_ops.where_v2(num_int >= 0, n_steps, -1)
        desired_range = cast(range(1, range_end, dtype=dtypes.int64), delta.dtype.base_dtype)
        mask = apply_op("Equal", x=axis, y=range(ndims))
        desired_range_shape = array_ops.where_v2(mask, num_fill, 1)
        desired_range = array_ops.reshape(desired_range, desired_range_shape)
        res = expanded_start + delta * desired_range
        concatenated = array_ops.concat((expanded_start, res, expanded_stop), axis=axis)
        begin = array_ops.zeros_like(shape)
        size = array_ops.concat((shape[0:axis], array_ops.reshape(num_int, [1]), shape[axis + 1:]), axis=0)
        return array_ops.slice(concatenated, begin, size)


lin_space = linspace


import collections as _collections

TopKV2 = _collections.namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, index_type=dtypes.int32, name=None):  # noqa: A002 -- TF's names
    """(values, indices) of the k largest entries of the last axis, as a namedtuple."""
    values, indices = apply_op("TopKV2", input=input, k=k, sorted=sorted, index_type=index_type, name=name)
    return TopKV2(values, indices)


# -- operators on Tensor and Variable -------------------------------------------------------------

def _operator_binary(x, y, func, op_name):
    """`x <op> y` with x the Tensor: y goes to the op as it is, as in TF, so a dtype
    mismatch is the op's TypeError naming both inputs."""
    with name_scope(None, op_name, [x, y]) as name:
        x = convert_to_tensor(x)
        return func(x, y, name=name)


def _operator_rbinary(y, x, func, op_name):
    """`x <op> y` where y is the Tensor (x on the left is a Python value)."""
    with name_scope(None, op_name, [x, y]) as name:
        y = convert_to_tensor(y)
        x = convert_to_tensor(x, dtype=y.dtype.base_dtype, name="x")
        return func(x, y, name=name)


def _add_op(x, y, name):
    y = _hinted(y, x)
    if x.dtype.base_dtype == dtypes.string:
        return apply_op("Add", x=x, y=y, name=name)
    return apply_op("AddV2", x=x, y=y, name=name)


def _mul_op(x, y, name):
    return apply_op("Mul", x=x, y=y, name=name)


def _sub_op(x, y, name):
    return apply_op("Sub", x=x, y=y, name=name)


def _truediv_op(x, y, name):
    return truediv(x, y, name=name)


def _floordiv_op(x, y, name):
    return floordiv(x, y, name=name)


def _mod_op(x, y, name):
    return apply_op("FloorMod", x=x, y=y, name=name)


def _pow_op(x, y, name):
    return pow(x, y, name=name)


def _matmul_op(x, y, name):
    return matmul(x, y, name=name)


# On integers TF's `&`, `|`, `^` add the bitwise op under the operator's scope
# ('and/BitwiseAnd'), not named by it.
def _and_op(x, y, name):
    return apply_op("LogicalAnd", x=x, y=y, name=name) if x.dtype.base_dtype == dtypes.bool \
        else apply_op("BitwiseAnd", x=x, y=y)


def _or_op(x, y, name):
    return apply_op("LogicalOr", x=x, y=y, name=name) if x.dtype.base_dtype == dtypes.bool \
        else apply_op("BitwiseOr", x=x, y=y)


def _xor_op(x, y, name):
    return logical_xor(x, y, name=name) if x.dtype.base_dtype == dtypes.bool \
        else apply_op("BitwiseXor", x=x, y=y)


_OPERATORS = [("add", _add_op, "add"), ("sub", _sub_op, "sub"), ("mul", _mul_op, "mul"),
              ("truediv", _truediv_op, "truediv"), ("div", _truediv_op, "truediv"),
              ("floordiv", _floordiv_op, "floordiv"), ("mod", _mod_op, "mod"), ("pow", _pow_op, "pow"),
              ("matmul", _matmul_op, "matmul"), ("and", _and_op, "and"), ("or", _or_op, "or"),
              ("xor", _xor_op, "xor")]


def _logical_or_bitwise(logical, bitwise, op_name):
    """`&`, `|`, `^`: on bools the logical op named by the scope; on integers the bitwise op
    inside it, converting a Python operand itself ('and/BitwiseAnd/y')."""
    def forward(self, other):
        with name_scope(None, op_name, [self, other]) as name:
            x = convert_to_tensor(self)
            if x.dtype.base_dtype == dtypes.bool:
                return logical(x, convert_to_tensor(other, dtype=dtypes.bool, name="y"), name)
            return apply_op(bitwise, x=x, y=other)

    def reverse(self, other):
        with name_scope(None, op_name, [other, self]) as name:
            y = convert_to_tensor(self)
            if y.dtype.base_dtype == dtypes.bool:
                return logical(convert_to_tensor(other, dtype=dtypes.bool, name="x"), y, name)
            return apply_op(bitwise, x=other, y=y)
    return forward, reverse


def _install_operators(cls):
    for method, func, op_name in _OPERATORS:
        def forward(self, other, func=func, op_name=op_name):
            return _operator_binary(self, other, func, op_name)

        def reverse(self, other, func=func, op_name=op_name):
            return _operator_rbinary(self, other, func, op_name)
        setattr(cls, "__%s__" % method, forward)
        setattr(cls, "__r%s__" % method, reverse)
    for method, logical, bitwise in (("and", _and_op, "BitwiseAnd"), ("or", _or_op, "BitwiseOr"),
                                     ("xor", _xor_op, "BitwiseXor")):
        forward, reverse = _logical_or_bitwise(logical, bitwise, method)
        setattr(cls, "__%s__" % method, forward)
        setattr(cls, "__r%s__" % method, reverse)
    cls.__neg__ = lambda self: negative(self)
    cls.__abs__ = lambda self: abs(self)
    cls.__invert__ = lambda self: logical_not(self) if convert_to_tensor(self).dtype.base_dtype == dtypes.bool \
        else apply_op("Invert", x=self)
    cls.__lt__ = lambda self, other: less(self, other)
    cls.__le__ = lambda self, other: less_equal(self, other)
    cls.__gt__ = lambda self, other: greater(self, other)
    cls.__ge__ = lambda self, other: greater_equal(self, other)

    def getitem(self, key):
        from metarun.ops import array_ops
        return array_ops.slice_helper(self, key)
    cls.__getitem__ = getitem


def install():
    from metarun.framework.variables import Variable
    _install_operators(graph_lib.Tensor)
    # A variable's operator reads it first, outside the operator's scope (TF's
    # value(): 'ReadVariableOp' for a resource variable), then acts as the Tensor does.
    for attr in sorted(vars(graph_lib.Tensor)):
        if attr.startswith("__") and attr.endswith("__") and attr[2:-2] in _VARIABLE_OPERATORS:
            def method(self, *args, _attr=attr):
                return getattr(graph_lib.Tensor, _attr)(self.value(), *args)
            setattr(Variable, attr, method)

    def variable_getitem(self, key):  # TF's slice of a variable also has `assign`
        from metarun.ops import array_ops
        return array_ops.slice_helper(self.value(), key, var=self)
    Variable.__getitem__ = variable_getitem


_VARIABLE_OPERATORS = set(
    [m for m, _, _ in _OPERATORS] + ["r" + m for m, _, _ in _OPERATORS] +
    ["and", "or", "xor", "rand", "ror", "rxor", "neg", "abs", "invert", "lt", "le", "gt", "ge", "getitem"])
