"""SoftmaxCrossEntropyWithLogits and its sparse form against TF (fixtures/kernels/grads.npz)."""
import numpy as np
import pytest

from metarun.framework import dtypes
from op_harness import check_case, coverage, grad_cases, run_op

CASES = grad_cases("xent")
COVERAGE = coverage(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tf_case(case):
    check_case(case)


def test_threaded_rows_match_single_thread():
    case = max((c for c in CASES if c.op == "SoftmaxCrossEntropyWithLogits" and c.error is None),
               key=lambda c: c.inputs[0].size)
    check_case(case, num_threads=2)


def test_sparse_matches_dense_one_hot():
    rng = np.random.RandomState(0)
    logits = rng.randn(7, 11).astype(np.float32)
    labels = rng.randint(0, 11, size=7).astype(np.int64)
    f32 = dtypes.float32
    sparse = run_op("SparseSoftmaxCrossEntropyWithLogits", [logits, labels],
                       {"T": f32, "Tlabels": dtypes.int64}, ["float32", "float32"])
    dense = run_op("SoftmaxCrossEntropyWithLogits", [logits, np.eye(11, dtype=np.float32)[labels]],
                      {"T": f32}, ["float32", "float32"])
    for s, d in zip(sparse, dense):
        np.testing.assert_allclose(s, d, rtol=1e-6, atol=1e-7)
