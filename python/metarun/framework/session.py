"""Session: feeds and fetches in Python, execution in the C++ core.

`run` flattens any nesting of fetches into unique graph elements, converts
and shape-checks feeds exactly as TF does, hands integer (op, output) pairs
to the core (which caches one plan per signature), and rebuilds the
requested structure from the results.
"""

import collections.abc
import contextlib
import threading
from typing import Any, Callable, Mapping, Optional

import numpy as np

from metarun import _core, errors
from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework import indexed_slices
from metarun.framework import io_policy as io_policy_lib
from metarun.framework import sparse_tensor


class ConfigProto(object):
    """The subset of tf.compat.v1.ConfigProto metarun reads (threads, and
    operation_timeout_in_ms: the deadline of every run); other fields are
    accepted and ignored."""

    def __init__(self, intra_op_parallelism_threads=0, inter_op_parallelism_threads=0,
                 operation_timeout_in_ms=0, **kwargs):
        self.intra_op_parallelism_threads = intra_op_parallelism_threads
        self.inter_op_parallelism_threads = inter_op_parallelism_threads
        self.operation_timeout_in_ms = operation_timeout_in_ms
        for k, v in kwargs.items():
            setattr(self, k, v)


class RunOptions(object):
    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)


class RunMetadata(object):
    pass


_default_session_stack = threading.local()


def _session_stack():
    if not hasattr(_default_session_stack, "stack"):
        _default_session_stack.stack = []
    return _default_session_stack.stack


def get_default_session():
    stack = _session_stack()
    return stack[-1] if stack else None


# Per caller ("eval", "run", "load"): what is being done, to what, and the call to suggest.
_DEFAULT_SESSION_USES = {
    "eval": ("evaluate tensor using `eval()`", "evaluate tensor", "tensor", "`eval(session=sess)`"),
    "run": ("execute operation using `run()`", "execute operation", "operation", "`run(session=sess)`"),
    "load": (None, "load the variable", "variable", "`load(value, session=sess)`"),
}


def _resolve_session(graph, session, what):
    """The session to run in (given or default), with TF's ValueErrors."""
    doing, action, thing, call = _DEFAULT_SESSION_USES[what]
    if session is None:
        session = get_default_session()
        if session is None:
            if doing is None:
                raise ValueError("Either session argument should be provided or default session should be "
                                 "established")
            raise ValueError("Cannot %s: No default session is registered. Use `with sess.as_default()` or "
                             "pass an explicit session to %s" % (doing, call))
        if session.graph is not graph:
            raise ValueError("Cannot use the default session to %s: the %s's graph is different from the "
                             "session's graph. Pass an explicit session to %s." % (action, thing, call))
    elif session.graph is not graph:
        raise ValueError("Cannot use the given session to %s: the %s's graph is different from the "
                         "session's graph." % (action, thing))
    return session


def _run_in_session(element, feed_dict, session, what):
    """Tensor.eval / Operation.run / Variable.eval and load: run `element` in
    `session`, else in the default session of its graph."""
    return _resolve_session(element.graph, session, what).run(element, feed_dict)


graph_lib._session_runner = _run_in_session


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _is_structure(fetches):
    return (isinstance(fetches, (list, tuple, collections.abc.Mapping))
            or hasattr(type(fetches), "__attrs_attrs__"))


