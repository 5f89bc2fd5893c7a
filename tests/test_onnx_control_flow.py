"""metarun.onnx.export of control flow: tf.cond to If, tf.while_loop to Loop, TensorArrays and
TensorLists to ONNX sequences, TF1's primitives and TF2's functional ops (lowered first), and
lookup tables. Every graph here was built and run by TensorFlow (tests/fixtures/
gen_onnx_control_flow.py, the control-flow replay cases of gen_control_flow.py and
gen_functions.py, TF-made SavedModels); metarun exports it and onnxruntime must give
TensorFlow's values."""

import json
import os

import numpy as np
import pytest

import metarun
import metarun.onnx
from onnx_support import import_onnx, session as _session

onnx = ort = None

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures", "onnx_control_flow")
REPLAY = os.path.join(HERE, "fixtures", "cases")
with open(os.path.join(FIX, "cases.json")) as _f:
    CASES = json.load(_f)
ARRAYS = {}
# replay cases (tests/fixtures/cases) with v1 control flow, exported step by step
REPLAY_CASES = ["cond_branches", "while_loops", "dynamic_rnn", "dynamic_rnn_short_seqs",
                "tensor_arrays", "v2_while_cond_train", "nested_functions", "v2_dynamic_rnn",
                "v2_switch_case_cond"]
# fetches of variables that earlier runs' side effects changed (a counter a call increments):
# a frozen graph holds the checkpoint's value
STATE_FETCHES = {"counter_value:0", "calls_value:0"}
# replay cases whose later steps fetch gradients or feed a training target: how many steps
# are inference
INFERENCE_STEPS = {"v2_dynamic_rnn": 1, "nested_functions": 3, "v2_switch_case_cond": 8}


@pytest.fixture(autouse=True, scope="module")
def _onnx_modules():
    # imported when these tests run, not when pytest collects every test module
    global onnx, ort
    onnx, ort = import_onnx(FIX, ARRAYS)


def _feed(value):
    """onnxruntime takes strings as str objects; the fixtures keep them as bytes."""
    return value.astype(str).astype(object) if value.dtype.kind == "S" else value


def _compare(got, want, name):
    assert got.shape == want.shape, (name, got.shape, want.shape)
    if want.dtype.kind == "S":
        assert got.dtype == object, (name, got.dtype)
        np.testing.assert_array_equal(got.astype(str), want.astype(str), err_msg=name)
        return
    assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=name)
    else:
        np.testing.assert_array_equal(got, want, err_msg=name)


def _ops(graph, into=None):
    """Op types of a graph and of every subgraph in it."""
    into = [] if into is None else into
    for n in graph.node:
        into.append(n.op_type)
        for a in n.attribute:
            if a.HasField("g"):
                _ops(a.g, into)
    return into


# a reduction over axes computed when the graph runs (out_max_last): an input from opset 18 on
OPSET = {"loop_ops": 18}


@pytest.mark.parametrize("name", sorted(CASES))
def test_export_matches_tf(name):
    case = CASES[name]
    model = metarun.onnx.export(os.path.join(FIX, name, "model.meta"), inputs=case["feeds"],
                                outputs=case["fetches"], opset=OPSET.get(name, 17))
    assert [o.name for o in model.graph.output] == case["fetches"]
    sess = _session(model)
    for k in range(case["sets"]):
        feeds = {t: _feed(ARRAYS["%s/%s@%d" % (name, t, k)]) for t in case["feeds"]}
        for t, v in zip(case["fetches"], sess.run(case["fetches"], feeds)):
            _compare(v, ARRAYS["%s/%s@%d" % (name, t, k)], "%s@%d" % (t, k))
    ops = _ops(model.graph)
    # no v1 primitive is left: the loops and conds are ONNX's
    assert not {"Switch", "Merge", "Enter", "Exit"} & set(ops)


def _inference_steps(case):
    """The run steps before the first one that updates state (a fetched op), with values."""
    for step in case["steps"]:
        if "run" not in step:
            continue
        if not step.get("expect") or None in step["expect"]:
            return
        yield step


