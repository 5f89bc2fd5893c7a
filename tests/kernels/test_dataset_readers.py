"""The file-reading datasets (TextLineDataset, TFRecordDataset, FixedLengthRecordDataset(V2))
against TF: files TF wrote, graphs TF built, the records TF read from them, in order, with TF's
errors (tests/fixtures/kernels/gen_dataset_io.py). Hand-built graphs cover what TF's Python API
does not write (the V1 fixed-length op, bad arguments)."""
import os

import numpy as np
import pytest

import metarun as tf
from metarun import _core

from dataset_io_replay import DATA_DIR, load_cases, replay
from op_harness import Shape, add_const, add_node

COVERAGE = {op: set() for op in (
    "TextLineDataset", "TFRecordDataset", "FixedLengthRecordDataset", "FixedLengthRecordDatasetV2")}

CASES = {name: c for name, c in load_cases().items() if not name.startswith("shuffle")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_tf_case(name):
    replay(CASES[name])


# ---- hand-built graphs ------------------------------------------------------------------------

STR, I64, VARIANT, RES = "string", "int64", "variant", "resource"


def _iterate(g, ds, limit=1000):
    """Every element of dataset node `ds`, then the error or end that stopped it."""
    it = add_node(g, "it", "IteratorV2", [], [RES], output_types=[tf.string], output_shapes=[Shape([])],
                  shared_name="", container="")
    make = add_node(g, "make", "MakeIterator", [ds, it], [])
    nxt = add_node(g, "next", "IteratorGetNext", [it], [STR], output_types=[tf.string], output_shapes=[Shape([])])
    sess = _core.Session(g, 1)
    try:
        sess.run([], [], [], [make])
    except _core.StatusError as e:  # the dataset op's own checks
        return [], e
    out = []
    for _ in range(limit):
        try:
            out.append(bytes(np.asarray(sess.run([], [], [(nxt, 0)], [])[0]).item()))
        except _core.StatusError as e:
            return out, e
    return out, None


def _files(g, names):
    return add_const(g, "files", np.array([os.path.join(DATA_DIR, n).encode() for n in names], dtype=object))


def _fixed_v1(g, files, header, record, footer, buffer_size=0):
    args = [files] + [add_const(g, k, np.int64(v)) for k, v in
                      (("header", header), ("record", record), ("footer", footer), ("buffer", buffer_size))]
    return add_node(g, "ds", "FixedLengthRecordDataset", args, [VARIANT])


def test_fixed_length_v1_reads_as_v2():
    # TF 2.21 cannot iterate the V1 op from Python (it fails to serialize it); it is V2 without
    # compression, so TF's V2 records are the expected ones.
    want = [r for r in _records("fixed_files")]
    g = _core.Graph()
    out, err = _iterate(g, _fixed_v1(g, _files(g, ["fixed_a.bin", "fixed_b.bin"]), 3, 5, 2))
    assert err is not None and err.args[0] == 11  # OutOfRange: the end
    assert out == want


def _records(name):
    from dataset_io_replay import decode
    return [decode(s["next"]) for s in load_cases()[name]["sessions"][0] if "next" in s]


@pytest.mark.parametrize("args,message", [
    ((-1, 5, 0, 0), "`header_bytes` must be >= 0"),
    ((0, 0, 0, 0), "`record_bytes` must be > 0"),
    ((0, 5, -1, 0), "`footer_bytes` must be >= 0"),
    ((0, 5, 0, -1), "`buffer_size` must be >= 0"),
])
def test_fixed_length_bad_arguments(args, message):
    g = _core.Graph()
    out, err = _iterate(g, _fixed_v1(g, _files(g, ["fixed_a.bin"]), *args))
    assert err is not None and err.args[0] == 3 and message in str(err)


def _text_or_record(op, files_value, compression=b"", buffer_size=0):
    g = _core.Graph()
    files = add_const(g, "files", files_value)
    c = add_const(g, "c", np.array(compression, dtype=object))
    b = add_const(g, "b", np.int64(buffer_size))
    return _iterate(g, add_node(g, "ds", op, [files, c, b], [VARIANT]))


@pytest.mark.parametrize("op", ["TextLineDataset", "TFRecordDataset"])
def test_filenames_must_be_a_scalar_or_vector(op):
    out, err = _text_or_record(op, np.array([[b"x"]], dtype=object))
    assert err.args[0] == 3 and "`filenames` must be a scalar or a vector." in str(err)


def test_scalar_filename():
    out, err = _text_or_record("TextLineDataset", np.array(os.path.join(DATA_DIR, "lines2.txt").encode(), dtype=object))
    assert out == [b"alpha", b"beta"] and err.args[0] == 11


def test_text_line_bad_compression_and_buffer():
    f = np.array([os.path.join(DATA_DIR, "lines2.txt").encode()], dtype=object)
    _, err = _text_or_record("TextLineDataset", f, compression=b"LZ4")
    assert err.args[0] == 3 and "Unsupported compression_type." in str(err)
    _, err = _text_or_record("TextLineDataset", f, buffer_size=-1)
    assert err.args[0] == 3 and "`buffer_size` must be >= 0 (0 == default)" in str(err)


def test_tfrecord_unknown_compression_reads_plain():
    # TF logs an unknown compression name and reads the file uncompressed; a negative buffer
    # size is its default.
    f = np.array([os.path.join(DATA_DIR, "b.tfrecord").encode()], dtype=object)
    out, err = _text_or_record("TFRecordDataset", f, compression=b"LZ4", buffer_size=-1)
    assert out == [b"b%d" % i for i in range(5)] and err.args[0] == 11


def test_tfrecord_streams_a_large_file(tmp_path):
    # Records written here in TF's framing (checked against TF's files by the cases above),
    # read through a small buffer: many buffer refills inside records and headers.
    from metarun.bundle import crc32c
    import struct
    recs = [bytes([i % 251]) * (i * 37 % 5000) for i in range(400)]
    with open(tmp_path / "big.tfrecord", "wb") as fh:
        for r in recs:
            n = struct.pack("<Q", len(r))
            fh.write(n + struct.pack("<I", crc32c.mask(crc32c.value(n))) + r +
                     struct.pack("<I", crc32c.mask(crc32c.value(r))))
    f = np.array([str(tmp_path / "big.tfrecord").encode()], dtype=object)
    out, err = _text_or_record("TFRecordDataset", f, buffer_size=333)
    assert err.args[0] == 11 and out == recs
