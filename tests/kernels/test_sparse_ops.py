"""The sparse kernel family (cpp/kernels/sparse_ops.cpp, sparse_ops_2.cpp): SparseTensorDenseMatMul,
SparseTensorDenseAdd, SparseAdd(Grad), SparseReorder, SparseReshape, SparseConcat, SparseSlice(Grad),
SparseSoftmax, SparseReduce{Sum,Max}[Sparse], SparseFillEmptyRows(Grad), SparseDenseCwise{Mul,Div,Add},
SparseSparse{Maximum,Minimum}, SparseSplit (sparse_ops_3.cpp) and SparseMatMul.

Expected values come from TF-made cases (fixtures/kernels/sparse.npz, see gen_sparse.py), compared
exactly (sums bit for bit, error codes and messages included; SparseMatMul's BLAS product within
1e-5): empty, unsorted, repeated and out-of-bounds indices, every CPU dtype TF registers (SparseReorder, SparseConcat, SparseSlice and
SparseFillEmptyRows move resource and variant values too in TF; metarun registers the dtypes a
graph can feed).
"""

import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import (blob_fixture, decode_attrs, Case, assert_covers_registry, assert_matches, check_case,
                        coverage, fixture_module, params, run_op, status_code)

OPS = ["SparseTensorDenseMatMul", "SparseTensorDenseAdd", "SparseAdd", "SparseAddGrad", "SparseReorder",
       "SparseReshape", "SparseConcat", "SparseSlice", "SparseSliceGrad", "SparseSoftmax", "SparseReduceSum",
       "SparseReduceSumSparse", "SparseReduceMax", "SparseReduceMaxSparse", "SparseFillEmptyRows",
       "SparseFillEmptyRowsGrad", "SparseDenseCwiseMul", "SparseDenseCwiseDiv", "SparseDenseCwiseAdd",
       "SparseSparseMaximum", "SparseSparseMinimum", "SparseSplit", "SparseMatMul"]
INVALID_ARGUMENT = 3
RESOURCE_EXHAUSTED = 8


def _fixture():
    """sparse.npz in gen_gather.py's layout: its op cases, and the gradient records."""
    meta, array = blob_fixture("sparse.npz")

    cases = []
    for k, c in enumerate(meta["cases"]):
        attrs = decode_attrs(c["attrs"])
        cases.append(Case(name=c["name"], op=c["op"],
                          inputs=[array("c%d_i%d" % (k, j), d) for j, d in enumerate(c["inputs"])],
                          attrs=attrs, out_dtypes=[dtypes.as_dtype(d) for d in c["out_dtypes"]],
                          outputs=[array(key, d) for key, d in zip(c.get("outputs", ()), c["out_dtypes"])],
                          error=tuple(c["error"]) if "error" in c else None,
                          dtype=c["attrs"].get("T", c["attrs"].get("Ta", {})).get("type"),
                          # TF's Eigen contraction sums in another order than the BLAS
                          tolerance={"float32": 1e-5} if c["op"] == "SparseMatMul" else None))
    grads = []
    for k, g in enumerate(meta["grads"]):
        inputs = [array("g%d_i%d" % (k, j), d) for j, d in enumerate(g["inputs"])]
        grads.append(dict(name=g["name"], inputs=list(zip(inputs, g["inputs"])), w=array(g["w"], None),
                          y=array(g["y"], None), grads=[(array(key, None), j) for key, j in g["grads"]]))
    return cases, grads


CASES, GRADS = _fixture()
COVERAGE = coverage(CASES, OPS)


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case):
    check_case(case)


def test_coverage():
    assert_covers_registry(COVERAGE)


# No SparseAddGrad/SparseSliceGrad input is a SparseTensor that could be empty on its own;
# their empty cases are the all-empty ones.
@pytest.mark.parametrize("op", OPS)
def test_fixture_has_bad_and_empty_inputs(op):
    mine = [c for c in CASES if c.op == op]
    assert any(c.error for c in mine), "%s: no bad input" % op
    assert any(c.error is None and any(0 in np.shape(x) for x in c.inputs) for c in mine), "%s: no empty input" % op