@pytest.mark.parametrize("name", REPLAY_CASES)
def test_replay_cases(name):
    folder = os.path.join(REPLAY, name)
    with open(os.path.join(folder, "case.json")) as f:
        case = json.load(f)
    steps = [st for st in _inference_steps(case) if not STATE_FETCHES & set(st["run"])]
    assert steps
    steps = steps[:INFERENCE_STEPS.get(name)]
    with np.load(os.path.join(folder, "arrays.npz")) as arrays:
        for step in steps:
            model = metarun.onnx.export(os.path.join(folder, case["import"]["meta"]),
                                        inputs=sorted(step["feeds"]), outputs=step["run"])
            sess = _session(model)
            names = {i.name for i in sess.get_inputs()}
            feeds = {t: arrays[k] for t, k in step["feeds"].items() if t in names}
            for v, key, t in zip(sess.run(step["run"], feeds), step["expect"], step["run"]):
                _compare(v, arrays[key], t)


def test_structure_of_nested_loops_and_conds():
    folder = os.path.join(REPLAY, "while_loops")
    model = metarun.onnx.export(os.path.join(folder, "model.meta"),
                                inputs=["n:0", "use_loop:0"], outputs=["nested:0", "gated:0"])
    top = [n.op_type for n in model.graph.node]
    # the outer loop (its condition's first test, n > 0, before it) and the cond
    assert sorted(top) == ["If", "Less", "Loop"], top
    loop = [n for n in model.graph.node if n.op_type == "Loop" and
            any(a.name == "body" and "Loop" in _ops(a.g) for a in n.attribute)]
    assert len(loop) == 1  # the inner loop lives in the outer one's body
    gate = [n for n in model.graph.node if n.op_type == "If"][0]
    then = [a.g for a in gate.attribute if a.name == "then_branch"][0]
    assert "Loop" in _ops(then)  # the loop in the taken branch only


def test_tensor_arrays_need_opset_14():
    with pytest.raises(ValueError, match="opset >= 14"):
        metarun.onnx.export(os.path.join(FIX, "map_fn", "model.meta"), outputs=["y:0"],
                            opset=13)
    # a loop without TensorArrays exports at opset 13
    model = metarun.onnx.export(os.path.join(FIX, "cond_in_while", "model.meta"),
                                outputs=["out:0"], opset=13)
    assert model.opset_import[0].version == 13


def test_fetch_inside_a_loop_is_refused():
    with pytest.raises(ValueError, match="inside a while loop"):
        metarun.onnx.export(os.path.join(FIX, "cond_in_while", "model.meta"),
                            outputs=["while/Identity_1:0"])


def test_squeeze_without_axes_on_unknown_dims():
    # TF and ONNX both drop every dimension that is 1 when the graph runs
    g = metarun.Graph()
    with g.as_default():
        x = metarun.placeholder(metarun.float32, [None, None, 3], name="x")
        metarun.squeeze(x * 2.0, name="y")
    model = metarun.onnx.export(g.as_graph_def(), outputs=["y:0"])
    sess = _session(model)
    v = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    got, = sess.run(None, {"x:0": v})
    np.testing.assert_array_equal(got, np.squeeze(v * 2.0))
    v = np.arange(3, dtype=np.float32).reshape(1, 1, 3)
    got, = sess.run(None, {"x:0": v})
    assert got.shape == (3,)


def test_reductions_over_run_time_axes():
    # TF's axis=None on a tensor of unknown rank reduces over tf.range(tf.rank(x)): every axis,
    # which any opset says with no axes; other computed axes are an input from opset 18 on
    meta = os.path.join(FIX, "loop_ops", "model.meta")
    every = ["out_any_flag:0", "out_mean_all:0"]
    model = metarun.onnx.export(meta, inputs=["x:0"], outputs=every, opset=13)
    for k in range(CASES["loop_ops"]["sets"]):
        got = _session(model).run(every, {"x:0": ARRAYS["loop_ops/x:0@%d" % k]})
        for t, v in zip(every, got):
            _compare(v, ARRAYS["loop_ops/%s@%d" % (t, k)], t)
    with pytest.raises(ValueError, match="reduction axes must be a constant"):
        metarun.onnx.export(meta, outputs=["out_max_last:0"], opset=17)
    model = metarun.onnx.export(meta, inputs=["x:0"], outputs=["out_max_last:0"], opset=18)
    for k in range(CASES["loop_ops"]["sets"]):
        got, = _session(model).run(None, {"x:0": ARRAYS["loop_ops/x:0@%d" % k]})
        _compare(got, ARRAYS["loop_ops/out_max_last:0@%d" % k], "max_last")


