"""The exporter's driver: load and freeze, cut, fold constants, map ops, optimize, write."""

import collections
import os

import numpy as np

from metarun.framework import protos, tensor_util

DEFAULT_OPSET = 17
MIN_OPSET = 13
MAX_OPSET = 21

# Never computed ahead of time: their values depend on a run (feeds, state, randomness) or they
# are control flow, which this exporter refuses by name.
_NOT_FOLDABLE = {
    "Placeholder", "PlaceholderV2", "PlaceholderWithDefault", "VariableV2", "Variable",
    "VarHandleOp", "ReadVariableOp", "Enter", "Exit", "Merge", "Switch", "NextIteration",
    "LoopCond", "If", "StatelessIf", "While", "StatelessWhile", "PartitionedCall",
    "StatefulPartitionedCall", "Case", "RandomUniform", "RandomStandardNormal",
    "TruncatedNormal", "RandomUniformInt", "RandomShuffle", "Multinomial", "NoOp",
    "TensorArrayV3", "TensorArrayWriteV3", "TensorArrayScatterV3", "TensorArraySplitV3",
    "TensorArrayReadV3", "TensorArrayGatherV3", "TensorArraySizeV3", "TensorArrayConcatV3",
    "TensorArrayCloseV3", "Assert", "HashTable", "HashTableV2", "MutableHashTable",
    "MutableHashTableV2", "LookupTableFind", "LookupTableFindV2", "LookupTableSize",
    "LookupTableSizeV2",
}
_ONNX_IMPORT_HINT = ('metarun.onnx needs the onnx package: pip install "metarun[onnx]" '
                     '(or pip install onnx)')


class UnsupportedOpsError(ValueError):
    """The graph has op types the exporter cannot map to ONNX; `op_types` lists them sorted."""

    def __init__(self, op_types, nodes):
        self.op_types = sorted(op_types)
        self.nodes = nodes
        examples = ", ".join("%s (%s)" % (n, op) for op, n in sorted(
            {op: name for name, op in reversed(nodes)}.items()))
        super().__init__(
            "cannot export to ONNX: no mapping for op type%s %s (e.g. %s)" % (
                "" if len(self.op_types) == 1 else "s", ", ".join(self.op_types), examples))


def _require_onnx():
    try:
        import onnx
    except ImportError as e:
        raise ImportError(_ONNX_IMPORT_HINT) from e
    return onnx


def supported_op_types():
    """The TF op types the exporter maps, sorted: those with a handler, TF1's control-flow
    primitives (built into Loop and If nodes) and TF2's functional ops (lowered to them)."""
    from metarun.onnx import _control_flow, _lower, _ops, _tables  # noqa: F401 (handlers)
    return sorted(set(_ops.HANDLERS) | _control_flow.PRIMITIVES | _lower.LOWERED)


def _node_name(tensor_name):
    name = tensor_name[1:] if tensor_name.startswith("^") else tensor_name
    return name.split(":")[0]


def _tensor_name(name):
    """'x' -> 'x:0'; 'x:1' stays."""
    if name.startswith("^"):
        return name
    return name if ":" in name else name + ":0"


# --- loading and freezing ----------------------------------------------------------------

def _read_graph_def(path):
    graph_def = protos.GraphDef()
    if path.endswith(".pbtxt"):
        with open(path) as f:
            return protos.parse_text(f.read(), protos.GraphDef)
    with open(path, "rb") as f:
        graph_def.ParseFromString(f.read())
    return graph_def


def _is_meta_graph_text(path):
    """A text MetaGraphDef saved as .pbtxt (export_meta_graph(as_text=True)): its top-level
    fields are meta_info_def, graph_def, saver_def, collection_def, signature_def."""
    if not path.endswith(".pbtxt"):
        return False
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    return any(head.lstrip().startswith(field) for field in (
        b"meta_info_def", b"graph_def", b"saver_def", b"collection_def", b"signature_def",
        b"asset_file_def", b"object_graph_def"))


def _freeze_session(sess, graph, outputs):
    from metarun.tools import freeze
    return freeze.convert_variables_to_constants(sess, graph.as_graph_def(), outputs)


