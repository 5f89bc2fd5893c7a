"""Conv2DBackpropFilter's float32 NHWC paths beside im2col + GEMM: the direct loop for input
depth <= 4 and Winograd F(2x2, 3x3) for 3x3 stride-1 filters with >= 16 channels each way.

- Each is checked against a float64 sum over positions (an independent computation), within a
  bound of float32 rounding of the sum of |x| * |dy| terms, on odd sizes, SAME, VALID and explicit
  padding (also padding wider than the window), strides and dilations (direct), channel counts
  off the vector widths, an empty batch and an image of one pixel.
- Positions are cut into groups fixed by the shape, so one and two threads give the same bits,
  on the fast paths and on the GEMM path alike.
- Every SIMD level (METARUN_CPU, in subprocesses) stays within the bound; the levels differ only
  by FMA's rounding. METARUN_CONV=im2col keeps the GEMM: it agrees, and is another path.
"""
import os

import numpy as np
import pytest

from metarun.framework import dtypes
from op_harness import run_op
from subproc import SIMD_SETTINGS, outputs_per_setting

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _pads(xs, fs, padding, explicit, strides, dilations):
    """(before, after) padding of the two spatial dims and the output size, as TF pads."""
    eff = [(fs[d] - 1) * dilations[d] + 1 for d in range(2)]
    if padding == "VALID":
        pads = [(0, 0), (0, 0)]
    elif padding == "EXPLICIT":
        pads = [tuple(explicit[2:4]), tuple(explicit[4:6])]
    else:
        pads = []
        for d in range(2):
            out = -(-xs[1 + d] // strides[d])
            total = max(0, (out - 1) * strides[d] + eff[d] - xs[1 + d])
            pads.append((total // 2, total - total // 2))
    out = [(xs[1 + d] + sum(pads[d]) - eff[d]) // strides[d] + 1 for d in range(2)]
    return pads, out


def _reference(x, dy, fs, pads, strides, dilations, absolute=False):
    """dw[i, j] = sum over positions of the input under tap (i, j) times dy, in float64."""
    x, dy = x.astype(np.float64), dy.astype(np.float64)
    if absolute:
        x, dy = np.abs(x), np.abs(dy)
    n, h, w, c = x.shape
    _, oh, ow, o = dy.shape
    (pt, pb), (pl, pr) = pads
    xp = np.zeros((n, h + pt + pb + fs[0] * dilations[0] + oh * strides[0],
                   w + pl + pr + fs[1] * dilations[1] + ow * strides[1], c))
    xp[:, pt:pt + h, pl:pl + w] = x
    dw = np.zeros((fs[0], fs[1], c, o))
    for i in range(fs[0]):
        for j in range(fs[1]):
            y0, x0 = i * dilations[0], j * dilations[1]
            patch = xp[:, y0:y0 + oh * strides[0]:strides[0], x0:x0 + ow * strides[1]:strides[1]]
            dw[i, j] = np.tensordot(patch, dy, axes=([0, 1, 2], [0, 1, 2]))
    return dw


# (input shape, filter shape, padding, explicit paddings, strides, dilations)
DIRECT = [
    ((3, 28, 28, 1), (3, 3, 1, 32), "SAME", None, (1, 1), (1, 1)),    # the benchmark CNN's first layer
    ((2, 9, 7, 1), (3, 3, 1, 37), "SAME", None, (1, 1), (1, 1)),      # channels off the vector widths
    ((2, 11, 6, 3), (5, 5, 3, 8), "SAME", None, (1, 1), (1, 1)),      # 75 combos: several register blocks
    ((2, 13, 10, 4), (3, 2, 4, 20), "VALID", None, (2, 3), (1, 1)),
    ((2, 12, 11, 2), (3, 3, 2, 16), "SAME", None, (1, 1), (2, 2)),
    ((1, 7, 9, 2), (2, 3, 2, 24), "EXPLICIT", [0, 0, 2, 1, 4, 3, 0, 0], (1, 2), (1, 1)),  # pads > window
    ((1, 1, 1, 1), (3, 3, 1, 8), "SAME", None, (1, 1), (1, 1)),       # one pixel: every tap but one in padding
    ((0, 5, 5, 1), (3, 3, 1, 16), "SAME", None, (1, 1), (1, 1)),      # empty batch
]
WINOGRAD = [
    ((3, 14, 14, 32), (3, 3, 32, 64), "SAME", None, (1, 1), (1, 1)),  # the benchmark CNN's second layer
    ((2, 7, 9, 17), (3, 3, 17, 20), "SAME", None, (1, 1), (1, 1)),    # odd sizes: partial tiles, tails
    ((1, 8, 5, 16), (3, 3, 16, 33), "VALID", None, (1, 1), (1, 1)),
    ((1, 3, 3, 24), (3, 3, 24, 16), "VALID", None, (1, 1), (1, 1)),   # dy of one pixel
    ((2, 6, 7, 16), (3, 3, 16, 18), "EXPLICIT", [0, 0, 0, 2, 3, 1, 0, 0], (1, 1), (1, 1)),
    ((9, 12, 13, 20), (3, 3, 20, 40), "SAME", None, (1, 1), (1, 1)),  # many chunks in 8 groups
    ((0, 6, 6, 16), (3, 3, 16, 16), "SAME", None, (1, 1), (1, 1)),    # empty batch
]
# Shapes that stay on im2col + GEMM (depth 5..15, stride 2 at depth 16).
GEMM = [((2, 9, 8, 6), (3, 3, 6, 10), "SAME", None, (1, 1), (1, 1)),
        ((2, 9, 8, 16), (3, 3, 16, 16), "SAME", None, (2, 2), (1, 1))]
CASES = DIRECT + WINOGRAD + GEMM


def _data(case, seed):
    xs, fs, padding, explicit, strides, dilations = case
    _, (oh, ow) = _pads(xs, fs, padding, explicit, strides, dilations)
    rng = np.random.RandomState(seed)
    return rng.randn(*xs).astype(np.float32), rng.randn(xs[0], oh, ow, fs[3]).astype(np.float32)


def _attrs(case):
    _, _, padding, explicit, strides, dilations = case
    a = {"T": dtypes.float32, "padding": padding, "strides": [1, strides[0], strides[1], 1],
         "dilations": [1, dilations[0], dilations[1], 1]}
    if explicit is not None:
        a["explicit_paddings"] = explicit
    return a


def _run(case, x, dy, threads):
    return run_op("Conv2DBackpropFilter", [x, np.array(case[1], np.int32), dy], _attrs(case), [dtypes.float32],
                  num_threads=threads)[0]


_REFERENCES = {}  # key -> (float64 result, error bound)


def _check(case, got, x, dy, key=None):
    """`key` names inputs checked more than once (their float64 sums are kept)."""
    xs, fs, padding, explicit, strides, dilations = case
    ref = _REFERENCES.get(key)
    if ref is None:
        pads, _ = _pads(xs, fs, padding, explicit, strides, dilations)
        # float32 sums of n products err by up to ~n * eps * sum |x||dy| (in practice far less);
        # Winograd adds and subtracts up to 4 inputs and 4 dy values first and combines 9 sums last.
        bound = 2e-6 * _reference(x, dy, fs, pads, strides, dilations, absolute=True) + 1e-6
        ref = (_reference(x, dy, fs, pads, strides, dilations), bound)
        if key is not None:
            _REFERENCES[key] = ref
    want, bound = ref
    assert got.shape == want.shape and got.dtype == np.float32
    assert np.all(np.abs(got - want) <= bound), np.max(np.abs(got - want) - bound)


@pytest.mark.parametrize("case", CASES, ids=[str(c[:2]) for c in CASES])
def test_matches_float64_and_threads_agree(case):
    x, dy = _data(case, seed=1)
    one = _run(case, x, dy, threads=1)
    _check(case, one, x, dy)
    np.testing.assert_array_equal(_run(case, x, dy, threads=2), one)


def test_empty_batch_gives_zeros():
    for case in (DIRECT[-1], WINOGRAD[-1]):
        x, dy = _data(case, seed=2)
        np.testing.assert_array_equal(_run(case, x, dy, threads=2), np.zeros(case[1], np.float32))


# Conv2DBackpropFilter on every case, at one SIMD level (or with METARUN_CONV set), in a new process.
_SCRIPT = r"""
import json, sys
import numpy as np
sys.path.insert(0, %(tests)r)
from op_harness import run_op
from metarun.framework import dtypes
out = {}
for k, (xs, fs, dys, padding, explicit, strides, dilations) in enumerate(json.loads(sys.argv[1])):
    rng = np.random.RandomState(k)
    x, dy = rng.randn(*xs).astype(np.float32), rng.randn(*dys).astype(np.float32)
    a = {"T": dtypes.float32, "padding": padding, "strides": [1, strides[0], strides[1], 1],
         "dilations": [1, dilations[0], dilations[1], 1]}
    if explicit:
        a["explicit_paddings"] = explicit
    out["c%%d" %% k] = run_op("Conv2DBackpropFilter", [x, np.array(fs, np.int32), dy], a, [dtypes.float32],
                              num_threads=2)[0]
np.savez(sys.argv[2], **out)
"""


@pytest.fixture(scope="module")
def env_runs(tmp_path_factory):
    """The outputs on every case, per setting: the three SIMD levels and im2col only. The
    processes run side by side."""
    cases = []
    for case in CASES:
        xs, fs, padding, explicit, strides, dilations = case
        _, (oh, ow) = _pads(xs, fs, padding, explicit, strides, dilations)
        cases.append([xs, fs, [xs[0], oh, ow, fs[3]], padding, explicit, strides, dilations])
    settings = dict(SIMD_SETTINGS, im2col={"METARUN_CONV": "im2col"})
    return outputs_per_setting(settings, _SCRIPT % {"tests": os.path.dirname(HERE)}, cases,
                               tmp_path_factory.mktemp("conv_backfilter_env"), cwd=ROOT)


@pytest.mark.parametrize("setting", sorted(SIMD_SETTINGS) + ["im2col"])
def test_every_setting_matches_float64(env_runs, setting):
    for k, (case, got) in enumerate(zip(CASES, env_runs[setting])):
        xs, fs, padding, explicit, strides, dilations = case
        _, (oh, ow) = _pads(xs, fs, padding, explicit, strides, dilations)
        rng = np.random.RandomState(k)  # the script's inputs
        x = rng.randn(*xs).astype(np.float32)
        dy = rng.randn(xs[0], oh, ow, fs[3]).astype(np.float32)
        _check(case, got, x, dy, key=k)


def test_fast_paths_are_other_paths(env_runs):
    # the direct loop and Winograd do not sum as the GEMM does; the GEMM cases are the GEMM's
    # own on every setting
    for k in (0, len(DIRECT)):
        assert not np.array_equal(env_runs["avx512"][k], env_runs["im2col"][k])
    for k in range(len(DIRECT) + len(WINOGRAD), len(CASES)):
        np.testing.assert_array_equal(env_runs["avx512"][k], env_runs["im2col"][k])
