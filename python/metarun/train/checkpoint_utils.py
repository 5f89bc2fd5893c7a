"""Reading checkpoints by variable name: `list_variables`, `load_variable`,
`NewCheckpointReader`, as `tf.compat.v1.train` has them.

A directory or a prefix is accepted: a directory means the newest checkpoint
its state file names. Slice entries of partitioned variables are hidden; the
variable appears under its full name and full shape.
"""

import os

from metarun.train import checkpoint_management


def NewCheckpointReader(filepattern):  # noqa: N802 -- TF's public name
    """A reader with get_tensor, has_tensor, get_variable_to_shape_map,
    get_variable_to_dtype_map and debug_string."""
    from metarun.bundle.reader import CheckpointReader  # the bundle code loads on first use
    return CheckpointReader(filepattern)


def _checkpoint_filename(ckpt_dir_or_file):
    path = os.fspath(ckpt_dir_or_file)
    if isinstance(path, bytes):
        path = path.decode("utf-8")
    if os.path.isdir(path):
        return checkpoint_management.latest_checkpoint(path)
    return path


def load_checkpoint(ckpt_dir_or_file):
    """A CheckpointReader for a checkpoint prefix or the newest one in a directory."""
    filename = _checkpoint_filename(ckpt_dir_or_file)
    if filename is None:
        raise ValueError("Couldn't find 'checkpoint' file or checkpoints in given directory %s"
                         % ckpt_dir_or_file)
    return NewCheckpointReader(filename)


def load_variable(ckpt_dir_or_file, name):
    """The value of variable `name` (a trailing ":0" is ignored, as in TF)."""
    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)


def list_variables(ckpt_dir_or_file):
    """Sorted [(name, shape list)] of every variable in the checkpoint."""
    shapes = load_checkpoint(ckpt_dir_or_file).get_variable_to_shape_map()
    return [(name, shapes[name]) for name in sorted(shapes)]


# -- initializing variables from a checkpoint ------------------------------------------------------

def init_from_checkpoint(ckpt_dir_or_file, assignment_map):
    """Replaces the initializers of variables by restores from a checkpoint (TF1's warm start).

    `assignment_map` maps checkpoint names to current variables: 'ckpt/name': 'current/name' (or a
    Variable, or a list of a partitioned variable's parts), or scope to scope,
    'ckpt_scope/': 'current_scope/' ('/' for the root). Running the variables' initializers then
    loads the checkpoint's values.
    """
    from metarun.ops import variable_scope as vs
    ckpt_file = _checkpoint_filename(ckpt_dir_or_file)
    reader = load_checkpoint(ckpt_dir_or_file)
    shapes = reader.get_variable_to_shape_map()
    items = assignment_map.items() if hasattr(assignment_map, "items") else assignment_map
    store_vars = vs._get_default_variable_store()._vars
    for ckpt_name, current in sorted(items, key=lambda pair: pair[0]):
        if _is_variable(current) or (isinstance(current, list) and all(_is_variable(v) for v in current)):
            var = current
        else:
            var = store_vars.get(current)
            if var is None:
                var = _partitioned_parts(current, store_vars)
        if var is not None:
            if ckpt_name not in shapes:
                raise ValueError("Tensor %s is not found in %s checkpoint %s" % (ckpt_name, ckpt_dir_or_file, shapes))
            if _is_variable(var) and not var.get_shape().is_compatible_with(_shape(shapes[ckpt_name])):
                raise ValueError("Shape of variable %s (%s) doesn't match with shape of tensor %s (%s) from "
                                 "checkpoint reader." % (var.name, var.get_shape(), ckpt_name, shapes[ckpt_name]))
            _set_initializer(var, ckpt_file, ckpt_name)
            continue
        scopes = current[:current.rindex("/")] if "/" in current else ""
        if not ckpt_name.endswith("/"):
            raise ValueError("Assignment map with scope only name {} should map to scope only {}. Should be "
                             "'scope/': 'other_scope/'.".format(scopes, ckpt_name))
        in_scope = set()
        for name in store_vars:
            if not scopes or name.startswith(scopes + "/"):
                in_scope.add(name[:name.index("/part_")] if "/part_" in name else name)
        for name in sorted(in_scope):
            full = name[len(scopes):]
            if current != "/":
                full = full[1:]
            if ckpt_name != "/":
                full = ckpt_name + full
            if full.endswith("/"):
                full = full[:-1]
            if full not in shapes:
                raise ValueError("Tensor %s (%s in %s) is not found in %s checkpoint"
                                 % (full, name[len(scopes) + 1:], ckpt_name, ckpt_dir_or_file))
            var = store_vars.get(name)
            _set_initializer(var if var is not None else _partitioned_parts(name, store_vars), ckpt_file, full)


