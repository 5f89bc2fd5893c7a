"""Lookup tables (lookup_ops.cpp, metarun.lookup) against TensorFlow's results: the cases of
fixtures/kernels/lookup_cases.py run here under metarun and compared with what TF returned
(fixtures/kernels/lookup/expected.json, written by gen_lookup.py); TF-written checkpoints and
MetaGraphDefs holding tables, restored and run here; metarun's own table checkpoints compared
with TF's."""
import json
import os

import numpy as np
import pytest

import metarun as tf
from op_harness import fixture_module, kernel_fixture

COVERAGE = {op: [] for op in [
    "HashTable", "HashTableV2", "MutableHashTable", "MutableHashTableV2", "MutableHashTableOfTensors",
    "MutableHashTableOfTensorsV2", "MutableDenseHashTableV2", "LookupTableFind", "LookupTableFindV2",
    "LookupTableInsert", "LookupTableInsertV2", "LookupTableRemoveV2", "LookupTableImport", "LookupTableImportV2",
    "LookupTableExport", "LookupTableExportV2", "LookupTableSize", "LookupTableSizeV2", "InitializeTable",
    "InitializeTableV2", "InitializeTableFromTextFile", "InitializeTableFromTextFileV2", "StringToHashBucketFast"]}

FIXTURES = kernel_fixture("lookup")
cases = fixture_module("lookup_cases")


def _load(path):
    with open(path) as f:
        return json.load(f)


EXPECTED = _load(os.path.join(FIXTURES, "expected.json"))


def decode(value):
    if isinstance(value, dict):
        if set(value) == {"bytes"}:
            return value["bytes"].encode("utf-8")
        if set(value) == {"dtype", "shape", "data"}:
            if value["dtype"] == "string":
                arr = np.empty(len(value["data"]), dtype=object)
                arr[:] = [s.encode("utf-8") for s in value["data"]]
                return arr.reshape(value["shape"])
            return np.array(value["data"], dtype=value["dtype"]).reshape(value["shape"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def assert_same(got, want, where):
    if isinstance(want, dict):
        assert sorted(got) == sorted(want), where
        for k in want:
            assert_same(got[k], want[k], "%s.%s" % (where, k))
    elif isinstance(want, list):
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, "%s[%d]" % (where, i))
    elif isinstance(want, np.ndarray):
        got = np.asarray(got)
        assert got.shape == want.shape, (where, got, want)
        if want.dtype == object:
            assert got.dtype == object, where
        else:
            assert got.dtype == want.dtype, (where, got.dtype, want.dtype)
        np.testing.assert_array_equal(got, want, err_msg=where)
    else:
        if isinstance(got, np.generic):
            got = got.item()
        assert got == want, (where, got, want)


@pytest.fixture
def in_fixtures(monkeypatch):
    monkeypatch.chdir(FIXTURES)  # vocabulary paths are relative, as in an export folder


def _as_plain(value):
    if isinstance(value, tuple):
        return [_as_plain(v) for v in value]
    if isinstance(value, list):
        return [_as_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype != object:
        return value[()]
    return value


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.__name__)
def test_case_matches_tensorflow(case, in_fixtures):
    with tf.Graph().as_default():
        got = _as_plain(case(tf, FIXTURES))
    assert_same(got, decode(EXPECTED[case.__name__]), case.__name__)


def test_vocabulary_meta_graph_with_relative_asset(in_fixtures):
    want = decode(EXPECTED["vocab_graph"])
    with tf.Graph().as_default():
        tf.train.import_meta_graph(os.path.join(FIXTURES, "vocab_graph.meta"))
        assets = tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS)
        assert [a.name for a in assets] == want["assets"]
        inits = tf.get_collection(tf.GraphKeys.TABLE_INITIALIZERS)
        assert [op.name for op in inits] == want["initializers"]
        with tf.Session() as sess:
            assert sess.run(assets[0]) == b"vocab.txt"
            sess.run(tf.tables_initializer())
            assert_same(sess.run("ids:0", {"words:0": want["feed"]}), want["ids"], "ids")


def test_tables_initializer_collection_and_asset_filepaths():
    with tf.Graph().as_default():
        init = tf.lookup.TextFileInitializer("v.txt", tf.string, -2, tf.int64, -1)
        table = tf.lookup.StaticHashTable(init, -1)
        assert tf.get_collection(tf.GraphKeys.TABLE_INITIALIZERS) == [table.initializer]
        assets = tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS)
        assert [a.name for a in assets] == ["asset_path:0"]
        assert table.initializer.name == "text_file_init/InitializeTableFromTextFileV2"
        assert table.resource_handle.op.get_attr("shared_name") in (b"hash_table_v.txt_-2_-1", "hash_table_v.txt_-2_-1")
        assert tf.tables_initializer().type == "NoOp"


