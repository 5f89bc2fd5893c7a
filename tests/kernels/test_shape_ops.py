"""Shape and data-movement kernels (shape_ops, slice_ops, concat_ops).

Expected values come from numpy (the ops only move elements, so results are
compared byte for byte) and, for StridedSlice's spec rules and Reshape's -1
inference on empty tensors, from TF-made fixtures (tests/fixtures/kernels/
shape.npz, written by gen_shape.py).
"""
import json
import os

import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import expect_error, run_op, status_code

FIXTURE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "fixtures", "kernels", "shape.npz")

MOVE = ["float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64", "uint8",
        "uint16", "uint32", "uint64", "complex64", "complex128", "bool", "string"]
INDEX = ["int32", "int64"]
INVALID = 3

COVERAGE = {op: set(MOVE) for op in [
    "Shape", "ShapeN", "Size", "Rank", "Reshape", "Squeeze", "ExpandDims", "Transpose",
    "ConjugateTranspose", "Pack", "Unpack", "ConcatV2", "Concat", "Split", "SplitV", "Slice",
    "StridedSlice", "Pad", "PadV2", "MirrorPad", "ReverseV2", "Reverse", "ReverseSequence", "BroadcastTo"]}
COVERAGE["Tile"] = set(MOVE) - {"uint16"}  # TF registers no uint16 Tile on CPU
COVERAGE.update({"BroadcastArgs": set(INDEX), "InvertPermutation": set(INDEX), "ConcatOffset": set(INDEX)})


def dt(name):
    return dtypes.as_dtype(name)


def sample(name, shape, start=0):
    """Distinct, recognisable values of dtype `name`."""
    n = int(np.prod(shape, dtype=np.int64))
    base = np.arange(start, start + n)
    if name == "string":
        return np.array([("s%d" % v).encode() for v in base], dtype=object).reshape(shape)
    if name == "bool":
        return (base % 3 == 0).reshape(shape)
    if name.startswith("complex"):
        return (base + 1j * (base + 0.5)).astype(name).reshape(shape)
    np_dtype = dt(name).as_numpy_dtype
    if name in ("int8", "uint8"):
        base = base % 100
    return base.astype(np.float64).astype(np_dtype).reshape(shape)


def same(out, expected):
    expected = np.asarray(expected)
    assert out.shape == expected.shape, (out.shape, expected.shape)
    if expected.dtype == object:
        assert out.reshape(-1).tolist() == expected.reshape(-1).tolist()
    else:
        assert out.dtype == expected.dtype, (out.dtype, expected.dtype)
        assert np.ascontiguousarray(out).tobytes() == np.ascontiguousarray(expected).tobytes()


def i32(v):
    return np.array(v, np.int32)


def run1(op, inputs, attrs, out=None):
    return run_op(op, inputs, attrs, [out] if out else None)[0]


# ---- every dtype: one row per (op, dtype) ----

def reverse_sequence(x, lens, seq_dim, batch_dim):
    out = x.copy()
    for b, n in enumerate(lens):
        src = [slice(None)] * x.ndim
        src[batch_dim] = b
        src[seq_dim] = slice(0, n)
        dst_view = out[tuple(src)]
        rev = [slice(None)] * dst_view.ndim
        rev[seq_dim - (1 if batch_dim < seq_dim else 0)] = slice(None, None, -1)
        out[tuple(src)] = x[tuple(src)][tuple(rev)]
    return out


