"""Freezing: a GraphDef whose variables are Consts holding their values, as
tf.compat.v1.graph_util.convert_variables_to_constants makes it (TF 2.21), node for node.

The graph is first cut to what the outputs need (extract_sub_graph). Each variable node kept
(VariableV2, VarHandleOp, and the old Variable op, filtered by the white- and blacklist) is read
out of the session, a VarHandleOp through its `<name>/Read/ReadVariableOp`, and the value then
flows along the edges it feeds, each kind of node answering as TF's converter does:

- VariableV2 and VarHandleOp become a Const (name, dtype, value; nothing else kept);
- Identity, Enter, Exit, Switch, _SwitchN and NextIteration take the value's dtype for the input
  it arrives at (a ref or resource input becomes a plain one), lose `_output_shapes`, and pass
  it on to everything they feed;
- ReadVariableOp becomes an Identity of its input, ResourceGather a GatherV2 (with a new Const
  `<name>/axis`, appended after every other node), ResourceGatherNd a GatherNd;
- If/Case/PartitionedCall/While pass it into the argument of the functions they call, which are
  renamed `<base>_frozen_<n>` and get the new argument type (a While's output_shapes and body
  output type too);
- anything else, Merge included, keeps its node unchanged and passes nothing on. The old
  `Variable` op is read but stays a Variable, as in TF.
"""

import collections
import itertools

from metarun.framework import protos, tensor_util
from metarun.framework import graph_util

_READ_FOR = {"Variable": "", "VariableV2": "", "VarHandleOp": "/Read/ReadVariableOp"}
_BECOME_CONST = ("VariableV2", "VarHandleOp", "Placeholder")
_PASS_ON = ("Enter", "Exit", "Identity", "NextIteration", "Switch", "_SwitchN")
# op type -> (index of the first input that is a function argument, the attr typing those
# inputs, the attrs naming the called functions)
_CALLERS = {
    "If": (1, "Tin", ("then_branch", "else_branch")),
    "StatelessIf": (1, "Tin", ("then_branch", "else_branch")),
    "Case": (1, "Tin", ("branches",)),
    "PartitionedCall": (0, "Tin", ("f",)),
    "StatefulPartitionedCall": (0, "Tin", ("f",)),
    "While": (0, "T", ("body", "cond")),
    "StatelessWhile": (0, "T", ("body", "cond")),
}
_uids = itertools.count(1)

_Value = collections.namedtuple("_Value", ["array", "dtype"])


def _called_functions(node, attr_names):
    names = []
    for attr_name in attr_names:
        if attr_name not in node.attr:
            continue
        attr = node.attr[attr_name]
        if attr.HasField("func"):
            names.append(attr.func.name)
        elif attr.HasField("list"):
            names.extend(f.name for f in attr.list.func)
    return names


def _clear_shape(shape):
    del shape.dim[:]
    shape.unknown_rank = True


