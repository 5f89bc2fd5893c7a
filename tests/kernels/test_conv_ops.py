"""Conv2D, DepthwiseConv2dNative and Conv2DBackpropInput against TF-made
fixtures, plus numpy checks on shapes large enough for several im2col blocks."""
import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import check_case, coverage, linalg_cases, run_op, status_code

OPS = ("Conv2D", "DepthwiseConv2dNative", "Conv2DBackpropInput")
# linalg.npz was made with TF_ENABLE_ONEDNN_OPTS=0, where Conv2DBackpropInput refuses dilations;
# TF's default build (oneDNN) takes them for float32 and bfloat16, as metarun does: those cases
# are checked against that build in test_space_batch_ops.py (space_batch.npz) instead.
_CASES = [c for c in linalg_cases(OPS)
          if not (c.op == "Conv2DBackpropInput" and c.dtype in ("float32", "bfloat16")
                  and any(d != 1 for d in c.attrs.get("dilations", [1])))]
COVERAGE = coverage(_CASES)


def _attrs(**kw):
    a = {"T": dtypes.float32, "strides": [1, 1, 1, 1], "padding": "SAME", "data_format": "NHWC"}
    a.update(kw)
    return a


@pytest.mark.parametrize("case", _CASES, ids=[c.name for c in _CASES])
def test_fixture(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in _CASES if c.error is None][::2])
def test_fixture_two_threads(case):
    check_case(case, num_threads=2)


def _conv_reference(x, f, stride, pad_t, pad_l, oh, ow):
    """Direct float64 convolution (NHWC, no dilation)."""
    n, h, w, c = x.shape
    kh, kw, _, o = f.shape
    xp = np.zeros([n, h + kh + stride * oh, w + kw + stride * ow, c])
    xp[:, pad_t:pad_t + h, pad_l:pad_l + w] = x
    out = np.zeros([n, oh, ow, o])
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i:i + stride * oh:stride, j:j + stride * ow:stride]
            out += patch @ f[i, j].astype(np.float64)
    return out


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("stride,padding", [(1, "SAME"), (2, "VALID")])
def test_conv_many_blocks_matches_numpy(threads, stride, padding):
    rng = np.random.RandomState(0)
    x = rng.randn(2, 40, 40, 16).astype(np.float32)
    f = rng.randn(3, 3, 16, 8).astype(np.float32)
    got = run_op("Conv2D", [x, f], _attrs(strides=[1, stride, stride, 1], padding=padding), num_threads=threads)[0]
    oh = got.shape[1]
    pad = 1 if padding == "SAME" else 0
    np.testing.assert_allclose(got, _conv_reference(x, f, stride, pad, pad, oh, oh), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("batch", [1, 3])
def test_backprop_input_is_the_adjoint_of_conv(threads, batch):
    # <conv(x, f), dy> == <x, conv_backprop_input(dy, f)> for every x and dy
    rng = np.random.RandomState(1)
    x = rng.randn(batch, 40, 40, 16).astype(np.float32)
    f = rng.randn(3, 3, 16, 8).astype(np.float32)
    attrs = _attrs(strides=[1, 2, 2, 1])
    y = run_op("Conv2D", [x, f], attrs)[0]
    dy = rng.randn(*y.shape).astype(np.float32)
    dx = run_op("Conv2DBackpropInput", [np.array(x.shape, np.int32), f, dy], attrs, [np.float32],
                num_threads=threads)[0]
    lhs = np.sum(y.astype(np.float64) * dy)
    rhs = np.sum(x.astype(np.float64) * dx)
    assert abs(lhs - rhs) <= 1e-4 * max(1.0, abs(lhs)) + 1e-2


def test_missing_dilations_and_explicit_paddings():
    x = np.ones([1, 3, 3, 1], np.float32)
    f = np.ones([2, 2, 1, 1], np.float32)
    got = run_op("Conv2D", [x, f], {"T": dtypes.float32, "strides": [1, 1, 1, 1], "padding": "VALID"})[0]
    np.testing.assert_array_equal(got, np.full([1, 2, 2, 1], 4, np.float32))


@pytest.mark.parametrize("op,inputs", [
    ("Conv2D", [np.ones([4, 5, 3], np.float32), np.ones([2, 2, 3, 2], np.float32)]),
    ("Conv2D", [np.ones([1, 4, 5, 3], np.float32), np.ones([2, 3, 2], np.float32)]),
    ("DepthwiseConv2dNative", [np.ones([4, 5, 3], np.float32), np.ones([2, 2, 3, 2], np.float32)]),
    ("Conv2DBackpropInput", [np.array([1, 4, 4], np.int32), np.ones([2, 2, 3, 2], np.float32),
                             np.ones([1, 4, 4, 2], np.float32)]),
])
def test_bad_ranks_are_invalid_argument(op, inputs):
    with pytest.raises(_core.StatusError) as e:
        run_op(op, inputs, _attrs(), [np.float32])
    assert status_code(e.value) == 3


@pytest.mark.parametrize("attrs", [
    _attrs(strides=[1, 1, 1]), _attrs(strides=[2, 1, 1, 1]), _attrs(dilations=[1, 1, 1, 2]),
    _attrs(padding="FOO"), _attrs(data_format="NCDHW"), _attrs(padding="EXPLICIT", explicit_paddings=[0, 0, 1, 1]),
    _attrs(explicit_paddings=[0, 0, 1, 1, 1, 1, 0, 0]),
])
def test_bad_attrs_are_invalid_argument(attrs):
    x = np.ones([1, 3, 3, 1], np.float32)
    f = np.ones([2, 2, 1, 1], np.float32)
    with pytest.raises(_core.StatusError) as e:
        run_op("Conv2D", [x, f], attrs)
    assert status_code(e.value) == 3
    assert run_op("Conv2D", [x, f], _attrs())[0].shape == (1, 3, 3, 1)
