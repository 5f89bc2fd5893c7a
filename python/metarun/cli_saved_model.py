"""`metarun inspect DIR` and `metarun run DIR` for SavedModel directories.

inspect prints what `saved_model_cli show --dir DIR --all` prints for a TF1 SavedModel: each tag
set (sorted by its tags) with its signatures, their inputs and outputs (dtype, shape, tensor
name) and method, and the op types of its graph; then the op types metarun cannot run, if any.
run loads one tag set with tf.saved_model.loader.load (variables restored, main op run) and feeds
and fetches by the signature's keys: --feed KEY=VALUE, --fetch KEY (default: every output);
with --inputs PATH, rows of PATH in batches (files, arrays or columns named by input key, or
--feed-map COLUMNS=KEY), the outputs written by output key. Like `run META`, the graph runs
confined: it may read DIR and write nothing unless widened."""

import os
import sys

from metarun import cli


def is_saved_model_dir(path):
    from metarun.saved_model import loader
    return path is not None and os.path.isdir(path) and loader.maybe_saved_model_directory(path)


def _read(path):
    from metarun.saved_model import loader
    if not is_saved_model_dir(path):
        raise cli.UsageError("%s is a directory without a saved_model.pb or saved_model.pbtxt" % path)
    try:
        return loader.parse_saved_model(path)
    except (OSError, UnicodeDecodeError) as e:
        raise cli.UsageError(str(e).splitlines()[0][:300]) from None


def _dtype_enum_name(enum):
    from metarun.framework import protos
    return protos.get_class("metarun.TensorProto").DESCRIPTOR.fields_by_name["dtype"].enum_type \
        .values_by_number[enum].name if enum else "DT_INVALID"


def _shape(info):
    if info.tensor_shape.unknown_rank:
        return "unknown_rank"
    return "(" + ", ".join(str(d.size) for d in info.tensor_shape.dim) + ")"


def _tensor_info(info):
    out = {"dtype": _dtype_enum_name(info.dtype), "shape": _shape(info)}
    if info.WhichOneof("encoding") == "coo_sparse":
        sparse = info.coo_sparse
        out["coo_sparse"] = {"values": sparse.values_tensor_name, "indices": sparse.indices_tensor_name,
                             "dense_shape": sparse.dense_shape_tensor_name}
    out["name"] = info.name
    return out


def _ops_used(meta):
    """Op types of the graph's nodes and of the function bodies, calls of functions excluded."""
    library = meta.graph_def.library
    functions = {f.signature.name for f in library.function}
    ops = {n.op for n in meta.graph_def.node}
    for f in library.function:
        ops.update(n.op for n in f.node_def)
    return sorted(ops - functions)


def _report(saved_model):
    from metarun._graph_report import _supported_ops
    supported = _supported_ops()
    graphs = []
    for meta in sorted(saved_model.meta_graphs, key=lambda m: list(m.meta_info_def.tags)):
        signatures = {}
        for key in sorted(meta.signature_def):
            sig = meta.signature_def[key]
            signatures[key] = {"inputs": {k: _tensor_info(sig.inputs[k]) for k in sorted(sig.inputs)},
                               "outputs": {k: _tensor_info(sig.outputs[k]) for k in sorted(sig.outputs)},
                               "method_name": sig.method_name}
        ops = _ops_used(meta)
        graphs.append({"tags": list(meta.meta_info_def.tags), "signatures": signatures, "ops": ops,
                       "unsupported_ops": [op for op in ops if op not in supported]})
    return {"saved_model_schema_version": saved_model.saved_model_schema_version, "meta_graphs": graphs}


def _print_info(name, info):
    print("    %s tensor_info:" % name)
    print("        dtype: " + info["dtype"])
    print("        shape: " + info["shape"])
    if "coo_sparse" in info:
        for part, tensor in info["coo_sparse"].items():
            print("        %s: %s" % (part, tensor))
    print("        name: " + info["name"])


