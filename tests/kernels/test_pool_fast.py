"""Float32 MaxPool/AvgPool on the vectorised rows (kernels/util/pool_fast.h).

Each output is the generic loop's expression in the same order (max as `v > acc ? v : acc` from
the lowest float, the average as the in-order sum over the covered elements divided by their
count), so the results must equal a float32 numpy loop written that way bit for bit, NaN and
infinities included; at every SIMD level (METARUN_CPU, in subprocesses), with one or two threads,
and with METARUN_POOL=loop (the generic loop the other dtypes take). Channel counts cover whole
pairs of vectors, one vector and scalar tails at each level's width (4, 8, 16 floats).
"""
import os

import numpy as np
import pytest

from metarun.framework import dtypes
from op_harness import run_op
from subproc import SIMD_SETTINGS, assert_simd_levels_agree, outputs_per_setting

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# (input NHWC, (kh, kw), (sh, sw), padding, explicit [top, bottom, left, right] or None)
CASES = [
    ((2, 28, 28, 32), (2, 2), (2, 2), "VALID", None),
    ((3, 14, 14, 64), (2, 2), (2, 2), "VALID", None),
    ((2, 7, 9, 1), (3, 3), (2, 2), "SAME", None),
    ((2, 7, 9, 3), (3, 3), (2, 2), "SAME", None),
    ((1, 6, 5, 15), (3, 2), (1, 2), "SAME", None),
    ((2, 5, 7, 17), (2, 3), (2, 1), "VALID", None),
    ((1, 9, 8, 33), (4, 4), (3, 3), "SAME", None),
    ((1, 5, 5, 48), (1, 1), (1, 1), "VALID", None),
    ((1, 4, 6, 70), (5, 5), (2, 2), "SAME", None),
    ((2, 3, 3, 16), (4, 4), (1, 1), "VALID", None),  # window larger than the image: empty output
    ((0, 5, 5, 16), (2, 2), (2, 2), "SAME", None),
    ((1, 5, 6, 20), (3, 3), (2, 2), "EXPLICIT", [1, 4, 2, 0]),  # windows wholly in the padding
]


def _attrs(k, s, padding, explicit, fmt="NHWC"):
    if fmt == "NHWC":
        a = {"T": dtypes.float32, "ksize": [1, k[0], k[1], 1], "strides": [1, s[0], s[1], 1]}
    else:
        a = {"T": dtypes.float32, "ksize": [1, 1, k[0], k[1]], "strides": [1, 1, s[0], s[1]]}
    a.update(padding=padding, data_format=fmt)
    if explicit is not None:
        a["explicit_paddings"] = [0, 0] + explicit + [0, 0]
    return a


def _data(shape, seed):
    """Random values with ties, NaN and infinities sprinkled in."""
    rng = np.random.RandomState(seed)
    x = np.round(rng.randn(*shape) * 4).astype(np.float32) / 4
    flat = x.reshape(-1)
    if flat.size:
        for v in (np.nan, np.inf, -np.inf):
            flat[rng.randint(0, flat.size, max(1, flat.size // 97))] = v
    return x


def _reference(x, k, s, padding, explicit, op):
    """The float32 loop: taps in row-major order over the covered elements only."""
    n, h, w, c = x.shape
    if padding == "VALID":
        oh, ow, top, left = (h - k[0] + s[0]) // s[0], (w - k[1] + s[1]) // s[1], 0, 0
    elif padding == "SAME":
        oh, ow = -(-h // s[0]), -(-w // s[1])
        top = max(0, (oh - 1) * s[0] + k[0] - h) // 2
        left = max(0, (ow - 1) * s[1] + k[1] - w) // 2
    else:
        top, bottom, left, right = explicit
        oh = (h + top + bottom - k[0] + s[0]) // s[0]
        ow = (w + left + right - k[1] + s[1]) // s[1]
    oh, ow = max(oh, 0), max(ow, 0)
    out = np.empty([n, oh, ow, c], np.float32)
    with np.errstate(invalid="ignore"):  # inf + -inf is NaN here as in the kernel
        _loop(x, k, s, top, left, op, out)
    return out


def _loop(x, k, s, top, left, op, out):
    n, h, w, c = x.shape
    _, oh, ow, _ = out.shape
    for y in range(oh):
        for xx in range(ow):
            ys, xs = y * s[0] - top, xx * s[1] - left
            rows = range(max(0, ys), min(h, ys + k[0]))
            cols = range(max(0, xs), min(w, xs + k[1]))
            acc = np.full([n, c], np.finfo(np.float32).min if op == "MaxPool" else 0, np.float32)
            for i in rows:
                for j in cols:
                    v = x[:, i, j]
                    acc = np.where(v > acc, v, acc) if op == "MaxPool" else acc + v
            if op == "AvgPool":
                acc = acc / np.float32(max(1, len(rows) * len(cols)))
            out[:, y, xx] = acc


def _run(op, case, threads, seed):
    shape, k, s, padding, explicit = case
    x = _data(shape, seed)
    return x, run_op(op, [x], _attrs(k, s, padding, explicit), num_threads=threads)[0]


@pytest.mark.parametrize("op", ["MaxPool", "AvgPool"])
@pytest.mark.parametrize("case", CASES, ids=[str(c[0]) + c[3] for c in CASES])
def test_equals_the_float32_loop(op, case):
    x, got = _run(op, case, 2, seed=len(case[0]) + case[0][3])
    want = _reference(x, *case[1:], op)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


@pytest.mark.parametrize("op", ["MaxPool", "AvgPool"])
def test_one_and_two_threads_give_the_same_bits(op):
    for case in CASES[:2] + CASES[6:7]:
        _, one = _run(op, case, 1, seed=5)
        _, two = _run(op, case, 2, seed=5)
        np.testing.assert_array_equal(one.view(np.uint32), two.view(np.uint32))


@pytest.mark.parametrize("op", ["MaxPool", "AvgPool"])
def test_nchw(op):
    x = _data((2, 9, 11, 19), seed=7)
    got = run_op(op, [x.transpose(0, 3, 1, 2).copy()], _attrs((3, 3), (2, 2), "SAME", None, "NCHW"))[0]
    want = _reference(x, (3, 3), (2, 2), "SAME", None, op).transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


# Every case through MaxPool and AvgPool, in a new process with one setting.
_SCRIPT = r"""
import json, sys
import numpy as np
sys.path.insert(0, %(tests)r)
sys.path.insert(0, %(here)r)
from test_pool_fast import _run
out = {}
for k, case in enumerate(json.loads(sys.argv[1])):
    op = "MaxPool" if k %% 2 == 0 else "AvgPool"
    out["c%%d" %% k] = _run(op, case, 2, seed=k)[1]
np.savez(sys.argv[2], **out)
"""


def test_every_simd_level_and_the_loop_give_the_same_bits(tmp_path):
    cases = [list(c) for c in CASES for _ in range(2)]
    settings = dict(SIMD_SETTINGS, loop={"METARUN_POOL": "loop"})
    runs = outputs_per_setting(settings, _SCRIPT % {"tests": os.path.dirname(HERE), "here": HERE}, cases,
                               tmp_path, cwd=ROOT)
    assert_simd_levels_agree({k: [a.view(np.uint32) for a in v] for k, v in runs.items() if k != "loop"})
    for a, b in zip(runs["avx512"], runs["loop"]):
        np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))
