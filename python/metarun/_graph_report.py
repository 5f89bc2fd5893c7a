"""Graph analysis behind `metarun inspect` and `metarun diff`: placeholders,
likely outputs, variables, collections and the keys a saver restores, read
from a MetaGraphDef without importing it."""

import re

_VARIABLE_OPS = ("Variable", "VariableV2", "VarHandleOp")
_PLACEHOLDER_OPS = ("Placeholder", "PlaceholderV2", "PlaceholderWithDefault")
_RESTORE_OPS = ("RestoreV2", "RestoreSlice", "Restore")
# Scopes TF's savers, initializers, gradients and optimizers create: their nodes are
# never what a user fetches, and their consumers do not make a tensor "used".
_PLUMBING_SCOPE = re.compile(
    r"^(save(_\d+)?|init(_\d+)?|init_all_tables|report_uninitialized_variables(_\d+)?|"
    r"gradients(_\d+)?|IsInitialized|Initializer|beta[12]_power(_\d+)?|"
    r"(Adam|RMSProp|Momentum|Adagrad|AdagradDA|Adadelta|Ftrl|GradientDescent|"
    r"ProximalAdagrad|ProximalGradientDescent)(_\d+)?|.*_grad)$")
_NOT_OUTPUT_OP = re.compile(
    r"^(NoOp|Const|Placeholder.*|Variable.*|VarHandleOp|Assign.*|Apply.*|ResourceApply.*|"
    r"Scatter.*|ResourceScatter.*|Save.*|Restore.*|MergeV2Checkpoints|ShardedFilename|"
    r"VarIsInitializedOp|IsVariableInitialized|Assert|Shape|ShapeN|Size|Rank|ControlTrigger|"
    r".*Summary.*|NextIteration|Enter|Exit|LoopCond|Switch|Merge|.*Grad)$")
_PREDICTION_OPS = ("Softmax", "Sigmoid", "ArgMax", "TopKV2", "TopK", "LogSoftmax")
_PREDICTION_NAME = re.compile(r"(logit|pred|prob|output|^out(_\d+)?$|score|y_?hat|infer|class)",
                              re.I)
# What a model's readout feeds, when it is used at all: class picks, metrics, the loss.
_READOUT_OPS = ("ArgMax", "TopKV2", "Equal", "Identity", "Cast", "Log", "Reshape", "Squeeze",
                "Greater", "Round") + ("SoftmaxCrossEntropyWithLogits",
                                       "SparseSoftmaxCrossEntropyWithLogits")
_LOSS_NAME = re.compile(r"(loss|cost|cross_?entropy|xent)", re.I)
_LOSS_OPS = ("SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits", "L2Loss")
_METRIC_NAME = re.compile(r"(accuracy|^acc(_\d+)?$|correct)", re.I)
_ROLE_ORDER = {"prediction": 0, "output": 1, "loss": 2, "metric": 3}
_MAX_OUTPUT_ROWS = 12


def _dtype_name(enum):
    from metarun.framework import dtypes
    try:
        return dtypes.as_dtype(int(enum) % 100).name
    except TypeError:
        return "dtype(%d)" % enum


def _node_name(input_name):
    return input_name.lstrip("^").split(":")[0]


def _is_plumbing(name):
    return any(_PLUMBING_SCOPE.match(part) for part in name.split("/"))


