"""Child Pythons in tests: the environment that imports the metarun under test (its package root
first on PYTHONPATH, whether the tests run on an installed package or on the checkout's python/),
and a script's outputs under several environment settings (the SIMD levels), side by side."""
import json
import os
import subprocess
import sys

import numpy as np

import metarun


def metarun_env(**extra):
    """os.environ plus `extra`, with the tested metarun's root first on PYTHONPATH."""
    env = dict(os.environ, **extra)
    root = os.path.dirname(os.path.dirname(os.path.abspath(metarun.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


# The SIMD levels cpu_features.h can be capped to, as METARUN_CPU settings.
SIMD_SETTINGS = {"generic": {"METARUN_CPU": "generic"}, "avx2": {"METARUN_CPU": "avx2"},
                 "avx512": {"METARUN_CPU": "avx512"}}


def outputs_per_setting(settings, script, cases, tmp, cwd=None):
    """Runs `script` (which gets the JSON of `cases` and an output path as its arguments and saves
    arrays 'c0', 'c1'... there) once per setting, the processes side by side, each with that
    setting's environment variables; returns {setting: [array per case]}."""
    procs = {}
    for name, extra in settings.items():
        path = str(tmp / (name + ".npz"))
        args = [sys.executable, "-c", script, json.dumps(cases), path]
        procs[name] = (subprocess.Popen(args, env=metarun_env(**extra), cwd=cwd), path)
    out = {}
    for name, (proc, path) in procs.items():
        assert proc.wait(timeout=300) == 0, name
        with np.load(path) as z:
            out[name] = [z["c%d" % k] for k in range(len(cases))]
    return out


def assert_simd_levels_agree(runs):
    """Every case's output is the same bits on the generic, AVX2 and AVX-512 paths."""
    for a, b, c in zip(runs["generic"], runs["avx2"], runs["avx512"]):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