def inspect(args):
    report = _report(_read(args.meta))
    if args.json:
        cli._print_json(report)
    else:
        for g in report["meta_graphs"]:
            print("\nMetaGraphDef with tag-set: '%s' contains the following SignatureDefs:" % ", ".join(g["tags"]))
            for key, sig in g["signatures"].items():
                print("\nsignature_def['%s']:" % key)
                print("  The given SavedModel SignatureDef contains the following input(s):")
                for k, info in sig["inputs"].items():
                    _print_info("inputs['%s']" % k, info)
                print("  The given SavedModel SignatureDef contains the following output(s):")
                for k, info in sig["outputs"].items():
                    _print_info("outputs['%s']" % k, info)
                print("  Method name is: " + sig["method_name"])
            print("The MetaGraph with tag set %s contains the following ops: {%s}"
                  % (g["tags"], ", ".join(repr(op) for op in g["ops"])))
        lacking = [(g["tags"], g["unsupported_ops"]) for g in report["meta_graphs"] if g["unsupported_ops"]]
        print()
        if not lacking:
            print("metarun can run every op type of every tag set")
        for tags, ops in lacking:
            print("op types metarun cannot run in tag set '%s': %s" % (",".join(tags), ", ".join(ops)))
    if args.strict and any(g["unsupported_ops"] for g in report["meta_graphs"]):
        return cli.EXIT_PROBLEMS
    return cli.EXIT_OK


def _choose_tags(saved_model, tag_set, path):
    have = [sorted(m.meta_info_def.tags) for m in saved_model.meta_graphs]
    listed = "; ".join(",".join(t) for t in have)
    if tag_set is not None:
        wanted = sorted(t for t in tag_set.split(",") if t)
        if wanted not in have:
            raise cli.UsageError("--tag-set %s: %s has the tag sets %s" % (tag_set, path, listed))
        return wanted
    if len(have) == 1:
        return have[0]
    if ["serve"] in have:
        return ["serve"]
    raise cli.UsageError("%s has several tag sets (%s): choose one with --tag-set" % (path, listed))


def _policy(args, path):
    from metarun.framework.io_policy import IoPolicy
    budget = cli._memory_budget(args.max_memory)
    if args.trust:
        return None if budget is None else IoPolicy(write=["/"], max_memory=budget)
    for d in args.allow_read + args.allow_write:
        if not d:
            raise cli.UsageError("--allow-read/--allow-write need a directory")
    return IoPolicy(read=[os.path.abspath(path)] + list(args.allow_read), write=args.allow_write,
                    max_memory=budget, allow_read_hint="--allow-read {}", allow_write_hint="--allow-write {}")


