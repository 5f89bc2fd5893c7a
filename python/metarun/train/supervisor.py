"""tf.compat.v1.train.Supervisor: a SessionManager, a Coordinator and a Saver run together.

The chief restores the newest checkpoint in `logdir` (or initialises the model), writes
logdir/graph.pbtxt and starts a thread saving logdir/<checkpoint_basename>-<global step>
every save_model_secs (the first save as soon as it starts); other tasks wait for the chief
to make the model ready. Ops not given are taken from the graph's collections or built as
TF builds them, and the graph is finalized.

The chief with a logdir also writes an events file there, as TF: the graph and meta graph,
session logs (START, CHECKPOINT after each save, STOP), the summary op's value and the global
step's steps/sec every save_summaries_secs.
"""

import contextlib
import logging
import os
import time

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.train import coordinator
from metarun.train import monitored_session
from metarun.train import session_manager as session_manager_lib
from metarun.train import training_util

_log = logging.getLogger("tensorflow")

class Supervisor(object):
    """Creates a ready session, saves checkpoints in the background and stops its threads
    together (see the module docstring)."""

    # TF's sentinel, and its value: scripts pass `tf.train.Supervisor.USE_DEFAULT`.
    USE_DEFAULT = 0

    def __init__(self, graph=None, ready_op=USE_DEFAULT, ready_for_local_init_op=USE_DEFAULT, is_chief=True,
                 init_op=USE_DEFAULT, init_feed_dict=None, local_init_op=USE_DEFAULT, logdir=None,
                 summary_op=USE_DEFAULT, saver=USE_DEFAULT, global_step=USE_DEFAULT, save_summaries_secs=120,
                 save_model_secs=600, recovery_wait_secs=30, stop_grace_secs=120, checkpoint_basename="model.ckpt",
                 session_manager=None, summary_writer=USE_DEFAULT, init_fn=None, local_init_run_options=None):
        if graph is None:
            graph = graph_lib.get_default_graph()
        self._graph = graph
        # Built in TF's order, so that the default ops get TF's names.
        with graph.as_default():
            self._ready_op = self._ready_op_or_default(ready_op)
            self._ready_for_local_init_op = ready_for_local_init_op
            if ready_for_local_init_op is Supervisor.USE_DEFAULT:
                self._ready_for_local_init_op = self._first_in_collection(graph_lib.GraphKeys.READY_FOR_LOCAL_INIT_OP)
            self._init_op = self._init_op_or_default(init_op)
            self._init_feed_dict = init_feed_dict
            self._local_init_op = self._local_init_op_or_default(local_init_op)
            self._saver = self._saver_or_default(saver)
            self._summary_op = self._summary_op_or_default(summary_op)
            self._global_step = self._global_step_or_default(global_step)
        from metarun.train.meta_graph import create_meta_graph_def
        self._meta_graph_def = create_meta_graph_def(graph, saver_def=self._saver.saver_def if self._saver else None)
        self._is_chief = is_chief
        self._coord = coordinator.Coordinator()
        self._recovery_wait_secs = recovery_wait_secs
        self._stop_grace_secs = stop_grace_secs
        self._init_fn = init_fn
        self._local_init_run_options = local_init_run_options
        self._logdir = None
        self._save_summaries_secs = None
        self._save_model_secs = None
        self._save_path = None
        self._summary_writer = None
        if is_chief:
            self._logdir = logdir
            self._save_summaries_secs = save_summaries_secs
            self._save_model_secs = save_model_secs
            if logdir:
                self._save_path = os.path.join(logdir, checkpoint_basename)
            if summary_writer is Supervisor.USE_DEFAULT:
                if logdir:
                    from metarun.summary import FileWriter
                    self._summary_writer = FileWriter(logdir)
            else:
                self._summary_writer = summary_writer
            self._graph_added_to_summary = False
        if session_manager is None:
            session_manager = session_manager_lib.SessionManager(
                local_init_op=self._local_init_op, ready_op=self._ready_op,
                ready_for_local_init_op=self._ready_for_local_init_op, graph=graph,
                recovery_wait_secs=recovery_wait_secs, local_init_run_options=local_init_run_options)
        self._session_manager = session_manager
        self._verify_setup()
        graph.finalize()

    # -- default ops --------------------------------------------------------------------------

    def _first_in_collection(self, key):
        items = graph_lib.get_default_graph().get_collection(key)
        if len(items) > 1:
            _log.info("Found %d %s operations. Returning the first one.", len(items), key)
        return items[0] if items else None

    def _or_default(self, value, key, build):
        """`value`, unless USE_DEFAULT: then the collection's first item, else build()'s result
        (added to the collection unless None)."""
        if value is not Supervisor.USE_DEFAULT:
            return value
        value = self._first_in_collection(key)
        if value is None:
            value = build()
            if value is not None:
                graph_lib.get_default_graph().add_to_collection(key, value)
        return value

    def _ready_op_or_default(self, ready_op):
        return self._or_default(ready_op, graph_lib.GraphKeys.READY_OP,
                                monitored_session._report_uninitialized_variables)

    def _init_op_or_default(self, init_op):
        from metarun.framework import variables
        return self._or_default(init_op, graph_lib.GraphKeys.INIT_OP, variables.global_variables_initializer)

    def _local_init_op_or_default(self, local_init_op):
        def build():
            from metarun.framework import variables
            from metarun.initializers import tables_initializer
            from metarun.ops import control_flow_ops
            return control_flow_ops.group(variables.local_variables_initializer(), tables_initializer())
        return self._or_default(local_init_op, graph_lib.GraphKeys.LOCAL_INIT_OP, build)

    def _saver_or_default(self, saver):
        def build():
            from metarun.framework import variables
            from metarun.train.saver import Saver
            return Saver() if variables.global_variables() else None
        return self._or_default(saver, graph_lib.GraphKeys.SAVERS, build)

    def _summary_op_or_default(self, summary_op):
        from metarun import summary
        return self._or_default(summary_op, graph_lib.GraphKeys.SUMMARY_OP, summary.merge_all)

    def _global_step_or_default(self, global_step):
        return self._or_default(global_step, graph_lib.GraphKeys.GLOBAL_STEP, self._default_global_step_tensor)

    def _default_global_step_tensor(self):
        """The tensor `global_step:0` when it is an integer, else None."""
        try:
            gs = graph_lib.get_default_graph().get_tensor_by_name("global_step:0")
        except KeyError:
            return None
        if gs.dtype.base_dtype in (dtypes.int32, dtypes.int64):
            return gs
        _log.warning("Found 'global_step' is not an int type: %s", gs.dtype)
        return None

    def _verify_setup(self):
        # Replicas share variables only through devices set on them.
        if self._is_chief:
            return
        for op in self._graph.get_operations():
            if op.type in ("Variable", "VariableV2") and not op.device:
                raise ValueError("When using replicas, all Variables must have their device set: %s" % op)

    # -- properties -----------------------------------------------------------------------------

    @property
    def is_chief(self):
        return self._is_chief

    @property
    def session_manager(self):
        return self._session_manager

    @property
    def coord(self):
        return self._coord

    @property
    def init_op(self):
        return self._init_op

    @property
    def init_feed_dict(self):
        return self._init_feed_dict

    @property
    def ready_op(self):
        return self._ready_op

    @property
    def ready_for_local_init_op(self):
        return self._ready_for_local_init_op

    @property
    def summary_writer(self):
        return self._summary_writer

    @property
    def summary_op(self):
        return self._summary_op

    @property
    def save_summaries_secs(self):
        return self._save_summaries_secs

    @property
    def global_step(self):
        return self._global_step

    @property
    def saver(self):
        return self._saver

    @property
    def save_model_secs(self):
        return self._save_model_secs

    @property
    def save_path(self):
        return self._save_path

    # -- sessions and services --------------------------------------------------------------------

    def _write_graph(self):
        if self._logdir:
            from metarun.train.meta_graph import write_graph
            write_graph(self._graph.as_graph_def(add_shapes=True), self._logdir, "graph.pbtxt")
        if self._summary_writer and not self._graph_added_to_summary:
            self._summary_writer.add_graph(self._graph)
            self._summary_writer.add_meta_graph(self._meta_graph_def)
            self._graph_added_to_summary = True

    def start_standard_services(self, sess):
        """Start the summary, step counter and checkpoint threads (chief only; a logdir is
        needed) after a START session log; return the threads started, or None without a
        logdir."""
        if not self._is_chief:
            raise RuntimeError("Only chief supervisor can start standard services. "
                               "Because only chief supervisors can write events.")
        if not self._logdir:
            _log.warning("Standard services need a 'logdir' passed to the SessionManager")
            return None
        if self._global_step is not None and self._summary_writer:
            current_step = training_util.global_step(sess, self._global_step)
            self._summary_writer.add_session_log(_session_log(status="START"), current_step)
        threads = []
        if self._save_summaries_secs and self._summary_writer:
            if self._summary_op is not None:
                threads.append(_SummaryThread(self, sess))
            if self._global_step is not None:
                threads.append(_StepCounterThread(self, sess))
        if self._saver and self._save_model_secs:
            threads.append(_CheckpointThread(self, sess))
        for t in threads:
            t.start()
        return threads

    def prepare_or_wait_for_session(self, master="", config=None, wait_for_checkpoint=False, max_wait_secs=7200,
                                    start_standard_services=True):
        """The chief's session, restored from logdir's newest checkpoint or initialised (and
        the standard services started); a worker's once the chief has made the model ready."""
        self._coord.clear_stop()
        if self._summary_writer:
            self._summary_writer.reopen()
        if self._is_chief:
            sess = self._session_manager.prepare_session(
                master, init_op=self._init_op, saver=self._saver, checkpoint_dir=self._logdir,
                wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs, config=config,
                init_feed_dict=self._init_feed_dict, init_fn=self._init_fn)
            self._write_graph()
            if start_standard_services:
                _log.info("Starting standard services.")
                self.start_standard_services(sess)
        else:
            sess = self._session_manager.wait_for_session(master, config=config, max_wait_secs=max_wait_secs)
        if start_standard_services:
            _log.info("Starting queue runners.")
            self.start_queue_runners(sess)
        return sess

    def start_queue_runners(self, sess, queue_runners=None):
        """Start daemon threads for `queue_runners` (the graph's by default) under the
        supervisor's coordinator; returns them."""
        if queue_runners is None:
            queue_runners = self._graph.get_collection(graph_lib.GraphKeys.QUEUE_RUNNERS)
        threads = []
        for qr in queue_runners:
            threads.extend(qr.create_threads(sess, coord=self._coord, daemon=True, start=True))
        return threads

    def loop(self, timer_interval_secs, target, args=None, kwargs=None):
        """Start a LooperThread calling `target` every timer_interval_secs until a stop."""
        return coordinator.LooperThread.loop(self._coord, timer_interval_secs, target, args=args, kwargs=kwargs)

    def stop(self, threads=None, close_summary_writer=True, ignore_live_threads=False):
        """Request a stop and join the services (and `threads`) within stop_grace_secs;
        raises what a thread reported to the coordinator."""
        self._coord.request_stop()
        try:
            self._coord.join(threads, stop_grace_period_secs=self._stop_grace_secs,
                             ignore_live_threads=ignore_live_threads)
        finally:
            # the writer closes last: a service thread may still have been writing
            if close_summary_writer and self._summary_writer:
                self._summary_writer.add_session_log(_session_log(status="STOP"))
                self._summary_writer.close()
                self._graph_added_to_summary = False

    def request_stop(self, ex=None):
        self._coord.request_stop(ex=ex)

    def should_stop(self):
        return self._coord.should_stop()

    def stop_on_exception(self):
        return self._coord.stop_on_exception()

    def wait_for_stop(self):
        self._coord.wait_for_stop()

    def summary_computed(self, sess, summary, global_step=None):
        """Write `summary` (a Summary proto or its bytes) at `global_step` (the global step's
        value when None and the supervisor has one)."""
        if not self._summary_writer:
            raise RuntimeError("Writing a summary requires a summary writer.")
        if global_step is None and self.global_step is not None:
            global_step = training_util.global_step(sess, self.global_step)
        self._summary_writer.add_summary(summary, global_step)

    @contextlib.contextmanager
    def managed_session(self, master="", config=None, start_standard_services=True, close_summary_writer=True):
        """A session from prepare_or_wait_for_session. On leaving, the services are stopped and
        joined and the session closed; an exception from the block is raised again after that,
        except OutOfRangeError (the coordinator's clean stop), which ends the block quietly."""
        sess = None
        try:
            sess = self.prepare_or_wait_for_session(master=master, config=config,
                                                    start_standard_services=start_standard_services)
            yield sess
        except Exception as e:  # noqa: BLE001 -- handed to the coordinator, which raises it from stop()
            self.request_stop(e)
        finally:
            try:
                self.stop(close_summary_writer=close_summary_writer)
            finally:
                if sess is not None:
                    try:
                        sess.close()
                    except Exception:  # noqa: BLE001 -- a failing close must not hide the error being raised
                        pass

    # TF's CamelCase aliases.
    PrepareSession = prepare_or_wait_for_session
    StartQueueRunners = start_queue_runners
    StartStandardServices = start_standard_services
    Stop = stop
    RequestStop = request_stop
    Loop = loop
    ShouldStop = should_stop
    StopOnException = stop_on_exception
    WaitForStop = wait_for_stop
    SummaryComputed = summary_computed


