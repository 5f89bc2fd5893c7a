"""Dense float32 ApplyAdam / ResourceApplyAdam on every SIMD path
(METARUN_CPU=generic|avx2|avx512, read once per process, so each path runs
in its own process), on tensors large enough to be split across the pool and
with every remainder of the vector loops: the variables after each step must
be TF's bits (SHA-256 digests in adam_large.json, written by
gen_adam_large.py with real TF) on one thread and on two. A float32 numpy
step (the same rounded operations in the same order) is checked too, so a
failure shows where the values differ."""
import hashlib
import json
import os
import subprocess
import sys

import pytest

from op_harness import kernel_fixture
from subproc import metarun_env

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)

with open(kernel_fixture("adam_large.json")) as f:
    FIXTURE = json.load(f)
CASES = ["%d:%s:%s" % (c["seed"], "x".join(map(str, c["shape"])) or "scalar", c["use_nesterov"])
         for c in FIXTURE["cases"]]

SCRIPT = r"""
import hashlib, json, sys
import numpy as np
sys.path.insert(0, %(tests)r)
sys.path.insert(0, %(fixtures)r)
from gen_adam_large import inputs
from op_harness import VarGraph, kernel_fixture

fix = json.load(open(kernel_fixture("adam_large.json")))
sc = fix["scalars"]
names = "var m v beta1_power beta2_power lr beta1 beta2 epsilon grad".split()


def digest(a):
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f4").tobytes()).hexdigest()


def numpy_steps(var, m, v, grads, nesterov):
    f = np.float32
    alpha = f(sc["lr"]) * np.sqrt(f(1) - f(sc["beta2_power"])) / (f(1) - f(sc["beta1_power"]))
    b1, omb1, omb2, eps = f(sc["beta1"]), f(1) - f(sc["beta1"]), f(1) - f(sc["beta2"]), f(sc["epsilon"])
    var, m, v = var.copy(), m.copy(), v.copy()
    out = []
    for g in grads:
        m = m + (g - m) * omb1
        v = v + (g * g - v) * omb2
        num = (g * omb1 + b1 * m) * alpha if nesterov else m * alpha
        var = var - num / (np.sqrt(v) + eps)
        out.append([digest(x) for x in (var, m, v)])
    return out


res = {}
for case in fix["cases"]:
    var, m, v, grads = inputs(case["seed"], case["shape"])
    key = "%%d:%%s:%%s" %% (case["seed"], "x".join(map(str, case["shape"])) or "scalar", case["use_nesterov"])
    got = {}
    for resource in (False, True):
        for threads in (1, 2):
            g = VarGraph("ApplyAdam", names[:3], [(n, "float32") for n in names[3:]],
                         {"use_locking": False, "use_nesterov": case["use_nesterov"]}, "float32", resource,
                         num_threads=threads)
            g.init([var, m, v])
            steps = []
            for grad in grads:
                g.step([np.float32(sc[n]) for n in names[3:-1]] + [grad])
                steps.append([digest(x) for x in g.read()])
            got["%%s/%%d" %% ("resource" if resource else "ref", threads)] = steps
    res[key] = {"got": got, "numpy": numpy_steps(var, m, v, grads, case["use_nesterov"])}
print(json.dumps(res))
"""


@pytest.fixture(scope="module", params=["generic", "avx2", "avx512"])
def path_results(request):
    env = metarun_env(METARUN_CPU=request.param)
    p = subprocess.run([sys.executable, "-c", SCRIPT % {"tests": TESTS, "fixtures": os.path.dirname(
        kernel_fixture("adam_large.json"))}], env=env, capture_output=True, timeout=300)
    assert p.returncode == 0, p.stderr.decode()
    return request.param, json.loads(p.stdout)


@pytest.mark.parametrize("case", CASES)
def test_adam_f32_matches_tf(path_results, case):
    level, results = path_results
    want = FIXTURE["cases"][CASES.index(case)]["digests"]
    r = results[case]
    assert r["numpy"] == want, "the numpy reference itself differs from TF: %s" % case
    for form, steps in sorted(r["got"].items()):
        assert steps == want, (level, case, form)