def run(args):
    import numpy as np

    import metarun
    from metarun import errors
    from metarun.saved_model import loader
    if args.ckpt:
        raise cli.UsageError("a SavedModel restores its own variables/: --ckpt is for .meta graphs")
    if args.inputs is None and (args.feed_map or args.batch_size is not None or args.progress is not None):
        raise cli.UsageError("--feed-map, --batch-size and --progress go with --inputs PATH")
    path = args.meta
    saved_model = _read(path)
    tags = _choose_tags(saved_model, args.tag_set, path)
    meta = loader.get_meta_graph_def_from_tags(saved_model, tags)
    key = args.signature or "serving_default"
    if key not in meta.signature_def:
        raise cli.UsageError("--signature %s: tag set '%s' has the signatures %s" % (
            key, ",".join(tags), ", ".join(sorted(meta.signature_def)) or "(none)"))
    sig = meta.signature_def[key]
    feeds = {}
    for item in args.feed or []:
        name, sep, text = item.partition("=")
        if not sep or name not in sig.inputs:
            raise cli.UsageError("--feed %r: signature %s takes %s (as KEY=VALUE)" % (
                item, key, ", ".join(sorted(sig.inputs))))
        info = sig.inputs[name]
        if info.WhichOneof("encoding") != "name":
            raise cli.UsageError("--feed %s: a sparse input (coo_sparse) cannot be fed from the command line"
                                 % name)
        value = cli._parse_value(text, name)
        dtype = metarun.as_dtype(info.dtype) if info.dtype else None
        if dtype is not None and dtype.name != "string":
            try:
                value = np.asarray(value, dtype=dtype.as_numpy_dtype)
            except (ValueError, TypeError) as e:
                raise cli.UsageError("--feed %s: %r is not a %s value or list (%s)" % (name, text, dtype.name, e)) \
                    from None
        feeds[name] = value
    batch_map = _batch_feed_map(args, sig, key) if args.inputs is not None else {}
    missing = sorted(set(sig.inputs) - set(feeds) - set(batch_map))
    if missing:
        raise cli.UsageError("signature %s needs --feed for %s" % (key, ", ".join(
            "%s (%s %s)" % (k, _dtype_enum_name(sig.inputs[k].dtype), _shape(sig.inputs[k])) for k in missing)))
    fetch_keys = args.fetch or sorted(sig.outputs)
    for k in fetch_keys:
        if k not in sig.outputs:
            raise cli.UsageError("--fetch %s: signature %s gives %s" % (k, key, ", ".join(sorted(sig.outputs))))
    if batch_map:
        for k in fetch_keys:
            if sig.outputs[k].WhichOneof("encoding") != "name":
                raise cli.UsageError("--fetch %s: a sparse output cannot be written by a batch run" % k)
    graph = metarun.Graph()
    with metarun.Session(graph=graph, io_policy=_policy(args, path)) as sess:
        try:
            loader.load(sess, tags, path)
        except (errors.OpError, ValueError, RuntimeError) as e:
            hint = cli._CONFINED_NOTE if isinstance(e, errors.PermissionDeniedError) else ""
            print("error: loading %s failed: %s: %s%s" % (path, type(e).__name__, str(e).strip(), hint),
                  file=sys.stderr)
            return cli.EXIT_RUNTIME
        from metarun.saved_model import utils
        try:
            feed_dict = {utils.get_tensor_from_tensor_info(sig.inputs[k], graph): v for k, v in feeds.items()}
            fetches = [utils.get_tensor_from_tensor_info(sig.outputs[k], graph) for k in fetch_keys]
        except (KeyError, ValueError) as e:
            raise cli.UsageError("signature %s names a tensor the graph lacks: %s" % (key, e)) from None
        if batch_map:
            return _run_batches(args, sess, graph, meta, path, sig, batch_map, fetch_keys, feed_dict, fetches)
        try:
            values = sess.run(fetches, feed_dict)
        except errors.OpError as e:
            hint = cli._CONFINED_NOTE if isinstance(e, errors.PermissionDeniedError) else ""
            print("error: %s: %s%s" % (type(e).__name__, str(e).strip(), hint), file=sys.stderr)
            return cli.EXIT_RUNTIME
        except (TypeError, ValueError) as e:
            raise cli.UsageError(str(e)) from None
    names, flat = [], []  # a sparse output prints (and saves) as its three parts
    for k, fetch, value in zip(fetch_keys, fetches, values):
        if hasattr(value, "dense_shape"):
            for part, tensor in (("indices", fetch.indices), ("values", fetch.values),
                                 ("dense_shape", fetch.dense_shape)):
                names.append("%s.%s" % (k, part))
                flat.append(getattr(value, part))
                cli._print_fetch(names[-1], flat[-1], tensor.dtype.base_dtype.name, args.full)
            continue
        names.append(k)
        flat.append(value)
        cli._print_fetch(k, value, fetch.dtype.base_dtype.name if hasattr(fetch, "dtype") else None, args.full)
    if args.out:
        cli._write_fetches(args.out, names, flat)
    return cli.EXIT_OK


def _batch_feed_map(args, sig, key):
    """{input key: source keys} for `run DIR --inputs PATH`: --feed-map COLUMNS=INPUT_KEY pairs,
    else every file, array or column of PATH named by the input key it feeds."""
    from metarun import cli_batch
    out = {}
    if args.feed_map:
        for item in args.feed_map:
            cols, sep, name = item.rpartition("=")
            if not sep or not cols or name not in sig.inputs:
                raise cli.UsageError("--feed-map %r: expects COLUMNS=KEY with KEY an input of signature %s: %s"
                                     % (item, key, ", ".join(sorted(sig.inputs))))
            out[name] = cols
    else:
        source = cli_batch._open_source(args.inputs)
        for name in source.keys:
            if name not in sig.inputs:
                raise cli.UsageError("--inputs %s: %r is not an input of signature %s (%s); map columns to "
                                     "inputs with --feed-map COLUMN=KEY" % (args.inputs, name, key,
                                                                           ", ".join(sorted(sig.inputs))))
            out[name] = name
    for name in out:
        if sig.inputs[name].WhichOneof("encoding") != "name":
            raise cli.UsageError("--inputs: %s is a sparse input (coo_sparse), which a batch run cannot feed" % name)
    return out


def _run_batches(args, sess, graph, meta, path, sig, batch_map, fetch_keys, feed_dict, fetches):
    """The batch runner of `run META --inputs`, its feeds named by the signature's tensors and its
    outputs by the signature's output keys."""
    import copy

    from metarun._graph_report import _GraphInfo
    from metarun.cli_batch import BatchRun
    batch_args = copy.copy(args)
    batch_args.feed_map = ["%s=%s" % (cols, sig.inputs[name].name) for name, cols in batch_map.items()]
    batch_args.fetch = list(fetch_keys)
    batch = BatchRun(batch_args, graph, [], feed_dict, fetches)
    return batch.run(sess, _GraphInfo(meta), path, path)
