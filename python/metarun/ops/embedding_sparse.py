"""tf.nn.embedding_lookup_sparse and tf.nn.safe_embedding_lookup_sparse (TF1 signatures), node for
node as TF 2.21's embedding_ops.py builds them: without weights, one unpartitioned table and no
max_norm, the SparseSegment{Sum,Mean,SqrtN} of the table itself with sparse_gradient (TF's fast
path since its 2023-09-26 forward-compatibility date); otherwise Unique + embedding_lookup, the
weights broadcast over the embedding and SegmentSum combiners."""
from metarun.framework import dtypes
from metarun.framework.graph import Tensor
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.sparse_tensor import SparseTensor
from metarun.framework.tensor_shape import TensorShape
from metarun.framework.variables import Variable
from metarun.ops import array_ops, math_ops
from metarun.ops import sparse_ops
from metarun.ops.nn_ops import embedding_lookup
from metarun.ops.scopes import name_scope
from metarun.ops.sparse_segment_ops import sparse_segment_mean, sparse_segment_sqrt_n, sparse_segment_sum


def _check_compatible(a, b):
    if not a.is_compatible_with(b):
        raise ValueError("Shapes %s and %s are incompatible" % (a, b))


def _as_list(params):
    if hasattr(params, "_get_variable_list"):  # a PartitionedVariable
        return list(params._get_variable_list())
    return params if isinstance(params, list) else [params]


def _read_no_copy(var):
    """TF's read_value_no_copy of a resource variable: DisableCopyOnRead and a read under 'Read',
    then an Identity."""
    with name_scope("Read"):
        apply_op("DisableCopyOnRead", resource=var._variable)
        value = apply_op("ReadVariableOp", resource=var._variable, dtype=var.dtype)
    return array_ops.identity(value)


def embedding_lookup_sparse(params, sp_ids, sp_weights, partition_strategy="mod", name=None, combiner=None,
                            max_norm=None, allow_fast_lookup=False):
    if combiner is None:
        combiner = "mean"
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError("combiner must be one of 'mean', 'sqrtn' or 'sum', got %s" % combiner)
    params = _as_list(params)
    if not isinstance(sp_ids, SparseTensor):
        raise TypeError("sp_ids must be SparseTensor, got %s" % type(sp_ids))
    ignore_weights = sp_weights is None
    if not ignore_weights:
        if not isinstance(sp_weights, SparseTensor):
            raise TypeError("sp_weights must be either None or SparseTensor,got %s" % type(sp_weights))
        _check_compatible(sp_ids.values.get_shape(), sp_weights.values.get_shape())
        _check_compatible(sp_ids.indices.get_shape(), sp_weights.indices.get_shape())
        _check_compatible(sp_ids.dense_shape.get_shape(), sp_weights.dense_shape.get_shape())
    with name_scope(name, "embedding_lookup_sparse", params + [sp_ids]) as name:
        segment_ids = sp_ids.indices[:, 0]
        ids = sp_ids.values
        return _lookup_impl(params, segment_ids, sp_weights, ids, combiner, ignore_weights, max_norm,
                            allow_fast_lookup, partition_strategy, name)


def _lookup_impl(params, segment_ids, sp_weights, ids, combiner, ignore_weights, max_norm, allow_fast_lookup,
                 partition_strategy, name):
    need_sparse_segment_gradient = False
    segment_ids = convert_to_tensor(segment_ids, name="segment_ids")
    first = params[0]
    if len(params) == 1 and not isinstance(first, Tensor) and not (isinstance(first, Variable) and first._is_resource):
        params = [convert_to_tensor(first, name="params")]
    if len(params) == 1 and max_norm is None and (allow_fast_lookup or ignore_weights):
        idx = ids
        embeddings = params[0]
        if isinstance(embeddings, Variable) and embeddings._is_resource:
            embeddings = _read_no_copy(embeddings)
        if not allow_fast_lookup:
            need_sparse_segment_gradient = True
    else:
        ids, idx = array_ops.unique(ids)
        embeddings = embedding_lookup(params, ids, partition_strategy=partition_strategy, max_norm=max_norm)
    if not ignore_weights:
        if segment_ids.dtype != dtypes.int32:
            segment_ids = math_ops.cast(segment_ids, dtypes.int32)
        weights = sp_weights.values
        embeddings = array_ops.gather(embeddings, idx)
        original_dtype = embeddings.dtype
        if embeddings.dtype in (dtypes.float16, dtypes.bfloat16):
            embeddings = math_ops.cast(embeddings, dtypes.float32)
        if weights.dtype != embeddings.dtype:
            weights = math_ops.cast(weights, embeddings.dtype)
        ones_shape = array_ops.expand_dims(array_ops.rank(embeddings) - 1, 0)
        weights_shape = array_ops.shape(weights)
        ones = array_ops.ones(ones_shape, dtype=weights_shape.dtype)
        bcast_weights_shape = array_ops.concat([weights_shape, ones], 0)
        orig_weights_shape = weights.get_shape()
        weights = array_ops.reshape(weights, bcast_weights_shape)
        if embeddings.get_shape().ndims is not None:
            weights.set_shape(orig_weights_shape.concatenate([1] * (embeddings.get_shape().ndims - 1)))
        embeddings *= weights
        if combiner == "sum":
            embeddings = math_ops.segment_sum(embeddings, segment_ids, name=name)
        elif combiner == "mean":
            embeddings = math_ops.segment_sum(embeddings, segment_ids)
            weight_sum = math_ops.segment_sum(weights, segment_ids)
            embeddings = math_ops.div_no_nan(embeddings, weight_sum, name=name)
        else:
            embeddings = math_ops.segment_sum(embeddings, segment_ids)
            weight_sum = math_ops.segment_sum(math_ops.pow(weights, 2), segment_ids)
            embeddings = math_ops.div_no_nan(embeddings, math_ops.sqrt(weight_sum), name=name)
        if embeddings.dtype != original_dtype:
            embeddings = math_ops.cast(embeddings, original_dtype)
        return embeddings
    if segment_ids.dtype not in (dtypes.int32, dtypes.int64):
        segment_ids = math_ops.cast(segment_ids, dtypes.int32)
    fn = {"sum": sparse_segment_sum, "mean": sparse_segment_mean, "sqrtn": sparse_segment_sqrt_n}[combiner]
    return fn(embeddings, idx, segment_ids, name=name, sparse_gradient=need_sparse_segment_gradient)


