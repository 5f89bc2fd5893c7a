"""SavedModels without TensorFlow: the ones TF wrote (tests/fixtures/saved_model/tf_made, made by
gen_saved_model.py) load through tf.saved_model.loader.load and every signature computes what TF
computed from them; tags a SavedModel lacks raise TF's RuntimeError; the restore and the main op
read through the session's IO policy. The other direction: what metarun writes
(metarun_made/, written by saved_model_writers.py) computes here what TF 2.21 computed from it
through both of its loaders, and metarun still writes the same SavedModel protos."""
import json
import os
import re
import shutil
import sys

import numpy as np
import pytest

import metarun as tf
from metarun import errors

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "saved_model")
TF_MADE = os.path.join(FIXTURES, "tf_made")
METARUN_MADE = os.path.join(FIXTURES, "metarun_made")
sys.path.insert(0, FIXTURES)
import saved_model_writers  # noqa: E402

with open(os.path.join(TF_MADE, "expected.json")) as _f:
    EXPECTED = json.load(_f)


def _array(entry):
    if entry["dtype"] == "string":
        return np.array([v.encode() for v in entry["value"]], dtype=object).reshape(entry["shape"])
    return np.array(entry["value"], dtype=entry["dtype"]).reshape(entry["shape"])


def _info(info):
    from metarun.framework import dtypes
    shape = None if info.tensor_shape.unknown_rank else [d.size for d in info.tensor_shape.dim]
    return {"dtype": dtypes.as_dtype(info.dtype).name if info.dtype else "invalid", "shape": shape,
            "name": info.name}


def _check_values(got, want, key):
    want = _array(want)
    if want.dtype == object:
        assert [bytes(v) for v in np.asarray(got).reshape(-1)] == list(want.reshape(-1)), key
    else:
        assert np.asarray(got).dtype == want.dtype, key
        # TF's and metarun's kernels agree to rounding (softmax's exp, matmul's summation order)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=key)


def _run_all(d, tags, feeds, expected, import_scope=None):
    """Load with metarun's loader and check every signature's TensorInfos and values."""
    scope = import_scope + "/" if import_scope else ""
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, tags, d, import_scope=import_scope)
        assert sorted(meta.meta_info_def.tags) == sorted(tags)
        assert sorted(meta.signature_def) == sorted(expected)
        for key, want in expected.items():
            sig = meta.signature_def[key]
            assert sig.method_name == want["method"], key
            assert {k: _info(v) for k, v in sig.inputs.items()} == want["inputs"], key
            assert {k: _info(v) for k, v in sig.outputs.items()} == want["outputs"], key
            if "values" not in want:
                continue
            names = sorted(sig.outputs)
            values = sess.run([scope + sig.outputs[k].name for k in names],
                              {scope + sig.inputs[k].name: feeds[k] for k in sig.inputs})
            assert sorted(want["values"]) == names
            for name, value in zip(names, values):
                _check_values(value, want["values"][name], "%s/%s" % (key, name))
        return meta


TAG_CASES = [(case, tags) for case in sorted(EXPECTED) for tags in sorted(EXPECTED[case]["signatures"])]


@pytest.mark.parametrize("case,tags", TAG_CASES)
def test_tf_made_saved_model_computes_tf_values(case, tags):
    entry = EXPECTED[case]
    feeds = {k: _array(v) for k, v in entry["feeds"][tags].items()}
    _run_all(os.path.join(TF_MADE, case), tags.split(","), feeds, entry["signatures"][tags])


def test_every_signature_with_inputs_was_compared():
    computed = [(c, t, k) for c, t in TAG_CASES for k, s in EXPECTED[c]["signatures"][t].items() if "values" in s]
    # two_sigs: serving_default, scores, lookup (the asset table) and doubled; tf2_text:
    # serving_default and scaled; one per other case
    assert len(computed) == 9, computed


@pytest.mark.parametrize("case", ["two_sigs", "simple"])
def test_import_scope_prefixes_the_loaded_graph(case):
    entry = EXPECTED[case]
    feeds = {k: _array(v) for k, v in entry["feeds"]["serve"].items()}
    meta = _run_all(os.path.join(TF_MADE, case), ["serve"], feeds, entry["signatures"]["serve"], "m")
    assert meta.saver_def.restore_op_name.startswith("m/")


