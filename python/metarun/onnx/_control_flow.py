"""TF1 control flow to ONNX: while loops to Loop, conds to If, TensorArrays to sequences.

A v1 graph has no loop or cond nodes, only the primitives TF's dataflow executor runs:
Enter/Exit/NextIteration/LoopCond/Merge/Switch for while loops and Switch/Merge for conds. The
exporter gives every tensor a *scope key*: the loops it is inside of and the cond branches it
is guarded by, outermost first:

    ()                                             the main graph
    (("loop", "while/while_context"),)              a while loop's body
    (("cond", "pred:0", 1),)                         the true branch of a cond on pred:0

An Enter opens a loop level, an Exit closes it; a cond Switch's output k opens the branch
level (pred, k) and a Merge of the two branches closes it. Every other node is in the deepest
scope of its inputs (control inputs included: TF hangs constants built in a branch or loop
body on that scope's pivot), and the scopes of its inputs must nest.

Each scope becomes an ONNX graph: the main graph, a Loop's body, an If's branch. A scope's
plain nodes go through the op handlers; a loop inside it becomes one Loop node (at its Exits)
and the Merges that close a cond become one If node. ONNX subgraphs read outer values by name,
so a value entering a loop or branch (an invariant Enter, a cond Switch) is only an alias.

A v1 while loop tests its condition before each iteration, ONNX Loop's body returns the next
iteration's condition. So the condition's nodes are built twice more: once on the loop's
initial values (the Loop's cond input) and once on the next values (the body's cond output).

TensorArrays and TF2's TensorLists are ONNX sequences (_sequences); TF2's functional control
flow is lowered to these primitives first (_lower).
"""

import numpy as np

from metarun.onnx import _ops
from metarun.onnx._ops import _attr, _out, handles
from metarun.onnx._optimize import _subgraphs
from metarun.onnx.export import NotMappable, _node_name, _tensor_name, onnx_dtype, post_order

LOOP, COND = "loop", "cond"
_LOOP_PARTS = {"Enter", "Exit", "NextIteration", "LoopCond"}
PRIMITIVES = _LOOP_PARTS | {"Merge", "Switch"}
_TA_FLOW_OUT = {"TensorArrayV3": 1, "TensorArrayWriteV3": 0, "TensorArrayScatterV3": 0,
                "TensorArraySplitV3": 0}
# TF2's TensorLists (variant tensors) are sequences as well: the ops whose output 0 is a list
_TL_OUT = {"EmptyTensorList", "TensorListReserve", "TensorListFromTensor", "TensorListSetItem",
           "TensorListPushBack", "TensorListPopBack", "TensorListScatterIntoExistingList"}
_TA_OPS = set(_TA_FLOW_OUT) | _TL_OUT | {
    "TensorArrayReadV3", "TensorArrayGatherV3", "TensorArraySizeV3", "TensorArrayConcatV3",
    "TensorListGetItem", "TensorListStack", "TensorListLength", "TensorListGather"}
_PASS_FLOW = {"Identity", "Enter", "Exit", "NextIteration", "Merge", "Switch", "IdentityN"}


def _is_prefix(short, long):
    return len(short) <= len(long) and long[:len(short)] == short


