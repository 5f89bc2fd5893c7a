"""tf.compat.v1.train.MonitoredSession and what it is made of.

A MonitoredSession is a stack of wrappers around one Session:

    _RecoverableSession   (MonitoredSession only) makes a new session after Aborted/Unavailable
    _CoordinatedSession   a Coordinator: a stop it was asked for, and the exception it holds
    _HookedSession        calls every hook's before_run/after_run around each run
    Session               made by a SessionCreator (Scaffold + SessionManager)

The Scaffold builds the graph's default init, ready and local-init ops and its Saver, then
finalizes the graph. TF's ready ops (report_uninitialized_variables and _resources) run
here as TF builds them: IsVariableInitialized/VarIsInitializedOp, Pack, LogicalNot and a
boolean_mask of the names.
"""

import abc
import inspect
import logging
import os

from metarun import errors
from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework import session as session_lib
from metarun.train import basic_session_run_hooks
from metarun.train import coordinator
from metarun.train import queue_runner_impl
from metarun.train import session_manager as sm
from metarun.train import session_run_hook

_log = logging.getLogger("tensorflow")

# Errors after which a MonitoredSession makes a new session rather than fail.
_PREEMPTION_ERRORS = (errors.AbortedError, errors.UnavailableError)

USE_DEFAULT = object()

# Where TF builds the ready ops, unless this environment variable says otherwise.
_REPORT_DEVICE_ENV = "TF_DEVICE_FOR_UNINITIALIZED_VARIABLE_REPORTING"


def _report_uninitialized(items, names, is_initialized, name):
    """TF's report_uninitialized_variables/_resources: under `name`, a 1-D string tensor of
    the `names` whose `is_initialized(item)` is false (an empty constant for no items)."""
    from metarun.framework.op_builder import constant
    from metarun.ops import array_ops, math_ops
    g = graph_lib.get_default_graph()
    with g.name_scope(name):
        checks = [is_initialized(x) for x in items]  # on each item's own device
        with g.device(os.environ.get(_REPORT_DEVICE_ENV, "/cpu:0")):
            if not items:
                return constant([], dtype=dtypes.string)
            mask = math_ops.logical_not(array_ops.stack(checks))
            return array_ops.boolean_mask(constant(names), mask)


def _report_uninitialized_variables(var_list=None):
    from metarun.framework import variables
    g = graph_lib.get_default_graph()
    if var_list is None:
        var_list = variables.global_variables() + variables.local_variables()
        if not var_list:  # variables made outside tf.Variable: the graph's variable ops
            var_list = [op.outputs[0] for op in g.get_operations()
                        if op.type in ("Variable", "VariableV2", "AutoReloadVariable")]
    return _report_uninitialized(var_list, [v.op.name for v in var_list], _is_initialized,
                                 "report_uninitialized_variables")


def _is_initialized(v):
    from metarun.framework import variables
    if isinstance(v, variables.Variable):
        return variables.is_variable_initialized(v)
    from metarun.framework.op_builder import apply_op
    return apply_op("IsVariableInitialized", ref=v, dtype=v.dtype.base_dtype)


def _report_uninitialized_resources(resource_list=None):
    g = graph_lib.get_default_graph()
    if resource_list is None:
        resource_list = g.get_collection(graph_lib.GraphKeys.RESOURCES) + \
            g.get_collection(graph_lib.GraphKeys.LOCAL_RESOURCES)
    return _report_uninitialized(resource_list, [r.handle.name for r in resource_list],
                                 lambda r: r.is_initialized, "report_uninitialized_resources")


def _initialize_resources(resource_list, name="init"):
    from metarun.ops import control_flow_ops
    if resource_list:
        return control_flow_ops.group(*[r.create for r in resource_list], name=name)
    return control_flow_ops.no_op(name=name)


def _tables_initializer(name="init_all_tables"):
    from metarun.ops import control_flow_ops
    inits = graph_lib.get_default_graph().get_collection(graph_lib.GraphKeys.TABLE_INITIALIZERS)
    if inits:
        return control_flow_ops.group(*inits, name=name)
    return control_flow_ops.no_op(name=name)


