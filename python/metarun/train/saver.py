"""tf.compat.v1.train.Saver over metarun graphs.

A Saver restored from a MetaGraphDef reuses the graph's own save and restore
ops (`saver_def`), so renamed keys, var_list dicts and sharded savers behave
as the writer intended. A Saver built here emits the ops TF builds for the
same arguments: V2 (SaveV2, MergeV2Checkpoints when sharded) or V1 (SaveSlices
to one file, or one file per device named by ShardedFilename).
"""

import os
import time
from typing import Any, List, Optional, Union

import numpy as np

from metarun import errors, tf_logging
from metarun.framework import dtypes, protos
from metarun.framework import graph as graph_lib
from metarun.framework.tensor_shape import TensorShape
from metarun.framework.variables import Variable, prepend_name_scope, strip_name_scope
from metarun.train import checkpoint_management

_NOT_FOUND_HINT = ("Restoring from checkpoint failed. This is most likely due to a Variable name or other "
                   "graph key that is missing from the checkpoint. Please ensure that you have not altered "
                   "the graph expected based on the checkpoint. Original error:\n\n")
_MISMATCH_HINT = ("Restoring from checkpoint failed. This is most likely due to a mismatch between the "
                  "current graph and the graph from the checkpoint. Please ensure that you have not altered "
                  "the graph expected based on the checkpoint. Original error:\n\n")


# What TF logs (at WARNING) on every save in a format other than V2.
_V1_DEPRECATED = ("*******************************************************",
                  "TensorFlow's V1 checkpoint format has been deprecated.",
                  "Consider switching to the more efficient V2 format:",
                  "   `tf.train.Saver(write_version=tf.train.SaverDef.V2)`",
                  "now on by default.",
                  "*******************************************************")