class _GraphInfo(object):
    """Indexes over a MetaGraphDef's nodes: by name, consumers, output dtypes and shapes."""

    def __init__(self, meta):
        self.meta = meta
        self.nodes = {n.name: n for n in meta.graph_def.node}
        self.op_defs = {op.name: op for op in meta.meta_info_def.stripped_op_list.op}
        self.consumers = {name: [] for name in self.nodes}
        self._depends = {}
        for node in meta.graph_def.node:
            for inp in node.input:
                self.consumers.setdefault(_node_name(inp), []).append(node.name)

    def output_dtypes(self, node):
        from metarun.framework import op_def as op_def_lib
        op_def = op_def_lib.lookup(node.op, self.op_defs)
        if op_def is None:
            return []
        attrs = type(node)()
        attrs.attr.MergeFrom(node.attr)
        op_def_lib.fill_default_attrs(attrs.attr, op_def)
        try:
            return op_def_lib.output_types(op_def, attrs.attr)
        except ValueError:
            return []

    def output_shape(self, node, index=0):
        recorded = node.attr["_output_shapes"].list.shape if "_output_shapes" in node.attr else ()
        if node.op in _PLACEHOLDER_OPS + _VARIABLE_OPS and "shape" in node.attr:
            # The shape the API gives the tensor (a VarHandleOp's: its variable's, not the
            # handle's scalar shape).
            from metarun.framework import graph as graph_lib, tensor_util
            legacy = self.meta.graph_def.versions.producer <= 21
            shape = graph_lib.declared_shape(node.op, node.attr["shape"].shape, legacy)
            if recorded and node.op != "VarHandleOp":
                try:
                    shape = shape.merge_with(graph_lib.TensorShape(tensor_util.shape_from_proto(recorded[0])))
                except ValueError:
                    pass  # the import reports the conflict
            return shape.as_list() if shape.ndims is not None else None
        if index < len(recorded):
            return _shape_from_proto(recorded[index])
        return None

    def depends_on_inputs(self, name):
        """Whether the node reads a placeholder or a variable (constants-only math is not an
        output anyone fetches)."""
        if name not in self._depends:
            self._depends[name] = any(self.nodes[a].op in _PLACEHOLDER_OPS + _VARIABLE_OPS
                                      for a in self.ancestors([name]))
        return self._depends[name]

    def ancestors(self, names):
        seen, stack = set(), list(names)
        while stack:
            name = stack.pop()
            if name in seen or name not in self.nodes:
                continue
            seen.add(name)
            stack.extend(_node_name(i) for i in self.nodes[name].input)
        return seen


def _shape_from_proto(proto):
    if proto.unknown_rank:
        return None
    return [d.size if d.size >= 0 else None for d in proto.dim]


def _supported_ops():
    import metarun
    return set(metarun._core.registered_kernels())


def _placeholders(info):
    rows = []
    for node in info.meta.graph_def.node:
        if node.op not in _PLACEHOLDER_OPS or _is_plumbing(node.name):
            continue
        rows.append({"name": node.name + ":0", "op": node.op,
                     "dtype": _dtype_name(node.attr["dtype"].type),
                     "shape": info.output_shape(node),
                     "optional": node.op == "PlaceholderWithDefault"})
    return rows


def _collection_nodes(meta, names):
    out = set()
    for key in names:
        col = meta.collection_def.get(key)
        if col is not None and col.HasField("node_list"):
            out.update(_node_name(v) for v in col.node_list.value)
    return out


def _likely_outputs(info):
    """Tensors a user probably wants to fetch, best first, each with the reasons."""
    from_collections = _collection_nodes(info.meta, [k for k in info.meta.collection_def
                                                     if _PREDICTION_NAME.search(k)])
    found = []
    for node in info.meta.graph_def.node:
        name, last = node.name, node.name.split("/")[-1]
        if _NOT_OUTPUT_OP.match(node.op) or _is_plumbing(name) or "while" in name.split("/"):
            continue
        if node.op in ("Identity", "ReadVariableOp") and node.input and \
                info.nodes.get(_node_name(node.input[0]), node).op in _VARIABLE_OPS:
            continue  # a variable's `/read`
        users = [c for c in info.consumers.get(name, ())
                 if not _is_plumbing(c) and "Summary" not in info.nodes[c].op]
        if any(p.endswith("ZeroState") or _LOSS_NAME.search(p) for p in name.split("/")[:-1]) \
                and users or last in ("pred_id", "switch_t", "switch_f"):
            continue  # the inside of an RNN zero state, a loss or a tf.cond
        dtypes = info.output_dtypes(node)
        if not dtypes:
            continue
        role, why = _output_role(info, node)
        if users and node.op in _PREDICTION_OPS and node.op in why and not all(
                info.nodes[u].op in _READOUT_OPS for u in users):
            why.remove(node.op)  # a gate inside a layer (an LSTM's sigmoids), not a readout
            role = "prediction" if why else "output"
        if not users:
            why.append("unused")
        if not why or not info.depends_on_inputs(name):
            continue
        found.append({"name": name + ":0", "op": node.op, "dtype": _dtype_name(dtypes[0]),
                      "shape": info.output_shape(node), "role": role, "why": ", ".join(why),
                      "_score": (name in from_collections) * 4 + (node.op in _PREDICTION_OPS) * 3
                      + bool(_PREDICTION_NAME.search(last)) * 3 + (not users) * 2})
        if name in from_collections:
            found[-1]["why"] = "in an outputs collection" + (", " if why else "") + found[-1]["why"]
    found.extend(_loss_inputs(info, {r["name"] for r in found}))
    found.sort(key=lambda r: (_ROLE_ORDER[r["role"]], -r["_score"], r["name"]))
    for r in found:
        del r["_score"]
    return found


