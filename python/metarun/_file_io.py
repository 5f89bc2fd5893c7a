"""The local file system behind tf.gfile and tf.io.gfile, raising TF's errors where TF does.

TF's local file system reports a failed system call as `"<path>; <strerror>"` with the
`tf.errors` class its errno maps to (ENOTDIR and EISDIR are FailedPreconditionError, ENOENT
NotFoundError...); the few checks TF makes itself have their own messages ("file already
exists", "Could not find directory ..."). `GFile` opens its file lazily, on the first read,
write, seek or tell, so constructing one for a missing file succeeds.
"""

import errno as _errno
import fnmatch as _fnmatch
import os as _os
import shutil as _shutil
import stat as _stat

from metarun import errors as _errors

# TF's errno -> status code table (a failed POSIX call becomes the class of its code).
_E = _errno
_ERRNO_CODES = {}
for _code, _names in [
        (_errors.INVALID_ARGUMENT, "EINVAL ENAMETOOLONG E2BIG EDESTADDRREQ EDOM EFAULT EILSEQ ENOPROTOOPT "
                                   "ENOSTR ENOTSOCK ENOTTY EPROTOTYPE ESPIPE"),
        (_errors.DEADLINE_EXCEEDED, "ETIMEDOUT ETIME"),
        (_errors.NOT_FOUND, "ENODEV ENOENT ENXIO ESRCH"),
        (_errors.ALREADY_EXISTS, "EEXIST EADDRNOTAVAIL EALREADY"),
        (_errors.PERMISSION_DENIED, "EPERM EACCES EROFS"),
        (_errors.FAILED_PRECONDITION, "ENOTEMPTY EISDIR ENOTDIR EADDRINUSE EBADF EBUSY ECHILD EISCONN "
                                      "ENOTBLK ENOTCONN EPIPE ESHUTDOWN ETXTBSY"),
        (_errors.RESOURCE_EXHAUSTED, "ENOSPC EDQUOT EMFILE EMLINK ENFILE ENOBUFS ENODATA ENOMEM ENOSR EUSERS"),
        (_errors.OUT_OF_RANGE, "EFBIG EOVERFLOW ERANGE"),
        (_errors.UNIMPLEMENTED, "ENOSYS ENOTSUP EAFNOSUPPORT EPFNOSUPPORT EPROTONOSUPPORT ESOCKTNOSUPPORT EXDEV"),
        (_errors.UNAVAILABLE, "EAGAIN ECONNREFUSED ECONNABORTED ECONNRESET EINTR EHOSTDOWN EHOSTUNREACH "
                              "ENETDOWN ENETRESET ENETUNREACH ENOLCK ENOLINK"),
        (_errors.ABORTED, "EDEADLK ESTALE"),
        (_errors.CANCELLED, "ECANCELED")]:
    for _name in _names.split():
        if hasattr(_E, _name):
            _ERRNO_CODES.setdefault(getattr(_E, _name), _code)


def _error(code, message):
    return _errors._error_from_code(code, message)


def _os_error(path, err):
    return _error(_ERRNO_CODES.get(err.errno, _errors.UNKNOWN), "%s; %s" % (path, err.strerror or err))


def _path(name):
    """A str path from str, bytes or os.PathLike, as TF's compat.path_to_str."""
    name = _os.fspath(name)
    if isinstance(name, bytes):
        name = name.decode("utf-8")
    return name


def _local(name):
    """The OS path of a local file name (TF's local file system also takes file:// names)."""
    return name[len("file://"):] if name.startswith("file://") else name


