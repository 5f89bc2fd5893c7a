"""Control flow v2 and tf.data benchmarks: metarun and TensorFlow side by side on the same graphs.

    python benchmarks/functions.py [--quick] [--only NAME] [--threads N] [--json PATH]
                                   [--graphs DIR] [--no-tf]

The graphs are what `tf.compat.v1` code writes with only `disable_eager_execution()` (v2 control
flow: `StatelessWhile`; tf.data iterators in the graph). They are built by TensorFlow at the start
of the run into a temp dir, or into/from `--graphs DIR`: with TensorFlow missing (or `--no-tf`),
metarun runs alone on the graphs of a DIR written by an earlier run that had TensorFlow.

Cases (one timed call, reported per unit):
- `while_v2.iter`: `tf.while_loop` over (i, x[16], acc): `x = x * a + b`, `acc += sum(x)`, `i + 1`,
  n = 10,000 iterations (2,000 with --quick); one run, per iteration. Target: <= 0.5x TensorFlow.
- `data.slices_map_batch`: from_tensor_slices of a fed [100000, 16] float32 -> map (x * 2 + 1,
  sum(x)) -> batch(128); an epoch = the initializer then get_next until OutOfRangeError, per
  batch (batches/s = 1 / median). Target: >= 1.0x TensorFlow's rate, i.e. <= 1.0x its time.
- `data.range_parallel_map`: range(100000) -> map(num_parallel_calls=2) -> batch(256) ->
  prefetch(2), same timing.
- `data.tfrecord_map_batch`: 100,000 TFRecord records of 16 float32 each, written by
  tf.io.TFRecordWriter -> map(decode_raw, * 0.5) -> batch(128), same timing.

Before timing, each engine's outputs are compared with TensorFlow's (the loop's results; the
epoch's batch count and sums of its batches). Timing is benchmarks/timing.py's (warm-up, then
rounds; min / median / max over rounds); the header prints the machine's load.
"""

import argparse
import datetime
import json
import os
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    import metarun
except ImportError:  # a checkout without PYTHONPATH: use its python/
    sys.path.insert(1, os.path.join(os.path.dirname(HERE), "python"))
    import metarun

import numpy as np

import timing

NOISE_NOTE = ("2-core shared machine: compare medians, re-run before trusting a small difference.")
NOISY_SPREAD = 1.5

RECORDS = 100000
WIDTH = 16
LOOP_COUNT = 10000


# --------------------------------------------------------------------------------------------
# Graphs (TensorFlow only)
# --------------------------------------------------------------------------------------------

TF = None  # the tensorflow module once loaded (the dataset functions below use it)


def _load_tf():
    global TF
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    TF = tf
    v1 = tf.compat.v1
    v1.disable_eager_execution()  # and nothing else: v2 control flow, resource variables
    v1.logging.set_verbosity(v1.logging.ERROR)
    return v1


def _export(v1, graph, path):
    v1.train.export_meta_graph(filename=path, graph=graph)


def build_while(v1, path):
    graph = v1.Graph()
    with graph.as_default():
        n = v1.placeholder(v1.int32, [], name="n")
        a = v1.constant(np.linspace(0.9, 0.99, WIDTH).astype(np.float32), name="a")
        b = v1.constant(np.linspace(-0.01, 0.01, WIDTH).astype(np.float32), name="b")

        def body(i, x, acc):
            x = x * a + b
            return i + 1, x, acc + v1.reduce_sum(x)

        _, x, acc = v1.while_loop(lambda i, x, acc: i < n, body,
                                  [v1.constant(0), v1.ones([WIDTH], v1.float32), v1.constant(0.0)],
                                  name="loop")
        v1.identity(x, name="x_out")
        v1.identity(acc, name="acc_out")
        types = set(op.type for op in graph.get_operations())
        assert "StatelessWhile" in types or "While" in types, sorted(types)
    _export(v1, graph, path)


def _map_affine(x):
    return x * 2.0 + 1.0, TF.reduce_sum(x)


def build_slices(v1, path):
    graph = v1.Graph()
    with graph.as_default():
        data = v1.placeholder(v1.float32, [None, WIDTH], name="data")
        ds = v1.data.Dataset.from_tensor_slices(data).map(_map_affine).batch(128)
        it = v1.data.make_initializable_iterator(ds)
        v1.add_to_collection("init", it.initializer)
        a, s = it.get_next()
        v1.identity(a, name="next_a")
        v1.identity(s, name="next_s")
    _export(v1, graph, path)