def test_every_op_type_mapped_here_is_in_a_fixture():
    from metarun.framework import importer
    from metarun.onnx import _control_flow, _ops, _sequences, _tables
    mine = {op for op, fn in _ops.HANDLERS.items()
            if fn.__module__ in (_control_flow.__name__, _sequences.__name__, _tables.__name__)}
    assert len(mine) > 30
    seen = set()
    metas = [os.path.join(FIX, name, "model.meta") for name in CASES] + \
        [os.path.join(REPLAY, name, "model.meta") for name in REPLAY_CASES]
    for path in metas:
        graph_def = importer.read_meta_graph_file(path).graph_def
        seen |= {n.op for n in graph_def.node}
        seen |= {n.op for f in graph_def.library.function for n in f.node_def}
    assert mine - seen == set()


def test_cli_export_of_a_frozen_rnn(tmp_path):
    # freeze to a GraphDef, then export that file: the loops survive both steps
    from metarun import cli
    frozen = tmp_path / "lstm.pb"
    meta = os.path.join(FIX, "lstm_cell", "model.meta")
    assert cli.main(["freeze", meta, "--outputs", "outputs,h", "-o", str(frozen)]) == 0
    out = tmp_path / "lstm.onnx"
    assert cli.main(["export", str(frozen), "--onnx", str(out), "--outputs", "outputs,h"]) == 0
    sess = _session(onnx.load(str(out)))
    for k in range(CASES["lstm_cell"]["sets"]):
        x = ARRAYS["lstm_cell/x:0@%d" % k]
        outputs, h = sess.run(["outputs:0", "h:0"], {"x:0": x})
        _compare(outputs, ARRAYS["lstm_cell/outputs:0@%d" % k], "outputs")
        _compare(h, ARRAYS["lstm_cell/h:0@%d" % k], "h")


def test_switch_case_is_a_chain_of_ifs():
    # tests/fixtures/cases/v2_switch_case_cond (TF-made): tf.switch_case with an index out of
    # range takes the last branch, as in TF (the replay above checks the values)
    folder = os.path.join(REPLAY, "v2_switch_case_cond")
    model = metarun.onnx.export(os.path.join(folder, "model.meta"), inputs=["x:0", "idx:0"],
                                outputs=["pure_out:0"])
    ops = _ops(model.graph)
    assert "If" in ops and "Loop" not in ops
    top = [n for n in model.graph.node if n.op_type == "If"]
    assert len(top) == 1  # the other branches nest in its else branch


def test_text_meta_graph_saved_as_pbtxt(tmp_path):
    # tests/fixtures/cases/text_meta: TF's export_meta_graph(as_text=True) as model.pbtxt
    from metarun import cli
    folder = os.path.join(REPLAY, "text_meta")
    with open(os.path.join(folder, "case.json")) as f:
        case = json.load(f)
    step = next(_inference_steps(case))
    out = tmp_path / "m.onnx"
    args = ["export", os.path.join(folder, "model.pbtxt"), "--onnx", str(out),
            "--outputs", ",".join(step["run"])]
    if step["feeds"]:
        args += ["--inputs", ",".join(sorted(step["feeds"]))]
    assert cli.main(args) == 0
    sess = _session(onnx.load(str(out)))
    with np.load(os.path.join(folder, "arrays.npz")) as arrays:
        feeds = {t: arrays[k] for t, k in step["feeds"].items()}
        for v, key, t in zip(sess.run(step["run"], feeds), step["expect"], step["run"]):
            _compare(v, arrays[key], t)


