"""Batch inference on distributed engines (Ray Data, Dask) with a picklable Predictor.

A `Predictor` is the description of a model run (graph, checkpoint, which columns feed which
tensors, which tensors to fetch), nothing more: it pickles as its arguments, so an engine can
ship it to its workers. The first call in a process imports the graph, opens a Session and
restores the checkpoint; every later call in that process, from any copy of the predictor and
any thread, reuses that session. Dask unpickles a task's arguments for every task, so the
session lives in a per-process cache keyed by the arguments (and the graph file's size and
modification time, so a copy made after the model was rewritten in place loads it again).

    predictor = Predictor("model.meta", "model", inputs=["x"], outputs=["probs"])
    predictor({"x": rows})                     # {"probs": array}, one row per input row
    predictor(pandas_frame)                    # a DataFrame with the frame's index

A graph is a program, so a predictor runs it confined, as untrusted: its ops may read the
graph's folder and the checkpoint given as `checkpoint=`, and write no file (an op that tries
raises PermissionDeniedError); `allow_read=` / `allow_write=` widen that, `trust=True` lifts it,
`max_memory=` bounds the tensor memory a run may hold (see `metarun.io_policy`).

`ray_map_batches`, `dask_map_partitions` and `dask_map_blocks` hand it to the engines; Ray
and Dask are optional (`pip install metarun[ray]`, `metarun[dask]`) and imported by nobody
but the caller. `import metarun` does not import this module; `metarun.predict` does.
"""

import functools
import glob
import os
import pickle
import threading

import numpy as np

__all__ = ["Predictor", "ray_map_batches", "dask_map_partitions", "dask_map_blocks"]

_cache = {}                   # process cache: Predictor key -> _Loaded
_cache_lock = threading.Lock()
_loads = [0]                  # sessions this process has built (tests count them)


def _load_count():
    """How many sessions predictors have built in this process."""
    return _loads[0]


def _tensor_name(name):
    name = str(name)
    return name if ":" in name else name + ":0"


def _column_pairs(spec, what):
    """((column, tensor name), ...) from a dict column -> tensor, a list of tensor names (the
    column is the op name) or one name."""
    if spec is None:
        raise TypeError("Predictor needs %s=: a list of tensor names or a dict column -> "
                        "tensor name" % what)
    if isinstance(spec, (str, bytes)):
        spec = [spec.decode() if isinstance(spec, bytes) else spec]
    if isinstance(spec, dict):
        pairs = tuple((str(k), _tensor_name(v)) for k, v in spec.items())
    else:
        pairs = tuple((_tensor_name(t).split(":")[0], _tensor_name(t)) for t in spec)
    if not pairs:
        raise ValueError("Predictor %s= is empty" % what)
    columns = [c for c, _ in pairs]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise ValueError("Predictor %s=: the column name(s) %s appear twice; give a dict "
                         "column -> tensor name" % (what, ", ".join(repeated)))
    return pairs


def _is_dataframe(batch):
    return type(batch).__module__.split(".")[0] == "pandas" and hasattr(batch, "columns")


def _as_array(values, column):
    """A column as one array: numpy columns as they are, columns of per-row arrays (what a
    DataFrame or a Parquet list column holds) stacked into one [rows, ...] array."""
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):
        values = values.to_numpy()
    array = np.asarray(values)
    if array.dtype == object and array.ndim == 1 and len(array) and \
            isinstance(array[0], (np.ndarray, list, tuple)):
        try:
            array = np.stack([np.asarray(v) for v in array])
        except ValueError as e:
            raise ValueError("column %r: its rows' arrays have different shapes (%s)"
                             % (column, e)) from None
    return array


class _Loaded(object):
    """A process's graph, session and resolved feeds/fetches for one predictor key."""

    def __init__(self, predictor):
        import metarun
        self.graph = metarun.Graph()
        with self.graph.as_default():
            saver = metarun.train.import_meta_graph(predictor.meta)
            self.feeds = [(c, self.graph.get_tensor_by_name(t)) for c, t in predictor.inputs]
            self.fetches = [(c, self.graph.get_tensor_by_name(t)) for c, t in predictor.outputs]
            has_variables = bool(metarun.global_variables())
        prefix = None
        if saver is not None or has_variables:
            prefix = _checkpoint_prefix(predictor.meta, predictor.checkpoint)
        self.session = metarun.Session(graph=self.graph, config=predictor.session_config,
                                       io_policy=predictor._io_policy(prefix))
        if predictor.checkpoint is not None and saver is None:
            raise ValueError("checkpoint %s given, but the graph %s has no saver (no "
                             "variables to restore)" % (predictor.checkpoint, predictor.meta))
        if saver is not None or has_variables:
            if prefix is None or saver is None:
                raise ValueError("the graph %s has variables but no checkpoint was found beside "
                                 "it: give checkpoint=" % predictor.meta)
            saver.restore(self.session, prefix)
        self.run = self.session.make_callable([t for _, t in self.fetches],
                                              [t for _, t in self.feeds])

    def close(self):
        self.session.close()


