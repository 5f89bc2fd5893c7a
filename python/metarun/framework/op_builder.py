"""Adding ops to a graph from Python, as TF's op-definition library does.

`apply_op("AddV2", x=a, y=b, name=None)` reads the op's signature (OpDef),
converts each input (Tensors, Variables, numpy arrays, Python values and lists
of them) to a Tensor of the type its type attr is bound to, infers type and
length attrs from the inputs, fills the other attrs from keywords or their
defaults, and returns the op's output (one Tensor), outputs (a list, or a
list per list-valued output) or, for an op without outputs, the Operation.

`convert_to_tensor` turns a value into a Tensor with TF's dtype rules: Python
ints are int32 (int64 when they do not fit), floats float32, numpy values keep
their dtype; a requested dtype must be able to hold the value.
"""

import numbers

import numpy as np

from metarun.framework import dtypes, op_def as op_def_lib
from metarun.framework import graph as graph_lib
from metarun.framework import tensor_shape
from metarun.framework.tensor_shape import TensorShape

Tensor = graph_lib.Tensor


# -- values -> Tensors ---------------------------------------------------------------------------

def _is_tensor_like(value):
    return isinstance(value, Tensor) or (hasattr(value, "_as_graph_element") and
                                         not isinstance(value, graph_lib.Operation))


def _contains_tensor(value):
    if _is_tensor_like(value):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_tensor(v) for v in value)
    return False


_FAILED_ELEMENTS = ("Failed to convert elements of %r to Tensor. Consider casting elements to a supported type. "
                    "See https://www.tensorflow.org/api_docs/python/tf/dtypes for supported TF dtypes.")


def _python_dtype(value):
    """TF's dtype for a Python/numpy value with no dtype asked for."""
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind in "SUO":
            return dtypes.string
        return dtypes.as_dtype(value.dtype)
    flat = _flatten(value)
    if not flat:
        return dtypes.float32
    kinds = set()
    for v in flat:
        if isinstance(v, (bool, np.bool_)):
            kinds.add("b")
        elif isinstance(v, (bytes, str)):
            kinds.add("s")
        elif isinstance(v, (np.generic,)):
            kinds.add(("n", dtypes.as_dtype(v.dtype)))
        elif isinstance(v, numbers.Integral):
            kinds.add("i")
        elif isinstance(v, numbers.Real):
            kinds.add("f")
        elif isinstance(v, numbers.Complex):
            kinds.add("c")
        else:
            raise TypeError(_FAILED_ELEMENTS % (value,))
    numpy_kinds = [k[1] for k in kinds if isinstance(k, tuple)]
    if numpy_kinds and len(kinds) == 1:
        return numpy_kinds[0]
    if "s" in kinds:
        if kinds != {"s"}:
            raise TypeError(_FAILED_ELEMENTS % (value,))
        return dtypes.string
    if "c" in kinds:
        return dtypes.complex128
    if "f" in kinds or any(d.is_floating for d in numpy_kinds):
        return dtypes.float32
    if "i" in kinds or numpy_kinds:
        ints = [int(v) for v in flat if not isinstance(v, (bool, np.bool_))]
        if all(-2 ** 31 <= i < 2 ** 31 for i in ints):
            return dtypes.int32
        if all(-2 ** 63 <= i < 2 ** 63 for i in ints):
            return dtypes.int64
        if all(0 <= i < 2 ** 64 for i in ints):
            return dtypes.uint64
        if all(-2 ** 63 <= i < 2 ** 64 for i in ints):  # numpy takes such a mix as floats
            return dtypes.float32
        raise TypeError(_FAILED_ELEMENTS % (value,))
    return dtypes.bool


def _flatten(value):
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            out.extend(_flatten(v))
        return out
    return [value]


def _type_name(value):
    return type(value).__name__


