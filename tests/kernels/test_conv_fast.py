"""Conv2D's float32 fast paths (the direct loop for small input depth, Winograd F(2x2, 3x3)) and
_FusedConv2D.

- The direct loop sums each output over (i, j, c) in order with separate products and sums, so
  it equals a float32 numpy loop in that order bit for bit, at every SIMD level (METARUN_CPU,
  run in subprocesses).
- Winograd is checked against a float64 convolution, within a bound of the float32 rounding of
  the sum of |x| * |f| terms, and gives the same bits at every SIMD level; its transformed
  filter is cached per node and must follow a filter that changes between runs.
- METARUN_CONV=im2col turns both paths off: its results agree within float32 rounding.
- _FusedConv2D must equal Conv2D -> BiasAdd (or AddV2) -> activation run as separate kernels,
  bit for bit, on each path (direct, Winograd, im2col, 1x1).
"""
import json
import os
import sys

import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import OpSession, run_op, status_code
from subproc import SIMD_SETTINGS, assert_simd_levels_agree, outputs_per_setting

COVERAGE = {"_FusedConv2D": {"float32"}}
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _attrs(stride=1, padding="SAME", dilation=1, explicit=None, fmt="NHWC"):
    a = {"T": dtypes.float32, "padding": padding, "data_format": fmt,
         "strides": [1, stride, stride, 1] if fmt == "NHWC" else [1, 1, stride, stride],
         "dilations": [1, dilation, dilation, 1] if fmt == "NHWC" else [1, 1, dilation, dilation]}
    if explicit is not None:
        a["explicit_paddings"] = explicit
    return a


