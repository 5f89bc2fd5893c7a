"""SparseTensors kept in a session's SparseTensorsMap and passed around as int64 handles
(cpp/kernels/sparse_tensors_map_ops.cpp): TF's private sparse_ops helpers that tf.train's
batching functions call, built as TF 2.21 builds them, and the three ops' shape functions."""
from metarun.framework import shape_inference as si
from metarun.framework.graph import Operation, get_default_graph
from metarun.framework.op_builder import apply_op
from metarun.framework.sparse_tensor import SparseTensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops.sparse_ops import _convert_to_sparse_tensor


def _add_sparse_to_tensors_map(sp_input, container=None, shared_name=None, name=None):
    """Stores `sp_input` in the map (shared_name, else the new op's name) and returns its handle."""
    sp_input = _convert_to_sparse_tensor(sp_input)
    return apply_op("AddSparseToTensorsMap", name=name, sparse_indices=sp_input.indices,
                    sparse_values=sp_input.values, sparse_shape=sp_input.dense_shape,
                    container=container or "", shared_name=shared_name or "")


def _add_many_sparse_to_tensors_map(sp_input, container=None, shared_name=None, name=None):
    """Stores each row of a rank > 1 `sp_input` in the map; returns the N handles."""
    sp_input = _convert_to_sparse_tensor(sp_input)
    return apply_op("AddManySparseToTensorsMap", name=name, sparse_indices=sp_input.indices,
                    sparse_values=sp_input.values, sparse_shape=sp_input.dense_shape,
                    container=container or "", shared_name=shared_name or "")


def _take_many_sparse_from_tensors_map(sparse_map_op, sparse_handles, rank=None, name=None):
    """The SparseTensors behind `sparse_handles` (stored by `sparse_map_op`), stacked."""
    if not isinstance(sparse_map_op, Operation):
        raise TypeError("sparse_map_op be an Operation")
    if sparse_map_op.type not in ("AddSparseToTensorsMap", "AddManySparseToTensorsMap"):
        raise TypeError("sparse_map_op must be one of AddSparseToTensorsMap or AddSparseToTensorsMap. "
                        "Instead, found `%s`." % sparse_map_op.type)
    with get_default_graph().colocate_with(sparse_map_op):
        shared_name = _text(sparse_map_op.get_attr("shared_name")) or sparse_map_op.name
        indices, values, shape = apply_op("TakeManySparseFromTensorsMap", name=name, sparse_handles=sparse_handles,
                                          dtype=sparse_map_op.get_attr("T"),
                                          container=_text(sparse_map_op.get_attr("container")),
                                          shared_name=shared_name)
    indices.set_shape([None, rank])
    shape.set_shape([rank])
    return SparseTensor(indices, values, shape)


def _text(s):
    return s.decode() if isinstance(s, bytes) else s


# -- shape functions -------------------------------------------------------------------------

def _with_rank(op, i, rank):
    shape = op.inputs[i].shape
    if shape.ndims is not None and shape.ndims != rank:
        raise ValueError("Shape must be rank %d but is rank %d for '{{node %s}} = %s[]' with input shapes: %s."
                         % (rank, shape.ndims, op.name, op.type, ", ".join(str(t.shape) for t in op.inputs)))


@si.register("AddSparseToTensorsMap", "AddManySparseToTensorsMap")
def _add_shape(op):
    for i, rank in enumerate((2, 1, 1)):
        _with_rank(op, i, rank)
    return [TensorShape([] if op.type == "AddSparseToTensorsMap" else [None])]


@si.register("TakeManySparseFromTensorsMap")
def _take_shape(op):
    _with_rank(op, 0, 1)
    return [TensorShape([None, None]), TensorShape([None]), TensorShape([None])]
