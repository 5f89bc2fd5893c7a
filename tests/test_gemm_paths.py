"""Every float GEMM path (METARUN_CPU=generic|avx2|avx512 caps the SIMD level, read once per
process, so each path runs in its own process): MatMul and _FusedMatMul against a float64
product within float32 GEMM error, with and without transpose_a/transpose_b, on shapes that hit
the packed AVX-512 kernel's partial tiles, partial panels, several k blocks and the 16x16 blocks
and ragged edges of its transposing pack; products that do not depend on the thread count where the
path promises it; and fused results equal to the unfused graph's bit for bit on every path."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from subproc import metarun_env

HERE = os.path.dirname(os.path.abspath(__file__))

SHAPES = [(256, 784, 512), (128, 784, 512), (37, 300, 100), (15, 17, 64), (14, 257, 95), (29, 513, 33),
          (1, 784, 512), (8, 16, 64), (256, 512, 10), (64, 3136, 128), (0, 5, 64), (9, 0, 70),
          # the MLP's gradient products: dW = x^T dy, dx = dy W^T
          (784, 128, 512), (512, 128, 512), (128, 512, 784), (128, 512, 512), (13, 31, 67),
          # few rows (B read in place; 1..3 rows take up to 128 columns a unit, 4..7 up to 64) and the
          # column split (up to 64 rows): odd sizes, several k blocks, partial vectors and panels
          (1, 512, 10), (1, 1, 1), (2, 33, 70), (3, 300, 129), (4, 513, 200), (5, 17, 1), (6, 257, 47),
          (7, 784, 512), (1, 7, 300), (4, 0, 20), (0, 7, 3), (32, 192, 512), (33, 100, 77), (47, 600, 95),
          (64, 512, 64), (65, 70, 130), (70, 129, 65)]
TRANSPOSES = [(False, False), (True, False), (False, True), (True, True)]

SCRIPT = r"""
import json, sys
import numpy as np
sys.path.insert(0, %(tests)r)
from metarun import _core
from metarun.framework import dtypes
from op_harness import add_node, add_placeholder
F = dtypes.float32
out = {}

def rows_same(g, feeds, mm, vals, x, ta, full):
    # rows computed alone (products of one row) equal those rows of the whole product
    s = _core.Session(g, 2)
    for i in sorted(set(range(min(x.shape[0], 16))) | {x.shape[0] - 1} - {-1}):
        xi = x[i:i + 1]
        v = [(np.ascontiguousarray(xi.T) if ta else xi, 1), vals[1], vals[2]]
        if not np.array_equal(s.run(feeds, v, [(mm, 0)], [])[0][0], full[i]):
            return False
    return True

for m, k, n, ta, tb in json.loads(sys.argv[1]):
    rng = np.random.RandomState(m * 7 + k * 3 + n)
    x = rng.randn(m, k).astype(np.float32)
    w = rng.randn(k, n).astype(np.float32)
    b = rng.randn(n).astype(np.float32)
    g = _core.Graph()
    px, pw, pb = (add_placeholder(g, s, "float32") for s in "xwb")
    mm = add_node(g, "mm", "MatMul", [px, pw], T=F, transpose_a=ta, transpose_b=tb)
    act = add_node(g, "act", "Relu", [add_node(g, "bias", "BiasAdd", [mm, pb], T=F)], T=F)
    feeds = [(px, 0), (pw, 0), (pb, 0)]
    vals = [(np.ascontiguousarray(x.T) if ta else x, 1), (np.ascontiguousarray(w.T) if tb else w, 1), (b, 1)]
    res = {}
    for threads in (1, 2, 3):
        s = _core.Session(g, threads)
        res[threads] = (s.run(feeds, vals, [(mm, 0)], [])[0], s.run(feeds, vals, [(act, 0)], [])[0],
                        s.run(feeds, vals, [(act, 0)], [mm])[0])
    ref = x.astype(np.float64) @ w.astype(np.float64)
    bound = 2 * max(k, 1) * np.finfo(np.float32).eps * (np.abs(x).astype(np.float64) @ np.abs(w)) + 1e-30
    out["%%d,%%d,%%d,%%d,%%d" %% (m, k, n, ta, tb)] = {
        "within": bool(all((np.abs(r[0] - ref) <= bound).all() for r in res.values())),
        "threads_same": bool(np.array_equal(res[1][0], res[2][0]) and np.array_equal(res[1][0], res[3][0])),
        "rows_same": rows_same(g, feeds, mm, vals, x, ta, res[2][0]),
        "fused_same": bool(all(np.array_equal(r[1], r[2]) for r in res.values())),
        "fused_is_relu_bias": bool(all(np.array_equal(r[1], np.maximum(r[0] + b, 0)) for r in res.values())),
    }
print(json.dumps(out))
"""


@pytest.fixture(scope="module", params=["generic", "avx2", "avx512"])
def path_results(request):
    env = metarun_env(METARUN_CPU=request.param)
    p = subprocess.run([sys.executable, "-c", SCRIPT % {"tests": HERE}, json.dumps([s + t for s in SHAPES for t in TRANSPOSES])], env=env,
                       capture_output=True, timeout=600)
    assert p.returncode == 0, p.stderr.decode()
    return request.param, json.loads(p.stdout)


@pytest.mark.parametrize("trans", TRANSPOSES, ids=["nn", "tn", "nt", "tt"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_gemm_path(path_results, shape, trans):
    level, results = path_results
    r = results["%d,%d,%d,%d,%d" % (shape + trans)]
    assert r["within"], (level, shape, trans)
    assert r["fused_same"], (level, shape, trans)
    assert r["fused_is_relu_bias"], (level, shape, trans)
    if level == "avx512":
        # the packed kernel's sums do not depend on how rows are split
        assert r["threads_same"], (level, shape, trans)
        if own_kernel(*shape):
            # nor on how many rows there are: one row alone (the few-row kernel, B unpacked) sums in
            # the order of a row of the packed tiles, whether the split is by rows or by columns
            assert r["rows_same"], (level, shape, trans)


def own_kernel(m, k, n):
    """The products metarun's AVX-512 kernels take (blas.h's own_sgemm); OpenBLAS runs the rest."""
    if m == 0 or k == 0 or n == 0:
        return False
    return m < 8 or (n >= 64 and k >= 16 and m * n * k >= 2e5 and k * -(-n // 32) * 32 <= 1 << 22)