def _default_outputs(meta):
    from metarun._graph_report import _GraphInfo, _likely_outputs
    signature_outputs = [_node_name(t.name) for key, sig in sorted(meta.signature_def.items())
                         if not key.startswith("__") for _, t in sorted(sig.outputs.items())
                         if t.name]
    if signature_outputs:
        return list(dict.fromkeys(signature_outputs))
    likely = _likely_outputs(_GraphInfo(meta))
    chosen = [o for o in likely if o["role"] != "loss"] or likely
    if not chosen:
        raise ValueError("no likely outputs found in the graph; name them with outputs=[...]")
    return list(dict.fromkeys(_node_name(o["name"]) for o in chosen))


def _frozen_graph_def(model, checkpoint, outputs, io_policy, tags):
    """(frozen GraphDef, output tensor names). A lookup table's contents, initialized as the
    graph's table initializers (or a SavedModel's init op) fill it, are kept in the frozen
    table node's attr (see _tables)."""
    import metarun
    from metarun.framework import importer
    from metarun.onnx import _tables
    if isinstance(model, protos.GraphDef):
        if not outputs:
            raise ValueError("exporting a GraphDef needs outputs=[...]")
        return model, outputs
    meta = None
    saved_model_dir = None
    if isinstance(model, protos.MetaGraphDef):
        meta = model
    elif isinstance(model, (str, os.PathLike)):
        model = os.fspath(model)
        if os.path.isdir(model):
            saved_model_dir = model
        elif model.endswith((".pb", ".pbtxt")) and not model.endswith("saved_model.pb") \
                and not _is_meta_graph_text(model):
            if not outputs:
                raise ValueError("exporting a GraphDef needs outputs=[...]")
            return _read_graph_def(model), outputs
        elif not os.path.isfile(model):
            raise FileNotFoundError("no such graph file: %s" % model)
        else:
            meta = importer.read_meta_graph_file(model)
    else:
        raise TypeError("export() takes a .meta path, a SavedModel directory, a .pb GraphDef, "
                        "a MetaGraphDef or a GraphDef, not %s" % type(model).__name__)
    graph = metarun.Graph()
    with metarun.Session(graph=graph, io_policy=io_policy) as sess:
        if saved_model_dir is not None:
            from metarun.saved_model import loader
            saved = loader.parse_saved_model(saved_model_dir)
            if tags is None:
                chosen = [m for m in saved.meta_graphs if "serve" in m.meta_info_def.tags] or \
                    list(saved.meta_graphs[:1])
                tags = list(chosen[0].meta_info_def.tags) if chosen else ["serve"]
            meta = loader.load(sess, tags, saved_model_dir)
        else:
            with graph.as_default():
                saver = importer.import_meta_graph(meta)
            prefix = checkpoint
            if prefix is None and isinstance(model, str):
                prefix = metarun.train.latest_checkpoint(os.path.dirname(os.path.abspath(model)))
            elif prefix is not None and os.path.isdir(prefix):
                prefix = metarun.train.latest_checkpoint(prefix)
            if saver is not None:
                if prefix is None:
                    raise ValueError("the graph has variables and no checkpoint was given or "
                                     "found beside it; pass checkpoint=PREFIX")
                saver.restore(sess, prefix)
            if graph.get_collection("table_initializer"):
                sess.run(graph.get_collection("table_initializer"))
        names = [_node_name(o) for o in outputs] if outputs else _default_outputs(meta)
        frozen = _freeze_session(sess, graph, names)
        _constant_old_variables(sess, graph, frozen)
        _tables.export_contents(sess, graph, frozen)
    if not outputs:
        outputs = names
    return frozen, outputs


def _constant_old_variables(sess, graph, graph_def):
    """The freezer leaves the pre-VariableV2 `Variable` op as TF's does; an export needs values."""
    for node in graph_def.node:
        if node.op != "Variable":
            continue
        value = np.asarray(sess.run(graph.get_tensor_by_name(node.name + ":0")))
        dtype = node.attr["dtype"].type
        node.op = "Const"
        for key in list(node.attr):
            del node.attr[key]
        node.attr["dtype"].type = dtype
        tensor_util.make_tensor_proto(value, dtype, node.attr["value"].tensor)