class _Scopes(object):
    """Scope keys of every tensor of the graph, and the loops and conds they form."""

    def __init__(self, g):
        self.g = g
        self.nodes = g.nodes
        self.order = self._full_order()
        self.frame_outer = {}   # frame name -> the key the loop itself is in
        self.node_keys = {}     # node name -> key of its outputs
        self.switch_keys = {}   # cond Switch name -> (key of output 0, key of output 1)
        self.bad = {}           # node name -> why its inputs' scopes do not nest
        self.flows = {}         # tensor name -> element dtype of the sequence it carries
        self._consumers = {}
        for node in self.nodes.values():
            for i in node.input:
                if not i.startswith("^"):
                    self._consumers.setdefault(_tensor_name(i), []).append(node)
        for _ in range(16):
            if not self._assign():
                break

    def _full_order(self):
        """Every node of the graph in an order where inputs come first (back edges aside)."""
        def deps(name):
            node = self.nodes[name]
            for inp in node.input:
                dep = _node_name(inp)
                if dep in self.nodes and not (
                        node.op == "Merge" and self.nodes[dep].op == "NextIteration"):
                    yield dep

        return [self.nodes[name] for name in post_order(list(self.nodes), deps)]

    def consumers(self, tensor):
        return self._consumers.get(tensor, [])

    def key(self, tensor):
        name, _, idx = tensor.partition(":")
        if name in self.switch_keys:
            return self.switch_keys[name][int(idx or 0)]
        return self.node_keys.get(name, ())

    def node_key(self, name):
        """The scope a node is built in (a cond Switch: the scope its data comes from)."""
        if name in self.switch_keys:
            return self.switch_keys[name][0][:-1]
        return self.node_keys.get(name, ())

    def is_cond_switch(self, node):
        pred = self.nodes.get(_node_name(node.input[1]))
        return pred is None or pred.op != "LoopCond"

    def is_loop_merge(self, node):
        return node.op == "Merge" and any(
            self.nodes[_node_name(i)].op in ("NextIteration", "Enter")
            for i in node.input if not i.startswith("^") and _node_name(i) in self.nodes)

    def _longest(self, node, keys):
        best = ()
        for k in keys:
            if len(k) > len(best):
                best, k = k, best
            if not _is_prefix(k, best):
                self.bad[node.name] = "its inputs come from different branches or loops"
        return best

    def _assign(self):
        """One pass in topological order; True when a loop's outer key changed (nested loops
        can need a further pass: an Enter's key depends on all of its loop's Enters)."""
        changed, outer = False, {}
        self.bad = {}
        for node in self.order:
            name, op = node.name, node.op
            data = [_tensor_name(i) for i in node.input if not i.startswith("^")]
            ctrl = [self.node_key(i[1:]) for i in node.input
                    if i.startswith("^") and i[1:] in self.nodes]
            din = [self.key(t) for t in data]
            flow = next((self.flows[t] for t in data if t in self.flows), None)
            if op == "Enter":
                frame = _attr(node, "frame_name")
                here = self._longest(node, din + ctrl)
                if len(here) >= len(outer.get(frame, ())):
                    outer[frame] = here
                key = self.frame_outer.get(frame, here) + ((LOOP, frame),)
            elif op == "Exit":
                key = din[0][:-1] if din[0] and din[0][-1][0] == LOOP else din[0]
            elif op == "Switch" and self.is_cond_switch(node):
                base = self._longest(node, din + ctrl)
                pred = self._canonical(data[1])
                self.switch_keys[name] = (base + ((COND, pred, 0),), base + ((COND, pred, 1),))
                key = None
            elif op == "Switch":
                key = din[0]
            elif op == "Merge" and self.is_loop_merge(node):
                entered = [k for t, k in zip(data, din)
                           if self.nodes[_node_name(t)].op == "Enter"]
                key = entered[0] if entered else din[0]
            elif op == "Merge":
                key = self._merge_key(node, din)
            else:
                key = self._longest(node, din + ctrl)
            if key is not None:
                self.node_keys[name] = key
            if op in _TA_FLOW_OUT:
                ta = self._ta_node(node)
                if ta is not None:
                    self.flows["%s:%d" % (name, _TA_FLOW_OUT[op])] = _attr(ta, "dtype")
            elif op in _TL_OUT:
                self.flows[name + ":0"] = _attr(node, "element_dtype")
            elif op == "IdentityN":
                for k, t in enumerate(data):
                    if t in self.flows:
                        self.flows["%s:%d" % (name, k)] = self.flows[t]
            elif op in _PASS_FLOW and flow is not None:
                for k in range(2 if op == "Switch" else 1):
                    self.flows["%s:%d" % (name, k)] = flow
        for frame, key in outer.items():
            if self.frame_outer.get(frame) != key:
                self.frame_outer[frame] = key
                changed = True
        return changed

    def _canonical(self, tensor):
        """Switches of one cond read the predicate directly or through Identity nodes."""
        while True:
            node = self.nodes.get(_node_name(tensor))
            if node is None or node.op != "Identity":
                return tensor
            tensor = _tensor_name(node.input[0])

    def _merge_key(self, node, din):
        if len(din) == 2 and din[0] and din[1] and din[0][:-1] == din[1][:-1] and \
                din[0][-1][0] == din[1][-1][0] == COND and din[0][-1][1] == din[1][-1][1] \
                and {din[0][-1][2], din[1][-1][2]} == {0, 1}:
            return din[0][:-1]
        self.bad[node.name] = "a Merge that does not join the two branches of one cond"
        return max(din, key=len) if din else ()

    def _ta_node(self, node):
        """The TensorArrayV3 node a TensorArray op's handle input comes from."""
        if node.op == "TensorArrayV3":
            return node
        t = node.input[0]
        for _ in range(10000):
            producer = self.nodes.get(_node_name(t))
            if producer is None:
                return None
            if producer.op == "TensorArrayV3":
                return producer
            if producer.op not in _PASS_FLOW:
                return None
            t = producer.input[0]
        return None