def _row(op, name):
    """(inputs, attrs, out dtypes, expected outputs) for one op and dtype."""
    x = sample(name, (2, 3, 4))
    T = dt(name)
    if op in ("Shape", "Size", "Rank", "ShapeN"):
        if op == "Rank":
            return [x], {"T": T}, ["int32"], [np.int32(3)]
        if op == "ShapeN":
            y = sample(name, (5,))
            return [x, y], {"T": T, "N": 2, "out_type": dt("int64")}, ["int64"] * 2, [
                np.array([2, 3, 4], np.int64), np.array([5], np.int64)]
        ref = np.array(x.shape, np.int32) if op == "Shape" else np.int32(x.size)
        return [x], {"T": T, "out_type": dt("int32")}, ["int32"], [ref]
    if op == "Reshape":
        return [x, i32([4, -1])], {"T": T, "Tshape": dt("int32")}, None, [x.reshape(4, -1)]
    if op == "Squeeze":
        y = sample(name, (1, 3, 1))
        return [y], {"T": T, "squeeze_dims": [-1]}, None, [y.reshape(1, 3)]
    if op == "ExpandDims":
        return [x, np.int64(-1)], {"T": T, "Tdim": dt("int64")}, None, [x[..., None]]
    if op in ("Transpose", "ConjugateTranspose"):
        ref = x.transpose(2, 0, 1)
        if op == "ConjugateTranspose" and name.startswith("complex"):
            ref = np.conj(ref)
        return [x, i32([2, 0, 1])], {"T": T, "Tperm": dt("int32")}, None, [ref]
    if op == "Pack":
        y = sample(name, (2, 3, 4), 50)
        return [x, y], {"T": T, "N": 2, "axis": 1}, None, [np.stack([x, y], 1)]
    if op == "Unpack":
        return [x], {"T": T, "num": 3, "axis": 1}, [name] * 3, [x[:, i] for i in range(3)]
    if op in ("ConcatV2", "Concat"):
        y = sample(name, (2, 5, 4), 50)
        ref = np.concatenate([x, y], 1)
        if op == "Concat":
            return [i32(1), x, y], {"T": T, "N": 2}, None, [ref]
        return [x, y, i32(1)], {"T": T, "N": 2, "Tidx": dt("int32")}, None, [ref]
    if op == "Split":
        return [i32(2), x], {"T": T, "num_split": 2}, [name] * 2, np.split(x, 2, 2)
    if op == "SplitV":
        return [x, i32([1, -1]), i32(-1)], {"T": T, "num_split": 2, "Tlen": dt("int32")}, [name] * 2, [
            x[..., :1], x[..., 1:]]
    if op == "Slice":
        return [x, i32([1, 0, 1]), i32([-1, 2, 2])], {"T": T, "Index": dt("int32")}, None, [x[1:, :2, 1:3]]
    if op == "StridedSlice":
        return [x, i32([0, 2, 3]), i32([2, 0, 0]), i32([1, -1, -2])], {
            "T": T, "Index": dt("int32"), "begin_mask": 0, "end_mask": 4, "ellipsis_mask": 0,
            "new_axis_mask": 0, "shrink_axis_mask": 0}, None, [x[0:2, 2:0:-1, 3::-2]]
    if op == "Tile":
        return [x, i32([2, 1, 3])], {"T": T, "Tmultiples": dt("int32")}, None, [np.tile(x, (2, 1, 3))]
    if op == "Pad":
        pads = [[1, 0], [0, 2], [1, 1]]
        ref = np.pad(x, pads, constant_values=b"" if name == "string" else 0)
        return [x, i32(pads)], {"T": T, "Tpaddings": dt("int32")}, None, [ref]
    if op == "PadV2":
        pads = [[0, 1], [2, 0], [0, 0]]
        c = sample(name, (), 7)
        return [x, np.array(pads, np.int64), c], {"T": T, "Tpaddings": dt("int64")}, None, [
            np.pad(x, pads, constant_values=c)]
    if op == "MirrorPad":
        pads = [[1, 1], [2, 0], [0, 3]]
        return [x, i32(pads)], {"T": T, "Tpaddings": dt("int32"), "mode": "REFLECT"}, None, [
            np.pad(x, pads, "reflect")]
    if op == "ReverseV2":
        return [x, i32([0, -1])], {"T": T, "Tidx": dt("int32")}, None, [x[::-1, :, ::-1]]
    if op == "Reverse":
        return [x, np.array([True, False, True])], {"T": T}, None, [x[::-1, :, ::-1]]
    if op == "ReverseSequence":
        lens = np.array([0, 4, 2], np.int64)
        return [x, lens], {"T": T, "Tlen": dt("int64"), "seq_dim": 2, "batch_dim": 1}, None, [
            reverse_sequence(x, lens, 2, 1)]
    if op == "BroadcastTo":
        y = sample(name, (3, 1))
        return [y, i32([2, 3, 4])], {"T": T, "Tidx": dt("int32")}, None, [np.broadcast_to(y, (2, 3, 4))]
    if op == "BroadcastArgs":
        s0, s1 = np.array([2, 1, 4], name), np.array([3, 1], name)
        return [s0, s1], {"T": T}, None, [np.array([2, 3, 4], name)]
    if op == "InvertPermutation":
        p = np.array([3, 0, 2, 1], name)
        return [p], {"T": T}, None, [np.argsort(p).astype(name)]
    if op == "ConcatOffset":
        shapes = [np.array(s, name) for s in ([2, 3, 4], [2, 5, 4], [2, 1, 4])]
        refs = [np.array(o, name) for o in ([0, 0, 0], [0, 3, 0], [0, 8, 0])]
        return [i32(1)] + shapes, {"N": 3, "shape_type": T}, [name] * 3, refs
    raise KeyError(op)


