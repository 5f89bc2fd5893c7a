"""The fused recurrent-cell ops of tf.contrib.rnn (cpp/kernels/rnn_block_ops.cpp, gru_block_ops.cpp):
LSTMBlockCell, BlockLSTM, BlockLSTMV2, GRUBlockCell and their Grad ops, against TF
(fixtures/kernels/rnn_block.npz, gen_rnn_block.py), imported as a saved TF 1.x graph holds them;
tf.gradients through BlockLSTM/BlockLSTMV2 against TF's; the LookupError TF 2.x raises for
the cells whose gradients lived in tf.contrib; the static shapes against those of TF's outputs.
"""
import builtins
import json

import numpy as np
import pytest

import metarun as tf
from metarun import errors
from metarun.framework import dtypes, protos
from op_harness import kernel_fixture, load_npz

_DATA = load_npz(kernel_fixture("rnn_block.npz"))
_ALL = sorted(k[:-len("/meta")] for k in _DATA.files if k.endswith("/meta"))
_OP_CASES = [c for c in _ALL if not c.startswith(("tfgrad_", "nograd_"))]
_TFGRAD_CASES = [c for c in _ALL if c.startswith("tfgrad_")]
_NOGRAD_CASES = [c for c in _ALL if c.startswith("nograd_")]
_N_OUT = {"LSTMBlockCell": 7, "LSTMBlockCellGrad": 5, "BlockLSTM": 7, "BlockLSTMV2": 7, "BlockLSTMGrad": 8,
          "BlockLSTMGradV2": 8, "GRUBlockCell": 4, "GRUBlockCellGrad": 4}
OPS = sorted(_N_OUT)
COVERAGE = {op: set() for op in OPS}
for _c in _OP_CASES:
    _m = json.loads(str(_DATA[_c + "/meta"]))
    if "error" not in _m:
        COVERAGE[_m["op"]].add(_m["dtype"])
# The products differ from Eigen's in summation order, the activations from Eigen's in the
# last bits; float16 rounds like Eigen::half after each operation but multiplies in float.
# Tolerances relative to the largest magnitude of each output.
_LSTM_IN = ["x", "cs_prev", "h_prev", "w", "wci", "wcf", "wco", "b"]
_GRU_IN = ["x", "h_prev", "w_ru", "w_c", "b_ru", "b_c"]
_INPUT_NAMES = {
    "LSTMBlockCell": _LSTM_IN, "LSTMBlockCellGrad": _LSTM_IN + ["i", "cs", "f", "o", "ci", "co", "cs_grad", "h_grad"],
    "BlockLSTM": ["seq_len_max"] + _LSTM_IN,
    "BlockLSTMGrad": ["seq_len_max"] + _LSTM_IN + ["i", "cs", "f", "o", "ci", "co", "h", "cs_grad", "h_grad"],
    "GRUBlockCell": _GRU_IN, "GRUBlockCellGrad": _GRU_IN + ["r", "u", "c", "d_h"]}
_INPUT_NAMES["BlockLSTMV2"] = _INPUT_NAMES["BlockLSTM"]
_INPUT_NAMES["BlockLSTMGradV2"] = _INPUT_NAMES["BlockLSTMGrad"]
_TOL = {"float32": 2e-6, "float16": 4e-3}
_GRAD_TOL = 1e-5


def _meta(case):
    return json.loads(str(_DATA[case + "/meta"]))


def _inputs(case):
    k, out = 0, []
    while "%s/in%d" % (case, k) in _DATA:
        out.append(_DATA["%s/in%d" % (case, k)])
        k += 1
    return out


def _graph_def(m, inputs):
    gd = protos.GraphDef()
    for k, v in enumerate(inputs):
        ph = gd.node.add(name="in%d" % k, op="Placeholder")
        ph.attr["dtype"].type = dtypes.as_dtype(v.dtype).as_datatype_enum
    node = gd.node.add(name="op", op=m["op"])
    node.input.extend("in%d" % k for k in range(len(inputs)))
    node.attr["T"].type = dtypes.as_dtype(m["dtype"]).as_datatype_enum
    for name, value in m["attrs"].items():
        if isinstance(value, bool):
            node.attr[name].b = value
        else:
            node.attr[name].f = value
    return gd


def _assert_close(got, want, tol, what):
    assert got.dtype == want.dtype and got.shape == want.shape, what
    g, w = got.astype(np.float64), want.astype(np.float64)
    scale = max(1.0, float(np.max(np.abs(w)))) if w.size else 1.0
    np.testing.assert_allclose(g, w, rtol=tol, atol=tol * scale, err_msg=what)


@pytest.mark.parametrize("case", _OP_CASES)
def test_matches_tf(case):
    m, inputs = _meta(case), _inputs(case)
    n_out = _N_OUT[m["op"]]
    with tf.Graph().as_default():
        tf.import_graph_def(_graph_def(m, inputs), name="")
        feeds = {"in%d:0" % k: v for k, v in enumerate(inputs)}
        with tf.Session() as sess:
            fetches = ["op:%d" % k for k in range(n_out)]
            if "error" in m:
                with pytest.raises(getattr(errors, m["error"])) as info:
                    sess.run(fetches, feeds)
                assert m["message"] in str(info.value)
                assert sess.run(tf.constant(2.0) * 3.0) == 6.0  # the session still runs
                return
            got = sess.run(fetches, feeds)
    valid = m.get("valid_steps")
    for k, g in enumerate(got):
        want = _DATA["%s/out%d" % (case, k)]
        if valid is not None and m["op"].startswith("BlockLSTM") and not m["op"].endswith(("Grad", "GradV2")) \
                and k not in (1, 6):
            # TF leaves i, f, o, ci, co of the steps past seq_len_max unwritten; they are zeros here.
            assert not np.any(g[valid:]), "%s output %d past seq_len_max" % (case, k)
            g, want = g[:valid], want[:valid]
        if m["op"].startswith("BlockLSTMGrad") and k == 3 and inputs[1].shape[1] == 0:
            # An empty batch: TF's w_grad holds whatever its product over no rows left there;
            # the sum over no rows is zero.
            assert not np.any(g), case
            continue
        _assert_close(g, want, _TOL[m["dtype"]], "%s output %d" % (case, k))


