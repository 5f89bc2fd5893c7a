"""The plan-time fusion pass (cpp/executor/fusion.h): MatMul -> bias -> activation chains run
as one _FusedMatMul node, bit for bit as the unfused graph, and only where nothing else sees
the middle values.

Whether a chain fused shows in who a failure names: a fused node carries the chain's last
node's name (as TF's remapper names it), so a product of mismatched shapes fails naming the
activation when fused and the MatMul when not. The unfused reference is the same plan with the
MatMul pinned as a target (a value a target produces is never fused away), which computes the
same ops."""
import subprocess
import sys

import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import add_const, add_node, add_placeholder
from subproc import metarun_env

F32 = dtypes.float32
ACTIVATIONS = [None, "Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid"]


class Chain(object):
    """x @ w + bias (-> act): x fed, w a Const, the bias a Const or a fed placeholder."""

    def __init__(self, m=5, k=7, n=6, bias="BiasAdd", act="Relu", dtype="float32", bias_first=False,
                 bias_source="const", seed=0):
        rng = np.random.RandomState(seed)
        self.x = rng.randn(m, k).astype(dtype)
        self.w = rng.randn(k, n).astype(dtype)
        self.b = rng.randn(n).astype(dtype)
        t = dtypes.as_dtype(dtype)
        g = self.g = _core.Graph()
        self.ph = [add_placeholder(g, "x", dtype)]
        self.values = [self.x]
        if bias_source == "const":
            b = add_const(g, "b", self.b)
        elif bias_source == "fed":
            b = add_placeholder(g, "b", dtype)
            self.ph.append(b)
            self.values.append(self.b)
        w = add_const(g, "w", self.w)
        self.mm = add_node(g, "mm", "MatMul", [self.ph[0], w], [dtype], T=t, transpose_a=False, transpose_b=False)
        if bias == "BiasAdd":
            node = add_node(g, "bias", "BiasAdd", [self.mm, b], [dtype], T=t, data_format="NHWC")
        else:
            node = add_node(g, "bias", bias, [b, self.mm] if bias_first else [self.mm, b], [dtype], T=t)
        self.bias = node
        if act:
            extra = {"alpha": 0.1} if act == "LeakyRelu" else {}
            node = add_node(g, "act", act, [node], [dtype], T=t, **extra)
        self.out = node

    def run(self, fetches=None, targets=(), x=None, threads=1):
        sess = _core.Session(self.g, threads)
        values = [x if x is not None else self.x] + self.values[1:]
        return sess.run([(p, 0) for p in self.ph], [(v, dtypes.as_dtype(v.dtype).as_datatype_enum) for v in values],
                        [(f, 0) for f in (fetches or [self.out])], list(targets))

    def failing_node(self, **kw):
        """Who a run with a mismatched product names."""
        with pytest.raises(_core.StatusError) as e:
            self.run(x=np.ones((2, self.x.shape[1] + 1), self.x.dtype), **kw)
        assert e.value.args[0] == 3 and "Matrix size-incompatible" in e.value.args[1]
        return e.value.args[2]


def same_bits(a, b):
    np.testing.assert_array_equal(a.view(np.int32 if a.dtype == np.float32 else np.int64),
                                  b.view(np.int32 if b.dtype == np.float32 else np.int64))


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("bias,bias_first", [("BiasAdd", False), ("AddV2", False), ("AddV2", True), ("Add", False)])
@pytest.mark.parametrize("threads", [1, 2])
def test_chains_fuse_and_keep_the_unfused_bits(act, bias, bias_first, threads):
    c = Chain(m=67, k=300, n=129, bias=bias, act=act, bias_first=bias_first)
    fused = c.run(threads=threads)[0]
    unfused = c.run(targets=[c.mm], threads=threads)[0]
    same_bits(fused, unfused)
    last = "act" if act else "bias"
    assert c.failing_node() == last
    assert c.failing_node(targets=[c.mm]) == "mm"


def test_fetching_the_middle_value_disables_fusion():
    c = Chain()
    assert c.failing_node(fetches=[c.out, c.bias]) == "bias"   # MatMul + bias still fuse
    assert c.failing_node(fetches=[c.out, c.mm]) == "mm"
    out, mid = c.run(fetches=[c.out, c.bias])
    same_bits(out, np.maximum(mid, 0))


def test_a_fed_middle_value_is_used_as_fed():
    c = Chain()
    sess = _core.Session(c.g, 1)
    fed_mid = np.full((5, 6), -3.0, np.float32)
    out = sess.run([(c.ph[0], 0), (c.mm, 0)], [(c.x, 1), (fed_mid, 1)], [(c.out, 0)], [])[0]
    same_bits(out, np.maximum(fed_mid + c.b, 0))


