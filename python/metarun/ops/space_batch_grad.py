"""Gradients of the space/batch/depth rearrangements: each is its inverse, built as TF's
array_grad.py builds it (the 4-D ops' gradients through the v1 wrappers, so as N-d ops)."""
from metarun.ops import space_batch_ops
from metarun.ops.gradients_impl import RegisterGradient


@RegisterGradient("SpaceToBatch")
def _space_to_batch_grad(op, grad):
    return [space_batch_ops.batch_to_space(grad, op.inputs[1], block_size=op.get_attr("block_size")), None]


@RegisterGradient("SpaceToBatchND")
def _space_to_batch_nd_grad(op, grad):
    return [space_batch_ops.batch_to_space_nd(grad, op.inputs[1], op.inputs[2]), None, None]


@RegisterGradient("BatchToSpace")
def _batch_to_space_grad(op, grad):
    return [space_batch_ops.space_to_batch(grad, op.inputs[1], block_size=op.get_attr("block_size")), None]


@RegisterGradient("BatchToSpaceND")
def _batch_to_space_nd_grad(op, grad):
    return [space_batch_ops.space_to_batch_nd(grad, op.inputs[1], op.inputs[2]), None, None]


def _check_format(op):
    if op.get_attr("data_format") == "NCHW_VECT_C":
        raise ValueError("Cannot compute %s gradient with NCHW_VECT_C. NCHW_VECT_C requires qint8 data type."
                         % op.type)
    return op.get_attr("data_format")


@RegisterGradient("SpaceToDepth")
def _space_to_depth_grad(op, grad):
    fmt = _check_format(op)
    return space_batch_ops.depth_to_space(grad, op.get_attr("block_size"), data_format=fmt)


@RegisterGradient("DepthToSpace")
def _depth_to_space_grad(op, grad):
    fmt = _check_format(op)
    return space_batch_ops.space_to_depth(grad, op.get_attr("block_size"), data_format=fmt)
