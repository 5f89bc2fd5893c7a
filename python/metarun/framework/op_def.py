"""Op signatures: how many outputs a node has, of which dtypes, and the
default values of attrs a graph left out.

Two sources, as in TensorFlow's importer: the graph's own
`meta_info_def.stripped_op_list` (what the producer knew), and metarun's
built-in list `_op_list.pb` (TensorFlow's current signatures, written by
tools/gen_op_list.py), which plays the consumer's role. The built-in list is
read only when first needed.
"""

import os
import threading

from metarun.framework import dtypes, protos

_OP_LIST_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_op_list.pb")
_lock = threading.Lock()
_builtin = None


def builtin_op_defs():
    """{op name: OpDef} for every op TensorFlow registers."""
    global _builtin
    if _builtin is None:
        with _lock:
            if _builtin is None:
                with open(_OP_LIST_PATH, "rb") as f:
                    op_list = protos.OpList.FromString(f.read())
                _builtin = {op.name: op for op in op_list.op}
    return _builtin


def lookup(op_type, graph_op_defs=None):
    """The OpDef for `op_type`: the graph's own first, then the built-in one."""
    if graph_op_defs and op_type in graph_op_defs:
        return graph_op_defs[op_type]
    return builtin_op_defs().get(op_type)


def fill_default_attrs(node_attrs, op_def):
    """Add every attr the OpDef defines with a default and the node lacks."""
    for attr in op_def.attr:
        if attr.name not in node_attrs and attr.HasField("default_value"):
            node_attrs[attr.name].CopyFrom(attr.default_value)


# A node's output (and input) count comes from its attrs, which TF trusts: a
# graph asking for `Unpack num=100000000` makes TF allocate until memory runs
# out. metarun refuses the node before allocating anything per output. No real
# graph comes near this bound.
MAX_ARGS_PER_NODE = 1 << 20


class TooManyArgs(ValueError):
    """A node whose attrs ask for more than MAX_ARGS_PER_NODE inputs or outputs."""


def _arg_count(arg, attrs):
    if arg.type_list_attr:
        return len(attrs[arg.type_list_attr].list.type) if arg.type_list_attr in attrs else 0
    if arg.number_attr:
        if arg.number_attr not in attrs:
            raise ValueError("missing attr '%s'" % arg.number_attr)
        return max(attrs[arg.number_attr].i, 0)
    return 1


def _checked_count(args, attrs, what):
    """How many values `args` (a list of ArgDefs) expand to; ValueError naming
    the attr when that is more than MAX_ARGS_PER_NODE."""
    total = 0
    for arg in args:
        total += _arg_count(arg, attrs)
        if total > MAX_ARGS_PER_NODE:
            attr = arg.number_attr or arg.type_list_attr
            raise TooManyArgs("attr '%s' asks for %d %s; a node may have at most %d"
                             % (attr, total, what, MAX_ARGS_PER_NODE))
    return total


def output_count(op_def, attrs):
    """The number of outputs of a node, checked against MAX_ARGS_PER_NODE."""
    return _checked_count(op_def.output_arg, attrs, "outputs")


def _arg_types(arg, attrs):
    """Dtype enums produced or consumed by one ArgDef, given the node's attrs."""
    if arg.type_list_attr:
        types = list(attrs[arg.type_list_attr].list.type) if arg.type_list_attr in attrs else []
    else:
        if arg.type_attr:
            if arg.type_attr not in attrs:
                raise ValueError("missing attr '%s'" % arg.type_attr)
            t = attrs[arg.type_attr].type
        else:
            t = arg.type
        count = attrs[arg.number_attr].i if arg.number_attr else 1
        if arg.number_attr and arg.number_attr not in attrs:
            raise ValueError("missing attr '%s'" % arg.number_attr)
        types = [t] * count
    if arg.is_ref:
        types = [t + 100 for t in types]
    return types


def output_types(op_def, attrs):
    """The dtype enums (refs as +100) of every output of a node."""
    output_count(op_def, attrs)
    out = []
    for arg in op_def.output_arg:
        out.extend(_arg_types(arg, attrs))
    return out