def _as_bytes(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError("Expected binary or unicode string, got %r" % (value,))


class GFile(object):
    """A file on the local file system, opened for reading or writing on first use."""

    def __init__(self, name, mode="r"):
        self.__name = name
        self.__mode = mode
        self._read_buf = None
        self._writable_file = None
        self._binary_mode = "b" in mode
        base = mode.replace("b", "")
        if base not in ("r", "w", "a", "r+", "w+", "a+"):
            raise _error(_errors.INVALID_ARGUMENT, "mode is not 'r' or 'w' or 'a' or 'r+' or 'w+' or 'a+'")
        self._read_check_passed = base in ("r", "r+", "a+", "w+")
        self._write_check_passed = base in ("a", "w", "r+", "a+", "w+")

    @property
    def name(self):
        return self.__name

    @property
    def mode(self):
        return self.__mode

    def _preread_check(self):
        if not self._read_buf:
            if not self._read_check_passed:
                raise _error(_errors.PERMISSION_DENIED, "File isn't open for reading")
            name = _path(self.__name)
            try:
                self._read_buf = open(_local(name), "rb")
            except OSError as e:
                raise _os_error(name, e) from None

    def _prewrite_check(self):
        if not self._writable_file:
            if not self._write_check_passed:
                raise _error(_errors.PERMISSION_DENIED, "File isn't open for writing")
            name = _path(self.__name)
            try:
                self._writable_file = open(_local(name), "ab" if "a" in self.__mode else "wb")
            except OSError as e:
                raise _os_error(name, e) from None

    def _prepare_value(self, value):
        return value if self._binary_mode else value.decode("utf-8")

    def size(self):
        """The file's length in bytes on disk (unflushed writes not counted)."""
        return stat(self.__name).length

    def write(self, file_content):
        self._prewrite_check()
        self._writable_file.write(_as_bytes(file_content))

    def read(self, n=-1):
        """`n` bytes (all that remain when n is -1), decoded as UTF-8 in text mode."""
        self._preread_check()
        data = self._read_buf.read() if n is None or n < 0 else self._read_buf.read(n)
        return self._prepare_value(data)

    def seek(self, offset=None, whence=0, position=None):
        self._preread_check()
        if offset is None and position is None:
            raise TypeError("seek(): offset argument required")
        if offset is not None and position is not None:
            raise TypeError("seek(): offset and position may not be set simultaneously.")
        if position is not None:
            offset = position
        if whence == 1:
            offset += self.tell()
        elif whence == 2:
            offset += self.size()
        elif whence != 0:
            raise _error(_errors.INVALID_ARGUMENT,
                         "Invalid whence argument: {}. Valid values are 0, 1, or 2.".format(whence))
        if offset < 0:
            raise _error(_errors.INVALID_ARGUMENT, "Seeking to a negative position: %d" % offset)
        end = _os.fstat(self._read_buf.fileno()).st_size
        self._read_buf.seek(min(offset, end))
        if offset > end:
            raise _error(_errors.OUT_OF_RANGE, "reached end of file")

    def readline(self):
        self._preread_check()
        return self._prepare_value(self._read_buf.readline())

    def readlines(self):
        self._preread_check()
        lines = []
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)

    def tell(self):
        if self._read_check_passed:
            self._preread_check()
            return self._read_buf.tell()
        self._prewrite_check()
        return self._writable_file.tell()

    def __enter__(self):
        return self

    def __exit__(self, unused_type, unused_value, unused_traceback):
        self.close()

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration()
        return line

    next = __next__

    def flush(self):
        if self._writable_file:
            self._writable_file.flush()

    def close(self):
        """Closes the file; a later read or write opens it again (a write in mode 'w' truncates)."""
        if self._read_buf:
            self._read_buf.close()
        self._read_buf = None
        if self._writable_file:
            self._writable_file.close()
            self._writable_file = None

    def seekable(self):
        return True

    def __del__(self):
        # TF's GFile closes its file when collected, silently.
        try:
            self.close()
        except Exception:  # noqa: BLE001 -- nothing can be reported from a finalizer
            pass





class FastGFile(GFile):
    """Deprecated in TF: the same as GFile."""


class FileStatistics(object):
    """What Stat returns: length, mtime_nsec (whole seconds, in nanoseconds, as TF's posix
    file system fills it) and is_directory."""

    def __init__(self, length=0, mtime_nsec=0, is_directory=False):
        self.length = length
        self.mtime_nsec = mtime_nsec
        self.is_directory = is_directory

    def __repr__(self):
        return "FileStatistics(length=%d, mtime_nsec=%d, is_directory=%s)" % (
            self.length, self.mtime_nsec, self.is_directory)


def exists(path):
    try:
        _os.stat(_local(_path(path)))
    except (OSError, ValueError):
        return False
    return True


def isdir(path):
    return _os.path.isdir(_local(_path(path)))


def listdir(path):
    """The names of the entries of directory `path` (not `.` and `..`)."""
    name = _path(path)
    if not isdir(name):
        raise _error(_errors.NOT_FOUND, "Could not find directory %s" % name)
    try:
        return _os.listdir(_local(name))
    except OSError as e:
        raise _os_error(name, e) from None


def mkdir(path):
    """Creates directory `path`; its parent must exist. An existing entry is not an error."""
    name = _path(path)
    try:
        _os.mkdir(_local(name))
    except FileExistsError:
        pass
    except OSError as e:
        raise _os_error(name, e) from None


def makedirs(path):
    """Creates `path` and its missing parents; an existing directory is not an error."""
    name = _path(path)
    parts = name.split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        if not prefix or (i < len(parts) and not parts[i - 1]):
            continue
        local = _local(prefix)
        try:
            st = _os.stat(local)
        except FileNotFoundError:
            try:
                _os.mkdir(local)
            except FileExistsError:
                pass
            except OSError as e:
                raise _os_error(prefix, e) from None
            continue
        except OSError as e:
            raise _os_error(prefix, e) from None
        if not _stat.S_ISDIR(st.st_mode):
            raise _error(_errors.FAILED_PRECONDITION, "%s is not a directory" % prefix)