class _CheckpointThread(coordinator.LooperThread):
    """Saves sv.save_path with the global step every sv.save_model_secs, the first time at once."""

    def __init__(self, sv, sess):
        super(_CheckpointThread, self).__init__(sv.coord, sv.save_model_secs)
        self._sv = sv
        self._sess = sess

    def run_loop(self):
        _log.info("Saving checkpoint to path %s", self._sv.save_path)
        self._sv.saver.save(self._sess, self._sv.save_path, global_step=self._sv.global_step)
        if self._sv.summary_writer and self._sv.global_step is not None:
            current_step = training_util.global_step(self._sess, self._sv.global_step)
            self._sv.summary_writer.add_session_log(
                _session_log(status="CHECKPOINT", checkpoint_path=self._sv.save_path), current_step)


class _SummaryThread(coordinator.LooperThread):
    """Writes the summary op's value (at the global step, when there is one) every
    sv.save_summaries_secs, the first time at once."""

    def __init__(self, sv, sess):
        super(_SummaryThread, self).__init__(sv.coord, sv.save_summaries_secs)
        self._sv = sv
        self._sess = sess

    def run_loop(self):
        if self._sv.global_step is not None:
            summary_strs, global_step = self._sess.run([self._sv.summary_op, self._sv.global_step])
        else:
            summary_strs, global_step = self._sess.run(self._sv.summary_op), None
        if self._sv.summary_writer:
            _log.info("Recording summary at step %s.", global_step)
            self._sv.summary_writer.add_summary(summary_strs, global_step)


