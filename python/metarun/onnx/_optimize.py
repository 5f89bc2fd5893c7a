"""Rewrites of the ONNX graph that keep its values and make it faster, as an exporter should:

- Identity nodes removed (a graph output keeps its name: its producer is renamed);
- Transposes moved down through element-wise ops (the other operand a constant, rearranged),
  merged with the next Transpose and dropped when they compose to nothing, so NHWC layers
  become one NCHW run with a Transpose only where the layout is observed;
- Transposes of constants computed;
- Conv followed by Mul/Add of a per-channel constant: folded into the Conv's weights and bias
  (BiasAdd and inference batch norm);
- MatMul of a rank-2 input by a constant matrix followed by Add of a constant vector: Gemm.
"""

import numpy as np

_ELEMENTWISE_UNARY = {"Relu", "Tanh", "Sigmoid", "Elu", "Selu", "LeakyRelu", "Softsign",
                      "Softplus", "Sqrt", "Exp", "Log", "Neg", "Abs", "Reciprocal", "Clip",
                      "Floor", "Ceil", "Sign", "Erf", "Cast"}
_ELEMENTWISE_BINARY = {"Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"}


def _subgraphs(node):
    for a in node.attribute:
        if a.HasField("g"):
            yield a.g
        for graph in a.graphs:
            yield graph


def implicit_inputs(node):
    """The outer values a Loop's or an If's subgraphs read by name (recursively)."""
    names = set()
    for graph in _subgraphs(node):
        defined = {i.name for i in graph.input} | {i.name for i in graph.initializer}
        for n in graph.node:
            defined.update(n.output)
        for n in graph.node:
            names.update(i for i in n.input if i and i not in defined)
            names.update(x for x in implicit_inputs(n) if x not in defined)
        names.update(o.name for o in graph.output if o.name not in defined)
    return names


def all_inputs(node):
    """A node's explicit inputs and, for a Loop or an If, what its subgraphs read."""
    if node.op_type in ("Loop", "If", "Scan"):
        return list(node.input) + sorted(implicit_inputs(node))
    return list(node.input)


def _rename_inside(node, old, new):
    for graph in _subgraphs(node):
        for n in graph.node:
            for i, x in enumerate(n.input):
                if x == old:
                    n.input[i] = new
            _rename_inside(n, old, new)
        for o in graph.output:
            if o.name == old:
                raise ValueError("subgraph output %s names an outer value" % old)


class _Graph(object):
    def __init__(self, ctx, inputs, outputs):
        self.ctx = ctx
        self.nodes = ctx.nodes
        self.inits = ctx.initializers
        self.inputs = set(inputs)
        self.outputs = set(outputs)
        self._index = None
        self.shapes = {}
        for name in inputs:
            try:
                self.shapes[name] = ctx.shape(name)
            except (KeyError, ValueError):
                pass

    def _built(self):
        # producer and consumers of each value, rebuilt after a rewrite changed the graph
        if self._index is None:
            producers, consumers = {}, {}
            for n in self.nodes:
                for o in n.output:
                    producers[o] = n
                for i in set(all_inputs(n)):
                    consumers.setdefault(i, []).append(n)
            self._index = producers, consumers
        return self._index

    def changed(self):
        self._index = None

    def consumers(self, name):
        return list(self._built()[1].get(name, ()))

    def producer(self, name):
        return self._built()[0].get(name)

    def rename_uses(self, old, new):
        for n in self._built()[1].get(old, ()):
            for i, x in enumerate(n.input):
                if x == old:
                    n.input[i] = new
            _rename_inside(n, old, new)
        self.changed()

    def const(self, name):
        return self.inits.get(name)

    def remove(self, node):
        self.nodes.remove(node)
        self.changed()


def _attr(node, name, default=None):
    import onnx
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _set_attr(node, name, value):
    import onnx
    for a in list(node.attribute):
        if a.name == name:
            node.attribute.remove(a)
    node.attribute.append(onnx.helper.make_attribute(name, value))


def _remove_identities(g):
    changed = False
    for n in list(g.nodes):
        if n.op_type != "Identity":
            continue
        src, dst = n.input[0], n.output[0]
        if dst not in g.outputs:
            g.remove(n)
            g.rename_uses(dst, src)
            changed = True
            g.changed()
            continue
        producer = g.producer(src)
        if producer is None or src in g.outputs:
            continue
        # the producer writes the output name directly
        g.remove(n)
        producer.output[list(producer.output).index(src)] = dst
        g.rename_uses(src, dst)
        changed = True
        g.changed()
    return changed