# --- the graph to convert -----------------------------------------------------------------

def post_order(roots, deps):
    """The names reachable from `roots` (a list that may grow while it is walked), each after
    the names deps(name) yields: an iterative depth-first walk, deep graphs welcome."""
    order, state = [], {}
    while roots:
        stack = [(roots.pop(0), False)]
        while stack:
            name, done = stack.pop()
            if done:
                if state.get(name) != 2:
                    state[name] = 2
                    order.append(name)
                continue
            if state.get(name):
                continue
            state[name] = 1
            stack.append((name, True))
            stack.extend((dep, False) for dep in deps(name) if not state.get(dep))
    return order


class _Graph(object):
    """The frozen GraphDef cut to the outputs (and at the inputs), with metarun's shapes."""

    def __init__(self, graph_def, inputs, outputs):
        import metarun
        self.nodes = {n.name: n for n in graph_def.node}
        self.outputs = [_tensor_name(o) for o in outputs]
        for o in self.outputs:
            if _node_name(o) not in self.nodes:
                raise ValueError("output %r: no such node in the graph" % o)
        cut = set()
        if inputs:
            self.inputs = [_tensor_name(i) for i in inputs]
            for i in self.inputs:
                if _node_name(i) not in self.nodes:
                    raise ValueError("input %r: no such node in the graph" % i)
            cut = set(self.inputs)
        else:
            self.inputs = None
        self.order = self._prune(cut)
        self.graph = metarun.Graph()
        with self.graph.as_default():
            metarun.import_graph_def(self._needed_graph_def(graph_def, cut), name="")
        if self.inputs is None:
            self.inputs = [n.name + ":0" for n in self.order
                           if n.op in ("Placeholder", "PlaceholderV2")]
        self.cut = set(self.inputs)

    def _prune(self, cut):
        """Nodes the outputs need, in topological order, stopping at the cut tensors. A loop's
        back edge (NextIteration -> Merge) is not an ordering edge: the NextIteration and what
        it reads are visited as further roots, after the Merge."""
        roots = [_node_name(out) for out in self.outputs]

        def deps(name):
            node = self.nodes[name]
            for inp in node.input:
                if inp.startswith("^") and not self._is_pivot(inp[1:]):
                    continue
                if _tensor_name(inp) in cut:
                    continue
                dep = _node_name(inp)
                if dep not in self.nodes:
                    raise ValueError("node %s reads %s, which is not in the graph" % (name, inp))
                if node.op == "Merge" and self.nodes[dep].op == "NextIteration":
                    roots.append(dep)
                else:
                    yield dep

        return [self.nodes[name] for name in post_order(roots, deps)]

    def _needed_graph_def(self, graph_def, cut):
        """The nodes the outputs compute from, and what the cut tensors' producers need (their
        static shapes are the inputs' shapes). Control edges to anything else are dropped: a
        variable update or an Assert run for its effect computes nothing the export keeps,
        and a frozen graph's variables are constants it cannot update."""
        keep = {n.name for n in self.order}
        stack = [_node_name(t) for t in cut]
        while stack:
            name = stack.pop()
            if name in keep or name not in self.nodes:
                continue
            keep.add(name)
            stack.extend(_node_name(i) for i in self.nodes[name].input)
        out = protos.GraphDef()
        out.versions.CopyFrom(graph_def.versions)
        out.library.CopyFrom(graph_def.library)
        for node in graph_def.node:
            if node.name not in keep:
                continue
            copy = out.node.add()
            copy.CopyFrom(node)
            if any(i.startswith("^") and i[1:] not in keep for i in node.input):
                del copy.input[:]
                copy.input.extend(i for i in node.input
                                  if not i.startswith("^") or i[1:] in keep)
        self.nodes = {n.name: n for n in out.node}
        self.order = [self.nodes[n.name] for n in self.order]
        return out

    def _is_pivot(self, name):
        """A cond's pivot (an Identity of a Switch output): constants built in a branch hang
        on it by a control edge, and through it on the predicate the branch is chosen by."""
        node = self.nodes.get(name)
        if node is None or node.op != "Identity" or not node.input:
            return False
        src = self.nodes.get(_node_name(node.input[0]))
        return src is not None and src.op == "Switch"

    def tensor(self, name):
        return self.graph.get_tensor_by_name(name)

    def data_inputs(self, node):
        return [_tensor_name(i) for i in node.input if not i.startswith("^")]


