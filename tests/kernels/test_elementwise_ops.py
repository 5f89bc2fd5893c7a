"""Elementwise kernels (binary_ops, compare_ops, unary_ops, cast) against numpy.

One row per op: the numpy reference and the dtypes TF registers on CPU. Each
row runs over scalar, same-shape, broadcast and empty operands through a real
Session; half and bfloat16 references compute in float32 and round once,
which is what TF's kernels do.
"""
import numpy as np
import ml_dtypes
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import kernel_fixture, load_npz, run_op, status_code

FLOATS = ["float32", "float64", "float16", "bfloat16"]
SIGNED_INTS = ["int8", "int16", "int32", "int64"]
UNSIGNED = ["uint8", "uint16", "uint32", "uint64"]
INTS = SIGNED_INTS + UNSIGNED
COMPLEX = ["complex64", "complex128"]
REAL = FLOATS + INTS
NUMBER = REAL + COMPLEX


def _trunc_div(a, b):
    if np.issubdtype(a.dtype, np.integer):
        q = np.abs(a.astype(np.int64)) // np.abs(b.astype(np.int64))
        return (np.sign(a.astype(np.int64)) * np.sign(b.astype(np.int64)) * q).astype(a.dtype)
    return a / b


def _nan_max(a, b):
    return np.where(np.isnan(a) | np.isnan(b), np.nan, np.maximum(a, b)).astype(a.dtype) \
        if a.dtype.kind == "f" else np.maximum(a, b)


def _nan_min(a, b):
    return np.where(np.isnan(a) | np.isnan(b), np.nan, np.minimum(a, b)).astype(a.dtype) \
        if a.dtype.kind == "f" else np.minimum(a, b)


def _sqdiff(a, b):
    d = a - b
    return d * np.conj(d) if a.dtype.kind == "c" else d * d


BINARY = {
    "Add": (np.add, NUMBER),
    "AddV2": (np.add, NUMBER),
    "Sub": (np.subtract, NUMBER),
    "Mul": (np.multiply, NUMBER + ["bool"]),
    "Div": (_trunc_div, NUMBER),
    "RealDiv": (np.divide, FLOATS + COMPLEX),
    "DivNoNan": (lambda a, b: np.where(b == 0, 0, a / np.where(b == 0, 1, b)).astype(a.dtype), FLOATS + COMPLEX),
    "FloorDiv": (np.floor_divide, REAL),
    "FloorMod": (np.mod, REAL),
    "Mod": (np.mod, REAL),
    "TruncateMod": (np.fmod, REAL),
    "TruncateDiv": (lambda a, b: _trunc_div(a, b) if a.dtype.kind in "iu" else np.trunc(a / b), REAL),
    "Maximum": (_nan_max, REAL),
    "Minimum": (_nan_min, REAL),
    "SquaredDifference": (_sqdiff, NUMBER),
    "Pow": (np.power, FLOATS + SIGNED_INTS + COMPLEX),
    "Atan2": (np.arctan2, FLOATS),
}
COMPARE = {
    "Equal": (np.equal, NUMBER + ["bool", "string"]),
    "NotEqual": (np.not_equal, NUMBER + ["bool", "string"]),
    "Less": (np.less, REAL),
    "LessEqual": (np.less_equal, REAL),
    "Greater": (np.greater, REAL),
    "GreaterEqual": (np.greater_equal, REAL),
}
LOGICAL = {"LogicalAnd": np.logical_and, "LogicalOr": np.logical_or}
SIGNED_NUMBER = FLOATS + SIGNED_INTS + COMPLEX
FLOAT_COMPLEX = FLOATS + COMPLEX
UNARY = {
    "Neg": (np.negative, SIGNED_NUMBER),
    "Abs": (np.abs, FLOATS + SIGNED_INTS),
    "Square": (np.square, SIGNED_NUMBER + UNSIGNED),
    "Sign": (lambda x: np.where(x == 0, 0, x / np.where(x == 0, 1, np.abs(x))) if x.dtype.kind == "c"
             else np.sign(x), FLOATS + SIGNED_INTS + COMPLEX),
    "Reciprocal": (np.reciprocal, FLOAT_COMPLEX),
    "Inv": (np.reciprocal, FLOAT_COMPLEX),
    "Sqrt": (np.sqrt, FLOAT_COMPLEX),
    "Rsqrt": (lambda x: 1 / np.sqrt(x), FLOAT_COMPLEX),
    "Exp": (np.exp, FLOAT_COMPLEX),
    "Expm1": (np.expm1, FLOAT_COMPLEX),
    "Log": (np.log, FLOAT_COMPLEX),
    "Log1p": (np.log1p, FLOAT_COMPLEX),
    "Sin": (np.sin, FLOAT_COMPLEX),
    "Cos": (np.cos, FLOAT_COMPLEX),
    "Tan": (np.tan, FLOAT_COMPLEX),
    "Asin": (np.arcsin, FLOAT_COMPLEX),
    "Acos": (np.arccos, FLOAT_COMPLEX),
    "Atan": (np.arctan, FLOAT_COMPLEX),
    "Sinh": (np.sinh, FLOAT_COMPLEX),
    "Cosh": (np.cosh, FLOAT_COMPLEX),
    "Tanh": (np.tanh, FLOAT_COMPLEX),
    "Sigmoid": (lambda x: 1 / (1 + np.exp(-x)), FLOAT_COMPLEX),
    "Erf": (None, FLOATS),
    "Erfc": (None, FLOATS),
    "Lgamma": (None, FLOATS),
    "Floor": (np.floor, FLOATS),
    "Ceil": (np.ceil, FLOATS),
    "Rint": (np.rint, FLOATS),
    "Round": (np.round, FLOATS + SIGNED_INTS),
}
PREDICATE = {"IsNan": np.isnan, "IsInf": np.isinf, "IsFinite": np.isfinite}