class _FetchPlan(object):
    """The flattened fetches of one `run` call and how to rebuild them."""

    def __init__(self, graph, fetches):
        self.graph = graph
        self.tensors = []     # unique Tensors to compute
        self.targets = []     # unique Operations to run
        self._index = {}
        self.rebuild = self._map(fetches)
        # One Tensor (or name of one), not in a structure: its value is the result.
        self.single_tensor = len(self.tensors) == 1 and not self.targets and not _is_structure(fetches)

    def _leaf(self, fetch):
        if fetch is None:
            raise TypeError('Argument `fetch` = None has invalid type "NoneType". Cannot be None')
        if not isinstance(fetch, (str, graph_lib.Tensor, graph_lib.Operation)) and \
                not hasattr(fetch, "_as_graph_element"):
            raise TypeError('Argument `fetch` = %r has invalid type "%s" must be a string or Tensor. '
                            "(Can not convert a %s into a Tensor or Operation.)"
                            % (fetch, type(fetch).__name__, type(fetch).__name__))
        try:
            element = self.graph.as_graph_element(fetch, allow_tensor=True, allow_operation=True)
        except TypeError as e:
            raise TypeError("Argument `fetch` = %r has invalid type \"%s\", must be a string or Tensor. "
                            "(%s)" % (fetch, type(fetch).__name__, e.args[0])) from None
        except (ValueError, KeyError) as e:
            raise ValueError("Argument `fetch` = %s cannot be interpreted as a Tensor. (%s)"
                             % (fetch, e.args[0])) from None
        key = id(element)
        if key not in self._index:
            if isinstance(element, graph_lib.Operation):
                self._index[key] = None
                self.targets.append(element)
            else:
                self._index[key] = len(self.tensors)
                self.tensors.append(element)
        slot = self._index[key]
        return (lambda values: None) if slot is None else (lambda values: values[slot])

    def _map(self, fetches):
        if isinstance(fetches, (list, tuple)) and not _is_namedtuple(fetches):
            parts = [self._map(f) for f in fetches]
            kind = type(fetches)
            if kind is list:
                return lambda values: [p(values) for p in parts]
            if kind is tuple:
                return lambda values: tuple(p(values) for p in parts)
            return lambda values: kind(p(values) for p in parts)
        if _is_namedtuple(fetches):
            parts = [self._map(f) for f in fetches]
            return lambda values: type(fetches)(*[p(values) for p in parts])
        if isinstance(fetches, collections.abc.Mapping):
            items = [(k, self._map(v)) for k, v in fetches.items()]

            def rebuild_mapping(values):
                pairs = [(k, p(values)) for k, p in items]
                if isinstance(fetches, collections.defaultdict):
                    out = collections.defaultdict(fetches.default_factory)
                    out.update(pairs)
                    return out
                return type(fetches)(pairs)
            return rebuild_mapping
        if isinstance(fetches, indexed_slices.IndexedSlices):  # TF returns an IndexedSlicesValue
            parts = [self._map(t) if t is not None else (lambda values: None)
                     for t in (fetches.values, fetches.indices, fetches.dense_shape)]
            return lambda values: indexed_slices.IndexedSlicesValue(*[p(values) for p in parts])
        if isinstance(fetches, sparse_tensor.SparseTensor):  # TF returns a SparseTensorValue
            parts = [self._map(t) for t in (fetches.indices, fetches.values, fetches.dense_shape)]
            return lambda values: sparse_tensor.SparseTensorValue(*[p(values) for p in parts])
        if hasattr(type(fetches), "__attrs_attrs__"):
            fields = [a.name for a in type(fetches).__attrs_attrs__]
            parts = [self._map(getattr(fetches, f)) for f in fields]
            return lambda values: type(fetches)(*[p(values) for p in parts])
        return self._leaf(fetches)