def _static(g, node, tensor):
    """Shape/Rank/Size of a tensor whose static shape answers them, else None."""
    shape = g.tensor(tensor).shape
    if shape.ndims is None:
        return None
    dtype = np.int64 if "out_type" in node.attr and node.attr["out_type"].type == 9 else np.int32
    if node.op == "Rank":
        return np.array(shape.ndims, np.int32)
    dims = shape.as_list()
    if None in dims:
        return None
    if node.op == "Shape":
        return np.array(dims, dtype)
    return np.array(int(np.prod(dims)), dtype)


def _plain_outputs(g, node):
    """No resource or variant output (a handle, a TensorList): those are not values."""
    return all(t.dtype.as_datatype_enum % 100 not in (20, 21)
               for t in g.graph.get_operation_by_name(node.name).outputs)


def _fold_constants(g):
    """{tensor name: ndarray} for every tensor computable without a feed, computed by metarun."""
    import metarun
    values, foldable, static = {}, set(), set()
    for node in g.order:
        ins = g.data_inputs(node)
        if node.op == "Const":
            values[node.name + ":0"] = tensor_util.to_numpy(node.attr["value"].tensor)
            foldable.add(node.name)
        elif node.op in ("Shape", "Rank", "Size") and ins[0] not in g.cut and \
                _static(g, node, ins[0]) is not None:
            values[node.name + ":0"] = _static(g, node, ins[0])
            foldable.add(node.name)
            static.add(node.name + ":0")
        elif (node.op not in _NOT_FOLDABLE and ins and
              all(_node_name(i) in foldable and i not in g.cut for i in ins) and
              all(_node_name(c) in foldable for c in node.input if c.startswith("^")) and
              _plain_outputs(g, node)):
            foldable.add(node.name)
    # fetch the foldable tensors something non-foldable (or the graph's outputs) reads
    wanted = set()
    for node in g.order:
        if node.name in foldable:
            continue
        for i in g.data_inputs(node):
            if _node_name(i) in foldable and i not in values:
                wanted.add(i)
    for o in g.outputs:
        if _node_name(o) in foldable and o not in values:
            wanted.add(o)
    wanted = sorted(wanted)
    # constants under a control edge (inside a cond branch) are fed, not computed
    for node in g.order:
        if node.op == "Const" and any(i.startswith("^") for i in node.input):
            static.add(node.name + ":0")
    if wanted:
        with metarun.Session(graph=g.graph) as sess:
            results = sess.run([g.tensor(t) for t in wanted],
                               {g.tensor(t): values[t] for t in static})
        for t, v in zip(wanted, results):
            values[t] = np.asarray(v)
    return values, foldable


# --- building the model -------------------------------------------------------------------

_ONNX_DTYPE = {1: 1, 2: 11, 3: 6, 4: 2, 5: 5, 6: 3, 9: 7, 10: 9, 14: 16, 17: 4, 19: 10, 22: 12,
               23: 13, 7: 8}


def onnx_dtype(tf_enum):
    tf_enum = int(tf_enum) % 100
    if tf_enum not in _ONNX_DTYPE:
        raise ValueError("no ONNX type for TF dtype enum %d" % tf_enum)
    return _ONNX_DTYPE[tf_enum]


