"""tf.logging: TF1's logging functions on Python's `logging`, logger name 'tensorflow'.

As TF does: when the root logger has no handler on first use, the 'tensorflow' logger gets
its own stderr handler (stdout, and level INFO, in an interactive session) with Python's
BASIC_FORMAT ("INFO:tensorflow:message"); the level defaults to the root's (WARN). Records
name the caller's file and line, not this module's. fatal() logs at FATAL and does not exit;
flush() raises NotImplementedError, as TF's does.
"""

import logging as _logging
import sys as _sys
import threading as _threading
import traceback as _traceback
from logging import DEBUG, ERROR, FATAL, INFO, WARN  # noqa: F401 -- TF's level constants

_logger = None
_logger_lock = _threading.Lock()
_log_counter_per_token = {}


def _get_caller(offset=3):
    """The code and frame of the first caller outside the file of frame `offset`."""
    f = _sys._getframe(offset)
    our_file = f.f_code.co_filename
    f = f.f_back
    while f:
        if f.f_code.co_filename != our_file:
            return f.f_code, f
        f = f.f_back
    return None, None


def _find_caller(stack_info=False, stacklevel=1):
    code, frame = _get_caller(4)
    sinfo = "\n".join(_traceback.format_stack()) if stack_info else None
    if code:
        return code.co_filename, frame.f_lineno, code.co_name, sinfo
    return "(unknown file)", 0, "(unknown function)", sinfo


def _get_logger():
    global _logger
    if _logger:
        return _logger
    with _logger_lock:
        if _logger:
            return _logger
        logger = _logging.getLogger("tensorflow")
        logger.findCaller = _find_caller
        if not _logging.getLogger().handlers:
            interactive = hasattr(_sys, "ps1") or bool(_sys.flags.interactive)
            if interactive:
                logger.setLevel(INFO)
            handler = _logging.StreamHandler(_sys.stdout if interactive else _sys.stderr)
            handler.setFormatter(_logging.Formatter(_logging.BASIC_FORMAT, None))
            logger.addHandler(handler)
        _logger = logger
        return _logger


def log(level, msg, *args, **kwargs):
    _get_logger().log(level, msg, *args, **kwargs)


def debug(msg, *args, **kwargs):
    _get_logger().debug(msg, *args, **kwargs)


def info(msg, *args, **kwargs):
    _get_logger().info(msg, *args, **kwargs)


def warn(msg, *args, **kwargs):
    _get_logger().warning(msg, *args, **kwargs)


def warning(msg, *args, **kwargs):
    _get_logger().warning(msg, *args, **kwargs)


def error(msg, *args, **kwargs):
    _get_logger().error(msg, *args, **kwargs)


def fatal(msg, *args, **kwargs):
    _get_logger().fatal(msg, *args, **kwargs)


def vlog(level, msg, *args, **kwargs):
    _get_logger().log(level, msg, *args, **kwargs)


def TaskLevelStatusMessage(msg):  # noqa: N802 -- TF's name
    error(msg)


def flush():
    raise NotImplementedError()


def _next_count(token):
    _log_counter_per_token[token] = 1 + _log_counter_per_token.get(token, -1)
    return _log_counter_per_token[token]


def _file_and_line():
    # As TF: the frame above the caller's file, so calls made at a script's top level share
    # one counter ('<unknown>', 0).
    code, f = _get_caller()
    if not code:
        return ("<unknown>", 0)
    return (code.co_filename, f.f_lineno)


def log_every_n(level, msg, n, *args):
    """Logs the 1st, (n+1)th, (2n+1)th... call from the same place."""
    count = _next_count(_file_and_line())
    log_if(level, msg, not (count % n), *args)


def log_first_n(level, msg, n, *args):
    """Logs the first n calls from the same place."""
    count = _next_count(_file_and_line())
    log_if(level, msg, count < n, *args)


def log_if(level, msg, condition, *args):
    if condition:
        vlog(level, msg, *args)


def get_verbosity():
    return _get_logger().getEffectiveLevel()


def set_verbosity(v):
    _get_logger().setLevel(v)
