"""metarun.onnx.export's op families beyond the core set: TF-made graphs (tests/fixtures/onnx_ops,
written by gen_onnx_ops.py with TensorFlow) exported by metarun and run by onnxruntime must give
TensorFlow's values, edge values included (rounding halves, floor division and modulo of mixed
signs for ints and floats, tiny arguments of log1p/expm1, infinities, NaNs, signed zeros)."""

import json
import os

import numpy as np
import pytest

import metarun
import metarun.onnx
from onnx_support import import_onnx, session as _session

onnx = ort = None

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures", "onnx_ops")
with open(os.path.join(FIX, "cases.json")) as _f:
    CASES = json.load(_f)
ARRAYS = {}  # TF's feeds and outputs, read when the tests run
# Cases whose outputs are sums of products (convolutions, interpolations): their rounding error
# is relative to the terms, so a near-zero sum gets an absolute tolerance of 1e-6 times the
# output's largest magnitude. The element-wise cases compare with rtol alone (log1p(1e-10) is
# 1e-10, not 0).
SUMS = {"images", "conv_transpose", "linalg_scatter", "volumes", "misc", "bicubic"}


@pytest.fixture(autouse=True, scope="module")
def _onnx_modules():
    # imported when these tests run, not when pytest collects every test module
    global onnx, ort
    onnx, ort = import_onnx(FIX, ARRAYS)


def _export(name, fetches=None, **kw):
    return metarun.onnx.export(os.path.join(FIX, name, "model.meta"),
                               outputs=fetches or CASES[name]["fetches"], **kw)


def _check(name, session, fetches=None):
    case = CASES[name]
    fetches = fetches or case["fetches"]
    for k in range(case["sets"]):
        inputs = {i.name for i in session.get_inputs()}
        feeds = {t: ARRAYS["%s/%s@%d" % (name, t, k)] for t in case["feeds"] if t in inputs}
        for t, v in zip(fetches, session.run(fetches, feeds)):
            want = ARRAYS["%s/%s@%d" % (name, t, k)]
            assert v.shape == want.shape, (t, k, v.shape, want.shape)
            assert v.dtype == want.dtype, (t, k, v.dtype, want.dtype)
            if t in case.get("unordered", ()):  # TF leaves the order open
                v, want = np.sort(v, axis=-1), np.sort(want, axis=-1)
            if want.dtype.kind == "f":
                finite = np.abs(want[np.isfinite(want)])
                atol = 1e-6 * finite.max() if name in SUMS and finite.size else 0
                np.testing.assert_allclose(v, want, rtol=1e-5, atol=atol,
                                           err_msg="%s @%d" % (t, k))
            else:
                np.testing.assert_array_equal(v, want, err_msg="%s @%d" % (t, k))


def _needed_opset(name, t):
    """The opset a fetch needs: TF's ScatterNd and segment reductions sum (or multiply, or
    take the max or min of) values landing on the same index, which is ScatterND's reduction
    attribute, add from opset 16, mul/max/min from 18."""
    if name == "linalg_scatter" and t in ("scatter_nd:0", "scatter_nd_rows:0",
                                          "scatter_nd_int:0"):
        return 16
    if name == "segments":
        return 16 if "sum" in t or "mean" in t else 18
    if name == "misc" and t.startswith("bit"):
        return 18
    if name == "misc" and t in ("scatter_add:0", "scatter_sub:0"):
        return 16
    if name == "misc" and t in ("scatter_max:0", "scatter_min:0"):
        return 18
    return 13


def _fetches(name, opset):
    return [t for t in CASES[name]["fetches"] if _needed_opset(name, t) <= opset]


@pytest.mark.parametrize("opset", [13, 17, 18, 21])
@pytest.mark.parametrize("name", sorted(CASES))
def test_export_matches_tf(name, opset):
    fetches = _fetches(name, opset)
    if not fetches:
        return
    model = _export(name, fetches, opset=opset)
    assert model.opset_import[0].version == opset
    assert [o.name for o in model.graph.output] == fetches
    _check(name, _session(model), fetches)


def test_default_opset_exports_all_but_the_opset_18_reductions():
    for name in CASES:
        assert [o.name for o in _export(name, _fetches(name, 17)).graph.output] == \
            _fetches(name, 17)


@pytest.mark.parametrize("name", ["linalg_scatter", "segments", "misc"])
def test_reductions_below_their_opset_are_refused(name):
    assert "scatter_nd_const:0" in _fetches("linalg_scatter", 13)  # constant, distinct indices
    needing = [t for t in CASES[name]["fetches"] if _needed_opset(name, t) > 13]
    assert needing
    for t in needing:
        opset = _needed_opset(name, t)
        with pytest.raises(ValueError, match="opset %d" % opset):
            _export(name, [t], opset=opset - 1)


def test_every_op_type_of_these_modules_is_in_a_fixture():
    from metarun.framework import importer
    from metarun.onnx import _ops, _ops_images, _ops_more
    seen = set()
    for name in CASES:
        meta = importer.read_meta_graph_file(os.path.join(FIX, name, "model.meta"))
        seen |= {n.op for n in meta.graph_def.node}
    mine = {op for op, fn in _ops.HANDLERS.items()
            if fn.__module__ in (_ops_more.__name__, _ops_images.__name__)}
    assert mine and mine - seen == set()