def _saver_or_default():
    """The graph's one Saver (SAVERS collection), else a new sharded one added there."""
    from metarun.train.saver import Saver
    g = graph_lib.get_default_graph()
    savers = g.get_collection(graph_lib.GraphKeys.SAVERS)
    if savers:
        if len(savers) > 1:
            raise RuntimeError("More than one item in collection {}. Please indicate which one to use by passing "
                               "it to the constructor.".format(graph_lib.GraphKeys.SAVERS))
        return savers[0]
    saver = Saver(sharded=True, allow_empty=True)
    g.add_to_collection(graph_lib.GraphKeys.SAVERS, saver)
    return saver


class Scaffold(object):
    """The ops and Saver a MonitoredSession needs; those not given are taken from the graph's
    collections or built by finalize()."""

    def __init__(self, init_op=None, init_feed_dict=None, init_fn=None, ready_op=None, ready_for_local_init_op=None,
                 local_init_op=None, summary_op=None, saver=None, copy_from_scaffold=None, local_init_feed_dict=None):
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError("copy_from_scaffold is not a Scaffold instance.")
            base = copy_from_scaffold

            def pick(mine, theirs):
                return mine if mine is not None else theirs
            init_op = pick(init_op, base.init_op)
            init_feed_dict = pick(init_feed_dict, base.init_feed_dict)
            init_fn = pick(init_fn, base._user_init_fn)
            ready_op = pick(ready_op, base.ready_op)
            ready_for_local_init_op = pick(ready_for_local_init_op, base.ready_for_local_init_op)
            local_init_op = pick(local_init_op, base.local_init_op)
            local_init_feed_dict = pick(local_init_feed_dict, base.local_init_feed_dict)
            summary_op = pick(summary_op, base.summary_op)
            saver = pick(saver, base.saver)
        self._user_init_fn = init_fn
        # The user's init_fn takes (scaffold, session); the SessionManager calls it with the session.
        self._init_fn = (lambda sess: init_fn(self, sess)) if init_fn else None
        self._init_op = init_op
        self._init_feed_dict = init_feed_dict
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._local_init_op = local_init_op
        self._local_init_feed_dict = local_init_feed_dict
        self._summary_op = summary_op
        self._saver = saver

    def finalize(self):
        """Build the missing ops (in TF's order, so names match), then finalize the graph."""
        from metarun.framework import variables
        from metarun.ops import array_ops, control_flow_ops
        g = graph_lib.get_default_graph()
        keys = graph_lib.GraphKeys
        if self._init_op is None:
            def default_init_op():
                return control_flow_ops.group(
                    variables.global_variables_initializer(),
                    _initialize_resources(g.get_collection(keys.RESOURCES)),
                    g.get_collection("saved_model_initializers"))
            self._init_op = Scaffold.get_or_default("init_op", keys.INIT_OP, default_init_op)
        if self._ready_op is None:
            def default_ready_op():
                return array_ops.concat([_report_uninitialized_variables(), _report_uninitialized_resources()], 0)
            self._ready_op = Scaffold.get_or_default("ready_op", keys.READY_OP, default_ready_op)
        if self._ready_for_local_init_op is None:
            def default_ready_for_local_init_op():
                return array_ops.concat([_report_uninitialized_variables(variables.global_variables()),
                                         _report_uninitialized_resources(g.get_collection(keys.RESOURCES))], 0)
            self._ready_for_local_init_op = Scaffold.get_or_default(
                "ready_for_local_init_op", keys.READY_FOR_LOCAL_INIT_OP, default_ready_for_local_init_op)
        if self._local_init_op is None:
            self._local_init_op = Scaffold.get_or_default("local_init_op", keys.LOCAL_INIT_OP,
                                                          Scaffold.default_local_init_op)
        if self._summary_op is None:
            from metarun import summary
            self._summary_op = Scaffold.get_or_default("summary_op", keys.SUMMARY_OP, summary.merge_all)
        if self._saver is None:
            self._saver = _saver_or_default()
        g.finalize()
        _log.info("Graph was finalized.")
        return self

    @property
    def init_fn(self):
        return self._init_fn

    @property
    def init_op(self):
        return self._init_op

    @property
    def ready_op(self):
        return self._ready_op

    @property
    def ready_for_local_init_op(self):
        return self._ready_for_local_init_op

    @property
    def local_init_op(self):
        return self._local_init_op

    @property
    def local_init_feed_dict(self):
        return self._local_init_feed_dict

    @property
    def summary_op(self):
        return self._summary_op

    @property
    def saver(self):
        return self._saver

    @property
    def init_feed_dict(self):
        return self._init_feed_dict

    @staticmethod
    def get_or_default(arg_name, collection_key, default_constructor):
        """The one item in `collection_key`, else default_constructor()'s result (added to the
        collection unless None)."""
        g = graph_lib.get_default_graph()
        elements = g.get_collection(collection_key)
        if elements:
            if len(elements) > 1:
                # TF passes the format arguments as extra exception args, unformatted.
                raise RuntimeError('More than one item in the collection "%s". Please indicate which one to use by '
                                   "passing it to the tf.Scaffold constructor as:  tf.Scaffold(%s=item to use)",
                                   collection_key, arg_name)
            return elements[0]
        op = default_constructor()
        if op is not None:
            g.add_to_collection(collection_key, op)
        return op

    @staticmethod
    def default_local_init_op():
        """Local variables, tables and local resources initialised, grouped."""
        from metarun.framework import variables
        from metarun.ops import control_flow_ops
        g = graph_lib.get_default_graph()
        return control_flow_ops.group(variables.local_variables_initializer(), _tables_initializer(),
                                      _initialize_resources(g.get_collection(graph_lib.GraphKeys.LOCAL_RESOURCES)))


