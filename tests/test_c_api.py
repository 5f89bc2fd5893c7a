"""The C and C++ API (cpp/embed): built against the installed package with its CMake package, as a
user's program would be, then run.

- examples/: the seed example in C and C++ prints TF's 59.6; the C++ training example continues
  training a TF-saved model and saves a checkpoint with TF's values.
- tests/c_api/api_test.c: concurrent runs, caller-owned memory, outputs, bad arguments.
- tests/c_api/runner.c replays the TF-made cases of tests/fixtures/cases whose steps a C program
  can take (restore, run by tensor name, save and reload) and the values are compared with TF's.
"""
import json
import os
import shutil
import struct
import subprocess
import sysconfig

import numpy as np
import pytest

import metarun
from metarun.framework import dtypes

from replay import assert_matches

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CASES = os.path.join(HERE, "fixtures", "cases")
PACKAGE = os.path.dirname(os.path.abspath(metarun.__file__))
CMAKE_DIR = os.path.join(PACKAGE, "lib", "cmake", "metarun")
SEED_DIR = os.path.join(PACKAGE, "examples", "seed")


def _cmake_build(source, build):
    if not os.path.exists(os.path.join(CMAKE_DIR, "metarunConfig.cmake")):
        if not sysconfig.get_config_var("Py_ENABLE_SHARED"):
            pytest.skip("this Python has no shared libpython, so the C API is not built")
        pytest.fail("the C API is not installed in %s (README: the build installs it)" % PACKAGE)
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    subprocess.run(["cmake", "-S", source, "-B", build, "-Dmetarun_DIR=" + CMAKE_DIR] + generator,
                   check=True, capture_output=True)
    subprocess.run(["cmake", "--build", build], check=True, capture_output=True)
    return build


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    return _cmake_build(os.path.join(ROOT, "examples"), str(tmp_path_factory.mktemp("examples")))


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    return _cmake_build(os.path.join(HERE, "c_api"), str(tmp_path_factory.mktemp("c_api")))


def _tf_arrays(case):
    with np.load(os.path.join(CASES, case, "arrays.npz")) as a:
        return {k: a[k] for k in a.files}


@pytest.mark.parametrize("program", ["seed_c", "seed_cpp"])
def test_seed_example_prints_tf_value(examples, program):
    out = subprocess.run([os.path.join(examples, program)], check=True, capture_output=True, text=True)
    assert out.stdout == "59.6\n"
    assert float(out.stdout) == pytest.approx(float(_tf_arrays("example_seed")["s1_out0"]), rel=1e-6)


def test_train_example_continues_training_as_tf(examples, tmp_path):
    case = shutil.copytree(os.path.join(CASES, "seed_ex2_train"), str(tmp_path / "case"))
    prefix = str(tmp_path / "out" / "my-model")
    out = subprocess.run([os.path.join(examples, "train_cpp"), os.path.join(case, "my-model-6.meta"), case,
                          "train_op", "loss:0", "3", prefix], check=True, capture_output=True, text=True)
    tf = _tf_arrays("seed_ex2_train")  # after 3 more steps from step 6: TF's values at step 9
    loss_line, saved_line = out.stdout.splitlines()
    _, loss, _, step = loss_line.split()
    assert float(loss) == pytest.approx(float(tf["s7_out3"]), rel=1e-5)
    assert int(step) == 9
    assert saved_line == "saved %s-9" % prefix
    assert metarun.train.latest_checkpoint(str(tmp_path / "out")) == prefix + "-9"
    reader = metarun.train.NewCheckpointReader(prefix + "-9")
    np.testing.assert_allclose(reader.get_tensor("w"), tf["s7_out0"], rtol=1e-6)
    np.testing.assert_allclose(reader.get_tensor("b"), tf["s7_out1"], rtol=1e-6)
    assert reader.get_tensor("global_step") == 9


