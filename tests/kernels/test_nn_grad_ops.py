"""Activation, bias, batch-norm, pooling and convolution gradients against TF (fixtures/kernels/grads.npz).

Conv2DBackpropFilter is also checked against a numpy reference on the benchmark shapes, odd sizes
and empty batches; MaxPoolGrad bit for bit against a direct reference (ties, NaN, -0, windows
that tile, leave gaps or overlap, channel counts on both sides of the 4-lane float path).
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


# (n, h, w, cin, cout, k, stride, dtype): the benchmark's two layers (several GEMM blocks with a
# partial last one), odd sizes with stride 2, and an empty batch (a zero gradient).
CONV_FILTER_SHAPES = [(8, 28, 28, 1, 32, 3, 1, "float32"), (4, 14, 14, 32, 64, 3, 1, "float32"),
                      (3, 11, 9, 5, 7, 3, 2, "float32"), (2, 13, 10, 3, 6, 5, 2, "float64"),
                      (0, 6, 6, 3, 4, 3, 1, "float32")]


@pytest.mark.parametrize("shape", CONV_FILTER_SHAPES, ids=[str(s) for s in CONV_FILTER_SHAPES])
def test_conv2d_backprop_filter_against_reference(shape):
    n, h, w, cin, cout, k, stride, dt = shape
    rng = np.random.RandomState(0)
    oh, ow = -(-h // stride), -(-w // stride)  # SAME
    x = rng.randn(n, h, w, cin).astype(dt)
    dy = rng.randn(n, oh, ow, cout).astype(dt)
    pad_top = max(0, (oh - 1) * stride + k - h) // 2
    pad_left = max(0, (ow - 1) * stride + k - w) // 2
    want = conv_filter_grad_reference(x, dy, k, k, stride, pad_top, pad_left)
    attrs = {"T": dtypes.as_dtype(dt), "strides": [1, stride, stride, 1], "padding": "SAME"}
    tol = 1e-5 if dt == "float32" else 1e-12
    for threads in (1, 2):
        (got,) = run_op("Conv2DBackpropFilter", [x, np.array([k, k, cin, cout], np.int32), dy], attrs,
                        [dt], num_threads=threads)
        assert got.dtype == np.dtype(dt)
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * max(1.0, np.abs(want).max(initial=0)))


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


def max_pool_grad_reference(x, grad, k, stride, pad_top, pad_left):
    """Each gradient added to the first maximum of its window (a NaN that comes first stays)."""
    n, h, w, c = x.shape
    dx = np.zeros(x.shape, x.dtype)
    for b, i, j, ch in np.ndindex(n, grad.shape[1], grad.shape[2], c):
        best = at = None
        for y in range(max(i * stride - pad_top, 0), min(i * stride - pad_top + k, h)):
            for z in range(max(j * stride - pad_left, 0), min(j * stride - pad_left + k, w)):
                if best is None or best < x[b, y, z, ch]:
                    best, at = x[b, y, z, ch], (y, z)
        if at is not None:
            dx[b, at[0], at[1], ch] += grad[b, i, j, ch]
    return dx


# (h, w, k, stride, padding): windows that tile, tile with a clipped SAME edge, leave gaps, overlap.
POOL_WINDOWS = [(8, 6, 2, 2, "VALID"), (7, 5, 2, 2, "SAME"), (8, 9, 2, 3, "VALID"), (7, 8, 3, 2, "SAME"),
                (5, 5, 3, 1, "VALID")]


@pytest.mark.parametrize("channels", [1, 3, 4, 5, 8, 13])
@pytest.mark.parametrize("window", POOL_WINDOWS, ids=[str(wd) for wd in POOL_WINDOWS])
def test_max_pool_grad_routes_bit_for_bit(window, channels):
    h, w, k, stride, padding = window
    rng = np.random.RandomState(channels)
    x = np.round(rng.randn(2, h, w, channels) * 1.5).astype(np.float32)  # many ties
    x[0, 0, 0, :] = np.nan
    x[1, 2, 1, ::2] = np.nan
    if padding == "SAME":
        oh, ow = -(-h // stride), -(-w // stride)
    else:
        oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    grad = rng.randn(2, oh, ow, channels).astype(np.float32)
    grad[0, 0, :, :] = -0.0
    pad_top = max(0, (oh - 1) * stride + k - h) // 2 if padding == "SAME" else 0
    pad_left = max(0, (ow - 1) * stride + k - w) // 2 if padding == "SAME" else 0
    attrs = {"ksize": [1, k, k, 1], "strides": [1, stride, stride, 1], "padding": padding}
    for dt, bits in (("float32", np.uint32), ("float64", np.uint64)):  # 4-lane and scalar paths
        want = max_pool_grad_reference(x.astype(dt), grad.astype(dt), k, stride, pad_top, pad_left)
        (got,) = run_op("MaxPoolGrad", [x.astype(dt), np.zeros([2, oh, ow, channels], dt), grad.astype(dt)],
                        dict(attrs, T=dtypes.as_dtype(dt)), [dt], num_threads=2)
        np.testing.assert_array_equal(got.view(bits), want.view(bits))
