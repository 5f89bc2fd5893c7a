"""The checkpoint IO ops are host kernels: registered in the one registry and
run by the executor like any other op, with the Python bundle code doing the
file work. Each runs here through a real Session; the bytes they write are
checked against TF's files in tests/test_bundle*.py and the cases."""
import numpy as np
import pytest

import metarun  # noqa: F401 -- installs the host function
from metarun import _core
from metarun.framework import dtypes
from op_harness import run_op, status_code

COVERAGE = {op: set() for op in ("SaveV2", "RestoreV2", "MergeV2Checkpoints", "Save", "SaveSlices",
                                 "Restore", "RestoreSlice")}

F32, I64, STR = dtypes.float32, dtypes.int64, dtypes.string
NOT_FOUND = 5


def _s(*items):
    return np.array([x.encode() for x in items], dtype=object)


def test_every_io_op_is_a_host_kernel_of_the_registry():
    assert set(COVERAGE) <= set(_core.host_ops())
    assert set(_core.host_ops()) <= set(_core.registered_kernels())


def _save_v2(prefix, names, values):
    types = [dtypes.as_dtype(v.dtype) for v in values]
    run_op("SaveV2", [np.array(prefix.encode(), dtype=object), _s(*names), _s(*[""] * len(names))] + values,
           {"dtypes": types}, out_dtypes=[])


def test_save_v2_then_restore_v2(tmp_path):
    prefix = str(tmp_path / "model")
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([7, -8], dtype=np.int64)
    _save_v2(prefix, ["a", "b"], [a, b])
    got = run_op("RestoreV2", [np.array(prefix.encode(), dtype=object), _s("b", "a"), _s("", "")],
                 {"dtypes": [I64, F32]}, out_dtypes=[I64, F32])
    np.testing.assert_array_equal(got[0], b)
    np.testing.assert_array_equal(got[1], a)
    # A slice of a saved tensor.
    part = run_op("RestoreV2", [np.array(prefix.encode(), dtype=object), _s("a"), _s("2 3 1,1:0,3")],
                  {"dtypes": [F32]}, out_dtypes=[F32])
    np.testing.assert_array_equal(part[0], a[1:2])


def test_restore_v2_of_a_missing_checkpoint_is_not_found(tmp_path):
    with pytest.raises(_core.StatusError) as e:
        run_op("RestoreV2", [np.array(str(tmp_path / "none").encode(), dtype=object), _s("a"), _s("")],
               {"dtypes": [F32]}, out_dtypes=[F32])
    assert status_code(e.value) == NOT_FOUND


def test_merge_v2_checkpoints(tmp_path):
    one, two, dest = (str(tmp_path / n) for n in ("one", "two", "merged"))
    _save_v2(one, ["a"], [np.float32([1.0, 2.0])])
    _save_v2(two, ["b"], [np.int64([3])])
    run_op("MergeV2Checkpoints", [_s(one, two), np.array(dest.encode(), dtype=object)],
           {"delete_old_dirs": True}, out_dtypes=[])
    got = run_op("RestoreV2", [np.array(dest.encode(), dtype=object), _s("a", "b"), _s("", "")],
                 {"dtypes": [F32, I64]}, out_dtypes=[F32, I64])
    np.testing.assert_array_equal(got[0], [1.0, 2.0])
    np.testing.assert_array_equal(got[1], [3])


@pytest.mark.parametrize("op", ["Save", "SaveSlices"])
def test_v1_save_then_restore(tmp_path, op):
    path = str(tmp_path / "v1.ckpt")
    a = np.array([[1.5, -2.0]], dtype=np.float32)
    inputs = [np.array(path.encode(), dtype=object), _s("a")]
    if op == "SaveSlices":
        inputs.append(_s(""))
    run_op(op, inputs + [a], {"T": [F32]}, out_dtypes=[])
    got = run_op("Restore", [np.array(path.encode(), dtype=object), np.array(b"a", dtype=object)],
                 {"dt": F32, "preferred_shard": -1}, out_dtypes=[F32])
    np.testing.assert_array_equal(got[0], a)
    got = run_op("RestoreSlice", [np.array(path.encode(), dtype=object), np.array(b"a", dtype=object),
                                  np.array(b"", dtype=object)],
                 {"dt": F32, "preferred_shard": -1}, out_dtypes=[F32])
    np.testing.assert_array_equal(got[0], a)