class _Freezer(object):
    """Carries variable values through a copy of `graph_def` (see the module's docstring)."""

    def __init__(self, graph_def):
        self.graph = protos.GraphDef()
        self.graph.CopyFrom(graph_def)
        self.nodes = {None: {n.name: n for n in self.graph.node}}
        self.functions = {f.signature.name: f for f in self.graph.library.function}
        for name, function in self.functions.items():
            self.nodes[name] = {n.name: n for n in function.node_def}
        self.ops = {scope: {name: n.op for name, n in nodes.items()}
                    for scope, nodes in self.nodes.items()}
        # Where each value goes: a node (scope, name) or a function argument ("arg", f, i),
        # to a list of (reader, input index). Scope None is the graph, else a function.
        self.readers = collections.defaultdict(list)
        for scope, nodes in self.nodes.items():
            for node in nodes.values():
                self._link(scope, node)
        self.new_names = None    # function renames, decided at the first one
        self.renamed = set()     # functions renamed so far (original names)
        self.callers_done = set()

    def _link(self, scope, node):
        for index, name in enumerate(node.input):
            if name.startswith("^"):
                continue
            parts = name.split(":")
            output = int(parts[-1]) if len(parts) > 1 and parts[-1].isnumeric() else 0
            source = parts[0]
            if scope is None or output != 0 or source in self.nodes[scope]:
                key = (scope, source)
            else:
                args = [a.name for a in self.functions[scope].signature.input_arg]
                key = ("arg", scope, args.index(source))
            self.readers[key].append(((scope, node.name), index))
        if node.op in _CALLERS:
            first, _, attrs = _CALLERS[node.op]
            for function in _called_functions(node, attrs):
                for index in range(first, len(node.input)):
                    self.readers[("call", scope, node.name, index)].append(
                        (("arg", function, index - first), index))

    # --- function renaming, as TF names converted functions -----------------------------

    def _function(self, name):
        """The (renamed) FunctionDef that was called `name`, renaming it on first use."""
        if self.new_names is None:
            parsed = []
            for fname in self.functions:
                base, _, suffix = fname.rpartition("_")
                parsed.append((int(suffix), base, fname) if base and suffix.isnumeric()
                              else (-1, fname, fname))
            self.new_names = {fname: "%s_frozen_%d" % (base, next(_uids))
                              for _, base, fname in sorted(parsed)}
        function = self.functions[name]
        if name not in self.renamed:
            self.renamed.add(name)
            function.signature.name = self.new_names[name]
        return function

    def _touch_caller(self, scope, node):
        """A caller's function attrs follow the renames made so far, once (as in TF, a
        function renamed after its caller was first converted keeps the old name there)."""
        if (scope, node.name) in self.callers_done:
            return
        self.callers_done.add((scope, node.name))
        if scope is not None:
            self._function(scope)
        for attr_name in _CALLERS[node.op][2]:
            if attr_name not in node.attr:
                continue
            attr = node.attr[attr_name]
            funcs = [attr.func] if attr.HasField("func") else list(attr.list.func)
            for func in funcs:
                if func.name in self.renamed:
                    func.name = self.new_names[func.name]

    def _node(self, scope, name):
        if scope is not None:
            self._function(scope)
        return self.nodes[scope][name]

    # --- the conversion ------------------------------------------------------------------

    def convert(self, name, value):
        self._arrive((None, name), None, value)

    def _pass_on(self, key, value):
        for reader, index in list(self.readers.get(key, ())):
            self._arrive(reader, index, value)

    def _arrive(self, target, index, value):
        if target[0] == "arg":
            self._into_argument(target[1], target[2], value)
            return
        scope, name = target
        op = self.ops[scope][name]
        if op in _BECOME_CONST:
            self._make_const(scope, name, value)
            self._pass_on(target, value)
        elif op in _PASS_ON:
            node = self._node(scope, name)
            _set_type(node, "T", index, value.dtype)
            if "_output_shapes" in node.attr:
                del node.attr["_output_shapes"]
            self._pass_on(target, value)
        elif op == "ReadVariableOp":
            self._read_to_identity(scope, name)
        elif op == "ResourceGather":
            if scope is None:
                self._gather_to_gather_v2(name)
        elif op == "ResourceGatherNd":
            node = self._node(scope, name)
            _rewrite(node, "GatherNd", list(node.input[:2]),
                     {"Tparams": node.attr["dtype"], "Tindices": node.attr["Tindices"]})
        elif op in _CALLERS:
            self._into_call(scope, name, index, value)

    def _make_const(self, scope, name, value):
        node = self._node(scope, name)
        node.Clear()
        node.name = name
        node.op = "Const"
        node.attr["dtype"].type = value.dtype
        tensor_util.make_tensor_proto(value.array, value.dtype, node.attr["value"].tensor)

    def _read_to_identity(self, scope, name):
        node = self._node(scope, name)
        if node.op == "ReadVariableOp":  # a function called twice: its read arrives twice
            _rewrite(node, "Identity", [node.input[0]], {"T": node.attr["dtype"]})
        if scope is None:
            return
        # In a function body the readers named the read's output `name:value:i`; an
        # Identity's is `name:output:i`.
        function = self._function(scope)
        for key, ref in list(function.ret.items()):  # a result read straight from the read
            parts = ref.split(":")
            if parts[0] == name and len(parts) > 1 and parts[1] == "value":
                parts[1] = "output"
                function.ret[key] = ":".join(parts)
        for (reader_scope, reader_name), index in self.readers.get((scope, name), ()):
            reader = self._node(reader_scope, reader_name)
            if reader.op in _CALLERS:
                self._touch_caller(reader_scope, reader)
            parts = reader.input[index].split(":")
            if len(parts) > 1 and parts[1] == "value":
                parts[1] = "output"
                reader.input[index] = ":".join(parts)

    def _gather_to_gather_v2(self, name):
        node = self.nodes[None][name]
        batch_dims = node.attr["batch_dims"].i if "batch_dims" in node.attr else 0
        if batch_dims != 0:
            raise ValueError("batch_dims must be 0 for freeze_graph, but got node(%s).attr("
                             "'batch_dims') = %d." % (name, batch_dims))
        index_type = protos.AttrValue()
        index_type.CopyFrom(node.attr["Tindices"])
        axis_name = name + "/axis"
        if axis_name not in self.nodes[None]:
            self.nodes[None][axis_name] = self.graph.node.add()
            self.ops[None][axis_name] = "Const"
        axis = self.nodes[None][axis_name]
        axis.name = axis_name
        axis.op = "Const"
        axis.attr["dtype"].CopyFrom(index_type)
        tensor_util.make_tensor_proto(0, index_type.type, axis.attr["value"].tensor)
        _rewrite(node, "GatherV2", [node.input[0], node.input[1], axis_name],
                 {"Tparams": node.attr["dtype"], "Tindices": index_type, "Taxis": index_type})

    def _into_argument(self, function_name, arg, value):
        self._pass_on(("arg", function_name, arg), value)
        function = self._function(function_name)
        function.signature.input_arg[arg].type = value.dtype
        if "_input_shapes" in function.attr:
            _clear_shape(function.attr["_input_shapes"].list.shape[arg])
        arg_attrs = function.arg_attr[arg].attr  # TF's lookup adds an empty entry: so do we
        if "_output_shapes" in arg_attrs:
            shapes = arg_attrs["_output_shapes"].list.shape
            if len(shapes):  # metarun's own function libraries may record none
                _clear_shape(shapes[0])

    def _into_call(self, scope, name, index, value):
        node = self.nodes[scope][name]
        first, type_attr, _ = _CALLERS[node.op]
        self._pass_on(("call", scope, name, index), value)
        self._touch_caller(scope, node)
        if index >= first:
            _set_type(node, type_attr, index - first, value.dtype)
        if node.op not in ("While", "StatelessWhile"):
            return
        shapes = node.attr["output_shapes"].list.shape
        if len(shapes):
            shape = shapes[index]
            del shape.dim[:]
            shape.unknown_rank = False
            for size in value.array.shape:
                shape.dim.add().size = size
        body = self._function(node.attr["body"].func.name
                              if node.attr["body"].func.name in self.functions
                              else _original_name(self, node.attr["body"].func.name))
        body.signature.output_arg[index].type = value.dtype


