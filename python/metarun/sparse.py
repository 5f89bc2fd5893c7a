"""tf.sparse: SparseTensor and the ops on it."""

from metarun.framework.sparse_tensor import SparseTensor  # noqa: F401
from metarun.framework.sparse_tensor import sparse_placeholder as placeholder  # noqa: F401
