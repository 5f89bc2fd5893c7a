"""Checkpoint state file and name-based reading (checkpoint_management,
checkpoint_utils), checked against what TF wrote and returned for the
fixtures in tests/fixtures/ckpt (see gen_checkpoints.py) and FORMATS.md 2.7."""

import json
import os
import shutil

import ml_dtypes
import numpy as np

from op_harness import load_npz
import pytest

from metarun import errors
from metarun.bundle import io_ops, save_v2
from metarun.framework import dtypes, protos
from metarun.train import checkpoint_management as cm
from metarun.train import checkpoint_utils as cu

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "ckpt")
with open(os.path.join(FIXTURES, "manifest.json")) as _f:
    MANIFEST = json.load(_f)
VALUES = load_npz(os.path.join(FIXTURES, "values.npz"))
CASES = sorted(MANIFEST)


@pytest.fixture(autouse=True)
def _fresh_reader_cache():
    io_ops.clear_cache()
    yield


def _prefix(case):
    return os.path.join(FIXTURES, case, MANIFEST[case]["save_path"])


def _expected(item):
    array = VALUES[item["npz"]]
    if item["kind"] == "string" or array.dtype.kind == "S":
        out = np.empty(array.size, dtype=object)
        out[:] = [bytes(x) for x in array.reshape(-1)]
        return out.reshape(array.shape)
    if item["kind"] == "bfloat16":
        return array.view(ml_dtypes.bfloat16)
    return array


# --- reading by name -----------------------------------------------------------------

@pytest.mark.parametrize("case", CASES)
def test_list_variables_matches_tf(case):
    want = [tuple(x) for x in MANIFEST[case]["list_variables"]]
    assert cu.list_variables(_prefix(case)) == want
    assert cu.list_variables(os.path.join(FIXTURES, case)) == want  # directory form


@pytest.mark.parametrize("case", CASES)
def test_reader_maps_match_tf(case):
    reader = cu.NewCheckpointReader(_prefix(case))
    dtype_map = reader.get_variable_to_dtype_map()
    assert {k: v.name for k, v in dtype_map.items()} == MANIFEST[case]["dtype_map"]
    assert all(isinstance(v, dtypes.DType) for v in dtype_map.values())
    assert reader.get_variable_to_shape_map() == dict(
        (n, s) for n, s in MANIFEST[case]["list_variables"])
    for name in dtype_map:
        assert reader.has_tensor(name)
    assert not reader.has_tensor("no/such/variable")


@pytest.mark.parametrize("case", CASES)
def test_debug_string_matches_tf(case):
    ours = cu.NewCheckpointReader(_prefix(case)).debug_string()
    theirs = MANIFEST[case]["debug_string"].encode("latin-1")
    if MANIFEST[case]["version"] == 1:
        # TF's V1 reader lists tensors in hash-map order.
        assert sorted(ours.splitlines()) == sorted(theirs.splitlines())
    else:
        assert ours == theirs


@pytest.mark.parametrize("case", CASES)
def test_get_tensor_matches_tf(case):
    reader = cu.NewCheckpointReader(_prefix(case))
    checked = 0
    for name, item in MANIFEST[case]["expect"].items():
        if "tf_error" in item:
            continue  # TF's own reader could not return it (V1 strings, half, slices)
        got = reader.get_tensor(name)
        assert type(got).__name__ == item["py_type"], name
        want = _expected(item)
        got = np.asarray(got, dtype=object if isinstance(got, bytes) else None)
        assert got.dtype == want.dtype and got.shape == want.shape, name
        if got.dtype == object:
            assert got.tolist() == want.tolist()
        else:
            assert got.tobytes() == want.tobytes()
        checked += 1
    assert checked >= 1


def test_get_tensor_is_writable_copy():
    value = cu.load_variable(_prefix("dtypes"), "f32")
    value += 1  # TF hands out fresh arrays; so must we
    assert not np.array_equal(value, cu.load_variable(_prefix("dtypes"), "f32"))


def test_load_variable_forms():
    want = cu.load_variable(_prefix("partitioned"), "emb")
    assert want.shape == (5, 4)
    np.testing.assert_array_equal(cu.load_variable(os.path.join(FIXTURES, "partitioned"),
                                                   "emb:0"), want)
    with pytest.raises(errors.NotFoundError, match="Key nope not found in checkpoint"):
        cu.load_variable(_prefix("partitioned"), "nope")


def test_missing_checkpoints(tmp_path):
    with pytest.raises(ValueError, match="Couldn't find 'checkpoint' file or checkpoints in "
                       "given directory"):
        cu.list_variables(str(tmp_path))
    with pytest.raises(errors.NotFoundError, match="Failed to find any matching files for"):
        cu.NewCheckpointReader(str(tmp_path / "nothing"))


# --- the state file --------------------------------------------------------------------

