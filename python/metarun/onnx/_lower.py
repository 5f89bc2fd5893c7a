"""TF2's functional control flow, lowered to TF1's before the export.

A graph built with control flow v2 calls functions of its library: If/StatelessIf (a branch
function each), While/StatelessWhile (cond and body functions), PartitionedCall/
StatefulPartitionedCall and a function called by its name. TF's own runtime lowers them to the
v1 primitives before it runs a graph; the exporter does the same on the frozen GraphDef, and
then maps the result as any v1 graph (loops to ONNX Loop, conds to If):

    call       the body's nodes under the call's name, its arguments read the call's inputs
    If         Switch every input on the predicate, each branch's body reads its side's
               outputs, a Merge per result
    Case       a chain of such conds: branch k when the index is k, the last branch in the
               innermost else (an index out of range takes it, as in TF)
    While      Enter -> Merge -> (cond body) -> LoopCond -> Switch -> Exit, the body reads the
               Switch's true side through an Identity and feeds NextIteration

Readers of a call's result `call:k` then read the lowered tensor that holds it (the caller
maps the names it was asked for the same way), so a result nothing reads is not computed. A
body's node without data inputs (a constant) hangs on the branch's pivot or the loop's
Identity by a control edge, as TF1's builders hang it, which puts it in the right scope.
"""

from metarun.framework import function_library, protos

_CALLS = {"PartitionedCall", "StatefulPartitionedCall"}
_IFS = {"If", "StatelessIf"}
_WHILES = {"While", "StatelessWhile"}
_CASES = {"Case", "StatelessCase"}
LOWERED = _CALLS | _IFS | _WHILES | _CASES


def needs_lowering(graph_def):
    names = {f.signature.name for f in graph_def.library.function}
    return any(n.op in _CALLS | _IFS | _WHILES | _CASES or n.op in names
               for n in graph_def.node)


def lower(graph_def):
    """graph_def with every function call, If and While lowered (nested ones too):
    (GraphDef, {tensor of a call's result: the lowered tensor that holds it})."""
    lib = function_library.FunctionLibrary()
    lib.add_library(graph_def.library)
    nodes = list(graph_def.node)
    aliases = {}
    for _ in range(64):  # one level of nesting per pass
        out, changed, results = [], False, {}
        taken = {n.name for n in nodes}
        for node in nodes:
            if node.op in _CALLS or node.op in lib.fdefs:
                body, rets = _call(lib, node, taken)
            elif node.op in _IFS:
                body, rets = _if(lib, node, taken)
            elif node.op in _WHILES:
                body, rets = _while(lib, node, taken)
            elif node.op in _CASES:
                body, rets = _case(lib, node, taken)
            else:
                out.append(node)
                continue
            out.extend(body)
            results.update(("%s:%d" % (node.name, k), r) for k, r in enumerate(rets))
            changed = True
        nodes = out
        if not changed:
            break
        # readers of a call's result read the lowered tensor; control edges on the call go
        for node in nodes:
            if any(_resolve(i, results) != i for i in node.input):
                inputs = [_resolve(i, results) for i in node.input]
                del node.input[:]
                node.input.extend(i for i in inputs if i is not None)
        for k, v in list(aliases.items()):
            aliases[k] = _resolve(v, results)
        for k, v in results.items():
            aliases[k] = _resolve(v, results)
    else:
        raise ValueError("functions nested more than 64 deep")
    result = protos.GraphDef()
    result.versions.CopyFrom(graph_def.versions)
    result.node.extend(nodes)
    return result, aliases


def _resolve(tensor, results):
    if tensor.startswith("^"):
        name = tensor[1:]
        return None if any(k.startswith(name + ":") for k in results) else tensor
    name, _, idx = tensor.partition(":")
    key = "%s:%s" % (name, idx or "0")
    seen = 0
    while key in results and seen < 1000:
        key, seen = results[key], seen + 1
    return key if key != "%s:%s" % (name, idx or "0") else tensor


