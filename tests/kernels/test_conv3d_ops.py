"""Conv3D, Conv3DBackpropInput[V2], Conv3DBackpropFilter[V2], MaxPool3D, AvgPool3D, MaxPool3DGrad,
AvgPool3DGrad and MaxPool3DGradGrad (cpp/kernels/conv3d_ops.cpp).

Expected values come from TF-made cases (fixtures/kernels/conv3d.npz, see gen_conv3d.py): kernel
outputs over TF's CPU dtypes, strides, dilations, SAME/VALID, empty tensors, ties and non-finite
values, and TF's error codes (NCDHW included, which TF's CPU kernels refuse).

Sum order: a convolution's sums are float sums whose order differs from Eigen's contraction, so
its float results agree with TF's to rounding only: they are compared with a tolerance of the
dtype's epsilon times the reduction size (relative, and absolute relative to max |expected|).
Inputs are multiples of 1/8 in [-3, 3], so the float64 and pooling results are exact.
"""
import dataclasses
import json

import numpy as np
import pytest

import metarun as tf
from metarun.framework import dtypes
from op_harness import (INVALID_ARGUMENT, Case, assert_covers_registry, assert_matches, check_case, coverage,
                        expect_error, kernel_fixture, load_npz, node_attrs_json, np_dtype, params)

OPS = ["Conv3D", "Conv3DBackpropInputV2", "Conv3DBackpropFilterV2", "Conv3DBackpropInput", "Conv3DBackpropFilter",
       "MaxPool3D", "AvgPool3D", "MaxPool3DGrad", "AvgPool3DGrad", "MaxPool3DGradGrad"]
_DATA = load_npz(kernel_fixture("conv3d.npz"))
_META = json.loads(str(_DATA["meta"]))
_BLOB = _DATA["blob"].tobytes()
_EPS = {"float32": 2.0 ** -23, "float64": 2.0 ** -52, "float16": 2.0 ** -10, "bfloat16": 2.0 ** -7}


def _array(key):
    a = _META["arrays"][key]
    return np.frombuffer(_BLOB[a["off"]:a["off"] + a["len"]], dtype=np_dtype(a["dtype"])).reshape(a["shape"]).copy()


def _attr(v):
    (kind, val), = v.items()
    return dtypes.as_dtype(val) if kind == "type" else val


def _reduction(c, inputs):
    """How many products each output element sums: the filter window times its channels for Conv3D
    and the input backprop, the output voxels and batch for the filter backprop."""
    if c["op"] == "Conv3D":
        return int(np.prod(inputs[1].shape[:4]))
    if c["op"].startswith("Conv3DBackpropInput"):
        return int(np.prod(inputs[1].shape[:3])) * inputs[1].shape[4] if inputs[1].ndim == 5 else 1
    if c["op"].startswith("Conv3DBackpropFilter"):
        return int(np.prod(inputs[2].shape[:4])) if inputs[2].ndim == 5 else 1
    return None


def _cases():
    out = []
    for k, c in enumerate(_META["cases"]):
        inputs = [_array("c%d_i%d" % (k, j)) for j in range(len(c["inputs"]))]
        dtype = c["attrs"]["T"]["type"]
        r = _reduction(c, inputs)
        tol = None if r is None else {dtype: 2 * _EPS[dtype] * max(r, 1)}
        out.append(Case(name=c["name"], op=c["op"], inputs=inputs,
                        attrs={n: _attr(v) for n, v in c["attrs"].items()},
                        out_dtypes=[dtypes.as_dtype(d) for d in c["out_dtypes"]],
                        outputs=[_array(key) for key in c["outputs"]],
                        error=tuple(c["error"]) if "error" in c else None, dtype=dtype, tolerance=tol))
    return out


CASES = _cases()
COVERAGE = coverage(CASES, OPS)


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case):
    check_case(case)


@pytest.mark.parametrize("case", params([c for c in CASES if c.error is None and c.dtype == "float32"
                                         and "_g0_" in c.name]))
def test_tf_case_threaded(case):
    check_case(case, num_threads=4)


def test_coverage():
    assert_covers_registry(COVERAGE)


def test_fixture_covers_the_hard_parts():
    for op in OPS:
        mine = [c for c in CASES if c.op == op]
        assert any(c.error is None and "SAME" in c.name for c in mine), op
        assert any(c.error is None and "VALID" in c.name for c in mine), op
        if not op.startswith("Conv3DBackprop") or op.endswith("V2"):
            assert any(c.error is not None for c in mine), "%s: no error case" % op
            # TF's MaxPool3DGradGrad refuses empty tensors; the others return empty results
            want_error = op == "MaxPool3DGradGrad"
            assert any((c.error is not None) == want_error and "empty" in c.name for c in mine), op
    assert any(c.error is not None and "ncdhw" in c.name for c in CASES if c.op == "Conv3D")
    # the tie cases draw from three levels, so windows hold equal maxima and TF's choice shows
    ties = [c for c in CASES if c.op == "MaxPool3DGrad" and "ties" in c.name and c.error is None]
    assert ties and all(np.unique(c.inputs[0]).size <= 3 for c in ties)