class SessionCreator(abc.ABC):
    """Makes a tf.Session."""

    @abc.abstractmethod
    def create_session(self):
        raise NotImplementedError("create_session is not implemented for {}.".format(self))


class _ScaffoldSessionCreator(SessionCreator):
    """One SessionManager made from the scaffold's ops, on first use."""

    def _get_session_manager(self):
        if self._session_manager:
            return self._session_manager
        self._session_manager = sm.SessionManager(
            local_init_op=self._scaffold.local_init_op, local_init_feed_dict=self._scaffold.local_init_feed_dict,
            ready_op=self._scaffold.ready_op, ready_for_local_init_op=self._scaffold.ready_for_local_init_op,
            graph=graph_lib.get_default_graph())
        return self._session_manager


class ChiefSessionCreator(_ScaffoldSessionCreator):
    """Restores from checkpoint_dir (or checkpoint_filename_with_path) or initialises."""

    def __init__(self, scaffold=None, master="", config=None, checkpoint_dir=None,
                 checkpoint_filename_with_path=None):
        self._checkpoint_dir = checkpoint_dir
        self._checkpoint_filename_with_path = checkpoint_filename_with_path
        self._scaffold = scaffold or Scaffold()
        self._session_manager = None
        self._master = master
        self._config = config

    def create_session(self):
        self._scaffold.finalize()
        return self._get_session_manager().prepare_session(
            self._master, saver=self._scaffold.saver, checkpoint_dir=self._checkpoint_dir,
            checkpoint_filename_with_path=self._checkpoint_filename_with_path, config=self._config,
            init_op=self._scaffold.init_op, init_feed_dict=self._scaffold.init_feed_dict,
            init_fn=self._scaffold.init_fn)


class WorkerSessionCreator(_ScaffoldSessionCreator):
    """Waits for the chief to make the model ready."""

    def __init__(self, scaffold=None, master="", config=None, max_wait_secs=30 * 60):
        self._scaffold = scaffold or Scaffold()
        self._session_manager = None
        self._master = master
        self._config = config
        self._max_wait_secs = max_wait_secs

    def create_session(self):
        self._scaffold.finalize()
        return self._get_session_manager().wait_for_session(self._master, config=self._config,
                                                            max_wait_secs=self._max_wait_secs)


def _fn_args(fn):
    """The argument names of `fn`, as TF's function_utils.fn_args gives them: a bound
    method's first argument and a partial's bound arguments left out."""
    import functools
    if isinstance(fn, functools.partial):
        names = _fn_args(fn.func)
        return tuple(n for n in names[len(fn.args):] if n not in (fn.keywords or {}))
    if hasattr(fn, "__call__") and inspect.ismethod(fn.__call__):  # a callable object
        fn = fn.__call__
    names = list(inspect.getfullargspec(fn).args)
    if inspect.ismethod(fn) and fn.__self__ is not None and names:
        names.pop(0)
    return tuple(names)


