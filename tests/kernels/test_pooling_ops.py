"""MaxPool, MaxPoolV2 and AvgPool against TF-made fixtures."""
import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import check_case, coverage, linalg_cases, run_op, status_code

OPS = ("MaxPool", "MaxPoolV2", "AvgPool")
_CASES = linalg_cases(OPS)
COVERAGE = coverage(_CASES)


@pytest.mark.parametrize("case", _CASES, ids=[c.name for c in _CASES])
def test_fixture(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in _CASES if c.error is None][::2])
def test_fixture_two_threads(case):
    check_case(case, num_threads=2)


def test_large_max_pool_matches_numpy():
    x = np.random.RandomState(0).randn(4, 32, 32, 16).astype(np.float32)
    got = run_op("MaxPool", [x], {"T": dtypes.float32, "ksize": [1, 2, 2, 1], "strides": [1, 2, 2, 1],
                                  "padding": "VALID"}, num_threads=2)[0]
    np.testing.assert_array_equal(got, x.reshape(4, 16, 2, 16, 2, 16).max(axis=(2, 4)))


@pytest.mark.parametrize("op", ["MaxPool", "AvgPool"])
def test_bad_rank_is_invalid_argument(op):
    with pytest.raises(_core.StatusError) as e:
        run_op(op, [np.ones([5, 7, 3], np.float32)], {"T": dtypes.float32, "ksize": [1, 2, 2, 1],
                                                       "strides": [1, 1, 1, 1], "padding": "VALID"})
    assert status_code(e.value) == 3


def _windows(x, k, s, fill):
    """SAME-padded k x k windows at stride s: [n, oh, ow, k*k, c], padding as `fill`."""
    n, h, w, c = x.shape
    oh, ow = -(-h // s), -(-w // s)
    ph, pw = max(0, (oh - 1) * s + k - h), max(0, (ow - 1) * s + k - w)
    xp = np.full([n, h + ph, w + pw, c], fill, x.dtype)
    xp[:, ph // 2:ph // 2 + h, pw // 2:pw // 2 + w] = x
    return np.stack([xp[:, i:i + s * (oh - 1) + 1:s, j:j + s * (ow - 1) + 1:s]
                     for i in range(k) for j in range(k)], axis=3)


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64", "int32", "uint8"])
@pytest.mark.parametrize("c", [1, 16, 37])
def test_max_pool_channel_blocks_match_numpy(dtype, c):
    # whole blocks of 16 channels and a tail, windows cut by SAME padding
    rng = np.random.RandomState(c)
    x = (rng.randn(2, 7, 9, c) * 50).astype(dtype)
    attrs = {"T": dtypes.as_dtype(dtype), "ksize": [1, 3, 3, 1], "strides": [1, 2, 2, 1], "padding": "SAME"}
    got = run_op("MaxPool", [x], attrs, num_threads=2)[0]
    lowest = np.finfo(dtype).min if x.dtype.kind == "f" else np.iinfo(dtype).min
    np.testing.assert_array_equal(got, _windows(x, 3, 2, lowest).max(axis=3))


@pytest.mark.parametrize("c", [3, 37])
def test_avg_pool_channel_blocks_match_numpy(c):
    x = np.random.RandomState(c).randn(2, 7, 9, c).astype(np.float32)
    attrs = {"T": dtypes.float32, "ksize": [1, 3, 3, 1], "strides": [1, 2, 2, 1], "padding": "SAME"}
    got = run_op("AvgPool", [x], attrs, num_threads=2)[0]
    win = _windows(x.astype(np.float64), 3, 2, np.nan)
    np.testing.assert_allclose(got, np.nanmean(win, axis=3), rtol=1e-6, atol=1e-6)