class _StepCounterThread(coordinator.LooperThread):
    """Writes `<global step op>/sec`, the steps per second since its last write, every
    sv.save_summaries_secs."""

    def __init__(self, sv, sess):
        super(_StepCounterThread, self).__init__(sv.coord, sv.save_summaries_secs)
        self._sv = sv
        self._sess = sess
        self._last_time = 0.0
        self._last_step = 0
        self._tag = "%s/sec" % sv.global_step.op.name
        self._logged = 0

    def start_loop(self):
        self._last_time = time.time()
        self._last_step = training_util.global_step(self._sess, self._sv.global_step)

    def run_loop(self):
        current_step = training_util.global_step(self._sess, self._sv.global_step)
        added_steps, self._last_step = current_step - self._last_step, current_step
        now = time.time()
        elapsed, self._last_time = now - self._last_time, now
        steps_per_sec = added_steps / elapsed if elapsed > 0.0 else float("inf")
        if self._sv.summary_writer:
            from metarun import summary
            self._sv.summary_writer.add_summary(
                summary.Summary(value=[summary.Summary.Value(tag=self._tag, simple_value=steps_per_sec)]),
                current_step)
        if self._logged < 10:  # TF logs the first ten
            self._logged += 1
            _log.info("%s: %g", self._tag, steps_per_sec)


def _session_log(**fields):
    from metarun import summary
    return summary.SessionLog(**fields)
