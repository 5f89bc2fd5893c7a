"""Graph functions: a graph's FunctionDefLibrary, and its functions instantiated for the core.

A GraphDef's `library` holds FunctionDefs: a signature (an OpDef), a body of NodeDefs whose inputs
name `node:output_arg:index` (or an argument of the function by its name), `ret` mapping each
output argument to a body tensor, and `control_ret` naming body nodes that must run. A function is
called by op type (its name) or through a func-valued attr (PartitionedCall's `f`, While's `cond`
and `body`, a dataset's map function...). A polymorphic function's body uses attr placeholders
(`$T`) that the call's attrs fill.

`FunctionLibrary` keeps the definitions (shared by a graph and the bodies of its functions) and
instantiates a function once per (name, attrs): the body becomes a metarun Graph built by the
ordinary importer (arguments as Placeholders), whose C++ mirror is registered in the core's
function library under a unique name that the calling node's attr then carries.
"""
import hashlib

from metarun import errors
from metarun.framework import op_def as op_def_lib, protos


class FunctionLibrary(object):
    """The FunctionDefs of a graph, by name, and their instantiations."""

    def __init__(self):
        self.fdefs = {}        # name -> FunctionDef, in the order added
        self.gradients = {}    # function name -> gradient function name
        self._instances = {}   # instantiated name -> body Graph (None while being built)

    def __contains__(self, name):
        return name in self.fdefs

    def add_library(self, library):
        """Adds the functions of a FunctionDefLibrary proto. A name already present must carry
        the same definition, as in TF."""
        for fdef in library.function:
            name = fdef.signature.name
            old = self.fdefs.get(name)
            if old is None:
                self.fdefs[name] = protos.FunctionDef.FromString(fdef.SerializeToString())
            elif old.SerializeToString(deterministic=True) != fdef.SerializeToString(deterministic=True):
                raise ValueError("Cannot add function '%s' because a different function with the same "
                                 "name already exists." % name)
        for grad in library.gradient:
            self.gradients[grad.function_name] = grad.gradient_func

    def op_def(self, name):
        """The signature of function `name` (an OpDef), or None."""
        fdef = self.fdefs.get(name)
        return fdef.signature if fdef is not None else None

    def to_proto(self):
        lib = protos.FunctionDefLibrary()
        for fdef in self.fdefs.values():
            lib.function.add().CopyFrom(fdef)
        for name in sorted(self.gradients):
            grad = lib.gradient.add()
            grad.function_name = name
            grad.gradient_func = self.gradients[name]
        return lib

    # -- instantiation --------------------------------------------------------------------------
    def instantiate(self, core_root, name, attrs):
        """The core's name for function `name` instantiated with `attrs` ({name: AttrValue}),
        registering it (and the functions its body calls) in `core_root`'s library first. An
        unknown name is returned as it is: the calling node's kernel then reports it."""
        fdef = self.fdefs.get(name)
        if fdef is None:
            return name
        attrs = {k: v for k, v in attrs.items() if any(a.name == k for a in fdef.signature.attr)}
        for attr_def in fdef.signature.attr:
            if attr_def.name not in attrs and attr_def.HasField("default_value"):
                attrs[attr_def.name] = attr_def.default_value
        key = _instance_name(name, attrs)
        if key in self._instances:
            return key  # built, or being built (a recursive call)
        self._instances[key] = None
        try:
            body, args, rets, control_rets = _build_body(self, core_root, fdef, attrs)
            core_body = body._core_graph()
            core_root.add_function(key, core_body, [(t.op._id, t.value_index) for t in args],
                                   [(t.op._id, t.value_index) for t in rets], [op._id for op in control_rets],
                                   [t.dtype.as_datatype_enum for t in args],
                                   [t.dtype.as_datatype_enum for t in rets])
        except BaseException:
            del self._instances[key]
            raise
        self._instances[key] = body
        return key

    def core_attrs(self, core_root, node_def):
        """{attr: core value} for the func-valued attrs of a node, each naming its instantiation."""
        out = {}
        for key, value in node_def.attr.items():
            kind = value.WhichOneof("value")
            if kind == "func":
                out[key] = ("func", self.instantiate(core_root, value.func.name, dict(value.func.attr)))
            elif kind == "list" and value.list.func:
                out[key] = ("list", {"s": [self.instantiate(core_root, f.name, dict(f.attr))
                                           for f in value.list.func]})
        return out


def _instance_name(name, attrs):
    if not attrs:
        return name
    parts = []
    for key in sorted(attrs):
        value = attrs[key]
        kind = value.WhichOneof("value")
        if kind == "type":
            parts.append("%s=%s" % (key, _type_name(value.type)))
        elif kind in ("i", "b"):
            parts.append("%s=%s" % (key, getattr(value, kind)))
        else:
            digest = hashlib.sha1(value.SerializeToString(deterministic=True)).hexdigest()[:12]
            parts.append("%s=%s" % (key, digest))
    return "%s[%s]" % (name, ",".join(parts))