def _checkpoint_prefix(meta, checkpoint):
    """The prefix to restore: `checkpoint` (a prefix, or a directory with a `checkpoint` file);
    by default the `checkpoint` file beside the graph, else the graph's own prefix, else None."""
    from metarun.train import checkpoint_management
    if checkpoint is not None:
        checkpoint = os.fspath(checkpoint)
        if os.path.isdir(checkpoint):
            prefix = checkpoint_management.latest_checkpoint(checkpoint)
            if prefix is None:
                raise ValueError("no checkpoint in directory %s" % checkpoint)
            return prefix
        return checkpoint
    beside = checkpoint_management.latest_checkpoint(os.path.dirname(os.path.abspath(meta)))
    if beside is not None:
        return beside
    if meta.endswith(".meta") and os.path.exists(meta[:-5] + ".index"):
        return meta[:-5]
    return None


def _checkpoint_files(prefix):
    """The files of checkpoint `prefix` a restore reads: V2's index and data files, or V1's."""
    return [prefix, prefix + ".index"] + glob.glob(glob.escape(prefix) + ".data-*-of-*") + \
        glob.glob(prefix)


class Predictor(object):
    """Runs a saved TF1 graph over batches of rows; see the module's documentation.

    meta: the `.meta` file. checkpoint: a prefix or a directory; None restores the checkpoint
    named by the `checkpoint` file beside the graph (or the graph's own prefix), and nothing for
    a graph without variables. inputs / outputs: a dict column -> tensor name, or a list of
    tensor names whose columns are their op names ("x:0" or "x" -> column "x").
    batch_size: rows per Session run (None: the whole batch at once). session_config: a
    ConfigProto for the session. passthrough: columns copied unchanged from the batch to the
    result (an id column, say). The graph runs confined: it may read its own folder and the
    `checkpoint` given, and write nothing; allow_read / allow_write: more directories it may
    read / write; trust=True: no file restrictions. max_memory: the tensor bytes a run may hold
    (an int or "4G"; None: no limit).
    """

    def __init__(self, meta, checkpoint=None, inputs=None, outputs=None, batch_size=None,
                 session_config=None, passthrough=(), allow_read=(), allow_write=(), trust=False,
                 max_memory=None):
        self.meta = os.path.abspath(os.fspath(meta))
        self.checkpoint = None if checkpoint is None else os.path.abspath(os.fspath(checkpoint))
        # absolute paths: a worker's working directory need not be the caller's
        for what, dirs in (("allow_read", allow_read), ("allow_write", allow_write)):
            if isinstance(dirs, (str, bytes, os.PathLike)):
                raise TypeError("Predictor %s= takes a list of directories" % what)
        self.allow_read = tuple(os.path.abspath(os.fspath(d)) for d in allow_read)
        self.allow_write = tuple(os.path.abspath(os.fspath(d)) for d in allow_write)
        self.trust = bool(trust)
        if max_memory is not None:
            from metarun.framework.io_policy import parse_size
            max_memory = parse_size(max_memory)
        self.max_memory = max_memory
        self._arguments = dict(meta=self.meta, checkpoint=self.checkpoint, inputs=inputs,
                               outputs=outputs, batch_size=batch_size,
                               session_config=session_config, passthrough=passthrough,
                               allow_read=self.allow_read, allow_write=self.allow_write,
                               trust=self.trust, max_memory=self.max_memory)
        self.inputs = _column_pairs(inputs, "inputs")
        self.outputs = _column_pairs(outputs, "outputs")
        if batch_size is not None and (not isinstance(batch_size, (int, np.integer))
                                       or isinstance(batch_size, bool) or batch_size < 1):
            raise ValueError("batch_size must be a positive int or None, got %r" % (batch_size,))
        self.batch_size = None if batch_size is None else int(batch_size)
        self.session_config = session_config
        self.passthrough = tuple(str(c) for c in ([passthrough] if isinstance(passthrough, str)
                                                   else passthrough))
        self._loaded = None
        self._signature = None
        self._config_bytes = pickle.dumps(session_config)

    # -- pickling: the arguments only ----------------------------------------------------------
    def __reduce__(self):
        return (_rebuild, (type(self), self._arguments))

    def arguments(self):
        """The constructor's keyword arguments (what Ray's fn_constructor_kwargs takes)."""
        return dict(self._arguments)

    def __dask_tokenize__(self):
        return ("metarun.predict.Predictor", self.meta, self.checkpoint, self.inputs,
                self.outputs, self.batch_size, self._config_bytes, self.passthrough,
                self._confinement())

    def __repr__(self):
        return "Predictor(%r, checkpoint=%r, inputs=%r, outputs=%r)" % (
            self.meta, self.checkpoint, dict(self.inputs), dict(self.outputs))

    # -- the process's session -----------------------------------------------------------------
    def _key(self):
        try:
            st = os.stat(self.meta)
            stamp = (st.st_size, st.st_mtime_ns)
        except OSError:
            stamp = None
        return (self.meta, stamp, self.checkpoint, self.inputs, self.outputs, self._config_bytes,
                self._confinement())

    def _confinement(self):
        return (self.allow_read, self.allow_write, self.trust, self.max_memory)

    def _io_policy(self, prefix):
        """The session's IoPolicy: read the graph's folder (and the files of the checkpoint the
        caller named), write only allow_write; None when trusted without a memory budget."""
        from metarun.framework.io_policy import IoPolicy
        if self.trust:
            return None if self.max_memory is None else IoPolicy(write=["/"], max_memory=self.max_memory)
        read = [os.path.dirname(self.meta)] + list(self.allow_read)
        if self.checkpoint is not None and prefix is not None:
            read += _checkpoint_files(prefix)
        return IoPolicy(read=read, write=self.allow_write, max_memory=self.max_memory,
                        allow_read_hint='Predictor(allow_read=["{}"])',
                        allow_write_hint='Predictor(allow_write=["{}"])')

    def _session(self):
        loaded = self._loaded
        if loaded is not None:
            return loaded
        key = self._key()
        with _cache_lock:  # loads are rare; one lock keeps two threads from loading one model
            loaded = _cache.get(key)
            if loaded is None:
                loaded = _Loaded(self)
                _loads[0] += 1
                _cache[key] = loaded
        self._loaded = loaded
        return loaded

    def close(self):
        """Closes this process's session for the predictor (the next call loads it again)."""
        key = self._key()
        with _cache_lock:
            loaded = _cache.pop(key, None)
        self._loaded = None
        if loaded is not None:
            loaded.close()

    def output_signature(self):
        """{output column: (numpy dtype, static shape as a tuple with None for unknown dims, or
        None for an unknown rank)}, from the graph alone (no session, no checkpoint)."""
        if self._signature is None:
            import metarun
            graph = metarun.Graph()
            with graph.as_default():
                metarun.train.import_meta_graph(self.meta)
            signature = {}
            for column, name in self.outputs:
                tensor = graph.get_tensor_by_name(name)
                dims = tensor.shape.dims
                shape = None if dims is None else tuple(tensor.shape.as_list())
                dtype = tensor.dtype.base_dtype
                signature[column] = (np.dtype(object) if dtype.name == "string"
                                     else np.dtype(dtype.as_numpy_dtype), shape)
            self._signature = signature
        return dict(self._signature)

    # -- running -------------------------------------------------------------------------------
    def __call__(self, batch):
        """Runs the graph over a batch: a dict column -> array (Ray Data's numpy batches) or a
        pandas DataFrame. Returns a dict output -> array, or a DataFrame for a DataFrame."""
        frame = _is_dataframe(batch)
        if not frame and not hasattr(batch, "keys"):
            raise TypeError("Predictor takes a dict of column -> array or a pandas DataFrame, "
                            "not %s" % type(batch).__name__)
        available = list(batch.columns) if frame else list(batch.keys())
        missing = [c for c, _ in self.inputs if c not in available] + \
                  [c for c in self.passthrough if c not in available]
        if missing:
            raise KeyError("the batch has no column(s) %s (it has %s)"
                           % (", ".join(map(repr, missing)), ", ".join(map(repr, available))))
        columns = [_as_array(batch[c], c) for c, _ in self.inputs]
        rows = {len(a) if a.ndim else None for a in columns}
        if len(rows) != 1 or None in rows:
            raise ValueError("the input columns must be arrays with one row each per example; "
                             "got shapes %s" % ", ".join(
                                 "%s %s" % (c, a.shape) for (c, _), a in zip(self.inputs, columns)))
        n = rows.pop()
        loaded = self._session()
        step = self.batch_size or max(n, 1)
        parts = [loaded.run(*[a[start:start + step] for a in columns])
                 for start in range(0, max(n, 1), step)]
        result = {}
        for i, (column, name) in enumerate(self.outputs):
            pieces = [np.asarray(p[i]) for p in parts]
            for start, piece in zip(range(0, max(n, 1), step), pieces):
                if piece.ndim == 0 or len(piece) != min(step, n - start):
                    raise ValueError("output %s (%s) has shape %s for %d input rows: a "
                                     "Predictor's outputs need one row per input row"
                                     % (column, name, piece.shape, min(step, n - start)))
            result[column] = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
        for column in self.passthrough:
            result[column] = batch[column] if frame else np.asarray(batch[column])
        if frame:
            import pandas as pd
            data = {c: (list(v) if np.ndim(v) > 1 else v) for c, v in result.items()}
            return pd.DataFrame(data, index=batch.index)
        return result


