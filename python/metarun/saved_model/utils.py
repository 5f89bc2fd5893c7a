"""tf.compat.v1.saved_model.utils: TensorInfo protos, the entries of a SignatureDef, built from
graph tensors and turned back into them."""

from metarun.framework import graph as graph_lib
from metarun.framework import protos
from metarun.framework.sparse_tensor import SparseTensor
from metarun.framework.variables import prepend_name_scope


def build_tensor_info(tensor):
    """The TensorInfo naming `tensor` (its dtype and static shape too). A SparseTensor gets a
    coo_sparse encoding naming its values, indices and dense_shape tensors; anything else
    is described by its `name`."""
    info = protos.TensorInfo()
    info.dtype = tensor.dtype.as_datatype_enum
    info.tensor_shape.CopyFrom(tensor.get_shape().as_proto())
    if isinstance(tensor, SparseTensor):
        info.coo_sparse.values_tensor_name = tensor.values.name
        info.coo_sparse.indices_tensor_name = tensor.indices.name
        info.coo_sparse.dense_shape_tensor_name = tensor.dense_shape.name
    else:
        info.name = tensor.name
    return info


def build_tensor_info_from_op(op):
    """A TensorInfo naming an operation (dtype DT_INVALID, unknown shape), as signatures
    naming an init or train op hold."""
    info = protos.TensorInfo(name=op.name)
    info.tensor_shape.unknown_rank = True
    return info


def get_tensor_from_tensor_info(tensor_info, graph=None, import_scope=None):
    """The Tensor (or SparseTensor, for a coo_sparse TensorInfo) `tensor_info` names in `graph`
    (the default graph), under `import_scope` when the graph was imported with one. A name
    the graph lacks raises KeyError, as Graph.get_tensor_by_name does."""
    graph = graph or graph_lib.get_default_graph()

    def tensor(name):
        return graph.get_tensor_by_name(prepend_name_scope(name, import_scope))

    encoding = tensor_info.WhichOneof("encoding")
    if encoding == "name":
        return tensor(tensor_info.name)
    if encoding == "coo_sparse":
        sparse = tensor_info.coo_sparse
        return SparseTensor(tensor(sparse.indices_tensor_name), tensor(sparse.values_tensor_name),
                            tensor(sparse.dense_shape_tensor_name))
    raise ValueError("Invalid TensorInfo.encoding: %s. Expected `coo_sparse`, `composite_tensor`, "
                     "or `name` for a dense tensor." % encoding)


def get_element_from_tensor_info(tensor_info, graph=None, import_scope=None):
    """The Tensor or Operation a name-encoded TensorInfo names."""
    graph = graph or graph_lib.get_default_graph()
    return graph.as_graph_element(prepend_name_scope(tensor_info.name, import_scope))