def _fold_const_transposes(g):
    changed = False
    for n in list(g.nodes):
        if n.op_type == "Transpose" and g.const(n.input[0]) is not None and \
                n.output[0] not in g.outputs:
            v = np.transpose(g.const(n.input[0]), _attr(n, "perm"))
            g.inits[n.output[0]] = np.ascontiguousarray(v)
            g.remove(n)
            changed = True
            g.changed()
    return changed


def _push_transposes(g):
    """Transpose(x) -> op  becomes  op -> Transpose when the op is element-wise."""
    changed = False
    for t in list(g.nodes):
        if t.op_type != "Transpose" or t.output[0] in g.outputs:
            continue
        users = g.consumers(t.output[0])
        if len(users) != 1:
            continue
        u = users[0]
        if len(u.output) != 1 or u.output[0] in g.outputs and False:
            continue
        perm = list(_attr(t, "perm"))
        if u.op_type in _ELEMENTWISE_UNARY:
            if list(u.input).count(t.output[0]) != 1 or u.input[0] != t.output[0]:
                continue
            if any(g.const(i) is None for i in u.input[1:] if i):
                continue
        elif u.op_type in _ELEMENTWISE_BINARY:
            other = [i for i in u.input if i != t.output[0]]
            if len(other) != 1 or g.const(other[0]) is None:
                continue
            c = g.const(other[0])
            if c.ndim > len(perm):
                continue
            full = c.reshape((1,) * (len(perm) - c.ndim) + c.shape)
            moved = np.ascontiguousarray(np.transpose(full, np.argsort(perm)))
            name = g.ctx.unique("moved")
            g.inits[name] = moved
            u.input[list(u.input).index(other[0])] = name
        else:
            continue
        out = u.output[0]
        mid = g.ctx.unique("pushed")
        u.input[list(u.input).index(t.output[0])] = t.input[0]
        u.output[0] = mid
        t.input[0] = mid
        t.output[0] = out
        # keep a valid order: the transpose now follows its new producer
        g.nodes.remove(t)
        g.nodes.insert(g.nodes.index(u) + 1, t)
        changed = True
        g.changed()
    return changed


def _merge_transposes(g):
    changed = False
    for t2 in list(g.nodes):
        if t2.op_type != "Transpose":
            continue
        t1 = g.producer(t2.input[0])
        if t1 is None or t1.op_type != "Transpose" or t1.output[0] in g.outputs:
            continue
        if len(g.consumers(t1.output[0])) != 1:
            continue
        p1, p2 = list(_attr(t1, "perm")), list(_attr(t2, "perm"))
        perm = [p1[k] for k in p2]
        g.remove(t1)
        t2.input[0] = t1.input[0]
        if perm == list(range(len(perm))):
            t2.op_type = "Identity"
            del t2.attribute[:]
        else:
            _set_attr(t2, "perm", perm)
        changed = True
        g.changed()
    return changed


def _transposes_to_reshapes(g):
    """A Transpose that moves only dimensions of size 1 (NHWC -> NCHW of one channel) keeps the
    element order: a Reshape, which copies nothing."""
    import onnx
    for t in list(g.nodes):
        if t.op_type != "Transpose":
            continue
        shape = g.shapes.get(t.input[0])
        perm = list(_attr(t, "perm"))
        if shape is None or len(shape) != len(perm):
            continue
        moved = [shape[p] for p in perm]
        kept = [i for i in perm if shape[i] != 1]
        if kept != sorted(kept) or sum(d is None for d in moved) > 1:
            continue
        target = np.array([-1 if d is None else d for d in moved], np.int64)
        name = g.ctx.unique("shape")
        g.inits[name] = target
        g.nodes[g.nodes.index(t)] = onnx.helper.make_node(
            "Reshape", [t.input[0], name], [t.output[0]], name=t.name)


