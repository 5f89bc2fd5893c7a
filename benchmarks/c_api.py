"""The C API's cost next to Python's: the same model, the same feeds, per-call time of MR_Run from a
C program (benchmarks/c_api/bench.c) and of Session.run from Python, measured alternately in one run,
and the time from a fresh process to a loaded model in each.

    python benchmarks/c_api.py [--rounds N] [--round-seconds S]

Needs the installed metarun with its C API (README, "C and C++"), CMake and a C compiler.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "models")
CASES = [("mlp.b1", "mlp.meta", "x:0", "probs:0", (1, 784)),
         ("mlp.b256", "mlp.meta", "x:0", "probs:0", (256, 784))]

PY_LOAD = """
import time
t0 = time.perf_counter()
import metarun as tf
saver = tf.train.import_meta_graph(%r)
sess = tf.Session()
sess.run(tf.global_variables_initializer())
print(time.perf_counter() - t0)
"""


def _pattern(shape):
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    return (((i * 7919) % 1000).astype(np.float32) / np.float32(1000.0) - np.float32(0.5)).reshape(shape)


def _python_rounds(meta, feed, fetch, shape, rounds, round_seconds):
    import metarun as tf
    from timing import Timing
    with tf.Graph().as_default():
        tf.train.import_meta_graph(meta)
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        feeds = {feed: _pattern(shape)}
        r = Timing(rounds, round_seconds, 0.5).measure(lambda: sess.run(fetch, feeds))
        sess.close()
    return r


def _stats(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def _fmt(s):
    return "%.1f us (%.1f-%.1f)" % (s["median"] * 1e6, s["min"] * 1e6, s["max"] * 1e6)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--round-seconds", type=float, default=0.4)
    p.add_argument("--repeats", type=int, default=3, help="alternations of C and Python per case")
    args = p.parse_args()
    cmake_dir = subprocess.run([sys.executable, "-m", "metarun", "--cmake-dir"], check=True,
                               capture_output=True, text=True).stdout.strip()
    build = tempfile.mkdtemp(prefix="metarun-c-bench-")
    try:
        gen = ["-G", "Ninja"] if shutil.which("ninja") else []
        subprocess.run(["cmake", "-S", os.path.join(HERE, "c_api"), "-B", build, "-Dmetarun_DIR=" + cmake_dir] + gen,
                       check=True, capture_output=True)
        subprocess.run(["cmake", "--build", build], check=True, capture_output=True)
        print("load average at the start: %.2f %.2f %.2f" % os.getloadavg())
        print("%-10s %-26s %-26s %s" % ("case", "C API (MR_Run)", "Python (Session.run)", "C / Python"))
        c_loads, py_loads = [], []
        for name, model, feed, fetch, shape in CASES:
            meta = os.path.join(MODELS, model)
            c_samples, py_samples = [], []
            for _ in range(args.repeats):
                out = subprocess.run([os.path.join(build, "bench"), meta, feed, fetch, str(args.rounds),
                                      str(args.round_seconds)] + [str(d) for d in shape],
                                     check=True, capture_output=True, text=True).stdout.split("\n")
                c_loads.append(float(out[0].split()[1]))
                c_samples += [float(line.split()[1]) for line in out[1:] if line.startswith("round")]
                r = _python_rounds(meta, feed, fetch, shape, args.rounds, args.round_seconds)
                py_samples.append(r["median"])
            c, py = _stats(c_samples), _stats(py_samples)
            print("%-10s %-26s %-26s %.2f" % (name, _fmt(c), _fmt(py), c["median"] / py["median"]))
        for _ in range(3):
            t = time.perf_counter()
            py_loads.append(float(subprocess.run([sys.executable, "-c", PY_LOAD % os.path.join(MODELS, "mlp.meta")],
                                                 check=True, capture_output=True, text=True).stdout))
        print("first call to a loaded mlp: C API %.0f ms (interpreter start, import, load; median of %d), "
              "Python %.0f ms (import metarun, load; median of %d)"
              % (statistics.median(c_loads) * 1e3, len(c_loads), statistics.median(py_loads) * 1e3, len(py_loads)))
    finally:
        shutil.rmtree(build, ignore_errors=True)


if __name__ == "__main__":
    main()
