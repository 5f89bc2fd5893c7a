"""NN activations, Softmax/LogSoftmax, BiasAdd and LRN.

TF fixtures (reduce_nn.npz, from tests/fixtures/kernels/gen_reduce_nn.py) pin the
float formulas; numpy covers the rest. Elu, Selu, Softsign and LeakyRelu match
TF bit for bit; Softplus (TF's log1p), Softmax (TF tiles exp across threads)
and LRN (TF sums through a band matrix product) within a few ulp.
"""
import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import BF16, COMPLEX, FLOATS, INTS, fixture_module, kernel_fixture, load_npz, np_dtype, run_op, \
    sample, status_code

make_input = fixture_module("gen_reduce_nn").make_input

FIXTURES = load_npz(kernel_fixture("reduce_nn.npz"))
REAL = FLOATS + INTS
INVALID_ARGUMENT = 3

COVERAGE = {
    "Relu": set(REAL), "Relu6": set(REAL),
    "Elu": set(FLOATS), "Selu": set(FLOATS), "Softplus": set(FLOATS), "Softsign": set(FLOATS),
    "LeakyRelu": set(FLOATS), "Softmax": set(FLOATS), "LogSoftmax": set(FLOATS),
    "BiasAdd": set(REAL + COMPLEX), "BiasAddV1": set(REAL + COMPLEX), "LRN": {"float16", "float32"},
}

SHAPES = [(), (7,), (3, 4), (0, 5), (2, 3, 4)]


def unary(op, x, **attrs):
    return run_op(op, [x], dict({"T": dtypes.as_dtype(x.dtype)}, **attrs))[0]


def bits(a):
    return a.view(np.uint16) if a.dtype == BF16 else a


def assert_ulps(got, want, ulps):
    assert got.shape == want.shape and got.dtype == want.dtype
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    eps = {np.dtype(np.float16): 2.0 ** -10, np.dtype(BF16): 2.0 ** -7,
           np.dtype(np.float32): 2.0 ** -23, np.dtype(np.float64): 2.0 ** -52}[got.dtype]
    # TF flushes denormal results to zero (its threads run with FTZ set).
    tiny = np.finfo(np.float32).tiny if got.dtype in (np.float16, BF16) else np.finfo(got.dtype).tiny
    same = (g == w) | (np.isnan(g) & np.isnan(w)) | ((np.abs(g) < tiny) & (w == 0))
    np.testing.assert_array_less(np.abs(g - w)[~same], 2 * ulps * eps * np.abs(w)[~same])


@pytest.mark.parametrize("name", REAL)
@pytest.mark.parametrize("shape", SHAPES)
def test_relu_relu6(name, shape):
    x = sample(name, shape)
    np.testing.assert_array_equal(bits(unary("Relu", x)), bits(np.maximum(x, np.zeros((), x.dtype))))
    want6 = np.minimum(np.maximum(x, np.zeros((), x.dtype)), np.array(6, x.dtype))
    np.testing.assert_array_equal(bits(unary("Relu6", x)), bits(want6))


@pytest.mark.parametrize("name", FLOATS)
def test_float_activations_match_tf(name):
    grid = FIXTURES["grid"].astype(np_dtype(name))
    for op in ["Elu", "Selu", "Softsign", "LeakyRelu"]:
        attrs = {"alpha": 0.3} if op == "LeakyRelu" else {}
        np.testing.assert_array_equal(bits(unary(op, grid, **attrs)), FIXTURES["%s/%s" % (op, name)], err_msg=op)
    want = FIXTURES["Softplus/" + name]
    assert_ulps(unary("Softplus", grid), want.view(BF16) if name == "bfloat16" else want, 2)


@pytest.mark.parametrize("name", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
def test_float_activations_shapes(name, shape):
    x = sample(name, shape)
    xf = x.astype(np.float64)
    assert unary("Elu", x).shape == x.shape
    assert_ulps(unary("Softsign", x), (xf / (np.abs(xf) + 1)).astype(x.dtype), 2)
    assert_ulps(unary("LeakyRelu", x), np.where(xf > 0, xf, xf * np.float32(0.2)).astype(x.dtype), 1)


def np_softmax(x, log):
    if x.size == 0:
        return x.copy()
    xf = x.astype(np.float64)
    s = xf - xf.max(-1, keepdims=True)
    lse = np.log(np.exp(s).sum(-1, keepdims=True))
    return (s - lse if log else np.exp(s - lse)).astype(x.dtype)


@pytest.mark.parametrize("name", FLOATS)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (0, 3), (3, 0), (1, 1)])
@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
def test_softmax_matches_numpy(op, name, shape):
    x = sample(name, shape)
    got = unary(op, x)
    want = np_softmax(x, op == "LogSoftmax")
    tol = {"float16": 4e-3, "bfloat16": 3e-2}.get(name, 1e-6)
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=tol, atol=tol)


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
def test_softmax_matches_tf(op):
    x = make_input("softmax")
    assert_ulps(unary(op, x), FIXTURES[op + "/softmax"], 3)
    x16 = make_input("softmax_f16")
    np.testing.assert_array_equal(unary(op, x16), FIXTURES[op + "/softmax_f16"])
    inf = {"Softmax": [[np.inf, 1], [-np.inf, -np.inf], [-np.inf, 2]], "LogSoftmax": [[-np.inf, 1], [3, 3]]}[op]
    np.testing.assert_array_equal(unary(op, np.array(inf, np.float32)), FIXTURES[op + "/inf"])


