"""TensorScatter{Update,Add,Sub,Max,Min}, ScatterNdNonAliasingAdd, Roll, LowerBound, UpperBound,
UnravelIndex, Bitcast, Inplace{Update,Add,Sub}, Angle, NthElement, GuaranteeConst and Empty
(cpp/kernels/array_ops_3.cpp).

Expected values and error messages come from TF-made cases (fixtures/kernels/gather.npz, see
gen_gather.py: tensor_scatter_cases and roll_search_misc_cases), compared exactly.
"""
import numpy as np
import pytest

from metarun import errors
from metarun.framework import dtypes
from op_harness import assert_covers_registry, check_case, coverage, gather_cases, params, run_op

OPS = ["TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub", "TensorScatterMax", "TensorScatterMin",
       "ScatterNdNonAliasingAdd", "Roll", "LowerBound", "UpperBound", "UnravelIndex", "Bitcast", "InplaceUpdate",
       "InplaceAdd", "InplaceSub", "Angle", "NthElement", "GuaranteeConst", "Empty"]
CASES = gather_cases(OPS)
COVERAGE = coverage(CASES, OPS)
COVERAGE["InplaceAdd"].add("bool")  # registered as TF does, refused when run (InplaceAdd_bool)
COVERAGE["InplaceSub"].add("bool")


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case):
    check_case(case)


def test_coverage():
    assert_covers_registry(COVERAGE)


def test_every_op_has_tf_cases():
    assert {c.op for c in CASES} == set(OPS)


def test_inplace_negative_row_is_refused_not_written():
    # TF indexes out of bounds here; metarun refuses.
    from metarun import _core
    with pytest.raises(_core.StatusError) as info:
        run_op("InplaceAdd", [np.zeros((3, 2), np.float32), np.array([-1], np.int32), np.ones((1, 2), np.float32)],
               {"T": dtypes.float32})
    assert info.value.args[0] == errors.INVALID_ARGUMENT


COVERAGE["Timestamp"] = set()


def test_timestamp_is_now_in_seconds():
    import time
    before = time.time()
    out, = run_op("Timestamp", [], {}, [dtypes.float64])
    after = time.time()
    assert out.dtype == np.float64 and out.shape == ()
    assert before - 1e-3 <= float(out) <= after + 1e-3


def test_scatter_into_an_intermediate_updates_in_place_only_when_nothing_else_reads_it():
    import metarun as tf
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3])
        alone = tf.tensor_scatter_nd_add(x + 1.0, [[0]], [10.0])  # x + 1 feeds nothing else
        shared = x * 2.0
        both = [tf.tensor_scatter_nd_update(shared, [[2]], [7.0]), shared + 0.0]
        rows = tf.raw_ops.InplaceAdd(x=x - 1.0, i=[1], v=[5.0])
        with tf.Session() as sess:
            got = sess.run([alone, both, rows], {x: np.array([1, 2, 3], np.float32)})
    np.testing.assert_array_equal(got[0], [12, 3, 4])
    np.testing.assert_array_equal(got[1][0], [2, 4, 7])
    np.testing.assert_array_equal(got[1][1], [2, 4, 6])  # the shared input is not overwritten
    np.testing.assert_array_equal(got[2], [0, 6, 2])