def test_state_file_text_identical_to_tf(tmp_path, monkeypatch):
    # TF saved with cwd = fixtures/ckpt to "state/model", steps 1..3, max_to_keep=2.
    monkeypatch.chdir(tmp_path)
    os.mkdir("state")
    cm.update_checkpoint_state("state", "state/model-3", ["state/model-2", "state/model-3"])
    with open("state/checkpoint") as f:
        assert f.read() == MANIFEST["state"]["state_file"]
    assert [n for n in os.listdir("state")] == ["checkpoint"]  # no temp file left


def test_state_file_model_appended_and_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkdir("d")
    cm.update_checkpoint_state("d", "d/m-5")
    state = cm.get_checkpoint_state("d")
    assert state.model_checkpoint_path == os.path.join("d", "m-5")
    assert list(state.all_model_checkpoint_paths) == [os.path.join("d", "m-5")]
    with open("d/checkpoint") as f:
        assert f.read() == 'model_checkpoint_path: "m-5"\nall_model_checkpoint_paths: "m-5"\n'


def test_state_file_absolute_paths(tmp_path):
    d = str(tmp_path)
    cm.update_checkpoint_state(d, os.path.join(d, "m-2"), [os.path.join(d, "m-1")])
    with open(os.path.join(d, "checkpoint")) as f:
        text = f.read()
    assert text == ('model_checkpoint_path: "%s/m-2"\nall_model_checkpoint_paths: "%s/m-1"\n'
                    'all_model_checkpoint_paths: "%s/m-2"\n' % (d, d, d))
    cm.update_checkpoint_state(d, os.path.join(d, "m-2"), save_relative_paths=True)
    with open(os.path.join(d, "checkpoint")) as f:
        assert f.read() == 'model_checkpoint_path: "m-2"\nall_model_checkpoint_paths: "m-2"\n'
    assert cm.get_checkpoint_state(d).model_checkpoint_path == os.path.join(d, "m-2")
    with pytest.raises(RuntimeError, match="conflicts with path used for checkpoint state"):
        cm.update_checkpoint_state(d, os.path.join(d, "checkpoint"))


def test_get_checkpoint_state_of_fixture():
    d = os.path.join(FIXTURES, "state")
    state = cm.get_checkpoint_state(d)
    assert state.model_checkpoint_path == os.path.join(d, "model-3")
    assert list(state.all_model_checkpoint_paths) == [os.path.join(d, "model-2"),
                                                      os.path.join(d, "model-3")]
    assert cm.latest_checkpoint(d) == os.path.join(d, "model-3")
    # V1 sharded: the state names a glob pattern, which matches the shard files.
    d1 = os.path.join(FIXTURES, "v1_sharded")
    assert cm.latest_checkpoint(d1) == os.path.join(d1, "model.ckpt-?????-of-00002")


def test_state_file_problems(tmp_path, caplog):
    d = str(tmp_path)
    assert cm.get_checkpoint_state(d) is None
    assert cm.latest_checkpoint(d) is None
    with open(os.path.join(d, "checkpoint"), "w") as f:
        f.write("this is { not text format")
    assert cm.get_checkpoint_state(d) is None
    with open(os.path.join(d, "checkpoint"), "w") as f:
        f.write('all_model_checkpoint_paths: "x"\n')
    with pytest.raises(ValueError, match="Invalid checkpoint state loaded from"):
        cm.get_checkpoint_state(d)
    # Named but missing files: logged, None.
    with open(os.path.join(d, "checkpoint"), "w") as f:
        f.write('model_checkpoint_path: "gone"\n')
    assert cm.latest_checkpoint(d) is None
    # TF2's CheckpointManager adds timestamps; they must parse.
    with open(os.path.join(d, "other"), "w") as f:
        f.write('model_checkpoint_path: "m"\nall_model_checkpoint_timestamps: 1.5\n'
                'last_preserved_timestamp: 2.5\n')
    state = cm.get_checkpoint_state(d, "other")
    assert list(state.all_model_checkpoint_timestamps) == [1.5]
    assert state.last_preserved_timestamp == 2.5


def test_checkpoint_exists_and_meta_names(tmp_path):
    assert cm.checkpoint_exists(_prefix("dtypes"))
    assert cm.checkpoint_exists(_prefix("v1"))
    assert cm.checkpoint_exists(_prefix("v1_sharded"))
    assert not cm.checkpoint_exists(str(tmp_path / "model"))
    assert cm.meta_graph_filename("model.ckpt-123456-?????-of-00005") == "model.ckpt-123456.meta"
    assert cm.meta_graph_filename("model.ckpt-123456-00001-of-00002") == "model.ckpt-123456.meta"
    assert cm.meta_graph_filename("/a/model-3") == "/a/model-3.meta"
    assert cm.meta_graph_filename("m", meta_graph_suffix="txt") == "m.txt"


def test_remove_checkpoint(tmp_path):
    prefix = str(tmp_path / "m-1")
    save_v2(prefix, ["x"], [""], [np.ones(2)], [2])
    open(prefix + ".meta", "w").close()
    other = str(tmp_path / "m-10")
    save_v2(other, ["x"], [""], [np.ones(2)], [2])
    cm.remove_checkpoint(prefix)
    assert sorted(os.listdir(tmp_path)) == ["m-10.data-00000-of-00001", "m-10.index"]


