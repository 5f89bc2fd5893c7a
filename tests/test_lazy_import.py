"""`import metarun` imports only what importing a graph, restoring it and running it need; the op
functions, namespaces and gradient functions are imported where first used (metarun/_lazy.py).
Each case runs in a fresh Python, where the difference shows."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from subproc import metarun_env

SEED = os.path.join(os.path.dirname(__file__), "fixtures", "cases", "seed_ex1_ref")

# Modules `import metarun` and the seed document's restoring half leave unimported.
DEFERRED = [
    "metarun.ops", "metarun.ops.math_ops", "metarun.ops.array_ops", "metarun.ops.gradients_impl",
    "metarun.ops.math_grad", "metarun.ops.array_grad", "metarun.ops.nn_grad", "metarun.ops.functional_grad",
    "metarun.ops.control_flow_ops", "metarun.ops.nn_ops", "metarun.ops.image_ops", "metarun.ops.sparse_ops",
    "metarun.framework.shape_inference", "metarun.dtypes", "metarun.nn", "metarun.image", "metarun.io",
    "metarun.linalg", "metarun.math", "metarun.signal", "metarun.sparse", "metarun.strings", "metarun.summary",
    "metarun.layers", "metarun.losses", "metarun.metrics", "metarun.lookup", "metarun.data",
    "metarun.train.optimizer", "metarun.train.optimizers", "metarun.train.monitored_session",
    "metarun.train.input"]


def _child(script, **env):
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                         env=metarun_env(**env))
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_and_the_seed_restore_leave_the_rest_unimported():
    got = _child("""
import json, os, sys
deferred = %r
import metarun as tf
after_import = [m for m in deferred if m in sys.modules]
saver = tf.train.import_meta_graph(os.path.join(%r, "model_ex1.meta"))
sess = tf.Session()
saver.restore(sess, os.path.join(%r, "model_ex1"))
result = sess.run("v4:0", feed_dict={"v1:0": 12.0, "v2:0": 3.3})
print(json.dumps(dict(after_import=after_import, after_run=[m for m in deferred if m in sys.modules],
                      result=float(result))))
""" % (DEFERRED, SEED, SEED))
    assert got["after_import"] == []
    assert got["after_run"] == []
    with np.load(os.path.join(SEED, "arrays.npz")) as z:  # TensorFlow's output
        assert np.float32(got["result"]) == z["s1_out0"]


def test_eager_import_setting_imports_everything():
    got = _child("""
import json, sys
import metarun
print(json.dumps([m for m in %r if m in sys.modules]))
""" % DEFERRED, METARUN_EAGER_IMPORT="1")
    # tf.data was imported on first use before any of this, and still is
    assert got == [m for m in DEFERRED if m not in ("metarun.data",)]


# Every exported name resolves to its module's object; the registries the modules fill (shape
# functions, gradient functions, host kernels, Tensor operators) end the same whatever is
# touched first: all names in dir() order, in reverse, or a gradient lookup before any.
_REGISTRIES = """
import importlib, json, sys
import metarun as tf
from metarun import _lazy
order = sys.argv[1]
names = [n for n in dir(tf) if not n.startswith("_")]
if order == "reverse":
    names.reverse()
if order == "gradients":
    x = tf.placeholder(tf.float32, [2])
    assert tf.gradients(tf.reduce_sum(x * x), x)[0] is not None
    names = []
wrong = []
for n in names:
    getattr(tf, n)
for package, table in _lazy._exports:
    pkg = sys.modules[package]
    for n, (module, attr) in table.items():
        mod = importlib.import_module(module)
        want = mod if attr is None else getattr(mod, attr)
        if getattr(pkg, n) is not want:
            wrong.append(package + "." + n)
_lazy.load_all()
from metarun.framework import io_kernels, shape_inference
from metarun.framework.graph import Tensor
from metarun.framework.sparse_tensor import SparseTensor
from metarun.framework.variables import Variable
from metarun.ops import gradients_impl

def name(f):
    return None if f is None else "%s.%s" % (getattr(f, "__module__", "?"), getattr(f, "__qualname__", repr(f)))

methods = {c.__name__: {k: name(v) for k, v in vars(c).items() if callable(v)} for c in (Tensor, Variable, SparseTensor)}
print(json.dumps(dict(
    wrong=wrong, missing=[n for n in dir(tf) if not hasattr(tf, n)],
    shapes={k: name(v) for k, v in shape_inference._FNS.items()},
    grads={k: name(v) for k, v in gradients_impl._GRADIENTS.items()},
    host=sorted(io_kernels._HOST_OPS), methods=methods,
    modules=sorted(m for m in sys.modules if m.startswith("metarun")))))
"""


def test_names_resolve_and_registries_do_not_depend_on_what_is_used_first():
    procs = {order: subprocess.Popen([sys.executable, "-c", _REGISTRIES, order], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=metarun_env())
             for order in ("dir", "reverse", "gradients")}
    runs = {}
    for order, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        runs[order] = json.loads(out.strip().splitlines()[-1])
    first = runs["dir"]
    assert first["wrong"] == [] and first["missing"] == []
    assert len(first["shapes"]) > 500 and len(first["grads"]) > 450  # all of them, not the first module's
    assert "PyFunc" in first["host"] and "metarun.ops.math_grad" in first["modules"]
    # no operator is left a stand-in once its module is imported
    assert not any(v.startswith("metarun._lazy") for c in first["methods"].values() for v in c.values())
    for order in ("reverse", "gradients"):
        for key in ("shapes", "grads", "host", "methods"):
            assert runs[order][key] == first[key], (order, key)


def test_namespaces_and_submodules_on_first_use():
    got = _child("""
