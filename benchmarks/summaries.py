"""Summary-writing throughput: metarun and TensorFlow side by side, events written per second.

    python benchmarks/summaries.py [--quick] [--repeat N] [--steps N] [--tf-python PATH] [--no-tf]
                                   [--json PATH]

Each timed call is one training step of a TF1 loop that writes summaries every step: the graph
has a 1000-element weight vector `w`, a [1, 32, 32, 3] float32 image variable and a loss; the
summaries are `scalar("loss")`, `histogram("w", w)` (1000 values) and `image("img", img)` (one
32x32x3 PNG), merged by `merge_all()`. A step is

    summary, _ = sess.run([merged, train_op])     # train_op: GradientDescent on w, step += 1
    writer.add_summary(summary, step)             # a tf.summary.FileWriter (max_queue 10, flush_secs 120)

and the writer is flushed at the end of each round, inside the timed time. Both engines start from
the same initial values, and the first step's serialized summary must be the same bytes in both
(checked before timing); after timing, every event must be in the file.

TensorFlow runs in a subprocess (this script with `--engine tensorflow`) under `--tf-python`
(default: this interpreter when it can import tensorflow, else none), so it needs none of
metarun's packages; without it only metarun is measured. Timing: warm-up, then 7 rounds (5 with
--quick) of `--steps` steps (200; 50 with --quick); one sample per round = round time / steps.
The engines run alternately `--repeat` times (3; 1 with --quick), each time in a fresh process
for TensorFlow and a fresh graph and session for metarun; the table gives per step the fastest
round of all, the median of the runs' medians and the slowest round, and events/s = 1 / that
median.
"""

import argparse
import datetime
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

NOISE_NOTE = "2-core shared machine: compare medians, re-run before trusting a small difference."


def _import_engine(name):
    if name == "tensorflow":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow.compat.v1 as v1
        v1.disable_v2_behavior()
        v1.logging.set_verbosity(v1.logging.ERROR)
        return v1
    try:
        import metarun
    except ImportError:  # a checkout without PYTHONPATH: use its python/
        sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))
        import metarun
    return metarun


def _initial_values():
    import numpy as np
    rng = np.random.RandomState(0)
    return (rng.normal(0, 1, 1000).astype(np.float32), rng.normal(0, 1, (1, 32, 32, 3)).astype(np.float32),
            rng.normal(0, 1, 1000).astype(np.float32))


