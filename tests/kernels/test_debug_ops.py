"""CheckNumerics, Assert, Print, PrintV2, StringFormat (cpp/kernels/debug_ops.cpp).

Expected outputs, error messages and printed text come from TF-made cases
(fixtures/kernels/gather.npz, see gen_gather.py).
"""
import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import assert_covers_registry, check_case, coverage, expect_error, gather_cases, params, run_op

OPS = ["CheckNumerics", "Assert", "Print", "PrintV2", "StringFormat"]
CASES = gather_cases(OPS)
COVERAGE = coverage(CASES, OPS)


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case, capfd):
    check_case(case, capfd=capfd)


def test_coverage():
    assert_covers_registry(COVERAGE)


def test_string_format_placeholder_count():
    """TF rejects this when the graph is built; metarun when the kernel is."""
    with pytest.raises(_core.StatusError) as e:
        run_op("StringFormat", [np.array([1], np.int32)],
               {"T": [dtypes.int32], "template": "%s %s", "placeholder": "%s", "summarize": 3}, [dtypes.string])
    assert e.value.args[0] == 3
    assert "num placeholders in template and num inputs must match: 2 vs. 1" in e.value.args[1]


def test_printv2_file(tmp_path):
    path = tmp_path / "out.txt"
    run_op("PrintV2", [np.array(b"line", dtype=object)], {"output_stream": "file://%s" % path, "end": "\n"}, [],
           times=2)
    assert path.read_text() == "line\nline\n"


def test_session_survives_check_numerics():
    attrs = {"T": dtypes.float32, "message": "m"}
    _, (out,) = expect_error("CheckNumerics", [np.array([np.nan], np.float32)], [np.array([1.5], np.float32)],
                            attrs, [dtypes.float32])
    np.testing.assert_array_equal(out, [1.5])
