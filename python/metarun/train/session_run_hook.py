"""tf.compat.v1.train.SessionRunHook and the values a MonitoredSession hands its hooks.

A hook sees one session's life: `begin` (graph still open), `after_create_session`
(session made and initialised), then per `run` call `before_run` (may add fetches,
feeds and options) and `after_run` (gets those fetches' values), and `end` on a
clean close.
"""

import collections


class SessionRunHook(object):
    """Does nothing at every point; subclasses override the points they need."""

    def begin(self):
        pass

    def after_create_session(self, session, coord):
        pass

    def before_run(self, run_context):
        return None

    def after_run(self, run_context, run_values):
        pass

    def end(self, session):
        pass


class SessionRunArgs(collections.namedtuple("SessionRunArgs", ["fetches", "feed_dict", "options"])):
    """What a hook adds to a `run` call: fetches, feeds and RunOptions."""

    def __new__(cls, fetches, feed_dict=None, options=None):
        return super(SessionRunArgs, cls).__new__(cls, fetches, feed_dict, options)


class SessionRunContext(object):
    """The `run` call being made (its original SessionRunArgs and the raw session); a hook
    calls request_stop() to end the loop after this step."""

    def __init__(self, original_args, session):
        self._original_args = original_args
        self._session = session
        self._stop_requested = False

    @property
    def original_args(self):
        return self._original_args

    @property
    def session(self):
        return self._session

    @property
    def stop_requested(self):
        return self._stop_requested

    def request_stop(self):
        self._stop_requested = True


class SessionRunValues(collections.namedtuple("SessionRunValues", ["results", "options", "run_metadata"])):
    """The values of the fetches a hook asked for in before_run, with the run's options and
    metadata."""
