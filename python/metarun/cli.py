"""The `metarun` command: look inside TF1 graphs and checkpoints, compare them, run a graph.

    metarun inspect MODEL.meta      inputs, likely outputs, variables, op types metarun lacks,
                                    the files a fetch would read and write (--fetch NAME)
    metarun ckpt PREFIX|DIR         the tensors a checkpoint holds
    metarun diff MODEL.meta PREFIX  will restore work? missing keys, shape and dtype mismatches
    metarun run [META ...]          feed, restore, fetch; with no arguments, the bundled example;
                                    --inputs DIR|.npz|.parquet|.csv runs many rows in batches;
                                    the graph runs confined (--allow-read/--allow-write DIR, --trust)
    metarun ops [--markdown]        the op types metarun can run
    metarun freeze MODEL -o OUT.pb  a GraphDef with the variables as constants (MODEL: a .meta
                                    and its checkpoint, or a SavedModel directory)
    metarun inspect DIR             a SavedModel's tag sets and signatures (as saved_model_cli show --all)
    metarun run DIR --signature KEY --feed IN=VALUE --fetch OUT   run a SavedModel's signature, confined

Exit codes, for scripts: 0 ok; 1 problems found (a diff that would fail to
restore, unsupported ops under `inspect --strict`); 2 usage or input errors
(missing or unparsable file, unknown tensor name); 3 a runtime error while
running a graph. Every report goes to stdout, text or `--json`; errors go to stderr.
"""

import argparse
import ast
import difflib
import json
import os
import re
import sys

import numpy as np

from metarun._graph_report import (  # noqa: F401 -- the analysis the commands print
    _GraphInfo, _MAX_OUTPUT_ROWS, _collections, _dtype_name, _file_access, _file_access_line, _is_plumbing,
    _likely_outputs, _node_name, _placeholders, _restore_keys, _supported_ops, _variables)

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_RUNTIME = 0, 1, 2, 3

_SEED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples", "seed")
_SEED_META = os.path.join(_SEED_DIR, "model_ex1.meta")
_SEED_FEEDS = ["v1:0=12.0", "v2:0=3.3"]
_SEED_FETCHES = ["v4:0"]
BATCH_SIZE_DEFAULT = 256  # rows per run of `metarun run --inputs`
# `run`'s default tensor memory budget: this share of the memory the process can have, so a
# graph that allocates without bound stops with ResourceExhaustedError before the kernel's OOM
# killer ends the process; the rest is left for Python, the graph and the system.
MEMORY_SHARE = 0.75

class UsageError(Exception):
    """A bad argument or unreadable input file: exit code 2."""


# --- small formatting helpers ----------------------------------------------------------

def _table(headers, rows, indent="  "):
    """Rows aligned under upper-case headers; numeric-looking columns right-aligned."""
    rows = [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(re.fullmatch(r"[\d.,]+( [KMG]?B)?|-", r[i]) for r in rows)
               for i in range(len(headers))]

    def line(cells):
        parts = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)]
        return (indent + "  ".join(parts)).rstrip()
    return "\n".join([line([h.upper() for h in headers])] + [line(r) for r in rows])


def _shape_text(shape):
    """[2, ?, 3] for a shape list with None for unknown dims; "?" when the rank is unknown."""
    if shape is None:
        return "?"
    return "[%s]" % ", ".join("?" if d is None else str(d) for d in shape)


def _size_text(n):
    if n is None:
        return "-"
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return "%.1f %s" % (n / scale, unit)
    return "%d B" % n


def _nbytes(dtype_enum, shape):
    if shape is None or None in shape or dtype_enum % 100 in (7, 20, 21):
        return None
    from metarun.framework import dtypes
    itemsize = np.dtype(dtypes.as_dtype(dtype_enum % 100).as_numpy_dtype).itemsize
    return int(np.prod(shape, dtype=np.int64)) * itemsize


def _print_json(obj):
    print(json.dumps(obj, indent=2, sort_keys=False))


def _section(title):
    print("\n" + title)


# --- reading inputs --------------------------------------------------------------------

def _load_meta(path):
    from metarun.framework import importer
    if not os.path.isfile(path):
        hint = ""
        if os.path.exists(path + ".meta"):
            hint = " (did you mean %s.meta?)" % path
        raise UsageError("graph file not found: %s%s" % (path, hint))
    try:
        return importer.read_meta_graph_file(path)
    except (OSError, UnicodeDecodeError) as e:
        if _looks_like_checkpoint(path):
            raise UsageError("%s is a checkpoint file, not a MetaGraphDef; try `metarun ckpt`"
                             % path) from None
        raise UsageError("cannot parse %s as a MetaGraphDef (binary or text): %s"
                         % (path, str(e).splitlines()[0][:200])) from None


def _looks_like_checkpoint(path):
    return path.endswith(".index") or ".data-" in os.path.basename(path)


def _resolve_checkpoint(path):
    """A checkpoint prefix from a prefix, a directory (its `checkpoint` file) or an .index file."""
    from metarun.train import checkpoint_management
    if os.path.isdir(path):
        prefix = checkpoint_management.latest_checkpoint(path)
        if prefix is None:
            raise UsageError("no checkpoint in directory %s (no `checkpoint` state file, or the "
                             "files it names are missing)" % path)
        return prefix
    for suffix in (".index", ".meta"):
        if path.endswith(suffix) and os.path.exists(path[:-len(suffix)] + ".index"):
            return path[:-len(suffix)]
    m = re.match(r"(.*)\.data-\d+-of-\d+$", path)
    if m and os.path.exists(m.group(1) + ".index"):
        return m.group(1)
    if not checkpoint_management.checkpoint_exists(path):
        raise UsageError("checkpoint not found: %s (expected %s.index, a V1 file %s, or a "
                         "directory with a `checkpoint` file)" % (path, path, path))
    return path


def _open_checkpoint(path):
    """(prefix, CheckpointReader, format name); unreadable files are usage errors."""
    from metarun import errors
    from metarun.train import NewCheckpointReader
    prefix = _resolve_checkpoint(path)
    try:
        reader = NewCheckpointReader(prefix)
    except (errors.OpError, OSError, ValueError) as e:
        raise UsageError("cannot read checkpoint %s: %s" % (prefix, e)) from None
    version = "V2" if os.path.exists(prefix + ".index") else "V1"
    return prefix, reader, version


# --- inspect ---------------------------------------------------------------------------