def _map_range(i):
    x = TF.cast(i, TF.float32)
    return x * 0.5 + 1.0, i % 7


def build_range(v1, path):
    graph = v1.Graph()
    with graph.as_default():
        count = v1.placeholder(v1.int64, [], name="count")
        ds = v1.data.Dataset.range(count).map(_map_range, num_parallel_calls=2).batch(256).prefetch(2)
        it = v1.data.make_initializable_iterator(ds)
        v1.add_to_collection("init", it.initializer)
        a, s = it.get_next()
        v1.identity(a, name="next_a")
        v1.identity(s, name="next_s")
    _export(v1, graph, path)


def _map_decode(record):
    x = TF.io.decode_raw(record, TF.float32)
    return x * 0.5, TF.reduce_sum(x)


def build_tfrecord(v1, path):
    graph = v1.Graph()
    with graph.as_default():
        filename = v1.placeholder(v1.string, [], name="filename")
        ds = v1.data.TFRecordDataset(filename).map(_map_decode).batch(128)
        it = v1.data.make_initializable_iterator(ds)
        v1.add_to_collection("init", it.initializer)
        a, s = it.get_next()
        v1.identity(a, name="next_a")
        v1.identity(s, name="next_s")
    _export(v1, graph, path)
    records = os.path.join(os.path.dirname(path), "records.tfrecord")
    rows = np.random.default_rng(5).standard_normal((RECORDS, WIDTH)).astype(np.float32)
    with v1.io.TFRecordWriter(records) as writer:
        for row in rows:
            writer.write(row.tobytes())


BUILDERS = {"while": build_while, "slices": build_slices, "range": build_range, "tfrecord": build_tfrecord}


def ensure_graphs(graph_dir, v1):
    """Build the graphs that `graph_dir` lacks (needs TensorFlow); return the missing ones."""
    missing = []
    for name, build in BUILDERS.items():
        path = os.path.join(graph_dir, name + ".meta")
        if os.path.exists(path):
            continue
        if v1 is None:
            missing.append(name)
        else:
            build(v1, path)
    return missing


# --------------------------------------------------------------------------------------------
# Cases: feeds, the timed call and its check
# --------------------------------------------------------------------------------------------

class Case(object):
    def __init__(self, name, graph, about, goal, per, unit):
        self.name, self.graph, self.about, self.goal, self.per, self.unit = name, graph, about, goal, per, unit


def make_cases(quick):
    loops = 2000 if quick else LOOP_COUNT
    return [
        Case("while_v2.iter", "while", "while_loop (StatelessWhile) of x = x*a + b, acc += sum(x), "
             "%d iterations, per iteration" % loops, 0.5, loops, "iteration"),
        Case("data.slices_map_batch", "slices", "from_tensor_slices([%d, %d]) -> map -> batch(128), per "
             "batch" % (RECORDS, WIDTH), 1.0, None, "batch"),
        Case("data.range_parallel_map", "range", "range(%d) -> map(num_parallel_calls=2) -> batch(256) -> "
             "prefetch(2), per batch" % RECORDS, 1.0, None, "batch"),
        Case("data.tfrecord_map_batch", "tfrecord", "TFRecord %d x %d float32 -> map(decode_raw) -> "
             "batch(128), per batch" % (RECORDS, WIDTH), 1.0, None, "batch"),
    ]