# --- emitting scopes ----------------------------------------------------------------------

def emit(ctx, todo):
    """Map the nodes still to compute (topological, back edges aside) into ctx."""
    s = _Scopes(ctx.g)
    uses_ta = any(n.op in _TA_OPS for n in todo)
    if uses_ta and ctx.opset < 14:
        raise NotMappable("TensorArrays are exported as ONNX sequences, which need opset >= 14 "
                          "(asked for %d)" % ctx.opset)
    ctx.scopes = s
    s.todo_nodes = todo
    for n in todo:
        if n.name in s.bad:
            raise NotMappable("%s %s: %s" % (n.op, n.name, s.bad[n.name]))
    for t in ctx.g.outputs:
        if s.key(t):
            raise NotMappable("output %s is inside a while loop or a cond branch; fetch what "
                              "leaves it (the loop's Exit, the cond's Merge)" % t)
    for t in ctx.g.cut:
        if s.key(t):
            raise NotMappable("input %s is inside a while loop or a cond branch" % t)
    _emit_scope(ctx, s, (), todo)


def _emit_scope(ctx, s, key, nodes):
    """Build the nodes of scope `key` (and the loops and conds directly inside it)."""
    done = set()
    for node in nodes:
        nk = s.node_key(node.name)
        if node.op == "Switch" and s.is_cond_switch(node):
            for k in (0, 1):
                if s.key("%s:%d" % (node.name, k)) == key:
                    ctx.alias("%s:%d" % (node.name, k), ctx.input(_tensor_name(node.input[0])))
            continue
        if nk != key:
            continue
        if node.op == "Exit":
            frame = _frame_of_exit(s, node)
            if frame not in done:
                done.add(frame)
                _emit_loop(ctx, s, frame)
        elif node.op == "Merge" and not s.is_loop_merge(node):
            group = _cond_group(s, node, nodes)
            if group[0].name not in done:
                done.add(group[0].name)
                _emit_if(ctx, s, key, group, nodes)
        elif node.op in _LOOP_PARTS or node.op in ("Merge", "Switch"):
            continue  # a loop's own parts at its body scope: _emit_loop builds them
        else:
            ctx.handle(node)


def _frame_of_exit(s, node):
    return s.key(_tensor_name(node.input[0]))[-1][1]


def _members(s, key, nodes):
    """The nodes (of `nodes`) whose scope is `key` or inside it, in topological order."""
    out = []
    for n in nodes:
        if n.op == "Switch" and s.is_cond_switch(n):
            ks = list(s.switch_keys[n.name])
        else:
            ks = [s.node_key(n.name)]
        if any(_is_prefix(key, k) for k in ks):
            out.append(n)
    return out


def _value_info(ctx, name, tensor):
    """A subgraph input/output: TF's dtype, shape left open; a TensorArray flow: a sequence."""
    import onnx
    elem = ctx.scopes.flows.get(tensor)
    if elem is not None:
        return onnx.helper.make_tensor_sequence_value_info(name, onnx_dtype(elem), None)
    return onnx.helper.make_tensor_value_info(name, onnx_dtype(ctx.dtype(tensor)), None)


def _graph(ctx, sub, name, inputs, outputs):
    import onnx
    from metarun.onnx import _optimize
    nodes = _optimize.topological(sub.nodes, [i.name for i in inputs], ctx.initializers)
    return onnx.helper.make_graph(nodes, name, inputs, outputs)