def _check_compatible(value, dtype):
    """TF's check that a Python value fits `dtype` (no silent float -> int)."""
    if isinstance(value, np.ndarray):
        return
    for v in _flatten(value):
        if isinstance(v, np.generic):
            continue
        ok = True
        if dtype == dtypes.string:
            ok = isinstance(v, (bytes, str))
        elif dtype.is_bool:
            ok = isinstance(v, (bool, np.bool_))
        elif dtype.is_integer:
            ok = isinstance(v, numbers.Integral)
        elif dtype.is_floating:
            ok = isinstance(v, numbers.Real)
        elif dtype.is_complex:
            ok = isinstance(v, numbers.Number)
        if not ok or isinstance(v, (bytes, str)) and dtype != dtypes.string:
            raise TypeError("Expected %s, but got %s of type '%s'." % (dtype.name, v, _type_name(v)))


def numpy_value(value, dtype=None):
    """(ndarray, DType) for a Python/numpy value, with TF's inference and checks."""
    if value is None:
        raise ValueError("None values not supported.")
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype).base_dtype
        _check_compatible(value, dtype)
    else:
        dtype = _python_dtype(value)
    if dtype == dtypes.string:
        arr = np.array(value, dtype=object)
        arr = np.vectorize(lambda s: s.encode() if isinstance(s, str) else s, otypes=[object])(arr) \
            if arr.size else arr
        return arr, dtype
    try:
        if dtype.is_integer and not isinstance(value, np.ndarray):
            ints = np.array(value, dtype=object)
            lo, hi = dtype.min, dtype.max
            wrap = False
            for v in ints.reshape(-1):
                if isinstance(v, (list, tuple)):  # a ragged list: numpy's own ValueError, as in TF
                    np.array(value, dtype=dtype.as_numpy_dtype)
                if not isinstance(v, np.generic) and not lo <= int(v) <= hi:
                    if not -2 ** 63 <= int(v) < 2 ** 64:
                        raise OverflowError("Python int too large to convert to C long")
                    wrap = True
            if wrap:  # graph-mode TF keeps the low bits of a Python int too big for the dtype
                bits = np.dtype(dtype.as_numpy_dtype).itemsize * 8
                low = np.vectorize(lambda v: int(v) % (1 << bits), otypes=[object])(ints)
                return low.astype(np.uint64).astype(np.dtype("u%d" % (bits // 8))).view(dtype.as_numpy_dtype), dtype
        with np.errstate(all="ignore"):
            arr = np.array(value, dtype=dtype.as_numpy_dtype)
    except OverflowError as e:
        if str(e) == "Python int too large to convert to C long":
            raise
        raise ValueError("Can't convert %r to a Tensor of dtype %s: %s" % (value, dtype.name, e)) from None
    except ValueError as e:
        if str(e).startswith("setting an array element with a sequence"):
            raise ValueError(str(e)) from None
        raise ValueError("Can't convert %r to a Tensor of dtype %s: %s" % (value, dtype.name, e)) from None
    return arr, dtype


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False, graph=None):
    """A Const op holding `value` (broadcast to `shape` when one value is given)."""
    g = graph or graph_lib.get_default_graph()
    arr, dtype = numpy_value(value, dtype)
    if shape is not None:
        shape = [int(d) for d in TensorShape(shape).as_list()]
        if arr.size == int(np.prod(shape, dtype=np.int64)):
            arr = arr.reshape(shape)
        elif arr.size == 1 and not verify_shape:
            arr = np.broadcast_to(arr.reshape(()), shape)
        elif verify_shape:
            raise TypeError("Expected Tensor's shape: %s, got %s." % (tuple(shape), arr.shape))
        else:
            raise TypeError("Eager execution of tf.constant with unsupported shape. Tensor of shape %s "
                            "cannot be reshaped to %s." % (list(arr.shape), shape))
    return g._create_op("Const", [], {"value": (arr, dtype), "dtype": dtype}, name=name).outputs[0]


def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None, as_ref=False, graph=None):
    """A Tensor for `value`, checked against (or converted to) `dtype`."""
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(value, Tensor):
        tensor = value
    elif hasattr(value, "_to_tensor"):
        tensor = value._to_tensor(as_ref)
    elif hasattr(value, "_as_graph_element") and not isinstance(value, graph_lib.Operation):
        tensor = value._as_graph_element()
    elif isinstance(value, graph_lib.Operation):
        raise TypeError("Can't convert Operation '%s' to Tensor (target dtype=%s, name=%s, as_ref=%s)"
                        % (value.name, dtype, name, as_ref))
    elif isinstance(value, (tensor_shape.TensorShape, tensor_shape.Dimension, tensor_shape.KnownDimension)):
        return _shape_as_tensor(value, dtype, name, graph)
    elif isinstance(value, (list, tuple)) and _contains_tensor(value):
        if dtype is None and preferred_dtype is not None:
            try:  # a dtype hint casts the list's tensors, as TF's autopacking does
                return _autopack(value, dtypes.as_dtype(preferred_dtype), name or "packed", graph)
            except (TypeError, ValueError):
                pass
        tensor = _autopack(value, dtype, name or "packed", graph)
    else:
        if dtype is None and preferred_dtype is not None:
            try:
                return constant(value, preferred_dtype, name=name or "Const", graph=graph)
            except (TypeError, ValueError):
                pass
        return constant(value, dtype, name=name or "Const", graph=graph)
    if dtype is not None and not dtype.is_compatible_with(tensor.dtype.base_dtype) \
            and dtype.base_dtype != tensor.dtype.base_dtype:
        message = "Tensor conversion requested dtype %s for Tensor with dtype %s: %r" % (
            dtype.name, tensor.dtype.base_dtype.name, tensor)
        raise ValueError(message if name is None else "%s: %s" % (name, message))
    return tensor


def _shape_as_tensor(value, dtype, name, graph):
    """TF's conversion of a fully known TensorShape (a vector) or a known Dimension (a
    scalar): int32, or int64 when a size needs it; a Const named 'shape_as_tensor'."""
    if not isinstance(value, tensor_shape.TensorShape):
        if value.value is None:
            raise ValueError("Cannot convert unknown Dimension %s to a Tensor." % value)
        dims, what = value.value, "Dimension %s" % value
    else:
        if not value.is_fully_defined():
            raise ValueError("Cannot convert a partially known TensorShape %s to a Tensor." % value)
        dims, what = value.as_list(), "TensorShape %s" % value
    big = any(d >= 2 ** 31 for d in np.ravel(np.asarray(dims, dtype=np.int64)))
    if dtype is None:
        dtype = dtypes.int64 if big else dtypes.int32
    elif dtype.base_dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError("Cannot convert %s to dtype %s. Allowed dtypes are tf.int32 and tf.int64."
                        % (what, dtype))
    elif dtype.base_dtype == dtypes.int32 and big:
        raise ValueError("Cannot convert %s to dtype int32; a dimension is too large. Consider using "
                         "tf.int64." % what)
    arr = np.asarray(dims, dtype=dtype.base_dtype.as_numpy_dtype)
    return constant(arr, dtype.base_dtype, name=name or "shape_as_tensor", graph=graph)


def _autopack(values, dtype, name, graph):
    """A list holding Tensors becomes a Pack of its elements (TF's autopacking); asked for
    another dtype than its first tensor's, its tensors are cast first, as TF does."""
    inferred = None
    for v in _flatten(values):
        if _is_tensor_like(v):
            inferred = convert_to_tensor(v).dtype.base_dtype
            break
    if dtype is None:
        dtype = inferred
    elif inferred is not None and dtype.base_dtype != inferred:
        values = _cast_tensors(values, dtype.base_dtype)
    g = graph or graph_lib.get_default_graph()
    with g.name_scope(name) as scope:
        elems = []
        for i, v in enumerate(values):
            if isinstance(v, (list, tuple)) and _contains_tensor(v):
                elems.append(_autopack(v, dtype, str(i), g))
            elif isinstance(v, (list, tuple)):
                # TF opens the element's scope before it finds no tensor in it, so the
                # element's constant is named 'packed/0_1'.
                with g.name_scope(str(i)):
                    elems.append(v)
            elif _is_tensor_like(v):
                elems.append(convert_to_tensor(v, dtype=dtype, name=str(i), graph=g))
            else:
                elems.append(v)
        # TF makes the constants after the nested Packs, each named after its index: 'packed/0'.
        elems = [e if isinstance(e, Tensor) else convert_to_tensor(e, dtype=dtype, name=str(i), graph=g)
                 for i, e in enumerate(elems)]
        return apply_op("Pack", values=elems, axis=0, name=scope)


def _cast_tensors(values, dtype):
    out = []
    for v in values:
        if isinstance(v, (list, tuple)):
            out.append(_cast_tensors(v, dtype))
        elif _is_tensor_like(v):
            t = convert_to_tensor(v)
            out.append(t if t.dtype.base_dtype == dtype else apply_op("Cast", x=t, DstT=dtype))
        else:
            out.append(v)
    return out


def convert_n_to_tensor(values, dtype=None, name=None, preferred_dtype=None):
    return [convert_to_tensor(v, dtype, None if name is None else "%s_%d" % (name, i), preferred_dtype)
            for i, v in enumerate(values)]


# -- building an op from its signature -------------------------------------------------------------

def _attr_python(op_def, attr_name):
    for a in op_def.attr:
        if a.name == attr_name:
            return a
    return None


def _default_type(op_def, attr_name):
    a = _attr_python(op_def, attr_name)
    if a is not None and a.HasField("default_value") and a.default_value.WhichOneof("value") == "type":
        return dtypes.as_dtype(a.default_value.type)
    return None


def _allowed(op_def, attr_name):
    a = _attr_python(op_def, attr_name)
    if a is not None and a.HasField("allowed_values"):
        return [dtypes.as_dtype(t) for t in a.allowed_values.list.type]
    return None


def _graph_of_inputs(op_def, kwargs):
    """TF's rule for where an op goes: the graph of its first tensor input; an input from
    another graph than that one is a ValueError. None when no input is a tensor."""
    first = None
    for arg in op_def.input_arg:
        value = kwargs.get(arg.name)
        for v in value if isinstance(value, (list, tuple)) else (value,):
            if not _is_tensor_like(v):
                continue
            g = getattr(v, "graph", None)
            if g is None:
                continue
            if first is None:
                first = v
            elif g is not first.graph:
                raise ValueError("%s must be from the same graph as %s (graphs are %s and %s)."
                                 % (first, v, first.graph, g))
    return None if first is None else first.graph


def apply_op(op_type, name=None, **kwargs):
    """Add one `op_type` node to the graph of its inputs (the default graph when none is a
    tensor); see the module docstring."""
    g = graph_lib.get_default_graph()
    op_def = op_def_lib.lookup(op_type, g._op_defs)
    if op_def is None:
        raise ValueError("Unrecognized Op name %s" % op_type)
    # A traced function captures outer tensors instead.
    inputs_graph = _graph_of_inputs(op_def, kwargs) if g._outer_graph is None else None
    if inputs_graph is not None and inputs_graph is not g:
        with inputs_graph.as_default():
            return _build_in_scope(inputs_graph, op_def, op_type, name, kwargs)
    return _build_in_scope(g, op_def, op_type, name, kwargs)


def _build_in_scope(g, op_def, op_type, name, kwargs):
    # As in TF, inputs are converted inside the op's name scope: a Python value
    # for input `y` of op `add` becomes the Const `add/y`.
    with g.name_scope(name or op_type) as scope:
        return _build(g, op_def, op_type, scope, kwargs)


def _build(g, op_def, op_type, scope, kwargs):
    attrs = {}
    inputs = []
    input_types = []
    for arg in op_def.input_arg:
        if arg.name not in kwargs:
            raise TypeError("%s() missing required argument '%s'" % (op_type, arg.name))
        value = kwargs.pop(arg.name)
        if arg.number_attr or arg.type_list_attr:
            if not isinstance(value, (list, tuple)):
                if arg.number_attr and isinstance(value, Tensor):
                    raise TypeError("Expected list for '%s' argument to '%s' Op, not %s."
                                    % (arg.name, op_type, value))
                raise TypeError("Expected list for '%s' argument to '%s' Op, not %r." % (arg.name, op_type, value))
            if arg.number_attr:
                dtype = attrs.get(arg.type_attr) if arg.type_attr else dtypes.as_dtype(arg.type)
                if dtype is None and arg.type_attr in kwargs:
                    dtype = dtypes.as_dtype(kwargs[arg.type_attr])
                if dtype is None:
                    for v in value:
                        if _is_tensor_like(v):
                            dtype = convert_to_tensor(v, as_ref=arg.is_ref).dtype.base_dtype
                            break
                default = _default_type(op_def, arg.type_attr) if arg.type_attr else None
                try:
                    tensors = [convert_to_tensor(v, dtype=dtype, preferred_dtype=default, as_ref=arg.is_ref,
                                                 name="%s_%d" % (arg.name, i)) for i, v in enumerate(value)]
                    mixed = len(set(t.dtype.base_dtype for t in tensors)) > 1
                except (TypeError, ValueError):
                    mixed = True
                if mixed:
                    raise TypeError("Tensors in list passed to '%s' of '%s' Op have types [%s] that don't all "
                                    "match." % (arg.name, op_type, _observed_types(value, arg.is_ref)))
                attrs[arg.number_attr] = len(tensors)
                if arg.type_attr and tensors:
                    attrs.setdefault(arg.type_attr, tensors[0].dtype.base_dtype)
            else:
                want = attrs.get(arg.type_list_attr) or kwargs.get(arg.type_list_attr)
                tensors = []
                for i, v in enumerate(value):
                    dt = dtypes.as_dtype(want[i]) if want and i < len(want) else None
                    tensors.append(convert_to_tensor(v, dtype=dt, as_ref=arg.is_ref, name="%s_%d" % (arg.name, i)))
                attrs[arg.type_list_attr] = [t.dtype.base_dtype for t in tensors]
            inputs.extend(tensors)
            input_types.extend(t.dtype for t in tensors)
            continue
        if arg.type_attr:
            dtype = attrs.get(arg.type_attr)
            if dtype is None and arg.type_attr in kwargs:
                dtype = dtypes.as_dtype(kwargs[arg.type_attr])
        else:
            dtype = dtypes.as_dtype(arg.type)
        try:
            # A type attr's default does not steer a Python value: TF 2.21 makes [1, 2]
            # int32 for OneHot's indices and ReverseSequence's lengths (int64 defaults).
            tensor = convert_to_tensor(value, dtype=dtype, as_ref=arg.is_ref, name=arg.name)
        except ValueError:
            if isinstance(value, Tensor) or _is_tensor_like(value):
                got = convert_to_tensor(value, as_ref=arg.is_ref).dtype.base_dtype
                prior = [a for a in op_def.input_arg if a.type_attr == arg.type_attr and a.name != arg.name]
                if arg.type_attr and prior:
                    raise TypeError("Input '%s' of '%s' Op has type %s that does not match type %s of argument "
                                    "'%s'." % (arg.name, op_type, got.name, dtype.name, prior[0].name)) from None
                raise TypeError("Input '%s' of '%s' Op has type %s that does not match expected type of %s."
                                % (arg.name, op_type, got.name, dtype.name)) from None
            raise
        except TypeError as e:
            if dtype is not None:
                raise TypeError("Expected %s passed to parameter '%s' of op '%s', got %r of type '%s' instead. "
                                "Error: %s" % (dtype.name, arg.name, op_type, value, _type_name(value), e)) from None
            raise
        if arg.is_ref and not tensor.dtype.is_ref_dtype:
            raise TypeError("'%s' Op requires that input '%s' be a mutable tensor (e.g.: a tf.Variable)"
                            % (op_type, arg.name))
        if arg.type_attr:
            allowed = _allowed(op_def, arg.type_attr)
            base = tensor.dtype.base_dtype
            default = _default_type(op_def, arg.type_attr)
            if allowed and base not in allowed and dtype is None and default in allowed and \
                    not isinstance(value, Tensor) and not _is_tensor_like(value):
                # TF converts a Python value once as it comes (an empty list: float32), then, refused,
                # again as the attr's default; the first Const stays in the graph, unused.
                tensor = convert_to_tensor(value, dtype=default, as_ref=arg.is_ref, name=arg.name)
                base = tensor.dtype.base_dtype
            if allowed and base not in allowed:
                raise TypeError("Value passed to parameter '%s' has DataType %s not in list of allowed values: %s"
                                % (arg.name, base.name, ", ".join(a.name for a in allowed)))
            attrs.setdefault(arg.type_attr, base)
        inputs.append(tensor)
        input_types.append(tensor.dtype)
    for a in op_def.attr:
        if a.name in kwargs:
            value = kwargs.pop(a.name)
            if a.name in attrs and a.type == "type":
                if dtypes.as_dtype(value) != attrs[a.name]:
                    raise TypeError("Attr '%s' of '%s' Op passed %s but its inputs are %s"
                                    % (a.name, op_type, dtypes.as_dtype(value).name, attrs[a.name].name))
                continue
            if value is None:
                continue
            attrs[a.name] = _attr_value(a, value, op_type)
        elif a.name not in attrs and not a.HasField("default_value"):
            raise TypeError("No argument for attr %s" % a.name)
    if kwargs:
        raise TypeError("%s() got unexpected keyword arguments: %s" % (op_type, ", ".join(sorted(kwargs))))
    must_colocate = [t.op for arg, t in zip(op_def.input_arg, inputs) if arg.is_ref]
    with _colocate(g, must_colocate):
        op = g._create_op(op_type, inputs, attrs, name=scope, op_def=op_def)
    return _outputs(op, op_def)


def _observed_types(values, as_ref):
    """The dtype names the list's values convert to on their own, as TF's message lists them."""
    names = []
    for v in values:
        try:
            names.append(convert_to_tensor(v, as_ref=as_ref).dtype.base_dtype.name)
        except (TypeError, ValueError):
            names.append("<NOT CONVERTIBLE TO TENSOR>")
    return ", ".join(names)


class _colocate(object):
    """colocate_with each op of a list (nothing for an empty one)."""

    def __init__(self, g, ops):
        self.g, self.ops, self.cms = g, ops, []

    def __enter__(self):
        for op in self.ops:
            cm = self.g.colocate_with(op)
            cm.__enter__()
            self.cms.append(cm)

    def __exit__(self, *exc):
        for cm in reversed(self.cms):
            cm.__exit__(*exc)


def _attr_value(attr_def, value, op_type):
    kind = attr_def.type
    if kind == "type":
        return dtypes.as_dtype(value)
    if kind == "list(type)":
        return [dtypes.as_dtype(v) for v in value]
    if kind == "shape":
        return value if isinstance(value, TensorShape) else TensorShape(value)
    if kind == "list(shape)":
        return [v if isinstance(v, TensorShape) else TensorShape(v) for v in value]
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError("Expected int for argument '%s' not %r." % (attr_def.name, value))
        return int(value)
    if kind == "float":
        if not isinstance(value, numbers.Real):
            raise TypeError("Expected float for argument '%s' not %r." % (attr_def.name, value))
        return float(value)
    if kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError("Expected bool for argument '%s' not %r." % (attr_def.name, value))
        return bool(value)
    if kind == "string":
        if not isinstance(value, (str, bytes)):
            raise TypeError("Expected string for argument '%s' not %r." % (attr_def.name, value))
        return value
    if kind == "list(int)":
        return [int(v) for v in value]
    if kind == "list(float)":
        return [float(v) for v in value]
    if kind == "list(string)":
        return list(value)
    if kind == "list(bool)":
        return [bool(v) for v in value]
    if kind == "tensor":
        arr, dtype = numpy_value(value)
        return (arr, dtype)
    return value


def _outputs(op, op_def):
    outs = op.outputs
    if not op_def.output_arg or not outs:  # TF's wrappers return the op when it has no outputs
        return op
    result = []
    i = 0
    for arg in op_def.output_arg:
        if arg.number_attr or arg.type_list_attr:
            n = (op._node_def.attr[arg.number_attr].i if arg.number_attr
                 else len(op._node_def.attr[arg.type_list_attr].list.type))
            result.append(list(outs[i:i + n]))
            i += n
        else:
            result.append(outs[i])
            i += 1
    if len(result) == 1:
        return result[0]
    return result


class _RawOps(object):
    """`tf.raw_ops.Op(**kwargs)`: a builder for every op of the signature list."""

    def __getattr__(self, op_type):
        if op_def_lib.lookup(op_type) is None:
            raise AttributeError("module 'tf.raw_ops' has no attribute %r" % op_type)

        def builder(name=None, **kwargs):
            return apply_op(op_type, name=name, **kwargs)
        builder.__name__ = op_type
        return builder

    def __dir__(self):
        return sorted(op_def_lib.builtin_op_defs())


raw_ops = _RawOps()
