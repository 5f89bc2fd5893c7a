"""Event files as TF writes them: `events.out.tfevents.<10-digit seconds>.<hostname><suffix>` in
the log directory, TFRecord-framed `Event` protos, the first one `file_version: "brain.Event:2"`
stamped with the whole second the file was opened and the writer's source metadata.

As in TF, a FileWriter hands events to a queue of `max_queue` entries and a background thread
writes them to the file, flushing the file when an event arrives `flush_secs` after the last
timed flush (so the first event reaches the disk at once); `flush()` waits for the queue to drain.
The file is opened on the first event (at once when a `filename_suffix` is given); `close()`
closes it and the first event after `reopen()` opens a new one, named by the second of that
event (so within the same second it truncates the old one, as TF's does).
"""
import os
import queue
import socket
import sys
import threading
import time
import warnings

from metarun import tf_record
from metarun.framework import graph as _graph_lib
from metarun.framework import protos as _protos

_FILE_VERSION = "brain.Event:2"
_WRITER_SOURCE = "tensorflow.core.util.events_writer"  # TF's EventsWriter names itself so; readers expect it


def _event_class():
    return _protos.get_class("metarun.Event")


class _EventsWriter(object):
    """One event file at a time under `prefix`: TF's EventsWriter (records, flush, re-open)."""

    def __init__(self, prefix):
        self._prefix = prefix
        self._suffix = ""
        self._file = None
        self._path = None
        self._outstanding = 0

    def init_with_suffix(self, suffix):
        self._suffix = suffix
        self._open_if_needed()

    def _open_if_needed(self):
        if self._file is not None:
            if os.path.exists(self._path):
                return
            self._file.close()  # deleted under us: TF starts a new file (the unflushed events are lost)
            self._file = None
        seconds = int(time.time())
        self._path = "%s.out.tfevents.%010d.%s%s" % (self._prefix, seconds, socket.gethostname(), self._suffix)
        self._file = open(self._path, "wb")
        self._outstanding = 0
        first = _event_class()(wall_time=float(seconds), file_version=_FILE_VERSION)
        first.source_metadata.writer = _WRITER_SOURCE
        self.write(first.SerializeToString())
        self.flush()

    def write(self, data):
        self._open_if_needed()
        self._outstanding += 1
        self._file.write(tf_record._frame(data))

    def flush(self):
        if self._outstanding == 0:
            return
        self._file.flush()
        self._outstanding = 0

    def close(self):
        self.flush()
        if self._file is not None:
            self._file.close()
            self._file = None
        self._outstanding = 0


class _WriterThread(threading.Thread):
    """Takes serialized events off the queue and writes them; a timed flush follows an event
    that comes `flush_secs` after the last one (the first event is flushed at once)."""

    def __init__(self, events, writer, flush_secs, flushed, flush_mark, close_mark):
        super().__init__(name="EventFileWriter", daemon=True)
        self._events = events
        self._writer = writer
        self._flush_secs = flush_secs
        self._flushed = flushed
        self._flush_mark = flush_mark
        self._close_mark = close_mark
        self._next_flush = float("-inf")
        self.failure = None

    def run(self):
        try:
            while True:
                item = self._events.get()
                if item is self._close_mark:
                    return
                if item is self._flush_mark:
                    self._writer.flush()
                    self._flushed.set()
                    continue
                self._writer.write(item)
                now = time.monotonic()
                if now > self._next_flush:
                    self._writer.flush()
                    self._next_flush = now + self._flush_secs
        except Exception:  # noqa: BLE001 -- handed to the next add_event/flush, as TF's thread does
            self.failure = sys.exc_info()[1]
        finally:
            self._flushed.set()


class EventFileWriter(object):
    """Writes Event protos to an event file of `logdir` from a background thread."""

    def __init__(self, logdir, max_queue=10, flush_secs=120, filename_suffix=None):
        self._logdir = str(logdir)
        os.makedirs(self._logdir, exist_ok=True)
        self._max_queue = max_queue
        self._flush_secs = flush_secs
        self._flushed = threading.Event()
        self._flush_mark = object()
        self._close_mark = object()
        self._writer = _EventsWriter(os.path.join(self._logdir, "events"))
        if filename_suffix:
            self._writer.init_with_suffix(filename_suffix)
        self._start()
        self._closed = False

    def _start(self):
        self._events = queue.Queue(self._max_queue)
        self._worker = _WriterThread(self._events, self._writer, self._flush_secs, self._flushed,
                                     self._flush_mark, self._close_mark)
        self._worker.start()

    def get_logdir(self):
        return self._logdir

    def reopen(self):
        if self._closed:
            self._start()
            self._closed = False

    def _put(self, item):
        while self._worker.is_alive():  # a full queue blocks, as TF's, unless the thread has died
            try:
                self._events.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        self._raise_failure()

    def _raise_failure(self):
        failure = self._worker.failure
        self._internal_close()
        if failure is not None:
            raise failure

    def add_event(self, event):
        if not self._closed:
            self._put(event if isinstance(event, bytes) else event.SerializeToString())

    def flush(self):
        if self._closed:
            return
        self._flushed.clear()
        self._put(self._flush_mark)
        self._flushed.wait()
        if self._worker.failure is not None:
            self._raise_failure()

    def close(self):
        if not self._closed:
            self.flush()
            self._put(self._close_mark)
            self._internal_close()

    def _internal_close(self):
        self._closed = True
        self._worker.join()
        self._writer.close()