def _copy_cond(ctx, s, frame, cond_nodes, merges, values_of, tag):
    """Build the loop condition on other values of the loop variables (the initial ones, or
    the next iteration's) into ctx; returns the ONNX name of the condition."""
    sub = ctx.child()
    for m, v in zip(merges, values_of):
        sub.alias(m.name + ":0", v)
        for sw in _loop_switches(s, m):
            sub.alias(sw.name + ":1", v)
    _alias_invariants(sub, s, frame, cond_nodes)
    _emit_scope(sub, s, s.frame_outer[frame] + ((LOOP, frame),), cond_nodes)
    loop_cond = _loop_cond(s, frame, merges)
    produced = set()
    _outputs_of(sub.nodes, produced)
    rename = {o: "%s__%s" % (o, tag) for o in produced}
    _rename(sub.nodes, rename)
    ctx.nodes.extend(sub.nodes)
    c = sub.input(_tensor_name(loop_cond.input[0]))
    return rename.get(c, c)


def _outputs_of(nodes, into):
    for n in nodes:
        into.update(n.output)
        for graph in _subgraphs(n):
            _outputs_of(graph.node, into)


def _rename(nodes, rename):
    """Rename values in nodes and, recursively, in their subgraphs."""
    for n in nodes:
        for i, x in enumerate(n.input):
            n.input[i] = rename.get(x, x)
        for i, x in enumerate(n.output):
            n.output[i] = rename.get(x, x)
        for graph in _subgraphs(n):
            _rename(graph.node, rename)
            for o in graph.output:
                o.name = rename.get(o.name, o.name)


def _loop_switches(s, merge):
    return [n for n in s.consumers(merge.name + ":0") if n.op == "Switch"]


def _loop_cond(s, frame, merges):
    for m in merges:
        for sw in _loop_switches(s, m):
            return s.nodes[_node_name(sw.input[1])]
    raise NotMappable("while loop %s: no LoopCond found" % frame)


def _alias_invariants(ctx, s, frame, nodes):
    """A loop-invariant Enter is the outer value itself."""
    for n in nodes:
        if n.op == "Enter" and _attr(n, "is_constant", False):
            src = _tensor_name(n.input[0])
            if src in ctx.values:
                ctx.values[n.name + ":0"] = ctx.values[src]
            ctx.alias(n.name + ":0", ctx.input(src))


def _emit_loop(ctx, s, frame):
    import onnx
    body_key = s.frame_outer[frame] + ((LOOP, frame),)
    body_nodes = _members(s, body_key, s.todo_nodes)
    merges = [n for n in body_nodes if s.is_loop_merge(n) and s.node_key(n.name) == body_key]
    if not merges:
        raise NotMappable("while loop %s: no loop variables" % frame)
    enters, nexts, exits = [], [], []
    for m in merges:
        ins = [_tensor_name(i) for i in m.input if not i.startswith("^")]
        enter = [s.nodes[_node_name(t)] for t in ins if s.nodes[_node_name(t)].op == "Enter"]
        nxt = [s.nodes[_node_name(t)] for t in ins
               if s.nodes[_node_name(t)].op == "NextIteration"]
        if len(enter) != 1 or len(nxt) != 1:
            raise NotMappable("while loop %s: Merge %s is not Enter + NextIteration"
                              % (frame, m.name))
        enters.append(enter[0])
        nexts.append(nxt[0])
        ex = [c for sw in _loop_switches(s, m) for c in s.consumers(sw.name + ":0")
              if c.op == "Exit"]
        exits.append(ex[0] if ex else None)
    loop_cond = _loop_cond(s, frame, merges)
    cond_nodes = _ancestors(s, [_tensor_name(loop_cond.input[0])], body_key, body_nodes)
    init = [ctx.input(_tensor_name(e.input[0])) for e in enters]
    _alias_invariants(ctx, s, frame, body_nodes)
    cond_init = _copy_cond(ctx, s, frame, cond_nodes, merges, init, "init")
    # the body: the current values come in as the body's inputs under the Merges' names
    body = ctx.child()
    inputs = [onnx.helper.make_tensor_value_info(ctx.unique("iter"), onnx.TensorProto.INT64, []),
              onnx.helper.make_tensor_value_info(ctx.unique("cond"), onnx.TensorProto.BOOL, [])]
    for m in merges:
        inputs.append(_value_info(ctx, m.name + ":0", m.name + ":0"))
        for sw in _loop_switches(s, m):
            body.alias(sw.name + ":1", m.name + ":0")
    needed = _ancestors(s, [_tensor_name(n.input[0]) for n in nexts], body_key, body_nodes)
    _emit_scope(body, s, body_key, needed)
    nxt_values = [body.input(_tensor_name(n.input[0])) for n in nexts]
    cond_next = _copy_cond(body, s, frame, cond_nodes, merges, nxt_values, "next")
    outputs = []
    for k, (m, v) in enumerate([(None, cond_next)] + list(zip(merges, nxt_values))):
        name = ctx.unique("body_out")
        body.node("Identity", [v], name)
        outputs.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.BOOL, [])
                       if m is None else _value_info(ctx, name, m.name + ":0"))
    graph = _graph(ctx, body, ctx.unique("loop_body"), inputs, outputs)
    loop_outs = [e.name + ":0" if e is not None else ctx.unique("loop_out") for e in exits]
    ctx.node("Loop", ["", cond_init] + init, loop_outs, name=ctx.unique("Loop"), body=graph)


