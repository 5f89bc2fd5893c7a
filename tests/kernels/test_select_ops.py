"""Select, SelectV2, Where, ClipByValue (cpp/kernels/select_ops.cpp).

Expected values come from TF-made cases (fixtures/kernels/gather.npz, see gen_gather.py);
resource handles, which TF cannot feed, and multi-threaded runs are checked against numpy.
"""
import numpy as np
import pytest

from metarun.framework import dtypes
from op_harness import (assert_covers_registry, check_case, coverage, expect_error, gather_cases, handle_names,
                        handles, params, run_op)

OPS = ["Select", "SelectV2", "Where", "ClipByValue"]
CASES = gather_cases(OPS)
COVERAGE = coverage(CASES, OPS)
COVERAGE["Select"].add("resource")  # test_resource_select
COVERAGE["SelectV2"].add("resource")
COVERAGE["Where"].add("float16")  # TF's CPU kernel refuses half: the where_float16 case asserts that error


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case):
    check_case(case)


def test_coverage():
    assert_covers_registry(COVERAGE)


def test_resource_select():
    r = dtypes.resource
    x, y = handles(4).reshape(2, 2), handles(6)[2:].reshape(2, 2)
    cond = np.array([[True, False], [False, True]])
    out, = run_op("Select", [cond, x, y], {"T": r}, [r], input_dtypes=[dtypes.bool, r, r])
    assert handle_names(out) == np.where(cond, np.array(handle_names(x)), np.array(handle_names(y))).tolist()
    out, = run_op("SelectV2", [np.array([False, True]), x, y[0]], {"T": r}, [r],
                  input_dtypes=[dtypes.bool, r, r])
    assert handle_names(out) == np.where([False, True], np.array(handle_names(x)), np.array(handle_names(y[0]))).tolist()


@pytest.mark.parametrize("threads", [1, 2])
def test_large_matches_numpy(threads):
    rng = np.random.RandomState(1)
    cond = rng.rand(300, 1, 70) > 0.5
    x = rng.rand(300, 40, 70).astype(np.float32)
    y = rng.rand(40, 1).astype(np.float32)
    out, = run_op("SelectV2", [cond, x, y], {"T": dtypes.float32}, [dtypes.float32], num_threads=threads)
    np.testing.assert_array_equal(out, np.where(cond, x, y))
    c2 = rng.rand(300, 40, 70) > 0.3
    out, = run_op("Select", [c2, x, x * 2], {"T": dtypes.float32}, [dtypes.float32], num_threads=threads)
    np.testing.assert_array_equal(out, np.where(c2, x, x * 2))
    out, = run_op("Where", [c2], {"T": dtypes.bool}, [dtypes.int64], num_threads=threads)
    np.testing.assert_array_equal(out, np.argwhere(c2))
    out, = run_op("ClipByValue", [x, np.array(0.25, np.float32), np.array(0.75, np.float32)], {"T": dtypes.float32},
               [dtypes.float32], num_threads=threads)
    np.testing.assert_array_equal(out, np.minimum(np.maximum(x, np.float32(0.25)), np.float32(0.75)))


def test_session_survives_bad_shapes():
    good = [np.array([True, False]), np.array([1, 2], np.int32), np.array([3, 4], np.int32)]
    bad = [np.array([True, False]), np.array([1, 2, 3], np.int32), np.array([3, 4], np.int32)]
    _, (out,) = expect_error("SelectV2", bad, good, {"T": dtypes.int32}, [dtypes.int32])
    np.testing.assert_array_equal(out, [1, 4])
