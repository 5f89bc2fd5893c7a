"""Activation, bias, batch-norm, pooling and convolution gradients against TF (fixtures/kernels/grads.npz).

Conv2DBackpropFilter is also checked against a numpy im2col reference on the benchmark shapes.
"""
import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import check_case, coverage, grad_cases, run_op, status_code

CASES = grad_cases("nn_grad")
COVERAGE = coverage(CASES)
F32 = dtypes.float32


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tf_case(case):
    check_case(case)


@pytest.mark.parametrize("op", ["Conv2DBackpropFilter", "DepthwiseConv2dNativeBackpropFilter",
                                "DepthwiseConv2dNativeBackpropInput", "MaxPoolGrad", "AvgPoolGrad",
                                "FusedBatchNormGradV3", "BiasAddGrad"])
def test_threaded_matches_tf(op):
    case = max((c for c in CASES if c.op == op and c.error is None), key=lambda c: sum(x.size for x in c.inputs))
    check_case(case, num_threads=2)


def conv_filter_grad_reference(x, dy, kh, kw, stride, pad_top, pad_left):
    n, h, w, cin = x.shape
    _, oh, ow, cout = dy.shape
    xp = np.zeros((n, h + kh + stride * oh, w + kw + stride * ow, cin), np.float64)
    xp[:, pad_top:pad_top + h, pad_left:pad_left + w] = x
    dw = np.zeros((kh, kw, cin, cout))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i:i + stride * oh:stride, j:j + stride * ow:stride]
            dw[i, j] = np.tensordot(patch, dy, axes=([0, 1, 2], [0, 1, 2]))
    return dw


@pytest.mark.parametrize("shape", [(8, 28, 28, 1, 32), (4, 14, 14, 32, 64)])
def test_conv2d_backprop_filter_benchmark_shapes(shape):
    n, h, w, cin, cout = shape
    rng = np.random.RandomState(0)
    x = rng.randn(n, h, w, cin).astype(np.float32)
    dy = rng.randn(n, h, w, cout).astype(np.float32)
    attrs = {"T": F32, "strides": [1, 1, 1, 1], "padding": "SAME"}
    for threads in (1, 2):
        (got,) = run_op("Conv2DBackpropFilter", [x, np.array([3, 3, cin, cout], np.int32), dy], attrs,
                           ["float32"], num_threads=threads)
        want = conv_filter_grad_reference(x, dy, 3, 3, 1, 1, 1)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_conv2d_backprop_filter_rejects_mismatched_out_backprop():
    # TF's own CPU kernel: InvalidArgument (its oneDNN build reports Aborted instead).
    x = np.ones([1, 5, 5, 2], np.float32)
    dy = np.ones([1, 3, 3, 3], np.float32)
    with pytest.raises(_core.StatusError) as e:
        run_op("Conv2DBackpropFilter", [x, np.array([2, 2, 2, 3], np.int32), dy],
                  {"T": F32, "strides": [1, 1, 1, 1], "padding": "VALID"}, ["float32"])
    assert status_code(e.value) == 3
    assert "Size of out_backprop doesn't match computed: actual = 3, computed = 4" in e.value.args[1]


def test_depthwise_rejects_dilation():
    with pytest.raises(_core.StatusError) as e:
        run_op("DepthwiseConv2dNativeBackpropFilter",
                  [np.ones([1, 5, 5, 2], np.float32), np.array([2, 2, 2, 1], np.int32),
                   np.ones([1, 3, 3, 2], np.float32)],
                  {"T": F32, "strides": [1, 1, 1, 1], "padding": "VALID", "dilations": [1, 2, 2, 1]},
                  ["float32"])
    assert status_code(e.value) == 12


def test_max_pool_grad_first_max_wins():
    x = np.array([[1, 3], [3, 3]], np.float32).reshape(1, 2, 2, 1)
    (got,) = run_op("MaxPoolGrad", [x, np.full([1, 1, 1, 1], 3, np.float32), np.full([1, 1, 1, 1], 5, np.float32)],
                       {"T": F32, "ksize": [1, 2, 2, 1], "strides": [1, 2, 2, 1], "padding": "VALID"}, ["float32"])
    np.testing.assert_array_equal(got.ravel(), [0, 5, 0, 0])
