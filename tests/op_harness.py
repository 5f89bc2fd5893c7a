"""Run one op through a real metarun Session, for kernel tests.

`run_op("AddV2", [a, b], {"T": dtypes.float32})` builds a two-node-deep graph
(one Placeholder per input, fed with the arrays) and returns the op's outputs
as numpy arrays. Kernel tests compare these with numpy or TF-made fixtures.
"""
import numpy as np

from metarun import _core
from metarun.framework import dtypes


class Shape(object):
    """Marks an attr value as a shape (None = unknown rank, -1 = unknown dim)."""

    def __init__(self, dims):
        self.dims = dims


class Func(object):
    def __init__(self, name):
        self.name = name


def _tag(value):
    if isinstance(value, dtypes.DType):
        return ("type", value.as_datatype_enum)
    if isinstance(value, Shape):
        return ("shape", None if value.dims is None else list(value.dims))
    if isinstance(value, Func):
        return ("func", value.name)
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, np.integer)):
        return ("i", int(value))
    if isinstance(value, (float, np.floating)):
        return ("f", float(value))
    if isinstance(value, str):
        return ("s", value.encode())
    if isinstance(value, bytes):
        return ("s", value)
    if isinstance(value, np.ndarray):
        dt = dtypes.as_dtype(value.dtype)
        arr = value if dt != dtypes.string else np.asarray(value, dtype=object)
        return ("tensor", (np.require(arr, requirements="C"), dt.as_datatype_enum))
    if isinstance(value, (list, tuple)):
        if not value:
            return ("list", {})
        kind = _tag(value[0])[0]
        return ("list", {kind: [_tag(v)[1] for v in value]})
    raise TypeError("cannot tag attr value %r" % (value,))


def _dtype_of(arr):
    arr = np.asarray(arr)
    if arr.dtype.kind in "SUO":
        return dtypes.string
    return dtypes.as_dtype(arr.dtype)


def run_op(op_type, inputs, attrs=None, out_dtypes=None, num_threads=1):
    """Runs `op_type` on `inputs`; returns a list of output arrays.

    `out_dtypes` defaults to one output of the first input's dtype.
    Raises metarun._core.StatusError on kernel failure (args: code, message, node).
    """
    g = _core.Graph()
    feeds, values = [], []
    for i, x in enumerate(inputs):
        dt = _dtype_of(x)
        arr = np.asarray(x, dtype=object) if dt == dtypes.string else np.require(x, requirements="C")
        idx = g.add_node("in%d" % i, "Placeholder", "", [], [], {"dtype": ("type", dt.as_datatype_enum)},
                         [dt.as_datatype_enum])
        feeds.append((idx, 0))
        values.append((arr, dt.as_datatype_enum))
    if out_dtypes is None:
        out_dtypes = [_dtype_of(inputs[0])]
    tagged = {k: _tag(v) for k, v in (attrs or {}).items()}
    op = g.add_node("op", op_type, "", feeds, [], tagged, [dtypes.as_dtype(d).as_datatype_enum for d in out_dtypes])
    sess = _core.Session(g, num_threads)
    # An op without outputs (SaveV2) runs as a target.
    outs = sess.run(feeds, values, [(op, k) for k in range(len(out_dtypes))], [] if out_dtypes else [op])
    result = []
    for arr, dt in zip(outs, out_dtypes):
        if dtypes.as_dtype(dt) == dtypes.bfloat16:
            arr = arr.view(dtypes.bfloat16.as_numpy_dtype)
        result.append(arr)
    return result


def status_code(exc):
    """The TF error code carried by a _core.StatusError."""
    return exc.args[0]
