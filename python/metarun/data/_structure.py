"""Element structures of tf.data: how a dataset element nests, and its flat tensor list.

tf.data nests differently from tf.nest: tuples, namedtuples and mappings are structure, but a
Python list is a value (it becomes one tensor). A mapping's entries come in sorted key order;
a rebuilt mapping keeps the key order of the structure it is modelled on.

A component is described by a TensorSpec, or by a DatasetSpec when the component is itself a
dataset (what a flat_map or interleave function returns); each component is one flat tensor
(a dataset travels as its scalar variant tensor).
"""
import collections.abc as _abc

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.tensor_shape import TensorShape, as_shape
from metarun.ops.misc_types import TensorSpec, TypeSpec


# -- nesting ----------------------------------------------------------------------------------

def is_nested(x):
    return isinstance(x, (tuple, _abc.Mapping))


def _children(x):
    if isinstance(x, _abc.Mapping):
        return [x[k] for k in sorted(x)]
    return list(x)


def _sequence_like(instance, args):
    if isinstance(instance, _abc.Mapping):
        by_key = dict(zip(sorted(instance), args))
        return type(instance)((k, by_key[k]) for k in instance)
    if hasattr(type(instance), "_fields"):
        return type(instance)(*args)
    return type(instance)(args)


def flatten(structure):
    if not is_nested(structure):
        return [structure]
    out = []
    for child in _children(structure):
        out.extend(flatten(child))
    return out


def pack_sequence_as(structure, flat):
    flat = list(flat)
    if not is_nested(structure):
        if len(flat) != 1:
            raise ValueError("Structure is a scalar but len(flat_sequence) == %d > 1" % len(flat))
        return flat[0]
    n = len(flatten(structure))
    if n != len(flat):
        raise ValueError("Could not pack sequence. Structure had %d elements, but flat_sequence had %d "
                         "elements.  Structure: %s, flat_sequence: %s." % (n, len(flat), structure, flat))
    return _pack(structure, flat, 0)[1]


def _pack(structure, flat, index):
    packed = []
    for child in _children(structure):
        if is_nested(child):
            index, value = _pack(child, flat, index)
            packed.append(value)
        else:
            packed.append(flat[index])
            index += 1
    return index, _sequence_like(structure, packed)


def assert_same_structure(a, b, check_types=True):
    if is_nested(a) != is_nested(b):
        raise ValueError("The two structures don't have the same nested structure.\n\nFirst structure: %s\n\n"
                         "Second structure: %s" % (a, b))
    if not is_nested(a):
        return
    if check_types and type(a) is not type(b) and not (
            isinstance(a, _abc.Mapping) and isinstance(b, _abc.Mapping)):
        raise TypeError("The two structures don't have the same sequence type. First structure has type %s, "
                        "while second structure has type %s." % (type(a), type(b)))
    if isinstance(a, _abc.Mapping) and set(a) != set(b):
        raise ValueError("The two dictionaries don't have the same set of keys. First structure has keys %s, "
                         "while second structure has keys %s." % (list(a), list(b)))
    ca, cb = _children(a), _children(b)
    if len(ca) != len(cb):
        raise ValueError("The two structures don't have the same number of elements. First structure: %s, "
                         "second structure: %s." % (a, b))
    for x, y in zip(ca, cb):
        assert_same_structure(x, y, check_types)


def map_structure(fn, *structures):
    for other in structures[1:]:
        assert_same_structure(structures[0], other)
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(structures[0], [fn(*xs) for xs in zip(*flats)])


def flatten_up_to(shallow, value):
    """The parts of `value` at the leaves of `shallow` (a value may nest deeper than it)."""
    if not is_nested(shallow):
        return [value]
    if not is_nested(value):
        raise TypeError("If shallow structure is a sequence, input must also be a sequence. Input has type: "
                        "%s." % type(value).__name__)
    if isinstance(shallow, _abc.Mapping):
        if not isinstance(value, _abc.Mapping) or set(shallow) != set(value):
            raise ValueError("The two structures don't have the same keys: %s and %s." % (shallow, value))
    elif len(shallow) != len(value):
        raise ValueError("The two structures don't have the same sequence length. Input structure has length %d, "
                         "while shallow structure has length %d." % (len(value), len(shallow)))
    out = []
    for s, v in zip(_children(shallow), _children(value)):
        out.extend(flatten_up_to(s, v))
    return out


def map_structure_up_to(shallow, fn, *values):
    flats = [flatten_up_to(shallow, v) for v in values]
    return pack_sequence_as(shallow, [fn(*xs) for xs in zip(*flats)])


# -- specs ------------------------------------------------------------------------------------

class DatasetSpec(TypeSpec):
    """The type of a dataset-valued component: its element structure (and, batched, a shape)."""

    __slots__ = ("_element_spec", "_dataset_shape")

    def __init__(self, element_spec, dataset_shape=()):
        self._element_spec = element_spec
        self._dataset_shape = as_shape(dataset_shape)

    element_spec = property(lambda self: self._element_spec)
    shape = property(lambda self: self._dataset_shape)
    dtype = property(lambda self: dtypes.variant)

    @property
    def value_type(self):
        from metarun.data.dataset_ops import Dataset
        return Dataset

    @staticmethod
    def from_value(value):
        return DatasetSpec(value.element_spec)

    def is_compatible_with(self, spec_or_value):
        other = spec_or_value if isinstance(spec_or_value, DatasetSpec) else getattr(spec_or_value, "_type_spec",
                                                                                     None)
        return isinstance(other, DatasetSpec) and self == other

    def __eq__(self, other):
        return (type(self) is type(other) and self._dataset_shape == other._dataset_shape and
                flatten(self._element_spec) == flatten(other._element_spec))

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self._dataset_shape, tuple(flatten(self._element_spec))))

    def __repr__(self):
        return "DatasetSpec(%r, %r)" % (self._element_spec, self._dataset_shape)