def _inspect_report(path, meta, fetches=None):
    info = _GraphInfo(meta)
    for fetch in fetches or ():
        if _node_name(fetch) not in info.nodes:
            near = difflib.get_close_matches(_node_name(fetch), list(info.nodes), n=3, cutoff=0.5)
            raise UsageError("--fetch %r: no such node in the graph.%s" % (
                fetch, " Did you mean %s?" % " or ".join(near) if near else ""))
    library = meta.graph_def.library
    # Calls of library functions (by op type, SymbolicGradient) run their bodies.
    supported = set(_supported_ops()) | {f.signature.name for f in library.function} | {"SymbolicGradient"}
    outputs = _likely_outputs(info)
    needed = info.ancestors([_node_name(o["name"]) for o in outputs
                             if o["role"] in ("prediction", "output")])
    histogram = {}
    for node in meta.graph_def.node:
        entry = histogram.setdefault(node.op, {"op": node.op, "count": 0,
                                               "supported": node.op in supported,
                                               "needed_for_outputs": False})
        entry["count"] += 1
        entry["needed_for_outputs"] |= node.name in needed
    mi = meta.meta_info_def
    saver = None
    if meta.HasField("saver_def"):
        sd = meta.saver_def
        keys = _restore_keys(info)
        saver = {"version": {0: "LEGACY", 1: "V1", 2: "V2"}.get(sd.version, str(sd.version)),
                 "filename_tensor_name": sd.filename_tensor_name,
                 "save_tensor_name": sd.save_tensor_name, "restore_op_name": sd.restore_op_name,
                 "max_to_keep": sd.max_to_keep, "sharded": sd.sharded,
                 "keep_checkpoint_every_n_hours": sd.keep_checkpoint_every_n_hours,
                 "restore_keys": None if keys is None else len(keys)}
    variables = _variables(info)
    for v in variables:
        v["bytes"] = _nbytes(v.pop("_dtype"), v["shape"])
    return {
        "file": path,
        "tensorflow_version": mi.tensorflow_version,
        "tensorflow_git_version": mi.tensorflow_git_version,
        "producer": meta.graph_def.versions.producer, "node_count": len(meta.graph_def.node),
        "op_types": sorted(histogram.values(), key=lambda e: (-e["count"], e["op"])),
        "unsupported_ops": sorted(set(op for op, e in histogram.items() if not e["supported"]) |
                                  set(n.op for f in library.function for n in f.node_def
                                      if n.op not in supported)),
        "functions": len(library.function),
        "placeholders": _placeholders(info), "likely_outputs": outputs,
        "collections": _collections(meta), "variables": variables, "saver_def": saver,
        "devices": _devices(meta),
        "fetches": list(fetches) if fetches else None,
        "files": _file_access(info, fetches),
    }


def _devices(meta):
    """The device strings the graph's nodes (and function bodies) name, with node counts.
    metarun runs every node on the CPU of this process: any other placement (a GPU, another
    CPU, a job or task of a cluster) is ignored."""
    from metarun.framework import graph as graph_lib
    counts = {}
    nodes = list(meta.graph_def.node) + [n for f in meta.graph_def.library.function
                                         for n in f.node_def]
    for node in nodes:
        if node.device:
            counts[node.device] = counts.get(node.device, 0) + 1
    rows = []
    for device, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        try:
            spec = graph_lib._parse_device(device)
        except ValueError:
            spec = None
        on_cpu = spec is not None and set(spec) <= {"device"} and \
            spec.get("device", "CPU:0") in ("CPU:0", "CPU:*")
        rows.append({"device": device, "nodes": n, "ignored": not on_cpu})
    return rows


def _print_inspect_header(r):
    written = "TensorFlow %s" % r["tensorflow_version"] if r["tensorflow_version"] \
        else "an unrecorded TensorFlow version (pre-1.0)"
    if r["tensorflow_git_version"] and "unknown" not in r["tensorflow_git_version"]:
        written += " (%s)" % r["tensorflow_git_version"]
    print("%s: written by %s, GraphDef producer %d" % (r["file"], written, r["producer"]))
    missing = [e for e in r["op_types"] if not e["supported"]]
    top = set(e["op"] for e in r["op_types"])
    in_functions = [op for op in r["unsupported_ops"] if op not in top]
    functions = " and %d graph functions" % r["functions"] if r.get("functions") else ""
    print("%d nodes%s, %d op types; %s" % (r["node_count"], functions, len(r["op_types"]),
                                           "metarun can run all of them" if not r["unsupported_ops"] else
                                           "%d that metarun cannot run yet" % len(r["unsupported_ops"])))
    if in_functions:
        print("  missing, inside functions: %s" % ", ".join(in_functions))
    for label, needed in (("needed by the outputs", True), ("training/init only", False)):
        ops = sorted(e["op"] for e in missing if e["needed_for_outputs"] == needed)
        if ops:
            print("  missing, %s: %s" % (label, ", ".join(ops)))


def _print_inspect(r, show_all, show_ops=False):
    _print_inspect_header(r)
    _section("Inputs (placeholders): feed these")
    rows = [[p["name"], p["dtype"], "any" if p["shape"] is None else _shape_text(p["shape"]),
             "optional (has a default)" if p["optional"] else ""] for p in r["placeholders"]]
    print(_table(["name", "dtype", "shape", ""], rows) if rows else "  (none)")

    _section("Likely outputs: fetch these")
    outs = r["likely_outputs"] if show_all else r["likely_outputs"][:_MAX_OUTPUT_ROWS]
    rows = [[o["name"], o["op"], o["dtype"], _shape_text(o["shape"]), o["role"], o["why"]]
            for o in outs]
    print(_table(["name", "op", "dtype", "shape", "role", "why"], rows) if rows
          else "  (none found)")
    if len(outs) < len(r["likely_outputs"]):
        print("  ... %d more (--all lists them)" % (len(r["likely_outputs"]) - len(outs)))
    _print_variables(r, show_all)

    _section("Collections")
    rows = [[c["name"], c["kind"], c["count"], c["values"]] for c in r["collections"]]
    print(_table(["name", "kind", "count", "values"], rows) if rows else "  (none)")

    _section("Saver")
    s = r["saver_def"]
    if s is None:
        print("  (no saver_def: import_meta_graph builds a Saver over the variables)")
    else:
        print("  %s checkpoints; restore op %s fed by %s%s; save tensor %s; max_to_keep %d"
              % (s["version"], s["restore_op_name"], s["filename_tensor_name"],
                 "" if s["restore_keys"] is None else " (%d key(s))" % s["restore_keys"],
                 s["save_tensor_name"], s["max_to_keep"]))

    _print_files(r)

    ignored = [d for d in r["devices"] if d["ignored"]]
    if ignored:
        _section("Devices the graph names (metarun runs every node on this process's CPU)")
        for d in ignored:
            print("  %s on %d node%s: ignored, runs on CPU"
                  % (d["device"], d["nodes"], "" if d["nodes"] == 1 else "s"))

    if not (show_ops or r["unsupported_ops"]):
        print("\n(--ops lists the %d op types)" % len(r["op_types"]))
        return
    _section("Op types")
    rows = []
    for e in r["op_types"]:
        status = "ok" if e["supported"] else \
            "NOT SUPPORTED" + ("" if e["needed_for_outputs"] else " (training/init only)")
        rows.append([e["op"], e["count"], status])
    print(_table(["op", "count", "metarun"], rows))


