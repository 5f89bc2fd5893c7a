"""What the generator and the test share: finding scripts, running one in a fresh graph, and
turning its results into flat npz members (and back)."""
import importlib.util
import json
import os
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "scripts")
EXPECTED = os.path.join(HERE, "expected")


def script_names():
    return sorted(f[:-3] for f in os.listdir(SCRIPTS) if f.endswith(".py") and not f.startswith("_"))


def load_script(name):
    spec = importlib.util.spec_from_file_location("dualrun_" + name, os.path.join(SCRIPTS, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_script(tf, name):
    """The script's results, run in a fresh default graph and a fresh work directory."""
    mod = load_script(name)
    with tempfile.TemporaryDirectory() as workdir:
        with tf.Graph().as_default():
            return mod, mod.main(tf, workdir)


def graph_summary(graph_def):
    """[(name, op, [inputs], {attr: text})] of a GraphDef, private attrs left out."""
    out = []
    for n in graph_def.node:
        attrs = {}
        for k in sorted(n.attr):
            if k.startswith("_") and k != "_class":
                continue
            attrs[k] = str(n.attr[k]).replace("\n", " ").strip()
        out.append([n.name, n.op, list(n.input), attrs, n.device])
    return out


def flatten(results):
    """{member: ndarray} plus a JSON index describing how to rebuild the results."""
    arrays, index = {}, {}
    for key, value in results.items():
        if key == "__graph__":
            index[key] = {"graph": graph_summary(value)}
            continue
        if isinstance(value, (list, tuple)) and not isinstance(value, np.ndarray) and \
                any(isinstance(v, (np.ndarray, list, tuple)) for v in value):
            index[key] = {"list": len(value)}
            for i, v in enumerate(value):
                arrays["%s.%d" % (key, i)] = np.asarray(v)
        else:
            index[key] = {"value": True}
            arrays[key] = np.asarray(value)
    return arrays, index


def write_expected(name, results):
    arrays, index = flatten(results)
    arrays["__index__"] = np.frombuffer(json.dumps(index, sort_keys=True).encode(), np.uint8)
    os.makedirs(EXPECTED, exist_ok=True)
    np.savez_compressed(os.path.join(EXPECTED, name + ".npz"), **arrays)


def read_expected(name):
    with np.load(os.path.join(EXPECTED, name + ".npz"), allow_pickle=True) as data:
        arrays = {k: data[k] for k in data.files}
    index = json.loads(arrays.pop("__index__").tobytes())
    return index, arrays