ROWS = [(op, name) for op in sorted(COVERAGE) for name in sorted(COVERAGE[op])]


@pytest.mark.parametrize("op,name", ROWS)
def test_every_dtype(op, name):
    inputs, attrs, outs, refs = _row(op, name)
    got = run_op(op, inputs, attrs, outs or [name])
    assert len(got) == len(refs)
    for g, r in zip(got, refs):
        same(g, r)


# ---- scalar, empty and layout cases (float32 unless noted) ----

F = {"T": dt("float32")}


def test_shape_queries_scalar_and_empty():
    for x in (np.float32(3), np.zeros((0, 4), np.float32)):
        same(run1("Shape", [x], dict(F, out_type=dt("int64")), "int64"), np.array(x.shape, np.int64))
        same(run1("Size", [x], dict(F, out_type=dt("int64")), "int64"), np.int64(x.size))
        same(run1("Rank", [x], F, "int32"), np.int32(x.ndim))


def test_reshape_shares_buffer_and_scalar_sizes():
    x = sample("float32", (1,))
    same(run1("Reshape", [x, i32(1)], dict(F, Tshape=dt("int32"))), x)
    same(run1("Reshape", [np.float32(5), np.zeros(0, np.int64)], dict(F, Tshape=dt("int64"))), np.float32(5))


def _load():
    return json.loads(np.load(FIXTURE)["cases_json"].tobytes())


@pytest.mark.parametrize("case", _load()["reshape"], ids=lambda c: "%s->%s" % (c["input_shape"], c["sizes"]))
def test_reshape_tf_cases(case):
    x = np.zeros(case["input_shape"], np.float32)
    sizes = np.array(case["sizes"], np.int32).reshape(len(case["sizes"]))
    if "error" in case:
        expect_error("Reshape", [x, sizes], [x, np.array([-1], np.int32)], dict(F, Tshape=dt("int32")))
    else:
        assert list(run1("Reshape", [x, sizes], dict(F, Tshape=dt("int32"))).shape) == case["shape"]


@pytest.mark.parametrize("case", _load()["strided_slice"], ids=lambda c: str(c["input_shape"]))
def test_strided_slice_tf_cases(case):
    shape = case["input_shape"]
    x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    ix = np.dtype(case["index"])
    spec = [np.array(case[k], ix).reshape(len(case[k])) for k in ("begin", "end", "strides")]
    attrs = {"T": dt("int32"), "Index": dt(case["index"])}
    attrs.update({k: case[k] for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                       "shrink_axis_mask")})
    if "error" in case:
        with pytest.raises(_core.StatusError) as info:
            run1("StridedSlice", [x] + spec, attrs)
        assert status_code(info.value) == INVALID
    else:
        out = run1("StridedSlice", [x] + spec, attrs)
        same(out, np.array(case["values"], np.int32).reshape(case["shape"]))


@pytest.mark.parametrize("shape,perm", [((), []), ((0, 3), [1, 0]), ((5,), [0]), ((3, 4), [0, 1]),
                                        ((65, 33), [1, 0]), ((37, 70), [1, 0]), ((2, 3, 4, 5), [0, 2, 3, 1]),
                                        ((7, 1, 9, 3), [3, 1, 2, 0]), ((2, 3, 4, 5), [3, 2, 1, 0])])