import json, sys
import metarun as tf
from metarun import nn, image
import metarun.linalg as linalg
from metarun.train import AdamOptimizer, Saver
star = {}
exec("from metarun import *", star)
print(json.dumps(dict(
    nn=nn.__name__, image=image.__name__, linalg=linalg is tf.linalg, math=tf.math.__name__,
    logging=tf.logging.__name__, adam=AdamOptimizer.__module__, saver=Saver is tf.train.Saver,
    submodule=tf.ops.math_ops.__name__, train_sub=tf.train.optimizers.__name__,
    summary_proto=tf.Summary.__name__, proto=tf.GraphDef.__name__,
    star=sorted(k for k in ("nn", "add", "Session", "gradients", "image") if k in star),
    in_dir=all(n in dir(tf) for n in ("nn", "add", "Summary", "train") + tf.summary._PROTO_NAMES),
    data_before="metarun.data" in sys.modules, data=tf.data.__name__)))
""")
    assert got == dict(nn="metarun.nn", image="metarun.image", linalg=True, math="metarun.math",
                       logging="metarun.tf_logging", adam="metarun.train.optimizers", saver=True,
                       submodule="metarun.ops.math_ops", train_sub="metarun.train.optimizers",
                       summary_proto="Summary", proto="GraphDef",
                       star=["Session", "add", "gradients", "image", "nn"], in_dir=True, data_before=False,
                       data="metarun.data")


def test_operators_before_their_module_is_imported():
    """Tensor's and Variable's operators (math_ops) and SparseTensor's (sparse_ops) work on
    tensors of an imported graph before those modules are."""
    got = _child("""
import json, os, sys
import metarun as tf
saver = tf.train.import_meta_graph(os.path.join(%r, "model_ex1.meta"))
sess = tf.Session()
saver.restore(sess, os.path.join(%r, "model_ex1"))
g = tf.get_default_graph()
before = [m for m in ("metarun.ops.math_ops", "metarun.ops.sparse_ops") if m in sys.modules]
v1 = g.get_tensor_by_name("v1:0")
y = v1 * 2.0 - 1.0
(vx,) = tf.global_variables()
z = -(vx + 1.0)
sp = tf.SparseTensor(indices=[[0, 1]], values=[2.0], dense_shape=[2, 2]) * 3.0
out = sess.run([y, z, sp.values], {v1: 3.0})
print(json.dumps(dict(before=before, y=float(out[0]), z=float(out[1]), sp=out[2].tolist())))
""" % (SEED, SEED))
    assert got["before"] == []
    assert got["y"] == 3.0 * 2.0 - 1.0
    assert got["z"] == -(20.0 + 1.0)  # vx is 20 in the checkpoint (the seed document doubles 10)
    assert got["sp"] == [6.0]


def test_shape_functions_load_at_the_first_op_built():
    got = _child("""
import json, sys
import metarun as tf
before = "metarun.framework.shape_inference" in sys.modules or "metarun.ops" in sys.modules
a = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
m = tf.raw_ops.MatMul(a=a, b=tf.constant([[1.0] * 4] * 3))
bad = None
try:
    tf.raw_ops.MatMul(a=a, b=a)
except ValueError as e:
    bad = type(e).__name__
print(json.dumps(dict(before=before, shape=m.shape.as_list(), bad=bad)))
""")
    assert got == dict(before=False, shape=[2, 4], bad="ValueError")


@pytest.mark.parametrize("call", ['tf.RegisterGradient("MatMul")(lambda op, grad: grad)',
                                  'tf.NotDifferentiable("MatMul")'])
def test_a_users_registration_meets_metaruns_own(call):
    """As when `import metarun` imported every gradient function: MatMul's is already there."""
    got = _child("""
import json
import metarun as tf
try:
    %s
    print(json.dumps(None))
except KeyError as e:
    print(json.dumps(str(e)))
""" % call)
    assert got is not None and "MatMul" in got


def test_py_func_of_a_graph_file_fails_in_a_fresh_process(tmp_path):
    """A PyFunc node names a function registered in the process that built it; in another the
    host kernel (imported on first use) reports it missing, as TF does."""
    meta = str(tmp_path / "pyfunc.meta")
    _child("""
import json
import numpy as np
import metarun as tf
y = tf.py_func(lambda: np.float32(1.0), [], tf.float32, name="f")
tf.train.export_meta_graph(%r)
print(json.dumps(y.name))
""" % meta)
    got = _child("""
import json
import metarun as tf
tf.train.import_meta_graph(%r)
try:
    tf.Session().run("f:0")
    print(json.dumps(None))
except tf.errors.UnknownError as e:
    print(json.dumps(e.message))
""" % meta)
    assert got is not None and "Trying to call a function that was not registered" in got
