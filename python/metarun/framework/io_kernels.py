"""The host kernels: the checkpoint IO ops, run by the executor through a
Python callback.

RestoreV2, SaveV2, MergeV2Checkpoints and the V1 Restore/RestoreSlice and
SaveSlices/Save read and write files with `metarun.bundle`. The core's
registry lists them as host ops (`_core.host_ops()`); for each execution the
executor calls `run_host_op` with the node's attrs (converted once per
kernel) and its inputs as numpy arrays, and takes back its outputs.
"""

import numpy as np

import glob
import importlib
import os
import threading

from metarun import _core, errors
from metarun.framework import dtypes


def _text(value):
    value = value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _texts(array):
    return [_text(v) for v in np.asarray(array, dtype=object).reshape(-1)]


# -- the checkpoint files an op would touch, checked before it touches any -------------

def _shards(prefix):
    """The data files of V2 checkpoint `prefix` that exist (at least the one-shard name)."""
    found = glob.glob(glob.escape(prefix) + ".data-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]")
    return found or [prefix + ".data-00000-of-00001"]


def _check_pattern_read(pattern):
    """A V2 prefix or a V1 file pattern: its index and data files, or the glob's
    folder and every file it matches."""
    if not guarded():
        return
    check_read(pattern + ".index")
    for shard in _shards(pattern):
        check_read(shard)
    base = _core.glob_base(pattern)
    check_read(base)
    for path in glob.glob(pattern):
        check_read(path)


def _check_prefix_write(prefix):
    if guarded():
        check_write(prefix + ".index")
        check_write(prefix + ".data-00000-of-00001")
        check_write(prefix)  # the temporary files, named after it


def _restore_v2(node_name, attrs, inputs):
    from metarun import bundle
    prefix, names, specs = inputs
    names, specs = _texts(names), _texts(specs)
    types = attrs.get("dtypes", [])
    if not (len(names) == len(specs) == len(types)):
        raise errors.InvalidArgumentError(None, None, "Number of tensor names (%d), shape_and_slices (%d) "
                                          "and dtypes (%d) differ" % (len(names), len(specs), len(types)))
    _check_pattern_read(_text(prefix))
    return bundle.restore_v2(_text(prefix), names, specs, types)


def _save_v2(node_name, attrs, inputs):
    from metarun import bundle
    prefix, names, specs = inputs[:3]
    types = attrs.get("dtypes", [])
    _check_prefix_write(_text(prefix))
    bundle.save_v2(_text(prefix), _texts(names), _texts(specs), _bfloat16_views(inputs[3:], types), types)


def _merge_v2(node_name, attrs, inputs):
    from metarun import bundle
    prefixes, dest = inputs
    if guarded():
        for source in _texts(prefixes):
            check_write(source + ".index")
            for shard in _shards(source):
                check_write(shard)
            if attrs.get("delete_old_dirs", True):
                check_write(os.path.dirname(os.path.abspath(source)))
        _check_prefix_write(_text(dest))
    bundle.merge_v2_checkpoints(_texts(prefixes), _text(dest), bool(attrs.get("delete_old_dirs", True)),
                                bool(attrs.get("allow_missing_files", False)))


def _restore_slice(node_name, attrs, inputs, sliced=True):
    from metarun import bundle
    pattern, name = _text(inputs[0]), _text(inputs[1])
    spec = _text(inputs[2]) if sliced else ""
    _check_pattern_read(pattern)
    return [bundle.restore_slice(pattern, name, spec, attrs["dt"], attrs.get("preferred_shard", -1))]


