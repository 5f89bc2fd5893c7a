"""SpaceToBatchND, BatchToSpaceND, SpaceToBatch, BatchToSpace, SpaceToDepth, DepthToSpace
(cpp/kernels/space_batch_ops.cpp), Conv2D and Conv2DBackpropInput with dilations, and the
gradients of python/metarun/ops/space_batch_grad.py and of the dilated convolutions
(python/metarun/ops/space_batch_ops.py).

Expected values come from TF-made cases (fixtures/kernels/space_batch.npz, see gen_space_batch.py),
compared exactly (errors: code and message); the checks TF makes while building a graph (ranks and
shapes of block_shape, paddings, crops), which its kernels never see there, and larger inputs are
checked against numpy.
"""

import numpy as np
import pytest

import metarun as tf
from metarun import _core
from metarun.framework import dtypes
from op_harness import (blob_fixture, decode_attrs, Case, assert_covers_registry, assert_matches, check_case,
                        coverage, expect_error, fixture_module, params, run_op, status_code)

OPS = ["SpaceToBatchND", "BatchToSpaceND", "SpaceToBatch", "BatchToSpace", "SpaceToDepth", "DepthToSpace"]
INVALID_ARGUMENT = 3
# TF's "no kernel for data_format NCHW" message goes on to list every kernel it has registered:
# compared up to the node.
_NO_KERNEL = {"SpaceToDepth_nchw", "DepthToSpace_nchw"}
# Conv2D: TF's oneDNN kernel sums in another order (and rounds 16-bit partial sums), so floats
# within a tolerance.
_TOLERANCE = {"float32": 1e-5, "float64": 1e-12, "float16": 1e-3, "bfloat16": 1e-2}


def _fixture():
    meta, array = blob_fixture("space_batch.npz")

    cases = []
    for k, c in enumerate(meta["cases"]):
        attrs = decode_attrs(c["attrs"])
        error = tuple(c["error"]) if "error" in c else None
        if c["name"] in _NO_KERNEL:
            error = (error[0], None)
        cases.append(Case(name=c["name"], op=c["op"],
                          inputs=[array("c%d_i%d" % (k, j), d) for j, d in enumerate(c["inputs"])],
                          attrs=attrs, out_dtypes=[dtypes.as_dtype(d) for d in c["out_dtypes"]],
                          outputs=[array(key, d) for key, d in zip(c.get("outputs", ()), c["out_dtypes"])],
                          error=error, dtype=c["attrs"].get("T", {}).get("type"),
                          tolerance=_TOLERANCE if c["op"].startswith("Conv2D") else None))
    grads = []
    for k, g in enumerate(meta["grads"]):
        inputs = [array("g%d_i%d" % (k, j), d) for j, d in enumerate(g["inputs"])]
        grads.append(dict(name=g["name"], inputs=list(zip(inputs, g["inputs"])), w=array(g["w"], None),
                          y=array(g["y"], None), grads=[(array(key, None), j) for key, j in g["grads"]]))
    return cases, grads


CASES, GRADS = _fixture()
COVERAGE = coverage([c for c in CASES if c.op in OPS], OPS)


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case):
    check_case(case)


def test_coverage():
    assert_covers_registry(COVERAGE)


@pytest.mark.parametrize("op", OPS)
def test_fixture_has_bad_and_empty_inputs(op):
    mine = [c for c in CASES if c.op == op]
    assert any(c.error for c in mine), "%s: no bad input" % op
    assert any(c.error is None and any(0 in np.shape(x) for x in c.inputs) for c in mine), "%s: no empty input" % op


@pytest.mark.parametrize("name", sorted(_NO_KERNEL))
def test_nchw_has_no_kernel(name):
    case = next(c for c in CASES if c.name == name)
    with pytest.raises(_core.StatusError) as info:
        run_op(case.op, case.inputs, case.attrs, case.out_dtypes)
    assert status_code(info.value) == INVALID_ARGUMENT
    assert info.value.args[1].startswith("No OpKernel was registered to support Op '%s' used by {{node " % case.op)


# -- what TF's shape functions refuse while building, and numpy references ------------------------

def _nd(op, x, block, pads, index=np.int32):
    attrs = {"T": dtypes.as_dtype(x.dtype), "Tblock_shape": dtypes.as_dtype(index),
             ("Tpaddings" if op == "SpaceToBatchND" else "Tcrops"): dtypes.as_dtype(index)}
    return run_op(op, [x, np.array(block, index), np.array(pads, index)], attrs, [dtypes.as_dtype(x.dtype)])[0]


@pytest.mark.parametrize("op", ["SpaceToBatchND", "BatchToSpaceND"])
@pytest.mark.parametrize("block, pads", [([[2, 2]], [[0, 0], [0, 0]]), (2, [[0, 0]]), ([2, 2], [[0, 0, 0], [0, 0, 0]]),
                                         ([2, 2], [[0, 0]]), ([2], [0, 0])])
def test_nd_bad_index_shapes(op, block, pads):
    with pytest.raises(_core.StatusError) as info:
        _nd(op, np.zeros((4, 4, 2), np.float32), block, pads)
    assert status_code(info.value) == INVALID_ARGUMENT


@pytest.mark.parametrize("op", ["SpaceToBatch", "BatchToSpace"])
def test_four_d_bad_paddings_shape(op):
    msg, outs = expect_error(op, [np.zeros((4, 2, 2, 1), np.float32), np.zeros((1, 2), np.int32)],
                             [np.zeros((4, 2, 2, 1), np.float32), np.zeros((2, 2), np.int32)],
                             {"T": dtypes.float32, "Tpaddings" if op == "SpaceToBatch" else "Tidx": dtypes.int32,
                              "block_size": 2})
    assert "should have shape [2, 2]" in msg
    assert outs[0].shape == ((16, 1, 1, 1) if op == "SpaceToBatch" else (1, 4, 4, 1))


