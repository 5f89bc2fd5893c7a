"""tf.py_func / tf.numpy_function: a graph op (PyFunc, PyFuncStateless) that calls a Python
function of this process on its inputs' numpy values. The op carries only a token; the function
is found in this module's registry when the op runs, so a graph imported from a file can never
name a function its user did not register (TF's behaviour: the token is unknown there)."""

import itertools
import threading

import numpy as np

from metarun import errors
from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op
from metarun.ops.gradients_impl import NotDifferentiable

_lock = threading.Lock()
_funcs = {}
_uids = itertools.count()

NotDifferentiable("PyFunc")
NotDifferentiable("PyFuncStateless")


def _register(func):
    with _lock:
        token = "pyfunc_%d" % next(_uids)
        _funcs[token] = func
    return token


def py_func(func, inp, Tout, stateful=True, name=None):  # noqa: N803 -- TF's argument name
    """Runs `func(*numpy values of inp)` when the op runs; its results are cast to `Tout`."""
    if not callable(func):
        raise ValueError("Expected func to be callable. Received func=%s of type %s." % (func, type(func)))
    single = not isinstance(Tout, (list, tuple))
    types = [dtypes.as_dtype(t) for t in ([Tout] if single else Tout)]
    token = _register(func)
    out = apply_op("PyFunc" if stateful else "PyFuncStateless", input=list(inp), token=token, Tout=types,
                   name=name)
    if not types:
        return out  # the Operation, as TF returns it for no outputs
    if not isinstance(out, (list, tuple)):
        out = [out]
    if single:
        return out[0]
    return list(out)


numpy_function = py_func


def _run(node_name, attrs, inputs):
    token = attrs["token"].decode() if isinstance(attrs["token"], bytes) else attrs["token"]
    func = _funcs.get(token)
    if func is None:
        raise errors.UnknownError(None, None, "KeyError: 'Trying to call a function that was not registered: %s' "
                                  "(node %s)" % (token, node_name))
    types = [dtypes.as_dtype(t) for t in attrs.get("Tout", [])]
    try:
        result = func(*inputs)
    except errors.OpError:
        raise
    except Exception as e:  # noqa: BLE001 -- TF maps the Python exception to a status, by type
        code = _ERROR_CODES.get(type(e))
        for base, c in _ERROR_CODES.items():
            if code is None and isinstance(e, base):
                code = c
        message = "%s: %s" % (type(e).__name__, e)
        raise errors._error_from_code(code if code is not None else errors.UNKNOWN, message) from e
    if not types:
        return []
    results = list(result) if isinstance(result, (list, tuple)) else [result]
    if len(results) != len(types):
        raise errors.InvalidArgumentError(None, None, "pyfunc returns %d values, but expects to see %d values."
                                          % (len(results), len(types)))
    out = []
    for value, dt in zip(results, types):
        if dt == dtypes.string:
            out.append(np.asarray(value, dtype=object))
        else:
            out.append(np.asarray(value, dtype=dt.as_numpy_dtype))
    return out


_ERROR_CODES = {ValueError: errors.INVALID_ARGUMENT, TypeError: errors.INVALID_ARGUMENT,
                StopIteration: errors.OUT_OF_RANGE, IndexError: errors.OUT_OF_RANGE,
                MemoryError: errors.RESOURCE_EXHAUSTED, NotImplementedError: errors.UNIMPLEMENTED}


def _install():
    from metarun.framework import io_kernels
    io_kernels._HOST_OPS["PyFunc"] = _run
    io_kernels._HOST_OPS["PyFuncStateless"] = _run


_install()