def _loss_inputs(info, known):
    """The predictions a training graph's losses compare with labels: for each loss op (or
    Square/Abs of a difference), the input that does not come from a placeholder."""
    found = []
    for node in info.meta.graph_def.node:
        if _is_plumbing(node.name):
            continue
        if node.op in ("Square", "Abs") and node.input:
            node = info.nodes.get(_node_name(node.input[0]))
            if node is None or node.op != "Sub":
                continue
        elif node.op not in _LOSS_OPS + ("SquaredDifference",):
            continue
        picked = _prediction_input(info, node)
        if picked is not None and picked.op == "Sub":  # l2_loss(pred - y)
            picked = _prediction_input(info, picked) or picked
        if picked is None or picked.name + ":0" in known or not info.output_dtypes(picked):
            continue
        known.add(picked.name + ":0")
        found.append({"name": picked.name + ":0", "op": picked.op,
                      "dtype": _dtype_name(info.output_dtypes(picked)[0]),
                      "shape": info.output_shape(picked), "role": "prediction",
                      "why": "feeds the loss %s" % node.name, "_score": 1})
    return found


def _prediction_input(info, loss):
    """The first input of `loss` that is not a label: followed out of the loss's own scope and
    through reshapes, skipping placeholders, constants and one-hot labels."""
    scope = loss.name.rsplit("/", 1)[0] + "/" if "/" in loss.name else loss.name + "/"
    for inp in [i for i in loss.input if not i.startswith("^")][:2]:
        src = info.nodes.get(_node_name(inp))
        while src is not None and src.input and (src.name.startswith(scope) or src.op in (
                "Reshape", "Identity", "StopGradient", "Cast", "Squeeze")):
            if src.op == "Squeeze" and not src.name.startswith(scope):
                break  # a regression head's squeezed output is the prediction itself
            src = info.nodes.get(_node_name(src.input[0]))
        if src is not None and src.op not in _PLACEHOLDER_OPS + ("Const", "OneHot"):
            return src
    return None


def _output_role(info, node):
    """(role, reasons): a loss or metric by its name, op type or direct inputs; a prediction
    by op type or name; else a plain output."""
    last = node.name.split("/")[-1]
    inputs = [info.nodes.get(_node_name(i)) for i in node.input if not i.startswith("^")]
    inputs = [n for n in inputs if n is not None]
    if node.op in _LOSS_OPS:
        return "loss", [node.op]
    if _LOSS_NAME.search(node.name):
        return "loss", ["named %r" % (last if _LOSS_NAME.search(last) else node.name)]
    if any(n.op in _LOSS_OPS or _LOSS_NAME.search(n.name) for n in inputs):
        return "loss", []
    if _METRIC_NAME.search(node.name):
        return "metric", ["named %r" % last]
    grand = [info.nodes.get(_node_name(i)) for n in inputs for i in n.input]
    if node.op == "Mean" and any(n is not None and n.op == "Equal" for n in inputs + grand):
        return "metric", []
    why = [node.op] if node.op in _PREDICTION_OPS else []
    if _PREDICTION_NAME.search(last):
        why.append("named %r" % last)
    return ("prediction" if why else "output"), why


def _collections(meta):
    rows = []
    for key in sorted(meta.collection_def):
        col = meta.collection_def[key]
        kind = col.WhichOneof("kind") or "empty"
        values = list(getattr(col, kind).value) if kind != "empty" else []
        if kind == "bytes_list":
            preview = [_bytes_preview(v) for v in values[:3]]
            if key in _VARIABLE_COLLECTIONS:
                kind, preview = "variables", [_variable_def(v).variable_name for v in values[:3]]
        elif kind == "any_list":
            preview = [v.type_url.rsplit("/", 1)[-1] for v in values[:3]]
        else:
            preview = [str(v) for v in values[:3]]
        text = ", ".join(preview) + (", ..." if len(values) > 3 else "")
        rows.append({"name": key, "kind": kind, "count": len(values), "values": text})
    return rows