def _sorted_sets(message):
    """TF prints Python sets of tags, whose order is the interpreter's hash order."""
    return re.sub(r"\{([^{}]*)\}", lambda m: "{%s}" % ", ".join(sorted(m.group(1).split(", "))), message)


@pytest.mark.parametrize("case,tags", [(c, t) for c in sorted(EXPECTED) for t in sorted(EXPECTED[c]["missing"])])
def test_missing_tags_raise_tf_runtime_error(case, tags):
    with tf.Graph().as_default() as g, tf.Session() as sess:
        with pytest.raises(RuntimeError) as info:
            tf.saved_model.loader.load(sess, tags.split(","), os.path.join(TF_MADE, case))
        assert _sorted_sets(str(info.value)) == _sorted_sets(EXPECTED[case]["missing"][tags])
        assert g.get_operations() == []  # nothing imported


def test_missing_saved_model_file_is_ioerror(tmp_path):
    with tf.Session() as sess:
        with pytest.raises(IOError) as info:
            tf.saved_model.load(sess, ["serve"], str(tmp_path))
    assert str(info.value) == "SavedModel file does not exist at: %s/{saved_model.pbtxt|saved_model.pb}" % tmp_path
    (tmp_path / "saved_model.pb").write_bytes(b"\xff\xff\xff")
    with tf.Session() as sess:
        with pytest.raises(IOError, match="Cannot parse file"):
            tf.saved_model.load(sess, ["serve"], str(tmp_path))


def test_the_init_op_runs_after_the_restore():
    """resource's legacy_init_op sets `offset` to 5 (the checkpoint holds 2): y = logits + 5."""
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.saved_model.loader.load(sess, ["serve"], os.path.join(TF_MADE, "resource"))
        assert sess.run("offset/Read/ReadVariableOp:0") == 5.0
        logits = sess.run("logits:0", {"x:0": saved_model_writers.X})
        np.testing.assert_array_equal(sess.run("y:0", {"x:0": saved_model_writers.X}), logits + np.float32(5.0))


def _copy(case, tmp_path):
    d = tmp_path / "model"
    shutil.copytree(os.path.join(TF_MADE, case), d)
    return str(d)


def test_restore_goes_through_the_io_policy(tmp_path):
    d = _copy("two_sigs", tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    with tf.Graph().as_default(), tf.Session(io_policy=tf.IoPolicy(read=[str(other)])) as sess:
        with pytest.raises(errors.PermissionDeniedError) as info:
            tf.saved_model.loader.load(sess, ["serve"], d)
        assert "variables" in str(info.value)
    with tf.Graph().as_default(), tf.Session(io_policy=tf.IoPolicy(read=[d])) as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], d)
        assert sess.run("ids:0", {"words:0": ["dog"]}) == [3]
        assert "serving_default" in meta.signature_def


def test_assets_are_fed_from_the_assets_folder_and_read_through_the_policy(tmp_path):
    d = _copy("two_sigs", tmp_path)
    with open(os.path.join(d, "assets", "vocab.txt"), "w") as f:
        f.write("dog\ncat\n")  # the loaded table reads the copy's own file, not the writer's path
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.saved_model.loader.load(sess, ["serve"], d)
        np.testing.assert_array_equal(sess.run("ids:0", {"words:0": ["cat", "dog", "ant"]}), [1, 0, -1])
    # the table's file read (the main op's) is checked too: variables readable, assets not
    policy = tf.IoPolicy(read=[os.path.join(d, "variables")])
    with tf.Graph().as_default(), tf.Session(io_policy=policy) as sess:
        with pytest.raises(errors.PermissionDeniedError) as info:
            tf.saved_model.loader.load(sess, ["serve"], d)
        assert "vocab.txt" in str(info.value)


def test_missing_variables_fail_like_saver_restore(tmp_path):
    d = _copy("simple", tmp_path)
    shutil.rmtree(os.path.join(d, "variables"))
    with tf.Graph().as_default(), tf.Session() as sess:
        with pytest.raises(ValueError, match="not a valid checkpoint"):
            tf.saved_model.loader.load(sess, ["serve"], d)


