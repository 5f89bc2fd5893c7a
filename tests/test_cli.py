"""The `metarun` command line (metarun.cli): every subcommand's report and exit code, checked
against the bundled seed example, the TF-made cases in tests/fixtures/cases and small graphs
and checkpoints made here with metarun itself. Expected names, shapes and values come from the
fixture files (read back with metarun's readers) or from numpy, never typed from memory."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from metarun import _core, cli, errors
from metarun.bundle import io_ops, save_v2
from metarun.framework import dtypes, importer
from metarun.framework.graph import Graph
from metarun.framework.session import Session
from metarun.train import NewCheckpointReader, import_meta_graph

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "fixtures", "cases")
PACKAGE = os.path.dirname(os.path.abspath(cli.__file__))
SEED = os.path.join(PACKAGE, "examples", "seed")
SEED_META = os.path.join(SEED, "model_ex1.meta")
SEED_CKPT = os.path.join(SEED, "model_ex1")
ERRORS = os.path.join(CASES, "errors")


@pytest.fixture(autouse=True)
def _fresh_reader_cache():
    io_ops.clear_cache()
    yield


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys, *argv):
    code, out, err = _run(capsys, *argv)
    return code, json.loads(out), err


def _seed_value():
    return np.float32(12.0) * np.float32(3.3) + NewCheckpointReader(SEED_CKPT).get_tensor("vx")


def _graph_with_unknown_op(tmp_path):
    """The seed graph plus `fancy`, a node of an op type metarun has no kernel for."""
    meta = importer.read_meta_graph_file(SEED_META)
    op = meta.meta_info_def.stripped_op_list.op.add()
    op.name = "FancyOp"
    out = op.output_arg.add()
    out.name, out.type = "y", dtypes.float32.as_datatype_enum
    node = meta.graph_def.node.add()
    node.name, node.op = "fancy", "FancyOp"
    path = tmp_path / "fancy.meta"
    path.write_bytes(meta.SerializeToString())
    return str(path)


def _restores(meta_path, prefix):
    """What a real restore through metarun does: None when it works, else the error class."""
    graph = Graph()
    with graph.as_default():
        saver = import_meta_graph(meta_path)
    with Session(graph=graph) as sess:
        try:
            saver.restore(sess, prefix)
        except errors.OpError as e:
            return type(e)
    return None


# --- the command line itself ----------------------------------------------------------

@pytest.mark.parametrize("command", ["inspect", "ckpt", "diff", "run", "ops"])
def test_every_subcommand_has_help(capsys, command):
    code, out, _ = _run(capsys, command, "--help")
    assert code == cli.EXIT_OK
    assert out.startswith("usage: metarun %s" % command)


def test_top_level_help_lists_commands_and_exit_codes(capsys):
    code, out, _ = _run(capsys, "--help")
    assert code == cli.EXIT_OK
    for command in ("inspect", "ckpt", "diff", "run", "ops", "exit codes"):
        assert command in out


def test_version_names_metarun_and_the_tf_release_it_follows(capsys):
    code, out, _ = _run(capsys, "--version")
    assert code == cli.EXIT_OK
    from metarun import version
    assert out.strip() == "metarun %s (tf.compat.v1 of TensorFlow %s)" % (
        version.METARUN_VERSION, version.VERSION)


@pytest.mark.parametrize("argv", [[], ["bogus"], ["inspect"], ["diff", SEED_META],
                                  ["ckpt", SEED_CKPT, "--nope"]])
def test_usage_errors_exit_2(capsys, argv):
    assert _run(capsys, *argv)[0] == cli.EXIT_USAGE


def test_python_dash_m_runs_the_bundled_example(tmp_path):
    env = dict(os.environ)
    package_root = os.path.dirname(PACKAGE)
    env["PYTHONPATH"] = os.pathsep.join([package_root, env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, "-m", "metarun", "run"], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "v4:0 (float32, scalar) = %s" % _seed_value() in proc.stdout


# --- run ------------------------------------------------------------------------------

def test_run_without_arguments_prints_the_seed_result(capsys):
    code, out, err = _run(capsys, "run")
    assert code == cli.EXIT_OK, err
    assert "restored %s" % SEED_CKPT in out
    assert "v4:0 (float32, scalar) = %s" % _seed_value() in out
    assert str(_seed_value()) == "59.6"


def test_run_feeds_lists_and_npy_and_writes_out(capsys, tmp_path):
    v1 = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    np.save(tmp_path / "v1.npy", v1)
    out_dir = tmp_path / "out"
    code, out, err = _run(capsys, "run", SEED_META, "--feed", "v1=%s" % (tmp_path / "v1.npy"),
                          "--feed", "v2:0=[[2], [0.5]]", "--fetch", "v4", "--fetch", "Mul:0",
                          "--out", str(out_dir))
    assert code == cli.EXIT_OK, err
    v2 = np.array([[2], [0.5]], dtype=np.float32)
    vx = NewCheckpointReader(SEED_CKPT).get_tensor("vx")
    np.testing.assert_array_equal(np.load(out_dir / "v4.npy"), v1 * v2 + vx)
    np.testing.assert_array_equal(np.load(out_dir / "Mul_0.npy"), v1 * v2)
    assert "v4 (float32, shape [2, 3]) =" in out
    assert "wrote %s" % (out_dir / "Mul_0.npy") in out


def test_run_uses_the_checkpoint_file_beside_the_graph_or_ckpt(capsys):
    for extra in ([], ["--ckpt", SEED], ["--ckpt", SEED_CKPT]):
        code, out, _ = _run(capsys, "run", SEED_META, "--feed", "v1=12", "--feed", "v2=3.3",
                            "--fetch", "v4:0", *extra)
        assert code == cli.EXIT_OK
        assert "= %s" % _seed_value() in out


@pytest.mark.parametrize("argv, message", [
    (["--fetch", "v44"], "Did you mean v4?"),
    (["--fetch", "v4", "--feed", "nope=1"], "no such node"),
    (["--fetch", "v4", "--feed", "v1=abc"], "is not a float32 value"),
    (["--fetch", "v4", "--feed", "v1"], "NAME=VALUE"),
    (["--fetch", "v4", "--feed", "v1=missing.npy"], "file not found"),
    (["--fetch", "v4:3"], "has 1 output"),
    ([], "likely outputs: v4:0"),
    (["--fetch", "v4", "--ckpt", os.path.join(SEED, "nope")], "checkpoint not found"),
])
def test_run_input_errors_exit_2(capsys, argv, message):
    code, out, err = _run(capsys, "run", SEED_META, *argv)
    assert code == cli.EXIT_USAGE
    assert message in err


def test_run_missing_graph_exits_2(capsys, tmp_path):
    code, _, err = _run(capsys, "run", str(tmp_path / "none.meta"), "--fetch", "y")
    assert code == cli.EXIT_USAGE
    assert "graph file not found" in err
    assert _run(capsys, "run", "--fetch", "v4")[0] == cli.EXIT_USAGE  # options without a graph


def test_run_unfed_placeholder_exits_3_and_lists_inputs(capsys):
    code, _, err = _run(capsys, "run", SEED_META, "--fetch", "v4")
    assert code == cli.EXIT_RUNTIME
    assert "InvalidArgumentError" in err
    assert "inputs: v1:0 float32 ?, v2:0 float32 ?" in err
    assert _run(capsys, "run")[0] == cli.EXIT_OK  # nothing left broken


def test_run_failed_restore_exits_3_and_points_to_diff(capsys):
    code, _, err = _run(capsys, "run", os.path.join(ERRORS, "model.meta"), "--ckpt",
                        os.path.join(ERRORS, "wrong_key"), "--fetch", "y", "--feed", "x=1")
    assert code == cli.EXIT_RUNTIME
    assert "Key w not found in checkpoint" in err
    assert "metarun diff" in err


def test_run_op_without_kernel_exits_3(capsys, tmp_path):
    meta = _graph_with_unknown_op(tmp_path)
    code, _, err = _run(capsys, "run", meta, "--fetch", "fancy", "--ckpt", SEED)
    assert code == cli.EXIT_RUNTIME
    assert "UnimplementedError" in err and "FancyOp" in err


# --- inspect --------------------------------------------------------------------------

def test_inspect_seed_text(capsys):
    code, out, _ = _run(capsys, "inspect", SEED_META)
    assert code == cli.EXIT_OK
    meta = importer.read_meta_graph_file(SEED_META)
    assert "written by TensorFlow %s" % meta.meta_info_def.tensorflow_version in out
    assert "metarun can run all of them" in out
    for header in ("Inputs", "Likely outputs", "Variables", "Collections", "Saver"):
        assert "\n" + header in out
    assert "v4:0  AddV2" in out
    assert meta.saver_def.restore_op_name in out
    # Every op is supported: the op table waits for --ops; its /device:CPU:0 nodes run where
    # they say, so no device is reported.
    op_types = len(set(n.op for n in meta.graph_def.node))
    assert "\nOp types" not in out and "(--ops lists the %d op types)" % op_types in out
    assert "\nDevices" not in out
    code, with_ops, _ = _run(capsys, "inspect", SEED_META, "--ops")
    assert code == cli.EXIT_OK
    table = with_ops.split("\nOp types\n")[1].splitlines()
    assert table[0].split() == ["OP", "COUNT", "METARUN"] and len(table) == 1 + op_types
    assert with_ops.split("\n\nOp types\n")[0] == out.split("\n\n(--ops lists")[0]


def test_inspect_reports_the_devices_it_ignores(capsys):
    """A graph TF wrote under tf.device scopes (a ps job's GPU, a worker task's CPU): metarun runs
    every node on its own CPU and says so, with the node counts the graph records."""
    path = os.path.join(CASES, "scope_devices", "model.meta")
    meta = importer.read_meta_graph_file(path)
    counts = {}
    for node in meta.graph_def.node:
        if node.device:
            counts[node.device] = counts.get(node.device, 0) + 1
    assert len(counts) >= 2
    code, r, _ = _json(capsys, "inspect", path, "--json")
    assert code == cli.EXIT_OK
    assert {d["device"]: d["nodes"] for d in r["devices"]} == counts
    assert {d["device"] for d in r["devices"] if not d["ignored"]} == \
        {d for d in counts if d in ("/device:CPU:0", "/cpu:0")}
    assert len(r["op_types"]) == len(set(n.op for n in meta.graph_def.node))  # JSON keeps all
    code, out, _ = _run(capsys, "inspect", path)
    for device, n in counts.items():
        line = "  %s on %d node%s: ignored, runs on CPU" % (device, n, "" if n == 1 else "s")
        assert (line in out) == ("GPU" in device or "/job:" in device)
    assert "/job:ps/task:0/device:GPU:0" in counts


def test_inspect_seed_json_matches_the_graph(capsys):
    code, r, _ = _json(capsys, "inspect", SEED_META, "--json")
    assert code == cli.EXIT_OK
    meta = importer.read_meta_graph_file(SEED_META)
    nodes = meta.graph_def.node
    assert r["tensorflow_version"] == meta.meta_info_def.tensorflow_version
    assert r["tensorflow_git_version"] == meta.meta_info_def.tensorflow_git_version
    assert r["producer"] == meta.graph_def.versions.producer
    assert r["node_count"] == len(nodes)
    assert {p["name"] for p in r["placeholders"]} == {n.name + ":0" for n in nodes
                                                      if n.op == "Placeholder"}
    assert r["likely_outputs"][0]["name"] == "v4:0"
    assert not any(o["name"].startswith(("save", "init")) for o in r["likely_outputs"])
    shapes = NewCheckpointReader(SEED_CKPT).get_variable_to_shape_map()
    assert [(v["name"], v["shape"], v["trainable"]) for v in r["variables"]] == \
        [(k, shapes[k], True) for k in shapes]
    assert {c["name"]: c["count"] for c in r["collections"]} == \
        {k: len(v.bytes_list.value) for k, v in meta.collection_def.items()}
    assert r["saver_def"]["restore_op_name"] == meta.saver_def.restore_op_name
    assert r["saver_def"]["restore_keys"] == len(shapes)
    counts = {}
    for n in nodes:
        counts[n.op] = counts.get(n.op, 0) + 1
    assert {e["op"]: e["count"] for e in r["op_types"]} == counts
    assert r["unsupported_ops"] == []


def test_inspect_text_format_graph(capsys):
    path = os.path.join(CASES, "text_meta", "model.pbtxt")
    code, r, _ = _json(capsys, "inspect", path, "--json")
    assert code == cli.EXIT_OK
    with open(os.path.join(CASES, "text_meta", "case.json")) as f:
        case = json.load(f)
    fetched = {name for step in case["steps"] if "run" in step for name in step["run"]}
    assert fetched & {o["name"] for o in r["likely_outputs"]}
    assert {c["kind"] for c in r["collections"]} >= {"any_list", "variables"}


def test_inspect_partitioned_variables_name_their_full_variable(capsys):
    meta_path = os.path.join(CASES, "partitioned", "model.meta")
    code, r, _ = _json(capsys, "inspect", meta_path, "--json")
    assert code == cli.EXIT_OK
    reader = NewCheckpointReader(os.path.join(CASES, "partitioned", "model"))
    shapes = reader.get_variable_to_shape_map()
    parts = [v for v in r["variables"] if "partition_of" in v]
    assert parts and all(shapes[v["partition_of"]] == v["key_shape"] for v in parts)


def test_inspect_flags_unsupported_ops_and_strict_exits_1(capsys, tmp_path):
    meta = _graph_with_unknown_op(tmp_path)
    code, out, _ = _run(capsys, "inspect", meta)
    assert code == cli.EXIT_OK
    assert "FancyOp" in out and "NOT SUPPORTED" in out  # the op table, without --ops
    assert "\nOp types\n" in out and "--ops lists" not in out
    code, r, _ = _json(capsys, "inspect", meta, "--json", "--strict")
    assert code == cli.EXIT_PROBLEMS
    assert r["unsupported_ops"] == ["FancyOp"]
    assert _run(capsys, "inspect", SEED_META, "--strict")[0] == cli.EXIT_OK


def test_inspect_io_ops_count_as_supported(capsys):
    code, r, _ = _json(capsys, "inspect", os.path.join(CASES, "v1_ckpt", "model.meta"), "--json")
    assert code == cli.EXIT_OK
    assert not set(r["unsupported_ops"]) & set(_core.host_ops())


def test_inspect_bad_inputs_exit_2(capsys, tmp_path):
    code, _, err = _run(capsys, "inspect", str(tmp_path / "missing.meta"))
    assert code == cli.EXIT_USAGE and "not found" in err
    garbage = tmp_path / "garbage.meta"
    garbage.write_bytes(b"\xff\x00 this is not a graph")
    code, _, err = _run(capsys, "inspect", str(garbage))
    assert code == cli.EXIT_USAGE and "cannot parse" in err
    code, _, err = _run(capsys, "inspect", SEED_CKPT + ".index")
    assert code == cli.EXIT_USAGE and "metarun ckpt" in err
    code, _, err = _run(capsys, "inspect", os.path.join(SEED, "model_ex1"))
    assert code == cli.EXIT_USAGE and "did you mean" in err


# --- ckpt -----------------------------------------------------------------------------

@pytest.mark.parametrize("path, version", [
    (SEED_CKPT, "V2"), (SEED, "V2"), (SEED_CKPT + ".index", "V2"),
    (os.path.join(CASES, "sharded", "model"), "V2"), (os.path.join(CASES, "dtypes_ckpt"), "V2"),
    (os.path.join(CASES, "partitioned", "model"), "V2"),
    (os.path.join(CASES, "v1_ckpt", "model"), "V1"),
])
def test_ckpt_lists_what_the_reader_reads(capsys, path, version):
    code, r, _ = _json(capsys, "ckpt", path, "--json")
    assert code == cli.EXIT_OK
    reader = NewCheckpointReader(r["prefix"])
    shapes, types = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
    assert r["format"] == version
    assert [(v["name"], v["dtype"], v["shape"]) for v in r["variables"]] == \
        [(k, types[k].name, shapes[k]) for k in sorted(shapes)]
    for v in r["variables"]:
        if types[v["name"]] != dtypes.string:
            assert v["bytes"] == np.asarray(reader.get_tensor(v["name"])).nbytes
    assert r["total_bytes"] == sum(v["bytes"] or 0 for v in r["variables"])
    assert all(os.path.getsize(f["path"]) == f["bytes"] for f in r["files"])


def test_ckpt_text_table(capsys):
    code, out, _ = _run(capsys, "ckpt", os.path.join(CASES, "sharded", "model"))
    assert code == cli.EXIT_OK
    assert "V2 checkpoint, 3 tensors" in out and "3 file(s)" in out
    assert out.splitlines()[1].split() == ["NAME", "DTYPE", "SHAPE", "BYTES"]


def test_ckpt_verify_finds_corrupt_data(capsys):
    code, out, _ = _run(capsys, "ckpt", os.path.join(ERRORS, "corrupt"), "--verify")
    assert code == cli.EXIT_PROBLEMS
    assert "DataLossError" in out
    assert _run(capsys, "ckpt", os.path.join(ERRORS, "model"), "--verify")[0] == cli.EXIT_OK


def test_ckpt_bad_inputs_exit_2(capsys, tmp_path):
    code, _, err = _run(capsys, "ckpt", str(tmp_path / "nope"))
    assert code == cli.EXIT_USAGE and "checkpoint not found" in err
    code, _, err = _run(capsys, "ckpt", str(tmp_path))  # a directory without a `checkpoint` file
    assert code == cli.EXIT_USAGE and "no checkpoint in directory" in err
    (tmp_path / "bad.index").write_bytes(b"not an sstable at all, certainly not")
    code, _, err = _run(capsys, "ckpt", str(tmp_path / "bad"))
    assert code == cli.EXIT_USAGE and "cannot read checkpoint" in err


# --- diff -----------------------------------------------------------------------------

def _save(prefix, tensors):
    names = sorted(tensors)
    save_v2(str(prefix), names, [""] * len(names), [tensors[n] for n in names],
            [dtypes.as_dtype(tensors[n].dtype).as_datatype_enum for n in names])
    return str(prefix)


@pytest.mark.parametrize("case, meta, prefix", [
    ("example_seed", "model_ex1.meta", "model_ex1"), ("partitioned", "model.meta", "model"),
    ("sharded", "model.meta", "model"), ("v1_ckpt", "model.meta", "model"),
    ("collections_all", "model.meta", "model"), ("dtypes_ckpt", "model.meta", "model"),
])
def test_diff_of_a_graph_with_its_own_checkpoint_passes(capsys, case, meta, prefix):
    meta, prefix = os.path.join(CASES, case, meta), os.path.join(CASES, case, prefix)
    code, r, _ = _json(capsys, "diff", meta, prefix, "--json")
    assert code == cli.EXIT_OK and r["restore_ok"]
    # The restore op's keys are what TF saved: exactly the checkpoint's names.
    saved = set(NewCheckpointReader(prefix).get_variable_to_shape_map())
    assert {k["key"] for k in r["keys"]} == saved and not r["extra"]
    assert _restores(meta, prefix) is None


def test_diff_missing_key(capsys):
    meta, prefix = os.path.join(ERRORS, "model.meta"), os.path.join(ERRORS, "wrong_key")
    code, out, _ = _run(capsys, "diff", meta, prefix)
    assert code == cli.EXIT_PROBLEMS
    assert "MISSING" in out and "extra (ignored by restore)" in out
    assert "restore would FAIL: 1 missing" in out
    assert _restores(meta, prefix) is errors.NotFoundError


def test_diff_shape_mismatch(capsys):
    meta, prefix = os.path.join(ERRORS, "model.meta"), os.path.join(ERRORS, "wrong_shape")
    code, r, _ = _json(capsys, "diff", meta, prefix, "--json")
    assert code == cli.EXIT_PROBLEMS
    reader = NewCheckpointReader(prefix)
    (row,) = r["keys"]
    assert row["status"] == "shape mismatch"
    assert row["ckpt_shape"] == reader.get_variable_to_shape_map()[row["key"]]
    assert row["graph_shape"] != row["ckpt_shape"]
    assert _restores(meta, prefix) is errors.InvalidArgumentError


def test_diff_dtype_mismatch(capsys, tmp_path):
    vx = NewCheckpointReader(SEED_CKPT).get_tensor("vx")
    prefix = _save(tmp_path / "f64", {"vx": np.asarray(vx, dtype=np.float64)})
    code, out, _ = _run(capsys, "diff", SEED_META, prefix)
    assert code == cli.EXIT_PROBLEMS
    assert "DTYPE MISMATCH" in out and "float64 []" in out


@pytest.mark.parametrize("saved_as", ["model/vx", "vxx"])
def test_diff_suggests_the_nearest_names(capsys, tmp_path, saved_as):
    prefix = _save(tmp_path / "renamed", {saved_as: np.float32(1), "other/thing": np.float32(2)})
    code, r, _ = _json(capsys, "diff", SEED_META, prefix, "--json")
    assert code == cli.EXIT_PROBLEMS
    (row,) = r["keys"]
    assert row["status"] == "missing" and row["suggestions"][0] == saved_as
    code, out, _ = _run(capsys, "diff", SEED_META, prefix)
    assert "vx: did you mean %r?" % saved_as in out


def test_diff_bad_inputs_exit_2(capsys, tmp_path):
    assert _run(capsys, "diff", str(tmp_path / "x.meta"), SEED_CKPT)[0] == cli.EXIT_USAGE
    assert _run(capsys, "diff", SEED_META, str(tmp_path / "nope"))[0] == cli.EXIT_USAGE


# --- ops ------------------------------------------------------------------------------

def test_ops_lists_the_registry_and_io_ops(capsys):
    expected = sorted(_core.registered_kernels())
    code, r, _ = _json(capsys, "ops", "--json")
    assert code == cli.EXIT_OK
    assert [e["op"] for e in r] == expected
    code, out, _ = _run(capsys, "ops", "--markdown")
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == expected
    assert "| op | dtypes |" in out
    code, out, _ = _run(capsys, "ops")
    assert code == cli.EXIT_OK and "metarun runs %d op types" % len(expected) in out


def test_ops_dtype_names_come_from_the_registry(capsys):
    _, r, _ = _json(capsys, "ops", "--json")
    by_op = {e["op"]: e["dtypes"] for e in r}
    for op, enums in _core.registered_kernels().items():
        if op in _core.host_ops():
            continue
        if not enums:
            assert by_op[op] == "any"
        elif set(enums) == {1, 2, 19, 14}:
            assert by_op[op] == "floats"
        elif len(enums) == 1:
            assert by_op[op] == dtypes.as_dtype(enums[0]).name


def test_diff_without_saver_def_uses_the_variables(capsys, tmp_path):
    meta = importer.read_meta_graph_file(SEED_META)
    meta.ClearField("saver_def")
    path = tmp_path / "nosaver.meta"
    path.write_bytes(meta.SerializeToString())
    code, r, _ = _json(capsys, "diff", str(path), SEED_CKPT, "--json")
    assert code == cli.EXIT_OK
    assert r["keys_from"] == "variables collection"
    saved = NewCheckpointReader(SEED_CKPT).get_variable_to_shape_map()
    assert [k["key"] for k in r["keys"]] == sorted(saved)


def test_run_strings_and_bfloat16_round_trip_through_out(capsys, tmp_path):
    case = os.path.join(CASES, "dtypes_ckpt")
    code, out, err = _run(capsys, "run", os.path.join(case, "model.meta"), "--fetch", "words",
                          "--fetch", "bf16:0", "--out", str(tmp_path))
    assert code == cli.EXIT_OK, err
    reader = NewCheckpointReader(os.path.join(case, "model"))
    assert "words (string, shape [2, 2])" in out and "bf16:0 (bfloat16, shape [3])" in out
    np.testing.assert_array_equal(np.load(tmp_path / "words.npy"),
                                  reader.get_tensor("words").astype(bytes))
    np.testing.assert_array_equal(np.load(tmp_path / "bf16_0.npy"),
                                  reader.get_tensor("bf16").astype(np.float32))


@pytest.mark.parametrize("case", ["errors", "example_seed", "seed_ex1_ref",
                                  "seed_ex1_resource", "seed_ex2_train", "sharded", "text_meta",
                                  "v1_ckpt"])
def test_likely_outputs_include_what_the_case_fetches(capsys, case):
    with open(os.path.join(CASES, case, "case.json")) as f:
        spec = json.load(f)
    meta = spec["import"]["meta"] if isinstance(spec["import"], dict) else spec["import"][0]["meta"]
    code, r, _ = _json(capsys, "inspect", os.path.join(CASES, case, meta), "--json")
    assert code == cli.EXIT_OK
    not_outputs = {v["name"] + ":0" for v in r["variables"]}
    not_outputs |= {p["name"] for p in r["placeholders"]}
    fetched = [name for step in spec["steps"] if isinstance(step.get("run"), list)
               for name in step["run"] if isinstance(name, str) and ":" in name]
    first = next(name for name in fetched if name not in not_outputs
                 and "/Read" not in name and "/read" not in name)
    assert first in [o["name"] for o in r["likely_outputs"]]


def test_inspect_counts_calls_of_library_functions_and_looks_inside_them(capsys, tmp_path):
    """Function calls by op type and SymbolicGradient run their bodies: supported when the bodies
    are; an op metarun lacks inside a function is reported."""
    from metarun.framework import protos
    path = os.path.join(os.path.dirname(__file__), "fixtures", "cases", "nested_functions", "model.meta")
    code, report, _ = _json(capsys, "inspect", "--json", path)
    assert report["functions"] > 0 and report["unsupported_ops"] == []
    meta = protos.MetaGraphDef()
    with open(path, "rb") as f:
        meta.ParseFromString(f.read())
    meta.graph_def.library.function[0].node_def.add(name="odd", op="NoSuchOpAnywhere")
    changed = tmp_path / "changed.meta"
    changed.write_bytes(meta.SerializeToString())
    code, out, _ = _run(capsys, "inspect", str(changed))
    assert "missing, inside functions: NoSuchOpAnywhere" in out
