"""tf.compat.v1.train.SessionManager: a Session that is restored or initialised, and ready.

"Ready" is what the ready ops say: a ready op returns the names of the variables still
uninitialised (empty when ready). The local init op runs only once the ready-for-local-init
op reports nothing missing.
"""

import logging
import time

import numpy as np

from metarun import errors
from metarun.framework import graph as graph_lib
from metarun.framework import session as session_lib
from metarun.train import checkpoint_management

_log = logging.getLogger("tensorflow")


def _maybe_name(obj):
    if obj is None:
        return "None"
    if hasattr(obj, "name"):
        return obj.name
    return "<no name for %s>" % type(obj)


def _restore(sess, saver, path, graph):
    """Run SavedModel initializers first (the restore may read the assets they set), then
    restore `path`."""
    saved_model_init_ops = graph.get_collection("saved_model_initializers")
    if saved_model_init_ops:
        sess.run(saved_model_init_ops)
    saver.restore(sess, path)


class SessionManager(object):
    """Creates sessions from a checkpoint or init ops and checks them ready."""

    def __init__(self, local_init_op=None, ready_op=None, ready_for_local_init_op=None, graph=None,
                 recovery_wait_secs=30, local_init_run_options=None, local_init_feed_dict=None):
        if graph is None:
            graph = graph_lib.get_default_graph()
        self._local_init_op = local_init_op
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._graph = graph
        self._recovery_wait_secs = recovery_wait_secs
        self._target = None
        self._local_init_run_options = local_init_run_options
        self._local_init_feed_dict = local_init_feed_dict
        if ready_for_local_init_op is not None and local_init_op is None:
            raise ValueError("If you pass a ready_for_local_init_op you must also pass a local_init_op , "
                             "ready_for_local_init_op [%s]" % ready_for_local_init_op)

    def _restore_checkpoint(self, master, saver=None, checkpoint_dir=None, checkpoint_filename_with_path=None,
                            wait_for_checkpoint=False, max_wait_secs=7200, config=None):
        """(a new Session, whether a checkpoint was restored into it)."""
        self._target = master
        sess = session_lib.Session(self._target, graph=self._graph, config=config)
        if checkpoint_dir and checkpoint_filename_with_path:
            raise ValueError("Can not provide both checkpoint_dir and checkpoint_filename_with_path.")
        if not saver or not (checkpoint_dir or checkpoint_filename_with_path):
            return sess, False
        if checkpoint_filename_with_path:
            _restore(sess, saver, checkpoint_filename_with_path, self._graph)
            return sess, True
        waited = 0
        ckpt = checkpoint_management.get_checkpoint_state(checkpoint_dir)
        while not ckpt or not ckpt.model_checkpoint_path:
            if not (wait_for_checkpoint and waited < max_wait_secs):
                return sess, False
            _log.info("Waiting for checkpoint to be available.")
            time.sleep(self._recovery_wait_secs)
            waited += self._recovery_wait_secs
            ckpt = checkpoint_management.get_checkpoint_state(checkpoint_dir)
        _restore(sess, saver, ckpt.model_checkpoint_path, self._graph)
        saver.recover_last_checkpoints(ckpt.all_model_checkpoint_paths)
        return sess, True

    def prepare_session(self, master, init_op=None, saver=None, checkpoint_dir=None,
                        checkpoint_filename_with_path=None, wait_for_checkpoint=False, max_wait_secs=7200,
                        config=None, init_feed_dict=None, init_fn=None):
        """A ready Session: restored from the checkpoint if there is one, else initialised by
        init_op and init_fn; then the local init op. RuntimeError if it is not ready."""
        sess, loaded = self._restore_checkpoint(
            master, saver, checkpoint_dir=checkpoint_dir, checkpoint_filename_with_path=checkpoint_filename_with_path,
            wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs, config=config)
        if not loaded:
            if init_op is None and not init_fn and self._local_init_op is None:
                raise RuntimeError("Model is not initialized and no init_op or init_fn or local_init_op was given")
            if init_op is not None:
                sess.run(init_op, feed_dict=init_feed_dict)
            if init_fn:
                init_fn(sess)
        ok, msg = self._try_run_local_init_op(sess)
        if not ok:
            raise RuntimeError("Init operations did not make model ready for local_init.  Init op: %s, init fn: %s, "
                               "error: %s" % (_maybe_name(init_op), init_fn, msg))
        ok, msg = self._model_ready(sess)
        if not ok:
            raise RuntimeError("Init operations did not make model ready.  Init op: %s, init fn: %s, "
                               "local_init_op: %s, error: %s"
                               % (_maybe_name(init_op), init_fn, self._local_init_op, msg))
        return sess

    def recover_session(self, master, saver=None, checkpoint_dir=None, checkpoint_filename_with_path=None,
                        wait_for_checkpoint=False, max_wait_secs=7200, config=None):
        """(Session, True) when a checkpoint restored a ready model, else (Session, False)."""
        sess, loaded = self._restore_checkpoint(
            master, saver, checkpoint_dir=checkpoint_dir, checkpoint_filename_with_path=checkpoint_filename_with_path,
            wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs, config=config)
        local_ok, msg = self._try_run_local_init_op(sess)  # TF runs it even when nothing was restored
        if not loaded:
            return sess, False
        source = checkpoint_dir or checkpoint_filename_with_path
        if not local_ok:
            _log.info("Restoring model from %s did not make model ready for local init: %s", source, msg)
            return sess, False
        ready, msg = self._model_ready(sess)
        if not ready:
            _log.info("Restoring model from %s did not make model ready: %s", source, msg)
            return sess, False
        _log.info("Restored model from %s", source)
        return sess, True

    def wait_for_session(self, master, config=None, max_wait_secs=float("Inf")):
        """A Session once the model is ready (another process initialises it), trying every
        recovery_wait_secs; DeadlineExceededError when the next try would pass max_wait_secs."""
        self._target = master
        if max_wait_secs is None:
            max_wait_secs = float("Inf")
        deadline = _CountDownTimer(max_wait_secs)
        while True:
            sess = session_lib.Session(self._target, graph=self._graph, config=config)
            not_ready_msg = None
            local_ok, not_ready_local_msg = self._try_run_local_init_op(sess)
            if local_ok:
                ready, not_ready_msg = self._model_ready(sess)
                if ready:
                    return sess
            self._safe_close(sess)
            if deadline.secs_remaining() - self._recovery_wait_secs < 0:
                raise errors.DeadlineExceededError(
                    None, None, "Session was not ready after waiting %d secs." % (max_wait_secs,))
            _log.info("Waiting for model to be ready.  Ready_for_local_init_op:  %s, ready: %s",
                      not_ready_local_msg, not_ready_msg)
            time.sleep(self._recovery_wait_secs)

    def _safe_close(self, sess):
        try:
            sess.close()
        except Exception:  # noqa: BLE001 -- a failing close must not hide why we gave up on it
            pass

    def _model_ready(self, sess):
        return _ready(self._ready_op, sess, "Model not ready")

    def _model_ready_for_local_init(self, sess):
        return _ready(self._ready_for_local_init_op, sess, "Model not ready for local init")

    def _try_run_local_init_op(self, sess):
        """(True, None) once the local init op ran (or there is none), else (False, why)."""
        if self._local_init_op is None:
            return True, None
        ready, msg = self._model_ready_for_local_init(sess)
        if not ready:
            return False, msg
        _log.info("Running local_init_op.")
        sess.run(self._local_init_op, feed_dict=self._local_init_feed_dict, options=self._local_init_run_options)
        _log.info("Done running local_init_op.")
        return True, None


def _ready(op, sess, msg):
    """(True, None) when `op` is None or reports no uninitialised names (an int32 result, as
    some ready ops give, also means ready); else (False, the names or the error text)."""
    if op is None:
        return True, None
    try:
        value = sess.run(op)
        if value is None or value.dtype == np.int32 or value.size == 0:
            return True, None
        names = ", ".join(v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in value)
        return False, "Variables not initialized: " + names
    except errors.FailedPreconditionError as e:
        if "uninitialized" not in str(e):
            _log.warning("%s : error [%s]", msg, str(e))
            raise e
        return False, str(e)


class _CountDownTimer(object):
    __slots__ = ["_start_time_secs", "_duration_secs"]

    def __init__(self, duration_secs):
        self._start_time_secs = time.time()
        self._duration_secs = duration_secs

    def secs_remaining(self):
        return max(0, self._duration_secs - (time.time() - self._start_time_secs))
