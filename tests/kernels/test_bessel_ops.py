"""Bessel functions and Expint (cpp/kernels/bessel_ops.cpp) against TF (fixtures/kernels/bessel.npz,
gen_bessel.py): every point TF computes, edges included (signed zeros, negatives, infinities, NaN,
huge arguments where the scaled forms take their asymptotic series), to rounding (TF uses Cephes'
polynomials, metarun the C++ library's functions in double precision); and their gradients
(tf.gradients, float64) as TF registers them."""
import numpy as np
import pytest

import metarun as tf
from metarun.framework import dtypes
from op_harness import kernel_fixture, load_npz, run_op

_DATA = load_npz(kernel_fixture("bessel.npz"))
_CASES = sorted({k.rsplit("/", 1)[0] for k in _DATA.files if not k.startswith("grad/")})
_GRADS = sorted({k.split("/")[1] for k in _DATA.files if k.startswith("grad/")})
COVERAGE = {}
for _c in _CASES:
    _op, _dt = _c.split("/")
    COVERAGE.setdefault(_op, set()).add(_dt)
_TOL = {"float16": 1e-3, "float32": 3e-6, "float64": 3e-14}


@pytest.mark.parametrize("case", _CASES)
def test_matches_tf(case):
    op, dt = case.split("/")
    x, want = _DATA[case + "/x"], _DATA[case + "/y"]
    got = run_op(op, [x], {"T": dtypes.as_dtype(dt)})[0]
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    finite = np.isfinite(want)
    g, w = got[finite].astype(np.float64), want[finite].astype(np.float64)
    # J and Y oscillate: near their zeros only an absolute bound makes sense, and at large |x| TF
    # reduces the argument in the dtype's precision (Cephes), good to about |x| * eps.
    scale = np.maximum(1.0, np.abs(x[finite].astype(np.float64))) if op[-2] in "JY" else 1.0
    bad = np.abs(g - w) > _TOL[dt] * np.abs(w) + _TOL[dt] * scale * (1.0 if op[-2] in "JY" else 1e-2)
    assert not bad.any(), (x[finite][bad], g[bad], w[bad])
    np.testing.assert_array_equal(np.signbit(got[want == 0]), np.signbit(want[want == 0]))


@pytest.mark.parametrize("op", _GRADS)
def test_gradient_matches_tf(op):
    xs = _DATA["grad/%s/x" % op]
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None])
        y = getattr(tf.raw_ops, op)(x=x)
        g = tf.gradients(tf.reduce_sum(y), x)[0]
        with tf.Session() as sess:
            got = sess.run(g, {x: xs})
    np.testing.assert_allclose(got, _DATA["grad/%s/dx" % op], rtol=1e-12, atol=1e-14)


def test_python_names_build_tf_scopes():
    with tf.Graph().as_default():
        x = tf.constant([1.0, 2.0])
        assert tf.math.bessel_i0e(x).op.name == "bessel_i0e/BesselI0e"
        assert tf.math.special.bessel_y1(x).op.name == "bessel_y1/BesselY1"
        assert tf.math.special.expint(x, name="ei").op.name == "ei/Expint"
        assert tf.math.special.bessel_k0(x).shape.as_list() == [2]
