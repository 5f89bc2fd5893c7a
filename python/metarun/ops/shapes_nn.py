"""Static shapes of nn ops not covered in shapes_core (imported by nn_ops)."""

from metarun.framework import shape_inference as si
from metarun.framework.tensor_shape import TensorShape


@si.register("InTopK", "InTopKV2")
def _in_top_k(op):
    predictions, targets = op.inputs[0].shape, op.inputs[1].shape
    if predictions.ndims is not None and predictions.ndims != 2:
        raise ValueError("Shape must be rank 2 but is rank %d for '{{node %s}}'" % (predictions.ndims, op.name))
    batch = predictions.dims[0] if predictions.ndims is not None else None
    if targets.ndims == 1 and targets.dims[0] is not None:
        if batch is not None and batch != targets.dims[0]:
            raise ValueError("Dimensions must be equal, but are %d and %d" % (batch, targets.dims[0]))
        batch = targets.dims[0]
    return [TensorShape([batch])]