def _space_to_batch_numpy(x, block, pads):
    """The definition: pad, split each spatial dim into (dim / b, b), move the b's to the front."""
    m = len(block)
    padded = np.pad(x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)] * (x.ndim - 1 - m))
    shape = [x.shape[0]]
    for i, b in enumerate(block):
        shape += [padded.shape[1 + i] // b, b]
    r = padded.reshape(shape + list(x.shape[1 + m:]))
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)] + list(range(1 + 2 * m, r.ndim))
    r = r.transpose(perm)
    return r.reshape([x.shape[0] * int(np.prod(block))] + [padded.shape[1 + i] // b for i, b in enumerate(block)]
                     + list(x.shape[1 + m:]))


@pytest.mark.parametrize("block, pads, rest", [([3, 2], [[2, 1], [0, 3]], [5]), ([4], [[3, 5]], [2, 3]),
                                               ([2, 3, 2], [[1, 1], [2, 1], [0, 0]], [])])
def test_large_round_trip_matches_numpy(block, pads, rest):
    rng = np.random.RandomState(0)
    spatial = [b * 13 - p[0] - p[1] for b, p in zip(block, pads)]
    x = rng.randint(-1000, 1000, [3] + spatial + rest).astype(np.int64)
    got = _nd("SpaceToBatchND", x, block, pads, np.int64)
    np.testing.assert_array_equal(got, _space_to_batch_numpy(x, block, pads))
    np.testing.assert_array_equal(_nd("BatchToSpaceND", got, block, pads), x)


@pytest.mark.parametrize("dtype", ["float32", "uint8", "complex128", "bool"])
def test_depth_round_trip_matches_numpy(dtype):
    x = (np.arange(2 * 12 * 9 * 5) % 7).astype(dtype).reshape(2, 12, 9, 5)
    attrs = {"T": dtypes.as_dtype(dtype), "block_size": 3}
    deep, = run_op("SpaceToDepth", [x], attrs, [dtypes.as_dtype(dtype)])
    want = x.reshape(2, 4, 3, 3, 3, 5).transpose(0, 1, 3, 2, 4, 5).reshape(2, 4, 3, 45)
    np.testing.assert_array_equal(deep, want)
    back, = run_op("DepthToSpace", [deep], attrs, [dtypes.as_dtype(dtype)])
    np.testing.assert_array_equal(back, x)


def test_bad_input_leaves_session_usable():
    attrs = {"T": dtypes.float32, "Tblock_shape": dtypes.int32, "Tpaddings": dtypes.int32}
    bad = [np.zeros((1, 5, 2), np.float32), np.array([2, 2], np.int32), np.zeros((2, 2), np.int32)]
    good = [np.arange(8, dtype=np.float32).reshape(1, 4, 2), np.array([2, 2], np.int32), np.zeros((2, 2), np.int32)]
    msg, outs = expect_error("SpaceToBatchND", bad, good, attrs)
    assert msg == "padded_shape[0]=5 is not divisible by block_shape[0]=2"
    np.testing.assert_array_equal(outs[0], _space_to_batch_numpy(good[0], [2, 2], [[0, 0], [0, 0]]))


# -- gradients and dilated convolutions through the public wrappers, against TF's -----------------

@pytest.mark.parametrize("rec", [pytest.param(g, id=g["name"]) for g in GRADS])
def test_gradient_matches_tf(rec):
    build, _ = fixture_module("gen_space_batch").GRAD_CASES[rec["name"]]
    with tf.Graph().as_default():
        phs = [tf.placeholder(dtypes.as_dtype(d), shape=np.shape(v)) for v, d in rec["inputs"]]
        y = build(tf, phs)
        loss = tf.reduce_sum(y * tf.constant(rec["w"]))
        xs = [phs[j] for _, j in rec["grads"]]
        grads = tf.gradients(loss, xs)
        with tf.Session() as sess:
            got = sess.run([y] + grads, {p: v for p, (v, _) in zip(phs, rec["inputs"])})
    assert_matches(got[0], rec["y"], 1e-5, rec["name"] + " forward")
    for k, ((want, _), g) in enumerate(zip(rec["grads"], got[1:])):
        assert_matches(np.asarray(g), want, 1e-5, "%s grad %d" % (rec["name"], k))


def test_required_space_to_batch_paddings():
    """TF's documented contract, for known and for fed shapes."""
    with tf.Graph().as_default():
        shape = tf.placeholder(tf.int32, [3])
        fed = tf.required_space_to_batch_paddings(shape, [2, 3, 4], [[1, 0], [0, 2], [3, 3]])
        known = tf.required_space_to_batch_paddings([5, 7, 1], [2, 3, 4], [[1, 0], [0, 2], [3, 3]])
        assert known[0].op.type == "Const" and fed[0].op.type == "Pack"
        with tf.Session() as sess:
            (p1, c1), (p2, c2) = sess.run([fed, known], {shape: [5, 7, 1]})
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(c1, c2)
    base, block = np.array([[1, 0], [0, 2], [3, 3]]), np.array([2, 3, 4])
    np.testing.assert_array_equal(p1[:, 0], base[:, 0])
    extra = p1[:, 1] - base[:, 1]
    assert np.all((extra >= 0) & (extra < block))
    assert np.all((np.array([5, 7, 1]) + p1.sum(axis=1)) % block == 0)
    np.testing.assert_array_equal(c1, np.stack([np.zeros(3, int), extra], axis=1))
