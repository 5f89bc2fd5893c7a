"""tf.gfile: TF1's names for the local file functions (tf.io.gfile has the TF2 names)."""

from metarun._file_io import GFile, FastGFile  # noqa: F401
from metarun import _file_io

Open = GFile
Exists = _file_io.exists
IsDirectory = _file_io.isdir
ListDirectory = _file_io.listdir
MkDir = _file_io.mkdir
MakeDirs = _file_io.makedirs
Remove = _file_io.remove
DeleteRecursively = _file_io.rmtree
Stat = _file_io.stat
Glob = _file_io.glob


def Copy(oldpath, newpath, overwrite=False):  # noqa: N802 -- TF's name
    _file_io.copy(oldpath, newpath, overwrite)


def Rename(oldname, newname, overwrite=False):  # noqa: N802 -- TF's name
    _file_io.rename(oldname, newname, overwrite)


def Walk(top, in_order=True):  # noqa: N802 -- TF's name
    return _file_io.walk(top, topdown=in_order)
