"""ONNX exports compared: metarun's exporter vs tf2onnx, both models run in onnxruntime.

    python benchmarks/onnx_export.py [--quick] [--threads N] [--json PATH]
    python benchmarks/onnx_export.py --export-time     # only the 20k-node export timing

Needs metarun with its `onnx` extra, and TensorFlow, tf2onnx and onnxruntime
(benchmarks/requirements.txt). For the MLP (batch 1 and 256) and the CNN (batch 64) of run.py
(models/*.meta, random weights written by metarun's bundle writer), metarun.onnx.export writes
one model from the .meta and checkpoint without TensorFlow; tf2onnx (opset 17, as run.py's
onnxruntime engine) converts TensorFlow's frozen graph of the same restored session. Both
models run in onnxruntime with the same session options and inputs; their outputs are checked
against each other before timing, and the table gives per-call medians and the ratio
metarun-export / tf2onnx-export (the target is <= 1.05).

Export speed: metarun.onnx.export of run.py's 20k-node graph (`big`: 128 branches of 40 dense
layers, ref variables restored from a checkpoint), timed end to end (load, freeze, fold,
map, optimize, check); the issue's bound is 10 s. Needs only metarun and onnx.
"""

import argparse
import json
import os
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    import metarun
except ImportError:  # a checkout: use its python/
    sys.path.insert(1, os.path.join(os.path.dirname(HERE), "python"))
    import metarun

import numpy as np

import cases as cases_lib
import engines as engines_lib
import models
import timing

CASES = ("mlp.b1", "mlp.b256", "cnn.b64")
TARGET = 1.05
EXPORT_SECONDS = 10.0  # a 20k-node graph


def _export_time(tmp, rounds):
    """Seconds metarun.onnx.export takes for the 20k-node graph (each round from the files)."""
    import time
    import metarun.onnx
    from metarun.framework import importer
    meta = models.meta_path("big", tmp)
    prefix = os.path.join(tmp, "big", "ckpt")
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    engines_lib.write_checkpoint(meta, prefix, seed=zlib.crc32(b"big"))
    nodes = importer.read_meta_graph_file(meta).graph_def.node
    if "AddN" in metarun.onnx.supported_op_types():
        outputs = ["out:0"]
    else:  # the branches the final AddN sums
        outputs = list(next(n for n in nodes if n.name == "out").input)
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        model = metarun.onnx.export(meta, checkpoint=prefix, outputs=outputs)
        seconds.append(time.perf_counter() - start)
    return {"graph_nodes": len(nodes), "onnx_nodes": len(model.graph.node),
            "outputs": len(outputs), "seconds": seconds, "median": float(np.median(seconds))}


def _print_export_time(r):
    print("export of the %d-node graph (%d outputs): median %.2f s over %d (%s), %d ONNX nodes;"
          " target <= %.0f s: %s" % (
              r["graph_nodes"], r["outputs"], r["median"], len(r["seconds"]),
              ", ".join("%.2f" % t for t in r["seconds"]), r["onnx_nodes"], EXPORT_SECONDS,
              "ok" if r["median"] <= EXPORT_SECONDS else "MISSED"))


def _tf2onnx_model(meta, prefix, case):
    import tensorflow as tf
    import tf2onnx
    tf1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        saver = tf1.train.import_meta_graph(meta)
        with tf1.Session(graph=graph) as sess:
            saver.restore(sess, prefix)
            frozen = tf1.graph_util.convert_variables_to_constants(
                sess, graph.as_graph_def(), sorted({f.split(":")[0] for f in case.fetches}))
    model, _ = tf2onnx.convert.from_graph_def(frozen, input_names=list(case.feeds),
                                              output_names=list(case.fetches), opset=17)
    return model.SerializeToString()