class BaseSession(object):

    def __init__(self, target: str = "", graph: Optional["graph_lib.Graph"] = None,
                 config: Optional[ConfigProto] = None, io_policy: Optional["io_policy_lib.IoPolicy"] = None) -> None:
        if io_policy is not None and not isinstance(io_policy, io_policy_lib.IoPolicy):
            raise TypeError("io_policy must be a metarun.io_policy(...), got %r" % (io_policy,))
        self._graph = graph if graph is not None else graph_lib.get_default_graph()
        self._config = config
        self._io_policy = io_policy
        self._closed = False
        self._core = None
        self._lock = threading.Lock()
        self._default_stack = []
        self._prepared = {}  # cache key of (fetches, feed keys) -> _Prepared

    @property
    def graph(self):
        return self._graph

    @property
    def graph_def(self):
        return self._graph.as_graph_def()

    @property
    def sess_str(self):
        return ""

    def _core_session(self):
        with self._lock:
            if self._core is None:
                threads = getattr(self._config, "intra_op_parallelism_threads", 0) or 0
                self._core = _core.Session(self._graph._core_graph(), int(threads))
            return self._core

    def close(self) -> None:
        """Closes the session: runs still in progress (a dequeue waiting on
        an empty queue) are cancelled, as in TF."""
        self._closed = True
        core, self._core = self._core, None
        if core is not None:
            core.cancel()

    def __del__(self):
        self._core = None

    def as_default(self):
        return _default_session_context(self)

    def __enter__(self):
        graph_cm = self._graph.as_default()
        graph_cm.__enter__()
        session_cm = _default_session_context(self)
        session_cm.__enter__()
        self._default_stack.append((graph_cm, session_cm))
        return self

    def __exit__(self, exc_type, exc_value, tb):
        graph_cm, session_cm = self._default_stack.pop()
        session_cm.__exit__(exc_type, exc_value, tb)
        graph_cm.__exit__(exc_type, exc_value, tb)
        self.close()

    # -- run ---------------------------------------------------------------------
    def run(self, fetches: Any, feed_dict: Optional[Mapping[Any, Any]] = None,
            options: Optional[RunOptions] = None, run_metadata: Optional[RunMetadata] = None) -> Any:
        """Runs the graph once and returns the values of `fetches`.

        `fetches` is one graph element or any nesting of them in lists, tuples, namedtuples,
        dicts and attrs classes; the result has the same structure with each element
        replaced by its value. An element is a `Tensor` (its value, a numpy array, or a numpy
        scalar for rank 0), an `Operation` (the op runs; its value is None), a `SparseTensor`
        or `IndexedSlices` (a `SparseTensorValue` / `IndexedSlicesValue`), or a string naming
        a tensor (`"v4:0"`) or an operation (`"train_op"`). Only the nodes the fetches need
        run, each at most once, and every element fetched twice gets the same value.

        `feed_dict` maps tensors (or their names, or `SparseTensor`s / placeholders' tuples)
        to values that replace them for this run: Python numbers, nested lists, numpy
        arrays, or anything numpy converts; each value is converted to the tensor's dtype
        and must fit its static shape, or `ValueError` / `TypeError` is raised as TF does.

        `options` is honoured for its `timeout_in_ms` (and the session config's
        `operation_timeout_in_ms`): a run past its deadline raises `DeadlineExceededError`.
        `run_metadata` is accepted and left empty.

        Errors while running raise the `metarun.errors` class TF raises (e.g.
        `InvalidArgumentError` for a placeholder that was not fed, `FailedPreconditionError`
        for an uninitialized variable), naming the failing node. A closed session raises
        `RuntimeError`.
        """
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        feed_dict = sparse_tensor.expand_feeds(feed_dict)
        key = _cache_key(fetches, feed_dict)
        prepared = self._prepared.get(key) if key is not None else None
        if prepared is None:
            prepared = self._prepare(fetches, self._resolve_feed_keys(feed_dict))
            if key is not None:
                if len(self._prepared) >= 256:
                    self._prepared.clear()
                self._prepared[key] = prepared
        return prepared(feed_dict, self._timeout_ms(options))

    def _timeout_ms(self, options=None):
        """The run's deadline in ms (0: none): RunOptions.timeout_in_ms when
        set, else the ConfigProto's operation_timeout_in_ms."""
        timeout = getattr(options, "timeout_in_ms", 0) or 0
        if timeout <= 0:
            timeout = getattr(self._config, "operation_timeout_in_ms", 0) or 0
        return int(timeout) if timeout > 0 else 0

    def _prepare(self, fetches, feed_keys):
        """A _Prepared for `fetches`, fed by `feed_keys` ([(key, Tensor)])."""
        plan = _FetchPlan(self._graph, fetches)
        return _Prepared(self, plan, feed_keys)

    def _resolve_feed_keys(self, feed_dict, names=None):
        """[(key, Tensor)] in feed_dict order; of two keys naming one tensor the
        last wins. `names[key]` names the tensor of `key` when given (else the
        key does); the empty-graph check comes first, as in TF's run."""
        if not self._graph._ops:
            raise RuntimeError("The Session graph is empty. Add operations to the graph before "
                               "calling run().")
        by_tensor = {}
        for key in (feed_dict or ()):
            by_tensor[self._feed_key(key if names is None else names[key])] = key
        return [(key, tensor) for tensor, key in by_tensor.items()]

    def _feed_key(self, key):
        if hasattr(key, "_as_graph_element") and not isinstance(key, graph_lib.Tensor):
            key = key._as_graph_element()
        try:
            return self._graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
        except (ValueError, KeyError) as e:
            raise TypeError("Cannot interpret feed_dict key as Tensor: " + e.args[0]) from None

    def _op_error(self, code, message, node_name, needed=None):
        """The tf.errors exception for a core failure; `needed` is the
        (fetched ops, fed tensors) of the failed run."""
        if needed is not None and self._graph._attr_errors:
            # An attr the core could not be given (a Const whose tensor_content
            # does not fit its shape) reaches it as missing: say why instead, as
            # TF fails such a node when a run needs it.
            bad = _first_attr_error(self._graph, *needed)
            if bad is not None:
                node_name = bad.name
                code, message = self._graph._attr_errors[node_name]
        op = self._graph._by_name.get(node_name) if node_name else None
        if node_name:
            message = "%s\n\t [[{{node %s}}]]" % (message, node_name)
        return errors._error_from_code(code, message, node_def=op.node_def if op else None, op=op)

    def make_callable(self, fetches: Any, feed_list: Optional[list] = None,
                      accept_options: bool = False) -> Callable[..., Any]:
        """A function running `fetches`, its arguments feeding `feed_list`.

        As in TF: with a feed_list, a call means run(fetches, dict(zip(feed_list,
        args)), **kwargs) (extra arguments are ignored, a missing one is a missing
        feed, bad feeds or fetches raise when called); without one, the fetches
        are resolved now and the function takes no feeds (only `options` and
        `run_metadata`, with accept_options). Feeds and fetches are resolved
        once here, so a call with one argument per feed only converts them and
        runs the prepared plan."""
        if feed_list is None:
            prepared = None if self._closed else self._prepare(fetches, [])
            if accept_options:
                def call_with_options(options=None, run_metadata=None):
                    self._check_open()
                    return prepared((), self._timeout_ms(options))
                return call_with_options

            def call():
                self._check_open()
                return prepared((), self._timeout_ms())
            return call
        if not isinstance(feed_list, (list, tuple)):
            raise TypeError("Argument `feed_list` must be a list or tuple. Received: feed_list=%s" % (feed_list,))
        feed_list = list(feed_list)
        prepared = None
        if not self._closed:
            try:
                # Keys are argument positions: a prepared call reads its feeds from the args tuple.
                prepared = self._prepare(fetches, self._resolve_feed_keys(dict.fromkeys(range(len(feed_list))),
                                                                          feed_list))
            except Exception:  # noqa: BLE001 -- TF reports bad feeds and fetches when the callable runs
                pass
        n = len(feed_list)

        def call(*args, **kwargs):
            if prepared is None or len(args) != n or (kwargs and not _RUN_KWARGS.issuperset(kwargs)):
                return self.run(fetches, dict(zip(feed_list, args)), **kwargs)
            if self._closed:
                raise RuntimeError("Attempted to use a closed Session.")
            return prepared(args, self._timeout_ms(kwargs.get("options")))
        return call

    def _check_open(self):
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")

    def list_devices(self):
        return []


