"""tf.math: arithmetic, comparisons, reductions, and the Tensor operators.

Each function adds the ops TF's function of the same name adds, with TF's
default names (so graphs match node for node)."""

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
        y = convert_to_tensor(y, dtype=x.dtype.base_dtype, name="y")
        if x.dtype.base_dtype == dtypes.string:
            return apply_op("Add", x=x, y=y, name=name)
        return apply_op("AddV2", x=x, y=y, name=name)


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
xdivy = _binary("Xdivy")
xlogy = _binary("Xlogy")
div_no_nan = _binary("DivNoNan")
atan2 = _binary("Atan2")
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
    with name_scope(name, "LogicalXor", [x, y]) as name:
        return logical_and(logical_or(x, y), logical_not(logical_and(x, y)), name=name)


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
        y = convert_to_tensor(y, dtype=x.dtype.base_dtype, name="y")
        dt = x.dtype.base_dtype
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
        b = convert_to_tensor(b, dtype=a.dtype.base_dtype, name="b")
        if adjoint_a:
            transpose_a = True
        if adjoint_b:
            transpose_b = True
        ra, rb = a.shape.ndims, b.shape.ndims
        if (ra is None or ra > 2) or (rb is None or rb > 2):
            return apply_op("BatchMatMulV2", x=a, y=b, adj_x=transpose_a, adj_y=transpose_b, name=name)
        return apply_op("MatMul", a=a, b=b, transpose_a=transpose_a, transpose_b=transpose_b, name=name)


# -- reductions --------------------------------------------------------------------------------

def _reduction_axes(x, axis):
    if axis is not None:
        return axis
    r = x.shape.ndims
    if r is not None:
        return np.arange(r, dtype=np.int32)
    from metarun.ops import array_ops
    return apply_op("Range", start=0, limit=array_ops.rank(x), delta=1)


def _reducer(op_type, default_name):
    def fn(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
        if axis is None:
            axis = reduction_indices
        keepdims = bool(keepdims if keepdims is not None else keep_dims)
        x = convert_to_tensor(input_tensor)
        axes = _reduction_axes(x, axis)
        if not hasattr(axes, "op"):
            axes = convert_to_tensor(axes, dtype=dtypes.int32) if not isinstance(axes, np.ndarray) \
                else convert_to_tensor(axes)
        return apply_op(op_type, input=x, reduction_indices=axes, keep_dims=keepdims,
                        name=name or default_name)
    fn.__name__ = default_name
    return fn


reduce_sum = _reducer("Sum", "Sum")
reduce_mean = _reducer("Mean", "Mean")
reduce_max = _reducer("Max", "Max")
reduce_min = _reducer("Min", "Min")
reduce_prod = _reducer("Prod", "Prod")
reduce_all = _reducer("All", "All")
reduce_any = _reducer("Any", "Any")


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


# -- operators on Tensor and Variable -------------------------------------------------------------

def _operator_binary(x, y, func, op_name):
    with name_scope(None, op_name, [x, y]) as name:
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, dtype=x.dtype.base_dtype, name="y")
        return func(x, y, name=name)


def _operator_rbinary(y, x, func, op_name):
    """`x <op> y` where y is the Tensor (x on the left is a Python value)."""
    with name_scope(None, op_name, [x, y]) as name:
        y = convert_to_tensor(y)
        x = convert_to_tensor(x, dtype=y.dtype.base_dtype, name="x")
        return func(x, y, name=name)


def _add_op(x, y, name):
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


def _and_op(x, y, name):
    return apply_op("LogicalAnd", x=x, y=y, name=name) if x.dtype.base_dtype == dtypes.bool \
        else apply_op("BitwiseAnd", x=x, y=y, name=name)


def _or_op(x, y, name):
    return apply_op("LogicalOr", x=x, y=y, name=name) if x.dtype.base_dtype == dtypes.bool \
        else apply_op("BitwiseOr", x=x, y=y, name=name)


def _xor_op(x, y, name):
    return logical_xor(x, y, name=name) if x.dtype.base_dtype == dtypes.bool \
        else apply_op("BitwiseXor", x=x, y=y, name=name)


_OPERATORS = [("add", _add_op, "add"), ("sub", _sub_op, "sub"), ("mul", _mul_op, "mul"),
              ("truediv", _truediv_op, "truediv"), ("div", _truediv_op, "truediv"),
              ("floordiv", _floordiv_op, "floordiv"), ("mod", _mod_op, "mod"), ("pow", _pow_op, "pow"),
              ("matmul", _matmul_op, "matmul"), ("and", _and_op, "and"), ("or", _or_op, "or"),
              ("xor", _xor_op, "xor")]


def _install_operators(cls):
    for method, func, op_name in _OPERATORS:
        def forward(self, other, func=func, op_name=op_name):
            return _operator_binary(self, other, func, op_name)

        def reverse(self, other, func=func, op_name=op_name):
            return _operator_rbinary(self, other, func, op_name)
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
    _install_operators(Variable)
