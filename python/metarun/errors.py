"""Exception classes mirroring TensorFlow's `tf.errors`.

Every runtime failure raised by a Session is an `OpError` subclass chosen by
the status code the C++ core reports; `_error_from_code` is the one table
that maps codes to classes.
"""

import errno

OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


class OpError(Exception):
    """A runtime failure of an operation; `op` and `node_def` name the node."""

    def __init__(self, node_def, op, message, error_code=UNKNOWN):
        super().__init__(message)
        self._node_def = node_def
        self._op = op
        self._message = message
        self._error_code = error_code

    @property
    def message(self):
        return self._message

    @property
    def op(self):
        return self._op

    @property
    def node_def(self):
        return self._node_def

    @property
    def error_code(self):
        return self._error_code

    def __str__(self):
        return self._message

    def __reduce__(self):
        return (type(self), (self._node_def, self._op, self._message))


def _subclass(name, code, doc):
    def __init__(self, node_def, op, message, *args):
        OpError.__init__(self, node_def, op, message, code)
    return type(name, (OpError,), {"__init__": __init__, "__doc__": doc})


CancelledError = _subclass("CancelledError", CANCELLED, "An operation was cancelled.")
UnknownError = _subclass("UnknownError", UNKNOWN, "An unknown error.")
InvalidArgumentError = _subclass("InvalidArgumentError", INVALID_ARGUMENT,
                                 "An operation received an invalid argument.")
DeadlineExceededError = _subclass("DeadlineExceededError", DEADLINE_EXCEEDED, "A deadline expired.")
NotFoundError = _subclass("NotFoundError", NOT_FOUND, "A requested entity was not found.")
AlreadyExistsError = _subclass("AlreadyExistsError", ALREADY_EXISTS, "An entity already exists.")
PermissionDeniedError = _subclass("PermissionDeniedError", PERMISSION_DENIED, "Permission denied.")
ResourceExhaustedError = _subclass("ResourceExhaustedError", RESOURCE_EXHAUSTED, "A resource ran out.")
FailedPreconditionError = _subclass("FailedPreconditionError", FAILED_PRECONDITION,
                                    "The system is not in a state to run the operation.")
AbortedError = _subclass("AbortedError", ABORTED, "The operation was aborted.")
OutOfRangeError = _subclass("OutOfRangeError", OUT_OF_RANGE, "An index or iteration went out of range.")
UnimplementedError = _subclass("UnimplementedError", UNIMPLEMENTED, "The operation is not implemented.")
InternalError = _subclass("InternalError", INTERNAL, "An internal invariant was broken.")
UnavailableError = _subclass("UnavailableError", UNAVAILABLE, "The runtime is unavailable.")
DataLossError = _subclass("DataLossError", DATA_LOSS, "Unrecoverable data loss or corruption.")
UnauthenticatedError = _subclass("UnauthenticatedError", UNAUTHENTICATED, "No valid credentials.")

_CODE_TO_CLASS = {
    CANCELLED: CancelledError, UNKNOWN: UnknownError, INVALID_ARGUMENT: InvalidArgumentError,
    DEADLINE_EXCEEDED: DeadlineExceededError, NOT_FOUND: NotFoundError,
    ALREADY_EXISTS: AlreadyExistsError, PERMISSION_DENIED: PermissionDeniedError,
    RESOURCE_EXHAUSTED: ResourceExhaustedError, FAILED_PRECONDITION: FailedPreconditionError,
    ABORTED: AbortedError, OUT_OF_RANGE: OutOfRangeError, UNIMPLEMENTED: UnimplementedError,
    INTERNAL: InternalError, UNAVAILABLE: UnavailableError, DATA_LOSS: DataLossError,
    UNAUTHENTICATED: UnauthenticatedError,
}


_ERRNO_TO_CODE = {
    errno.ENOENT: NOT_FOUND, errno.ENOTDIR: FAILED_PRECONDITION, errno.EACCES: PERMISSION_DENIED,
    errno.EPERM: PERMISSION_DENIED, errno.EROFS: PERMISSION_DENIED, errno.EEXIST: ALREADY_EXISTS,
    errno.ENOSPC: RESOURCE_EXHAUSTED, errno.EDQUOT: RESOURCE_EXHAUSTED, errno.ENOMEM: RESOURCE_EXHAUSTED,
    errno.EFBIG: OUT_OF_RANGE, errno.EISDIR: FAILED_PRECONDITION, errno.EINVAL: INVALID_ARGUMENT,
}


def from_os_error(path, err):
    """TF's error for a failed file operation on `path`, chosen by errno as TF's file
    system layer does (ENOSPC is ResourceExhaustedError, ENOENT NotFoundError...)."""
    code = _ERRNO_TO_CODE.get(err.errno, UNKNOWN)
    return _error_from_code(code, "%s; %s" % (path, err.strerror or err))


def _error_from_code(code, message, node_def=None, op=None):
    """Build the OpError subclass for a status `code`."""
    return _CODE_TO_CLASS.get(code, UnknownError)(node_def, op, message)


def exception_type_from_error_code(error_code):
    """The tf.errors class of a status code (KeyError for an unknown code, as TF)."""
    return _CODE_TO_CLASS[error_code]


def error_code_from_exception_type(cls):
    """The status code of a tf.errors class; an UnknownError (returned, not raised) otherwise."""
    for code, klass in _CODE_TO_CLASS.items():
        if klass is cls:
            return code
    import warnings
    warnings.warn("Unknown class exception")
    return UnknownError(None, None, "Unknown class exception", None)


class raise_exception_on_not_ok_status(object):  # noqa: N801 -- TF's name
    """TF1's status context manager: errors already arrive as exceptions, so it does nothing."""

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


__all__ = [name for name in dir() if name.endswith("Error")] + [
    "OpError", "exception_type_from_error_code", "error_code_from_exception_type",
    "raise_exception_on_not_ok_status"]
