"""MatMul and BatchMatMul (V1, V2, V3) against TF-made fixtures and numpy."""
import numpy as np
import pytest

from metarun.framework import dtypes
from op_harness import check_case, coverage, linalg_cases, run_op

OPS = ("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")
_CASES = linalg_cases(OPS)
COVERAGE = coverage(_CASES)


@pytest.mark.parametrize("case", _CASES, ids=[c.name for c in _CASES])
def test_fixture(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in _CASES if c.error is None][::3])
def test_fixture_two_threads(case):
    check_case(case, num_threads=2)


@pytest.mark.parametrize("m,k,n", [(256, 784, 512), (1, 784, 512), (300, 1, 7), (17, 33, 1)])
@pytest.mark.parametrize("threads", [1, 2])
def test_large_float_matches_numpy(m, k, n, threads):
    rng = np.random.RandomState(0)
    a = rng.randn(m, k).astype(np.float32)
    b = rng.randn(k, n).astype(np.float32)
    got = run_op("MatMul", [a, b], {"T": dtypes.float32, "transpose_a": False, "transpose_b": False},
                 num_threads=threads)[0]
    np.testing.assert_allclose(got, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4 * np.sqrt(k))


def test_many_small_batches_two_threads():
    rng = np.random.RandomState(1)
    x = rng.randn(64, 5, 6).astype(np.float32)
    y = rng.randn(1, 6, 7).astype(np.float32)
    got = run_op("BatchMatMulV2", [x, y], {"T": dtypes.float32, "adj_x": False, "adj_y": False}, num_threads=2)[0]
    np.testing.assert_allclose(got, x @ y, rtol=1e-5, atol=1e-5)


def test_missing_optional_attrs():
    # graphs from old TF versions may omit adj_x/adj_y
    x = np.ones([2, 2, 3], np.float32)
    y = np.ones([2, 3, 2], np.float32)
    got = run_op("BatchMatMul", [x, y], {"T": dtypes.float32})[0]
    np.testing.assert_array_equal(got, x @ y)


def test_v3_unregistered_combination_is_not_found():
    from metarun import _core
    from op_harness import status_code
    x = np.ones([2, 3], np.float32)
    with pytest.raises(_core.StatusError) as e:
        run_op("BatchMatMulV3", [x, x.T.astype(np.float64)],
               {"Ta": dtypes.float32, "Tb": dtypes.float64, "Tout": dtypes.float32, "adj_x": False, "adj_y": False},
               [np.float32])
    assert status_code(e.value) == 5
    # the session machinery still works afterwards
    assert run_op("MatMul", [x, x.T], {"T": dtypes.float32, "transpose_a": False, "transpose_b": False})[0].shape == (2, 2)