def test_state_proto_text_round_trip():
    state = protos.CheckpointState(model_checkpoint_path='a "quoted" \\ path',
                                   all_model_checkpoint_paths=["x", "y"])
    parsed = protos.parse_text(protos.to_text(state), protos.CheckpointState)
    assert parsed == state


def test_reader_on_copied_directory(tmp_path):
    # Relative paths in the state file follow the directory when it moves.
    shutil.copytree(os.path.join(FIXTURES, "partitioned"), str(tmp_path / "moved"))
    names = [n for n, _ in cu.list_variables(str(tmp_path / "moved"))]
    assert names == ["big", "cols", "emb", "plain"]


# --- protos: wire compatibility and text format ----------------------------------------
# (metarun.framework.protos backs the state file; its tests live here.)

def _unknown_fields(message, path="root"):
    """Paths of fields our protos did not recognise, recursively."""
    from google.protobuf import unknown_fields
    found = [(path, f.field_number) for f in unknown_fields.UnknownFieldSet(message)]
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            if field.message_type.fields_by_name["value"].message_type is not None:
                for key, item in value.items():
                    found += _unknown_fields(item, "%s.%s[%s]" % (path, field.name, key))
        elif getattr(field, "is_repeated", None) or getattr(field, "label", 0) == 3:
            for item in value:
                found += _unknown_fields(item, path + "." + field.name)
        else:
            found += _unknown_fields(value, path + "." + field.name)
    return found


def test_proto_package_is_ours():
    for name in ("MetaGraphDef", "GraphDef", "BundleEntryProto", "CheckpointState", "OpDef"):
        assert getattr(protos, name).DESCRIPTOR.full_name.startswith("metarun.")
    assert protos.MetaInfoDef.DESCRIPTOR.full_name == "metarun.MetaGraphDef.MetaInfoDef"


def test_proto_field_numbers_from_formats():
    # A sample of FORMATS.md section 1 tables.
    table = {
        "BundleEntryProto": {"dtype": 1, "shape": 2, "shard_id": 3, "offset": 4, "size": 5,
                             "crc32c": 6, "slices": 7},
        "BundleHeaderProto": {"num_shards": 1, "endianness": 2, "version": 3},
        "SaverDef": {"filename_tensor_name": 1, "save_tensor_name": 2, "restore_op_name": 3,
                     "max_to_keep": 4, "sharded": 5, "keep_checkpoint_every_n_hours": 6,
                     "version": 7},
        "TensorProto": {"dtype": 1, "tensor_shape": 2, "tensor_content": 4, "half_val": 13,
                        "float_val": 5, "int_val": 7, "string_val": 8, "int64_val": 10,
                        "uint32_val": 16, "uint64_val": 17},
        "AttrValue": {"list": 1, "s": 2, "i": 3, "f": 4, "b": 5, "type": 6, "shape": 7,
                      "tensor": 8, "placeholder": 9, "func": 10},
        "NodeDef": {"name": 1, "op": 2, "input": 3, "device": 4, "attr": 5},
        "VariableDef": {"variable_name": 1, "initializer_name": 2, "snapshot_name": 3,
                        "save_slice_info_def": 4, "is_resource": 5, "initial_value_name": 6,
                        "trainable": 7},
        "CheckpointState": {"model_checkpoint_path": 1, "all_model_checkpoint_paths": 2,
                            "all_model_checkpoint_timestamps": 3,
                            "last_preserved_timestamp": 4},
    }
    for message, fields in table.items():
        descriptor = getattr(protos, message).DESCRIPTOR
        assert {f: descriptor.fields_by_name[f].number for f in fields} == fields, message


def test_text_any_keeps_tf_type_url():
    text = ('collection_def { key: "c" value { any_list { value {\n'
            '  [type.googleapis.com/tensorflow.VariableDef] { variable_name: "v:0" '
            'trainable: true } } } } }\n'
            'meta_info_def { tensorflow_version: "2.21.0" }\n')
    meta = protos.parse_text_metagraph(text)
    (item,) = meta.collection_def["c"].any_list.value
    assert item.type_url == "type.googleapis.com/tensorflow.VariableDef"
    var = protos.VariableDef.FromString(item.value)
    assert var.variable_name == "v:0" and var.trainable
    assert meta.meta_info_def.tensorflow_version == "2.21.0"


def test_text_and_binary_metagraphs_of_shared_corpus(shared_dir):
    import glob
    metas = sorted(glob.glob(os.path.join(shared_dir, "*", "*", "*.meta")))
    assert metas
    for path in metas:
        with open(path, "rb") as f:
            meta = protos.MetaGraphDef.FromString(f.read())
        assert meta.graph_def.node, path
        assert _unknown_fields(meta) == [], path  # every field and wire type recognised
    with open(os.path.join(shared_dir, "tfcases", "text_metagraph", "model.meta.txt")) as f:
        meta = protos.parse_text_metagraph(f.read())
    assert len(meta.graph_def.node) > 10
    variables = meta.collection_def["variables"].bytes_list.value
    assert [protos.VariableDef.FromString(v).variable_name for v in variables][0].endswith(":0")