class _MonitoredSession(object):
    """What MonitoredSession and SingularMonitoredSession share."""

    def __init__(self, session_creator, hooks, should_recover, stop_grace_period_secs=120):
        self._graph_was_finalized = graph_lib.get_default_graph().finalized
        self._hooks = hooks or []
        for h in self._hooks:
            h.begin()
        self._coordinated_creator = self._CoordinatedSessionCreator(
            session_creator=session_creator or ChiefSessionCreator(), hooks=self._hooks,
            stop_grace_period_secs=stop_grace_period_secs)
        if should_recover:
            self._sess = _RecoverableSession(self._coordinated_creator)
        else:
            self._sess = self._coordinated_creator.create_session()

    @property
    def graph(self):
        if self._tf_sess() is None:
            return None
        return self._tf_sess().graph

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        return self._sess.run(fetches, feed_dict=feed_dict, options=options, run_metadata=run_metadata)

    def run_step_fn(self, step_fn):
        """step_fn(step_context): runs in the raw session; step_context.run_with_hooks runs
        through the hooks and request_stop() ends the loop."""
        args = _fn_args(step_fn)
        if args != ("step_context",) and args != ("self", "step_context"):
            raise ValueError("`step_fn` may either have one `step_context` argument, or `self` and `step_context` "
                             "arguments if it's an instance method. Got {} instead.".format(args))
        return self._sess.run_step_fn(step_fn, self._tf_sess(), run_with_hooks=None)

    class StepContext(object):
        """What a step_fn gets: the raw session and a run through the hooks."""

        def __init__(self, session, run_with_hooks_fn):
            self._session = session
            self._run_with_hooks_fn = run_with_hooks_fn

        @property
        def session(self):
            return self._session

        def run_with_hooks(self, *args, **kwargs):
            return self._run_with_hooks_fn(*args, **kwargs)

        def request_stop(self):
            # Caught by __exit__, which closes the session cleanly.
            raise StopIteration("step_fn has requested the iterations to stop.")

    def should_stop(self):
        return self._sess is None or self._sess.should_stop()

    def close(self):
        self._close_internal()

    def __enter__(self):
        return self

    def __exit__(self, exception_type, exception_value, traceback):
        if exception_type in (errors.OutOfRangeError, StopIteration):
            exception_type = None
        self._close_internal(exception_type)
        # A clean stop (including OutOfRange and StopIteration) is swallowed.
        return exception_type is None

    class _CoordinatedSessionCreator(SessionCreator):
        """The creator's session with a new Coordinator, after_create_session called on
        every hook, wrapped as _CoordinatedSession(_HookedSession(...))."""

        def __init__(self, session_creator, hooks, stop_grace_period_secs):
            self._session_creator = session_creator
            self._hooks = hooks
            self.coord = None
            self.tf_sess = None
            self._stop_grace_period_secs = stop_grace_period_secs

        def create_session(self):
            self.tf_sess = self._session_creator.create_session()
            self.coord = coordinator.Coordinator(clean_stop_exception_types=[])
            if graph_lib.get_default_graph().get_collection(graph_lib.GraphKeys.QUEUE_RUNNERS):
                queue_runner_impl.start_queue_runners(sess=self.tf_sess, coord=self.coord)
            for hook in self._hooks:
                hook.after_create_session(self.tf_sess, self.coord)
            return _CoordinatedSession(_HookedSession(self.tf_sess, self._hooks), self.coord,
                                       self._stop_grace_period_secs)

    def _close_internal(self, exception_type=None):
        try:
            if not exception_type:
                for h in self._hooks:
                    h.end(self._coordinated_creator.tf_sess)
        finally:
            try:
                if self._sess is None:
                    raise RuntimeError("Session is already closed.")
                self._sess.close()
            finally:
                self._sess = None
                self._coordinated_creator.tf_sess = None
                self._coordinated_creator.coord = None
                if not self._graph_was_finalized:
                    graph_lib.get_default_graph()._unsafe_unfinalize()

    def _is_closed(self):
        return self._coordinated_creator.tf_sess is None

    def _tf_sess(self):
        return self._coordinated_creator.tf_sess


