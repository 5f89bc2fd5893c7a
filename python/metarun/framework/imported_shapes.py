"""Static shapes of imported ops that carry no recorded shapes, inferred when first asked for.

A `.meta` written by TF records every output's shape (`_output_shapes`), and the importer
answers with those. A frozen GraphDef or an `as_graph_def()` records none, yet TF still
knows its shapes after import: it runs its shape functions over every node it adds. metarun
runs the same shape functions as for ops built in Python, but only when a shape is asked
for: the asked op and the unrecorded ancestors it depends on, in dependency order, once
each. Imports cost nothing more, and a graph whose shapes nobody asks for never pays.

v1 loops follow TF's import: an Enter passes its input's shape on only when it is constant
(a loop variable's entry is unknown), and a Merge is computed before its back edge
(NextIteration) is known, so a loop Merge's value is unknown; not following back edges also
cuts every loop's cycle. A shape function that refuses an op leaves its outputs unknown (TF
would have refused the import; running the op reports the problem).
"""

from metarun.framework import graph as graph_lib, shape_inference
from metarun.framework.tensor_shape import TensorShape

_ENTERS = frozenset(["Enter", "RefEnter"])
_MERGES = frozenset(["Merge", "RefMerge"])
_BACK_EDGES = frozenset(["NextIteration", "RefNextIteration"])
_active = set()  # ops whose inference is under way (a malformed graph's cycle stops here)


def pending(op):
    """Whether `op`'s shapes are still to be inferred (not known, nor answered by its attrs)."""
    if op._shapes is not None or not op._infer_on_demand:
        return False
    attrs = op._node_def.attr
    if "_output_shapes" in attrs:
        return False
    if op.type in graph_lib.SHAPE_ATTR_OPS and "shape" in attrs:
        return False
    return not (op.type == "Const" and "value" in attrs)


def infer(op):
    """Set `op._shapes`, and that of every pending ancestor it needs first."""
    if op in _active or not pending(op):
        return
    order, seen, stack = [], set(), [(op, False)]
    while stack:  # depth-first, iteratively: chains of thousands of nodes are common
        o, expanded = stack.pop()
        if expanded:
            order.append(o)
            continue
        if o in seen or o in _active or not pending(o):
            continue
        seen.add(o)
        stack.append((o, True))
        stack.extend((t.op, False) for t in reversed(_inputs_used(o)) if t.op not in seen)
    _active.update(order)
    try:
        for o in order:
            o._shapes = _shapes_of(o)
    finally:
        _active.difference_update(order)


def _loop_entry_or_merge(op):
    if op.type in _ENTERS:
        attrs = op._node_def.attr
        return not ("is_constant" in attrs and attrs["is_constant"].b)
    return op.type in _MERGES and any(t.op.type in _BACK_EDGES for t in op._inputs)


def _inputs_used(op):
    return [] if _loop_entry_or_merge(op) else op._inputs


def _shapes_of(op):
    n = len(op._outputs)
    unknown = [TensorShape(None)] * n
    if _loop_entry_or_merge(op):
        return unknown if op.type in _ENTERS else [TensorShape(None), TensorShape([])]
    try:
        shape_inference.infer(op)
        shapes = op._shapes
    except Exception:  # noqa: BLE001 -- a refused or unforeseen node keeps unknown shapes
        return unknown
    finally:
        op._shapes = None
    return shapes if shapes is not None and len(shapes) == n else unknown
