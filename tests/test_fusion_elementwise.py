"""The plan-time fusion of float32 elementwise groups (cpp/executor/fusion_elementwise.cpp): a
sink and the nodes only it (through the group) reads run as one _FusedElementwise node, bit for
bit as the unfused graph, on every SIMD level; where a run's shapes do not fit the fused program
the group's own nodes run, with their broadcasting and their errors under their own names.

The unfused reference is the same graph with a middle node pinned as a target (a value a target
produces is never fused away), or the same script with METARUN_FUSION=matmul / 0 in a child
process. Whether a group fused shows in a child's METARUN_PROFILE table."""
import json
import subprocess
import sys

import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import add_node, add_placeholder
from subproc import SIMD_SETTINGS, assert_simd_levels_agree, metarun_env, outputs_per_setting

F32 = dtypes.float32
UNARY = ["Neg", "Square", "Abs", "Sqrt", "Rsqrt", "Exp", "Log", "Reciprocal", "Inv", "Relu", "Relu6", "Tanh",
         "Sigmoid"]
BINARY = ["Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "SquaredDifference"]
# (op, form): a unary op then a Mul by a second input; a binary op of two inputs (the second of
# the same shape, a scalar or a row) then a Neg.
CASES = [[op, "unary"] for op in UNARY] + [[op, form] for op in BINARY for form in ("same", "scalar", "row")]

# Builds each case's graph in the core, runs it fused and with the op pinned (unfused), saves
# both; with a third argument "fused" runs only the fused plans (for the profile).
CASE_SCRIPT = r"""
import json, sys
import numpy as np
from metarun import _core
from metarun.framework import dtypes
F = dtypes.float32.as_datatype_enum
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, -1e-40, 1.1754944e-38, 3.4e38, -3.4e38, 0.25,
                    -0.3, 0.29999998, 0.3, 1.0, -1.0, 6.0, 6.000001, 87.5, -87.5, 88.8, -104.5, 1e5], np.float32)

def values(shape, seed):
    rng = np.random.RandomState(seed)
    n = int(np.prod(shape))
    v = (rng.randn(n) * np.exp(rng.uniform(-5, 5, n))).astype(np.float32)
    k = min(n, len(SPECIAL))
    v[:k] = np.roll(SPECIAL, seed)[:k]
    return v.reshape(shape)

def node(g, name, op, ins):
    return g.add_node(name, op, "", [(i, 0) for i in ins], [], {"T": ("type", F)}, [F])

cases = json.loads(sys.argv[1])
fused_only = len(sys.argv) > 3
out = {}
for k, (op, form) in enumerate(cases):
    g = _core.Graph()
    ph = [g.add_node("p%d" % i, "Placeholder", "", [], [], {"dtype": ("type", F)}, [F]) for i in range(2)]
    if form == "unary":
        first = node(g, "first", op, [ph[0]])
        last = node(g, "last", "Mul", [first, ph[1]])
    else:
        first = node(g, "first", op, [ph[0], ph[1]])
        last = node(g, "last", "Neg", [first])
    shape = (37, 29)  # 1073 floats: a full block of 1024 and a tail
    second = {"unary": shape, "same": shape, "scalar": (), "row": (29,)}[form]
    feeds = [(ph[0], 0), (ph[1], 0)]
    vals = [(values(shape, 2 * k), F), (values(second, 2 * k + 1), F)]
    sess = _core.Session(g, 1)
    fused = sess.run(feeds, vals, [(last, 0)], [])[0]
    unfused = fused if fused_only else sess.run(feeds, vals, [(last, 0)], [first])[0]
    out["c%d" % k] = np.stack([fused, unfused])
np.savez(sys.argv[2], **out)
"""


def same_bits(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(a.view(np.int32), b.view(np.int32))


def profile_rows(stderr):
    """{op type: calls} summed over the METARUN_PROFILE tables in a child's stderr."""
    rows = {}
    for line in stderr.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[1].isdigit() and parts[3].endswith("%"):
            rows[parts[0]] = rows.get(parts[0], 0) + int(parts[1])
    return rows


def test_every_op_fused_gives_the_unfused_bits_on_every_simd_level(tmp_path):
    runs = outputs_per_setting(SIMD_SETTINGS, CASE_SCRIPT, CASES, tmp_path)
    for level, outs in runs.items():
        for case, pair in zip(CASES, outs):
            assert pair.shape == (2, 37, 29), (level, case)
            same_bits(pair[0], pair[1])
    assert_simd_levels_agree(runs)


def test_every_case_runs_as_one_fused_node(tmp_path):
    p = subprocess.run([sys.executable, "-c", CASE_SCRIPT, json.dumps(CASES), str(tmp_path / "p.npz"), "fused"],
                       env=metarun_env(METARUN_PROFILE="1"), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    rows = profile_rows(p.stderr)
    assert rows.get("_FusedElementwise") == len(CASES)
    assert not set(rows) & set(UNARY + BINARY), rows


class Group(object):
    """y = tanh(x) * 0.5 + sigmoid(c) * x, out = relu(y - b): one group of seven nodes over the
    fed x [?, 16], c and b (any shapes the feeds give)."""

    def __init__(self):
        g = self.g = _core.Graph()
        self.x, self.c, self.b, self.half = (add_placeholder(g, n, "float32") for n in ("x", "c", "b", "half"))
        self.tanh = add_node(g, "tanh", "Tanh", [self.x], T=F32)
        self.scaled = add_node(g, "scaled", "Mul", [self.tanh, self.half], T=F32)
        self.sig = add_node(g, "sig", "Sigmoid", [self.c], T=F32)
        self.gate = add_node(g, "gate", "Mul", [self.sig, self.x], T=F32)
        self.y = add_node(g, "y", "AddV2", [self.scaled, self.gate], T=F32)
        self.sub = add_node(g, "sub", "Sub", [self.y, self.b], T=F32)
        self.out = add_node(g, "out", "Relu", [self.sub], T=F32)
        self.sess = _core.Session(g, 1)

    def run(self, x, c, b, fetches=None, targets=(), half=0.5):
        feeds = [(self.x, 0), (self.c, 0), (self.b, 0), (self.half, 0)]
        vals = [(np.asarray(v, np.float32), F32.as_datatype_enum) for v in (x, c, b, np.float32(half))]
        return self.sess.run(feeds, vals, [(f, 0) for f in (fetches or [self.out])], list(targets))

    def unfused(self, x, c, b, fetches=None):
        # each middle value pinned: no two nodes can form a group
        return self.run(x, c, b, fetches, targets=[self.tanh, self.scaled, self.sig, self.gate, self.y, self.sub])


def reference(x, c, b):
    x, c, b = (np.asarray(v, np.float64) for v in (x, c, b))
    return np.maximum(np.tanh(x) * 0.5 + x / (1 + np.exp(-c)) - b, 0)


@pytest.mark.parametrize("c_shape,b_shape", [((8, 16), (8, 16)), ((8, 16), ()), ((16,), (16,)), ((1, 16), (1, 1)),
                                             ((8, 16), (1, 16)), ((), ())])
def test_scalars_and_rows_broadcast_as_unfused(c_shape, b_shape):
    rng = np.random.RandomState(0)
    x = rng.randn(8, 16).astype(np.float32)
    c = np.asarray(rng.randn(*c_shape), np.float32)
    b = np.asarray(rng.randn(*b_shape), np.float32)
    grp = Group()
    got = grp.run(x, c, b)[0]
    same_bits(got, grp.unfused(x, c, b)[0])
    np.testing.assert_allclose(got, reference(x, c, b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("x_shape,c_shape,b_shape", [((8, 1), (1, 16), ()), ((0, 16), (0, 16), (16,)),
                                                     ((0, 16), (1, 16), ()), ((3, 16), (2, 3, 16), ()),
                                                     ((8, 16), (8, 16), (8, 1))])
def test_other_broadcasts_run_the_groups_own_nodes(x_shape, c_shape, b_shape):
    rng = np.random.RandomState(1)
    x, c, b = (np.asarray(rng.randn(*s), np.float32) for s in (x_shape, c_shape, b_shape))
    grp = Group()
    got = grp.run(x, c, b)[0]
    same_bits(got, grp.unfused(x, c, b)[0])
    np.testing.assert_allclose(got, reference(x, c, b), rtol=1e-5, atol=1e-6)


def test_incompatible_shapes_fail_at_the_member_as_unfused_and_the_session_recovers():
    grp = Group()
    x = np.ones((8, 16), np.float32)
    for c, b, node in [(np.ones((3, 16)), np.ones(16), "gate"), (np.ones(16), np.ones((2, 16)), "sub"),
                       (np.ones((8, 15)), np.ones(1), "gate")]:
        with pytest.raises(_core.StatusError) as fused:
            grp.run(x, c, b)
        with pytest.raises(_core.StatusError) as unfused:
            grp.unfused(x, c, b)
        assert fused.value.args == unfused.value.args
        assert fused.value.args[0] == 3 and fused.value.args[2] == node
        assert fused.value.args[1].startswith("Incompatible shapes")
    same_bits(grp.run(x, x, x)[0], grp.unfused(x, x, x)[0])


def test_fetched_and_shared_middle_values_stay_outside_and_correct():
    rng = np.random.RandomState(2)
    x, c, b = (rng.randn(8, 16).astype(np.float32) for _ in range(3))
    grp = Group()
    want = grp.unfused(x, c, b, [grp.out, grp.y, grp.tanh])
    for got, ref in zip(grp.run(x, c, b, [grp.out, grp.y, grp.tanh]), want):
        same_bits(got, ref)
    # a second reader of `gate` outside the group, a control edge out of `scaled`
    other = add_node(grp.g, "other", "Neg", [grp.gate], T=F32)
    waits = add_node(grp.g, "waits", "NoOp", [], [], control_inputs=[grp.scaled])
    grp.sess = _core.Session(grp.g, 1)
    got = grp.run(x, c, b, [grp.out, other], targets=[waits])
    same_bits(got[0], want[0])
    same_bits(got[1], -grp.unfused(x, c, b, [grp.gate])[0])


def test_a_fed_middle_value_is_used_as_fed():
    grp = Group()
    x = np.full((2, 16), 0.5, np.float32)
    fed_y = np.full((2, 16), -3.0, np.float32)
    feeds = [(grp.x, 0), (grp.c, 0), (grp.b, 0), (grp.half, 0), (grp.y, 0)]
    vals = [(v, F32.as_datatype_enum) for v in (x, x, x, np.float32(0.5), fed_y)]
    got = grp.sess.run(feeds, vals, [(grp.out, 0)], [])[0]
    same_bits(got, np.maximum(fed_y - x, np.float32(0)))


# Python graphs: an LSTM cell in a v1 while loop, residual layers on ref variables (the
# benchmark's 20k graph's layer), both sides of a cond, and a run that fails inside a group.
SCRIPT = r"""
import sys
import numpy as np
import metarun as tf
rng = np.random.RandomState(0)
U = 24
x = tf.placeholder(tf.float32, [None, 6, 8])
w = tf.Variable(rng.randn(8 + U, 4 * U).astype(np.float32) * 0.3)
bias = tf.Variable(rng.randn(4 * U).astype(np.float32))
xs = tf.transpose(x, [1, 0, 2])
def body(t, c, h, acc):
    gates = tf.matmul(tf.concat([xs[t], h], 1), w) + bias
    i, j, f, o = tf.split(gates, 4, axis=1)
    new_c = c * tf.sigmoid(f + 1.0) + tf.sigmoid(i) * tf.tanh(j)
    new_h = tf.tanh(new_c) * tf.sigmoid(o)
    return t + 1, new_c, new_h, acc + new_h
zeros = tf.zeros(tf.stack([tf.shape(x)[0], U]))
_, c, h, acc = tf.while_loop(lambda t, *a: t < 6, body, [tf.constant(0), zeros, zeros, zeros])
k = tf.Variable(rng.randn(U, U).astype(np.float32) * 0.3)
b2 = tf.Variable(rng.randn(U).astype(np.float32))
r = h
for layer in range(4):
    z = tf.matmul(r, k) + b2
    r = (tf.tanh(z) if layer % 2 == 0 else tf.nn.relu(z)) + r * 0.5
flag = tf.placeholder(tf.bool, [])
picked = tf.cond(flag, lambda: tf.sigmoid(r) * 2.0 - 1.0, lambda: tf.square(r - 0.25) + tf.abs(r))
y = tf.placeholder(tf.float32, [None, None])
bad = tf.identity(tf.exp(r) * y + 1.0, name="bad")
sess = tf.Session()
sess.run(tf.global_variables_initializer())
xv = rng.randn(5, 6, 8).astype(np.float32)
outs = sess.run([c, h, acc, r, picked], {x: xv, flag: True}) + [sess.run(picked, {x: xv, flag: False})]
sys.stdout.buffer.write(b"".join(o.tobytes() for o in outs))
try:
    sess.run(bad, {x: xv, y: np.ones((3, U), np.float32)})
except tf.errors.InvalidArgumentError as e:
    sys.stderr.write("FAILED AT %s\n" % e.op.name)
sys.stdout.buffer.write(sess.run(bad, {x: xv, y: np.ones((5, U), np.float32)}).tobytes())
"""


def run_script(**env):
    p = subprocess.run([sys.executable, "-c", SCRIPT], env=metarun_env(METARUN_PROFILE="1", **env),
                       capture_output=True, timeout=300)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout, p.stderr.decode()


def test_loops_conds_and_residual_layers_fuse_and_keep_the_bits():
    fused_out, fused_err = run_script()
    matmul_out, matmul_err = run_script(METARUN_FUSION="matmul")
    plain_out, plain_err = run_script(METARUN_FUSION="0")
    assert fused_out == matmul_out == plain_out and len(fused_out) == 4 * (5 * 24) * 7
    fused, matmul, plain = profile_rows(fused_err), profile_rows(matmul_err), profile_rows(plain_err)
    # per loop step: the new_c group and the new_h group (the Split stays); per layer one group
    assert fused["_FusedElementwise"] >= 2 * 6 + 4 and "Sigmoid" not in fused and "Tanh" not in fused
    assert "_FusedElementwise" not in matmul and matmul["_FusedMatMul"] == fused["_FusedMatMul"]
    assert "_FusedElementwise" not in plain and "_FusedMatMul" not in plain
    assert "FAILED AT mul_" in fused_err and fused_err.count("FAILED AT") == 1
    assert fused_err.split("FAILED AT ")[1].split()[0] == matmul_err.split("FAILED AT ")[1].split()[0]