COVERAGE = {}
for _table in (BINARY, COMPARE, UNARY):
    for _op, (_fn, _types) in _table.items():
        COVERAGE[_op] = set(_types)
COVERAGE.update({op: set(FLOATS) for op in PREDICATE})
COVERAGE.update({op: set() for op in list(LOGICAL) + ["LogicalNot", "Cast"]})
COVERAGE["AddN"] = set(NUMBER) | {"variant"}  # lists: test_tensor_list_ops.py

SHAPES = [((), ()), ((2, 3), (2, 3)), ((2, 3), (3,)), ((), (2, 3)), ((4, 1), (1, 5)),
          ((0, 3), (3,)), ((2, 1, 3), (4, 1))]


def np_type(name):
    return np.dtype(dtypes.as_dtype(name).as_numpy_dtype)


def sample(name, shape, rng, positive=False, nonzero=False):
    if name == "bool":
        return np.asarray(rng.rand(*shape) > 0.5)
    if name == "string":
        return np.asarray(rng.choice([b"", b"a", b"ab", b"b\x00c", b"\xff"], size=shape), dtype=object)
    if name.startswith("complex"):
        v = rng.uniform(0.5, 2, shape) + 1j * rng.uniform(-1, 1, shape)
        return np.asarray(v).astype(name)
    kind = np_type(name).kind
    if kind == "f" or name == "bfloat16":
        lo = 0.25 if positive else -3
        return np.asarray(rng.uniform(lo, 3, shape)).astype(np.float32).astype(np_type(name))
    info = np.iinfo(np_type(name))
    lo = 1 if (positive or nonzero) and info.min == 0 else (1 if positive else max(info.min, -20))
    v = np.asarray(rng.randint(lo, min(info.max, 20) + 1, size=shape))
    if nonzero:
        v[v == 0] = 3
    return v.astype(np_type(name))


def reference(fn, name, *args):
    """numpy result in the op's dtype; 16-bit floats compute in float32."""
    if name in ("float16", "bfloat16"):
        out = fn(*[a.astype(np.float32) for a in args])
        return out.astype(np_type(name)) if out.dtype != bool else out
    with np.errstate(all="ignore"):
        return fn(*args)


