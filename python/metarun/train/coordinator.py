"""tf.compat.v1.train.Coordinator and LooperThread: threads stopping together.

Any thread may request a stop, optionally with the exception that made it stop; the
first exception (one not of a "clean stop" type, OutOfRangeError by default) is kept and
raised again by `join` or `raise_requested_exception` in the coordinating thread.
"""

import contextlib
import logging
import sys
import threading
import time

from metarun import errors

_log = logging.getLogger("tensorflow")


class Coordinator(object):
    """Lets a set of threads request, and wait for, a common stop."""

    def __init__(self, clean_stop_exception_types=None):
        if clean_stop_exception_types is None:
            clean_stop_exception_types = (errors.OutOfRangeError,)
        self._clean_stop_exception_types = tuple(clean_stop_exception_types)
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info_to_raise = None
        self._joined = False
        self._registered_threads = set()

    def _filter_exception(self, ex):
        """None for a clean-stop exception (given bare or as an exc_info tuple), else `ex`."""
        instance = ex[1] if isinstance(ex, tuple) else ex
        return None if isinstance(instance, self._clean_stop_exception_types) else ex

    def request_stop(self, ex=None):
        """Ask every thread to stop, remembering `ex` (an exception or exc_info tuple) if it
        is the first one reported. After join, a reported exception is raised here."""
        with self._lock:
            ex = self._filter_exception(ex)
            if self._joined:
                # Too late to hand it to join: raise it in the reporting thread.
                if isinstance(ex, tuple):
                    raise ex[1]
                if ex is not None:
                    raise sys.exc_info()[1]
            if self._stop_event.is_set():
                return
            if ex and self._exc_info_to_raise is None:
                if isinstance(ex, tuple):
                    _log.info("Error reported to Coordinator: %s", str(ex[1]), exc_info=ex)
                    self._exc_info_to_raise = ex
                else:
                    # A bare exception must be the one being handled: its traceback comes from there.
                    _log.info("Error reported to Coordinator: %s, %s", type(ex), str(ex))
                    self._exc_info_to_raise = sys.exc_info()
                if len(self._exc_info_to_raise) != 3 or not self._exc_info_to_raise[0] or \
                        not self._exc_info_to_raise[1]:
                    # TF formats the 3-tuple itself into the message, so a bare exception given outside an
                    # `except` block raises TypeError here (and leaves no stop requested), as it does in TF.
                    try:
                        raise ValueError("ex must be a tuple or sys.exc_info must return the current "
                                         "exception: %s" % self._exc_info_to_raise)
                    except ValueError:
                        self._exc_info_to_raise = sys.exc_info()
            self._stop_event.set()

    def clear_stop(self):
        """Forget the stop request and any reported exception (threads may be restarted)."""
        with self._lock:
            self._joined = False
            self._exc_info_to_raise = None
            self._stop_event.clear()

    def should_stop(self):
        return self._stop_event.is_set()

    @contextlib.contextmanager
    def stop_on_exception(self):
        """Any exception raised in the block requests a stop with it instead of propagating."""
        try:
            yield
        except:  # noqa: E722 -- as TF: every exception, SystemExit included, is reported
            self.request_stop(ex=sys.exc_info())

    def wait_for_stop(self, timeout=None):
        """True once a stop is requested; False if `timeout` seconds pass first."""
        return self._stop_event.wait(timeout)

    def register_thread(self, thread):
        with self._lock:
            self._registered_threads.add(thread)

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False):
        """Wait for a stop request, then up to `stop_grace_period_secs` for `threads` (and the
        registered ones) to end. Raises the reported exception, else RuntimeError naming the
        threads still alive (unless ignore_live_threads)."""
        with self._lock:
            threads = list(self._registered_threads if threads is None
                           else self._registered_threads.union(set(threads)))
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(1.0):
            pass
        wait = 0.001  # doubling sleeps, never past the grace period
        while any(t.is_alive() for t in threads) and stop_grace_period_secs >= 0.0:
            time.sleep(wait)
            stop_grace_period_secs -= wait
            wait = max(min(2 * wait, stop_grace_period_secs), 0.001)
        stragglers = [t.name for t in threads if t.is_alive()]
        with self._lock:
            self._joined = True
            self._registered_threads = set()
            if self._exc_info_to_raise:
                raise self._exc_info_to_raise[1]
            if stragglers:
                if ignore_live_threads:
                    _log.info("Coordinator stopped with threads still running: %s", " ".join(stragglers))
                else:
                    raise RuntimeError("Coordinator stopped with threads still running: %s"
                                       % " ".join(stragglers))

    @property
    def joined(self):
        return self._joined

    def raise_requested_exception(self):
        """Raise the exception reported with a stop request, if any."""
        with self._lock:
            if self._exc_info_to_raise:
                raise self._exc_info_to_raise[1]


class LooperThread(threading.Thread):
    """A daemon thread calling run_loop (or `target`) every `timer_interval_secs` seconds, or
    back to back when that is None, until the coordinator stops; registered with it."""

    def __init__(self, coord, timer_interval_secs, target=None, args=None, kwargs=None):
        if not isinstance(coord, Coordinator):
            raise ValueError("'coord' argument must be a Coordinator: %s" % coord)
        super(LooperThread, self).__init__()
        self.daemon = True
        self._coord = coord
        self._timer_interval_secs = timer_interval_secs
        self._target = target
        if self._target:
            self._args = args or ()
            self._kwargs = kwargs or {}
        elif args or kwargs:
            raise ValueError("'args' and 'kwargs' argument require that you also pass 'target'")
        self._coord.register_thread(self)

    @staticmethod
    def loop(coord, timer_interval_secs, target, args=None, kwargs=None):
        """Start a LooperThread calling `target`; return it."""
        looper = LooperThread(coord, timer_interval_secs, target=target, args=args, kwargs=kwargs)
        looper.start()
        return looper

    def run(self):
        with self._coord.stop_on_exception():
            self.start_loop()
            if self._timer_interval_secs is None:
                while not self._coord.should_stop():
                    self.run_loop()
            else:
                next_time = time.time()
                while not self._coord.wait_for_stop(next_time - time.time()):
                    next_time += self._timer_interval_secs
                    self.run_loop()
            self.stop_loop()

    def start_loop(self):
        pass

    def stop_loop(self):
        pass

    def run_loop(self):
        if self._target:
            self._target(*self._args, **self._kwargs)