class Engine(object):
    """metarun or TensorFlow through the tf.compat.v1 surface, as a user would drive it."""

    def __init__(self, name, v1, threads):
        self.name, self.v1, self.threads = name, v1, threads
        self.sessions = []

    def session(self, meta):
        v1 = self.v1
        graph = v1.Graph()
        with graph.as_default():
            v1.train.import_meta_graph(meta)
        sess = v1.Session(graph=graph, config=v1.ConfigProto(intra_op_parallelism_threads=self.threads))
        self.sessions.append(sess)
        return sess

    def prepare(self, case, graph_dir, quick):
        """(check, step, per): check() -> outputs compared across engines, step() the timed call."""
        sess = self.session(os.path.join(graph_dir, case.graph + ".meta"))
        graph = sess.graph
        if case.graph == "while":
            feeds = {graph.get_tensor_by_name("n:0"): np.int32(case.per)}
            fetches = [graph.get_tensor_by_name("x_out:0"), graph.get_tensor_by_name("acc_out:0")]

            def step():
                return sess.run(fetches, feeds)
            return step, step, case.per
        init = graph.get_collection("init")[0]
        if case.graph == "slices":
            data = np.random.default_rng(7).standard_normal((RECORDS, WIDTH)).astype(np.float32)
            init_feeds = {graph.get_tensor_by_name("data:0"): data}
        elif case.graph == "range":
            init_feeds = {graph.get_tensor_by_name("count:0"): np.int64(RECORDS)}
        else:
            init_feeds = {graph.get_tensor_by_name("filename:0"): os.path.join(graph_dir, "records.tfrecord")}
        fetches = [graph.get_tensor_by_name("next_a:0"), graph.get_tensor_by_name("next_s:0")]
        end = self.v1.errors.OutOfRangeError

        def epoch():
            sess.run(init, init_feeds)
            batches = 0
            while True:
                try:
                    sess.run(fetches)
                except end:
                    return batches
                batches += 1

        def check():
            sess.run(init, init_feeds)
            sums, count = [0.0, 0.0], 0
            while True:
                try:
                    out = sess.run(fetches)
                except end:
                    break
                count += 1
                sums = [s + float(np.sum(np.asarray(o, np.float64))) for s, o in zip(sums, out)]
            return [np.array(count, np.float64)] + [np.array(s) for s in sums]

        outputs = check()
        return (lambda: outputs), epoch, int(outputs[0])

    def close(self):
        for sess in self.sessions:
            sess.close()
        self.sessions = []


def describe_failure(exc):
    text = str(exc).strip().splitlines()
    first = text[0][:160] if text else type(exc).__name__
    if type(exc).__name__ == "UnimplementedError":
        return "skipped: Unimplemented: " + first
    return "error: %s: %s" % (type(exc).__name__, first)


def run_case(case, engines, graph_dir, timer, quick):
    results, prepared = {}, {}
    for engine in engines:
        try:
            check, step, per = engine.prepare(case, graph_dir, quick)
            prepared[engine.name] = (step, check(), per)
            results[engine.name] = {"status": "ok"}
        except Exception as e:  # each engine fails alone; the table says how
            results[engine.name] = {"status": describe_failure(e)}
            if os.environ.get("BENCH_TRACEBACK"):
                traceback.print_exc()
    ref = "tensorflow" if "tensorflow" in prepared else next(iter(prepared), None)
    for name, (step, outputs, per) in prepared.items():
        if name != ref:
            want = prepared[ref][1]
            diff = max(float(np.max(np.abs(np.asarray(g, np.float64) - np.asarray(w, np.float64)), initial=0.0))
                       for g, w in zip(outputs, want))
            scale = max([1.0] + [float(np.max(np.abs(np.asarray(w, np.float64)))) for w in want])
            results[name].update(maxdiff=diff, diff_vs=ref)
            if not diff <= 1e-4 * scale:
                results[name]["status"] = "MISMATCH"
        try:
            stats = timer.measure(step)
        except Exception as e:
            results[name]["status"] = describe_failure(e)
            continue
        for key in ("min", "median", "max"):
            stats[key] /= per
        stats["per"] = per
        results[name].update(stats)
    mr, tf_ = results.get("metarun", {}).get("median"), results.get("tensorflow", {}).get("median")
    ratio = mr / tf_ if mr and tf_ else None
    return {"about": case.about, "unit": case.unit, "goal": case.goal, "engines": results,
            "ratio": ratio, "met": None if ratio is None else ratio <= case.goal}


COLUMNS = "%-25s %-11s %10s %10s %10s %12s %10s %-14s %s"