class Saver(object):
    """Saves and restores variables through the graph's save/restore ops.

    Constructing a Saver adds TF's save and restore subgraph for `var_list` (all global
    saveable variables when None; a list, or a dict from checkpoint key to variable,
    partitioned variables included) to the graph, under the name scope `name` ("save"),
    in one shard or per device with `sharded`. With `saver_def` (as `import_meta_graph`
    does) no ops are added: the Saver drives the ones the SaverDef names. `max_to_keep`
    and `keep_checkpoint_every_n_hours` decide which older checkpoints `save` deletes;
    `write_version` 2 (SaverDef.V2) writes TensorBundle V2 files (`.index` + `.data-*`),
    1 (SaverDef.V1) one V1 file named by the prefix itself (sharded: `prefix-0000i-of-0000n`
    per device, and `save` returns `prefix-?????-of-0000n`); other values raise TypeError.
    `reshape`, `restore_sequentially`, `builder` and `defer_build` are accepted
    for TF's signature and have no effect. With no variables, `allow_empty=True` makes a
    Saver whose `save` and `restore` do nothing; otherwise ValueError is raised."""

    def __init__(self, var_list: Any = None, reshape: bool = False, sharded: bool = False,
                 max_to_keep: Optional[int] = 5, keep_checkpoint_every_n_hours: float = 10000.0,
                 name: Optional[str] = None, restore_sequentially: bool = False,
                 saver_def: Any = None, builder: Any = None, defer_build: bool = False,
                 allow_empty: bool = False, write_version: int = 2, pad_step_number: bool = False,
                 save_relative_paths: bool = False, filename: Optional[str] = None,
                 graph: Optional[graph_lib.Graph] = None) -> None:
        self._graph = graph or graph_lib.get_default_graph()
        self._pad_step_number = pad_step_number
        self._sharded = sharded
        self._save_relative_paths = save_relative_paths
        self._last_checkpoints = []  # (path, time saved), oldest first, at most max_to_keep
        self._checkpoints_to_be_deleted = []
        self._is_empty = False
        if saver_def is not None:
            self.saver_def = protos.SaverDef()
            self.saver_def.CopyFrom(saver_def)
            if name:
                for field in ("filename_tensor_name", "save_tensor_name", "restore_op_name"):
                    setattr(self.saver_def, field, prepend_name_scope(getattr(self.saver_def, field), name))
        else:
            variables = _saveables(var_list, self._graph)
            if not variables:
                if not allow_empty:
                    raise ValueError("No variables to save")
                self._is_empty = True
                self.saver_def = protos.SaverDef()
            else:
                if write_version not in (1, 2):  # TF fails here too (a TypeError building its message)
                    raise TypeError("Unexpected write_version: %r (SaverDef.V1 is 1, SaverDef.V2 is 2)"
                                    % (write_version,))
                self.saver_def = _build_saver_ops(self._graph, variables, filename or "model", sharded,
                                                  name or "save", write_version)
            self.saver_def.max_to_keep = max_to_keep if max_to_keep is not None else 0
            self.saver_def.keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
            self.saver_def.version = write_version
        self._next_keep_time = time.time() + self.saver_def.keep_checkpoint_every_n_hours * 3600

    # -- restore ------------------------------------------------------------------
    def restore(self, sess: Any, save_path: Union[str, "os.PathLike[str]"]) -> None:
        """Restores the Saver's variables in `sess` from the checkpoint prefix `save_path`.

        Runs the graph's restore op with the prefix fed to its filename tensor, so the
        variables get the checkpoint's values whatever their initial state (no initializer
        is needed first). V1 and V2 checkpoints are both read. A prefix with no checkpoint
        files raises ValueError; a variable missing from the checkpoint raises
        `NotFoundError`, and a dtype or shape that differs from the checkpoint's raises
        `InvalidArgumentError`, each with a hint on what to check. `save_path=None` raises
        ValueError.
        """
        if self._is_empty:
            return
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        save_path = os.fspath(save_path)
        if not checkpoint_management.checkpoint_exists(save_path):
            raise ValueError("The passed save_path is not a valid checkpoint: " + save_path)
        tf_logging.info("Restoring parameters from %s", save_path)  # INFO: silent by default, as in TF
        try:
            sess.run(self.saver_def.restore_op_name, {self.saver_def.filename_tensor_name: save_path})
        except errors.NotFoundError as err:
            raise errors.NotFoundError(err.node_def, err.op, _NOT_FOUND_HINT + err.message) from None
        except errors.InvalidArgumentError as err:
            raise errors.InvalidArgumentError(err.node_def, err.op, _MISMATCH_HINT + err.message) from None

    # -- save ---------------------------------------------------------------------
    def save(self, sess: Any, save_path: Union[str, "os.PathLike[str]"], global_step: Any = None,
             latest_filename: Optional[str] = None, meta_graph_suffix: str = "meta",
             write_meta_graph: bool = True, write_state: bool = True,
             strip_default_attrs: bool = False, save_debug_info: bool = False) -> Optional[str]:
        """Saves the Saver's variables' values in `sess` and returns the checkpoint prefix.

        The prefix is `save_path`, or `save_path-<step>` with `global_step` (an int, or a
        tensor or variable whose value is read in `sess`; zero-padded to 8 digits with
        `pad_step_number`). The files are written by the graph's save op, each to a temporary
        name and then renamed, so a reader never sees half a checkpoint. With `write_state`
        the `checkpoint` state file (`latest_filename`) in the prefix's directory is
        updated and checkpoints beyond `max_to_keep` are deleted (those kept by
        `keep_checkpoint_every_n_hours` excepted); with `write_meta_graph` the graph is
        exported next to it as `<prefix>.<meta_graph_suffix>`. A Saver with no variables
        saves nothing and returns None. A missing parent directory raises ValueError.
        """
        save_path = os.fspath(save_path)
        if latest_filename is None:
            latest_filename = "checkpoint"
        if self.saver_def.version != 2:
            for line in _V1_DEPRECATED:
                tf_logging.warning(line)
        if os.path.split(latest_filename)[0]:
            raise ValueError("'latest_filename' must not contain path components")
        if global_step is not None:
            if not isinstance(global_step, (int, np.integer)):
                global_step = int(sess.run(global_step))
            fmt = "%s-%08d" if self._pad_step_number else "%s-%d"
            checkpoint_file = fmt % (save_path, global_step)
        else:
            checkpoint_file = save_path
            # As TF: refused for every version (a V1 data file would overwrite the state file);
            # TF looks at the constructor's `sharded`, False for a Saver over an imported saver_def.
            if os.path.basename(save_path) == latest_filename and not self._sharded:
                raise ValueError("'latest_filename' collides with 'save_path': '%s' and '%s'"
                                 % (latest_filename, save_path))
        save_path_parent = os.path.dirname(save_path)
        if self._is_empty:
            return None
        try:
            model_checkpoint_path = sess.run(self.saver_def.save_tensor_name,
                                             {self.saver_def.filename_tensor_name: checkpoint_file})
        except errors.OpError:
            if save_path_parent and not os.path.isdir(save_path_parent):
                raise ValueError("Parent directory of %s doesn't exist, can't save." % save_path) from None
            raise
        if isinstance(model_checkpoint_path, (bytes, np.bytes_)):
            model_checkpoint_path = model_checkpoint_path.decode("utf-8")
        model_checkpoint_path = str(model_checkpoint_path)
        if write_state:
            self._record_last_checkpoint(model_checkpoint_path)
            checkpoint_management.update_checkpoint_state(
                save_path_parent, model_checkpoint_path, all_model_checkpoint_paths=self.last_checkpoints,
                latest_filename=latest_filename, save_relative_paths=self._save_relative_paths)
            self._maybe_delete_old_checkpoints(meta_graph_suffix)
        if write_meta_graph:
            meta_file = checkpoint_management.meta_graph_filename(checkpoint_file, meta_graph_suffix)
            self.export_meta_graph(meta_file, strip_default_attrs=strip_default_attrs)
        return model_checkpoint_path

    @property
    def last_checkpoints(self) -> List[str]:
        """The prefixes this Saver saved (or was told of) and has not deleted, oldest first."""
        return [p for p, _ in self._last_checkpoints]

    def set_last_checkpoints(self, last_checkpoints: List[str]) -> None:
        """Replaces the list of checkpoints this Saver tracks for `max_to_keep`."""
        # No save times known: TF keeps these rather than delete them.
        self._last_checkpoints = [(p, np.inf) for p in last_checkpoints]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time: list) -> None:
        """Replaces the tracked checkpoints with (prefix, time saved) pairs, oldest first."""
        self._last_checkpoints = list(last_checkpoints_with_time)

    def recover_last_checkpoints(self, checkpoint_paths: List[str]) -> None:
        """Track checkpoints a previous process saved, each with its own file's mtime;
        paths whose files are gone are dropped (they can no longer count against
        max_to_keep)."""
        with_times = []
        for path in checkpoint_paths:
            try:
                mtime = checkpoint_management.get_checkpoint_mtimes([path])
            except errors.NotFoundError:
                continue
            if mtime:
                with_times.append((path, mtime[0]))
        self.set_last_checkpoints_with_time(with_times)

    def _record_last_checkpoint(self, path):
        """TF's order: the checkpoint beyond max_to_keep leaves the list (and so
        the state file written next) before its files are deleted."""
        if not self.saver_def.max_to_keep:
            return
        self._last_checkpoints = [(p, t) for p, t in self._last_checkpoints if p != path]
        self._last_checkpoints.append((path, time.time()))
        if len(self._last_checkpoints) > self.saver_def.max_to_keep:
            self._checkpoints_to_be_deleted.append(self._last_checkpoints.pop(0))

    def _maybe_delete_old_checkpoints(self, meta_graph_suffix):
        while self._checkpoints_to_be_deleted:
            path, stamp = self._checkpoints_to_be_deleted.pop(0)
            if stamp > self._next_keep_time:  # keep_checkpoint_every_n_hours keeps this one
                self._next_keep_time += self.saver_def.keep_checkpoint_every_n_hours * 3600
                continue
            # Any version but V2 (V1, or LEGACY 0 from graphs of old TF) names one data file.
            checkpoint_management.remove_checkpoint(path, self.saver_def.version, meta_graph_suffix)

    def as_saver_def(self):
        """The SaverDef proto naming this Saver's filename tensor and save/restore ops."""
        return self.saver_def

    def to_proto(self, export_scope=None):
        saver_def = protos.SaverDef()
        saver_def.CopyFrom(self.saver_def)
        for field in ("filename_tensor_name", "save_tensor_name", "restore_op_name"):
            setattr(saver_def, field, strip_name_scope(getattr(saver_def, field), export_scope))
        return saver_def

    def export_meta_graph(self, filename=None, collection_list=None, as_text=False, export_scope=None,
                          clear_devices=False, clear_extraneous_savers=False, strip_default_attrs=False,
                          save_debug_info=False):
        from metarun.train import meta_graph
        return meta_graph.export_meta_graph(filename=filename, graph=self._graph, saver_def=self.saver_def,
                                            collection_list=collection_list, as_text=as_text,
                                            clear_devices=clear_devices)


