"""tf.compat.v1.graph_util's GraphDef helpers: extract_sub_graph, remove_training_nodes,
must_run_on_cpu and tensor_shape_from_node_def_name, with TensorFlow's results and errors
(the freezing itself, convert_variables_to_constants, is metarun.tools.freeze).

TF's quirks are kept on purpose, since scripts depend on the exact nodes they get back:
extract_sub_graph follows colocation (`_class` loc:@) as if it were an input and keeps the
graph's node order; remove_training_nodes drops the edges into a removed CheckNumerics instead
of bypassing it, and returns nodes only (no library, no versions).
"""

from metarun.framework import dtypes, protos

# Ops must_run_on_cpu pins when asked to pin variables.
_VARIABLE_OPS = frozenset((
    "Assign", "AssignAdd", "AssignSub", "Queue", "ScatterAdd", "ScatterSub", "ScatterUpdate",
    "TruncatedNormal", "Variable", "VariableV2"))


def as_graph_def(graph_def):
    """`graph_def` as metarun's GraphDef class: a TensorFlow GraphDef is read through its bytes.
    Anything else is None."""
    if isinstance(graph_def, protos.GraphDef):
        return graph_def
    descriptor = getattr(graph_def, "DESCRIPTOR", None)
    if getattr(descriptor, "name", None) == "GraphDef" and hasattr(graph_def, "SerializeToString"):
        converted = protos.GraphDef()
        converted.ParseFromString(graph_def.SerializeToString())
        return converted
    return None


def node_name(input_name):
    """The node an input string names: 'a:1' and '^a' both name 'a'."""
    return input_name[1:] if input_name.startswith("^") else input_name.split(":")[0]


def colocated_names(node):
    """The node names a NodeDef's `_class` attr (loc:@name entries) ties it to."""
    if "_class" not in node.attr:
        return []
    names = []
    for entry in node.attr["_class"].list.s:
        text = entry.decode("utf-8")
        names.append(text[len("loc:@"):] if text.startswith("loc:@") else text)
    return names


def extract_sub_graph(graph_def, dest_nodes):
    """The nodes of `graph_def` that `dest_nodes` (node names) depend on, through data and
    control inputs and colocation, in their original order, with the library and versions.

    Raises:
      TypeError: `graph_def` is not a GraphDef, or `dest_nodes` is a single string.
      AssertionError: a destination is not a node of the graph (TF's own assert).
    """
    converted = as_graph_def(graph_def)
    if converted is None:
        raise TypeError("graph_def must be a graph_pb2.GraphDef proto, but got "
                        "type %s." % type(graph_def))
    if isinstance(dest_nodes, str):
        raise TypeError("dest_nodes must be an iterable of strings, but got "
                        "type %s." % type(dest_nodes))
    graph_def = converted
    order = {}
    by_name = {}
    deps = {}
    for position, node in enumerate(graph_def.node):
        name = node_name(node.name)
        order[name] = position
        by_name[name] = node
        deps[name] = [node_name(i) for i in node.input] + colocated_names(node)
    dest_nodes = list(dest_nodes)
    for dest in dest_nodes:
        assert dest in by_name, "%s is not in graph" % dest
    keep = set()
    pending = list(dest_nodes)
    while pending:
        name = pending.pop()
        if name in keep:
            continue
        keep.add(name)
        pending.extend(deps.get(name, ()))
    out = protos.GraphDef()
    for name in sorted(keep, key=order.__getitem__):  # an input naming no node: TF's KeyError
        out.node.add().CopyFrom(by_name[name])
    out.library.CopyFrom(graph_def.library)
    out.versions.CopyFrom(graph_def.versions)
    return out


def _strip_control(input_name):
    return input_name[1:] if input_name.startswith("^") else input_name


def remove_training_nodes(input_graph, protected_nodes=None):
    """The graph without CheckNumerics nodes and with Identity/StopGradient nodes spliced out,
    as TF prunes a graph for inference. A removed CheckNumerics takes the input edges that read
    it along (its readers lose that input); an Identity or StopGradient stays when it is
    protected, has or is a control input, or something is colocated with it. Returns a
    GraphDef of the nodes only."""
    protected = set(protected_nodes or ())
    nodes = list(input_graph.node)
    removed = {n.name for n in nodes if n.op == "CheckNumerics" and n.name not in protected}
    kept = []
    for node in nodes:
        if node.name in removed:
            continue
        copy = protos.NodeDef()
        copy.CopyFrom(node)
        del copy.input[:]
        copy.input.extend(i for i in node.input if _strip_control(i) not in removed)
        kept.append(copy)

    control_sources = set()
    with_control_inputs = set()
    colocated = set()
    for node in kept:
        for name in node.input:
            if "^" in name:
                control_sources.add(name.replace("^", ""))
                with_control_inputs.add(node.name)
        colocated.update(colocated_names(node))
    splice = {}
    for node in kept:
        if (node.op in ("Identity", "StopGradient") and node.name not in protected
                and node.name not in colocated and node.name not in with_control_inputs):
            splice[node.name] = node.input[0]  # an Identity left without inputs: TF's IndexError
    splice = {name: source for name, source in splice.items() if name not in control_sources}

    out = protos.GraphDef()
    for node in kept:
        if node.name in splice:
            continue
        copy = out.node.add()
        copy.CopyFrom(node)
        del copy.input[:]
        for name in node.input:
            while _strip_control(name) in splice:
                name = splice[_strip_control(name)]
            copy.input.append(name)
    return out


def must_run_on_cpu(node, pin_variables_on_cpu=False):
    """Whether TF would have to place `node` (an Operation or NodeDef) on the CPU: int32 and
    string Consts, int32 (Parallel)DynamicStitch and Cast from int32, and with
    `pin_variables_on_cpu` the variable ops."""
    from metarun.framework.graph import Operation
    if isinstance(node, Operation):
        node_def = node.node_def
    else:
        node_def = as_graph_node_def(node)
        assert node_def is not None
    if pin_variables_on_cpu and node_def.op in _VARIABLE_OPS:
        return True
    int32, string = dtypes.int32.as_datatype_enum, dtypes.string.as_datatype_enum
    if node_def.op == "Const":
        return node_def.attr["dtype"].type in (string, int32)
    if node_def.op in ("DynamicStitch", "ParallelDynamicStitch"):
        return node_def.attr["T"].type == int32
    if node_def.op == "Cast":
        return node_def.attr["SrcT"].type == int32
    return False


def as_graph_node_def(node):
    """`node` as metarun's NodeDef (a TensorFlow NodeDef through its bytes), else None."""
    if isinstance(node, protos.NodeDef):
        return node
    descriptor = getattr(node, "DESCRIPTOR", None)
    if getattr(descriptor, "name", None) == "NodeDef" and hasattr(node, "SerializeToString"):
        converted = protos.NodeDef()
        converted.ParseFromString(node.SerializeToString())
        return converted
    return None


def tensor_shape_from_node_def_name(graph, input_name):
    """The static shape of the tensor a NodeDef input string names ('x' means 'x:0')."""
    name = input_name if ":" in input_name else input_name + ":0"
    return graph.get_tensor_by_name(name).get_shape()
