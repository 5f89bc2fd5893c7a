"""The plan-time fusion of MaxPoolGrad -> ReluGrad (the backward pass of conv -> relu -> max_pool)
into _MaxPoolGradWithReluGrad (cpp/executor/fusion.cpp, cpp/kernels/pool_grad_ops.cpp): the
fused node gives the two nodes' bits, whatever the values (NaN, infinities, signed zeros, ties),
windows (tiling, partial, overlapping, padded) and channel counts; inputs MaxPoolGrad rejects fail
at the MaxPoolGrad node with its message, as unfused.

The unfused reference is the same graph with the MaxPoolGrad node pinned as a target (a value a
target produces is never fused away). Whether the pair fused shows in a child's METARUN_PROFILE."""
import subprocess
import sys

import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import add_node, add_placeholder
from subproc import metarun_env

F32 = dtypes.float32
COVERAGE = {"_MaxPoolGradWithReluGrad": {"float32"}}
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, -1e-40, 3.4e38, -3.4e38, 1.0, -1.0, 0.5],
                   np.float32)


class PoolReluGrad(object):
    """dx = ReluGrad(MaxPoolGrad(x, MaxPool(x), dy), x) over fed x and dy."""

    def __init__(self, ksize, strides, padding, threads=1):
        g = self.g = _core.Graph()
        self.x, self.dy = add_placeholder(g, "x", "float32"), add_placeholder(g, "dy", "float32")
        attrs = dict(T=F32, ksize=[1] + list(ksize) + [1], strides=[1] + list(strides) + [1],
                     padding=padding.encode(), data_format=b"NHWC")
        self.pool = add_node(g, "pool", "MaxPool", [self.x], **attrs)
        self.pool_grad = add_node(g, "pool_grad", "MaxPoolGrad", [self.x, self.pool, self.dy], **attrs)
        self.relu_grad = add_node(g, "relu_grad", "ReluGrad", [self.pool_grad, self.x], T=F32)
        self.sess = _core.Session(g, threads)

    def run(self, x, dy, targets=()):
        feeds = [(self.x, 0), (self.dy, 0)]
        vals = [(np.asarray(v, np.float32), F32.as_datatype_enum) for v in (x, dy)]
        return self.sess.run(feeds, vals, [(self.relu_grad, 0)], list(targets))[0]

    def unfused(self, x, dy):
        return self.run(x, dy, targets=[self.pool_grad])

    def pooled_shape(self, x):
        return self.sess.run([(self.x, 0)], [(np.asarray(x, np.float32), F32.as_datatype_enum)],
                             [(self.pool, 0)], [])[0].shape


def values(shape, seed, ties=False):
    rng = np.random.RandomState(seed)
    n = int(np.prod(shape))
    v = rng.randn(n).astype(np.float32)
    if ties:  # few distinct values: windows with equal maxima
        v = np.round(v).astype(np.float32)
    k = min(n, len(SPECIAL))
    v[rng.choice(n, k, replace=False)] = SPECIAL[:k] if n else v[:0]
    return v.reshape(shape)