class MonitoredSession(_MonitoredSession):
    """A session that runs hooks around every run, restores or initialises itself (by
    default through a ChiefSessionCreator) and recovers from preemption errors."""

    def __init__(self, session_creator=None, hooks=None, stop_grace_period_secs=120):
        super(MonitoredSession, self).__init__(session_creator, hooks, should_recover=True,
                                               stop_grace_period_secs=stop_grace_period_secs)


class SingularMonitoredSession(_MonitoredSession):
    """A MonitoredSession for one process: chief creator, no recovery, raw_session()."""

    def __init__(self, hooks=None, scaffold=None, master="", config=None, checkpoint_dir=None,
                 stop_grace_period_secs=120, checkpoint_filename_with_path=None):
        session_creator = ChiefSessionCreator(scaffold=scaffold, master=master, config=config,
                                              checkpoint_dir=checkpoint_dir,
                                              checkpoint_filename_with_path=checkpoint_filename_with_path)
        super(SingularMonitoredSession, self).__init__(session_creator, hooks, should_recover=False,
                                                       stop_grace_period_secs=stop_grace_period_secs)

    def raw_session(self):
        return self._tf_sess()


def MonitoredTrainingSession(master="", is_chief=True, checkpoint_dir=None, scaffold=None, hooks=None,  # noqa: N802
                             chief_only_hooks=None, save_checkpoint_secs=USE_DEFAULT, save_summaries_steps=USE_DEFAULT,
                             save_summaries_secs=USE_DEFAULT, config=None, stop_grace_period_secs=120,
                             log_step_count_steps=100, max_wait_secs=7200, save_checkpoint_steps=USE_DEFAULT,
                             summary_dir=None, save_graph_def=True):
    """A MonitoredSession set up for training: the chief restores from or initialises into
    checkpoint_dir, counts steps and saves checkpoints (every 600 s unless
    save_checkpoint_steps/secs say otherwise); a worker waits for the chief. With a summary_dir
    (by default checkpoint_dir) the chief counts steps per second into it and saves the
    scaffold's summary op (merge_all) every save_summaries_steps (100) or save_summaries_secs."""
    if save_summaries_steps is USE_DEFAULT and save_summaries_secs is USE_DEFAULT:
        save_summaries_steps, save_summaries_secs = 100, None
    elif save_summaries_secs is USE_DEFAULT:
        save_summaries_secs = None
    elif save_summaries_steps is USE_DEFAULT:
        save_summaries_steps = None
    if save_checkpoint_steps is USE_DEFAULT and save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_steps, save_checkpoint_secs = None, 600
    elif save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_secs = None
    elif save_checkpoint_steps is USE_DEFAULT:
        save_checkpoint_steps = None
    scaffold = scaffold or Scaffold()
    if not is_chief:
        session_creator = WorkerSessionCreator(scaffold=scaffold, master=master, config=config,
                                               max_wait_secs=max_wait_secs)
        return MonitoredSession(session_creator=session_creator, hooks=hooks or [],
                                stop_grace_period_secs=stop_grace_period_secs)
    all_hooks = list(chief_only_hooks or [])
    session_creator = ChiefSessionCreator(scaffold=scaffold, checkpoint_dir=checkpoint_dir, master=master,
                                          config=config)
    summary_dir = summary_dir or checkpoint_dir
    if summary_dir and log_step_count_steps and log_step_count_steps > 0:
        all_hooks.append(basic_session_run_hooks.StepCounterHook(output_dir=summary_dir,
                                                                 every_n_steps=log_step_count_steps))
    if summary_dir and ((save_summaries_steps and save_summaries_steps > 0) or
                        (save_summaries_secs and save_summaries_secs > 0)):
        all_hooks.append(basic_session_run_hooks.SummarySaverHook(
            scaffold=scaffold, save_steps=save_summaries_steps, save_secs=save_summaries_secs, output_dir=summary_dir))
    if checkpoint_dir and ((save_checkpoint_secs and save_checkpoint_secs > 0) or
                           (save_checkpoint_steps and save_checkpoint_steps > 0)):
        all_hooks.append(basic_session_run_hooks.CheckpointSaverHook(
            checkpoint_dir, save_steps=save_checkpoint_steps, save_secs=save_checkpoint_secs, scaffold=scaffold,
            save_graph_def=save_graph_def))
    if hooks:
        all_hooks.extend(hooks)
    return MonitoredSession(session_creator=session_creator, hooks=all_hooks,
                            stop_grace_period_secs=stop_grace_period_secs)


