"""FileWriter's event files: byte for byte the file TF's FileWriter writes for the same calls
(tests/fixtures/summary/event_file.npz, made by gen_event_file.py), read back with a record
reader written here (google_crc32c directly), and TF's file life cycle: the name, opening on the
first event, the flushes, close and reopen."""
import json
import os
import re
import socket
import struct
import time

import google_crc32c
import numpy as np
import pytest

import metarun as tf
from op_harness import load_npz

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "summary", "event_file.npz")
DATA = load_npz(FIXTURE)
PROTOS = {"Summary": tf.Summary, "SessionLog": tf.SessionLog, "GraphDef": tf.GraphDef,
          "MetaGraphDef": tf.MetaGraphDef, "Event": tf.Event}


def _masked(data):
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(data):
    """The records of a TFRecord stream, each length and payload crc checked."""
    out, pos = [], 0
    while pos < len(data):
        header = data[pos:pos + 8]
        length, = struct.unpack("<Q", header)
        assert struct.unpack("<I", data[pos + 8:pos + 12])[0] == _masked(header)
        body = data[pos + 12:pos + 12 + length]
        assert len(body) == length
        assert struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])[0] == _masked(body)
        out.append(body)
        pos += 16 + length
    return out


def _frame(body):
    header = struct.pack("<Q", len(body))
    return header + struct.pack("<I", _masked(header)) + body + struct.pack("<I", _masked(body))


def _events(path):
    with open(path, "rb") as f:
        records = read_records(f.read())
    return [tf.Event.FromString(r) for r in records]


def _files(logdir):
    return sorted(os.listdir(logdir))


class _Clock(object):
    """time.time for the writer: a fixed sequence (the wall times TF's writer was given)."""

    def __init__(self, times):
        self.times = iter(times)

    def __call__(self):
        return next(self.times)


def _replay(writer):
    calls = json.loads(DATA["calls_json"].tobytes())
    kinds = json.loads(DATA["kinds_json"].tobytes())
    for method, index, step, tag in calls:
        if method in ("flush", "close"):
            getattr(writer, method)()
            continue
        raw = DATA["p%d" % index].tobytes()
        if kinds[index] == "RunMetadata":
            assert raw == b""  # an empty one: metarun's RunMetadata collects nothing
            proto = tf.RunMetadata()
        else:
            proto = PROTOS[kinds[index]].FromString(raw)
        if method == "add_summary" and index % 2:
            proto = raw
        if method == "add_event":
            writer.add_event(proto)
        elif method == "add_run_metadata":
            writer.add_run_metadata(proto, tag, step)
        elif method == "add_graph":
            writer.add_graph(None, step, graph_def=proto)
        else:
            getattr(writer, method)(proto, step)


def test_event_file_is_tfs_byte_for_byte(tmp_path, monkeypatch):
    opened = 1600000000.75  # the writer opens its file (suffix given) before any event is stamped
    monkeypatch.setattr(time, "time", _Clock([opened] + DATA["wall_times"].tolist()))
    suffix = DATA["suffix"].tobytes().decode()
    writer = tf.summary.FileWriter(str(tmp_path), filename_suffix=suffix)
    _replay(writer)
    name, = _files(tmp_path)
    tf_name = DATA["file_name"].tobytes().decode()
    assert re.fullmatch(r"events\.out\.tfevents\.\d{10}\.HOST" + re.escape(suffix), tf_name)
    assert name == "events.out.tfevents.1600000000.%s%s" % (socket.gethostname(), suffix)

    want = DATA["event_file"].tobytes()
    records = read_records(want)
    first = tf.Event.FromString(records[0])  # TF stamps it with the second the file was opened
    assert first.file_version == "brain.Event:2" and first.wall_time == int(first.wall_time)
    assert first.source_metadata.writer == "tensorflow.core.util.events_writer"
    assert str(int(first.wall_time)) in tf_name
    first.wall_time = 1600000000.0
    expected = _frame(first.SerializeToString()) + want[len(_frame(records[0])):]
    got = (tmp_path / name).read_bytes()
    assert got == expected
    events = [tf.Event.FromString(r) for r in read_records(got)]
    assert [e.WhichOneof("what") for e in events] == (
        ["file_version"] + ["summary"] * 9 + ["session_log"] * 2 + ["graph_def", "meta_graph_def"] +
        ["tagged_run_metadata"] * 2 + ["log_message", "summary"])
    assert [e.step for e in events][:11] == [0] + list(range(7)) + [10, 0, 11]


def test_file_opens_on_first_event_and_names_its_second(tmp_path):
    writer = tf.summary.FileWriter(str(tmp_path / "logs"))
    assert _files(tmp_path / "logs") == []
    before = int(time.time())
    writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="a", simple_value=2.0)]), 7)
    writer.flush()
    name, = _files(tmp_path / "logs")
    m = re.fullmatch(r"events\.out\.tfevents\.(\d{10})\.(.+)", name)
    assert m and m.group(2) == socket.gethostname() and before <= int(m.group(1)) <= int(time.time())
    first, event = _events(str(tmp_path / "logs" / name))
    assert first.wall_time == float(m.group(1)) and first.file_version == "brain.Event:2"
    assert event.step == 7 and event.summary.value[0].simple_value == 2.0
    writer.close()


