"""Run every benchmark side by side in one process and print one table.

    python benchmarks/run.py [--quick] [--only NAME] [--threads N] [--json PATH] [--no-tf]

Engines: metarun, TensorFlow (tf.compat.v1 Session) and onnxruntime (tf2onnx of
the frozen graph) when importable, and the same math in numpy; for the
`overhead` group also TensorFlow with its graph optimizations off (tf.noopt). All restore the
same random-weight checkpoint (written by metarun's bundle writer) and get the
same inputs; outputs are checked against metarun's before anything is timed.
"""

import argparse
import json
import os
import sys
import tempfile
import traceback
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    import metarun
except ImportError:  # running from a checkout without PYTHONPATH: use its python/
    sys.path.insert(1, os.path.join(os.path.dirname(HERE), "python"))
    import metarun

import numpy as np

import cases as cases_lib
import engines as engines_lib
import timing
import models

NOISE_NOTE = ("2-core shared machine, noisy: rounds of one engine can differ by 10-30%, and a "
              "busy neighbour can make 2-thread GEMMs (numpy's above all) several times slower; "
              "compare medians, re-run before trusting a small difference.")

NOISY_SPREAD = 1.5  # rounds whose max/min exceeds this are flagged in the table


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer/shorter rounds, 10k-step loop")
    p.add_argument("--only", action="append", default=[],
                   help="case name, prefix or group (seed, mlp.b1, cnn, chain, big, "
                        "overhead, ...); repeatable")
    p.add_argument("--threads", type=int, default=0,
                   help="intra-op threads for every engine (0: each engine's default)")
    p.add_argument("--json", help="write all numbers to this file")
    p.add_argument("--no-tf", action="store_true", help="run as if TensorFlow were missing")
    return p.parse_args(argv)


def select(all_cases, only):
    if not only:
        return all_cases
    chosen = [c for c in all_cases
              if any(c.name == o or c.name.startswith(o + ".") or c.model == o or c.group == o
                     for o in only)]
    if not chosen:
        sys.exit("no case matches %s; cases: %s" % (only, ", ".join(c.name for c in all_cases)))
    return chosen


