"""metarun.onnx.export and `metarun export`: TF-made graphs (tests/fixtures/onnx, written by
gen_onnx.py with TensorFlow) exported by metarun and run by onnxruntime must give TensorFlow's
values; graphs with control flow must fail naming the op types."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import metarun
import metarun.onnx
from onnx_support import import_onnx, session as _session
from metarun import cli

onnx = ort = None


@pytest.fixture(autouse=True, scope="module")
def _onnx_modules():
    # imported when these tests run, not when pytest collects every test module
    global onnx, ort
    onnx, ort = import_onnx(FIX, ARRAYS)

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures", "onnx")
with open(os.path.join(FIX, "cases.json")) as _f:
    CASES = json.load(_f)
ARRAYS = {}  # TF's feeds and outputs, read when the tests run
EXPORTABLE = sorted(k for k, v in CASES.items() if "random" not in v)
REALWORLD = os.path.join(HERE, "..", "..", "shared", "realworld")


def _check(name, session, fetches=None):
    case = CASES[name]
    fetches = fetches or case["fetches"]
    for k in range(case["sets"]):
        feeds = {t: ARRAYS["%s/%s@%d" % (name, t, k)] for t in case["feeds"]
                 if t in {i.name for i in session.get_inputs()}}
        got = session.run(fetches, feeds)
        for t, v in zip(fetches, got):
            want = ARRAYS["%s/%s@%d" % (name, t, k)]
            assert v.shape == want.shape, (t, v.shape, want.shape)
            if want.dtype.kind == "f":
                assert v.dtype == want.dtype, t
                np.testing.assert_allclose(v, want, rtol=1e-5, atol=1e-5, err_msg=t)
            else:
                assert v.dtype == want.dtype, (t, v.dtype, want.dtype)
                np.testing.assert_array_equal(v, want, err_msg=t)


@pytest.mark.parametrize("name", EXPORTABLE)
def test_export_matches_tf(name):
    case = CASES[name]
    model = metarun.onnx.export(os.path.join(FIX, name, "model.meta"), outputs=case["fetches"])
    assert [o.name for o in model.graph.output] == case["fetches"]
    assert sorted(i.name for i in model.graph.input) == sorted(
        t for t in case["feeds"] if t != "d:0")
    _check(name, _session(model))


def test_names_and_symbolic_batch():
    model = metarun.onnx.export(os.path.join(FIX, "mlp", "model.meta"), outputs=["probs"])
    inp, = model.graph.input
    out, = model.graph.output
    assert inp.name == "x:0" and out.name == "probs:0"
    dims = inp.type.tensor_type.shape.dim
    assert dims[0].dim_param and not dims[0].HasField("dim_value") and dims[1].dim_value == 20
    assert CASES["mlp"]["sets"] == 2  # batch 3 and batch 5 through one model
    _check("mlp", _session(model))


def test_fusions():
    ops = [n.op_type for n in metarun.onnx.export(
        os.path.join(FIX, "mlp", "model.meta"), outputs=["probs"]).graph.node]
    assert ops == ["Gemm", "Relu", "Gemm", "Softmax"]
    ops = [n.op_type for n in metarun.onnx.export(
        os.path.join(FIX, "cnn", "model.meta"), outputs=["logits"]).graph.node]
    # bias add and batch norm folded into the convs; the NHWC layers run as one NCHW block
    assert ops.count("Conv") == 2 and ops.count("Transpose") == 2, ops
    assert "Mul" not in ops and "Add" not in ops and ops[-1] == "Gemm", ops
    ops = [n.op_type for n in metarun.onnx.export(
        os.path.join(FIX, "gray_cnn", "model.meta"), outputs=["logits"]).graph.node]
    # one channel: NHWC -> NCHW moves a dimension of size 1 only, a Reshape
    assert ops[:2] == ["Reshape", "Conv"] and ops.count("Transpose") == 1, ops


def test_cut_at_internal_input():
    name = "mlp"
    hidden = "Relu:0"
    model = metarun.onnx.export(os.path.join(FIX, name, "model.meta"), inputs=[hidden],
                                outputs=["probs:0"])
    assert [i.name for i in model.graph.input] == [hidden]
    full = metarun.onnx.export(os.path.join(FIX, name, "model.meta"),
                               outputs=["probs:0", hidden])
    x = ARRAYS["mlp/x:0@0"]
    probs, h = _session(full).run(None, {"x:0": x})
    got, = _session(model).run(None, {hidden: h})
    np.testing.assert_allclose(got, ARRAYS["mlp/probs:0@0"], rtol=1e-5, atol=1e-6)


def _string_graph():
    """A graph with an op ONNX has no counterpart for (StringJoin)."""
    g = metarun.Graph()
    with g.as_default():
        a = metarun.placeholder(metarun.string, [None], name="a")
        metarun.strings.join([a, a], separator="-", name="joined")
    return g


def test_unmapped_ops_are_refused_naming_op_types(tmp_path):
    path = tmp_path / "g.pb"
    path.write_bytes(_string_graph().as_graph_def().SerializeToString())
    with pytest.raises(metarun.onnx.UnsupportedOpsError) as info:
        metarun.onnx.export(str(path), outputs=["joined:0"], path=str(tmp_path / "out.onnx"))
    assert info.value.op_types == ["StringJoin"]
    assert "StringJoin" in str(info.value) and "joined" in str(info.value)
    assert not os.path.exists(tmp_path / "out.onnx")


def test_refuses_what_it_cannot_map_exactly():
    g = metarun.Graph()
    with g.as_default():
        x = metarun.placeholder(metarun.float32, [None, 4, 5], name="x")
        idx = metarun.placeholder(metarun.int32, [None, 2], name="idx")
        metarun.identity(x[:, metarun.newaxis, 1:], name="y")
        metarun.gather(x, idx, axis=1, batch_dims=1, name="g")
    with pytest.raises(ValueError, match="batch_dims"):
        metarun.onnx.export(g.as_graph_def(), outputs=["g:0"])
    with pytest.raises(ValueError, match="opset"):
        metarun.onnx.export(g.as_graph_def(), outputs=["y:0"], opset=9)


def test_writes_file_and_cli(tmp_path):
    out = tmp_path / "cnn.onnx"
    code = cli.main(["export", os.path.join(FIX, "cnn", "model.meta"), "--onnx", str(out),
                     "--outputs", "logits"])
    assert code == 0
    _check("cnn", _session(onnx.load(str(out))))
    # default outputs are inspect's likely outputs, as for freeze
    out2 = tmp_path / "mlp.onnx"
    assert cli.main(["export", os.path.join(FIX, "mlp", "model.meta"), "--onnx", str(out2),
                     "--opset", "13"]) == 0
    model = onnx.load(str(out2))
    assert [o.name for o in model.graph.output] == ["probs:0"]
    assert model.opset_import[0].version == 13
    _check("mlp", _session(model))


def test_cli_refusal_and_usage(tmp_path, capsys):
    out = tmp_path / "w.onnx"
    graph = tmp_path / "g.pb"
    graph.write_bytes(_string_graph().as_graph_def().SerializeToString())
    code = cli.main(["export", str(graph), "--onnx", str(out), "--outputs", "joined"])
    assert code == 3
    err = capsys.readouterr().err
    assert "StringJoin" in err and "Traceback" not in err
    assert not out.exists()
    assert cli.main(["export", os.path.join(FIX, "mlp", "model.meta"), "--onnx", str(out),
                     "--outputs", "nope"]) == 2
    assert cli.main(["export", str(tmp_path / "missing.meta"), "--onnx", str(out)]) == 2


def test_missing_onnx_message():
    code = ("import sys; sys.modules['onnx'] = None\n"
            "import metarun.onnx\n"
            "try:\n    metarun.onnx.export('x.meta')\n"
            "except ImportError as e:\n    print(e)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert 'pip install "metarun[onnx]"' in out.stdout, out.stderr
    # importing metarun does not import onnx
    out = subprocess.run([sys.executable, "-c", "import sys, metarun; print('onnx' in sys.modules)"],
                         capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "False", out.stderr


def _realworld_cases():
    if not os.path.isdir(REALWORLD):
        return []
    return sorted(d for d in os.listdir(REALWORLD) if os.path.isfile(
        os.path.join(REALWORLD, d, "case.json")))


EXPECTED_REALWORLD = {"banknotes_mlp_adam", "cartpole_dqn_rmsprop", "char_lstm_trump",
                      "houseprices_dropout_cond", "lenet_mnist_contrib", "lstm_static_rnnrepo",
                      "lstm_timeseries", "nxt_mlp_v1", "pos_simplernn_resource",
                      "traffic_sign_lenet", "vocal_autoencoder_v1", "xor_mlp_sgd"}


@pytest.mark.parametrize("name", _realworld_cases() or ["(no shared/realworld)"])
def test_realworld(name):
    if name.startswith("("):
        pytest.skip("shared/realworld is not beside the checkout")
    folder = os.path.join(REALWORLD, name)
    with open(os.path.join(folder, "case.json")) as f:
        case = json.load(f)
    arrays = np.load(os.path.join(folder, "arrays.npz"))
    step = [s for s in case["steps"] if "run" in s and None not in s["expect"]][0]
    try:
        model = metarun.onnx.export(os.path.join(folder, case["import"]["meta"]),
                                    inputs=sorted(step["feeds"]), outputs=step["run"])
    except metarun.onnx.UnsupportedOpsError:
        assert name not in EXPECTED_REALWORLD
        return
    assert name in EXPECTED_REALWORLD
    sess = _session(model)
    got = sess.run(step["run"], {t: arrays[k] for t, k in step["feeds"].items()})
    for v, key in zip(got, step["expect"]):
        want = arrays[key]
        if want.dtype.kind == "f":
            np.testing.assert_allclose(v, want, rtol=step.get("rtol", 1e-5),
                                       atol=step.get("atol", 1e-5))
        else:
            np.testing.assert_array_equal(v, want)


def test_frozen_graph_def_file():
    # TF's own frozen GraphDef (tests/fixtures/frozen, written by gen_frozen.py)
    folder = os.path.join(HERE, "fixtures", "frozen", "ref_mlp")
    arrays = np.load(os.path.join(folder, "arrays.npz"))
    model = metarun.onnx.export(os.path.join(folder, "frozen.pb"), outputs=["out:0"])
    got, = _session(model).run(None, {"x:0": arrays["feed/x:0"]})
    np.testing.assert_allclose(got, arrays["frozen/out:0"], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="outputs"):
        metarun.onnx.export(os.path.join(folder, "frozen.pb"))


@pytest.mark.parametrize("name", ["simple", "resource"])
def test_saved_model_signature_outputs(name, tmp_path):
    # TF-made SavedModels (gen_saved_model.py): the outputs default to the signature's
    folder = os.path.join(HERE, "fixtures", "saved_model", "tf_made")
    with open(os.path.join(folder, "expected.json")) as f:
        expected = json.load(f)[name]
    sig = expected["signatures"]["serve"]["serving_default"]
    feeds = {sig["inputs"][k]["name"]: np.asarray(v["value"], v["dtype"]).reshape(v["shape"])
             for k, v in expected["feeds"]["serve"].items()}
    out = tmp_path / "m.onnx"
    assert cli.main(["export", os.path.join(folder, name), "--onnx", str(out)]) == 0
    model = onnx.load(str(out))
    keys = sorted(sig["outputs"])
    assert [o.name for o in model.graph.output] == [sig["outputs"][k]["name"] for k in keys]
    got = _session(model).run(None, feeds)
    for k, v in zip(keys, got):
        want = sig["values"][k]
        np.testing.assert_allclose(v, np.asarray(want["value"], want["dtype"]).reshape(
            want["shape"]), rtol=1e-5, atol=1e-6)


def test_cli_inputs_cut(tmp_path):
    out = tmp_path / "tail.onnx"
    assert cli.main(["export", os.path.join(FIX, "mlp", "model.meta"), "--onnx", str(out),
                     "--inputs", "Relu:0", "--outputs", "probs:0"]) == 0
    model = onnx.load(str(out))
    assert [i.name for i in model.graph.input] == ["Relu:0"]
    assert [n.op_type for n in model.graph.node] == ["Gemm", "Softmax"]


# Mapped op types no TF 2.21 graph builder writes any more (kept for older graphs).
NOT_IN_FIXTURES = {"BiasAddV1", "PlaceholderV2", "PreventGradient"}


def test_every_mapped_op_type_is_in_a_fixture():
    from metarun.framework import importer
    from metarun.onnx import _ops
    seen = set()
    for name in CASES:
        meta = importer.read_meta_graph_file(os.path.join(FIX, name, "model.meta"))
        seen |= {n.op for n in meta.graph_def.node}
    from metarun.onnx import _ops_nn, _ops_shapes
    modules = {_ops.__name__, _ops_nn.__name__, _ops_shapes.__name__}
    here = {op for op, fn in _ops.HANDLERS.items() if fn.__module__ in modules}
    assert here - seen == NOT_IN_FIXTURES
    from metarun.onnx import _control_flow, _lower
    assert metarun.onnx.supported_op_types() == sorted(
        set(_ops.HANDLERS) | _control_flow.PRIMITIVES | _lower.LOWERED)


@pytest.mark.parametrize("opset", [13, 18, 21])
@pytest.mark.parametrize("name", ["reductions", "slicing", "cnn", "shapes"])
def test_other_opsets(name, opset):
    # opset 18 moved the reductions' axes to an input; opset 13 has no Reshape allowzero
    fetches = CASES[name]["fetches"]
    if opset < 14:
        fetches = [f for f in fetches if f not in ("reshape_dynamic:0", "reshape_zero:0")]
    model = metarun.onnx.export(os.path.join(FIX, name, "model.meta"), outputs=fetches,
                                opset=opset)
    assert model.opset_import[0].version == opset
    _check(name, _session(model), fetches)
    if name == "shapes" and opset < 14:
        with pytest.raises(ValueError, match="opset 14"):
            metarun.onnx.export(os.path.join(FIX, name, "model.meta"),
                                outputs=["reshape_dynamic:0"], opset=opset)


def test_softmax_xent_outputs():
    # the loss alone is exported without the backprop's nodes, and with it without the loss's
    meta = os.path.join(FIX, "xent", "model.meta")
    loss = metarun.onnx.export(meta, outputs=["sparse_loss:0"])
    ops = [n.op_type for n in loss.graph.node]
    assert "LogSoftmax" in ops and "Softmax" not in ops, ops
    grad = metarun.onnx.export(meta, outputs=["sparse_backprop:0"])
    ops = [n.op_type for n in grad.graph.node]
    assert "Softmax" in ops and "LogSoftmax" not in ops, ops
    _check("xent", _session(loss), ["sparse_loss:0"])
    _check("xent", _session(grad), ["sparse_backprop:0"])
    # the large logits overflow exp unless shifted: TF's values are finite and so are ours
    assert np.isfinite(ARRAYS["xent/sparse64_loss:0@0"]).all()


def _ops_of(model):
    return [n.op_type for n in model.graph.node]


def test_dilated_convs_become_one_conv():
    meta = os.path.join(FIX, "dilated", "model.meta")
    for out, dilations in (("atrous_same:0", [2, 2]), ("atrous_valid:0", [2, 2]),
                           ("depthwise_same:0", [2, 2]), ("depthwise_rate23:0", [2, 3])):
        model = metarun.onnx.export(meta, outputs=[out])
        assert _ops_of(model) == ["Transpose", "Conv", "Transpose"], (out, _ops_of(model))
        conv = model.graph.node[1]
        assert onnx.helper.get_attribute_value(
            [a for a in conv.attribute if a.name == "dilations"][0]) == dilations
        _check("dilated", _session(model), [out])
    # with the bias and relu after it, the block stays one NCHW conv with its bias folded
    model = metarun.onnx.export(meta, outputs=["atrous_rate3:0"])
    assert _ops_of(model) == ["Transpose", "Conv", "Relu", "Transpose"], _ops_of(model)
    # SpaceToBatchND and BatchToSpaceND on their own: reshapes and transposes
    model = metarun.onnx.export(meta, outputs=["space_to_batch:0", "batch_to_space_crops:0"])
    assert "SpaceToDepth" not in _ops_of(model) and "Conv" not in _ops_of(model)
    _check("dilated", _session(model), ["space_to_batch:0", "batch_to_space_crops:0"])


def test_random_ops_draw_tf_distributions():
    case = CASES["random"]
    model = metarun.onnx.export(os.path.join(FIX, "random", "model.meta"),
                                outputs=case["fetches"])
    feeds = {"x:0": ARRAYS["random/x:0@0"]}
    got = dict(zip(case["fetches"], _session(model).run(case["fetches"], feeds)))
    for t, v in got.items():
        shape, dtype = case["random"][t]  # of TF's draws
        assert list(v.shape) == shape and v.dtype == dtype, (t, v.shape, shape)
    for t, bits in (("uniform:0", 23), ("uniform64:0", 52)):
        u = got[t]
        assert u.min() >= 0 and u.max() < 1, t
        # TF's draws are multiples of 2**-bits (its mantissa), and so are these
        np.testing.assert_array_equal(np.floor(u * 2.0 ** bits), u * 2.0 ** bits)
        assert abs(u.mean() - 0.5) < 0.01 and abs(u.std() - 12 ** -0.5) < 0.01, t
    for t in ("normal:0", "normal64:0"):
        z = got[t]
        assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02, t
    k = got["uniform_int:0"]
    assert sorted(np.unique(k)) == list(range(-3, 7))  # TF's [minval, maxval), every value
    assert abs(np.mean(k == 6) - 0.1) < 0.01
    assert sorted(np.unique(got["uniform_int64:0"])) == [2, 3, 4]
    # each run draws anew; an op seeded in TF repeats its draws from one session to the next
    sess = _session(model)
    first = dict(zip(case["fetches"], sess.run(case["fetches"], feeds)))
    second = dict(zip(case["fetches"], sess.run(case["fetches"], feeds)))
    for t in case["fetches"]:
        assert not np.array_equal(first[t], second[t]), t
    np.testing.assert_array_equal(first["uniform:0"], got["uniform:0"])
    np.testing.assert_array_equal(first["normal:0"], got["normal:0"])
    seeds = [a.f for n in model.graph.node for a in n.attribute if a.name == "seed"]
    assert len(seeds) == 2 and seeds[0] != seeds[1]


def test_dropout_keeps_and_scales():
    case = CASES["dropout"]
    model = metarun.onnx.export(os.path.join(FIX, "dropout", "model.meta"),
                                outputs=case["fetches"])
    sess = _session(model)
    _check("dropout", sess)  # keep_prob 1.0: TF's values exactly
    x = ARRAYS["dropout/x:0@0"]
    for t, v in zip(case["fetches"], sess.run(case["fetches"], {
            "x:0": x, "keep_prob:0": np.array(0.5, np.float32)})):
        kept = v != 0
        assert abs(kept.mean() - 0.5) < 0.02, t
        np.testing.assert_array_equal(v[kept], x[kept] * 2, err_msg=t)


def test_unmapped_random_ops_are_refused():
    g = metarun.Graph()
    with g.as_default():
        x = metarun.placeholder(metarun.float32, [None, 3], name="x")
        metarun.identity(x + metarun.truncated_normal([3]), name="y")
        metarun.identity(metarun.cast(x, metarun.float16) +
                         metarun.random_uniform([3], dtype=metarun.float16), name="h")
    with pytest.raises(metarun.onnx.UnsupportedOpsError, match="TruncatedNormal"):
        metarun.onnx.export(g.as_graph_def(), outputs=["y:0"])
    with pytest.raises(ValueError, match="float16"):
        metarun.onnx.export(g.as_graph_def(), outputs=["h:0"])