def _body(lib, func_name, attrs, prefix, inputs, anchor, taken):
    """The nodes of function `func_name` under `prefix/`, its arguments replaced by `inputs`
    (tensor names); nodes without data inputs get a control edge from `anchor`. Returns
    (nodes, result tensor names)."""
    fdef = lib.fdefs.get(func_name)
    if fdef is None:
        raise ValueError("function %s is not in the graph's library" % func_name)
    attrs = dict(attrs)
    for attr_def in fdef.signature.attr:
        if attr_def.name not in attrs and attr_def.HasField("default_value"):
            attrs[attr_def.name] = attr_def.default_value
    gd, args, rets, _ = function_library._body_graph_def(lib, fdef, attrs)
    if len(args) != len(inputs):
        raise ValueError("function %s takes %d arguments, the call gives %d"
                         % (func_name, len(args), len(inputs)))
    arg_nodes = {a.split(":")[0]: t for a, t in zip(args, inputs)}
    rename = {}
    for n in gd.node:
        if n.name not in arg_nodes:
            rename[n.name] = _fresh("%s/%s" % (prefix, n.name), taken)

    def ref(t):
        control = t.startswith("^")
        name, _, idx = t.lstrip("^").partition(":")
        if name in arg_nodes:
            return None if control else arg_nodes[name]
        new = rename[name]
        return "^" + new if control else "%s:%s" % (new, idx or "0")

    nodes = []
    for n in gd.node:
        if n.name in arg_nodes:
            continue
        node = protos.NodeDef()
        node.CopyFrom(n)
        node.name = rename[n.name]
        inputs_ = [ref(i) for i in n.input]
        del node.input[:]
        node.input.extend(i for i in inputs_ if i is not None)
        if anchor and not any(not i.startswith("^") for i in node.input):
            node.input.append("^" + anchor)
        nodes.append(node)
    return nodes, [ref(r) for r in rets]


def _fresh(name, taken):
    base, k = name, 0
    while name in taken:
        k += 1
        name = "%s_%d" % (base, k)
    taken.add(name)
    return name


def _node(taken, name, op, inputs, **attrs):
    node = protos.NodeDef()
    node.name = _fresh(name, taken)
    node.op = op
    node.input.extend(inputs)
    for key, value in attrs.items():
        node.attr[key].CopyFrom(value)
    return node


def _av(field, value):
    """An AttrValue with one field set: type, s, b, i, or list.type for "types"."""
    v = protos.AttrValue()
    if field == "types":
        v.list.type.extend(value)
    else:
        setattr(v, field, value.encode() if field == "s" else value)
    return v


def _data_inputs(node):
    return [i for i in node.input if not i.startswith("^")]


def _call(lib, node, taken):
    if node.op in _CALLS:
        func = node.attr["f"].func
        name, attrs = func.name, dict(func.attr)
    else:
        name, attrs = node.op, dict(node.attr)
    body, rets = _body(lib, name, attrs, node.name, _data_inputs(node), None, taken)
    return body, rets


def _if(lib, node, taken):
    cond, *inputs = _data_inputs(node)
    prefix = node.name
    nodes = []
    pivot_switch = _node(taken, prefix + "/pivot", "Switch", [cond, cond],
                         T=_av("type", 10))
    pivots = [_node(taken, prefix + "/switch_f", "Identity", [pivot_switch.name + ":0"],
                    T=_av("type", 10)),
              _node(taken, prefix + "/switch_t", "Identity", [pivot_switch.name + ":1"],
                    T=_av("type", 10))]
    nodes += [pivot_switch] + pivots
    tin = list(node.attr["Tin"].list.type)
    switches = []
    for k, (t, dtype) in enumerate(zip(inputs, tin)):
        sw = _node(taken, "%s/Switch_%d" % (prefix, k), "Switch", [t, cond], T=_av("type", dtype))
        switches.append(sw)
    nodes += switches
    results = {}
    for side, attr in ((1, "then_branch"), (0, "else_branch")):
        func = node.attr[attr].func
        body, rets = _body(lib, func.name, dict(func.attr),
                           "%s/%s" % (prefix, "then" if side else "else"),
                           ["%s:%d" % (sw.name, side) for sw in switches], pivots[side].name,
                           taken)
        # a result read straight from an argument is the Switch's side: it is in the branch
        nodes += body
        results[side] = rets
    tout = list(node.attr["Tout"].list.type)
    merges = []
    for k, dtype in enumerate(tout):
        merges.append(_node(taken, "%s/Merge_%d" % (prefix, k), "Merge",
                            [results[0][k], results[1][k]], T=_av("type", dtype),
                            N=_av("i", 2)))
    nodes += merges
    return nodes, [m.name + ":0" for m in merges]