def test_transpose_layouts(shape, perm):
    for name in ("float32", "float64", "complex64", "int16", "complex128", "uint8"):
        x = sample(name, shape)
        for ix in INDEX:
            same(run1("Transpose", [x, np.array(perm, ix).reshape(len(perm))], {"T": dt(name), "Tperm": dt(ix)}),
                 x.transpose(perm))


def test_transpose_threads():
    x = sample("float32", (300, 700))
    out = run_op("Transpose", [x, i32([1, 0])], dict(F, Tperm=dt("int32")), num_threads=2)[0]
    same(out, x.T)
    y = sample("float64", (64, 3, 512))
    same(run_op("Tile", [y, i32([2, 1, 2])], dict(T=dt("float64"), Tmultiples=dt("int32")), num_threads=2)[0],
         np.tile(y, (2, 1, 2)))


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_concat_split_pack_axes(axis):
    x, y = sample("float32", (2, 3, 4)), sample("float32", (2, 3, 4), 100)
    same(run1("ConcatV2", [x, y, np.int64(axis)], dict(F, N=2, Tidx=dt("int64"))), np.concatenate([x, y], axis))
    same(run1("Pack", [x, y], dict(F, N=2, axis=axis)), np.stack([x, y], axis))
    parts = run_op("Split", [i32(axis), x], dict(F, num_split=1), ["float32"])
    same(parts[0], x)
    n = x.shape[axis]
    parts = run_op("Unpack", [x], dict(F, num=n, axis=axis), ["float32"] * n)
    for i, p in enumerate(parts):
        same(p, np.take(x, i, axis))


def test_empty_and_scalar_moves():
    e = np.zeros((0, 3), np.float32)
    same(run1("ConcatV2", [e, e, i32(0)], dict(F, N=2, Tidx=dt("int32"))), np.zeros((0, 3), np.float32))
    same(run1("ConcatV2", [e, sample("float32", (2, 3)), i32(0)], dict(F, N=2, Tidx=dt("int32"))),
         sample("float32", (2, 3)))
    same(run1("Pack", [np.float32(1), np.float32(2)], dict(F, N=2)), np.array([1, 2], np.float32))
    same(run1("Tile", [e, i32([3, 2])], dict(F, Tmultiples=dt("int32"))), np.zeros((0, 6), np.float32))
    same(run1("Tile", [sample("float32", (2, 3)), i32([0, 2])], dict(F, Tmultiples=dt("int32"))),
         np.zeros((0, 6), np.float32))
    same(run1("Tile", [np.float32(4), np.zeros(0, np.int32)], dict(F, Tmultiples=dt("int32"))), np.float32(4))
    same(run1("ReverseV2", [e, i32([0, 1])], dict(F, Tidx=dt("int32"))), e)
    same(run1("Pad", [np.float32(2), np.zeros((0, 2), np.int32)], dict(F, Tpaddings=dt("int32"))), np.float32(2))
    same(run1("Pad", [e, i32([[1, 1], [0, 1]])], dict(F, Tpaddings=dt("int32"))), np.zeros((2, 4), np.float32))
    same(run1("BroadcastTo", [np.float32(3), i32([2, 0])], dict(F, Tidx=dt("int32"))), np.zeros((2, 0), np.float32))
    same(run1("BroadcastTo", [np.float32(3), i32([2, 2])], dict(F, Tidx=dt("int32"))), np.full((2, 2), 3, np.float32))
    same(run1("Slice", [e, i32([0, 1]), i32([0, -1])], dict(F, Index=dt("int32"))), np.zeros((0, 2), np.float32))
    same(run1("Squeeze", [np.zeros((1, 0, 1), np.float32)], dict(F, squeeze_dims=[])), np.zeros((0,), np.float32))
    same(run1("ExpandDims", [np.float32(1), i32([0])], dict(F, Tdim=dt("int32"))), np.array([1], np.float32))
    parts = run_op("SplitV", [e, i32([0, 3]), i32(1)], dict(F, num_split=2, Tlen=dt("int32")), ["float32"] * 2)
    same(parts[0], np.zeros((0, 0), np.float32))
    same(parts[1], e)