def _ancestors(s, tensors, key, candidates):
    """The nodes of `candidates` the tensors depend on in scope `key` or inside it. The walk
    also passes through folded constants to the pivots they hang on (a nested cond's
    predicate is computed in the branch around it)."""
    allowed = {n.name for n in candidates}
    seen, stack = set(), [_node_name(t) for t in tensors]
    while stack:
        name = stack.pop()
        if name in seen or name not in s.nodes:
            continue
        if name not in allowed and not (s.nodes[name].op == "Const" or _is_pivot(s, name)):
            continue
        if not _is_prefix(key, s.node_key(name)) and name not in allowed:
            continue
        seen.add(name)
        node = s.nodes[name]
        if node.op == "Merge" and s.is_loop_merge(node) and s.node_key(name) == key:
            continue  # a loop variable: a body input
        for i in node.input:
            if not i.startswith("^") or _is_pivot(s, i[1:]):
                stack.append(_node_name(i))
    return [n for n in candidates if n.name in seen]


def _is_pivot(s, name):
    node = s.nodes.get(name)
    if node is None or node.op != "Identity" or not node.input:
        return False
    src = s.nodes.get(_node_name(node.input[0]))
    return src is not None and src.op == "Switch"


def _cond_group(s, merge, nodes):
    """The Merges closing the same tf.cond: same scope, same predicate, same name scope (a
    second cond on the same predicate is its own If: it may read the first one's result)."""
    key = s.node_key(merge.name)
    pred = s.key(_tensor_name(merge.input[0]))[-1][1]
    prefix = merge.name.rsplit("/", 1)[0] if "/" in merge.name else ""
    group = []
    for n in nodes:
        if n.op != "Merge" or s.is_loop_merge(n) or s.node_key(n.name) != key:
            continue
        p = s.key(_tensor_name(n.input[0]))[-1][1]
        if p == pred and (n.name.rsplit("/", 1)[0] if "/" in n.name else "") == prefix:
            group.append(n)
    return group


def _emit_if(ctx, s, key, group, nodes):
    import onnx
    pred = s.key(_tensor_name(group[0].input[0]))[-1][1]
    branches = {}
    for b in (1, 0):
        bkey = key + ((COND, pred, b),)
        srcs = []
        for m in group:
            ins = [_tensor_name(i) for i in m.input if not i.startswith("^")]
            srcs.append([t for t in ins if s.key(t) == bkey][0])
        members = _ancestors(s, srcs, bkey, _members(s, bkey, nodes))
        sub = ctx.child()
        _emit_scope(sub, s, bkey, members)
        outputs = []
        for m, t in zip(group, srcs):
            name = ctx.unique("branch_out")
            sub.node("Identity", [sub.input(t)], name)
            outputs.append(_value_info(ctx, name, m.name + ":0"))
        branches[b] = _graph(ctx, sub, ctx.unique("then" if b else "else"), [], outputs)
    ctx.node("If", [ctx.input(pred)], [m.name + ":0" for m in group], name=ctx.unique("If"),
             then_branch=branches[1], else_branch=branches[0])
    for m in group:
        if s.consumers(m.name + ":1"):
            ins = [_tensor_name(i) for i in m.input if not i.startswith("^")]
            true_first = s.key(ins[0])[-1][2] == 1
            as_int = ctx.node("Cast", [ctx.input(pred)], to=onnx.TensorProto.INT32)
            if true_first:
                as_int = ctx.node("Sub", [ctx.const(np.array(1, np.int32)), as_int])
            ctx.node("Identity", [as_int], m.name + ":1")


