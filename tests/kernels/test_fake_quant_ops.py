"""FakeQuantWithMinMaxArgs/Vars/VarsPerChannel and their *Gradient ops, QuantizeAndDequantizeV2/
V3/V4 and V4Grad (cpp/kernels/fake_quant_ops.cpp), their gradients (ops/fake_quant_grad.py) and
the tf.quantization / tf.fake_quant_* functions (ops/fake_quant_ops.py).

Expected values come from TF-made cases (fixtures/kernels/fake_quant.npz, see gen_fake_quant.py):
kernel outputs bit for bit (NaN signs and signed zeros included) with TF's error messages,
tf.gradients through the public API, and the nodes that API adds to the graph.
"""
import json

import numpy as np
import pytest

import metarun as tf
from metarun import _core
from metarun.framework import dtypes
from op_harness import (Case, assert_covers_registry, assert_matches, check_case, coverage, expect_error,
                        kernel_fixture, load_npz, node_attrs_json, params, run_op)

OPS = ["FakeQuantWithMinMaxArgs", "FakeQuantWithMinMaxArgsGradient", "FakeQuantWithMinMaxVars",
       "FakeQuantWithMinMaxVarsGradient", "FakeQuantWithMinMaxVarsPerChannel",
       "FakeQuantWithMinMaxVarsPerChannelGradient", "QuantizeAndDequantizeV2", "QuantizeAndDequantizeV3",
       "QuantizeAndDequantizeV4", "QuantizeAndDequantizeV4Grad"]
_DATA = load_npz(kernel_fixture("fake_quant.npz"))
_META = json.loads(str(_DATA["meta"]))
_BLOB = _DATA["blob"].tobytes()


def _array(key):
    a = _META["arrays"][key]
    return np.frombuffer(_BLOB[a["off"]:a["off"] + a["len"]], dtype=np.dtype(a["dtype"])).reshape(a["shape"]).copy()


def _attr(v):
    (kind, val), = v.items()
    return dtypes.as_dtype(val) if kind == "type" else val


def _cases():
    out = []
    for k, c in enumerate(_META["cases"]):
        attrs = {n: _attr(v) for n, v in c["attrs"].items()}
        out.append(Case(name=c["name"], op=c["op"], inputs=[_array("c%d_i%d" % (k, j)) for j in range(len(c["inputs"]))],
                        attrs=attrs, out_dtypes=[dtypes.as_dtype(d) for d in c["out_dtypes"]],
                        outputs=[_array(key) for key in c["outputs"]],
                        error=tuple(c["error"]) if "error" in c else None,
                        dtype=c["attrs"]["T"]["type"] if "T" in c["attrs"] else "float32"))
    return out


CASES = _cases()
COVERAGE = coverage(CASES, OPS)


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case):
    check_case(case)


@pytest.mark.parametrize("case", params([c for c in CASES if "sum_3001" in c.name or "axis" in c.name]))
def test_tf_case_threaded(case):
    check_case(case, num_threads=4)


def test_coverage():
    assert_covers_registry(COVERAGE)


def test_fixture_covers_the_hard_parts():
    names = [c.name for c in CASES]
    for op in OPS:
        mine = [c for c in CASES if c.op == op]
        assert any(c.error is None and any(0 in x.shape for x in c.inputs) for c in mine), "%s: no empty case" % op
        assert any(c.error is not None for c in mine), "%s: no error case" % op
    assert any("HALF_UP" in n for n in names) and any("narrow" in n for n in names)
    assert sum(c.error is not None for c in CASES) >= 60
    # ties: some TF output differs between the two round modes
    even = {c.name.replace("HALF_TO_EVEN", ""): c for c in CASES if "HALF_TO_EVEN" in c.name and c.error is None}
    up = {c.name.replace("HALF_UP", ""): c for c in CASES if "HALF_UP" in c.name and c.error is None}
    assert any(not np.array_equal(even[k].outputs[0], up[k].outputs[0]) for k in even if k in up)


def _numpy_fake_quant_vars(x, mn, mx, qmin, qmax):
    """TF's documented FakeQuantWithMinMaxVars formula in float32 numpy steps."""
    f = np.float32
    mn, mx, qmin, qmax = f(mn), f(mx), f(qmin), f(qmax)
    scale = (mx - mn) / (qmax - qmin)
    inv = (qmax - qmin) / (mx - mn)
    # 127.5 for [-1, 1]: rounding away from zero (TF) and to even (numpy) both give 128
    zp = np.clip(np.round(qmin - mn / scale), qmin, qmax).astype(np.float32)
    lo, hi = (qmin - zp) * scale, (qmax - zp) * scale
    quant_zero = np.floor(-lo * inv + f(0.5))
    return (np.floor((np.clip(x, lo, hi) - lo) / scale - quant_zero + f(0.5)) * scale).astype(np.float32)


# -- errors leave the session usable -----------------------------------------------------------

