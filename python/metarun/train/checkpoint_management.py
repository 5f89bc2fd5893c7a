"""The `checkpoint` state file and checkpoint paths, as `tf.compat.v1.train` has them.

The state file is a text-format CheckpointState listing the newest
checkpoint and the ones still kept (FORMATS.md 2.7). Paths inside it are
stored as given, or relative to the save directory when that directory was
given as a relative path, and are joined back onto the directory on reading.
"""

import glob
import logging
import os
import re

from metarun.framework import protos

_log = logging.getLogger("metarun")

_SHARD_SUFFIX = re.compile(r"-[\d\?]+-of-\d+$")


def _checkpoint_filename(save_dir, latest_filename):
    return os.path.join(save_dir, latest_filename or "checkpoint")


def _matches(pattern):
    return bool(glob.glob(pattern))


def _fspath(path):
    path = os.fspath(path)
    return path.decode("utf-8") if isinstance(path, bytes) else path


def generate_checkpoint_state_proto(save_dir, model_checkpoint_path,
                                   all_model_checkpoint_paths=None,
                                   all_model_checkpoint_timestamps=None,
                                   last_preserved_timestamp=None):
    """Build the CheckpointState that update_checkpoint_state writes."""
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        # The newest checkpoint is always listed last.
        paths.append(model_checkpoint_path)
    if all_model_checkpoint_timestamps and \
            len(all_model_checkpoint_timestamps) != len(paths):
        raise ValueError("Checkpoint timestamps, if provided, must match checkpoint paths (%d "
                         "vs %d)" % (len(all_model_checkpoint_timestamps), len(paths)))
    # A relative save_dir means the caller works with relative paths: store
    # them relative to that directory, so the state file moves with it.
    if not os.path.isabs(save_dir):
        if not os.path.isabs(model_checkpoint_path):
            model_checkpoint_path = os.path.relpath(model_checkpoint_path, save_dir)
        paths = [p if os.path.isabs(p) else os.path.relpath(p, save_dir) for p in paths]
    state = protos.CheckpointState()
    state.model_checkpoint_path = model_checkpoint_path
    state.all_model_checkpoint_paths.extend(paths)
    if all_model_checkpoint_timestamps:
        state.all_model_checkpoint_timestamps.extend(all_model_checkpoint_timestamps)
    if last_preserved_timestamp is not None:
        state.last_preserved_timestamp = last_preserved_timestamp
    return state


def _atomic_write(path, text):
    """Write (text or bytes) then rename, so readers never see a half-written file."""
    tmp = path + ".tmp" + os.urandom(16).hex()
    try:
        with open(tmp, "wb" if isinstance(text, bytes) else "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None,
                            latest_filename=None, save_relative_paths=False,
                            all_model_checkpoint_timestamps=None,
                            last_preserved_timestamp=None):
    """Write `save_dir/checkpoint` (or `latest_filename`) atomically."""
    save_dir = _fspath(save_dir)
    model_checkpoint_path = _fspath(model_checkpoint_path)
    paths = [_fspath(p) for p in (all_model_checkpoint_paths or [])]
    if save_relative_paths:
        def rel(p):
            return os.path.relpath(p, save_dir) if os.path.isabs(p) else p
        model_checkpoint_path = rel(model_checkpoint_path)
        paths = [rel(p) for p in paths]
    state = generate_checkpoint_state_proto(
        save_dir, model_checkpoint_path, paths,
        all_model_checkpoint_timestamps=all_model_checkpoint_timestamps,
        last_preserved_timestamp=last_preserved_timestamp)
    state_file = _checkpoint_filename(save_dir, latest_filename)
    if state_file == state.model_checkpoint_path:
        raise RuntimeError("Save path '%s' conflicts with path used for checkpoint state.  "
                           "Please use a different save path." % model_checkpoint_path)
    _atomic_write(state_file, protos.to_text(state))


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The CheckpointState in `checkpoint_dir`, paths joined onto the directory.

    Returns None when there is no state file or it cannot be parsed (with a
    warning); raises ValueError when it names no checkpoint.
    """
    checkpoint_dir = _fspath(checkpoint_dir)
    state_file = _checkpoint_filename(checkpoint_dir, latest_filename)
    if not os.path.isfile(state_file):
        return None
    from google.protobuf import text_format
    try:
        with open(state_file, "rb") as f:
            text = f.read().decode("utf-8")
        state = protos.parse_text(text, protos.CheckpointState)
    except (OSError, UnicodeDecodeError, text_format.ParseError) as e:
        # An unreadable state file means "no checkpoint", as in TF.
        _log.warning("%s: %s", type(e).__name__, e)
        _log.warning("%s: Checkpoint ignored", state_file)
        return None
    if not state.model_checkpoint_path:
        raise ValueError("Invalid checkpoint state loaded from " + checkpoint_dir)
    if not os.path.isabs(state.model_checkpoint_path):
        state.model_checkpoint_path = os.path.join(checkpoint_dir, state.model_checkpoint_path)
    for i, p in enumerate(state.all_model_checkpoint_paths):
        if not os.path.isabs(p):
            state.all_model_checkpoint_paths[i] = os.path.join(checkpoint_dir, p)
    return state


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The newest checkpoint prefix named by the state file, if its files exist."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state and state.model_checkpoint_path:
        path = state.model_checkpoint_path
        if _matches(path + ".index") or _matches(path):
            return path
        _log.error("Couldn't match files for checkpoint %s", path)
    return None


def checkpoint_exists(checkpoint_prefix):
    """True when a V2 (`P.index`) or V1 (`P`, maybe a glob) checkpoint exists."""
    checkpoint_prefix = _fspath(checkpoint_prefix)
    return _matches(checkpoint_prefix + ".index") or _matches(checkpoint_prefix)


def get_checkpoint_mtimes(checkpoint_prefixes):
    """Modification times of the checkpoints' index (or V1) files."""
    mtimes = []
    for prefix in checkpoint_prefixes:
        prefix = _fspath(prefix)
        for pattern in (prefix + ".index", prefix):
            found = glob.glob(pattern)
            if found:
                mtimes.append(os.stat(found[0]).st_mtime)
                break
    return mtimes


def remove_checkpoint(checkpoint_prefix, checkpoint_format_version=2, meta_graph_suffix="meta"):
    """Delete a checkpoint's files (what max_to_keep does to old ones)."""
    checkpoint_prefix = _fspath(checkpoint_prefix)
    patterns = [meta_graph_filename(checkpoint_prefix, meta_graph_suffix)]
    if checkpoint_format_version == 2:
        patterns += [checkpoint_prefix + ".index", checkpoint_prefix + ".data-?????-of-?????"]
    else:
        patterns.append(checkpoint_prefix)
    for pattern in patterns:
        for path in glob.glob(pattern):
            try:
                os.remove(path)
            except OSError as e:
                _log.warning("Ignoring: %s", e)


def meta_graph_filename(checkpoint_filename, meta_graph_suffix="meta"):
    """`model.ckpt-123-?????-of-00002` -> `model.ckpt-123.meta`."""
    basename = _SHARD_SUFFIX.sub("", _fspath(checkpoint_filename))
    return basename + "." + meta_graph_suffix