# -- checkpoints ---------------------------------------------------------------------------

CKPT = os.path.join(FIXTURES, "tf_ckpt")
CKPT_EXPECTED = _load(os.path.join(CKPT, "expected_ckpt.json"))


def test_restore_tf_checkpoint_into_python_built_tables():
    want = decode(CKPT_EXPECTED["restored_probes"])
    with tf.Graph().as_default():
        _, _, _, _, probes = cases.build_checkpoint_graph(tf)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            saver.restore(sess, os.path.join(CKPT, "model"))
            assert_same(_as_plain(sess.run(probes)), want, "probes")


def test_restore_tf_checkpoint_through_imported_meta_graph():
    want = decode(CKPT_EXPECTED["restored_probes"])
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(os.path.join(CKPT, "model.meta"))
        probes = tf.get_collection("probes")
        with tf.Session() as sess:
            saver.restore(sess, os.path.join(CKPT, "model"))
            assert_same(_as_plain(sess.run(probes)), want, "probes")


def _checkpoint_content(prefix):
    reader = tf.train.load_checkpoint(prefix)
    dtypes = {k: v.name for k, v in reader.get_variable_to_dtype_map().items()}
    content = {}
    for name in sorted(dtypes):
        value = reader.get_tensor(name)
        if name == "word_counts-keys":
            order = np.argsort(value)
            content[name] = value[order]
            content["word_counts-values"] = reader.get_tensor("word_counts-values")[order]
        elif name != "word_counts-values":
            content[name] = value
    return dtypes, content


def test_metarun_table_checkpoint_holds_what_tf_writes(tmp_path):
    """Same keys, dtypes and values as TF's checkpoint of the same graph (the dense table's
    buckets included), then restored into fresh tables."""
    with tf.Graph().as_default():
        _, _, _, fills, probes = cases.build_checkpoint_graph(tf)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(fills)
            assert_same(_as_plain(sess.run(probes)), decode(CKPT_EXPECTED["probes"]), "probes")
            path = saver.save(sess, str(tmp_path / "model"))
    dtypes, content = _checkpoint_content(path)
    assert dtypes == CKPT_EXPECTED["dtypes"]
    assert_same(content, decode(CKPT_EXPECTED["content"]), "checkpoint")
    with tf.Graph().as_default():
        _, _, _, _, probes = cases.build_checkpoint_graph(tf)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            saver.restore(sess, path)
            assert_same(_as_plain(sess.run(probes)), decode(CKPT_EXPECTED["restored_probes"]), "restored")


def test_saver_layout_of_a_table():
    with tf.Graph().as_default() as g:
        tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, -1, name="t")
        tf.train.Saver()
        names = [op.name for op in g.get_operations()]
        assert "t_lookup_table_export_values/LookupTableExportV2" in names
        assert "save/t_table_restore/LookupTableImportV2" in names


# -- direct kernel checks ------------------------------------------------------------------

def test_shared_name_shares_a_table_across_nodes_and_runs():
    with tf.Graph().as_default():
        a = tf.raw_ops.MutableHashTableV2(key_dtype=tf.int64, value_dtype=tf.int64, shared_name="shared")
        b = tf.raw_ops.MutableHashTableV2(key_dtype=tf.int64, value_dtype=tf.int64, shared_name="shared")
        c = tf.raw_ops.MutableHashTableV2(key_dtype=tf.int64, value_dtype=tf.int64)
        ins = tf.raw_ops.LookupTableInsertV2(table_handle=a, keys=tf.constant([1], tf.int64),
                                             values=tf.constant([10], tf.int64))
        with tf.Session() as sess:
            sess.run(ins)
            assert sess.run(tf.raw_ops.LookupTableSizeV2(table_handle=b)) == 1
            assert sess.run(tf.raw_ops.LookupTableSizeV2(table_handle=c)) == 0
        with tf.Session() as sess:  # a new session starts with no tables
            assert sess.run(tf.raw_ops.LookupTableSizeV2(table_handle=b)) == 0


def test_unregistered_dtype_combination_fails():
    with tf.Graph().as_default():
        t = tf.raw_ops.MutableHashTableV2(key_dtype=tf.string, value_dtype=tf.string)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.NotFoundError):
                sess.run(t)


