"""The Python half of the C API (cpp/embed/c_api.cpp).

The C library calls these functions, so C and C++ programs go through the very import, session
and saver code Python programs use. Values cross as numpy arrays; a run's outputs are described
as (dtype enum, shape, payload, array) where the payload is the array's bytes as a flat uint8 view (no
copy) or, for strings, a tuple of bytes.
"""

import errno
import os
import threading

import numpy as np

from metarun import errors
from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.importer import import_meta_graph
from metarun.framework.io_policy import IoPolicy
from metarun.framework.session import ConfigProto, Session
from metarun.saved_model import loader
from metarun.framework import variables
from metarun.train import checkpoint_management
from metarun.train.saver import Saver


def _tensor_name(name):
    # TF's C++ Session::Run: "op" means "op:0".
    return name if ":" in name else name + ":0"


def _numpy_dtype(enum):
    dtype = dtypes.as_dtype(enum)
    if dtype == dtypes.string:
        raise TypeError("a string tensor is made with MR_NewStringTensor")
    return np.dtype(dtype.as_numpy_dtype)


def zeros(enum, shape):
    """MR_AllocateTensor: a zeroed array the caller writes into."""
    return np.zeros(shape, dtype=_numpy_dtype(enum))


def from_buffer(buffer, enum, shape):
    """MR_NewTensor: an array over the caller's memory (kept alive by the array)."""
    return np.frombuffer(buffer, dtype=_numpy_dtype(enum)).reshape(shape)


def strings(values, shape):
    """MR_NewStringTensor: an object array of bytes."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array.reshape(shape)


_ENUMS = {}  # numpy dtype -> TF DataType enum


def describe(value):
    """(dtype enum, shape, payload, array) of a value for the C side; see the module docstring."""
    array = np.asarray(value)
    enum = _ENUMS.get(array.dtype)
    if enum is None:
        enum = _ENUMS.setdefault(array.dtype, dtypes.as_dtype(array.dtype).as_datatype_enum)
    if enum == dtypes.string.as_datatype_enum:
        return enum, array.shape, tuple(
            v if isinstance(v, bytes) else str(v).encode() for v in array.reshape(-1)), array
    if not array.flags.c_contiguous:
        array = array.copy(order="C")
    # numpy's own types hand out their memory as a plain buffer; others (bfloat16) as bytes.
    return enum, array.shape, array if array.dtype.isbuiltin == 1 else array.reshape(-1).view(np.uint8), array


def error_info(exc):
    """(TF status code, message) for an exception raised by a C API call."""
    if isinstance(exc, errors.OpError):
        return exc.error_code, str(exc)
    if isinstance(exc, FileNotFoundError) or (isinstance(exc, OSError) and exc.errno == errno.ENOENT):
        code = errors.NOT_FOUND
    elif isinstance(exc, PermissionError):
        code = errors.PERMISSION_DENIED
    elif isinstance(exc, (ValueError, TypeError, KeyError, IndexError)):
        code = errors.INVALID_ARGUMENT
    elif isinstance(exc, MemoryError):
        code = errors.RESOURCE_EXHAUSTED
    elif isinstance(exc, NotImplementedError):
        code = errors.UNIMPLEMENTED
    elif isinstance(exc, KeyboardInterrupt):
        code = errors.CANCELLED
    else:
        code = errors.UNKNOWN
    message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return code, message or type(exc).__name__


class Model(object):
    """MR_Model: a graph imported from a MetaGraphDef, a session on it and its saver."""

    def __init__(self, path, read, write, max_memory, num_threads, saved_model_tags=None):
        policy = IoPolicy(read, write, max_memory or None) if (read or write or max_memory) else None
        config = ConfigProto(intra_op_parallelism_threads=num_threads) if num_threads else None
        self._graph = graph_lib.Graph()
        self._lock = threading.Lock()
        self._init_op = None
        self._signatures = {}
        if saved_model_tags is None:
            if not os.path.isfile(path):
                raise errors.NotFoundError(None, None, "no MetaGraphDef file %s" % path)
            with self._graph.as_default():
                self._saver = import_meta_graph(path)
            self._session = Session(graph=self._graph, config=config, io_policy=policy)
        else:
            # tf.saved_model.loader.load: import, restore the variables, run the init op. Saving
            # later uses a Saver over the variables, as a script calling tf.train.Saver() would.
            self._saver = None
            self._session = Session(graph=self._graph, config=config, io_policy=policy)
            try:
                meta = loader.load(self._session, list(saved_model_tags), path)
            except RuntimeError as e:  # TF's C++ loader says NotFound for tags the SavedModel lacks
                if not str(e).startswith("MetaGraphDef associated with tags"):
                    raise
                raise errors.NotFoundError(None, None, str(e)) from None
            self._signatures = meta.signature_def

    def signature_tensor(self, signature_key, key, output):
        """The tensor name behind input (or output) `key` of a SavedModel signature."""
        if signature_key not in self._signatures:
            raise errors.NotFoundError(None, None, "no signature %r (the model has %s)"
                                       % (signature_key, sorted(self._signatures) or "none"))
        infos = self._signatures[signature_key].outputs if output else self._signatures[signature_key].inputs
        if key not in infos:
            raise errors.NotFoundError(None, None, "signature %r has no %s %r (it has %s)" % (
                signature_key, "output" if output else "input", key, sorted(infos)))
        if not infos[key].name:
            raise errors.UnimplementedError(None, None, "%s %r of signature %r is a composite tensor" % (
                "output" if output else "input", key, signature_key))
        return infos[key].name

    def _saver_or_new(self):
        # A graph without a SaverDef gets a default Saver over its variables, as a script
        # calling tf.train.Saver() after import would (ValueError when there are none).
        with self._lock:
            if self._saver is None:
                with self._graph.as_default():
                    self._saver = Saver()
            return self._saver

    def restore(self, checkpoint):
        if os.path.isdir(checkpoint):
            latest = checkpoint_management.latest_checkpoint(checkpoint)
            if latest is None:
                raise errors.NotFoundError(None, None, "no checkpoint file naming a checkpoint in %s"
                                           % checkpoint)
            checkpoint = latest
        elif not checkpoint_management.checkpoint_exists(checkpoint):
            # Python's Saver.restore raises ValueError here; TF's C++ restore says NotFound.
            raise errors.NotFoundError(None, None, "no checkpoint at %s" % checkpoint)
        self._saver_or_new().restore(self._session, checkpoint)

    def save(self, prefix, global_step):
        return self._saver_or_new().save(self._session, prefix,
                                         global_step=global_step if global_step >= 0 else None)

    def initialize(self):
        with self._lock:
            if self._init_op is None:
                with self._graph.as_default():
                    self._init_op = variables.global_variables_initializer()
        self._session.run(self._init_op)

    def run(self, feed_names, feed_values, fetch_names, target_names):
        feeds = {_tensor_name(n): v for n, v in zip(feed_names, feed_values)}
        if len(feeds) != len(feed_names):
            raise errors.InvalidArgumentError(None, None, "a tensor is fed more than once")
        fetches = [_tensor_name(n) for n in fetch_names]
        if len(fetches) == 1 and not target_names:
            return [describe(self._session.run(fetches[0], feed_dict=feeds))]
        outputs = self._session.run(fetches + list(target_names), feed_dict=feeds)
        return [describe(v) for v in outputs[:len(fetches)]]

    def close(self):
        self._session.close()
