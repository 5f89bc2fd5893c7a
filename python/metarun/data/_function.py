"""The functions of a tf.data pipeline, traced into the graph's function library.

StructuredFunction wraps a map/filter/flat_map/interleave function as TF's
StructuredFunctionWrapper does: the function takes the element's components as arguments
(`args_0`, `args_1`...), rebuilt into the element's structure and passed unpacked when the
element is a tuple; a list result counts as a tuple; the results are flattened into the
function's outputs, a dataset result as its variant tensor. The FunctionDef is named after the
transformation and the Python function (`Dataset_map_<name>`) and is marked
`_tf_data_function` in the calling node's func attr, as TF marks it.

dataset_factory builds what make_one_shot_iterator's OneShotIterator calls: a function without
arguments holding a copy of the dataset's subgraph (TF's capture by value), which therefore may
not read placeholders or variables.
"""
import functools

from metarun.data import _structure as structure
from metarun.framework import function_library, protos
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import convert_to_tensor

_PLACEHOLDERS = frozenset(["Placeholder", "PlaceholderV2", "PlaceholderWithDefault"])
_VARIABLES = frozenset(["VariableV2", "Variable", "VarHandleOp", "TemporaryVariable"])


def _func_name(func):
    while isinstance(func, functools.partial):
        func = func.func
    name = getattr(func, "__name__", None) or type(func).__name__
    for symbol in ("<", ">", "\\", "'", " "):
        name = name.replace(symbol, "")
    return name


def _signature(element_spec):
    return [(spec.dtype, spec.shape) for spec in structure.flatten(element_spec)]


class StructuredFunction(object):
    """A Python function of dataset elements traced into the default graph's library."""

    def __init__(self, func, transformation_name, input_structure):
        self._input_structure = input_structure
        self._output_structure = None
        readable = transformation_name.replace(".", "_")[:-2] if len(transformation_name) > 2 else ""
        name = "_".join([readable, _func_name(func)])

        def body(*args):
            nested = structure.from_tensor_list(input_structure, list(args))
            if type(nested) is not tuple:  # noqa: E721 -- TF unpacks plain tuples only
                nested = (nested,)
            ret = func(*nested)
            if isinstance(ret, list):
                ret = tuple(ret)
            flat = []
            for leaf in structure.flatten(ret):
                if isinstance(leaf, graph_lib.Tensor) or (hasattr(leaf, "_variant_tensor") and
                                                          hasattr(leaf, "element_spec")):
                    flat.append(leaf)
                else:
                    try:
                        flat.append(convert_to_tensor(leaf))
                    except (TypeError, ValueError) as e:
                        raise TypeError("Unsupported return value from function passed to %s: %s."
                                        % (transformation_name, ret)) from e
            self._output_structure = structure.pack_sequence_as(
                ret, [structure.spec_from_value(v) for v in flat])
            return [getattr(v, "_variant_tensor", v) for v in flat]

        self._traced = function_library.trace(body, _signature(input_structure), name=name)

    @property
    def output_structure(self):
        return self._output_structure

    @property
    def output_types(self):
        return structure.legacy_types(self._output_structure)

    @property
    def output_shapes(self):
        return structure.legacy_shapes(self._output_structure)

    @property
    def captured_inputs(self):
        return list(self._traced.captures)

    @property
    def name(self):
        return self._traced.name

    def func_attr(self):
        attr = protos.NameAttrList(name=self._traced.name)
        attr.attr["_tf_data_function"].b = True
        return attr


def dataset_factory(dataset):
    """The func attr of a function without arguments that rebuilds `dataset` (its subgraph
    copied by value) and returns its variant tensor."""
    target = dataset._variant_tensor
    outer = target.graph
    needed = set()
    stack = [target.op]
    while stack:
        op = stack.pop()
        if op in needed:
            continue
        if op.type in _PLACEHOLDERS:
            raise ValueError("Cannot capture a placeholder (name:%s, type:%s) by value." % (op.name, op.type))
        if op.type in _VARIABLES:
            raise ValueError("Cannot capture a stateful node (name:%s, type:%s) by value.: A likely cause of this "
                             "error is that the dataset for which you are calling `make_one_shot_iterator()` "
                             "captures a stateful object, such as a `tf.Variable` or `tf.lookup.StaticHashTable`, "
                             "which is not supported. Use `make_initializable_iterator()` instead."
                             % (op.name, op.type))
        needed.add(op)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    ordered = [op for op in outer.get_operations() if op in needed]

    def body():
        g = graph_lib.get_default_graph()
        copies = {}
        for op in ordered:
            inputs = [copies[t.op].outputs[t.value_index] for t in op.inputs]
            controls = [copies[c] for c in op.control_inputs]
            attrs = {k: v for k, v in op._node_def.attr.items()}
            copies[op] = g._create_op(op.type, inputs, attrs, name=op.name + "/", control_inputs=controls,
                                      device=op.device)
        return [copies[target.op].outputs[target.value_index]]

    traced = function_library.trace(body, [], name="make_dataset")
    return protos.NameAttrList(name=traced.name)