def _meta_graph_of(graph):
    """The MetaGraphDef TF's FileWriter adds beside the graph: that graph's GraphDef (with shapes)
    and op list, and the collections of the default graph."""
    from metarun.framework import op_def as op_def_lib
    from metarun.train import meta_graph
    default = _graph_lib.get_default_graph()
    meta = meta_graph.create_meta_graph_def(default)
    if graph is not default:
        graph_def = graph.as_graph_def(add_shapes=True) if isinstance(graph, _graph_lib.Graph) else graph
        meta.graph_def.ParseFromString(graph_def.SerializeToString())
        ops = meta.meta_info_def.stripped_op_list
        del ops.op[:]
        for op_type in sorted({node.op for node in graph_def.node}):
            op_def = op_def_lib.lookup(op_type, default._op_defs)
            if op_def is not None:
                ops.op.add().CopyFrom(op_def)
    return meta


class FileWriter(object):
    """tf.compat.v1.summary.FileWriter."""

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120, graph_def=None, filename_suffix=None,
                 session=None):
        if session is not None:
            raise NotImplementedError("FileWriter(session=...) writes through TF2 summary writer ops, which "
                                      "metarun does not have")
        self.event_writer = EventFileWriter(logdir, max_queue, flush_secs, filename_suffix)
        self._closed = False
        self._session_run_tags = {}
        self._seen_summary_tags = set()
        if graph is not None or graph_def is not None:
            self.add_graph(graph=graph, graph_def=graph_def)
            self.add_meta_graph(_meta_graph_of(graph if graph is not None else graph_def))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def get_logdir(self):
        return self.event_writer.get_logdir()

    def _warn_if_closed(self):
        if self._closed:
            warnings.warn("Attempting to use a closed FileWriter. The operation will be a noop unless the "
                          "FileWriter is explicitly reopened.")

    def _add_event(self, event, step):
        self._warn_if_closed()
        event.wall_time = time.time()
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary, global_step=None):
        cls = _protos.get_class("metarun.Summary")
        if isinstance(summary, bytes):
            parsed = cls()
            parsed.ParseFromString(summary)
            summary = parsed
        elif not isinstance(summary, cls):
            parsed = cls()  # a Summary proto of another library (e.g. TF's): same wire format
            parsed.ParseFromString(summary.SerializeToString())
            summary = parsed
        for value in summary.value:
            if not value.HasField("metadata"):
                continue
            if value.tag in self._seen_summary_tags:
                value.ClearField("metadata")
                continue
            self._seen_summary_tags.add(value.tag)
        event = _event_class()()
        event.summary.CopyFrom(summary)
        self._add_event(event, global_step)

    def add_session_log(self, session_log, global_step=None):
        event = _event_class()()
        event.session_log.ParseFromString(session_log.SerializeToString())
        self._add_event(event, global_step)

    def add_graph(self, graph, global_step=None, graph_def=None):
        if graph is not None and graph_def is not None:
            raise ValueError("Please pass only graph, or graph_def (deprecated), but not both.")
        if isinstance(graph, _graph_lib.Graph) or isinstance(graph_def, _graph_lib.Graph):
            true_graph_def = (graph if graph is not None else graph_def).as_graph_def(add_shapes=True)
        elif hasattr(graph, "node") or hasattr(graph_def, "node"):
            true_graph_def = graph if graph is not None else graph_def
        else:
            raise TypeError("The passed graph must be an instance of `Graph` or the deprecated `GraphDef`")
        event = _event_class()(graph_def=true_graph_def.SerializeToString())
        self._add_event(event, global_step)

    def add_meta_graph(self, meta_graph_def, global_step=None):
        if not hasattr(meta_graph_def, "graph_def") or not hasattr(meta_graph_def, "meta_info_def"):
            raise TypeError("meta_graph_def must be type MetaGraphDef, saw type: %s" % type(meta_graph_def))
        event = _event_class()(meta_graph_def=meta_graph_def.SerializeToString())
        self._add_event(event, global_step)

    def add_run_metadata(self, run_metadata, tag, global_step=None):
        if tag in self._session_run_tags:
            raise ValueError("The provided tag was already used for this event type")
        self._session_run_tags[tag] = True
        event = _event_class()()
        event.tagged_run_metadata.tag = tag
        # metarun's RunMetadata collects nothing (no step stats): it is written empty.
        serialize = getattr(run_metadata, "SerializeToString", None)
        event.tagged_run_metadata.run_metadata = serialize() if serialize is not None else b""
        self._add_event(event, global_step)

    def add_event(self, event):
        self._warn_if_closed()
        self.event_writer.add_event(event)

    def flush(self):
        self._warn_if_closed()
        self.event_writer.flush()

    def close(self):
        self.event_writer.close()
        self._closed = True

    def reopen(self):
        self.event_writer.reopen()
        self._closed = False


class FileWriterCache(object):
    """One FileWriter per log directory, made with the default graph on first use."""

    _cache = {}
    _lock = threading.RLock()

    @staticmethod
    def clear():
        with FileWriterCache._lock:
            for writer in FileWriterCache._cache.values():
                writer.close()
            FileWriterCache._cache = {}

    @staticmethod
    def get(logdir):
        with FileWriterCache._lock:
            writer = FileWriterCache._cache.get(logdir)
            if writer is None:
                writer = FileWriter(logdir, graph=_graph_lib.get_default_graph())
                FileWriterCache._cache[logdir] = writer
            return writer


def summary_iterator(path):
    """tf.compat.v1.train.summary_iterator: the Event protos of an event file, in order."""
    cls = _event_class()
    for record in tf_record.tf_record_iterator(path):
        event = cls()
        event.ParseFromString(record)
        yield event
