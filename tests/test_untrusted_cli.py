"""`metarun run` confines graphs by default, `metarun inspect` shows the files a fetch touches,
and Predictor runs confined too: checked with the TF-made hostile graphs of
tests/fixtures/hostile/ (gen_hostile.py, which ran each one under TensorFlow and recorded in
cases.json what it wrote, removed and returned there).

Each test copies a case into its tmp directory (<case>/model, <case>/outside with secret.txt),
rewrites the graph's path markers to that copy and runs the command line as a subprocess with
the model's folder as working directory, so every path a graph names is inside the tmp
directory even if a check failed. Denied runs must exit 3 with PermissionDeniedError naming the
op and the option that allows it, print no traceback and no secret, and leave every file and
folder as it was; --trust and --allow-* must do what TF did."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from metarun import cli, errors, predict
from metarun.framework import importer

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTILE = os.path.join(HERE, "fixtures", "hostile")
with open(os.path.join(HOSTILE, "cases.json")) as _f:
    MANIFEST = json.load(_f)
CASES = MANIFEST["cases"]
SECRET, CKPT_SECRET = MANIFEST["secret"], MANIFEST["ckpt_secret"]
FETCH = MANIFEST["fetch"]
PACKAGE = os.path.dirname(os.path.abspath(cli.__file__))
DENIED = sorted(name for name, case in CASES.items() if case["denied"])
# The op each case's denial names (the first file op its fetch runs).
DENIED_OP = {"save_merge_relative": "SaveV2", "save_merge_absolute": "SaveV2",
             "restore_other_folder": "RestoreV2", "read_file": "ReadFile",
             "write_file": "WriteFile", "matching_files": "MatchingFiles", "dotdot": "ReadFile"}


def _rewrite_markers(meta_path, outside, model):
    meta = importer.read_meta_graph_file(meta_path)
    for node in meta.graph_def.node:
        if node.op != "Const":
            continue
        values = node.attr["value"].tensor.string_val
        for i, v in enumerate(values):
            text = v.decode()
            for mark, real in ((MANIFEST["outside_mark"], outside), (MANIFEST["model_mark"], model)):
                if text.startswith(mark):
                    values[i] = (real + text[len(mark):]).encode()
    with open(meta_path, "wb") as f:
        f.write(meta.SerializeToString())


def _case(tmp_path, name):
    """The case laid out in tmp: (root, model folder, outside folder)."""
    root = tmp_path / name
    shutil.copytree(os.path.join(HOSTILE, name), str(root))
    outside, model = root / "outside", root / "model"
    outside.mkdir(exist_ok=True)
    (outside / "secret.txt").write_text(SECRET)
    _rewrite_markers(str(model / "model.meta"), str(outside), str(model))
    return root, model, outside


def _listing(root):
    """Every file (with its bytes) and folder under root, relative to it."""
    files, folders = {}, set()
    for folder, subs, names in os.walk(str(root)):
        folders.update(os.path.relpath(os.path.join(folder, s), str(root)) for s in subs)
        for n in names:
            path = os.path.join(folder, n)
            with open(path, "rb") as f:
                files[os.path.relpath(path, str(root))] = f.read()
    return files, folders


def _metarun(cwd, *argv):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(PACKAGE), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "metarun"] + list(argv), cwd=str(cwd), env=env,
                          capture_output=True, text=True, timeout=300)


def _assert_denied(proc, op, option):
    assert proc.returncode == cli.EXIT_RUNTIME, proc.stdout + proc.stderr
    assert "PermissionDeniedError" in proc.stderr
    assert "(%s) may not" % op in proc.stderr
    assert "To allow it: %s " % option in proc.stderr
    assert "Traceback" not in proc.stderr
    for secret in (SECRET, CKPT_SECRET):
        assert secret not in proc.stdout + proc.stderr


def _option(name):
    return "--allow-write" if CASES[name]["denied"] == "write" else "--allow-read"


def _tf_effects(root, before):
    """What a run did to root, in cases.json's terms."""
    files, folders = _listing(root)
    return {"wrote": sorted(p for p in files if before[0].get(p) != files[p]),
            "removed": sorted(p for p in before[0] if p not in files),
            "folders": sorted(folders)}


# --- denied by default ------------------------------------------------------------------

