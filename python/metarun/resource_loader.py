"""tf.resource_loader: files found relative to the calling script (or to the metarun package,
where TF looks relative to the tensorflow package). Without Bazel runfiles, as a pip install."""

import inspect as _inspect
import os as _os
import sys as _sys


def get_data_files_path():
    """The directory of the script that calls this."""
    return _os.path.dirname(_inspect.getfile(_sys._getframe(1)))


def get_path_to_datafile(path):
    """`path` relative to the directory of the script that calls this."""
    return _os.path.join(_os.path.dirname(_inspect.getfile(_sys._getframe(1))), path)


def get_root_dir_with_all_resources():
    """The directory under a `.runfiles` tree holding the resources, else this package's."""
    script_dir = _os.path.dirname(_os.path.abspath(__file__))
    directories = [script_dir]
    while True:
        current = directories[-1]
        if ".runfiles" in _os.path.basename(current):
            return directories[-2] if len(directories) > 1 else script_dir
        parent = _os.path.dirname(current)
        if parent == current:
            return script_dir
        directories.append(parent)


def load_resource(path):
    """The bytes of the file at `path`, relative to the metarun package."""
    with open(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), path), "rb") as f:
        return f.read()


def readahead_file_path(path, readahead="128M"):
    """`path` itself: the local file system has no readahead scheme."""
    return path
