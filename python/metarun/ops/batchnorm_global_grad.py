"""The gradient of BatchNormWithGlobalNormalization (TF 0.x's batch norm, found in old graphs):
its Grad op, as TF registers it."""

from metarun.framework.op_builder import apply_op
from metarun.ops.gradients_impl import RegisterGradient


@RegisterGradient("BatchNormWithGlobalNormalization")
def _batch_norm_with_global_normalization_grad(op, grad):
    dx, dm, dv, db, dg = apply_op(
        "BatchNormWithGlobalNormalizationGrad", t=op.inputs[0], m=op.inputs[1], v=op.inputs[2],
        gamma=op.inputs[4], backprop=grad, variance_epsilon=op.get_attr("variance_epsilon"),
        scale_after_normalization=op.get_attr("scale_after_normalization"))
    return dx, dm, dv, db, dg
