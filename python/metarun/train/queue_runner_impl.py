"""tf.train.QueueRunner, add_queue_runner and start_queue_runners: threads that keep running a
queue's enqueue ops.

Each enqueue op gets a thread that runs it until it raises one of the "queue closed" types
(OutOfRangeError by default: an input such as a limit_epochs counter is exhausted); the last
such thread of a session closes the queue, so consumers drain what is left and then get
OutOfRangeError. Any other exception is reported to the Coordinator (or, without one, kept in
`exceptions_raised` and raised in the thread). With a Coordinator one more thread waits for a
stop request and then runs the cancel op, which closes the queue and cancels blocked enqueues,
so every thread can end.
"""

import logging
import threading
import weakref

from metarun import errors
from metarun.framework import graph as graph_lib
from metarun.framework import protos
from metarun.framework.variables import prepend_name_scope, strip_name_scope

_log = logging.getLogger("tensorflow")


class QueueRunner(object):
    """Holds a queue, the ops that fill it and the ops that close it; makes the threads."""

    def __init__(self, queue=None, enqueue_ops=None, close_op=None, cancel_op=None,
                 queue_closed_exception_types=None, queue_runner_def=None, import_scope=None):
        if queue_runner_def:
            if queue or enqueue_ops:
                raise ValueError("queue_runner_def and queue are mutually exclusive.")
            self._init_from_proto(queue_runner_def, import_scope)
        else:
            self._init_from_args(queue, enqueue_ops, close_op, cancel_op, queue_closed_exception_types)
        self._lock = threading.Lock()
        # Threads still running enqueue ops, per session: the last one to finish closes the queue.
        self._runs_per_session = weakref.WeakKeyDictionary()
        self._exceptions_raised = []

    def _init_from_args(self, queue, enqueue_ops, close_op, cancel_op, queue_closed_exception_types):
        if not queue or not enqueue_ops:
            raise ValueError("Must provide queue and enqueue_ops.")
        if queue_closed_exception_types is not None:
            if (not isinstance(queue_closed_exception_types, tuple) or not queue_closed_exception_types
                    or not all(isinstance(t, type) and issubclass(t, errors.OpError)
                               for t in queue_closed_exception_types)):
                raise TypeError("queue_closed_exception_types, when provided, must be a tuple of tf.error types, "
                                "but saw: %s" % (queue_closed_exception_types,))
        self._queue = queue
        self._enqueue_ops = enqueue_ops
        # Closing keeps what is already queued; cancelling also drops blocked enqueues.
        self._close_op = queue.close() if close_op is None else close_op
        self._cancel_op = queue.close(cancel_pending_enqueues=True) if cancel_op is None else cancel_op
        self._queue_closed_exception_types = tuple(queue_closed_exception_types or (errors.OutOfRangeError,))

    def _init_from_proto(self, queue_runner_def, import_scope):
        if not isinstance(queue_runner_def, protos.QueueRunnerDef):
            raise TypeError("queue_runner_def must be a QueueRunnerDef, got %r" % type(queue_runner_def))
        g = graph_lib.get_default_graph()

        def element(name):
            return g.as_graph_element(prepend_name_scope(name, import_scope))
        self._queue = element(queue_runner_def.queue_name)
        self._enqueue_ops = [element(name) for name in queue_runner_def.enqueue_op_name]
        self._close_op = element(queue_runner_def.close_op_name)
        self._cancel_op = element(queue_runner_def.cancel_op_name)
        # QueueRunnerDefs written before the field existed mean OutOfRangeError.
        self._queue_closed_exception_types = tuple(
            errors.exception_type_from_error_code(code)
            for code in queue_runner_def.queue_closed_exception_types) or (errors.OutOfRangeError,)

    @property
    def queue(self):
        return self._queue

    @property
    def enqueue_ops(self):
        return self._enqueue_ops

    @property
    def close_op(self):
        return self._close_op

    @property
    def cancel_op(self):
        return self._cancel_op

    @property
    def queue_closed_exception_types(self):
        return self._queue_closed_exception_types

    @property
    def exceptions_raised(self):
        """What the threads raised when they ran without a Coordinator (with one, it has them)."""
        return self._exceptions_raised

    @property
    def name(self):
        """The name of the queue (its op's name)."""
        return self._queue.name

    def _run(self, sess, enqueue_op, coord=None):
        finished = False
        try:
            enqueue = sess.make_callable(enqueue_op)
            while not (coord and coord.should_stop()):
                try:
                    enqueue()
                except self._queue_closed_exception_types:
                    with self._lock:
                        self._runs_per_session[sess] -= 1
                        finished = True
                        if self._runs_per_session[sess] == 0:
                            try:
                                sess.run(self._close_op)
                            except Exception as e:  # noqa: BLE001 -- a closed session: nothing left to close
                                _log.debug("Ignored exception: %s", e)
                    return
        except Exception as e:
            if coord:
                coord.request_stop(e)
            else:
                _log.error("Exception in QueueRunner: %s", e)
                with self._lock:
                    self._exceptions_raised.append(e)
                raise
        finally:
            if not finished:
                with self._lock:
                    self._runs_per_session[sess] -= 1

    def _close_on_stop(self, sess, cancel_op, coord):
        coord.wait_for_stop()
        try:
            sess.run(cancel_op)
        except Exception as e:  # noqa: BLE001 -- as TF: the queue may be gone with its session
            _log.debug("Ignored exception: %s", e)

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        """One thread per enqueue op (plus, with `coord`, one that cancels the queue on a stop
        request), registered with `coord`. None if this runner's threads still run for `sess`."""
        with self._lock:
            if self._runs_per_session.get(sess, 0) > 0:
                return []
            self._runs_per_session[sess] = len(self._enqueue_ops)
            self._exceptions_raised = []
        threads = [threading.Thread(target=self._run, args=(sess, op, coord),
                                    name="QueueRunnerThread-%s-%s" % (self.name, op.name))
                   for op in self._enqueue_ops]
        if coord:
            threads.append(threading.Thread(target=self._close_on_stop, args=(sess, self._cancel_op, coord),
                                            name="QueueRunnerThread-%s-close_on_stop" % self.name))
        for t in threads:
            if coord:
                coord.register_thread(t)
            if daemon:
                t.daemon = True
            if start:
                t.start()
        return threads

    def to_proto(self, export_scope=None):
        """A QueueRunnerDef naming the ops (export_scope stripped); None for a queue outside it."""
        if export_scope is not None and not self.queue.name.startswith(export_scope):
            return None
        qr_def = protos.QueueRunnerDef()
        qr_def.queue_name = strip_name_scope(self.queue.name, export_scope)
        qr_def.enqueue_op_name.extend(strip_name_scope(op.name, export_scope) for op in self.enqueue_ops)
        qr_def.close_op_name = strip_name_scope(self.close_op.name, export_scope)
        qr_def.cancel_op_name = strip_name_scope(self.cancel_op.name, export_scope)
        qr_def.queue_closed_exception_types.extend(
            errors.error_code_from_exception_type(cls) for cls in self._queue_closed_exception_types)
        return qr_def

    @staticmethod
    def from_proto(queue_runner_def, import_scope=None):
        return QueueRunner(queue_runner_def=queue_runner_def, import_scope=import_scope)