def _rebuild(cls, arguments):
    return cls(**arguments)


# -- engines --------------------------------------------------------------------------------------
def ray_map_batches(dataset, predictor, batch_size=None, concurrency=1, **map_batches_args):
    """`dataset.map_batches` with one Predictor per Ray actor (`concurrency` actors), numpy
    batches of `batch_size` rows (None: Ray's default). Returns the mapped Dataset."""
    from ray.data import ActorPoolStrategy
    options = dict(fn_constructor_kwargs=predictor.arguments(), batch_format="numpy",
                   compute=ActorPoolStrategy(size=concurrency))
    if batch_size is not None:
        options["batch_size"] = batch_size
    options.update(map_batches_args)
    return dataset.map_batches(type(predictor), **options)


def _frame_meta(predictor):
    import pandas as pd
    columns = {}
    for column, (dtype, shape) in predictor.output_signature().items():
        per_row_scalar = shape is None or len(shape) == 1  # an unknown rank: taken as [rows]
        columns[column] = pd.Series([], dtype=dtype if per_row_scalar else object)
    return pd.DataFrame(columns)


def dask_map_partitions(ddf, predictor, meta=None):
    """`ddf.map_partitions(predictor)`: a dask DataFrame of the outputs (with `ddf`'s index).
    `meta` (the result's empty frame) defaults to one made from the graph's output dtypes:
    outputs of more than one value per row are columns of arrays (object dtype), outputs of
    unknown rank are taken to be one value per row (give `meta` when they are not)."""
    if meta is None:
        meta = _frame_meta(predictor)
        for column in predictor.passthrough:
            meta[column] = ddf._meta[column]
    return ddf.map_partitions(predictor, meta=meta)


def _run_block(block, predictor, column, output):
    return predictor({column: block})[output]


def dask_map_blocks(array, predictor, output=None, row_shape=None, dtype=None):
    """Maps a dask array's row blocks through a predictor with one input: the result's row
    chunks are the array's; each row of the output has `row_shape` (default: the output's
    static shape without its first dimension). Chunks across the other axes are merged."""
    if len(predictor.inputs) != 1:
        raise ValueError("dask_map_blocks needs a predictor with one input, this one has %s"
                         % [c for c, _ in predictor.inputs])
    if output is None:
        if len(predictor.outputs) != 1:
            raise ValueError("the predictor has outputs %s: say which with output="
                             % [c for c, _ in predictor.outputs])
        output = predictor.outputs[0][0]
    signature = predictor.output_signature()
    if output not in signature:
        raise KeyError("the predictor has no output %r (it has %s)" % (output, list(signature)))
    graph_dtype, shape = signature[output]
    if row_shape is None:
        if shape is None or any(d is None for d in shape[1:]):
            raise ValueError("output %r has static shape %s: give row_shape= (its shape "
                             "without the rows)" % (output, shape))
        row_shape = shape[1:]
    row_shape = tuple(int(d) for d in row_shape)
    dtype = np.dtype(dtype or graph_dtype)
    if array.ndim > 1:
        array = array.rechunk({axis: -1 for axis in range(1, array.ndim)})
    out_ndim = 1 + len(row_shape)
    options = dict(dtype=dtype, chunks=(array.chunks[0],) + tuple((d,) for d in row_shape),
                   meta=np.empty((0,) * out_ndim, dtype=dtype))
    if out_ndim < array.ndim:
        options["drop_axis"] = list(range(out_ndim, array.ndim))
    elif out_ndim > array.ndim:
        options["new_axis"] = list(range(array.ndim, out_ndim))
    run = functools.partial(_run_block, predictor=predictor, column=predictor.inputs[0][0],
                            output=output)
    return array.map_blocks(run, **options)
