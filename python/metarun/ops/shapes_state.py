"""Shape functions of the variable, assignment and pass-through ops."""

from metarun.framework import shape_inference as si
from metarun.framework.tensor_shape import TensorShape


@si.register("Identity", "StopGradient", "PreventGradient", "Snapshot", "CheckNumerics", "RefIdentity",
             "PlaceholderWithDefault", "Print", "DebugIdentity")
def _same_as_input(op):
    out = op.inputs[0].shape
    if op.type == "PlaceholderWithDefault":
        # The declared shape, which the default must fit: a feed may have any shape it allows.
        declared = TensorShape(op.get_attr("shape"))
        if not out.is_compatible_with(declared):
            raise ValueError("Shapes %s and %s are incompatible" % (out, declared))
        return [declared]
    return [out]


@si.register("IdentityN")
def _identity_n(op):
    return [t.shape for t in op.inputs]


@si.register("Assign")
def _assign(op):
    if op.get_attr("validate_shape"):
        return [si.merge(op.inputs[0].shape, op.inputs[1].shape)]
    return [op.inputs[1].shape]


@si.register("AssignAdd", "AssignSub", "ScatterUpdate", "ScatterAdd", "ScatterSub", "ScatterMul", "ScatterDiv",
             "ScatterMin", "ScatterMax", "ScatterNdUpdate", "ScatterNdAdd", "ScatterNdSub")
def _like_ref(op):
    return [op.inputs[0].shape]


@si.register("StridedSliceAssign")
def _strided_slice_assign(op):
    return [op.inputs[0].shape]


@si.register("ResourceGatherNd")
def _resource_gather_nd(op):
    """indices' shape without its last dim k + the variable's shape after its first k dims."""
    handle, indices = op.inputs[0], op.inputs[1].shape
    if handle.op.type != "VarHandleOp" or indices.ndims is None or indices.dims[-1] is None:
        return [TensorShape(None)]
    var = TensorShape(handle.op.get_attr("shape"))
    if var.ndims is None:
        return [TensorShape(None)]
    return [TensorShape(indices.dims[:-1] + var.dims[indices.dims[-1]:])]


# Ops that hand a resource handle on unchanged: TF keeps the variable's shape with it.
_FORWARDS_HANDLE = frozenset(["Identity", "Switch", "RefSwitch", "Enter", "RefEnter", "Exit"])


@si.register("ReadVariableOp")
def _read(op):
    handle = op.inputs[0]
    while handle.op.type in _FORWARDS_HANDLE and handle.op.inputs:
        handle = handle.op.inputs[0]
    if handle.op.type == "VarHandleOp":
        return [TensorShape(handle.op.get_attr("shape"))]
    return [TensorShape(None)]


@si.register("VarHandleOp", "VarIsInitializedOp", "IsVariableInitialized", "ResourceCountUpTo")
def _scalar(op):
    return [TensorShape([])]


@si.register("CountUpTo")
def _count_up_to(op):
    shape = op.inputs[0].shape
    if shape.ndims not in (None, 0):
        raise ValueError("Shape must be rank 0 but is rank %d for '%s' (op: 'CountUpTo') with input shapes: %s."
                         % (shape.ndims, op.name, shape))
    return [TensorShape([])]


@si.register("ResourceGather")
def _resource_gather(op):
    """indices' shape + the variable's shape after its first dim (batch_dims 0)."""
    handle, indices = op.inputs[0], op.inputs[1]
    if handle.op.type != "VarHandleOp" or op.get_attr("batch_dims") != 0:
        return [TensorShape(None)]
    var = TensorShape(handle.op.get_attr("shape"))
    if var.ndims is None or indices.shape.ndims is None:
        return [TensorShape(None)]
    return [TensorShape(indices.shape.as_list() + var.as_list()[1:])]
