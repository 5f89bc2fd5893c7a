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
