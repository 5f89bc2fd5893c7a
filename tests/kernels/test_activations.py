"""float32 Tanh, Sigmoid (kernels/util/activations.cpp) and the exp under Softmax
(kernels/util/eigen_exp.h) on each SIMD path: generic (SSE2), AVX2 and AVX-512, chosen once per
process, so each path runs in its own subprocess with METARUN_CPU capping the level.

Every path must give the same bits, on lengths that end in every kind of tail, and stay within
TF's values (fixtures/kernels/activations.npz, gen_activations.py) by the ulp bounds the scalar
code had: 4 for Tanh, 5 for Sigmoid. TF flushes subnormal results to zero and metarun does not;
those compare as zero. On a CPU without AVX-512 the higher caps run a lower path, still checked.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

from op_harness import TESTS_DIR, kernel_fixture, load_npz

LEVELS = ["generic", "avx2", "avx512"]
LENGTHS = [0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 100]
ULP_BOUND = {"Tanh": 4, "Sigmoid": 5}

_CHILD = r"""
import sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from op_harness import run_op
from metarun.framework import dtypes
x = np.load(sys.argv[2])
out = {}
for op in ("Tanh", "Sigmoid"):
    out[op] = run_op(op, [x], {"T": dtypes.float32})[0]
    for n in %r:
        for start in (0, 5):
            out["%%s/%%d/%%d" %% (op, n, start)] = run_op(op, [x[start:start + n].copy()], {"T": dtypes.float32})[0]
finite = np.nan_to_num(x, nan=0.0, posinf=80.0, neginf=-80.0)
out["Softmax"] = run_op("Softmax", [np.clip(finite, -80, 80)[:1900].reshape(19, 100)], {"T": dtypes.float32})[0]
np.savez(sys.argv[3], **{k.replace("/", "_"): v for k, v in out.items()})
""" % (LENGTHS,)


@pytest.fixture(scope="module")
def fixture():
    return load_npz(kernel_fixture("activations.npz"))


@pytest.fixture(scope="module")
def by_level(fixture, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("activations")
    x_path = str(tmp / "x.npy")
    np.save(x_path, fixture["x"])
    results = {}
    for level in LEVELS:
        out_path = str(tmp / ("%s.npz" % level))
        env = dict(os.environ, METARUN_CPU=level)
        subprocess.run([sys.executable, "-c", _CHILD, TESTS_DIR, x_path, out_path], env=env, check=True,
                       timeout=120)
        results[level] = dict(np.load(out_path))
    return results


def _ordered(bits):
    """float32 bit patterns on one integer line, so differences count ulps."""
    i = bits.view(np.int32).astype(np.int64)
    return np.where(i < 0, -(i & 0x7FFFFFFF), i)


def _flush(v):
    return np.where(np.abs(v) < np.finfo(np.float32).tiny, np.float32(0), v).astype(np.float32)


@pytest.mark.parametrize("level", LEVELS[1:])
def test_every_simd_path_gives_the_generic_bits(by_level, level):
    generic, other = by_level["generic"], by_level[level]
    assert sorted(generic) == sorted(other)
    for key in generic:
        np.testing.assert_array_equal(generic[key].view(np.uint32), other[key].view(np.uint32), err_msg=key)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("op", sorted(ULP_BOUND))
def test_within_tfs_ulp_bound(fixture, by_level, level, op):
    x, tf_out = fixture["x"], fixture[op.lower()]
    out = by_level[level][op]
    assert out.dtype == np.float32 and out.shape == x.shape
    nan = np.isnan(x)
    assert np.isnan(out[nan]).all() and not np.isnan(out[~nan]).any()
    ulps = np.abs(_ordered(_flush(out[~nan])) - _ordered(_flush(tf_out[~nan])))
    assert ulps.max() <= ULP_BOUND[op], x[~nan][np.argmax(ulps)]
    for n in LENGTHS:
        for start in (0, 5):
            part = by_level[level]["%s_%d_%d" % (op, n, start)]
            np.testing.assert_array_equal(part.view(np.uint32), out[start:start + n].view(np.uint32))


def test_softmax_rows_sum_to_one_on_every_path(by_level):
    for level in LEVELS:
        np.testing.assert_allclose(by_level[level]["Softmax"].sum(axis=1), 1.0, rtol=1e-5)


def test_unary_kernels_write_over_an_input_only_when_nothing_else_holds_it(fixture):
    # Tanh/Sigmoid/Neg take over their input's buffer when they are its last holder; an input
    # that another op or a fetch still needs keeps its values.
    import metarun as tf
    x = fixture["x"][:100]
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [100])
        a = p * 2.0
        ops = [tf.tanh(a), tf.sigmoid(a), tf.negative(a)]
        chain = tf.negative(tf.sigmoid(tf.tanh(p * 2.0)))  # each input has one consumer
        shared = tf.negative(tf.sigmoid(ops[0]))  # ops[0] is fetched too: a new buffer
        with tf.Session() as sess:
            fed = x.copy()
            got_a, t, s, n, c, ref = sess.run([a, *ops, chain, shared], {p: fed})
    np.testing.assert_array_equal(fed.view(np.uint32), x.view(np.uint32))
    a_ref = x * np.float32(2)
    np.testing.assert_array_equal(got_a.view(np.uint32), a_ref.view(np.uint32))
    np.testing.assert_array_equal(n.view(np.uint32), (-a_ref).view(np.uint32))
    np.testing.assert_array_equal(c.view(np.uint32), ref.view(np.uint32))
    assert np.abs(t - np.tanh(a_ref.astype(np.float64))).max() < 1e-6
    assert np.abs(s - 1 / (1 + np.exp(-a_ref.astype(np.float64)))).max() < 1e-6