_VARIABLE_COLLECTIONS = ("variables", "trainable_variables", "local_variables", "model_variables",
                         "moving_average_variables", "metric_variables", "global_step")


def _bytes_preview(value):
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and text.isprintable() and len(text) <= 40:
        return repr(text)
    return "<%d bytes>" % len(value)


def _variable_def(raw):
    from metarun.framework import protos
    return protos.VariableDef.FromString(raw)


def _variables(info):
    """Variables from the variable collections (else the variable ops), with checkpoint keys."""
    meta = info.meta
    defs, trainable = {}, set()
    for key in _VARIABLE_COLLECTIONS:
        col = meta.collection_def.get(key)
        if col is None or not col.HasField("bytes_list"):
            continue
        for raw in col.bytes_list.value:
            vdef = _variable_def(raw)
            defs.setdefault(_node_name(vdef.variable_name), vdef)
            if key == "trainable_variables":
                trainable.add(_node_name(vdef.variable_name))
    names = list(defs) or [n.name for n in meta.graph_def.node if n.op in _VARIABLE_OPS]
    rows = []
    for name in names:
        node = info.nodes.get(name)
        if node is None:
            continue
        vdef = defs.get(name)
        dtype = node.attr["dtype"].type if "dtype" in node.attr else 0
        shape = info.output_shape(node)
        row = {"name": name, "dtype": _dtype_name(dtype) if dtype else "?", "shape": shape,
               "trainable": name in trainable,
               "kind": "resource" if node.op == "VarHandleOp" else "ref",
               "key": name, "key_shape": shape, "_dtype": dtype}
        if vdef is not None and vdef.HasField("save_slice_info_def"):
            info_def = vdef.save_slice_info_def
            row["key"], row["key_shape"] = info_def.full_name, list(info_def.full_shape)
            row["partition_of"] = info_def.full_name
        rows.append(row)
    return rows


def _const_strings(info, name):
    """The string values of the Const that `name` is (or forwards through Identity)."""
    from metarun.framework import tensor_util
    node = info.nodes.get(_node_name(name))
    while node is not None and node.op == "Identity" and node.input:
        node = info.nodes.get(_node_name(node.input[0]))
    if node is None or node.op != "Const":
        return None
    values = tensor_util.to_numpy(node.attr["value"].tensor).reshape(-1)
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values]


def _restore_keys(info):
    """{checkpoint key: (dtype enum, full shape or None, graph variable)} that the saver's
    restore op will look up, read from the Const inputs of its Restore nodes."""
    restore_op = _node_name(info.meta.saver_def.restore_op_name)
    if not info.meta.HasField("saver_def") or restore_op not in info.nodes:
        return None
    keys = {}
    for name in sorted(info.ancestors([restore_op])):
        node = info.nodes[name]
        if node.op not in _RESTORE_OPS or len(node.input) < 2:
            continue
        names = _const_strings(info, node.input[1]) or []
        specs = (_const_strings(info, node.input[2]) if len(node.input) > 2 else None) or []
        types = list(node.attr["dtypes"].list.type) if node.op == "RestoreV2" \
            else [node.attr["dt"].type] * len(names)
        for i, key in enumerate(names):
            target = _assigned_variable(info, name, i)
            spec = specs[i] if i < len(specs) else ""
            if spec.strip():
                shape = [int(d) for d in spec.split()[:-1]]
            else:
                shape = info.output_shape(info.nodes[target]) if target else None
            keys[key] = (types[i] if i < len(types) else 0, shape, target)
    return keys


def _assigned_variable(info, restore_node, index):
    """The variable the restore node's output `index` is assigned to (through Identity etc.)."""
    wanted = restore_node if index == 0 else "%s:%d" % (restore_node, index)
    frontier = [(restore_node, wanted)]
    for _ in range(4):
        nxt = []
        for src, tensor in frontier:
            for user in info.consumers.get(src, ()):
                node = info.nodes[user]
                if tensor not in node.input and not (index == 0 and src + ":0" in node.input):
                    continue
                if node.op.startswith("Assign") and node.input:
                    var = info.nodes.get(_node_name(node.input[0]))
                    if var is not None and var.op in _VARIABLE_OPS:
                        return var.name
                nxt.append((user, user))
        frontier = nxt
    return None