def _saveables(var_list, graph):
    """(checkpoint key, slice spec, Variable) for each variable, sorted by key."""
    if var_list is None:
        var_list = graph.get_collection(graph_lib.GraphKeys.GLOBAL_VARIABLES) + \
            graph.get_collection(graph_lib.GraphKeys.SAVEABLE_OBJECTS)
    from metarun.ops.variable_scope import PartitionedVariable
    items = []  # (key, variable, whether its slice spec is saved)
    if isinstance(var_list, dict):
        for key, v in var_list.items():
            if isinstance(v, PartitionedVariable):  # every part under the dict's key, each its slice
                items.extend((key, part, True) for part in v)
            else:
                items.append((key, v, False))
    else:
        for v in var_list:
            if isinstance(v, PartitionedVariable):
                items.extend((part._save_slice_info.full_name, part, True) for part in v)
            elif isinstance(v, Variable) and v._save_slice_info is not None:
                items.append((v._save_slice_info.full_name, v, True))
            elif isinstance(v, Variable):
                items.append((v.op.name, v, False))
            elif hasattr(v, "specs") and hasattr(v, "restore"):  # a saveable (a mutable lookup table)
                items.extend((key, _SpecItem(v, i, tensor), False) for i, (tensor, _, key) in enumerate(v.specs))
    out = []
    for key, var, sliced in items:
        spec = ""
        info = getattr(var, "_save_slice_info", None)
        if sliced and info is not None:
            spec = " ".join(str(d) for d in info.full_shape) + " " + ":".join(
                "%d,%d" % (o, s) for o, s in zip(info.var_offset, info.var_shape))
        out.append((key, spec, var))
    out.sort(key=lambda item: item[0])
    return out