@pytest.mark.parametrize("mode", ["REFLECT", "SYMMETRIC"])
def test_mirror_pad_modes(mode):
    x = sample("float64", (3, 4, 2))
    pads = [[2, 1], [0, 3], [1, 1]] if mode == "REFLECT" else [[3, 2], [4, 0], [2, 2]]
    same(run1("MirrorPad", [x, np.array(pads, np.int64)], {"T": dt("float64"), "Tpaddings": dt("int64"), "mode": mode}),
         np.pad(x, pads, mode.lower()))


def test_broadcast_and_small_int_ops():
    same(run1("BroadcastArgs", [i32([]), i32([3, 1])], {"T": dt("int32")}), i32([3, 1]))
    same(run1("BroadcastArgs", [i32([5, 1, 0]), i32([1, 1])], {"T": dt("int32")}), i32([5, 1, 0]))
    same(run1("InvertPermutation", [i32([])], {"T": dt("int32")}), i32([]))
    x = sample("float32", (2, 1, 3))
    same(run1("BroadcastTo", [x, i32([4, 2, 5, 3])], dict(F, Tidx=dt("int32"))), np.broadcast_to(x, (4, 2, 5, 3)))
    same(run1("BroadcastTo", [x, i32([2, 1, 3])], dict(F, Tidx=dt("int32"))), x)


@pytest.mark.parametrize("seq_dim,batch_dim", [(0, 1), (1, 0), (2, 0), (0, 2), (1, 2)])
def test_reverse_sequence_dims(seq_dim, batch_dim):
    x = sample("float32", (3, 4, 5))
    rng = np.random.default_rng(seq_dim * 3 + batch_dim)
    lens = rng.integers(0, x.shape[seq_dim] + 1, x.shape[batch_dim]).astype(np.int32)
    attrs = dict(F, Tlen=dt("int32"), seq_dim=seq_dim, batch_dim=batch_dim)
    same(run1("ReverseSequence", [x, lens], attrs), reverse_sequence(x, lens, seq_dim, batch_dim))


def test_reverse_sequence_empty():
    x = np.zeros((2, 0, 3), np.float32)
    same(run1("ReverseSequence", [x, i32([0, 0])], dict(F, Tlen=dt("int32"), seq_dim=1, batch_dim=0)), x)


def test_concat_offset_negative_axis():
    outs = run_op("ConcatOffset", [i32(-1), i32([2, 3]), i32([2, 5])], {"N": 2, "shape_type": dt("int32")},
                  ["int32"] * 2)
    same(outs[0], i32([0, 0]))
    same(outs[1], i32([0, 3]))


# ---- error paths: InvalidArgument, and the session keeps working ----

