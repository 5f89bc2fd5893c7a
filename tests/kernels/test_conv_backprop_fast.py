"""Conv2DBackpropInput's float32 stride-1 paths: the input gradient computed as a forward
convolution of dy with the filter rotated 180 degrees (Winograd F(2x2, 3x3) for 3x3 filters with
>= 16 channels each way, the narrow direct loop for one or two input channels).

- Each is checked against a float64 scatter of dy . f^T (an independent computation), within a
  bound of the float32 rounding of the sum of |dy| * |f| terms, on odd sizes, SAME, VALID and
  explicit padding (also padding beyond k-1, which keeps the GEMM + col2im path), NCHW, an empty
  batch, with one and two threads.
- The narrow loop adds in 16 fixed partial sums without FMA and Winograd's transforms only add:
  every SIMD level (METARUN_CPU, in subprocesses) gives the same bits.
- METARUN_CONV=im2col keeps GEMM + col2im: it agrees within float32 rounding, and is another path.
- Winograd's transformed flipped filter is cached per node and follows a filter that changes.
"""
import json
import os
import sys

import numpy as np
import pytest

from metarun.framework import dtypes
from op_harness import OpSession, run_op
from subproc import SIMD_SETTINGS, assert_simd_levels_agree, outputs_per_setting

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _attrs(padding="SAME", explicit=None, fmt="NHWC", stride=1):
    a = {"T": dtypes.float32, "padding": padding, "data_format": fmt,
         "strides": [1, stride, stride, 1] if fmt == "NHWC" else [1, 1, stride, stride]}
    if explicit is not None:
        a["explicit_paddings"] = explicit
    return a


