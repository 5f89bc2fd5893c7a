"""Reductions (Sum, Mean, Prod, Max, Min, All, Any, EuclideanNorm, L2Loss) and
the index-picking ops (ArgMax, ArgMin, TopKV2).

Float sums must equal TensorFlow's bit for bit: fixtures in reduce_nn.npz come
from tests/fixtures/kernels/gen_reduce_nn.py; everything else is checked
against numpy.
"""
import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import BF16, COMPLEX, FLOATS, INTS, fixture_module, kernel_fixture, load_npz, run_op, sample, \
    status_code

_gen = fixture_module("gen_reduce_nn")
checksum, make_input = _gen.checksum, _gen.make_input

FIXTURES = load_npz(kernel_fixture("reduce_nn.npz"))

REAL = FLOATS + INTS
NUMBER = REAL + COMPLEX
INVALID_ARGUMENT = 3

COVERAGE = {
    "Sum": set(NUMBER), "Mean": set(NUMBER), "Prod": set(NUMBER), "EuclideanNorm": set(NUMBER),
    "Max": set(REAL), "Min": set(REAL), "All": {"bool"}, "Any": {"bool"}, "L2Loss": set(FLOATS),
    "ArgMax": set(REAL) | {"bool"}, "ArgMin": set(REAL) | {"bool"}, "TopKV2": set(REAL),
}


def reduce(op, x, axes, keep_dims=False, tidx=np.int32):
    attrs = {"Tidx": dtypes.as_dtype(np.dtype(tidx)), "keep_dims": keep_dims}
    if op not in ("All", "Any"):
        attrs["T"] = dtypes.as_dtype(x.dtype)
    return run_op(op, [x, np.array(axes, tidx)], attrs)[0]