def test_api_checks(programs):
    out = subprocess.run([os.path.join(programs, "api_test"), SEED_DIR], capture_output=True, text=True,
                         timeout=120)
    lines = out.stdout.splitlines()
    assert [line for line in lines if not line.startswith("ok ")] == [], out.stdout + out.stderr
    assert out.returncode == 0
    checked = {line.split()[1] for line in lines}
    assert {"threads", "deallocated_once", "output", "missing_meta", "missing_checkpoint",
            "wrong_feed_type", "runs_after_error", "null_tensor_accessors", "confined_restore",
            "allowed_restore"} <= checked


# ---- TF-made cases through the C API ----

_PYTHON_ONLY_STEPS = ("check_collection", "check_variables", "check_graph", "get_tensor", "get_operation")


def _spec(case):
    with open(os.path.join(CASES, case, "case.json")) as f:
        return json.load(f)


def _c_api_case(case):
    """True when every step of the case is one a C program can take (or a Python-only check)."""
    spec = _spec(case)
    imp = spec.get("import")
    if not isinstance(imp, dict) or imp.get("import_scope") or not imp.get("meta"):
        return False
    runs = 0
    for step in spec["steps"]:
        if "run" in step:
            if any(not isinstance(f, str) for f in step["run"]) or set(step) & {"path_feeds", "kept_feeds", "keep"}:
                return False
            runs += 1
        elif not any(k in step for k in ("restore", "restore_latest", "save_and_reload") + _PYTHON_ONLY_STEPS):
            return False
    return runs > 0


C_API_CASES = sorted(c for c in os.listdir(CASES) if os.path.isdir(os.path.join(CASES, c)) and _c_api_case(c))


def _write_feed(path, value):
    value = np.asarray(value)
    if value.dtype.kind in "SUO":
        with open(path, "wb") as f:
            for v in value.reshape(-1):
                v = v if isinstance(v, bytes) else str(v).encode()
                f.write(struct.pack("<Q", len(v)) + v)
        return dtypes.string.as_datatype_enum
    value.tofile(path)
    return dtypes.as_dtype(value.dtype).as_datatype_enum


def _read_output(path, enum, shape):
    if enum == dtypes.string.as_datatype_enum:
        with open(path, "rb") as f:
            data, items, at = f.read(), [], 0
        while at < len(data):
            (n,) = struct.unpack_from("<Q", data, at)
            items.append(data[at + 8:at + 8 + n])
            at += 8 + n
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out.reshape(shape)
    return np.fromfile(path, dtype=dtypes.as_dtype(enum).as_numpy_dtype).reshape(shape)


def test_some_cases_replay_through_the_c_api():
    assert len(C_API_CASES) >= 10, C_API_CASES