def _type_name(enum):
    from metarun.framework import dtypes
    try:
        return dtypes.as_dtype(enum).name
    except (TypeError, ValueError, KeyError):
        return str(enum)


def _substitute(value, attrs, fname):
    """Fills attr placeholders (`$T`) in an AttrValue, in place, from the instantiation's attrs."""
    kind = value.WhichOneof("value")
    if kind == "placeholder":
        if value.placeholder not in attrs:
            raise errors.InvalidArgumentError(
                None, None, "Function %s: attr placeholder '%s' has no value" % (fname, value.placeholder))
        value.CopyFrom(attrs[value.placeholder])
    elif kind == "func":
        for v in value.func.attr.values():
            _substitute(v, attrs, fname)
    elif kind == "list":
        for f in value.list.func:
            for v in f.attr.values():
                _substitute(v, attrs, fname)


def _expand_arg(arg, attrs):
    return op_def_lib._arg_types(arg, attrs)


def _build_body(lib, core_root, fdef, attrs):
    """The body of `fdef` instantiated with `attrs` as a metarun Graph: (graph, argument tensors,
    result tensors, control-result ops)."""
    from metarun.framework import graph as graph_lib, importer

    sig = fdef.signature
    fname = sig.name
    gd = protos.GraphDef()
    arg_refs = {}  # argument name -> body tensor names, one per element
    for i, arg in enumerate(sig.input_arg):
        types = _expand_arg(arg, attrs)
        names = []
        for k, dtype in enumerate(types):
            node = gd.node.add()
            node.name = arg.name if len(types) == 1 else "%s__%d" % (arg.name, k)
            node.op = "Placeholder"
            node.attr["dtype"].type = dtype
            shapes = fdef.arg_attr[i].attr["_output_shapes"].list.shape if i in fdef.arg_attr else []
            if k < len(shapes):
                node.attr["shape"].shape.CopyFrom(shapes[k])
            else:
                node.attr["shape"].shape.unknown_rank = True
            names.append(node.name + ":0")
        arg_refs[arg.name] = names

    # Output argument offsets of every body node, to turn `node:out:k` into `node:index`.
    body_nodes = []
    offsets = {}
    for nd in fdef.node_def:
        node = protos.NodeDef()
        node.CopyFrom(nd)
        for value in node.attr.values():
            _substitute(value, attrs, fname)
        op_def = lib.op_def(node.op) or op_def_lib.lookup(node.op, None)
        if op_def is None:
            raise errors.NotFoundError(None, None, "Op type not registered '%s' in binary running on metarun "
                                       "(in function %s)." % (node.op, fname))
        op_def_lib.fill_default_attrs(node.attr, op_def)
        start, table = 0, {}
        for out in op_def.output_arg:
            table[out.name] = start
            start += len(op_def_lib._arg_types(out, node.attr))
        offsets[node.name] = table
        body_nodes.append(node)

    def tensor_name(ref):
        parts = ref.split(":")
        if len(parts) == 1:
            if ref not in arg_refs:
                raise errors.InvalidArgumentError(None, None, "Function %s: input '%s' is neither an argument "
                                                  "nor a node output" % (fname, ref))
            return arg_refs[ref][0]
        if len(parts) == 2:  # an element of a list argument
            return arg_refs[parts[0]][int(parts[1])]
        node, out, k = parts[0], parts[1], int(parts[2])
        table = offsets.get(node)
        if table is None or out not in table:
            raise errors.InvalidArgumentError(None, None, "Function %s: input '%s' names no output" % (fname, ref))
        return "%s:%d" % (node, table[out] + k)

    for node in body_nodes:
        inputs = [("^" + i[1:]) if i.startswith("^") else tensor_name(i) for i in node.input]
        del node.input[:]
        node.input.extend(inputs)
        gd.node.add().CopyFrom(node)

    body = graph_lib.Graph()
    body._library = lib
    body._function_root = core_root
    body._producer = 2474
    with body._lock:
        importer._import_nodes(body, gd, "", False, {}, {}, None)
    args = [body.get_tensor_by_name(n) for arg in sig.input_arg for n in arg_refs[arg.name]]
    rets = []
    for out in sig.output_arg:
        if out.number_attr or out.type_list_attr:
            raise errors.UnimplementedError(None, None, "Function %s: list-valued result '%s' is not supported"
                                            % (fname, out.name))
        if out.name not in fdef.ret:
            raise errors.InvalidArgumentError(None, None, "Function %s: no value for result '%s'" % (fname, out.name))
        rets.append(body.get_tensor_by_name(tensor_name(fdef.ret[out.name])))
    control_rets = [body.get_operation_by_name(n) for n in fdef.control_ret.values()]
    return body, args, rets, control_rets
