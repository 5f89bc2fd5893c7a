"""`metarun inspect DIR` prints what TF 2.21's `saved_model_cli show --all` printed for the
TF-made SavedModels (show_all.txt beside each; the op sets compared as sets, TF2's "Concrete
Functions" section left out); `metarun run DIR --signature KEY` feeds and fetches by the
signature's keys and prints TF's values; a SavedModel's graph runs confined to its folder."""
import ast
import json
import os
import re
import shutil

import numpy as np
import pytest

import metarun as tf
from metarun import cli

from test_saved_model import EXPECTED, TF_MADE, _array

CASES = sorted(EXPECTED)


def _main(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _ops_line(line):
    m = re.match(r"(The MetaGraph with tag set .* contains the following ops: )\{(.*)\}$", line)
    return (m.group(1), set(ast.literal_eval("[" + m.group(2) + "]"))) if m else line


@pytest.mark.parametrize("case", CASES)
def test_inspect_prints_what_saved_model_cli_shows(case, capsys):
    with open(os.path.join(TF_MADE, case, "show_all.txt")) as f:
        want = f.read().split("\nConcrete Functions:")[0].rstrip("\n").split("\n")
    code, out, _ = _main(capsys, "inspect", os.path.join(TF_MADE, case))
    assert code == 0
    got = out.rstrip("\n").split("\n")
    assert got[-1] == "metarun can run every op type of every tag set"
    got = got[:-2]
    assert [_ops_line(x) for x in got] == [_ops_line(x) for x in want]


def test_inspect_json(capsys):
    code, out, _ = _main(capsys, "inspect", os.path.join(TF_MADE, "two_sigs"), "--json")
    assert code == 0
    report = json.loads(out)
    assert [g["tags"] for g in report["meta_graphs"]] == [["serve"], ["train", "gpu"]]
    serve = report["meta_graphs"][0]["signatures"]
    assert sorted(serve) == ["lookup", "scores", "serving_default"]
    want = EXPECTED["two_sigs"]["signatures"]["serve"]["lookup"]["inputs"]["words"]
    assert serve["lookup"]["inputs"]["words"] == {"dtype": "DT_STRING", "shape": "(-1)", "name": want["name"]}
    assert report["meta_graphs"][0]["unsupported_ops"] == []


def _feed_args(feeds):
    args = []
    for k, v in feeds.items():
        a = _array(v)
        args += ["--feed", "%s=%s" % (k, json.dumps([x.decode() for x in a.reshape(-1)] if a.dtype == object
                                                     else a.tolist()))]
    return args


RUNS = [(c, t, k) for c in CASES for t in sorted(EXPECTED[c]["signatures"])
        for k, s in sorted(EXPECTED[c]["signatures"][t].items()) if "values" in s]


@pytest.mark.parametrize("case,tags,key", RUNS)
def test_run_signature_computes_tf_values(case, tags, key, capsys, tmp_path):
    entry = EXPECTED[case]
    sig = entry["signatures"][tags][key]
    feeds = {k: v for k, v in entry["feeds"][tags].items() if k in sig["inputs"]}
    argv = ["run", os.path.join(TF_MADE, case), "--signature", key, "--out", str(tmp_path)] + _feed_args(feeds)
    if len(entry["tag_sets"]) > 1:
        argv += ["--tag-set", tags]
    code, out, err = _main(capsys, *argv)
    assert code == 0, err
    for name, want in sig["values"].items():
        assert "%s (" % name in out
        got = np.load(str(tmp_path / (name + ".npy")))
        want = _array(want)
        if want.dtype == object:
            assert [bytes(x) for x in got.reshape(-1)] == list(want.reshape(-1))
        else:
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_run_fetches_only_the_keys_asked_for(capsys):
    code, out, _ = _main(capsys, "run", os.path.join(TF_MADE, "simple"), "--feed", "a=[[1,2,3]]", "--feed", "c=2",
                         "--fetch", "scaled")
    assert code == 0
    assert out.startswith("scaled (float32, shape [1, 2]) =") and "logits" not in out


@pytest.mark.parametrize("argv,message", [
    (["--signature", "nope"], "--signature nope: tag set 'serve' has the signatures lookup, scores, serving_default"),
    (["--feed", "y=[[1,2,3]]"], "signature serving_default takes x"),
    ([], "signature serving_default needs --feed for x (DT_FLOAT (-1, 3))"),
    (["--feed", "x=[[1,2,3]]", "--fetch", "probs"], "--fetch probs: signature serving_default gives logits"),
    (["--tag-set", "train", "--feed", "x=[[1,2,3]]"], "--tag-set train: "),
    (["--ckpt", "x", "--feed", "x=[[1,2,3]]"], "--ckpt is for .meta graphs"),
    (["--batch-size", "2", "--feed", "x=[[1,2,3]]"], "go with --inputs PATH"),
])
def test_run_usage_errors(argv, message, capsys):
    code, _, err = _main(capsys, "run", os.path.join(TF_MADE, "two_sigs"), "--tag-set", "serve", *argv) \
        if "--tag-set" not in argv else _main(capsys, "run", os.path.join(TF_MADE, "two_sigs"), *argv)
    assert code == cli.EXIT_USAGE
    assert message in err


def test_several_tag_sets_need_tag_set_unless_serve(capsys, tmp_path):
    code, out, _ = _main(capsys, "run", os.path.join(TF_MADE, "two_sigs"), "--feed", "x=[[1,2,3]]")
    assert code == 0 and out.startswith("logits")  # serve is the default among several
    code, _, err = _main(capsys, "run", os.path.join(TF_MADE, "resource"), "--signature", "serving_default",
                         "--tag-set", "gpu", "--feed", "x=[[1,2,3]]")
    assert code == cli.EXIT_USAGE and "has the tag sets serve" in err


def test_signature_option_needs_a_saved_model(capsys):
    code, _, err = _main(capsys, "run", os.path.join(os.path.dirname(cli.__file__), "examples", "seed",
                                                     "model_ex1.meta"), "--signature", "x")
    assert code == cli.EXIT_USAGE and "SavedModel directory" in err


def test_a_directory_without_a_saved_model(capsys, tmp_path):
    code, _, err = _main(capsys, "inspect", str(tmp_path))
    assert code == cli.EXIT_USAGE and "without a saved_model.pb" in err


def _hostile(tmp_path):
    """A SavedModel whose main op writes a file outside its folder (TF would write it)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    target = str(outside / "written.txt")
    d = str(tmp_path / "model")
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None], name="x")
        v = tf.Variable(2.0, name="v")
        y = tf.multiply(x, v, name="y")
        sess.run(tf.global_variables_initializer())
        tf.saved_model.simple_save(sess, d, {"x": x}, {"y": y},
                                   legacy_init_op=tf.group(tf.io.write_file(target, "pwned")))
    return d, target


def test_run_is_confined_to_the_saved_model_folder(capsys, tmp_path):
    d, target = _hostile(tmp_path)
    code, out, err = _main(capsys, "run", d, "--feed", "x=[1,2]")
    assert code == cli.EXIT_RUNTIME
    assert "PermissionDeniedError" in err and "--allow-write" in err
    assert not os.path.exists(target)
    code, out, err = _main(capsys, "run", d, "--feed", "x=[1,2]", "--allow-write", os.path.dirname(target))
    assert code == 0 and "[2., 4.]" in out
    with open(target) as f:
        assert f.read() == "pwned"
    os.remove(target)
    code, out, err = _main(capsys, "run", d, "--feed", "x=[1,2]", "--trust")
    assert code == 0 and os.path.exists(target)


def test_run_reads_only_its_own_folder(capsys, tmp_path):
    """The restore reads DIR/variables: allowed by default; a copy's own assets are read too."""
    d = str(tmp_path / "copy")
    shutil.copytree(os.path.join(TF_MADE, "two_sigs"), d)
    code, out, err = _main(capsys, "run", d, "--tag-set", "serve", "--signature", "lookup",
                           "--feed", 'words=["dog"]')
    assert code == 0 and "[3]" in out, err


def test_sparse_signature_outputs_print_their_parts_and_sparse_inputs_are_refused(capsys, tmp_path):
    d = str(tmp_path / "sparse")
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [2, 3], name="x")
        sp = tf.sparse.from_dense(x)
        feed_sp = tf.sparse_placeholder(tf.float32, [None, 3], name="sp")
        tf.saved_model.simple_save(sess, d, {"x": x}, {"nonzero": sp})
        b = tf.saved_model.Builder(str(tmp_path / "sparse_in"))
        b.add_meta_graph_and_variables(sess, ["serve"], {"serving_default": tf.saved_model.predict_signature_def(
            {"sp": feed_sp}, {"v": feed_sp.values})})
        b.save()
    code, out, err = _main(capsys, "run", d, "--feed", "x=[[0,2,0],[3,0,0]]", "--out", str(tmp_path / "o"))
    assert code == 0, err
    assert "nonzero.indices (int64, shape [2, 2]) =\n[[0, 1],\n [1, 0]]" in out
    assert "nonzero.values (float32, shape [2]) =\n[2., 3.]" in out
    np.testing.assert_array_equal(np.load(str(tmp_path / "o" / "nonzero.dense_shape.npy")), [2, 3])
    code, _, err = _main(capsys, "run", str(tmp_path / "sparse_in"), "--feed", "sp=[1]")
    assert code == cli.EXIT_USAGE and "sparse input" in err


