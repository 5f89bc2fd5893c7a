"""MaxPoolWithArgmax, MaxPoolGradWithArgmax, Dilation2D, Dilation2DBackpropInput and
Dilation2DBackpropFilter (cpp/kernels/argmax_dilation_ops.cpp), their gradients
(ops/argmax_dilation_grad.py) and tf.nn.max_pool_with_argmax / dilation2d / erosion2d
(ops/argmax_dilation_ops.py).

Expected values come from TF-made cases (fixtures/kernels/argmax_dilation.npz, see
gen_argmax_dilation.py): kernel outputs bit for bit over TF's CPU dtypes, geometries, SAME/VALID,
ties and non-finite values, TF's error codes, tf.gradients through the public API and the nodes it
adds. TF aborts its process on an argmax outside the input, so that error is checked here alone.
"""
import json

import numpy as np
import pytest

import metarun as tf
from metarun import _core
from metarun.framework import dtypes
from op_harness import (INVALID_ARGUMENT, Case, assert_covers_registry, assert_matches, check_case, coverage,
                        expect_error, kernel_fixture, load_npz, node_attrs_json, np_dtype, params)

OPS = ["MaxPoolWithArgmax", "MaxPoolGradWithArgmax", "Dilation2D", "Dilation2DBackpropInput",
       "Dilation2DBackpropFilter"]
_DATA = load_npz(kernel_fixture("argmax_dilation.npz"))
_META = json.loads(str(_DATA["meta"]))
_BLOB = _DATA["blob"].tobytes()


def _array(key):
    a = _META["arrays"][key]
    return np.frombuffer(_BLOB[a["off"]:a["off"] + a["len"]], dtype=np_dtype(a["dtype"])).reshape(a["shape"]).copy()


def _attr(v):
    (kind, val), = v.items()
    return dtypes.as_dtype(val) if kind == "type" else val


def _cases():
    out = []
    for k, c in enumerate(_META["cases"]):
        inputs = [_array("c%d_i%d" % (k, j)) for j in range(len(c["inputs"]))]
        out.append(Case(name=c["name"], op=c["op"], inputs=inputs,
                        attrs={n: _attr(v) for n, v in c["attrs"].items()},
                        out_dtypes=[dtypes.as_dtype(d) for d in c["out_dtypes"]],
                        outputs=[_array(key) for key in c["outputs"]],
                        error=tuple(c["error"]) if "error" in c else None, dtype=c["attrs"]["T"]["type"]))
    return out


CASES = _cases()
COVERAGE = coverage(CASES, OPS)


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case):
    check_case(case)


@pytest.mark.parametrize("case", params([c for c in CASES if c.error is None and c.dtype == "float32"
                                         and c.op in ("MaxPoolWithArgmax", "Dilation2D")]))
def test_tf_case_threaded(case):
    check_case(case, num_threads=4)


def test_coverage():
    assert_covers_registry(COVERAGE)


def test_fixture_covers_the_hard_parts():
    for op in OPS:
        mine = [c for c in CASES if c.op == op]
        assert any(c.error is not None for c in mine), "%s: no error case" % op
        assert any(c.error is None and "SAME" in c.name for c in mine) and any("VALID" in c.name for c in mine)
        assert any("ties" in c.name for c in mine), op
        if op != "MaxPoolWithArgmax":  # TF rejects an empty MaxPoolWithArgmax input (a case of its own)
            assert any(c.error is None and any(0 in x.shape for x in c.inputs) for c in mine), op
    # the tie cases draw from three levels, so windows hold equal maxima and TF's pick shows
    ties = [c for c in CASES if c.op == "MaxPoolWithArgmax" and "ties" in c.name and c.error is None]
    assert ties and all(np.unique(c.inputs[0]).size <= 3 for c in ties)


@pytest.mark.parametrize("case", params([c for c in CASES if c.op == "MaxPoolWithArgmax" and c.error is None]))
def test_argmax_is_tfs_flattened_index(case):
    """Independent of TF: output == input at argmax, with ((b*H + y)*W + x)*C + c, the batch term
    only with include_batch_in_index."""
    x, (y, am) = case.inputs[0], case.outputs
    n = x.shape[0]
    per = x[0].size
    flat = am.reshape(n, -1).astype(np.int64)
    if not case.attrs["include_batch_in_index"]:
        flat = flat + per * np.arange(n)[:, None]
    picked = x.reshape(-1)[flat.reshape(-1)].reshape(y.shape)
    assert_matches(picked, y)