def spec_from_value(value):
    """The spec of one normalized component (a Tensor or a Dataset)."""
    if isinstance(value, graph_lib.Tensor):
        return TensorSpec(value.shape, value.dtype.base_dtype)
    if hasattr(value, "_variant_tensor") and hasattr(value, "element_spec"):
        return DatasetSpec(value.element_spec)
    raise TypeError("Could not build a `TypeSpec` for %r with type %s" % (value, type(value).__name__))


def flat_types(element_spec):
    return [s.dtype if isinstance(s, TensorSpec) else dtypes.variant for s in flatten(element_spec)]


def flat_shapes(element_spec):
    return [s.shape for s in flatten(element_spec)]


def to_tensor_list(element):
    """The flat tensors of a normalized element (a dataset as its variant tensor)."""
    return [getattr(c, "_variant_tensor", c) for c in flatten(element)]


def from_tensor_list(element_spec, tensors):
    """The element of `element_spec` holding `tensors` (a dataset component rebuilt around its
    variant tensor)."""
    from metarun.data.dataset_ops import _VariantDataset
    specs = flatten(element_spec)
    if len(specs) != len(tensors):
        raise ValueError("Expected %d tensors but got %d." % (len(specs), len(tensors)))
    out = []
    for spec, t in zip(specs, tensors):
        if isinstance(spec, DatasetSpec):
            out.append(_VariantDataset(t, spec.element_spec))
        else:
            if spec.shape.ndims is not None and t.shape.ndims is None:
                t.set_shape(spec.shape)
            out.append(t)
    return pack_sequence_as(element_spec, out)


def batch_spec(spec, batch_size):
    if isinstance(spec, DatasetSpec):
        return DatasetSpec(spec.element_spec, TensorShape([batch_size]).concatenate(spec.shape))
    return TensorSpec(TensorShape([batch_size]).concatenate(spec.shape), spec.dtype)


def unbatch_spec(spec):
    if spec.shape.ndims == 0:
        raise ValueError("Unbatching a tensor is only supported for rank >= 1")
    if isinstance(spec, DatasetSpec):
        return DatasetSpec(spec.element_spec, spec.shape[1:])
    return TensorSpec(spec.shape[1:], spec.dtype)


def common_shape(a, b):
    """The most specific shape both `a` and `b` are (dims that differ become unknown)."""
    if a.ndims is None or b.ndims is None or a.ndims != b.ndims:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.dims, b.dims)])


def common_spec(a, b):
    if type(a) is not type(b) or a.dtype != b.dtype:
        raise TypeError("No common supertype of %s and %s." % (a, b))
    if isinstance(a, DatasetSpec):
        if a != b:
            raise TypeError("No common supertype of %s and %s." % (a, b))
        return a
    return TensorSpec(common_shape(a.shape, b.shape), a.dtype)


def legacy_types(element_spec):
    return map_structure(lambda s: s.dtype if isinstance(s, TensorSpec) else s, element_spec)


def legacy_shapes(element_spec):
    return map_structure(lambda s: s.shape if isinstance(s, TensorSpec) else s, element_spec)


def legacy_classes(element_spec):
    return map_structure(lambda s: graph_lib.Tensor if isinstance(s, TensorSpec) else s, element_spec)


def convert_legacy_structure(output_types, output_shapes, output_classes):
    """An element spec from TF1's (types, shapes, classes) triple."""
    specs = []
    for t, s, c in zip(flatten(output_types), flatten(output_shapes), flatten(output_classes)):
        if isinstance(c, TypeSpec):
            specs.append(c)
        elif isinstance(c, type) and issubclass(c, graph_lib.Tensor):
            specs.append(TensorSpec(s, t))
        else:
            raise TypeError("Could not build a structure for output class %s. Make sure any component class in "
                            "`output_classes` inherits from one of the following classes: `tf.TypeSpec`, "
                            "`tf.sparse.SparseTensor`, `tf.Tensor`, `tf.TensorArray`."
                            % getattr(c, "__name__", c))
    return pack_sequence_as(output_classes, specs)


def normalize_element(element):
    """`element` with every component a Tensor (or a Dataset), converted as TF does: in a
    `normalize_element` name scope, component i named `component_i`."""
    from metarun.framework.op_builder import convert_to_tensor
    components = flatten(element)
    out = []
    g = graph_lib.get_default_graph()
    with g.name_scope("normalize_element"):
        for i, t in enumerate(components):
            if hasattr(t, "_variant_tensor") and hasattr(t, "element_spec"):
                out.append(t)
            else:
                out.append(convert_to_tensor(t, name="component_%d" % i))
    return pack_sequence_as(element, out)