def test_an_asset_named_outside_the_folder_is_denied(capsys, tmp_path):
    """An edited saved_model.pb whose asset file name climbs out of assets/ and DIR: the loader
    feeds that path as TF would, and the table initializer's read of it is denied."""
    from metarun.framework import protos
    from metarun.saved_model import loader
    d = str(tmp_path / "model")
    shutil.copytree(os.path.join(TF_MADE, "two_sigs"), d)
    (tmp_path / "secret.txt").write_text("dog\n")
    sm = loader.parse_saved_model(d)
    for packed in sm.meta_graphs[0].collection_def["saved_model_assets"].any_list.value:
        asset = protos.AssetFileDef.FromString(packed.value)
        asset.filename = "../../secret.txt"
        packed.value = asset.SerializeToString()
    with open(os.path.join(d, "saved_model.pb"), "wb") as f:
        f.write(sm.SerializeToString())
    argv = ["run", d, "--tag-set", "serve", "--signature", "lookup", "--feed", 'words=["dog", "cat"]']
    code, out, err = _main(capsys, *argv)
    assert code == cli.EXIT_RUNTIME and "PermissionDeniedError" in err and "secret.txt" in err
    assert "dog" not in out + err.replace("words", "")
    code, out, err = _main(capsys, *(argv + ["--trust"]))
    assert code == 0 and "[ 0, -1]" in out  # the table was read from the secret's one line