def _padded(x, f, stride, padding, dilation, explicit):
    """x zero-padded as the op pads it, and the output size."""
    n, h, w, c = x.shape
    kh, kw = f.shape[:2]
    eh, ew = (kh - 1) * dilation + 1, (kw - 1) * dilation + 1
    if padding == "VALID":
        pads = [(0, 0), (0, 0)]
    elif padding == "EXPLICIT":
        pads = [tuple(explicit[2:4]), tuple(explicit[4:6])]
    else:
        pads = []
        for size, e in ((h, eh), (w, ew)):
            out = -(-size // stride)
            total = max(0, (out - 1) * stride + e - size)
            pads.append((total // 2, total - total // 2))
    xp = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])
    oh = (xp.shape[1] - eh) // stride + 1
    ow = (xp.shape[2] - ew) // stride + 1
    return xp, oh, ow


def _taps(xp, f, stride, dilation, oh, ow):
    for i in range(f.shape[0]):
        for j in range(f.shape[1]):
            y0, x0 = i * dilation, j * dilation
            yield i, j, xp[:, y0:y0 + stride * (oh - 1) + 1:stride, x0:x0 + stride * (ow - 1) + 1:stride]


def _ordered_f32(x, f, stride=1, padding="SAME", dilation=1, explicit=None):
    """float32 sums over (i, j, c) in order, one product and one sum at a time."""
    xp, oh, ow = _padded(x, f, stride, padding, dilation, explicit)
    acc = np.zeros([x.shape[0], oh, ow, f.shape[3]], np.float32)
    for i, j, patch in _taps(xp, f, stride, dilation, oh, ow):
        for c in range(x.shape[3]):
            acc = acc + patch[..., c:c + 1] * f[i, j, c]
    return acc


def _f64(x, f, stride=1, padding="SAME", dilation=1, explicit=None, absolute=False):
    xp, oh, ow = _padded(x.astype(np.float64), f, stride, padding, dilation, explicit)
    f = f.astype(np.float64)
    out = np.zeros([x.shape[0], oh, ow, f.shape[3]])
    for i, j, patch in _taps(xp, f, stride, dilation, oh, ow):
        out += np.abs(patch) @ np.abs(f[i, j]) if absolute else patch @ f[i, j]
    return out


def _data(xs, fs, seed=0):
    rng = np.random.RandomState(seed)
    return rng.randn(*xs).astype(np.float32), rng.randn(*fs).astype(np.float32)


# (input shape, filter shape, stride, padding, dilation, explicit paddings)
DIRECT = [
    ((2, 28, 28, 1), (3, 3, 1, 32), 1, "SAME", 1, None),
    ((3, 9, 7, 1), (3, 3, 1, 37), 1, "SAME", 1, None),      # channels beyond whole vectors
    ((1, 11, 13, 3), (5, 5, 3, 16), 2, "SAME", 1, None),
    ((2, 10, 10, 4), (3, 3, 4, 8), 1, "VALID", 2, None),
    ((1, 6, 5, 2), (2, 3, 2, 24), 1, "EXPLICIT", 1, [0, 0, 2, 1, 0, 3, 0, 0]),
    ((1, 3, 3, 1), (5, 5, 1, 8), 1, "SAME", 1, None),        # every pixel on the border
    ((1, 1, 20, 1), (1, 3, 1, 48), 3, "VALID", 1, None),
    ((0, 5, 5, 1), (3, 3, 1, 8), 1, "SAME", 1, None),        # empty batch
    ((2, 8, 10, 3), (3, 3, 3, 20), 1, "SAME", 1, None),      # depth 3 at stride 1: constant offsets
    ((1, 9, 11, 1), (3, 3, 1, 16), 1, "VALID", 2, None),     # depth 1 at stride 1, dilated
]
WINOGRAD = [
    ((2, 14, 14, 32), (3, 3, 32, 64), "SAME"),
    ((3, 7, 9, 17), (3, 3, 17, 20), "SAME"),    # odd sizes: partial tiles, channel tails
    ((1, 8, 5, 16), (3, 3, 16, 33), "VALID"),
    ((1, 3, 3, 24), (3, 3, 24, 16), "VALID"),   # one output pixel
    ((0, 6, 6, 16), (3, 3, 16, 16), "SAME"),
]


@pytest.mark.parametrize("xs,fs,stride,padding,dilation,explicit", DIRECT)
def test_direct_equals_ordered_float32_sums(xs, fs, stride, padding, dilation, explicit):
    x, f = _data(xs, fs)
    got = run_op("Conv2D", [x, f], _attrs(stride, padding, dilation, explicit), num_threads=2)[0]
    want = _ordered_f32(x, f, stride, padding, dilation, explicit)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_direct_nchw():
    x, f = _data((2, 12, 12, 2), (3, 3, 2, 16))
    got = run_op("Conv2D", [x.transpose(0, 3, 1, 2).copy(), f], _attrs(fmt="NCHW"))[0]
    np.testing.assert_array_equal(got, _ordered_f32(x, f).transpose(0, 3, 1, 2))


@pytest.mark.parametrize("xs,fs,padding", WINOGRAD)
@pytest.mark.parametrize("threads", [1, 2])
def test_winograd_matches_float64(xs, fs, padding, threads):
    x, f = _data(xs, fs, seed=1)
    got = run_op("Conv2D", [x, f], _attrs(padding=padding), num_threads=threads)[0]
    want = _f64(x, f, padding=padding)
    assert got.shape == want.shape
    # float32 rounding of a dot product of K terms is bounded by ~K * eps * sum |x||f|; the
    # transforms add and subtract up to 9 terms more before and after.
    bound = 2e-6 * _f64(x, f, padding=padding, absolute=True) + 1e-6
    assert np.all(np.abs(got - want) <= bound)


def test_winograd_follows_a_changing_filter():
    x, f1 = _data((2, 6, 6, 16), (3, 3, 16, 16), seed=2)
    f2 = f1.copy()
    f2[1, 2, 3, 4] += 1.0  # one element differs
    sess = OpSession("Conv2D", [dtypes.float32, dtypes.float32], _attrs(), [dtypes.float32])
    for f in (f1, f2, f1, f2.transpose(0, 1, 3, 2).copy()):
        got = sess.run([x, f])[0]
        np.testing.assert_allclose(got, _f64(x, f), rtol=0, atol=1e-4)


# Conv2D on every case above, at one SIMD level (or with METARUN_CONV set), in a new process.
_SCRIPT = r"""
import json, sys
import numpy as np
sys.path.insert(0, %(tests)r)
from op_harness import run_op
from metarun.framework import dtypes
out = {}
for k, (xs, fs, stride, padding, dilation, explicit) in enumerate(json.loads(sys.argv[1])):
    rng = np.random.RandomState(k)
    x, f = rng.randn(*xs).astype(np.float32), rng.randn(*fs).astype(np.float32)
    a = {"T": dtypes.float32, "strides": [1, stride, stride, 1], "padding": padding,
         "dilations": [1, dilation, dilation, 1], "data_format": "NHWC"}
    if explicit:
        a["explicit_paddings"] = explicit
    out["c%%d" %% k] = run_op("Conv2D", [x, f], a, num_threads=2)[0]
np.savez(sys.argv[2], **out)
"""


@pytest.fixture(scope="module")
def env_runs(tmp_path_factory):
    """Conv2D's outputs on every case, per setting: the three SIMD levels and im2col only. The
    processes run side by side."""
    cases = [list(c) for c in DIRECT] + [[xs, fs, 1, p, 1, None] for xs, fs, p in WINOGRAD]
    settings = dict(SIMD_SETTINGS, im2col={"METARUN_CONV": "im2col"})
    return outputs_per_setting(settings, _SCRIPT % {"tests": os.path.dirname(HERE)}, cases,
                               tmp_path_factory.mktemp("conv_env"), cwd=ROOT)


def test_every_simd_level_gives_the_same_bits(env_runs):
    assert_simd_levels_agree(env_runs)


def test_im2col_switch_agrees(env_runs):
    for a, b in zip(env_runs["avx512"], env_runs["im2col"]):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    # and it is another path: the direct loop's sums are not the GEMM's
    assert not np.array_equal(env_runs["avx512"][0], env_runs["im2col"][0])


# -- _FusedConv2D ---------------------------------------------------------------------------

ACTIVATIONS = [None, "Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid"]
# Shapes taking each path: direct, Winograd, im2col (stride 2), 1x1.
FUSED_SHAPES = [((2, 9, 9, 1), (3, 3, 1, 24), 1), ((2, 6, 7, 16), (3, 3, 16, 20), 1),
                ((2, 9, 9, 8), (3, 3, 8, 12), 2), ((2, 5, 5, 6), (1, 1, 6, 10), 1)]


def _fused_attrs(ops, stride=1, num_args=1, **extra):
    a = _attrs(stride)
    a.update({"fused_ops": ops, "num_args": num_args, "TArgs": [dtypes.float32] * num_args, "epsilon": 1e-4,
              "use_cudnn_on_gpu": True})
    a.update(extra)
    return a


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("xs,fs,stride", FUSED_SHAPES)
@pytest.mark.parametrize("bias_op", ["BiasAdd", "AddV2"])
def test_fused_equals_the_separate_kernels(act, xs, fs, stride, bias_op):
    x, f = _data(xs, fs, seed=3)
    bias = np.random.RandomState(4).randn(fs[3]).astype(np.float32)
    ops = ["BiasAdd"] + ([act] if act else [])
    extra = {"leakyrelu_alpha": 0.3} if act == "LeakyRelu" else {}
    got = run_op("_FusedConv2D", [x, f, bias], _fused_attrs(ops, stride, **extra), num_threads=2)[0]
    t = {"T": dtypes.float32}
    want = run_op("Conv2D", [x, f], _attrs(stride), num_threads=2)[0]
    want = run_op(bias_op, [want, bias], t)[0]
    if act == "LeakyRelu":
        want = run_op(act, [want], dict(t, alpha=0.3))[0]
    elif act:
        want = run_op(act, [want], t)[0]
    np.testing.assert_array_equal(got, want)


def test_fused_leaky_relu_default_alpha():
    x, f = _data((1, 5, 5, 2), (3, 3, 2, 8))
    bias = np.full([8], -0.5, np.float32)
    got = run_op("_FusedConv2D", [x, f, bias], _fused_attrs(["BiasAdd", "LeakyRelu"]))[0]
    conv = run_op("BiasAdd", [run_op("Conv2D", [x, f], _attrs())[0], bias], {"T": dtypes.float32})[0]
    np.testing.assert_array_equal(got, run_op("LeakyRelu", [conv], {"T": dtypes.float32})[0])


@pytest.mark.parametrize("ops,num_args,code", [
    ([], 1, 3),                          # at least one fused op
    (["BiasAdd", "Softplus"], 1, 12),    # Unimplemented
    (["FusedBatchNorm"], 4, 12),
    (["BiasAdd"], 2, 3),                 # wrong argument count
])
def test_fused_bad_attrs(ops, num_args, code):
    x, f = _data((1, 4, 4, 1), (3, 3, 1, 8))
    args = [np.zeros([8], np.float32)] * num_args
    with pytest.raises(_core.StatusError) as e:
        run_op("_FusedConv2D", [x, f] + args, _fused_attrs(ops, num_args=num_args))
    assert status_code(e.value) == code


def test_fused_bias_of_the_wrong_size_is_invalid_argument_and_the_session_still_runs():
    x, f = _data((1, 4, 4, 1), (3, 3, 1, 8))
    sess = OpSession("_FusedConv2D", [dtypes.float32] * 3, _fused_attrs(["BiasAdd", "Relu"]), [dtypes.float32])
    for bias in (np.zeros([7], np.float32), np.zeros([1, 8], np.float32)):
        with pytest.raises(_core.StatusError) as e:
            sess.run([x, f, bias])
        assert status_code(e.value) == 3
    got = sess.run([x, f, np.ones([8], np.float32)])[0]
    np.testing.assert_array_equal(got, np.maximum(_ordered_f32(x, f) + np.float32(1), 0))


# _FusedConv2D's bias and Relu/Relu6 are applied in registers before the store on the direct and
# Winograd paths (the separate kernels' expressions): at every SIMD level the fused result must
# equal Conv2D -> BiasAdd -> activation run there, NaN and infinities included.
_FUSED_SCRIPT = r"""
import json, sys
import numpy as np
sys.path.insert(0, %(tests)r)
sys.path.insert(0, %(here)r)
from op_harness import run_op
from metarun.framework import dtypes
from test_conv_fast import _attrs, _fused_attrs
out = {}
for k, (xs, fs, act) in enumerate(json.loads(sys.argv[1])):
    rng = np.random.RandomState(k)
    x, f = rng.randn(*xs).astype(np.float32), rng.randn(*fs).astype(np.float32)
    x.reshape(-1)[rng.randint(0, x.size, 3)] = [np.nan, np.inf, -np.inf]
    bias = rng.randn(fs[3]).astype(np.float32)
    ops = ["BiasAdd"] + ([act] if act else [])
    got = run_op("_FusedConv2D", [x, f, bias], _fused_attrs(ops), num_threads=2)[0]
    t = {"T": dtypes.float32}
    want = run_op("BiasAdd", [run_op("Conv2D", [x, f], _attrs(), num_threads=2)[0], bias], t)[0]
    if act:
        want = run_op(act, [want], t)[0]
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), (k, xs, fs, act)
    out["c%%d" %% k] = got
np.savez(sys.argv[2], **out)
"""


def test_fused_in_registers_at_every_simd_level(tmp_path):
    shapes = [((2, 9, 9, 1), (3, 3, 1, 24)), ((1, 7, 6, 3), (3, 3, 3, 40)),     # direct, channel tails
              ((2, 6, 7, 16), (3, 3, 16, 20)), ((1, 14, 14, 32), (3, 3, 32, 64))]  # Winograd
    cases = [[xs, fs, act] for xs, fs in shapes for act in (None, "Relu", "Relu6")]
    runs = outputs_per_setting(SIMD_SETTINGS, _FUSED_SCRIPT % {"tests": os.path.dirname(HERE), "here": HERE},
                               cases, tmp_path, cwd=ROOT)
    assert_simd_levels_agree({k: [a.view(np.uint32) for a in v] for k, v in runs.items()})