@pytest.mark.parametrize("bad", [32, -1, 40])
def test_argmax_outside_the_input_is_an_error_not_a_crash(bad):
    x = np.arange(32, dtype=np.float32).reshape(1, 4, 4, 2)
    gy = np.ones([1, 2, 2, 2], np.float32)
    good = np.array([[[[10, 11], [14, 15]], [[26, 27], [30, 31]]]], np.int64)
    am = good.copy()
    am[0, 1, 0, 1] = bad
    attrs = dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID", include_batch_in_index=False,
                 T=tf.float32, Targmax=tf.int64)
    _, (dx,) = expect_error("MaxPoolGradWithArgmax", [x, gy, am], [x, gy, good], attrs, code=INVALID_ARGUMENT)
    want = np.zeros(32, np.float32)
    want[good.reshape(-1)] = 1
    np.testing.assert_array_equal(dx.reshape(-1), want)


def test_include_batch_index_into_another_batch_is_an_error():
    x = np.zeros([2, 2, 2, 1], np.float32)
    attrs = dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID", include_batch_in_index=True,
                 T=tf.float32, Targmax=tf.int64)
    gy = np.ones([2, 1, 1, 1], np.float32)
    _, (dx,) = expect_error("MaxPoolGradWithArgmax", [x, gy, np.array([5, 1], np.int64).reshape(2, 1, 1, 1)],
                            [x, gy, np.array([1, 5], np.int64).reshape(2, 1, 1, 1)], attrs)
    assert dx.reshape(-1).tolist() == [0, 1, 0, 0, 0, 1, 0, 0]


# -- the public API: nodes and gradients against TF's ----------------------------------------------
_FNS = {"max_pool_with_argmax_v1": tf.nn.max_pool_with_argmax, "dilation2d_v1": tf.nn.dilation2d,
        "erosion2d": tf.nn.erosion2d}



@pytest.mark.parametrize("k,g", [pytest.param(k, g, id=g["name"]) for k, g in enumerate(_META["grads"])])
def test_api_nodes_and_gradients_match_tf(k, g):
    with tf.Graph().as_default() as graph:
        inputs = [_array("g%d_i%d" % (k, j)) for j in range(len(g["inputs"]))]
        phs = [tf.placeholder(dtypes.as_dtype(dt), shape=np.shape(v), name="in%d" % j)
               for j, (v, dt) in enumerate(zip(inputs, g["inputs"]))]
        before = {op.name for op in graph.get_operations()}
        y = _FNS[g["fn"]](*phs, **g["kwargs"])
        if isinstance(y, tuple):
            assert type(y).__name__ == "MaxPoolWithArgmax" and y._fields == ("output", "argmax")
            y = y.output
        nodes = [[op.name, op.type, node_attrs_json(op)] for op in graph.get_operations() if op.name not in before]
        assert nodes == g["nodes"]
        dy = _array("g%d_dy" % k)
        assert y.shape.as_list() == list(dy.shape)
        ds = tf.gradients(tf.reduce_sum(y * dy), [phs[j] for j in g["wrt"]])
        with tf.Session() as sess:
            out = sess.run([y] + ds, dict(zip(phs, inputs)))
    assert_matches(out[0], _array("g%d_y" % k), what="y")
    for j, got in enumerate(out[1:]):
        assert_matches(np.asarray(got), _array("g%d_d%d" % (k, j)), what="d%d" % j)


def test_api_argument_errors():
    x = tf.placeholder(tf.float32, [1, 4, 4, 1])
    with pytest.raises(ValueError):
        tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME", data_format="NCHW")
    y, am = tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME", output_dtype=tf.int32)
    assert am.dtype == tf.int32 and y.shape.as_list() == [1, 2, 2, 1]
    d = tf.nn.dilation2d(x, filters=tf.zeros([2, 2, 1]), strides=[1, 1, 1, 1], dilations=[1, 2, 2, 1],
                         padding="VALID")
    assert d.shape.as_list() == [1, 2, 2, 1]
