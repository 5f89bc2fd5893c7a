"""The checkpoint IO ops as plain functions, called by the executor's kernels
for RestoreV2, SaveV2, MergeV2Checkpoints and the V1 Restore/RestoreSlice
and SaveSlices/Save.

Signatures and error classes follow the TF ops: a dtype the graph expects
that differs from the stored one is InvalidArgumentError, a missing key or
file NotFoundError, any damage DataLossError.
"""

import collections
import glob
import os
import threading

import numpy as np

from metarun import errors
from metarun.bundle import slices, v1, v2

_CACHE_SIZE = 4
_cache = collections.OrderedDict()
_cache_lock = threading.Lock()


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def _stamp(paths):
    """Identity of files' current versions: a rewritten file (always renamed
    into place by our writers and TF's) gets a new inode."""
    out = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            return None
        out.append((path, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)


def open_reader(prefix_or_pattern):
    """A V2 BundleReader when `P.index` exists, else a V1Reader over the glob.

    Graphs from older TF issue one RestoreV2 per variable; a small cache keyed
    by the files' identity keeps that from re-reading the index every time.
    """
    path = _text(prefix_or_pattern)
    is_v2 = os.path.exists(v2.index_filename(path))
    files = [v2.index_filename(path)] if is_v2 else sorted(glob.glob(path))
    stamp = _stamp(files) if files else None
    key = (is_v2, path)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and stamp is not None and hit[0] == stamp:
            _cache.move_to_end(key)
            return hit[1]
    reader = v2.BundleReader(path) if is_v2 else v1.V1Reader(path)
    if stamp is not None:
        with _cache_lock:
            _cache[key] = (stamp, reader)
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return reader


def clear_cache():
    """Forget cached readers (for files rewritten in place within one timestamp tick)."""
    with _cache_lock:
        _cache.clear()


def _restore_one(reader, name, spec, dtype, v1_messages):
    stored_dtype, full_shape = reader.dtype_and_shape(name)
    if stored_dtype != dtype:
        if v1_messages:
            raise _invalid("Expected to restore a tensor of type %s, got a tensor of type %s "
                           "instead: tensor_name = %s" % (v2.dtype_name(dtype),
                                                           v2.dtype_name(stored_dtype), name))
        raise _invalid("tensor_name = %s; expected dtype %s does not equal original dtype %s"
                       % (name, v2.dtype_name(dtype), v2.dtype_name(stored_dtype)))
    shape, extents = slices.parse_shape_and_slice(spec)
    if shape is not None and shape != full_shape:
        raise _invalid("tensor_name = %s; shape in shape_and_slice spec %s does not match the "
                       "shape stored in checkpoint: %s" % (name, slices.shape_string(shape),
                                                            slices.shape_string(full_shape)))
    return reader.lookup(name, extents)


def restore_v2(prefix, tensor_names, shape_and_slices, dtypes):
    """RestoreV2: one array per name (strings as object arrays of bytes).

    Numeric arrays read from a V2 bundle are read-only views of the mapped
    data file; copy before writing into them.
    """
    names = [_text(n) for n in tensor_names]
    specs = [_text(s) for s in shape_and_slices]
    dtypes = [int(d) for d in dtypes]
    if not len(names) == len(specs) == len(dtypes):
        raise _invalid("Expected the same number of tensor names (%d), shape_and_slices (%d) "
                       "and dtypes (%d)" % (len(names), len(specs), len(dtypes)))
    reader = open_reader(prefix)
    is_v1 = isinstance(reader, v1.V1Reader)
    if len(names) < 2 or _threads() < 2:
        return [_restore_one(reader, n, s, d, is_v1) for n, s, d in zip(names, specs, dtypes)]
    # Reading and checksumming a tensor release the GIL: tensors are read side by side. The
    # results are taken in order, so the error raised is the first name's, as when serial.
    # Each result is held by the returned list alone (not by a future), so the executor may
    # hand a fresh array to its variable instead of copying it.
    import concurrent.futures  # noqa: PLC0415 -- only for reads in threads
    out = [None] * len(names)

    def read(i):
        out[i] = _restore_one(reader, names[i], specs[i], dtypes[i], is_v1)

    futures = [_pool().submit(read, i) for i in range(len(names))]
    try:
        for f in futures:
            f.result()
    finally:
        # After an error, no read may still be running once the op has failed: the caller
        # may rewrite the files next.
        for f in futures:
            f.cancel()
        concurrent.futures.wait(futures)
    result = list(out)
    out.clear()
    return result


_pool_lock = threading.Lock()
_pool_instance = None


def _threads():
    """Restore threads: METARUN_RESTORE_THREADS (read once; 1 reads serially), else the cores
    this process may use, at most 4."""
    global _thread_count
    if _thread_count is None:
        value = os.environ.get("METARUN_RESTORE_THREADS", "")
        try:
            _thread_count = max(1, int(value)) if value else min(4, len(os.sched_getaffinity(0)))
        except (ValueError, AttributeError):
            _thread_count = 1
    return _thread_count


_thread_count = None


def _pool():
    global _pool_instance
    with _pool_lock:
        if _pool_instance is None:
            import concurrent.futures  # noqa: PLC0415
            _pool_instance = concurrent.futures.ThreadPoolExecutor(
                _threads(), thread_name_prefix="metarun-restore")
        return _pool_instance


def restore_slice(file_pattern, tensor_name, shape_and_slice, dtype, preferred_shard=-1):
    """The V1 Restore/RestoreSlice ops (`file_pattern` may be a glob or a V2 prefix)."""
    del preferred_shard  # only a hint for which file to open first
    reader = open_reader(file_pattern)
    return _restore_one(reader, _text(tensor_name), _text(shape_and_slice), int(dtype), True)


def save_v2(prefix, tensor_names, shape_and_slices, tensors, dtypes):
    """SaveV2: write a one-shard bundle at `prefix`, atomically."""
    prefix = _text(prefix)
    names = [_text(n) for n in tensor_names]
    specs = [_text(s) for s in shape_and_slices]
    dtypes = [int(d) for d in dtypes]
    if not len(names) == len(specs) == len(tensors) == len(dtypes):
        raise _invalid("Expected the same number of tensor names (%d), shape_and_slices (%d), "
                       "tensors (%d) and dtypes (%d)" % (len(names), len(specs), len(tensors),
                                                         len(dtypes)))
    writer = v2.BundleWriter(prefix)
    try:
        for name, spec, tensor, dtype in zip(names, specs, tensors, dtypes):
            shape, extents = slices.parse_shape_and_slice(spec)
            if shape is None:
                writer.add(name, tensor, dtype)
                continue
            got = list(np.shape(tensor))
            if slices.slice_shape(shape, extents) != got:
                raise _invalid("Slice in shape_and_slice specification does not match the shape "
                               "of the tensor to  save: %s, tensor: %s"
                               % (spec, slices.shape_string(got)))
            writer.add_slice(name, shape, extents, tensor, dtype)
    except BaseException:
        writer.abort()
        raise
    writer.finish()


def save_slices(filename, tensor_names, shapes_and_slices, tensors, dtypes):
    """SaveSlices (and Save, with `shapes_and_slices` None): write the V1
    checkpoint file `filename` itself, atomically, as TF's SaveTensors does.

    Tensors are added in tensor-name order, exactly as TF's std::sort orders
    them (see v1.save_order). An empty spec saves the whole tensor; a spec saves
    the slice as given, even one that covers the whole tensor (TF then keys it
    by its explicit extents). Like TF, the parent directory is not created.
    """
    filename = _text(filename)
    names = [_text(n) for n in tensor_names]
    specs = [""] * len(names) if shapes_and_slices is None else \
        [_text(s) for s in shapes_and_slices]
    dtypes = [int(d) for d in dtypes]
    if len(specs) != len(names):
        raise _invalid("Expected %d elements for the tensor shapes and slices but got %d"
                       % (len(names), len(specs)))
    if not len(names) == len(tensors) == len(dtypes):
        raise _invalid("Expected the same number of tensor names (%d), tensors (%d) and "
                       "dtypes (%d)" % (len(names), len(tensors), len(dtypes)))
    writer = v1.V1Writer(filename)
    for i in v1.save_order(names):
        name, spec, tensor, dtype = names[i], specs[i], tensors[i], dtypes[i]
        got = list(np.shape(tensor))
        shape, extents = slices.parse_shape_and_slice(spec)
        if shape is None:
            shape = got
        elif slices.slice_shape(shape, extents) != got:
            raise _invalid("Slice in shape_and_slice specification does not match the shape "
                           "of the tensor to  save: %s, tensor: %s"
                           % (spec, slices.shape_string(got)))
        writer.add(name, shape, extents, tensor, dtype)
    writer.finish()