class Context(object):
    """What an op handler sees: the TF graph's facts and the ONNX graph being built.

    A loop body or a cond branch is built in a child context: its own node list and aliases,
    the root's initializers, constants and name counter (ONNX subgraphs read outer values by
    name, so constants stay initializers of the main graph).
    """

    def __init__(self, g, values, opset, parent=None):
        self.g = g
        self.values = values
        self.opset = opset
        self.nodes = []
        if parent is None:
            self.initializers = {}
            self.ranks = {}
            self._counter = [0]
            self.aliases = {}
            self.scopes = None
            self.domains = {}  # other operator sets used: domain -> version
        else:
            self.domains = parent.domains
            self.initializers = parent.initializers
            self.ranks = parent.ranks
            self._counter = parent._counter
            self.aliases = collections.ChainMap({}, parent.aliases)

    def child(self):
        sub = Context(self.g, self.values, self.opset, parent=self)
        sub.scopes = self.scopes
        return sub

    def unique(self, hint):
        self._counter[0] += 1
        return "%s__%d" % (hint, self._counter[0])

    def value(self, tensor):
        """The constant value of a TF tensor, or None when it depends on a feed."""
        return self.values.get(tensor)

    def const_input(self, node, index, what):
        ins = self.g.data_inputs(node)
        v = self.value(ins[index])
        if v is None:
            raise NotMappable("%s %s: the %s must be a constant (it is computed from a feed)"
                              % (node.op, node.name, what))
        return v

    def shape(self, tensor):
        """The static shape as a list (None for unknown dims), or None for unknown rank."""
        shape = self.g.tensor(tensor).shape
        return None if shape.ndims is None else shape.as_list()

    def rank(self, tensor):
        s = self.shape(tensor)
        if s is None:
            if tensor in self.ranks:
                return self.ranks[tensor]
        return None if s is None else len(s)

    def dtype(self, tensor):
        return self.g.tensor(tensor).dtype.as_datatype_enum

    def const(self, array, hint="const"):
        name = self.unique(hint)
        self.initializers[name] = np.asarray(array)
        return name

    def alias(self, tensor, onnx_name):
        """Later reads of `tensor` in this context (and its children) read `onnx_name`."""
        self.aliases[tensor] = onnx_name

    def input(self, tensor):
        """The ONNX name of a TF tensor's value: an initializer for constants."""
        while tensor in self.aliases:
            tensor = self.aliases[tensor]
        if tensor in self.values and tensor not in self.initializers and tensor not in self.g.cut:
            self.initializers[tensor] = np.asarray(self.values[tensor])
        return tensor

    def node(self, op_type, inputs, outputs=None, name=None, **attrs):
        import onnx
        if outputs is None:
            outputs = [self.unique(op_type)]
        elif isinstance(outputs, str):
            outputs = [outputs]
        node = onnx.helper.make_node(op_type, list(inputs), list(outputs),
                                     name=name or self.unique(op_type), **attrs)
        self.nodes.append(node)
        return outputs[0] if len(outputs) == 1 else outputs

    def handle(self, node):
        """Map one TF node with its op type's handler."""
        from metarun.onnx import _ops
        try:
            _ops.HANDLERS[node.op](self, node)
        except NotMappable:
            raise
        except (KeyError, IndexError, TypeError) as e:
            raise NotMappable("%s %s: %s" % (node.op, node.name, e)) from None


class NotMappable(ValueError):
    """A node whose attrs or inputs this exporter cannot map exactly."""


def _value_info(name, tf_enum, shape, sym):
    import onnx
    dims = None
    if shape is not None:
        dims = []
        for d in shape:
            if d is None:
                dims.append("unk__%d" % sym[0])
                sym[0] += 1
            else:
                dims.append(int(d))
    return onnx.helper.make_tensor_value_info(name, onnx_dtype(tf_enum), dims)


def _check(onnx, model_proto):
    """onnx's checker; it wants a shape on every graph input and output, and a tensor of unknown
    rank (a legacy placeholder) has none, so those are checked as if they had one."""
    unknown = [v for v in list(model_proto.graph.input) + list(model_proto.graph.output)
               if not v.type.tensor_type.HasField("shape")]
    if unknown:
        copy = onnx.ModelProto()
        copy.CopyFrom(model_proto)
        for v in list(copy.graph.input) + list(copy.graph.output):
            v.type.tensor_type.shape.SetInParent()
        model_proto = copy
    onnx.checker.check_model(model_proto)


