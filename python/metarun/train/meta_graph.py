"""export_meta_graph: write the graph, its collections and saver as a
MetaGraphDef that TensorFlow can import."""

import logging

from metarun.framework import op_def as op_def_lib, protos
from metarun.framework import graph as graph_lib
from metarun.framework.variables import Variable
from metarun.train.queue_runner_impl import QueueRunner

_log = logging.getLogger("metarun")


def _fill_collection(col_def, items):
    first = items[0]
    if isinstance(first, Variable):
        col_def.bytes_list.value.extend(v.to_proto().SerializeToString(deterministic=True) for v in items)
    elif hasattr(first, "saver_def") and hasattr(first, "restore"):
        col_def.bytes_list.value.extend(s.to_proto().SerializeToString(deterministic=True) for s in items)
    elif isinstance(first, QueueRunner):
        # As TF: a runner whose queue lies outside the export scope (to_proto gives None) is left out.
        defs = [qr.to_proto() for qr in items]
        col_def.bytes_list.value.extend(d.SerializeToString(deterministic=True) for d in defs if d is not None)
    elif hasattr(first, "to_proto") and hasattr(first, "outer_context"):  # cond/while contexts
        col_def.bytes_list.value.extend(c.to_proto().SerializeToString(deterministic=True) for c in items)
    elif isinstance(first, (graph_lib.Tensor, graph_lib.Operation)):
        col_def.node_list.value.extend(x.name for x in items)
    elif isinstance(first, bool) or not isinstance(first, (int, float, str, bytes)) \
            and not hasattr(first, "type_url"):
        raise TypeError("unsupported collection item %r" % (first,))
    elif isinstance(first, int):
        col_def.int64_list.value.extend(items)
    elif isinstance(first, float):
        col_def.float_list.value.extend(items)
    elif isinstance(first, (str, bytes)):
        col_def.bytes_list.value.extend(x.encode() if isinstance(x, str) else x for x in items)
    else:
        for x in items:
            col_def.any_list.value.add().CopyFrom(x)


def create_meta_graph_def(graph=None, saver_def=None, collection_list=None, clear_devices=False):
    g = graph or graph_lib.get_default_graph()
    meta = protos.MetaGraphDef()
    graph_def = g.as_graph_def(add_shapes=True)
    if clear_devices:
        for node in graph_def.node:
            node.device = ""
    meta.graph_def.CopyFrom(graph_def)
    used = sorted({op.type for op in g.get_operations()})
    for op_type in used:
        op_def = op_def_lib.lookup(op_type, g._op_defs)
        if op_def is not None:
            meta.meta_info_def.stripped_op_list.op.add().CopyFrom(op_def)
    if saver_def is not None:
        meta.saver_def.CopyFrom(saver_def)
    keys = collection_list if collection_list is not None else g.get_all_collection_keys()
    for key in sorted(keys):
        items = g.get_collection(key)
        if not items:
            continue
        try:
            _fill_collection(meta.collection_def[key], items)
        except (TypeError, AttributeError) as e:
            del meta.collection_def[key]
            _log.warning("Issue encountered when serializing %s: %s", key, e)
    return meta


def export_meta_graph(filename=None, graph=None, saver_def=None, collection_list=None, as_text=False,
                      clear_devices=False, **kwargs):
    meta = create_meta_graph_def(graph, saver_def, collection_list, clear_devices)
    if filename:
        data = protos.to_text(meta).encode() if as_text else meta.SerializeToString(deterministic=True)
        with open(filename, "wb") as f:
            f.write(data)
    return meta


def write_graph(graph_or_graph_def, logdir, name, as_text=True):
    """Writes a graph's GraphDef to logdir/name (text format or binary), creating logdir and
    replacing the file atomically; returns the path."""
    import os
    from metarun.framework import graph as graph_lib
    graph_def = graph_or_graph_def.as_graph_def() if isinstance(graph_or_graph_def, graph_lib.Graph) \
        else graph_or_graph_def
    logdir = os.fspath(logdir)
    os.makedirs(logdir, exist_ok=True)
    path = os.path.join(logdir, name)
    data = protos.to_text(graph_def).encode() if as_text \
        else graph_def.SerializeToString(deterministic=True)
    from metarun.train.checkpoint_management import _atomic_write
    _atomic_write(path, data)
    return path