def test_the_fixtures_record_tf_doing_each_side_effect():
    assert CASES["save_merge_relative"]["tf"]["wrote"] == ["outside/stolen.data-00000-of-00001",
                                                          "outside/stolen.index"]
    assert CASES["save_merge_absolute"]["tf"]["wrote"] == CASES["save_merge_relative"]["tf"]["wrote"]
    assert CASES["write_file"]["tf"]["wrote"] == ["outside/planted.txt"]
    for name in ("restore_other_folder", "read_file", "dotdot"):
        assert CASES[name]["tf"]["returned_secret"], name
    assert CASES["matching_files"]["tf"]["listed_secret_file"]
    assert set(DENIED) == set(DENIED_OP)


@pytest.mark.parametrize("name", DENIED)
def test_untrusted_run_is_denied_and_touches_nothing(tmp_path, name):
    root, model, _ = _case(tmp_path, name)
    before = _listing(root)
    proc = _metarun(model, "run", "model.meta", "--fetch", FETCH)
    _assert_denied(proc, DENIED_OP[name], _option(name))
    assert _listing(root) == before
    if name == "matching_files":
        assert "secret.txt" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("name", DENIED)
def test_trust_does_what_tf_did(tmp_path, name):
    root, model, _ = _case(tmp_path, name)
    before = _listing(root)
    proc = _metarun(model, "run", "model.meta", "--fetch", FETCH, "--trust")
    assert proc.returncode == 0, proc.stderr
    tf_did = CASES[name]["tf"]
    effects = _tf_effects(root, before)
    assert effects == {k: tf_did[k] for k in effects}
    assert (SECRET in proc.stdout or CKPT_SECRET in proc.stdout) == tf_did["returned_secret"]
    assert ("secret.txt" in proc.stdout) == tf_did["listed_secret_file"]


@pytest.mark.parametrize("name", DENIED)
def test_allowing_the_outside_folder_lets_the_op_through(tmp_path, name):
    root, model, outside = _case(tmp_path, name)
    before = _listing(root)
    proc = _metarun(model, "run", "model.meta", "--fetch", FETCH, _option(name), str(outside))
    assert proc.returncode == 0, proc.stderr
    effects = _tf_effects(root, before)
    assert effects == {k: CASES[name]["tf"][k] for k in effects}


@pytest.mark.parametrize("name", ["save_merge_relative", "save_merge_absolute", "write_file"])
def test_writes_need_allow_write_not_allow_read(tmp_path, name):
    root, model, outside = _case(tmp_path, name)
    (root / "other").mkdir()
    before = _listing(root)
    for extra in (["--allow-read", str(outside)], ["--allow-write", str(root / "other")],
                  ["--allow-write", str(model)]):
        proc = _metarun(model, "run", "model.meta", "--fetch", FETCH, *extra)
        _assert_denied(proc, DENIED_OP[name], "--allow-write")
        assert _listing(root) == before


def test_allow_write_by_a_relative_path(tmp_path):
    root, model, _ = _case(tmp_path, "save_merge_relative")
    before = _listing(root)
    proc = _metarun(model, "run", "model.meta", "--fetch", FETCH, "--allow-write", "../outside")
    assert proc.returncode == 0, proc.stderr
    assert _tf_effects(root, before)["wrote"] == CASES["save_merge_relative"]["tf"]["wrote"]


def test_dotdot_is_resolved_before_the_check(tmp_path):
    """The path starts in the model's folder, which the run may read, and leaves it by '..'."""
    root, model, _ = _case(tmp_path, "dotdot")
    meta = importer.read_meta_graph_file(str(model / "model.meta"))
    paths = [v.decode() for n in meta.graph_def.node if n.op == "Const"
             for v in n.attr["value"].tensor.string_val]
    assert paths == [str(model) + "/../outside/secret.txt"]
    proc = _metarun(model, "run", "model.meta", "--fetch", FETCH)
    _assert_denied(proc, "ReadFile", "--allow-read")
    assert "(%s)" % (root / "outside" / "secret.txt") in proc.stderr  # named as resolved


# --- legitimate models ---------------------------------------------------------------------

def test_the_seed_example_still_prints_59_6(tmp_path):
    proc = _metarun(tmp_path, "run")
    assert proc.returncode == 0, proc.stderr
    assert "v4:0 (float32, scalar) = 59.6" in proc.stdout
    assert os.listdir(str(tmp_path)) == []


def _legit_value(proc_dir):
    return np.load(os.path.join(str(proc_dir), "y_out_0.npy"))