def _fold_into_conv(g):
    """Conv -> Mul(c) / Add(c) with c per output channel: folded into the Conv."""
    changed = False
    for conv in list(g.nodes):
        if conv.op_type != "Conv" or conv.output[0] in g.outputs:
            continue
        w = g.const(conv.input[1])
        if w is None or (len(conv.input) > 2 and g.const(conv.input[2]) is None):
            continue
        users = g.consumers(conv.output[0])
        if len(users) != 1 or users[0].op_type not in ("Mul", "Add"):
            continue
        u = users[0]
        other = [i for i in u.input if i != conv.output[0]]
        if len(other) != 1 or g.const(other[0]) is None:
            continue
        c = g.const(other[0])
        cout = w.shape[0]
        rank = w.ndim
        cs = list(c.shape)
        while len(cs) > rank - 1 and cs[0] == 1:
            cs.pop(0)
        if cs != [cout] + [1] * (rank - 2):
            continue
        c = c.reshape(-1)
        bias = g.const(conv.input[2]) if len(conv.input) > 2 else np.zeros(cout, w.dtype)
        if u.op_type == "Mul":
            w = (w * c.reshape((-1,) + (1,) * (rank - 1))).astype(w.dtype)
            bias = (bias * c).astype(w.dtype)
        else:
            bias = (bias + c).astype(w.dtype)
        wn, bn = g.ctx.unique("W"), g.ctx.unique("B")
        g.inits[wn] = np.ascontiguousarray(w)
        g.inits[bn] = np.ascontiguousarray(bias)
        conv.input[1] = wn
        if len(conv.input) > 2:
            conv.input[2] = bn
        else:
            conv.input.append(bn)
        conv.output[0] = u.output[0]
        g.remove(u)
        changed = True
        g.changed()
    return changed


def _gemm(g):
    """MatMul(a rank 2, W constant 2-D) -> Add(b constant of N) becomes Gemm."""
    import onnx
    # the rewrites are collected and applied at once: one index, one pass over the list
    fused, dropped = {}, set()
    for mm in g.nodes:
        if mm.op_type != "MatMul" or mm.output[0] in g.outputs:
            continue
        w = g.const(mm.input[1])
        if w is None or w.ndim != 2 or g.ctx.ranks.get(mm.input[0]) != 2:
            continue
        users = g.consumers(mm.output[0])
        if len(users) != 1 or users[0].op_type != "Add":
            continue
        add = users[0]
        other = [i for i in add.input if i != mm.output[0]]
        if len(other) != 1 or g.const(other[0]) is None:
            continue
        b = g.const(other[0])
        if b.ndim > 2 or b.size != w.shape[1] or (b.ndim == 2 and b.shape[0] != 1):
            continue
        fused[id(mm)] = onnx.helper.make_node("Gemm", [mm.input[0], mm.input[1], other[0]],
                                              [add.output[0]], name=mm.name)
        dropped.add(id(add))
    if not fused:
        return False
    g.nodes[:] = [fused.get(id(n), n) for n in g.nodes if id(n) not in dropped]
    g.changed()
    return True


def _rank2_inputs(ctx, inputs):
    """Which ONNX values are known to be rank 2, from the TF shapes (tensor names match)."""
    for n in ctx.nodes:
        for i in n.input:
            if i not in ctx.ranks and ":" in i:
                try:
                    r = ctx.rank(i)
                except (KeyError, ValueError):
                    r = None
                if r is not None:
                    ctx.ranks[i] = r


def optimize(ctx, inputs, outputs):
    _rank2_inputs(ctx, inputs)
    g = _Graph(ctx, inputs, outputs)
    _remove_identities(g)
    _gemm(g)
    for _ in range(1000):
        changed = _fold_const_transposes(g)
        changed |= _push_transposes(g)
        changed |= _merge_transposes(g)
        changed |= _remove_identities(g)
        changed |= _fold_into_conv(g)
        if not changed:
            break
    _gemm(g)
    _transposes_to_reshapes(g)


def topological(nodes, inputs, initializers):
    """The nodes ordered so that each follows the producers of its inputs."""
    produced = {}
    for n in nodes:
        for o in n.output:
            produced[o] = n
    order, seen = [], set()
    for root in nodes:
        stack = [(root, False)]
        while stack:
            n, done = stack.pop()
            if done:
                if id(n) not in seen:
                    seen.add(id(n))
                    order.append(n)
                continue
            if id(n) in seen:
                continue
            stack.append((n, True))
            for i in all_inputs(n):
                p = produced.get(i)
                if p is not None and id(p) not in seen:
                    stack.append((p, False))
    return order
