"""The summary kernels against TF's bytes (tests/fixtures/kernels/summaries.npz, made by
gen_summaries.py): the serialized Summary each case gives, or TF's error code and message."""
import json

import numpy as np
import pytest

from metarun import _core, errors
from metarun.framework import dtypes
from op_harness import BF16, kernel_fixture, load_npz, run_op, status_code

REAL = ["float32", "float64", "int32", "int64", "uint8", "int16", "int8", "uint16", "float16", "bfloat16",
        "uint32", "uint64"]
# Host kernels: the registry lists them without dtypes; the dtypes below are the ones the cases run.
COVERAGE = {op: set() for op in ("ScalarSummary", "HistogramSummary", "ImageSummary", "AudioSummary",
                                 "AudioSummaryV2", "TensorSummary", "TensorSummaryV2", "MergeSummary")}
DTYPES_RUN = {"ScalarSummary": set(REAL), "HistogramSummary": set(REAL),
              "ImageSummary": {"uint8", "float16", "float32", "float64"}, "AudioSummaryV2": {"float32"}}

DATA = load_npz(kernel_fixture("summaries.npz"))
CASES = json.loads(DATA["cases_json"].tobytes())


def _strings(v):
    if isinstance(v, list):
        return [_strings(x) for x in v]
    return v["b"].encode("latin-1")


def _inputs(i, case):
    out = []
    for j, dt in enumerate(case["dtypes"]):
        if dt == "s":
            out.append(np.array(_strings(case["strings"][str(j)]), dtype=object))
            continue
        raw = DATA["c%d_in%d" % (i, j)]
        if dt == "bfloat16":
            out.append(raw.astype(np.float32).astype(BF16))
        elif dt == "bool":
            out.append(raw.astype(bool))
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                out.append(raw.astype(np.dtype(dt)))
    return out


def _attrs(i, case, inputs):
    attrs = dict(case["attrs"])
    op = case["op"]
    if op in ("ScalarSummary", "HistogramSummary", "TensorSummaryV2"):
        attrs["T"] = dtypes.as_dtype(case["dtypes"][1] if case["dtypes"][1] != "s" else "string")
    if op == "TensorSummary":
        attrs["T"] = dtypes.as_dtype(case["dtypes"][0] if case["dtypes"][0] != "s" else "string")
    if op == "ImageSummary":
        attrs["T"] = dtypes.as_dtype(case["dtypes"][1])
        bad = DATA.get("c%d_bad_color" % i)
        attrs["bad_color"] = np.array([255, 0, 0, 255], np.uint8) if bad is None else bad
    return attrs


def _input_dtypes(case):
    return [dtypes.string if dt == "s" else dtypes.as_dtype(dt) for dt in case["dtypes"]]


def _name(i):
    case = CASES[i]
    return "%d-%s-%s" % (i, case["op"], "-".join(case["dtypes"][:2]))


def test_registered_as_host_ops():
    assert set(COVERAGE) <= set(_core.host_ops())


def test_fixture_runs_every_dtype_claimed():
    seen = {}
    for case in CASES:
        for dt in case["dtypes"][1:2] if case["op"] not in ("TensorSummary", "MergeSummary") else []:
            seen.setdefault(case["op"], set()).add(dt)
    for op, want in DTYPES_RUN.items():
        assert want <= seen[op], op


@pytest.mark.parametrize("i", range(len(CASES)), ids=_name)
def test_case_matches_tf(i):
    case = CASES[i]
    inputs = _inputs(i, case)
    attrs = _attrs(i, case, inputs)
    if "error" in case:
        cls, message = case["error"]
        with pytest.raises(_core.StatusError) as e:
            run_op(case["op"], inputs, attrs, out_dtypes=[dtypes.string], input_dtypes=_input_dtypes(case))
        assert status_code(e.value) == getattr(errors, cls)(None, None, "").error_code
        assert message in str(e.value)
        return
    got, = run_op(case["op"], inputs, attrs, out_dtypes=[dtypes.string], input_dtypes=_input_dtypes(case))
    want = DATA["c%d_out" % i].tobytes()
    got = got[()] if isinstance(got, np.ndarray) else got
    assert got == want
