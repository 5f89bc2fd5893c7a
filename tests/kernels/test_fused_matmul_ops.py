"""_FusedMatMul (MatMul -> BiasAdd -> activation in one kernel, TF's internal op): against a
float64 numpy reference, and bit for bit against the separate MatMul, BiasAdd and activation
kernels run as one unfused graph (tests/test_fusion.py checks the plan-time pass that makes it)."""
import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import add_node, add_placeholder, run_op, status_code

COVERAGE = {"_FusedMatMul": {"float32"}}

F32 = dtypes.float32
ACTIVATIONS = [None, "Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid"]


def reference(x, w, b, act, ta=False, tb=False, alpha=0.2):
    z = (x.T if ta else x).astype(np.float64) @ (w.T if tb else w).astype(np.float64) + b
    if act == "Relu":
        return np.maximum(z, 0)
    if act == "Relu6":
        return np.clip(z, 0, 6)
    if act == "Elu":
        return np.where(z < 0, np.expm1(z), z)
    if act == "LeakyRelu":
        return np.where(z > 0, z, z * alpha)
    if act == "Tanh":
        return np.tanh(z)
    if act == "Sigmoid":
        return 1 / (1 + np.exp(-z))
    return z


def attrs(act, ta=False, tb=False, alpha=0.2):
    return {"T": F32, "transpose_a": ta, "transpose_b": tb, "num_args": 1,
            "fused_ops": ["BiasAdd"] + ([act] if act else []), "epsilon": 0.0001, "leakyrelu_alpha": alpha}


def operands(m, k, n, ta=False, tb=False, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(*((k, m) if ta else (m, k))).astype(np.float32)
    w = rng.randn(*((n, k) if tb else (k, n))).astype(np.float32)
    return x, w, rng.randn(n).astype(np.float32)


def unfused(x, w, b, act, ta=False, tb=False, alpha=0.2, threads=1):
    """The same chain as three separate nodes (nothing fuses: the product is fetched too)."""
    g = _core.Graph()
    ph = [add_placeholder(g, n, "float32") for n in ("x", "w", "b")]
    node = add_node(g, "mm", "MatMul", ph[:2], T=F32, transpose_a=ta, transpose_b=tb)
    mm = node
    node = add_node(g, "bias", "BiasAdd", [node, ph[2]], T=F32, data_format="NHWC")
    if act == "LeakyRelu":
        node = add_node(g, "act", act, [node], T=F32, alpha=alpha)
    elif act:
        node = add_node(g, "act", act, [node], T=F32)
    sess = _core.Session(g, threads)
    return sess.run([(p, 0) for p in ph], [(v, 1) for v in (x, w, b)], [(node, 0), (mm, 0)], [])[0]


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (3, 5, 7), (1, 784, 512), (37, 19, 33), (256, 784, 512)])
@pytest.mark.parametrize("threads", [1, 2])
def test_matches_reference_and_unfused_bits(act, m, k, n, threads):
    x, w, b = operands(m, k, n, seed=m + k + n)
    got = run_op("_FusedMatMul", [x, w, b], attrs(act), num_threads=threads)[0]
    assert got.dtype == np.float32 and got.shape == (m, n)
    np.testing.assert_allclose(got, reference(x, w, b, act), rtol=1e-4, atol=1e-5 * np.sqrt(k) * 4)
    np.testing.assert_array_equal(got.view(np.int32), unfused(x, w, b, act, threads=threads).view(np.int32))


@pytest.mark.parametrize("ta,tb", [(True, False), (False, True), (True, True)])
def test_transposes(ta, tb):
    x, w, b = operands(9, 13, 11, ta, tb)
    got = run_op("_FusedMatMul", [x, w, b], attrs("Relu", ta, tb))[0]
    np.testing.assert_allclose(got, reference(x, w, b, "Relu", ta, tb), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got, unfused(x, w, b, "Relu", ta, tb))


def test_leakyrelu_alpha():
    x, w, b = operands(6, 4, 5)
    got = run_op("_FusedMatMul", [x, w, b], attrs("LeakyRelu", alpha=0.05))[0]
    np.testing.assert_array_equal(got, unfused(x, w, b, "LeakyRelu", alpha=0.05))
    np.testing.assert_allclose(got, reference(x, w, b, "LeakyRelu", alpha=0.05), rtol=1e-5, atol=1e-6)


def test_special_values_pass_as_in_the_separate_kernels():
    x = np.array([[np.nan, 1], [np.inf, 0], [-np.inf, 0], [0, 0]], np.float32)
    w = np.eye(2, dtype=np.float32)
    b = np.array([0, -0.0], np.float32)
    for act in ACTIVATIONS:
        with np.errstate(invalid="ignore"):
            got = run_op("_FusedMatMul", [x, w, b], attrs(act))[0]
            want = unfused(x, w, b, act)
        np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32), err_msg=str(act))


@pytest.mark.parametrize("m,k,n", [(0, 3, 4), (3, 0, 4), (3, 4, 0)])
def test_empty(m, k, n):
    x, w, b = operands(m, k, n)
    got = run_op("_FusedMatMul", [x, w, b], attrs("Sigmoid"))[0]
    assert got.shape == (m, n)
    np.testing.assert_array_equal(got, unfused(x, w, b, "Sigmoid"))


def test_shape_errors_are_tf_fused_messages_and_session_survives():
    from op_harness import OpSession
    sess = OpSession("_FusedMatMul", ["float32"] * 3, attrs("Relu"), ["float32"])
    x, w, b = operands(2, 3, 4)
    for bad, message in [([x, w[:2], b], "Matrix size-incompatible: In[0]: [2,3], In[1]: [2,4]"),
                         ([x, w, b[:3]], "Must provide as many biases as the channel size: [3] vs. 4"),
                         ([x, w, b.reshape(1, 4)], "Must provide as many biases as the channel size: [1,4] vs. 4"),
                         ([x[0], w, b], "In[0] is not a matrix. Instead it has shape [3]")]:
        with pytest.raises(_core.StatusError) as e:
            sess.run(bad)
        assert status_code(e.value) == 3 and e.value.args[1] == message
    np.testing.assert_array_equal(sess.run([x, w, b])[0], unfused(x, w, b, "Relu"))


@pytest.mark.parametrize("fused_ops,num_args", [(["Relu"], 1), (["BiasAdd", "Gelu"], 1), (["BiasAdd"], 2),
                                                (["BiasAdd", "Relu", "Tanh"], 1), ([], 1)])
def test_unsupported_attrs_are_unimplemented(fused_ops, num_args):
    x, w, b = operands(2, 3, 4)
    a = dict(attrs(None), fused_ops=fused_ops, num_args=num_args)
    with pytest.raises(_core.StatusError) as e:
        run_op("_FusedMatMul", [x, w, b], a)
    assert status_code(e.value) == 12
