"""Fuzz target: bytes -> one registered kernel (not the host ops, Print or WriteFile) with attrs and
small inputs the bytes choose -> `op_harness.run_op` in a fresh Session.

Attrs follow the op's OpDef (its default half the time); inputs have the dtypes the attrs
give, up to 4 dims of up to 4, and values that include each dtype's extremes, 2**40, NaN and
the infinities. List-length attrs stay small so the input list does. The op index is the
input's first byte(s), so seeds stay valid only while the kernel registry and the skip list
(METARUN_FUZZ_SKIP_OPS) are unchanged.
"""
import os

import numpy as np

import _fuzzlib

INT_ATTRS = [0, 1, 2, 3, 4, -1, -2, -2**31, 2**31 - 1, 2**40, -2**40, 2**63 - 1, -2**63]
LIST_INTS = [1, 1, 2, 0, -1, 3, 4, 2**31 - 1, -2**31, 2**40]
FLOAT_ATTRS = [0.5, 0.0, -1.0, 1.0, float("nan"), float("inf"), float("-inf"), 1e30, 1e-30, 2.0**40]
STRINGS = ["", "SAME", "VALID", "EXPLICIT", "NHWC", "NCHW", "abc"]
INT_VALUES = [0, 1, -1, 2, 3, -3, 7, "min", "max", 2**40]
FLOAT_VALUES = [0.0, 1.0, -1.0, 0.5, 2.0, -0.0, float("nan"), float("inf"), float("-inf"), 1e30, -1e30,
                2.0**40, 1e-40, 3.0]
STRING_VALUES = [b"", b"x", b"1", b"-1", b"nan", b"abc\xff", b"\0\0\0\0", b"2147483648"]
DEFAULT_TYPES = [1, 2, 3, 9, 10, 4, 6]
RESOURCE, VARIANT = 20, 21

_ops = None


def ops():
    """(name, OpDef, registered dtype enums) of every kernel the target may pick, by name."""
    global _ops
    if _ops is None:
        from metarun import _core
        from metarun.framework import op_def as op_def_lib
        registry = _core.registered_kernels()
        defs = op_def_lib.builtin_op_defs()
        # WriteFile would write files named by the fuzzed strings into the working directory.
        skip = set(_core.host_ops()) | {"Print", "PrintV2", "WriteFile"}
        # Ops with a known finding, left out to look for others: METARUN_FUZZ_SKIP_OPS=A,B.
        skip |= set(filter(None, os.environ.get("METARUN_FUZZ_SKIP_OPS", "").split(",")))
        _ops = [(op, defs[op], list(registry[op])) for op in sorted(registry) if op not in skip and op in defs]
    return _ops


def _number_attrs(op_def):
    return {arg.number_attr for arg in list(op_def.input_arg) + list(op_def.output_arg) if arg.number_attr}


def _attrs(b, op_def, types):
    """The NodeDef attr map, or None when an attr cannot be made (func, tensor without default)."""
    from metarun.framework import protos
    attrs = protos.NodeDef().attr
    numbers = _number_attrs(op_def)
    for a in op_def.attr:
        v = attrs[a.name]
        if a.HasField("default_value") and b.bool():
            v.CopyFrom(a.default_value)
        elif a.type == "type":
            allowed = list(a.allowed_values.list.type)
            v.type = b.pick([t for t in types if t in allowed] or allowed or types or DEFAULT_TYPES)
        elif a.type == "list(type)":
            allowed = list(a.allowed_values.list.type) or types or DEFAULT_TYPES
            v.list.SetInParent()  # an empty list is still a value
            v.list.type.extend(b.pick(allowed) for _ in range(max(b.uint() % 4, a.minimum)))
        elif a.type == "int":
            v.i = b.uint() % 6 if a.name in numbers else b.pick(INT_ATTRS)
        elif a.type == "list(int)":
            v.list.SetInParent()
            v.list.i.extend(b.pick(LIST_INTS) for _ in range(b.uint() % 6))
        elif a.type == "float":
            v.f = b.pick(FLOAT_ATTRS)
        elif a.type == "bool":
            v.b = b.bool()
        elif a.type == "string":
            allowed = [s.decode() for s in a.allowed_values.list.s]
            v.s = b.pick(allowed or STRINGS).encode()
        elif a.type == "list(string)":
            v.list.SetInParent()
            v.list.s.extend([b"a"] * (b.uint() % 3))
        elif a.type == "shape":
            v.shape.SetInParent()
            if b.uint() % 8 == 0:
                v.shape.unknown_rank = True
            else:
                for _ in range(b.uint() % 5):
                    v.shape.dim.add().size = b.pick([-1, 0, 1, 2, 3, 4])
        elif a.HasField("default_value"):
            v.CopyFrom(a.default_value)
        else:
            return None
    return attrs


