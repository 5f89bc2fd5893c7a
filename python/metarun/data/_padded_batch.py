"""Dataset.padded_batch: PaddedBatchDatasetV2 with TF's defaults and checks.

A component's padded shape becomes an int64 vector Const (unknown dims -1, in component order),
then each padding value a scalar named `padding_value` (zero, or "" for strings, by default).
The batched shapes are [batch (known only with a constant drop_remainder), *padded shape].
"""
import numpy as np

from metarun.data import _structure as structure
from metarun.data.dataset_ops import _int64, _metadata, _static, _wrap
from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops.misc_types import TensorSpec


def _compatible(padded, component):
    if padded.ndims is None or component.ndims is None:
        return True
    if padded.ndims != component.ndims:
        return False
    return all(p is None or c is None or p >= c for p, c in zip(padded.dims, component.dims))


def _padded_shape_tensor(padded_shape, component_shape):
    """(int64 vector tensor, TensorShape it stands for)."""
    if isinstance(padded_shape, graph_lib.Tensor):
        tensor = convert_to_tensor(padded_shape, preferred_dtype=dtypes.int64)
        if tensor.shape.ndims is not None and tensor.shape.ndims != 1:
            raise ValueError("Padded shape %s must be a `tf.int64` vector tensor, but its shape was %s."
                             % (padded_shape, tensor.shape))
        if tensor.dtype != dtypes.int64:
            raise TypeError("Padded shape %s must be a `tf.int64` vector tensor, but its element type was %s."
                            % (padded_shape, tensor.dtype.name))
        value = _static_value(tensor)
        if value is None:
            shape = TensorShape([None] * tensor.shape[0]) if tensor.shape.is_fully_defined() else TensorShape(None)
        else:
            shape = TensorShape([None if d < 0 else int(d) for d in value])
    else:
        shape = TensorShape(padded_shape)
        tensor = convert_to_tensor([d if d is not None else -1 for d in shape.as_list()], dtype=dtypes.int64)
    if not _compatible(shape, component_shape):
        raise ValueError("The padded shape %s is not compatible with the shape %s of the corresponding input "
                         "component." % (shape, component_shape))
    return tensor, shape


def _static_value(tensor):
    from metarun.ops.misc_ops import get_static_value
    value = get_static_value(tensor)
    return None if value is None else np.asarray(value).reshape(-1).tolist()


def _zero(dtype):
    if dtype == dtypes.string:
        return ""
    if dtype == dtypes.variant:
        raise TypeError("Unable to create default padding value for a component of type 'variant'.")
    return np.zeros_like(dtype.as_numpy_dtype())


def _padding_value_tensor(value, output_type):
    value = convert_to_tensor(value, name="padding_value")
    if not value.shape.is_compatible_with(TensorShape([])):
        raise ValueError("Invalid `padding_values`. `padding_values` values should be scalars, but got %s."
                         % value.shape)
    if value.dtype.base_dtype != output_type:
        raise TypeError("Invalid `padding_values`. `padding_values` values type %s does not match type %s of the "
                        "corresponding input component." % (value.dtype.name, output_type.name))
    return value


def padded_batch(dataset, batch_size, padded_shapes, padding_values, drop_remainder, name):
    for spec in structure.flatten(dataset.element_spec):
        if not isinstance(spec, TensorSpec):
            if isinstance(spec, structure.DatasetSpec):
                raise TypeError("`padded_batch` is not supported for datasets of datasets")
            raise TypeError("`padded_batch` is only supported for datasets that produce tensor elements but type "
                            "spec of elements in the input dataset is not a subclass of TensorSpec: `%s`." % spec)
    input_shapes = dataset.output_shapes
    input_types = dataset.output_types
    if padded_shapes is None:
        padded_shapes = input_shapes
        for i, s in enumerate(structure.flatten(padded_shapes)):
            if s.ndims is None:
                raise ValueError("You must provide `padded_shapes` argument because component %d has unknown rank."
                                 % i)
    batch_size = _int64(batch_size, "batch_size")
    if padding_values is None:
        padding_values = structure.map_structure(_zero, input_types)
    shape_tensors, shapes = [], []
    for component, padded in zip(structure.flatten(input_shapes),
                                 structure.flatten_up_to(input_shapes, padded_shapes)):
        tensor, shape = _padded_shape_tensor(padded, component)
        shape_tensors.append(tensor)
        shapes.append(shape)
    if structure.is_nested(input_shapes) and not structure.is_nested(padding_values):
        value = padding_values
        padding_values = structure.map_structure(lambda _: value, input_shapes)
    values = [_padding_value_tensor(v, t) for v, t in zip(structure.flatten_up_to(input_shapes, padding_values),
                                                          structure.flatten(input_types))]
    drop_remainder = convert_to_tensor(drop_remainder, dtype=dtypes.bool, name="drop_remainder")
    batch = _static(batch_size) if _static(drop_remainder) else None
    out_shapes = [TensorShape([batch]).concatenate(s) for s in shapes]
    spec = structure.pack_sequence_as(input_types, [TensorSpec(s, t) for s, t in
                                                    zip(out_shapes, structure.flatten(input_types))])
    variant = apply_op("PaddedBatchDatasetV2", input_dataset=dataset._variant_tensor, batch_size=batch_size,
                       padded_shapes=shape_tensors, padding_values=values, drop_remainder=drop_remainder,
                       output_shapes=out_shapes, metadata=_metadata(name))
    return _wrap(variant, spec, [dataset])