def input_types(op_def, attrs):
    _checked_count(op_def.input_arg, attrs, "inputs")
    out = []
    for arg in op_def.input_arg:
        out.extend(_arg_types(arg, attrs))
    return out


# AttrDef.type -> the AttrValue field holding such a value.
_VALUE_FIELDS = {"string": "s", "int": "i", "float": "f", "bool": "b", "type": "type", "shape": "shape",
                 "tensor": "tensor", "func": "func"}
_FIELD_KINDS = {field: kind for kind, field in _VALUE_FIELDS.items()}


def _value_kind(value):
    """The attr type an AttrValue holds ('list(int)', 'type'...), or None when unset."""
    field = value.WhichOneof("value")
    if field != "list":
        return _FIELD_KINDS.get(field, field)
    for name in ("s", "i", "f", "b", "type", "shape", "tensor", "func"):
        if len(getattr(value.list, name)):
            return "list(%s)" % _FIELD_KINDS[name]
    return "list"  # empty: any list type


def _type_name(enum):
    return dtypes.as_dtype(enum)._tf_name()


def check_attrs(attrs, op_def):
    """Raise ValueError unless every attr of `op_def` is present in `attrs` (a
    NodeDef's attr map, defaults filled) with a value of its declared kind that
    is allowed and not below its minimum. This is what TF checks when it imports
    a node; attrs the OpDef does not declare are left alone."""
    for attr in op_def.attr:
        if attr.name not in attrs:
            raise ValueError("NodeDef missing attr '%s' from Op<name=%s>" % (attr.name, op_def.name))
        value = attrs[attr.name]
        if value.WhichOneof("value") == "placeholder":
            continue  # bound when the enclosing function is instantiated
        want = attr.type
        got = _value_kind(value)
        is_list = want.startswith("list(")
        if is_list:
            if got not in (None, "list", want):
                raise ValueError("AttrValue had value with type '%s' when '%s' expected for attr '%s'"
                                 % (got, want, attr.name))
        elif want != "any":
            if got is None:
                raise ValueError("AttrValue missing value with expected type '%s' for attr '%s'"
                                 % (want, attr.name))
            if got != want:
                raise ValueError("AttrValue had value with type '%s' when '%s' expected for attr '%s'"
                                 % (got, want, attr.name))
        if want in ("type", "list(type)"):
            types = list(value.list.type) if is_list else [value.type]
            for t in types:
                if t > 100:
                    raise ValueError("AttrValue must not have reference type value of %s_ref for attr '%s'"
                                     % (_type_name(t), attr.name))
            allowed = attr.allowed_values.list.type if attr.HasField("allowed_values") else None
            for t in types if allowed else ():
                if t not in allowed:
                    raise ValueError("Value for attr '%s' of %s is not in the list of allowed values: %s"
                                     % (attr.name, _type_name(t), ", ".join(_type_name(a) for a in allowed)))
        elif want in ("string", "list(string)") and attr.HasField("allowed_values"):
            allowed = attr.allowed_values.list.s
            for s in (value.list.s if is_list else [value.s]):
                if s not in allowed:
                    raise ValueError("Value for attr '%s' of \"%s\" is not in the list of allowed values: %s"
                                     % (attr.name, s.decode("utf-8", "replace"),
                                        ", ".join('"%s"' % a.decode("utf-8", "replace") for a in allowed)))
        if attr.has_minimum:
            if is_list:
                n = max(len(getattr(value.list, f)) for f in ("s", "i", "f", "b", "type", "shape", "tensor", "func"))
                if n < attr.minimum:
                    raise ValueError("Length for attr '%s' of %d must be at least minimum %d"
                                     % (attr.name, n, attr.minimum))
            elif want == "int" and value.i < attr.minimum:
                raise ValueError("Value for attr '%s' of %d must be at least minimum %d"
                                 % (attr.name, value.i, attr.minimum))


def is_stateful(op_type, graph_op_defs=None):
    op_def = lookup(op_type, graph_op_defs)
    return bool(op_def and op_def.is_stateful)
