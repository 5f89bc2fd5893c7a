"""Lookup tables to ONNX: a TF hash table read by LookupTableFind becomes onnx-ml's LabelEncoder.

A frozen graph keeps a table's node but not what filled it (the initializer runs once, apart
from the outputs' computation). The exporter initializes the tables as the graph would (its
table initializers, or a SavedModel's init op), reads each needed table's contents with
LookupTableExport in that session and keeps them on the frozen table node (attrs `_keys` and
`_values`); a LookupTableFind then maps every key of the table to its value, and any other
key to the default value, exactly as the lookup does in TF. LabelEncoder (ai.onnx.ml opset 2)
maps strings, int64 and float; int32 keys or values go through int64.
"""

import numpy as np

from metarun.framework import dtypes, tensor_util
from metarun.onnx import _ops
from metarun.onnx._ops import _attr, _out, handles
from metarun.onnx.export import NotMappable, _node_name, _tensor_name, onnx_dtype

TABLES = {"HashTable", "HashTableV2", "MutableHashTable", "MutableHashTableV2"}
_KEYS, _VALUES = "_keys", "_values"
_ML_DOMAIN, _ML_OPSET = "ai.onnx.ml", 2
# LabelEncoder's attribute suffix per numpy kind, and the type it carries
_KINDS = {"O": ("strings", np.object_), "S": ("strings", np.object_), "U": ("strings", np.object_),
          "i": ("int64s", np.int64), "u": ("int64s", np.int64), "f": ("floats", np.float32),
          "b": ("int64s", np.int64)}


def export_contents(sess, graph, graph_def):
    """Keep each table's contents on its node of `graph_def` (a frozen graph of `graph`,
    whose tables `sess` has initialized)."""
    from metarun.framework.op_builder import apply_op
    tables = [n for n in graph_def.node if n.op in TABLES]
    if not tables:
        return
    fetches = []
    with graph.as_default():
        for node in tables:
            handle = graph.get_tensor_by_name(node.name + ":0")
            op = "LookupTableExportV2" if node.op.endswith("V2") else "LookupTableExport"
            fetches.append(apply_op(op, table_handle=handle,
                                    Tkeys=dtypes.as_dtype(_attr(node, "key_dtype")),
                                    Tvalues=dtypes.as_dtype(_attr(node, "value_dtype"))))
    for node, (keys, values) in zip(tables, sess.run(fetches)):
        for attr, array, dtype in ((_KEYS, keys, "key_dtype"), (_VALUES, values, "value_dtype")):
            tensor_util.make_tensor_proto(np.asarray(array), _attr(node, dtype),
                                          node.attr[attr].tensor)


def _table(ctx, node):
    t = _tensor_name(node.input[0])
    for _ in range(1000):
        producer = ctx.g.nodes.get(_node_name(t))
        if producer is None:
            break
        if producer.op in TABLES:
            if _KEYS not in producer.attr:
                raise NotMappable("%s %s: the contents of table %s are not known (it was not "
                                  "initialized when the graph was frozen)"
                                  % (node.op, node.name, producer.name))
            return producer
        if producer.op not in ("Identity", "Enter", "Switch"):
            break
        t = _tensor_name(producer.input[0])
    raise NotMappable("%s %s: cannot find the table it reads" % (node.op, node.name))


def _encodable(array, what, node):
    kind = np.asarray(array).dtype.kind
    if kind not in _KINDS:
        raise NotMappable("%s %s: LabelEncoder cannot hold %s of dtype %s"
                          % (node.op, node.name, what, np.asarray(array).dtype))
    suffix, np_type = _KINDS[kind]
    flat = np.asarray(array).reshape(-1)
    if np_type is np.object_:
        return suffix, [x if isinstance(x, bytes) else str(x).encode() for x in flat]
    if kind == "f" and flat.dtype != np.float32:
        raise NotMappable("%s %s: LabelEncoder holds float32 only, not %s"
                          % (node.op, node.name, flat.dtype))
    return suffix, [np_type(x).item() for x in flat]


@handles("LookupTableFind", "LookupTableFindV2")
def _find(ctx, node):
    import onnx
    table = _table(ctx, node)
    keys = tensor_util.to_numpy(table.attr[_KEYS].tensor)
    values = tensor_util.to_numpy(table.attr[_VALUES].tensor)
    default = ctx.const_input(node, 2, "default value")
    if values.ndim != 1 or np.asarray(default).size != 1:
        raise NotMappable("%s %s: only tables of scalar values are exported"
                          % (node.op, node.name))
    key_suffix, key_list = _encodable(keys, "keys", node)
    value_suffix, value_list = _encodable(values, "values", node)
    _, default_list = _encodable(np.asarray(default).reshape(1).astype(values.dtype),
                                 "the default", node)
    x = _ops._ins(ctx, node)[1]
    key_dtype = np.dtype(_ops._numpy_dtype(_attr(table, "key_dtype")))
    if key_dtype.kind in "iu" and key_dtype != np.int64:
        x = ctx.node("Cast", [x], to=onnx.TensorProto.INT64)
    attrs = {"keys_" + key_suffix: key_list, "values_" + value_suffix: value_list,
             "default_" + value_suffix[:-1]: default_list[0]}
    ctx.domains[_ML_DOMAIN] = _ML_OPSET
    value_enum = _attr(table, "value_dtype")
    value_dtype = np.dtype(_ops._numpy_dtype(value_enum))
    if value_dtype.kind in "iu" and value_dtype != np.int64:
        y = ctx.node("LabelEncoder", [x], domain=_ML_DOMAIN, **attrs)
        ctx.node("Cast", [y], _out(node), to=onnx_dtype(value_enum))
    else:
        ctx.node("LabelEncoder", [x], _out(node), domain=_ML_DOMAIN, **attrs)


@handles("LookupTableSize", "LookupTableSizeV2")
def _size(ctx, node):
    table = _table(ctx, node)
    n = tensor_util.to_numpy(table.attr[_KEYS].tensor).shape[0]
    ctx.node("Identity", [ctx.const(np.array(n, np.int64), "table_size")], _out(node))


@handles(*TABLES)
def _table_node(ctx, node):
    pass  # a handle: the lookups read the table's contents from its node
