"""The intra-op pool under contention: products split across the pool (the few-row kernel, the
column and the row split of the packed one) and an elementwise kernel, run many times in sessions
of 1, 2 and 4 threads while other processes keep every core busy, with the pool's workers spinning
for work (the default) and sleeping at once (METARUN_POOL_SPIN_US=0). Units are claimed by whichever
thread is free, so which thread computes what changes from run to run; the results must not."""
import os
import subprocess
import sys

import numpy as np
from subproc import metarun_env

HERE = os.path.dirname(os.path.abspath(__file__))

SCRIPT = r"""
import sys
import numpy as np
sys.path.insert(0, %(tests)r)
from metarun import _core
from metarun.framework import dtypes
from op_harness import add_node, add_placeholder
F = dtypes.float32
rng = np.random.RandomState(3)
g = _core.Graph()
fetches, feeds, vals = [], [], []
for i, (m, k, n) in enumerate([(1, 784, 512), (32, 192, 512), (256, 300, 200), (5, 100, 1000)]):
    px, pw = add_placeholder(g, "x%%d" %% i, "float32"), add_placeholder(g, "w%%d" %% i, "float32")
    mm = add_node(g, "mm%%d" %% i, "MatMul", [px, pw], T=F, transpose_a=False, transpose_b=False)
    fetches.append((add_node(g, "t%%d" %% i, "Tanh", [mm], T=F), 0))
    feeds += [(px, 0), (pw, 0)]
    vals += [(rng.randn(m, k).astype(np.float32), 1), (rng.randn(k, n).astype(np.float32), 1)]
out = {}
for threads in (1, 2, 4):
    s = _core.Session(g, threads)
    runs = [s.run(feeds, vals, fetches, []) for _ in range(15)]
    out["t%%d" %% threads] = runs[0]
    out["same%%d" %% threads] = all(all(np.array_equal(a, b) for a, b in zip(r, runs[0])) for r in runs)
np.savez(sys.argv[1], same=all(out["same%%d" %% t] for t in (1, 2, 4)),
         **{"r%%d_%%d" %% (t, j): a for t in (1, 2, 4) for j, a in enumerate(out["t%%d" %% t])})
"""

HOG = "import time\nend = time.time() + 120\nwhile time.time() < end: pass\n"


def test_pool_results_do_not_depend_on_timing(tmp_path):
    hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(os.cpu_count() or 1)]
    try:
        procs = {}
        for spin in ("default", "0"):
            env = metarun_env() if spin == "default" else metarun_env(METARUN_POOL_SPIN_US=spin)
            path = str(tmp_path / ("spin_%s.npz" % spin))
            procs[spin] = (subprocess.Popen([sys.executable, "-c", SCRIPT % {"tests": HERE}, path], env=env), path)
        results = {}
        for spin, (proc, path) in procs.items():
            assert proc.wait(timeout=300) == 0, spin
            with np.load(path) as z:
                results[spin] = {k: z[k] for k in z.files}
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    one_thread = [results["default"]["r1_%d" % j] for j in range(4)]
    for spin, r in results.items():
        assert bool(r["same"]), spin  # every run of a session gave its first run's bits
        for t in (1, 2, 4):
            for j in range(4):
                np.testing.assert_array_equal(r["r%d_%d" % (t, j)], one_thread[j], err_msg="%s %d" % (spin, t))
