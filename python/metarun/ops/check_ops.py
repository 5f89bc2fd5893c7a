"""The tf.* checks the asserts of array_ops leave out: ranks, types, scalars, closeness and
monotonicity, built as TF 2.21's check_ops builds them (static checks raise while building)."""

import numpy as np

from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.ops import array_ops, math_ops
from metarun.ops.scopes import name_scope


def _message_prefix(message):
    return "%s.  " % message if message else ""


def _no_op(name):
    return apply_op("NoOp", name=name)


def assert_type(tensor, tf_type, message=None, name=None):
    tf_type = dtypes.as_dtype(tf_type)
    with name_scope(name, "assert_type", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        if tensor.dtype != tf_type:
            raise TypeError("%s%s must be of type %r; got %r"
                            % (_message_prefix(message), getattr(tensor, "name", "tensor"), tf_type, tensor.dtype))
        return _no_op("statically_determined_correct_type")


def assert_integer(x, message=None, name=None):
    with name_scope(name, "assert_integer", [x]):
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_integer:
            raise TypeError('%sExpected "x" to be integer type.  Found: %s of dtype %r'
                            % (_message_prefix(message), x.name, x.dtype))
        return _no_op("statically_determined_was_integer")


def assert_scalar(tensor, name=None, message=None):
    with name_scope(name, "assert_scalar", [tensor]):
        tensor = convert_to_tensor(tensor, name=name)
        shape = tensor.shape
        message = _message_prefix(message)
        if shape.ndims != 0:
            if shape.ndims is None:
                raise ValueError("%sExpected scalar shape, saw shape: %s." % (message, shape))
            raise ValueError("%sExpected scalar shape for %s, saw shape: %s." % (message, tensor.name, shape))
        return tensor


def _rank_condition(x, rank, static_condition, dynamic_condition, data, summarize):
    assert_type(rank, dtypes.int32)
    rank_static = si.constant_value(rank)
    if rank_static is not None:
        if np.ndim(rank_static) != 0:
            raise ValueError("Rank must be a scalar.")
        if x.shape.ndims is not None:
            if not static_condition(x.shape.ndims, rank_static):
                raise ValueError("Static rank condition failed", x.shape.ndims, rank_static)
            return _no_op("static_checks_determined_all_ok")
    condition = dynamic_condition(array_ops.rank(x), rank)
    if rank_static is None:
        from metarun.ops import control_flow_ops
        rank_check = assert_rank(rank, 0, data=["Rank must be a scalar. Received rank: ", rank])
        condition = control_flow_ops.with_dependencies([rank_check], condition)
    return array_ops.Assert(condition, data, summarize=summarize)


def _rank_assert(kind, x, rank, data, summarize, message, name, static_condition, dynamic_condition):
    with name_scope(name, kind, [x, rank] + list(data or [])):
        x = convert_to_tensor(x, name="x")
        rank = convert_to_tensor(rank, name="rank")
        message = _message_prefix(message)
        what = "rank" if kind == "assert_rank" else "rank at least"
        if data is None:
            data = [message, "Tensor %s must have %s" % (x.name, what), rank, "Received shape: ", array_ops.shape(x)]
        try:
            return _rank_condition(x, rank, static_condition, dynamic_condition, data, summarize)
        except ValueError as e:
            if e.args[0] == "Static rank condition failed":
                raise ValueError("%sTensor %s must have %s %d.  Received rank %d, shape %s"
                                 % (message, x.name, what, e.args[2], e.args[1], x.shape)) from None
            raise


def assert_rank(x, rank, data=None, summarize=None, message=None, name=None):
    return _rank_assert("assert_rank", x, rank, data, summarize, message, name, lambda a, r: a == r,
                        math_ops.equal)


def assert_rank_at_least(x, rank, data=None, summarize=None, message=None, name=None):
    return _rank_assert("assert_rank_at_least", x, rank, data, summarize, message, name, lambda a, r: a >= r,
                        math_ops.greater_equal)


def assert_rank_in(x, ranks, data=None, summarize=None, message=None, name=None):
    with name_scope(name, "assert_rank_in", [x] + list(ranks) + list(data or [])):
        x = convert_to_tensor(x, name="x")
        ranks = tuple(convert_to_tensor(r, name="rank") for r in ranks)
        message = _message_prefix(message)
        if data is None:
            data = [message, "Tensor %s must have rank in" % x.name] + list(ranks) + \
                ["Received shape: ", array_ops.shape(x)]
        for r in ranks:
            assert_type(r, dtypes.int32)
        statics = tuple(si.constant_value(r) for r in ranks)
        if not any(s is None for s in statics):
            if any(np.ndim(s) != 0 for s in statics):
                raise ValueError("Rank must be a scalar.")
            if x.shape.ndims is not None:
                if x.shape.ndims not in statics:
                    raise ValueError("%sTensor %s must have rank in %s.  Received rank %d, shape %s"
                                     % (message, x.name, tuple(s.item() for s in statics), x.shape.ndims, x.shape))
                return _no_op("static_checks_determined_all_ok")
        actual = array_ops.rank(x)
        if not ranks:
            condition = convert_to_tensor(False)
        else:
            condition = math_ops.equal(ranks[0], actual)
            for r in ranks[1:]:
                condition = math_ops.logical_or(condition, math_ops.equal(r, actual))
        from metarun.ops import control_flow_ops
        for r, s in zip(ranks, statics):
            if s is None:
                check = assert_rank(r, 0, data=["Rank must be a scalar. Received rank: ", r])
                condition = control_flow_ops.with_dependencies([check], condition)
        return array_ops.Assert(condition, data, summarize=summarize)


def assert_near(x, y, rtol=None, atol=None, data=None, summarize=None, message=None, name=None):
    message = _message_prefix(message)
    with name_scope(name, "assert_near", [x, y, rtol, atol, data]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        dtype = x.dtype.real_dtype if x.dtype.is_complex else x.dtype
        eps = np.finfo(dtype.as_numpy_dtype).eps
        rtol = convert_to_tensor(10 * eps if rtol is None else rtol, name="rtol", dtype=dtype)
        atol = convert_to_tensor(10 * eps if atol is None else atol, name="atol", dtype=dtype)
        if data is None:
            data = [message, "x and y not equal to tolerance rtol = %s, atol = %s" % (_str(rtol), _str(atol)),
                    "x (%s) = " % x.name, x, "y (%s) = " % y.name, y]
        tol = atol + rtol * math_ops.abs(y)
        diff = math_ops.abs(x - y)
        condition = math_ops.reduce_all(math_ops.less(diff, tol))
        return array_ops.Assert(condition, data, summarize=summarize)


def _str(t):
    """str() of a graph tensor as TF writes it."""
    return 'Tensor("%s", shape=%s, dtype=%s)' % (t.name, t.shape, t.dtype.name)


def assert_same_float_dtype(tensors=None, dtype=None):
    if tensors:
        dtype = _assert_same_base_type(tensors, dtype)
    if not dtype:
        dtype = dtypes.float32
    elif not dtypes.as_dtype(dtype).is_floating:
        raise ValueError("Expected floating point type, got %s." % dtype)
    return dtype


def _assert_same_base_type(items, expected_type=None):
    original = expected_type
    mismatch = False
    for item in items:
        if item is not None:
            item_type = item.dtype.base_dtype
            if not expected_type:
                expected_type = item_type
            elif expected_type != item_type:
                mismatch = True
                break
    if mismatch:
        expected_type = original
        original_item_str = None
        for item in items:
            if item is not None:
                item_type = item.dtype.base_dtype
                if not expected_type:
                    expected_type = item_type
                    original_item_str = item.name if hasattr(item, "name") else str(item)
                elif expected_type != item_type:
                    raise ValueError("%s, type=%s, must be of the same type (%s)%s." % (
                        item.name if hasattr(item, "name") else str(item), item_type, expected_type,
                        (" as %s" % original_item_str) if original_item_str else ""))
        return expected_type
    return expected_type


def assert_proper_iterable(values):
    unintentional = (bytes, str, np.ndarray)
    if hasattr(values, "op") and hasattr(values, "dtype") or isinstance(values, unintentional) or \
            type(values).__name__ in ("SparseTensor", "Variable"):
        raise TypeError('Expected argument "values" to be a "proper" iterable.  Found: %s' % type(values))
    if not hasattr(values, "__iter__"):
        raise TypeError('Expected argument "values" to be iterable.  Found: %s' % type(values))


def _monotonic(x, compare_op):
    from metarun.ops import control_flow_ops
    x = array_ops.reshape(x, [-1])
    if not is_numeric_tensor(x):
        raise TypeError("Expected x to be numeric, instead found: %s" % x)
    is_shorter_than_two = math_ops.less(array_ops.size(x), 2)
    s_len = array_ops.shape(x) - 1

    def diff():
        return compare_op(array_ops.strided_slice(x, [1], [1] + s_len), array_ops.strided_slice(x, [0], s_len))
    return control_flow_ops.cond(is_shorter_than_two, lambda: convert_to_tensor([], dtype=dtypes.bool), diff)


def is_non_decreasing(x, name=None):
    with name_scope(name, "is_non_decreasing", [x]):
        return math_ops.reduce_all(_monotonic(x, math_ops.greater_equal))


def is_strictly_increasing(x, name=None):
    with name_scope(name, "is_strictly_increasing", [x]):
        return math_ops.reduce_all(_monotonic(x, math_ops.greater))


_NUMERIC = (dtypes.bfloat16, dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int8, dtypes.int16,
            dtypes.int32, dtypes.int64, dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64,
            dtypes.qint8, dtypes.qint16, dtypes.qint32, dtypes.quint8, dtypes.quint16, dtypes.complex64,
            dtypes.complex128)


def is_numeric_tensor(tensor):
    from metarun.framework.graph import Tensor
    return isinstance(tensor, Tensor) and tensor.dtype.base_dtype in _NUMERIC