# The keyword arguments of run() a callable takes (accepted and ignored, as run does).
_RUN_KWARGS = frozenset(("options", "run_metadata"))


def _first_attr_error(graph, roots, fed):
    """The first op with an unconvertible attr among those a run of `roots`
    (feeding the tensors in `fed`) needs, or None."""
    seen = set()
    stack = list(roots)
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.name in graph._attr_errors:
            return op
        stack.extend(t.op for t in op._inputs if t not in fed)
        stack.extend(op._control_inputs)
    return None


def _fetch_key(fetches):
    """A hashable key for a fetch structure, or None when it is not worth caching."""
    kind = type(fetches)
    if kind is str or kind is graph_lib.Tensor or kind is graph_lib.Operation:
        return fetches
    if kind is list or kind is tuple:
        items = tuple(_fetch_key(f) for f in fetches)
        return None if None in items else (kind, items)
    if kind is dict:
        items = tuple(_fetch_key(f) for f in fetches.values())
        try:
            return None if None in items else (kind, tuple(fetches), items)
        except TypeError:
            return None
    return None


def _cache_key(fetches, feed_dict):
    fetch_key = _fetch_key(fetches)
    if fetch_key is None:
        return None
    try:
        return (fetch_key, tuple(feed_dict) if feed_dict else ())
    except TypeError:
        return None