def export(model, checkpoint=None, inputs=None, outputs=None, opset=DEFAULT_OPSET, path=None,
           optimize=True, io_policy=None, tags=None):
    """Export a TF1 inference graph to ONNX; returns the onnx.ModelProto (and writes it to path).

    model: a .meta file, a SavedModel directory, a frozen .pb/.pbtxt GraphDef, a MetaGraphDef or
    a GraphDef. checkpoint: the prefix (or directory) to restore (default: the checkpoint beside
    the .meta). inputs: tensor names fed (default: the Placeholders the outputs need); internal
    tensors cut the graph there. outputs: tensor or node names (default: a SavedModel's signature
    outputs, else the likely outputs `metarun inspect` lists). io_policy confines the graph's file
    access while it is restored and frozen. Raises UnsupportedOpsError listing the op types that
    have no mapping.
    """
    onnx = _require_onnx()
    from metarun.onnx import _control_flow, _lower, _ops, _optimize
    if not MIN_OPSET <= int(opset) <= MAX_OPSET:
        raise ValueError("opset %d: metarun exports opsets %d to %d" % (opset, MIN_OPSET, MAX_OPSET))
    if isinstance(inputs, str):
        inputs = [inputs]
    if isinstance(outputs, str):
        outputs = [outputs]
    graph_def, outputs = _frozen_graph_def(model, checkpoint, outputs, io_policy, tags)
    lowered = {}
    if _lower.needs_lowering(graph_def):
        graph_def, lowered = _lower.lower(graph_def)
    names = [_tensor_name(o) for o in outputs]  # the ONNX outputs keep the names asked for
    outputs = [lowered.get(o, o) for o in names]
    asked = None
    if inputs:  # the ONNX inputs keep the names asked for too
        asked = [_tensor_name(i) for i in inputs]
        inputs = [lowered.get(i, i) for i in asked]
    g = _Graph(graph_def, inputs, outputs)
    values, foldable = _fold_constants(g)
    # what is left to map: not folded, and not a fed tensor's producer (an internal input)
    todo = [n for n in g.order if n.name not in foldable and n.name + ":0" not in g.cut]
    missing = [(n.name, n.op) for n in todo
               if n.op not in _ops.HANDLERS and n.op not in _control_flow.PRIMITIVES]
    if missing:
        raise UnsupportedOpsError({op for _, op in missing}, missing)
    ctx = Context(g, values, int(opset))
    sym = [0]
    graph_inputs = []
    for name, t in zip(asked or g.inputs, g.inputs):
        if name != t:  # a function call's result, lowered: its readers read the input
            ctx.alias(t, name)
        graph_inputs.append(_value_info(name, g.tensor(t).dtype.as_datatype_enum,
                                        ctx.shape(t), sym))
    _control_flow.emit(ctx, todo)
    graph_outputs = []
    for name, t in zip(names, g.outputs):
        if t in values and t not in ctx.initializers:
            ctx.initializers[t + "__value"] = np.asarray(values[t])
            ctx.node("Identity", [t + "__value"], [name])
        elif name != t or t in ctx.aliases:
            ctx.node("Identity", [ctx.input(t)], [name])
        graph_outputs.append(_value_info(name, g.tensor(t).dtype.as_datatype_enum,
                                         ctx.shape(t), sym))
    if optimize:
        _optimize.optimize(ctx, [i.name for i in graph_inputs], [o.name for o in graph_outputs])
    nodes = _optimize.topological(ctx.nodes, [i.name for i in graph_inputs], ctx.initializers)
    used = {i for n in nodes for i in _optimize.all_inputs(n)}
    initializers = [onnx.numpy_helper.from_array(np.array(v, order="C"), name)
                    for name, v in ctx.initializers.items() if name in used]
    graph = onnx.helper.make_graph(nodes, "metarun", graph_inputs, graph_outputs, initializers)
    opsets = [onnx.helper.make_opsetid("", int(opset))] + [
        onnx.helper.make_opsetid(domain, version) for domain, version in sorted(ctx.domains.items())]
    model_proto = onnx.helper.make_model(graph, producer_name="metarun", opset_imports=opsets)
    model_proto.ir_version = min(model_proto.ir_version, 8 if opset <= 17 else 9)
    _check(onnx, model_proto)
    if path is not None:
        path = os.fspath(path)
        tmp = path + ".tmp%d" % os.getpid()
        with open(tmp, "wb") as f:
            f.write(model_proto.SerializeToString())
        os.replace(tmp, path)
    return model_proto