def test_errors_then_session_runs():
    x = np.float32([-7, -1, 0, 0.3, 5, 7])
    _, (out,) = expect_error("FakeQuantWithMinMaxVars", [x, np.float32([-1]), np.float32(1)],
                             [x, np.float32(-1), np.float32(1)], {"num_bits": 8, "narrow_range": False})
    assert_matches(out, _numpy_fake_quant_vars(x, -1.0, 1.0, 0, 255))
    _, (out, dmin, dmax) = expect_error("QuantizeAndDequantizeV4Grad", [x, x[:2], np.float32(-1), np.float32(1)],
                             [x, x, np.float32(-1), np.float32(1)], {"T": dtypes.float32, "axis": -1},
                             out_dtypes=[dtypes.float32] * 3)
    assert_matches(out, x * ((x >= -1) & (x <= 1)).astype(np.float32))
    assert dmin == 0 and dmax == 0


def test_per_channel_rank0_is_an_error_not_a_crash():
    # TF's kernel indexes dim -1 of a scalar (a check failure); metarun refuses it.
    with pytest.raises(_core.StatusError) as info:
        run_op("FakeQuantWithMinMaxVarsPerChannel", [np.float32(1), np.float32([-1]), np.float32([1])],
               {"num_bits": 8, "narrow_range": False})
    assert info.value.args[0] == 3


def test_v3_axis_below_minus_one_is_an_error():
    x = np.ones([2, 3], np.float32)
    with pytest.raises(_core.StatusError) as info:
        run_op("QuantizeAndDequantizeV3", [x, np.float32(-1), np.float32(1), np.int32(8)],
               {"T": dtypes.float32, "axis": -2, "signed_input": True, "range_given": False, "narrow_range": False})
    assert info.value.args[0] == 3


# -- the public API: nodes and gradients against TF's ----------------------------------------------

_FNS = {
    "fake_quant_with_min_max_args": tf.quantization.fake_quant_with_min_max_args,
    "fake_quant_with_min_max_vars": tf.quantization.fake_quant_with_min_max_vars,
    "fake_quant_with_min_max_vars_per_channel": tf.quantization.fake_quant_with_min_max_vars_per_channel,
    "quantize_and_dequantize": tf.quantization.quantize_and_dequantize,
    "quantize_and_dequantize_v2": tf.quantization.quantize_and_dequantize_v2,
}



@pytest.mark.parametrize("k,g", [pytest.param(k, g, id=g["name"]) for k, g in enumerate(_META["grads"])])
def test_api_nodes_and_gradients_match_tf(k, g):
    with tf.Graph().as_default() as graph:
        inputs = [_array("g%d_i%d" % (k, j)) for j in range(len(g["inputs"]))]
        phs = [tf.placeholder(dtypes.as_dtype(dt), shape=np.shape(v), name="in%d" % j)
               for j, (v, dt) in enumerate(zip(inputs, g["inputs"]))]
        before = {op.name for op in graph.get_operations()}
        y = _FNS[g["fn"]](*phs, **g["kwargs"])
        nodes = [[op.name, op.type, node_attrs_json(op)] for op in graph.get_operations() if op.name not in before]
        assert nodes == g["nodes"]
        dy = _array("g%d_dy" % k)
        ds = tf.gradients(tf.reduce_sum(y * dy), [phs[j] for j in g["wrt"]])
        with tf.Session() as sess:
            out = sess.run([y] + ds, dict(zip(phs, inputs)))
    assert_matches(out[0], _array("g%d_y" % k), what="y")
    for j, got in enumerate(out[1:]):
        # tf.gradients sums y * dy: the same ops in the same order, so exact
        assert_matches(np.asarray(got), _array("g%d_d%d" % (k, j)), what="d%d" % j)


def test_top_level_aliases_are_tf_quantization_functions():
    for name in ("fake_quant_with_min_max_args", "fake_quant_with_min_max_args_gradient",
                 "fake_quant_with_min_max_vars", "fake_quant_with_min_max_vars_gradient",
                 "fake_quant_with_min_max_vars_per_channel", "fake_quant_with_min_max_vars_per_channel_gradient"):
        assert getattr(tf, name) is getattr(tf.quantization, name)


def test_gradient_ops_are_not_differentiable():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3])
        g = tf.placeholder(tf.float32, [3])
        y = tf.quantization.fake_quant_with_min_max_args_gradient(g, x)
        assert tf.gradients(y, [g, x]) == [None, None]


def test_shape_errors_at_build_time():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 3])
        with pytest.raises(ValueError):
            tf.quantization.fake_quant_with_min_max_vars(x, [-1.0], 1.0)
        with pytest.raises(ValueError):
            tf.quantization.fake_quant_with_min_max_vars_per_channel(x, [-1.0] * 2, [1.0] * 2)
        with pytest.raises(ValueError):
            tf.quantization.quantize_and_dequantize_v2(x, -1.0, 1.0, axis=2)
