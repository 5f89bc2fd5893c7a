"""Graph-function control flow built in Python: tf.switch_case (a Case op, which TF builds even in
v1 graphs) and tf.function in graph mode (a traced function called through PartitionedCall or
StatefulPartitionedCall). Both trace Python functions into the graph's library
(framework/function_library.trace); TF's runtime and metarun's run the files alike.
"""
import functools

from metarun import nest
from metarun.framework import dtypes, function_library, graph as graph_lib, shape_inference as si
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape, unknown_shape
from metarun.ops.scopes import name_scope


# -- shapes of functional ops: what their output_shapes attr says ------------------------------

@si.register("If", "StatelessIf", "Case", "StatelessCase", "While", "StatelessWhile")
def _functional_shapes(op):
    attr = op._node_def.attr.get("output_shapes")
    shapes = list(attr.list.shape) if attr is not None else []
    if len(shapes) != len(op.outputs):
        return [unknown_shape() for _ in op.outputs]
    from metarun.framework import tensor_util
    return [TensorShape(tensor_util.shape_from_proto(s)) for s in shapes]


# -- tf.switch_case ------------------------------------------------------------------------------

def _canonical_branches(branch_fns, default, branch_index):
    if not hasattr(branch_index, "dtype") or not hasattr(branch_index, "op"):
        raise TypeError("'branch_index' must be a Tensor, got {}".format(type(branch_index)))
    if not branch_index.dtype.is_integer:
        raise TypeError("'branch_index' must be an integer Tensor, got {}".format(branch_index.dtype))
    if not branch_fns:
        raise ValueError("Must provide at least one item in 'branch_fns'")
    if not isinstance(branch_fns, (list, tuple, dict)):
        raise TypeError("'branch_fns' must be a list, tuple, or dict")
    if isinstance(branch_fns, dict):
        branch_fns = list(branch_fns.items())
    if all(callable(fn) for fn in branch_fns):
        branch_fns = list(enumerate(branch_fns))
    for pair in branch_fns:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError("Each entry in 'branch_fns' must be a 2-tuple. Received {}.".format(pair))
        key, fn = pair
        if not isinstance(key, int):
            raise TypeError("key must be a Python `int`, got {}".format(type(key)))
        if not callable(fn):
            raise TypeError("fn for key {} must be callable.".format(key))
    keys = [p[0] for p in branch_fns]
    if min(keys) < 0 or max(keys) >= len(keys) or len(set(keys)) != len(keys):
        raise ValueError("branch indices (keys) must form contiguous range of [0 to {}) but found {{{}}}"
                         .format(len(keys), ",".join(map(str, sorted(keys)))))
    actions = [p[1] for p in sorted(branch_fns, key=lambda p: p[0])]
    if default is not None:
        actions.append(default)
    return actions


def _unify_arguments(g, traced):
    """Gives every traced branch the same arguments: the union of all branches' captures, in
    order of first capture. Returns that list of outer tensors."""
    union = []
    for t in traced:
        for c in t.captures:
            if all(c is not u for u in union):
                union.append(c)
    lib = g._function_library()
    for t in traced:
        fdef = lib.fdefs[t.name]
        old_args = list(fdef.signature.input_arg)
        old_attrs = {i: fdef.arg_attr[i] for i in fdef.arg_attr}
        by_capture = {id(c): (arg, old_attrs.get(i)) for i, (c, arg) in enumerate(zip(t.captures, old_args))}
        names = set(a.name for a in old_args)
        del fdef.signature.input_arg[:]
        fdef.ClearField("arg_attr")
        for i, c in enumerate(union):
            found = by_capture.get(id(c))
            arg = fdef.signature.input_arg.add()
            if found is not None:
                arg.CopyFrom(found[0])
                if found[1] is not None:
                    fdef.arg_attr[i].CopyFrom(found[1])
            else:  # an argument this branch does not read
                name, k = "unused_%d" % i, 0
                while name in names:
                    k += 1
                    name = "unused_%d_%d" % (i, k)
                names.add(name)
                arg.name = name
                arg.type = c.dtype.base_dtype.as_datatype_enum
    return union


def _most_specific(shapes):
    out = shapes[0]
    for s in shapes[1:]:
        if out.ndims != s.ndims:
            return unknown_shape()
        out = TensorShape([a if a == b else None
                           for a, b in zip(out.as_list(), s.as_list())]) if out.ndims is not None else out
    return out


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """tf.switch_case: runs the branch `branch_index` selects (out of range: `default`, or the
    last branch). A Case op (StatelessCase when no branch has side effects), as TF builds it."""
    with name_scope(name) as scope:
        branch_index = convert_to_tensor(branch_index, name="branch_index")
        fns = _canonical_branches(branch_fns, default, branch_index)
        return _indexed_case(branch_index, fns, scope)