def _save_slices(node_name, attrs, inputs, sliced=True):
    from metarun.bundle import io_ops
    fixed = 3 if sliced else 2
    filename = np.asarray(inputs[0], dtype=object)
    if filename.size != 1:
        raise errors.InvalidArgumentError(None, None, "Input 0 (filename) must be a string scalar; got a "
                                          "tensor of %d elements" % filename.size)
    names = _texts(inputs[1])
    specs = None
    if sliced:
        specs = _texts(inputs[2])
        if len(specs) != len(names):
            raise errors.InvalidArgumentError(None, None, "Expected %d elements for the tensor shapes and "
                                              "slices but got %d" % (len(names), len(specs)))
    data = list(inputs[fixed:])
    if len(data) != len(names):
        raise errors.InvalidArgumentError(
            None, None, "Expected totally %d inputs as input #1 (which is a string tensor of saved names) "
            "contains %d names, but received %d inputs" % (len(names) + fixed, len(names), len(inputs)))
    types = [int(t) for t in attrs.get("T", [])]
    if guarded():
        check_write(_text(filename.reshape(-1)[0]))
    io_ops.save_slices(_text(filename.reshape(-1)[0]), names, specs, _bfloat16_views(data, types), types)


def _bfloat16_views(arrays, types):
    """The core hands bfloat16 over as raw uint16 bits."""
    return [t.view(dtypes.bfloat16.as_numpy_dtype) if dt == 14 else t for t, dt in zip(arrays, types)]


_HOST_OPS = {
    "RestoreV2": _restore_v2,
    "SaveV2": _save_v2,
    "MergeV2Checkpoints": _merge_v2,
    "RestoreSlice": _restore_slice,
    "Restore": lambda name, attrs, inputs: _restore_slice(name, attrs, inputs, sliced=False),
    "SaveSlices": _save_slices,
    "Save": lambda name, attrs, inputs: _save_slices(name, attrs, inputs, sliced=False),
}

# The other host kernels' tables, imported when an op not in _HOST_OPS first runs: most
# programs never decode an image or write a summary, and these modules cost a tenth of
# `import metarun`.
_MORE_HOST_OPS = ("summary_kernels", "parsing_kernels", "image_codec_kernels")
_more_lock = threading.Lock()
_more_loaded = False


def _load_more_host_ops():
    global _more_loaded
    with _more_lock:
        if not _more_loaded:
            for name in _MORE_HOST_OPS:
                table = importlib.import_module("metarun.framework." + name).HOST_OPS
                for op, fn in table.items():
                    _HOST_OPS.setdefault(op, fn)
            _more_loaded = True


# Host kernels their op module installs (py_func's function registry lives there).
_HOST_OP_MODULES = {"PyFunc": "metarun.ops.script_ops", "PyFuncStateless": "metarun.ops.script_ops"}


_guard = threading.local()


def _check(path, write):
    guard = getattr(_guard, "current", None)
    if guard is not None:
        message = guard.check(os.fsdecode(path), write)
        if message is not None:
            raise errors.PermissionDeniedError(None, None, message)


def check_read(path):
    """Raises PermissionDeniedError unless the running host op's policy lets it read `path`."""
    _check(path, False)


def check_write(path):
    """Raises PermissionDeniedError unless the running host op's policy lets it write `path`."""
    _check(path, True)


def guarded():
    """Whether the running host op is under an IoPolicy."""
    return getattr(_guard, "current", None) is not None


def run_host_op(op, node_name, attrs, inputs, guard=None):
    """Runs host op `op` of node `node_name`: a list of output arrays, or None.
    `guard` (a _core.FileGuard) is the run's IoPolicy, which the file-touching
    ops ask before they act; None: no policy."""
    if guard is not None:
        outer = getattr(_guard, "current", None)
        _guard.current = guard
        try:
            return _run_host_op(op, node_name, attrs, inputs)
        finally:
            _guard.current = outer
    return _run_host_op(op, node_name, attrs, inputs)


def _run_host_op(op, node_name, attrs, inputs):
    fn = _HOST_OPS.get(op)
    if fn is None and op in _HOST_OP_MODULES:
        importlib.import_module(_HOST_OP_MODULES[op])
        fn = _HOST_OPS.get(op)
    if fn is None and not _more_loaded:
        _load_more_host_ops()
        fn = _HOST_OPS.get(op)
    if fn is None:
        raise errors.UnimplementedError(None, None, "metarun has no host kernel for op %s (node %s)"
                                        % (op, node_name))
    return fn(node_name, attrs, inputs)
