"""Segment{Sum,Mean,Max,Min,Prod}, UnsortedSegment{Max,Min,Prod}, ScatterNd, ListDiff,
UniqueWithCounts, InTopK(V2), MatrixDiagPartV3, MirrorPadGrad, LRNGrad, EnsureShape, VariableShape
(cpp/kernels/segment_ops.cpp, segment_ops_2.cpp), and the gradients of python/metarun/ops/segment_grad.py.

Expected values come from TF-made cases (fixtures/kernels/segment.npz, see gen_segment.py),
compared exactly (float sums bit for bit, error messages included); VariableShape, which needs a
resource variable TF cannot feed, and large inputs are checked against numpy.
"""

import numpy as np
import pytest

import metarun as tf
from metarun import _core
from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op
from op_harness import (blob_fixture, decode_attrs, Case, Shape, add_node, add_placeholder,
                        assert_covers_registry, assert_matches, check_case, coverage, enum, fixture_module,
                        handle_names, handles, params, run_op, status_code)

OPS = ["SegmentSum", "SegmentMean", "SegmentMax", "SegmentMin", "SegmentProd", "UnsortedSegmentMax",
       "UnsortedSegmentMin", "UnsortedSegmentProd", "ScatterNd", "ListDiff", "UniqueWithCounts", "InTopK", "InTopKV2",
       "MatrixDiagPartV3", "MirrorPadGrad", "LRNGrad", "EnsureShape"]
RESOURCE_EXHAUSTED = 8
NOT_FOUND = 5

# TF's kernel names its input tensor in EnsureShape's error (an executor-made name such as
# _arg_Placeholder_0_0); a metarun kernel knows only its own node: compared up to that name.
_NAMES_INPUT = {"EnsureShape"}
# A num_segments whose output cannot be allocated: TF reports a mangled InvalidArgument
# ("... out of range [0, 0)") after its size arithmetic overflows; metarun refuses the
# allocation up front with the core's ResourceExhausted.
_OVERFLOWS = {"UnsortedSegmentMax_huge", "UnsortedSegmentMin_huge", "UnsortedSegmentProd_huge"}


def _segment_fixture():
    """segment.npz in gen_gather.py's layout: its op cases, and the gradient records."""
    meta, array = blob_fixture("segment.npz")

    cases = []
    for k, c in enumerate(meta["cases"]):
        attrs = decode_attrs(c["attrs"])
        error = tuple(c["error"]) if "error" in c else None
        if error and c["op"] in _NAMES_INPUT:
            error = (error[0], None)
        if c["name"] in _OVERFLOWS:
            error = (RESOURCE_EXHAUSTED, None)
        cases.append(Case(name=c["name"], op=c["op"],
                          inputs=[array("c%d_i%d" % (k, j), d) for j, d in enumerate(c["inputs"])],
                          attrs=attrs, out_dtypes=[dtypes.as_dtype(d) for d in c["out_dtypes"]],
                          outputs=[array(key, d) for key, d in zip(c.get("outputs", ()), c["out_dtypes"])],
                          error=error, dtype=c["attrs"].get("T", {}).get("type")))
    grads = []
    for k, g in enumerate(meta["grads"]):
        inputs = [array("g%d_i%d" % (k, j), d) for j, d in enumerate(g["inputs"])]
        grads.append(dict(name=g["name"], inputs=list(zip(inputs, g["inputs"])), w=array(g["w"], None),
                          y=array(g["y"], None), grads=[(array(key, None), j) for key, j in g["grads"]]))
    return cases, grads


CASES, GRADS = _segment_fixture()
COVERAGE = coverage(CASES, OPS)
COVERAGE["VariableShape"] = {"int32", "int64"}  # test_variable_shape
COVERAGE["EnsureShape"].add("resource")  # test_ensure_shape_resource
# array_grad.py's UnsortedSegmentSum gradient reshapes its mask only when the ids' rank is known
# statically; with ids of unknown shape (a bare placeholder) its SelectV2 cannot broadcast.
_KNOWN_BAD = {}  # gradient cases expected to fail (none now)


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case):
    check_case(case)


def test_coverage():
    assert_covers_registry(COVERAGE)


# No input of MirrorPadGrad can be empty: TF requires each dimension to exceed its paddings.
_NO_EMPTY = {"MirrorPadGrad"}


@pytest.mark.parametrize("op", OPS)
def test_fixture_has_bad_and_empty_inputs(op):
    mine = [c for c in CASES if c.op == op]
    assert any(c.error for c in mine), "%s: no bad input" % op
    if op not in _NO_EMPTY:
        assert any(c.error is None and any(0 in np.shape(x) for x in c.inputs) for c in mine), "%s: no empty input" % op


def test_ensure_shape_resource():
    r = dtypes.resource
    out, = run_op("EnsureShape", [handles(3)], {"T": r, "shape": Shape([-1])}, [r], input_dtypes=[r])
    assert handle_names(out) == handle_names(handles(3))
    with pytest.raises(_core.StatusError) as info:
        run_op("EnsureShape", [handles(3)], {"T": r, "shape": Shape([2])}, [r], input_dtypes=[r])
    assert status_code(info.value) == 3


def test_ensure_shape_message():
    case = next(c for c in CASES if c.name == "EnsureShape_bad_dim")
    with pytest.raises(_core.StatusError) as info:
        run_op(case.op, case.inputs, case.attrs, case.out_dtypes)
    assert info.value.args[1].endswith("[2,3] is not compatible with expected shape [2,4].")


# -- larger inputs than the fixture's, against numpy -------------------------------------------