def add_queue_runner(qr, collection=graph_lib.GraphKeys.QUEUE_RUNNERS):
    """Add `qr` to the default graph's `collection` (queue runners by default)."""
    graph_lib.get_default_graph().add_to_collection(collection, qr)


def start_queue_runners(sess=None, coord=None, daemon=True, start=True, collection=graph_lib.GraphKeys.QUEUE_RUNNERS):
    """Create (and start) the threads of every queue runner in `collection`; returns them."""
    from metarun.framework import session as session_lib  # noqa: PLC0415 -- sessions sit above graphs
    if sess is None:
        sess = session_lib.get_default_session()
        if not sess:
            raise ValueError("Cannot start queue runners: No default session is registered. Use `with "
                             "sess.as_default()` or pass an explicit session to tf.start_queue_runners(sess=sess)")
    if not isinstance(sess, session_lib.BaseSession):
        if sess.__class__.__name__ in ("MonitoredSession", "SingularMonitoredSession"):
            return []  # a monitored session started its queue runners itself
        raise TypeError("sess must be a `tf.Session` object. Given class: {}".format(sess.__class__))
    if not graph_lib.get_default_graph().get_collection(collection):
        _log.warning("`tf.train.start_queue_runners()` was called when no queue runners were defined. You "
                     "can safely remove the call to this deprecated function.")
    threads = []
    with sess.graph.as_default():
        for qr in sess.graph.get_collection(collection):
            threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads
