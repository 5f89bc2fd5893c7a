"""FusedBatchNorm, V2 and V3 (inference and training) against TF-made fixtures."""
import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import check_case, coverage, linalg_cases, run_op, status_code

OPS = ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
_CASES = linalg_cases(OPS)
COVERAGE = coverage(_CASES)


@pytest.mark.parametrize("case", _CASES, ids=[c.name for c in _CASES])
def test_fixture(case):
    check_case(case)


def test_bad_rank_is_invalid_argument():
    c = np.ones([5], np.float32)
    with pytest.raises(_core.StatusError) as e:
        run_op("FusedBatchNormV3", [np.ones([2, 3, 5], np.float32), c, c, c, c],
               {"T": dtypes.float32, "U": dtypes.float32, "epsilon": 0.001, "is_training": False},
               [np.float32] * 6)
    assert status_code(e.value) == 3


def test_defaults_when_attrs_missing():
    # old graphs: no epsilon/data_format/is_training -> TF defaults (1e-4, NHWC, training)
    x = np.random.RandomState(0).randn(2, 3, 3, 2).astype(np.float32)
    c = np.ones([2], np.float32)
    y = run_op("FusedBatchNorm", [x, c, 0 * c, c, c], {"T": dtypes.float32}, [np.float32] * 5)[0]
    mean = x.mean(axis=(0, 1, 2))
    var = x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-4), rtol=1e-5, atol=1e-5)
