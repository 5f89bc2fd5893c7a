"""BatchNormWithGlobalNormalization and its Grad (cpp/kernels/batchnorm_global_ops.cpp), the batch
norm of TF 0.x graphs, against TF (fixtures/kernels/batchnorm_global.npz, gen_batchnorm_global.py).

Each case is imported as TF ran it: a GraphDef of producer version 8 (the ops were removed from
version 9 on) whose placeholders feed the op. A graph of a later version is refused, as TF does.
"""
import json

import numpy as np
import pytest

import metarun as tf
from metarun import errors
from metarun.framework import dtypes, protos
from op_harness import kernel_fixture, load_npz

_DATA = load_npz(kernel_fixture("batchnorm_global.npz"))
_CASES = sorted({k.split("/")[0] for k in _DATA.files})
OPS = ["BatchNormWithGlobalNormalization", "BatchNormWithGlobalNormalizationGrad"]
COVERAGE = {op: set() for op in OPS}
for _c in _CASES:
    _m = json.loads(str(_DATA[_c + "/meta"]))
    if "error" not in _m:
        COVERAGE[_m["op"]].add(_m["dtype"])
# Sums over the batch and the rsqrt differ from Eigen's vectorized ones in the last bits.
_TOL = {"float32": 2e-6, "float64": 1e-14, "float16": 2e-3}


def _graph_def(m, n_inputs, producer=8):
    gd = protos.GraphDef()
    gd.versions.producer = producer
    for k in range(n_inputs):
        ph = gd.node.add(name="in%d" % k, op="Placeholder")
        ph.attr["dtype"].type = dtypes.as_dtype(m["dtype"]).as_datatype_enum
    node = gd.node.add(name="op", op=m["op"])
    node.input.extend("in%d" % k for k in range(n_inputs))
    node.attr["T"].type = dtypes.as_dtype(m["dtype"]).as_datatype_enum
    node.attr["variance_epsilon"].f = m["epsilon"]
    node.attr["scale_after_normalization"].b = m["scale"]
    return gd


@pytest.mark.parametrize("case", _CASES)
def test_matches_tf(case):
    m = json.loads(str(_DATA[case + "/meta"]))
    inputs = [_DATA["%s/in%d" % (case, k)] for k in range(5)]
    n_out = 1 if m["op"] == OPS[0] else 5
    with tf.Graph().as_default():
        tf.import_graph_def(_graph_def(m, 5), name="")
        with tf.Session() as sess:
            fetches = ["op:%d" % k for k in range(n_out)]
            feeds = {"in%d:0" % k: v for k, v in enumerate(inputs)}
            if "error" in m:
                with pytest.raises(getattr(errors, m["error"])) as info:
                    sess.run(fetches, feeds)
                assert m["message"] in str(info.value)
                return
            got = sess.run(fetches, feeds)
    for k, g in enumerate(got):
        want = _DATA["%s/out%d" % (case, k)]
        assert g.dtype == want.dtype and g.shape == want.shape
        scale = max(1.0, float(np.max(np.abs(want.astype(np.float64))))) if want.size else 1.0
        np.testing.assert_allclose(g.astype(np.float64), want.astype(np.float64), rtol=_TOL[m["dtype"]],
                                   atol=_TOL[m["dtype"]] * scale, err_msg="%s output %d" % (case, k))


def test_refused_in_graphs_of_version_9_on():
    m = {"op": OPS[0], "dtype": "float32", "epsilon": 0.001, "scale": True}
    with tf.Graph().as_default():
        with pytest.raises(errors.UnimplementedError) as info:  # TF's class and message
            tf.import_graph_def(_graph_def(m, 5, producer=9), name="")
    assert "is not available in GraphDef version 9" in str(info.value)


def test_gradient_is_the_grad_op_as_tf_registers_it():
    key = "grad_float64_scale_2x3x4x5"
    m = json.loads(str(_DATA[key + "/meta"]))
    x, mean, var, gamma, g = [_DATA["%s/in%d" % (key, k)] for k in range(5)]
    beta = np.zeros_like(mean)
    m = dict(m, op=OPS[0])
    with tf.Graph().as_default():
        tf.import_graph_def(_graph_def(m, 5), name="")
        graph = tf.get_default_graph()
        out = graph.get_tensor_by_name("op:0")
        ins = [graph.get_tensor_by_name("in%d:0" % k) for k in range(5)]
        grads = tf.gradients(out, ins, grad_ys=tf.constant(g))
        assert grads[0].op.type == "BatchNormWithGlobalNormalizationGrad"
        with tf.Session() as sess:
            got = sess.run(grads, dict(zip(ins, [x, mean, var, beta, gamma])))
    order = [0, 1, 2, 3, 4]  # dx, dm, dv, db, dg: the Grad op's outputs for inputs t, m, v, beta, gamma
    for k in order:
        np.testing.assert_allclose(got[k], _DATA["%s/out%d" % (key, k)], rtol=1e-13, atol=1e-13)
