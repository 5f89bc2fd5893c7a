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
from metarun.framework import op_def as op_def_lib, protos, tensor_util


class FunctionLibrary(object):
    """The FunctionDefs of a graph, by name, and their instantiations."""

    def __init__(self):
        self.fdefs = {}        # name -> FunctionDef, in the order added
        self.gradients = {}    # function name -> gradient function name
        self._instances = {}   # instantiated name -> body Graph (None while being built)
        self._uid = 0

    def next_uid(self):
        self._uid += 1
        return self._uid

    def add_function_def(self, fdef):
        """Adds one FunctionDef (a traced function); its name must be new."""
        name = fdef.signature.name
        if name in self.fdefs:
            raise ValueError("Cannot add function '%s': a function of that name exists." % name)
        self.fdefs[name] = fdef

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

    def instantiate_gradient(self, core_root, name, attrs, tout=None):
        """The core's name for the gradient of function `name` (what a SymbolicGradient node
        computes): arguments f's inputs then one gradient per f output, results one gradient per
        f input. A gradient function registered in the library's gradient table is used as it
        is; otherwise the gradient is built from f's body by metarun's tf.gradients."""
        if name in self.gradients:
            return self.instantiate(core_root, self.gradients[name], attrs)
        fdef = self.fdefs.get(name)
        if fdef is None:
            return name
        attrs = {k: v for k, v in attrs.items() if any(a.name == k for a in fdef.signature.attr)}
        key = "SymbolicGradient[%s]" % _instance_name(name, attrs)
        if tout:
            key += "->" + ",".join(_type_name(t) for t in tout)
        if key in self._instances:
            return key
        self._instances[key] = None
        try:
            body, args, rets, _ = _build_body(self, core_root, fdef, attrs)
            with body.as_default():
                from metarun.framework import tensor_shape
                from metarun.ops import array_ops, gradients_impl
                dys = [_placeholder(body, t.dtype.base_dtype, tensor_shape.unknown_shape(), "dy_%d" % i)
                       for i, t in enumerate(rets)]
                grads = gradients_impl.gradients(rets, args, grad_ys=dys)
                dxs = []
                for i, (x, dx) in enumerate(zip(args, grads)):
                    if dx is None and x.dtype.base_dtype.is_numpy_compatible:
                        dx = array_ops.zeros_like(x)
                    elif dx is None:  # a resource: zeros shaped like the variable it holds
                        from metarun.framework.op_builder import apply_op
                        dtype = tout[i] if tout and i < len(tout) else 1
                        dx = array_ops.zeros_like(apply_op("ReadVariableOp", resource=x, dtype=dtype))
                    elif not hasattr(dx, "op"):  # IndexedSlices
                        from metarun.ops import math_ops
                        dx = math_ops.unsorted_segment_sum(dx.values, dx.indices, array_ops.shape(x)[0])
                    dxs.append(dx)
            core_body = body._core_graph()
            inputs = args + dys
            core_root.add_function(key, core_body, [(t.op._id, t.value_index) for t in inputs],
                                   [(t.op._id, t.value_index) for t in dxs], [],
                                   [t.dtype.as_datatype_enum for t in inputs],
                                   [t.dtype.base_dtype.as_datatype_enum for t in dxs])
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


def _body_graph_def(lib, fdef, attrs):
    """The body of `fdef` instantiated with `attrs` as a GraphDef whose arguments are
    Placeholders: (graph_def, argument tensor names, result tensor names, control-result names)."""
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

    rets = []
    for out in sig.output_arg:
        if out.number_attr or out.type_list_attr:
            raise errors.UnimplementedError(None, None, "Function %s: list-valued result '%s' is not supported"
                                            % (fname, out.name))
        if out.name not in fdef.ret:
            raise errors.InvalidArgumentError(None, None, "Function %s: no value for result '%s'" % (fname, out.name))
        rets.append(tensor_name(fdef.ret[out.name]))
    args = [n for arg in sig.input_arg for n in arg_refs[arg.name]]
    return gd, args, rets, list(fdef.control_ret.values())


