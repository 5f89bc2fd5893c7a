"""float32 AddV2, Add, Sub, Mul, Div, RealDiv, Maximum and Minimum on SIMD lanes
(kernels/util/elementwise.h) on each path: generic (SSE2), AVX2 and AVX-512, capped per
subprocess by METARUN_CPU since the path is chosen once per process.

Each element is one IEEE operation, so every path must give numpy's float32 result bit for bit
(Maximum/Minimum: the first NaN operand, else the larger/smaller, the first on ties as TF's
kernel picks: max(-0, +0) is -0). Shapes cover rows shorter than a vector, tails of every
length, row-vector and column broadcasts (a bias add), scalars on either side (-0.0 too) and
empty.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

from op_harness import TESTS_DIR

LEVELS = ["generic", "avx2", "avx512"]
OPS = {
    "AddV2": np.add, "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
    "RealDiv": np.divide,
    "Maximum": lambda a, b: np.where(np.isnan(a), a, np.where(np.isnan(b), b, np.where(a < b, b, a))),
    "Minimum": lambda a, b: np.where(np.isnan(a), a, np.where(np.isnan(b), b, np.where(b < a, b, a))),
}
SHAPES = [((37,), (37,)), ((16,), (16,)), ((5, 131), (131,)), ((32, 512), (512,)), ((131,), ()),
          ((), (67,)), ((9, 1), (1, 70)), ((3, 40), (3, 1)), ((0, 20), (20,)), ((15,), (15,))]

_CHILD = r"""
import sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from op_harness import run_op
from metarun.framework import dtypes
cases = np.load(sys.argv[2])
out = {}
for op in sys.argv[4].split(","):
    for k in range(int(cases["count"])):
        a, b = cases["a%d" % k], cases["b%d" % k]
        out["%s_%d" % (op, k)] = run_op(op, [a, b], {"T": dtypes.float32})[0]
np.savez(sys.argv[3], **out)
"""


def _cases():
    rng = np.random.RandomState(7)
    cases = []
    for sa, sb in SHAPES:
        a = rng.uniform(-3, 3, sa).astype(np.float32)
        b = rng.uniform(-3, 3, sb).astype(np.float32)
        specials = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, 1e-40, 3e38], np.float32)
        if a.size > 20:
            a.flat[3:3 + len(specials)] = specials
        if b.size > 20:
            b.flat[5:5 + len(specials)] = specials[::-1]
            if a.size > 20:  # max/min of +0 and -0 picks by position
                a.flat[11], b.flat[11] = 0.0, -0.0
        cases.append((a, b))
    # A scalar -0.0 on either side: lanes once splatted it as 0 + v, which is +0.0.
    x = rng.uniform(-3, 3, 131).astype(np.float32)
    x[:4] = [0.0, -0.0, np.nan, np.inf]
    cases += [(x, np.array(-0.0, np.float32)), (np.array(-0.0, np.float32), x[:67])]
    return cases


@pytest.fixture(scope="module")
def by_level(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("simd")
    cases = _cases()
    path = str(tmp / "cases.npz")
    arrays = {"count": np.array(len(cases))}
    for k, (a, b) in enumerate(cases):
        arrays["a%d" % k], arrays["b%d" % k] = a, b
    np.savez(path, **arrays)
    results = {}
    for level in LEVELS:
        out_path = str(tmp / ("%s.npz" % level))
        subprocess.run([sys.executable, "-c", _CHILD, TESTS_DIR, path, out_path, ",".join(sorted(OPS))],
                       env=dict(os.environ, METARUN_CPU=level), check=True, timeout=120)
        results[level] = dict(np.load(out_path))
    return cases, results


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("op", sorted(OPS))
def test_bit_for_bit_numpy_on_every_path(by_level, level, op):
    cases, results = by_level
    for k, (a, b) in enumerate(cases):
        with np.errstate(all="ignore"):
            expect = np.asarray(OPS[op](a, b), np.float32)
        got = results[level]["%s_%d" % (op, k)]
        assert got.shape == expect.shape, (op, k)
        np.testing.assert_array_equal(got.view(np.uint32), expect.view(np.uint32), err_msg="%s case %d" % (op, k))