def same_bits(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(a.view(np.int32), b.view(np.int32))


WINDOWS = [((2, 2), (2, 2), "VALID"),   # tiles the input: each gradient written once
           ((3, 3), (2, 2), "SAME"),    # overlapping, padded
           ((3, 3), (1, 1), "SAME"),
           ((2, 2), (2, 2), "SAME"),    # odd sizes: a partial last window
           ((1, 1), (1, 1), "VALID"),
           ((3, 2), (3, 3), "VALID")]   # gaps between windows
SHAPES = [(2, 8, 8, 16), (3, 7, 9, 5), (1, 5, 6, 35), (2, 4, 4, 1), (0, 4, 4, 3)]


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("ties", [False, True])
def test_fused_gives_the_two_nodes_bits(window, shape, ties):
    ksize, strides, padding = window
    for threads in (1, 2):
        m = PoolReluGrad(ksize, strides, padding, threads)
        x = values(shape, sum(shape), ties)
        dy = values(m.pooled_shape(x), 7 + sum(shape))
        got = m.run(x, dy)
        want = m.unfused(x, dy)
        same_bits(got, want)
    if x.size:
        # and it is ReluGrad(MaxPoolGrad) by an independent loop, on finite values
        fx = np.where(np.isfinite(x), x, np.float32(0.25))
        fdy = np.where(np.isfinite(dy), dy, np.float32(-2))
        same_bits(m.run(fx, fdy), reference(fx, fdy, ksize, strides, padding))


def reference(x, dy, ksize, strides, padding):
    """Each output gradient to its window's first maximum (row-major scan), added in output order
    in float32; then zero where the input is not positive."""
    n, h, w, c = x.shape
    oh, ow = dy.shape[1:3]
    pads = [0, 0]
    if padding == "SAME":
        pads = [max((o - 1) * s + k - i, 0) // 2 for o, s, k, i in zip((oh, ow), strides, ksize, (h, w))]
    dx = np.zeros_like(x)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                r0, c0 = i * strides[0] - pads[0], j * strides[1] - pads[1]
                rows = range(max(r0, 0), min(r0 + ksize[0], h))
                cols = range(max(c0, 0), min(c0 + ksize[1], w))
                for ch in range(c):
                    at = max(((r, q) for r in rows for q in cols), key=lambda rq: x[b, rq[0], rq[1], ch])
                    dx[b, at[0], at[1], ch] = np.float32(dx[b, at[0], at[1], ch] + dy[b, i, j, ch])
    return np.where(x > 0, dx, np.float32(0)).astype(np.float32)


def test_inputs_maxpoolgrad_rejects_fail_at_it_as_unfused_and_the_session_recovers():
    m = PoolReluGrad((2, 2), (2, 2), "VALID")
    x = values((2, 8, 8, 4), 1)
    for dy in (np.ones((2, 3, 4, 4), np.float32), np.ones((2, 4, 4), np.float32)):
        with pytest.raises(_core.StatusError) as fused:
            m.run(x, dy)
        with pytest.raises(_core.StatusError) as unfused:
            m.unfused(x, dy)
        assert fused.value.args == unfused.value.args
        assert fused.value.args[2] == "pool_grad"
    dy = values((2, 4, 4, 4), 2)
    same_bits(m.run(x, dy), m.unfused(x, dy))


def test_a_second_reader_of_the_pool_gradient_keeps_the_nodes_apart():
    m = PoolReluGrad((2, 2), (2, 2), "VALID")
    other = add_node(m.g, "other", "Neg", [m.pool_grad], T=F32)
    m.sess = _core.Session(m.g, 1)
    x, dy = values((2, 4, 4, 3), 3), values((2, 2, 2, 3), 4)
    feeds = [(m.x, 0), (m.dy, 0)]
    vals = [(v, F32.as_datatype_enum) for v in (x, dy)]
    got, neg = m.sess.run(feeds, vals, [(m.relu_grad, 0), (other, 0)], [])
    same_bits(got, m.unfused(x, dy))
    same_bits(neg, -m.sess.run(feeds, vals, [(m.pool_grad, 0)], [])[0])


PROFILE_SCRIPT = r"""
import sys
import numpy as np
sys.path[:0] = [%(here)r, %(tests)r]
from test_fused_pool_relu_grad import PoolReluGrad, values
m = PoolReluGrad((2, 2), (2, 2), "VALID")
x = values((2, 8, 8, 16), 1)
m.run(x, values((2, 4, 4, 16), 2))
"""


def test_the_pair_runs_as_one_node():
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    p = subprocess.run([sys.executable, "-c", PROFILE_SCRIPT % {"here": here, "tests": os.path.dirname(here)}],
                       env=metarun_env(METARUN_PROFILE="1"), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    ops = [line.split()[0] for line in p.stderr.splitlines() if line.strip().endswith("%")]
    assert "_MaxPoolGradWithReluGrad" in ops, p.stderr
    assert "MaxPoolGrad" not in ops and "ReluGrad" not in ops, p.stderr