def _build_body(lib, core_root, fdef, attrs):
    """The body of `fdef` instantiated with `attrs` as a metarun Graph: (graph, argument tensors,
    result tensors, control-result ops)."""
    from metarun.framework import graph as graph_lib, importer

    gd, args, rets, control_rets = _body_graph_def(lib, fdef, attrs)
    body = graph_lib.Graph()
    body._library = lib
    body._function_root = core_root
    body._producer = 2474
    with body._lock:
        importer._import_nodes(body, gd, "", False, {}, {}, None)
    return (body, [body.get_tensor_by_name(n) for n in args], [body.get_tensor_by_name(n) for n in rets],
            [body.get_operation_by_name(n) for n in control_rets])


def inline(func, inputs, name="inlined"):
    """Builds the body of `func` (a NameAttrList naming a function of the default graph's
    library) into the default graph, reading `inputs` for its arguments; returns its results."""
    from metarun.framework import graph as graph_lib, importer

    g = graph_lib.get_default_graph()
    lib = g._function_library()
    fdef = lib.fdefs.get(func.name)
    if fdef is None:
        raise errors.NotFoundError(None, None, "Function %s is not defined" % func.name)
    attrs = dict(func.attr)
    for attr_def in fdef.signature.attr:
        if attr_def.name not in attrs and attr_def.HasField("default_value"):
            attrs[attr_def.name] = attr_def.default_value
    gd, args, rets, _ = _body_graph_def(lib, fdef, attrs)
    if len(args) != len(inputs):
        raise ValueError("Function %s takes %d arguments, got %d" % (func.name, len(args), len(inputs)))
    arg_ops = set(a.split(":")[0] for a in args)
    kept = [n for n in gd.node if n.name not in arg_ops]
    del gd.node[:]
    gd.node.extend(kept)
    by_arg = dict(zip(args, inputs))
    used = set(i for n in gd.node for i in n.input)
    input_map = {a: t for a, t in by_arg.items() if a in used or a[:-2] in used}
    produced = [r for r in rets if r not in by_arg]
    outputs = importer.import_graph_def(gd, input_map=input_map, return_elements=produced, name=name) or []
    by_name = dict(zip(produced, outputs))
    return [by_arg[r] if r in by_arg else by_name[r] for r in rets]


# -- tracing: a Python function into a FunctionDef ---------------------------------------------

class TracedFunction(object):
    """A Python function traced into the default graph's library.

    name            the FunctionDef's name (what a func attr names)
    captures        outer tensors the body reads; callers pass them after the arguments
                    (a dataset op's `other_arguments`, a call's trailing inputs)
    output_dtypes   DTypes of the flat results
    output_shapes   TensorShapes of the flat results
    graph           the body graph the function was traced in
    """

    def __init__(self, name, captures, outputs, graph):
        self.name = name
        self.captures = captures
        self.output_dtypes = [t.dtype.base_dtype for t in outputs]
        self.output_shapes = [t.shape for t in outputs]
        self.graph = graph

    def name_attr_list(self):
        """The func attr value naming this function (what op builders put in `f`)."""
        return protos.NameAttrList(name=self.name)


def trace(fn, input_signature, name="fn", graph=None, arg_names=None):
    """Traces `fn` into a FunctionDef added to `graph`'s library (default: the default graph).

    `input_signature` is a list of (dtype, shape) pairs: `fn` is called with one placeholder
    tensor per pair and returns a tensor, a value convertible to one, or a list/tuple of them
    (flat: callers flatten and pack structures). Outer tensors `fn` uses are captured: each
    becomes an extra argument of the function, listed in `captures`. Returns a TracedFunction.
    """
    from metarun.framework import graph as graph_lib, tensor_shape
    from metarun.framework.constant_op import convert_to_tensor

    outer = graph or graph_lib.get_default_graph()
    lib = outer._function_library()
    body = graph_lib.Graph()
    body._library = lib
    body._outer_graph = outer
    body._captures = []  # (outer tensor, body placeholder), in capture order
    body._seed = outer._seed
    body._producer = outer._producer
    fname = "__inference_%s_%d" % (_sanitize(name), lib.next_uid())
    with body.as_default():
        args = []
        for i, (dtype, shape) in enumerate(input_signature):
            arg_name = arg_names[i] if arg_names else "args_%d" % i
            args.append(_placeholder(body, dtype, tensor_shape.as_shape(shape), arg_name))
        result = fn(*args)
        if result is None:
            outputs = []
        elif isinstance(result, (list, tuple)):
            outputs = [convert_to_tensor(r) for r in result]
        else:
            outputs = [convert_to_tensor(result)]
        # A result that is an argument or a capture is returned through an Identity, as TF does.
        arg_ops = set(t.op for t in args) | set(p.op for _, p in body._captures)
        outputs = [_identity(t) if t.op in arg_ops or t.graph is not body else t for t in outputs]
    fdef = _function_def(body, fname, args + [p for _, p in body._captures], outputs)
    lib.add_function_def(fdef)
    return TracedFunction(fname, [t for t, _ in body._captures], outputs, body)