def _indexed_case(branch_index, fns, outer_scope, name="indexed_case"):
    g = graph_lib.get_default_graph()
    with name_scope(name) as scope:
        structures, traced = [], []
        for b, fn in enumerate(fns):
            holder = {}

            def flat_fn(fn=fn, holder=holder):
                result = fn()
                holder["structure"] = result
                return [convert_to_tensor(t) for t in nest.flatten(result)]

            traced.append(function_library.trace(flat_fn, [], name="%sbranch%d" % (scope.replace("/", "_"), b)))
            structures.append(holder["structure"])
        for b, t in enumerate(traced[1:], 1):
            try:
                nest.assert_same_structure(structures[0], structures[b])
            except (TypeError, ValueError) as e:
                raise ValueError("All branches of switch_case must return the same structure: %s" % e) from None
            if t.output_dtypes != traced[0].output_dtypes:
                raise TypeError("branch 0 and branch %d of switch_case return different types: %s vs %s"
                                % (b, traced[0].output_dtypes, t.output_dtypes))
        inputs = _unify_arguments(g, traced)
        lib = g._function_library()
        stateful = any(lib.fdefs[t.name].signature.is_stateful for t in traced)
        shapes = [_most_specific([t.output_shapes[k] for t in traced]) for k in range(len(traced[0].output_dtypes))]
        outs = apply_op("Case" if stateful else "StatelessCase", branch_index=branch_index, input=inputs,
                        Tout=traced[0].output_dtypes, branches=traced, output_shapes=shapes, name=scope)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    if not traced[0].output_dtypes:
        return outs
    return nest.pack_sequence_as(structures[0], list(outs))


# -- tf.function (graph mode) ------------------------------------------------------------------

class Function(object):
    """What tf.function returns: traced once per input signature (dtypes and shapes of the tensor
    arguments, the values of the others), called through a PartitionedCall node."""

    def __init__(self, python_function, name, input_signature=None):
        self._python_function = python_function
        self._name = name
        self._input_signature = input_signature
        self._traced = {}
        functools.update_wrapper(self, python_function)

    @property
    def python_function(self):
        return self._python_function

    @property
    def input_signature(self):
        return self._input_signature

    def __get__(self, instance, owner):
        if instance is None:
            return self
        return functools.partial(self.__call__, instance)

    def __call__(self, *args, **kwargs):
        g = graph_lib.get_default_graph()
        flat = nest.flatten((args, kwargs))
        tensors, key = [], []
        for v in flat:
            if _is_tensor_like(v):
                t = convert_to_tensor(v)
                tensors.append(t)
                key.append(("T", t.dtype.base_dtype, tuple(t.shape.as_list()) if t.shape.ndims is not None else None))
            else:
                try:
                    hash(v)
                    key.append(("V", v))
                except TypeError:
                    key.append(("V", id(v)))
        cache_key = (id(g), tuple(key))
        entry = self._traced.get(cache_key)
        if entry is None:
            entry = self._trace(g, args, kwargs, tensors)
            self._traced[cache_key] = entry
        traced, out_structure, stateful = entry
        op_type = "StatefulPartitionedCall" if stateful else "PartitionedCall"
        config = {"config": "", "config_proto": b"", "executor_type": ""}
        outs = apply_op(op_type, args=tensors + traced.captures, Tout=traced.output_dtypes, f=traced, **config)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        for t, shape in zip(outs, traced.output_shapes):
            t.set_shape(shape)
        if out_structure is None:
            return None
        return nest.pack_sequence_as(out_structure, outs)

    def _trace(self, g, args, kwargs, tensors):
        holder = {}
        flat = nest.flatten((args, kwargs))

        def flat_fn(*placeholders):
            it = iter(placeholders)
            rebuilt = [next(it) if _is_tensor_like(v) else v for v in flat]
            call_args, call_kwargs = nest.pack_sequence_as((args, kwargs), rebuilt)
            result = self._python_function(*call_args, **call_kwargs)
            holder["structure"] = result
            if result is None:
                return []
            return [convert_to_tensor(t) for t in nest.flatten(result)]

        signature = [(t.dtype.base_dtype, t.shape) for t in tensors]
        traced = function_library.trace(flat_fn, signature, name=self._name, graph=g,
                                        arg_names=_arg_names(self._python_function, len(tensors)))
        stateful = g._function_library().fdefs[traced.name].signature.is_stateful or bool(traced.captures and any(
            c.dtype.base_dtype == dtypes.resource for c in traced.captures))
        return traced, holder.get("structure"), stateful

    def get_concrete_function(self, *args, **kwargs):
        raise NotImplementedError("get_concrete_function needs eager execution, which metarun does not have")


def _arg_names(fn, n):
    import inspect
    try:
        params = [p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = params[:n] if len(params) >= n else []
    return names + ["args_%d" % i for i in range(len(names), n)]


def _is_tensor_like(v):
    return hasattr(v, "dtype") and (hasattr(v, "op") or hasattr(v, "_to_tensor"))


def function(func=None, input_signature=None, autograph=True, jit_compile=None, reduce_retracing=False,
             experimental_implements=None, experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None, experimental_follow_type_hints=None):
    """tf.function in a graph: the function is traced into the graph's library and called."""
    def decorate(fn):
        return Function(fn, getattr(fn, "__name__", "function"), input_signature)
    if func is not None:
        return decorate(func)
    return decorate
