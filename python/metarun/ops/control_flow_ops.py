"""tf.group, tf.tuple and (v1) cond / while_loop."""

from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op
from metarun.ops.scopes import name_scope


def group(*inputs, **kwargs):
    """A NoOp that runs after every input (TF groups them by device first)."""
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError("Unknown keyword arguments: " + ", ".join(kwargs.keys()))
    flat = []
    for x in inputs:
        if isinstance(x, (list, tuple)):
            flat.extend(x)
        else:
            flat.append(x)
    ops = []
    for x in flat:
        if x is None:
            continue
        op = x if isinstance(x, graph_lib.Operation) else getattr(x, "op", None)
        if op is None:
            raise TypeError("Expected a tf.Operation, got %r" % (x,))
        if op not in ops:
            ops.append(op)
    with name_scope(name, "group_deps", flat) as name:
        by_device = {}
        for op in ops:
            by_device.setdefault(op.device, []).append(op)
        if len(by_device) <= 1:
            g = graph_lib.get_default_graph()
            with g.control_dependencies(ops):
                return apply_op("NoOp", name=name)
        deps = []
        for dev in sorted(by_device):
            g = graph_lib.get_default_graph()
            with g.device(dev), g.control_dependencies(by_device[dev]):
                deps.append(apply_op("NoOp"))
        with graph_lib.get_default_graph().control_dependencies(deps):
            return apply_op("NoOp", name=name)