def remove(path):
    name = _path(path)
    try:
        _os.remove(_local(name))
    except OSError as e:
        raise _os_error(name, e) from None


def rmtree(path):
    """Deletes `path` and everything under it (a file is simply deleted)."""
    name = _path(path)
    local = _local(name)
    try:
        st = _os.stat(local)
    except OSError:
        raise _error(_errors.NOT_FOUND, "%s not found" % name) from None
    try:
        if _stat.S_ISDIR(st.st_mode):
            _shutil.rmtree(local)
        else:
            _os.remove(local)
    except OSError as e:
        raise _os_error(getattr(e, "filename", None) or name, e) from None


def rename(src, dst, overwrite=False):
    """Renames `src` to `dst`; with overwrite=False an existing `dst` is AlreadyExistsError."""
    src, dst = _path(src), _path(dst)
    if not overwrite and exists(dst):
        raise _error(_errors.ALREADY_EXISTS, "file already exists")
    try:
        _os.rename(_local(src), _local(dst))
    except OSError as e:
        raise _os_error(src, e) from None


def copy(src, dst, overwrite=False):
    """Copies file `src` to `dst`; with overwrite=False an existing `dst` is AlreadyExistsError."""
    src, dst = _path(src), _path(dst)
    if not overwrite and exists(dst):
        raise _error(_errors.ALREADY_EXISTS, "file already exists")
    try:
        source = open(_local(src), "rb") if not isdir(src) else None
        _os.stat(_local(src))
    except OSError as e:
        raise _os_error(src, e) from None
    try:
        try:
            target = open(_local(dst), "wb")
        except OSError as e:
            raise _os_error(dst, e) from None
        with target:
            if source is None:  # TF opens a directory, then its copy fails on the target
                raise _error(_errors.INVALID_ARGUMENT, "%s; %s" % (dst, _os.strerror(_errno.EINVAL)))
            _shutil.copyfileobj(source, target)
    finally:
        if source is not None:
            source.close()


def _has_magic(part):
    return any(c in part for c in "*?[")


def _glob_one(pattern):
    pattern = _path(pattern)
    parts = pattern.split("/")
    first = next((i for i, p in enumerate(parts) if _has_magic(p)), None)
    if first is None:
        return [pattern] if exists(pattern) else []
    base = "/".join(parts[:first])
    found = [base]
    for i in range(first, len(parts)):
        part, last = parts[i], i == len(parts) - 1
        nxt = []
        for d in found:
            local = _local(d) if d else "."
            if not _has_magic(part):
                path = d + "/" + part if d or i else part
                if exists(path):
                    nxt.append(path)
                continue
            try:
                names = sorted(_os.listdir(local))
            except OSError:
                continue
            for n in names:
                if _fnmatch.fnmatchcase(n, part):
                    path = (d + "/" + n) if (d or i) else n
                    if last or isdir(path):
                        nxt.append(path)
        found = nxt
    return found


def glob(pattern):
    """The paths matching `pattern` (or any of a list of patterns); `*` and `?` do not match '/'."""
    if isinstance(pattern, (str, bytes)) or hasattr(pattern, "__fspath__"):
        return _glob_one(pattern)
    return [match for p in pattern for match in _glob_one(p)]


def stat(path):
    name = _path(path)
    try:
        st = _os.stat(_local(name))
    except OSError as e:
        raise _os_error(name, e) from None
    return FileStatistics(st.st_size, int(st.st_mtime) * 1000000000, _stat.S_ISDIR(st.st_mode))


def walk(top, topdown=True, onerror=None):
    """(dirname, subdirectories, files) for `top` and each directory under it, as os.walk;
    a missing or non-directory `top` yields nothing (onerror gets the NotFoundError)."""
    top = _path(top)
    try:
        listing = listdir(top)
    except _errors.NotFoundError as err:
        if onerror:
            onerror(err)
        return
    files, subdirs = [], []
    for item in listing:
        (subdirs if isdir(_os.path.join(top, item)) else files).append(item)
    here = (top, subdirs, files)
    if topdown:
        yield here
    for subdir in subdirs:
        for entry in walk(_os.path.join(top, subdir), topdown, onerror):
            yield entry
    if not topdown:
        yield here


def join(path, *paths):
    return _os.path.join(path, *paths)


def get_registered_schemes():
    """The file system schemes metarun serves: local files only."""
    return ["file", ""]


# tf.io.gfile's names (TF2); tf.gfile (gfile.py) has the TF1 names.
V2_NAMES = ("GFile", "copy", "exists", "get_registered_schemes", "glob", "isdir", "join", "listdir", "makedirs",
            "mkdir", "remove", "rename", "rmtree", "stat", "walk")