def _is_variable(v):
    from metarun.framework.variables import Variable
    return isinstance(v, Variable)


def _shape(dims):
    from metarun.framework.tensor_shape import TensorShape
    return TensorShape(dims)


def _partitioned_parts(name, store_vars):
    if name + "/part_0" not in store_vars:
        return None
    parts, i = [], 0
    while name + "/part_%d" % i in store_vars:
        parts.append(store_vars[name + "/part_%d" % i])
        i += 1
    return parts


def _set_initializer(var, ckpt_file, tensor_name):
    if isinstance(var, (list, tuple)):
        full_name = None
        for part in var:
            info = part._save_slice_info
            if full_name is None:
                full_name = info.full_name
            elif full_name != info.full_name:
                raise ValueError("Slices must all be from the same tensor: %s != %s" % (full_name, info.full_name))
            spec = " ".join(str(d) for d in info.full_shape) + " " + ":".join(
                "%d,%d" % (o, s) for o, s in zip(info.var_offset, info.var_shape))
            _set_checkpoint_initializer(part, ckpt_file, tensor_name, spec)
    else:
        _set_checkpoint_initializer(var, ckpt_file, tensor_name, "")


def _set_checkpoint_initializer(var, ckpt_file, tensor_name, slice_spec):
    """The variable's initializer becomes an assignment of a RestoreV2 (on the CPU) of the tensor."""
    import numpy as np

    from metarun.framework import dtypes
    from metarun.framework import graph as graph_lib
    from metarun.framework.op_builder import apply_op, constant
    g = graph_lib.get_default_graph()
    dtype = var.dtype.base_dtype
    with g.device(var.device), g.device("/cpu:0"), g.name_scope("checkpoint_initializer") as scope:
        prefix = constant(ckpt_file, dtype=dtypes.string, name="prefix")
        names = constant(np.array([tensor_name.encode()], dtype=object), dtype=dtypes.string, name="tensor_names")
        specs = constant(np.array([slice_spec.encode()], dtype=object), dtype=dtypes.string,
                         name="shape_and_slices")
        restored = apply_op("RestoreV2", prefix=prefix, tensor_names=names, shape_and_slices=specs,
                            dtypes=[dtype], name=scope)
    restored = restored[0] if isinstance(restored, (list, tuple)) else restored
    if var._is_resource:
        value = apply_op("Identity", input=restored)
        init = apply_op("AssignVariableOp", resource=var.handle, value=value)
    else:
        init = apply_op("Assign", ref=var._variable, value=restored,
                        validate_shape=var.get_shape().is_fully_defined()).op
    var._initializer_op = init
    restored.set_shape(var.shape)
    var._initial_value = restored


def checkpoints_iterator(checkpoint_dir, min_interval_secs=0, timeout=None, timeout_fn=None):
    """Yields each new checkpoint of `checkpoint_dir` as it appears (waiting up to `timeout`
    seconds for the next one; then `timeout_fn()` decides whether to keep waiting)."""
    import time
    checkpoint_path = None
    while True:
        new_path = _wait_for_new_checkpoint(checkpoint_dir, checkpoint_path, timeout=timeout)
        if new_path is None:
            if not timeout_fn:
                return
            if timeout_fn():
                return
            continue
        start = time.time()
        checkpoint_path = new_path
        yield checkpoint_path
        time_to_next_eval = start + min_interval_secs - time.time()
        if time_to_next_eval > 0:
            time.sleep(time_to_next_eval)


def _wait_for_new_checkpoint(checkpoint_dir, last_checkpoint=None, seconds_to_sleep=1, timeout=None):
    import time
    stop_time = time.time() + timeout if timeout is not None else None
    while True:
        path = checkpoint_management.latest_checkpoint(checkpoint_dir)
        if path is None or path == last_checkpoint:
            if stop_time is not None and time.time() + seconds_to_sleep > stop_time:
                return None
            time.sleep(seconds_to_sleep)
        else:
            return path