class _SpecItem(object):
    """One tensor of a saveable object (a table's keys or values), saved like a
    resource variable's value; restored through the object's `restore`."""
    _is_resource = True
    _save_slice_info = None

    def __init__(self, owner, index, tensor):
        self.owner = owner
        self.index = index
        self._snapshot = tensor
        self.dtype = tensor.dtype
        self.device = tensor.device


def _restore_ops(g, prefix, saveables, types, device):
    """RestoreV2 of `saveables` on `device` and one assignment per variable
    (TF's layout)."""
    from metarun.framework.op_builder import apply_op, constant
    keys = np.array([k.encode() for k, _, _ in saveables], dtype=object)
    specs = np.array([s.encode() for _, s, _ in saveables], dtype=object)
    with g.device(device), g.name_scope("RestoreV2") as scope:
        rnames = constant(keys, dtype=dtypes.string, name="tensor_names")
        rspecs = constant(specs, dtype=dtypes.string, name="shape_and_slices")
        restored = apply_op("RestoreV2", prefix=prefix, tensor_names=rnames, shape_and_slices=rspecs,
                            dtypes=types, name=scope)
    if not isinstance(restored, list):
        restored = [restored]
    assigns = []
    pending = {}  # saveable object -> its restored tensors so far
    for value, (_, _, var) in zip(restored, saveables):
        if isinstance(var, _SpecItem):
            got = pending.setdefault(id(var.owner), [None] * len(var.owner.specs))
            got[var.index] = value
            if all(t is not None for t in got):
                assigns.append(var.owner.restore(got, None))
        elif var._is_resource:
            ident = apply_op("Identity", input=value)
            assigns.append(apply_op("AssignVariableOp", resource=var.handle, value=ident))
        else:
            assigns.append(apply_op("Assign", ref=var._variable, value=value,
                                    validate_shape=var.get_shape().is_fully_defined(), use_locking=True).op)
    return assigns