def _prune_invalid_ids(sparse_ids, sparse_weights):
    is_id_valid = math_ops.greater_equal(sparse_ids.values, 0)
    if sparse_weights is not None:
        is_id_valid = math_ops.logical_and(is_id_valid,
                                           array_ops.ones_like(sparse_weights.values, dtype=dtypes.bool))
    sparse_ids = sparse_ops.sparse_retain(sparse_ids, is_id_valid)
    if sparse_weights is not None:
        sparse_weights = sparse_ops.sparse_retain(sparse_weights, is_id_valid)
    return sparse_ids, sparse_weights


def _prune_invalid_weights(sparse_ids, sparse_weights):
    if sparse_weights is not None:
        is_weights_valid = math_ops.greater(sparse_weights.values, 0)
        sparse_ids = sparse_ops.sparse_retain(sparse_ids, is_weights_valid)
        sparse_weights = sparse_ops.sparse_retain(sparse_weights, is_weights_valid)
    return sparse_ids, sparse_weights


def safe_embedding_lookup_sparse(embedding_weights, sparse_ids, sparse_weights=None, combiner="mean", default_id=None,
                                 name=None, partition_strategy="div", max_norm=None, allow_fast_lookup=False):
    if embedding_weights is None:
        raise ValueError("Missing embedding_weights %s." % (embedding_weights,))
    embedding_weights = _as_list(embedding_weights)
    if len(embedding_weights) < 1:
        raise ValueError("Missing embedding_weights %s." % (embedding_weights,))
    dtype = sparse_weights.dtype if sparse_weights is not None else None
    embedding_weights = [w if (isinstance(w, Variable) and w._is_resource and dtype in (None, w.dtype))
                         else convert_to_tensor(w, dtype=dtype) for w in embedding_weights]
    with name_scope(name, "embedding_lookup", embedding_weights + [sparse_ids, sparse_weights]) as scope:
        original_shape = sparse_ids.dense_shape
        dims = sparse_ids.dense_shape.get_shape().dims
        original_rank_dim = dims[0] if dims is not None else None
        original_rank = array_ops.size(original_shape) if original_rank_dim is None else original_rank_dim
        sparse_ids = sparse_ops.sparse_reshape(sparse_ids, [
            math_ops.reduce_prod(array_ops.slice(original_shape, [0], [original_rank - 1])),
            array_ops.gather(original_shape, original_rank - 1)])
        if sparse_weights is not None:
            sparse_weights = SparseTensor(sparse_ids.indices, sparse_weights.values, sparse_ids.dense_shape)
        sparse_ids, sparse_weights = _prune_invalid_ids(sparse_ids, sparse_weights)
        if combiner != "sum":
            sparse_ids, sparse_weights = _prune_invalid_weights(sparse_ids, sparse_weights)
        sparse_ids, is_row_empty = sparse_ops.sparse_fill_empty_rows(sparse_ids, default_id or 0)
        if sparse_weights is not None:
            sparse_weights, _ = sparse_ops.sparse_fill_empty_rows(sparse_weights, 1.0)
        result = embedding_lookup_sparse(embedding_weights, sparse_ids, sparse_weights, combiner=combiner,
                                         partition_strategy=partition_strategy,
                                         name=None if default_id is None else scope, max_norm=max_norm,
                                         allow_fast_lookup=allow_fast_lookup)
        if default_id is None:
            is_row_empty = array_ops.tile(array_ops.reshape(is_row_empty, [-1, 1]),
                                          array_ops.stack([1, array_ops.shape(result)[1]]))
            result = array_ops.where(is_row_empty, array_ops.zeros_like(result), result, name=scope)
        final_result = array_ops.reshape(result, array_ops.concat([
            array_ops.slice(math_ops.cast(original_shape, dtypes.int32), [0], [original_rank - 1]),
            array_ops.slice(array_ops.shape(result), [1], [-1])], 0))
        lead = None if original_rank_dim is None else original_rank_dim - 1
        final_result.set_shape(TensorShape(None if lead is None else [None] * lead).concatenate(
            result.get_shape()[1:] if result.get_shape().ndims is not None else TensorShape(None)))
        return final_result