def test_softmax_rejects_scalar():
    with pytest.raises(_core.StatusError) as e:
        unary("Softmax", np.float32(1))
    assert status_code(e.value) == INVALID_ARGUMENT
    assert "logits must have >= 1 dimension, got []" in e.value.args[1]


# ---- BiasAdd ----

def bias_add(x, b, op="BiasAdd", **attrs):
    return run_op(op, [x, b], dict({"T": dtypes.as_dtype(x.dtype)}, **attrs))[0]


def add(x, b):
    """x + b rounded once to x's dtype (integers wrap, as in TF)."""
    if x.dtype.kind in "iu":
        return (x.astype(np.int64) + b.astype(np.int64)).astype(x.dtype)
    wide = np.complex128 if x.dtype.kind == "c" else np.float64
    return (x.astype(wide) + b.astype(wide)).astype(x.dtype)


@pytest.mark.parametrize("name", REAL + COMPLEX)
def test_bias_add(name):
    for shape in [(3, 4), (2, 3, 4), (2, 1, 3, 5), (0, 4), (2, 3, 0, 2)]:
        x = sample(name, shape)
        b = sample(name, shape[-1:], seed=1)
        want = add(x, b)
        np.testing.assert_array_equal(bits(bias_add(x, b)), bits(want))
        np.testing.assert_array_equal(bits(bias_add(x, b, "BiasAddV1")), bits(want))
        np.testing.assert_array_equal(bits(bias_add(x, b, data_format="NHWC")), bits(want))
        bc = sample(name, shape[1:2], seed=2)
        expand = (slice(None),) + (None,) * (len(shape) - 2)
        want = add(x, bc[expand])
        np.testing.assert_array_equal(bits(bias_add(x, bc, data_format="NCHW")), bits(want))


def test_bias_add_integer_wraps_like_tf():
    x = np.array([[127, -128]], np.int8)
    np.testing.assert_array_equal(bias_add(x, np.array([1, -1], np.int8)), np.array([[-128, 127]], np.int8))


@pytest.mark.parametrize("x,b,fmt,msg", [
    (np.ones((2, 3), np.float32), np.ones((2,), np.float32), "NHWC",
     "Must provide as many biases as the last dimension of the input tensor: [2] vs. [2,3]"),
    (np.ones((2, 3, 4), np.float32), np.ones((4,), np.float32), "NCHW",
     "Must provide as many biases as the channel dimension of the input tensor: [4] vs. [2,3,4]"),
    (np.ones((3,), np.float32), np.ones((3,), np.float32), "NHWC", "Input tensor must be at least 2D: [3]"),
    (np.ones((2, 3), np.float32), np.ones((1, 3), np.float32), "NHWC", "Biases must be 1D: [1,3]"),
])
def test_bias_add_errors(x, b, fmt, msg):
    with pytest.raises(_core.StatusError) as e:
        bias_add(x, b, data_format=fmt)
    assert status_code(e.value) == INVALID_ARGUMENT and msg in e.value.args[1]
    bias_add(np.ones((2, 3), np.float32), np.ones((3,), np.float32))


def test_bias_add_bad_data_format():
    with pytest.raises(_core.StatusError) as e:
        bias_add(np.ones((2, 3), np.float32), np.ones((3,), np.float32), data_format="NHCW")
    assert status_code(e.value) == INVALID_ARGUMENT


# ---- LRN ----

def np_lrn(x, r, bias, alpha, beta):
    xf = x.astype(np.float64)
    sq = xf * xf
    d = x.shape[-1]
    if d == 0:
        return x.copy()
    s = np.stack([sq[..., max(0, i - r):i + r + 1].sum(-1) for i in range(d)], -1)
    return (xf / (bias + alpha * s) ** beta).astype(x.dtype)


def test_lrn_matches_tf():
    x = make_input("lrn")
    cases = {"default": {}, "b075": dict(depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75),
             "b1": dict(depth_radius=3, bias=1.0, alpha=0.5, beta=1.0)}
    for key, attrs in cases.items():
        assert_ulps(unary("LRN", x, **attrs), FIXTURES["LRN/" + key], 4)
    got = unary("LRN", x.astype(np.float16), depth_radius=2, bias=1.0, alpha=0.1, beta=0.5)
    assert_ulps(got, FIXTURES["LRN/f16"], 2)


@pytest.mark.parametrize("shape", [(1, 2, 2, 7), (2, 1, 1, 1), (0, 2, 2, 3), (1, 1, 1, 0)])
def test_lrn_matches_numpy(shape):
    x = sample("float32", shape)
    got = unary("LRN", x, depth_radius=1, bias=1.5, alpha=0.2, beta=0.6)
    np.testing.assert_allclose(got, np_lrn(x, 1, 1.5, 0.2, 0.6), rtol=1e-5, atol=1e-6)
    big_radius = unary("LRN", x, depth_radius=1 << 30)
    np.testing.assert_allclose(big_radius, np_lrn(x, 1 << 30, 1.0, 1.0, 0.5), rtol=1e-5, atol=1e-6)


def test_lrn_rejects_non_4d():
    with pytest.raises(_core.StatusError) as e:
        unary("LRN", np.ones((2, 3), np.float32))
    assert status_code(e.value) == INVALID_ARGUMENT and "in must be 4-dimensional" in e.value.args[1]