class _WrappedSession(object):
    """A session wrapper: should_stop asks this layer (_check_stop), then the one inside."""

    def __init__(self, sess):
        self._sess = sess
        self._wrapped_is_stoppable = isinstance(self._sess, _WrappedSession)

    @property
    def graph(self):
        return self._sess.graph

    @property
    def sess_str(self):
        return self._sess.sess_str

    def should_stop(self):
        if self._check_stop():
            return True
        if self._sess:
            return self._wrapped_is_stoppable and self._sess.should_stop()
        return True

    def _check_stop(self):
        return False

    def close(self):
        if self._sess:
            try:
                self._sess.close()
            except _PREEMPTION_ERRORS as e:
                _log.error("An error occurred when attempting to close the session. This may be due to a preemption "
                           "in a connected worker or parameter server. Error: %s", e)
            finally:
                self._sess = None

    def run(self, *args, **kwargs):
        return self._sess.run(*args, **kwargs)

    def run_step_fn(self, step_fn, raw_session, run_with_hooks):
        run_with_hooks = run_with_hooks or self.run
        return step_fn(_MonitoredSession.StepContext(raw_session, run_with_hooks))


_PREEMPTED = ("An error was raised%s. This may be due to a preemption in a connected worker or parameter server. "
              "%sThis error may also occur due to a gRPC failure caused by high memory or network bandwidth usage "
              "in the parameter servers. If this error occurs repeatedly, try increasing the number of parameter "
              "servers assigned to the job. Error: %%s")
_RECREATED = "The current session will be closed and a new session will be created. "


class _RecoverableSession(_WrappedSession):
    """Makes a new session (through the creator) whenever a preemption error is raised."""

    def __init__(self, sess_creator):
        self._sess_creator = sess_creator
        _WrappedSession.__init__(self, self._create_session())

    def _create_session(self):
        while True:
            try:
                return self._sess_creator.create_session()
            except _PREEMPTION_ERRORS as e:
                _log.info(_PREEMPTED % (" while a session was being created", "A new session will be created. "), e)

    def _check_stop(self):
        try:
            if self._sess:
                return self._sess._check_stop()
            return True
        except _PREEMPTION_ERRORS as e:
            _log.info(_PREEMPTED % (" while considering whether the session is complete", _RECREATED), e)
            self.close()
            self._sess = self._create_session()
            return False
        except Exception:  # noqa: BLE001 -- as TF: any other error means stop; run() will raise it
            return True

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        while True:
            try:
                if not self._sess:
                    self._sess = self._create_session()
                return self._sess.run(fetches, feed_dict=feed_dict, options=options, run_metadata=run_metadata)
            except _PREEMPTION_ERRORS as e:
                _log.info(_PREEMPTED % ("", _RECREATED), e)
                self.close()
                self._sess = None

    def run_step_fn(self, step_fn, raw_session, run_with_hooks):
        while True:
            try:
                if not self._sess:
                    self._sess = self._create_session()
                return self._sess.run_step_fn(step_fn, raw_session, self._sess.run)
            except _PREEMPTION_ERRORS as e:
                _log.info(_PREEMPTED % ("", _RECREATED), e)
                self.close()
                self._sess = None


class _CoordinatedSession(_WrappedSession):
    """Stops when the coordinator does, and raises the exception a thread reported to it in
    place of the error that thread's failure caused here."""

    def __init__(self, sess, coord, stop_grace_period_secs=120):
        _WrappedSession.__init__(self, sess)
        self._coord = coord
        self._stop_grace_period_secs = stop_grace_period_secs

    def _check_stop(self):
        self._coord.raise_requested_exception()
        return self._coord.should_stop()

    def close(self):
        self._coord.request_stop()
        try:
            self._coord.join(stop_grace_period_secs=self._stop_grace_period_secs, ignore_live_threads=True)
        finally:
            try:
                _WrappedSession.close(self)
            except Exception:  # noqa: BLE001 -- as TF: the join's exception, if any, is the one to see
                pass

    def run(self, *args, **kwargs):
        try:
            return self._sess.run(*args, **kwargs)
        except _PREEMPTION_ERRORS:
            raise
        except Exception as original_exception:
            try:
                self._coord.raise_requested_exception()
            except _PREEMPTION_ERRORS:
                raise
            except Exception:
                raise original_exception from None
            else:
                raise