class _Prepared(object):
    """One (fetches, feed keys) signature, resolved: converting feeds, calling
    the core's prepared plan and rebuilding the fetch structure is all a call
    does."""

    def __init__(self, session, plan, feed_keys):
        self._feeds = [(key, _feed_converter(t)) for key, t in feed_keys]
        feed_index = {t: i for i, (_, t) in enumerate(feed_keys)}
        to_compute = [t for t in plan.tensors if t not in feed_index]
        self._sources = []  # per unique fetched tensor: (is_feed, index, is_bfloat16)
        for t in plan.tensors:
            bf16 = t.dtype.base_dtype == dtypes.bfloat16
            if t in feed_index:
                self._sources.append((True, feed_index[t], bf16))
            else:
                self._sources.append((False, to_compute.index(t), bf16))
        # The common case: the core computes every fetched tensor, in order, none bfloat16.
        self._direct = all(not is_feed and i == k and not bf16
                           for k, (is_feed, i, bf16) in enumerate(self._sources))
        self._single = self._direct and plan.single_tensor
        self._rebuild = plan.rebuild
        self._session = session
        self._roots = [t.op for t in to_compute] + plan.targets
        self._fed = set(feed_index)
        self._callable = None
        if to_compute or plan.targets:
            graph = session._graph
            core = session._core_session()
            graph._core_graph()  # ops added since the session started
            try:
                self._callable = core.prepare([(t.op._id, t.value_index) for _, t in feed_keys],
                                              [t.dtype.base_dtype.as_datatype_enum for _, t in feed_keys],
                                              [(t.op._id, t.value_index) for t in to_compute],
                                              [op._id for op in plan.targets])
            except _core.StatusError as e:
                raise session._op_error(*e.args, needed=self._needed()) from None

    def __call__(self, feed_dict, timeout_ms=0):
        """Run with the values `feed_dict[key]` (a dict, or the args tuple of a
        callable whose keys are positions)."""
        feeds = [convert(feed_dict[key]) for key, convert in self._feeds]
        outs = ()
        if self._callable is not None:
            try:
                if io_policy_lib._entered or self._session._io_policy is not None:
                    outs = self._callable(feeds, timeout_ms, io_policy_lib.current(self._session._io_policy))
                else:
                    outs = self._callable(feeds, timeout_ms) if timeout_ms else self._callable(feeds)
            except _core.StatusError as e:
                raise self._session._op_error(*e.args, needed=self._needed()) from None
        if self._single:
            arr = outs[0]
            return arr[()] if arr.ndim == 0 else arr
        if self._direct:
            values = [arr[()] if arr.ndim == 0 else arr for arr in outs]
        else:
            values = [feeds[i] if is_feed else _to_fetch_value(outs[i], bf16)
                      for is_feed, i, bf16 in self._sources]
        return self._rebuild(values)

    def _needed(self):
        return self._roots, self._fed


