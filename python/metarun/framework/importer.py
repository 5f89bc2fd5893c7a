"""import_meta_graph: rebuild a saved MetaGraphDef in the default graph.

Follows TF's import_scoped_meta_graph: read (binary, else text), check
unbound inputs, pick the scope, import the nodes (defaults filled, names
prefixed and uniquified, devices cleared, input_map applied), rebuild the
collections, and return a Saver from the saver_def.
"""

import contextlib
import gc
import logging
import os
from typing import Any, Mapping, Optional

from metarun import errors
from metarun.framework import dtypes, op_def as op_def_lib, protos, tensor_util
from metarun.framework import graph as graph_lib
from metarun.framework import variables as variables_lib
from metarun.framework.variables import prepend_name_scope

_log = logging.getLogger("metarun")

_VARIABLE_KEYS = ("variables", "trainable_variables", "local_variables", "model_variables",
                  "moving_average_variables", "metric_variables")
_LEGACY_SHAPE_OPS = ("Placeholder", "PlaceholderV2")
# Many nodes each just under op_def.MAX_ARGS_PER_NODE would still exhaust memory;
# an import asking for more outputs than this in all is refused up front.
MAX_IMPORT_OUTPUTS = 1 << 22


def read_meta_graph_file(filename):
    """Parse a binary or text MetaGraphDef file, with TF's errors."""
    if not os.path.exists(filename):
        raise OSError("File does not exist. Received: %s." % filename)
    with open(filename, "rb") as f:
        content = f.read()
    meta = protos.MetaGraphDef()
    try:
        meta.ParseFromString(content)
        return meta
    except Exception:  # noqa: BLE001 -- not binary: try text format like TF
        pass
    text = content.decode("utf-8")
    try:
        return protos.parse_text_metagraph(text)
    except Exception as e:  # noqa: BLE001
        raise OSError("Cannot parse file %s: %s." % (filename, e)) from None


def _as_meta_graph_def(meta_graph_or_file):
    if isinstance(meta_graph_or_file, (str, bytes, os.PathLike)):
        return read_meta_graph_file(os.fsdecode(meta_graph_or_file))
    if isinstance(meta_graph_or_file, protos.MetaGraphDef):
        return meta_graph_or_file
    if hasattr(meta_graph_or_file, "SerializeToString"):  # e.g. TensorFlow's own message
        return protos.MetaGraphDef.FromString(meta_graph_or_file.SerializeToString())
    raise TypeError("meta_graph_or_file must be a MetaGraphDef or a filename, got %r"
                    % type(meta_graph_or_file).__name__)