@pytest.mark.parametrize("name", ["tf2_module", "tf2_text"])
def test_tf2_saved_models_export(name):
    # SavedModels written by TF 2.x's tf.saved_model.save (tests/fixtures/saved_model/tf_made,
    # gen_saved_model.py): their signatures call the module's functions through
    # StatefulPartitionedCall; each signature exports and computes TF's recorded values
    folder = os.path.join(HERE, "fixtures", "saved_model", "tf_made")
    with open(os.path.join(folder, "expected.json")) as f:
        expected = json.load(f)[name]
    signatures = {k: v for k, v in expected["signatures"]["serve"].items() if "values" in v}
    assert len(signatures) == (2 if name == "tf2_text" else 1)
    for key, sig in sorted(signatures.items()):
        inputs = {sig["inputs"][k]["name"]: np.asarray(v["value"], v["dtype"]).reshape(v["shape"])
                  for k, v in expected["feeds"]["serve"].items()}
        keys = sorted(sig["outputs"])
        model = metarun.onnx.export(os.path.join(folder, name), inputs=sorted(inputs),
                                    outputs=[sig["outputs"][k]["name"] for k in keys])
        got = _session(model).run(None, inputs)
        for k, v in zip(keys, got):
            want = sig["values"][k]
            _compare(v, np.asarray(want["value"], want["dtype"]).reshape(want["shape"]), k)


def test_lookup_table_saved_model():
    # tests/fixtures/saved_model/tf_made/two_sigs (TF-made): a string -> int64 table filled by
    # the SavedModel's init op; its lookup becomes onnx-ml's LabelEncoder, unknown words the
    # default, as in TF
    folder = os.path.join(HERE, "fixtures", "saved_model", "tf_made")
    with open(os.path.join(folder, "expected.json")) as f:
        expected = json.load(f)["two_sigs"]
    feeds = expected["feeds"]["serve"]
    for key, sig in sorted(expected["signatures"]["serve"].items()):
        if "values" not in sig:
            continue
        inputs = {}
        for k, spec in sig["inputs"].items():
            v = feeds[k]
            inputs[spec["name"]] = np.asarray(
                list(v["value"]) if v["dtype"] in ("string", "object")
                else v["value"], object if v["dtype"] in ("string", "object") else v["dtype"]
            ).reshape(v["shape"])
        keys = sorted(sig["outputs"])
        model = metarun.onnx.export(os.path.join(folder, "two_sigs"), inputs=sorted(inputs),
                                    outputs=[sig["outputs"][k]["name"] for k in keys])
        if key == "lookup":
            assert [n.op_type for n in model.graph.node] == ["LabelEncoder"]
        got = _session(model).run(None, inputs)
        for k, v in zip(keys, got):
            want = sig["values"][k]
            _compare(v, np.asarray(want["value"], want["dtype"]).reshape(want["shape"]), k)


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_integer_div_rounds_toward_zero(dtype):
    # TF's Div on integers truncates (TF 2.21: Div([-7, 7, -7], [2, -2, -2]) = [-3, -3, 3]);
    # numpy's truncated quotient is the independent reference
    g = metarun.Graph()
    with g.as_default():
        a = metarun.placeholder(dtype, [None], name="a")
        b = metarun.placeholder(dtype, [None], name="b")
        metarun.raw_ops.Div(x=a, y=b, name="q")
    model = metarun.onnx.export(g.as_graph_def(), outputs=["q:0"])
    x = np.array([-7, 7, -7, 7, 0, -9, 9, -1, 5], dtype)
    y = np.array([2, -2, -2, 2, 3, 3, -4, 7, -5], dtype)
    got, = _session(model).run(None, {"a:0": x, "b:0": y})
    _compare(got, (np.trunc(x / y)).astype(dtype), "q")
    np.testing.assert_array_equal(got[:3], [-3, -3, 3])


def test_function_call_result_as_an_input_keeps_its_name():
    # cutting the graph at a tf.function call's result: the call is lowered away, the ONNX
    # input is still named as asked, and what reads it reads the fed value
    meta = os.path.join(FIX, "v2_functions", "model.meta")
    model = metarun.onnx.export(meta, inputs=["StatefulPartitionedCall:0"],
                                outputs=["called:0"])
    assert [i.name for i in model.graph.input] == ["StatefulPartitionedCall:0"]
    fed = np.arange(4, dtype=np.float32)
    got, = _session(model).run(None, {"StatefulPartitionedCall:0": fed})
    np.testing.assert_array_equal(got, fed)