def test_maybe_saved_model_directory(tmp_path):
    assert tf.saved_model.maybe_saved_model_directory(os.path.join(TF_MADE, "resource"))  # .pbtxt
    assert tf.saved_model.contains_saved_model(os.path.join(TF_MADE, "simple"))
    assert tf.saved_model.loader.maybe_saved_model_directory(str(tmp_path)) is False
    import pathlib
    assert tf.saved_model.contains_saved_model(pathlib.Path(TF_MADE) / "two_sigs")


# --- what metarun writes, TensorFlow loads ------------------------------------------------

WRITTEN = sorted(saved_model_writers.CASES)


def _tf_results(case):
    with open(os.path.join(METARUN_MADE, case, "tf_results.json")) as f:
        return json.load(f)


@pytest.mark.parametrize("case", WRITTEN)
def test_metarun_computes_what_tf_computed_from_metarun_files(case):
    results = _tf_results(case)
    d = os.path.join(METARUN_MADE, case, "model")
    for tags, feeds in saved_model_writers.CASES[case].items():
        want = results["v1"][tags]
        _run_all(d, tags.split(","), feeds, want)
        if tags == "serve":  # TF2's loader computed the same through signatures[...]
            v2 = results["v2"]["serve"]
            assert sorted(v2) == sorted(k for k, s in want.items() if "values" in s)
            for key, outputs in v2.items():
                for name, value in outputs.items():
                    assert _array(value).tolist() == _array(want[key]["values"][name]).tolist(), (key, name)


def _saved_model(d):
    from metarun.saved_model import loader
    return loader.parse_saved_model(d)


@pytest.mark.parametrize("case", WRITTEN)
def test_metarun_still_writes_what_tf_loaded(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with tf.Graph().as_default():
        getattr(saved_model_writers, "write_" + case)(tf, "model")
    committed = os.path.join(METARUN_MADE, case, "model")
    assert _saved_model(str(tmp_path / "model")) == _saved_model(committed)
    files = sorted(os.path.relpath(os.path.join(r, f), committed) for r, _, fs in os.walk(committed) for f in fs)
    assert files == sorted(os.path.relpath(os.path.join(r, f), tmp_path / "model")
                           for r, _, fs in os.walk(tmp_path / "model") for f in fs)
    old = tf.train.NewCheckpointReader(os.path.join(committed, "variables", "variables"))
    new = tf.train.NewCheckpointReader(str(tmp_path / "model" / "variables" / "variables"))
    assert old.get_variable_to_shape_map() == new.get_variable_to_shape_map()
    for key in old.get_variable_to_shape_map():
        np.testing.assert_allclose(new.get_tensor(key), old.get_tensor(key), rtol=1e-6, err_msg=key)


def test_text_saved_model_is_text():
    with open(os.path.join(METARUN_MADE, "text", "model", "saved_model.pbtxt")) as f:
        text = f.read()
    assert text.startswith("saved_model_schema_version: 1\nmeta_graphs {")


def test_tf2_text_saved_model_object_graph():
    # TF 2.x writes a SavedObjectGraph beside the graph (MetaGraphDef field 7); its text form
    # parses field by field and prints back as TF's text, byte for byte
    from metarun.framework import protos
    from metarun.saved_model import loader
    d = os.path.join(TF_MADE, "tf2_text")
    with open(os.path.join(d, "saved_model.pbtxt")) as f:
        text = f.read()
    saved = loader.parse_saved_model(d)
    assert protos.to_text(saved) == text
    graph = saved.meta_graphs[0].object_graph_def
    root = graph.nodes[0]
    assert [c.local_name for c in root.children] == ["dense", "scale", "__call__", "scaled",
                                                      "signatures"]
    dense = graph.nodes[[c.node_id for c in root.children if c.local_name == "dense"][0]]
    variables = {c.local_name: graph.nodes[c.node_id].variable for c in dense.children}
    assert list(variables["w"].shape.dim[i].size for i in range(2)) == [3, 2]
    assert variables["w"].trainable and not variables["b"].trainable
    assert variables["b"].dtype == tf.float32.as_datatype_enum
    call = graph.nodes[[c.node_id for c in root.children if c.local_name == "__call__"][0]]
    fn, = call.function.concrete_functions
    assert fn in graph.concrete_functions
    spec = call.function.function_spec.input_signature.tuple_value.values[0].tensor_spec_value
    assert spec.name == "x" and [d.size for d in spec.shape.dim] == [-1, 3]
