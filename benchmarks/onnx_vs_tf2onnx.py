"""Which models each exporter converts: metarun.onnx.export vs tf2onnx, checked in onnxruntime
against TensorFlow's own values.

    python benchmarks/onnx_vs_tf2onnx.py [--corpus DIR ...] [--json PATH] [--only NAME ...]

Run it with a Python that has TensorFlow, tf2onnx and onnxruntime (benchmarks/requirements.txt);
metarun's side runs in a subprocess of $METARUN_PYTHON (default python3) with this checkout's
python/ on its path, and never imports TensorFlow.

The models: every case folder under each --corpus (default: ../shared/realworld and
../shared/tfcases beside the checkout when present; a case.json in the tfcases format: the
.meta, the checkpoint its restore step names, and its first inference step, a run whose
fetches are tensors with TF's values and which no training step precedes) and the TF-made
graphs of tests/fixtures/onnx, onnx_ops and onnx_control_flow (their cases.json; the
random-draw case left out). For each, both exporters get the same .meta + checkpoint, inputs
(the step's feeds) and outputs:

- tf2onnx: the graph imported and restored by TensorFlow, frozen with
  convert_variables_to_constants, converted by tf2onnx.convert.from_graph_def (opset 17);
- metarun: metarun.onnx.export(meta, checkpoint=..., inputs=feeds, outputs=fetches).

Each model then runs in onnxruntime on the step's feeds and each output must equal TF's value
(same shape and dtype; floats within the step's rtol/atol, default 1e-5, others exactly). The
table says ok, or the stage that failed (convert / run / compare) and why.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_CORPORA = [os.path.join(REPO, "..", "shared", "realworld"),
                   os.path.join(REPO, "..", "shared", "tfcases")]
FIXTURE_DIRS = [os.path.join(REPO, "tests", "fixtures", d)
                for d in ("onnx", "onnx_ops", "onnx_control_flow")]
OPSET = 17


# --- the models ---------------------------------------------------------------------------

def _strip(name, scope):
    return name[len(scope) + 1:] if scope and name.startswith(scope + "/") else name


def _corpus_job(folder):
    """(job, None) or (None, why the case has nothing to compare)."""
    with open(os.path.join(folder, "case.json")) as f:
        case = json.load(f)
    imp = case["import"]
    if isinstance(imp, list):
        return None, "several imports into one graph"
    scope = imp.get("import_scope")
    prefix = None
    for step in case["steps"]:
        if "restore" in step:
            if step.get("saver", 0):
                return None, "restores through a second saver"
            prefix = os.path.join(folder, step["restore"])
        elif "restore_latest" in step:
            with open(os.path.join(folder, step["restore_latest"], "checkpoint")) as f:
                for line in f:
                    if line.startswith("model_checkpoint_path:"):
                        name = line.split(":", 1)[1].strip().strip('"')
                        prefix = os.path.join(folder, step["restore_latest"], name)
                        break
        elif "run" in step:
            expect = step.get("expect") or [None]
            if any(e is None for e in expect) or \
                    not all(isinstance(t, str) and ":" in t for t in step["run"]):
                return None, "no inference step before the first training step"
            return {"name": os.path.basename(folder), "source": os.path.basename(
                        os.path.dirname(os.path.abspath(folder))),
                    "meta": os.path.join(folder, imp["meta"]), "checkpoint": prefix,
                    "arrays": os.path.join(folder, "arrays.npz"),
                    "feeds": {_strip(t, scope): k for t, k in step["feeds"].items()},
                    "fetches": [_strip(t, scope) for t in step["run"]], "expect": expect,
                    "rtol": step.get("rtol", 1e-5), "atol": step.get("atol", 1e-5)}, None
    return None, "no run step"


def _fixture_jobs():
    jobs = []
    for fixtures in FIXTURE_DIRS:
        path = os.path.join(fixtures, "cases.json")
        if not os.path.isfile(path):
            continue
        with open(path) as f:
            cases = json.load(f)
        source = "fixtures/" + os.path.basename(fixtures)
        for name, case in sorted(cases.items()):
            if "random" in case:
                continue  # random draws: not TF's values to compare
            folder = os.path.join(fixtures, name)
            jobs.append({"name": name, "source": source,
                         "meta": os.path.join(folder, "model.meta"),
                         "checkpoint": os.path.join(folder, "model") if case["checkpoint"]
                         else None,
                         "arrays": os.path.join(fixtures, "arrays.npz"),
                         "feeds": {t: "%s/%s@0" % (name, t) for t in case["feeds"]},
                         "fetches": case["fetches"],
                         "expect": ["%s/%s@0" % (name, t) for t in case["fetches"]],
                         "rtol": 1e-5, "atol": 1e-5})
    return jobs


# --- the two exporters ----------------------------------------------------------------------

def _tf2onnx_export(job, path):
    import tensorflow as tf
    import tf2onnx
    tf1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        saver = tf1.train.import_meta_graph(job["meta"], clear_devices=True)
        with tf1.Session(graph=graph) as sess:
            if job["checkpoint"]:
                saver.restore(sess, job["checkpoint"])
            frozen = tf1.graph_util.convert_variables_to_constants(
                sess, graph.as_graph_def(), sorted({t.split(":")[0] for t in job["fetches"]}))
    model, _ = tf2onnx.convert.from_graph_def(frozen, input_names=sorted(job["feeds"]),
                                              output_names=list(job["fetches"]), opset=OPSET)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


METARUN_SIDE = r"""
import json, sys, traceback
import metarun.onnx
jobs = json.load(open(sys.argv[1]))
results = {}
for job in jobs:
    try:
        metarun.onnx.export(job["meta"], checkpoint=job["checkpoint"],
                            inputs=sorted(job["feeds"]), outputs=job["fetches"],
                            opset=%d, path=job["out"])
        results[job["name"]] = None
    except Exception as e:
        results[job["name"]] = "%%s: %%s" %% (type(e).__name__, str(e).split("\n")[0])