def test_legit_model_runs_from_its_own_checkpoint(tmp_path):
    root, model, _ = _case(tmp_path, "legit")
    feed = "x:0=%s" % json.dumps(MANIFEST["legit_feed"])
    proc = _metarun(tmp_path, "run", str(model / "model.meta"), "--feed", feed, "--fetch", FETCH,
                    "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "restored %s" % (model / "model") in proc.stdout
    np.testing.assert_array_equal(_legit_value(tmp_path / "out"),
                                  np.array(CASES["legit"]["tf"]["value"], np.float32))


def test_a_checkpoint_elsewhere_is_read_only_when_named(tmp_path):
    """The `checkpoint` file beside the graph may name a checkpoint in another folder: the run
    reads it only when --ckpt names it (then its files, not the rest of its folder)."""
    root, model, outside = _case(tmp_path, "legit")
    for f in ("model.index", "model.data-00000-of-00001"):
        shutil.move(str(model / f), str(outside / f))
    (model / "checkpoint").write_text('model_checkpoint_path: "%s"\n' % (outside / "model"))
    feed = "x:0=%s" % json.dumps(MANIFEST["legit_feed"])
    proc = _metarun(model, "run", "model.meta", "--feed", feed, "--fetch", FETCH)
    _assert_denied(proc, "RestoreV2", "--allow-read")
    assert "restore failed" in proc.stderr
    proc = _metarun(model, "run", "model.meta", "--feed", feed, "--fetch", FETCH,
                    "--ckpt", str(outside / "model"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_array_equal(_legit_value(tmp_path / "out"),
                                  np.array(CASES["legit"]["tf"]["value"], np.float32))
    # Naming that checkpoint does not open its folder: the secret beside it stays closed.
    _, read_model, read_outside = _case(tmp_path / "r", "read_file")
    for f in ("model.index", "model.data-00000-of-00001"):
        shutil.copy(str(outside / f), str(read_outside / f))
    proc = _metarun(read_model, "run", "model.meta", "--fetch", FETCH,
                    "--ckpt", str(read_outside / "model"))
    _assert_denied(proc, "ReadFile", "--allow-read")


def test_batch_inputs_run_confined(tmp_path):
    root, model, _ = _case(tmp_path, "save_merge_relative")
    (tmp_path / "rows").mkdir()
    np.save(str(tmp_path / "rows" / "x.npy"), np.array([1.0, 2.0, 3.0], np.float32))
    before = _listing(root)
    proc = _metarun(model, "run", "model.meta", "--fetch", FETCH, "--inputs",
                    str(tmp_path / "rows"), "--batch-size", "3")
    _assert_denied(proc, "SaveV2", "--allow-write")
    assert "(rows 0 to 2)" in proc.stderr
    assert _listing(root) == before
    assert sorted(os.listdir(str(tmp_path))) == ["rows", "save_merge_relative"]
    proc = _metarun(model, "run", "model.meta", "--fetch", FETCH, "--inputs",
                    str(tmp_path / "rows"), "--batch-size", "3", "--allow-write", "../outside")
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_array_equal(np.load(str(tmp_path / "rows.outputs" / "y_out_0.npy")),
                                  np.array(CASES["save_merge_relative"]["tf"]["value"], np.float32))


def test_usage_errors(tmp_path):
    _, model, _ = _case(tmp_path, "legit")
    for extra in (["--max-memory", "lots"], ["--max-memory", "0"], ["--allow-read", ""],
                  ["--ckpt", str(tmp_path / "missing")]):
        proc = _metarun(model, "run", "model.meta", "--fetch", FETCH, *extra)
        assert proc.returncode == cli.EXIT_USAGE, (extra, proc.stderr)
        assert "Traceback" not in proc.stderr


# --- memory -------------------------------------------------------------------------------

GB = 1 << 30


def test_the_default_budget_is_three_quarters_of_the_memory():
    assert cli.MEMORY_SHARE == 0.75
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    budget = cli._memory_budget(None)
    assert 0 < budget <= total * 0.75
    assert budget == int(cli._available_memory() * 0.75)
    assert cli._memory_budget("1G") == GB and cli._memory_budget("none") is None


@pytest.mark.parametrize("extra", [["--max-memory", "1G"], ["--max-memory", "1G", "--trust"], []])
def test_a_400_gb_fill_is_resource_exhausted(tmp_path, extra):
    _, model, _ = _case(tmp_path, "fill")
    dims = MANIFEST["huge_dims"]
    assert int(np.prod(dims)) * 4 == 400 * 10 ** 9
    proc = _metarun(model, "run", "model.meta", "--fetch", FETCH, *extra)
    assert proc.returncode == cli.EXIT_RUNTIME, proc.stdout + proc.stderr
    assert "ResourceExhaustedError" in proc.stderr
    # Past the machine's memory the allocation itself refuses, before any budget is asked.
    assert "{{node fill}}" in proc.stderr and "shape[100000,1000000] and type float" in proc.stderr
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    assert "bad_alloc" not in proc.stderr


def test_a_2_gb_fill_is_stopped_by_the_budget(tmp_path):
    _, model, _ = _case(tmp_path, "fill")
    proc = _metarun(model, "run", "model.meta", "--fetch", FETCH, "--max-memory", "1G",
                    "--feed", "dims:0=[512, 1048576]")
    assert proc.returncode == cli.EXIT_RUNTIME, proc.stdout + proc.stderr
    assert "ResourceExhaustedError" in proc.stderr and "'fill'" in proc.stderr
    assert str(2 * GB) in proc.stderr and str(GB) in proc.stderr


def test_a_small_fill_runs_under_the_budget(tmp_path):
    _, model, _ = _case(tmp_path, "fill")
    proc = _metarun(model, "run", "model.meta", "--fetch", FETCH, "--max-memory", "1G",
                    "--feed", "dims:0=%s" % json.dumps(MANIFEST["small_dims"]), "--out",
                    str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert np.load(str(tmp_path / "out" / "y_out_0.npy")) == np.float32(CASES["fill"]["tf"]["value"])


# --- inspect ------------------------------------------------------------------------------

@pytest.mark.parametrize("name,lines", [
    ("save_merge_relative", ["writes ../outside/stolen  [merge, MergeV2Checkpoints]",
                             "reads and deletes (computed at run time)  [merge, MergeV2Checkpoints]",
                             "writes (computed at run time)  [save, SaveV2]"]),
    ("save_merge_absolute", ["writes {outside}/stolen  [merge, MergeV2Checkpoints]"]),
    ("restore_other_folder", ["reads {outside}/victim  [restore, RestoreV2]"]),
    ("read_file", ["reads {outside}/secret.txt  [read, ReadFile]"]),
    ("write_file", ["writes {outside}/planted.txt  [write, WriteFile]"]),
    ("matching_files", ["lists {outside}/*  [list, MatchingFiles]"]),
    ("dotdot", ["reads {model}/../outside/secret.txt  [read, ReadFile]"]),
])
def test_inspect_lists_the_files_a_fetch_touches_without_running_it(tmp_path, name, lines):
    root, model, outside = _case(tmp_path, name)
    before = _listing(root)
    proc = _metarun(model, "inspect", "model.meta", "--fetch", FETCH)
    assert proc.returncode == 0, proc.stderr
    for line in lines:
        assert "  fetching %s %s\n" % (FETCH, line.format(outside=outside, model=model)) in proc.stdout
    proc = _metarun(model, "inspect", "model.meta", "--fetch", FETCH, "--json")
    report = json.loads(proc.stdout)
    assert report["fetches"] == [FETCH] and report["files"]
    assert {r["op"] for r in report["files"]} >= {DENIED_OP[name]}
    assert _listing(root) == before


def test_inspect_of_a_legit_model(tmp_path):
    _, model, _ = _case(tmp_path, "legit")
    proc = _metarun(model, "inspect", "model.meta", "--fetch", FETCH)
    assert "  fetching %s touches no files\n" % FETCH in proc.stdout
    proc = _metarun(model, "inspect", "model.meta")
    assert "  save/SaveV2 (SaveV2) writes (fed by Saver.save/restore; default model)\n" in proc.stdout
    assert "  save/RestoreV2 (RestoreV2) reads (fed by Saver.save/restore; default model)\n" in proc.stdout
    assert _metarun(model, "inspect", "model.meta", "--fetch", "nope:0").returncode == cli.EXIT_USAGE


# --- Predictor ----------------------------------------------------------------------------

def test_predictor_runs_confined_by_default(tmp_path):
    root, model, outside = _case(tmp_path, "save_merge_absolute")
    before = _listing(root)
    rows = {"x": np.array([1.0, 2.0, 3.0], np.float32)}
    meta = str(model / "model.meta")
    with pytest.raises(errors.PermissionDeniedError, match=r"Predictor\(allow_write="):
        predict.Predictor(meta, inputs=["x"], outputs=["y_out"])(rows)
    with pytest.raises(errors.PermissionDeniedError):
        predict.Predictor(meta, inputs=["x"], outputs=["y_out"], allow_read=[str(outside)])(rows)
    assert _listing(root) == before
    out = predict.Predictor(meta, inputs=["x"], outputs=["y_out"], allow_write=[str(outside)])(rows)
    np.testing.assert_array_equal(out["y_out"], rows["x"])
    assert _tf_effects(root, before)["wrote"] == CASES["save_merge_absolute"]["tf"]["wrote"]


def test_predictor_trust_and_memory(tmp_path):
    root, model, _ = _case(tmp_path, "save_merge_absolute")
    before = _listing(root)
    rows = {"x": np.array([1.0, 2.0, 3.0], np.float32)}
    predictor = predict.Predictor(str(model / "model.meta"), inputs=["x"], outputs=["y_out"],
                                  trust=True)
    np.testing.assert_array_equal(predictor(rows)["y_out"], rows["x"])
    assert _tf_effects(root, before)["wrote"] == CASES["save_merge_absolute"]["tf"]["wrote"]
    _, legit, _ = _case(tmp_path, "legit")
    x = np.array(MANIFEST["legit_feed"], np.float32)
    with pytest.raises(errors.ResourceExhaustedError, match="past the budget of 8 bytes"):
        predict.Predictor(str(legit / "model.meta"), inputs=["x"], outputs=["y_out"],
                          max_memory=8)({"x": x})
    out = predict.Predictor(str(legit / "model.meta"), inputs=["x"], outputs=["y_out"],
                            max_memory="1G")({"x": x})
    np.testing.assert_array_equal(out["y_out"], np.array(CASES["legit"]["tf"]["value"], np.float32))


def test_predictor_reads_its_checkpoint_and_pickles_its_confinement(tmp_path):
    import pickle
    _, model, outside = _case(tmp_path, "legit")
    x = np.array(MANIFEST["legit_feed"], np.float32)
    want = np.array(CASES["legit"]["tf"]["value"], np.float32)
    p = predict.Predictor(str(model / "model.meta"), inputs=["x"], outputs=["y_out"])
    np.testing.assert_array_equal(p({"x": x})["y_out"], want)
    for f in ("model.index", "model.data-00000-of-00001"):
        shutil.copy(str(model / f), str(outside / f))
    elsewhere = predict.Predictor(str(model / "model.meta"), str(outside / "model"), inputs=["x"],
                                  outputs=["y_out"], allow_write=[str(tmp_path / "w")],
                                  max_memory="1G")
    copy = pickle.loads(pickle.dumps(elsewhere))
    assert copy.arguments() == elsewhere.arguments()
    assert copy.allow_write == (str(tmp_path / "w"),) and copy.max_memory == GB
    np.testing.assert_array_equal(copy({"x": x})["y_out"], want)
    with pytest.raises(TypeError):
        predict.Predictor(str(model / "model.meta"), inputs=["x"], outputs=["y_out"],
                          allow_read=str(outside))


def test_inspect_finds_every_kind_of_file_op():
    """Graphs built here name their files in every way inspect knows: a Const through Identity,
    a placeholder, a placeholder's default, a reader's queue, attrs (PrintV2, the unigram
    sampler's vocabulary, DecodeProtoV2's descriptor), table initializers, datasets and the
    function bodies a dataset runs; a fetch lists only the ops on its path."""
    import metarun as tf
    from metarun import _graph_report as report
    graph = tf.Graph()
    with graph.as_default():
        tf.io.read_file(tf.placeholder(tf.string, [], name="p"), name="read_fed")
        default = tf.placeholder_with_default(tf.constant("/data/default.txt"), [], name="d")
        tf.io.read_file(tf.identity(tf.identity(default)), name="read_default")
        tf.io.read_file(tf.identity(tf.constant("/data/const.txt")), name="read_const")
        queue = tf.train.string_input_producer(["/data/a.tfrecord", "/data/b.tfrecord"],
                                               shuffle=False)
        tf.TFRecordReader(name="rec").read(queue, name="read_rec")
        dataset = tf.data.TFRecordDataset(["/data/c.tfrecord"]).cache("/data/cache")
        dataset = dataset.map(lambda s: tf.io.read_file(s))
        tf.data.make_one_shot_iterator(dataset).get_next(name="next")
        tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            "/data/vocab.txt", tf.string, 0, tf.int64, 1), -1)
        tf.print("x", output_stream="file:///data/log.txt", name="pr")
        tf.print("x", name="to_stderr")
        tf.nn.fixed_unigram_candidate_sampler(tf.constant([[1]], tf.int64), 1, 2, True, 10,
                                              vocab_file="/data/counts.txt", name="sampler")
        tf.io.decode_proto(tf.constant([b""]), "a.B", ["f"], [tf.int32],
                           descriptor_source="/data/desc.bin", name="proto")
        tf.io.decode_proto(tf.constant([b""]), "a.B", ["f"], [tf.int32], name="proto_local")
        meta = tf.train.export_meta_graph()
    info = report._GraphInfo(meta)
    rows = {(r["node"], r["op"]): r for r in report._file_access(info)}
    expect = {
        ("read_fed", "ReadFile"): ("reads", None, "(fed)"),
        ("read_default", "ReadFile"): ("reads", None, "(fed; default /data/default.txt)"),
        ("read_const", "ReadFile"): ("reads", ["/data/const.txt"], ""),
        ("read_rec", "ReaderReadV2 via TFRecordReaderV2"): (
            "reads", ["/data/a.tfrecord", "/data/b.tfrecord"], "(file names from queue input_producer)"),
        ("text_file_init/InitializeTableFromTextFileV2", "InitializeTableFromTextFileV2"): (
            "reads", ["/data/vocab.txt"], ""),
        ("sampler", "FixedUnigramCandidateSampler"): ("reads", ["/data/counts.txt"], "(attr vocab_file)"),
        ("proto", "DecodeProtoV2"): ("reads", ["/data/desc.bin"], "(attr descriptor_source)"),
    }
    for key, (access, paths, how) in expect.items():
        assert (rows[key]["access"], rows[key]["paths"], rows[key]["how"]) == (access, paths, how), key
    prints = [r for r in rows.values() if r["op"] == "PrintV2"]
    assert [(r["access"], r["paths"]) for r in prints] == [("appends to", ["/data/log.txt"])]
    assert not any(r["node"] == "proto_local" for r in rows.values())
    next_rows = report._file_access(info, ["next"])
    assert {r["fetch"] for r in next_rows} == {"next"}
    cache = [r for r in next_rows if r["op"] == "CacheDataset"]
    assert cache and all(r["paths"] == ["/data/cache"] and r["access"] == "reads and writes"
                         for r in cache)
    assert any(r["op"] == "ReadFile" and r["function"] and r["how"] == report.COMPUTED
               for r in next_rows)
    assert any(r["op"] == "TFRecordDataset" for r in next_rows)
    assert not any(r["op"] in ("ReaderReadV2 via TFRecordReaderV2", "PrintV2") for r in next_rows)
    assert report._file_access(info, ["read_const"]) == [dict(rows[("read_const", "ReadFile")],
                                                              fetch="read_const")]


def test_policy_options_and_python_memory_errors(tmp_path, monkeypatch, capsys):
    _, model, outside = _case(tmp_path, "legit")
    args = cli._parser().parse_args(["run", str(model / "model.meta"), "--trust",
                                     "--max-memory", "none"])
    assert cli._run_policy(args, args.meta) is None  # exactly TF's behaviour
    args = cli._parser().parse_args(["run", str(model / "model.meta"), "--allow-read", str(outside),
                                     "--max-memory", "2G"])
    policy = cli._run_policy(args, args.meta)
    assert policy.read == [str(model), str(outside)] and policy.write == []
    assert policy.max_memory == 2 * GB
    assert policy.allows(str(model / "model.index")) and policy.allows(str(outside / "secret.txt"))
    assert not policy.allows(str(model / "new"), write=True)
    assert not policy.allows(str(tmp_path / "legit" / "elsewhere.txt"))

    from metarun.framework.session import Session

    def out_of_memory(*a, **k):
        raise MemoryError()
    monkeypatch.setattr(Session, "run", out_of_memory)
    code = cli.main(["run", str(model / "model.meta"), "--fetch", FETCH, "--feed",
                     "x:0=%s" % json.dumps(MANIFEST["legit_feed"])])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_RUNTIME
    assert err == ("metarun run: error: out of memory (--max-memory SIZE bounds the tensors a "
                   "run may hold)\n")