def _while(lib, node, taken):
    inputs = _data_inputs(node)
    prefix = node.name
    types = list(node.attr["T"].list.type)
    frame = prefix + "/while_context"
    enters, merges, nexts = [], [], []
    nodes = []
    for k, (t, dtype) in enumerate(zip(inputs, types)):
        enter = _node(taken, "%s/Enter_%d" % (prefix, k), "Enter", [t], T=_av("type", dtype),
                      frame_name=_av("s", frame), is_constant=_av("b", False),
                      parallel_iterations=_av("i", 
                          node.attr["parallel_iterations"].i or 10))
        nxt_name = _fresh("%s/NextIteration_%d" % (prefix, k), taken)
        merge = _node(taken, "%s/Merge_%d" % (prefix, k), "Merge",
                      [enter.name, nxt_name], T=_av("type", dtype), N=_av("i", 2))
        enters.append(enter)
        merges.append(merge)
        nexts.append(nxt_name)
    nodes += enters + merges
    cond_func = node.attr["cond"].func
    cond_body, cond_rets = _body(lib, cond_func.name, dict(cond_func.attr), prefix + "/cond",
                                 [m.name + ":0" for m in merges], merges[0].name, taken)
    nodes += cond_body
    loop_cond = _node(taken, prefix + "/LoopCond", "LoopCond", [cond_rets[0]])
    nodes.append(loop_cond)
    switches, exits, idents = [], [], []
    for k, (m, dtype) in enumerate(zip(merges, types)):
        sw = _node(taken, "%s/Switch_%d" % (prefix, k), "Switch",
                   [m.name + ":0", loop_cond.name + ":0"], T=_av("type", dtype))
        switches.append(sw)
        exits.append(_node(taken, "%s/Exit_%d" % (prefix, k), "Exit", [sw.name + ":0"],
                           T=_av("type", dtype)))
        idents.append(_node(taken, "%s/Identity_%d" % (prefix, k), "Identity",
                            [sw.name + ":1"], T=_av("type", dtype)))
    nodes += switches + exits + idents
    body_func = node.attr["body"].func
    body, rets = _body(lib, body_func.name, dict(body_func.attr), prefix + "/body",
                       [i.name + ":0" for i in idents], idents[0].name, taken)
    nodes += body
    for k, (ret, dtype) in enumerate(zip(rets, types)):
        nodes.append(_node(set(), nexts[k], "NextIteration", [ret], T=_av("type", dtype)))
    return nodes, [e.name + ":0" for e in exits]


def _case(lib, node, taken):
    index, *inputs = _data_inputs(node)
    branches = list(node.attr["branches"].list.func)
    tin = list(node.attr["Tin"].list.type)
    tout = list(node.attr["Tout"].list.type)
    nodes = []

    def level(k, index, ins, anchor):
        prefix = "%s/branch_%d" % (node.name, k)
        if k == len(branches) - 1:
            body, rets = _body(lib, branches[k].name, dict(branches[k].attr), prefix, ins,
                               anchor, taken)
            nodes.extend(body)
            return rets
        const = _node(taken, prefix + "/index", "Const", ["^" + anchor] if anchor else [],
                      dtype=_av("type", 3), value=_int_tensor(k))
        pred = _node(taken, prefix + "/is_index", "Equal", [index, const.name + ":0"],
                     T=_av("type", 3))
        pred_t = pred.name + ":0"
        pivot = _node(taken, prefix + "/pivot", "Switch", [pred_t, pred_t], T=_av("type", 10))
        sides = [_node(taken, prefix + "/switch_f", "Identity", [pivot.name + ":0"],
                       T=_av("type", 10)),
                 _node(taken, prefix + "/switch_t", "Identity", [pivot.name + ":1"],
                       T=_av("type", 10))]
        switches = [_node(taken, "%s/Switch_%d" % (prefix, j), "Switch", [t, pred_t],
                          T=_av("type", dtype)) for j, (t, dtype) in enumerate(zip(ins, tin))]
        index_switch = _node(taken, prefix + "/index_switch", "Switch", [index, pred_t],
                             T=_av("type", 3))
        nodes.extend([const, pred, pivot] + sides + switches + [index_switch])
        body, then = _body(lib, branches[k].name, dict(branches[k].attr), prefix,
                           ["%s:1" % sw.name for sw in switches], sides[1].name, taken)
        nodes.extend(body)
        other = level(k + 1, index_switch.name + ":0", ["%s:0" % sw.name for sw in switches],
                      sides[0].name)
        merges = [_node(taken, "%s/Merge_%d" % (prefix, j), "Merge", [other[j], then[j]],
                        T=_av("type", dtype), N=_av("i", 2)) for j, dtype in enumerate(tout)]
        nodes.extend(merges)
        return [m.name + ":0" for m in merges]

    rets = level(0, index, inputs, None)
    return nodes, rets


def _int_tensor(value):
    v = protos.AttrValue()
    v.tensor.dtype = 3
    v.tensor.tensor_shape.SetInParent()
    v.tensor.int_val.append(value)
    return v