json.dump(results, open(sys.argv[2], "w"))
""" % OPSET


def _metarun_exports(jobs, tmp):
    spec = os.path.join(tmp, "jobs.json")
    out = os.path.join(tmp, "metarun_results.json")
    with open(spec, "w") as f:
        json.dump([dict(j, out=os.path.join(tmp, j["key"] + ".metarun.onnx"), name=j["key"])
                   for j in jobs], f)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.path.join(REPO, "python")
    python = os.environ.get("METARUN_PYTHON", "python3")
    done = subprocess.run([python, "-c", METARUN_SIDE, spec, out], env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError("the metarun side failed:\n" + done.stderr[-2000:])
    with open(out) as f:
        return json.load(f)


# --- checking -------------------------------------------------------------------------------

def _short(text, n=110):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[:n - 3] + "..."


def _check(job, path):
    """None when the model computes TF's values, else why not."""
    import onnxruntime as ort
    arrays = np.load(job["arrays"], allow_pickle=False)
    try:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        sess = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        wanted = {i.name for i in sess.get_inputs()}
        # onnxruntime takes strings as str objects (bytes would match no string)
        feeds = {t: arrays[k].astype(str).astype(object) if arrays[k].dtype.kind == "S"
                 else arrays[k] for t, k in job["feeds"].items() if t in wanted}
        got = sess.run(job["fetches"], feeds)
    except Exception as e:  # the model's temporary path says nothing
        return "run: " + _short(re.sub(r"Load model from \S+ failed:", "", str(e)))
    for t, v, key in zip(job["fetches"], got, job["expect"]):
        want = arrays[key]
        v = np.asarray(v)
        if v.shape != want.shape:
            return "compare: %s shape %s, TF %s" % (t, v.shape, want.shape)
        if want.dtype.kind == "S":  # onnxruntime's strings are Python str objects
            as_bytes = [x.encode() if isinstance(x, str) else bytes(x) for x in v.reshape(-1)]
            if v.dtype != object or as_bytes != list(want.reshape(-1)):
                return "compare: %s strings differ" % t
            continue
        if v.dtype != want.dtype:
            return "compare: %s dtype %s, TF %s" % (t, v.dtype, want.dtype)
        if want.dtype.kind in "fc":
            if not np.allclose(v, want, rtol=job["rtol"], atol=job["atol"], equal_nan=True):
                return "compare: %s differs by up to %.3g" % (
                    t, float(np.nanmax(np.abs(v.astype(np.float64) - want))))
        elif not np.array_equal(v, want):
            return "compare: %s differs" % t
    return None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", action="append", metavar="DIR",
                   help="a folder of case folders (default: ../shared/realworld and tfcases)")
    p.add_argument("--only", nargs="*", metavar="NAME")
    p.add_argument("--json", metavar="PATH")
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    jobs, skipped = [], []
    for corpus in args.corpus or [c for c in DEFAULT_CORPORA if os.path.isdir(c)]:
        for name in sorted(os.listdir(corpus)):
            folder = os.path.join(corpus, name)
            if not os.path.isfile(os.path.join(folder, "case.json")):
                continue
            job, why = _corpus_job(folder)
            if job is None:
                skipped.append((os.path.basename(os.path.abspath(corpus)), name, why))
            else:
                jobs.append(job)
    jobs += _fixture_jobs()
    if args.only:
        jobs = [j for j in jobs if j["name"] in args.only]
    for j in jobs:
        j["key"] = "%s__%s" % (j["source"].replace("/", "_"), j["name"])
    rows = []
    with tempfile.TemporaryDirectory(prefix="metarun-vs-tf2onnx-") as tmp:
        ours = _metarun_exports(jobs, tmp)
        for job in jobs:
            row = {"source": job["source"], "model": job["name"]}
            path = os.path.join(tmp, job["key"] + ".tf2onnx.onnx")
            try:
                _tf2onnx_export(job, path)
                row["tf2onnx"] = _check(job, path)
            except Exception as e:
                last = traceback.extract_tb(e.__traceback__)[-1]
                row["tf2onnx"] = "convert: %s" % _short("%s: %s (%s)" % (
                    type(e).__name__, e, os.path.basename(last.filename)))
            if ours[job["key"]] is not None:
                row["metarun"] = "convert: " + _short(ours[job["key"]])
            else:
                row["metarun"] = _check(job, os.path.join(tmp, job["key"] + ".metarun.onnx"))
            rows.append(row)
            print("%-14s %-28s tf2onnx %-4s metarun %s" % (
                row["source"], row["model"], "ok" if row["tf2onnx"] is None else "FAIL",
                "ok" if row["metarun"] is None else "FAIL"), file=sys.stderr, flush=True)
    import onnxruntime
    import tensorflow as tf
    import tf2onnx
    print("TensorFlow %s, tf2onnx %s, onnxruntime %s, opset %d" % (
        tf.__version__, tf2onnx.__version__, onnxruntime.__version__, OPSET))
    print()
    print("| source | model | tf2onnx | metarun |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print("| %s | %s | %s | %s |" % (r["source"], r["model"],
                                         "ok" if r["tf2onnx"] is None else r["tf2onnx"],
                                         "ok" if r["metarun"] is None else r["metarun"]))
    n = len(rows)
    t_ok = sum(r["tf2onnx"] is None for r in rows)
    m_ok = sum(r["metarun"] is None for r in rows)
    only_t = [r["model"] for r in rows if r["tf2onnx"] is None and r["metarun"] is not None]
    only_m = [r["model"] for r in rows if r["metarun"] is None and r["tf2onnx"] is not None]
    print()
    print("%d models: tf2onnx %d ok, metarun %d ok; only tf2onnx: %s; only metarun: %s" % (
        n, t_ok, m_ok, ", ".join(only_t) or "none", ", ".join(only_m) or "none"))
    for corpus, name, why in skipped:
        print("not compared: %s/%s (%s)" % (corpus, name, why))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "skipped": skipped}, f, indent=1)


if __name__ == "__main__":
    main()