# --- the files a fetch touches ---------------------------------------------------------
# What `metarun inspect` shows before anything runs: the ops on a fetch's path that read, list,
# write or delete files, with their paths when the graph holds them as constants.

# op type -> ((how it touches the path, where the path is), ...): an input index, or an attr
# name for ops whose file is an attribute.
_FILE_OPS = {
    "SaveV2": (("writes", 0),), "Save": (("writes", 0),), "SaveSlices": (("writes", 0),),
    "RestoreV2": (("reads", 0),), "Restore": (("reads", 0),), "RestoreSlice": (("reads", 0),),
    "MergeV2Checkpoints": (("reads and deletes", 0), ("writes", 1)),
    "ReadFile": (("reads", 0),), "WriteFile": (("writes", 0),), "MatchingFiles": (("lists", 0),),
    "InitializeTableFromTextFile": (("reads", 1),), "InitializeTableFromTextFileV2": (("reads", 1),),
    "CacheDataset": (("reads and writes", 1),), "CacheDatasetV2": (("reads and writes", 1),),
    "FixedUnigramCandidateSampler": (("reads", "vocab_file"),),
    "PrintV2": (("appends to", "output_stream"),),
    "DecodeProtoV2": (("reads", "descriptor_source"),),
}
for _op in ("TFRecordDataset", "TFRecordDatasetV2", "TextLineDataset", "FixedLengthRecordDataset",
            "FixedLengthRecordDatasetV2", "CSVDataset", "CSVDatasetV2", "ExperimentalCSVDataset",
            "LMDBDataset", "ExperimentalLMDBDataset"):
    _FILE_OPS[_op] = (("reads", 0),)
# A reader reads the files its queue names: ReaderRead*'s inputs are (reader, queue).
_READER_READ_OPS = ("ReaderRead", "ReaderReadV2", "ReaderReadUpTo", "ReaderReadUpToV2")
COMPUTED, FED = "(computed at run time)", "(fed)"


def _attr_path(node, attr):
    """The file an attr names, or None when the attr names none (its default, memory, stderr)."""
    if attr not in node.attr:
        return None
    value = node.attr[attr].s.decode("utf-8", "replace")
    if attr == "output_stream":
        return value[len("file://"):] if value.startswith("file://") else None
    if attr == "descriptor_source":
        return None if value in ("", "local://") or value.startswith("bytes://") else value
    return value or None


class _Nodes(object):
    """Name lookup over the top-level graph or one function body (whose inputs read
    "node:output:0"; names without a colon there are the function's arguments)."""

    def __init__(self, nodes, body=False):
        self.nodes, self.body = nodes, body

    def source(self, name):
        name = name.lstrip("^")
        return self.nodes.get(name.split(":")[0])


def _path_of(nodes, input_name, saver_filename):
    """(paths or None, how the path is given): a Const's strings (through Identity), "(fed)" for
    a placeholder (with its default, if it has a constant one), else "(computed at run time)"."""
    node = _forwarded(nodes, nodes.source(input_name), ("Identity", "Snapshot"))
    if node is None:
        return None, COMPUTED
    fed_by_saver = not nodes.body and saver_filename and node.name == saver_filename
    if node.op in ("Placeholder", "PlaceholderV2", "PlaceholderWithDefault") or fed_by_saver:
        default = _const_values(_forwarded(nodes, node, ("Identity", "Snapshot",
                                                         "PlaceholderWithDefault")))
        default = "; default %s" % ", ".join(default) if default else ""
        return None, "(fed by Saver.save/restore%s)" % default if fed_by_saver else \
            "(fed%s)" % default
    values = _const_values(node)
    return (values, "") if values is not None else (None, COMPUTED)


def _forwarded(nodes, node, ops):
    """The node a chain of `ops` (each forwarding its first input) starts from."""
    for _ in range(1000):
        if node is None or node.op not in ops or not node.input:
            break
        node = nodes.source(node.input[0])
    return node


def _const_values(node):
    from metarun.framework import tensor_util
    if node is None or node.op != "Const" or "value" not in node.attr:
        return None
    try:
        values = tensor_util.to_numpy(node.attr["value"].tensor).reshape(-1)
    except (ValueError, TypeError):
        return None
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values]


