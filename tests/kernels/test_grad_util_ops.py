"""BroadcastGradientArgs and StridedSliceGrad against TF's results (fixtures/kernels/grads.npz)."""
import numpy as np
import pytest

import dataclasses

from metarun.framework import dtypes
from op_harness import check_case, coverage, grad_cases, run_op

CASES = grad_cases("grad_util")
COVERAGE = coverage(CASES)
COVERAGE["StridedSliceGrad"].add("string")  # test_strided_slice_grad_strings (numpy reference)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tf_case(case):
    check_case(case)


def test_broadcast_gradient_args_without_t_attr():
    # Graphs from old TF versions carry no T on BroadcastGradientArgs (int32 then).
    case = next(c for c in CASES if c.op == "BroadcastGradientArgs" and c.error is None
                and c.inputs[0].dtype == np.int32 and c.outputs[1].shape != (0,))
    assert set(case.attrs) == {"T"}  # the one attr the fixture's case gets from its inputs
    check_case(dataclasses.replace(case, attrs={}))


def test_strided_slice_grad_bad_dy_keeps_working():
    bad = next(c for c in CASES if c.op == "StridedSliceGrad" and c.error is not None)
    check_case(bad)
    check_case(next(c for c in CASES if c.op == "StridedSliceGrad" and c.error is None))


def test_strided_slice_grad_matches_numpy_slicing():
    shape = [4, 5, 6]
    dy = np.arange(2 * 3, dtype=np.float32).reshape(2, 3)
    attrs = {"T": dtypes.float32, "Index": dtypes.int32, "begin_mask": 0, "end_mask": 2,
             "ellipsis_mask": 0, "new_axis_mask": 0, "shrink_axis_mask": 4}
    ins = [np.array(shape, np.int32), np.array([3, 0, -1], np.int32), np.array([0, 0, 0], np.int32),
           np.array([-2, 2, 1], np.int32), dy]
    (got,) = run_op("StridedSliceGrad", ins, attrs, ["float32"])
    want = np.zeros(shape, np.float32)
    want[3:0:-2, ::2, -1] = dy
    np.testing.assert_array_equal(got, want)


def test_strided_slice_grad_strings():
    dy = np.array([[b"a", b"b"], [b"c", b"d"]], dtype=object)
    attrs = {"T": dtypes.string, "Index": dtypes.int64, "begin_mask": 0, "end_mask": 0,
             "ellipsis_mask": 0, "new_axis_mask": 0, "shrink_axis_mask": 0}
    ins = [np.array([3, 4], np.int64), np.array([1, 0], np.int64), np.array([3, 4], np.int64),
           np.array([1, 2], np.int64), dy]
    (got,) = run_op("StridedSliceGrad", ins, attrs, ["string"])
    want = np.full([3, 4], b"", dtype=object)
    want[1:3, 0:4:2] = dy
    assert got.shape == want.shape
    assert [bytes(v) for v in got.ravel()] == [bytes(v) for v in want.ravel()]


@pytest.mark.parametrize("case", [c for c in CASES if c.op == "StridedSliceGrad" and c.error is None
                                  and c.inputs[4].dtype == np.float32], ids=lambda c: c.name)
def test_strided_slice_grad_agrees_with_strided_slice(case):
    # StridedSlice (slice_ops.cpp) and StridedSliceGrad normalise slice specs separately: the
    # gradient of a slice of distinct values must put each value back where it came from.
    shape, begin, end, strides, dy = case.inputs
    attrs = case.attrs
    x = np.arange(1, int(np.prod(shape)) + 1, dtype=np.float32).reshape(shape)
    (y,) = run_op("StridedSlice", [x, begin, end, strides], attrs, ["float32"])
    (g,) = run_op("StridedSliceGrad", [shape, begin, end, strides, y], attrs, ["float32"])
    picked = g != 0
    np.testing.assert_array_equal(g[picked], x[picked])
    np.testing.assert_array_equal(np.sort(g[picked]), np.sort(np.asarray(y).ravel()))
