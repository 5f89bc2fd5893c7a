"""Special-function kernels (special_math_ops) against TF 2.21's CPU outputs.

Expected values come from tests/fixtures/kernels/special_math.npz (written by
gen_special_math.py): dense sweeps of each op's domain plus special values (0, -0, negative,
nan, +-inf, domain edges), scalar, broadcast, rank-3 and empty shapes, and the shapes TF
rejects (checked for the exact code and message, then the same Session runs good inputs).

Outputs are compared in ulps (a NaN must be NaN; +0 and -0 count as equal, see below; a complex
part is measured in ulps of the larger part). MAX_ULP holds the largest difference measured
against TF over the fixture; absent pairs are bit-exact. Measured max ulp, float32/float64:
Atanh 2/2, Erfinv 4/0, Ndtri 4/0, Xlogy 3/2, Xlog1py 4/3; complex64/complex128: Xlogy 2/4,
Xdivy 2/2, Xlog1py 163/155 (purely imaginary y near 0: log1p's cancellation magnifies a
1-ulp difference in the complex log). Everything else is 0: Acosh, Asinh, Digamma, Igamma,
Igammac, IgammaGradA, Polygamma, Zeta, Betainc, MulNoNan, Xdivy (real), NextAfter,
ApproximateEqual, and every half/bfloat16 result. The differences come from TF's vectorized
path, which uses Eigen's own polynomial log and atanh (also inside ndtri and erfinv) where
these kernels call libm, and Eigen's complex division. The scalar algorithms (Cephes, as Eigen
ports them) match bit for bit, given TF's flush-denormals-to-zero mode, which the kernels set.

Sign of zero: for x == 0, TF's Xlogy/Xdivy/Xlog1py return x (keeping -0) on its vectorized
path but +0 on its scalar tail, so which one a -0 input gets depends on its position; these
kernels always return x.

Gradients (special_math_grad.py) are checked against TF's tape gradients of sum(op * w).
"""
import json

import numpy as np
import pytest

import metarun as tf
from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op
from op_harness import BF16, expect_error, kernel_fixture, load_npz, run_op

FLOAT16 = ["float16", "bfloat16"]
REAL = ["float32", "float64"]
COMPLEX = ["complex64", "complex128"]
ALL = FLOAT16 + REAL + COMPLEX

COVERAGE = {
    "Acosh": set(ALL), "Asinh": set(ALL), "Atanh": set(ALL),
    "Digamma": {"float16"} | set(REAL),
    "Erfinv": set(REAL), "Ndtri": set(REAL),
    "Igamma": set(REAL), "Igammac": set(REAL), "IgammaGradA": set(REAL),
    "Polygamma": set(REAL), "Zeta": set(REAL), "Betainc": set(REAL),
    "Xlogy": set(ALL), "Xdivy": set(ALL), "Xlog1py": set(ALL), "MulNoNan": set(ALL),
    "NextAfter": set(REAL), "ApproximateEqual": set(REAL),
}

# (op, dtype) -> the largest ulp difference from TF measured over the fixture; others exact.
MAX_ULP = {
    ("Atanh", "float32"): 2, ("Atanh", "float64"): 2,
    ("Erfinv", "float32"): 4, ("Ndtri", "float32"): 4,
    ("Xlogy", "float32"): 3, ("Xlogy", "float64"): 2, ("Xlogy", "complex64"): 2, ("Xlogy", "complex128"): 4,
    ("Xlog1py", "float32"): 4, ("Xlog1py", "float64"): 3,
    ("Xlog1py", "complex64"): 163, ("Xlog1py", "complex128"): 155,
    ("Xdivy", "complex64"): 2, ("Xdivy", "complex128"): 2,
}

DATA = load_npz(kernel_fixture("special_math.npz"))
CASES = json.loads(bytes(DATA["cases_json"]))
ERRORS = json.loads(bytes(DATA["errors_json"]))
KERNEL_CASES = [c for c in CASES if not c["name"].startswith("grad/")]
GRAD_CASES = [c for c in CASES if c["name"].startswith("grad/")]
INVALID_ARGUMENT = 3


def decode(arr, dtype):
    return arr.view(BF16) if dtype == "bfloat16" else arr


def inputs_of(case):
    return [decode(DATA["%s/in%d" % (case["name"], k)], case["dtype"]) for k in range(case["inputs"])]


def attrs_of(case):
    attrs = {"T": dtypes.as_dtype(case["dtype"])}
    attrs.update(case["attrs"])
    return attrs


def out_dtype(case):
    return dtypes.bool if case["op"] == "ApproximateEqual" else dtypes.as_dtype(case["dtype"])


def ordered(a):
    """Float bits as integers ordered like the values, +0 and -0 both 0."""
    a = np.asarray(a)
    ints = {2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize]
    i = a.view(ints).astype(np.int64)
    sign_bit = np.int64(1) << (8 * a.dtype.itemsize - 1)
    return np.where(i < 0, -(i + sign_bit), i)


def complex_ulp_diff(got, want):
    """Complex results: each part's error in ulps of the larger part of TF's value (a part
    far smaller than the other carries no precision of its own); inf for a NaN mismatch."""
    if want.size == 0:
        return 0
    g, w = got.astype(np.complex128), want.astype(np.complex128)
    if (np.isnan(g) != np.isnan(w)).any():
        return np.inf
    keep = ~np.isnan(w) & np.isfinite(w)
    if (g[~keep] != w[~keep]).any() and not np.isnan(w[~keep]).all():
        return np.inf
    if not keep.any():
        return 0
    g, w = g[keep], w[keep]
    part = want.real.dtype.type
    scale = np.spacing(np.maximum(np.abs(w.real), np.abs(w.imag)).astype(part)).astype(np.float64)
    err = np.maximum(np.abs(g.real - w.real), np.abs(g.imag - w.imag))
    return int(np.ceil((err / np.where(scale > 0, scale, 1)).max()))


