"""tf.sparse: SparseTensor and the ops on it."""

from metarun.framework.sparse_tensor import SparseTensor  # noqa: F401
from metarun.framework.sparse_tensor import sparse_placeholder as placeholder  # noqa: F401
from metarun.ops.sparse_segment_ops import sparse_segment_mean as segment_mean  # noqa: F401,E402
from metarun.ops.sparse_segment_ops import sparse_segment_sqrt_n as segment_sqrt_n  # noqa: F401,E402
from metarun.ops.sparse_segment_ops import sparse_segment_sum as segment_sum  # noqa: F401,E402