def _size_reaches(path, size, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and os.path.getsize(path) >= size:
            return True
        time.sleep(0.01)
    return False


def test_first_event_is_flushed_at_once_later_ones_by_flush(tmp_path):
    writer = tf.summary.FileWriter(str(tmp_path), filename_suffix=".s")
    path = str(tmp_path / _files(tmp_path)[0])
    opened = os.path.getsize(path)
    assert opened > 0  # the file_version event is written and flushed when the file opens
    one = tf.Summary(value=[tf.Summary.Value(tag="a", simple_value=1.0)])
    writer.add_summary(one, 1)
    assert _size_reaches(path, opened + 1)
    size = os.path.getsize(path)
    writer.add_summary(one, 2)
    time.sleep(0.3)
    assert os.path.getsize(path) == size  # flush_secs (120) have not passed: still buffered
    writer.flush()
    assert os.path.getsize(path) > size
    assert [e.step for e in _events(path)] == [0, 1, 2]
    writer.close()


def test_an_event_after_flush_secs_flushes_in_the_background(tmp_path):
    writer = tf.summary.FileWriter(str(tmp_path), flush_secs=0.3, filename_suffix=".s")
    path = str(tmp_path / _files(tmp_path)[0])
    one = tf.Summary(value=[tf.Summary.Value(tag="a", simple_value=1.0)])
    writer.add_summary(one, 1)  # flushed at once
    writer.add_summary(one, 2)  # buffered
    time.sleep(1.0)
    writer.add_summary(one, 3)  # the writer thread flushes all three without a flush()
    deadline = time.monotonic() + 10
    while len(_events(path)) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [e.step for e in _events(path)] == [0, 1, 2, 3]
    writer.close()


def test_small_queue_keeps_every_event(tmp_path):
    writer = tf.summary.FileWriter(str(tmp_path), max_queue=1)
    for step in range(200):
        writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="a", simple_value=step)]), step)
    writer.close()
    events = _events(str(tmp_path / _files(tmp_path)[0]))
    assert [e.step for e in events[1:]] == list(range(200))


def test_close_reopen_starts_a_new_file(tmp_path, monkeypatch):
    now = [1600000000.5]
    monkeypatch.setattr(time, "time", lambda: now[0])
    one = tf.Summary(value=[tf.Summary.Value(tag="a", simple_value=1.0)])
    with tf.summary.FileWriter(str(tmp_path)) as writer:
        writer.add_summary(one, 1)
    with pytest.warns(UserWarning, match="closed FileWriter"):
        writer.add_summary(one, 2)  # a no-op
    with pytest.warns(UserWarning, match="closed FileWriter"):
        writer.flush()
    now[0] += 1
    writer.reopen()
    assert len(_files(tmp_path)) == 1  # opened by the next event, not by reopen
    writer.add_summary(one, 3)
    writer.close()
    first, second = _files(tmp_path)
    assert [e.step for e in _events(str(tmp_path / first))] == [0, 1]
    assert [e.step for e in _events(str(tmp_path / second))] == [0, 3]
    assert second.startswith("events.out.tfevents.1600000001.")
    writer.reopen()  # within the same second TF's writer opens the same name again, truncating it
    writer.add_summary(one, 4)
    writer.close()
    assert _files(tmp_path) == [first, second]
    assert [e.step for e in _events(str(tmp_path / second))] == [0, 4]


def test_argument_errors_as_tf(tmp_path):
    writer = tf.summary.FileWriter(str(tmp_path))
    meta = tf.RunMetadata()
    writer.add_run_metadata(meta, "t")
    with pytest.raises(ValueError, match="already used"):
        writer.add_run_metadata(meta, "t")
    g = tf.Graph()
    with pytest.raises(ValueError, match="only graph, or graph_def"):
        writer.add_graph(g, graph_def=g.as_graph_def())
    with pytest.raises(TypeError, match="instance of `Graph`"):
        writer.add_graph(None)
    with pytest.raises(TypeError, match="must be type MetaGraphDef"):
        writer.add_meta_graph(g)
    writer.close()


def test_graph_events_and_summary_iterator(tmp_path):
    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0, name="c")
        tf.add_to_collection("things", 3)
        writer = tf.summary.FileWriter(str(tmp_path), graph=g)
    writer.close()
    path = str(tmp_path / _files(tmp_path)[0])
    events = list(tf.train.summary_iterator(path))
    assert [e.WhichOneof("what") for e in events] == ["file_version", "graph_def", "meta_graph_def"]
    graph_def = tf.GraphDef.FromString(events[1].graph_def)
    assert [(n.name, n.op) for n in graph_def.node] == [("c", "Const")]
    assert "_output_shapes" in graph_def.node[0].attr
    meta = tf.MetaGraphDef.FromString(events[2].meta_graph_def)
    assert meta.graph_def == graph_def and list(meta.collection_def) == ["things"]
    assert [op.name for op in meta.meta_info_def.stripped_op_list.op] == ["Const"]
    assert [e.SerializeToString() for e in events] == [e.SerializeToString() for e in _events(path)]


def test_file_writer_cache_one_writer_per_dir(tmp_path):
    a = tf.summary.FileWriterCache.get(str(tmp_path / "a"))
    assert a is tf.summary.FileWriterCache.get(str(tmp_path / "a"))
    assert a is not tf.summary.FileWriterCache.get(str(tmp_path / "b"))
    tf.summary.FileWriterCache.clear()
    assert tf.summary.FileWriterCache.get(str(tmp_path / "a")) is not a
    tf.summary.FileWriterCache.clear()