def close(out, expect, name, transcendental=False):
    assert out.shape == expect.shape, (out.shape, expect.shape)
    if expect.dtype == bool or np_type(name).kind in "iub":
        np.testing.assert_array_equal(out, expect)
        return
    tol = {"float16": 2e-3, "bfloat16": 1.6e-2, "float32": 2e-6, "complex64": 2e-6}.get(name, 1e-12)
    if transcendental and name in ("float32", "complex64"):
        tol = 2e-6 * 4
    np.testing.assert_allclose(out.astype(np.complex128 if np.iscomplexobj(out) else np.float64),
                               expect.astype(np.complex128 if np.iscomplexobj(expect) else np.float64),
                               rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary(op):
    fn, types = BINARY[op]
    rng = np.random.RandomState(0)
    divides = op in ("Div", "RealDiv", "FloorDiv", "FloorMod", "Mod", "TruncateMod", "TruncateDiv", "DivNoNan")
    for name in types:
        for sa, sb in SHAPES:
            a = sample(name, sa, rng, positive=op == "Pow")
            b = sample(name, sb, rng, nonzero=divides, positive=op == "Pow")
            if op == "Pow" and np_type(name).kind == "i":
                b = np.minimum(b, 5).astype(b.dtype)
            out = run_op(op, [a, b], {"T": dtypes.as_dtype(name)})[0]
            close(out, reference(fn, name, a, b), name, transcendental=op in ("Pow", "Atan2"))


@pytest.mark.parametrize("op", sorted(COMPARE))
def test_compare(op):
    fn, types = COMPARE[op]
    rng = np.random.RandomState(1)
    for name in types:
        for sa, sb in SHAPES:
            a, b = sample(name, sa, rng), sample(name, sb, rng)
            if a.size and b.size:
                b.flat[0] = a.flat[0]  # make some elements equal
            out = run_op(op, [a, b], {"T": dtypes.as_dtype(name)}, [dtypes.bool])[0]
            np.testing.assert_array_equal(out, reference(fn, name, a, b))


@pytest.mark.parametrize("op", sorted(LOGICAL))
def test_logical(op):
    rng = np.random.RandomState(2)
    for sa, sb in SHAPES:
        a, b = sample("bool", sa, rng), sample("bool", sb, rng)
        np.testing.assert_array_equal(run_op(op, [a, b], {})[0], LOGICAL[op](a, b))
    a = sample("bool", (3, 2), rng)
    np.testing.assert_array_equal(run_op("LogicalNot", [a], {})[0], ~a)


@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary(op):
    fn, types = UNARY[op]
    if fn is None:
        import math
        fn = {"Erf": np.vectorize(math.erf, otypes=[float]), "Erfc": np.vectorize(math.erfc, otypes=[float]),
              "Lgamma": np.vectorize(math.lgamma, otypes=[float])}[op]
    rng = np.random.RandomState(3)
    positive = op in ("Sqrt", "Rsqrt", "Log", "Reciprocal", "Inv", "Log1p", "Lgamma")
    for name in types:
        for shape in [(), (7,), (2, 3), (0, 4)]:
            x = sample(name, shape, rng, positive=positive)
            if op in ("Asin", "Acos"):
                x = (x / 3).astype(x.dtype)
            if op == "Round" and np_type(name).kind == "f":
                x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.4], np.float32).astype(np_type(name))
            expect = reference(lambda v: np.asarray(fn(v)).astype(v.dtype) if np.asarray(fn(v)).dtype != bool
                               else fn(v), name, x)
            out = run_op(op, [x], {"T": dtypes.as_dtype(name)})[0]
            close(out, np.asarray(expect, dtype=out.dtype), name, transcendental=True)


@pytest.mark.parametrize("op", sorted(PREDICATE))
def test_predicates(op):
    for name in FLOATS:
        x = np.array([0.0, np.inf, -np.inf, np.nan, 1.5], np.float32).astype(np_type(name))
        out = run_op(op, [x], {"T": dtypes.as_dtype(name)}, [dtypes.bool])[0]
        np.testing.assert_array_equal(out, PREDICATE[op](x.astype(np.float32)))


CAST_TYPES = REAL + COMPLEX + ["bool"]


def test_cast_every_pair_matches_numpy_in_range():
    rng = np.random.RandomState(4)
    for src in CAST_TYPES:
        x = sample(src, (5,), rng)
        if np_type(src).kind == "f":
            x = np.array([1.7, -2.2, 0.0, 3.5, -0.5], np.float32).astype(np_type(src))
        for dst in CAST_TYPES:
            if np_type(src).kind in "fc" and np_type(dst).kind == "u":
                continue  # negative floats to unsigned differ by platform; TF's wrap is tested below
            out = run_op("Cast", [x], {"SrcT": dtypes.as_dtype(src), "DstT": dtypes.as_dtype(dst)},
                         [dtypes.as_dtype(dst)])[0]
            src_vals = x.astype(np.float32) if src == "bfloat16" else x
            with np.errstate(all="ignore"):
                expect = (src_vals.real if np.iscomplexobj(src_vals) and np_type(dst).kind != "c" else src_vals)
                if dst == "bool":
                    expect = x != 0
                else:
                    expect = np.asarray(expect).astype(np_type(dst))
            assert out.dtype == np_type(dst)
            np.testing.assert_array_equal(out.astype(np.complex128), expect.astype(np.complex128), err_msg=src + dst)


def test_cast_truncates_and_wraps_like_tf():
    out = run_op("Cast", [np.array([1.7, -2.2, 300.5])], {"SrcT": dtypes.float64, "DstT": dtypes.int8}, [dtypes.int8])
    np.testing.assert_array_equal(out[0], np.array([1, -2, 44], np.int8))  # 300 wraps to 44, as FORMATS.md notes