def _save_op(g, prefix, saveables, version=2):
    """The save op of `saveables` (SaveV2 to the prefix `prefix`; V1: SaveSlices to the
    file `prefix`) and `prefix` again once it has run."""
    from metarun.framework.op_builder import apply_op, constant
    keys = np.array([k.encode() for k, _, _ in saveables], dtype=object)
    specs = np.array([s.encode() for _, s, _ in saveables], dtype=object)
    # A slice of a partitioned variable is saved through its snapshot (TF converts the Variable),
    # a whole ref variable through the variable itself.
    tensors = [v._snapshot if v._is_resource or spec else v._variable for _, spec, v in saveables]
    if version == 1:
        with g.name_scope("save") as scope:
            names_op = constant(keys, dtype=dtypes.string, name="tensor_names")
            specs_op = constant(specs, dtype=dtypes.string, name="shapes_and_slices")
            save = apply_op("SaveSlices", filename=prefix, tensor_names=names_op, shapes_and_slices=specs_op,
                            data=tensors, name=scope)
    else:
        with g.name_scope("SaveV2") as scope:
            names_op = constant(keys, dtype=dtypes.string, name="tensor_names")
            specs_op = constant(specs, dtype=dtypes.string, name="shape_and_slices")
            save = apply_op("SaveV2", prefix=prefix, tensor_names=names_op, shape_and_slices=specs_op,
                            tensors=tensors, name=scope)
    with g.name_scope("control_dependency") as scope, g.colocate_with(prefix.op), \
            g.control_dependencies([save]):
        return apply_op("Identity", input=prefix, name=scope)


def _cpu0(device):
    """The CPU:0 of a device's job/replica/task (where TF runs a shard's IO)."""
    return graph_lib.merge_devices(device, "/device:CPU:0")


def _shard_filename(g, basename, index, num_shards):
    from metarun.framework.op_builder import apply_op, constant
    with g.name_scope("ShardedFilename") as scope:
        shard = constant(index, dtype=dtypes.int32, name="shard")
        return apply_op("ShardedFilename", basename=basename, shard=shard, num_shards=num_shards, name=scope)