def describe_failure(exc):
    """'skipped: ...' for a missing kernel or an engine that cannot run the case."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    if isinstance(exc, engines_lib.Skip):
        return "skipped: " + first
    if type(exc).__name__ == "UnimplementedError":
        return "skipped: Unimplemented: " + first
    return "error: %s: %s" % (type(exc).__name__, first)


def max_abs_diff(got, want):
    diffs = [np.max(np.abs(np.asarray(g, np.float64) - np.asarray(w, np.float64)), initial=0.0)
             for g, w in zip(got, want)]
    return float(max(diffs)) if diffs else 0.0


def max_abs(values):
    return max([float(np.max(np.abs(np.asarray(v, np.float64)), initial=0.0)) for v in values],
               default=0.0)


def run_case(case, engines, ckpt_dir, weights_by_model, timer):
    meta = models.meta_path(case.model, ckpt_dir)
    prefix = os.path.join(ckpt_dir, case.model, "ckpt")
    if meta not in weights_by_model:  # one checkpoint per model, shared by its cases
        weights_by_model[meta] = engines_lib.write_checkpoint(meta, prefix,
                                                              seed=zlib.crc32(case.model.encode()))
    results, prepared = {}, {}
    for engine in engines:
        if hasattr(engine, "applies") and not engine.applies(case):
            continue
        try:
            check, step = engine.prepare(case, meta, prefix)
            prepared[engine.name] = (step, check())
            results[engine.name] = {"status": "ok"}
        except Exception as e:  # each engine fails alone; the table says how
            results[engine.name] = {"status": describe_failure(e)}
            if os.environ.get("BENCH_TRACEBACK"):
                traceback.print_exc()
    ref_name = next((n for n in ("metarun", "tensorflow", "numpy") if n in prepared), None)
    for name, (step, outputs) in prepared.items():
        if name != ref_name:
            want = prepared[ref_name][1]
            diff = max_abs_diff(outputs, want)
            scale = max(1.0, max_abs(want))
            results[name]["maxdiff"] = diff
            results[name]["diff_vs"] = ref_name
            if not diff <= 1e-3 * scale:
                results[name]["status"] = "MISMATCH"
        try:
            stats = timer.measure_fresh(step) if case.mode == "first" else timer.measure(step)
        except Exception as e:
            results[name]["status"] = describe_failure(e)
            continue
        for key in ("min", "median", "max"):
            stats[key] /= case.per
        results[name].update(stats)
    return results


def ratios(case, results):
    mr = results.get("metarun", {}).get("median")
    out = {}
    for name, res in results.items():
        if name == "metarun":
            continue
        goal = case.goals.get(name)
        ratio = mr / res["median"] if mr and res.get("median") else None
        met = None if ratio is None or goal is None else ratio <= goal
        out[name] = {"ratio": ratio, "goal": goal, "met": met}
    return out


def thread_info(threads, engine_names):
    default = metarun._core.default_num_threads()
    env = os.environ.get("METARUN_NUM_THREADS")
    info = {"cores": os.cpu_count(), "requested": threads,
            "metarun": threads or default,
            "metarun_source": "ConfigProto(intra_op_parallelism_threads=%d)" % threads if threads
            else "default (METARUN_NUM_THREADS=%s, else core count)" % (env or "unset")}
    if "tensorflow" in engine_names:
        info["tensorflow"] = "ConfigProto(intra_op_parallelism_threads=%d)%s" % (
            threads, " = all cores" if not threads else "")
    if "tf.noopt" in engine_names:
        info["tf.noopt"] = ("as tensorflow, with Grappler and the L1 graph optimizer off "
                            "(overhead cases only: TensorFlow's executor on every node)")
    if "onnxruntime" in engine_names:
        info["onnxruntime"] = "intra_op_num_threads=%d%s" % (
            threads, " = all cores" if not threads else "")
    info["numpy"] = "its BLAS's default (OPENBLAS_NUM_THREADS=%s)" % os.environ.get(
        "OPENBLAS_NUM_THREADS", "unset")
    return info


def print_header(machine, threads, peak, missing):
    print("metarun benchmarks -- %s" % machine["when"])
    print("metarun: %s (modified %s)" % (machine["metarun_core"], machine["metarun_core_mtime"]))
    print("machine: %d cores, load average %s. %s" % (
        machine["cores"], machine["loadavg"], NOISE_NOTE))
    if os.getloadavg()[0] > machine["cores"]:
        print("WARNING: the load average exceeds the core count: other processes are running, "
              "multi-threaded numbers (numpy's BLAS above all) will be pessimistic.")
    print("threads: metarun %s via %s" % (threads["metarun"], threads["metarun_source"]))
    for name in ("tensorflow", "tf.noopt", "onnxruntime", "numpy"):
        if name in threads:
            print("         %s %s" % (name, threads[name]))
    print("sgemm peak (numpy float32): " + ", ".join(
        "%dx%d: %.1f GFLOP/s" % (n, n, g) for n, g in sorted(peak.items())))
    for name, why in missing.items():
        print("%s: %s" % (name, why))
    print()


COLUMNS = "%-21s %-12s %10s %10s %10s %9s %10s %-15s %s"


def print_table(all_cases, table):
    print(COLUMNS % ("case", "engine", "min", "median", "max", "GFLOP/s", "mr/engine",
                     "target", "check / status"))
    print("-" * 120)
    for case in all_cases:
        entry = table[case.name]
        first = True
        for name, res in entry["engines"].items():
            label = case.name if first else ""
            first = False
            if "median" not in res:
                print(COLUMNS % (label, name, "", "", "", "", "", "", res["status"]))
                continue
            gflops = "%.1f" % (case.flops / res["median"] / 1e9) if case.flops else ""
            rat = entry["ratios"].get(name, {})
            ratio = "%.2fx" % rat["ratio"] if rat.get("ratio") is not None else ""
            target = ""
            if name == "metarun" and case.limit is not None:
                target = "<=%s %s" % (timing.format_seconds(case.limit).replace(" ", ""),
                                      "met" if res["median"] <= case.limit else "MISSED")
            if name in case.goals:
                goal = rat.get("goal")
                verdict = {None: "n/a", True: "met", False: "MISSED"}[rat.get("met")]
                target = "report" if goal is None else "<=%.2gx %s" % (goal, verdict)
            check = res["status"] if res["status"] != "ok" else ""
            if "maxdiff" in res:
                check = ("|d|=%.1e vs %s %s" % (res["maxdiff"], res["diff_vs"], check)).strip()
            if res["max"] > NOISY_SPREAD * res["min"]:
                check = ("%s noisy: max/min %.1f" % (check, res["max"] / res["min"])).strip()
            print(COLUMNS % (label, name, timing.format_seconds(res["min"]),
                             timing.format_seconds(res["median"]),
                             timing.format_seconds(res["max"]), gflops, ratio, target, check))
        print(COLUMNS % ("", "", "", "", "", "", "", "", "(%s)" % case.about))


def print_peak_fractions(all_cases, table, peak):
    best = max(peak.values())
    lines = []
    for case in all_cases:
        res = table[case.name]["engines"].get("metarun", {})
        if case.flops and case.model in ("mlp", "cnn") and res.get("median"):
            rate = case.flops / res["median"] / 1e9
            table[case.name]["metarun_peak_fraction"] = rate / best
            lines.append("  %-10s %7.1f GFLOP/s = %5.1f%% of %.1f" % (
                case.name, rate, 100 * rate / best, best))
    print("\nmetarun's fraction of the sgemm peak (FLOPs / median time):")
    print("\n".join(lines) if lines else "  not measured: metarun ran no MLP or CNN case")


def graph_sizes(meta, fetch):
    """(nodes in the graph, nodes `fetch` depends on, itself included)."""
    graph = metarun.Graph()
    with graph.as_default():
        metarun.train.import_meta_graph(meta)
    seen, todo = set(), [graph.as_graph_element(fetch).op]
    while todo:
        op = todo.pop()
        if op.name not in seen:
            seen.add(op.name)
            todo.extend(t.op for t in op.inputs)
            todo.extend(op.control_inputs)
    return len(graph.get_operations()), len(seen)


def _medians(entry, scale=1.0):
    return ", ".join("%s %s" % (name, timing.format_seconds(res["median"] * scale))
                     for name, res in entry["engines"].items() if res.get("median"))


# Engines that run a chain as one node (Grappler's doing, see below): no net per-node figure.
COLLAPSED = ("tensorflow", "onnxruntime")


def overhead_summary(all_cases, table, sizes):
    """Per-node figures of the overhead group; returns them for --json."""
    lines, out = [], {}
    base = table.get("chain.base")
    for case in all_cases:
        if not case.name.startswith("chain.") or case.per == 1:
            continue
        entry = table[case.name]
        net = {}
        for name, res in entry["engines"].items():
            fixed = base and base["engines"].get(name, {}).get("median")
            if res.get("median") and fixed and name not in COLLAPSED:
                net[name] = (res["median"] * case.per - fixed) / (case.per - 1)
        out[case.name] = {"per_node": {n: r["median"] for n, r in entry["engines"].items()
                                       if r.get("median")}, "net_per_node": net}
        lines.append("  %-21s per node: %s" % (case.name, _medians(entry)))
        if net:
            lines.append("  %-21s net of chain.base: %s" % ("", ", ".join(
                "%s %s" % (n, timing.format_seconds(v)) for n, v in net.items())))
    if lines and "tensorflow" in next(iter(table.values()))["engines"]:
        lines.append("  (tensorflow and onnxruntime run what Grappler leaves (tf2onnx runs it "
                     "before converting): one node per chain, as it removes Identity chains and "
                     "folds the AddV2 chain into one sum; tf.noopt runs every node)")
    run_, call_ = table.get("seed.run"), table.get("seed.callable")
    if run_ and call_:
        r = run_["engines"].get("metarun", {}).get("median")
        c = call_["engines"].get("metarun", {}).get("median")
        if r and c:
            out["callable_le_run"] = c <= r
            lines.append("  seed: metarun make_callable %s vs run %s: callable <= run %s" % (
                timing.format_seconds(c), timing.format_seconds(r), "met" if c <= r else "MISSED"))
    for model, (total, needed) in sorted(sizes.items()):
        lines.append("  %s: %d nodes in the graph, %d run for the fetch" % (model, total, needed))
        for case in all_cases:
            if case.model != model:
                continue
            nodes = total if case.mode == "import" else needed
            entry = table[case.name]
            out[case.name] = {"nodes": nodes, "per_node": {
                n: r["median"] / nodes for n, r in entry["engines"].items() if r.get("median")}}
            lines.append("  %-21s per %s: %s" % (
                case.name, "graph node" if case.mode == "import" else "node run",
                _medians(entry, 1.0 / nodes)))
    if lines:
        print("\nExecutor overhead, per node (median / nodes):")
        print("\n".join(lines))
    return out


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    import datetime
    machine = {"cores": os.cpu_count(), "loadavg": "%.2f %.2f %.2f" % os.getloadavg(),
               "when": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
               "python": sys.version.split()[0], "numpy": np.__version__,
               "metarun_core": metarun._core.__file__,
               "metarun_core_mtime": datetime.datetime.fromtimestamp(
                   os.path.getmtime(metarun._core.__file__)).strftime("%Y-%m-%d %H:%M:%S")}
    all_cases = select(cases_lib.make_cases(args.quick), args.only)
    engines, missing = engines_lib.make_engines(args.threads, want_tf=not args.no_tf)
    weights_by_model = {}
    engines.append(engines_lib.NumpyEngine(weights_by_model))
    names = [e.name for e in engines]
    threads = thread_info(args.threads, names)
    peak = timing.gemm_peak([1024, 2048], repeats=3 if args.quick else 5)
    print_header(machine, threads, peak, missing)
    if args.quick:
        timer = timing.Timing(rounds=5, round_seconds=0.05, warmup_seconds=0.05)
    else:
        timer = timing.Timing(rounds=7, round_seconds=0.25, warmup_seconds=0.3)
    table = {}
    with tempfile.TemporaryDirectory(prefix="metarun-bench-") as ckpt_dir:
        sizes = {}
        for case in all_cases:
            print("running %s ..." % case.name, file=sys.stderr, flush=True)
            results = run_case(case, engines, ckpt_dir, weights_by_model, timer)
            table[case.name] = {"about": case.about, "flops": case.flops, "per": case.per,
                                "limit": case.limit, "engines": results,
                                "ratios": ratios(case, results)}
            if case.model == "big" and case.model not in sizes:
                sizes[case.model] = graph_sizes(models.meta_path(case.model, ckpt_dir),
                                                case.fetches[0])
        for engine in engines:
            if hasattr(engine, "close"):
                engine.close()
    print_table(all_cases, table)
    print_peak_fractions(all_cases, table, peak)
    overhead = overhead_summary(all_cases, table, sizes)
    print("\nTimes are per call (while.iter: per loop iteration; chain.identity/addv2: per node); "
          "mr/engine = metarun median / engine median; |d| = max abs difference of the checked "
          "outputs; a metarun target in ns is an absolute limit on its median.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "threads": threads, "missing": missing,
                       "sgemm_gflops": {str(k): v for k, v in peak.items()},
                       "noise": NOISE_NOTE, "quick": args.quick, "cases": table,
                       "overhead": overhead}, f, indent=1)
        print("wrote %s" % args.json)


if __name__ == "__main__":
    main()