def _queue_files(info, queue_input):
    """The file names a queue is filled with, when a graph enqueues a constant list."""
    queue = info.nodes.get(_node_name(queue_input))
    if queue is None:
        return None, COMPUTED
    names = []
    for user in info.consumers.get(queue.name, ()):
        node = info.nodes[user]
        if not node.op.startswith("QueueEnqueue") or len(node.input) < 2:
            continue
        paths, how = _path_of(_Nodes(info.nodes), node.input[1], None)
        if paths is None:
            return None, "(file names from queue %s, %s)" % (queue.name, (how or COMPUTED).strip("()"))
        names.extend(paths)
    if not names:
        return None, "(file names from queue %s, %s)" % (queue.name, COMPUTED.strip("()"))
    return names, "(file names from queue %s)" % queue.name


def _node_file_rows(info, nodes, node, saver_filename, function=None):
    rows = []
    if node.op in _READER_READ_OPS and len(node.input) >= 2:
        reader = nodes.source(node.input[0])
        paths, how = (_queue_files(info, node.input[1]) if not nodes.body
                      else (None, COMPUTED))
        rows.append(("reads", paths, how, "%s via %s" % (node.op, reader.op if reader else "a reader")))
    for access, where in _FILE_OPS.get(node.op, ()):
        if isinstance(where, str):
            path = _attr_path(node, where)
            if path is None:
                continue
            paths, how = [path], "(attr %s)" % where
        else:
            inputs = [i for i in node.input if not i.startswith("^")]
            if where >= len(inputs):
                continue
            paths, how = _path_of(nodes, inputs[where], saver_filename)
            if node.op.startswith("CacheDataset") and paths == [""]:
                continue  # an empty filename caches in memory
        rows.append((access, paths, how, node.op))
    return [{"node": node.name, "op": op_text, "access": access, "paths": paths,
             "how": how, "function": function} for access, paths, how, op_text in rows]


def _functions_called(node, library):
    """Names of library functions the node calls: by op type or through func attrs."""
    names = [node.op] if node.op in library else []
    for value in node.attr.values():
        if value.HasField("func"):
            names.append(value.func.name)
        elif value.HasField("list"):
            names.extend(f.name for f in value.list.func)
    return [n for n in names if n in library]


def _file_ops_of(info, names):
    """The file rows of the nodes `names` and of the function bodies they call, transitively."""
    library = {f.signature.name: f for f in info.meta.graph_def.library.function}
    saver = _node_name(info.meta.saver_def.filename_tensor_name) \
        if info.meta.HasField("saver_def") else None
    top = _Nodes(info.nodes)
    rows, todo, done = [], [], set()
    for name in sorted(names):
        node = info.nodes[name]
        rows.extend(_node_file_rows(info, top, node, saver))
        todo.extend(_functions_called(node, library))
    while todo:
        fname = todo.pop()
        if fname in done:
            continue
        done.add(fname)
        body = library[fname]
        nodes = _Nodes({n.name: n for n in body.node_def}, body=True)
        for node in body.node_def:
            rows.extend(_node_file_rows(info, nodes, node, None, function=fname))
            todo.extend(_functions_called(node, library))
    return rows


def _file_access(info, fetches=None):
    """Rows {fetch, node, op, access, paths, how, function}: for each fetch (a tensor or op
    name) the file-touching ops its run would execute; with no fetches, every one in the graph
    (fetch None). `paths` is None when the graph does not hold the path as a constant."""
    if not fetches:
        return [dict(row, fetch=None) for row in _file_ops_of(info, list(info.nodes))]
    out = []
    for fetch in fetches:
        needed = info.ancestors([_node_name(fetch)])
        out.extend(dict(row, fetch=fetch) for row in _file_ops_of(info, needed))
    return out


def _file_access_line(row):
    where = "" if not row["paths"] else ", ".join(row["paths"])
    text = " ".join(p for p in (row["access"], where, row["how"]) if p)
    inside = ", in function %s" % row["function"] if row["function"] else ""
    if row["fetch"] is None:
        return "%s (%s%s) %s" % (row["node"], row["op"], inside, text)
    return "fetching %s %s  [%s, %s%s]" % (row["fetch"], text, row["node"], row["op"], inside)