@pytest.mark.parametrize("dtype", ["int32", "int64", "float64"])
def test_segment_sum_large_matches_numpy(dtype):
    rng = np.random.RandomState(1)
    ids = np.sort(rng.randint(0, 300, 5000)).astype(np.int64)
    data = rng.randint(-100, 100, (5000, 7)).astype(dtype)
    want = np.zeros((ids[-1] + 1, 7), dtype)
    np.add.at(want, ids, data)
    out, = run_op("SegmentSum", [data, ids], {"T": dtypes.as_dtype(dtype), "Tindices": dtypes.int64})
    np.testing.assert_array_equal(out, want)


def test_unsorted_segment_max_large_matches_numpy():
    rng = np.random.RandomState(2)
    ids = rng.randint(-1, 50, 3000).astype(np.int32)
    data = rng.randint(-1000, 1000, (3000, 3)).astype(np.int32)
    want = np.full((60, 3), np.iinfo(np.int32).min, np.int32)
    keep = ids >= 0
    np.maximum.at(want, ids[keep], data[keep])
    out, = run_op("UnsortedSegmentMax", [data, ids, np.int32(60)],
                  {"T": dtypes.int32, "Tindices": dtypes.int32, "Tnumsegments": dtypes.int32})
    np.testing.assert_array_equal(out, want)


def test_segment_mean_count_wrapping_to_zero_is_an_error():
    """TF divides by the count converted to T: 256 uint8 rows divide by 0 (TF's process traps)."""
    from op_harness import expect_error
    attrs = {"T": dtypes.uint8, "Tindices": dtypes.int32}
    ids = np.zeros(256, np.int32)
    msg, outs = expect_error("SegmentMean", [np.ones(256, np.uint8), ids], [np.full(255, 3, np.uint8), ids[:255]],
                             attrs)
    assert "division by zero" in msg
    np.testing.assert_array_equal(outs[0], [np.uint8(np.uint8(3 * 255 % 256) // np.uint8(255))])


def test_bad_input_leaves_session_usable():
    from op_harness import expect_error
    attrs = {"T": dtypes.float32, "Tindices": dtypes.int32}
    good = [np.ones((3, 2), np.float32), np.array([0, 0, 2], np.int32)]
    _, outs = expect_error("SegmentSum", [np.ones((3, 2), np.float32), np.array([1, 0, 2], np.int32)], good, attrs)
    np.testing.assert_array_equal(outs[0], [[2, 2], [0, 0], [1, 1]])


# -- VariableShape ------------------------------------------------------------------------------

def _variable_shape(value, out_type):
    """VariableShape of a resource variable holding `value` (None: never assigned)."""
    graph = _core.Graph()
    h = add_node(graph, "v", "VarHandleOp", [], ["resource"], dtype=dtypes.float32, shape=Shape(None),
                 shared_name="v", container="")
    vs = add_node(graph, "vs", "VariableShape", [h], [out_type], out_type=dtypes.as_dtype(out_type))
    ph = add_placeholder(graph, "init", "float32")
    assign = add_node(graph, "assign", "AssignVariableOp", [h, ph], [], dtype=dtypes.float32)
    sess = _core.Session(graph, 1)
    if value is not None:
        sess.run([(ph, 0)], [(np.array(value, np.float32, order="C"), enum("float32"))], [], [assign])
    return sess.run([], [], [(vs, 0)], [])[0]


@pytest.mark.parametrize("out_type", ["int32", "int64"])
@pytest.mark.parametrize("shape", [(), (0,), (2, 3), (4, 0, 5)])
def test_variable_shape(out_type, shape):
    out = _variable_shape(np.zeros(shape), out_type)
    np.testing.assert_array_equal(out, np.array(shape, dtype=out_type).reshape(len(shape)))
    assert out.dtype == np.dtype(out_type)


def test_variable_shape_uninitialized():
    """TF creates a resource variable on its first assignment: before it, NotFound."""
    with pytest.raises(_core.StatusError) as info:
        _variable_shape(None, "int32")
    assert status_code(info.value) == NOT_FOUND
    assert "(Could not find resource: " in info.value.args[1]


# -- gradients through the public wrappers, against TF's tf.gradients ---------------------------

class _Api(object):
    """metarun as the fixture's graph builders use it; tf.ensure_shape is built from the raw op
    when the Python layer has no wrapper for it."""

    def __getattr__(self, name):
        if name == "ensure_shape" and not hasattr(tf, "ensure_shape"):
            return lambda x, shape, name=None: apply_op("EnsureShape", input=x, shape=tf.TensorShape(shape), name=name)
        return getattr(tf, name)


@pytest.mark.parametrize("rec", [pytest.param(g, id=g["name"], marks=[pytest.mark.xfail(
    reason=_KNOWN_BAD[g["name"]], strict=True)] if g["name"] in _KNOWN_BAD else []) for g in GRADS])
def test_gradient_matches_tf(rec):
    build, _ = fixture_module("gen_segment").GRAD_CASES[rec["name"]]
    with tf.Graph().as_default():
        phs = [tf.placeholder(dtypes.as_dtype(d)) for _, d in rec["inputs"]]
        y = build(_Api(), phs)
        loss = tf.reduce_sum(y * tf.constant(rec["w"]))
        xs = [phs[j] for _, j in rec["grads"]]
        grads = tf.gradients(loss, xs)
        with tf.Session() as sess:
            got = sess.run([y] + grads, {p: v for p, (v, _) in zip(phs, rec["inputs"])})
    assert_matches(got[0], rec["y"], 1e-6, rec["name"] + " forward")
    for k, ((want, _), g) in enumerate(zip(rec["grads"], got[1:])):
        assert_matches(np.asarray(g), want, 1e-6, "%s grad %d" % (rec["name"], k))
