"""TF1 readers (reader_ops.cpp, metarun.ops.io_ops) against TensorFlow's results: the cases of
fixtures/kernels/reader_cases.py run here under metarun, each in a scratch copy of the files it
reads, and compared step by step (values, error classes and messages) and node by node (the
reader graph Python builds) with what TF returned (fixtures/kernels/readers/expected.json, written
by gen_readers.py)."""
import json
import os
import re
import shutil

import pytest

import metarun as tf
from op_harness import fixture_module, kernel_fixture

_VERBS = ["ReaderRead", "ReaderReadUpTo", "ReaderNumRecordsProduced", "ReaderNumWorkUnitsCompleted", "ReaderReset",
          "ReaderSerializeState", "ReaderRestoreState"]
_READERS = ["TextLineReader", "TFRecordReader", "WholeFileReader", "FixedLengthRecordReader", "IdentityReader"]
COVERAGE = {op + v: [] for op in _VERBS + _READERS for v in ("", "V2")}
COVERAGE.update({"FakeQueue": [], "ReadFile": [], "WriteFile": []})

FIXTURES = kernel_fixture("readers")
cases = fixture_module("reader_cases")

with open(os.path.join(FIXTURES, "expected.json")) as _f:
    EXPECTED = json.load(_f)


def _normalized(message):
    # TF numbers its queues across the process ('_16_fifo_queue'), and its protobuf library starts
    # a DebugString with a marker it picks at random (goo.gle/debugstr, goo.gle/debugonly); the
    # rest is compared as is.
    return re.sub(r"goo\.gle/debug\w+\n", "", re.sub(r"'_\d+_", "'_N_", message))


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    work = tmp_path / "work"
    shutil.copytree(FIXTURES, work, ignore=shutil.ignore_patterns("expected.json"))
    monkeypatch.chdir(work)
    return work


def test_every_case_has_tf_results():
    assert sorted(c.__name__ for c in cases.CASES) == sorted(EXPECTED)


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.__name__)
def test_case_matches_tensorflow(case, scratch):
    want = EXPECTED[case.__name__]
    with tf.Graph().as_default():
        got = case(tf)
    assert [s[0] for s in got["steps"]] == [s[0] for s in want["steps"]]
    for g, w in zip(got["steps"], want["steps"]):
        if w[1] == "ok":
            assert g == w, g[0]
        else:
            assert g[1] == w[1], (g, w)
            assert _normalized(g[2]) == _normalized(w[2]), g[0]
    assert got["graph"] == want["graph"]
    assert got.get("build") == want.get("build")


def test_write_file_output_is_the_contents(scratch):
    with tf.Graph().as_default():
        with tf.Session() as sess:
            sess.run(tf.io.write_file("a/b/c.bin", tf.constant(b"\x00\x01xyz")))
    with open(scratch / "a" / "b" / "c.bin", "rb") as f:
        assert f.read() == b"\x00\x01xyz"


def test_large_whole_file_and_long_lines(scratch):
    """Past one read buffer (1 MiB for whole files, 256 KiB for lines)."""
    big = bytes(range(256)) * (5 * 4096 + 3)
    line = b"q" * (600 << 10)
    (scratch / "big.bin").write_bytes(big)
    (scratch / "long.txt").write_bytes(line + b"\n" + line[:7])
    with tf.Graph().as_default():
        q = tf.FIFOQueue(4, tf.string)
        fill = q.enqueue_many([["big.bin", "long.txt"]])
        whole = tf.WholeFileReader().read(q)
        lines = tf.TextLineReader().read_up_to(q, 5)
        with tf.Session() as sess:
            sess.run(fill)
            assert sess.run(whole) == (b"big.bin", big)
            assert sess.run(tf.read_file("big.bin")) == big
            keys, values = sess.run(lines)
            assert list(keys) == [b"long.txt:1", b"long.txt:2"]
            assert list(values) == [line, line[:7]]


def test_read_up_to_refuses_a_negative_count(scratch):
    # TF reserves room for the count up front and aborts the process on a negative one.
    with tf.Graph().as_default():
        q = tf.FIFOQueue(4, tf.string)
        n = tf.placeholder(tf.int64, [])
        keys, _ = tf.IdentityReader().read_up_to(q, n)
        with tf.Session() as sess:
            sess.run(q.enqueue("w"))
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(keys, {n: -1})
            assert list(sess.run(keys, {n: 2})) == [b"w"]


def test_huge_fixed_length_record_in_a_small_file_is_not_allocated(scratch):
    with tf.Graph().as_default():
        q = tf.FIFOQueue(4, tf.string)
        fill = tf.group(q.enqueue("fixed.bin"))
        kv = tf.FixedLengthRecordReader(1 << 50, footer_bytes=1 << 50).read(q)
        with tf.Session() as sess:
            sess.run(fill)
            sess.run(q.close())
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(kv)
