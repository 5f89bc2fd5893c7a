"""The dual-run scripts under metarun give what they gave under TensorFlow (README.md)."""
import os

import numpy as np
import pytest

import _dualrun
import metarun as tf

NAMES = [n for n in _dualrun.script_names()
         if os.path.exists(os.path.join(_dualrun.EXPECTED, n + ".npz"))]


def test_every_script_has_expected_results():
    assert NAMES == _dualrun.script_names(), "run tests/dualrun/gen_expected.py with TensorFlow"


def _compare(key, got, want, rtol, atol):
    got = np.asarray(got)
    assert got.shape == want.shape, (key, got.shape, want.shape)
    if want.dtype.kind in "fc":
        assert got.dtype == want.dtype, (key, got.dtype, want.dtype)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=key, equal_nan=True)
    elif want.dtype.kind in "SUO":
        assert [bytes(x) if not isinstance(x, str) else x.encode() for x in got.reshape(-1)] == \
            [bytes(x) if not isinstance(x, str) else x.encode() for x in want.reshape(-1)], key
    else:
        assert got.dtype == want.dtype, (key, got.dtype, want.dtype)
        np.testing.assert_array_equal(got, want, err_msg=key)


@pytest.mark.parametrize("name", NAMES)
def test_script_matches_tensorflow(name):
    index, arrays = _dualrun.read_expected(name)
    mod, results = _dualrun.run_script(tf, name)
    rtol, atol = getattr(mod, "RTOL", 1e-6), getattr(mod, "ATOL", 0.0)
    assert sorted(results) == sorted(index), name
    for key, how in index.items():
        if "graph" in how:
            got = _dualrun.graph_summary(results[key])
            want = how["graph"]
            assert [n[0] for n in got] == [n[0] for n in want], "node names differ"
            for g, w in zip(got, want):
                assert g == [w[0], w[1], w[2], w[3], w[4]], (g, w)
        elif "list" in how:
            assert len(results[key]) == how["list"], key
            for i, v in enumerate(results[key]):
                _compare("%s.%d" % (key, i), v, arrays["%s.%d" % (key, i)], rtol, atol)
        else:
            _compare(key, results[key], arrays[key], rtol, atol)