def _int_value(pick, dtype):
    bits = dtype.itemsize * 8
    signed = dtype.kind == "i"
    if pick == "min":
        pick = -2**(bits - 1) if signed else 0
    elif pick == "max":
        pick = 2**(bits - 1) - 1 if signed else 2**bits - 1
    # Wrapped to the dtype's width, as a cast in C would.
    return np.array(pick % 2**bits, dtype="u%d" % dtype.itemsize).view(dtype)[()]


def _array(b, enum):
    from metarun.framework import dtypes
    from op_harness import BF16
    shape = tuple(b.uint() % 5 for _ in range(b.uint() % 5))
    n = int(np.prod(shape, dtype=np.int64))
    if enum == 7:
        return np.array([b.pick(STRING_VALUES) for _ in range(n)], dtype=object).reshape(shape)
    if enum == 10:
        return np.array([b.bool() for _ in range(n)], dtype=bool).reshape(shape)
    dt = dtypes.as_dtype(enum)
    npdt = np.dtype(BF16) if enum == 14 else np.dtype(dt.as_numpy_dtype)
    if dt.is_integer:
        return np.array([_int_value(b.pick(INT_VALUES), npdt) for _ in range(n)], dtype=npdt).reshape(shape)
    with np.errstate(all="ignore"):
        if dt.is_complex:
            vals = [complex(b.pick(FLOAT_VALUES), b.pick(FLOAT_VALUES)) for _ in range(n)]
        else:
            vals = [b.pick(FLOAT_VALUES) for _ in range(n)]
        return np.array(vals, dtype=np.complex128 if dt.is_complex else np.float64).astype(npdt).reshape(shape)


def TestOneInput(data):  # noqa: N802 -- atheris' name
    from metarun.framework import dtypes, op_def as op_def_lib
    from metarun.framework.graph import attr_value_to_python
    from op_harness import Shape, run_op

    b = _fuzzlib.Bytes(data)
    op, op_def, types = b.pick(ops())
    attrs = _attrs(b, op_def, types)
    if attrs is None:
        return
    expected = _fuzzlib.expected_exceptions()
    try:
        ins = op_def_lib.input_types(op_def, attrs)
        outs = op_def_lib.output_types(op_def, attrs)
    except expected:
        return
    if any(t % 100 in (RESOURCE, VARIANT) for t in ins):
        return  # handles need the op that creates them
    arrays = [_array(b, t % 100) for t in ins]
    py_attrs = {}
    for name, value in attrs.items():
        kind = value.WhichOneof("value")
        if kind == "tensor":
            continue
        v = attr_value_to_python(value)
        if kind == "shape":  # TensorShape's unknown dims are None, the core's -1
            dims = getattr(v, "dims", None)  # an unknown rank may come back as None
            v = Shape(None if dims is None else [-1 if d is None else d for d in dims])
        py_attrs[name] = v
    try:
        run_op(op, arrays, py_attrs, [dtypes.as_dtype(t % 100) for t in outs])
    except expected:
        pass


if __name__ == "__main__":
    _fuzzlib.main("kernels", TestOneInput)