def ulp_diff(got, want):
    """The largest ulp distance between two float arrays; inf when a NaN is on one side only."""
    if np.iscomplexobj(want):
        return complex_ulp_diff(got, want)
    if want.size == 0:
        return 0
    nan_g, nan_w = np.isnan(got.astype(np.float64)), np.isnan(want.astype(np.float64))
    if (nan_g != nan_w).any():
        return np.inf
    keep = ~nan_w
    if not keep.any():
        return 0
    return int(np.abs(ordered(got[keep]) - ordered(want[keep])).max())


def run_case(case):
    return run_op(case["op"], inputs_of(case), attrs_of(case), [out_dtype(case)])[0]


def case_id(case):
    return case["name"]


@pytest.mark.parametrize("case", [c for c in KERNEL_CASES if c["name"] not in ERRORS], ids=case_id)
def test_matches_tf(case):
    got = run_case(case)
    want = decode(DATA[case["name"] + "/out"], case["dtype"])
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype == bool:
        np.testing.assert_array_equal(got, want)
        return
    assert got.dtype == want.dtype
    diff = ulp_diff(got, want)
    assert diff <= MAX_ULP.get((case["op"], case["dtype"]), 0), (case["name"], diff)


@pytest.mark.parametrize("case", [c for c in KERNEL_CASES if c["name"] in ERRORS], ids=case_id)
def test_errors_as_tf(case):
    assert ERRORS[case["name"]]["error"] == "InvalidArgumentError"
    bad = inputs_of(case)
    good = [np.ones(np.shape(bad[0]), bad[0].dtype) for _ in bad]
    message, outs = expect_error(case["op"], bad, good, attrs_of(case), [out_dtype(case)], code=INVALID_ARGUMENT)
    assert message == ERRORS[case["name"]]["message"]
    assert outs[0].shape == np.shape(bad[0])


def test_fixture_covers_every_pair_and_shape_kind():
    seen = {}
    for c in KERNEL_CASES:
        seen.setdefault((c["op"], c["dtype"]), set()).add(c["name"].rsplit("/", 1)[1])
    assert set(seen) == {(op, dt) for op, types in COVERAGE.items() for dt in types}
    for (op, dt), kinds in seen.items():
        assert "empty" in kinds and "sweep" in kinds, (op, dt)
        assert kinds & {"scalar", "scalars"}, (op, dt)


def test_ulp_metric_can_fail():
    x = np.array([1.0, np.nan, 0.0], np.float32)
    assert ulp_diff(x, x) == 0
    assert ulp_diff(np.array([-0.0], np.float32), np.array([0.0], np.float32)) == 0
    assert ulp_diff(np.array([np.nan], np.float32), np.array([1.0], np.float32)) == np.inf
    y = x.copy()
    y[0] = np.nextafter(y[0], np.float32(2))
    assert ulp_diff(y, x) == 1


def test_approximate_equal_default_tolerance():
    x = np.array([0.0, 0.0, 1.0], np.float32)
    y = np.array([9e-6, 2e-5, 1.0], np.float32)
    np.testing.assert_array_equal(run_op("ApproximateEqual", [x, y], {"T": dtypes.float32}, [dtypes.bool])[0],
                                  [True, False, True])


# -- gradients --------------------------------------------------------------------------------

PUBLIC = {
    "Acosh": tf.math.acosh, "Asinh": tf.math.asinh, "Atanh": tf.math.atanh, "Digamma": tf.math.digamma,
    "Erfinv": tf.math.erfinv, "Ndtri": tf.math.ndtri, "Igamma": tf.math.igamma, "Igammac": tf.math.igammac,
    "Polygamma": tf.math.polygamma,
    # metarun's tf.math.zeta passes its second argument as `y`, which Zeta does not have (q).
    "Zeta": lambda x, q: apply_op("Zeta", x=x, q=q), "Betainc": tf.math.betainc, "Xlogy": tf.math.xlogy,
    "Xdivy": tf.math.xdivy, "Xlog1py": tf.math.xlog1py, "MulNoNan": tf.math.multiply_no_nan,
}


@pytest.mark.parametrize("case", GRAD_CASES, ids=case_id)
def test_gradients_match_tf(case):
    name = case["name"]
    inputs = [DATA["%s/in%d" % (name, k)] for k in range(case["inputs"])]
    with tf.Graph().as_default():
        xs = [tf.constant(x) for x in inputs]
        y = PUBLIC[case["op"]](*xs)
        loss = tf.reduce_sum(y * tf.constant(DATA[name + "/w"]))
        # TF's tape starts a complex loss's backprop from 1; tf.gradients needs it given.
        grad_ys = tf.ones_like(loss) if loss.dtype.is_complex else None
        grads = tf.gradients(loss, xs, grad_ys=grad_ys)
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(y), DATA[name + "/out"], rtol=1e-5)
            wanted = [(k, g) for k, g in enumerate(grads) if DATA["%s/grad%d" % (name, k)].size]
            values = sess.run([g for _, g in wanted])
    for k, g in enumerate(grads):
        if not DATA["%s/grad%d" % (name, k)].size:
            assert g is None, (name, k)  # TF has no gradient for this input
    for (k, _), got in zip(wanted, values):
        want = DATA["%s/grad%d" % (name, k)]
        rtol = 1e-4 if want.dtype in (np.float32, np.complex64) else 1e-10
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, err_msg="%s input %d" % (name, k))
