"""SparseTensors serialized and back, as TF 2.21's sparse_ops.py builds them (tf.compat.v1 names
and signatures): serialize_sparse / serialize_many_sparse (each SparseTensor as three serialized
TensorProtos, or with out_type=tf.variant as the three tensors boxed), deserialize_sparse and
deserialize_many_sparse; and the shape functions of the four kernels
(cpp/kernels/sparse_serialize_ops.cpp)."""
from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op
from metarun.framework.sparse_tensor import SparseTensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops.sparse_ops import _convert_to_sparse_tensor


def serialize_sparse(sp_input, name=None, out_type=dtypes.string):
    """tf.io.serialize_sparse: a 3-vector of the serialized indices, values and dense_shape."""
    sp_input = _convert_to_sparse_tensor(sp_input)
    return apply_op("SerializeSparse", sparse_indices=sp_input.indices, sparse_values=sp_input.values,
                    sparse_shape=sp_input.dense_shape, name=name, out_type=dtypes.as_dtype(out_type))


def serialize_many_sparse(sp_input, name=None, out_type=dtypes.string):
    """tf.io.serialize_many_sparse: an [N, 3] matrix, row i the serialized SparseTensor sp_input[i]
    (indices must be in row-major order)."""
    sp_input = _convert_to_sparse_tensor(sp_input)
    return apply_op("SerializeManySparse", sparse_indices=sp_input.indices, sparse_values=sp_input.values,
                    sparse_shape=sp_input.dense_shape, name=name, out_type=dtypes.as_dtype(out_type))


def _deserialized(outputs, rank):
    indices, values, shape = outputs
    indices.set_shape([None, rank])
    shape.set_shape([rank])
    return SparseTensor(indices, values, shape)


def deserialize_sparse(serialized_sparse, dtype, rank=None, name=None):
    """The SparseTensor of serialized [..., 3] SparseTensors (string or variant), stacked along
    the leading dims; each other dim as large as the largest element's. TF exports no v1 name."""
    return _deserialized(apply_op("DeserializeSparse", serialized_sparse=serialized_sparse,
                                  dtype=dtypes.as_dtype(dtype), name=name), rank)


def deserialize_many_sparse(serialized_sparse, dtype, rank=None, name=None):
    """tf.io.deserialize_many_sparse: the SparseTensor of an [N, 3] string minibatch."""
    return _deserialized(apply_op("DeserializeManySparse", serialized_sparse=serialized_sparse,
                                  dtype=dtypes.as_dtype(dtype), name=name), rank)


# -- shape functions (TF's C++ ones) ---------------------------------------------------------------

def _where(op):
    return " for '{{node %s}} = %s[]' with input shapes: %s." % (
        op.name, op.type, ", ".join(_fmt(t.shape) for t in op.inputs))


def _fmt(shape):
    if shape.dims is None:
        return "?"
    return "[%s]" % ",".join("?" if d is None else str(d) for d in shape.dims)


def _require_rank(op, i, rank):
    n = op.inputs[i].shape.ndims
    if n is not None and n != rank:
        raise ValueError("Shape must be rank %d but is rank %d%s" % (rank, n, _where(op)))


def _serialize_shape(op):
    _require_rank(op, 0, 2)
    _require_rank(op, 1, 1)
    _require_rank(op, 2, 1)


@si.register("SerializeSparse")
def _serialize_sparse_shape(op):
    _serialize_shape(op)
    return [TensorShape([3])]


@si.register("SerializeManySparse")
def _serialize_many_sparse_shape(op):
    _serialize_shape(op)
    return [TensorShape([None, 3])]


@si.register("DeserializeSparse", "DeserializeManySparse")
def _deserialize_shape(op):
    shape = op.inputs[0].shape
    if shape.ndims is not None:
        if op.type == "DeserializeManySparse" and shape.ndims != 2:
            raise ValueError("Shape must be rank 2 but is rank %d%s" % (shape.ndims, _where(op)))
        if shape.ndims < 1:
            raise ValueError("Shape must be at least rank 1 but is rank %d%s" % (shape.ndims, _where(op)))
        last = shape.dims[-1]
        if last is not None and last != 3:
            raise ValueError("Dimension must be 3 but is %d%s" % (last, _where(op)))
    return [TensorShape([None, None]), TensorShape([None]), TensorShape([None])]
