"""Einsum against TF-made fixtures (one and two operands, ellipses)."""
import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import check_case, coverage, linalg_cases, run_op, status_code

OPS = ("Einsum",)
_CASES = linalg_cases(OPS)
COVERAGE = coverage(_CASES)


@pytest.mark.parametrize("case", _CASES, ids=["%s-%s" % (c.name, c.attrs["equation"]) for c in _CASES])
def test_fixture(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in _CASES if c.error is None][::2])
def test_fixture_two_threads(case):
    check_case(case, num_threads=2)


def test_large_batch_matches_numpy():
    rng = np.random.RandomState(0)
    a = rng.randn(8, 4, 64, 32).astype(np.float32)
    b = rng.randn(8, 4, 48, 32).astype(np.float32)
    got = run_op("Einsum", [a, b], {"equation": "bhqd,bhkd->bhqk", "T": dtypes.float32, "N": 2}, num_threads=2)[0]
    np.testing.assert_allclose(got, np.einsum("bhqd,bhkd->bhqk", a, b), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("eq,n", [("ii->i", 1), ("ij,jk,kl->il", 3), ("ij,jk->iz", 2), ("ij,jk->ii", 2), ("i#->i", 1)])
def test_unsupported_or_bad_equations_are_invalid_argument(eq, n):
    x = np.ones([3, 3], np.float32)
    with pytest.raises(_core.StatusError) as e:
        run_op("Einsum", [x] * n, {"equation": eq, "T": dtypes.float32, "N": n})
    assert status_code(e.value) == 3