# --- ops loops and conds are made of ------------------------------------------------------

def _i64(ctx, tensor_onnx):
    import onnx
    return ctx.node("Cast", [tensor_onnx], to=onnx.TensorProto.INT64)


@handles("LogicalAnd", "LogicalOr", "LogicalNot")
def _logical(ctx, node):
    op = {"LogicalAnd": "And", "LogicalOr": "Or", "LogicalNot": "Not"}[node.op]
    ctx.node(op, _ops._ins(ctx, node), _out(node))


@handles("All", "Any")
def _all_any(ctx, node):
    import onnx
    x, _ = _ops._ins(ctx, node)
    as_int = ctx.node("Cast", [x], to=onnx.TensorProto.INT32)
    keep = int(bool(_attr(node, "keep_dims", False)))
    op = "ReduceMin" if node.op == "All" else "ReduceMax"
    red = ctx.unique(op)
    axes_v = ctx.value(ctx.g.data_inputs(node)[1])
    if axes_v is None:
        if not _ops.reduce_at_run_time(ctx, node, op, as_int, red, keep):
            raise NotMappable("%s %s: axes computed when the graph runs need opset 18"
                              % (node.op, node.name))
    else:
        axes = [int(a) for a in np.asarray(axes_v).reshape(-1)]
        if not axes:  # TF reduces over no axis: the input itself
            ctx.node("Identity", [x], _out(node))
            return
        if ctx.opset >= 18:
            ctx.node(op, [as_int, _ops._i64(ctx, axes)], red, keepdims=keep)
        else:
            ctx.node(op, [as_int], red, keepdims=keep, axes=axes)
    ctx.node("Cast", [red], _out(node), to=onnx.TensorProto.BOOL)


@handles("Fill")
def _fill(ctx, node):
    dims, value = _ops._ins(ctx, node)
    ctx.node("Expand", [value, _i64(ctx, dims)], _out(node))


@handles("ZerosLike", "OnesLike")
def _zeros_like(ctx, node):
    x, = _ops._ins(ctx, node)
    dtype = _ops._numpy_dtype(_attr(node, "T"))
    one = ctx.const(np.array(0 if node.op == "ZerosLike" else 1, dtype))
    ctx.node("Expand", [one, ctx.node("Shape", [x])], _out(node))


@handles("Size", "Rank")
def _size_rank(ctx, node):
    import onnx
    x, = _ops._ins(ctx, node)
    if node.op == "Size":
        n = ctx.node("Size", [x])
        to = onnx_dtype(_attr(node, "out_type", 3))
    else:
        n = ctx.node("Size", [ctx.node("Shape", [x])])
        to = onnx.TensorProto.INT32
    ctx.node("Cast", [n], _out(node), to=to)


@handles("ReverseSequence")
def _reverse_sequence(ctx, node):
    x, lengths = _ops._ins(ctx, node)
    seq_dim, batch_dim = _attr(node, "seq_dim"), _attr(node, "batch_dim", 0)
    rank = ctx.rank(ctx.g.data_inputs(node)[0])
    seq_dim = _ops._axis(seq_dim, rank, node)
    batch_dim = _ops._axis(batch_dim, rank, node)
    if {seq_dim, batch_dim} != {0, 1}:
        raise NotMappable("ReverseSequence %s: ONNX reverses only with the batch and time axes "
                          "0 and 1 (seq_dim %d, batch_dim %d)" % (node.name, seq_dim, batch_dim))
    ctx.node("ReverseSequence", [x, _i64(ctx, lengths)], _out(node), batch_axis=batch_dim,
             time_axis=seq_dim)


@handles("IdentityN")
def _identity_n(ctx, node):
    for k, x in enumerate(_ops._ins(ctx, node)):
        ctx.node("Identity", [x], _out(node, k))


from metarun.onnx import _sequences  # noqa: E402,F401 (registers the sequence ops)