def _original_name(freezer, new_name):
    for old, new in (freezer.new_names or {}).items():
        if new == new_name:
            return old
    return new_name


def _set_type(node, attr_name, index, dtype):
    """Set the `index`-th type of a type or list(type) attr, as TF's converter: out of range
    is a ValueError."""
    attr = node.attr[attr_name]
    count = 0
    if attr.HasField("list"):
        count = len(attr.list.type)
        if index < count:
            attr.list.type[index] = dtype
            return
    elif attr.HasField("type"):
        count = 1
        if index == 0:
            attr.type = dtype
            return
    raise ValueError("`index` %d is out of range for node(%s).attr(%s), which has %d elements."
                     % (index, node.name, attr_name, count))


def _rewrite(node, op, inputs, attrs):
    """Replace `node` in place by `op` reading `inputs`, with `attrs` and its `_class`."""
    kept = {k: protos.AttrValue() for k in attrs}
    for key, attr in attrs.items():
        kept[key].CopyFrom(attr)
    colocation = None
    if "_class" in node.attr:
        colocation = protos.AttrValue()
        colocation.CopyFrom(node.attr["_class"])
    name = node.name
    node.Clear()
    node.name = name
    node.op = op
    node.input.extend(inputs)
    for key, attr in kept.items():
        node.attr[key].CopyFrom(attr)
    if colocation is not None:
        node.attr["_class"].CopyFrom(colocation)


def variables_to_freeze(graph_def, whitelist=None, blacklist=None):
    """[(node name, tensor name whose value it takes)] for the variable nodes of `graph_def`
    the lists admit, in graph order."""
    chosen = []
    for node in graph_def.node:
        if node.op not in _READ_FOR:
            continue
        if whitelist is not None and node.name not in whitelist:
            continue
        if blacklist is not None and node.name in blacklist:
            continue
        chosen.append((node.name, node.name + _READ_FOR[node.op] + ":0"))
    return chosen


def convert_variables_to_constants(sess, input_graph_def, output_node_names,
                                   variable_names_whitelist=None, variable_names_blacklist=None):
    """A copy of the part of `input_graph_def` that `output_node_names` need, with each
    variable (every one, or those the whitelist names and the blacklist does not) replaced by a
    Const holding its value in `sess`. See the module's docstring for what each node becomes."""
    graph_def = graph_util.extract_sub_graph(input_graph_def, output_node_names)
    chosen = variables_to_freeze(graph_def, variable_names_whitelist, variable_names_blacklist)
    freezer = _Freezer(graph_def)
    if not chosen:
        return freezer.graph
    values = sess.run([tensor for _, tensor in chosen])
    by_name = {n.name: n for n in graph_def.node}
    for (name, _), array in zip(chosen, values):
        dtype = by_name[name].attr["dtype"].type
        if by_name[name].op in _BECOME_CONST:
            freezer.convert(name, _Value(array, dtype))
    return freezer.graph