class _HookedSession(_WrappedSession):
    """Runs the caller's fetches together with the hooks' in one Session.run."""

    def __init__(self, sess, hooks):
        _WrappedSession.__init__(self, sess)
        self._hooks = hooks
        self._should_stop = False

    def _check_stop(self):
        return self._should_stop

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        if self.should_stop():
            raise RuntimeError("Run called even after should_stop requested.")
        actual_fetches = {"caller": fetches}
        run_context = session_run_hook.SessionRunContext(
            original_args=session_run_hook.SessionRunArgs(fetches, feed_dict), session=self._sess)
        options = options or session_lib.RunOptions()
        feed_dict = self._call_hook_before_run(run_context, actual_fetches, feed_dict, options)
        run_metadata = run_metadata or session_lib.RunMetadata()
        outputs = _WrappedSession.run(self, fetches=actual_fetches, feed_dict=feed_dict, options=options,
                                      run_metadata=run_metadata)
        for hook in self._hooks:
            hook.after_run(run_context, session_run_hook.SessionRunValues(
                results=outputs[hook] if hook in outputs else None, options=options, run_metadata=run_metadata))
        self._should_stop = self._should_stop or run_context.stop_requested
        return outputs["caller"]

    def _call_hook_before_run(self, run_context, fetch_dict, user_feed_dict, options):
        """Add each hook's fetches to fetch_dict (keyed by the hook) and its options to
        `options`; return the feeds (RuntimeError when two of them feed one tensor)."""
        hook_feeds = {}
        for hook in self._hooks:
            request = hook.before_run(run_context)
            if request is None:
                continue
            if request.fetches is not None:
                fetch_dict[hook] = request.fetches
            if request.feed_dict:
                self._raise_if_feeds_intersects(hook_feeds, request.feed_dict, "Same tensor is fed by two hooks.")
                hook_feeds.update(request.feed_dict)
            if request.options:
                self._merge_run_options(options, request.options)
        if not hook_feeds:
            return user_feed_dict
        if not user_feed_dict:
            return hook_feeds
        self._raise_if_feeds_intersects(user_feed_dict, hook_feeds, "Same tensor is fed by a SessionRunHook and user.")
        hook_feeds.update(user_feed_dict)
        return hook_feeds

    def _raise_if_feeds_intersects(self, feeds1, feeds2, message):
        intersection = set(feeds1.keys()) & set(feeds2.keys())
        if intersection:
            raise RuntimeError(message + " Conflict(s): " + str(list(intersection)))

    def _merge_run_options(self, options, incoming):
        """TF's merge: the larger of each numeric option, either's boolean (metarun's
        RunOptions holds only what was set, and the core reads none of them)."""
        for field in ("trace_level", "timeout_in_ms", "inter_op_thread_pool", "output_partition_graphs"):
            setattr(options, field, max(getattr(options, field, 0), getattr(incoming, field, 0)))
        options.report_tensor_allocations_upon_oom = bool(
            getattr(options, "report_tensor_allocations_upon_oom", False) or
            getattr(incoming, "report_tensor_allocations_upon_oom", False))


def basic_train_loop(supervisor, train_step_fn, args=None, kwargs=None, master=""):
    """Call train_step_fn(sess, *args, **kwargs) in supervisor.managed_session(master) until
    the supervisor stops, starting over after an AbortedError."""
    args = args or []
    kwargs = kwargs or {}
    should_retry = True
    while should_retry:
        try:
            should_retry = False
            with supervisor.managed_session(master) as sess:
                while not supervisor.should_stop():
                    train_step_fn(sess, *args, **kwargs)
        except errors.AbortedError:
            should_retry = True