@pytest.mark.parametrize("case", _TFGRAD_CASES)
def test_gradients_through_block_lstm_match_tf(case):
    m, inputs = _meta(case), _inputs(case)
    with tf.Graph().as_default():
        tf.import_graph_def(_graph_def(m, inputs), name="")
        g = tf.get_default_graph()
        phs = [g.get_tensor_by_name("in%d:0" % k) for k in range(9)]
        cs, h = g.get_tensor_by_name("op:1"), g.get_tensor_by_name("op:6")
        dxs = tf.gradients([h, cs], phs[1:], grad_ys=[tf.constant(_DATA[case + "/h_grad"]),
                                                       tf.constant(_DATA[case + "/cs_grad"])])
        assert sorted({t.op.type for t in dxs}) == m["grad_ops"]  # BlockLSTMGrad, for V2 too, as in TF
        with tf.Session() as sess:
            got = sess.run(dxs, dict(zip(phs, inputs)))
    for k, v in enumerate(got):
        _assert_close(v, _DATA["%s/out%d" % (case, k)], _GRAD_TOL, "%s gradient %d" % (case, k))


@pytest.mark.parametrize("case", _NOGRAD_CASES)
def test_cells_without_a_registered_gradient_raise_as_tf(case):
    m = _meta(case)
    if m["op"] == "LSTMBlockCell":
        inputs = _inputs("cell_float32_2x3x4_nopeep_clip3_fb1")
    else:
        inputs = _inputs("gru_2x3x4")
    with tf.Graph().as_default():
        tf.import_graph_def(_graph_def(m, inputs), name="")
        g = tf.get_default_graph()
        with pytest.raises(getattr(builtins, m["error"])) as info:
            tf.gradients(g.get_tensor_by_name("op:%d" % (_N_OUT[m["op"]] - 1)), g.get_tensor_by_name("in0:0"))
    assert m["message"] in str(info.value)


def test_seq_len_max_past_the_time_dimension_is_refused():
    # TF 2.21 aborts its process here; the kernel refuses it instead.
    for case, k in (("block_V1_float32_t5_2x3x4_seq5_nopeep", 0), ("blockgrad_V1_float32_t5_2x3x4_seq5_nopeep", 0)):
        m, inputs = _meta(case), _inputs(case)
        for bad_len in (6, -1):
            inputs[k] = np.array(bad_len, np.int64)
            with tf.Graph().as_default():
                tf.import_graph_def(_graph_def(m, inputs), name="")
                with tf.Session() as sess:
                    with pytest.raises(errors.InvalidArgumentError) as info:
                        sess.run("op:0", {"in%d:0" % j: v for j, v in enumerate(inputs)})
                    assert "seq_len_max must be between 0 and 5 but is %d" % bad_len in str(info.value)
                    assert sess.run(tf.constant(2.0) * 3.0) == 6.0


def test_block_grad_refuses_mismatched_saved_outputs():
    # TF reads these unchecked; here a wrong shape is an InvalidArgumentError, not a stray read.
    case = "blockgrad_V1_float32_t5_2x3x4_seq5_peep"
    m, inputs = _meta(case), _inputs(case)
    for k, shape in ((10, (5, 2, 3)), (2, (3, 4)), (5, (3,)), (17, (4, 2, 4))):
        bad = list(inputs)
        bad[k] = np.zeros(shape, np.float32)
        with tf.Graph().as_default():
            tf.import_graph_def(_graph_def(m, bad), name="")
            with tf.Session() as sess:
                with pytest.raises(errors.InvalidArgumentError):
                    sess.run("op:0", {"in%d:0" % j: v for j, v in enumerate(bad)})


@pytest.mark.parametrize("case", ["cell_float32_5x7x3_peep_clip0.5_fb1", "cellgrad_float16_2x3x4_peep_clip3_fb1",
                                  "block_V2_float32_t6_3x5x2_seq3_peep", "blockgrad_V1_float16_t5_2x3x4_seq5_nopeep",
                                  "gru_5x7x3", "grugrad_2x3x4"])
def test_static_shapes_are_those_of_tf_outputs(case):
    m, inputs = _meta(case), _inputs(case)
    with tf.Graph().as_default():
        names = _INPUT_NAMES[m["op"]]
        phs = [tf.placeholder(dtypes.as_dtype(v.dtype), v.shape) for v in inputs]
        outs = getattr(tf.raw_ops, m["op"])(**dict(zip(names, phs)), **m["attrs"])
        for k, t in enumerate(outs):
            assert t.shape.as_list() == list(_DATA["%s/out%d" % (case, k)].shape), (case, k)
        # Inputs of unknown shape leave the outputs' shapes partly known, never refused.
        unknown = [tf.placeholder(dtypes.as_dtype(v.dtype), None) for v in inputs]
        for k, t in enumerate(getattr(tf.raw_ops, m["op"])(**dict(zip(names, unknown)), **m["attrs"])):
            assert t.shape.is_compatible_with(_DATA["%s/out%d" % (case, k)].shape), (case, k)
