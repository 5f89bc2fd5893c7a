"""tf.data kernels against TF-made pipelines (tests/fixtures/kernels/gen_datasets.py).

Each case is a GraphDef TF wrote (dataset ops, iterators and the function library of its
map/filter/interleave functions), replayed step by step in one metarun Session: every
element TF produced, in TF's order, the end of data (OutOfRangeError, raised again when
asked again), re-initialization, string-handle feeds and errors. Further tests build
graphs by hand for what TF's Python API does not write (anonymous iterators, optionals,
one-shot failures, copy semantics).
"""
import json
import os

import numpy as np
import pytest

import metarun as tf
from metarun import _core

from dataset_io_replay import import_graph, replay_steps
from op_harness import KERNEL_FIXTURES, Func, Shape, add_const, add_node, enum

DATASETS = os.path.join(KERNEL_FIXTURES, "datasets")

COVERAGE = {op: set() for op in (
    "TensorDataset", "TensorSliceDataset", "RangeDataset", "MapDataset", "ParallelMapDataset",
    "ParallelMapDatasetV2", "FilterDataset", "FlatMapDataset", "InterleaveDataset", "ParallelInterleaveDataset",
    "ExperimentalParallelInterleaveDataset", "LegacyParallelInterleaveDatasetV2", "ParallelInterleaveDatasetV2", "ParallelInterleaveDatasetV3",
    "ParallelInterleaveDatasetV4", "BatchDataset", "BatchDatasetV2", "PaddedBatchDataset", "PaddedBatchDatasetV2",
    "MapAndBatchDataset", "ExperimentalMapAndBatchDataset", "RepeatDataset", "TakeDataset", "SkipDataset",
    "ZipDataset", "ConcatenateDataset", "CacheDataset", "CacheDatasetV2", "DummyMemoryCache", "PrefetchDataset",
    "ModelDataset", "OptimizeDataset", "OptimizeDatasetV2", "MaxIntraOpParallelismDataset",
    "ExperimentalMaxIntraOpParallelismDataset", "PrivateThreadPoolDataset", "ExperimentalPrivateThreadPoolDataset",
    "OptionsDataset", "AssertNextDataset", "ExperimentalAssertNextDataset", "NonSerializableDataset",
    "ExperimentalNonSerializableDataset", "AssertCardinalityDataset", "DatasetCardinality",
    "IteratorV2", "Iterator", "AnonymousIterator", "AnonymousIteratorV2", "AnonymousIteratorV3", "DeleteIterator",
    "MakeIterator", "OneShotIterator", "IteratorGetNext", "IteratorGetNextSync", "IteratorGetNextAsOptional",
    "OptionalFromValue", "OptionalNone", "OptionalHasValue", "OptionalGetValue", "IteratorToStringHandle",
    "IteratorFromStringHandle", "IteratorFromStringHandleV2", "DecodeRaw",
    "TakeWhileDataset", "ExperimentalTakeWhileDataset", "ScanDataset", "ExperimentalScanDataset",
    "ReduceDataset", "DatasetToSingleElement")}


def _load():
    with open(os.path.join(DATASETS, "cases.json")) as f:
        cases = json.load(f)
    with np.load(os.path.join(DATASETS, "values.npz"), allow_pickle=False) as z:
        return cases, {k: z[k] for k in z.files}


CASES, VALUES = _load()