def _session(model_bytes, threads):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--threads", type=int, default=0, help="onnxruntime intra-op threads "
                   "(default 0: its default)")
    p.add_argument("--json", metavar="PATH")
    p.add_argument("--export-time", action="store_true",
                   help="only time the export of the 20k-node graph")
    args = p.parse_args(argv)
    if args.export_time:
        with tempfile.TemporaryDirectory(prefix="metarun-onnx-bench-") as tmp:
            r = _export_time(tmp, 3)
        _print_export_time(r)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"export_20k": r}, f, indent=1)
        return
    import metarun.onnx
    import onnxruntime
    import tf2onnx
    if args.quick:
        timer = timing.Timing(rounds=5, round_seconds=0.05, warmup_seconds=0.05)
    else:
        timer = timing.Timing(rounds=7, round_seconds=0.2, warmup_seconds=0.2)
    all_cases = {c.name: c for c in cases_lib.make_cases(args.quick)}
    rows = {}
    with tempfile.TemporaryDirectory(prefix="metarun-onnx-bench-") as tmp:
        exported = {}
        for name in CASES:
            case = all_cases[name]
            meta = models.meta_path(case.model, tmp)
            prefix = os.path.join(tmp, case.model, "ckpt")
            if case.model not in exported:
                os.makedirs(os.path.dirname(prefix), exist_ok=True)
                engines_lib.write_checkpoint(meta, prefix, seed=zlib.crc32(case.model.encode()))
                ours = metarun.onnx.export(meta, checkpoint=prefix, outputs=case.fetches)
                exported[case.model] = {"metarun": ours.SerializeToString(),
                                        "tf2onnx": _tf2onnx_model(meta, prefix, case)}
            outs = {k: _session(v, args.threads).run(case.fetches, case.feeds)
                    for k, v in exported[case.model].items()}
            diff = max(float(np.max(np.abs(a - b))) for a, b in zip(outs["metarun"],
                                                                     outs["tf2onnx"]))
            row = {"maxdiff": diff, "about": case.about}
            # Alternate the two models, one session alive at a time (an idle session's
            # spinning worker threads would slow the other), so a busy neighbour hits both alike.
            samples = {"metarun": [], "tf2onnx": []}
            for _ in range(2 if args.quick else 5):
                for k, model_bytes in exported[case.model].items():
                    sess = _session(model_bytes, args.threads)
                    samples[k].append(timer.measure(
                        lambda: sess.run(case.fetches, case.feeds))["median"])
                    del sess
            for k in samples:
                row[k] = float(np.median(samples[k]))
            row["ratio"] = row["metarun"] / row["tf2onnx"]
            row["nodes"] = {k: _op_counts(v) for k, v in exported[case.model].items()}
            rows[name] = row
        export_20k = _export_time(tmp, 1 if args.quick else 3)
    print("onnxruntime %s, tf2onnx %s, threads %s, load %s" % (
        onnxruntime.__version__, tf2onnx.__version__, args.threads or "default",
        "%.2f %.2f %.2f" % os.getloadavg()))
    print("%-10s %12s %12s %8s %8s  %s" % ("case", "metarun", "tf2onnx", "ratio", "|d|",
                                          "target <= %.2f" % TARGET))
    for name, r in rows.items():
        print("%-10s %12s %12s %8.3f %8.1e  %s" % (
            name, timing.format_seconds(r["metarun"]), timing.format_seconds(r["tf2onnx"]),
            r["ratio"], r["maxdiff"], "ok" if r["ratio"] <= TARGET else "MISSED"))
    for model in ("mlp", "cnn"):
        name = next(n for n in rows if n.startswith(model))
        for k, ops in rows[name]["nodes"].items():
            print("  %s %-8s %s" % (model, k, ", ".join("%s %d" % kv for kv in sorted(ops.items()))))
    _print_export_time(export_20k)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(rows, export_20k=export_20k), f, indent=1)


def _op_counts(model_bytes):
    import onnx
    model = onnx.load_from_string(model_bytes)
    counts = {}
    for n in model.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    return counts


if __name__ == "__main__":
    main()