@pytest.mark.parametrize("case", C_API_CASES)
def test_tf_case_through_c_api(programs, case, tmp_path):
    case_dir = os.path.join(CASES, case)
    spec = _spec(case)
    arrays = _tf_arrays(case)
    meta = os.path.join(case_dir, spec["import"]["meta"])
    script, checks = ["load " + meta], []  # checks: per command, the run step it answers
    for i, step in enumerate(spec["steps"]):
        if "restore" in step:
            script.append("restore " + os.path.join(case_dir, step["restore"]))
        elif "restore_latest" in step:
            script.append("restore " + os.path.join(case_dir, step["restore_latest"]))
        elif "save_and_reload" in step:
            step_no = step.get("global_step", -1)
            script.append("save %s %d" % (tmp_path / ("reload%d" % i), step_no))
            script.append("load " + meta)
            script.append("restore %s" % (tmp_path / ("reload%d" % i if step_no < 0 else "reload%d-%d" % (i, step_no))))
        elif "run" in step:
            for j, (name, key) in enumerate(step.get("feeds", {}).items()):
                path = tmp_path / ("feed%d_%d.bin" % (i, j))
                enum = _write_feed(path, arrays[key])
                shape = np.shape(arrays[key])
                script.append("feed %s %d %d %s %s" % (name, enum, len(shape), " ".join(map(str, shape)), path))
            # Tensor names ("v4:0") are fetched; operation names (a train op) are run as targets.
            script.extend(("fetch " if ":" in f else "target ") + f for f in step["run"])
            out_dir = tmp_path / ("out%d" % i)
            out_dir.mkdir()
            script.append("run %s" % out_dir)
            checks.append((i, step, str(out_dir)))
    proc = subprocess.run([os.path.join(programs, "runner")], input="\n".join(script) + "\n",
                          capture_output=True, text=True, timeout=300)
    errors = [line for line in proc.stdout.splitlines() if line.startswith("error")]
    assert errors == [] and proc.returncode == 0, proc.stdout + proc.stderr
    results, current = [], []  # per run with fetches: its (index, dtype, shape) lines
    for line in proc.stdout.splitlines():
        if line.startswith("out "):
            _, idx, enum, ndims, *dims = line.split()
            current.append((int(idx), int(enum), tuple(int(d) for d in dims)))
        elif line == "ok" and current:
            results.append(current)
            current = []
    runs_with_fetches = [c for c in checks if any(":" in f for f in c[1]["run"])]
    assert len(results) == len(runs_with_fetches)
    compared = 0
    for (i, step, out_dir), outs in zip(runs_with_fetches, results):
        rtol, atol = step.get("rtol", 1e-5), step.get("atol", 1e-6)
        expect = step.get("expect") or [None] * len(step["run"])
        fetched = [(f, k) for f, k in zip(step["run"], expect) if ":" in f]
        for (idx, enum, shape), (fetch, key) in zip(outs, fetched):
            value = _read_output(os.path.join(out_dir, "%d.bin" % idx), enum, shape)
            if key is not None:
                assert_matches(value, arrays[key], rtol, atol, "%s step %d fetch %s" % (case, i, fetch))
                compared += 1
    assert compared == sum(k is not None for _, step, _ in checks for k in step.get("expect") or [])


def test_cli_prints_the_cmake_and_include_dirs(capsys):
    from metarun import cli
    assert cli.main(["--cmake-dir"]) == 0
    assert capsys.readouterr().out == CMAKE_DIR + "\n"
    assert cli.main(["--include-dir"]) == 0
    include = capsys.readouterr().out.strip()
    assert sorted(os.listdir(os.path.join(include, "metarun"))) == ["c_api.h", "metarun.hpp"]


# ---- TF-made SavedModels through the C API (tests/fixtures/saved_model/tf_made) ----

SAVED_MODELS = os.path.join(HERE, "fixtures", "saved_model", "tf_made")
with open(os.path.join(SAVED_MODELS, "expected.json")) as _f:
    SM_EXPECTED = json.load(_f)
SM_RUNS = [(case, tags, key) for case in sorted(SM_EXPECTED) for tags in sorted(SM_EXPECTED[case]["signatures"])
           for key, sig in sorted(SM_EXPECTED[case]["signatures"][tags].items()) if "values" in sig]


def _sm_array(entry):
    if entry["dtype"] == "string":
        return np.array([v.encode() for v in entry["value"]], dtype=object).reshape(entry["shape"])
    return np.array(entry["value"], dtype=entry["dtype"]).reshape(entry["shape"])


