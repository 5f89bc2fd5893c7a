"""Fresh-process cases: each sample is a new interpreter, metarun and TensorFlow alternating.

    python benchmarks/fresh.py [--quick] [--only seed|restore] [--repeat N] [--tf-python PATH]
                               [--no-tf] [--cache DIR] [--json PATH]

Cases:
- `seed.fresh`: the seed document's restoring half as a script run by `python -c`: import the
  engine, `import_meta_graph("model_ex1.meta")`, `Session()`, `saver.restore`, run `v4:0` with
  {v1: 12.0, v2: 3.3} once, print it. Timed from starting the interpreter to the printed result
  (the parent's clock, interpreter start-up included); the child also reports its own phases.
- `restore.400mb`: a graph of RESTORE_VARS float32 variables of RESTORE_SHAPE (400 MiB in all) and
  its checkpoint, made by TensorFlow. In a fresh process, after importing the engine and the
  graph and opening the session (untimed), `saver.restore` is timed alone, and the process's
  resident memory (VmRSS) is read before and after it; the table gives the growth over the
  checkpoint's data bytes, and the peak (VmHWM) growth. The run that follows checks the sum of
  every variable against TensorFlow's.

The models and checkpoints are written once by TensorFlow (this script with `--make` under
`--tf-python`) into `--cache` (default: <tmp>/metarun-bench-fresh), reused while their files
exist, and never committed. TensorFlow runs as `tensorflow.compat.v1` with v2 behaviour off (the
seed document's graph mode). The first sample of each engine is a warm-up (file cache, .pyc);
then `--repeat` samples each (7; 3 with --quick), alternating; min / median / max over them.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT_PYTHON = os.path.join(os.path.dirname(HERE), "python")
SEED_META = os.path.join(HERE, "models", "seed.meta")
RESTORE_VARS = 100
RESTORE_SHAPE = (1024, 1024)
NOISE_NOTE = "2-core shared machine: compare medians, re-run before trusting a small difference."

_TF_IMPORT = ("import os\nos.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')\n"
              "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n")
_MR_IMPORT = "import metarun as tf\n"

# The seed document's restoring half, as a user runs it; the prints are the result.
SEED_SCRIPT = """
import time
t0 = time.perf_counter()
{imp}t1 = time.perf_counter()
saver = tf.train.import_meta_graph({meta!r})
sess = tf.Session()
saver.restore(sess, {ckpt!r})
result = sess.run("v4:0", feed_dict={{"v1:0": 12.0, "v2:0": 3.3}})
print(result)
t2 = time.perf_counter()
print("PHASES", t1 - t0, t2 - t1, flush=True)
"""

RESTORE_SCRIPT = """
import time, json
def _status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
{imp}import numpy as np
saver = tf.train.import_meta_graph({meta!r})
sess = tf.Session()
rss0, hwm0 = _status("VmRSS"), _status("VmHWM")
t0 = time.perf_counter()
saver.restore(sess, {ckpt!r})
t1 = time.perf_counter()
rss1, hwm1 = _status("VmRSS"), _status("VmHWM")
total = float(sess.run("total:0"))
print("RESULT", json.dumps(dict(restore=t1 - t0, rss_growth=rss1 - rss0,
                                peak_growth=hwm1 - rss0, total=total)), flush=True)
"""


def make_models(out_dir):
    """(TensorFlow) the seed checkpoint and the 400 MiB model with its checkpoint."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    os.makedirs(out_dir, exist_ok=True)
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(SEED_META)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            vx = tf.get_default_graph().get_tensor_by_name("vx:0")
            sess.run(tf.assign(vx, vx + vx))  # as the seed document does
            saver.save(sess, os.path.join(out_dir, "model_ex1"))  # writes model_ex1.meta too
    rng = np.random.default_rng(7)
    with tf.Graph().as_default():
        init = tf.placeholder(tf.float32, RESTORE_SHAPE, name="init")
        sums = []
        for i in range(RESTORE_VARS):
            v = tf.Variable(init, name="w%d" % i)
            sums.append(tf.reduce_sum(tf.cast(v, tf.float64)))
        tf.add_n(sums, name="total")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            for v in tf.global_variables():
                sess.run(v.initializer, {init: rng.standard_normal(RESTORE_SHAPE).astype(np.float32)})
            saver.save(sess, os.path.join(out_dir, "restore"))


def _have_models(cache):
    names = ["model_ex1.meta", "model_ex1.index", "restore.meta", "restore.index",
             "restore.data-00000-of-00001"]
    return all(os.path.exists(os.path.join(cache, n)) for n in names)