def _sanitize(name):
    out = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
    return out or "fn"


def _placeholder(g, dtype, shape, name):
    from metarun.framework import dtypes
    dtype = dtypes.as_dtype(dtype)
    op = g._create_op("Placeholder", [], {"dtype": dtype.base_dtype, "shape": shape}, name=name)
    return op.outputs[0]


def _identity(t):
    from metarun.framework import graph as graph_lib
    g = graph_lib.get_default_graph()
    if t.graph is not g:
        t = g._capture(t)
    op = g._create_op("Identity", [t], {"T": t.dtype.base_dtype}, name="Identity")
    return op.outputs[0]


def capture(body, tensor):
    """The placeholder of `body` (a graph being traced) standing for outer `tensor`, made on first use."""
    outer = body._outer_graph
    if tensor.graph is not outer:
        if getattr(outer, "_outer_graph", None) is None:
            raise ValueError("Tensor %s is not an element of this graph or the graphs it is traced in."
                             % tensor.name)
        tensor = capture(outer, tensor)  # through the enclosing function first
    for outer_t, placeholder in body._captures:
        if outer_t is tensor:
            return placeholder
    saved_stack, body._name_stack = body._name_stack, ""  # captures are named at the top level
    try:
        with body.as_default():
            name = body.unique_name(tensor.op.name.replace("/", "_").lower() or "capture")
            placeholder = _placeholder(body, tensor.dtype.base_dtype, tensor.shape, name + "/")
    finally:
        body._name_stack = saved_stack
    body._captures.append((tensor, placeholder))
    return placeholder


def _function_def(body, fname, args, outputs):
    """The FunctionDef of a traced body graph: `args` (placeholders) in order, then the nodes,
    results `outputs`."""
    fdef = protos.FunctionDef()
    sig = fdef.signature
    sig.name = fname
    arg_ops = {}
    for i, t in enumerate(args):
        arg = sig.input_arg.add()
        arg.name = t.op.name
        arg.type = t.dtype.base_dtype.as_datatype_enum
        arg_ops[t.op] = arg.name
        shapes = fdef.arg_attr[i].attr["_output_shapes"].list
        tensor_util.make_shape_proto(t.shape.dims, shapes.shape.add())

    def ref(t):
        if t.op in arg_ops:
            return arg_ops[t.op]
        op_def = t.op._op_def
        index = t.value_index
        for out in op_def.output_arg:
            n = len(op_def_lib._arg_types(out, t.op._node_def.attr))
            if index < n:
                return "%s:%s:%d" % (t.op.name, out.name, index)
            index -= n
        raise ValueError("Output %s has no output arg" % t.name)

    consumed = set()
    stateful = False
    for op in body.get_operations():
        if op in arg_ops:
            continue
        node = fdef.node_def.add()
        node.CopyFrom(op._node_def)
        del node.input[:]
        node.input.extend(ref(t) for t in op._inputs)
        node.input.extend("^" + c.name for c in op._control_inputs)
        consumed.update(t.op for t in op._inputs)
        consumed.update(op._control_inputs)
        stateful = stateful or bool(op._op_def is not None and op._op_def.is_stateful)
    sig.is_stateful = stateful
    used_names = set()
    for i, t in enumerate(outputs):
        out = sig.output_arg.add()
        base = _sanitize(t.op.name.split("/")[-1].lower())
        out_name = base
        k = 1
        while out_name in used_names:
            out_name = "%s_%d" % (base, k)
            k += 1
        used_names.add(out_name)
        out.name = out_name
        out.type = t.dtype.base_dtype.as_datatype_enum
        fdef.ret[out_name] = ref(t)
    consumed.update(t.op for t in outputs)
    # Side effects nothing reads (an assignment, a print) must still run: control results.
    for op in body.get_operations():
        if op in arg_ops or op in consumed or op._op_def is None or not op._op_def.is_stateful:
            continue
        fdef.control_ret[op.name] = op.name
        sig.control_output.append(op.name)
    return fdef
