"""dataset_ops_2 kernels against TF-made cases (tests/fixtures/kernels/gen_datasets_2.py):
enumerate's RewriteDataset, UnbatchDataset, ParallelBatchDataset, ShardDataset (incl.
require_non_empty and its errors), MatchingFiles (replayed inside a rebuilt copy of the file tree
TF globbed), ReduceJoin and Add on strings, each replayed step by step as TF ran it.

GeneratorDataset and EagerPyFunc run Python functions of this process, which a graph file cannot
name: they are checked through metarun's own Dataset.from_generator against the generator's own
values (end of data, re-initialization, finalization, errors).
"""
import json
import os

import numpy as np
import pytest

import metarun as tf

from dataset_io_replay import import_graph, replay_steps
from op_harness import KERNEL_FIXTURES

DATASETS = os.path.join(KERNEL_FIXTURES, "datasets_2")

COVERAGE = {op: set() for op in (
    "RewriteDataset", "UnbatchDataset", "ExperimentalUnbatchDataset", "ParallelBatchDataset", "ShardDataset",
    "GeneratorDataset", "MatchingFiles", "ReduceJoin", "EagerPyFunc")}
COVERAGE["Add"] = {"string"}


def _load():
    with open(os.path.join(DATASETS, "cases.json")) as f:
        cases = json.load(f)
    with open(os.path.join(DATASETS, "tree.json")) as f:
        tree = json.load(f)
    with np.load(os.path.join(DATASETS, "values.npz"), allow_pickle=False) as z:
        return cases, tree, {k: z[k] for k in z.files}


CASES, TREE, VALUES = _load()


def _feed_value(key):
    v = VALUES[key]
    return v.astype(object) if v.dtype.kind == "S" else v


def replay(name):
    case = CASES[name]
    replay_steps(name, import_graph(os.path.join(DATASETS, case["graph"])), case["steps"], VALUES,
                 feed_value=_feed_value)


@pytest.mark.parametrize("name", sorted(n for n in CASES if n != "matching_files"))
def test_tf_case(name):
    replay(name)


def test_matching_files_in_tf_tree(tmp_path, monkeypatch):
    for p in TREE:
        path = tmp_path / p
        if p.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    replay("matching_files")


def test_matching_files_absolute(tmp_path):
    for p in ("b.txt", "a.txt", "sub/c.txt"):
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / p).write_bytes(b"")
    g = tf.Graph()
    with g.as_default():
        pattern = tf.placeholder(tf.string, shape=None)
        from metarun.framework.op_builder import apply_op
        files = apply_op("MatchingFiles", pattern=pattern)
        with tf.Session() as sess:
            got = sess.run(files, {pattern: os.path.join(str(tmp_path), "*")})
            root = str(tmp_path)
            assert [bytes(v).decode() for v in got] == sorted(os.path.join(root, n) for n in ("a.txt", "b.txt",
                                                                                             "sub"))
            got = sess.run(files, {pattern: np.array([os.path.join(root, "*", "*.txt"), os.path.join(root, "b*")],
                                                     dtype=object)})
            assert [bytes(v).decode() for v in got] == [os.path.join(root, "b.txt"), os.path.join(root, "sub", "c.txt")]


# ---- GeneratorDataset through Dataset.from_generator --------------------------------------------

def _drain(sess, nxt, limit=100):
    out = []
    for _ in range(limit):
        try:
            out.append(sess.run(nxt))
        except tf.errors.OutOfRangeError:
            return out
    raise AssertionError("no end of data")


def test_generator_end_of_data_and_reinitialization():
    events = []

    def gen(n, scale):
        events.append(("start", int(n)))
        for i in range(int(n)):
            yield i, np.full([2], i * float(scale), np.float32)
        events.append(("stop", int(n)))

    g = tf.Graph()
    with g.as_default():
        n = tf.placeholder(tf.int64, [], name="n")
        ds = tf.data.Dataset.from_generator(gen, (tf.int64, tf.float32), (tf.TensorShape([]), tf.TensorShape([2])),
                                            args=(n, 0.5))
        it = tf.data.make_initializable_iterator(ds)
        nxt = it.get_next()
        with tf.Session() as sess:
            sess.run(it.initializer, {n: 3})
            got = _drain(sess, nxt)
            assert [int(a) for a, _ in got] == [0, 1, 2]
            np.testing.assert_array_equal(np.stack([b for _, b in got]), [[0, 0], [0.5, 0.5], [1, 1]])
            with pytest.raises(tf.errors.OutOfRangeError):  # and it stays ended
                sess.run(nxt)
            sess.run(it.initializer, {n: 1})
            assert len(_drain(sess, nxt)) == 1
    assert events == [("start", 3), ("stop", 3), ("start", 1), ("stop", 1)]


def test_generator_finalizes_each_pass(monkeypatch):
    from metarun.data import _from_generator
    completed = []
    original = _from_generator._GeneratorState.iterator_completed

    def record(self, iterator_id):
        completed.append(int(iterator_id))
        original(self, iterator_id)
        assert not self._iterators  # nothing left behind

    monkeypatch.setattr(_from_generator._GeneratorState, "iterator_completed", record)

    def gen():
        yield from ([1, 2], [3, 4])

    g = tf.Graph()
    with g.as_default():
        ds = tf.data.Dataset.from_generator(gen, tf.int32, tf.TensorShape([2])).repeat(3)
        nxt = tf.data.make_one_shot_iterator(ds).get_next()
        with tf.Session() as sess:
            got = _drain(sess, nxt)
    assert [v.tolist() for v in got] == [[1, 2], [3, 4]] * 3
    assert completed == [0, 1, 2]


def test_generator_eager_branch_and_errors():
    def gen():
        yield 1
        yield [2, 3]
        yield 2.5

    g = tf.Graph()
    with g.as_default():
        ds = tf.data.Dataset.from_generator(gen, tf.int64)  # a shape of unknown rank: EagerPyFunc
        it = tf.data.make_initializable_iterator(ds)
        nxt = it.get_next()
        assert any(n.op == "EagerPyFunc" for n in _function_ops(g))
        with tf.Session() as sess:
            sess.run(it.initializer)
            assert sess.run(nxt).tolist() == 1
            assert sess.run(nxt).tolist() == [2, 3]
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                sess.run(nxt)
            assert "`generator` yielded an element that did not match the expected structure" in info.value.message
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(nxt)


def test_generator_shape_error_then_continues():
    def gen():
        yield "a", [1, 2]
        yield "bb", [1, 2, 3]
        yield "c", [5, 6]

    g = tf.Graph()
    with g.as_default():
        ds = tf.data.Dataset.from_generator(gen, (tf.string, tf.int64), (tf.TensorShape([]), tf.TensorShape([2])))
        nxt = tf.data.make_one_shot_iterator(ds).get_next()
        with tf.Session() as sess:
            s, v = sess.run(nxt)
            assert (s, v.tolist()) == (b"a", [1, 2])
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                sess.run(nxt)
            assert ("`generator` yielded an element of shape (3,) where an element of shape (2,) was expected."
                    in info.value.message)
            s, v = sess.run(nxt)
            assert (s, v.tolist()) == (b"c", [5, 6])
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(nxt)


def _function_ops(graph):
    lib = graph.as_graph_def().library
    return [n for f in lib.function for n in f.node_def]
