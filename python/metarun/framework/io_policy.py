"""Where a run may read and write files, and how much tensor memory it may hold.

A graph file is a program: fetching one tensor runs every op it depends on, and
TF1 graphs can save checkpoints anywhere, delete folders (MergeV2Checkpoints),
read any file (RestoreV2, ReadFile, readers, datasets, table initializers) and
hand its bytes back as a fetched value. An `IoPolicy` confines those ops:

    with metarun.io_policy(read=["models/net"], write=["out"], max_memory="2G"):
        sess.run(y, feed_dict=...)

or `tf.Session(io_policy=metarun.io_policy(...))` for every run of one session. Under a
policy every op that touches a file checks each path (made absolute, ".." resolved,
symbolic links followed) before it acts, and a denied one raises
`PermissionDeniedError` naming the node, the op, the path and the option that would
allow it, having read or written nothing. A directory given to `write` may also be
read. Without a policy metarun does what TF does: every path is allowed.

`max_memory` (bytes, or a string such as "512M" or "2G") caps the tensor bytes the
runs under the policy hold at once, intermediate values and variables' values alike:
an allocation past it raises `ResourceExhaustedError` naming the node and the sizes.
"""

import contextvars
import os
import re
from typing import Iterable, Optional, Union

from metarun import _core

_active = contextvars.ContextVar("metarun_io_policy", default=None)
_entered = 0  # policies entered and not yet left, in any context: 0 skips the lookup


def parse_size(size: Union[int, str, None]) -> int:
    """Bytes from an int or a string like "1G", "512MB", "1.5GiB", "100000" (0 for None)."""
    if size is None:
        return 0
    if isinstance(size, int) and not isinstance(size, bool):
        if size <= 0:
            raise ValueError("max_memory must be positive, got %d" % size)
        return size
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([kKmMgGtT]?)(i?[bB])?\s*", str(size))
    if not m:
        raise ValueError("max_memory must be a number of bytes or a size such as 512M or 2G, got %r" % (size,))
    scale = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m.group(2).lower()]
    value = int(float(m.group(1)) * scale)
    if value <= 0:
        raise ValueError("max_memory must be positive, got %r" % (size,))
    return value


class IoPolicy(object):
    """The directories runs may read and write, and their tensor memory budget.

    Use it as a context manager (the runs started in the `with` block, in this
    thread or asyncio task, follow it) or give it to `Session(io_policy=...)`.
    Within a `with` block the block's policy is the one that applies.
    """

    def __init__(self, read: Iterable[str] = (), write: Iterable[str] = (),
                 max_memory: Union[int, str, None] = None,
                 allow_read_hint: str = "", allow_write_hint: str = "") -> None:
        if isinstance(read, (str, bytes, os.PathLike)) or isinstance(write, (str, bytes, os.PathLike)):
            raise TypeError("io_policy takes lists of directories: read=[...], write=[...]")
        read = [os.fsdecode(d) for d in read]
        write = [os.fsdecode(d) for d in write]
        for d in read + write:
            if not d:
                raise ValueError("io_policy: an empty directory name allows nothing; give a path")
        self._core = _core.IoPolicy(
            read, write, parse_size(max_memory),
            allow_read_hint or 'metarun.io_policy(read=["{}"])',
            allow_write_hint or 'metarun.io_policy(write=["{}"])')
        self._tokens = []

    @property
    def read(self):
        """The readable directories, normalised (absolute, symbolic links followed)."""
        return list(self._core.read)

    @property
    def write(self):
        """The writable (and readable) directories, normalised."""
        return list(self._core.write)

    @property
    def max_memory(self) -> Optional[int]:
        return self._core.max_bytes or None

    @property
    def memory_in_use(self) -> int:
        """Bytes of tensors allocated under this policy and still alive."""
        return self._core.memory_live

    @property
    def peak_memory(self) -> int:
        """The most bytes of tensors held at once under this policy."""
        return self._core.memory_peak

    def allows(self, path: str, write: bool = False) -> bool:
        """Whether an op may read (or, with write=True, write) `path`."""
        return self._core.allows(os.fsdecode(path), write)

    def __enter__(self):
        global _entered
        self._tokens.append(_active.set(self))
        _entered += 1
        return self

    def __exit__(self, exc_type, exc_value, tb):
        global _entered
        _active.reset(self._tokens.pop())
        _entered -= 1
        return False

    def __repr__(self):
        return "io_policy(read=%r, write=%r, max_memory=%r)" % (self.read, self.write, self.max_memory)


def io_policy(read: Iterable[str] = (), write: Iterable[str] = (),
              max_memory: Union[int, str, None] = None) -> IoPolicy:
    """A policy confining the file system access (and tensor memory) of runs.

    `read`: directories whose files ops may read; `write`: directories where they may
    also create, overwrite and delete files; `max_memory`: the tensor bytes held at
    once (an int or "512M", "2G"). Use as `with metarun.io_policy(...):` or as
    `Session(io_policy=...)`.
    """
    return IoPolicy(read, write, max_memory)


def current(session_policy=None):
    """The core policy for a run: the innermost `with io_policy(...)`, else the session's, else None."""
    if _entered:
        p = _active.get()
        if p is not None:
            return p._core
    return session_policy._core if session_policy is not None else None