def test_many_dense_inserts_grow_and_remove():
    keys = np.arange(1, 3001, dtype=np.int64) * 7919
    with tf.Graph().as_default():
        t = tf.lookup.experimental.DenseHashTable(tf.int64, tf.int64, -1, empty_key=0, deleted_key=-1,
                                                  initial_num_buckets=4)
        with tf.Session() as sess:
            sess.run(t.insert(keys, keys * 2))
            sess.run(t.erase(keys[::2]))
            got = sess.run(t.lookup(keys))
            assert sess.run(t.size()) == 1500
            k, _ = sess.run(t.export())
            assert k.shape == (4096, 1)
    want = keys * 2
    want[::2] = -1
    np.testing.assert_array_equal(got, want)


# The key -> value dtypes TF registers on CPU for each table op (its lookup_table_op.cc and
# mutable dense table registrations); every other pair has no kernel there.
_MAP_PAIRS = {"int32": {"int32", "float32", "float64", "string"},
              "int64": {"int32", "int64", "float32", "float64", "string"},
              "string": {"bool", "int32", "int64", "float32", "float64", "string"}}
_MUTABLE_PAIRS = {"int32": {"int32", "float32", "float64"},
                  "int64": {"int32", "int64", "float32", "float64", "string"},
                  "string": {"bool", "int32", "int64", "float32", "float64"}}
_DENSE_PAIRS = {"int32": {"int32", "float32", "float64"},
                "int64": {"bool", "int32", "int64", "float32", "float64"},
                "string": {"bool", "int32", "int64", "float32", "float64"}}
_REGISTERED = {"HashTableV2": _MAP_PAIRS, "MutableHashTableV2": _MUTABLE_PAIRS,
               "MutableHashTableOfTensorsV2": _MUTABLE_PAIRS, "MutableDenseHashTableV2": _DENSE_PAIRS}
_VALUES = {"bool": [True, False, True], "int32": [7, -8, 9], "int64": [2**40, -5, 6],
           "float32": [0.5, -1.5, 2.25], "float64": [1e300, -0.125, 3.5], "string": [b"a", b"bb", b""]}
_DEFAULTS = {"bool": False, "int32": -1, "int64": -1, "float32": -1.0, "float64": -1.0, "string": b"?"}
_KEYS = {"int32": [3, 5, 11], "int64": [3, 2**35, 11], "string": [b"x", b"yy", b"z"]}
_MISSING = {"int32": 4, "int64": 4, "string": b"w"}


@pytest.mark.parametrize("op", sorted(_REGISTERED))
@pytest.mark.parametrize("key", sorted(_KEYS))
@pytest.mark.parametrize("value", sorted(_VALUES))
def test_every_key_value_pair_tf_registers_round_trips_and_no_other(op, key, value):
    kd, vd = tf.as_dtype(key), tf.as_dtype(value)
    of_tensors = op == "MutableHashTableOfTensorsV2"
    vals = np.array(_VALUES[value], dtype=object if value == "string" else value)
    if of_tensors:  # two values per key: the row and its reverse
        vals = np.stack([vals, vals[::-1]], axis=1)
    default = np.full([2] if of_tensors else [], _DEFAULTS[value], dtype=vals.dtype)
    with tf.Graph().as_default():
        keys = tf.constant(_KEYS[key], kd)
        if op == "MutableDenseHashTableV2":
            empty, deleted = ({"string": (b"", b"<deleted>")}.get(key) or (0, -1))
            t = tf.raw_ops.MutableDenseHashTableV2(empty_key=tf.constant(empty, kd), deleted_key=tf.constant(deleted, kd),
                                                   value_dtype=vd, value_shape=[])
        elif of_tensors:
            t = tf.raw_ops.MutableHashTableOfTensorsV2(key_dtype=kd, value_dtype=vd, value_shape=[2])
        else:
            t = getattr(tf.raw_ops, op)(key_dtype=kd, value_dtype=vd)
        if op == "HashTableV2":
            fill = tf.raw_ops.InitializeTableV2(table_handle=t, keys=keys, values=tf.constant(vals, vd))
        else:
            fill = tf.raw_ops.LookupTableInsertV2(table_handle=t, keys=keys, values=tf.constant(vals, vd))
        probe = tf.constant(_KEYS[key][::-1] + [_MISSING[key]], kd)
        found = tf.raw_ops.LookupTableFindV2(table_handle=t, keys=probe, default_value=tf.constant(default, vd))
        with tf.Session() as sess:
            if value not in _REGISTERED[op][key]:
                with pytest.raises(tf.errors.NotFoundError, match="No registered"):
                    sess.run(t)
                return
            sess.run(fill)
            got = sess.run(found)
    want = np.concatenate([vals[::-1], default[None]])
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