def np_reduce(op, x, axes, keep_dims=False):
    axes = tuple(a % max(x.ndim, 1) for a in np.atleast_1d(axes)) if x.ndim else ()
    wide = x.astype(np.float64) if x.dtype in (np.float16, BF16) else x
    if op == "Sum":
        r = np.sum(wide, axis=axes, keepdims=keep_dims, dtype=wide.dtype)
    elif op == "Prod":
        r = np.prod(wide, axis=axes, keepdims=keep_dims, dtype=wide.dtype)
    elif op == "Max":
        r = np.max(wide, axis=axes, keepdims=keep_dims, initial=_lowest(x.dtype))
    elif op == "Min":
        r = np.min(wide, axis=axes, keepdims=keep_dims, initial=_highest(x.dtype))
    elif op == "All":
        r = np.all(x, axis=axes, keepdims=keep_dims)
    elif op == "Any":
        r = np.any(x, axis=axes, keepdims=keep_dims)
    elif op == "EuclideanNorm":
        r = np.sqrt(np.sum(wide * np.conj(wide), axis=axes, keepdims=keep_dims))
    elif op == "Mean":
        if x.dtype.kind in "iu":
            s = np.sum(x.astype(np.int64 if x.dtype.kind == "i" else np.uint64), axis=axes, keepdims=keep_dims)
            n = max(x.size // max(np.size(s), 1), 1) if x.size else 1
            r = np.where(s < 0, -(-s // n), s // n) if x.dtype.kind == "i" else s // n
        else:
            s = np.sum(wide, axis=axes, keepdims=keep_dims)
            with np.errstate(invalid="ignore", divide="ignore"):
                r = s / (x.size // max(np.size(s), 1) if x.size else 0)
            if x.size == 0 and x.dtype.kind == "c":
                r = np.zeros_like(s)  # TF's Mean identity is NaN for real floats only
    return np.asarray(r).astype(x.dtype)


def _lowest(dt):
    return -np.inf if dt.kind == "f" or dt == BF16 else np.iinfo(dt).min


def _highest(dt):
    return np.inf if dt.kind == "f" or dt == BF16 else np.iinfo(dt).max


def assert_close(got, want, dtype_name):
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    if dtype_name in INTS or dtype_name == "bool":
        np.testing.assert_array_equal(got, want)
    else:
        tol = {"float16": 3e-3, "bfloat16": 3e-2}.get(dtype_name, 1e-5)
        np.testing.assert_allclose(got.astype(np.complex128), want.astype(np.complex128), rtol=tol, atol=tol)


# ---- numpy-checked rows: every (op, dtype), across layouts ----

LAYOUTS = [  # (shape, axes, keep_dims)
    ((2, 3, 4), [1], False),
    ((2, 3, 4), [0, 2], True),
    ((2, 3, 4), -1, False),
    ((2, 3, 4), [0], False),
    ((2, 3, 4), [2, 0, 1], False),
    ((3, 1, 2, 5, 2), [0, 2, 4], False),  # more than three runs: TF transposes
    ((5,), [0], False),
    ((1, 4, 1), [0, 2], False),  # only size-1 dims reduced: a copy
    ((2, 3), [], True),
    ((), [], False),  # scalar
    ((0, 3), [0], False),  # empty input: the op's identity
    ((0, 3), [1], True),  # empty output
]


def _dtypes_of(op):
    return sorted(COVERAGE[op])


@pytest.mark.parametrize("op", ["Sum", "Prod", "Max", "Min", "Mean", "EuclideanNorm", "All", "Any"])
@pytest.mark.parametrize("shape,axes,keep_dims", LAYOUTS)
def test_reduction_matches_numpy(op, shape, axes, keep_dims):
    for name in _dtypes_of(op):
        x = sample(name, shape)
        if op == "Prod" and name not in INTS:
            x = (np.abs(x.astype(np.complex128 if name in COMPLEX else np.float64)) % 2 + 0.5).astype(x.dtype)
        if op == "EuclideanNorm" and name in INTS:
            x = (np.abs(x.astype(np.int64)) % 3).astype(x.dtype)  # sums of squares stay in range
        got = reduce(op, x, axes, keep_dims)
        assert_close(got, np_reduce(op, x, axes, keep_dims), name)


@pytest.mark.parametrize("tidx", [np.int32, np.int64])
def test_axes_int64_and_scalar_axis(tidx):
    x = sample("float32", (3, 4))
    np.testing.assert_array_equal(reduce("Sum", x, 1, tidx=tidx), reduce("Sum", x, [1]))
    np.testing.assert_array_equal(reduce("Max", x, np.int64(-2), tidx=tidx), np.max(x, axis=0))


def test_missing_tidx_defaults_to_int32():
    x = sample("float32", (3, 4))
    got = run_op("Sum", [x, np.array([0], np.int32)], {"T": dtypes.float32, "keep_dims": False})[0]
    np.testing.assert_allclose(got, x.sum(0), rtol=1e-6)


def test_empty_identities():
    e = np.zeros((0, 2), np.float32)
    assert np.all(reduce("Max", e, [0]) == -np.inf)
    assert np.all(reduce("Min", e, [0]) == np.inf)
    assert np.all(reduce("Prod", e, [0]) == 1)
    assert np.all(np.isnan(reduce("Mean", e, [0])))
    assert np.all(reduce("Mean", np.zeros((0, 2), np.int32), [0]) == 0)
    assert np.all(reduce("Max", np.zeros((0, 2), np.int8), [0]) == -128)
    assert np.all(reduce("All", np.zeros((0, 2), bool), [0]))


def test_max_min_propagate_nan():
    x = np.array([[1, np.nan, 3], [4, 5, 6]], np.float32)
    for op in ["Max", "Min"]:
        got = reduce(op, x, [1])
        assert np.isnan(got[0]) and not np.isnan(got[1])


def test_integer_mean_truncates_in_64_bits():
    ints = FIXTURES["int8_in"]
    np.testing.assert_array_equal(reduce("Mean", ints, [1]), FIXTURES["Mean/int8"])
    np.testing.assert_array_equal(reduce("Mean", ints.view(np.uint8), [0]), FIXTURES["Mean/uint8"])
    np.testing.assert_array_equal(reduce("EuclideanNorm", ints.astype(np.int32), [1]),
                                  FIXTURES["EuclideanNorm/int32"])


@pytest.mark.parametrize("axes,msg", [([2], "Invalid reduction dimension (2 for input with 2 dimension(s)"),
                                      ([-3], "Invalid reduction dimension (-3"),
                                      ([1, -1], "Axes contains duplicate dimension: 1")])
def test_bad_axes(axes, msg):
    with pytest.raises(_core.StatusError) as e:
        reduce("Sum", np.ones((2, 3), np.float32), axes)
    assert status_code(e.value) == INVALID_ARGUMENT
    assert msg in e.value.args[1]
    assert reduce("Sum", np.ones((2, 3), np.float32), [1]).tolist() == [3, 3]


# ---- TF fixtures: bit-exact float sums in every layout ----

SUM_CASES = {"sum_full": [0], "sum_rows": [1], "sum_cols": [0], "sum_mid": [1], "sum_outer": [0, 2],
             "sum_4d": [0, 2], "sum_f64": [0], "sum_f16": [0], "sum_c64": [1]}


@pytest.mark.parametrize("name", sorted(SUM_CASES))
@pytest.mark.parametrize("op", ["Sum", "Mean"])
def test_float_sums_bit_exact_with_tf(op, name):
    x = make_input(name)
    assert checksum(x) == FIXTURES["checksum/" + name]
    np.testing.assert_array_equal(reduce(op, x, SUM_CASES[name]), FIXTURES["%s/%s" % (op, name)])


def test_more_fixtures_bit_exact():
    rows = make_input("sum_rows")
    np.testing.assert_array_equal(reduce("Sum", rows, [-1], keep_dims=True, tidx=np.int64),
                                  FIXTURES["Sum/sum_rows_keep"])
    np.testing.assert_array_equal(reduce("EuclideanNorm", rows, [1]), FIXTURES["EuclideanNorm/sum_rows"])
    np.testing.assert_array_equal(reduce("EuclideanNorm", make_input("sum_c64"), [1]),
                                  FIXTURES["EuclideanNorm/sum_c64"])
    cols = make_input("sum_cols").astype(BF16)
    np.testing.assert_array_equal(reduce("Sum", cols, [1]).view(np.uint16), FIXTURES["Sum/sum_bf16"])
    np.testing.assert_array_equal(reduce("Mean", cols, [0]).view(np.uint16), FIXTURES["Mean/sum_bf16"])
    prod = make_input("prod_rows")
    np.testing.assert_array_equal(reduce("Prod", prod, [1]), FIXTURES["Prod/prod_rows"])
    np.testing.assert_array_equal(reduce("Prod", prod, [0]), FIXTURES["Prod/prod_cols"])


# ---- L2Loss ----

@pytest.mark.parametrize("name", FLOATS)
def test_l2loss_matches_numpy(name):
    for shape in [(), (0,), (3, 4)]:
        x = sample(name, shape)
        got = run_op("L2Loss", [x], {"T": dtypes.as_dtype(x.dtype)})[0]
        want = np.asarray(np.sum(x.astype(np.float64) ** 2) / 2).astype(x.dtype)
        assert_close(got, want, name)


def test_l2loss_large_inputs_near_tf():
    # TF splits this full reduction across its threads (machine-dependent), so
    # the last bit may differ; the tree order keeps us within an ulp or two.
    for name, tol in [("sum_full", 3e-7), ("sum_f16", 1e-3)]:
        x = make_input(name)
        got = run_op("L2Loss", [x], {"T": dtypes.as_dtype(x.dtype)})[0]
        np.testing.assert_allclose(got.astype(np.float64), FIXTURES["L2Loss/" + name].astype(np.float64), rtol=tol)


# ---- ArgMax / ArgMin ----

@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
def test_arg_matches_numpy(op):
    fn = np.argmax if op == "ArgMax" else np.argmin
    for name in _dtypes_of(op):
        for shape, axis in [((4, 5), 1), ((4, 5), 0), ((2, 3, 4), -2), ((7,), 0)]:
            x = sample(name, shape)
            for out in ([dtypes.int32, dtypes.int64] + ([dtypes.int16, dtypes.uint16] if op == "ArgMax" else [])):
                got = run_op(op, [x, np.int32(axis)], {"T": dtypes.as_dtype(x.dtype), "output_type": out},
                             out_dtypes=[out])[0]
                np.testing.assert_array_equal(got, fn(x.astype(np.float64), axis=axis).astype(out.as_numpy_dtype))


def test_arg_output_type_missing_defaults_to_int64_and_nan():
    x = FIXTURES["arg_in"]
    for op in ["ArgMax", "ArgMin"]:
        got = run_op(op, [x, np.int64(1)], {"T": dtypes.float32}, out_dtypes=[dtypes.int64])[0]
        np.testing.assert_array_equal(got, FIXTURES[op + "/nan"])


@pytest.mark.parametrize("x,dim,msg", [
    (np.zeros((3, 2), np.float32), np.int32(2), "Expected dimension in the range [-2, 2), but got 2"),
    (np.float32(1), np.int32(0), "Expected dimension in the range [0, 0), but got 0"),
    (np.zeros((2, 3), np.float32), np.array([0, 1], np.int32), "dim must be a scalar"),
    (np.zeros((0, 3), np.float32), np.int32(0), "Reduction axis 0 is empty in shape [0,3]"),
])
def test_arg_errors(x, dim, msg):
    with pytest.raises(_core.StatusError) as e:
        run_op("ArgMax", [x, dim], {"T": dtypes.float32, "output_type": dtypes.int64}, out_dtypes=[dtypes.int64])
    assert status_code(e.value) == INVALID_ARGUMENT and msg in e.value.args[1]


def test_arg_empty_output():
    got = run_op("ArgMin", [np.zeros((3, 0), np.float32), np.int32(0)],
                 {"T": dtypes.float32, "output_type": dtypes.int32}, out_dtypes=[dtypes.int32])[0]
    assert got.shape == (0,)


# ---- TopKV2 ----

def np_topk(x, k):
    order = np.argsort(-x.astype(np.float64), axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, -1), order.astype(np.int32)


def topk(x, k, **attrs):
    return run_op("TopKV2", [x, np.int32(k)], dict({"T": dtypes.as_dtype(x.dtype)}, **attrs),
                  out_dtypes=[dtypes.as_dtype(x.dtype), dtypes.int32])


@pytest.mark.parametrize("name", sorted(COVERAGE["TopKV2"]))
def test_topk_matches_numpy(name):
    for shape, k in [((10,), 3), ((3, 7), 7), ((2, 2, 5), 1), ((4, 6), 0), ((0, 6), 2)]:
        x = sample(name, shape)  # few distinct values: ties are everywhere
        values, indices = topk(x, k, sorted=True)
        want_v, want_i = np_topk(x, k)
        np.testing.assert_array_equal(values, want_v)
        np.testing.assert_array_equal(indices, want_i)


def test_topk_index_types_and_old_graphs():
    x = sample("float32", (3, 9))
    want_v, want_i = np_topk(x, 4)
    for it in [dtypes.int16, dtypes.int64]:
        v, i = run_op("TopKV2", [x, np.int32(4)], {"T": dtypes.float32, "index_type": it},
                      out_dtypes=[dtypes.float32, it])
        np.testing.assert_array_equal(i, want_i.astype(it.as_numpy_dtype))
    v, i = run_op("TopKV2", [x, np.int64(4)], {"T": dtypes.float32}, out_dtypes=[dtypes.float32, dtypes.int32])
    np.testing.assert_array_equal(v, want_v)


@pytest.mark.parametrize("x,k,msg", [
    (np.array([1, 3], np.float32), np.int32(3), "input must have at least k columns. Had 2, needed 3"),
    (np.float32(1), np.int32(0), "input must be >= 1-D, got shape []"),
    (np.array([1, 3], np.float32), np.int32(-1), "Need k >= 0, got -1"),
    (np.array([1, 3], np.float32), np.array([1], np.int32), "k must be scalar, got shape [1]"),
])
def test_topk_errors(x, k, msg):
    with pytest.raises(_core.StatusError) as e:
        run_op("TopKV2", [x, k], {"T": dtypes.float32}, out_dtypes=[dtypes.float32, dtypes.int32])
    assert status_code(e.value) == INVALID_ARGUMENT and msg in e.value.args[1]