def test_tolerance_is_needed_only_where_sums_reorder():
    """The float64 convolutions and every pooling case match TF exactly."""
    exact = [c for c in CASES if c.error is None and (c.dtype == "float64" or "Pool" in c.op)]
    assert len(exact) > 100
    for c in exact:
        check_case(dataclasses.replace(c, tolerance=None))


def test_avg_pool_grad_smaller_than_the_output_is_an_error():
    """TF reads past a grad whose spatial dims are smaller than the pooled output; metarun refuses it."""
    attrs = dict(ksize=[1, 2, 2, 2, 1], strides=[1, 2, 2, 2, 1], padding="SAME", data_format="NDHWC",
                 T=dtypes.float32)
    sizes = np.array([1, 4, 4, 4, 2], np.int32)
    _, (dx,) = expect_error("AvgPool3DGrad", [sizes, np.ones([1, 1, 2, 2, 2], np.float32)],
                            [sizes, np.ones([1, 2, 2, 2, 2], np.float32)], attrs, [dtypes.float32])
    np.testing.assert_array_equal(dx, np.full([1, 4, 4, 4, 2], 0.125, np.float32))


# -- the public API: nodes and gradients against TF's ----------------------------------------------
def _pool_input_grad(pool):
    def fn(x, w, **kw):
        return tf.gradients(tf.reduce_sum(pool(x, **kw) * w), [x])[0]
    return fn


_FNS = {"conv3d_v1": tf.nn.conv3d, "conv3d_transpose": tf.nn.conv3d_transpose, "max_pool3d": tf.nn.max_pool3d,
        "avg_pool3d": tf.nn.avg_pool3d, "convolution": tf.nn.convolution, "conv_transpose": tf.nn.conv_transpose,
        "avg_pool_v2": tf.nn.avg_pool_v2, "max_pool_v2": tf.nn.max_pool_v2, "pool": tf.nn.pool, "max_pool3d_input_grad": _pool_input_grad(tf.nn.max_pool3d),
        "avg_pool3d_input_grad": _pool_input_grad(tf.nn.avg_pool3d)}



@pytest.mark.parametrize("k,g", [pytest.param(k, g, id=g["name"]) for k, g in enumerate(_META["grads"])])
def test_api_nodes_and_gradients_match_tf(k, g):
    """Float sums reorder against Eigen's, so values agree within 1e-5 of the largest (float32)."""
    with tf.Graph().as_default() as graph:
        inputs = [_array("g%d_i%d" % (k, j)) for j in range(len(g["inputs"]))]
        phs = [tf.placeholder(dtypes.as_dtype(dt), shape=np.shape(v), name="in%d" % j)
               for j, (v, dt) in enumerate(zip(inputs, g["inputs"]))]
        before = {op.name for op in graph.get_operations()}
        y = _FNS[g["fn"]](*phs, **g["kwargs"])
        nodes = [[op.name, op.type, node_attrs_json(op)] for op in graph.get_operations() if op.name not in before]
        if not g["fn"].endswith("_input_grad"):  # the second-order cases' own gradient nodes are not compared
            assert nodes == g["nodes"]
        dy = _array("g%d_dy" % k)
        assert y.shape.as_list() == list(dy.shape)
        ds = tf.gradients(tf.reduce_sum(y * dy), [phs[j] for j in g["wrt"]])
        with tf.Session() as sess:
            out = sess.run([y] + ds, dict(zip(phs, inputs)))
    tol = 1e-5 if out[0].dtype == np.float32 else 1e-12
    assert_matches(out[0], _array("g%d_y" % k), tol, what="y")
    for j, got in enumerate(out[1:]):
        assert_matches(np.asarray(got), _array("g%d_d%d" % (k, j)), tol, what="d%d" % j)


def test_api_shapes_and_argument_errors():
    x = tf.placeholder(tf.float32, [2, 5, 6, 4, 3])
    assert tf.nn.max_pool3d(x, 2, 2, "VALID").shape.as_list() == [2, 2, 3, 2, 3]
    assert tf.nn.avg_pool3d(x, [2, 2, 2], 1, "SAME").shape.as_list() == [2, 5, 6, 4, 3]
    y = tf.nn.conv3d(x, filters=tf.zeros([2, 2, 2, 3, 7]), strides=[1, 2, 2, 2, 1], padding="SAME")
    assert y.shape.as_list() == [2, 3, 3, 2, 7]
    with pytest.raises(ValueError):
        tf.nn.conv3d(x, tf.zeros([2, 2, 2, 3, 7]), [1] * 5, "SAME", filters=tf.zeros([2, 2, 2, 3, 7]))
    with pytest.raises(ValueError):
        tf.nn.max_pool3d(x, [2, 2], 1, "SAME")