@pytest.mark.parametrize("case,tags,key", SM_RUNS)
def test_tf_saved_model_signature_through_c_api(programs, case, tags, key, tmp_path):
    entry = SM_EXPECTED[case]
    sig = entry["signatures"][tags][key]
    inputs, outputs = sorted(sig["inputs"]), sorted(sig["values"])
    script = ["loadsm %s %s" % (os.path.join(SAVED_MODELS, case), tags)]
    script += ["sig %s in %s" % (key, k) for k in inputs] + ["sig %s out %s" % (key, k) for k in outputs]
    for j, k in enumerate(inputs):
        value = _sm_array(entry["feeds"][tags][k])
        path = tmp_path / ("feed%d.bin" % j)
        enum = _write_feed(path, value)
        script.append("feed %s %d %d %s %s" % (sig["inputs"][k]["name"], enum, value.ndim,
                                               " ".join(map(str, value.shape)), path))
    script += ["fetch " + sig["outputs"][k]["name"] for k in outputs] + ["run %s" % tmp_path]
    proc = subprocess.run([os.path.join(programs, "runner")], input="\n".join(script) + "\n",
                          capture_output=True, text=True, timeout=300)
    lines = proc.stdout.splitlines()
    assert not [line for line in lines if line.startswith("error")] and proc.returncode == 0, proc.stdout + proc.stderr
    names = [line.split()[1] for line in lines if line.startswith("name ")]
    assert names == [sig["inputs"][k]["name"] for k in inputs] + [sig["outputs"][k]["name"] for k in outputs]
    outs = [line.split() for line in lines if line.startswith("out ")]
    assert len(outs) == len(outputs)
    for (_, idx, enum, ndims, *dims), k in zip(outs, outputs):
        got = _read_output(os.path.join(tmp_path, "%s.bin" % idx), int(enum), tuple(int(d) for d in dims))
        want = _sm_array(sig["values"][k])
        if want.dtype == object:
            assert list(got.reshape(-1)) == list(want.reshape(-1)), k
        else:
            assert got.dtype == want.dtype, k
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=k)


def test_saved_model_errors_through_c_api(programs):
    script = ["loadsm %s nope" % os.path.join(SAVED_MODELS, "simple"),
              "loadsm %s serve" % os.path.join(SAVED_MODELS, "simple"),
              "sig no_such_signature in x", "sig serving_default in no_such_input"]
    proc = subprocess.run([os.path.join(programs, "runner")], input="\n".join(script) + "\n",
                          capture_output=True, text=True, timeout=300)
    lines = proc.stdout.splitlines()
    # tags the SavedModel lacks and unknown keys: NOT_FOUND, as in TF's C++ loader
    assert lines[0].startswith("error 5 MetaGraphDef associated with tags 'nope' could not be found"), lines
    assert lines[1] == "ok"
    assert lines[2].startswith("error 5 no signature 'no_such_signature'"), lines
    assert lines[3].startswith("error 5 signature 'serving_default' has no input 'no_such_input'"), lines


def test_graph_built_in_python_runs_from_c_with_bfloat16_and_strings(programs, tmp_path):
    """A graph written by metarun's own graph API (export_meta_graph), fed and fetched from C:
    bfloat16 (a numpy extension type) both ways, and strings with NUL and non-UTF-8 bytes."""
    import ml_dtypes
    tf = metarun
    with tf.Graph().as_default():
        b = tf.placeholder(tf.bfloat16, [None], name="b")
        tf.identity(tf.cast(b, tf.float32) * 2.0, name="b_times_2")
        tf.identity(b + b, name="b_plus_b")
        s = tf.placeholder(tf.string, [None], name="s")
        tf.strings.join([s, s], separator="|", name="s_twice")
        tf.strings.length(s, name="s_len")
        meta = str(tmp_path / "graph.meta")
        tf.train.export_meta_graph(meta)
    bvals = np.array([1.5, -2.25, 3e38, 0.1], dtype=ml_dtypes.bfloat16)
    svals = np.array([b"a\x00b", b"\xff\xfe", b""], dtype=object)
    script = ["load " + meta]
    for name, value, j in (("b:0", bvals, 0), ("s:0", svals, 1)):
        path = tmp_path / ("feed%d.bin" % j)
        enum = _write_feed(path, value)
        script.append("feed %s %d 1 %d %s" % (name, enum, len(value), path))
    script += ["fetch b_times_2:0", "fetch b_plus_b:0", "fetch s_twice:0", "fetch s_len:0", "run %s" % tmp_path]
    proc = subprocess.run([os.path.join(programs, "runner")], input="\n".join(script) + "\n",
                          capture_output=True, text=True, timeout=300)
    outs = [line.split() for line in proc.stdout.splitlines() if line.startswith("out ")]
    assert len(outs) == 4, proc.stdout + proc.stderr
    got = [_read_output(os.path.join(tmp_path, "%s.bin" % o[1]), int(o[2]), tuple(int(d) for d in o[4:]))
           for o in outs]
    with np.errstate(over="ignore"):  # 3e38 * 2 is inf, in TF as in numpy
        twice = bvals.astype(np.float32) * np.float32(2)
    np.testing.assert_array_equal(got[0], twice)
    assert got[1].dtype == ml_dtypes.bfloat16
    np.testing.assert_array_equal(got[1], twice.astype(ml_dtypes.bfloat16))
    assert list(got[2]) == [v + b"|" + v for v in svals]
    np.testing.assert_array_equal(got[3], np.array([len(v) for v in svals], dtype=np.int32))


