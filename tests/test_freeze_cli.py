"""`metarun freeze MODEL.meta|SAVEDMODEL_DIR -o OUT.pb`: the frozen GraphDef holds TF's nodes
(tests/fixtures/frozen, frozen by TF 2.21 with graph_util.convert_variables_to_constants) and no
variables, and computes TF's values (the fixtures' and TF's SavedModel values in
tests/fixtures/saved_model/tf_made/expected.json); outputs default to inspect's likely outputs
(a SavedModel's signature outputs) and are named; the graph runs confined as under `metarun run`.
What TF computed from files `metarun freeze` wrote is in tests/dualrun/written/frozen."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import metarun as tf
from metarun import cli
from metarun.framework import protos

HERE = os.path.dirname(os.path.abspath(__file__))
FROZEN = os.path.join(HERE, "fixtures", "frozen")
SAVED = os.path.join(HERE, "fixtures", "saved_model", "tf_made")
WRITTEN = os.path.join(HERE, "dualrun", "written", "frozen")
VARIABLE_OPS = {"Variable", "VariableV2", "VarHandleOp", "ReadVariableOp", "ResourceGather"}


def _run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _graph_def(path):
    graph_def = protos.GraphDef()
    with open(path, "rb") as f:
        graph_def.ParseFromString(f.read())
    return graph_def


def _copy_case(case, tmp_path, state_file=True):
    """The case's model in tmp_path/model/, with a `checkpoint` file naming it relatively."""
    d = tmp_path / "model"
    d.mkdir()
    for name in os.listdir(os.path.join(FROZEN, case)):
        if name.startswith("model."):
            shutil.copy(os.path.join(FROZEN, case, name), d / name)
    if state_file:
        (d / "checkpoint").write_text('model_checkpoint_path: "model"\n')
    return d


def _case(case):
    with open(os.path.join(FROZEN, case, "case.json")) as f:
        info = json.load(f)
    with np.load(os.path.join(FROZEN, case, "arrays.npz")) as arrays:
        return info, dict(arrays)


def _run_graph_def(graph_def, fetches, feeds):
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(graph_def, name="")
        with tf.Session(graph=graph) as sess:
            return sess.run(fetches, feeds)


def _by_name(graph_def):
    nodes = {}
    for node in graph_def.node:
        copy = protos.NodeDef()
        copy.CopyFrom(node)
        if "_output_shapes" in copy.attr:
            del copy.attr["_output_shapes"]
        nodes[node.name] = copy
    return nodes


def test_freeze_meta_with_default_outputs_gives_tfs_graph_and_values(capsys, tmp_path):
    d = _copy_case("ref_mlp", tmp_path)
    out = tmp_path / "frozen.pb"
    code, text, err = _run(capsys, "freeze", d / "model.meta", "-o", out)
    assert code == 0, err
    code, report, _ = _run(capsys, "inspect", d / "model.meta", "--json")
    likely = [o["name"].split(":")[0] for o in json.loads(report)["likely_outputs"] if o["role"] != "loss"]
    assert likely and "out" in likely
    lines = text.splitlines()
    assert lines[0] == "outputs: %s (inspect's likely outputs; --outputs NAME,... to choose)" % ", ".join(likely)
    assert lines[1] == "restored %s" % (d / "model")
    assert lines[2] == "froze 4 variables: w1, b1, w2, b2"
    frozen = _graph_def(out)
    assert lines[3] == "wrote %s: %d nodes, %s" % (out, len(frozen.node), cli._size_text(out.stat().st_size))
    # every likely output of ref_mlp is on the way to `out`, the output TF froze
    assert _by_name(frozen) == _by_name(_graph_def(os.path.join(FROZEN, "ref_mlp", "frozen.pb")))
    assert not VARIABLE_OPS & {n.op for n in frozen.node}
    info, arrays = _case("ref_mlp")
    value, = _run_graph_def(frozen, ["out:0"], {"x:0": arrays["feed/x:0"]})
    np.testing.assert_array_equal(value, arrays["frozen/out:0"])


