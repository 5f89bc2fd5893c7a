"""Gather, GatherV2, GatherNd, ResourceGather, DynamicStitch, ParallelDynamicStitch,
DynamicPartition (cpp/kernels/gather_ops.cpp).

Expected values come from TF-made cases (fixtures/kernels/gather.npz, see gen_gather.py);
resource-handle params, which TF cannot feed, and large multi-threaded inputs are checked
against numpy.
"""
import numpy as np
import pytest

from metarun.framework import dtypes
from op_harness import (assert_covers_registry, check_case, coverage, expect_error, gather_cases, handle_names, handles,
                        params, run_on_variable, run_op)

OPS = ["Gather", "GatherV2", "GatherNd", "ResourceGather", "DynamicStitch", "ParallelDynamicStitch",
       "DynamicPartition"]
CASES = gather_cases(OPS)
COVERAGE = coverage(CASES, OPS)
for _op in ("Gather", "GatherV2", "GatherNd", "ResourceGather", "DynamicPartition"):
    COVERAGE[_op].add("resource")  # test_resource_params below


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case):
    check_case(case)


def test_coverage():
    assert_covers_registry(COVERAGE)


def test_resource_params():
    r = dtypes.resource
    params = handles(6).reshape(3, 2)
    idx = np.array([2, 0], np.int32)
    want = np.array(handle_names(params), dtype=object)
    i32 = dtypes.int32
    out, = run_op("GatherV2", [params, np.array([1, 0], np.int32), np.array(1, np.int32)],
                  {"Tparams": r, "Tindices": i32, "Taxis": i32, "batch_dims": 0}, [r], input_dtypes=[r, i32, i32])
    assert handle_names(out) == want[:, [1, 0]].tolist()
    out, = run_op("Gather", [params, idx], {"Tparams": r, "Tindices": i32}, [r], input_dtypes=[r, i32])
    assert handle_names(out) == want[[2, 0]].tolist()
    out, = run_op("GatherNd", [params, np.array([[1, 1], [0, 1]], np.int32)], {"Tparams": r, "Tindices": i32}, [r],
                  input_dtypes=[r, i32])
    assert handle_names(out) == [want[1, 1], want[0, 1]]
    outs = run_op("DynamicPartition", [params, np.array([1, 0, 1], np.int32)], {"T": r, "num_partitions": 2}, [r, r],
                  input_dtypes=[r, i32])
    assert [handle_names(o) for o in outs] == [want[[1]].tolist(), want[[0, 2]].tolist()]
    out, = run_on_variable("ResourceGather", [params, idx], {"dtype": r, "Tindices": i32, "batch_dims": 0,
                                                             "validate_indices": True}, [r], input_dtypes=[r, i32])
    assert handle_names(out) == want[[2, 0]].tolist()


def test_gatherv2_axis1_resource():
    r = dtypes.resource
    params = handles(6).reshape(3, 2)
    i64 = dtypes.int64
    out, = run_op("GatherV2", [params, np.array([1, 1, 0], np.int64), np.array(-1, np.int64)],
                  {"Tparams": r, "Tindices": i64, "Taxis": i64, "batch_dims": 0}, [r], input_dtypes=[r, i64, i64])
    assert handle_names(out) == np.array(handle_names(params), dtype=object)[:, [1, 1, 0]].tolist()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_gatherv2_large_matches_numpy(threads, axis):
    rng = np.random.RandomState(axis)
    params = rng.rand(64, 33, 17).astype(np.float32)
    idx = rng.randint(0, params.shape[axis], size=(50, 3)).astype(np.int32)
    out, = run_op("GatherV2", [params, idx, np.int32(axis)],
               {"Tparams": dtypes.float32, "Tindices": dtypes.int32, "Taxis": dtypes.int32, "batch_dims": 0},
               [dtypes.float32], num_threads=threads)
    np.testing.assert_array_equal(out, np.take(params, idx, axis=axis))


@pytest.mark.parametrize("threads", [1, 2])
def test_gathernd_large_matches_numpy(threads):
    rng = np.random.RandomState(0)
    params = rng.rand(40, 30, 8).astype(np.float64)
    idx = np.stack([rng.randint(0, 40, 500), rng.randint(0, 30, 500)], axis=1).astype(np.int64)
    out, = run_op("GatherNd", [params, idx], {"Tparams": dtypes.float64, "Tindices": dtypes.int64}, [dtypes.float64],
               num_threads=threads)
    np.testing.assert_array_equal(out, params[idx[:, 0], idx[:, 1]])


def test_session_survives_bad_index():
    params = np.arange(10, dtype=np.float32).reshape(5, 2)
    attrs = {"Tparams": dtypes.float32, "Tindices": dtypes.int32, "Taxis": dtypes.int32, "batch_dims": 0}
    _, (out,) = expect_error("GatherV2", [params, np.array([7], np.int32), np.int32(0)],
                            [params, np.array([4], np.int32), np.int32(0)], attrs, [dtypes.float32])
    np.testing.assert_array_equal(out, params[[4]])
