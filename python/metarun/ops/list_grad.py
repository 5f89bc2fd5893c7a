"""Gradients of the TensorList ops (what v2 while loops and TensorArrays in v2 graphs use), as TF
defines them: a list's gradient is a list of the elements' gradients."""
from metarun.framework import dtypes
from metarun.framework.constant_op import constant
from metarun.framework.op_builder import apply_op
from metarun.ops.gradients_impl import NoGradient, RegisterGradient

for _t in ("EmptyTensorList", "TensorListReserve", "TensorListLength", "TensorListElementShape"):
    NoGradient(_t)


def _element_shape(handle):
    return apply_op("TensorListElementShape", input_handle=handle, shape_type=dtypes.int32)


def _inner_shape(t):
    """The shape of `t` without its first dimension."""
    from metarun.ops import array_ops
    return array_ops.slice(array_ops.shape(t), [1], [-1])


def _empty_like(handle, dtype):
    return apply_op("EmptyTensorList", element_shape=_element_shape(handle), max_num_elements=constant(-1),
                    element_dtype=dtype)


@RegisterGradient("TensorListPushBack")
def _push_back_grad(op, dlist):
    from metarun.ops import array_ops
    dlist_in, dtensor = apply_op("TensorListPopBack", input_handle=dlist, element_shape=array_ops.shape(op.inputs[1]),
                                 element_dtype=op._node_def.attr["element_dtype"].type)
    return dlist_in, dtensor


@RegisterGradient("TensorListPopBack")
def _pop_back_grad(op, dlist, delement):
    from metarun.ops import array_ops
    if dlist is None:
        dlist = _empty_like(op.outputs[0], delement.dtype.base_dtype)
    if delement is None:
        delement = array_ops.zeros_like(op.outputs[1])
    return apply_op("TensorListPushBack", input_handle=dlist, tensor=delement), None


@RegisterGradient("TensorListStack")
def _stack_grad(op, dtensor):
    return apply_op("TensorListFromTensor", tensor=dtensor, element_shape=_inner_shape(dtensor)), None


@RegisterGradient("TensorListConcat")
@RegisterGradient("TensorListConcatV2")
def _concat_grad(op, dtensor, unused_dlengths):
    dlist = apply_op("TensorListSplit", tensor=dtensor, element_shape=_element_shape(op.inputs[0]),
                     lengths=op.outputs[1])
    return (dlist, None, None) if op.type == "TensorListConcatV2" else dlist


@RegisterGradient("TensorListSplit")
def _split_grad(op, dlist):
    from metarun.ops import array_ops
    tensor, _, lengths = op.inputs
    element_shape = array_ops.concat([[-1], _inner_shape(tensor)], 0)
    out = apply_op("TensorListConcatV2", input_handle=dlist, element_shape=element_shape, leading_dims=lengths,
                   element_dtype=tensor.dtype.base_dtype)
    return out[0], None, None


@RegisterGradient("TensorListFromTensor")
def _from_tensor_grad(op, dlist):
    t = op.inputs[0]
    if dlist is None:
        dlist = _empty_like(op.outputs[0], t.dtype.base_dtype)
    dims = t.shape.as_list() if t.shape.ndims else None
    num = dims[0] if dims and dims[0] is not None else -1
    grad = apply_op("TensorListStack", input_handle=dlist, element_shape=_inner_shape(t),
                    element_dtype=t.dtype.base_dtype, num_elements=num)
    return grad, None


@RegisterGradient("TensorListGetItem")
def _get_item_grad(op, ditem):
    size = apply_op("TensorListLength", input_handle=op.inputs[0])
    zeros = apply_op("TensorListReserve", element_shape=_element_shape(op.inputs[0]), num_elements=size,
                     element_dtype=ditem.dtype.base_dtype)
    return apply_op("TensorListSetItem", input_handle=zeros, index=op.inputs[1], item=ditem), None, None


@RegisterGradient("TensorListSetItem")
def _set_item_grad(op, dlist):
    from metarun.ops import array_ops
    input_list, index, item = op.inputs
    list_grad = apply_op("TensorListSetItem", input_handle=dlist, index=index, item=array_ops.zeros_like(item))
    item_grad = apply_op("TensorListGetItem", input_handle=dlist, index=index,
                         element_shape=array_ops.shape(item), element_dtype=item.dtype.base_dtype)
    if op._node_def.attr["resize_if_index_out_of_bounds"].b:
        size = apply_op("TensorListLength", input_handle=input_list)
        list_grad = apply_op("TensorListResize", input_handle=list_grad, size=size)
    return list_grad, None, item_grad


@RegisterGradient("TensorListResize")
def _resize_grad(op, dlist):
    size = apply_op("TensorListLength", input_handle=op.inputs[0])
    return apply_op("TensorListResize", input_handle=dlist, size=size), None


@RegisterGradient("TensorListGather")
def _gather_grad(op, dtensor):
    input_list, indices, _ = op.inputs
    size = apply_op("TensorListLength", input_handle=input_list)
    dlist = apply_op("TensorListReserve", element_shape=_element_shape(input_list), num_elements=size,
                     element_dtype=dtensor.dtype.base_dtype)
    dlist = apply_op("TensorListScatterIntoExistingList", input_handle=dlist, tensor=dtensor, indices=indices)
    return dlist, None, None


@RegisterGradient("TensorListScatter")
@RegisterGradient("TensorListScatterV2")
def _scatter_grad(op, dlist):
    tensor, indices = op.inputs[0], op.inputs[1]
    dtensor = apply_op("TensorListGather", input_handle=dlist, indices=indices, element_shape=_inner_shape(tensor),
                       element_dtype=tensor.dtype.base_dtype)
    return (dtensor, None, None, None) if op.type == "TensorListScatterV2" else (dtensor, None, None)


@RegisterGradient("TensorListScatterIntoExistingList")
def _scatter_existing_grad(op, dlist):
    from metarun.ops import array_ops
    _, tensor, indices = op.inputs
    dtensor = apply_op("TensorListGather", input_handle=dlist, indices=indices, element_shape=_inner_shape(tensor),
                       element_dtype=tensor.dtype.base_dtype)
    dlist = apply_op("TensorListScatterIntoExistingList", input_handle=dlist, tensor=array_ops.zeros_like(tensor),
                     indices=indices)
    return dlist, dtensor, None