def test_second_consumer_or_control_edge_keeps_the_chain_apart():
    c = Chain()
    other = add_node(c.g, "other", "Neg", [c.mm], T=F32)
    assert c.failing_node() == "act"                        # `other` is not in this plan
    assert c.failing_node(fetches=[c.out, other]) == "mm"
    d = Chain()
    waits = add_node(d.g, "waits", "NoOp", [], [], control_inputs=[d.bias])
    assert d.failing_node(targets=[waits]) == "bias"       # a control edge out: the chain ends there
    waits_mm = add_node(d.g, "waits_mm", "NoOp", [], [], control_inputs=[d.mm])
    assert d.failing_node(targets=[waits_mm]) == "mm"
    same_bits(d.run(targets=[waits, waits_mm])[0], d.run(targets=[d.mm])[0])
    e = Chain()
    e.out = add_node(e.g, "act2", "Relu", [e.bias], T=F32, control_inputs=[e.ph[0]])
    assert e.failing_node() == "bias"                       # MatMul + bias fuse, the activation does not
    same_bits(e.run()[0], e.run(targets=[e.mm])[0])


def test_devices_and_dtypes_the_kernel_lacks_do_not_fuse():
    c = Chain(dtype="float64")
    assert c.failing_node() == "mm"
    same_bits(c.run()[0], c.run(targets=[c.mm])[0])
    d = Chain()
    d.out = d.g.add_node("act_elsewhere", "Relu", "/device:CPU:1", [(d.bias, 0)], [],
                         {"T": ("type", F32.as_datatype_enum)}, [F32.as_datatype_enum])
    assert d.failing_node() == "bias"
    same_bits(d.run()[0], d.run(targets=[d.mm])[0])


def test_add_fuses_only_a_bias_of_known_width():
    c = Chain(bias="AddV2", bias_source="fed")               # a placeholder's value may have any shape
    assert c.failing_node() == "mm"
    same_bits(c.run()[0], c.run(targets=[c.mm])[0])
    d = Chain(bias="AddV2")
    g = d.g
    one = add_const(g, "one", np.array([0.5], np.float32))  # a [1] vector broadcasts: not a bias
    d.out = add_node(g, "act1", "Relu", [add_node(g, "add1", "AddV2", [d.mm, one], T=F32)], T=F32)
    assert d.failing_node() == "mm"
    same_bits(d.run()[0], d.run(targets=[d.mm])[0])


def test_bias_mismatch_is_tf_fused_error_naming_the_last_node():
    c = Chain(bias_source="fed")
    sess = _core.Session(c.g, 1)
    feeds = [(p, 0) for p in c.ph]
    with pytest.raises(_core.StatusError) as e:
        sess.run(feeds, [(c.x, 1), (c.b[:4], 1)], [(c.out, 0)], [])
    assert e.value.args == (3, "Must provide as many biases as the channel size: [4] vs. 6", "act")
    same_bits(sess.run(feeds, [(c.x, 1), (c.b, 1)], [(c.out, 0)], [])[0], c.run(targets=[c.mm])[0])


SCRIPT = r"""
import sys
import numpy as np
import metarun as tf
x = tf.placeholder(tf.float32, [None, None])
rng = np.random.RandomState(0)
w = tf.Variable(rng.randn(12, 12).astype(np.float32) * 0.3, name="w")
b = tf.Variable(rng.randn(12).astype(np.float32), name="b")
def body(i, h):
    return i + 1, tf.tanh(tf.matmul(h, w) + b)
_, loop_out = tf.while_loop(lambda i, h: i < 5, body, [tf.constant(0), x])
dense = tf.nn.relu(tf.matmul(x, w) + b, name="dense")
sess = tf.Session()
sess.run(tf.global_variables_initializer())
xv = rng.randn(3, 12).astype(np.float32)
a, d = sess.run([loop_out, dense], {x: xv})
sys.stdout.buffer.write(a.tobytes() + d.tobytes())
try:
    sess.run(dense, {x: np.ones((2, 5), np.float32)})
except tf.errors.InvalidArgumentError as e:
    sys.stderr.write("FAILED AT %s\n" % e.op.name)
"""


def run_script(env):
    env = metarun_env(METARUN_PROFILE="1", **env)
    p = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout, p.stderr.decode()


def test_loops_fuse_and_metarun_fusion_0_turns_the_pass_off():
    fused_out, fused_err = run_script({})
    plain_out, plain_err = run_script({"METARUN_FUSION": "0"})
    assert fused_out == plain_out and len(fused_out) == 2 * 3 * 12 * 4
    assert "_FusedMatMul" in fused_err and "_FusedMatMul" not in plain_err
    # the loop's MatMul fused too: no MatMul row left in the profile
    assert "\nMatMul " not in fused_err and "\nMatMul " in plain_err
    assert "FAILED AT dense" in fused_err and "FAILED AT MatMul\n" in plain_err