def _print_files(r):
    if r["fetches"]:
        _section("Files: what fetching %s reads and writes (constant paths as the graph "
                 "holds them; relative ones are under the working directory)" % ", ".join(r["fetches"]))
        for fetch in r["fetches"]:
            if not any(row["fetch"] == fetch for row in r["files"]):
                print("  fetching %s touches no files" % fetch)
    else:
        _section("Files: every op that reads or writes files (--fetch NAME: only those a fetch runs)")
        if not r["files"]:
            print("  (none)")
    for row in r["files"]:
        print("  " + _file_access_line(row))


def _print_variables(r, show_all):
    _section("Variables (%d, %d trainable, %s)" % (
        len(r["variables"]), sum(v["trainable"] for v in r["variables"]),
        _size_text(sum(v["bytes"] or 0 for v in r["variables"]))))
    shown = [v for v in r["variables"] if show_all or v["trainable"] or not _is_plumbing(v["name"])]
    rows = [[v["name"], v["dtype"], _shape_text(v["shape"]), "yes" if v["trainable"] else "no",
             v["kind"], ("part of %s %s" % (v["partition_of"], _shape_text(v["key_shape"])))
             if "partition_of" in v else ""] for v in shown]
    print(_table(["name", "dtype", "shape", "trainable", "kind", ""], rows) if rows else "  (none)")
    if len(shown) < len(r["variables"]):
        print("  ... and %d optimizer slot variables (--all lists them)"
              % (len(r["variables"]) - len(shown)))


def _cmd_inspect(args):
    from metarun import cli_saved_model
    if os.path.isdir(args.meta):  # a SavedModel directory
        return cli_saved_model.inspect(args)
    meta = _load_meta(args.meta)
    report = _inspect_report(args.meta, meta, args.fetch)
    if args.json:
        _print_json(report)
    else:
        _print_inspect(report, args.all, args.ops)
    return EXIT_PROBLEMS if args.strict and report["unsupported_ops"] else EXIT_OK


# --- ckpt ------------------------------------------------------------------------------

def _ckpt_report(path, verify=False):
    from metarun import errors
    prefix, reader, version = _open_checkpoint(path)
    shapes, types = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
    rows = []
    for name in sorted(shapes):
        enum = types[name].as_datatype_enum
        rows.append({"name": name, "dtype": types[name].name, "shape": shapes[name],
                     "bytes": _nbytes(enum, shapes[name])})
        if verify:
            try:
                reader.get_tensor(name)
                rows[-1]["error"] = None
            except (errors.OpError, OSError, ValueError) as e:
                rows[-1]["error"] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0])
    files = sorted(f for f in _checkpoint_files(prefix, version))
    return {"prefix": prefix, "format": version, "variables": rows,
            "total_bytes": sum(r["bytes"] or 0 for r in rows),
            "files": [{"path": f, "bytes": os.path.getsize(f)} for f in files]}


def _checkpoint_files(prefix, version):
    import glob
    if version == "V1":
        return glob.glob(prefix)
    return [prefix + ".index"] + glob.glob(glob.escape(prefix) + ".data-*-of-*")


def _cmd_ckpt(args):
    r = _ckpt_report(args.path, args.verify)
    bad = [v for v in r["variables"] if v.get("error")]
    code = EXIT_PROBLEMS if bad else EXIT_OK
    if args.json:
        _print_json(r)
        return code
    print("%s: %s checkpoint, %d tensors, %s of values in %d file(s) (%s on disk)" % (
        r["prefix"], r["format"], len(r["variables"]), _size_text(r["total_bytes"]),
        len(r["files"]), _size_text(sum(f["bytes"] for f in r["files"]))))
    rows = [[v["name"], v["dtype"], _shape_text(v["shape"]), _size_text(v["bytes"])]
            for v in r["variables"]]
    print(_table(["name", "dtype", "shape", "bytes"], rows) if rows else "  (empty)")
    if args.verify:
        for v in bad:
            print("  BAD %s: %s" % (v["name"], v["error"]))
        print("verified: %s" % ("%d of %d tensors unreadable" % (len(bad), len(rows)) if bad
                                else "every tensor read back with a good checksum"))
    return code


# --- diff ------------------------------------------------------------------------------

def _graph_keys(info):
    """{key: expectation} from the restore op when there is one, else the variables."""
    keys = _restore_keys(info)
    variables = _variables(info)
    by_var = {}
    for v in variables:
        by_var.setdefault(v["key"], v)
    if keys is not None:
        source = "restore op %s" % info.meta.saver_def.restore_op_name
        expected = {k: {"dtype": t, "shape": s, "variable": var} for k, (t, s, var) in keys.items()}
    else:
        source = "variables collection"
        expected = {k: {"dtype": v["_dtype"], "shape": v["key_shape"], "variable": v["name"]}
                    for k, v in by_var.items()}
    unsaved = sorted(k for k in by_var if k not in expected)
    return source, expected, unsaved


def _suggest(key, candidates):
    """Likely intended checkpoint names for a missing key: same name under another scope
    first, then difflib's nearest names."""
    scoped = [c for c in candidates if c.endswith("/" + key) or key.endswith("/" + c)
              or c.split("/")[-1] == key.split("/")[-1] and c.count("/") != key.count("/")]
    close = difflib.get_close_matches(key, candidates, n=3, cutoff=0.6)
    out = []
    for c in scoped[:3] + close:
        if c not in out:
            out.append(c)
    return out[:3]


def _diff_report(meta_path, ckpt_path):
    meta = _load_meta(meta_path)
    prefix, reader, version = _open_checkpoint(ckpt_path)
    info = _GraphInfo(meta)
    source, expected, unsaved = _graph_keys(info)
    shapes, types = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
    extra = sorted(k for k in shapes if k not in expected)
    rows = []
    for key in sorted(expected):
        exp = expected[key]
        row = {"key": key, "variable": exp["variable"],
               "graph_dtype": _dtype_name(exp["dtype"]) if exp["dtype"] else None,
               "graph_shape": exp["shape"], "ckpt_dtype": None, "ckpt_shape": None}
        if key not in shapes:
            row["status"] = "missing"
            row["suggestions"] = _suggest(key, extra or sorted(shapes))
        else:
            row["ckpt_dtype"], row["ckpt_shape"] = types[key].name, shapes[key]
            if row["graph_dtype"] and row["graph_dtype"] != row["ckpt_dtype"]:
                row["status"] = "dtype mismatch"
            elif exp["shape"] is not None and None not in exp["shape"] \
                    and list(exp["shape"]) != list(shapes[key]):
                row["status"] = "shape mismatch"
            else:
                row["status"] = "ok"
        rows.append(row)
    problems = [r for r in rows if r["status"] != "ok"]
    return {"graph": meta_path, "checkpoint": prefix, "format": version, "keys_from": source,
            "keys": rows, "extra": [{"key": k, "dtype": types[k].name, "shape": shapes[k]}
                                    for k in extra],
            "not_saved": unsaved, "restore_ok": not problems}


