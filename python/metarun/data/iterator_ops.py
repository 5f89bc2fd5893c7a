"""tf.compat.v1.data.Iterator: the TF1 iterator over a dataset, an iterator resource in the graph.

An Iterator makes its IteratorToStringHandle when built (TF does, so graphs carry it) and adds
its resource to the `iterators` collection. get_next and make_initializer are colocated with
the resource; get_next's IteratorGetNext returns the flat components, rebuilt into the element
structure.
"""
from metarun.data import _structure as structure
from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape, as_shape
from metarun.ops.scopes import name_scope

GLOBAL_ITERATORS = "iterators"


class Iterator(object):
    """Iterates over a dataset's elements: `get_next()` gives a tensor (structure) that advances
    the iterator each time it is run; OutOfRangeError at the end."""

    def __init__(self, iterator_resource, initializer, output_types, output_shapes, output_classes):
        if output_types is None or output_shapes is None or output_classes is None:
            raise ValueError("All of `output_types`, `output_shapes`, and `output_classes` must be specified to "
                             "create an iterator. Got `output_types` = %r, `output_shapes` = %r, `output_classes` = "
                             "%r." % (output_types, output_shapes, output_classes))
        self._iterator_resource = iterator_resource
        self._initializer = initializer
        self._element_spec = structure.convert_legacy_structure(output_types, output_shapes, output_classes)
        self._flat_tensor_types = structure.flat_types(self._element_spec)
        self._flat_tensor_shapes = structure.flat_shapes(self._element_spec)
        self._string_handle = apply_op("IteratorToStringHandle", resource_handle=iterator_resource)
        self._get_next_call_count = 0
        iterator_resource.graph.add_to_collection(GLOBAL_ITERATORS, iterator_resource)

    @staticmethod
    def from_structure(output_types, output_shapes=None, shared_name=None, output_classes=None):
        output_types, output_shapes, output_classes, spec = _legacy_structure(output_types, output_shapes,
                                                                             output_classes)
        resource = apply_op("IteratorV2", container="", shared_name=shared_name or "",
                            output_types=structure.flat_types(spec), output_shapes=structure.flat_shapes(spec))
        return Iterator(resource, None, output_types, output_shapes, output_classes)

    @staticmethod
    def from_string_handle(string_handle, output_types, output_shapes=None, output_classes=None):
        output_types, output_shapes, output_classes, spec = _legacy_structure(output_types, output_shapes,
                                                                             output_classes)
        string_handle = convert_to_tensor(string_handle, dtype=dtypes.string)
        resource = apply_op("IteratorFromStringHandleV2", string_handle=string_handle,
                            output_types=structure.flat_types(spec), output_shapes=structure.flat_shapes(spec))
        return Iterator(resource, None, output_types, output_shapes, output_classes)

    @property
    def initializer(self):
        if self._initializer is not None:
            return self._initializer
        raise ValueError("The iterator does not have an initializer. This means it was likely created using "
                         "`tf.data.Dataset.make_one_shot_iterator()`. For an initializable iterator, use "
                         "`tf.data.Dataset.make_initializable_iterator()` instead.")

    def make_initializer(self, dataset, name=None):
        with name_scope(name, "make_initializer") as name:
            types = structure.legacy_types(dataset.element_spec)
            shapes = structure.legacy_shapes(dataset.element_spec)
            classes = structure.legacy_classes(dataset.element_spec)
            structure.assert_same_structure(self.output_types, types)
            structure.assert_same_structure(self.output_shapes, shapes)
            for mine, theirs in zip(structure.flatten(self.output_classes), structure.flatten(classes)):
                if mine is not theirs and mine != theirs:
                    raise TypeError("Expected output classes %r but got dataset with output classes %r."
                                    % (self.output_classes, classes))
            for mine, theirs in zip(structure.flatten(self.output_types), structure.flatten(types)):
                if mine != theirs:
                    raise TypeError("Expected output types %r but got dataset with output types %r."
                                    % (self.output_types, types))
            for mine, theirs in zip(structure.flatten(self.output_shapes), structure.flatten(shapes)):
                if not mine.is_compatible_with(theirs):
                    raise TypeError("Expected output shapes compatible with %r but got dataset with output shapes "
                                    "%r." % (self.output_shapes, shapes))
        g = self._iterator_resource.graph
        with g.colocate_with(self._iterator_resource.op):
            return apply_op("MakeIterator", dataset=dataset._variant_tensor, iterator=self._iterator_resource,
                            name=name)

    def get_next(self, name=None):
        self._get_next_call_count += 1
        g = self._iterator_resource.graph
        with g.colocate_with(self._iterator_resource.op):
            flat = apply_op("IteratorGetNext", iterator=self._iterator_resource,
                            output_types=self._flat_tensor_types, output_shapes=self._flat_tensor_shapes, name=name)
            for t, shape in zip(flat, self._flat_tensor_shapes):
                t.set_shape(shape)
            return structure.from_tensor_list(self._element_spec, flat)

    def string_handle(self, name=None):
        if name is None:
            return self._string_handle
        return apply_op("IteratorToStringHandle", resource_handle=self._iterator_resource, name=name)

    @property
    def element_spec(self):
        return self._element_spec

    @property
    def output_types(self):
        return structure.legacy_types(self._element_spec)

    @property
    def output_shapes(self):
        return structure.legacy_shapes(self._element_spec)

    @property
    def output_classes(self):
        return structure.legacy_classes(self._element_spec)


def _legacy_structure(output_types, output_shapes, output_classes):
    output_types = structure.map_structure(dtypes.as_dtype, output_types)
    if output_shapes is None:
        output_shapes = structure.map_structure(lambda _: TensorShape(None), output_types)
    else:
        output_shapes = structure.map_structure_up_to(output_types, as_shape, output_shapes)
    if output_classes is None:
        output_classes = structure.map_structure(lambda _: graph_lib.Tensor, output_types)
    structure.assert_same_structure(output_types, output_shapes)
    spec = structure.convert_legacy_structure(output_types, output_shapes, output_classes)
    return output_types, output_shapes, output_classes, spec