X = sample("float32", (2, 3))
ERRORS = [
    ("Reshape", [X, i32([[2, 3]])], [X, i32([6])], dict(F, Tshape=dt("int32"))),
    ("Squeeze", [X], [X[None]], dict(F, squeeze_dims=[0])),
    ("Squeeze", [X], [X[:, :, None]], dict(F, squeeze_dims=[2])),
    ("ExpandDims", [X, i32(3)], [X, i32(2)], dict(F, Tdim=dt("int32"))),
    ("ExpandDims", [X, i32([0, 1])], [X, i32([0])], dict(F, Tdim=dt("int32"))),
    ("Transpose", [X, i32([0])], [X, i32([1, 0])], dict(F, Tperm=dt("int32"))),
    ("Transpose", [X, i32([0, 0])], [X, i32([1, 0])], dict(F, Tperm=dt("int32"))),
    ("Transpose", [X, i32([0, 2])], [X, i32([1, 0])], dict(F, Tperm=dt("int32"))),
    ("Pack", [X, X.T], [X, X], dict(F, N=2)),
    ("Pack", [X, X], [X[None], X[None]], dict(F, N=2, axis=3)),
    ("ConcatV2", [X, X[0], i32(0)], [X, X, i32(0)], dict(F, N=2, Tidx=dt("int32"))),
    ("ConcatV2", [X, X[:, :2], i32(0)], [X, X[:, :2], i32(1)], dict(F, N=2, Tidx=dt("int32"))),
    ("ConcatV2", [X, X, i32(2)], [X, X, i32(-2)], dict(F, N=2, Tidx=dt("int32"))),
    ("ConcatV2", [np.float32(1), np.float32(1), i32(0)], None, dict(F, N=2, Tidx=dt("int32"))),
    ("Concat", [i32([0, 1]), X, X], [i32(0), X, X], dict(F, N=2)),
    ("Slice", [X, i32([0, 2]), i32([1, 2])], [X, i32([0, 1]), i32([1, 2])], dict(F, Index=dt("int32"))),
    ("Slice", [X, i32([-1, 0]), i32([1, 1])], [X, i32([1, 0]), i32([1, 1])], dict(F, Index=dt("int32"))),
    ("Slice", [X, i32([0]), i32([1])], [X, i32([0, 0]), i32([1, 1])], dict(F, Index=dt("int32"))),
    ("Tile", [X, i32([2])], [X, i32([2, 1])], dict(F, Tmultiples=dt("int32"))),
    ("Tile", [X, i32([2, -1])], [X, i32([2, 1])], dict(F, Tmultiples=dt("int32"))),
    ("Pad", [X, i32([[1, 1]])], [X, i32([[1, 1], [0, 0]])], dict(F, Tpaddings=dt("int32"))),
    ("Pad", [X, i32([[-1, 1], [0, 0]])], [X, i32([[1, 1], [0, 0]])], dict(F, Tpaddings=dt("int32"))),
    ("PadV2", [X, i32([[1, 1], [0, 0]]), np.ones(2, np.float32)], [X, i32([[1, 1], [0, 0]]), np.float32(1)],
     dict(F, Tpaddings=dt("int32"))),
    ("MirrorPad", [X, i32([[2, 0], [0, 0]])], [X, i32([[1, 0], [0, 0]])],
     dict(F, Tpaddings=dt("int32"), mode="REFLECT")),
    ("MirrorPad", [X, i32([[3, 0], [0, 0]])], [X, i32([[2, 0], [0, 0]])],
     dict(F, Tpaddings=dt("int32"), mode="SYMMETRIC")),
    ("MirrorPad", [X, i32([[-1, 0], [0, 0]])], [X, i32([[0, 0], [0, 0]])],
     dict(F, Tpaddings=dt("int32"), mode="SYMMETRIC")),
    ("ReverseV2", [X, i32([2])], [X, i32([1])], dict(F, Tidx=dt("int32"))),
    ("ReverseV2", [X, i32([1, -1])], [X, i32([1, -2])], dict(F, Tidx=dt("int32"))),
    ("Reverse", [X, np.array([True])], [X, np.array([True, False])], F),
    ("Reverse", [X, np.array([[True, False]])], [X, np.array([True, False])], F),
    ("ReverseSequence", [X, i32([1, 4])], [X, i32([1, 3])], dict(F, Tlen=dt("int32"), seq_dim=1, batch_dim=0)),
    ("ReverseSequence", [X, i32([1, -1])], [X, i32([1, 3])], dict(F, Tlen=dt("int32"), seq_dim=1, batch_dim=0)),
    ("ReverseSequence", [X, i32([1, 2, 3])], [X, i32([1, 3])], dict(F, Tlen=dt("int32"), seq_dim=1, batch_dim=0)),
    ("ReverseSequence", [X, i32([[1, 2]])], [X, i32([1, 3])], dict(F, Tlen=dt("int32"), seq_dim=1, batch_dim=0)),
    ("ReverseSequence", [X, i32([1, 2])], [X[:, :, None], i32([1, 1])],
     dict(F, Tlen=dt("int32"), seq_dim=2, batch_dim=0)),
    ("BroadcastTo", [X, i32([3, 3])], [X, i32([2, 2, 3])], dict(F, Tidx=dt("int32"))),
    ("BroadcastTo", [X, i32([3])], [X, i32([2, 3])], dict(F, Tidx=dt("int32"))),
    ("BroadcastTo", [X, i32([-1, 3])], [X, i32([2, 3])], dict(F, Tidx=dt("int32"))),
    ("BroadcastArgs", [i32([2, 3]), i32([4])], [i32([2, 3]), i32([3])], {"T": dt("int32")}),
    ("BroadcastArgs", [i32([[2, 3]]), i32([4])], [i32([2, 3]), i32([3])], {"T": dt("int32")}),
    ("InvertPermutation", [i32([0, 0])], [i32([1, 0])], {"T": dt("int32")}),
    ("InvertPermutation", [i32([0, 2])], [i32([1, 0])], {"T": dt("int32")}),
]


