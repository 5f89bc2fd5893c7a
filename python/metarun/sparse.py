"""tf.sparse: SparseTensor and the ops on it."""

from metarun.framework.sparse_tensor import SparseTensor  # noqa: F401
from metarun.framework.sparse_tensor import sparse_placeholder as placeholder  # noqa: F401
from metarun.ops.sparse_segment_ops import sparse_segment_mean as segment_mean  # noqa: F401,E402
from metarun.ops.sparse_segment_ops import sparse_segment_sqrt_n as segment_sqrt_n  # noqa: F401,E402
from metarun.ops.sparse_segment_ops import sparse_segment_sum as segment_sum  # noqa: F401,E402
from metarun.ops.sparse_ops import (  # noqa: F401,E402 -- the ops on SparseTensors
    from_dense, sparse_add as add, sparse_concat as concat, sparse_expand_dims as expand_dims, sparse_eye as eye,
    sparse_fill_empty_rows as fill_empty_rows, sparse_mask as mask, sparse_maximum as maximum,
    sparse_merge as merge, sparse_minimum as minimum, sparse_reduce_max as reduce_max,
    sparse_reduce_max_sparse as reduce_max_sparse, sparse_reduce_sum as reduce_sum,
    sparse_reduce_sum_sparse as reduce_sum_sparse, sparse_reorder as reorder, sparse_reset_shape as reset_shape,
    sparse_reshape as reshape, sparse_retain as retain, sparse_slice as slice, sparse_softmax as softmax, sparse_split as split,
    sparse_tensor_dense_matmul as matmul, sparse_tensor_dense_matmul as sparse_dense_matmul,
    sparse_tensor_to_dense as to_dense, sparse_to_indicator as to_indicator, sparse_transpose as transpose)