# What TF 2.21's Cast gives for floats beyond an integer type's range, one value per tensor
# (TF's scalar loop, which metarun follows for every element): gen_cast.py.
def _cast_fixture():
    import json
    doc = json.loads(load_npz(kernel_fixture("cast.npz"))["cases_json"].tobytes())
    return [float(v) for v in doc["values"]], doc["results"]


CAST_VALUES, CAST_TF = _cast_fixture()


@pytest.mark.parametrize("pair", sorted(CAST_TF))
def test_cast_of_floats_beyond_the_integer_range_is_tfs(pair):
    src, dst = pair.split()
    with np.errstate(over="ignore"):  # float16 rounds the large values to infinity, as TF does
        x = np.array(CAST_VALUES, np.float64).astype(ml_dtypes.bfloat16 if src == "bfloat16" else src)
    out = run_op("Cast", [x], {"SrcT": dtypes.as_dtype(src), "DstT": dtypes.as_dtype(dst)}, [dtypes.as_dtype(dst)])
    assert out[0].tolist() == CAST_TF[pair]


def test_integer_division_by_zero_is_invalid_argument():
    for op in ("Div", "FloorDiv", "FloorMod", "TruncateDiv", "TruncateMod"):
        with pytest.raises(_core.StatusError) as e:
            run_op(op, [np.array([1, 2], np.int32), np.array([1, 0], np.int32)], {"T": dtypes.int32})
        assert status_code(e.value) == 3 and "division by zero" in e.value.args[1]


def test_incompatible_shapes_message():
    with pytest.raises(_core.StatusError) as e:
        run_op("AddV2", [np.ones((2, 3), np.float32), np.ones((4,), np.float32)], {"T": dtypes.float32})
    assert status_code(e.value) == 3 and e.value.args[1] == "Incompatible shapes: [2,3] vs. [4]"


def test_integer_pow_rejects_negative_exponents():
    with pytest.raises(_core.StatusError) as e:
        run_op("Pow", [np.array([2], np.int32), np.array([-1], np.int32)], {"T": dtypes.int32})
    assert status_code(e.value) == 3


def test_unregistered_dtype_is_rejected_at_plan_time():
    with pytest.raises(_core.StatusError) as e:
        run_op("RealDiv", [np.array([2], np.int32), np.array([1], np.int32)], {"T": dtypes.int32})
    assert "No kernel for op 'RealDiv' with dtype int32" in e.value.args[1]


@pytest.mark.parametrize("name", NUMBER)
def test_add_n_sums_left_to_right(name):
    rng = np.random.RandomState(5)
    for shape in [(), (3, 4), (0, 2)]:
        xs = [sample(name, shape, rng) for _ in range(5)]
        expect = xs[0]
        for x in xs[1:]:
            expect = reference(np.add, name, expect, x)
        out = run_op("AddN", xs, {"T": dtypes.as_dtype(name), "N": len(xs)})[0]
        close(out, np.asarray(expect), name)
    one = sample(name, (2,), rng)
    close(run_op("AddN", [one], {"T": dtypes.as_dtype(name), "N": 1})[0], one, name)


def test_add_n_rejects_mismatched_shapes():
    with pytest.raises(_core.StatusError) as e:
        run_op("AddN", [np.ones(3, np.float32), np.ones(2, np.float32)], {"T": dtypes.float32, "N": 2})
    assert status_code(e.value) == 3 and "same size and shape" in e.value.args[1]


_TF = load_npz(kernel_fixture("complex_unary.npz"))
_TF_CASES = sorted({k.rsplit("/", 1)[0] for k in _TF.files})


@pytest.mark.parametrize("case", _TF_CASES)
def test_forms_checked_against_tf(case):
    """Complex expm1/log1p/sign (Eigen's formulas), the complex trigonometric and hyperbolic
    functions, complex and int8/int16 Pow and float TruncateDiv against TF's own outputs, near
    zero and at special values included."""
    op, name = case.split("/")
    args = [_TF[case + "/x"]] + ([_TF[case + "/y"]] if case + "/y" in _TF.files else [])
    want = _TF[case + "/out"]
    got = run_op(op, args, {"T": dtypes.as_dtype(name)})[0]
    if np_type(name).kind in "iu":
        np.testing.assert_array_equal(got, want)
    else:
        # TF's complex log and atan2 are Eigen's vectorized approximations: the last bit may differ.
        tol = {"complex64": 2e-7, "complex128": 4e-16}.get(name, 0)
        np.testing.assert_allclose(got, want, rtol=tol, atol=0, equal_nan=True)
