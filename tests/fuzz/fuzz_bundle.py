"""Fuzz target: bytes -> a V2 checkpoint (`.index` and `.data-00000-of-00001`) in a temporary
directory -> `tf.train.NewCheckpointReader` and `tf.train.list_variables` -> every tensor read.

Input layout: a 4-byte little-endian length n (taken modulo the rest's length + 1), then n
bytes of index, then the data file.
"""
import atexit
import os
import shutil
import tempfile

import _fuzzlib

_prefix = None


def prefix():
    """The checkpoint prefix the target writes to, in a directory removed at exit."""
    global _prefix
    if _prefix is None:
        d = tempfile.mkdtemp(prefix="metarun-fuzz-bundle-")
        atexit.register(shutil.rmtree, d, True)
        _prefix = os.path.join(d, "model")
    return _prefix


def split(data):
    rest = data[4:]
    n = int.from_bytes(data[:4].ljust(4, b"\0"), "little") % (len(rest) + 1)
    return rest[:n], rest[n:]


def join(index, data):
    """The fuzz input for a (.index, .data) pair: what make_corpus writes."""
    return len(index).to_bytes(4, "little") + index + data


def TestOneInput(data):  # noqa: N802 -- atheris' name
    import metarun as tf
    expected = _fuzzlib.expected_exceptions()
    index, payload = split(data)
    path = prefix()
    with open(path + ".index", "wb") as f:
        f.write(index)
    with open(path + ".data-00000-of-00001", "wb") as f:
        f.write(payload)
    try:
        reader = tf.train.NewCheckpointReader(path)
        reader.get_variable_to_dtype_map()
        reader.debug_string()
        for name in sorted(reader.get_variable_to_shape_map()):
            try:
                reader.get_tensor(name)
            except expected:
                pass
        tf.train.list_variables(path)
    except expected:
        pass


if __name__ == "__main__":
    _fuzzlib.main("bundle", TestOneInput)