@pytest.mark.parametrize("op,bad,good,attrs", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(op, bad, good, attrs):
    if good is None:
        with pytest.raises(_core.StatusError) as info:
            run_op(op, bad, attrs)
        assert status_code(info.value) == INVALID
        return
    expect_error(op, bad, good, attrs)


MULTI_ERRORS = [
    ("Unpack", [X], [X.T], dict(F, num=3), 3),
    ("Unpack", [X], [np.zeros((2, 3, 2), np.float32)], dict(F, num=2, axis=2), 2),
    ("Split", [i32(1), X], [i32(1), X.T], dict(F, num_split=2), 2),
    ("Split", [i32(2), X], [i32(0), X], dict(F, num_split=2), 2),
    ("SplitV", [X, i32([1, 1]), i32(1)], [X, i32([1, 2]), i32(1)], dict(F, num_split=2, Tlen=dt("int32")), 2),
    ("SplitV", [X, i32([-1, -1]), i32(1)], [X, i32([-1, 2]), i32(1)], dict(F, num_split=2, Tlen=dt("int32")), 2),
    ("SplitV", [X, i32([4, -1]), i32(1)], [X, i32([3, -1]), i32(1)], dict(F, num_split=2, Tlen=dt("int32")), 2),
    ("SplitV", [X, i32([-2, 5]), i32(1)], [X, i32([2, 1]), i32(1)], dict(F, num_split=2, Tlen=dt("int32")), 2),
    ("SplitV", [X, i32([1, 2, 0]), i32(1)], [X, i32([1, 2]), i32(1)], dict(F, num_split=2, Tlen=dt("int32")), 2),
]


@pytest.mark.parametrize("op,bad,good,attrs,n", MULTI_ERRORS, ids=[e[0] for e in MULTI_ERRORS])
def test_errors_multi_output(op, bad, good, attrs, n):
    expect_error(op, bad, good, attrs, ["float32"] * n)


def test_concat_offset_errors():
    attrs = {"N": 2, "shape_type": dt("int32")}
    expect_error("ConcatOffset", [i32(0), i32([2, 3]), i32([2, 4])], [i32(0), i32([2, 3]), i32([5, 3])], attrs,
                 ["int32"] * 2)
    expect_error("ConcatOffset", [i32(2), i32([2, 3]), i32([2, 3])], [i32(1), i32([2, 3]), i32([2, 3])], attrs,
                 ["int32"] * 2)
    expect_error("ConcatOffset", [i32(0), i32([2, 3]), i32([2, 3, 1])], [i32(0), i32([2, 3]), i32([2, 3])], attrs,
                 ["int32"] * 2)


def test_concat_offset_without_shape_type():
    """Graphs written before `shape_type` existed omit it: int32 outputs."""
    outs = run_op("ConcatOffset", [i32(0), i32([2, 3]), i32([4, 3])], {"N": 2}, ["int32"] * 2)
    same(outs[1], i32([2, 0]))


def test_error_messages_name_shapes():
    msg, _ = expect_error("ConcatV2", [X, X[:, :2], i32(0)], [X, X, i32(0)], dict(F, N=2, Tidx=dt("int32")))
    assert "shape[0] = [2,3] vs. shape[1] = [2,2]" in msg
    msg, _ = expect_error("BroadcastTo", [X, i32([3, 3])], [X, i32([2, 3])], dict(F, Tidx=dt("int32")))
    assert "Incompatible shapes: [2,3] vs. [3,3]" in msg


# ---- random layouts against numpy, every element width, 1 and 2 threads ----

@pytest.mark.parametrize("seed", range(40))
def test_random_layouts(seed):
    rng = np.random.default_rng(seed)
    name = ["float32", "int8", "float16", "float64", "complex128", "string"][seed % 6]
    threads = 1 + seed % 2
    rank = int(rng.integers(1, 5))
    shape = tuple(int(v) for v in rng.integers(1, 7, rank))
    if seed % 7 == 0:
        shape = shape[:-1] + (0,)
    x = sample(name, shape)
    T = dt(name)

    def run(op, inputs, attrs, n=1):
        outs = run_op(op, inputs, dict(attrs, T=T), [name] * n, num_threads=threads)
        return outs if n > 1 else outs[0]
    perm = [int(v) for v in rng.permutation(rank)]
    same(run("Transpose", [x, i32(perm)], {"Tperm": dt("int32")}), x.transpose(perm))
    mult = [int(v) for v in rng.integers(0, 4, rank)]
    same(run("Tile", [x, np.array(mult, np.int64)], {"Tmultiples": dt("int64")}), np.tile(x, mult))
    axes = [a for a in range(rank) if rng.random() < 0.5]
    same(run("ReverseV2", [x, np.array(axes, np.int64).reshape(len(axes))], {"Tidx": dt("int64")}),
         np.flip(x, axes) if axes else x)
    begin = [int(rng.integers(0, d + 1)) for d in shape]
    size = [int(rng.integers(0, d - b + 1)) if rng.random() < 0.7 else -1 for d, b in zip(shape, begin)]
    ref = x[tuple(slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))]
    same(run("Slice", [x, i32(begin), i32(size)], {"Index": dt("int32")}), ref)
    pads = [[int(rng.integers(0, 3)), int(rng.integers(0, 3))] for _ in shape]
    fill = b"" if name == "string" else 0
    same(run("Pad", [x, i32(pads)], {"Tpaddings": dt("int32")}), np.pad(x, pads, constant_values=fill))
    if 0 not in shape:
        mpads = [[int(rng.integers(0, d)), int(rng.integers(0, d))] for d in shape]
        same(run("MirrorPad", [x, i32(mpads)], {"Tpaddings": dt("int32"), "mode": "REFLECT"}),
             np.pad(x, mpads, "reflect"))
        spads = [[int(rng.integers(0, d + 1)), int(rng.integers(0, d + 1))] for d in shape]
        same(run("MirrorPad", [x, i32(spads)], {"Tpaddings": dt("int32"), "mode": "SYMMETRIC"}),
             np.pad(x, spads, "symmetric"))
    small = x[tuple(slice(0, 1) if rng.random() < 0.4 else slice(None) for _ in shape)]
    target = (2,) + tuple(int(rng.integers(1, 4)) if d == 1 else d for d in small.shape)
    same(run("BroadcastTo", [small, i32(target)], {"Tidx": dt("int32")}), np.broadcast_to(small, target))
    axis = int(rng.integers(-rank, rank))
    y = sample(name, shape[:axis % rank] + (2,) + shape[axis % rank + 1:], 1000)
    same(run("ConcatV2", [x, y, i32(axis)], {"N": 2, "Tidx": dt("int32")}), np.concatenate([x, y], axis))
    cut = int(rng.integers(0, shape[axis] + 1))
    parts = run("SplitV", [x, i32([cut, -1]), i32(axis)], {"num_split": 2, "Tlen": dt("int32")}, 2)
    same(parts[0], np.take(x, range(cut), axis))
    same(parts[1], np.take(x, range(cut, shape[axis]), axis))


def test_huge_values_are_rejected_not_crashing():
    big = np.iinfo(np.int64).max
    cases = [
        ("Slice", [X, np.array([1, 0], np.int64), np.array([big, 1], np.int64)], dict(F, Index=dt("int64"))),
        ("Pad", [X, np.array([[big, 1], [0, 0]], np.int64)], dict(F, Tpaddings=dt("int64"))),
        ("Tile", [X, np.array([big, big], np.int64)], dict(F, Tmultiples=dt("int64"))),
        ("BroadcastTo", [np.float32(1), np.array([2 ** 40, 2 ** 40], np.int64)], dict(F, Tidx=dt("int64"))),
        ("Reshape", [np.zeros(0, np.float32), np.array([2 ** 40, 2 ** 40, 0], np.int64)],
         dict(F, Tshape=dt("int64"))),
    ]
    for op, inputs, attrs in cases:
        with pytest.raises(_core.StatusError) as info:
            run_op(op, inputs, attrs)
        assert status_code(info.value) == INVALID, (op, info.value.args)