def run_engine(name, steps, rounds, logdir):
    """One engine's numbers: the first summary's digest, per-step samples (s), events written."""
    tf = _import_engine(name)
    w0, img0, target = _initial_values()
    graph = tf.Graph()
    with graph.as_default():
        w = tf.Variable(w0, name="w")
        img = tf.Variable(img0, name="img")
        loss = tf.reduce_mean(tf.square(w - tf.constant(target)), name="loss")
        step = tf.train.get_or_create_global_step()
        tf.summary.scalar("loss", loss)
        tf.summary.histogram("w", w)
        tf.summary.image("img", img, max_outputs=1)
        merged = tf.summary.merge_all()
        with tf.control_dependencies([merged]):  # the summaries see the weights before the step
            train = tf.train.GradientDescentOptimizer(0.01).minimize(loss, global_step=step)
        init = tf.global_variables_initializer()
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        writer = tf.summary.FileWriter(logdir)
        first, _ = sess.run([merged, train])
        writer.add_summary(first, 0)
        written = 1
        fetches = [merged, train]

        def one_round(n):
            nonlocal written
            t0 = time.perf_counter()
            for _ in range(n):
                summary, _ = sess.run(fetches)
                written += 1
                writer.add_summary(summary, written)
            writer.flush()
            return (time.perf_counter() - t0) / n

        one_round(max(10, steps // 4))  # warm-up
        samples = [one_round(steps) for _ in range(rounds)]
        writer.close()
    name, = [f for f in os.listdir(logdir) if f.startswith("events.out.tfevents.")]
    from_file = sum(1 for _ in tf.train.summary_iterator(os.path.join(logdir, name))) - 1  # file_version
    return {"first_summary_sha256": hashlib.sha256(first).hexdigest(), "samples": samples,
            "events_added": written, "events_in_file": from_file}


def _tf_python(args):
    if args.no_tf:
        return None, "disabled by --no-tf"
    if args.tf_python:
        return args.tf_python, None
    try:
        import tensorflow  # noqa: F401
    except ImportError as e:
        return None, "not importable here (%s); pass --tf-python" % e
    return sys.executable, None


def _run_tensorflow(python, args):
    with tempfile.TemporaryDirectory(prefix="metarun-bench-sum-tf-") as logdir:
        cmd = [python, os.path.abspath(__file__), "--engine", "tensorflow", "--steps", str(args.steps),
               "--rounds", str(args.rounds), "--logdir", logdir]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            return {"status": "error: " + (done.stderr.strip().splitlines() or ["exit %d" % done.returncode])[-1]}
        return json.loads(done.stdout.strip().splitlines()[-1])


def _combine(runs):
    """One engine's runs as one row: the first failure, else every run's samples and checks."""
    failed = [r for r in runs if "samples" not in r]
    if failed:
        return failed[0]
    return {"first_summary_sha256": runs[0]["first_summary_sha256"],
            "same_first_summary_each_run": len({r["first_summary_sha256"] for r in runs}) == 1,
            "samples": [r["samples"] for r in runs], "run_medians": [statistics.median(r["samples"]) for r in runs],
            "events_added": sum(r["events_added"] for r in runs), "events_in_file": sum(r["events_in_file"] for r in runs)}


def _stats(res):
    every = [x for run in res["samples"] for x in run]
    return {"min": min(every), "median": statistics.median(res["run_medians"]), "max": max(every)}


def _fmt(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return "%.3g %s" % (seconds / scale, unit)
    return "%.3g ns" % (seconds / 1e-9)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="5 rounds of 50 steps")
    p.add_argument("--steps", type=int, default=None, help="steps per round (default 200, 50 with --quick)")
    p.add_argument("--rounds", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--repeat", type=int, default=None, help="runs of each engine, alternating (default 3, 1 with --quick)")
    p.add_argument("--tf-python", help="a Python that imports tensorflow, to run TensorFlow's side")
    p.add_argument("--no-tf", action="store_true", help="run metarun alone")
    p.add_argument("--json", help="write all numbers to this file")
    p.add_argument("--engine", choices=["tensorflow"], help=argparse.SUPPRESS)  # the subprocess's side
    p.add_argument("--logdir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.steps = args.steps or (50 if args.quick else 200)
    args.rounds = args.rounds or (5 if args.quick else 7)
    args.repeat = args.repeat or (1 if args.quick else 3)
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.engine:
        print(json.dumps(run_engine(args.engine, args.steps, args.rounds, args.logdir)))
        return
    load = os.getloadavg()
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    print("metarun summary-writing benchmark -- %s" % when)
    print("machine: %d cores, load average %.2f %.2f %.2f. %s" % ((os.cpu_count(),) + load + (NOISE_NOTE,)))
    python, missing_tf = _tf_python(args)
    if missing_tf:
        print("tensorflow: %s" % missing_tf)
    print("%d runs per engine of %d rounds of %d steps; each step fetches a merged scalar + histogram(1000) + image(32x32x3) summary "
          "with a train op and adds it to a FileWriter\n" % (args.repeat, args.rounds, args.steps))
    runs = {"metarun": [], "tensorflow": []}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="metarun-bench-sum-") as logdir:
            runs["metarun"].append(run_engine("metarun", args.steps, args.rounds, logdir))
        if python:
            runs["tensorflow"].append(_run_tensorflow(python, args))
    results = {name: _combine(got) for name, got in runs.items() if got}
    columns = "%-11s %10s %10s %10s %12s %8s  %s"
    print(columns % ("engine", "min", "median", "max", "events/s", "mr/tf", "check"))
    print("-" * 80)
    ref = results.get("tensorflow", {}).get("first_summary_sha256")
    tf_median = _stats(results["tensorflow"])["median"] if "samples" in results.get("tensorflow", {}) else None
    for name, res in results.items():
        if "samples" not in res:
            print(columns % (name, "", "", "", "", "", res["status"]))
            continue
        st = _stats(res)
        res.update(st)
        checks = []
        if name == "metarun" and ref:
            checks.append("first summary %s TF's" % ("==" if res["first_summary_sha256"] == ref else "!= (MISMATCH)"))
        if not res["same_first_summary_each_run"]:
            checks.append("first summary DIFFERS between runs")
        if res["events_in_file"] != res["events_added"]:
            checks.append("LOST EVENTS: %d of %d in the file" % (res["events_in_file"], res["events_added"]))
        else:
            checks.append("all %d events in the file" % res["events_added"])
        checks.append("run medians " + ", ".join(_fmt(m) for m in res["run_medians"]))
        ratio = "%.2fx" % (st["median"] / tf_median) if name == "metarun" and tf_median else ""
        print(columns % (name, _fmt(st["min"]), _fmt(st["median"]), _fmt(st["max"]), "%.4g" % (1 / st["median"]),
                         ratio, "; ".join(checks)))
    end = os.getloadavg()
    print("\nload average at the end: %.2f %.2f %.2f. Times are per step (run + add_summary, the round's "
          "flush included): min and max over every round, median = the median of the runs' medians; "
          "events/s = 1 / median; mr/tf = metarun median / TensorFlow median." % end)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"when": when, "loadavg_start": load, "loadavg_end": end, "tensorflow_missing": missing_tf,
                       "steps": args.steps, "rounds": args.rounds, "repeat": args.repeat, "engines": results},
                      f, indent=1)
        print("wrote %s" % args.json)


if __name__ == "__main__":
    main()
