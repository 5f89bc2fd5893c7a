"""CholeskyGrad and BatchCholeskyGrad (cpp/kernels/cholesky_grad_ops.cpp) against TF
(fixtures/kernels/cholesky_grad.npz, gen_cholesky_grad.py), each case imported as TF ran it: a
GraphDef of producer version 12 (BatchCholeskyGrad was removed in version 13) feeding the op.
TF's kernel blocks the product differently: the results agree to rounding."""
import json

import numpy as np
import pytest

import metarun as tf
from metarun import errors
from metarun.framework import dtypes, protos
from op_harness import kernel_fixture, load_npz

_DATA = load_npz(kernel_fixture("cholesky_grad.npz"))
_CASES = sorted({k.split("/")[0] for k in _DATA.files})
COVERAGE = {"CholeskyGrad": set(), "BatchCholeskyGrad": set()}
for _c in _CASES:
    _m = json.loads(str(_DATA[_c + "/meta"]))
    if "error" not in _m:
        COVERAGE[_m["op"]].add(_m["dtype"])
_TOL = {"float32": 2e-5, "float64": 1e-12}


def _run(m, l, grad):
    gd = protos.GraphDef()
    gd.versions.producer = 12
    for n in ("l", "grad"):
        ph = gd.node.add(name=n, op="Placeholder")
        ph.attr["dtype"].type = dtypes.as_dtype(m["dtype"]).as_datatype_enum
    node = gd.node.add(name="op", op=m["op"])
    node.input.extend(["l", "grad"])
    node.attr["T"].type = dtypes.as_dtype(m["dtype"]).as_datatype_enum
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            return sess.run("op:0", {"l:0": l, "grad:0": grad})


@pytest.mark.parametrize("case", _CASES)
def test_matches_tf(case):
    m = json.loads(str(_DATA[case + "/meta"]))
    l, grad = _DATA[case + "/l"], _DATA[case + "/grad"]
    if "error" in m:
        with pytest.raises(getattr(errors, m["error"])) as info:
            _run(m, l, grad)
        assert m["message"] in str(info.value)
        return
    got = _run(m, l, grad)
    want = _DATA[case + "/out"]
    assert got.dtype == want.dtype and got.shape == want.shape
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=_TOL[m["dtype"]], atol=_TOL[m["dtype"]] * scale)


def test_matches_the_python_gradient_of_cholesky():
    """TF 2's Cholesky gradient is built in Python from the same formula: the kernel agrees."""
    rng = np.random.RandomState(2)
    a = rng.uniform(-1, 1, [4, 4])
    spd = a @ a.T + 4 * np.eye(4)
    g = rng.uniform(-1, 1, [4, 4])
    with tf.Graph().as_default():
        x = tf.constant(spd)
        lfac = tf.linalg.cholesky(x)
        want = tf.gradients(lfac, x, grad_ys=tf.constant(np.tril(g)))[0]
        with tf.Session() as sess:
            lv, wv = sess.run([lfac, want])
    got = _run({"op": "CholeskyGrad", "dtype": "float64"}, lv, np.tril(g))
    np.testing.assert_allclose(got, wv, rtol=1e-12, atol=1e-12)