def replay(name):
    case = CASES[name]
    replay_steps(name, import_graph(os.path.join(DATASETS, case["graph"])), case["steps"], VALUES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_tf_pipeline(name):
    replay(name)


# ---- hand-built graphs ------------------------------------------------------------------------

I64, F32, STR, VARIANT, RES = "int64", "float32", "string", "variant", "resource"


def _range(g, name, start, stop, step=1):
    a = add_const(g, name + "/start", np.int64(start))
    b = add_const(g, name + "/stop", np.int64(stop))
    c = add_const(g, name + "/step", np.int64(step))
    return add_node(g, name, "RangeDataset", [a, b, c], [VARIANT], output_types=[tf.int64], output_shapes=[Shape([])])


def _run(sess, fetches, targets=()):
    return sess.run([(f, 0) if isinstance(f, int) else f for f in fetches], [], list(targets))


def _core_run(sess, fetches=(), targets=()):
    return sess.run([], [], [(f, 0) if isinstance(f, int) else f for f in fetches], list(targets))


def _status(exc):
    return exc.args[0]


def test_anonymous_iterator_v2_and_delete():
    g = _core.Graph()
    ds = _range(g, "ds", 0, 3)
    it = add_node(g, "it", "AnonymousIteratorV2", [], [RES, VARIANT], output_types=[tf.int64],
                  output_shapes=[Shape([])])
    make = add_node(g, "make", "MakeIterator", [ds, (it, 0)], [])
    n1 = add_node(g, "n1", "IteratorGetNext", [(it, 0)], [I64], control_inputs=[make], output_types=[tf.int64],
                  output_shapes=[Shape([])])
    n2 = add_node(g, "n2", "IteratorGetNext", [(it, 0)], [I64], control_inputs=[n1], output_types=[tf.int64],
                  output_shapes=[Shape([])])
    dele = add_node(g, "del", "DeleteIterator", [(it, 0), (it, 1)], [], control_inputs=[n2])
    sess = _core.Session(g, 1)
    # Each run makes a fresh anonymous iterator: the first two elements every time.
    for _ in range(2):
        a, b = _core_run(sess, [n1, n2], [dele])
        assert (int(a), int(b)) == (0, 1)


def test_anonymous_iterator_v3_lives_for_its_run():
    g = _core.Graph()
    ds = _range(g, "ds", 5, 8)
    it = add_node(g, "it", "AnonymousIteratorV3", [], [RES], output_types=[tf.int64], output_shapes=[Shape([])])
    make = add_node(g, "make", "MakeIterator", [ds, it], [])
    n1 = add_node(g, "n1", "IteratorGetNextSync", [it], [I64], control_inputs=[make], output_types=[tf.int64],
                  output_shapes=[Shape([])])
    sess = _core.Session(g, 1)
    assert int(_core_run(sess, [n1])[0]) == 5
    assert int(_core_run(sess, [n1])[0]) == 5


def test_get_next_as_optional_and_optional_ops():
    g = _core.Graph()
    ds = _range(g, "ds", 0, 1)
    it = add_node(g, "it", "IteratorV2", [], [RES], output_types=[tf.int64], output_shapes=[Shape([])],
                  shared_name="opt_it", container="")
    make = add_node(g, "make", "MakeIterator", [ds, it], [])
    opt = add_node(g, "opt", "IteratorGetNextAsOptional", [it], [VARIANT], output_types=[tf.int64],
                   output_shapes=[Shape([])])
    has = add_node(g, "has", "OptionalHasValue", [opt], ["bool"])
    val = add_node(g, "val", "OptionalGetValue", [opt], [I64], output_types=[tf.int64], output_shapes=[Shape([])])
    none = add_node(g, "none", "OptionalNone", [], [VARIANT])
    none_has = add_node(g, "none_has", "OptionalHasValue", [none], ["bool"])
    none_val = add_node(g, "none_val", "OptionalGetValue", [none], [I64], output_types=[tf.int64],
                        output_shapes=[Shape([])])
    c = add_const(g, "c", np.float32(2.5))
    some = add_node(g, "some", "OptionalFromValue", [c], [VARIANT], Toutput_types=[tf.float32])
    some_val = add_node(g, "some_val", "OptionalGetValue", [some], [F32], output_types=[tf.float32],
                        output_shapes=[Shape([])])
    sess = _core.Session(g, 1)
    _core_run(sess, [], [make])
    h, v = _core_run(sess, [has, val])
    assert bool(h) and int(v) == 0
    assert not bool(_core_run(sess, [has])[0])  # the end of data is an empty optional
    assert not bool(_core_run(sess, [none_has])[0])
    with pytest.raises(_core.StatusError) as info:
        _core_run(sess, [none_val])
    assert _status(info.value) == 3 and "does not have a value" in str(info.value)
    assert float(_core_run(sess, [some_val])[0]) == 2.5


def test_dataset_cardinality():
    g = _core.Graph()
    ds = _range(g, "ds", 0, 10, 3)
    bs = add_const(g, "bs", np.int64(3))
    drop = add_const(g, "drop", np.bool_(True))
    batched = add_node(g, "b", "BatchDatasetV2", [ds, bs, drop], [VARIANT], output_types=[tf.int64],
                       output_shapes=[Shape([3])])
    card = add_node(g, "card", "DatasetCardinality", [ds], [I64])
    bcard = add_node(g, "bcard", "DatasetCardinality", [batched], [I64])
    sess = _core.Session(g, 1)
    assert [int(v) for v in _core_run(sess, [card, bcard])] == [4, 1]


def test_get_next_type_check():
    g = _core.Graph()
    ds = _range(g, "ds", 0, 3)
    it = add_node(g, "it", "IteratorV2", [], [RES], output_types=[tf.int32], output_shapes=[Shape([])],
                  shared_name="", container="")
    make = add_node(g, "make", "MakeIterator", [ds, it], [])
    sess = _core.Session(g, 1)
    with pytest.raises(_core.StatusError) as info:
        _core_run(sess, [], [make])
    assert "Data type mismatch at component 0: expected int32 but got int64." in str(info.value)


def test_string_handle_of_unknown_iterator():
    g = _core.Graph()
    s = add_const(g, "s", np.array(b"not a handle", dtype=object))
    it = add_node(g, "it", "IteratorFromStringHandleV2", [s], [RES], output_types=[tf.int64],
                  output_shapes=[Shape([])])
    sess = _core.Session(g, 1)
    with pytest.raises(_core.StatusError) as info:
        _core_run(sess, [it])
    assert _status(info.value) == 3


def test_pipelines_stream():
    # range(2^62) -> map-free batch -> repeat: the first batches come at once, nothing is materialized.
    g = _core.Graph()
    ds = _range(g, "ds", 0, 1 << 62)
    bs = add_const(g, "bs", np.int64(5))
    batched = add_node(g, "b", "BatchDataset", [ds, bs], [VARIANT], output_types=[tf.int64],
                       output_shapes=[Shape([-1])])
    it = add_node(g, "it", "IteratorV2", [], [RES], output_types=[tf.int64], output_shapes=[Shape([-1])],
                  shared_name="", container="")
    make = add_node(g, "make", "MakeIterator", [batched, it], [])
    nxt = add_node(g, "nxt", "IteratorGetNext", [it], [I64], output_types=[tf.int64], output_shapes=[Shape([-1])])
    card = add_node(g, "card", "DatasetCardinality", [batched], [I64])
    sess = _core.Session(g, 1)
    _core_run(sess, [], [make])
    assert _core_run(sess, [nxt])[0].tolist() == [0, 1, 2, 3, 4]
    assert _core_run(sess, [nxt])[0].tolist() == [5, 6, 7, 8, 9]
    assert int(_core_run(sess, [card])[0]) == ((1 << 62) + 4) // 5
    # Re-running the initializer restarts the sequence.
    _core_run(sess, [], [make])
    assert _core_run(sess, [nxt])[0].tolist() == [0, 1, 2, 3, 4]
