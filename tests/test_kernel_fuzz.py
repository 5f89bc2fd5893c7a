"""Every registered kernel, fed random shapes and values under its op's
signature, either runs or returns a typed error: no crash, no other exception.
(A crash takes the test process down, which fails the run.)"""
import numpy as np

from metarun import _core
from metarun.framework import dtypes, op_def as op_def_lib, protos
from metarun.framework.graph import attr_value_to_python

from op_harness import Shape, run_op

TRIALS = 4


def _random_array(rng, enum):
    dt = dtypes.as_dtype(enum)
    shape = tuple(rng.randint(0, 4) for _ in range(rng.randint(0, 4)))
    if enum == 7:
        return np.array([b"x"] * int(np.prod(shape)), dtype=object).reshape(shape)
    if dt.is_integer:
        return np.asarray(rng.randint(-3, 6, size=shape)).astype(dt.as_numpy_dtype)
    if enum == 10:
        return np.asarray(rng.rand(*shape) > 0.5)
    if dt.is_complex:
        return np.asarray(rng.randn(*shape)).astype(dt.as_numpy_dtype)
    return np.asarray(rng.randn(*shape)).astype(np.float32).astype(dt.as_numpy_dtype)


def _attrs(rng, op_def, registered_types):
    attrs = protos.NodeDef().attr
    for a in op_def.attr:
        if a.HasField("default_value"):
            attrs[a.name].CopyFrom(a.default_value)
        elif a.type == "type":
            allowed = list(a.allowed_values.list.type) or [1, 3, 9, 2]
            choices = [t for t in registered_types if t in allowed] or allowed
            attrs[a.name].type = int(rng.choice(choices))
        elif a.type == "int":
            attrs[a.name].i = int(rng.randint(1, 3))
        elif a.type == "list(type)":
            attrs[a.name].list.type.extend([1, 3])
        elif a.type == "float":
            attrs[a.name].f = 0.5
        elif a.type == "bool":
            attrs[a.name].b = bool(rng.randint(2))
        elif a.type == "list(int)":
            attrs[a.name].list.i.extend([1, 1, 1, 1])
        elif a.type == "string":
            attrs[a.name].s = b""
    return attrs


def test_random_inputs_give_results_or_typed_errors():
    rng = np.random.RandomState(0)
    registry = _core.registered_kernels()
    ran = failed = 0
    for op in sorted(registry):
        op_def = op_def_lib.builtin_op_defs().get(op)
        # WriteFile would write files named by its random inputs into the working directory.
        if op in _core.host_ops() or op in ("Print", "PrintV2", "WriteFile") or op_def is None:
            continue
        for _ in range(TRIALS):
            attrs = _attrs(rng, op_def, registry[op])
            try:
                ins = op_def_lib.input_types(op_def, attrs)
                outs = op_def_lib.output_types(op_def, attrs)
            except (ValueError, KeyError):
                continue
            if any(t % 100 == 20 for t in ins):
                continue  # resource handles need their creating op
            arrays = [_random_array(rng, t % 100) for t in ins]
            py_attrs = {}
            for name, value in attrs.items():
                if value.WhichOneof("value") == "tensor":
                    continue
                v = attr_value_to_python(value)
                py_attrs[name] = Shape(v.dims) if value.WhichOneof("value") == "shape" else v
            try:
                run_op(op, arrays, py_attrs, [dtypes.as_dtype(t % 100) for t in outs])
                ran += 1
            except _core.StatusError:
                failed += 1
    assert ran > 300 and failed > 0  # the fuzz reached kernels on both paths