def _pads(xs, fs, padding, explicit, stride=1):
    """(before, after) padding of the two spatial dims and the output size, as TF pads."""
    if padding == "VALID":
        pads = [(0, 0), (0, 0)]
    elif padding == "EXPLICIT":
        pads = [tuple(explicit[2:4]), tuple(explicit[4:6])]
    else:
        pads = []
        for size, k in ((xs[1], fs[0]), (xs[2], fs[1])):
            total = max(0, (-(-size // stride) - 1) * stride + k - size)
            pads.append((total // 2, total - total // 2))
    out = [(xs[1 + d] + sum(pads[d]) - fs[d]) // stride + 1 for d in range(2)]
    return pads, out


def _backprop_f64(xs, f, dy, padding, explicit, absolute=False):
    """dx[b, y, x, c] = sum over taps and o of dy[b, oy, ox, o] * f[i, j, c, o], in float64,
    scattered tap by tap into the padded input and cropped."""
    pads, (oh, ow) = _pads(xs, f.shape, padding, explicit)
    f = f.astype(np.float64)
    dy = dy.astype(np.float64)
    if absolute:
        f, dy = np.abs(f), np.abs(dy)
    n, h, w, c = xs
    dxp = np.zeros([n, h + sum(pads[0]) + f.shape[0], w + sum(pads[1]) + f.shape[1], c])
    for i in range(f.shape[0]):
        for j in range(f.shape[1]):
            dxp[:, i:i + oh, j:j + ow] += dy @ f[i, j].T
    return dxp[:, pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + w]


# (input shape, filter shape, padding, explicit paddings)
WINOGRAD = [
    ((2, 14, 14, 32), (3, 3, 32, 64), "SAME", None),     # the benchmark CNN's second layer
    ((3, 7, 9, 17), (3, 3, 17, 20), "SAME", None),       # odd sizes: partial tiles, channel tails
    ((1, 8, 5, 16), (3, 3, 16, 33), "VALID", None),
    ((1, 3, 3, 24), (3, 3, 24, 16), "VALID", None),      # dy of one pixel
    ((1, 6, 7, 16), (3, 3, 16, 18), "EXPLICIT", [0, 0, 1, 2, 0, 1, 0, 0]),
    ((0, 6, 6, 16), (3, 3, 16, 16), "SAME", None),       # empty batch
]
NARROW = [
    ((2, 28, 28, 1), (3, 3, 1, 32), "SAME", None),       # the benchmark CNN's first layer
    ((3, 9, 7, 1), (3, 3, 1, 37), "SAME", None),         # channels beyond the 16-wide sums
    ((2, 11, 6, 2), (5, 5, 2, 16), "SAME", None),
    ((1, 10, 9, 1), (3, 2, 1, 20), "VALID", None),
    ((1, 3, 3, 1), (5, 5, 1, 16), "SAME", None),         # every pixel on the border
    ((1, 6, 5, 2), (2, 3, 2, 24), "EXPLICIT", [0, 0, 1, 0, 2, 1, 0, 0]),
    ((0, 5, 5, 1), (3, 3, 1, 16), "SAME", None),         # empty batch
]
# Padding beyond k-1 (no flipped form): the GEMM + col2im path, checked the same way.
FALLBACK = [((1, 5, 6, 16), (3, 3, 16, 16), "EXPLICIT", [0, 0, 3, 1, 0, 4, 0, 0]),
            ((1, 5, 6, 1), (3, 3, 1, 16), "EXPLICIT", [0, 0, 1, 3, 4, 0, 0, 0])]
CASES = WINOGRAD + NARROW + FALLBACK


def _data(xs, fs, padding, explicit, seed):
    rng = np.random.RandomState(seed)
    _, (oh, ow) = _pads(xs, fs, padding, explicit)
    f = rng.randn(*fs).astype(np.float32)
    dy = rng.randn(xs[0], oh, ow, fs[3]).astype(np.float32)
    return f, dy


def _run(xs, f, dy, padding, explicit, threads=1, fmt="NHWC"):
    sizes = np.array(xs if fmt == "NHWC" else [xs[0], xs[3], xs[1], xs[2]], np.int32)
    if fmt == "NCHW":
        dy = dy.transpose(0, 3, 1, 2).copy()
    got = run_op("Conv2DBackpropInput", [sizes, f, dy], _attrs(padding, explicit, fmt), [dtypes.float32],
                 num_threads=threads)[0]
    return got if fmt == "NHWC" else got.transpose(0, 2, 3, 1)


def _check(got, xs, f, dy, padding, explicit):
    want = _backprop_f64(xs, f, dy, padding, explicit)
    assert got.shape == want.shape
    # float32 rounding of a sum of K products is bounded by ~K * eps * sum |dy||f|; Winograd's
    # transforms add and subtract up to 9 terms more before and after.
    bound = 2e-6 * _backprop_f64(xs, f, dy, padding, explicit, absolute=True) + 1e-6
    assert np.all(np.abs(got - want) <= bound), np.max(np.abs(got - want) - bound)


@pytest.mark.parametrize("xs,fs,padding,explicit", CASES)
@pytest.mark.parametrize("threads", [1, 2])
def test_matches_float64(xs, fs, padding, explicit, threads):
    f, dy = _data(xs, fs, padding, explicit, seed=1)
    _check(_run(xs, f, dy, padding, explicit, threads), xs, f, dy, padding, explicit)


@pytest.mark.parametrize("xs,fs", [((2, 9, 8, 16), (3, 3, 16, 20)), ((2, 9, 8, 1), (3, 3, 1, 24))])
def test_nchw(xs, fs):
    f, dy = _data(xs, fs, "SAME", None, seed=2)
    _check(_run(xs, f, dy, "SAME", None, threads=2, fmt="NCHW"), xs, f, dy, "SAME", None)


def test_winograd_follows_a_changing_filter():
    xs = (2, 6, 6, 16)
    f1, dy = _data(xs, (3, 3, 16, 16), "SAME", None, seed=3)
    f2 = f1.copy()
    f2[0, 2, 5, 7] += 1.0  # one element differs
    sess = OpSession("Conv2DBackpropInput", [dtypes.int32, dtypes.float32, dtypes.float32], _attrs(),
                     [dtypes.float32])
    for f in (f1, f2, f1, f2.transpose(0, 1, 3, 2).copy()):
        got = sess.run([np.array(xs, np.int32), f, dy])[0]
        _check(got, xs, f, dy, "SAME", None)


# Conv2DBackpropInput on every case, at one SIMD level (or with METARUN_CONV set), in a new process.
_SCRIPT = r"""
import json, sys
import numpy as np
sys.path.insert(0, %(tests)r)
from op_harness import run_op
from metarun.framework import dtypes
out = {}
for k, (xs, fs, dys, padding, explicit) in enumerate(json.loads(sys.argv[1])):
    rng = np.random.RandomState(k)
    f, dy = rng.randn(*fs).astype(np.float32), rng.randn(*dys).astype(np.float32)
    a = {"T": dtypes.float32, "strides": [1, 1, 1, 1], "padding": padding, "data_format": "NHWC"}
    if explicit:
        a["explicit_paddings"] = explicit
    out["c%%d" %% k] = run_op("Conv2DBackpropInput", [np.array(xs, np.int32), f, dy], a, [dtypes.float32],
                              num_threads=2)[0]
np.savez(sys.argv[2], **out)
"""


@pytest.fixture(scope="module")
def env_runs(tmp_path_factory):
    """The outputs on every case, per setting: the three SIMD levels and im2col only. The
    processes run side by side."""
    cases = []
    for xs, fs, padding, explicit in CASES:
        _, (oh, ow) = _pads(xs, fs, padding, explicit)
        cases.append([xs, fs, [xs[0], oh, ow, fs[3]], padding, explicit])
    settings = dict(SIMD_SETTINGS, im2col={"METARUN_CONV": "im2col"})
    return outputs_per_setting(settings, _SCRIPT % {"tests": os.path.dirname(HERE)}, cases,
                               tmp_path_factory.mktemp("conv_backprop_env"), cwd=ROOT)


def test_every_simd_level_gives_the_same_bits(env_runs):
    assert_simd_levels_agree(env_runs)


def test_im2col_switch_agrees(env_runs):
    for a, b in zip(env_runs["avx512"], env_runs["im2col"]):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    # and the fast paths are other paths: their sums are not the GEMM's
    assert not np.array_equal(env_runs["avx512"][0], env_runs["im2col"][0])
    narrow = len(WINOGRAD)
    assert not np.array_equal(env_runs["avx512"][narrow], env_runs["im2col"][narrow])
