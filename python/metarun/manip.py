"""tf.manip: TF1's module of array manipulations (each also a tf.* name)."""

from metarun.ops.array_ops import gather_nd, reshape, reverse, scatter_nd, tile  # noqa: F401
from metarun.ops.array_ops_3 import roll  # noqa: F401
from metarun.ops.space_batch_ops import batch_to_space_nd, space_to_batch_nd  # noqa: F401