def test_run_inputs_in_batches_by_signature_keys(capsys, tmp_path):
    """--inputs rows fed by input key, outputs written by output key: TF's values for the fixture's
    rows, and the same as one run over all rows for more rows in batches of 2."""
    entry = EXPECTED["two_sigs"]
    x = _array(entry["feeds"]["serve"]["x"])
    want = _array(entry["signatures"]["serve"]["scores"]["values"]["probs"])
    np.savez(str(tmp_path / "rows.npz"), x=x)
    code, out, err = _main(capsys, "run", os.path.join(TF_MADE, "two_sigs"), "--tag-set", "serve",
                           "--signature", "scores", "--inputs", str(tmp_path / "rows.npz"), "--batch-size", "1")
    assert code == 0, err
    assert "ran 2 rows in 2 batches" in out
    with np.load(str(tmp_path / "rows.outputs.npz")) as f:
        np.testing.assert_allclose(f["probs"], want, rtol=1e-6, atol=1e-7)
    many = np.random.RandomState(0).randn(7, 3).astype(np.float32)
    lines = ["a,b,c"] + [",".join(repr(float(v)) for v in row) for row in many]
    (tmp_path / "rows.csv").write_text("\n".join(lines) + "\n")
    code, out, err = _main(capsys, "run", os.path.join(TF_MADE, "two_sigs"), "--inputs", str(tmp_path / "rows.csv"),
                           "--feed-map", "a,b,c=x", "--batch-size", "2", "--out", str(tmp_path / "o"))
    assert code == 0, err
    assert "ran 7 rows in 4 batches" in out
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.saved_model.loader.load(sess, ["serve"], os.path.join(TF_MADE, "two_sigs"))
        whole = sess.run("logits:0", {"x:0": many})
    got = np.loadtxt(str(tmp_path / "o" / "rows.outputs.csv"), delimiter=",", skiprows=1, dtype=np.float32)
    np.testing.assert_array_equal(got, whole)


@pytest.mark.parametrize("argv,message", [
    (["--feed-map", "x=nope"], "expects COLUMNS=KEY with KEY an input of signature serving_default: x"),
    ([], "'y' is not an input of signature serving_default (x)"),
])
def test_run_inputs_usage_errors(argv, message, capsys, tmp_path):
    np.savez(str(tmp_path / "rows.npz"), y=np.zeros((2, 3), np.float32))
    code, _, err = _main(capsys, "run", os.path.join(TF_MADE, "two_sigs"), "--inputs", str(tmp_path / "rows.npz"),
                         *argv)
    assert code == cli.EXIT_USAGE and message in err