def _cmd_diff(args):
    r = _diff_report(args.meta, args.ckpt)
    if args.json:
        _print_json(r)
        return EXIT_OK if r["restore_ok"] else EXIT_PROBLEMS
    print("graph:      %s (%d key(s) from the %s)" % (r["graph"], len(r["keys"]), r["keys_from"]))
    present = sum(k["status"] != "missing" for k in r["keys"]) + len(r["extra"])
    print("checkpoint: %s (%s, %d tensors)" % (r["checkpoint"], r["format"], present))
    print()

    def desc(dtype, shape):
        return "-" if dtype is None else "%s %s" % (dtype, _shape_text(shape))
    rows = [[k["key"], desc(k["graph_dtype"] or "?", k["graph_shape"]),
             desc(k["ckpt_dtype"], k["ckpt_shape"]), k["status"].upper() if k["status"] != "ok"
             else "ok"] for k in r["keys"]]
    rows += [[e["key"], "-", desc(e["dtype"], e["shape"]), "extra (ignored by restore)"]
             for e in r["extra"]]
    print(_table(["key", "graph", "checkpoint", "status"], rows) if rows else "  (no keys)")
    missing = [k for k in r["keys"] if k["status"] == "missing"]
    if missing:
        _section("Missing from the checkpoint (restore raises NotFoundError: Key ... not found "
                 "in checkpoint):")
        for k in missing:
            tip = "did you mean %s?" % " or ".join(repr(s) for s in k["suggestions"]) \
                if k["suggestions"] else "no similar name in the checkpoint"
            print("  %s: %s" % (k["key"], tip))
    if r["not_saved"]:
        _section("Variables the saver does not restore (they stay uninitialized):")
        print("  " + ", ".join(r["not_saved"]))
    print()
    if r["restore_ok"]:
        print("restore will succeed: all %d key(s) present with matching dtype and shape"
              % len(r["keys"]))
        return EXIT_OK
    counts = {}
    for k in r["keys"]:
        if k["status"] != "ok":
            counts[k["status"]] = counts.get(k["status"], 0) + 1
    print("restore would FAIL: " + ", ".join("%d %s" % (n, s) for s, n in sorted(counts.items())))
    return EXIT_PROBLEMS


# --- run -------------------------------------------------------------------------------

def _parse_value(text, name):
    if text.endswith(".npy") or text.endswith(".npz"):
        if not os.path.isfile(text):
            raise UsageError("--feed %s: file not found: %s" % (name, text))
        try:
            loaded = np.load(text, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise UsageError("--feed %s: cannot load %s: %s" % (name, text, e)) from None
        if isinstance(loaded, np.lib.npyio.NpzFile):
            if len(loaded.files) != 1:
                raise UsageError("--feed %s: %s holds %d arrays; save one array per .npy"
                                 % (name, text, len(loaded.files)))
            loaded = loaded[loaded.files[0]]
        return loaded
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return text  # a bare word: only useful for string placeholders


def _resolve_tensor(graph, name, what, candidates):
    """The Tensor (or Operation, for fetches of ops without outputs) named `name`."""
    op_name, _, index = name.partition(":")
    try:
        op = graph.get_operation_by_name(op_name)
    except (KeyError, ValueError):
        near = difflib.get_close_matches(op_name, candidates, n=3, cutoff=0.5)
        hint = " Did you mean %s?" % " or ".join(near) if near else ""
        raise UsageError("%s %r: no such node in the graph.%s (`metarun inspect` lists inputs "
                         "and outputs)" % (what, name, hint)) from None
    if not index:
        return op.outputs[0] if op.outputs else op
    if not index.isdigit() or int(index) >= len(op.outputs):
        raise UsageError("%s %r: node %s has %d output(s)" % (what, name, op_name, len(op.outputs)))
    return op.outputs[int(index)]


def _feed_dict(graph, feeds, candidates):
    out = {}
    for item in feeds:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise UsageError("--feed expects NAME=VALUE or NAME=file.npy, got %r" % item)
        tensor = _resolve_tensor(graph, name, "--feed", candidates)
        if not hasattr(tensor, "dtype"):
            raise UsageError("--feed %s: node has no output to feed" % name)
        value = _parse_value(text, name)
        if tensor.dtype.base_dtype.name != "string":
            try:
                value = np.asarray(value, dtype=tensor.dtype.base_dtype.as_numpy_dtype)
            except (ValueError, TypeError) as e:
                raise UsageError("--feed %s: %r is not a %s value or list (%s)"
                                 % (name, text, tensor.dtype.base_dtype.name, e)) from None
        out[tensor] = value
    return out


def _sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).strip(".") or "tensor"


def _print_fetch(name, value, dtype_name, full):
    if value is None:
        print("%s: operation ran (no output)" % name)
        return
    array = np.asarray(value)
    options = {"threshold": sys.maxsize} if full else {}
    with np.printoptions(**options):
        text = np.array2string(array, separator=", ")
    if array.ndim == 0:
        print("%s (%s, scalar) = %s" % (name, dtype_name, text))
    else:
        print("%s (%s, shape %s) =\n%s" % (name, dtype_name, _shape_text(list(array.shape)), text))


def _restore(sess, saver, meta_path, ckpt):
    """Restore from --ckpt, else the `checkpoint` file beside the graph. Returns the prefix."""
    from metarun.train import checkpoint_management
    if ckpt:
        prefix = _resolve_checkpoint(ckpt)
    else:
        beside = os.path.dirname(os.path.abspath(meta_path))
        prefix = checkpoint_management.latest_checkpoint(beside)
        if prefix is None:
            return None
    if saver is None:
        print("note: the graph has no variables; nothing to restore from %s" % prefix,
              file=sys.stderr)
        return None
    saver.restore(sess, prefix)
    return prefix