def test_c_api_joins_a_running_python(tmp_path):
    """Loaded into a Python process (ctypes), the library uses that interpreter and its metarun,
    and leaves sys.path alone."""
    import ctypes
    import sys
    lib_path = os.path.join(PACKAGE, "lib", "libmetarun.so")
    if not os.path.exists(lib_path):
        _cmake_build(os.path.join(HERE, "c_api"), str(tmp_path))  # skips or fails with the reason
    lib = ctypes.CDLL(lib_path)
    lib.MR_NewStatus.restype = ctypes.c_void_p
    lib.MR_GetCode.argtypes = [ctypes.c_void_p]
    lib.MR_Message.argtypes = [ctypes.c_void_p]
    lib.MR_Message.restype = ctypes.c_char_p
    lib.MR_LoadMetaGraph.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p]
    lib.MR_LoadMetaGraph.restype = ctypes.c_void_p
    lib.MR_Restore.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    lib.MR_AllocateTensor.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.MR_AllocateTensor.restype = ctypes.c_void_p
    lib.MR_TensorData.argtypes = [ctypes.c_void_p]
    lib.MR_TensorData.restype = ctypes.POINTER(ctypes.c_float)
    lib.MR_Run.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_void_p),
                           ctypes.c_int, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_void_p),
                           ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.MR_DeleteTensor.argtypes = [ctypes.c_void_p]
    lib.MR_DeleteModel.argtypes = [ctypes.c_void_p]
    lib.MR_DeleteStatus.argtypes = [ctypes.c_void_p]
    path_before = list(sys.path)
    status = lib.MR_NewStatus()
    model = lib.MR_LoadMetaGraph(os.path.join(SEED_DIR, "model_ex1.meta").encode(), None, status)
    assert lib.MR_GetCode(status) == 0, lib.MR_Message(status)
    lib.MR_Restore(model, os.path.join(SEED_DIR, "model_ex1").encode(), status)
    assert lib.MR_GetCode(status) == 0, lib.MR_Message(status)
    feeds = (ctypes.c_void_p * 2)(lib.MR_AllocateTensor(1, None, 0, status), lib.MR_AllocateTensor(1, None, 0, status))
    lib.MR_TensorData(feeds[0])[0] = 12.0
    lib.MR_TensorData(feeds[1])[0] = 3.3
    out = (ctypes.c_void_p * 1)()
    lib.MR_Run(model, (ctypes.c_char_p * 2)(b"v1:0", b"v2:0"), feeds, 2, (ctypes.c_char_p * 1)(b"v4:0"), out, 1,
               None, 0, status)
    assert lib.MR_GetCode(status) == 0, lib.MR_Message(status)
    assert lib.MR_TensorData(out[0])[0] == np.float32(_tf_arrays("example_seed")["s1_out0"])
    assert sys.path == path_before
    assert sys.modules["metarun._embed"].__file__.startswith(os.path.dirname(metarun.__file__))
    for t in (out[0], feeds[0], feeds[1]):
        lib.MR_DeleteTensor(t)
    lib.MR_DeleteModel(model)
    lib.MR_DeleteStatus(status)
