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

from metarun.framework import dtypes
from op_harness import (INVALID_ARGUMENT, Case, assert_covers_registry, check_case, coverage, expect_error,
                        kernel_fixture, load_npz, np_dtype, params)

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