def _available_memory():
    """Physical memory, or the cgroup's limit when a container sets a lower one."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return total


def _memory_budget(text):
    from metarun.framework.io_policy import parse_size
    if text is None:
        return int(_available_memory() * MEMORY_SHARE)
    if text.strip().lower() == "none":
        return None
    try:
        return parse_size(text)
    except ValueError as e:
        raise UsageError("--max-memory: %s" % e) from None


def _run_policy(args, meta_path):
    """The IoPolicy `run` gives the session: the graph may read its .meta's folder and the
    checkpoint files --ckpt names (not the rest of their folder), write nothing, plus what
    --allow-read/--allow-write add; with --trust every path. The memory budget applies either way."""
    from metarun.framework.io_policy import IoPolicy
    budget = _memory_budget(args.max_memory)
    if args.trust:
        if budget is None:
            return None
        return IoPolicy(write=["/"], max_memory=budget)
    read = [os.path.dirname(os.path.abspath(meta_path))] + list(args.allow_read)
    if args.ckpt:
        prefix = _resolve_checkpoint(args.ckpt)
        version = "V2" if os.path.exists(prefix + ".index") else "V1"
        read += [prefix] + _checkpoint_files(prefix, version)
    for d in args.allow_read + args.allow_write:
        if not d:
            raise UsageError("--allow-read/--allow-write need a directory")
    return IoPolicy(read=read, write=args.allow_write, max_memory=budget,
                    allow_read_hint="--allow-read {}", allow_write_hint="--allow-write {}")


_CONFINED_NOTE = ("\n(the graph runs confined, as untrusted: it may read its own folder and "
                  "checkpoint and write nothing; --allow-read/--allow-write DIR widen that, "
                  "--trust lifts it)")


def _cmd_run(args):
    import metarun
    from metarun import errors
    if args.inputs is None and (args.feed_map or args.batch_size is not None
                                or args.progress is not None):
        raise UsageError("--feed-map, --batch-size and --progress go with --inputs PATH")
    from metarun import cli_saved_model
    if args.meta is not None and os.path.isdir(args.meta):  # a SavedModel directory
        return cli_saved_model.run(args)
    if args.signature or args.tag_set:
        raise UsageError("--signature and --tag-set go with a SavedModel directory")
    if args.meta is None:
        if args.feed or args.fetch or args.ckpt or args.inputs:
            raise UsageError("give the graph: metarun run MODEL.meta --fetch NAME ...")
        args.meta, args.feed, args.fetch = _SEED_META, list(_SEED_FEEDS), list(_SEED_FETCHES)
        print("metarun example: the seed graph v4 = v1*v2 + vx, vx = 20.0 restored from its "
              "checkpoint,\nfed v1 = 12.0 and v2 = 3.3 (%s)" % _SEED_DIR)
    meta = _load_meta(args.meta)
    info = _GraphInfo(meta)
    if not args.fetch:
        outs = [o["name"] for o in _likely_outputs(info)][:5]
        raise UsageError("say what to compute with --fetch NAME%s" % (
            "; likely outputs: " + ", ".join(outs) if outs else ""))
    candidates = [n for n in info.nodes if not _is_plumbing(n)]
    graph = metarun.Graph()
    with graph.as_default():
        saver = metarun.train.import_meta_graph(meta)
    feed_dict = _feed_dict(graph, args.feed or [], candidates)
    fetches = [_resolve_tensor(graph, f, "--fetch", candidates) for f in args.fetch]
    batch = None
    if args.inputs is not None:
        from metarun.cli_batch import BatchRun
        batch = BatchRun(args, graph, candidates, feed_dict, fetches)
    policy = _run_policy(args, args.meta)
    with metarun.Session(graph=graph, io_policy=policy) as sess:
        try:
            prefix = _restore(sess, saver, args.meta, args.ckpt)
        except (errors.PermissionDeniedError, errors.ResourceExhaustedError) as e:
            print("error: restore failed: %s: %s%s" % (type(e).__name__, str(e).strip(),
                                                        _run_error_hint(e, info, args.meta, None)),
                  file=sys.stderr)
            return EXIT_RUNTIME
        except (errors.OpError, ValueError) as e:
            print("error: restore failed: %s\n(`metarun diff %s %s` shows which keys differ)"
                  % (str(e).strip(), args.meta, args.ckpt or os.path.dirname(args.meta) or "."),
                  file=sys.stderr)
            return EXIT_RUNTIME
        if prefix:
            print("restored %s" % prefix)
        if batch is not None:
            return batch.run(sess, info, args.meta, prefix)
        try:
            values = sess.run(fetches, feed_dict)
        except errors.OpError as e:
            print("error: %s: %s%s" % (type(e).__name__, str(e).strip(),
                                       _run_error_hint(e, info, args.meta, prefix)),
                  file=sys.stderr)
            return EXIT_RUNTIME
        except (TypeError, ValueError) as e:
            raise UsageError(str(e)) from None
    for name, fetch, value in zip(args.fetch, fetches, values):
        dtype = fetch.dtype.base_dtype.name if hasattr(fetch, "dtype") else None
        _print_fetch(name, value, dtype, args.full)
    if args.out:
        _write_fetches(args.out, args.fetch, values)
    return EXIT_OK


def _run_error_hint(error, info, meta_path, restored):
    from metarun import errors
    if isinstance(error, errors.PermissionDeniedError):
        return _CONFINED_NOTE
    if isinstance(error, errors.ResourceExhaustedError):
        return "\n(--max-memory SIZE sets the tensor memory a run may hold)"
    if "must feed a value" in str(error):
        inputs = ", ".join("%s %s %s" % (p["name"], p["dtype"], _shape_text(p["shape"]))
                           for p in _placeholders(info) if not p["optional"])
        return "\ninputs: %s\nfeed them with --feed NAME=VALUE" % inputs
    if isinstance(error, errors.FailedPreconditionError) and not restored:
        return "\nno checkpoint was restored: pass --ckpt PREFIX"
    if isinstance(error, errors.UnimplementedError):
        return "\n(`metarun inspect %s` lists the op types metarun cannot run yet)" % meta_path
    return ""


def _write_fetches(out_dir, names, values):
    os.makedirs(out_dir, exist_ok=True)
    for name, value in zip(names, values):
        if value is None:
            continue
        path = os.path.join(out_dir, _sanitize(name) + ".npy")
        array = np.asarray(value)
        if array.dtype == object:  # TF strings: fixed-width bytes, so no pickle is needed
            array = array.astype(bytes)
        elif array.dtype.name == "bfloat16":  # exact in float32, and loadable without ml_dtypes
            array = array.astype(np.float32)
        np.save(path, array, allow_pickle=False)
        print("wrote %s" % path)


# --- ops -------------------------------------------------------------------------------

_DTYPE_GROUPS = (("floats", (1, 2, 19, 14)), ("ints", (6, 5, 3, 9)), ("uints", (4, 17, 22, 23)),
                 ("complex", (8, 18)))


def _dtypes_text(enums):
    """"floats, ints, bool" style: whole families by name, then the single dtypes."""
    left, parts = list(enums), []
    for group, members in _DTYPE_GROUPS:
        if all(m in left for m in members):
            parts.append(group)
            left = [e for e in left if e not in members]
    return ", ".join(parts + [_dtype_name(e) for e in left]) or "any"


def _ops_rows():
    import metarun
    kernels = metarun._core.registered_kernels()
    host_ops = set(metarun._core.host_ops())
    rows = []
    for op in sorted(kernels):
        if op in host_ops:
            types = "any (checkpoint IO)"
        else:
            types = _dtypes_text(kernels[op])
        rows.append([op, types])
    return rows


def _cmd_ops(args):
    rows = _ops_rows()
    if args.json:
        _print_json([{"op": op, "dtypes": types} for op, types in rows])
    elif args.markdown:
        print("floats = float32, float64, float16, bfloat16; ints = int8, int16, int32, int64; "
              "uints = uint8, uint16, uint32, uint64; complex = complex64, complex128.\n")
        print("| op | dtypes |\n|---|---|")
        for op, types in rows:
            print("| `%s` | %s |" % (op, types))
    else:
        print("metarun runs %d op types (floats = float32/64, float16, bfloat16; ints = int8-64; "
              "uints = uint8-64):" % len(rows))
        print(_table(["op", "dtypes"], rows))
    return EXIT_OK


# --- the command line ------------------------------------------------------------------

# --- freeze ----------------------------------------------------------------------------

def _freeze_meta_graph(args):
    """(MetaGraphDef, SavedModel tags or None, the file whose folder the graph may read)."""
    if not os.path.isdir(args.model):
        if args.tag:
            raise UsageError("--tag-set goes with a SavedModel directory")
        return _load_meta(args.model), None, args.model
    from metarun.saved_model import loader
    if args.ckpt:
        raise UsageError("a SavedModel restores its own variables/; --checkpoint goes with a .meta")
    if not loader.maybe_saved_model_directory(args.model):
        raise UsageError("%s is a directory without saved_model.pb or saved_model.pbtxt" % args.model)
    try:
        saved = loader.parse_saved_model(args.model)
    except OSError as e:
        raise UsageError(str(e)) from None
    tag_sets = [list(m.meta_info_def.tags) for m in saved.meta_graphs]
    if args.tag is not None:
        wanted = sorted(t for t in args.tag.split(",") if t)
        chosen = [m for m in saved.meta_graphs if sorted(m.meta_info_def.tags) == wanted]
    else:
        chosen = [m for m in saved.meta_graphs if "serve" in m.meta_info_def.tags] or \
            list(saved.meta_graphs[:1])
    if not chosen:
        raise UsageError("no MetaGraphDef tagged %s; the SavedModel has %s (--tag-set a,b)" % (
            args.tag, "; ".join(",".join(t) for t in tag_sets) or "none"))
    meta = chosen[0]
    return meta, list(meta.meta_info_def.tags), os.path.join(args.model, "saved_model.pb")


def _freeze_outputs(args, meta, info):
    """The output node names and where they came from."""
    if args.outputs:
        names = [n.strip() for arg in args.outputs for n in arg.split(",") if n.strip()]
        nodes = [_node_name(n) for n in names]
        for name, node in zip(names, nodes):
            if node not in info.nodes:
                near = difflib.get_close_matches(node, list(info.nodes), n=3, cutoff=0.5)
                raise UsageError("--outputs %r: no such node in the graph.%s" % (
                    name, " Did you mean %s?" % " or ".join(near) if near else ""))
        return list(dict.fromkeys(nodes)), "--outputs"
    signature_outputs = [_node_name(t.name) for key, sig in sorted(meta.signature_def.items())
                         if not key.startswith("__") for _, t in sorted(sig.outputs.items()) if t.name]
    if signature_outputs:
        return list(dict.fromkeys(signature_outputs)), "the SavedModel's signatures"
    likely = _likely_outputs(info)
    chosen = [o for o in likely if o["role"] != "loss"] or likely
    if not chosen:
        raise UsageError("no likely outputs found; name them with --outputs NAME[,NAME...]")
    return list(dict.fromkeys(_node_name(o["name"]) for o in chosen)), \
        "inspect's likely outputs; --outputs NAME,... to choose"


def _failed(e, info, model, what):
    """Say why freezing or exporting stopped; the exit code. A denied file or the memory cap
    gets the hint `run` gives, anything else names the step."""
    from metarun import errors
    if isinstance(e, (errors.PermissionDeniedError, errors.ResourceExhaustedError)):
        print("error: %s: %s%s" % (type(e).__name__, str(e).strip(),
                                   _run_error_hint(e, info, model, None)), file=sys.stderr)
    else:
        print("error: %s failed: %s: %s" % (what, type(e).__name__, str(e).strip()),
              file=sys.stderr)
    return EXIT_RUNTIME


def _cmd_freeze(args):
    import metarun
    from metarun import errors
    from metarun.tools import freeze
    meta, tags, model_file = _freeze_meta_graph(args)
    info = _GraphInfo(meta)
    outputs, source = _freeze_outputs(args, meta, info)
    print("outputs: %s (%s)" % (", ".join(outputs), source))
    policy = _run_policy(args, model_file)
    graph = metarun.Graph()
    with metarun.Session(graph=graph, io_policy=policy) as sess:
        try:
            if tags is not None:
                from metarun.saved_model import loader
                loader.load(sess, tags, args.model)
                print("loaded %s (tags %s)" % (args.model, ",".join(tags)))
            else:
                with graph.as_default():
                    saver = metarun.train.import_meta_graph(meta)
                prefix = _restore(sess, saver, args.model, args.ckpt)
                if prefix:
                    print("restored %s" % prefix)
                elif saver is not None:
                    raise UsageError("the graph has variables and no checkpoint was found beside "
                                     "%s; give --checkpoint PREFIX" % args.model)
            graph_def = graph.as_graph_def()
            chosen = freeze.variables_to_freeze(
                metarun.graph_util.extract_sub_graph(graph_def, outputs))
            frozen = freeze.convert_variables_to_constants(sess, graph_def, outputs)
        except (errors.OpError, RuntimeError, ValueError) as e:
            return _failed(e, info, args.model, "freezing")
    names = [name for name, _ in chosen]
    print("froze %d variable%s%s" % (len(names), "" if len(names) == 1 else "s",
                                    ": " + ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
                                    if names else ""))
    left = sorted(n.name for n in frozen.node if n.op in ("Variable", "VariableV2", "VarHandleOp"))
    if left:
        print("note: %d variable op%s could not be frozen: %s" % (
            len(left), "" if len(left) == 1 else "s", ", ".join(left)), file=sys.stderr)
    if args.output.endswith(".pbtxt"):
        from metarun.framework import protos
        data = protos.to_text(frozen).encode()
    else:
        data = frozen.SerializeToString()
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        raise UsageError("-o %s: no directory %s" % (args.output, out_dir))
    tmp = args.output + ".tmp%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, args.output)
    print("wrote %s: %d nodes, %s" % (args.output, len(frozen.node), _size_text(len(data))))
    return EXIT_OK


# --- export ----------------------------------------------------------------------------

def _cmd_export(args):
    from metarun import errors
    try:
        import importlib
        import metarun.onnx as metarun_onnx
        importlib.import_module("metarun.onnx.export")._require_onnx()
    except ImportError as e:
        raise UsageError(str(e)) from None
    exporter = importlib.import_module("metarun.onnx.export")
    if args.model.endswith((".pb", ".pbtxt")) and os.path.isfile(args.model) and \
            os.path.basename(args.model) not in ("saved_model.pb", "saved_model.pbtxt") and \
            not exporter._is_meta_graph_text(args.model):
        # a frozen GraphDef: its nodes are the whole model
        from metarun.framework import protos
        try:
            graph_def = exporter._read_graph_def(args.model)
        except Exception as e:  # a file that does not parse is a usage error, not a crash
            raise UsageError("cannot parse %s as a GraphDef: %s" % (args.model, e)) from None
        meta, tags, model_file = protos.MetaGraphDef(), None, args.model
        meta.graph_def.CopyFrom(graph_def)
        if args.ckpt:
            raise UsageError("a frozen GraphDef holds its own values; --checkpoint goes with "
                             "a .meta")
    else:
        meta, tags, model_file = _freeze_meta_graph(args)
    info = _GraphInfo(meta)
    outputs, source = _freeze_outputs(args, meta, info)
    print("outputs: %s (%s)" % (", ".join(outputs), source))
    tensors = [n.strip() for arg in args.outputs for n in arg.split(",") if n.strip()] \
        if args.outputs else outputs
    out_dir = os.path.dirname(os.path.abspath(args.onnx))
    if not os.path.isdir(out_dir):
        raise UsageError("--onnx %s: no directory %s" % (args.onnx, out_dir))
    inputs = [n.strip() for arg in args.inputs or () for n in arg.split(",") if n.strip()]
    for name in inputs:
        if _node_name(name) not in info.nodes:
            raise UsageError("--inputs %r: no such node in the graph" % name)
    policy = _run_policy(args, model_file)
    ckpt = _resolve_checkpoint(args.ckpt) if args.ckpt else None
    try:
        model = metarun_onnx.export(args.model, checkpoint=ckpt, inputs=inputs or None,
                                    outputs=tensors, opset=args.opset, io_policy=policy,
                                    tags=tags, path=args.onnx)
    except metarun_onnx.UnsupportedOpsError as e:
        print("error: %s" % e, file=sys.stderr)
        return EXIT_RUNTIME
    except (errors.OpError, ValueError, OSError) as e:
        return _failed(e, info, args.model, "export")
    print("wrote %s: opset %d, %d ONNX nodes, inputs %s, outputs %s" % (
        args.onnx, args.opset, len(model.graph.node),
        ", ".join(i.name for i in model.graph.input),
        ", ".join(o.name for o in model.graph.output)))
    return EXIT_OK


CONFINEMENT_RUN = ("A graph is a program: by default it runs as untrusted, reading only its own files "
                   "(the .meta's folder and the --ckpt checkpoint) and writing none; an op that would "
                   "touch any other file fails with PermissionDeniedError before it acts.")


def _add_confinement(s, description):
    """The options of `run`, `freeze` and `export` that widen or lift the IO policy and set the
    memory budget (read by _run_policy)."""
    c = s.add_argument_group("confinement", description)
    c.add_argument("--allow-read", action="append", metavar="DIR", default=[],
                   help="also let the graph read files under DIR; repeatable")
    c.add_argument("--allow-write", action="append", metavar="DIR", default=[],
                   help="let the graph create, overwrite and delete files under DIR (and read "
                   "them); repeatable")
    c.add_argument("--trust", action="store_true",
                   help="run the graph with TensorFlow's unrestricted file access")
    c.add_argument("--max-memory", metavar="SIZE",
                   help="the tensor memory a run may hold, e.g. 512M or 4G; past it the run "
                   "stops with ResourceExhaustedError (default: %d%%%% of the machine's memory, "
                   "or of the container's limit; 'none' for no limit)" % (MEMORY_SHARE * 100))


def _parser():
    p = argparse.ArgumentParser(
        prog="metarun", description="Run TensorFlow 1.x .meta graphs and checkpoints without "
        "TensorFlow, and find out what is inside them.",
        epilog="exit codes: 0 ok, 1 problems found, 2 usage or input error, 3 runtime error")
    from metarun import version
    p.add_argument("--version", action="version", version="metarun %s (tf.compat.v1 of TensorFlow %s)"
                   % (version.METARUN_VERSION, version.VERSION))
    p.add_argument("--cmake-dir", action="store_true",
                   help="print the directory of the C/C++ API's CMake package (metarunConfig.cmake) and exit")
    p.add_argument("--include-dir", action="store_true",
                   help="print the directory of the C/C++ API's headers and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("inspect", help="inputs, likely outputs, variables, unsupported ops",
                       description="Summarize a MetaGraphDef (binary or text): what to feed, what "
                       "to fetch, the variables, collections, saver, and the op types metarun "
                       "cannot run.")
    s.add_argument("meta", help="the .meta file (binary or text MetaGraphDef)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.add_argument("--all", action="store_true", help="list every likely output")
    s.add_argument("--ops", action="store_true", help="show the op-type table even when "
                   "metarun can run every op (it is shown anyway when some op is unsupported)")
    s.add_argument("--strict", action="store_true",
                   help="exit 1 when the graph has op types metarun cannot run")
    s.add_argument("--fetch", action="append", metavar="NAME",
                   help="list the files that fetching NAME would read and write (default: every "
                   "file-touching op in the graph); repeatable")
    s.set_defaults(func=_cmd_inspect)

    s = sub.add_parser("ckpt", help="list the tensors in a checkpoint",
                       description="List a checkpoint's tensors (V1 or V2): name, dtype, shape, "
                       "bytes, and the total size.")
    s.add_argument("path", help="checkpoint prefix, or a directory with a `checkpoint` file")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.add_argument("--verify", action="store_true",
                   help="read every tensor and check its checksum; exit 1 if any is corrupt")
    s.set_defaults(func=_cmd_ckpt)

    s = sub.add_parser("diff", help="check a graph's variables against a checkpoint",
                       description="Compare the keys the graph's saver restores (and its "
                       "variables) with a checkpoint's: missing, extra, shape and dtype "
                       "mismatches, with the nearest names. Exit 1 when restore would fail.")
    s.add_argument("meta", help="the .meta file")
    s.add_argument("ckpt", help="checkpoint prefix, or a directory with a `checkpoint` file")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=_cmd_diff)

    s = sub.add_parser("run", help="restore, feed and fetch; no arguments runs the example",
                       description="Import a graph, restore a checkpoint, feed inputs and print "
                       "the fetched tensors. With no arguments, runs the bundled seed example.")
    s.add_argument("meta", nargs="?", help="the .meta file (default: the bundled example)")
    s.add_argument("--ckpt", help="checkpoint prefix or directory (default: the `checkpoint` "
                   "file next to the graph, if any)")
    s.add_argument("--feed", action="append", metavar="NAME=VALUE",
                   help="feed a tensor: a number or nested list (JSON or Python literal), a "
                   "string, or a .npy file; repeatable")
    s.add_argument("--fetch", action="append", metavar="NAME",
                   help="tensor (x:0, or an op name for its first output) to compute; repeatable")
    s.add_argument("--out", metavar="DIR", help="also save each fetch to DIR/<name>.npy")
    s.add_argument("--full", action="store_true", help="print every value, not a summary")
    s.add_argument("--signature", metavar="KEY", help="SavedModel DIR: the signature to run (default "
                   "serving_default); --feed and --fetch then name its input and output keys")
    s.add_argument("--tag-set", metavar="TAGS", help="SavedModel DIR: the MetaGraphDef's tags, comma-separated "
                   "(default: the only one, or serve)")
    _add_confinement(s, CONFINEMENT_RUN)
    b = s.add_argument_group(
        "many inputs, in batches", "Feed rows from PATH in batches along dimension 0 and write "
        "the fetches, concatenated, next to PATH (or into --out DIR) in PATH's kind: "
        "DIR.outputs/<fetch>.npy, FILE.outputs.npz, .parquet or .csv.")
    b.add_argument("--inputs", metavar="PATH", help="a directory with one .npy file per input "
                   "tensor (x.npy feeds x:0), an .npz (key -> tensor), a .parquet or a .csv "
                   "file (column -> tensor)")
    b.add_argument("--feed-map", action="append", metavar="KEY=TENSOR",
                   help="feed the column, .npy file stem or .npz key KEY to TENSOR (only the "
                   "mapped ones are fed; a,b,c=x stacks columns into [rows, 3]); repeatable")
    b.add_argument("--batch-size", type=int, metavar="N",
                   help="rows per run (default %d; the last batch may be smaller)"
                   % BATCH_SIZE_DEFAULT)
    b.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a progress bar on stderr (default: when stderr is a terminal)")
    s.set_defaults(func=_cmd_run)

    s = sub.add_parser("freeze", help="write a GraphDef with the variables as constants",
                       description="Import a graph, restore its variables and write the part "
                       "the outputs need as one GraphDef whose variables are Consts holding "
                       "their values, as tf.compat.v1.graph_util.convert_variables_to_constants "
                       "writes it (TensorFlow and metarun import it with tf.import_graph_def). "
                       "The graph runs confined, as with `metarun run`.")
    s.add_argument("model", help="a .meta file (binary or text MetaGraphDef) or a SavedModel "
                   "directory")
    s.add_argument("-o", "--output", required=True, metavar="OUT.pb",
                   help="the frozen GraphDef (binary; text when the name ends in .pbtxt)")
    s.add_argument("--checkpoint", "--ckpt", dest="ckpt", metavar="PREFIX",
                   help="checkpoint prefix or directory (default: the `checkpoint` file next "
                   "to the .meta)")
    s.add_argument("--outputs", action="append", metavar="NAMES",
                   help="output node names, comma-separated (default: a SavedModel's signature "
                   "outputs, else the likely outputs `inspect` lists); repeatable")
    s.add_argument("--tag-set", "--tag", dest="tag", metavar="TAGS",
                   help="a SavedModel's tag set, comma-separated (default: the one tagged serve, "
                   "else the first)")
    _add_confinement(s, "As for `run`: the graph may read its own folder and the --checkpoint files "
                        "and write nothing.")
    s.set_defaults(func=_cmd_freeze)

    s = sub.add_parser("export", help="write an ONNX model of an inference graph",
                       description="Freeze a graph (as `freeze` does), fold its constants and "
                       "write it as an ONNX model whose input and output names are the TF "
                       "tensor names (x:0). Needs the onnx package (pip install "
                       "\"metarun[onnx]\"). Loops and conds (TF1's and TF2's) become ONNX "
                       "Loop and If nodes; a graph with an op that has no mapping fails naming "
                       "the op types. The graph runs confined, as with `metarun run`.")
    s.add_argument("model", help="a .meta file (binary, or text .pbtxt), a SavedModel directory "
                   "or a frozen GraphDef (.pb/.pbtxt)")
    s.add_argument("--onnx", required=True, metavar="OUT.onnx", help="the ONNX file to write")
    s.add_argument("--checkpoint", "--ckpt", dest="ckpt", metavar="PREFIX",
                   help="checkpoint prefix or directory (default: the `checkpoint` file next "
                   "to the .meta)")
    s.add_argument("--inputs", action="append", metavar="NAMES",
                   help="input tensors, comma-separated (default: the placeholders the outputs "
                   "need); an internal tensor cuts the graph there; repeatable")
    s.add_argument("--outputs", action="append", metavar="NAMES",
                   help="output node or tensor names, comma-separated (default: a SavedModel's "
                   "signature outputs, else the likely outputs `inspect` lists); repeatable")
    s.add_argument("--opset", type=int, default=17, metavar="N",
                   help="the ONNX opset (13 to 21, default 17)")
    s.add_argument("--tag-set", "--tag", dest="tag", metavar="TAGS",
                   help="a SavedModel's tag set, comma-separated (default: the one tagged serve)")
    _add_confinement(s, "As for `run`: the graph may read its own folder and the --checkpoint files "
                        "and write nothing.")
    s.set_defaults(func=_cmd_export)

    s = sub.add_parser("ops", help="the op types metarun can run",
                       description="The supported op types and their dtypes, from the kernel "
                       "registry (checkpoint IO ops run in Python).")
    fmt = s.add_mutually_exclusive_group()
    fmt.add_argument("--markdown", action="store_true", help="a Markdown table (for README)")
    fmt.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=_cmd_ops)
    return p


def _print_embed_dir(args):
    package = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(package, "lib", "cmake", "metarun") if args.cmake_dir else os.path.join(package, "include")
    if not os.path.isdir(path):
        print("metarun: error: the C/C++ API is not installed here (%s): it is built only for a Python "
              "with a shared libpython" % path, file=sys.stderr)
        return EXIT_RUNTIME
    print(path)
    return EXIT_OK


def main(argv=None):
    """Run the command line; returns the exit code (0 ok, 1 problems, 2 usage, 3 runtime)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or argparse's own usage error (code 2)
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    if args.cmake_dir or args.include_dir:
        return _print_embed_dir(args)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except UsageError as e:
        print("metarun %s: error: %s" % (args.command, e), file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:  # Python's own allocations; tensors past the budget are ResourceExhausted
        print("metarun %s: error: out of memory%s" % (args.command, " (--max-memory SIZE bounds "
              "the tensors a run may hold)" if args.command == "run" else ""), file=sys.stderr)
        return EXIT_RUNTIME
    except BrokenPipeError:  # `metarun ... | head`
        sys.stderr.close()
        return EXIT_OK