def _sp(indices, values, shape):
    return [np.asarray(indices, np.int64), np.asarray(values), np.asarray(shape, np.int64)]


@pytest.mark.parametrize("op,attrs,inputs", [
    # Indices far outside the shape: refused, never written or read out of bounds.
    ("SparseReduceSum", {"keep_dims": False}, _sp([[2 ** 40, 0]], np.float32([1]), [2, 2]) + [np.int32(0)]),
    ("SparseReduceMax", {"keep_dims": False}, _sp([[-5, 0]], np.float32([1]), [2, 2]) + [np.int32(1)]),
    ("SparseTensorDenseMatMul", {"adjoint_a": False, "adjoint_b": False},
     _sp([[0, 2 ** 62]], np.float32([1]), [2, 2]) + [np.ones((2, 2), np.float32)]),
    ("SparseFillEmptyRowsGrad", {}, [np.int64([2 ** 62]), np.float32([1, 2])]),
    ("SparseFillEmptyRows", {}, _sp([[2 ** 62, 0]], np.float32([1]), [2, 2]) + [np.float32(0)]),
    ("SparseReshape", {}, [np.int64([[0, 0]]), np.int64([2 ** 40, 2 ** 40]), np.int64([-1, 7])]),
    # A dense shape whose rows cannot be held: TF's OOM (ResourceExhausted), not a process killed.
    ("SparseFillEmptyRows", {}, _sp([[0, 0]], np.float32([1]), [2 ** 40, 2]) + [np.float32(0)]),
    ("SparseTensorDenseMatMul", {"adjoint_a": False, "adjoint_b": False},
     _sp([[0, 0]], np.float32([1]), [2 ** 40, 2]) + [np.ones((2, 2 ** 10), np.float32)]),
])
def test_hostile_input_is_an_error(op, attrs, inputs):
    if op != "SparseReshape":
        attrs = dict(attrs, T=dtypes.float32)
    n_out = {"SparseReduceSum": 1, "SparseReduceMax": 1, "SparseTensorDenseMatMul": 1, "SparseFillEmptyRowsGrad": 2,
             "SparseFillEmptyRows": 4, "SparseReshape": 2}[op]
    out_dtypes = {"SparseFillEmptyRows": [dtypes.int64, dtypes.float32, dtypes.bool, dtypes.int64],
                  "SparseReshape": [dtypes.int64, dtypes.int64]}.get(op, [dtypes.float32] * n_out)
    with pytest.raises(_core.StatusError) as info:
        run_op(op, inputs, attrs, out_dtypes)
    huge = op in ("SparseFillEmptyRows", "SparseTensorDenseMatMul") and inputs[2][0] == 2 ** 40
    assert status_code(info.value) == (RESOURCE_EXHAUSTED if huge else INVALID_ARGUMENT)


@pytest.mark.parametrize("rec", [pytest.param(g, id=g["name"]) for g in GRADS])
def test_gradient_matches_tf(rec):
    """The public tf.sparse wrappers' forward values and tf.gradients, against TF's."""
    import metarun as tf
    build, _ = fixture_module("gen_sparse").GRAD_CASES[rec["name"]]
    with tf.Graph().as_default():
        phs = [tf.placeholder(dtypes.as_dtype(d)) for _, d in rec["inputs"]]
        y = build(tf, phs)
        loss = tf.reduce_sum(y * tf.constant(rec["w"]))
        grads = tf.gradients(loss, [phs[j] for _, j in rec["grads"]])
        grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
        with tf.Session() as sess:
            got = sess.run([y] + grads, {p: v for p, (v, _) in zip(phs, rec["inputs"])})
    assert_matches(got[0], rec["y"], 1e-6, rec["name"] + " forward")
    for k, ((want, _), g) in enumerate(zip(rec["grads"], got[1:])):
        assert_matches(np.asarray(g), want, 1e-6, "%s grad %d" % (rec["name"], k))