def _feed_converter(tensor):
    """A function turning a feed value into the array the core takes."""
    np_type = np.dtype(tensor.dtype.base_dtype.as_numpy_dtype) if tensor.dtype.is_numpy_compatible else None
    dims = tensor.shape.dims

    scalar_ok = dims is None or dims == []
    float_type = np_type is not None and np_type.kind == "f"

    def convert(value):
        kind = type(value)
        if kind is np.ndarray and value.dtype == np_type and value.flags.c_contiguous:
            if dims is not None and (value.ndim != len(dims) or
                                     any(d is not None and d != s for d, s in zip(dims, value.shape))):
                raise ValueError("Cannot feed value of shape %r for Tensor %s, which has shape %s"
                                 % (value.shape, tensor.name, tensor.shape))
            return value
        if isinstance(value, graph_lib.Tensor):
            raise TypeError("The value of a feed cannot be a tf.Tensor object. Acceptable feed values "
                            "include Python scalars, strings, lists, numpy ndarrays, or TensorHandles. "
                            "For reference, the tensor object was %s which was passed to the argument "
                            "`feed_dict` with key %s." % (value, tensor.name))
        return _convert_feed_value(tensor, value)

    if not (float_type and scalar_ok):
        return convert
    asarray = np.asarray

    def convert_float_scalar(value):  # Python numbers into a float scalar: the common feed
        kind = type(value)
        if kind is float or kind is int:
            return asarray(value, np_type)
        return convert(value)
    return convert_float_scalar


def _to_fetch_value(arr, bf16):
    if bf16:
        arr = arr.view(dtypes.bfloat16.as_numpy_dtype)
    if arr.ndim == 0:
        return arr[()]
    return arr


def _convert_feed_value(tensor, value):
    dtype = tensor.dtype.base_dtype
    if dtype in (dtypes.resource, dtypes.variant):
        return np.asarray(value, dtype=object)
    np_type = dtype.as_numpy_dtype
    if isinstance(value, int) and not isinstance(value, bool) and dtype.is_integer:
        if np.asarray(value).astype(np_type) != value:
            raise TypeError("Type of feed value %r with type %s is not compatible with Tensor type %s. "
                            "Try explicitly setting the type of the feed tensor to a larger type "
                            "(e.g. int64)." % (value, type(value), np_type))
    if dtype == dtypes.string:
        arr = np.asarray(value, dtype=object)
        if arr.dtype != object:
            arr = arr.astype(object)
    else:
        arr = np.asarray(value, dtype=np_type)
        if not arr.flags.c_contiguous:
            arr = np.ascontiguousarray(arr)
    if not tensor.shape.is_compatible_with(arr.shape):
        raise ValueError("Cannot feed value of shape %r for Tensor %s, which has shape %s"
                         % (arr.shape, tensor.name, tensor.shape))
    return arr


@contextlib.contextmanager
def _default_session_context(session):
    stack = _session_stack()
    stack.append(session)
    try:
        yield session
    finally:
        if session in stack:
            stack.remove(session)


class Session(BaseSession):
    """tf.compat.v1.Session: runs `graph` (the default graph when None) in this process.

    `target` is accepted and ignored (there is no distributed runtime); from `config` the
    intra-op thread count and `operation_timeout_in_ms` are read. `io_policy` (a
    `metarun.io_policy(...)`, not in TF) confines every run's file access and tensor
    memory; a `with metarun.io_policy(...)` block overrides it for the runs inside. Usable
    as a context manager, which makes it (and its graph) the default and closes it on exit."""

    def __init__(self, target: str = "", graph: Optional["graph_lib.Graph"] = None,
                 config: Optional[ConfigProto] = None, io_policy: Optional["io_policy_lib.IoPolicy"] = None) -> None:
        super().__init__(target, graph, config, io_policy)

    @staticmethod
    def reset(target, containers=None, config=None):
        pass


class InteractiveSession(BaseSession):
    """A Session that installs itself as the default on construction."""

    def __init__(self, target="", graph=None, config=None, io_policy=None):
        super().__init__(target, graph, config, io_policy)
        self._graph_cm = self._graph.as_default()
        self._graph_cm.__enter__()
        self._session_cm = _default_session_context(self)
        self._session_cm.__enter__()

    def close(self):
        if not self._closed:
            try:
                self._session_cm.__exit__(None, None, None)
                self._graph_cm.__exit__(None, None, None)
            except ValueError:
                pass
        super().close()