def test_freeze_named_outputs_and_checkpoint(capsys, tmp_path):
    d = _copy_case("resource_mlp", tmp_path, state_file=False)
    out = tmp_path / "frozen.pb"
    code, text, err = _run(capsys, "freeze", d / "model.meta", "--checkpoint", d / "model",
                           "--outputs", "out,combo:0", "-o", out)
    assert code == 0, err
    assert text.splitlines()[0] == "outputs: out, combo (--outputs)"
    assert "froze 6 variables: w1, b1, w2, b2, emb, table" in text
    frozen = _graph_def(out)
    assert _by_name(frozen) == _by_name(_graph_def(os.path.join(FROZEN, "resource_mlp", "frozen.pb")))
    info, arrays = _case("resource_mlp")
    feeds = {name: arrays["feed/" + name] for name in info["feeds"]}
    for name, value in zip(info["fetches"], _run_graph_def(frozen, info["fetches"], feeds)):
        np.testing.assert_array_equal(value, arrays["frozen/" + name])


def test_freeze_to_text(capsys, tmp_path):
    d = _copy_case("while_ref", tmp_path)
    out = tmp_path / "frozen.pbtxt"
    code, _, err = _run(capsys, "freeze", d / "model.meta", "--outputs", "out", "-o", out)
    assert code == 0, err
    frozen = protos.parse_text(out.read_text(), protos.GraphDef)
    info, arrays = _case("while_ref")
    value, = _run_graph_def(frozen, ["out:0"], {"x:0": arrays["feed/x:0"]})
    np.testing.assert_allclose(value, arrays["frozen/out:0"], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("argv, message", [
    (["--outputs", "outt"], "--outputs 'outt': no such node in the graph. Did you mean out"),
    (["--tag-set", "serve"], "--tag-set goes with a SavedModel directory"),
])
def test_freeze_usage_errors(capsys, tmp_path, argv, message):
    d = _copy_case("ref_mlp", tmp_path)
    code, _, err = _run(capsys, "freeze", d / "model.meta", "-o", tmp_path / "f.pb", *argv)
    assert code == 2
    assert message in err
    assert not (tmp_path / "f.pb").exists()


def test_freeze_without_checkpoint_is_a_usage_error(capsys, tmp_path):
    d = _copy_case("ref_mlp", tmp_path, state_file=False)
    code, _, err = _run(capsys, "freeze", d / "model.meta", "-o", tmp_path / "f.pb")
    assert code == 2
    assert "the graph has variables and no checkpoint was found beside" in err
    assert "--checkpoint PREFIX" in err


def test_freeze_is_confined_like_run(capsys, tmp_path):
    """The state file beside the graph names a checkpoint in another folder: the restore is
    denied (exit 3, the option named), as `metarun run` denies it; --allow-read and --trust
    allow it."""
    d = _copy_case("ref_mlp", tmp_path, state_file=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for name in os.listdir(d):
        if name != "model.meta":
            shutil.move(str(d / name), str(elsewhere / name))
    (d / "checkpoint").write_text('model_checkpoint_path: "%s"\n' % (elsewhere / "model"))
    out = tmp_path / "f.pb"
    code, _, err = _run(capsys, "freeze", d / "model.meta", "-o", out)
    assert code == 3
    assert "PermissionDeniedError" in err and "--allow-read %s" % elsewhere in err
    assert not out.exists()
    for option in (["--allow-read", elsewhere], ["--trust"]):
        code, _, err = _run(capsys, "freeze", d / "model.meta", "-o", out, *option)
        assert code == 0, err
        assert _by_name(_graph_def(out)) == _by_name(_graph_def(os.path.join(FROZEN, "ref_mlp", "frozen.pb")))


def _saved_expected(name):
    with open(os.path.join(SAVED, "expected.json")) as f:
        return json.load(f)[name]


@pytest.mark.parametrize("name", ["simple", "resource", "tf2_module"])
def test_freeze_saved_model_dir_computes_tfs_signature_values(capsys, tmp_path, name):
    expected = _saved_expected(name)
    signature = expected["signatures"]["serve"]["serving_default"]
    out = tmp_path / "frozen.pb"
    code, text, err = _run(capsys, "freeze", os.path.join(SAVED, name), "-o", out)
    assert code == 0, err
    outputs = sorted({t["name"].split(":")[0] for t in signature["outputs"].values()})
    assert text.splitlines()[0] == "outputs: %s (the SavedModel's signatures)" % ", ".join(outputs)
    assert text.splitlines()[1] == "loaded %s (tags serve)" % os.path.join(SAVED, name)
    frozen = _graph_def(out)
    assert not VARIABLE_OPS & {n.op for n in frozen.node}
    feeds = {}
    for key, value in expected["feeds"]["serve"].items():
        feeds[signature["inputs"][key]["name"]] = np.array(value["value"], value["dtype"]).reshape(value["shape"])
    keys = sorted(signature["outputs"])
    got = _run_graph_def(frozen, [signature["outputs"][k]["name"] for k in keys], feeds)
    for key, value in zip(keys, got):
        want = signature["values"][key]
        np.testing.assert_allclose(value, np.array(want["value"], want["dtype"]).reshape(want["shape"]),
                                   rtol=1e-6)


def test_freeze_saved_model_errors(capsys, tmp_path):
    code, _, err = _run(capsys, "freeze", os.path.join(SAVED, "simple"), "--tag-set", "nope", "-o", tmp_path / "f.pb")
    assert code == 2 and "no MetaGraphDef tagged nope; the SavedModel has serve" in err
    code, _, err = _run(capsys, "freeze", os.path.join(SAVED, "simple"), "--checkpoint", "x", "-o", tmp_path / "f.pb")
    assert code == 2 and "--checkpoint goes with a .meta" in err
    code, _, err = _run(capsys, "freeze", tmp_path, "-o", tmp_path / "f.pb")
    assert code == 2 and "without saved_model.pb or saved_model.pbtxt" in err


def test_freeze_command_runs_as_a_process(tmp_path):
    d = _copy_case("cond_ref", tmp_path)
    out = tmp_path / "f.pb"
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(cli.__file__)))
    proc = subprocess.run([sys.executable, "-m", "metarun", "freeze", str(d / "model.meta"), "--outputs", "out",
                           "-o", str(out)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert _by_name(_graph_def(out)) == _by_name(_graph_def(os.path.join(FROZEN, "cond_ref", "frozen.pb")))


def test_tf_ran_what_metarun_froze_to_the_models_values():
    """TensorFlow imported frozen.pb (convert_variables_to_constants) and frozen_cli.pb (`metarun
    freeze`), written by metarun, and computed the restored model's values from both."""
    with np.load(os.path.join(WRITTEN, "tf_results.npz")) as data:
        tf_values = {k: data[k] for k in data.files}
    np.testing.assert_array_equal(tf_values["frozen"], tf_values["model"])
    np.testing.assert_array_equal(tf_values["frozen_cli"], tf_values["model"])
    for key in ("frozen_ops", "frozen_cli_ops"):
        ops = {str(o) for o in tf_values[key]}
        assert "Enter" in ops and "GatherV2" in ops and not VARIABLE_OPS & ops


def test_freezing_again_writes_the_files_tf_ran(tmp_path):
    sys.path.insert(0, os.path.join(HERE, "dualrun"))
    import written_cases
    with tf.Graph().as_default():
        written_cases.write_frozen(tf, str(tmp_path))
    for name in ("frozen.pb", "frozen_cli.pb"):
        assert _by_name(_graph_def(tmp_path / name)) == _by_name(_graph_def(os.path.join(WRITTEN, name))), name