def _child(python, script, env_extra):
    env = dict(os.environ)
    env.update(env_extra)
    start = time.perf_counter()
    proc = subprocess.Popen([python, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=True)
    lines = []
    first = None
    for line in proc.stdout:
        if first is None:
            first = time.perf_counter() - start  # the first printed line is the result
        lines.append(line.rstrip("\n"))
    err = proc.stderr.read()
    if proc.wait() != 0:
        raise RuntimeError("child failed (%s):\n%s" % (python, err[-2000:]))
    return first, lines


def _engine_env(engine):
    if engine == "metarun":
        path = os.environ.get("PYTHONPATH", "")
        return {"PYTHONPATH": CHECKOUT_PYTHON + (os.pathsep + path if path else "")}
    return {}


def run_seed(engine, python, cache):
    script = SEED_SCRIPT.format(imp=_MR_IMPORT if engine == "metarun" else _TF_IMPORT,
                                meta=os.path.join(cache, "model_ex1.meta"),
                                ckpt=os.path.join(cache, "model_ex1"))
    first, lines = _child(python, script, _engine_env(engine))
    phases = next(l for l in lines if l.startswith("PHASES")).split()[1:]
    return dict(total=first, import_engine=float(phases[0]), rest=float(phases[1]),
                result=float(lines[0]))


def run_restore(engine, python, cache):
    script = RESTORE_SCRIPT.format(imp=_MR_IMPORT if engine == "metarun" else _TF_IMPORT,
                                   meta=os.path.join(cache, "restore.meta"),
                                   ckpt=os.path.join(cache, "restore"))
    _, lines = _child(python, script, _engine_env(engine))
    return json.loads(next(l for l in lines if l.startswith("RESULT"))[len("RESULT "):])


def _fmt_time(s):
    return "%.0f ms" % (s * 1e3) if s >= 0.01 else "%.2f ms" % (s * 1e3)


def _stats(values):
    return min(values), statistics.median(values), max(values)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", action="append", default=[], choices=["seed", "restore"])
    p.add_argument("--repeat", type=int, default=0)
    p.add_argument("--tf-python", default=None)
    p.add_argument("--no-tf", action="store_true")
    p.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "metarun-bench-fresh"))
    p.add_argument("--json")
    p.add_argument("--make", metavar="DIR", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.make:
        make_models(args.make)
        return 0
    tf_python = args.tf_python
    if tf_python is None and not args.no_tf:
        try:
            import tensorflow  # noqa: F401
            tf_python = sys.executable
        except ImportError:
            tf_python = None
    if args.no_tf:
        tf_python = None
    if not _have_models(args.cache):
        if tf_python is None:
            print("the models need TensorFlow (--tf-python) to be made once into %s" % args.cache)
            return 1
        print("making the models into %s ..." % args.cache, flush=True)
        subprocess.run([tf_python, os.path.abspath(__file__), "--make", args.cache], check=True)
    engines = [("metarun", sys.executable)] + ([("tensorflow", tf_python)] if tf_python else [])
    repeat = args.repeat or (3 if args.quick else 7)
    cases = args.only or ["seed", "restore"]
    ckpt_bytes = os.path.getsize(os.path.join(args.cache, "restore.data-00000-of-00001"))
    print("load average at start: %.2f %.2f %.2f" % os.getloadavg())
    out = {}
    for case in cases:
        run = run_seed if case == "seed" else run_restore
        samples = {name: [] for name, _ in engines}
        for name, python in engines:
            run(name, python, args.cache)  # warm-up
        for _ in range(repeat):
            for name, python in engines:
                samples[name].append(run(name, python, args.cache))
        out[case] = samples
        _print_case(case, samples, ckpt_bytes)
    print("load average at end: %.2f %.2f %.2f" % os.getloadavg())
    print(NOISE_NOTE)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(results=out, checkpoint_bytes=ckpt_bytes, load=os.getloadavg()), f, indent=1)
    return 0


def _print_case(case, samples, ckpt_bytes):
    key = "total" if case == "seed" else "restore"
    label = "seed.fresh" if case == "seed" else "restore.400mb"
    med = {}
    for name, runs in samples.items():
        lo, mid, hi = _stats([r[key] for r in runs])
        med[name] = mid
        extra = ""
        if case == "seed":
            extra = "import %s, rest %s, result %s" % (
                _fmt_time(statistics.median(r["import_engine"] for r in runs)),
                _fmt_time(statistics.median(r["rest"] for r in runs)), runs[0]["result"])
        else:
            extra = "RSS growth %.3fx, peak %.3fx of %d bytes, sum %.6g" % (
                statistics.median(r["rss_growth"] for r in runs) / ckpt_bytes,
                statistics.median(r["peak_growth"] for r in runs) / ckpt_bytes, ckpt_bytes,
                runs[0]["total"])
        print("%-14s %-11s %10s %10s %10s   %s" % (label, name, _fmt_time(lo), _fmt_time(mid),
                                                 _fmt_time(hi), extra))
    if "tensorflow" in med:
        print("%-14s metarun/TF median ratio %.3fx" % ("", med["metarun"] / med["tensorflow"]))
    checked = "result" if case == "seed" else "total"
    values = {name: runs[0][checked] for name, runs in samples.items()}
    first = next(iter(values.values()))
    if any(abs(v - first) > 1e-6 * max(1.0, abs(first)) for v in values.values()):
        print("MISMATCH: %r" % values)


if __name__ == "__main__":
    sys.exit(main())