def print_table(cases, table):
    print(COLUMNS % ("case", "engine", "min", "median", "max", "per second", "mr/tf", "target",
                     "check / status"))
    print("-" * 124)
    for case in cases:
        entry = table[case.name]
        first = True
        for name, res in entry["engines"].items():
            label = case.name if first else ""
            first = False
            if "median" not in res:
                print(COLUMNS % (label, name, "", "", "", "", "", "", res["status"]))
                continue
            rate = "%.4g" % (1.0 / res["median"])
            ratio = target = ""
            if name == "tensorflow" and entry["ratio"] is not None:
                ratio = "%.2fx" % entry["ratio"]
                target = "<=%.2gx %s" % (entry["goal"], "met" if entry["met"] else "MISSED")
            check = res["status"] if res["status"] != "ok" else ""
            if "maxdiff" in res:
                check = ("|d|=%.1e vs %s %s" % (res["maxdiff"], res["diff_vs"], check)).strip()
            if res["max"] > NOISY_SPREAD * res["min"]:
                check = ("%s noisy: max/min %.1f" % (check, res["max"] / res["min"])).strip()
            print(COLUMNS % (label, name, timing.format_seconds(res["min"]), timing.format_seconds(res["median"]),
                             timing.format_seconds(res["max"]), rate, ratio, target, check))
        print(COLUMNS % ("", "", "", "", "", "", "", "", "(%s; %s/s)" % (case.about, entry["unit"])))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer, shorter rounds; a 2,000-iteration loop")
    p.add_argument("--only", action="append", default=[], help="case name or prefix (while_v2, data, ...)")
    p.add_argument("--threads", type=int, default=0, help="intra-op threads (0: each engine's default)")
    p.add_argument("--json", help="write all numbers to this file")
    p.add_argument("--graphs", help="directory of the graphs: built there when missing (needs TensorFlow), "
                                    "reused otherwise; default: a temp dir")
    p.add_argument("--no-tf", action="store_true", help="run as if TensorFlow were missing")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    cases = [c for c in make_cases(args.quick)
             if not args.only or any(c.name == o or c.name.startswith(o) for o in args.only)]
    if not cases:
        sys.exit("no case matches %s" % args.only)
    v1, missing_tf = None, None
    if args.no_tf:
        missing_tf = "disabled by --no-tf"
    else:
        try:
            v1 = _load_tf()
        except ImportError as e:
            missing_tf = "not importable (%s)" % e
    engines = [Engine("metarun", metarun, args.threads)]
    if v1 is not None:
        engines.append(Engine("tensorflow", v1, args.threads))
    load = os.getloadavg()
    machine = {"cores": os.cpu_count(), "loadavg_start": "%.2f %.2f %.2f" % load,
               "when": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
               "metarun_core": metarun._core.__file__, "threads": args.threads}
    print("metarun control-flow-v2 / tf.data benchmarks -- %s" % machine["when"])
    print("machine: %d cores, load average %s. %s" % (machine["cores"], machine["loadavg_start"], NOISE_NOTE))
    if load[0] > machine["cores"]:
        print("WARNING: the load average exceeds the core count: other processes are running.")
    print("threads: intra_op_parallelism_threads=%d%s for both engines" % (
        args.threads, " (each engine's default)" if not args.threads else ""))
    if missing_tf:
        print("tensorflow: %s" % missing_tf)
    print()
    timer = (timing.Timing(rounds=5, round_seconds=0.05, warmup_seconds=0.05) if args.quick
             else timing.Timing(rounds=7, round_seconds=0.25, warmup_seconds=0.3))
    with tempfile.TemporaryDirectory(prefix="metarun-bench-fn-") as scratch:
        graph_dir = args.graphs or scratch
        os.makedirs(graph_dir, exist_ok=True)
        absent = ensure_graphs(graph_dir, v1)
        if absent:
            sys.exit("no TensorFlow to build the graphs %s: run once with TensorFlow and --graphs DIR, "
                     "then pass the same --graphs DIR" % absent)
        table = {}
        for case in cases:
            print("running %s ..." % case.name, file=sys.stderr, flush=True)
            table[case.name] = run_case(case, engines, graph_dir, timer, args.quick)
            for engine in engines:
                engine.close()
    machine["loadavg_end"] = "%.2f %.2f %.2f" % os.getloadavg()
    print_table(cases, table)
    print("\nload average at the end: %s. Times are per unit (loop iteration or batch); per second = "
          "1 / median; mr/tf = metarun median / TensorFlow median (the target is on that ratio: "
          "<= 0.5x for a loop iteration, <= 1.0x per batch = at least TensorFlow's batches/s)."
          % machine["loadavg_end"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "tensorflow_missing": missing_tf, "quick": args.quick,
                       "cases": table}, f, indent=1)
        print("wrote %s" % args.json)


if __name__ == "__main__":
    main()
