"""Fill, ZerosLike, OnesLike, Range, LinSpace, OneHot, Unique, UnsortedSegmentSum
(cpp/kernels/fill_ops.cpp).

Expected values come from TF-made cases (fixtures/kernels/gather.npz, see gen_gather.py);
resource handles, which TF cannot feed, are checked against numpy.
"""
import numpy as np
import pytest

from metarun.framework import dtypes
from op_harness import (assert_covers_registry, check_case, coverage, expect_error, gather_cases, handle_names,
                        handles, params, run_op)

OPS = ["Fill", "ZerosLike", "OnesLike", "Range", "LinSpace", "OneHot", "Unique", "UnsortedSegmentSum"]
CASES = gather_cases(OPS)
COVERAGE = coverage(CASES, OPS)
COVERAGE["Fill"].add("resource")  # test_resource_values
COVERAGE["OneHot"].add("resource")
COVERAGE["ZerosLike"].add("variant")  # lists: test_tensor_list_ops.py


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case):
    check_case(case)


def test_coverage():
    assert_covers_registry(COVERAGE)


def test_resource_values():
    r = dtypes.resource
    h = handles(2)
    out, = run_op("Fill", [np.array([2, 1], np.int32), h[:1].reshape(())], {"T": r, "index_type": dtypes.int32}, [r],
                  input_dtypes=[dtypes.int32, r])
    assert handle_names(out) == [["h0"], ["h0"]]
    out, = run_op("OneHot", [np.array([1, 0], np.int64), np.array(2, np.int32), h[1:].reshape(()), h[:1].reshape(())],
                  {"T": r, "TI": dtypes.int64, "axis": -1}, [r], input_dtypes=[dtypes.int64, dtypes.int32, r, r])
    assert handle_names(out) == [["h0", "h1"], ["h1", "h0"]]


def test_fill_without_index_type():
    """Graphs from before TF 1.5 have no index_type attr: the dims dtype decides."""
    out, = run_op("Fill", [np.array([2, 2], np.int64), np.array(1.5, np.float32)], {"T": dtypes.float32},
                  [dtypes.float32])
    np.testing.assert_array_equal(out, np.full((2, 2), 1.5, np.float32))


def test_unique_large_matches_numpy():
    x = np.random.RandomState(2).randint(-50, 50, 5000).astype(np.int64)
    y, idx = run_op("Unique", [x], {"T": dtypes.int64, "out_idx": dtypes.int32}, [dtypes.int64, dtypes.int32])
    _, first = np.unique(x, return_index=True)
    np.testing.assert_array_equal(y, x[np.sort(first)])
    np.testing.assert_array_equal(y[idx], x)


def test_unsorted_segment_sum_large_matches_numpy():
    rng = np.random.RandomState(3)
    data = rng.randint(-9, 9, (1000, 7)).astype(np.int64)
    ids = rng.randint(-1, 20, 1000).astype(np.int32)
    out, = run_op("UnsortedSegmentSum", [data, ids, np.array(20, np.int32)],
               {"T": dtypes.int64, "Tindices": dtypes.int32, "Tnumsegments": dtypes.int32}, [dtypes.int64])
    want = np.zeros((20, 7), np.int64)
    np.add.at(want, ids[ids >= 0], data[ids >= 0])
    np.testing.assert_array_equal(out, want)


def test_session_survives_bad_range():
    ty = {"Tidx": dtypes.int32}
    _, (out,) = expect_error("Range", [np.array(5, np.int32), np.array(1, np.int32), np.array(1, np.int32)],
                            [np.array(1, np.int32), np.array(5, np.int32), np.array(2, np.int32)], ty, [dtypes.int32])
    np.testing.assert_array_equal(out, [1, 3])