def _sharded_save_v2(g, prefix, shards):
    """Each device's shard written as a V2 checkpoint under a temporary prefix, merged
    into `prefix`; returns `prefix` once merged (TF's V2 layout: IO on each device's
    CPU:0, the merge on the last shard's)."""
    from metarun.framework.op_builder import apply_op, constant
    with g.device("CPU"):
        is_s3 = apply_op("StaticRegexFullMatch", input=prefix, pattern="^s3://.*")
        suffix = apply_op("Select", condition=is_s3, t=constant(".part", dtype=dtypes.string),
                          e=constant("_temp/part", dtype=dtypes.string))
        tmp_prefix = apply_op("StringJoin", inputs=[prefix, suffix], separator="")
    num_shards = constant(len(shards), dtype=dtypes.int32, name="num_shards")
    shard_prefixes, shard_saves = [], []
    for i, (device, items) in enumerate(shards):
        with g.device(_cpu0(device)):
            shard_prefix = _shard_filename(g, tmp_prefix, i, num_shards)
            shard_prefixes.append(shard_prefix)
            shard_saves.append(_save_op(g, shard_prefix, items))
    with g.control_dependencies([t.op for t in shard_saves]):
        with g.device(_cpu0(shards[-1][0])):
            with g.name_scope("MergeV2Checkpoints") as scope:
                packed = apply_op("Pack", values=shard_prefixes, axis=0, name="checkpoint_prefixes")
                merge = apply_op("MergeV2Checkpoints", checkpoint_prefixes=packed,
                                 destination_prefix=prefix, delete_old_dirs=True, name=scope)
            with g.control_dependencies([merge]):
                return apply_op("Identity", input=prefix)


def _sharded_save_v1(g, prefix, shards):
    """Each device's shard written by SaveSlices to its own file `prefix-0000i-of-0000n`;
    returns the pattern `prefix-?????-of-0000n` naming them all. TF places a V1 shard's
    ops on the variables' device itself, not its CPU:0, and merges nothing."""
    from metarun.framework.op_builder import apply_op, constant
    num_shards = constant(len(shards), dtype=dtypes.int32, name="num_shards")
    shard_saves = []
    for i, (device, items) in enumerate(shards):
        with g.device(device):
            shard_saves.append(_save_op(g, _shard_filename(g, prefix, i, num_shards), items, version=1))
    with g.control_dependencies([t.op for t in shard_saves]):
        return apply_op("ShardedFilespec", basename=prefix, num_shards=num_shards)


def _build_saver_ops(g, saveables, filename, sharded=False, name="save", version=2):
    """Emit TF's save/restore ops (one shard per device when `sharded`) for checkpoint
    format `version` (1 or 2); return the SaverDef. The two formats differ on the save
    side only: both restore through RestoreV2, which reads either."""
    from metarun.framework.op_builder import apply_op, constant
    from metarun.ops.control_flow_ops import group
    types = [v.dtype.base_dtype for _, _, v in saveables]
    with g.as_default(), g.name_scope(name):
        with g.name_scope("filename") as scope:
            name_input = constant(filename, dtype=dtypes.string, name="input")
            fname = apply_op("PlaceholderWithDefault", input=name_input, shape=TensorShape([]), name=scope)
        prefix = apply_op("PlaceholderWithDefault", input=fname, shape=TensorShape([]), name="Const")
        if not sharded:
            save_tensor = _save_op(g, prefix, saveables, version)
            restore_all = group(*_restore_ops(g, prefix, saveables, types, "/device:CPU:0"), name="restore_all")
        else:
            shards = {}
            for item in saveables:
                shards.setdefault(item[2].device, []).append(item)
            shards = sorted(shards.items())
            if version == 1:
                save_tensor = _sharded_save_v1(g, prefix, shards)
            else:
                save_tensor = _sharded_save_v2(g, prefix, shards)
            restores = []
            for device, items in shards:
                with g.device(device):
                    assigns = _restore_ops(g, prefix, items, [v.dtype.base_dtype for _, _, v in items],
                                           _cpu0(device))
                    with g.control_dependencies(assigns):
                        restores.append(apply_op("NoOp", name="restore_shard"))
            restore_all = group(*restores, name="restore_all")
    saver_def = protos.SaverDef()
    saver_def.filename_tensor_name = prefix.name
    saver_def.save_tensor_name = save_tensor.name
    saver_def.restore_op_name = restore_all.name
    saver_def.sharded = sharded
    return saver_def