def _version_tuple(version):
    parts = []
    for p in version.split(".")[:3]:
        digits = "".join(ch for ch in p if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def import_meta_graph(meta_graph_or_file: Any, clear_devices: bool = False,
                      import_scope: Optional[str] = None, input_map: Optional[Mapping[str, Any]] = None,
                      return_elements: Optional[list] = None, **kwargs: Any) -> Any:
    """tf.compat.v1.train.import_meta_graph: a MetaGraphDef's graph into the default graph.

    `meta_graph_or_file` is a MetaGraphDef proto or the path of one, binary or text format
    (as `Saver.save` and TF's `export_meta_graph` write them). The graph's nodes are added
    to the default graph (under `import_scope` when given), with their devices dropped when
    `clear_devices`; `input_map` maps names of tensors in the imported graph to tensors that
    replace them. The collections are rebuilt: variables become Variable objects again,
    node lists Tensors or Operations, and `tf.get_collection` returns them.

    Returns a `Saver` built on the graph's own save/restore ops from the MetaGraphDef's
    SaverDef, or a new Saver for the imported variables when there is no SaverDef, so that
    `saver.restore(sess, prefix)` loads a checkpoint; None when the graph has no variables.
    With `return_elements` (names of tensors or operations), the imported elements are
    looked up but only the Saver is returned, as in TF.
    """
    saver, _ = import_scoped_meta_graph(meta_graph_or_file, clear_devices=clear_devices,
                                        import_scope=import_scope, input_map=input_map,
                                        return_elements=return_elements, **kwargs)
    return saver


def import_graph_def(graph_def, input_map=None, return_elements=None, name=None, op_dict=None,
                     producer_op_list=None):
    """tf.compat.v1.import_graph_def: the GraphDef's nodes into the default
    graph under the name scope `name` ("import" when None, none when ""); no
    collections, no Saver. All or nothing: a failed import adds no op."""
    owned = not isinstance(graph_def, protos.GraphDef)
    if owned:
        if not hasattr(graph_def, "SerializeToString"):
            raise TypeError("graph_def must be a GraphDef proto.")
        graph_def = protos.GraphDef.FromString(graph_def.SerializeToString())
    g = graph_lib.get_default_graph()
    scope = _mark_import_scope(g, "import" if name is None else name)
    op_defs = {op.name: op for op in producer_op_list.op} if producer_op_list is not None else {}
    with g._undo_on_error():
        return _import_nodes(g, graph_def, scope, False, dict(input_map or {}), op_defs, return_elements,
                             owned)


def _mark_import_scope(g, name):
    """The scope an import prefixes names with, marked used as TF's name_scope
    marks it (it stays taken even when the import fails)."""
    if not name:
        return ""
    if name.endswith("/"):
        return name[:-1]
    return g.unique_name(name)


def import_scoped_meta_graph(meta_graph_or_file, clear_devices=False, graph=None, import_scope=None,
                             input_map=None, unbound_inputs_col_name="unbound_inputs",
                             restore_collections_predicate=(lambda key: True), return_elements=None,
                             saver_kwargs=None):
    meta = _as_meta_graph_def(meta_graph_or_file)
    owned = meta is not meta_graph_or_file  # read from a file, or converted: the import's own
    g = graph or graph_lib.get_default_graph()
    input_map = dict(input_map or {})
    if unbound_inputs_col_name and unbound_inputs_col_name in meta.collection_def:
        col = meta.collection_def[unbound_inputs_col_name]
        values = sorted(v.decode() if isinstance(v, bytes) else v
                        for v in col.bytes_list.value) if col.HasField("bytes_list") else []
        if values and sorted(input_map) != values:
            raise ValueError("Graph contains unbound inputs: %s. Must provide these inputs through "
                             "input_map." % ",".join(values))

    scope = _mark_import_scope(g, import_scope)
    with g._undo_on_error():
        graph_op_defs = {op.name: op for op in meta.meta_info_def.stripped_op_list.op}
        for name, op_def in graph_op_defs.items():
            g._op_defs.setdefault(name, op_def)
        returned = _import_nodes(g, meta.graph_def, scope, clear_devices, input_map, graph_op_defs,
                                 return_elements, owned)
        tf_version = meta.meta_info_def.tensorflow_version
        old_trainable = bool(tf_version) and _version_tuple(tf_version) < (1, 9)
        _import_collections(g, meta, scope, restore_collections_predicate, unbound_inputs_col_name,
                            old_trainable)

        var_list = {}
        for v in g.get_collection(graph_lib.GraphKeys.GLOBAL_VARIABLES, scope or None):
            if isinstance(v, variables_lib.Variable):
                var_list[variables_lib.strip_name_scope(v.name, scope)] = v
        saver = _make_saver(g, meta, import_scope, scope, var_list, saver_kwargs or {})
    return saver, returned


def _make_saver(g, meta, import_scope, scope, var_list, saver_kwargs):
    from metarun.train import saver as saver_lib
    if meta.HasField("saver_def"):
        name = import_scope
        if var_list:
            first = next(iter(var_list.values()))
            key = next(iter(var_list))
            name = first.name[:-len(key)] if first.name.endswith(key) else import_scope
        return saver_lib.Saver(saver_def=meta.saver_def, name=name, graph=g, **saver_kwargs)
    if var_list:
        return saver_lib.Saver(var_list=list(var_list.values()), graph=g, **saver_kwargs)
    _log.info("Saver not created because there are no variables in the graph to restore")
    return None


def _split_input(name):
    """'^a' -> ('a', -1); 'a:2' -> ('a', 2); 'a' -> ('a', 0)."""
    if name.startswith("^"):
        return name[1:], -1
    if ":" in name:
        op, idx = name.rsplit(":", 1)
        try:
            return op, int(idx)
        except ValueError:
            return name, 0
    return name, 0


def _check_not_removed(op_type, producer):
    """TF refuses a node whose op its registry marks removed at or before the graph's producer
    version (BatchMatrixInverse from version 13, say): graphs older than that still run it."""
    op_def = op_def_lib.builtin_op_defs().get(op_type)
    if op_def is not None and op_def.HasField("deprecation") and producer >= op_def.deprecation.version:
        raise errors.UnimplementedError(
            None, None, "Op %s is not available in GraphDef version %d. It has been removed in version %d. %s."
            % (op_type, producer, op_def.deprecation.version, op_def.deprecation.explanation))


@contextlib.contextmanager
def _gc_paused():
    """Python's cyclic collector off while an import allocates its objects: they all stay
    alive, and with its default thresholds the collector would walk the whole growing
    heap again and again (a third of a 20k-node import's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import_nodes(g, graph_def, scope, clear_devices, input_map, graph_op_defs, return_elements,
                  owned=False):
    """Add the GraphDef's nodes to `g`. Every node is converted, wired and
    checked (attrs, input names and indices, input types) on detached
    Operations first; the graph gains them only when all are valid.
    `owned`: nobody else holds `graph_def` (the import parsed it), so its NodeDefs become the
    Operations' own instead of being copied."""
    with _gc_paused():
        return _import_nodes_unpaused(g, graph_def, scope, clear_devices, input_map,
                                      graph_op_defs, return_elements, owned)


def _import_nodes_unpaused(g, graph_def, scope, clear_devices, input_map, graph_op_defs,
                           return_elements, owned):
    producer = graph_def.versions.producer if graph_def.HasField("versions") else graph_def.version
    legacy_shapes = producer <= 21
    if g._producer is None:
        g._producer = producer

    # input_map keys use the GraphDef's own names; "x" means "x:0".
    mapped = {}
    for key, value in input_map.items():
        op_name, idx = _split_input(key)
        mapped[(op_name, idx)] = graph_lib._as_op(value) if idx < 0 else _as_tensor(value, g)
    used_keys = set()

    if graph_def.library.function or graph_def.library.gradient:
        g._function_library().add_library(graph_def.library)
    nodes = list(graph_def.node)
    kinds = _OpKinds(g, graph_op_defs, producer)
    _check_output_total(nodes, kinds)
    ops = []
    sigs = []  # each op's _Signature, for the input type check
    node_inputs = []  # each node's input names, as the GraphDef has them
    old_names = []
    by_old = {}  # name in the GraphDef -> index in ops
    for node in nodes:
        name = node.name
        if name in by_old:
            raise ValueError("Node '%s' is not unique" % name)
        by_old[name] = len(ops)
        old_names.append(name)
        op_type = node.op
        kinds.check_not_removed(op_type)
        op, sig = _convert_node(g, node, name, op_type, scope, clear_devices, kinds, legacy_shapes, owned)
        inputs = op._node_def.input
        node_inputs.append(list(inputs))
        del inputs[:]
        ops.append(op)
        sigs.append(sig)

    for i, (names, op) in enumerate(zip(node_inputs, ops)):
        inputs, controls = [], []
        for inp in names:
            if not controls and inp in by_old and inp[:1] != "^" and (not mapped or (inp, 0) not in mapped):
                outputs = ops[by_old[inp]]._outputs  # the common case: output 0, by the node's name
                if outputs:
                    inputs.append(outputs[0])
                    continue
            op_name, idx = _split_input(inp)
            if idx >= 0 and controls:
                raise ValueError("Node '%s': Control dependencies must come after regular dependencies"
                                 % old_names[i])
            if (op_name, idx) in mapped:
                used_keys.add((op_name, idx))
                (controls if idx < 0 else inputs).append(mapped[(op_name, idx)])
                continue
            if op_name not in by_old:
                raise ValueError("Node '%s': Unknown input node '%s'" % (old_names[i], inp))
            src = ops[by_old[op_name]]
            if idx < 0:
                controls.append(src)
            elif idx >= len(src._outputs):
                raise ValueError("Node '%s': Connecting to invalid output %d of source node %s which "
                                 "has %d outputs." % (old_names[i], idx, op_name, len(src._outputs)))
            else:
                inputs.append(src._outputs[idx])
        op._inputs = inputs
        op._control_inputs = controls
    for op, sig in zip(ops, sigs):
        _check_input_types(op, sig)
    unused = [k for k in mapped if k not in used_keys and not (k[0] in by_old)]
    if unused:
        raise ValueError("Attempted to map inputs that were not found in graph_def: [%s]"
                         % ", ".join(("^" + n) if i < 0 else "%s:%d" % (n, i) for n, i in unused))
    result = None
    if return_elements:
        result = [_return_element(name, ops, by_old) for name in return_elements]
    for op in ops:
        op._infer_on_demand = True
        g._add_op(op)
    return result


def _lookup_op_def(g, op_type, graph_op_defs):
    """A node's signature: a library function's (they take precedence, as in TF), else the
    op's."""
    if g._library is not None and op_type in g._library:
        return g._library.op_def(op_type)
    return op_def_lib.lookup(op_type, None) or graph_op_defs.get(op_type)


class _OpKind(object):
    """What one import knows about one op type: its OpDefs, the attrs they declare (all a
    node's checks and types depend on) and, per distinct set of those attr values, the
    outcome of the checks (a _Signature), so nodes alike are checked once."""

    __slots__ = ("op_def", "graph_op_def", "signature_def", "key_attrs", "fixed_outputs",
                 "signatures")

    def __init__(self, op_def, graph_op_def):
        self.op_def = op_def
        self.graph_op_def = graph_op_def
        self.signature_def = graph_op_def or op_def  # what the Operation reports as its op_def
        names = {}
        for d in (op_def, graph_op_def):
            for attr in (d.attr if d is not None else ()):
                names.setdefault(attr.name, attr.type in ("tensor", "list(tensor)"))
        # A tensor attr enters the key by its kind only: its value is never checked here
        # beyond that (Const's shape is checked per node) and may be large.
        self.key_attrs = tuple(names.items())
        variadic = any(arg.number_attr or arg.type_list_attr for arg in op_def.output_arg)
        self.fixed_outputs = None if variadic else len(op_def.output_arg)
        self.signatures = {}

    def key(self, attrs):
        key = []
        for name, is_tensor in self.key_attrs:
            value = attrs.get(name)
            if value is None:
                key.append(None)
            elif is_tensor:
                key.append(value.WhichOneof("value"))
            else:
                key.append(value.SerializeToString())
        return tuple(key)


class _Signature(object):
    """The checked outcome for nodes of one kind with the same declared attrs: the defaults
    they lack, their output dtypes, and (once first needed) their input dtype enums."""

    __slots__ = ("defaults", "out_dtypes", "in_types")

    def __init__(self, defaults, out_dtypes):
        self.defaults = defaults
        self.out_dtypes = out_dtypes
        self.in_types = None


class _OpKinds(object):
    """The _OpKind of each op type an import meets, looked up once per type."""

    def __init__(self, g, graph_op_defs, producer):
        self._g = g
        self._graph_op_defs = graph_op_defs
        self._producer = producer
        self._kinds = {}
        self._allowed = set()  # op types checked against the producer version

    def get(self, op_type):
        """The op type's _OpKind; None when no OpDef names it."""
        kind = self._kinds.get(op_type, False)
        if kind is False:
            op_def = _lookup_op_def(self._g, op_type, self._graph_op_defs)
            kind = None if op_def is None else _OpKind(op_def, self._graph_op_defs.get(op_type))
            self._kinds[op_type] = kind
        return kind

    def check_not_removed(self, op_type):
        if op_type not in self._allowed:
            _check_not_removed(op_type, self._producer)
            self._allowed.add(op_type)


def _check_output_total(nodes, kinds):
    """ValueError naming the node at which the GraphDef's outputs pass
    MAX_IMPORT_OUTPUTS, counted before any node is built. Unknown ops and
    missing attrs are left to _convert_node, which reports them."""
    total = 0
    for node in nodes:
        kind = kinds.get(node.op)
        if kind is None:
            continue
        if kind.fixed_outputs is not None:
            total += kind.fixed_outputs
        else:
            attrs = protos.NodeDef()
            attrs.attr.MergeFrom(node.attr)
            op_def_lib.fill_default_attrs(attrs.attr, kind.op_def)
            try:
                total += op_def_lib.output_count(kind.op_def, attrs.attr)
            except op_def_lib.TooManyArgs as e:
                raise ValueError("Node '%s': %s" % (node.name, e)) from None
            except ValueError:
                continue
        if total > MAX_IMPORT_OUTPUTS:
            raise ValueError("Node '%s': the graph has more than %d outputs in all"
                             % (node.name, MAX_IMPORT_OUTPUTS))


def _convert_node(g, node, old_name, op_type, scope, clear_devices, kinds, legacy_shapes, owned):
    """A detached Operation for one NodeDef, and its _Signature: named in `g`,
    defaults filled, attrs checked against the op's signature (its inputs come
    later). `owned`: the NodeDef is the import's own copy, used as it is."""
    kind = kinds.get(op_type)
    key = None if kind is None else kind.key(node.attr)  # before any change to the attrs
    if owned:
        new = node
    else:
        new = protos.NodeDef()
        new.CopyFrom(node)
    full = prepend_name_scope(old_name, scope) if scope else old_name
    names_in_use = g._names_in_use
    lower = full.lower()
    if lower in names_in_use or full in g._by_name:
        full = g.unique_name(full) if not scope else _unique_under(g, full)
        lower = full.lower()
    new.name = full
    if clear_devices:
        new.device = ""
    if kind is None:
        raise errors.NotFoundError(None, None, "Op type not registered '%s' in binary running on "
                                   "metarun. Make sure the Op and Kernel are registered." % op_type)
    sig = kind.signatures.get(key)
    if sig is None:
        sig = _check_node(new, old_name, kind, scope, legacy_shapes)
        kind.signatures[key] = sig
    else:
        if sig.defaults:
            attrs = new.attr
            for name, value in sig.defaults:
                attrs[name].CopyFrom(value)
        if scope or legacy_shapes:
            _rewrite_attrs(new, scope, legacy_shapes)
        if op_type == "Const" and "value" in new.attr:
            _check_const_shape(new.attr["value"].tensor.tensor_shape, full)
    if op_type in graph_lib.SHAPE_ATTR_OPS and "_output_shapes" in new.attr:
        _check_recorded_shape(new)
    if lower not in names_in_use:  # Graph._mark_name_used, inlined
        names_in_use[lower] = 1
    return graph_lib.Operation(g, new, sig.out_dtypes, kind.signature_def), sig


def _check_recorded_shape(node):
    """A node whose `shape` attr is its output's static shape must agree with the shape the
    writer recorded in `_output_shapes` (TF merges the two; a placeholder of a producer <= 21
    graph, whose `shape {}` means unknown, takes the recorded one)."""
    recorded = node.attr["_output_shapes"].list.shape
    if not recorded or "shape" not in node.attr:
        return
    declared = graph_lib.declared_shape(node.op, node.attr["shape"].shape, False)  # legacy: rewritten
    got = graph_lib.TensorShape(tensor_util.shape_from_proto(recorded[0]))
    problem = _merge_problem(declared, got)
    if problem:
        raise ValueError("Node '%s' has an _output_shapes attribute inconsistent with the GraphDef "
                         "for output #0: %s" % (node.name, problem))


def _merge_problem(a, b):
    """TF's message for two shapes that do not merge, or None when they do."""
    if a.ndims is None or b.ndims is None:
        return None
    if a.ndims != b.ndims:
        return "Shapes must be equal rank, but are %d and %d" % (a.ndims, b.ndims)
    for i, (x, y) in enumerate(zip(a.as_list(), b.as_list())):
        if x is not None and y is not None and x != y:
            text = lambda s: "[%s]" % ",".join("?" if d is None else str(d) for d in s.as_list())
            return ("Dimension %d in both shapes must be equal, but are %d and %d. Shapes are %s and %s."
                    % (i, x, y, text(a), text(b)))
    return None


def _check_node(new, old_name, kind, scope, legacy_shapes):
    """Fill `new`'s defaults and check its attrs: the _Signature for nodes like it."""
    op_def, graph_op_def = kind.op_def, kind.graph_op_def
    missing = [name for name, _ in kind.key_attrs if name not in new.attr]
    op_def_lib.fill_default_attrs(new.attr, op_def)
    if graph_op_def is not None and graph_op_def is not op_def:
        op_def_lib.fill_default_attrs(new.attr, graph_op_def)
    defaults = []
    for name in missing:
        if name in new.attr:
            value = protos.AttrValue()
            value.CopyFrom(new.attr[name])
            defaults.append((name, value))
    _rewrite_attrs(new, scope, legacy_shapes)
    try:
        op_def_lib.check_attrs(new.attr, op_def)
    except ValueError as e:
        raise ValueError("%s; NodeDef: {{node %s}}" % (e, new.name)) from None
    if new.op == "Const" and "value" in new.attr:
        _check_const_shape(new.attr["value"].tensor.tensor_shape, new.name)
    try:
        out_types = op_def_lib.output_types(graph_op_def or op_def, new.attr)
    except (ValueError, KeyError) as e:
        raise ValueError("Node '%s': %s" % (old_name, e)) from None
    return _Signature(defaults, [dtypes.as_dtype(t) for t in out_types])


def _rewrite_attrs(new, scope, legacy_shapes):
    """The attr changes an import makes: legacy scalar shapes, and `scope` in colocation
    groups and frame names."""
    if legacy_shapes and new.op in _LEGACY_SHAPE_OPS and "shape" in new.attr:
        shape = new.attr["shape"].shape
        if not shape.dim and not shape.unknown_rank:
            shape.unknown_rank = True  # producer <= 21: `shape {}` meant "unknown"
    if scope:
        if "_class" in new.attr:
            lst = new.attr["_class"].list
            values = [prepend_name_scope(s.decode(), scope).encode() if s.startswith(b"loc:@") else s
                      for s in lst.s]
            del lst.s[:]
            lst.s.extend(values)
        if new.op in ("Enter", "RefEnter") and "frame_name" in new.attr:
            new.attr["frame_name"].s = prepend_name_scope(new.attr["frame_name"].s.decode(), scope).encode()


def _check_const_shape(shape_proto, name):
    """TF's import-time shape check of a Const's value (its run would fail too)."""
    dims = [d.size for d in shape_proto.dim]
    text = "[%s]" % ",".join(str(d) for d in dims)
    if any(d < 0 for d in dims):
        raise ValueError("Shape %s is not fully defined for '{{node %s}} = Const[]()'" % (text, name))
    n = 1
    for d in dims:
        n *= d
    if n >= 1 << 63:
        raise ValueError("Shape %s is too large (more than 2**63 - 1 entries) for '{{node %s}} = Const[]()'"
                         % (text, name))


def _return_element(name, ops, by_old):
    op_name, idx = _split_input(name)
    is_tensor = ":" in name
    if op_name not in by_old:
        raise ValueError("Requested return %s '%s' not found in graph def"
                         % ("tensor" if is_tensor else "node", name))
    op = ops[by_old[op_name]]
    if not is_tensor:
        return op
    if idx >= len(op._outputs):
        raise ValueError("Invalid return output %d of node '%s', which has %d output(s)"
                         % (idx, op_name, len(op._outputs)))
    return op._outputs[idx]


def _check_input_types(op, sig):
    """TF's import-time check that inputs match the op's signature: kernels
    choose their element type from attrs, so a mismatch must never reach them."""
    expected = sig.in_types
    if expected is None:
        try:
            expected = op_def_lib.input_types(op._op_def, op._node_def.attr)
        except (ValueError, KeyError) as e:
            raise ValueError("Node '%s': %s" % (op.name, e)) from None
        sig.in_types = expected
    actual = [t._dtype.as_datatype_enum for t in op._inputs]
    if actual == expected:
        return
    name = op.name
    if len(expected) != len(actual):
        raise ValueError("NodeDef expected inputs '%s' do not match %d inputs specified; NodeDef: {{node %s}}"
                         % (", ".join(_type_name(t) for t in expected), len(actual), name))
    for i, (want, got) in enumerate(zip(expected, actual)):
        # A ref value may feed a non-ref input (it is read); the reverse is an error.
        if got == want or (want < 100 and got == want + 100):
            continue
        src = op._inputs[i]
        raise ValueError("Input %d of node %s was passed %s from %s incompatible with expected %s."
                         % (i, name, _type_name(got), src.name, _type_name(want)))


def _type_name(enum):
    """A dtype enum as TF's messages spell it ('float', 'int32_ref')."""
    return dtypes.as_dtype(enum)._tf_name() + ("_ref" if enum > 100 else "")


def _unique_under(g, name):
    i = 1
    while ("%s_%d" % (name, i)).lower() in g._names_in_use:
        i += 1
    return "%s_%d" % (name, i)


def _as_tensor(value, g):
    if isinstance(value, graph_lib.Tensor):
        return value
    from metarun.framework import constant_op
    return constant_op.constant(value, graph=g)


def _import_collections(g, meta, scope, predicate, unbound_key, old_trainable):
    keys = sorted(meta.collection_def)
    if "trainable_variables" in keys:
        keys.remove("trainable_variables")
        keys.insert(0, "trainable_variables")
    var_cache = {}
    for key in keys:
        if key == unbound_key or not predicate(key):
            continue
        col = meta.collection_def[key]
        kind = col.WhichOneof("kind")
        if kind is None:
            _log.warning("Cannot identify data type for collection %s. Skipping.", key)
            continue
        values = getattr(col, kind).value
        if kind == "bytes_list" and (key in _VARIABLE_KEYS or key == "global_step"):
            for raw in values:
                if key != "global_step" and raw in var_cache:
                    g.add_to_collection(key, var_cache[raw])
                    continue
                var_def = protos.VariableDef.FromString(raw)
                trainable = (key == "trainable_variables") if old_trainable else None
                var = variables_lib.Variable.from_proto(var_def, import_scope=scope, graph=g,
                                                        trainable=trainable)
                if key != "global_step":
                    var_cache[raw] = var
                g.add_to_collection(key, var)
        elif kind == "bytes_list" and key in ("cond_context", "while_context"):
            from metarun.ops import control_flow_ops  # noqa: PLC0415 -- ops/ sits above framework/
            for raw in values:
                g.add_to_collection(key, control_flow_ops._import_context(key, raw, scope or None))
        elif kind == "bytes_list" and key == "savers":
            from metarun.train import saver as saver_lib
            for raw in values:
                saver_def = protos.SaverDef.FromString(raw)
                g.add_to_collection(key, saver_lib.Saver(saver_def=saver_def, name=scope or None, graph=g))
        elif kind == "bytes_list" and key == "queue_runners":
            from metarun.train import queue_runner_impl  # noqa: PLC0415 -- train/ sits above framework/
            with g.as_default():
                for raw in values:
                    qr_def = protos.QueueRunnerDef.FromString(raw)
                    g.add_to_collection(key, queue_runner_impl.QueueRunner.from_proto(qr_def, import_scope=scope))
        elif kind == "node_list":
            for name in values:
                g.add_to_collection(key, g.as_graph_element(prepend_name_scope(name, scope)))
        elif kind == "int64_list":
            for v in values:
                g.add_to_collection(key, int(v))
        else:
            for v in values:
                if scope and kind == "bytes_list":
                    v = prepend_name_scope(v.decode("utf-8"), scope)
                elif scope and kind in ("float_list", "any_list"):
                    _log.warning("Cannot prepend name scope to %s value of collection %s", kind, key)
                g.add_to_collection(key, v)
    g._raw_collection_defs.update({k: meta.collection_def[k] for k in meta.collection_def})

